"""Market framing that computes: opportunity scoring, market sizing with sensitivity, a lean canvas.

Every number here is an **assumption to replace**, never a fact: the defaults only make the
arithmetic concrete. Notebook 01 shows them as such and lets the learner change them.

    >>> table = score_opportunities(CANDIDATES, DEFAULT_WEIGHTS)          # doctest: +SKIP
    >>> size_market(HEALTH_APP_ASSUMPTIONS)["bottom_up"]["som"]             # doctest: +SKIP

Imports: none.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields

import pandas as pd

# --------------------------------------------------------------------------- opportunity scoring
# Criteria scored 1 (poor) to 5 (good for the founder); for the "cost" criteria a high raw score
# means a high cost, so they are inverted (6 - score) before weighting.
CRITERIA = {
    "pain": "how much the problem hurts the user (5 = a lot)",
    "willingness_to_pay": "how readily someone pays to solve it (5 = readily)",
    "data_availability": "how easily training data can be had (5 = easily)",
    "labelling_cost": "cost of labelling that data (5 = expensive)",
    "regulatory_risk": "exposure to regulation (5 = heavy)",
    "time_to_first_version": "time to a first useful version (5 = long)",
    "founder_advantage": "how much the team's own expertise and access help (5 = a lot)",
}
COST_CRITERIA = {"labelling_cost", "regulatory_risk", "time_to_first_version"}
DEFAULT_WEIGHTS = {"pain": 3, "willingness_to_pay": 3, "data_availability": 2,
                   "labelling_cost": 1, "regulatory_risk": 2, "time_to_first_version": 1,
                   "founder_advantage": 4}

# Example scores, 1-5: the course authors' assumptions for the story (a founder with clinical
# contacts and NLP skills), to be replaced by yours.
CANDIDATES = {
    "customer-service assistant": dict(pain=3, willingness_to_pay=4, data_availability=4,
                                       labelling_cost=2, regulatory_risk=1,
                                       time_to_first_version=2, founder_advantage=2),
    "financial sentiment monitoring": dict(pain=3, willingness_to_pay=4, data_availability=4,
                                           labelling_cost=3, regulatory_risk=3,
                                           time_to_first_version=3, founder_advantage=1),
    "personalised recommendation": dict(pain=2, willingness_to_pay=3, data_availability=3,
                                        labelling_cost=1, regulatory_risk=2,
                                        time_to_first_version=3, founder_advantage=2),
    "health-monitoring app (NER on logs)": dict(pain=5, willingness_to_pay=3,
                                                data_availability=2, labelling_cost=3,
                                                regulatory_risk=4, time_to_first_version=3,
                                                founder_advantage=5),
    "medical Q&A": dict(pain=4, willingness_to_pay=3, data_availability=2, labelling_cost=5,
                        regulatory_risk=5, time_to_first_version=5, founder_advantage=4),
}


def score_opportunities(candidates: dict[str, dict[str, float]],
                        weights: dict[str, float]) -> pd.DataFrame:
    """Weighted score of each candidate, 0-100, best first.

    Each criterion's 1-5 score (inverted for cost criteria) is rescaled to 0-1, weighted, and
    the sum divided by the total weight. Returns one row per candidate with the per-criterion
    contributions and ``score``.

    >>> t = score_opportunities({"a": {"pain": 5}, "b": {"pain": 1}}, {"pain": 1})
    >>> list(t["score"])
    [100.0, 0.0]
    """
    if not weights or sum(weights.values()) <= 0:
        raise ValueError("weights must be non-negative with a positive total")
    for name, scores in candidates.items():
        for criterion, value in scores.items():
            if criterion not in CRITERIA:
                raise ValueError(f"{name}: unknown criterion {criterion!r}; "
                                 f"expected one of {', '.join(CRITERIA)}")
            if not 1 <= value <= 5:
                raise ValueError(f"{name}: {criterion} = {value}, expected 1 to 5")
    total = sum(weights.values())
    rows = {}
    for name, scores in candidates.items():
        row = {}
        for criterion, weight in weights.items():
            raw = scores.get(criterion, 3)
            good = 6 - raw if criterion in COST_CRITERIA else raw
            row[criterion] = 100 * weight * (good - 1) / 4 / total
        row["score"] = sum(row.values())
        rows[name] = row
    return pd.DataFrame(rows).T.sort_values("score", ascending=False).round(1)


def opportunity_widget(candidates: dict = CANDIDATES, weights: dict = DEFAULT_WEIGHTS):
    """Sliders (core ipywidgets) for the criteria weights and a bar chart that follows them.

    Returns ``(widget, current)`` where ``current()`` gives the scores for the present weights.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt

    sliders = {c: w.IntSlider(value=weights.get(c, 1), min=0, max=5, description=c,
                              style={"description_width": "150px"},
                              layout=w.Layout(width="420px")) for c in CRITERIA}
    out = w.Output()

    def current() -> pd.DataFrame:
        return score_opportunities(candidates, {c: s.value for c, s in sliders.items()})

    def draw(_=None) -> None:
        with out:
            out.clear_output(wait=True)
            try:
                table = current()
            except ValueError as err:
                print(err)
                return
            fig, ax = plt.subplots(figsize=(7, 3))
            parts = table.drop(columns="score").iloc[::-1]
            parts.plot.barh(stacked=True, ax=ax, width=0.7)
            ax.set(xlabel="weighted score (0-100)", xlim=(0, 100),
                   title="Opportunity score (assumed 1-5 scores; change the weights)")
            ax.legend(fontsize=7, loc="lower right")
            fig.tight_layout()
            plt.show()

    for slider in sliders.values():
        slider.observe(draw, names="value")
    draw()
    return w.HBox([w.VBox(list(sliders.values())), out]), current


