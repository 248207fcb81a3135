"""Training throughput of three NER recipes, measured in one process on the same model, data
and hardware:

  (a) the source articles' recipe: every sequence padded to 128, word labels laid on token
      positions, shuffled batches, fp32, torch's default AdamW (reproduced here to be measured);
  (b) Hugging Face ``Trainer`` with ``DataCollatorForTokenClassification`` and its defaults
      (also timed with ``train_sampling_strategy="group_by_length"``, the fairer comparison);
  (c) the course's loop (``helpers.train.fit``) with its defaults (``train.recipe``: for an
      uncased model such as MiniLM this includes the case feature, capitalisation passed
      through ``token_type_ids``).

Each recipe trains for ``--steps`` optimizer steps after ``--warmup-steps`` untimed ones, at the
same batch size. With ``--epochs E``, (b) and (c) also train fully, at the same learning rate,
and report dev F1 (strict); (c) trains twice, with its defaults and with exactly the inputs
(b) gets, so the loop itself is compared too.
The last stdout line is one JSON object.

    python benchmarks/ner_throughput.py --data ../shared/benchmarks/conll2003 --steps 40
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from helpers import align, device, formats, hub, tagging  # noqa: E402
from helpers.ner import Scorer, train_ner  # noqa: E402
from helpers.recipe import NerConfig, defaults  # noqa: E402
from helpers.train import StepClock, fit  # noqa: E402


def articles(splits, model_path, batch_size, steps, warmup, seed):
    """The articles' loop as written: pad to 128, misaligned labels, fp32, default AdamW."""
    from torch.utils.data import DataLoader
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    device.seed_everything(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    train = splits["train"]
    examples = [align.articles_encode(t, y, tokenizer) for t, y in
                zip(train["tokens"][: batch_size * (steps + warmup)],
                    train["ner_tags"][: batch_size * (steps + warmup)])]
    tensors = [{k: torch.tensor(v) for k, v in e.items()} for e in examples]
    with hub.quiet_transformers():
        model = AutoModelForTokenClassification.from_pretrained(
            model_path, num_labels=len(tagging.label_names(train)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
    loader = DataLoader(tensors, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model.train()
    stamps = []
    for batch in loader:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        stamps.append(time.perf_counter())
    return _rate(stamps, [batch_size] * len(stamps), warmup)


def _prepared(splits, model_path, seed, case_feature=False):
    """Tokenizer, aligned training set and a fresh token-classification model (the same for
    the Trainer and the course loop)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    device.seed_everything(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    names = tagging.label_names(splits["train"])
    tokenized, _ = align.tokenize_and_align(splits["train"], tokenizer,
                                            case_feature=case_feature)
    with hub.quiet_transformers():
        model = AutoModelForTokenClassification.from_pretrained(model_path, num_labels=len(names))
    return tokenizer, tokenized, model


def trainer(splits, model_path, batch_size, steps, warmup, seed, epochs=None, lr=1e-4,
            grouped=False):
    """HF Trainer with DataCollatorForTokenClassification and its defaults (random batches),
    or with length-grouped batches."""
    from transformers import DataCollatorForTokenClassification, Trainer, TrainerCallback, TrainingArguments

    tokenizer, tokenized, model = _prepared(splits, model_path, seed)
    stamps = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as out:
        arguments = TrainingArguments(
            output_dir=out, per_device_train_batch_size=batch_size, learning_rate=lr,
            max_steps=-1 if epochs else steps + warmup, num_train_epochs=epochs or 1,
            report_to=[], save_strategy="no", eval_strategy="no", logging_strategy="no",
            seed=seed, disable_tqdm=True, use_cpu=device.pick_device() == "cpu",
            **({"train_sampling_strategy": "group_by_length"} if grouped else {}))
        run = Trainer(model=model, args=arguments, train_dataset=tokenized,
                      data_collator=DataCollatorForTokenClassification(tokenizer),
                      callbacks=[Clock()])
        started = time.perf_counter()
        run.train()
        seconds = time.perf_counter() - started
    result = {"samples_per_second": _rate(stamps, [batch_size] * len(stamps), warmup)}
    if epochs:
        collator = DataCollatorForTokenClassification(tokenizer)
        dev, _ = align.tokenize_and_align(splits["validation"], tokenizer)
        result["dev_f1"] = Scorer(splits["validation"], dev, collator)(model)["f1"]
        result["train_seconds"] = seconds
    return result


def ours(splits, model_path, batch_size, steps, warmup, seed, epochs=None, lr=1e-4,
         case_feature=False):
    """The course's loop with its defaults (the same function the notebooks call)."""
    with tempfile.TemporaryDirectory() as out:
        config = NerConfig(model=model_path, output_dir=out, batch_size=batch_size, lr=lr,
                           seed=seed, epochs=epochs or 1, patience=epochs or 1,
                           case_feature=case_feature,
                           max_steps=None if epochs else steps + warmup, log_every=10**9)
        clock = StepClock()
        if epochs:
            result = train_ner(config, splits, callbacks=[clock])
            return {"samples_per_second": _rate(clock.ends, clock.samples, warmup),
                    "dev_f1": result.dev["f1"],
                    "train_seconds": result.history.summary.train_seconds,
                    "precision": result.history.summary.precision}
        from transformers import DataCollatorForTokenClassification

        tokenizer, tokenized, model = _prepared(splits, model_path, seed, case_feature)
        history = fit(model, tokenizer, tokenized, DataCollatorForTokenClassification(tokenizer),
                      None, config, resume=False, callbacks=[clock])
        return {"samples_per_second": _rate(clock.ends, clock.samples, warmup),
                "precision": history.summary.precision}


def _rate(stamps, sizes, warmup):
    """Samples per second over the steps after ``warmup`` (the first timed interval starts at
    the end of the last warm-up step)."""
    if len(stamps) <= warmup + 1:
        raise SystemExit(f"only {len(stamps)} steps ran; ask for more --steps")
    return sum(sizes[warmup + 1:]) / (stamps[-1] - stamps[warmup])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder with train and dev/valid CoNLL files")
    parser.add_argument("--model", default="minilm", help="hub id, folder, or 'minilm' (bundled)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup-steps", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, help="also train (b) and (c) fully; report dev F1")
    parser.add_argument("--lr", type=float,
                        help="learning rate for both (b) and (c); default: the course's rate "
                             "for the model's width (recipe.defaults)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    hub.check_hub()
    threads = device.set_threads()
    model_path = hub.resolve_model(args.model).path
    course_recipe = defaults(model_path, "ner")
    if args.lr is None:
        args.lr = course_recipe["lr"]
    splits = formats.read_conll_dir(args.data)
    machine = device.pick_device()
    print(f"device {machine}, {threads} threads, model {args.model}, batch {args.batch_size}, "
          f"{args.steps} timed steps after {args.warmup_steps} warm-up steps", file=sys.stderr)
    results = {"articles": {"samples_per_second": articles(
        splits, model_path, args.batch_size, args.steps, args.warmup_steps, args.seed)}}
    results["trainer"] = trainer(splits, model_path, args.batch_size, args.steps,
                                 args.warmup_steps, args.seed, args.epochs, args.lr)
    results["trainer_grouped"] = trainer(splits, model_path, args.batch_size, args.steps,
                                         args.warmup_steps, args.seed, grouped=True)
    results["ours"] = ours(splits, model_path, args.batch_size, args.steps, args.warmup_steps,
                           args.seed, args.epochs, args.lr, course_recipe["case_feature"])
    if args.epochs and course_recipe["case_feature"]:
        results["ours_same_inputs"] = ours(splits, model_path, args.batch_size, args.steps,
                                           args.warmup_steps, args.seed, args.epochs, args.lr)

    print(f"\n{'recipe':<16} {'samples/s':>10} {'dev F1':>8} {'train s':>9}")
    for name, row in results.items():
        f1 = f"{row['dev_f1']:.4f}" if "dev_f1" in row else "-"
        seconds = f"{row['train_seconds']:.0f}" if "train_seconds" in row else "-"
        print(f"{name:<16} {row['samples_per_second']:>10.1f} {f1:>8} {seconds:>9}")
    summary = {f"{name}_samples_per_second": round(row["samples_per_second"], 2)
               for name, row in results.items()}
    summary.update(
        ratio_vs_trainer=round(results["ours"]["samples_per_second"]
                               / results["trainer"]["samples_per_second"], 3),
        ratio_vs_trainer_grouped=round(results["ours"]["samples_per_second"]
                                       / results["trainer_grouped"]["samples_per_second"], 3),
        ratio_vs_articles=round(results["ours"]["samples_per_second"]
                                / results["articles"]["samples_per_second"], 3),
        precision=results["ours"]["precision"], device=machine, threads=threads,
        batch_size=args.batch_size, model=args.model, lr=args.lr,
        case_feature=course_recipe["case_feature"])
    for name in ("trainer", "ours", "ours_same_inputs"):
        for key in ("dev_f1", "train_seconds"):
            if key in results.get(name, {}):
                summary[f"{name}_{key}"] = round(results[name][key], 4)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
