"""The project brief: the task specification that market framing hands to the data step.

Notebook 01 writes it (``build/project_brief.json``); until then the course ships a default in
``data/project_brief.json``. Notebook 02 reads it to know which entity types to annotate, which
metric decides, and how much annotation the budget allows.

    >>> brief = load_brief()                                   # doctest: +SKIP
    >>> brief.labels[:3]                                        # doctest: +SKIP
    ['O', 'B-SYMPTOM', 'I-SYMPTOM']

Imports: ``env``, ``files``, ``tagging``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from helpers.env import REPO_ROOT
from helpers.files import atomic_write_text
from helpers.tagging import iob2_labels

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
    # the feedback classifier: what a missed follow-up and a needless one cost (notebook 06)
    feedback_costs: dict = field(default_factory=lambda: {"missed_follow_up": 5,
                                                          "needless_follow_up": 1})
    # the test accuracy the feedback classifier needs before it triages on its own (notebook 06)
    feedback_target: float = 0.85

    @property
    def labels(self) -> list[str]:
        """IOB2 labels for the entity types, in the brief's order."""
        return iob2_labels(self.entity_types)

    def error_cost(self, errors) -> float:
        """Weighted cost of an error table from ``evaluate.error_analysis`` (or any rows with
        ``error`` and ``gold`` like ``[text|TYPE]``): a missed entity costs its type's weight,
        a spurious one ``spurious``, a wrong type ``wrong_type``, a boundary error ``boundary``."""
        costs = self.error_costs
        total = 0.0
        for kind, gold in zip(errors["error"], errors["gold"]):
            if kind == "missed":
                total += costs["missed"].get(gold.rsplit("|", 1)[-1].rstrip("]"), 1)
            elif kind == "spurious":
                total += costs["spurious"]
            elif kind == "boundary":
                total += costs["boundary"]
            else:  # type, boundary+type
                total += costs["wrong_type"]
        return total

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
    costs = raw.get("error_costs")
    if not isinstance(costs, dict) or not isinstance(costs.get("missed"), dict):
        raise BriefError(f"{source}: error_costs should be {{'missed': {{TYPE: cost}}, "
                         "'spurious': cost, 'wrong_type': cost, 'boundary': cost}")
    for key in ("spurious", "wrong_type", "boundary"):
        if not isinstance(costs.get(key), (int, float)) or costs[key] < 0:
            raise BriefError(f"{source}: error_costs.{key} should be a number ≥ 0, "
                             f"got {costs.get(key)!r}")
    for kind, value in costs["missed"].items():
        if not isinstance(value, (int, float)) or value < 0:
            raise BriefError(f"{source}: error_costs.missed.{kind} should be a number ≥ 0")
    annotation = raw.get("annotation", {})
    for key in ("sentences", "seconds_per_sentence", "hourly_rate"):
        if not isinstance(annotation.get(key), (int, float)) or annotation[key] < 0:
            raise BriefError(f"{source}: annotation.{key} should be a number ≥ 0, "
                             f"got {annotation.get(key)!r}")
    feedback = raw.get("feedback_costs", {"missed_follow_up": 5, "needless_follow_up": 1})
    for key in ("missed_follow_up", "needless_follow_up"):
        if not isinstance(feedback.get(key), (int, float)) or feedback[key] < 0:
            raise BriefError(f"{source}: feedback_costs.{key} should be a number ≥ 0, "
                             f"got {feedback.get(key)!r}")
    feedback_target = raw.get("feedback_target", 0.85)
    if not isinstance(feedback_target, (int, float)) or not 0 < feedback_target <= 1:
        raise BriefError(f"{source}: feedback_target should be a number between 0 and 1, "
                         f"got {feedback_target!r}")
    known = {f for f in ProjectBrief.__dataclass_fields__}
    unknown = set(raw) - known
    if unknown:
        raise BriefError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}; "
                         f"expected {', '.join(sorted(known))}")
    return ProjectBrief(**raw)


def brief_path() -> Path:
    """Which brief the course reads: ``$COURSE_BRIEF``, else the one notebook 01 wrote
    (``build/project_brief.json``), else the shipped default (``data/project_brief.json``)."""
    if os.environ.get("COURSE_BRIEF"):
        named = Path(os.environ["COURSE_BRIEF"]).expanduser()
        if not named.is_file():
            raise FileNotFoundError(f"COURSE_BRIEF={os.environ['COURSE_BRIEF']!r}: no such file; "
                                    "expected a brief written by notebook 01 (JSON), or unset it")
        return named
    return WRITTEN_PATH if WRITTEN_PATH.is_file() else DEFAULT_PATH


def describe_source() -> str:
    """One line saying which brief ``load_brief()`` reads, and why."""
    path = brief_path()
    if os.environ.get("COURSE_BRIEF"):
        return f"{path} (from $COURSE_BRIEF)"
    if path == WRITTEN_PATH:
        return "build/project_brief.json (written by notebook 01)"
    return "data/project_brief.json (the shipped default; notebook 01 writes your own)"


def load_brief(path: str | Path | None = None) -> ProjectBrief:
    """Read and validate a brief: ``path``, else ``brief_path()``."""
    if path is None:
        path = brief_path()
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise BriefError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    return validate(raw, source=str(path))


def save_brief(brief: ProjectBrief, path: str | Path = WRITTEN_PATH) -> Path:
    """Validate and write a brief atomically (a crash never leaves half a file)."""
    validate(asdict(brief))
    return atomic_write_text(path, json.dumps(asdict(brief), indent=2) + "\n")