# --------------------------------------------------------------------------- market sizing
@dataclass
class Assumption:
    name: str
    value: float
    unit: str
    note: str = "assumption: replace with your own source"


# The health app, sized two ways. All values are placeholders chosen to make the arithmetic
# visible, not estimates of any real market.
HEALTH_APP_ASSUMPTIONS = [
    Assumption("adults_in_region", 50_000_000, "people"),
    Assumption("share_tracking_a_condition", 0.20, "fraction"),
    Assumption("share_using_health_apps", 0.30, "fraction"),
    Assumption("price_per_month", 6.0, "currency/month"),
    Assumption("reachable_share", 0.10, "fraction of SAM the team can reach in 3 years"),
    Assumption("clinics_targeted", 400, "clinics"),
    Assumption("patients_per_clinic_onboarded", 150, "patients"),
    Assumption("conversion_to_paid", 0.25, "fraction"),
]


def _values(assumptions: list[Assumption]) -> dict[str, float]:
    values = {a.name: a.value for a in assumptions}
    needed = {a.name for a in HEALTH_APP_ASSUMPTIONS}
    missing = needed - set(values)
    if missing:
        raise ValueError(f"missing assumptions: {', '.join(sorted(missing))}")
    for a in assumptions:
        if a.value < 0 or (a.unit.startswith("fraction") and a.value > 1):
            raise ValueError(f"{a.name} = {a.value} is not a valid {a.unit}")
    return values


def size_market(assumptions: list[Assumption]) -> dict:
    """TAM, SAM and SOM per year, top-down and bottom-up, from the assumptions.

    Top-down: TAM = adults x share tracking a condition x 12 x price; SAM = TAM x share using
    health apps; SOM = SAM x reachable share. Bottom-up: SOM = clinics x patients per clinic x
    conversion x 12 x price (what a sales plan can actually reach). The two SOMs rarely agree;
    the gap is the point of doing both.
    """
    v = _values(assumptions)
    yearly = 12 * v["price_per_month"]
    tam = v["adults_in_region"] * v["share_tracking_a_condition"] * yearly
    sam = tam * v["share_using_health_apps"]
    top_down = {"tam": tam, "sam": sam, "som": sam * v["reachable_share"]}
    paying = v["clinics_targeted"] * v["patients_per_clinic_onboarded"] * v["conversion_to_paid"]
    return {"top_down": top_down, "bottom_up": {"som": paying * yearly, "paying_users": paying}}


