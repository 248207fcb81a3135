"""Exercises of notebook 06 (text classification): the argmax dimension of classification
logits, and the threshold with the lowest error cost.

The cost is ``helpers.classify.error_cost``'s, ``cost_fn x missed + cost_fp x needless``,
here on the counts the notebook gives rather than on labels and probabilities.

Imports: no helpers module outside this package.
"""

from __future__ import annotations

from typing import Any

from helpers.exercises.core import register


def solve_argmax_dim():
    dim = -1  # logits are (batch, classes): the classes are the last axis (1 works too)
    return dim


@register(
    "06.argmax_dim",
    reference=solve_argmax_dim,
    wrong=[lambda: 2, lambda: 0, lambda: "1"],
)
def check_argmax_dim(answer: Any) -> str | None:
    """The dimension to take argmax over for sequence-classification logits (batch, classes)."""
    if answer in (-1, 1) and isinstance(answer, int):
        return None
    if answer == 2:
        return "the logits have 2 dimensions (batch, classes): there is no dimension 2"
    if answer == 0:
        return "dimension 0 runs over the examples of the batch, not over the classes"
    return "expected an integer: the index of the class dimension (1, or -1 for 'the last')"


def solve_threshold_cost(table, cost_fn, cost_fp):
    # threshold 0.5: 12 missed x 5 + 4 needless x 1 = 64
    # threshold 0.3:  5 missed x 5 + 15 needless x 1 = 40  -> 0.3 is cheaper
    # threshold 0.1:  1 missed x 5 + 60 needless x 1 = 65
    best = min(table, key=lambda t: table[t][0] * cost_fn + table[t][1] * cost_fp)
    return best


@register(
    "06.threshold_cost",
    reference=solve_threshold_cost,
    example={"table": {0.5: (12, 4), 0.3: (5, 15), 0.1: (1, 60)}, "cost_fn": 5, "cost_fp": 1},
    wrong=[lambda table, cost_fn, cost_fp: 0.5,
           lambda table, cost_fn, cost_fp: 0.1,
           lambda table, cost_fn, cost_fp: 40],
)
def check_threshold_cost(answer: Any, table: dict, cost_fn: float, cost_fp: float
                         ) -> str | None:
    """Pick the threshold with the lowest cost, given (missed, needless) counts per threshold."""
    costs = {t: cost_fn * fn + cost_fp * fp for t, (fn, fp) in table.items()}
    if answer == solve_threshold_cost(table, cost_fn, cost_fp):
        return None
    if answer in costs.values():
        return "that is a cost; the question asks for the threshold"
    if answer not in costs:
        return f"choose one of the thresholds {sorted(costs)}"
    return (f"threshold {answer} costs {costs[answer]:g}; compare missed x {cost_fn:g} + "
            f"needless x {cost_fp:g} for each threshold")
