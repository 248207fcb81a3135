"""helpers.active: uncertainty, the choice of sentences, rule pre-label savings, and a real
simulated round (tiny model, tiny data)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import active
from helpers.recipe import NerConfig


def test_least_confidence_is_the_mean_over_words():
    assert active.mean_least_confidence([[1.0, 0.5], [], [0.25]]).tolist() == [0.25, 0.0, 0.75]


def test_uncertainty_takes_the_least_sure_and_random_takes_any():
    rng = np.random.default_rng(0)
    assert active.choose("uncertainty", [5, 6, 7, 8], 2, rng, np.array([0.1, 0.4, 0.3, 0.2])) == [6, 7]
    picked = active.choose("random", range(100), 10, rng)
    assert len(set(picked)) == 10 and set(picked) <= set(range(100))
    with pytest.raises(ValueError, match="strategy 'greedy'"):
        active.choose("greedy", [1], 1, rng)
    with pytest.raises(ValueError, match="one uncertainty per pool sentence"):
        active.choose("uncertainty", [1, 2], 1, rng, np.array([0.5]))


def test_prelabel_savings_count_exactly_right_rule_entities():
    from datasets import Dataset

    from helpers.tagging import iob2_labels

    labels = iob2_labels()
    def data(rows):
        return Dataset.from_dict({"tokens": [r[0] for r in rows],
                                  "ner_tags": [[labels.index(t) for t in r[1]] for r in rows]})
    from datasets import ClassLabel, Sequence
    seen = data([(["bad", "headache"], ["O", "B-SYMPTOM"])])
    seen = seen.cast_column("ner_tags", Sequence(ClassLabel(names=labels)))
    batch = data([(["headache", "and", "nausea"], ["B-SYMPTOM", "O", "B-SYMPTOM"])])
    batch = batch.cast_column("ner_tags", Sequence(ClassLabel(names=labels)))
    saved = active.prelabel_savings(seen, batch, seconds_per_sentence=30)
    # the lexicon knows "headache" (seen), not "nausea": one of two entities, half of 30 s
    assert saved["entities"] == 2 and saved["prelabelled_right"] == 1
    assert saved["seconds_saved"] == pytest.approx(15.0) and saved["spurious_prelabels"] == 0


def test_a_simulated_round_adds_the_most_uncertain_sentences(tiny_bert, tmp_path, monkeypatch):
    from helpers import curves
    from helpers.corpora import load_health_ner
    from helpers.tagging import tag_strings

    corpus = load_health_ner()
    splits = {"train": corpus["train"].select(range(40)),
              "validation": corpus["validation"].select(range(16)),
              "test": corpus["test"].select(range(16))}
    seen = []
    real = active.pool_uncertainty

    def spy(model_dir, sentences, batch_size=64):
        scores = real(model_dir, sentences, batch_size)
        seen.append((model_dir, sentences, scores))
        return scores

    monkeypatch.setattr(active, "pool_uncertainty", spy)
    config = NerConfig(model=tiny_bert, epochs=1, batch_size=8, output_dir=str(tmp_path), lr=1e-3)
    schedule = curves.Schedule(epoch_steps=1, max_epochs=1, patience=1)
    points = curves.run_learning_curve(config, splits, [8, 16], seeds=[0], schedule=schedule)
    runs = active.simulate(config, splits, points, rounds=1, schedule=schedule)
    assert runs["strategy"].tolist() == ["documents"] * 2 + ["random"] * 2 + ["uncertainty"] * 2
    start = points.sort_values("size")["rows"].iloc[0]
    first = runs[runs["round"] == 0]
    assert all(added == start for added in first["added"])  # one start, shared by the three arms
    assert runs["labelled"].tolist() == [len(start), points["size"].max()] * 3  # same sizes per arm
    (model_dir, sentences, scores), = seen  # scored once, by the start model
    assert model_dir == points.sort_values("size")["model_dir"].iloc[0]
    pool = [i for i in range(40) if i not in set(start)]
    assert len(sentences) == len(pool)
    added = runs.iloc[5]["added"]
    assert not set(added) & set(start)
    assert sorted(scores[[pool.index(i) for i in added]]) == sorted(np.sort(scores)[-len(added):])
    assert runs.iloc[1]["added"] == sorted(set(points.sort_values("size")["rows"].iloc[1]) - set(start))
    assert len(runs.iloc[3]["added"]) == len(added) and not set(runs.iloc[3]["added"]) & set(start)
    assert {"seconds_saved", "prelabelled_right"} <= set(runs.columns)
    table = active.verdict(runs, tag_strings(splits["test"]))
    assert table["verdict"].iloc[0] in ("uncertainty is better", "random is better", "cannot tell apart")
    with pytest.raises(ValueError, match="2 rounds need 3 sizes"):
        active.simulate(config, splits, points, rounds=2, schedule=schedule)
