"""The model bundle: the folder a model ships in, with its model card, and its version.

A bundle is a saved model folder (``best/`` of a run: safetensors weights, tokenizer, the label
map, ``run_config.json``, ``history.json``) plus a ``README.md`` model card written from the
run's real evaluation: the data and its limits (from the datasheet), test and dev scores with
95 % intervals, per-type scores, intended and out-of-scope use, how it was trained, and the
project brief's target and whether the test interval meets it. The card starts with YAML
front matter in the Hugging Face hub's model-card format, so the folder can be pushed as is.

The version is the first 12 hex digits of the weights' SHA-256: it names exactly the weights
that made a prediction, whichever folder they were copied to.

    >>> limits = datasheet_limits()
    >>> limits[0].startswith("Synthetic, not real user data.")
    True

Imports: ``checkpoint`` (the run config), ``evaluate``, ``files`` (whole folders), ``hub``
(its model error), ``predict``, ``tagging``.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from helpers.checkpoint import load_run_config
from helpers.evaluate import Interval, entity_f1_interval, entity_scores
from helpers.files import (
    PARTIAL,
    atomic_write_text,
    flush_tree,
    recover_folder,
    sha256_file,
    sibling,
    swap_in,
)
from helpers.hub import ModelError
from helpers.predict import predict_dataset
from helpers.tagging import entity_types, tag_strings

CARD = "README.md"
WEIGHTS = "model.safetensors"
DATASHEET = Path(__file__).resolve().parent.parent / "data" / "health_ner" / "README.md"
MODEL_ID = "lab-to-launch/health-ner"

INTENDED_USE = [
    "Pull symptoms, body parts, medications, doses and times out of short English free-text "
    "health logs that users type into the app, to pre-fill a structured log the user confirms.",
    "Teaching: the model of the Lab to Launch course, trained on its invented corpus.",
]
OUT_OF_SCOPE = [
    "Any diagnosis, triage or dosing decision, or anything a clinician would rely on: the model "
    "has not been validated on real patients' text and was not reviewed by a clinician.",
    "Clinical notes, discharge letters and other professional text; languages other than English.",
    "Running without the user seeing and confirming what was extracted.",
]


def model_version(model_dir: str | Path) -> str:
    """The first 12 hex digits of the SHA-256 of the weights (``model.safetensors``).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); _ = (folder / WEIGHTS).write_bytes(b"weights")
    >>> model_version(folder)
    '9a129038d9a0'
    """
    path = Path(model_dir) / WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no weights; expected a folder saved by the course's "
                                "training loop (notebook 04)")
    return sha256_file(path)[:12]


CARD_TITLE = re.compile(r"^# (\S+) \(version ([0-9a-f]+)\)", re.M)


def check_card(model_dir: str | Path) -> None:
    """Refuse a model folder whose card (``README.md``, written by ``save_bundle``) names other
    weights than the folder holds: replaced weights would be served under a new version while
    the card claims the old version and its F1. A folder without a card is left alone."""
    card = Path(model_dir) / CARD
    found = CARD_TITLE.search(card.read_text(encoding="utf-8")) if card.is_file() else None
    if found and found.group(2) != model_version(model_dir):
        raise ModelError(f"{card}: the card is for version {found.group(2)}, but the weights beside "
                         f"it are version {model_version(model_dir)}: its scores do not describe "
                         "them; evaluate and bundle the model again (notebook 07)")


def datasheet_limits(path: str | Path = DATASHEET) -> list[str]:
    """The headline and first sentence of each entry of the datasheet's "Limits" section."""
    text = Path(path).read_text(encoding="utf-8")
    section = re.search(r"^## Limits.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    if not section:
        raise ValueError(f"{path}: no '## Limits' section; the model card needs the data's limits")
    limits = []
    for item in re.split(r"^\* ", section.group(1), flags=re.M)[1:]:
        item = " ".join(item.split())
        head = re.match(r"\*\*(.+?)\*\*\s*(.*)", item)
        title, rest = (head.group(1), head.group(2)) if head else ("", item)
        first = re.split(r"(?<=[.!?])\s(?=[A-Z`*])", rest, maxsplit=1)[0] if rest else ""
        gap = "" if first[:1] in ",;:" else " "
        limits.append(f"{title}{gap}{first}".strip())
    return limits


@dataclass
class ModelCard:
    """What the card says; ``evaluate_card`` fills it from a real evaluation."""

    version: str
    base_model: str
    labels: list[str]
    test: Interval
    dev: Interval
    per_type: list[dict]  # type, precision, recall, f1, support (test set)
    sentences: dict[str, int]  # split -> sentences scored or trained on
    metric: str
    target: float
    training: dict  # the run config
    data: str = "data/health_ner: invented health-app logs (see its datasheet)"
    limits: list[str] = field(default_factory=datasheet_limits)
    model_id: str = MODEL_ID

    @property
    def verdict(self) -> str:
        return self.test.verdict(self.target)

    def front_matter(self) -> dict:
        """The hub's model-card metadata (the YAML header)."""
        return {"license": "mit", "language": ["en"], "library_name": "transformers",
                "pipeline_tag": "token-classification", "base_model": self.base_model,
                "tags": ["token-classification", "ner", "lab-to-launch"],
                "model-index": [{"name": self.model_id, "results": [{
                    "task": {"type": "token-classification"},
                    "dataset": {"name": "health_ner (course corpus)", "type": "health_ner",
                                "split": "test"},
                    "metrics": [{"type": "f1", "name": "strict entity F1",
                                 "value": round(self.test.value, 4)}]}]}]}

    def to_markdown(self) -> str:
        """The card: YAML front matter (hub model-card metadata), then the sections."""
        t = self.training
        rows = "\n".join(f"| {r['type']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} "
                         f"| {r['support']} |" for r in self.per_type)
        scores = "\n".join(f"| {name} | {self.sentences.get(split, 0)} | {i.value:.3f} | "
                           f"{i.low:.3f}-{i.high:.3f} |"
                           for name, split, i in (("test", "test", self.test),
                                                  ("dev", "validation", self.dev)))
        bullet = "\n".join
        return f"""---
{_yaml(self.front_matter())}
---

# {self.model_id} (version {self.version})

Extracts {", ".join(entity_types(self.labels))} from short free-text health logs.
Fine-tuned from `{self.base_model}` by the Lab to Launch course (notebook 04), IOB2 tags.

## Intended use
{bullet(f"- {u}" for u in INTENDED_USE)}

## Out of scope
{bullet(f"- {u}" for u in OUT_OF_SCOPE)}

## Results
Strict entity F1 (seqeval, IOB2), 95 % bootstrap interval over sentences:

| split | sentences | strict entity F1 | 95 % interval |
|---|---|---|---|
{scores}

Per type, test set:

| type | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

**Against the brief:** the product needs {self.metric} of at least {self.target:g};
the test interval {self.verdict}.

## Data
{self.data}. Trained on {self.sentences.get("train", 0)} sentences. Its limits, from the datasheet:

{bullet(f"- {limit}" for limit in self.limits)}

## Training
{t.get("epochs")} epochs, learning rate {t.get("lr")}, batch {t.get("batch_size")}, max length
{t.get("max_length")}, seed {t.get("seed")}, precision {t.get("precision") or "chosen by the device"}
(the whole run config is `run_config.json`; per-epoch scores are `history.json`).

## Privacy
The model stores nothing. The course's service keeps no text of a prediction request; it keeps
the text of a correction only when the user sends one (lessons/07_ship.md).
"""


def _yaml(value, indent: int = 0) -> str:
    """Enough YAML for the card's front matter: dicts, lists, strings and numbers, via JSON
    scalars (a JSON string is a valid YAML string)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n{_yaml(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
        return "\n".join(lines)
    lines = []
    for item in value:
        if isinstance(item, dict):
            body = _yaml(item, indent + 1).lstrip()
            lines.append(f"{pad}- {body}")
        else:
            lines.append(f"{pad}- {json.dumps(item)}")
    return "\n".join(lines)


def evaluate_card(model_dir: str | Path, splits, brief, max_length: int = 128) -> ModelCard:
    """Score the saved model on ``splits`` (``validation`` and ``test``) as notebook 05 does
    and fill a card with the results, the run config and the brief's target."""
    run = load_run_config(model_dir)
    scores = {}
    for split in ("validation", "test"):
        pred = predict_dataset(model_dir, splits[split], max_length=max_length)
        scores[split] = (tag_strings(splits[split]), pred)
    per_type = entity_scores(*scores["test"]).drop(index="overall")
    config = json.loads((Path(model_dir) / "config.json").read_text())
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    return ModelCard(
        version=model_version(model_dir), base_model=run.get("model", "unknown"), labels=labels,
        test=entity_f1_interval(*scores["test"]), dev=entity_f1_interval(*scores["validation"]),
        per_type=[{"type": name, **row} for name, row in per_type.to_dict("index").items()],
        sentences={name: len(ds) for name, ds in splits.items()}, metric=brief.metric,
        target=brief.target, training=run)


def save_bundle(model_dir: str | Path, card: ModelCard, out: str | Path | None = None) -> Path:
    """Write the bundle: ``model_dir``'s files and the card as ``README.md``, whole (a crash
    leaves the old bundle or the new one). ``out=None`` reuses ``model_dir`` in place (only
    the card is written); the card's version must be that of the weights."""
    model_dir = Path(model_dir)
    if card.version != model_version(model_dir):
        raise ValueError(f"the card is for version {card.version}, but {model_dir} holds "
                         f"{model_version(model_dir)}: evaluate the model you ship")
    if out is None or Path(out).resolve() == model_dir.resolve():
        atomic_write_text(model_dir / CARD, card.to_markdown())
        return model_dir
    out = Path(out)
    recover_folder(out)
    partial = sibling(out, PARTIAL)
    shutil.copytree(model_dir, partial, ignore=shutil.ignore_patterns(CARD, "*.partial", "*.old"))
    (partial / CARD).write_text(card.to_markdown(), encoding="utf-8")
    flush_tree(partial)
    swap_in(partial, out)
    return out
