"""The training loop, written out because it is what the lesson teaches, and the CLI around it.

One loop (``fit``) for every task of the course and every machine: it runs on
``accelerate.Accelerator``, so the same code trains on a CPU, one CUDA GPU (bf16, or fp16 with
loss scaling), Apple MPS, and several GPUs under ``accelerate launch`` or ``torchrun``.

    python -m helpers.train ner --train data/health_ner/train.conll \\
        --validation data/health_ner/dev.conll --test data/health_ner/test.conll

What the loop does, in order: length-grouped batches padded per batch (dynamic padding), AdamW
with weight decay on weights only, linear warm-up then decay, gradient clipping, evaluation on
dev after each epoch, early stopping, the best checkpoint saved as safetensors with its
tokenizer, labels and run config, and a resumable state saved after every epoch longer than
30 s and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from helpers.env import BUNDLED_MODEL, REPO_ROOT

MODELS = REPO_ROOT / "build" / "models"


@dataclass
class TrainConfig:
    """One run's settings: printed at the start, saved with every checkpoint."""

    task: str = "ner"
    model: str = "bert-base-cased"  # requested; env.resolve_model decides what loads
    output_dir: str = str(MODELS / "ner")
    epochs: int = 3
    lr: float = 1e-4
    batch_size: int = 32
    eval_batch_size: int = 64
    max_length: int = 128
    weight_decay: float = 0.01
    warmup: float = 0.1  # fraction of all optimizer steps
    max_grad_norm: float = 1.0
    grad_accum: int = 1
    patience: int = 2  # epochs without dev improvement before stopping
    seed: int = 42
    precision: str | None = None  # bf16/fp16/fp32; None: env.pick_precision decides
    optimizer: str | None = None  # "fused" or "foreach" AdamW; None: fused where offered
    label_all_subtokens: bool = False
    context: bool = False  # neighbouring sentences of the document as extra input
    case_feature: bool = False  # capitalisation through token_type_ids (uncased models)
    freeze_word_embeddings: bool = False  # keep the vocabulary matrix fixed (less optimizer work)
    group_by_length: bool = True
    train_limit: int | None = None
    eval_limit: int | None = None
    log_every: int = 10
    max_steps: int | None = None  # stop after this many optimizer steps (benchmarks)
    extra: dict = field(default_factory=dict)


def recipe(model_path: str, task: str = "ner") -> dict:
    """The course's defaults for ``task`` and the model that are not fixed numbers: learning
    rate, case feature, frozen word embeddings (see ``config_for``). The notebooks, the CLI
    and the benchmark all start from it."""
    from transformers import AutoConfig, AutoTokenizer

    wide = getattr(AutoConfig.from_pretrained(model_path), "hidden_size", 768) >= 768
    uncased = bool(getattr(AutoTokenizer.from_pretrained(model_path), "do_lower_case", False))
    return {"lr": {"ner": 5e-5 if wide else 3e-4, "classify": 2e-5 if wide else 1e-4}[task],
            "case_feature": task == "ner" and uncased,
            "freeze_word_embeddings": task == "classify"}


def config_for(cfg, task: str = "ner", **changes) -> TrainConfig:
    """The run config for a notebook: the profile's model (the one that really loads), limits,
    epochs and batch size, and the course recipe for the task and the model's size
    (``recipe``): NER 5e-5 for BERT-base-sized models (768 wide and up) and 3e-4 for small ones
    such as MiniLM, with the case feature for uncased models; classification 2e-5 and 1e-4, with
    the word-embedding matrix frozen. Lessons 04 and 06 give the measurements behind each
    choice and where they were made.

    ``cfg`` is ``env.setup()``'s result; ``changes`` override any field.
    """
    profile = cfg.profile
    # the model that really loads: offline, the bundled MiniLM stands in for bert-base-cased
    model = BUNDLED_MODEL if cfg.model.source == "bundled" else cfg.model.requested
    settings = dict(task=task, model=model, epochs=profile.epochs,
                    **recipe(cfg.model.path, task),
                    batch_size=profile.batch_size, max_length=profile.max_length,
                    train_limit=profile.train_limit, eval_limit=profile.eval_limit,
                    seed=cfg.seed, output_dir=str(MODELS / f"{task}-{profile.name}"))
    settings.update(changes)
    return TrainConfig(**settings)


