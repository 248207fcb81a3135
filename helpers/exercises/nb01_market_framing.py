"""Exercises of notebook 01 (market framing): an opportunity score and a bottom-up SOM by hand.

The checkers compute the expected numbers with ``helpers.market``, the code the notebook uses.

Imports: ``market``.
"""

from __future__ import annotations

from typing import Any

from helpers import market
from helpers.exercises.core import close_enough, register


def solve_weighted_score(scores, weights):
    # Each 1-5 score rescaled with (score - 1) / 4, costs inverted first (6 - score):
    # pain (4 - 1) / 4 = 0.75, weight 2; regulatory risk (6 - 4 - 1) / 4 = 0.25, weight 1
    score = 100 * (2 * 0.75 + 1 * 0.25) / (2 + 1)  # the weighted mean, x 100: 58.3
    return score


@register(
    "01.weighted_score",
    reference=solve_weighted_score,
    example={"scores": {"pain": 4, "regulatory_risk": 4},
             "weights": {"pain": 2, "regulatory_risk": 1}},
    wrong=[lambda scores, weights: 50 + 25,  # risk not inverted
           lambda scores, weights: 4 * 2 + 4 * 1,  # raw weighted sum
           lambda scores, weights: 100 * (4 * 2 + 2 * 1) / (5 * 3)],  # not rescaled from 1
)
def check_weighted_score(answer: Any, scores: dict, weights: dict) -> str | None:
    """The 0-100 opportunity score of one candidate, by hand."""
    expected = float(market.score_opportunities({"x": scores}, weights).loc["x", "score"])
    if not isinstance(answer, (int, float)):
        return "expected a number between 0 and 100"
    if close_enough(answer, expected, 0.01):
        return None
    if close_enough(answer, sum(v * weights.get(k, 0) for k, v in scores.items()), 0.01):
        return "rescale each 1-5 score to 0-1 with (score - 1) / 4, and divide by the total weight"
    not_inverted = 100 * sum(weights[k] * (scores[k] - 1) / 4 for k in weights) \
        / sum(weights.values())
    if close_enough(answer, not_inverted, 0.01):
        return ("regulatory risk is a cost: a 4 means heavy risk, so use 6 - 4 = 2 before "
                "rescaling")
    return ("per criterion: weight x (score - 1) / 4, costs inverted first; sum, / total weight, "
            "x 100")


def solve_bottom_up_som(clinics, patients, conversion, price):
    som = clinics * patients * conversion * 12 * price  # paying users x 12 months x price
    return som


def _bottom_up(clinics: int, patients: int, conversion: float, price: float) -> dict:
    """``market.size_market``'s bottom-up figures for this plan (the other assumptions kept)."""
    plan = {"clinics_targeted": clinics, "patients_per_clinic_onboarded": patients,
            "conversion_to_paid": conversion, "price_per_month": price}
    assumptions = [market.Assumption(a.name, plan.get(a.name, a.value), a.unit, a.note)
                   for a in market.HEALTH_APP_ASSUMPTIONS]
    return market.size_market(assumptions)["bottom_up"]


@register(
    "01.bottom_up_som",
    reference=solve_bottom_up_som,
    example={"clinics": 400, "patients": 150, "conversion": 0.25, "price": 6.0},
    wrong=[lambda clinics, patients, conversion, price: clinics * patients * conversion * price,
           lambda clinics, patients, conversion, price: clinics * patients * 12 * price,
           lambda clinics, patients, conversion, price: clinics * patients * conversion],
)
def check_bottom_up_som(answer: Any, clinics: int, patients: int, conversion: float,
                        price: float) -> str | None:
    """Yearly bottom-up SOM from a clinic-by-clinic sales plan."""
    bottom_up = _bottom_up(clinics, patients, conversion, price)
    expected = bottom_up["som"]
    if not isinstance(answer, (int, float)):
        return "expected a yearly amount of money (a number)"
    if close_enough(answer, expected, 0.001):
        return None
    if close_enough(answer, expected / 12, 0.001):
        return "that is per month; the SOM is per year (x 12)"
    if close_enough(answer, expected / conversion, 0.001):
        return f"only {conversion:.0%} of onboarded patients pay: multiply by the conversion"
    if close_enough(answer, bottom_up["paying_users"], 0.001):
        return "that is the number of paying users; multiply by 12 months and the price"
    return "clinics x patients per clinic x conversion = paying users; x 12 x monthly price"
