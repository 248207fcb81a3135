"""The training loop, written out because it is what the lesson teaches.

One loop (``fit``) for every task and machine, on ``accelerate.Accelerator``: a CPU, one CUDA
GPU (bf16, or fp16 with loss scaling), Apple MPS, or several processes under ``torchrun`` or
``accelerate launch`` (lessons/04). ``ner.train_ner`` and ``classify.train_classifier`` call it;
``python -m helpers.train`` is the command line (``cli.py``).

What the loop does, in order: batches grouped by length per global batch (so any split of it
between processes and accumulated batches sees the same examples at a step) and padded per
batch, AdamW with weight decay on weights only, linear warm-up then decay, gradient clipping,
dev scores after each epoch, early stopping, the best checkpoint saved as safetensors with its
tokenizer, labels and run config, and a resumable state saved after every epoch longer than
``STATE_MIN_SECONDS`` and on Ctrl-C, from which a resumed run ends where the uninterrupted one
would have, or is refused (``checkpoint``). Notebook 04 walks through ``train_one_epoch``.

    >>> h = History("f1")
    >>> h.record({"epoch": 1, "f1": 0.5}), h.record({"epoch": 2, "f1": 0.4})
    (True, False)
    >>> h.best_epoch, h.epochs_since_best
    (1, 1)

Imports: ``checkpoint``, ``device``, ``modelfolder`` (the model, resolved and checked), ``recipe``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from helpers import checkpoint
from helpers.checkpoint import TrainingStopped  # raised here too; ``train.TrainingStopped`` for callers
from helpers.device import peak_memory_mb, pick_device, pick_precision, reset_peak_memory, seed_everything
from helpers.modelfolder import resolve_checked
from helpers.recipe import TrainConfig

# The resumable state (model, optimizer moments, scheduler, random states: about 12 bytes per
# parameter) is written after an epoch only when the epoch took at least this long, since
# redoing a shorter epoch costs less than writing it; Ctrl-C always writes it.
STATE_MIN_SECONDS = 30.0


# --------------------------------------------------------------------------- what a run records
@dataclass
class Summary:
    """The whole run: time, speed, where and how it ran."""

    train_seconds: float
    train_samples_per_second: float
    device: str
    precision: str
    optimizer: str
    peak_memory_mb: float
    data_wait_seconds: float  # training time spent waiting for the DataLoader's batches
    data_wait_share: float


@dataclass
class History:
    """Logged steps, one row per epoch (dev scores, speed), the best epoch, the summary."""

    metric: str = "f1"
    steps: list[dict] = field(default_factory=list)  # epoch (fractional), loss, lr
    epochs: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -1.0
    summary: Summary | None = None
    optimizer_steps: int = 0  # the same in every process, and for any split of the same global batch

    def record(self, row: dict) -> bool:
        """Add an epoch's row; True when it is the best so far (higher ``metric`` is better)."""
        self.epochs.append(row)
        if row[self.metric] > self.best_score:
            self.best_epoch, self.best_score = row["epoch"], row[self.metric]
            return True
        return False

    @property
    def epochs_since_best(self) -> int:
        return self.epochs[-1]["epoch"] - self.best_epoch if self.epochs else 0

    def to_dict(self) -> dict:
        """The form saved as ``history.json`` and in the resumable state."""
        return {"steps": self.steps, "epochs": self.epochs,
                "best": {self.metric: self.best_score, "epoch": self.best_epoch},
                "optimizer_steps": self.optimizer_steps,
                "summary": asdict(self.summary) if self.summary else {}}

    @classmethod
    def from_dict(cls, saved: dict, metric: str) -> History:
        best = saved["best"]
        return cls(metric, saved["steps"], saved["epochs"], best["epoch"], best[metric],
                   optimizer_steps=saved.get("optimizer_steps", 0))


@dataclass
class RunResult:
    """What a task's training returns: the history, the best checkpoint and its scores."""

    history: History
    model_dir: str
    model: str  # the short name of the model that trained
    dev: dict  # metric name -> value, of the best checkpoint
    test: dict | None = None  # scored once, with the best checkpoint


class StepClock:
    """A callback that records the clock and the batch size at the end of every step, so a
    benchmark can leave the warm-up steps out."""

    def __init__(self):
        self.ends, self.samples = [], []  # seconds (perf_counter) and samples, per step

    def on_step(self, samples: int) -> None:
        self.ends.append(time.perf_counter())
        self.samples.append(samples)