def plot_history(history: dict, metric: str = "f1"):
    """Training loss and learning rate per logged step, dev ``metric`` per epoch."""
    import matplotlib.pyplot as plt

    fig, (loss_ax, lr_ax, dev_ax) = plt.subplots(1, 3, figsize=(12, 3))
    steps = history["steps"]
    loss_ax.plot([s["epoch"] for s in steps], [s["loss"] for s in steps])
    loss_ax.set(title="training loss", xlabel="epoch", yscale="log")
    lr_ax.plot([s["epoch"] for s in steps], [s["lr"] for s in steps])
    lr_ax.set(title="learning rate", xlabel="epoch")
    epochs = history["epochs"]
    dev_ax.plot([e["epoch"] for e in epochs], [e[metric] for e in epochs], marker="o")
    dev_ax.set(title=f"dev {metric}", xlabel="epoch", xticks=[e["epoch"] for e in epochs])
    fig.tight_layout()
    return fig


class TrainingStopped(RuntimeError):
    """Training cannot go on; the message says why and what to change."""


# --------------------------------------------------------------------------- the loop
# The resumable state (model, optimizer moments, scheduler, random states: about 12 bytes per
# parameter, 270 MB for MiniLM) is written after an epoch only when the epoch took at least this
# long, since redoing a shorter epoch costs less than writing it; Ctrl-C always writes it.
STATE_MIN_SECONDS = 30.0


