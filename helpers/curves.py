"""Learning curves and the labelling budget: how many more sentences reach the brief's target,
what they cost, and how sure that estimate is.

* ``nested_subsets``: growing training sets that keep documents whole, each one inside the next;
* ``run_learning_curve``: train on each subset with several seeds and score dev and test
  (``ner.train_ner``, the course's one loop), one row per run;
* ``fit_learning_curve``: the saturating curve ``F1(n) = a - b * n**(-c)`` (an inverse power law)
  through measured points, with its uncertainty from a bootstrap over the seeds;
* ``plan_labels``: labels needed for a target, with an interval, in hours and money from the
  brief's annotation rates, or "not reachable with this model" when the curve levels off below
  the target.

    >>> curve = fit_learning_curve([100, 200, 400, 800, 1600], [0.7, 0.758, 0.8, 0.829, 0.85])
    >>> round(curve.ceiling, 2), round(curve.labels_for(0.85).value, -2)
    (0.9, 1600.0)

The fit is least squares in F1 units (``scipy.optimize.curve_fit``). How well it extrapolates
was measured on CoNLL-2003 (lessons/08_iterate.md).

Imports: ``env`` (the plan's name), ``evaluate``, ``ner``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.env import plan_name
from helpers.evaluate import Interval
from helpers.ner import train_ner

EXTRAPOLATION = 4  # a plan for more than this many times the largest measured size says it guesses


@dataclass(frozen=True)
class Schedule:
    """How each run of a curve trains: up to ``max_epochs`` epochs of at least ``epoch_steps``
    optimizer steps (a small set is ``repeated``), stopping when dev F1 has not improved for
    ``patience`` epochs; the best epoch is kept; ``batch_size`` replaces the config's when set.
    Every size is trained until it stops learning, so the curve measures data, not a step
    budget (lessons/08_iterate.md)."""

    epoch_steps: int = 25
    max_epochs: int = 6
    patience: int = 2
    batch_size: int | None = None


CONVERGED = Schedule()


@dataclass(frozen=True)
class IteratePlan:
    """Notebook 08's experiments for one profile: the learning curve (``sizes`` x ``seeds``,
    each run trained on ``schedule``), active learning (``al_rounds`` rounds on the curve's
    sizes, ``al_seeds``), few-shot classification (``per_class`` x ``fs_seeds``,
    ``setfit_steps``, ``fs_min_steps``)."""

    sizes: tuple[int, ...]
    seeds: tuple[int, ...]
    schedule: Schedule
    al_rounds: int
    al_seeds: tuple[int, ...]
    per_class: tuple[int, ...]
    fs_seeds: tuple[int, ...]
    setfit_steps: int
    fs_min_steps: int


# smoke: the mechanics for CI (three short epochs: not converged, not a plan); cpu: the real
# curve in a few minutes; full: a GPU, three seeds everywhere
PLANS = {
    "smoke": IteratePlan((50, 100, 200, 400), (42,), Schedule(10, 3, 1), 1, (42,), (8, 32), (42,), 4, 6),
    "cpu": IteratePlan((100, 200, 400, 800), (42, 1), Schedule(16, 4, 1, batch_size=16), 1, (42,),
                       (8, 16, 32, 64), (42,), 8, 12),
    "full": IteratePlan((50, 100, 200, 400, 800, 1600), (42, 1, 2), Schedule(25, 8, 2), 5, (42, 1, 2),
                        (8, 16, 32, 64), (42, 1, 2), 40, 80),
    # the full plan's shape (6 sizes, several seeds, 5 active-learning rounds, 4 few-shot sizes),
    # short runs, two seeds where full has three: make rehearse (env.plan_name)
    "rehearsal": IteratePlan((25, 50, 100, 200, 400, 800), (42, 1), Schedule(5, 2, 1), 5, (42, 1),
                             (8, 16, 32, 64), (42,), 2, 5),
}


def plan_for(profile: str, seed: int = 42) -> IteratePlan:
    """The plan of ``profile`` (or of ``$COURSE_PLAN``, ``env.plan_name``) with ``seed``
    (``$COURSE_SEED``) first in every list of seeds.

    >>> plan_for("cpu", seed=7).seeds, plan_for("smoke", seed=7).al_seeds
    ((7, 42), (7,))
    """
    plan = PLANS[plan_name(profile)]

    def first(seeds):
        rest = [s for s in (42, 1, 2, 3) if s != seed]
        return tuple([seed] + rest[:len(seeds) - 1])

    return replace(plan, seeds=first(plan.seeds), al_seeds=first(plan.al_seeds),
                   fs_seeds=first(plan.fs_seeds))


def power_law(n, a: float, b: float, c: float):
    """The inverse power law ``a - b * n**(-c)``: ``a`` is the ceiling, ``c`` how fast it nears.

    >>> float(power_law(100, 0.9, 2.0, 0.5))
    0.7
    """
    return a - b * np.power(np.asarray(n, dtype=float), -c)


def _fit(sizes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Least-squares ``(a, b, c)`` with ``0 <= a <= 1``, ``b >= 0``, ``0.01 <= c <= 3``."""
    import warnings

    from scipy.optimize import OptimizeWarning, curve_fit

    start = (min(1.0, scores.max() + 0.05), max(1e-3, (scores.max() - scores.min()) * sizes.min() ** 0.5),
             0.5)
    with warnings.catch_warnings():  # an exact fit has no covariance; only the parameters are used
        warnings.simplefilter("ignore", OptimizeWarning)
        params, _ = curve_fit(power_law, sizes, scores, p0=start, bounds=([0, 0, 0.01], [1, np.inf, 3]),
                              maxfev=20000)
    return params


