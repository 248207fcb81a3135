"""Exercises of notebook 00 (setup): training time from a measured speed, IOB2 label count.

Imports: no helpers module outside this package.
"""

from __future__ import annotations

from typing import Any

from helpers.exercises.core import close_enough, register

# The question: 3 epochs over CoNLL-2003's 14,041 training sentences.
SENTENCES, EPOCHS = 14041, 3


def solve_epoch_minutes(samples_per_second):
    minutes = 14041 * 3 / samples_per_second / 60  # sentences x epochs / speed, in minutes
    return minutes


@register(
    "00.epoch_minutes",
    reference=solve_epoch_minutes,
    example={"samples_per_second": 250.0},
    wrong=[lambda samples_per_second: 14041 * 3 / samples_per_second,  # seconds
           lambda samples_per_second: 14041 / samples_per_second / 60,  # one epoch
           lambda samples_per_second: "about 3 minutes"],
)
def check_epoch_minutes(answer: Any, samples_per_second: float) -> str | None:
    """3 epochs over CoNLL-2003's 14,041 training sentences: how many minutes?"""
    expected = solve_epoch_minutes(samples_per_second)
    if not isinstance(answer, (int, float)):
        return f"expected a number of minutes, got {type(answer).__name__}"
    if close_enough(answer, expected):
        return None
    if close_enough(answer, expected * 60):
        return "that is in seconds; divide by 60 for minutes"
    if close_enough(answer, expected / EPOCHS):
        return f"that is one epoch; the question asks for {EPOCHS}"
    if close_enough(answer, samples_per_second * SENTENCES * EPOCHS / 60):
        return "time = samples ÷ (samples per second), not samples × speed"
    return "not quite: work out sentences × epochs ÷ samples_per_second, then ÷ 60"


def solve_iob2_labels(n_types):
    n_labels = 2 * n_types + 1  # B- and I- for each entity type, plus O
    return n_labels


@register(
    "00.iob2_labels",
    reference=solve_iob2_labels,
    example={"n_types": 5},
    wrong=[lambda n_types: 2 * n_types, lambda n_types: n_types + 1, lambda n_types: n_types],
)
def check_iob2_labels(answer: Any, n_types: int = 5) -> str | None:
    """How many labels does the IOB2 scheme need for ``n_types`` entity types?"""
    if answer == solve_iob2_labels(n_types):
        return None
    if answer == 2 * n_types:
        return "close: you have B- and I- for each type, but tokens outside entities need O"
    if answer == n_types + 1:
        return "IOB2 marks the Beginning and the Inside of each entity: two tags per type"
    if answer == n_types:
        return "each type needs a B- and an I- tag, and there is also O"
    return f"expected a whole number; count B-X and I-X for each of {n_types} types, plus O"
