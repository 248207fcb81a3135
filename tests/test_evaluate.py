"""helpers/evaluate.py: entity scores on hand-computed cases."""

import pytest

from helpers.evaluate import entity_scores


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