def fit(model, tokenizer, train_dataset, collator, evaluate: Callable[[object], dict] | None,
        config: TrainConfig, label_names: list[str] | None = None, metric: str = "f1",
        resume: bool = True) -> dict:
    """Train ``model`` on ``train_dataset`` (already tokenised) and return the history.

    ``evaluate(model)`` is called after every epoch and returns a dict of dev metrics with
    ``metric`` in it (higher is better); with ``None`` nothing is evaluated or saved (used with
    ``config.max_steps`` to time steps). ``history["step_end"]`` holds the clock at the end of
    every batch, so a benchmark can leave warm-up steps out. The best model so far is saved to
    ``<output_dir>/best``; the resumable state to ``<output_dir>/last``. Returns
    ``{"steps": [...], "epochs": [...], "best": {...}, "summary": {...}}``.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from helpers.env import pick_device, pick_precision

    out = Path(config.output_dir)
    device = pick_device()
    precision, _ = pick_precision(device, config.precision)
    # Accelerate keeps one global state per process; an earlier run (another precision, or
    # HF Trainer) would make this Accelerator fail. Reset it, keeping the distributed state.
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=False)
    accelerator = Accelerator(mixed_precision={"fp32": "no"}.get(precision, precision),
                              gradient_accumulation_steps=config.grad_accum,
                              cpu=device == "cpu")
    set_seed(config.seed)

    generator = torch.Generator().manual_seed(config.seed)
    if config.group_by_length:
        sampler = LengthGroupedSampler(config.batch_size * accelerator.num_processes,
                                       lengths=[len(x) for x in train_dataset["input_ids"]],
                                       generator=generator)
    else:
        sampler = torch.utils.data.RandomSampler(train_dataset, generator=generator)
    loader = DataLoader(train_dataset, batch_size=config.batch_size, sampler=sampler,
                        collate_fn=collator)

    optimizer = _adamw(model, config, device)
    steps_per_epoch = math.ceil(len(loader) / config.grad_accum)
    total_steps = steps_per_epoch * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup * total_steps),
                                                total_steps)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)

    history = {"steps": [], "epochs": [], "best": {metric: -1.0, "epoch": 0}, "step_end": [],
               "step_samples": []}
    start_epoch, skip_batches = 0, 0
    state_file = out / "last" / "trainer_state.json"
    if resume and state_file.is_file():
        accelerator.load_state(str(out / "last"))
        saved = json.loads(state_file.read_text())
        history = {**saved["history"], "step_end": [], "step_samples": []}
        start_epoch, skip_batches = saved["epoch"], saved["batch"]
        accelerator.print(f"Resuming from {out / 'last'}: epoch {start_epoch + 1}, "
                          f"batch {skip_batches}")

    _reset_peak_memory(device)
    bad_epochs, samples_seen, train_seconds, data_wait = 0, 0, 0.0, 0.0
    epoch = start_epoch
    try:
        for epoch in range(start_epoch, config.epochs):
            model.train()
            sampler_epoch_seed = config.seed + epoch  # same order on resume
            generator.manual_seed(sampler_epoch_seed)
            batches = accelerator.skip_first_batches(loader, skip_batches) if skip_batches \
                else loader
            batch_index, running, epoch_samples = skip_batches, 0.0, 0
            skip_batches = 0
            bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False,
                       disable=not accelerator.is_local_main_process,
                       total=len(loader) - batch_index)
            started = fetched = time.perf_counter()
            for batch in bar:
                data_wait += time.perf_counter() - fetched  # the step waited for its batch
                with accelerator.accumulate(model):
                    loss = model(**batch).loss
                    if not torch.isfinite(loss):
                        raise TrainingStopped(
                            f"the loss became {loss.item()} at epoch {epoch + 1}, batch "
                            f"{batch_index}; lower the learning rate (now {config.lr}), check "
                            "the labels, or use bf16/fp32 instead of fp16")
                    accelerator.backward(loss)
                    if accelerator.sync_gradients:
                        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad(set_to_none=True)
                batch_index += 1
                size = batch["input_ids"].shape[0] * accelerator.num_processes
                epoch_samples += size
                history["step_end"].append(time.perf_counter())
                history["step_samples"].append(size)
                running = 0.9 * running + 0.1 * loss.item() if running else loss.item()
                if batch_index % config.log_every == 0:
                    history["steps"].append({"epoch": epoch + batch_index / len(loader),
                                             "loss": loss.item(),
                                             "lr": scheduler.get_last_lr()[0]})
                    bar.set_postfix(loss=f"{running:.3f}")
                if config.max_steps and len(history["step_end"]) >= config.max_steps:
                    break
                fetched = time.perf_counter()
            seconds = time.perf_counter() - started
            train_seconds += seconds
            samples_seen += epoch_samples
            if evaluate is None:
                if config.max_steps and len(history["step_end"]) >= config.max_steps:
                    break
                continue
            scores = evaluate(accelerator.unwrap_model(model))
            row = {"epoch": epoch + 1, "train_loss": running, **scores,
                   "samples_per_second": epoch_samples / seconds, "seconds": seconds,
                   "peak_memory_mb": _peak_memory_mb(device)}
            history["epochs"].append(row)
            accelerator.print(_epoch_line(row, metric))
            if scores[metric] > history["best"][metric]:
                history["best"] = {metric: scores[metric], "epoch": epoch + 1}
                bad_epochs = 0
                save_checkpoint(accelerator, model, tokenizer, out / "best", config,
                                label_names, history)
            else:
                bad_epochs += 1
            if seconds >= STATE_MIN_SECONDS:
                _save_state(accelerator, out, history, epoch + 1, 0)
            if bad_epochs >= config.patience:
                accelerator.print(f"No dev improvement for {bad_epochs} epochs: stopping early.")
                break
    except KeyboardInterrupt:
        _save_state(accelerator, out, history, epoch, batch_index)
        accelerator.print(f"Interrupted: state saved to {out / 'last'}; run again to resume.")
        raise
    except torch.cuda.OutOfMemoryError:
        raise TrainingStopped(
            f"the GPU ran out of memory with batch size {config.batch_size}: use "
            f"--batch-size {max(1, config.batch_size // 2)} --grad-accum "
            f"{config.grad_accum * 2} (same effective batch), or a shorter --max-length"
        ) from None
    history["summary"] = {"train_seconds": train_seconds,
                          "train_samples_per_second": samples_seen / train_seconds
                          if train_seconds else 0.0,
                          "device": device, "precision": precision,
                          "optimizer": "AdamW (fused)" if optimizer.defaults.get("fused")
                          else "AdamW (foreach)",
                          "peak_memory_mb": _peak_memory_mb(device),
                          # training time spent waiting for the DataLoader's batches
                          "data_wait_seconds": data_wait,
                          "data_wait_share": data_wait / train_seconds if train_seconds else 0.0}
    if evaluate is not None:
        (out / "history.json").write_text(json.dumps(
            {k: v for k, v in history.items() if not k.startswith("step_")}, indent=2))
    return history


def _adamw(model, config: TrainConfig, device: str):
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


def _epoch_line(row: dict, metric: str) -> str:
    return (f"epoch {row['epoch']}: loss {row['train_loss']:.4f} · dev {metric} "
            f"{row[metric]:.4f} · {row['samples_per_second']:.0f} samples/s · "
            f"{row['seconds']:.0f} s")


def _reset_peak_memory(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()


def _peak_memory_mb(device: str) -> float:
    """Peak memory: allocated on a CUDA GPU, driver-allocated on MPS, the process's peak RSS on CPU."""
    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    if device == "mps":
        return torch.mps.driver_allocated_memory() / 2**20
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    except ImportError:
        return float("nan")


