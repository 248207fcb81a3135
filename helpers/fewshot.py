"""Few labels for classification: SetFit against the course's fine-tuning at the same sizes.

SetFit (the ``setfit`` library) first tunes a sentence-transformer on pairs of labelled texts
(same class: similar; other class: not), then fits a logistic regression on its embeddings; it
was made for a few labels per class. The course's fine-tuning (``classify.train_classifier``,
the loop of notebook 06) learns a classification head with the whole network from the same
texts. Both see exactly the same texts per seed (``sample_per_class``), and both are scored on
the whole test set with a bootstrap interval (``evaluate.accuracy_interval``).

Two differences are kept on purpose and said in the lesson: fine-tuning picks its best epoch on
the dev set (a few-shot team rarely has one, so this favours fine-tuning); SetFit's body is the
bundled sentence-transformer all-MiniLM-L6-v2, its natural starting point.

    >>> crossing(pd.DataFrame({"method": ["setfit", "fine-tuning"] * 2, "per_class": [8, 8, 64, 64],
    ...                        "accuracy": [0.8, 0.6, 0.85, 0.9]}))
    64

Imports: ``classify``, ``curves``, ``evaluate``, ``hub``.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.classify import train_classifier
from helpers.curves import repeated
from helpers.evaluate import accuracy_interval
from helpers.hub import bundled_model_path, quiet_transformers

METHODS = ("setfit", "fine-tuning")


def sample_per_class(dataset, per_class: int, seed: int = 0):
    """``per_class`` rows of each label, drawn with ``seed``; for one seed the rows of a
    smaller size are among those of a larger one (each label's rows are shuffled once).

    >>> from datasets import Dataset
    >>> data = Dataset.from_dict({"text": list("abcdef"), "label": [0, 1, 0, 1, 0, 1]})
    >>> sorted(sample_per_class(data, 2, seed=0)["label"])
    [0, 0, 1, 1]
    """
    labels = np.asarray(dataset["label"])
    rng = np.random.default_rng(seed)
    rows = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise ValueError(f"label {label} has {len(members)} rows, fewer than {per_class} asked for")
        rows += rng.permutation(members)[:per_class].tolist()
    return dataset.select(sorted(rows))


def train_setfit(train, seed: int, steps: int = 20, batch_size: int = 16, model_path: str | None = None):
    """A SetFit model trained on ``train`` (``text``, ``label``): ``steps`` contrastive steps of
    ``batch_size`` pairs on the sentence-transformer at ``model_path`` (the bundled MiniLM by
    default), then its logistic-regression head."""
    from setfit import SetFitModel, Trainer, TrainingArguments

    with quiet_transformers():  # its head starts untrained, as expected
        model = SetFitModel.from_pretrained(str(model_path or bundled_model_path()))
    with tempfile.TemporaryDirectory() as scratch:
        args = TrainingArguments(output_dir=scratch, batch_size=batch_size, max_steps=steps, seed=seed,
                                 save_strategy="no", report_to="none", show_progress_bar=False)
        Trainer(model=model, args=args, train_dataset=train.select_columns(["text", "label"])).train()
    return model


def run_few_shot(config, splits, sizes: Sequence[int], seeds: Sequence[int], setfit_steps: int = 20,
                 min_steps: int = 40, on_run: Callable[[dict], None] | None = None,
                 setfit_model: str | None = None) -> pd.DataFrame:
    """Both methods at ``sizes`` labelled texts per class, for every seed; one row per run:
    ``method``, ``per_class``, ``seed``, ``accuracy`` (test) with ``low``/``high``, ``seconds``.
    Fine-tuning (``config``, a ``ClassifyConfig``) repeats a small set so that it gets at least
    ``min_steps`` optimizer steps (``curves.repeated``); SetFit starts from ``setfit_model`` (a
    sentence-transformer folder; the bundled MiniLM by default)."""
    test, rows = splits["test"], []
    for seed in seeds:
        for per_class in sizes:
            train = sample_per_class(splits["train"], per_class, seed)
            started = time.perf_counter()
            model = train_setfit(train, seed, setfit_steps, model_path=setfit_model)
            predicted = np.asarray(model.predict(test["text"], as_numpy=True))
            rows.append(_row("setfit", per_class, seed, test["label"], predicted, started))
            started = time.perf_counter()
            run = replace(config, seed=seed, train_limit=None, patience=10**6,
                          output_dir=str(Path(config.output_dir) / f"k{per_class}-s{seed}"))
            per_epoch = math.ceil(min_steps / run.epochs)
            result = train_classifier(run, {**splits, "train": repeated(train, run.batch_size, per_epoch)})
            rows.append(_row("fine-tuning", per_class, seed, test["label"],
                             (result.test_probs >= 0.5).astype(int), started))
            for row in rows[-2:]:
                if on_run:
                    on_run(row)
    return pd.DataFrame(rows)


def _row(method: str, per_class: int, seed: int, labels, predicted, started: float) -> dict:
    interval = accuracy_interval(labels, predicted)
    return {"method": method, "per_class": per_class, "seed": seed, "accuracy": interval.value,
            "low": interval.low, "high": interval.high, "seconds": time.perf_counter() - started}


def crossing(runs: pd.DataFrame) -> int | None:
    """The smallest size (per class) from which fine-tuning's mean accuracy is at least
    SetFit's at every larger size measured; ``None`` if SetFit leads at the largest size."""
    means = runs.groupby(["per_class", "method"])["accuracy"].mean().unstack()
    ahead = (means["fine-tuning"] >= means["setfit"]).to_numpy()
    if not ahead[-1]:
        return None
    first = len(ahead) - np.argmin(ahead[::-1]) if not ahead.all() else 0
    return int(means.index[first])


def plot_few_shot(runs: pd.DataFrame, ax=None):
    """Test accuracy against labelled texts per class, one line per method: mean over seeds,
    bars the mean of the runs' 95 % bootstrap intervals."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for method, group in runs.groupby("method"):
        stats = group.groupby("per_class")[["accuracy", "low", "high"]].mean()
        ax.errorbar(stats.index, stats["accuracy"], yerr=[stats["accuracy"] - stats["low"],
                    stats["high"] - stats["accuracy"]], marker="o", capsize=4, label=method)
    ax.set(xscale="log", xlabel="labelled texts per class", ylabel="test accuracy",
           xticks=sorted(runs["per_class"].unique()), xticklabels=sorted(runs["per_class"].unique()))
    ax.legend()
    return ax
