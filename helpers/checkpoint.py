"""What a run leaves on disk, and loading it back.

A run folder holds ``best/`` (the best model so far: safetensors weights, tokenizer, the label
map in ``config.json``, ``run_config.json`` and ``history.json``) and ``last/`` (the resumable
state: weights, optimizer moments, scheduler, random states, and ``trainer_state.json`` saying
where to carry on, with which settings, and which files make the state). ``load_model`` reads a
``best/`` folder back the way it was trained (context, case feature, precision, LoRA adapters).

Both folders are written whole or not at all: into ``<name>.partial``, flushed to disk, then
renamed into place (``files.recover_folder`` finishes or undoes a swap that a kill cut short). A resume is
exact or refused: ``Guard`` lets Ctrl-C stop a run only where its state is whole (never inside
a step, a gradient accumulation or a save) and keeps the random states of that point;
``load_state`` checks every file against the manifest, and the settings against the saved run.

    >>> load_run_config("no/such/folder")
    {}
    >>> changed_settings({"lr": 0.01, "log_every": 10}, {"lr": 0.005, "log_every": 1})
    ['lr 0.01 -> 0.005']

Imports: ``distributed`` (a Ctrl-C that stops every process at one step), ``files`` (atomic
writes, whole folders), ``hub`` (quiet model loading), ``modelfolder`` (checked before loading).
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from helpers.distributed import any_process
from helpers.files import (
    PARTIAL,
    atomic_write_text,
    flush_tree,
    recover_folder,
    sha256_file,
    sibling,
    swap_in,
)
from helpers.hub import quiet_transformers
from helpers.modelfolder import check_model_folder

RUN_CONFIG = "run_config.json"
HISTORY = "history.json"
STATE = "trainer_state.json"
LAST = "last"
# Settings that a resumed run may change: they change neither the weights nor the scores.
FREE_ON_RESUME = ("output_dir", "log_every")


class TrainingStopped(RuntimeError):
    """Training cannot go on; the message says why and what to change."""


def describe_run(out) -> str | None:
    """What a run folder holds, in words (``None`` when it holds no run): the task, model and
    best dev score of ``best/``, and whether an unfinished run's state is in ``last/``."""
    out = Path(out)
    best, last = out / "best", out / LAST
    if not best.is_dir() and not last.is_dir():
        return None
    parts = []
    if best.is_dir():
        run = load_run_config(best) if (best / RUN_CONFIG).is_file() else {}
        history = json.loads((out / HISTORY).read_text()) if (out / HISTORY).is_file() else {}
        score = ", ".join(f"dev {k} {v:.4g}" for k, v in (history.get("best") or {}).items()
                          if k != "epoch" and isinstance(v, float))
        parts.append(f"the model of a {run.get('task', 'previous')} run of {run.get('model', 'a model')}"
                     + (f" ({score})" if score else "") + " in best/")
    if last.is_dir():
        parts.append("an unfinished run's state in last/")
    return " and ".join(parts)


def load_run_config(model_dir) -> dict:
    """The ``run_config.json`` saved beside a model (``{}`` for a model from elsewhere), so
    prediction builds its inputs as training did (context, case feature)."""
    path = Path(model_dir) / RUN_CONFIG
    return json.loads(path.read_text()) if path.is_file() else {}


