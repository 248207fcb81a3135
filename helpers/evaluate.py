"""Evaluation: entity-level scores with seqeval (strict IOB2 by default), and how sure a
score is (bootstrap confidence intervals, and a verdict against the brief's target), and
whether one model beats another on the same test set (paired bootstrap comparisons: both
models scored on the same resampled items in every draw).

Entity-level means an entity counts as found only if its type *and* both boundaries match;
``mode="lenient"`` is seqeval's default (CoNLL-script-like) matching.

    >>> float(entity_scores([["B-DOSAGE", "I-DOSAGE", "O"]], [["B-DOSAGE", "O", "O"]]).loc["overall", "f1"])
    0.0

Imports: ``tagging``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.tagging import entity_spans


def entity_scores(gold: list[list[str]], pred: list[list[str]], mode: str = "strict"
                  ) -> pd.DataFrame:
    """Precision, recall, F1 and support per entity type plus an ``overall`` (micro) row."""
    if len(gold) != len(pred) or any(len(g) != len(p) for g, p in zip(gold, pred)):
        raise ValueError("gold and pred need the same sentences and the same tag counts")
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    report = classification_report(gold, pred, output_dict=True, zero_division=0, **kwargs)
    rows = {k: v for k, v in report.items() if not k.endswith("avg")}
    rows["overall"] = report["micro avg"]
    table = pd.DataFrame(rows).T[["precision", "recall", "f1-score", "support"]]
    table = table.rename(columns={"f1-score": "f1"})
    table["support"] = table["support"].astype(int)
    return table


# --------------------------------------------------------------------------- how sure
@dataclass(frozen=True)
class Interval:
    """A score on a test set with its bootstrap confidence interval.

    >>> Interval(0.84, 0.80, 0.88).verdict(0.85)
    'cannot be told apart from the target 0.85'
    >>> str(Interval(0.84, 0.80, 0.88))
    '0.840 (95% CI 0.800-0.880)'
    """

    value: float
    low: float
    high: float
    level: float = 0.95
    draws: int = 1000

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.level:.0%} CI {self.low:.3f}-{self.high:.3f})"

    def verdict(self, target: float) -> str:
        """Whether the score meets ``target``: only when the whole interval is at or above it;
        misses it when the whole interval is below; otherwise the test set is too small to
        tell the two apart."""
        if self.low >= target:
            return f"meets the target {target:g}"
        if self.high < target:
            return f"misses the target {target:g}"
        return f"cannot be told apart from the target {target:g}"


def bootstrap_interval(counts, statistic: Callable[[np.ndarray], np.ndarray],
                       draws: int = 1000, level: float = 0.95, seed: int = 0) -> Interval:
    """Percentile bootstrap over the *items* of a test set (sentences, texts).

    ``counts`` has one row per item with what the metric adds up (e.g. ``[correct]`` for
    accuracy, ``[true positives, predicted, gold]`` for F1); ``statistic`` maps summed rows
    (an array of shape ``(..., columns)``) to the metric. Each draw resamples the items with
    replacement, so sentences of one test set stay whole.

    >>> bootstrap_interval([[1], [1], [1]], lambda s: s[..., 0] / 3).low
    1.0
    """
    counts = _table(counts)
    rows = _draws(len(counts), draws, seed)
    low, high = _percentiles(statistic(counts[rows].sum(axis=1)), level)
    return Interval(float(statistic(counts.sum(axis=0))), low, high, level, draws)


def _table(counts) -> np.ndarray:
    """``counts`` as a float (items, columns) array; a clear error for anything else."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 2 or len(counts) == 0:
        raise ValueError(f"counts should be a non-empty (items, columns) table, got shape "
                         f"{counts.shape}")
    return counts


def _draws(items: int, draws: int, seed: int) -> np.ndarray:
    """The resampled item indices, one row per draw (the same for a given seed)."""
    return np.random.default_rng(seed).integers(0, items, size=(draws, items))