@dataclass(frozen=True)
class LabelsNeeded:
    """Labelled sentences the curve needs for ``target``: ``value`` from the fit, ``low``-``high``
    over the bootstrap draws (``inf`` where draws level off below the target); ``reachable`` is
    the share of draws that reach it at all.

    >>> str(LabelsNeeded(0.85, 1600.0, 1200.0, 2500.0, 1.0))
    'about 1,600 sentences (95% CI 1,200-2,500) for F1 0.85'
    """

    target: float
    value: float
    low: float
    high: float
    reachable: float
    level: float = 0.95

    def __str__(self) -> str:
        def count(n):
            return "not reachable" if math.isinf(n) else f"{n:,.0f}"
        if math.isinf(self.value):
            return (f"not reachable with this model: the curve levels off below F1 {self.target:g} "
                    f"({self.reachable:.0%} of the bootstrap draws reach it)")
        return (f"about {count(self.value)} sentences ({self.level:.0%} CI {count(self.low)}-"
                f"{count(self.high)}) for F1 {self.target:g}")


@dataclass
class LearningCurve:
    """A fitted ``power_law`` with its bootstrap draws (one ``(a, b, c)`` row per draw).

    ``predict(n)`` is the fitted F1 at ``n`` labelled sentences, ``predict_interval(n)`` the same
    with the interval over the draws, ``labels_for(target)`` the size at which the curve reaches
    ``target`` (``inf`` when its ceiling ``a`` is below it).
    """

    a: float
    b: float
    c: float
    sizes: np.ndarray  # the distinct sizes the fit saw
    scores: np.ndarray  # their mean scores
    draws: np.ndarray = field(repr=False)
    uncertainty: str = ""  # how the draws were made
    level: float = 0.95

    @property
    def ceiling(self) -> float:
        return self.a

    def ceiling_interval(self) -> Interval:
        low, high = self._tails(self.draws[:, 0])
        return Interval(self.a, low, high, self.level, len(self.draws))

    def predict(self, n):
        value = power_law(n, self.a, self.b, self.c)
        return float(value) if np.ndim(value) == 0 else value

    def predict_interval(self, n: float) -> Interval:
        values = power_law(n, *self.draws.T)
        low, high = self._tails(values)
        return Interval(self.predict(n), low, high, self.level, len(self.draws))

    def labels_for(self, target: float) -> LabelsNeeded:
        value = _size_for(target, self.a, self.b, self.c)
        needed = np.array([_size_for(target, *row) for row in self.draws])
        low, high = self._tails(needed)
        return LabelsNeeded(target, value, low, high, float(np.isfinite(needed).mean()), self.level)

    def _tails(self, values) -> tuple[float, float]:
        tail = (1 - self.level) / 2 * 100
        # "nearest": no interpolation, so draws that never reach a target (inf) give inf, not nan
        low, high = np.percentile(np.asarray(values, dtype=float), [tail, 100 - tail], method="nearest")
        return float(low), float(high)