# --------------------------------------------------------------------------- the loop
@dataclass
class EpochStats:
    seconds: float = 0.0
    samples: int = 0
    loss: float = 0.0  # running (exponentially smoothed) training loss
    data_wait: float = 0.0

    def step(self, samples: int, loss: float) -> None:
        self.samples += samples
        self.loss = 0.9 * self.loss + 0.1 * loss if self.loss else loss

    def add(self, other: EpochStats) -> None:
        self.seconds += other.seconds
        self.samples += other.samples
        self.data_wait += other.data_wait


@dataclass
class Loop:
    """Everything one run trains with, prepared by ``prepare`` (after ``accelerator.prepare``)."""

    accelerator: object
    model: object
    optimizer: object
    scheduler: object
    loader: object
    generator: object
    config: TrainConfig
    device: str
    precision: str
    guard: checkpoint.Guard  # Ctrl-C, and the last point where the state is whole
    epoch: int = 0
    batch: int = 0  # batches done in the current epoch
    steps: int = 0  # batches done by this call of fit
    stats: EpochStats = field(default_factory=EpochStats)  # of the current epoch

    def finished(self) -> bool:
        return bool(self.config.max_steps) and self.steps >= self.config.max_steps

    @cached_property
    def settings(self) -> dict:
        """What a resumed run must share with the saved one (``checkpoint.changed_settings``)."""
        return {**asdict(self.config), "train_data": checkpoint.fingerprint(self.loader.dataset),
                "device": self.device, "precision_used": self.precision,
                "processes": self.accelerator.num_processes}

    def point(self, history: History) -> checkpoint.ResumePoint:
        """Where the loop stands: a state saved now resumes here."""
        return checkpoint.ResumePoint(history.to_dict(), self.epoch, self.batch, self.stats.loss,
                                      self.settings)


def train_one_epoch(loop: Loop, history: History, skip: int = 0, callbacks=()) -> EpochStats:
    """One pass over the training batches (after ``skip`` batches, when resuming)."""
    from tqdm.auto import tqdm

    config, accelerator = loop.config, loop.accelerator
    loop.model.train()
    loop.generator.manual_seed(config.seed + loop.epoch)  # the same order when resuming
    batches = accelerator.skip_first_batches(loop.loader, skip) if skip else loop.loader
    stats = loop.stats = EpochStats(loss=loop.stats.loss if skip else 0.0)  # resumed: goes on
    loop.batch = skip
    bar = tqdm(batches, desc=f"epoch {loop.epoch + 1}/{config.epochs}", leave=False,
               disable=not accelerator.is_local_main_process, total=len(loop.loader) - skip)
    started = fetched = time.perf_counter()
    for batch in bar:
        stats.data_wait += time.perf_counter() - fetched  # the step waited for its batch
        with loop.guard.held():  # a Ctrl-C waits for the step's end: no half step is saved
            loss = training_step(loop, batch)
            history.optimizer_steps += accelerator.sync_gradients  # not inside an accumulation
            loop.batch, loop.steps = loop.batch + 1, loop.steps + 1
            size = batch["input_ids"].shape[0] * accelerator.num_processes
            stats.step(size, loss)
            for callback in callbacks:
                callback.on_step(size)
            if loop.batch % config.log_every == 0:
                history.steps.append({"epoch": loop.epoch + loop.batch / len(loop.loader),
                                      "loss": loss, "lr": loop.scheduler.get_last_lr()[0]})
                bar.set_postfix(loss=f"{stats.loss:.3f}")
        if loop.finished():
            break
        fetched = time.perf_counter()
    stats.seconds = time.perf_counter() - started
    return stats


def training_step(loop: Loop, batch) -> float:
    """Forward, backward, clip, optimizer and scheduler step (every ``grad_accum`` batches)."""
    import torch

    accelerator, model, config = loop.accelerator, loop.model, loop.config
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        if not torch.isfinite(loss):
            raise TrainingStopped(
                f"the loss became {loss.item()} at epoch {loop.epoch + 1}, batch {loop.batch}; "
                f"lower the learning rate (now {config.lr}), check the labels, or use bf16/fp32 "
                "instead of fp16")
        accelerator.backward(loss)
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        loop.optimizer.step()
        loop.scheduler.step()
        loop.optimizer.zero_grad(set_to_none=True)
    return loss.item()


