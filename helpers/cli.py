"""The command line: ``python -m helpers.train ner|classify --train ... --validation ...``.

The flags are generated from the config dataclasses (``config.option`` fields), so a new
setting is declared once. Flags the course's recipe decides (learning rate, case feature,
frozen word embeddings) default to the recipe for the task and the model; a flag given wins.
The last line printed is one JSON object with the run's results, for scripts and benchmarks.
Under ``torchrun`` or ``accelerate launch`` the same command trains in several processes; the
main one alone prints (``distributed``), and ``--batch-size`` is per process.

Settings are checked before any data or model is loaded: numbers against the bounds declared
on the config fields, data files and the output folder, the environment variables, the model
(a folder that holds a model, or a hub id; offline a hub id falls back to the bundled MiniLM,
and the run config records the model that really loads). Each refusal is one ``error:`` line on
stderr and exit code 2 (a flag) or 1 (anything else).

    python -m helpers.train ner --train data/health_ner/train.conll \\
        --validation data/health_ner/dev.conll --test data/health_ner/test.conll
    torchrun --nproc-per-node 2 -m helpers.train ner --train ... --batch-size 16  # lessons/04
    python -m helpers.train curve --train train.txt --validation valid.txt \\
        --sizes 250,500,1000,2000 --seeds 42,1 --check-full     # lessons/08_iterate.md

Imports: ``checkpoint`` (what a run folder holds), ``classify``, ``curves``, ``device``,
``distributed``, ``formats``, ``hub``, ``modelfolder``, ``ner``, ``recipe``, ``train``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import MISSING, asdict, fields
from pathlib import Path

from helpers import classify, curves, ner
from helpers.checkpoint import LAST, describe_run
from helpers.device import env_precision, env_threads, pick_device, pick_precision, set_threads
from helpers.distributed import is_main_process, world_size
from helpers.formats import DataFormatError
from helpers.hub import BUNDLED_MODEL, ModelChoice, ModelError, check_hub, resolve_model
from helpers.modelfolder import check_model_folder
from helpers.recipe import CONFIGS, MODELS, TrainConfig, bounded, defaults, from_recipe
from helpers.train import TrainingStopped

HUB_NAMES = {"ner": ner.HUB_NAMES, "classify": classify.HUB_NAMES}


def flag_name(f) -> str:
    """The command-line flag of a config field: ``--field-name``, or the ``flag=`` it declares."""
    return f.metadata["cli"].get("flag", "--" + f.name.replace("_", "-"))


def add_options(parser: argparse.ArgumentParser, config_class, exclude=()) -> None:
    """One flag per ``config.option`` field of ``config_class`` (but those in ``exclude``); a
    field with bounds gets a ``type`` that refuses a number outside them (``recipe.bounded``)."""
    for f in fields(config_class):
        options = dict(f.metadata.get("cli") or {})
        if not f.metadata.get("cli") or f.name in exclude:
            continue
        flag = flag_name(f)
        options.pop("flag", None)
        by_recipe, env = options.pop("recipe", False), options.pop("env", None)
        default = None if by_recipe or f.default is MISSING else f.default
        if env:
            default = os.environ.get(env, default)
        if isinstance(f.default, bool):
            options["action"] = argparse.BooleanOptionalAction if by_recipe else "store_true"
        elif "type" not in options and "choices" not in options and f.default is not None:
            options["type"] = type(f.default)
        if "bounds" in f.metadata:
            options["type"] = bounded(options["type"], *f.metadata["bounds"])
        parser.add_argument(flag, dest=f.name, default=default, **options)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--train", required=True,
                        help="a data file, or a benchmark's name: 'conll2003' (ner), 'sst2' (classify) "
                             "(the local benchmark files, $COURSE_BENCHMARKS, else the hub)")
    common.add_argument("--validation", help="a data file (not needed with a hub name)")
    common.add_argument("--test", help="a data file; scored once, with the best dev checkpoint")
    common.add_argument("--resume", action="store_true", help="continue from <output>/last")
    common.add_argument("--replace", action="store_true",
                        help="replace the run already in --output (refused without it)")
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
    curve_parser = sub.add_parser("curve", parents=[common], help="NER learning curve: train on nested "
                                  "subsets of --train, fit F1(n), check its prediction at the full size")
    curve_parser.add_argument("--types", help="entity types in label order, e.g. SYMPTOM,TIME")
    curve_parser.add_argument("--sizes", type=_numbers, default=[250, 500, 1000, 2000],
                              help="training sentences of the subsets the curve is fitted on")
    curve_parser.add_argument("--seeds", type=_numbers, default=[42, 1], help="one run per seed and size")
    curve_parser.add_argument("--epoch-steps", type=bounded(int, 1), default=curves.CONVERGED.epoch_steps,
                              help="at least this many optimizer steps an epoch (a small set is repeated)")
    curve_parser.add_argument("--max-epochs", type=bounded(int, 1), default=curves.CONVERGED.max_epochs,
                              help="each run stops after --patience epochs without dev gain, or this many")
    curve_parser.add_argument("--check-full", action="store_true",
                              help="also train on all of --train (first seed) and compare with the fit")
    add_options(curve_parser, CONFIGS["ner"], exclude=shared)
    return parser


def _numbers(text: str) -> list[int]:
    """``"250,500"`` -> ``[250, 500]`` (argparse's error for anything but whole numbers >= 1)."""
    return [bounded(int, 1)(part) for part in text.split(",")]


def config_from(args, choice: ModelChoice | None = None) -> TrainConfig:
    """The run config: the flags given, the recipe for the task and model where none was, and
    the model that really loads (``choice``, else ``resolve_model(args.model)``; offline, the
    bundled MiniLM that stands in for a hub id).

    A ``--model`` that names no model folder and no hub id is a ``hub.ModelError``; a folder
    whose config or tokenizer does not load is one too, before any data is read."""
    from transformers import AutoConfig

    config_class = CONFIGS[args.task]
    values = {f.name: getattr(args, f.name) for f in fields(config_class) if f.metadata.get("cli")}
    tuning = values.get("tuning", "full")
    choice = choice or resolve_model(args.model)
    if choice.source == "local":
        check_model_folder(choice.path)  # whole, before any data is read
    try:
        chosen = defaults(choice.path, args.task, tuning)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"model {args.model!r} does not load: {first}") from err
    for key, value in chosen.items():
        if key in from_recipe(config_class) and values[key] is None:
            values[key] = value
    values["model"] = choice.loads
    positions = getattr(AutoConfig.from_pretrained(choice.path), "max_position_embeddings", None)
    if positions and values["max_length"] > positions:
        raise ValueError(f"--max-length {values['max_length']}: {choice.short_name} takes at most "
                         f"{positions} tokens")
    return config_class(**values)