def _size_for(target: float, a: float, b: float, c: float) -> float:
    """Solve ``a - b n^-c = target`` for ``n`` (at least 1); ``inf`` when ``a <= target``."""
    if a <= target:
        return math.inf
    if b <= 0:
        return 1.0
    return max(1.0, (b / (a - target)) ** (1 / c))


def fit_learning_curve(sizes: Sequence[float], scores: Sequence[float], draws: int = 500,
                       seed: int = 0, level: float = 0.95) -> LearningCurve:
    """Fit ``power_law`` to one score per run (``sizes[i]`` labelled sentences scored
    ``scores[i]``; several runs of a size are several seeds).

    The fit goes through the mean score of each size. Its uncertainty: with two or more runs
    at every size, each draw resamples the runs of each size (a bootstrap over seeds) and refits;
    with one run a size, seed noise cannot be measured, so each draw resamples the fit's
    residuals instead (narrower than the truth: ``uncertainty`` says which was used).
    """
    sizes, scores = np.asarray(sizes, dtype=float), np.asarray(scores, dtype=float)
    if sizes.shape != scores.shape or sizes.ndim != 1:
        raise ValueError(f"sizes and scores should be two flat lists of one length, got shapes "
                         f"{sizes.shape} and {scores.shape}")
    if np.any(sizes <= 0) or not np.all(np.isfinite(scores)):
        raise ValueError("sizes should be positive and scores finite numbers")
    distinct = np.unique(sizes)
    if len(distinct) < 3:
        raise ValueError(f"a curve of three parameters needs at least 3 distinct sizes, got "
                         f"{len(distinct)}: {distinct.tolist()}")
    groups = [scores[sizes == s] for s in distinct]
    means = np.array([g.mean() for g in groups])
    params = _fit(distinct, means)
    rng = np.random.default_rng(seed)
    seeds = min(len(g) for g in groups)
    rows = []
    for _ in range(draws):
        if seeds >= 2:
            sample = np.array([rng.choice(g, len(g)).mean() for g in groups])
        else:
            fitted = power_law(distinct, *params)
            sample = fitted + rng.choice(means - fitted, len(means))
        try:
            rows.append(_fit(distinct, sample))
        except RuntimeError:  # a draw the optimiser cannot fit is left out
            continue
    how = (f"bootstrap over seeds ({seeds}+ runs per size)" if seeds >= 2
           else "bootstrap over residuals (one run per size: seed noise not measured)")
    return LearningCurve(*map(float, params), distinct, means, np.array(rows).reshape(-1, 3),
                         how, level)


# --------------------------------------------------------------------------- the budget
@dataclass(frozen=True)
class LabellingPlan:
    """What the curve means for the labelling budget: sentences to add (``more``, with its
    interval), hours and money at the brief's rates, and the verdict in one sentence."""

    have: int
    needed: LabelsNeeded
    more: tuple[float, float, float]  # value, low, high (0 when met; inf when not reachable)
    hours: tuple[float, float, float]
    cost: tuple[float, float, float]
    budget_sentences: int
    verdict: str


