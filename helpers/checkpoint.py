"""What a run leaves on disk, and loading it back.

A run folder holds ``best/`` (the best model so far: safetensors weights, tokenizer, the label
map in ``config.json``, ``run_config.json`` and ``history.json``) and ``last/`` (the resumable
state: weights, optimizer moments, scheduler, random states, and ``trainer_state.json`` saying
where to carry on). ``load_model`` reads a ``best/`` folder back the way it was trained
(context, case feature, precision, LoRA adapters).

    >>> load_run_config("no/such/folder")
    {}

Imports: ``files`` (atomic writes), ``hub`` (quiet model loading).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from helpers.files import atomic_write_text
from helpers.hub import quiet_transformers

RUN_CONFIG = "run_config.json"
HISTORY = "history.json"
STATE = "trainer_state.json"


def load_run_config(model_dir) -> dict:
    """The ``run_config.json`` saved beside a model (``{}`` for a model from elsewhere), so
    prediction builds its inputs as training did (context, case feature)."""
    path = Path(model_dir) / RUN_CONFIG
    return json.loads(path.read_text()) if path.is_file() else {}


def save_checkpoint(accelerator, model, tokenizer, directory: Path, config,
                    label_names: list[str] | None, history: dict) -> None:
    """Model (safetensors), tokenizer, label map in the config, run config and history;
    written by the main process only."""
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    directory.mkdir(parents=True, exist_ok=True)
    unwrapped = accelerator.unwrap_model(model)
    if label_names:
        unwrapped.config.id2label = dict(enumerate(label_names))
        unwrapped.config.label2id = {name: i for i, name in enumerate(label_names)}
    with quiet_transformers():
        unwrapped.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    (directory / RUN_CONFIG).write_text(json.dumps(asdict(config), indent=2))
    (directory / HISTORY).write_text(json.dumps(history, indent=2))


@dataclass
class ResumePoint:
    """Where an interrupted run carries on: its history so far, the epoch and the batch."""

    history: dict
    epoch: int
    batch: int


def save_state(accelerator, out: Path, history: dict, epoch: int, batch: int) -> None:
    """The resumable state in ``out/last`` (accelerate's files plus ``trainer_state.json``)."""
    accelerator.save_state(str(out / "last"))
    if accelerator.is_main_process:
        atomic_write_text(out / "last" / STATE,
                          json.dumps({"history": history, "epoch": epoch, "batch": batch}))


def load_state(accelerator, out: Path) -> ResumePoint | None:
    """Restore ``out/last`` into the prepared objects; ``None`` when there is nothing saved."""
    state_file = out / "last" / STATE
    if not state_file.is_file():
        return None
    accelerator.load_state(str(out / "last"))
    saved = json.loads(state_file.read_text())
    return ResumePoint(saved["history"], saved["epoch"], saved["batch"])


def load_model(model_dir, kind: str = "token", device=None):
    """A saved model for prediction: ``(model, tokenizer, run config)``, the model in eval mode
    on ``device`` (when given). ``kind`` is ``"token"`` (NER) or ``"sequence"``
    (classification); a classifier trained with LoRA is loaded with its adapters."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    run = load_run_config(model_dir)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        if kind == "token":
            model = AutoModelForTokenClassification.from_pretrained(model_dir)
        elif run.get("tuning") == "lora":
            from peft import AutoPeftModelForSequenceClassification

            model = AutoPeftModelForSequenceClassification.from_pretrained(model_dir)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(model_dir)
    if device is not None:
        model.to(device)
    return model.eval(), tokenizer, run