def write_json(path: Path, data) -> None:
    """``data`` as indented JSON, written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2))


def save_checkpoint(accelerator, model, tokenizer, directory: Path, config,
                    label_names: list[str] | None, history: dict) -> None:
    """Model (safetensors), tokenizer, label map in the config, run config and history;
    written by the main process, whole (``<directory>.partial``, then renamed into place)."""
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    directory = Path(directory)
    recover_folder(directory)
    partial = sibling(directory, PARTIAL)
    unwrapped = accelerator.unwrap_model(model)
    if label_names:
        unwrapped.config.id2label = dict(enumerate(label_names))
        unwrapped.config.label2id = {name: i for i, name in enumerate(label_names)}
    with quiet_transformers():
        unwrapped.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    (partial / RUN_CONFIG).write_text(json.dumps(asdict(config), indent=2))
    (partial / HISTORY).write_text(json.dumps(history, indent=2))
    flush_tree(partial)
    swap_in(partial, directory)


# --------------------------------------------------------------------------- Ctrl-C and whole points
def random_states() -> dict:
    """Every random generator training draws from (Python, NumPy, torch CPU, CUDA, MPS)."""
    import numpy as np
    import torch

    states = {"python": random.getstate(), "numpy": np.random.get_state(),
              "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    if torch.backends.mps.is_available():
        states["mps"] = torch.mps.get_rng_state()
    return states


def set_random_states(states: dict) -> None:
    import numpy as np
    import torch

    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states:
        torch.cuda.set_rng_state_all(states["cuda"])
    if "mps" in states:
        torch.mps.set_rng_state(states["mps"])


class Guard:
    """Ctrl-C during training, and the last point where the training state is whole.

    The state is whole between optimizer steps: not inside a step or the end-of-epoch work
    (``held``), a gradient accumulation or a save. There Ctrl-C raises ``KeyboardInterrupt`` at
    once; elsewhere it waits for the next whole point (more Ctrl-C change nothing), so no half
    step or half-written state is ever saved. ``mark`` keeps the random states of the last
    whole point, so a state saved later (after Ctrl-C during dev scoring, say) is that point's.
    A context manager around the loop, for the main thread (Python signals no other).

    With several processes a Ctrl-C may reach one of them, or all at different moments, and
    they must stop at the same step, or the others would wait forever for its gradients: there
    Ctrl-C always waits, and after every whole step the processes ask each other
    (``distributed.any_process``) whether one was interrupted; then all stop there.
    """

    def __init__(self, accelerator):
        self.accelerator = accelerator
        self.together = accelerator.num_processes > 1
        self.whole, self.waiting, self.depth = True, False, 0
        self.random_states = random_states()
        self._previous = None

    def __enter__(self) -> Guard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_ctrl_c)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_ctrl_c(self, signum, frame) -> None:
        if self.whole and not self.depth and not self.together:
            raise KeyboardInterrupt
        if not self.waiting:
            print("Ctrl-C: stopping once the step or save in progress is done (to stop at once, "
                  "kill the process: the state saved before stays whole).", file=sys.stderr,
                  flush=True)
        self.waiting = True

    def mark(self) -> None:
        """The state is whole here: keep the random states of this point."""
        self.random_states = random_states()

    @contextmanager
    def held(self):
        """A training step or the end of an epoch: Ctrl-C waits for its end. After it the state
        is whole unless gradients are still being accumulated; a Ctrl-C that waited then stops
        the run. An exception inside leaves the state not whole."""
        self.depth += 1
        self.whole = False
        try:
            yield
        finally:
            self.depth -= 1
        if not self.depth and self.accelerator.sync_gradients:
            self.mark()  # before the state counts as whole: a Ctrl-C now waits for this
            self.whole = True
            if any_process(self.waiting) if self.together else self.waiting:
                self.waiting = False
                raise KeyboardInterrupt

    @contextmanager
    def saving(self):
        """A save: Ctrl-C waits for its end (and then for the next whole point)."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1


# --------------------------------------------------------------------------- the resumable state
@dataclass
class ResumePoint:
    """Where an interrupted run carries on: its history so far, the epoch and the batch, the
    epoch's smoothed loss so far, and the settings it ran with (``changed_settings``)."""

    history: dict
    epoch: int
    batch: int
    loss: float
    settings: dict


