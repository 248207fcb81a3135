"""Exercises of notebook 07 (ship it): pick the runtime that meets a latency budget at the
lowest cost, and the cost of a million requests from a measured throughput.

A variant is a candidate only if its test F1 is within ``max_drop`` F1 points of fp32 (the
notebook's rule, ``helpers.latency``); among candidates whose p95 latency fits the budget, the
one with the highest throughput serves a request for the least money.

Imports: no helpers module outside this package.
"""

from __future__ import annotations

from typing import Any

from helpers.exercises.core import register

EXAMPLE_TABLE = {  # variant: (p95 ms at batch 8, texts per second, F1 points below fp32)
    "fp32": (48.0, 210.0, 0.0), "bf16": (30.0, 330.0, 0.2),
    "int8": (21.0, 450.0, 1.4), "onnx": (36.0, 260.0, 0.0),
}


def _allowed(table: dict, budget_ms: float, max_drop: float) -> dict:
    return {name: row for name, row in table.items() if row[0] <= budget_ms and row[2] <= max_drop}


def solve_pick_variant(table, budget_ms, max_drop=0.5):
    # keep variants within the F1 rule and the p95 budget, then take the highest throughput
    fits = {name: row for name, row in table.items() if row[0] <= budget_ms and row[2] <= max_drop}
    choice = max(fits, key=lambda name: fits[name][1]) if fits else None
    return choice


@register(
    "07.pick_variant",
    reference=solve_pick_variant,
    example={"table": EXAMPLE_TABLE, "budget_ms": 40.0, "max_drop": 0.5},
    wrong=[lambda table, budget_ms, max_drop=0.5: "int8",
           lambda table, budget_ms, max_drop=0.5: "fp32",
           lambda table, budget_ms, max_drop=0.5: 330.0],
)
def check_pick_variant(answer: Any, table: dict, budget_ms: float, max_drop: float = 0.5
                       ) -> str | None:
    """The variant within ``max_drop`` F1 points of fp32 and ``budget_ms`` p95 with the highest
    throughput (``None`` if none qualifies)."""
    expected = solve_pick_variant(table, budget_ms, max_drop)
    if answer == expected:
        return None
    if answer is not None and answer not in table:
        return f"answer with a variant's name, one of {', '.join(table)} (or None)"
    if answer is None:
        return "at least one variant meets the budget and the F1 rule; which is fastest?"
    p95, speed, drop = table[answer]
    if drop > max_drop:
        return (f"{answer} is {drop:g} F1 points below fp32, more than the {max_drop:g} the "
                "rule allows: it is reported, not recommended")
    if p95 > budget_ms:
        return f"{answer}'s p95 is {p95:g} ms, over the {budget_ms:g} ms budget"
    best = _allowed(table, budget_ms, max_drop)[expected][1]
    return (f"{answer} qualifies but serves {speed:g} texts/s; another qualifying variant "
            f"serves {best:g}, so each request costs less")


def solve_cost_per_million(texts_per_s, price_per_hour, utilisation):
    # a busy instance serves texts_per_s x 3600 an hour; it is busy `utilisation` of the time
    hours = 1_000_000 / (texts_per_s * 3600 * utilisation)
    cost = hours * price_per_hour
    return cost


@register(
    "07.cost_per_million",
    reference=solve_cost_per_million,
    example={"texts_per_s": 250.0, "price_per_hour": 0.10, "utilisation": 0.5},
    wrong=[lambda texts_per_s, price_per_hour, utilisation:
           1_000_000 / (texts_per_s * 3600) * price_per_hour,
           lambda texts_per_s, price_per_hour, utilisation:
           1_000_000 / (texts_per_s * 3600 * utilisation),
           lambda texts_per_s, price_per_hour, utilisation:
           1_000_000 / (texts_per_s * utilisation) * price_per_hour],
)
def check_cost_per_million(answer: Any, texts_per_s: float, price_per_hour: float,
                           utilisation: float) -> str | None:
    """Dollars per million requests (one text each) at a measured throughput."""
    expected = solve_cost_per_million(texts_per_s, price_per_hour, utilisation)
    if not isinstance(answer, (int, float)):
        return "expected a number of dollars"
    if abs(answer - expected) <= 0.01 * expected:
        return None
    hours = 1_000_000 / (texts_per_s * 3600 * utilisation)
    if abs(answer - hours) <= 0.01 * hours:
        return "that is the number of instance-hours; multiply by the price per hour"
    if abs(answer - expected * utilisation) <= 0.01 * expected:
        return ("that assumes the instance is busy all the time; at utilisation "
                f"{utilisation:g} it is paid for idle time too (divide by the utilisation)")
    if abs(answer - expected * 3600) <= 0.01 * expected * 3600:
        return "throughput is per second and the price per hour: convert seconds to hours"
    return (f"{answer:g} is not it: hours = 1,000,000 / (texts per second x 3600 x "
            "utilisation), then times the price per hour")
