"""helpers/exercises/: the "your turn" mechanism and every registered checker."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import textwrap

import pytest

from helpers.env import REPO_ROOT
from helpers.exercises import TAG_SENTENCE, ___, exercise
from helpers.exercises.core import REGISTRY, register, solution_source, solutions_filled


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
    context = ex.example_context()
    assert ex.checker(ex.reference(**context), **context) is None
    assert ex.wrong, f"{key} needs typical wrong answers"
    for make_wrong in ex.wrong:
        message = ex.checker(make_wrong(**context), **context)
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
    assert solutions_filled()
    monkeypatch.setenv("COURSE_PROFILE", "cpu")
    assert not solutions_filled()


def test_solution_is_folded_until_revealed(capsys):
    exercise("00.iob2_labels").solution()
    out = capsys.readouterr().out
    assert "Show the solution" in out and "n_labels = 2 * n_types + 1" in out


def test_unknown_key_lists_known_ones():
    with pytest.raises(KeyError, match="00.iob2_labels"):
        exercise("00.nope")


def test_registering_twice_is_an_error():
    def solve():
        return 0

    with pytest.raises(ValueError, match="registered twice"):
        register("00.iob2_labels", reference=solve)(lambda answer: None)


def test_placeholder_prints_as_blanks():
    assert repr(___) == "___" and not ___


def test_tag_sentence_feedback_quotes_the_guideline():
    check = REGISTRY["02.tag_sentence"].checker
    gold = REGISTRY["02.tag_sentence"].reference()
    assert len(gold) == len(TAG_SENTENCE)
    message = check(gold[:9] + ["B-TIME", "I-TIME", "I-TIME"])
    assert message.startswith("token 9 'since'") and "outside TIME" in message
    assert "12 tags" in check(gold[:-1])


def test_dose_pattern_feedback_names_examples():
    ex = REGISTRY["02.dose_pattern"]
    context = ex.example_context()  # the test split, as notebook 02 passes it
    assert "misses doses such as" in ex.checker(r"\d+ ?mg\b", **context)
    assert "not a valid regular expression" in ex.checker("(", **context)


def test_example_contexts_are_built_when_asked():
    ex = REGISTRY["02.dose_pattern"]
    assert not isinstance(ex.example, dict) and "dataset" in ex.example_context()
    first, second = REGISTRY["00.iob2_labels"].example_context(), \
        REGISTRY["00.iob2_labels"].example_context()
    first["n_types"] = 99
    assert second == {"n_types": 5}, "each call builds a fresh context"


def test_error_kinds_agree_with_the_course_error_analysis():
    from helpers.evaluate import error_analysis

    words = "sharp pain in bed this morning after Advil".split()
    gold = ["B-SYMPTOM", "I-SYMPTOM", "O", "O", "B-TIME", "I-TIME", "O", "B-MEDICATION"]
    pred = ["O", "B-SYMPTOM", "O", "B-BODY_PART", "O", "O", "O", "B-SYMPTOM"]
    table = error_analysis([gold], [pred], [words])
    kind = {row.gold or row.predicted: row.error for row in table.itertuples()}
    cases = ["[sharp pain|SYMPTOM]", "[Advil|MEDICATION]", "[this morning|TIME]",
             "[bed|BODY_PART]"]
    assert [kind[c] for c in cases] == REGISTRY["05.error_kind"].reference()


# ------------------------------------------------------------------ solutions written once
@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_solution_shows_the_reference_source(key, capsys):
    ex = REGISTRY[key]
    text = ex.solution_text()
    assert text and textwrap.indent(text, "    ") in inspect.getsource(ex.reference)
    assert "def " not in text.splitlines()[0] and "return" not in text
    ex.solution()
    assert text.splitlines()[-1].strip() in capsys.readouterr().out


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_the_revealed_code_computes_the_reference_answer(key):
    """Run as a notebook cell would, the shown code assigns the answer the reference returns."""
    ex = REGISTRY[key]
    context = ex.example_context()
    cell = {**ex.reference.__globals__, **context}
    exec(ex.solution_text(), cell)  # noqa: S102 (our own source)
    assert cell[_returned_name(ex.reference)] == ex.reference(**context)


def _returned_name(function) -> str:
    return re.findall(r"return (\w+)\s*$", inspect.getsource(function))[-1]


def _notebook_cells() -> dict[str, str]:
    """Notebook stem -> all its code."""
    return {path.stem: "\n".join("".join(c["source"]) for c in
                                 json.loads(path.read_text(encoding="utf-8"))["cells"])
            for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))}


def test_the_solution_assigns_the_variable_the_notebook_cell_uses():
    found = {}
    for code in _notebook_cells().values():
        for name, key in re.findall(r'(\w+) = exercise\("([^"]+)"\)\.check\(', code):
            found[key] = name
    assert set(found) == set(REGISTRY)
    for key, name in found.items():
        assert _returned_name(REGISTRY[key].reference) == name, key


def test_registry_is_in_course_order_with_one_module_per_notebook():
    notebooks = _notebook_cells()
    keys = list(REGISTRY)
    assert keys == sorted(keys, key=lambda k: k[:2]), "import the modules in course order"
    for key, ex in REGISTRY.items():
        module = ex.checker.__module__.rsplit(".", 1)[1]
        assert ex.reference.__module__ == ex.checker.__module__
        stem = module.removeprefix("nb")
        assert stem in notebooks and stem[:2] == key[:2], f"{key} is in {module}"
        assert f'exercise("{key}")' in notebooks[stem]
    for stem, code in notebooks.items():
        if "exercise(" in code:
            importlib.import_module(f"helpers.exercises.nb{stem}")


def test_solution_source_skips_signature_docstring_and_final_return():
    def solve(lengths,
              pad_to=128):  # a signature over two lines
        """Not shown."""
        # shown
        share = 1 - sum(lengths) / (pad_to * len(lengths))
        return share

    assert solution_source(solve) == ("# shown\n"
                                      "share = 1 - sum(lengths) / (pad_to * len(lengths))")
    with pytest.raises(TypeError, match="def"):
        solution_source(lambda: 0)