def fingerprint(dataset) -> str:
    """``"<n> examples, sha256 <12 hex digits>"`` of a tokenised data set (a ``datasets.Dataset``;
    other data sets give their length only): a resumed run must train on the same data."""
    if not hasattr(dataset, "with_format"):
        return f"{len(dataset)} examples"
    text = json.dumps(dataset.with_format(None)[:], sort_keys=True, default=str)
    return f"{len(dataset)} examples, sha256 {hashlib.sha256(text.encode()).hexdigest()[:12]}"


def changed_settings(saved: dict, now: dict) -> list[str]:
    """``"name saved -> now"`` for each setting that differs, but those in ``FREE_ON_RESUME``."""
    now = json.loads(json.dumps(now))  # as it would be saved: tuples become lists
    missing = "(not set)"
    return [f"{name} {saved.get(name, missing)} -> {now.get(name, missing)}"
            for name in {**saved, **now} if name not in FREE_ON_RESUME
            and saved.get(name, missing) != now.get(name, missing)]


def save_state(guard: Guard, out: Path, point: ResumePoint) -> None:
    """The resumable state in ``out/last``, as one unit: accelerate's files (weights, optimizer,
    scheduler, one file of random states per process: those of ``guard``'s last whole point)
    and ``trainer_state.json`` (``point`` and a manifest: each file's size and SHA-256) are
    written to ``last.partial``, flushed to disk, and renamed into ``last``'s place, so a kill
    at any moment leaves the previous state or this one, whole. Ctrl-C waits for the end."""
    accelerator, folder = guard.accelerator, Path(out) / LAST
    partial = sibling(folder, PARTIAL)
    with guard.saving():
        if accelerator.is_main_process:
            recover_folder(folder)
        accelerator.wait_for_everyone()
        now = random_states()
        set_random_states(guard.random_states)  # accelerate saves the current ones
        try:
            accelerator.save_state(str(partial))
        finally:
            set_random_states(now)
        accelerator.wait_for_everyone()
        if accelerator.is_main_process:
            saved = {**asdict(point), "files": _manifest(partial)}
            if "mps" in guard.random_states:  # accelerate leaves this one out
                saved["mps_random_state"] = guard.random_states["mps"].tolist()
            saved["digest"] = _digest(saved)  # a value edited by hand is found at resume
            (partial / STATE).write_text(json.dumps(saved))
            flush_tree(partial)
            swap_in(partial, folder)
        accelerator.wait_for_everyone()


def save_on_interrupt(guard: Guard, out: Path, point: ResumePoint) -> None:
    """Ctrl-C: save the state (``point``, where the run stopped) and say how to carry on; not
    when the state is not whole (a ``KeyboardInterrupt`` raised by code, not by Ctrl-C, inside
    a step or a gradient accumulation): the state saved before, if any, stays."""
    last = Path(out) / LAST
    if not guard.whole:
        guard.accelerator.print(f"Interrupted inside a training step or a gradient accumulation: "
                                f"{last} was not updated.")
        return
    save_state(guard, out, point)
    guard.accelerator.print(f"Interrupted: state saved to {last} (epoch {point.epoch + 1}, batch "
                            f"{point.batch}); to carry on, run the same command with --resume "
                            "(in Python: resume=True).")


def resume(guard: Guard, out: Path, settings: dict) -> ResumePoint | None:
    """``load_state`` for a run that asks to resume, saying in one line what it does."""
    last = Path(out) / LAST
    point = load_state(guard.accelerator, out, settings)
    if point is None:
        guard.accelerator.print(f"No state to resume in {last}: starting fresh.")
        return None
    guard.mark()  # the random states just restored
    guard.accelerator.print(f"Resuming from {last}: epoch {point.epoch + 1}, batch {point.batch}")
    return point


