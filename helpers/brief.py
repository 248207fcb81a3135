"""The project brief: the task specification that market framing hands to the data step.

Notebook 01 writes it (``build/project_brief.json``); until then the course ships a default in
``data/project_brief.json``. Notebook 02 reads it to know which entity types to annotate, which
metric decides, and how much annotation the budget allows.

    >>> brief = load_brief()                                   # doctest: +SKIP
    >>> brief.labels[:3]                                        # doctest: +SKIP
    ['O', 'B-SYMPTOM', 'I-SYMPTOM']
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from helpers.env import REPO_ROOT

DEFAULT_PATH = REPO_ROOT / "data" / "project_brief.json"
WRITTEN_PATH = REPO_ROOT / "build" / "project_brief.json"
TASKS = ("token-classification", "text-classification")
METRICS = ("entity_f1_strict", "entity_f1_lenient", "f1", "accuracy", "roc_auc")


class BriefError(ValueError):
    """A brief that does not fit the schema; names the file and the field."""


@dataclass
class ProjectBrief:
    """What to build and how success is measured. Field meanings are in the lesson 01."""

    product: str
    task: str
    entity_types: list[str]
    metric: str
    target: float  # the metric value the product needs before launch, 0..1
    error_costs: dict = field(default_factory=dict)  # e.g. {"missed": {"MEDICATION": 5}, ...}
    annotation: dict = field(default_factory=dict)  # sentences, seconds_per_sentence, hourly_rate

    @property
    def labels(self) -> list[str]:
        """IOB2 labels for the entity types, in the brief's order."""
        from helpers.data import iob2_labels

        return iob2_labels(self.entity_types)

    def annotation_cost(self) -> dict:
        """Hours and money the annotation budget implies."""
        a = self.annotation
        hours = a["sentences"] * a["seconds_per_sentence"] / 3600
        return {"sentences": a["sentences"], "hours": round(hours, 1),
                "cost": round(hours * a["hourly_rate"], 2)}


def validate(raw: dict, source: str = "brief") -> ProjectBrief:
    """Check a brief's fields and return it as a ``ProjectBrief``; ``BriefError`` says what is wrong."""

    def need(name, kind):
        if name not in raw:
            raise BriefError(f"{source}: missing field {name!r}")
        if not isinstance(raw[name], kind):
            expected = kind.__name__ if isinstance(kind, type) else "a number"
            raise BriefError(f"{source}: field {name!r} should be {expected}, got {raw[name]!r}")
        return raw[name]

    need("product", str)
    if need("task", str) not in TASKS:
        raise BriefError(f"{source}: task {raw['task']!r} is not one of {', '.join(TASKS)}")
    types = need("entity_types", list)
    if raw["task"] == "token-classification":
        if not types or not all(isinstance(t, str) and t.isupper() and "-" not in t for t in types):
            raise BriefError(f"{source}: entity_types should be non-empty UPPER_CASE names "
                             f"without '-', got {types!r}")
        if len(set(types)) != len(types):
            raise BriefError(f"{source}: entity_types repeats a name: {types!r}")
    if need("metric", str) not in METRICS:
        raise BriefError(f"{source}: metric {raw['metric']!r} is not one of {', '.join(METRICS)}")
    target = need("target", (int, float))
    if not 0 < target <= 1:
        raise BriefError(f"{source}: target should be between 0 and 1, got {target}")
    annotation = raw.get("annotation", {})
    for key in ("sentences", "seconds_per_sentence", "hourly_rate"):
        if not isinstance(annotation.get(key), (int, float)) or annotation[key] < 0:
            raise BriefError(f"{source}: annotation.{key} should be a number ≥ 0, "
                             f"got {annotation.get(key)!r}")
    known = {f for f in ProjectBrief.__dataclass_fields__}
    unknown = set(raw) - known
    if unknown:
        raise BriefError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}; "
                         f"expected {', '.join(sorted(known))}")
    return ProjectBrief(**raw)


def load_brief(path: str | Path | None = None) -> ProjectBrief:
    """Read and validate a brief: ``path``, else the one notebook 01 wrote, else the default."""
    if path is None:
        path = WRITTEN_PATH if WRITTEN_PATH.is_file() else DEFAULT_PATH
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise BriefError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    return validate(raw, source=str(path))


def save_brief(brief: ProjectBrief, path: str | Path = WRITTEN_PATH) -> Path:
    """Validate and write a brief atomically (a crash never leaves half a file)."""
    from helpers.data import atomic_write_text

    validate(asdict(brief))
    return atomic_write_text(path, json.dumps(asdict(brief), indent=2) + "\n")
