"""The course recipe: run settings (one dataclass per task), their defaults, the CLI flags.

``TrainConfig`` holds what every run has (model, epochs, optimizer settings, limits);
``NerConfig`` and ``ClassifyConfig`` add what one task has. A field that the command line may
set is declared with ``option(...)``, so a new setting is one line here and a flag of
``python -m helpers.train`` at once (``cli.py`` builds the parser from these fields).

The course's defaults that depend on the model or the tuning mode (learning rate, case
feature, frozen word embeddings) are written once, in ``LEARNING_RATES`` and ``defaults``; the
lessons give the measurements behind them (lessons/04_finetune_ner.md,
lessons/06_text_classification.md).

    >>> NerConfig(epochs=1).task, ClassifyConfig().tuning
    ('ner', 'full')
    >>> LEARNING_RATES["classify"]["lora"]
    0.002

Imports: ``env`` (paths).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field, fields

from helpers.env import REPO_ROOT

MODELS = REPO_ROOT / "build" / "models"

# The course's learning rates: by task, then model width ("small" below 768, "wide" from 768
# such as BERT-base), then tuning modes that train few parameters and so take larger steps.
LEARNING_RATES = {
    "ner": {"small": 3e-4, "wide": 5e-5},
    "classify": {"small": 1e-4, "wide": 2e-5, "head": 1e-2, "lora": 2e-3},
}
WIDE = 768  # hidden size from which a model counts as BERT-base-sized


def option(default, help: str | None = None, minimum=None, maximum=None, **argparse_options):
    """A config field that the CLI exposes as ``--field-name`` (``argparse_options`` go to
    ``add_argument``; ``flag="--output"`` renames the flag; ``recipe=True`` means the flag's
    default is "what ``defaults`` decides" rather than the field's default).

    ``minimum`` and ``maximum`` (inclusive) bound a number: the flag refuses a value outside
    them (``bounded``) and so does the config itself, built by a notebook or by the CLI.
    """
    metadata = {"cli": {"help": help, **argparse_options}}
    if minimum is not None or maximum is not None:
        metadata["bounds"] = (minimum, maximum)
    return field(default=default, metadata=metadata)


def expected(kind, minimum=None, maximum=None) -> str:
    """What a bounded number must be, in words.

    >>> expected(int, 1), expected(float, 0, 1)
    ('a whole number >= 1', 'a number from 0 to 1')
    """
    noun = "a whole number" if kind is int else "a number"
    if minimum is not None and maximum is not None:
        return f"{noun} from {minimum} to {maximum}"
    return f"{noun} >= {minimum}" if minimum is not None else f"{noun} <= {maximum}"


def within(value, minimum=None, maximum=None) -> bool:
    """True when ``value`` is a finite number inside the (inclusive) bounds.

    >>> within(0, 1), within(float("nan"), 0), within(0.5, 0, 1)
    (False, False, True)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def bounded(kind, minimum=None, maximum=None):
    """An argparse ``type``: ``kind(text)`` inside the bounds, else argparse's one-line error
    naming the flag, what it expects and what it got.

    >>> bounded(int, 1)("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a whole number >= 1, got '0'
    """
    def parse(text: str):
        try:
            value = kind(text)
        except (TypeError, ValueError):
            value = None
        if not within(value, minimum, maximum):
            raise argparse.ArgumentTypeError(f"expected {expected(kind, minimum, maximum)}, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def check_bounds(config) -> None:
    """A ``ValueError`` naming the first field of ``config`` outside its ``option`` bounds
    (``None``, "not set", is always allowed)."""
    for f in fields(config):
        value = getattr(config, f.name)
        if "bounds" in f.metadata and value is not None and not within(value, *f.metadata["bounds"]):
            kind = int if f.type in ("int", "int | None") else float
            raise ValueError(f"{f.name}={value!r}: expected {expected(kind, *f.metadata['bounds'])}")


@dataclass
class TrainConfig:
    """One run's settings: printed at the start, saved with every checkpoint."""

    task: str = "ner"
    model: str = option("bert-base-cased", env="COURSE_MODEL")  # requested; hub.resolve_model decides
    output_dir: str = option("", "run folder (default build/models/<task>)", flag="--output")
    epochs: int = option(3, minimum=1)
    lr: float = option(1e-4, "default: the course's rate for the task and model width", recipe=True,
                       minimum=0)
    batch_size: int = option(32, minimum=1)
    eval_batch_size: int = 64
    # below 2 the tokenizer does not truncate at all; where no labelled word fits, train_ner says so
    max_length: int = option(128, minimum=2)
    weight_decay: float = option(0.01, minimum=0)
    warmup: float = option(0.1, minimum=0, maximum=1)  # fraction of all optimizer steps
    max_grad_norm: float = 1.0
    grad_accum: int = option(1, minimum=1)
    patience: int = option(2, minimum=1)  # epochs without dev improvement before stopping
    seed: int = option(42, minimum=0, maximum=2**32 - 1)  # the range NumPy's seed accepts
    precision: str | None = option(None, choices=["bf16", "fp16", "fp32"],
                                   type=str.lower)  # None: device.pick_precision
    optimizer: str | None = option(None, "AdamW kernel (default: fused where the device offers it)",
                                   choices=["fused", "foreach"])
    freeze_word_embeddings: bool = option(False, "keep the vocabulary matrix fixed (default: on "
                                                 "for classify)", recipe=True)
    group_by_length: bool = True
    train_limit: int | None = option(None, "use only the first N training examples", type=int,
                                     minimum=1)
    eval_limit: int | None = None
    log_every: int = 10
    max_steps: int | None = None  # stop after this many optimizer steps (benchmarks)

    def __post_init__(self):
        self.output_dir = self.output_dir or str(MODELS / self.task)
        check_bounds(self)


@dataclass
class NerConfig(TrainConfig):
    """Token classification: how words become model inputs."""

    task: str = "ner"
    context: bool = option(False, "feed neighbouring sentences of the document as context")
    case_feature: bool = option(False, "mark capitalised words through token_type_ids (default: "
                                       "on for uncased models)", recipe=True)
    label_all_subtokens: bool = option(False)


@dataclass
class ClassifyConfig(TrainConfig):
    """Sequence classification: which parameters train (``classify.apply_tuning``)."""

    task: str = "classify"
    tuning: str = option("full", choices=["full", "head", "upper", "lora"])
    upper_layers: int = option(2, minimum=0)
    lora_r: int = option(8, minimum=1)
    dropout: float | None = option(None, type=float, minimum=0, maximum=1)


CONFIGS = {"ner": NerConfig, "classify": ClassifyConfig}


def from_recipe(config_class) -> list[str]:
    """The fields whose default ``defaults`` decides (``option(..., recipe=True)``)."""
    return [f.name for f in fields(config_class) if f.metadata.get("cli", {}).get("recipe")]


def defaults(model_path: str, task: str = "ner", tuning: str = "full") -> dict:
    """The course's defaults that depend on the model and the task: the learning rate (by
    width, and by tuning mode for classification), the case feature (NER with an uncased
    model) and frozen word embeddings (classification). The notebooks, the CLI and the
    benchmarks all start from it."""
    from transformers import AutoConfig, AutoTokenizer

    width = getattr(AutoConfig.from_pretrained(model_path), "hidden_size", WIDE)
    rates = LEARNING_RATES[task]
    chosen = {"lr": rates.get(tuning, rates["wide" if width >= WIDE else "small"]),
              "freeze_word_embeddings": task == "classify"}
    if task == "ner":
        chosen["case_feature"] = bool(getattr(AutoTokenizer.from_pretrained(model_path),
                                              "do_lower_case", False))
    return chosen


def config_for(cfg, task: str = "ner", **changes) -> TrainConfig:
    """The run config for a notebook: the profile's model (the one that really loads), limits,
    epochs and batch size, and ``defaults`` for the task, the model and the tuning mode.

    ``cfg`` is ``env.setup()``'s result; ``changes`` override any field.
    """
    profile = cfg.profile
    # the model that really loads: offline, the bundled MiniLM stands in for bert-base-cased
    settings = dict(model=cfg.model.loads, epochs=profile.epochs,
                    **defaults(cfg.model.path, task, changes.get("tuning", "full")),
                    batch_size=profile.batch_size, max_length=profile.max_length,
                    train_limit=profile.train_limit, eval_limit=profile.eval_limit,
                    seed=cfg.seed, output_dir=str(MODELS / f"{task}-{profile.name}"))
    settings.update(changes)
    return CONFIGS[task](**settings)


def experiment_config(cfg, task: str = "ner", **changes) -> TrainConfig:
    """``config_for`` for a notebook's side experiments (document context in 04, tuning modes and
    regularisation in 06): training on the profile's ``experiment_limit`` first examples where
    it has one (``smoke`` and ``cpu``; ``full`` uses every example), so that several variants fit
    a CPU's time. A variant is compared only with a reference trained on the same examples: the
    main run when ``train_limit`` is the same as its, else a run of this config itself.

    Ablations on a subset are what practitioners do before a full run; the lesson says so.
    """
    limit = cfg.profile.experiment_limit
    if limit is not None and (cfg.profile.train_limit is None or limit < cfg.profile.train_limit):
        changes.setdefault("train_limit", limit)
    return config_for(cfg, task, **changes)


_TYPES = {"bool": (bool,), "int": (int,), "float": (int, float), "str": (str,)}


def check_saved_config(data, source: str) -> None:
    """Refuse a saved run config (``run_config.json``) whose known fields have the wrong type, a
    value outside their choices or bounds: ``"case_feature": "no"`` would read as true and
    ``"precision": "int4"`` be reported as served. Unknown fields are left alone.

    >>> check_saved_config({"task": "ner", "case_feature": "no"}, "run_config.json")
    Traceback (most recent call last):
    ...
    ValueError: run_config.json: field 'case_feature' is 'no'; expected true or false
    """
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object of run settings, found {type(data).__name__}")
    known = {f.name: f for f in fields(CONFIGS.get(data.get("task"), NerConfig))}
    for name, value in data.items():
        f = known.get(name)
        if f is None or (value is None and f.type.endswith("| None")):
            continue
        base = f.type.split(" | ")[0]
        kinds = _TYPES.get(base)
        if kinds and (not isinstance(value, kinds) or (base != "bool" and isinstance(value, bool))):
            what = {"bool": "true or false", "int": "a whole number", "float": "a number",
                    "str": "a string"}[base]
            raise ValueError(f"{source}: field {name!r} is {value!r}; expected {what}")
        choices = f.metadata.get("cli", {}).get("choices")
        if choices and value not in choices:
            raise ValueError(f"{source}: field {name!r} is {value!r}; expected one of "
                             f"{', '.join(choices)}")
        bounds = f.metadata.get("bounds")
        if bounds and not within(value, *bounds):
            raise ValueError(f"{source}: field {name!r} is {value!r}; expected "
                             f"{expected(int if base == 'int' else float, *bounds)}")