def load_state(accelerator, out: Path, settings: dict) -> ResumePoint | None:
    """Restore ``out/last`` into the prepared objects and the random generators; ``None`` when
    there is nothing saved. A damaged or half-written state, other ``settings`` than the saved
    run's, or a state that does not fit the model raise ``TrainingStopped`` in one line."""
    folder = Path(out) / LAST
    if accelerator.is_main_process:
        recover_folder(folder)
    accelerator.wait_for_everyone()
    if not folder.exists():
        return None
    saved = read_state(folder)
    if changes := changed_settings(saved["settings"], settings):
        raise TrainingStopped(f"--resume with other settings than the run saved in {folder}: "
                              f"{', '.join(changes)}; use the same settings, or delete {folder} "
                              "to start afresh")
    random_states = folder / f"random_states_{accelerator.process_index}.pkl"
    try:  # accelerate skips random states it cannot load, silently: exact or refused
        import torch

        states = torch.load(random_states, weights_only=False)  # listed in the checked manifest
        expected_torch = states["torch_manual_seed"]
    except Exception as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise TrainingStopped(f"{random_states} does not load ({reason}), so the resumed run could "
                              f"not be exact; delete {folder} to start afresh") from err
    try:
        accelerator.load_state(str(folder))
    except Exception as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise TrainingStopped(f"{folder} does not load into this run ({reason}); delete it to "
                              "start afresh") from err
    if not torch.equal(torch.get_rng_state(), expected_torch):
        raise TrainingStopped(f"{random_states} was not restored, so the resumed run could not be "
                              f"exact; delete {folder} to start afresh")
    if "mps_random_state" in saved:
        import torch

        torch.mps.set_rng_state(torch.tensor(saved["mps_random_state"], dtype=torch.uint8))
    return ResumePoint(**{f.name: saved[f.name] for f in fields(ResumePoint)})


def read_state(folder: Path) -> dict:
    """``trainer_state.json`` of a state folder, once every file it lists has been checked
    (present, same size, same SHA-256); else ``TrainingStopped`` naming the folder."""
    def refused(why: str) -> TrainingStopped:
        return TrainingStopped(f"{folder}: {why}, so the run cannot resume from it; delete "
                               f"{folder} to start afresh")

    try:
        saved = json.loads((folder / STATE).read_text())
    except FileNotFoundError:
        raise refused(f"no {STATE} (the save did not finish)") from None
    except (OSError, ValueError) as err:
        raise refused(f"{STATE} is unreadable ({err})") from None
    needed = {"files", "digest"} | {f.name for f in fields(ResumePoint)}
    if not isinstance(saved, dict) or not needed <= saved.keys():
        raise refused(f"{STATE} lacks the manifest of the state's files (a state saved by an "
                      "older version of the course, or damaged)")
    if saved["digest"] != _digest({k: v for k, v in saved.items() if k != "digest"}):
        raise refused(f"{STATE} was changed after it was saved (its digest differs): the run "
                      "would resume from a point it never reached")
    for name, (size, digest) in saved["files"].items():
        path = folder / name
        if not path.is_file():
            raise refused(f"{name} is missing")
        if path.stat().st_size != size:
            raise refused(f"{name} has {path.stat().st_size} bytes where {size} were saved")
        if sha256_file(path) != digest:
            raise refused(f"{name} is not the file that was saved (its SHA-256 differs)")
    return saved


def _digest(saved: dict) -> str:
    """SHA-256 of a state's ``trainer_state.json`` fields, the digest itself left out."""
    return hashlib.sha256(json.dumps(saved, sort_keys=True).encode("utf-8")).hexdigest()


def _manifest(folder: Path) -> dict:
    """``{relative path: [size, sha256]}`` of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): [p.stat().st_size, sha256_file(p)]
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load_model(model_dir, kind: str = "token", device=None):
    """A saved model for prediction: ``(model, tokenizer, run config)``, the model in eval mode
    on ``device`` (when given). ``kind`` is ``"token"`` (NER) or ``"sequence"``
    (classification); a classifier trained with LoRA is loaded with its adapters."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
    )

    check_model_folder(model_dir, kind)  # tokenizer, vocabulary, labels, run config: whole or refused
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
