"""helpers/market.py: scoring and sizing arithmetic on hand-computed cases, canvas checks."""

from __future__ import annotations

import pytest

from helpers import market
from helpers.market import Assumption


def test_scoring_rescales_weights_and_inverts_costs():
    candidates = {"a": {"pain": 5, "labelling_cost": 1}, "b": {"pain": 3, "labelling_cost": 5}}
    table = market.score_opportunities(candidates, {"pain": 3, "labelling_cost": 1})
    # a: pain (5-1)/4 * 3/4 * 100 = 75, labelling inverted 6-1=5 -> (5-1)/4 * 1/4 * 100 = 25
    assert table.loc["a", "pain"] == 75.0 and table.loc["a", "labelling_cost"] == 25.0
    # b: pain (3-1)/4 * 75 = 37.5, labelling 6-5=1 -> 0
    assert table.loc["b", "score"] == 37.5
    assert list(table.index) == ["a", "b"]


def test_weights_change_the_winner():
    default = market.score_opportunities(market.CANDIDATES, market.DEFAULT_WEIGHTS)
    only_data = market.score_opportunities(market.CANDIDATES, {"data_availability": 1})
    assert default.index[0] == "health-monitoring app (NER on logs)"
    assert only_data.index[0] != default.index[0]


@pytest.mark.parametrize("candidates,weights,message", [
    ({"a": {"pain": 6}}, {"pain": 1}, "expected 1 to 5"),
    ({"a": {"hype": 3}}, {"pain": 1}, "unknown criterion 'hype'"),
    ({"a": {"pain": 3}}, {}, "positive total"),
])
def test_scoring_rejects_bad_input(candidates, weights, message):
    with pytest.raises(ValueError, match=message):
        market.score_opportunities(candidates, weights)


def test_sizing_arithmetic():
    sizes = market.size_market(market.HEALTH_APP_ASSUMPTIONS)
    yearly = 12 * 6.0
    assert sizes["top_down"]["tam"] == pytest.approx(50_000_000 * 0.20 * yearly)  # 720 million
    assert sizes["top_down"]["sam"] == pytest.approx(720_000_000 * 0.30)
    assert sizes["top_down"]["som"] == pytest.approx(216_000_000 * 0.10)
    assert sizes["bottom_up"]["paying_users"] == pytest.approx(400 * 150 * 0.25)  # 15,000
    assert sizes["bottom_up"]["som"] == pytest.approx(15_000 * yearly)  # 1,080,000


def test_sizing_rejects_impossible_fractions_and_missing_values():
    bad = [a if a.name != "conversion_to_paid" else Assumption(a.name, 1.5, a.unit)
           for a in market.HEALTH_APP_ASSUMPTIONS]
    with pytest.raises(ValueError, match="conversion_to_paid = 1.5"):
        market.size_market(bad)
    with pytest.raises(ValueError, match="missing assumptions: price_per_month"):
        market.size_market([a for a in market.HEALTH_APP_ASSUMPTIONS
                            if a.name != "price_per_month"])


def test_sensitivity_is_linear_for_multiplicative_terms():
    table = market.sensitivity(market.HEALTH_APP_ASSUMPTIONS, change=0.2)
    base = market.size_market(market.HEALTH_APP_ASSUMPTIONS)["bottom_up"]["som"]
    # the bottom-up SOM is a product, so each of its factors moves it by exactly ±20 %
    for name in ("clinics_targeted", "price_per_month", "conversion_to_paid"):
        assert table.loc[name, "high"] == pytest.approx(0.2 * base)
        assert table.loc[name, "low"] == pytest.approx(-0.2 * base)
    assert table.loc["adults_in_region", "swing"] == 0  # not in the bottom-up formula
    assert list(table["swing"]) == sorted(table["swing"])


def test_lean_canvas_renders_and_rejects_empty_boxes():
    fields = dict(problem=["p"], customer_segments=["c"], unique_value_proposition="u",
                  solution=["s"], channels=["ch"], revenue_streams=["r"], cost_structure=["co"],
                  key_metrics=["k"], unfair_advantage="<data>")
    html = market.LeanCanvas(**fields).to_html()
    assert "Unique value proposition" in html and "&lt;data&gt;" in html
    with pytest.raises(ValueError, match="channels is empty"):
        market.LeanCanvas(**{**fields, "channels": []})


def test_widget_updates_with_the_sliders():
    import matplotlib

    matplotlib.use("Agg")
    widget, current = market.opportunity_widget()
    sliders = widget.children[0].children
    before = current()
    for slider in sliders:
        slider.value = 0
    sliders[2].value = 5  # data availability only
    assert current().index[0] != before.index[0]