def saved_run_config(model_dir) -> dict:
    """The ``run_config.json`` saved beside a model (``{}`` for a model from elsewhere), so
    prediction builds its inputs as training did (context, case feature)."""
    path = Path(model_dir) / "run_config.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def save_checkpoint(accelerator, model, tokenizer, directory: Path, config: TrainConfig,
                    label_names: list[str] | None, history: dict) -> None:
    """Model (safetensors), tokenizer, label map in the config, run config and history."""
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    directory.mkdir(parents=True, exist_ok=True)
    unwrapped = accelerator.unwrap_model(model)
    if label_names:
        unwrapped.config.id2label = dict(enumerate(label_names))
        unwrapped.config.label2id = {name: i for i, name in enumerate(label_names)}
    from helpers.env import quiet_transformers

    with quiet_transformers():
        unwrapped.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    (directory / "run_config.json").write_text(json.dumps(asdict(config), indent=2))
    (directory / "history.json").write_text(json.dumps(
        {k: v for k, v in history.items() if not k.startswith("step_")}, indent=2))


def _save_state(accelerator, out: Path, history: dict, epoch: int, batch: int) -> None:
    from helpers.data import atomic_write_text

    accelerator.save_state(str(out / "last"))
    if accelerator.is_main_process:
        atomic_write_text(out / "last" / "trainer_state.json", json.dumps(
            {"history": {k: v for k, v in history.items() if not k.startswith("step_")},
             "epoch": epoch, "batch": batch}))


# --------------------------------------------------------------------------- NER
def ner_evaluator(dataset, tokenized, collator, batch_size: int = 64,
                  precision: str | None = None) -> Callable[[object], dict]:
    """A function ``evaluate(model) -> {"f1", "precision", "recall"}`` on ``dataset`` (strict
    IOB2 entity scores, one prediction per word: its first piece)."""
    from helpers.data import label_names, tag_strings
    from helpers.evaluate import entity_scores, predict_tags

    names, gold = label_names(dataset), tag_strings(dataset)  # once, not every epoch
    word_counts = [len(g) for g in gold]

    def evaluate(model_) -> dict:
        pred = predict_tags(model_, tokenized, collator, names, batch_size,
                            word_counts=word_counts, precision=precision)
        overall = entity_scores(gold, pred).loc["overall"]
        return {"f1": float(overall["f1"]), "precision": float(overall["precision"]),
                "recall": float(overall["recall"])}

    return evaluate


