"""helpers.fewshot: per-class samples, the crossing point, and both methods run for real on a
tiny model (mechanics, not quality)."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import fewshot
from helpers.recipe import ClassifyConfig


def test_samples_are_balanced_nested_and_seeded():
    from helpers.corpora import load_app_feedback

    train = load_app_feedback()["train"]
    small, large = (fewshot.sample_per_class(train, k, seed=3) for k in (8, 32))
    assert pd.Series(small["label"]).value_counts().tolist() == [8, 8]
    assert set(small["text"]) <= set(large["text"])
    assert small["text"] != fewshot.sample_per_class(train, 8, seed=4)["text"]
    with pytest.raises(ValueError, match="fewer than"):
        fewshot.sample_per_class(train.select(range(10)), 8)


@pytest.mark.parametrize("setfit, tuned, expected", [
    ([0.8, 0.85, 0.87], [0.6, 0.88, 0.9], 16),   # fine-tuning overtakes at 16 and stays ahead
    ([0.8, 0.85, 0.87], [0.6, 0.7, 0.8], None),  # SetFit ahead throughout
    ([0.8, 0.85, 0.87], [0.9, 0.8, 0.9], 64),    # ahead, behind, ahead: from 64 on
    ([0.5, 0.5, 0.5], [0.6, 0.6, 0.6], 8),       # fine-tuning ahead everywhere
])
def test_crossing(setfit, tuned, expected):
    runs = pd.DataFrame({"method": ["setfit"] * 3 + ["fine-tuning"] * 3, "per_class": [8, 16, 64] * 2,
                         "accuracy": setfit + tuned})
    assert fewshot.crossing(runs) == expected


def test_both_methods_run_on_the_same_texts(tiny_bert, tmp_path):
    from helpers.corpora import load_app_feedback

    data = load_app_feedback()
    splits = {"train": data["train"], "validation": data["validation"].select(range(20)),
              "test": data["test"].select(range(30))}
    config = ClassifyConfig(model=tiny_bert, epochs=1, batch_size=4, output_dir=str(tmp_path))
    runs = fewshot.run_few_shot(config, splits, sizes=[2], seeds=[0], setfit_steps=2, min_steps=2,
                                setfit_model=tiny_bert)
    assert runs["method"].tolist() == ["setfit", "fine-tuning"]
    assert runs["accuracy"].between(0, 1).all() and (runs["low"] <= runs["accuracy"]).all()
    assert (runs["accuracy"] <= runs["high"]).all()
