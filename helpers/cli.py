"""The command line: ``python -m helpers.train ner|classify --train ... --validation ...``.

The flags are generated from the config dataclasses (``config.option`` fields), so a new
setting is declared once. Flags the course's recipe decides (learning rate, case feature,
frozen word embeddings) default to the recipe for the task and the model; a flag given wins.
The last line printed is one JSON object with the run's results, for scripts and benchmarks.

    python -m helpers.train ner --train data/health_ner/train.conll \\
        --validation data/health_ner/dev.conll --test data/health_ner/test.conll

Imports: ``classify``, ``device``, ``formats``, ``hub``, ``ner``, ``recipe``, ``train``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import MISSING, asdict, fields

from helpers import classify, ner
from helpers.device import set_threads
from helpers.formats import DataFormatError
from helpers.hub import check_hub, resolve_model
from helpers.recipe import CONFIGS, TrainConfig, defaults, from_recipe
from helpers.train import TrainingStopped

HUB_NAMES = {"ner": ner.HUB_NAMES, "classify": classify.HUB_NAMES}


def add_options(parser: argparse.ArgumentParser, config_class, exclude=()) -> None:
    """One flag per ``config.option`` field of ``config_class`` (but those in ``exclude``)."""
    for f in fields(config_class):
        options = dict(f.metadata.get("cli") or {})
        if not f.metadata.get("cli") or f.name in exclude:
            continue
        flag = options.pop("flag", "--" + f.name.replace("_", "-"))
        by_recipe, env = options.pop("recipe", False), options.pop("env", None)
        default = None if by_recipe or f.default is MISSING else f.default
        if env:
            default = os.environ.get(env, default)
        if isinstance(f.default, bool):
            options["action"] = argparse.BooleanOptionalAction if by_recipe else "store_true"
        elif "type" not in options and "choices" not in options and f.default is not None:
            options["type"] = type(f.default)
        parser.add_argument(flag, dest=f.name, default=default, **options)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--train", required=True,
                        help="a data file, or a hub name online: 'conll2003' (ner), 'sst2' (classify)")
    common.add_argument("--validation", help="a data file (not needed with a hub name)")
    common.add_argument("--test", help="a data file; scored once, with the best dev checkpoint")
    common.add_argument("--resume", action="store_true", help="continue from <output>/last")
    add_options(common, TrainConfig)
    parser = argparse.ArgumentParser(prog="python -m helpers.train",
                                     description="Fine-tune BERT with the course's loop.")
    sub = parser.add_subparsers(dest="task", required=True)
    shared = {f.name for f in fields(TrainConfig)}
    ner_parser = sub.add_parser("ner", parents=[common], help="token classification from CoNLL files")
    ner_parser.add_argument("--types", help="entity types in label order, e.g. SYMPTOM,TIME")
    add_options(ner_parser, CONFIGS["ner"], exclude=shared)
    classify_parser = sub.add_parser("classify", parents=[common],
                                     help="text classification from TSV/CSV/JSONL (text, label)")
    classify_parser.add_argument("--labels", default="0,1", help="label names in order (default 0,1)")
    add_options(classify_parser, CONFIGS["classify"], exclude=shared)
    return parser


def config_from(args) -> TrainConfig:
    """The run config: the flags given, the recipe for the task and model where none was."""
    config_class = CONFIGS[args.task]
    values = {f.name: getattr(args, f.name) for f in fields(config_class) if f.metadata.get("cli")}
    tuning = values.get("tuning", "full")
    for key, value in defaults(resolve_model(args.model).path, args.task, tuning).items():
        if key in from_recipe(config_class) and values[key] is None:
            values[key] = value
    return config_class(**values)


def result_line(task: str, result) -> dict:
    """The JSON object printed last."""
    summary = result.history.summary
    line = {"task": task, "model": result.model, "dev_f1": result.dev["f1"],
            "train_seconds": round(summary.train_seconds, 2),
            "train_samples_per_second": round(summary.train_samples_per_second, 2),
            "device": summary.device, "precision": summary.precision,
            "optimizer": summary.optimizer, "data_wait_share": round(summary.data_wait_share, 4),
            "best_epoch": result.history.best_epoch, "model_dir": result.model_dir}
    if result.test is not None:
        line["test_f1"] = result.test["f1"]
    if task == "classify":
        line.update(dev_accuracy=result.dev["accuracy"], trainable_parameters=result.trainable)
        if result.test is not None:
            line["test_accuracy"] = result.test["accuracy"]
    return line


def command_line(config: TrainConfig, **files: str) -> str:
    """The ``python -m helpers.train`` command that trains ``config`` on ``files`` (``train=``,
    ``validation=``, ``test=``): a flag for every setting that differs from the default, and
    always the ones the recipe would otherwise choose for the model.

    >>> from helpers.recipe import NerConfig
    >>> command_line(NerConfig(epochs=1, output_dir="build/x"), train="a.conll")
    'python -m helpers.train ner --train a.conll --output build/x --epochs 1 --lr 0.0001 \
--no-freeze-word-embeddings --no-case-feature'
    """
    words = ["python -m helpers.train", config.task]
    words += [f"--{name} {path}" for name, path in files.items() if path]
    base = type(config)()
    for f in fields(config):
        options, value = f.metadata.get("cli"), getattr(config, f.name)
        if not options or (value == getattr(base, f.name) and not options.get("recipe")):
            continue
        flag = options.get("flag", "--" + f.name.replace("_", "-"))
        if isinstance(value, bool):
            words.append(flag if value else "--no-" + flag[2:])
        else:
            words.append(f"{flag} {value}")
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.train not in HUB_NAMES[args.task] and not args.validation:
        parser.error("--validation is required with a data file")
    if args.task == "classify" and args.resume:
        parser.error("--resume is for ner runs; a classification run starts afresh")
    check_hub()
    set_threads()
    config = config_from(args)
    print("Run config:", json.dumps(asdict(config)), file=sys.stderr)
    try:
        if args.task == "ner":
            splits = ner.load_splits(args.train, args.validation, args.test,
                                     args.types.split(",") if args.types else None)
            result = ner.train_ner(config, splits, resume=args.resume)
        else:
            splits = classify.load_splits(args.train, args.validation, args.test,
                                          args.labels.split(","))
            result = classify.train_classifier(config, splits)
    except (TrainingStopped, DataFormatError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result_line(args.task, result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
