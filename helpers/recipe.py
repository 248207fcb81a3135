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

Imports: ``env`` (paths), ``hub`` (which model really loads).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from helpers.env import REPO_ROOT
from helpers.hub import BUNDLED_MODEL

MODELS = REPO_ROOT / "build" / "models"

# The course's learning rates: by task, then model width ("small" below 768, "wide" from 768
# such as BERT-base), then tuning modes that train few parameters and so take larger steps.
LEARNING_RATES = {
    "ner": {"small": 3e-4, "wide": 5e-5},
    "classify": {"small": 1e-4, "wide": 2e-5, "head": 1e-2, "lora": 2e-3},
}
WIDE = 768  # hidden size from which a model counts as BERT-base-sized


def option(default, help: str | None = None, **argparse_options):
    """A config field that the CLI exposes as ``--field-name`` (``argparse_options`` go to
    ``add_argument``; ``flag="--output"`` renames the flag; ``recipe=True`` means the flag's
    default is "what ``defaults`` decides" rather than the field's default)."""
    return field(default=default, metadata={"cli": {"help": help, **argparse_options}})


@dataclass
class TrainConfig:
    """One run's settings: printed at the start, saved with every checkpoint."""

    task: str = "ner"
    model: str = option("bert-base-cased", env="COURSE_MODEL")  # requested; hub.resolve_model decides
    output_dir: str = option("", "run folder (default build/models/<task>)", flag="--output")
    epochs: int = option(3)
    lr: float = option(1e-4, "default: the course's rate for the task and model width", recipe=True)
    batch_size: int = option(32)
    eval_batch_size: int = 64
    max_length: int = option(128)
    weight_decay: float = option(0.01)
    warmup: float = option(0.1)  # fraction of all optimizer steps
    max_grad_norm: float = 1.0
    grad_accum: int = option(1)
    patience: int = option(2)  # epochs without dev improvement before stopping
    seed: int = option(42)
    precision: str | None = option(None, choices=["bf16", "fp16", "fp32"])  # None: device.pick_precision
    optimizer: str | None = option(None, "AdamW kernel (default: fused where the device offers it)",
                                   choices=["fused", "foreach"])
    freeze_word_embeddings: bool = option(False, "keep the vocabulary matrix fixed (default: on "
                                                 "for classify)", recipe=True)
    group_by_length: bool = True
    train_limit: int | None = option(None, "use only the first N training examples", type=int)
    eval_limit: int | None = None
    log_every: int = 10
    max_steps: int | None = None  # stop after this many optimizer steps (benchmarks)

    def __post_init__(self):
        self.output_dir = self.output_dir or str(MODELS / self.task)


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
    upper_layers: int = option(2)
    lora_r: int = option(8)
    dropout: float | None = option(None, type=float)


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
    model = BUNDLED_MODEL if cfg.model.source == "bundled" else cfg.model.requested
    settings = dict(model=model, epochs=profile.epochs,
                    **defaults(cfg.model.path, task, changes.get("tuning", "full")),
                    batch_size=profile.batch_size, max_length=profile.max_length,
                    train_limit=profile.train_limit, eval_limit=profile.eval_limit,
                    seed=cfg.seed, output_dir=str(MODELS / f"{task}-{profile.name}"))
    settings.update(changes)
    return CONFIGS[task](**settings)
