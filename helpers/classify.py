"""Text classification on the course's one training loop: app-feedback triage (and SST-2 online).

Everything specific to sequence classification lives here; the loop is ``train.fit``:

* ``tokenize_texts``: texts to model inputs (dynamic padding happens per batch);
* ``apply_tuning``: full fine-tuning, a frozen encoder with a trained head, only the upper
  layers, or LoRA adapters (``peft``), with the count of trainable parameters;
* ``predict_proba``, ``scores``: probabilities and accuracy / F1 / ROC-AUC (scikit-learn);
* ``choose_threshold``: the decision threshold that minimises the brief's error cost on dev;
* ``train_classifier``: the whole run, as ``train.train_ner`` is for NER.

    >>> scores([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.1])["accuracy"]
    0.75
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
        from peft import LoraConfig, TaskType, get_peft_model

        import warnings

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


def predict_proba(model, tokenized, collator, batch_size: int = 64,
                  precision: str | None = None) -> np.ndarray:
    """Probability of class 1 for every example, batches formed by length, in the training
    precision (``env.inference``)."""
    from helpers.env import inference
    from helpers.evaluate import batches_by_length

    device = next(model.parameters()).device
    model.eval()
    probs = np.zeros(len(tokenized))
    with inference(device, precision):
        for rows, batch in batches_by_length(tokenized, collator, batch_size):
            batch.pop("labels", None)
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits.float()
            # logits are (batch, classes): the class axis is -1 (the articles' argmax(dim=2) fails)
            probs[rows] = logits.softmax(-1)[:, 1].cpu().numpy()
    return probs


def scores(labels, probs, threshold: float = 0.5) -> dict:
    """Accuracy, precision, recall, F1 (class 1) at ``threshold``, and ROC-AUC."""
    from sklearn.metrics import (accuracy_score, precision_recall_fscore_support,
                                 roc_auc_score)

    labels, probs = np.asarray(labels), np.asarray(probs)
    predicted = (probs >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", zero_division=0)
    auc = roc_auc_score(labels, probs) if len(set(labels.tolist())) == 2 else float("nan")
    return {"accuracy": float(accuracy_score(labels, predicted)), "precision": float(precision),
            "recall": float(recall), "f1": float(f1), "roc_auc": float(auc)}


def choose_threshold(labels, probs, cost_fn: float, cost_fp: float) -> tuple[float, "pd.DataFrame"]:  # noqa: F821
    """The threshold with the lowest total cost ``cost_fn x FN + cost_fp x FP`` on (dev) data.

    Candidates are 0.5 and every distinct probability; ties go to the threshold closest to 0.5.
    Returns the threshold and the table of (threshold, FN, FP, cost) it chose from.

    >>> choose_threshold([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], cost_fn=5, cost_fp=1)[0]
    0.4
    """
    import pandas as pd

    labels, probs = np.asarray(labels), np.asarray(probs)
    candidates = sorted(set(np.round(probs, 6).tolist()) | {0.5})
    rows = []
    for t in candidates:
        predicted = probs >= t
        fn = int(((labels == 1) & ~predicted).sum())
        fp = int(((labels == 0) & predicted).sum())
        rows.append({"threshold": t, "FN": fn, "FP": fp, "cost": cost_fn * fn + cost_fp * fp})
    table = pd.DataFrame(rows)
    best = table.assign(gap=(table["threshold"] - 0.5).abs()).sort_values(["cost", "gap"]).iloc[0]
    return float(best["threshold"]), table


def articles_predictions(logits):
    """The source articles' evaluation line, reproduced to show it fails: ``argmax(dim=2)``
    suits NER logits (batch, tokens, labels) but sequence classification logits are
    (batch, labels), which have no dimension 2."""
    return logits.argmax(dim=2)


def augment_texts(dataset, p: float = 0.2, seed: int = 0):
    """Synonym replacement on texts (``data.SYNONYMS``), for the augmentation experiment."""
    import random

    from helpers.data import synonym

    rng = random.Random(seed)

    def replace(example):
        return {"text": " ".join(synonym(word, rng, p) or word
                                 for word in example["text"].split(" "))}

    return dataset.map(replace)


def train_classifier(config, splits) -> dict:
    """Fine-tune a sequence classifier on ``splits`` (train/validation[/test] text datasets)
    with ``train.fit``; returns ``{"history", "model_dir", "dev", "test", "trainable",
    "total", "model", "dev_probs", "test_probs"}``. ``config.extra`` may hold ``tuning``,
    ``upper_layers``, ``lora_r`` and ``dropout``."""
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding

    from helpers.env import quiet_transformers
    from helpers.train import fit, start_run

    choice, splits, tokenizer = start_run(config, splits)
    names = splits["train"].features["label"].names
    tokenized = {name: tokenize_texts(ds, tokenizer, config.max_length)
                 for name, ds in splits.items()}
    extra = config.extra or {}
    overrides = {}
    if extra.get("dropout") is not None:
        overrides = {"hidden_dropout_prob": extra["dropout"],
                     "attention_probs_dropout_prob": extra["dropout"]}
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            choice.path, num_labels=len(names), id2label=dict(enumerate(names)),
            label2id={n: i for i, n in enumerate(names)}, **overrides)
    if config.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    model, trainable, total = apply_tuning(model, extra.get("tuning", "full"),
                                           extra.get("upper_layers", 2), extra.get("lora_r", 8))
    collator = DataCollatorWithPadding(tokenizer)

    dev_probs = []  # per epoch: the best epoch's are the saved model's, no second pass needed

    def evaluate(model_) -> dict:
        dev_probs.append(predict_proba(model_, tokenized["validation"], collator,
                                       config.eval_batch_size, config.precision))
        return scores(splits["validation"]["label"], dev_probs[-1])

    history = fit(model, tokenizer, tokenized["train"], collator, evaluate, config,
                  label_names=names, metric="f1", resume=False)
    best_dir = Path(config.output_dir) / "best"
    result = {"history": history, "model_dir": str(best_dir), "model": choice.short_name,
              "trainable": trainable, "total": total,
              "dev_probs": dev_probs[history["best"]["epoch"] - 1]}
    result["dev"] = scores(splits["validation"]["label"], result["dev_probs"])
    if "test" in tokenized:  # scored once, with the checkpoint as saved
        best = _load_best(best_dir, extra.get("tuning", "full"))
        result["test_probs"] = predict_proba(best, tokenized["test"], collator,
                                             config.eval_batch_size, config.precision)
        result["test"] = scores(splits["test"]["label"], result["test_probs"])
    return result


def _load_best(directory: Path, tuning: str):
    from transformers import AutoModelForSequenceClassification

    from helpers.env import quiet_transformers

    with quiet_transformers():
        if tuning == "lora":
            from peft import AutoPeftModelForSequenceClassification

            return AutoPeftModelForSequenceClassification.from_pretrained(directory)
        return AutoModelForSequenceClassification.from_pretrained(directory)
