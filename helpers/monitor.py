"""Watching a served model: what its predictions look like in production against the test set.

A model cannot be scored on live traffic (nobody labels it), but the *shape* of its output can
be watched: the mix of entity types, entities per text, the share of texts with none, and the
mean confidence. Compared with the same profile on the test set, a shift says the traffic (or
the model) has moved away from what was measured: time to look at real logs and label some.
The service's request log (``serve``) keeps exactly these counts, never the text.

    >>> served = profile([[{"type": "SYMPTOM", "score": 0.9}], []])
    >>> served["texts with no entity"], served["entities per text"]
    (0.5, 0.5)

Imports: ``tagging`` (entity types).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.tagging import ENTITY_TYPES

if TYPE_CHECKING:
    import pandas as pd

# A shift worth a look (not a statistical test): the share of a type moving by 10 points, or
# the mean confidence falling by 0.05.
SHARE_SHIFT, SCORE_DROP = 0.10, 0.05


def _profile(texts: int, empty: int, types: Counter, scores_sum: float, scores_n: int) -> dict:
    entities = sum(types.values())
    row = {f"share {t}": (types[t] / entities if entities else 0.0) for t in ENTITY_TYPES}
    row.update({"entities per text": entities / texts if texts else 0.0,
                "texts with no entity": empty / texts if texts else 0.0,
                "mean confidence": scores_sum / scores_n if scores_n else float("nan"),
                "texts": texts})
    return row


def profile(predicted: list[list[dict]]) -> dict:
    """The profile of a batch of predictions (each text's entities with ``type`` and ``score``)."""
    types = Counter(e["type"] for found in predicted for e in found)
    scores = [e["score"] for found in predicted for e in found]
    return _profile(len(predicted), sum(not found for found in predicted), types, sum(scores),
                    len(scores))


def profile_from_log(path: str | Path, since: str = "", until: str = "\uffff") -> dict:
    """The profile of what a service answered, from its request log (counts only): the
    requests logged at or after ``since`` and before ``until`` (ISO times in UTC, as logged)."""
    texts = empty = scored = 0
    types: Counter = Counter()
    score_sum = 0.0
    with open(path, encoding="utf-8") as log:
        for number, line in enumerate(log, start=1):
            try:
                record = json.loads(line)
                n_entities = sum(record["entities"].values())
            except (json.JSONDecodeError, KeyError, AttributeError) as err:
                raise ValueError(f"{path}:{number}: not a request record ({err})") from None
            if not since <= record["at"] < until:
                continue
            texts += record["texts"]
            empty += record["texts_without_entities"]
            types.update(record["entities"])
            if record["mean_score"] is not None:
                score_sum += record["mean_score"] * n_entities
                scored += n_entities
    return _profile(texts, empty, types, score_sum, scored)


def compare(profiles: dict[str, dict], reference: str = "test set") -> pd.DataFrame:
    """A table, one column per profile, and a ``look at`` row per profile naming what moved
    past ``SHARE_SHIFT`` or ``SCORE_DROP`` against ``reference``."""
    import pandas as pd

    table = pd.DataFrame(profiles)
    base = profiles[reference]
    flags = {}
    for name, row in profiles.items():
        moved = [key for key in row if key.startswith("share ")
                 and abs(row[key] - base[key]) > SHARE_SHIFT]
        if base["mean confidence"] - row["mean confidence"] > SCORE_DROP:
            moved.append("mean confidence")
        flags[name] = ", ".join(k.removeprefix("share ") for k in moved) or "-"
    return pd.concat([table, pd.DataFrame({k: [v] for k, v in flags.items()}, index=["look at"])])


def plot_profiles(profiles: dict[str, dict]):
    """Entity-type mix (stacked bars) and mean confidence, one bar per profile."""
    import matplotlib.pyplot as plt

    fig, (mix, sure) = plt.subplots(1, 2, figsize=(10, 2.8), gridspec_kw={"width_ratios": [3, 1]})
    names = list(profiles)
    left = [0.0] * len(names)
    for kind in ENTITY_TYPES:
        shares = [profiles[n][f"share {kind}"] for n in names]
        mix.barh(names, shares, left=left, label=kind)
        left = [a + b for a, b in zip(left, shares)]
    mix.set(xlim=(0, 1), xlabel="share of entities", title="Entity-type mix")
    mix.invert_yaxis()
    mix.legend(ncol=5, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.12))
    sure.barh(names, [profiles[n]["mean confidence"] for n in names], color="grey")
    sure.set(xlim=(0, 1), xlabel="mean confidence", yticks=[])
    sure.invert_yaxis()
    fig.tight_layout()
    return fig
