"""Text classification: the course's default recipe against the Hugging Face ``Trainer``
reference, on the same model, data, dev set and machine.

  (a) ``Trainer`` with ``DataCollatorWithPadding`` and the reference recipe of the course's
      benchmark notes (1 epoch, lr 5e-5, batch 32, warm-up 6 %, weight decay 0.01,
      length-grouped batches, fp32, every weight trained);
  (b) the course's loop (``classify.train_classifier``) with its defaults for the model
      (``recipe.defaults``), or with ``--lr/--warmup/--epochs/--freeze-word-embeddings`` to try
      another recipe.

Dev is ``--validation`` if given, else ``--dev-size`` whole sentences held out of ``--train``
with all their phrases (``split_by_sentence``: SST-2's training file is mostly phrases of
its sentences, so a random split leaks). Both runs are scored by the same code (accuracy, F1,
ROC-AUC) and timed on training alone. The last stdout line is one JSON object.

    python benchmarks/classify_reference.py --train ../shared/benchmarks/sst2/train.tsv \\
        --labels negative,positive
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import classify, device, formats, hub  # noqa: E402
from helpers.recipe import ClassifyConfig, defaults  # noqa: E402
from helpers.splits import split_by_sentence  # noqa: E402


def trainer_reference(splits, model_path, epochs=1, lr=5e-5, batch_size=32, warmup=0.06,
                      seed=42) -> dict:
    """HF ``Trainer``, reference recipe; returns dev scores and training seconds."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    device.seed_everything(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    train = classify.tokenize_texts(splits["train"], tokenizer)
    dev = classify.tokenize_texts(splits["validation"], tokenizer)
    with hub.quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=2)
    with tempfile.TemporaryDirectory() as out:
        arguments = TrainingArguments(
            output_dir=out, per_device_train_batch_size=batch_size, learning_rate=lr,
            num_train_epochs=epochs, warmup_steps=warmup, weight_decay=0.01,
            train_sampling_strategy="group_by_length", report_to=[], save_strategy="no",
            eval_strategy="no", logging_strategy="no", seed=seed, disable_tqdm=True,
            use_cpu=device.pick_device() == "cpu")
        run = Trainer(model=model, args=arguments, train_dataset=train,
                      data_collator=DataCollatorWithPadding(tokenizer))
        started = time.perf_counter()
        run.train()
        seconds = time.perf_counter() - started
        # With group_by_length, Trainer also groups the *prediction* batches by length, so the
        # rows come back in another order: score them against the labels it returns with them.
        output = run.predict(dev)
    return {**score_prediction(output), "train_seconds": seconds,
            "recipe": {"epochs": epochs, "lr": lr, "warmup": warmup, "batch_size": batch_size,
                       "freeze_word_embeddings": False, "precision": "fp32"}}


def score_prediction(output) -> dict:
    """Accuracy, F1 and ROC-AUC of a ``Trainer.predict`` output, against the labels in the
    order the predictions came back (``output.label_ids``), never the dataset's order."""
    import numpy as np

    logits = output.predictions - output.predictions.max(axis=1, keepdims=True)
    probs = np.exp(logits[:, 1]) / np.exp(logits).sum(axis=1)
    return classify.scores(output.label_ids, probs)


def course_loop(splits, model_path, seed=42, **changes) -> dict:
    """The course's loop with its defaults for ``model_path``, ``changes`` overriding them."""
    settings = {"epochs": 1, **defaults(model_path, "classify")}
    settings.update({k: v for k, v in changes.items() if v is not None})
    with tempfile.TemporaryDirectory() as out:
        config = ClassifyConfig(model=model_path, output_dir=out, seed=seed, log_every=10**9,
                                **settings)
        result = classify.train_classifier(config, splits)
    summary = result.history.summary
    return {**result.dev, "train_seconds": summary.train_seconds,
            "recipe": {**settings, "warmup": config.warmup, "batch_size": config.batch_size,
                       "precision": summary.precision}}


def load_splits(args) -> dict:
    names = args.labels.split(",")
    train = formats.read_text_classification(args.train, names)
    if args.validation:
        splits = {"train": train,
                  "validation": formats.read_text_classification(args.validation, names)}
    else:
        splits = dict(split_by_sentence(train, dev_size=args.dev_size, seed=13))
    if args.train_limit:
        splits["train"] = splits["train"].shuffle(seed=13).select(
            range(min(args.train_limit, len(splits["train"]))))
    return splits


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True, help="TSV/CSV/JSONL with text and label")
    parser.add_argument("--validation", help="dev file (default: sentences held out of --train)")
    parser.add_argument("--dev-size", type=int, default=872)
    parser.add_argument("--labels", default="0,1", help="label names in order")
    parser.add_argument("--model", default="minilm", help="hub id, folder, or 'minilm' (bundled)")
    parser.add_argument("--train-limit", type=int, help="a seeded sample of N training rows")
    parser.add_argument("--skip-trainer", action="store_true", help="only the course loop")
    parser.add_argument("--skip-ours", action="store_true", help="only the Trainer reference")
    parser.add_argument("--epochs", type=int, help="course loop only (default 1)")
    parser.add_argument("--lr", type=float, help="course loop only (default: recipe.defaults)")
    parser.add_argument("--warmup", type=float, help="course loop only (default 0.1)")
    parser.add_argument("--freeze-word-embeddings", action=argparse.BooleanOptionalAction,
                        help="course loop only (default: recipe.defaults)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    hub.check_hub()
    device.set_threads()
    model_path = hub.resolve_model(args.model).path
    splits = load_splits(args)
    print(f"train {len(splits['train'])}, dev {len(splits['validation'])}, model {args.model}",
          file=sys.stderr)
    results = {}
    if not args.skip_trainer:
        results["trainer"] = trainer_reference(splits, model_path, seed=args.seed)
    if not args.skip_ours:
        results["ours"] = course_loop(splits, model_path, seed=args.seed, epochs=args.epochs,
                                      lr=args.lr, warmup=args.warmup,
                                      freeze_word_embeddings=args.freeze_word_embeddings)
    print(f"\n{'run':<8} {'dev acc':>8} {'dev F1':>8} {'train s':>8}  recipe", file=sys.stderr)
    for name, row in results.items():
        print(f"{name:<8} {row['accuracy']:>8.4f} {row['f1']:>8.4f} {row['train_seconds']:>8.0f}"
              f"  {row['recipe']}", file=sys.stderr)
    summary = {"train_rows": len(splits["train"]), "dev_rows": len(splits["validation"])}
    for name, row in results.items():
        summary.update({f"{name}_dev_accuracy": round(row["accuracy"], 4),
                        f"{name}_dev_f1": round(row["f1"], 4),
                        f"{name}_train_seconds": round(row["train_seconds"], 3),
                        f"{name}_recipe": row["recipe"]})
    if len(results) == 2:
        summary["accuracy_gain"] = round(results["ours"]["accuracy"]
                                         - results["trainer"]["accuracy"], 4)
        summary["time_ratio"] = round(results["ours"]["train_seconds"]
                                      / results["trainer"]["train_seconds"], 3)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