def fit(model, tokenizer, train_dataset, collator, evaluate: Callable[[object], dict] | None,
        config: TrainConfig, label_names: list[str] | None = None, metric: str = "f1",
        resume: bool = True, callbacks=()) -> History:
    """Train ``model`` on ``train_dataset`` (already tokenised) and return its ``History``.

    ``evaluate(model)`` is called after every epoch and returns a dict of dev metrics with
    ``metric`` in it (higher is better); with ``None`` nothing is evaluated or saved (used with
    ``config.max_steps`` to time steps). Each of ``callbacks`` has ``on_step(samples)``. The best
    model is saved to ``<output_dir>/best``, the resumable state to ``<output_dir>/last``.
    """
    import torch

    loop = prepare(model, train_dataset, collator, config)
    history, skip = resume_from(loop, metric) if resume else (History(metric), 0)
    reset_peak_memory(loop.device)
    totals = EpochStats()
    with loop.guard:  # Ctrl-C stops the run where its state is whole, and saves that state
        try:
            for epoch in range(loop.epoch, config.epochs):
                loop.epoch = epoch
                stats = train_one_epoch(loop, history, skip, callbacks)
                skip = 0
                totals.add(stats)
                if loop.finished():
                    break
                if evaluate is not None:
                    scores = evaluate(loop.accelerator.unwrap_model(loop.model))
                    if not end_of_epoch(loop, history, scores, stats, tokenizer, label_names):
                        break
        except KeyboardInterrupt:
            checkpoint.save_on_interrupt(loop.guard, Path(config.output_dir), loop.point(history))
            raise
        except torch.cuda.OutOfMemoryError:
            raise TrainingStopped(
                f"the GPU ran out of memory with batch size {config.batch_size}: use --batch-size "
                f"{max(1, config.batch_size // 2)} --grad-accum {config.grad_accum * 2} (same "
                "effective batch), or a shorter --max-length") from None
    history.summary = summarize(loop, totals)
    if evaluate is not None and loop.accelerator.is_main_process:
        checkpoint.write_json(Path(config.output_dir) / checkpoint.HISTORY, history.to_dict())
    loop.accelerator.wait_for_everyone()  # best/ is whole before any process loads it
    return history


def resume_from(loop: Loop, metric: str) -> tuple[History, int]:
    """Restore ``<output_dir>/last`` into ``loop``: the history so far, the batches done."""
    point = checkpoint.resume(loop.guard, Path(loop.config.output_dir), loop.settings)
    if point is None:
        return History(metric), 0
    history = History.from_dict(point.history, metric)
    loop.epoch, loop.stats.loss = point.epoch, point.loss
    if history.epochs and history.epochs_since_best >= loop.config.patience:  # stopped early
        loop.epoch = loop.config.epochs
    return history, point.batch


def end_of_epoch(loop: Loop, history: History, scores: dict, stats: EpochStats, tokenizer,
                 label_names) -> bool:
    """Record the dev scores, save the best model and the resumable state; False to stop early.
    A Ctrl-C waits for all of it, so the state saved after it starts the next epoch."""
    config, out = loop.config, Path(loop.config.output_dir)
    row = {"epoch": loop.epoch + 1, "train_loss": stats.loss, **scores,
           "samples_per_second": stats.samples / stats.seconds, "seconds": stats.seconds,
           "peak_memory_mb": peak_memory_mb(loop.device)}
    with loop.guard.held():
        best = history.record(row)
        loop.accelerator.print(f"epoch {row['epoch']}: loss {row['train_loss']:.4f} · dev "
                               f"{history.metric} {row[history.metric]:.4f} · "
                               f"{row['samples_per_second']:.0f} samples/s · {row['seconds']:.0f} s")
        if best:
            checkpoint.save_checkpoint(loop.accelerator, loop.model, tokenizer, out / "best",
                                       config, label_names, history.to_dict())
        loop.epoch, loop.batch = loop.epoch + 1, 0  # where a state saved from now on resumes
        loop.guard.mark()
        stop = history.epochs_since_best >= config.patience
        if stats.seconds >= STATE_MIN_SECONDS and not stop and loop.epoch < config.epochs:
            checkpoint.save_state(loop.guard, out, loop.point(history))
    if stop:
        loop.accelerator.print(f"No dev improvement for {history.epochs_since_best} epochs: "
                               "stopping early.")
    return not stop


def summarize(loop: Loop, totals: EpochStats) -> Summary:
    seconds = totals.seconds
    return Summary(
        train_seconds=seconds, train_samples_per_second=totals.samples / seconds if seconds else 0.0,
        device=loop.device, precision=loop.precision,
        optimizer="AdamW (fused)" if loop.optimizer.defaults.get("fused") else "AdamW (foreach)",
        peak_memory_mb=peak_memory_mb(loop.device), data_wait_seconds=totals.data_wait,
        data_wait_share=totals.data_wait / seconds if seconds else 0.0)