def train_ner(config: TrainConfig, splits, resume: bool = False) -> dict:
    """Fine-tune a token classifier on ``splits`` (train/validation[/test] NER datasets).

    Returns ``{"history", "model_dir", "dev", "test", "truncation", "model"}``; the best
    checkpoint is reloaded to score dev and test.
    """
    from transformers import AutoModelForTokenClassification, DataCollatorForTokenClassification

    from helpers.align import tokenize_and_align
    from helpers.env import quiet_transformers

    choice, splits, tokenizer = start_run(config, splits)
    names = splits["train"].features["ner_tags"].feature.names
    tokenized, truncation = {}, {}
    for name, ds in splits.items():
        tokenized[name], truncation[name] = tokenize_and_align(
            ds, tokenizer, config.max_length, config.label_all_subtokens, config.context,
            config.case_feature)
    with quiet_transformers():  # the new classification head is expected to be untrained
        model = AutoModelForTokenClassification.from_pretrained(
            choice.path, num_labels=len(names), id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)})
    if config.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    collator = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=None)
    evaluate = ner_evaluator(splits["validation"], tokenized["validation"], collator,
                             config.eval_batch_size, config.precision)
    history = fit(model, tokenizer, tokenized["train"], collator, evaluate, config,
                  label_names=names, resume=resume)

    best_dir = Path(config.output_dir) / "best"
    with quiet_transformers():
        best = AutoModelForTokenClassification.from_pretrained(best_dir)
    result = {"history": history, "model_dir": str(best_dir), "model": choice.short_name,
              "truncation": {k: str(v) for k, v in truncation.items()},
              "dev": evaluate(best)}
    if "test" in splits:
        result["test"] = ner_evaluator(splits["test"], tokenized["test"], collator,
                                       config.eval_batch_size, config.precision)(best)
    return result


def _limit(dataset, limit: int | None):
    return dataset if limit is None or limit >= len(dataset) else dataset.select(range(limit))


def start_run(config: TrainConfig, splits) -> tuple:
    """What every task does first: seed, resolve the model, cut the splits to the config's
    limits, load the tokenizer. Returns ``(model choice, splits, tokenizer)``."""
    from transformers import AutoTokenizer

    from helpers.env import resolve_model, seed_everything

    seed_everything(config.seed)
    choice = resolve_model(config.model)
    splits = {name: _limit(ds, config.train_limit if name == "train" else config.eval_limit)
              for name, ds in splits.items()}
    return choice, splits, AutoTokenizer.from_pretrained(choice.path)


# --------------------------------------------------------------------------- CLI
def _load_ner_splits(args) -> dict:
    from helpers.data import iob2_labels, load_conll2003, read_conll


    if args.train in ("conll2003", "eriktks/conll2003"):
        dataset, _ = load_conll2003()
        return dict(dataset)
    train = read_conll(args.train, iob2_labels(args.types.split(",")) if args.types else None)
    labels = train.features["ner_tags"].feature.names
    splits = {"train": train, "validation": read_conll(args.validation, labels)}
    if args.test:
        splits["test"] = read_conll(args.test, labels)
    return splits


