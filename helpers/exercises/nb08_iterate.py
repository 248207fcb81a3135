"""Exercises of notebook 08 (iterate): read a learning curve and decide, and price the labels
it asks for.

A fitted curve ``F1(n) = a - b * n**(-c)`` levels off at ``a``: a target above ``a`` is not
reachable by labelling more of the same data with the same model. Below it, the curve reaches
the target at ``n = (b / (a - target)) ** (1 / c)`` labelled sentences; what is missing is that
minus the sentences already labelled, and its cost is the annotation time at the hourly rate.

Imports: no helpers module outside this package.
"""

from __future__ import annotations

from typing import Any

from helpers.exercises.core import close_enough, register

DECISIONS = ("label more", "change the model", "ship")
EXAMPLE_CURVE = {"a": 0.91, "b": 2.4, "c": 0.5, "target": 0.85, "have": 800}


def _needed(a: float, b: float, c: float, target: float) -> float:
    return float("inf") if a <= target else (b / (a - target)) ** (1 / c)


def solve_read_curve(a, b, c, target, have):
    # the ceiling a first: is it above the target? then, where does the curve cross it?
    needed = (b / (a - target)) ** (1 / c) if a > target else float("inf")
    decision = "change the model" if a <= target else ("ship" if needed <= have else "label more")
    return decision


@register(
    "08.read_curve",
    reference=solve_read_curve,
    example=EXAMPLE_CURVE,
    wrong=[lambda a, b, c, target, have: "ship",
           lambda a, b, c, target, have: "change the model",
           lambda a, b, c, target, have: 1600],
)
def check_read_curve(answer: Any, a: float, b: float, c: float, target: float, have: int
                     ) -> str | None:
    """One of ``DECISIONS`` for a curve, the brief's target and the sentences labelled."""
    expected = solve_read_curve(a, b, c, target, have)
    if answer == expected:
        return None
    if answer not in DECISIONS:
        return f"answer with one of {', '.join(repr(d) for d in DECISIONS)}"
    needed = _needed(a, b, c, target)
    if expected == "change the model":
        return (f"the curve levels off at a = {a:g}, below the target {target:g}: no number of "
                "labels of this kind reaches it")
    if answer == "change the model":
        return (f"the ceiling a = {a:g} is above the target {target:g}, so more labels do reach it "
                f"(at about {needed:,.0f} sentences)")
    if expected == "label more":
        return (f"the curve reaches {target:g} at about {needed:,.0f} sentences and you have "
                f"{have:,}: not yet")
    return f"the curve reaches {target:g} at about {needed:,.0f} sentences, fewer than the {have:,} you have"


def solve_labelling_cost(a, b, c, target, have, seconds_per_sentence, hourly_rate):
    # sentences the curve needs, minus those labelled, in hours, at the rate
    needed = (b / (a - target)) ** (1 / c)
    more = max(0.0, needed - have)
    cost = more * seconds_per_sentence / 3600 * hourly_rate
    return cost


COST_EXAMPLE = {**EXAMPLE_CURVE, "have": 400, "seconds_per_sentence": 30, "hourly_rate": 25}


@register(
    "08.labelling_cost",
    reference=solve_labelling_cost,
    example=COST_EXAMPLE,
    wrong=[lambda a, b, c, target, have, seconds_per_sentence, hourly_rate:
           (b / (a - target)) ** (1 / c) * seconds_per_sentence / 3600 * hourly_rate,
           lambda a, b, c, target, have, seconds_per_sentence, hourly_rate:
           ((b / (a - target)) ** (1 / c) - have) * seconds_per_sentence / 3600,
           lambda a, b, c, target, have, seconds_per_sentence, hourly_rate:
           ((b / (a - target)) ** (1 / c) - have) * seconds_per_sentence * hourly_rate],
)
def check_labelling_cost(answer: Any, a: float, b: float, c: float, target: float, have: int,
                         seconds_per_sentence: float, hourly_rate: float) -> str | None:
    """Dollars to label the sentences the curve says are missing for the target."""
    expected = solve_labelling_cost(a, b, c, target, have, seconds_per_sentence, hourly_rate)
    if not isinstance(answer, (int, float)):
        return "expected a number of dollars"
    if close_enough(answer, expected, 0.01):
        return None
    needed = _needed(a, b, c, target)
    per_sentence = seconds_per_sentence / 3600 * hourly_rate
    if close_enough(answer, needed * per_sentence, 0.01):
        return f"that prices all {needed:,.0f} sentences; {have:,} are labelled already"
    if close_enough(answer, expected / hourly_rate, 0.01):
        return "that is the number of hours; multiply by the hourly rate"
    if close_enough(answer, expected * 3600, 0.01):
        return "seconds per sentence times a rate per hour: convert the seconds to hours first"
    return (f"{answer:g} is not it: (needed - labelled) x seconds per sentence / 3600 x hourly rate, "
            "with needed = (b / (a - target)) ** (1 / c)")