# --------------------------------------------------------------------------- setting a run up
def prepare(model, train_dataset, collator, config: TrainConfig) -> Loop:
    """Device, precision, the Accelerator, batches grouped by length, AdamW and the schedule."""
    import torch
    from accelerate.utils import set_seed
    from torch.utils.data import DataLoader
    from transformers import get_linear_schedule_with_warmup
    from transformers.trainer_pt_utils import LengthGroupedSampler

    device = pick_device()
    precision, _ = pick_precision(device, config.precision)
    accelerator = fresh_accelerator(precision, config.grad_accum, cpu=device == "cpu")
    set_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    if config.group_by_length:  # grouped by global batch: any split of it sees the same order
        global_batch = config.batch_size * accelerator.num_processes * config.grad_accum
        sampler = LengthGroupedSampler(global_batch,
                                       lengths=[len(x) for x in train_dataset["input_ids"]],
                                       generator=generator)
    else:
        sampler = torch.utils.data.RandomSampler(train_dataset, generator=generator)
    loader = DataLoader(train_dataset, batch_size=config.batch_size, sampler=sampler,
                        collate_fn=collator, generator=generator)  # not dropout's generator
    optimizer = adamw(model, config, device)
    total_steps = math.ceil(len(loader) / config.grad_accum) * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup * total_steps),
                                                total_steps)
    prepared = accelerator.prepare(model, optimizer, loader, scheduler)
    return Loop(accelerator, *prepared[:2], prepared[3], prepared[2], generator, config, device,
                precision, checkpoint.Guard(accelerator))


def fresh_accelerator(precision: str, grad_accum: int, cpu: bool):
    """An ``Accelerator`` for this run. Accelerate keeps one global state per process, and an
    earlier run (another precision, or HF Trainer) would make a new Accelerator fail, so that
    state is reset first, keeping the distributed state (accelerate offers no public call)."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=False)
    return Accelerator(mixed_precision={"fp32": "no"}.get(precision, precision),
                       gradient_accumulation_steps=grad_accum, cpu=cpu)


def adamw(model, config: TrainConfig, device: str):
    """torch AdamW; no weight decay on biases and LayerNorm weights; fused kernels where offered."""
    import torch

    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (no_decay if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    if config.optimizer not in (None, "fused", "foreach"):
        raise ValueError(f"optimizer {config.optimizer!r}: expected fused or foreach")
    if config.optimizer != "foreach" and device in ("cuda", "cpu"):
        try:
            return torch.optim.AdamW(groups, lr=config.lr, fused=True)
        except (RuntimeError, TypeError):  # a build without the fused kernel
            if config.optimizer == "fused":
                raise
    return torch.optim.AdamW(groups, lr=config.lr)


def start_run(config: TrainConfig, splits) -> tuple:
    """What every task does first: seed, resolve the model, cut the splits to the config's
    limits, load the tokenizer. Returns ``(model choice, splits, tokenizer)``."""
    from transformers import AutoTokenizer

    seed_everything(config.seed)
    choice = resolve_checked(config.model)  # a folder that would load as something else: refused
    limits = {name: config.train_limit if name == "train" else config.eval_limit for name in splits}
    splits = {name: ds.select(range(min(limits[name] or len(ds), len(ds))))
              for name, ds in splits.items()}
    return choice, splits, AutoTokenizer.from_pretrained(choice.path)


def plot_history(history: History):
    """Training loss and learning rate per logged step, the dev metric per epoch."""
    import matplotlib.pyplot as plt

    fig, (loss_ax, lr_ax, dev_ax) = plt.subplots(1, 3, figsize=(12, 3))
    steps, epochs, metric = history.steps, history.epochs, history.metric
    loss_ax.plot([s["epoch"] for s in steps], [s["loss"] for s in steps])
    loss_ax.set(title="training loss", xlabel="epoch", yscale="log")
    lr_ax.plot([s["epoch"] for s in steps], [s["lr"] for s in steps])
    lr_ax.set(title="learning rate", xlabel="epoch")
    dev_ax.plot([e["epoch"] for e in epochs], [e[metric] for e in epochs], marker="o")
    dev_ax.set(title=f"dev {metric}", xlabel="epoch", xticks=[e["epoch"] for e in epochs])
    fig.tight_layout()
    return fig


if __name__ == "__main__":  # python -m helpers.train: the command line lives in helpers.cli
    from helpers.cli import main
    sys.exit(main())