def main(argv: list[str] | None = None) -> int:
    defaults = TrainConfig()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--train", required=True,
                        help="a data file, or a hub name online: 'conll2003' (ner), 'sst2' (classify)")
    common.add_argument("--validation", help="a data file (not needed with a hub name)")
    common.add_argument("--test", help="a data file; scored once, with the best dev checkpoint")
    common.add_argument("--model", default=os.environ.get("COURSE_MODEL", defaults.model))
    common.add_argument("--epochs", type=int, default=defaults.epochs)
    common.add_argument("--lr", type=float,
                        help="default: the course's rate for the task and model width "
                             "(NER 3e-4 small / 5e-5 BERT-base; classify 1e-4 / 2e-5)")
    common.add_argument("--batch-size", type=int, default=defaults.batch_size)
    common.add_argument("--grad-accum", type=int, default=defaults.grad_accum)
    common.add_argument("--max-length", type=int, default=defaults.max_length)
    common.add_argument("--warmup", type=float, default=defaults.warmup)
    common.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    common.add_argument("--patience", type=int, default=defaults.patience)
    common.add_argument("--precision", choices=["bf16", "fp16", "fp32"])
    common.add_argument("--optimizer", choices=["fused", "foreach"],
                        help="AdamW kernel (default: fused where the device offers it)")
    common.add_argument("--train-limit", type=int, help="use only the first N training examples")
    common.add_argument("--output", default=None, help="run folder (default build/models/<task>)")
    common.add_argument("--seed", type=int, default=defaults.seed)
    common.add_argument("--resume", action="store_true", help="continue from <output>/last")
    common.add_argument("--freeze-word-embeddings", action=argparse.BooleanOptionalAction,
                        help="keep the vocabulary matrix fixed (default: on for classify)")
    parser = argparse.ArgumentParser(prog="python -m helpers.train",
                                     description="Fine-tune BERT with the course's loop.")
    sub = parser.add_subparsers(dest="task", required=True)
    ner = sub.add_parser("ner", parents=[common], help="token classification from CoNLL files")
    ner.add_argument("--types", help="entity types in label order, e.g. SYMPTOM,TIME")
    ner.add_argument("--context", action="store_true",
                     help="feed neighbouring sentences of the document as context")
    ner.add_argument("--label-all-subtokens", action="store_true")
    ner.add_argument("--case-feature", action=argparse.BooleanOptionalAction,
                     help="mark capitalised words through token_type_ids (default: on for "
                          "uncased models)")
    classify = sub.add_parser("classify", parents=[common],
                              help="text classification from TSV/CSV/JSONL (text, label)")
    classify.add_argument("--labels", default="0,1", help="label names in order (default 0,1)")
    classify.add_argument("--tuning", choices=["full", "head", "upper", "lora"], default="full")
    classify.add_argument("--upper-layers", type=int, default=2)
    classify.add_argument("--lora-r", type=int, default=8)
    classify.add_argument("--dropout", type=float)
    args = parser.parse_args(argv)
    hub_names = {"ner": ("conll2003", "eriktks/conll2003"), "classify": ("sst2", "stanfordnlp/sst2")}
    if args.train not in hub_names[args.task] and not args.validation:
        parser.error("--validation is required with a data file")
    if args.task == "classify" and args.resume:
        parser.error("--resume is for ner runs; a classification run starts afresh")

    from helpers.data import DataFormatError
    from helpers.env import check_hub, resolve_model, set_threads

    check_hub()
    set_threads()
    # the course recipe for this task and model, where no flag says otherwise
    chosen = {key: value if getattr(args, key, None) is None else getattr(args, key)
              for key, value in recipe(resolve_model(args.model).path, args.task).items()}
    config = TrainConfig(
        task=args.task, model=args.model, output_dir=args.output or str(MODELS / args.task),
        epochs=args.epochs, batch_size=args.batch_size, grad_accum=args.grad_accum,
        max_length=args.max_length, warmup=args.warmup, weight_decay=args.weight_decay,
        patience=args.patience, precision=args.precision, optimizer=args.optimizer,
        seed=args.seed, train_limit=args.train_limit, **chosen)
    if args.task == "ner":
        config.context, config.label_all_subtokens = args.context, args.label_all_subtokens
    else:
        config.extra = {"tuning": args.tuning, "upper_layers": args.upper_layers,
                        "lora_r": args.lora_r, "dropout": args.dropout}
    print("Run config:", json.dumps(asdict(config)), file=sys.stderr)
    try:
        if args.task == "ner":
            result = train_ner(config, _load_ner_splits(args), resume=args.resume)
        else:
            from helpers.classify import train_classifier

            result = train_classifier(config, _load_classification_splits(args))
    except (TrainingStopped, DataFormatError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    summary = result["history"]["summary"]
    line = {"task": args.task, "model": result["model"], "dev_f1": result["dev"]["f1"],
            "train_seconds": round(summary["train_seconds"], 2),
            "train_samples_per_second": round(summary["train_samples_per_second"], 2),
            "device": summary["device"], "precision": summary["precision"],
            "optimizer": summary["optimizer"],
            "data_wait_share": round(summary["data_wait_share"], 4),
            "best_epoch": result["history"]["best"]["epoch"], "model_dir": result["model_dir"]}
    if "test" in result:
        line["test_f1"] = result["test"]["f1"]
    if args.task == "classify":
        line.update(dev_accuracy=result["dev"]["accuracy"], trainable_parameters=result["trainable"])
        if "test" in result:
            line["test_accuracy"] = result["test"]["accuracy"]
    print(json.dumps(line))
    return 0


def _load_classification_splits(args) -> dict:
    from helpers.data import read_text_classification

    if args.train in ("sst2", "stanfordnlp/sst2"):
        from helpers.data import course_classification_data
        from helpers.env import setup

        dataset, _ = course_classification_data(setup(profile="full", quiet=True))
        return dict(dataset)
    names = args.labels.split(",")
    splits = {"train": read_text_classification(args.train, names),
              "validation": read_text_classification(args.validation, names)}
    if args.test:
        splits["test"] = read_text_classification(args.test, names)
    return splits


if __name__ == "__main__":
    sys.exit(main())
