"""Evaluation: entity-level scores with seqeval (strict IOB2 by default).

Entity-level means an entity counts as found only if its type *and* both boundaries match;
``mode="lenient"`` is seqeval's default (CoNLL-script-like) matching.

    >>> entity_scores([["B-DOSAGE", "I-DOSAGE", "O"]], [["B-DOSAGE", "O", "O"]])["f1"]["overall"]
    0.0
"""

from __future__ import annotations

import pandas as pd
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2


def entity_scores(gold: list[list[str]], pred: list[list[str]], mode: str = "strict"
                  ) -> pd.DataFrame:
    """Precision, recall, F1 and support per entity type plus an ``overall`` (micro) row."""
    if len(gold) != len(pred) or any(len(g) != len(p) for g, p in zip(gold, pred)):
        raise ValueError("gold and pred need the same sentences and the same tag counts")
    kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    report = classification_report(gold, pred, output_dict=True, zero_division=0, **kwargs)
    rows = {k: v for k, v in report.items() if not k.endswith("avg")}
    rows["overall"] = report["micro avg"]
    table = pd.DataFrame(rows).T[["precision", "recall", "f1-score", "support"]]
    table = table.rename(columns={"f1-score": "f1"})
    table["support"] = table["support"].astype(int)
    return table
