"""Text classification on the course's one training loop: app-feedback triage (and SST-2).

Everything specific to sequence classification lives here; the loop is ``train.fit``:

* ``tokenize_texts``: texts to model inputs (dynamic padding happens per batch);
* ``apply_tuning``: full fine-tuning, a frozen encoder with a trained head, only the upper
  layers, or LoRA adapters (``peft``), with the count of trainable parameters;
* ``scores``: accuracy / F1 / ROC-AUC of probabilities (``predict.predict_proba``; scikit-learn);
* ``error_cost``, ``choose_threshold``: the brief's cost of errors, and the decision threshold
  that minimises it on dev;
* ``train_classifier``: the whole run, as ``ner.train_ner`` is for NER;
* ``load_splits``: text-classification files, or SST-2 by name (``corpora.load_sst2``: the
  local benchmark file, else the hub), for the command line.

    >>> scores([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.1])["accuracy"]
    0.75

Imports: ``checkpoint``, ``corpora``, ``distributed``, ``formats``, ``hub``, ``predict``,
``recipe``, ``train``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.checkpoint import load_model
from helpers.corpora import load_sst2
from helpers.distributed import map_sharded, process_device
from helpers.formats import read_text_classification
from helpers.hub import quiet_transformers
from helpers.predict import predict_proba
from helpers.recipe import ClassifyConfig
from helpers.train import RunResult, fit, start_run

HUB_NAMES = ("sst2", "stanfordnlp/sst2")
TUNING_MODES = ("full", "head", "upper", "lora")


def tokenize_texts(dataset, tokenizer, max_length: int = 128):
    """``input_ids``, ``attention_mask`` and ``labels`` for a text/label ``Dataset``."""
    from datasets import Dataset

    encoded = tokenizer(list(dataset["text"]), truncation=True, max_length=max_length)
    return Dataset.from_dict({"input_ids": encoded["input_ids"],
                              "attention_mask": encoded["attention_mask"],
                              "labels": list(dataset["label"])})


def apply_tuning(model, mode: str = "full", upper_layers: int = 2, lora_r: int = 8):
    """Choose which parameters train; returns ``(model, trainable, total)`` parameter counts.

    * ``full``: everything;
    * ``head``: only the classification head (the encoder is a frozen feature extractor);
    * ``upper``: the head, the pooler and the top ``upper_layers`` encoder layers;
    * ``lora``: low-rank adapters of rank ``lora_r`` on the attention projections, plus the
      head (``peft``); the original weights stay frozen.
    """
    if mode not in TUNING_MODES:
        raise ValueError(f"tuning mode {mode!r}: expected one of {', '.join(TUNING_MODES)}")
    if mode == "lora":
        import warnings

        from peft import LoraConfig, TaskType, get_peft_model

        config = LoraConfig(task_type=TaskType.SEQ_CLS, r=lora_r, lora_alpha=2 * lora_r,
                            lora_dropout=0.1, target_modules=["query", "key", "value"])
        with warnings.catch_warnings():  # peft calls a transformers API deprecated for v6
            warnings.simplefilter("ignore", FutureWarning)
            model = get_peft_model(model, config)
    elif mode != "full":
        layers = model.base_model.encoder.layer
        keep = {f"encoder.layer.{i}." for i in range(len(layers) - upper_layers, len(layers))} \
            if mode == "upper" else set()
        for name, parameter in model.named_parameters():
            head = not name.startswith(model.base_model_prefix + ".")
            upper = any(k in name for k in keep) or (mode == "upper" and ".pooler." in name)
            parameter.requires_grad_(head or upper)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return model, trainable, total


def scores(labels, probs, threshold: float = 0.5) -> dict:
    """Accuracy, precision, recall, F1 (class 1) at ``threshold``, and ROC-AUC."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

    labels, probs = np.asarray(labels), np.asarray(probs)
    predicted = (probs >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", zero_division=0)
    auc = roc_auc_score(labels, probs) if len(set(labels.tolist())) == 2 else float("nan")
    return {"accuracy": float(accuracy_score(labels, predicted)), "precision": float(precision),
            "recall": float(recall), "f1": float(f1), "roc_auc": float(auc)}


def error_cost(labels, probs, threshold: float, cost_fn: float, cost_fp: float) -> dict:
    """Errors and their cost at ``threshold``: ``{"FN", "FP", "cost"}`` where cost is
    ``cost_fn x FN + cost_fp x FP`` (a missed positive costs ``cost_fn``, a false alarm ``cost_fp``).

    >>> error_cost([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], threshold=0.5, cost_fn=5, cost_fp=1)
    {'FN': 1, 'FP': 1, 'cost': 6}
    """
    labels, predicted = np.asarray(labels), np.asarray(probs) >= threshold
    fn = int(((labels == 1) & ~predicted).sum())
    fp = int(((labels == 0) & predicted).sum())
    return {"FN": fn, "FP": fp, "cost": cost_fn * fn + cost_fp * fp}


def choose_threshold(labels, probs, cost_fn: float, cost_fp: float) -> tuple[float, pd.DataFrame]:  # noqa: F821
    """The threshold with the lowest ``error_cost`` on (dev) data.

    Candidates are 0.5 and every distinct probability; ties go to the threshold closest to 0.5.
    Returns the threshold and the table of (threshold, FN, FP, cost) it chose from.

    >>> choose_threshold([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], cost_fn=5, cost_fp=1)[0]
    0.4
    """
    import pandas as pd

    candidates = sorted(set(np.round(np.asarray(probs), 6).tolist()) | {0.5})
    table = pd.DataFrame([{"threshold": t, **error_cost(labels, probs, t, cost_fn, cost_fp)}
                          for t in candidates])
    best = table.assign(gap=(table["threshold"] - 0.5).abs()).sort_values(["cost", "gap"]).iloc[0]
    return float(best["threshold"]), table


def articles_predictions(logits):
    """The source articles' evaluation line, reproduced to show it fails: ``argmax(dim=2)``
    suits NER logits (batch, tokens, labels) but sequence classification logits are
    (batch, labels), which have no dimension 2."""
    return logits.argmax(dim=2)


@dataclass
class ClassifyResult(RunResult):
    """``RunResult`` plus what classification adds: parameter counts and the probabilities."""

    trainable: int = 0  # parameters that trained
    total: int = 0
    dev_probs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of the best epoch
    test_probs: np.ndarray | None = None


def train_classifier(config: ClassifyConfig, splits) -> ClassifyResult:
    """Fine-tune a sequence classifier on ``splits`` (train/validation[/test] text datasets)
    with ``train.fit``, tuning the parameters ``config.tuning`` names (``apply_tuning``)."""
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding

    choice, splits, tokenizer = start_run(config, splits)
    names = splits["train"].features["label"].names
    tokenized = {name: tokenize_texts(ds, tokenizer, config.max_length)
                 for name, ds in splits.items()}
    overrides = {} if config.dropout is None else {
        "hidden_dropout_prob": config.dropout, "attention_probs_dropout_prob": config.dropout}
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            choice.path, num_labels=len(names), id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)}, **overrides)
    if config.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    model, trainable, total = apply_tuning(model, config.tuning, config.upper_layers,
                                           config.lora_r)
    collator = DataCollatorWithPadding(tokenizer)
    dev_probs = []  # per epoch: the best epoch's are the saved model's, no second pass needed

    def probs(model_, split: str) -> np.ndarray:  # several processes: each scores its share
        return np.asarray(map_sharded(lambda start, stop: predict_proba(
            model_, tokenized[split].select(range(start, stop)), collator,
            config.eval_batch_size, config.precision).tolist(), len(tokenized[split])))

    def evaluate(model_) -> dict:
        dev_probs.append(probs(model_, "validation"))
        return scores(splits["validation"]["label"], dev_probs[-1])

    history = fit(model, tokenizer, tokenized["train"], collator, evaluate, config,
                  label_names=names, metric="f1", resume=False)
    best_dir = Path(config.output_dir) / "best"
    best = dev_probs[history.best_epoch - 1]
    result = ClassifyResult(history, str(best_dir), choice.short_name,
                            scores(splits["validation"]["label"], best), trainable=trainable,
                            total=total, dev_probs=best)
    if "test" in tokenized:  # scored once, with the checkpoint as saved
        saved, _, _ = load_model(best_dir, "sequence", process_device())
        result.test_probs = probs(saved, "test")
        result.test = scores(splits["test"]["label"], result.test_probs)
    return result


def load_splits(train: str, validation: str | None, test: str | None = None,
                labels: list[str] | None = None) -> dict:
    """Text-classification files (TSV/CSV/JSONL with text and label) as train/validation[/test]
    datasets with the label names ``labels``, or SST-2 by name (``HUB_NAMES``, its own label
    names): the local benchmark file, else the hub, else ``corpora.BenchmarkUnavailable``."""
    if train in HUB_NAMES:
        dataset, _ = load_sst2()
        return dict(dataset)
    splits = {"train": read_text_classification(train, labels),
              "validation": read_text_classification(validation, labels)}
    if test:
        splits["test"] = read_text_classification(test, labels)
    return splits
