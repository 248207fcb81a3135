"""Which sentences to label first: active learning, simulated on a labelled corpus.

The training split stands in for the unlabelled pool: a strategy sees only the words of the
pool and the gold tags of what it has already chosen, as an annotation team would. Each round
it adds sentences, the model is trained again on everything chosen so far (the course's one
loop, through ``curves.train_subset``), and dev and test are scored.

* ``documents``: whole documents at random, as logs arrive: the learning curve's own runs;
* ``random``: sentences drawn at random from the pool: the baseline uncertainty must beat;
* ``uncertainty``: the sentences the current model is least sure of, by *least confidence*
  averaged over the sentence's words (``1 - p(top tag)``, from ``NerPredictor.tag_batch``, the
  course's one inference API). The mean, not the sum, so long sentences are not favoured for
  their length alone.

``prelabel_savings`` counts what the rule labeller of notebook 02 (its lexicon rebuilt from the
sentences labelled so far) gets exactly right in a chosen batch: entities an annotator only
confirms. Whether any of this helps on a given corpus is measured, not assumed
(lessons/08_iterate.md).

    >>> mean_least_confidence([[0.9, 0.7], [0.5]]).round(2).tolist()
    [0.2, 0.5]

Imports: ``annotate``, ``curves``, ``evaluate``, ``predict``, ``tagging``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from helpers.annotate import RuleLabeller
from helpers.curves import CONVERGED, Schedule, train_subset
from helpers.evaluate import compare_entity_f1
from helpers.predict import NerPredictor
from helpers.tagging import entity_spans, tag_strings

STRATEGIES = ("random", "uncertainty")


def mean_least_confidence(word_scores: Sequence[Sequence[float]]) -> np.ndarray:
    """Per sentence, the mean over its words of ``1 - p(top tag)``; 0 for an empty sentence."""
    return np.array([float(np.mean([1 - p for p in s])) if len(s) else 0.0 for s in word_scores])


def pool_uncertainty(model_dir: str, sentences: list[list[str]], batch_size: int = 64) -> np.ndarray:
    """``mean_least_confidence`` of the model in ``model_dir`` on each sentence (lists of words)."""
    tagged = NerPredictor(model_dir).tag_batch(sentences, batch_size)
    return mean_least_confidence([scores for _, scores in tagged])


def choose(strategy: str, pool: Sequence[int], k: int, rng: np.random.Generator,
           uncertainty: np.ndarray | None = None) -> list[int]:
    """``k`` rows of ``pool``: at random, or the ``k`` most uncertain (``uncertainty[i]`` for
    ``pool[i]``; ties broken at random).

    >>> choose("uncertainty", [10, 11, 12], 2, np.random.default_rng(0), np.array([.1, .9, .5]))
    [11, 12]
    """
    pool = list(pool)
    k = min(k, len(pool))
    if strategy == "random":
        return [pool[i] for i in rng.choice(len(pool), k, replace=False)]
    if strategy != "uncertainty":
        raise ValueError(f"strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    if uncertainty is None or len(uncertainty) != len(pool):
        raise ValueError("uncertainty sampling needs one uncertainty per pool sentence")
    order = np.lexsort((rng.random(len(pool)), -np.asarray(uncertainty)))
    return [pool[i] for i in order[:k]]


def prelabel_savings(labelled, batch, seconds_per_sentence: float) -> dict:
    """What rule pre-labels save on ``batch`` (a dataset of newly chosen sentences), with the
    lexicon built from ``labelled`` (the sentences labelled before it): gold entities the rules
    get exactly right, spurious rule entities, and the seconds saved if annotation time is
    spread evenly over a sentence's entities (an assumption the lesson states)."""
    rules = RuleLabeller.from_dataset(labelled)  # as in notebook 02: lexicon + dose/time patterns
    right = gold_total = spurious = 0
    seconds = 0.0
    for tokens, gold in zip(batch["tokens"], tag_strings(batch)):
        g, p = set(entity_spans(gold)), set(entity_spans(rules(tokens)))
        right += len(g & p)
        gold_total += len(g)
        spurious += len(p - g)
        seconds += seconds_per_sentence * len(g & p) / len(g) if g else 0.0
    return {"entities": gold_total, "prelabelled_right": right, "spurious_prelabels": spurious,
            "seconds_saved": seconds}


