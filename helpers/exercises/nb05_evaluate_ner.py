"""Exercises of notebook 05 (evaluation): strict entity F1 by hand, naming error kinds.

The F1 check scores with the course's strict entity F1 (``helpers.annotate.entity_agreement``,
seqeval in strict IOB2 mode); the error kinds are those of ``helpers.evaluate.error_analysis``.

Imports: ``annotate`` (strict entity F1).
"""

from __future__ import annotations

from typing import Any

from helpers import annotate
from helpers.exercises.core import close_enough, register


def solve_strict_f1(gold, pred):
    # Gold has 2 entities, the prediction 2; only [ibuprofen|MEDICATION] matches exactly
    # (the predicted [400|DOSAGE] leaves out "mg"):
    precision, recall = 1 / 2, 1 / 2
    f1 = 2 * precision * recall / (precision + recall)
    return f1


@register(
    "05.strict_f1",
    reference=solve_strict_f1,
    example={"gold": [["B-DOSAGE", "I-DOSAGE", "B-MEDICATION"]],
             "pred": [["B-DOSAGE", "O", "B-MEDICATION"]]},
    wrong=[lambda gold, pred: 2 / 3, lambda gold, pred: 1.0, lambda gold, pred: 50],
)
def check_strict_f1(answer: Any, gold: list, pred: list) -> str | None:
    """Strict entity F1 of a prediction, by hand."""
    expected = annotate.entity_agreement(gold, pred)
    if not isinstance(answer, (int, float)):
        return "expected a number between 0 and 1"
    if close_enough(answer, expected, 0.01):
        return None
    if close_enough(answer, 100 * expected, 0.01):
        return "that is a percentage; give F1 between 0 and 1"
    tokens_right = sum(g == p for gs, ps in zip(gold, pred) for g, p in zip(gs, ps))
    if close_enough(answer, tokens_right / sum(map(len, gold)), 0.01):
        return "that is token accuracy; strict F1 counts whole entities with exact edges"
    return "count entities: precision = exact matches / predicted, recall = exact matches / gold"


# The four cases of the notebook, in the log "sharp pain in bed this morning after Advil".
ERROR_CASES = ["gold [sharp pain|SYMPTOM], predicted [pain|SYMPTOM]: same type, other edges",
               "gold [Advil|MEDICATION], predicted [Advil|SYMPTOM]: same edges, other type",
               "gold [this morning|TIME], nothing predicted there",
               "predicted [bed|BODY_PART] where gold has no entity"]


def solve_error_kind():
    kinds = ["boundary",  # [sharp pain] -> [pain]: same type, other edges
             "type",      # [Advil|MEDICATION] -> [Advil|SYMPTOM]: same edges, other type
             "missed",    # [this morning|TIME]: no prediction there
             "spurious"]  # [bed|BODY_PART]: no gold entity there
    return kinds


@register(
    "05.error_kind",
    reference=solve_error_kind,
    wrong=[lambda: ["type", "boundary", "missed", "spurious"],
           lambda: ["boundary", "type", "spurious", "missed"], lambda: "boundary"],
)
def check_error_kind(answer: Any) -> str | None:
    """Bucket four predictions (see the notebook) into boundary / type / missed / spurious."""
    if not isinstance(answer, list) or len(answer) != len(ERROR_CASES):
        return "expected a list of four kinds, one per case"
    for i, (got, want) in enumerate(zip(answer, solve_error_kind())):
        if got != want:
            return f"case {i + 1}: {ERROR_CASES[i]}, so {want!r}, not {got!r}"
    return None