def sensitivity(assumptions: list[Assumption], change: float = 0.2,
                target: tuple[str, str] = ("bottom_up", "som")) -> pd.DataFrame:
    """How much ``target`` moves when each assumption alone moves by ±``change`` (fractions
    capped at 1). One row per assumption, sorted by swing: the data for a tornado plot."""
    base = size_market(assumptions)[target[0]][target[1]]
    rows = []
    for i, a in enumerate(assumptions):
        results = []
        for factor in (1 - change, 1 + change):
            value = a.value * factor
            if a.unit.startswith("fraction"):
                value = min(value, 1.0)
            moved = [*assumptions[:i], Assumption(a.name, value, a.unit, a.note),
                     *assumptions[i + 1:]]
            results.append(size_market(moved)[target[0]][target[1]])
        rows.append({"assumption": a.name, "low": results[0] - base, "high": results[1] - base})
    table = pd.DataFrame(rows).set_index("assumption")
    table["swing"] = table["high"] - table["low"]
    return table.sort_values("swing")


def plot_tornado(table: pd.DataFrame, ax=None, title: str = "What moves the bottom-up SOM"):
    """Horizontal bars of each assumption's low/high effect (from ``sensitivity``)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(7, 3))[1]
    ax.barh(table.index, table["low"], color="#d95f02", label="assumption -20 %")
    ax.barh(table.index, table["high"], color="#1b9e77", label="assumption +20 %")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set(xlabel="change in SOM per year (currency)", title=title)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- lean canvas
@dataclass
class LeanCanvas:
    """Ash Maurya's one-page business model, as a typed structure."""

    problem: list[str]
    customer_segments: list[str]
    unique_value_proposition: str
    solution: list[str]
    channels: list[str]
    revenue_streams: list[str]
    cost_structure: list[str]
    key_metrics: list[str]
    unfair_advantage: str

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value or (isinstance(value, list) and not all(
                    isinstance(x, str) and x.strip() for x in value)):
                raise ValueError(f"lean canvas: {f.name} is empty; every box needs an answer "
                                 "(write 'unknown: to test' rather than leave it blank)")

    def to_html(self) -> str:
        """The canvas as an HTML grid (renders in JupyterLab and Colab)."""

        def box(title: str, value, span: str = "") -> str:
            items = value if isinstance(value, list) else [value]
            body = "".join(f"<li>{html.escape(x)}</li>" for x in items)
            return (f'<div style="border:1px solid #999;padding:6px;{span}">'
                    f'<b>{title}</b><ul style="margin:4px 0 0 16px;padding:0">{body}</ul></div>')

        grid = "display:grid;grid-template-columns:repeat(5,1fr);gap:4px;font-size:12px"
        return (f'<div style="{grid}">'
                + box("Problem", self.problem, "grid-row:span 2")
                + box("Solution", self.solution)
                + box("Unique value proposition", self.unique_value_proposition,
                      "grid-row:span 2")
                + box("Unfair advantage", self.unfair_advantage)
                + box("Customer segments", self.customer_segments, "grid-row:span 2")
                + box("Key metrics", self.key_metrics)
                + box("Channels", self.channels)
                + '</div><div style="display:grid;grid-template-columns:1fr 1fr;gap:4px;'
                  'margin-top:4px;font-size:12px">'
                + box("Cost structure", self.cost_structure)
                + box("Revenue streams", self.revenue_streams) + "</div>")