def check_paths(parser: argparse.ArgumentParser, args) -> None:
    """Data files that exist and are files (unless ``--train`` is a hub name) and an output
    folder that is one or can be made; otherwise argparse's one-line error (exit 2)."""
    files = {}
    if args.train not in HUB_NAMES[args.task]:
        if not args.validation:
            parser.error("--validation is required with a data file")
        files = {"--train": args.train, "--validation": args.validation, "--test": args.test}
    for flag, name in files.items():
        if name is None:
            continue
        path = Path(name).expanduser()
        hint = f" (or a hub name: {', '.join(HUB_NAMES[args.task])})" if flag == "--train" else ""
        if path.is_dir():
            parser.error(f"argument {flag}: {name} is a folder; expected a data file{hint}")
        if not path.is_file():
            parser.error(f"argument {flag}: {name}: no such file{hint}")
    problem = output_problem(args.output_dir or str(MODELS / args.task))
    if problem:
        parser.error(f"argument --output: {problem}")


def check_run_folder(parser: argparse.ArgumentParser, args) -> None:
    """A run never replaces another run's model or state unasked: ``--output`` holding a run
    needs ``--replace`` (or ``--resume`` to continue it), and ``--resume`` needs a saved state;
    otherwise argparse's one-line error (exit 2), naming the run that is there."""
    out = Path(args.output_dir or str(MODELS / args.task)).expanduser()
    there = describe_run(out)
    if args.resume and not (out / LAST).is_dir():
        parser.error(f"argument --resume: {out / LAST} holds no saved state to continue"
                     + (f" ({out} holds {there})" if there else "")
                     + "; drop --resume to start a new run" + (" with --replace" if there else ""))
    if there and not (args.resume or args.replace):
        parser.error(f"argument --output: {out} holds {there}; pass --replace to replace it, "
                     "--resume to continue it, or choose another --output")


def output_problem(name: str) -> str | None:
    """Why ``name`` cannot be the run folder, or ``None`` when it can: it must be a folder, or
    be creatable (the nearest existing folder above it writable).

    >>> output_problem(__file__).endswith("is a file; expected a folder for the run (created if missing)")
    True
    """
    path = Path(name).expanduser()
    if path.exists() and not path.is_dir():
        return f"{name} is a file; expected a folder for the run (created if missing)"
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{name} cannot be created: {existing} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{name} cannot be written: {existing} is not writable"
    try:  # a real write: a full disk or a read-only mount is found now, not after training
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        return f"{name} cannot be written: {existing}: {err.strerror}"
    return None


def check_lists(parser: argparse.ArgumentParser, args, command: str) -> None:
    """``--types`` and ``--labels``: distinct names; a curve: at least three distinct sizes (its
    fit has three parameters). Otherwise argparse's one-line error, before anything trains."""
    for flag in ("types", "labels"):
        value = getattr(args, flag, None)
        names = [n.strip() for n in value.split(",")] if value else []
        if value is not None and ("" in names or len(set(names)) < len(names)
                                  or (flag == "labels" and len(names) < 2)):
            parser.error(f"argument --{flag}: {value!r}: expected distinct names separated by commas"
                         + (", at least two" if flag == "labels" else ""))
    if command == "curve" and len(set(args.sizes)) < 3:
        parser.error(f"argument --sizes: {args.sizes}: expected at least 3 distinct sizes (the curve "
                     "F1(n) = a - b n^-c has three parameters to fit)")


