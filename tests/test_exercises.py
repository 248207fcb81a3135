"""helpers/exercises.py: the "your turn" mechanism and every registered checker."""

from __future__ import annotations

import pytest

from helpers import exercises
from helpers.exercises import REGISTRY, ___, exercise


@pytest.fixture
def learner(monkeypatch):
    """A learner's run: solutions are not filled in."""
    monkeypatch.setenv("COURSE_SOLUTIONS", "0")


@pytest.fixture
def ci(monkeypatch):
    monkeypatch.setenv("COURSE_SOLUTIONS", "1")


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_reference_passes_and_typical_mistakes_fail(key):
    ex = REGISTRY[key]
    assert ex.checker(ex.reference(**ex.example), **ex.example) is None
    assert ex.wrong, f"{key} needs typical wrong answers"
    for make_wrong in ex.wrong:
        message = ex.checker(make_wrong(**ex.example), **ex.example)
        assert isinstance(message, str) and message, f"{key} accepted a wrong answer"


def test_feedback_is_specific_for_epoch_minutes():
    check = REGISTRY["00.epoch_minutes"].checker
    assert "seconds" in check(14041 * 3 / 100, samples_per_second=100)
    assert "one epoch" in check(14041 / 100 / 60, samples_per_second=100)
    assert "number" in check("7", samples_per_second=100)


def test_feedback_is_specific_for_iob2_labels():
    check = REGISTRY["00.iob2_labels"].checker
    assert "need O" in check(10, n_types=5)
    assert check(11, n_types=5) is None


def test_unanswered_in_a_learner_run_continues_with_the_reference(learner, capsys):
    value = exercise("00.iob2_labels").check(___, n_types=4)
    assert value == 9
    assert "not answered yet" in capsys.readouterr().out


def test_wrong_answer_shows_feedback_without_raising_for_a_learner(learner, capsys):
    assert exercise("00.iob2_labels").check(10, n_types=5) == 10
    assert "need O" in capsys.readouterr().out


def test_ci_fills_the_reference_and_checks_it(ci, capsys):
    assert exercise("00.iob2_labels").check(___, n_types=5) == 11
    assert "correct" in capsys.readouterr().out


def test_ci_fails_when_a_checker_rejects(ci, monkeypatch):
    ex = exercise("00.iob2_labels")
    monkeypatch.setattr(ex, "reference", lambda n_types: 2 * n_types)  # a broken reference
    with pytest.raises(AssertionError, match="fails its own check"):
        ex.check(___, n_types=5)


def test_smoke_profile_fills_solutions(monkeypatch):
    monkeypatch.delenv("COURSE_SOLUTIONS", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    assert exercises.solutions_filled()
    monkeypatch.setenv("COURSE_PROFILE", "cpu")
    assert not exercises.solutions_filled()


def test_solution_is_folded_until_revealed(capsys):
    exercise("00.iob2_labels").solution()
    out = capsys.readouterr().out
    assert "Show the solution" in out and "2 * 5 + 1" in out


def test_unknown_key_lists_known_ones():
    with pytest.raises(KeyError, match="00.iob2_labels"):
        exercise("00.nope")


def test_registering_twice_is_an_error():
    with pytest.raises(ValueError, match="registered twice"):
        exercises.register("00.iob2_labels", "", lambda: 0)(lambda answer: None)


def test_placeholder_prints_as_blanks():
    assert repr(___) == "___" and not ___


def test_tag_sentence_feedback_quotes_the_guideline():
    check = REGISTRY["02.tag_sentence"].checker
    gold = exercises.TAG_SENTENCE_GOLD
    message = check(gold[:9] + ["B-TIME", "I-TIME", "I-TIME"])
    assert message.startswith("token 9 'since'") and "outside TIME" in message
    assert "12 tags" in check(gold[:-1])


def test_dose_pattern_feedback_names_examples():
    check = REGISTRY["02.dose_pattern"].checker
    assert "misses doses such as" in check(r"\d+ ?mg\b", dataset="health_ner:test")
    assert "not a valid regular expression" in check("(", dataset="health_ner:test")
