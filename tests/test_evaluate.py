"""helpers/evaluate.py: entity scores on hand-computed cases."""

import numpy as np
import pytest

from helpers.evaluate import (
    Comparison,
    Interval,
    accuracy_interval,
    binary_f1_interval,
    bootstrap_interval,
    compare_accuracy,
    compare_entity_f1,
    entity_counts,
    entity_f1_interval,
    entity_scores,
    paired_bootstrap,
)


def test_strict_and_lenient_differ_on_an_i_start():
    gold = [["B-TIME", "I-TIME", "O"]]
    pred = [["I-TIME", "I-TIME", "O"]]  # starts with I-: not a valid IOB2 entity
    assert entity_scores(gold, pred, mode="strict").loc["overall", "f1"] == 0.0
    assert entity_scores(gold, pred, mode="lenient").loc["overall", "f1"] == 1.0


def test_per_type_rows_and_support():
    gold = [["B-DOSAGE", "I-DOSAGE", "B-MEDICATION", "O"], ["B-TIME", "O"]]
    pred = [["B-DOSAGE", "I-DOSAGE", "O", "O"], ["B-TIME", "B-TIME"]]
    table = entity_scores(gold, pred)
    assert table.loc["DOSAGE", "f1"] == 1.0 and table.loc["MEDICATION", "recall"] == 0.0
    assert table.loc["TIME", "precision"] == 0.5 and table.loc["overall", "support"] == 3
    # overall: 3 predicted (DOSAGE, TIME, TIME), 3 gold, 2 correct
    assert table.loc["overall", "precision"] == pytest.approx(2 / 3)
    assert table.loc["overall", "recall"] == pytest.approx(2 / 3)


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="same tag counts"):
        entity_scores([["O", "O"]], [["O"]])


def test_token_report_counts_o_and_flatters():
    from helpers.evaluate import three_views, token_report

    gold = [["O"] * 8 + ["B-TIME", "I-TIME"]]
    pred = [["O"] * 8 + ["B-TIME", "O"]]  # half the entity: wrong under strict scoring
    report = token_report(gold, pred)
    assert report.loc["O", "support"] == 8 and report.loc["O", "recall"] == 1.0
    views = three_views(gold, pred)
    assert views.loc["strict entity (seqeval, IOB2)", "f1"] == 0.0
    assert views.loc["token-level incl. O (articles)", "f1"] > 0.8


def test_token_confusion_merges_b_and_i():
    from helpers.evaluate import token_confusion

    matrix = token_confusion([["B-TIME", "I-TIME", "O"]], [["B-TIME", "O", "B-DOSAGE"]])
    assert matrix.loc["TIME", "TIME"] == 1 and matrix.loc["TIME", "O"] == 1
    assert matrix.loc["O", "DOSAGE"] == 1 and list(matrix.index)[-1] == "O"


def test_error_analysis_buckets_every_error():
    from helpers.evaluate import error_analysis

    gold = [["B-SYMPTOM", "I-SYMPTOM", "O", "B-TIME", "O", "B-DOSAGE"],
            ["B-MEDICATION", "O"], ["B-TIME", "I-TIME"]]
    pred = [["B-SYMPTOM", "O", "O", "B-DOSAGE", "B-TIME", "O"],
            ["O", "B-SYMPTOM"], ["B-SYMPTOM", "O"]]
    tokens = [list("abcdef"), list("gh"), list("ij")]
    errors = error_analysis(gold, pred, tokens)
    assert list(errors["error"]) == ["boundary", "type", "missed", "spurious", "missed",
                                     "spurious", "boundary+type"]
    assert errors.iloc[0]["gold"] == "[a b|SYMPTOM]" and errors.iloc[0]["predicted"] == "[a|SYMPTOM]"
    assert error_analysis(gold, gold, tokens).empty