def simulate(config, splits, points: pd.DataFrame, rounds: int, seeds: Sequence[int] | None = None,
             schedule: Schedule = CONVERGED, seconds_per_sentence: float = 30.0,
             on_round: Callable[[dict], None] | None = None) -> pd.DataFrame:
    """Active learning against random sampling, on the runs of a learning curve (``points``,
    from ``curves.run_learning_curve`` with the same ``config`` and ``schedule``).

    Three arms, all from the curve's smallest subset and its model, each round growing to the
    curve's next size: ``documents`` *is* the curve (whole documents at random, the way users'
    logs arrive; no training here); ``random`` adds random sentences and ``uncertainty`` the
    sentences the current model is least sure of, each retrained (``curves.train_subset``).
    Uncertainty is judged against ``random`` (both pick sentences, so only the choosing
    differs). One row per model and round: ``strategy``, ``seed``, ``round``,
    ``labelled``, ``dev_f1``, ``test_f1``, ``test_tags``, the pool rows ``added`` and the
    pre-label savings on them (``prelabel_savings``)."""
    pool_data, out = splits["train"], []
    words = pool_data["tokens"]  # the pool's words, read once for every round's scoring

    def emit(row):
        out.append(row)
        if on_round:
            on_round(row)

    for seed in seeds if seeds is not None else sorted(int(s) for s in points["seed"].unique()):
        curve = points[points["seed"] == seed].sort_values("size")
        if len(curve) < rounds + 1:
            raise ValueError(f"seed {seed}: {rounds} rounds need {rounds + 1} sizes of the curve, "
                             f"it has {len(curve)}")
        steps = curve.head(rounds + 1).to_dict("records")
        for round_, run in enumerate(steps):
            before = steps[round_ - 1]["rows"] if round_ else []
            emit(_round("documents", seed, round_, run, sorted(set(run["rows"]) - set(before)), before,
                        pool_data, seconds_per_sentence))
        for strategy in STRATEGIES:
            chosen, model_dir = list(steps[0]["rows"]), steps[0]["model_dir"]
            rng = np.random.default_rng([seed, 1])
            emit(_round(strategy, seed, 0, steps[0], chosen, [], pool_data, seconds_per_sentence))
            for round_ in range(1, rounds + 1):
                taken = set(chosen)
                pool = [i for i in range(len(pool_data)) if i not in taken]
                scores = (pool_uncertainty(model_dir, [words[i] for i in pool])
                          if strategy == "uncertainty" else None)
                added = choose(strategy, pool, steps[round_]["size"] - len(chosen), rng, scores)
                before, chosen = chosen, chosen + added
                result = train_subset(config, splits, chosen, seed, schedule, f"{strategy}-r{round_}-s{seed}")
                model_dir = result.model_dir
                run = {"size": len(chosen), "dev_f1": result.dev["f1"], "test_f1": result.test["f1"],
                       "test_tags": result.test_tags}
                emit(_round(strategy, seed, round_, run, added, before, pool_data, seconds_per_sentence))
    return pd.DataFrame(out)


def _round(strategy, seed, round_, run: dict, added, before, pool_data, seconds_per_sentence) -> dict:
    """One row of ``simulate``: the run's scores and what the rules save on the batch added."""
    saved = (prelabel_savings(pool_data.select(before), pool_data.select(added), seconds_per_sentence)
             if len(before) else {})
    return {"strategy": strategy, "seed": seed, "round": round_, "labelled": run["size"],
            "dev_f1": run["dev_f1"], "test_f1": run["test_f1"], "test_tags": run["test_tags"],
            "added": list(added), **saved}


def verdict(runs: pd.DataFrame, gold: list[list[str]]) -> pd.DataFrame:
    """Per seed, the last round's uncertainty model against the random one on the same test
    sentences (``evaluate.compare_entity_f1``, a paired bootstrap): one row per seed with the
    difference, its interval, the share of draws uncertainty wins and the verdict."""
    last = runs[runs["round"] == runs["round"].max()]
    rows = []
    for seed, group in last.groupby("seed"):
        by = group.set_index("strategy")
        comparison = compare_entity_f1(gold, by.loc["uncertainty", "test_tags"],
                                       by.loc["random", "test_tags"], names=("uncertainty", "random"))
        rows.append({"seed": seed, "labelled": int(by.loc["random", "labelled"]),
                     "uncertainty": comparison.a, "random": comparison.b,
                     "difference": comparison.difference.value, "low": comparison.difference.low,
                     "high": comparison.difference.high, "uncertainty_wins": comparison.a_wins,
                     "verdict": comparison.verdict})
    return pd.DataFrame(rows)


def plot_strategies(runs: pd.DataFrame, metric: str = "test_f1", ax=None):
    """``metric`` against labelled sentences per strategy: the mean over seeds, error bars
    from the lowest to the highest seed."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for strategy, group in runs.groupby("strategy"):
        stats = group.groupby("labelled")[metric].agg(["mean", "min", "max"])
        ax.errorbar(stats.index, stats["mean"], yerr=[stats["mean"] - stats["min"],
                    stats["max"] - stats["mean"]], marker="o", capsize=4, label=strategy)
    seeds = runs["seed"].nunique()
    ax.set(xlabel="labelled sentences", ylabel=metric.replace("_", " "),
           title=f"{seeds} seed{'s' * (seeds > 1)}: mean, bars from lowest to highest")
    ax.legend()
    return ax

