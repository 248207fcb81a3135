"""helpers.curves: the inverse power law, its fit and bootstrap, the labelling plan, nested
subsets, and a learning curve trained for real (tiny model, tiny data)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import curves
from helpers.recipe import NerConfig


def exact(sizes, a=0.9, b=2.0, c=0.5):
    return [float(curves.power_law(n, a, b, c)) for n in sizes]


SIZES = [100, 200, 400, 800, 1600]


def test_fit_recovers_known_parameters():
    curve = curves.fit_learning_curve(SIZES, exact(SIZES))
    assert curve.a == pytest.approx(0.9, abs=1e-3)
    assert curve.b == pytest.approx(2.0, rel=0.02)
    assert curve.c == pytest.approx(0.5, abs=0.01)
    assert curve.predict(3200) == pytest.approx(0.9 - 2 / math.sqrt(3200), abs=1e-3)


def test_labels_for_solves_the_curve_by_hand():
    curve = curves.fit_learning_curve(SIZES, exact(SIZES))
    # 0.9 - 2 / sqrt(n) = 0.85  <=>  n = (2 / 0.05) ** 2 = 1600
    needed = curve.labels_for(0.85)
    assert needed.value == pytest.approx(1600, rel=0.02)
    assert needed.reachable == 1.0 and needed.low <= needed.value <= needed.high


def test_a_target_above_the_ceiling_is_not_reachable():
    curve = curves.fit_learning_curve(SIZES, exact(SIZES, a=0.8, b=1.0))
    needed = curve.labels_for(0.85)
    assert math.isinf(needed.value) and needed.reachable < 0.05 and math.isinf(needed.high)
    assert str(needed).startswith("not reachable with this model")


def test_bootstrap_over_seeds_widens_with_seed_noise():
    rng = np.random.default_rng(0)
    sizes = SIZES * 3
    quiet = np.array(exact(sizes)) + rng.normal(0, 0.002, len(sizes))
    noisy = np.array(exact(sizes)) + rng.normal(0, 0.02, len(sizes))
    narrow = curves.fit_learning_curve(sizes, quiet).predict_interval(10_000)
    wide = curves.fit_learning_curve(sizes, noisy).predict_interval(10_000)
    assert (wide.high - wide.low) > 3 * (narrow.high - narrow.low)
    assert "seeds" in curves.fit_learning_curve(sizes, quiet).uncertainty


def test_one_run_per_size_says_its_interval_is_from_residuals():
    curve = curves.fit_learning_curve(SIZES, exact(SIZES))
    assert "residuals" in curve.uncertainty and len(curve.draws) > 100


@pytest.mark.parametrize("sizes, scores, message", [
    ([100, 200], [0.5, 0.6], "at least 3 distinct sizes"),
    ([100, 200, 300], [0.5, 0.6], "one length"),
    ([0, 200, 400], [0.5, 0.6, 0.7], "positive"),
    ([100, 200, 400], [0.5, float("nan"), 0.7], "finite"),
])
def test_bad_input_says_what_was_expected(sizes, scores, message):
    with pytest.raises(ValueError, match=message):
        curves.fit_learning_curve(sizes, scores)


def test_plan_prices_the_missing_labels():
    curve = curves.fit_learning_curve(SIZES, exact(SIZES))
    plan = curves.plan_labels(curve, 0.85, have=400, seconds_per_sentence=36, hourly_rate=20,
                              budget_sentences=5000)
    assert plan.more[0] == pytest.approx(1200, rel=0.03)
    assert plan.hours[0] == pytest.approx(1200 * 36 / 3600, rel=0.03)  # 12 h
    assert plan.cost[0] == pytest.approx(12 * 20, rel=0.03)
    assert plan.verdict.startswith("label about")


def test_plan_verdicts_for_met_unreachable_and_over_budget():
    met = curves.plan_labels(curves.fit_learning_curve(SIZES, exact(SIZES)), 0.8, 3000, 30, 25, 1500)
    assert met.more[0] == 0 and "is met" in met.verdict
    flat = curves.fit_learning_curve(SIZES, exact(SIZES, a=0.8, b=1.0))
    assert "change the model" in curves.plan_labels(flat, 0.85, 400, 30, 25, 1500).verdict
    over = curves.plan_labels(curves.fit_learning_curve(SIZES, exact(SIZES)), 0.88, 400, 30, 25, 1500)
    assert "beyond the brief's budget" in over.verdict


def test_nested_subsets_keep_documents_whole_and_nest():
    docs = [d for d in range(40) for _ in range(d % 3 + 1)]  # documents of 1-3 sentences
    subsets = curves.nested_subsets(docs, [10, 25, 50, 1000], seed=3)
    for small, large in zip(list(subsets.values()), list(subsets.values())[1:]):
        assert set(small) <= set(large)
    for size, rows in subsets.items():
        taken = {docs[r] for r in rows}
        assert sorted(rows) == [r for r, d in enumerate(docs) if d in taken]  # whole documents
        assert len(rows) >= min(size, len(docs))
    assert len(subsets[1000]) == len(docs)
    assert subsets != curves.nested_subsets(docs, [10, 25, 50, 1000], seed=4)


def test_repeats_make_epochs_of_at_least_the_steps_asked():
    for rows in (5, 50, 333, 5000):
        copies = curves.repeats_for(rows, 16, 25)
        assert math.ceil(copies * rows / 16) >= 25
        assert copies == 1 or (copies - 1) * rows < 25 * 16  # one copy fewer is short


def test_a_learning_curve_trains_nested_subsets(tiny_bert, tmp_path):
    from helpers.corpora import load_health_ner

    corpus = load_health_ner()
    splits = {"train": corpus["train"].select(range(60)),
              "validation": corpus["validation"].select(range(20)),
              "test": corpus["test"].select(range(20))}
    config = NerConfig(model=tiny_bert, epochs=1, batch_size=8, output_dir=str(tmp_path), lr=1e-3)
    schedule = curves.Schedule(epoch_steps=2, max_epochs=3, patience=1)
    points = curves.run_learning_curve(config, splits, [10, 30], seeds=[0, 1], schedule=schedule)
    assert len(points) == 4 and set(points["seed"]) == {0, 1}
    assert points["epochs"].between(2, 3).all()  # patience 1: stops after the 2nd epoch at the earliest
    for _, runs in points.groupby("seed"):
        small, large = runs.sort_values("size")["rows"]
        assert set(small) < set(large)
    assert (points.groupby("seed")["size"].apply(lambda s: s.is_monotonic_increasing)).all()
    assert points["test_f1"].between(0, 1).all()
    assert all(len(tags) == 20 for tags in points["test_tags"])


def test_the_rehearsal_plan_has_the_full_plans_shape(monkeypatch):
    """make rehearse runs notebook 08 with COURSE_PLAN=rehearsal: the full plan's rounds, sizes
    and few-shot sizes, several seeds, shorter runs; a plan that does not exist is refused by name."""
    monkeypatch.setenv("COURSE_PLAN", "rehearsal")
    plan, full = curves.plan_for("full"), curves.PLANS["full"]
    assert (len(plan.sizes), plan.al_rounds, plan.per_class) == \
        (len(full.sizes), full.al_rounds, full.per_class)
    # several seeds where the curve's error bars and the verdicts of active learning are per seed
    assert len(plan.seeds) > 1 and len(plan.al_seeds) > 1 and plan.fs_seeds
    assert plan.schedule.max_epochs < full.schedule.max_epochs and plan.setfit_steps < full.setfit_steps
    monkeypatch.setenv("COURSE_PLAN", "huge")
    with pytest.raises(ValueError, match="COURSE_PLAN='huge' is not a plan; expected one of smoke, cpu, "
                                         "full, rehearsal"):
        curves.plan_for("full")