def plan_labels(curve: LearningCurve, target: float, have: int, seconds_per_sentence: float,
                hourly_rate: float, budget_sentences: int) -> LabellingPlan:
    """The labels to add to ``have`` to reach ``target``, and their cost.

    >>> curve = fit_learning_curve([100, 200, 400, 800, 1600], [0.7, 0.758, 0.8, 0.829, 0.85])
    >>> plan = plan_labels(curve, 0.85, have=400, seconds_per_sentence=30, hourly_rate=25,
    ...                    budget_sentences=1500)
    >>> round(plan.more[0], -2), round(plan.cost[0], -1)
    (1200.0, 250.0)
    """
    needed = curve.labels_for(target)
    more = tuple(max(0.0, n - have) for n in (needed.value, needed.low, needed.high))
    hours = tuple(m * seconds_per_sentence / 3600 for m in more)
    cost = tuple(h * hourly_rate for h in hours)
    measured = int(curve.sizes.max())
    if math.isinf(needed.value):
        verdict = (f"change the model or the task: the curve, measured up to {measured:,} sentences, "
                   f"levels off at F1 {curve.ceiling_interval()}, below the target {target:g}, so more "
                   "labels of this kind are not predicted to reach it (measure larger subsets first if "
                   "you doubt the ceiling: it is the least certain part of the fit)")
    elif needed.high <= have:
        verdict = (f"the target {target:g} is met with the {have:,} sentences labelled (the curve "
                   f"reaches it at {needed.value:,.0f}); more labels buy little")
    elif more[0] > budget_sentences:
        verdict = (f"label about {more[0]:,.0f} more sentences, beyond the brief's budget of "
                   f"{budget_sentences:,}: raise the budget or change the model")
    else:
        high = "no upper bound" if math.isinf(more[2]) else f"up to {more[2]:,.0f}"
        verdict = (f"label about {more[0]:,.0f} more sentences ({high}): {hours[0]:.1f} h, "
                   f"${cost[0]:,.0f} at the brief's rates")
    if not math.isinf(needed.value) and needed.value > EXTRAPOLATION * measured:
        verdict += (f" (an extrapolation: {needed.value:,.0f} is more than {EXTRAPOLATION}x the "
                    f"largest subset measured, {measured:,}; a rough guide, not a quote)")
    return LabellingPlan(have, needed, more, hours, cost, budget_sentences, verdict)


# --------------------------------------------------------------------------- the runs
def nested_subsets(doc_ids: Sequence[int], sizes: Sequence[int], seed: int = 0) -> dict[int, list[int]]:
    """Row indices of growing training sets, documents kept whole: the documents are shuffled
    once (by ``seed``) and each set takes whole documents in that order until it holds at least
    ``size`` sentences, so every set contains the smaller ones. A size beyond the data is all.

    >>> subsets = nested_subsets([0, 0, 1, 1, 2, 3], [2, 4], seed=1)
    >>> set(subsets[2]) <= set(subsets[4]), [len(s) for s in subsets.values()]
    (True, [2, 4])
    """
    doc_ids = list(doc_ids)
    rows_of: dict[int, list[int]] = {}
    for row, doc in enumerate(doc_ids):
        rows_of.setdefault(doc, []).append(row)
    order = list(rows_of)
    np.random.default_rng(seed).shuffle(order)
    taken, subsets, docs = [], {}, iter(order)
    for size in sorted(sizes):
        while len(taken) < size:
            doc = next(docs, None)
            if doc is None:
                break
            taken += rows_of[doc]
        subsets[size] = sorted(taken)
    return subsets


def repeats_for(rows: int, batch_size: int, epoch_steps: int) -> int:
    """How many copies of a training set of ``rows`` make an epoch of at least ``epoch_steps``
    optimizer steps: copies rather than more epochs, so that a tiny set is not scored on dev
    after every handful of steps.

    >>> repeats_for(50, 16, 25), repeats_for(2400, 32, 25)
    (8, 1)
    """
    return max(1, math.ceil(epoch_steps * batch_size / rows))


def repeated(dataset, batch_size: int, epoch_steps: int):
    """``dataset`` concatenated ``repeats_for`` times (itself when once is enough)."""
    from datasets import concatenate_datasets

    copies = repeats_for(len(dataset), batch_size, epoch_steps)
    return dataset if copies == 1 else concatenate_datasets([dataset] * copies)