def settle(args) -> TrainConfig:
    """Everything decided before any data or model is loaded: the environment variables, the
    hub, threads, the run config (the model exists and its config loads), the precision. Raises
    ``ValueError``, ``RuntimeError`` or ``OSError`` with a one-line message."""
    env_threads(), env_precision()  # COURSE_THREADS, COURSE_PRECISION: refused now, not later
    online, reason = check_hub()
    choice = resolve_model(args.model, online=online)  # a wrong path: refused before torch loads
    if choice.source == "bundled" and choice.requested != BUNDLED_MODEL and is_main_process():
        print(f"Model: {choice.short_name}: {choice.reason} ({reason}).", file=sys.stderr)
    set_threads()
    config = config_from(args, choice)
    pick_precision(pick_device(), config.precision)  # fp16 on a CPU and the like: now
    return config


def result_line(task: str, result) -> dict:
    """The JSON object printed last."""
    summary = result.history.summary
    line = {"task": task, "model": result.model, "dev_f1": result.dev["f1"],
            "train_seconds": round(summary.train_seconds, 2),
            "train_samples_per_second": round(summary.train_samples_per_second, 2),
            "device": summary.device, "precision": summary.precision,
            "optimizer": summary.optimizer, "data_wait_share": round(summary.data_wait_share, 4),
            "best_epoch": result.history.best_epoch, "model_dir": result.model_dir,
            "processes": world_size(), "optimizer_steps": result.history.optimizer_steps}
    if result.test is not None:
        line["test_f1"] = result.test["f1"]
    if task == "classify":
        line.update(dev_accuracy=result.dev["accuracy"], trainable_parameters=result.trainable)
        if result.test is not None:
            line["test_accuracy"] = result.test["accuracy"]
    return line


def curve_line(args, config) -> dict:
    """Run ``python -m helpers.train curve``: the curve's runs (one JSON line each on stderr),
    the fit on dev F1, and with ``--check-full`` the full-size run against the prediction."""
    splits = ner.load_splits(args.train, args.validation, args.test,
                             args.types.split(",") if args.types else None)

    def show(row):
        print(json.dumps({k: v for k, v in row.items() if not k.endswith(("_tags", "rows"))}),
              file=sys.stderr)

    schedule = curves.Schedule(args.epoch_steps, args.max_epochs, config.patience)
    points = curves.run_learning_curve(config, splits, args.sizes, args.seeds, schedule, show)
    curve = curves.curve_from_runs(points, "dev_f1")
    line = {"task": "curve", "sizes": points["size"].tolist(), "seeds": points["seed"].tolist(),
            "dev_f1": points["dev_f1"].round(4).tolist(),
            "fit": {"a": curve.a, "b": curve.b, "c": curve.c, "uncertainty": curve.uncertainty}}
    if args.check_full:
        full = len(splits["train"])
        predicted = curve.predict_interval(full)
        measured = curves.run_learning_curve(config, splits, [full], args.seeds[:1], schedule, show)
        line.update(full_size=full, predicted_dev_f1=round(predicted.value, 4),
                    predicted_low=round(predicted.low, 4), predicted_high=round(predicted.high, 4),
                    measured_dev_f1=round(float(measured["dev_f1"].iloc[0]), 4))
        line["error_points"] = round(100 * (line["measured_dev_f1"] - line["predicted_dev_f1"]), 2)
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
        flag = flag_name(f)
        if isinstance(value, bool):
            words.append(flag if value else "--no-" + flag[2:])
        else:
            words.append(f"{flag} {value}")
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.task
    if command == "curve":  # a curve is NER runs: the NER settings and recipe
        args.task = "ner"
    if args.task == "classify" and args.resume:
        parser.error("--resume is for ner runs; a classification run starts afresh")
    check_paths(parser, args)
    check_lists(parser, args, command)
    if command != "curve":  # a curve writes one folder per run, each its own
        check_run_folder(parser, args)
    try:
        config = settle(args)
    except (ValueError, RuntimeError, OSError) as err:
        print("error: " + " ".join(str(err).split("\n")), file=sys.stderr)
        return 1
    say = print if is_main_process() else lambda *args, **kwargs: None  # one process speaks
    say("Run config:", json.dumps(asdict(config)), file=sys.stderr)
    try:
        if command == "curve":
            say(json.dumps(curve_line(args, config)))
            return 0
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
    except KeyboardInterrupt:  # the loop has saved what it could and said so above
        print("error: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    line = result_line(args.task, result)
    line["global_batch_size"] = config.batch_size * line["processes"] * config.grad_accum
    say(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