def _percentiles(scores: np.ndarray, level: float) -> tuple[float, float]:
    """The percentile interval holding the middle ``level`` of ``scores``."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(scores, [tail, 100 - tail])
    return float(low), float(high)


def _f1(sums: np.ndarray) -> np.ndarray:
    """F1 from summed ``[true positives, predicted, gold]``: 2 TP / (predicted + gold)."""
    found = sums[..., 1] + sums[..., 2]
    return np.divide(2 * sums[..., 0], found, out=np.zeros_like(found, dtype=float),
                     where=found > 0)


def entity_counts(gold: list[list[str]], pred: list[list[str]]) -> np.ndarray:
    """Per sentence: strict IOB2 entities found exactly, predicted, and in gold.

    >>> entity_counts([["B-TIME", "I-TIME", "B-DOSAGE"]], [["B-TIME", "O", "B-DOSAGE"]]).tolist()
    [[1, 2, 2]]
    """
    from seqeval.scheme import IOB2, Entities

    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted")

    def spans(tags):
        return [{e.to_tuple() for e in sentence}
                for sentence in Entities(tags, IOB2, suffix=False).entities]

    return np.array([[len(g & p), len(p), len(g)] for g, p in zip(spans(gold), spans(pred))],
                    dtype=int).reshape(-1, 3)


def entity_f1_interval(gold: list[list[str]], pred: list[list[str]], **options) -> Interval:
    """Strict entity F1 (the same number as ``entity_scores``' overall row) with a bootstrap
    interval over sentences. ``options`` go to ``bootstrap_interval``."""
    return bootstrap_interval(entity_counts(gold, pred), _f1, **options)


def accuracy_interval(labels, predicted, **options) -> Interval:
    """Accuracy with a bootstrap interval over texts.

    >>> str(accuracy_interval([1, 0, 1, 1], [1, 0, 1, 1]))
    '1.000 (95% CI 1.000-1.000)'
    """
    return bootstrap_interval(_accuracy_counts(labels, predicted), _share, **options)


def _accuracy_counts(labels, predicted) -> np.ndarray:
    """Per text: ``[correct, 1]`` (the second column counts the texts of a draw)."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if labels.shape != predicted.shape:
        raise ValueError(f"{len(labels)} labels but {len(predicted)} predictions")
    return np.stack([labels == predicted, np.ones(len(labels), dtype=bool)], axis=1).astype(int)


def _share(sums: np.ndarray) -> np.ndarray:
    """Accuracy from summed ``[correct, texts]``."""
    return sums[..., 0] / sums[..., 1]


def binary_f1_interval(labels, predicted, **options) -> Interval:
    """F1 of the positive class (1) with a bootstrap interval over texts; per text the counts
    are ``[true positive, predicted positive, actually positive]``.

    >>> round(binary_f1_interval([1, 0, 1, 1], [1, 1, 0, 1]).value, 3)  # 2 TP, 3 predicted, 3 gold
    0.667
    """
    labels, predicted = np.asarray(labels) == 1, np.asarray(predicted) == 1
    if labels.shape != predicted.shape:
        raise ValueError(f"{len(labels)} labels but {len(predicted)} predictions")
    counts = np.stack([labels & predicted, predicted, labels], axis=1).astype(int)
    return bootstrap_interval(counts, _f1, **options)


# --------------------------------------------------------------------------- A against B
@dataclass(frozen=True)
class Comparison:
    """Two models scored on the same test items: each one's score on the whole set (``a``,
    ``b``), the difference A − B with its paired bootstrap interval, and the share of draws
    in which A scored higher than B.

    >>> c = Comparison(("retrained", "shipped"), 0.874, 0.862, Interval(0.012, -0.004, 0.028), 0.93)
    >>> c.verdict
    'cannot tell apart'
    >>> print(c)
    retrained − shipped = +0.012 (95% CI -0.004 to +0.028); retrained wins 93% of draws: cannot tell apart
    """

    names: tuple[str, str]
    a: float
    b: float
    difference: Interval
    a_wins: float

    @property
    def verdict(self) -> str:
        """Which model is better: only when the whole interval of the difference is on one
        side of 0; when it covers 0, this test set cannot tell the two apart."""
        if self.difference.low > 0:
            return f"{self.names[0]} is better"
        if self.difference.high < 0:
            return f"{self.names[1]} is better"
        return "cannot tell apart"

    def __str__(self) -> str:
        d, (a, b) = self.difference, self.names
        return (f"{a} − {b} = {d.value:+.3f} ({d.level:.0%} CI {d.low:+.3f} to {d.high:+.3f}); "
                f"{a} wins {self.a_wins:.0%} of draws: {self.verdict}")


def paired_bootstrap(counts_a, counts_b, statistic: Callable[[np.ndarray], np.ndarray],
                     draws: int = 1000, level: float = 0.95, seed: int = 0,
                     names: tuple[str, str] = ("A", "B")) -> Comparison:
    """Paired percentile bootstrap of the difference A − B on one test set.

    ``counts_a`` and ``counts_b`` are per-item count tables as ``bootstrap_interval`` takes,
    row ``i`` of both for the same item. Each draw resamples the item indices once and scores
    *both* models on those items, so what the two get right together cancels out: a paired
    test can tell apart two models whose separate intervals overlap.

    >>> c = paired_bootstrap([[1], [1], [0]], [[1], [0], [0]], lambda s: s[..., 0] / 3)
    >>> round(c.a - c.b, 3), c.difference.low >= 0, c.names
    (0.333, True, ('A', 'B'))
    """
    counts_a, counts_b = _table(counts_a), _table(counts_b)
    if counts_a.shape != counts_b.shape:
        raise ValueError(f"a paired comparison needs both models scored on the same items: "
                         f"{names[0]} has {len(counts_a)}, {names[1]} {len(counts_b)} "
                         f"(count tables of shape {counts_a.shape} and {counts_b.shape})")
    rows = _draws(len(counts_a), draws, seed)
    score_a, score_b = statistic(counts_a[rows].sum(axis=1)), statistic(counts_b[rows].sum(axis=1))
    a, b = float(statistic(counts_a.sum(axis=0))), float(statistic(counts_b.sum(axis=0)))
    low, high = _percentiles(score_a - score_b, level)
    return Comparison(tuple(names), a, b, Interval(a - b, low, high, level, draws),
                      float(np.mean(score_a > score_b)))


def compare_entity_f1(gold: list[list[str]], pred_a: list[list[str]], pred_b: list[list[str]],
                      names: tuple[str, str] = ("A", "B"), **options) -> Comparison:
    """Strict IOB2 entity F1 of two models' tags for the same ``gold`` sentences, compared
    with a paired bootstrap over sentences. ``options`` go to ``paired_bootstrap``.

    >>> gold = [["B-TIME", "O"], ["B-DOSAGE", "I-DOSAGE"]]
    >>> compare_entity_f1(gold, gold, gold).verdict
    'cannot tell apart'
    """
    return paired_bootstrap(entity_counts(gold, pred_a), entity_counts(gold, pred_b), _f1,
                            names=names, **options)


def compare_accuracy(labels, pred_a, pred_b, names: tuple[str, str] = ("A", "B"), **options
                     ) -> Comparison:
    """Accuracy of two models' predictions for the same texts, compared with a paired
    bootstrap over texts. ``options`` go to ``paired_bootstrap``.

    >>> compare_accuracy([1, 0, 1, 1], [1, 0, 1, 1], [0, 1, 0, 0]).a_wins
    1.0
    """
    return paired_bootstrap(_accuracy_counts(labels, pred_a), _accuracy_counts(labels, pred_b),
                            _share, names=names, **options)


def token_report(gold: list[list[str]], pred: list[list[str]]) -> pd.DataFrame:
    """The source articles' report: per *token* tag, O included (sklearn). Shown to explain why
    its "F1" flatters: most tokens are O, and a half-found entity still earns token credit."""
    from sklearn.metrics import classification_report as token_classification_report

    flat_gold = [t for sent in gold for t in sent]
    flat_pred = [t for sent in pred for t in sent]
    report = token_classification_report(flat_gold, flat_pred, output_dict=True, zero_division=0)
    table = pd.DataFrame({k: v for k, v in report.items() if k != "accuracy"}).T
    table = table.rename(columns={"f1-score": "f1"})
    table["support"] = table["support"].astype(int)
    return table


def three_views(gold: list[list[str]], pred: list[list[str]]) -> pd.DataFrame:
    """Strict entity F1, lenient entity F1 and the articles' token-level "F1" side by side."""
    strict = entity_scores(gold, pred, "strict").loc["overall"]
    lenient = entity_scores(gold, pred, "lenient").loc["overall"]
    tokens = token_report(gold, pred)
    return pd.DataFrame({
        "strict entity (seqeval, IOB2)": strict[["precision", "recall", "f1"]],
        "lenient entity (seqeval default)": lenient[["precision", "recall", "f1"]],
        "token-level incl. O (articles)": tokens.loc["weighted avg", ["precision", "recall", "f1"]],
    }).T


def token_confusion(gold: list[list[str]], pred: list[list[str]], by_type: bool = True
                    ) -> pd.DataFrame:
    """Token confusion counts (rows gold, columns predicted); ``by_type`` merges B-/I-."""
    from sklearn.metrics import confusion_matrix

    def strip(tag):
        return tag[2:] if by_type and tag != "O" else tag

    flat_gold = [strip(t) for sent in gold for t in sent]
    flat_pred = [strip(t) for sent in pred for t in sent]
    labels = sorted(set(flat_gold) | set(flat_pred), key=lambda t: (t == "O", t))
    return pd.DataFrame(confusion_matrix(flat_gold, flat_pred, labels=labels),
                        index=pd.Index(labels, name="gold"), columns=pd.Index(labels, name="predicted"))


def plot_confusion(matrix: pd.DataFrame, ax=None, normalise: bool = True):
    """Heat map of ``token_confusion``; rows normalised to recall by default."""
    import matplotlib.pyplot as plt

    values = matrix.div(matrix.sum(axis=1), axis=0).fillna(0) if normalise else matrix
    ax = ax or plt.subplots(figsize=(5, 4))[1]
    image = ax.imshow(values.to_numpy(), cmap="Blues", vmin=0)
    ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(matrix.index)), matrix.index)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for (i, j), v in pd.DataFrame(values.to_numpy()).stack().items():
        ax.text(j, i, f"{v:.2f}" if normalise else int(v), ha="center", va="center",
                color="white" if v > values.to_numpy().max() / 2 else "black", fontsize=8)
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_intervals(intervals: dict[str, Interval], target: float | None = None,
                   xlabel: str = "strict entity F1 (95% bootstrap interval)", ax=None):
    """One row per named score: its value and bootstrap interval, with the brief's ``target``
    as a dashed line (when given)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 0.5 + 0.65 * len(intervals)))[1]
    for row, i in enumerate(intervals.values()):
        ax.errorbar(i.value, row, xerr=[[i.value - i.low], [i.high - i.value]], fmt="o", capsize=4)
    if target is not None:
        ax.axvline(target, color="red", linestyle="--", label=f"brief's target {target:g}")
        ax.legend(loc="lower left", fontsize=8)
    ax.set(yticks=range(len(intervals)), yticklabels=list(intervals), xlabel=xlabel)
    return ax


ERROR_KINDS = ("boundary", "type", "boundary+type", "missed", "spurious")


def error_analysis(gold: list[list[str]], pred: list[list[str]], tokens: list[list[str]]
                   ) -> pd.DataFrame:
    """Every entity error, sorted into a bucket (the view of the NLP-with-Transformers book,
    made exhaustive):

    * ``boundary``: same type, overlapping span, different edges;
    * ``type``: same span, other type; ``boundary+type``: overlapping, both differ;
    * ``missed``: a gold entity no prediction overlaps; ``spurious``: a prediction no gold
      entity overlaps.

    One row per error with the sentence index, the gold and predicted spans and the text.
    """
    rows = []
    for index, (g_tags, p_tags, words) in enumerate(zip(gold, pred, tokens)):
        g_spans, p_spans = set(entity_spans(g_tags)), set(entity_spans(p_tags))
        exact = g_spans & p_spans
        used = set()

        def text(span, words=words):
            return " ".join(words[span[1]:span[2]])

        for g in sorted(g_spans - exact, key=lambda s: s[1]):
            overlapping = [p for p in p_spans - exact if p[1] < g[2] and g[1] < p[2]]
            if not overlapping:
                rows.append((index, "missed", g, None))
                continue
            for p in overlapping:
                used.add(p)
                same_edges, same_type = (p[1], p[2]) == (g[1], g[2]), p[0] == g[0]
                kind = "type" if same_edges else ("boundary" if same_type else "boundary+type")
                rows.append((index, kind, g, p))
        for p in sorted(p_spans - exact - used, key=lambda s: s[1]):
            rows.append((index, "spurious", None, p))
    return pd.DataFrame([{
        "sentence": i, "error": kind,
        "gold": f"[{' '.join(tokens[i][g[1]:g[2]])}|{g[0]}]" if g else "",
        "predicted": f"[{' '.join(tokens[i][p[1]:p[2]])}|{p[0]}]" if p else "",
        "text": " ".join(tokens[i])} for i, kind, g, p in rows],
        columns=["sentence", "error", "gold", "predicted", "text"])