def test_plot_confusion_draws(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from helpers.evaluate import plot_confusion, token_confusion

    ax = plot_confusion(token_confusion([["B-TIME", "O"]], [["B-TIME", "B-TIME"]]))
    ax.figure.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 0


# ------------------------------------------------------------------ intervals


def test_two_items_one_right_span_the_whole_range():
    # resampling two items, one right and one wrong: accuracy 0, 0.5 or 1 with chances
    # 1/4, 1/2, 1/4, so the 95 % interval is [0, 1] and the point value is 0.5
    interval = accuracy_interval([1, 0], [1, 1], draws=4000)
    assert (interval.value, interval.low, interval.high) == (0.5, 0.0, 1.0)


def test_accuracy_interval_width_matches_the_normal_approximation():
    labels = np.ones(400, dtype=int)
    predicted = np.r_[np.ones(320, dtype=int), np.zeros(80, dtype=int)]  # accuracy 0.8
    interval = accuracy_interval(labels, predicted, draws=2000, seed=3)
    assert interval.value == 0.8
    expected = 2 * 1.96 * np.sqrt(0.8 * 0.2 / 400)  # 0.078
    assert abs((interval.high - interval.low) - expected) < 0.012
    assert interval.low < 0.8 < interval.high


def test_entity_interval_point_value_is_the_strict_f1():
    gold = [["B-DOSAGE", "I-DOSAGE", "B-MEDICATION", "O"], ["B-TIME", "O"], ["I-TIME", "O"]]
    pred = [["B-DOSAGE", "I-DOSAGE", "O", "O"], ["B-TIME", "B-TIME"], ["I-TIME", "O"]]
    # an I- start is no strict IOB2 entity, in gold or predictions
    assert entity_counts(gold, pred).tolist() == [[1, 1, 2], [1, 2, 1], [0, 0, 0]]
    interval = entity_f1_interval(gold, pred)
    assert interval.value == pytest.approx(entity_scores(gold, pred).loc["overall", "f1"])
    assert interval.low <= interval.value <= interval.high


def test_same_seed_same_interval_and_bad_counts_are_refused():
    gold = [[1]] * 30 + [[0]] * 10
    first = bootstrap_interval(gold, lambda s: s[..., 0] / 40, seed=5)
    assert first == bootstrap_interval(gold, lambda s: s[..., 0] / 40, seed=5)
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_interval([], lambda s: s)


@pytest.mark.parametrize("interval, verdict", [
    (Interval(0.90, 0.86, 0.93), "meets the target 0.85"),
    (Interval(0.80, 0.76, 0.84), "misses the target 0.85"),
    (Interval(0.86, 0.82, 0.89), "cannot be told apart from the target 0.85"),
])
def test_verdict_against_the_target(interval, verdict):
    assert interval.verdict(0.85) == verdict


def test_binary_f1_is_sklearns_f1_of_the_positive_class():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300)
    predicted = np.where(rng.random(300) < 0.8, labels, 1 - labels)  # about 80 % right
    interval = binary_f1_interval(labels, predicted)
    assert interval.value == pytest.approx(f1_score(labels, predicted))
    assert interval.low < interval.value < interval.high


# ------------------------------------------------------------------ paired comparisons
SENTENCES = [["B-TIME", "I-TIME", "O", "B-DOSAGE"], ["O", "B-MEDICATION"]] * 30


def test_identical_predictions_differ_by_exactly_nothing():
    comparison = compare_entity_f1(SENTENCES, SENTENCES, SENTENCES)
    assert comparison.difference.value == 0.0
    assert (comparison.difference.low, comparison.difference.high) == (0.0, 0.0)
    assert comparison.a_wins == 0.0 and comparison.verdict == "cannot tell apart"


def test_a_perfect_model_beats_one_that_finds_nothing():
    nothing = [["O"] * len(s) for s in SENTENCES]
    comparison = compare_entity_f1(SENTENCES, SENTENCES, nothing, names=("A", "B"))
    assert (comparison.a, comparison.b, comparison.a_wins) == (1.0, 0.0, 1.0)
    assert comparison.verdict == "A is better"
    assert compare_entity_f1(SENTENCES, nothing, SENTENCES).verdict == "B is better"


def test_pairing_tells_apart_what_separate_intervals_cannot():
    # 200 texts: both right on 150, both wrong on 40, only A right on 10. Accuracy 0.80 against
    # 0.75: each alone is +-0.06, so the intervals overlap; but every draw's difference is
    # (how many of the 10 it drew) / 200, never below 0, and 0 only if it drew none of them.
    labels = np.ones(200, dtype=int)
    pred_a = np.r_[np.ones(160, dtype=int), np.zeros(40, dtype=int)]
    pred_b = np.r_[np.ones(150, dtype=int), np.zeros(50, dtype=int)]
    alone_a, alone_b = accuracy_interval(labels, pred_a), accuracy_interval(labels, pred_b)
    assert (alone_a.value, alone_b.value) == (0.8, 0.75)
    assert alone_a.low <= alone_b.high  # the unpaired intervals overlap
    comparison = compare_accuracy(labels, pred_a, pred_b, names=("A", "B"))
    assert comparison.difference.value == pytest.approx(0.05)
    assert 0 < comparison.difference.low < 0.05 < comparison.difference.high
    assert comparison.verdict == "A is better" and comparison.a_wins == 1.0


def test_a_comparison_reads_as_a_sentence():
    comparison = Comparison(("retrained", "shipped"), 0.874, 0.862,
                            Interval(0.012, -0.004, 0.028), 0.931)
    assert str(comparison) == ("retrained − shipped = +0.012 (95% CI -0.004 to +0.028); "
                               "retrained wins 93% of draws: cannot tell apart")
    assert Comparison(("x", "y"), 0.5, 0.7, Interval(-0.2, -0.3, -0.1), 0.0).verdict == "y is better"


def test_different_test_sets_cannot_be_paired():
    with pytest.raises(ValueError, match="same items"):
        paired_bootstrap([[1], [0], [1]], [[1], [0]], lambda s: s[..., 0])
    with pytest.raises(ValueError, match="labels but"):
        compare_accuracy([1, 0, 1], [1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="gold sentences"):
        compare_entity_f1(SENTENCES, SENTENCES, SENTENCES[:-1])


def test_same_seed_same_comparison():
    rng = np.random.default_rng(1)
    labels, pred_a, pred_b = rng.integers(0, 2, (3, 120))
    first = compare_accuracy(labels, pred_a, pred_b, seed=4)
    assert first == compare_accuracy(labels, pred_a, pred_b, seed=4)
    assert first.difference != compare_accuracy(labels, pred_a, pred_b, seed=5).difference
    assert first.a == accuracy_interval(labels, pred_a).value