def train_subset(config, splits, rows: list[int], seed: int, schedule: Schedule, name: str):
    """``ner.train_ner`` on those ``rows`` of ``splits["train"]`` with ``schedule``, in
    ``<config.output_dir>/<name>``; the run used by the curve and by active learning."""
    run = replace(config, seed=seed, train_limit=None, epochs=schedule.max_epochs,
                  patience=schedule.patience, batch_size=schedule.batch_size or config.batch_size,
                  output_dir=str(Path(config.output_dir) / name))
    train = repeated(splits["train"].select(rows), run.batch_size, schedule.epoch_steps)
    return train_ner(run, {**splits, "train": train})


def run_learning_curve(config, splits, sizes: Sequence[int], seeds: Sequence[int],
                       schedule: Schedule = CONVERGED, on_run: Callable[[dict], None] | None = None
                       ) -> pd.DataFrame:
    """Train ``config`` (an ``NerConfig``) on ``nested_subsets`` of ``splits["train"]`` for every
    seed and size, each run on ``schedule`` (``train_subset``); one row per run: ``nominal`` and
    ``size`` (sentences really used), ``seed``, ``epochs`` (run), ``dev_f1``, ``test_f1`` (when
    ``splits`` has a test split), ``seconds``, the ``rows`` used, the ``model_dir`` and the
    predicted tags (``dev_tags``, ``test_tags``) for paired comparisons. ``on_run`` sees each row."""
    train = splits["train"]
    doc_ids = train["doc_id"] if "doc_id" in train.column_names else range(len(train))
    rows = []
    for seed in seeds:
        for nominal, indices in nested_subsets(doc_ids, sizes, seed).items():
            started = time.perf_counter()
            result = train_subset(config, splits, indices, seed, schedule, f"n{nominal}-s{seed}")
            row = {"nominal": nominal, "size": len(indices), "seed": seed,
                   "epochs": len(result.history.epochs), "dev_f1": result.dev["f1"],
                   "test_f1": result.test["f1"] if result.test else None,
                   "seconds": time.perf_counter() - started, "rows": indices,
                   "model_dir": result.model_dir, "dev_tags": result.dev_tags,
                   "test_tags": result.test_tags}
            rows.append(row)
            if on_run:
                on_run(row)
    return pd.DataFrame(rows)


def curve_from_runs(points: pd.DataFrame, metric: str = "dev_f1", **options) -> LearningCurve:
    """``fit_learning_curve`` on the rows of ``run_learning_curve``: the runs of one nominal size
    (one per seed; whole documents make their sizes differ a little) share their mean size."""
    sizes = points.groupby("nominal")["size"].transform("mean")
    return fit_learning_curve(sizes, points[metric], **options)


def plot_learning_curve(points: pd.DataFrame, curve: LearningCurve | None = None,
                        target: float | None = None, metric: str = "dev_f1", extend_to: float = 0,
                        ax=None):
    """Mean ``metric`` per size with error bars (min to max over seeds), the fitted curve with
    its 95 % band, and the brief's ``target`` as a dashed line; sizes on a log axis."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(7, 4))[1]
    stats = points.groupby("size")[metric].agg(["mean", "min", "max"])
    ax.errorbar(stats.index, stats["mean"], yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]],
                fmt="o", capsize=4, label=f"measured {metric.replace('_', ' ')} (range over seeds)")
    if curve is not None:
        grid = np.geomspace(stats.index.min(), max(stats.index.max(), extend_to) * 1.5, 100)
        bands = np.array([power_law(grid, *row) for row in curve.draws])
        ax.fill_between(grid, *np.percentile(bands, [2.5, 97.5], axis=0), alpha=0.2,
                        label="95% band (bootstrap)")
        ax.plot(grid, curve.predict(grid), label=f"fit: {curve.a:.3f} - {curve.b:.2f} n^-{curve.c:.2f}")
    if target is not None:
        ax.axhline(target, color="red", linestyle="--", label=f"brief's target {target:g}")
    ax.set(xscale="log", xlabel="labelled training sentences", ylabel="strict entity F1")
    ax.legend(fontsize=8, loc="lower right")
    return ax
