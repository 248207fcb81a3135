"""helpers/brief.py: the project brief's schema."""

from __future__ import annotations

import json

import pytest

from helpers import brief
from helpers.brief import BriefError


def raw(**changes):
    base = json.loads(brief.DEFAULT_PATH.read_text())
    base.update(changes)
    return base


def test_the_shipped_default_is_valid():
    b = brief.load_brief(brief.DEFAULT_PATH)
    assert b.task == "token-classification" and b.metric == "entity_f1_strict"
    assert b.labels == ["O"] + [f"{p}-{t}" for t in b.entity_types for p in "BI"]
    assert b.annotation_cost() == {"sentences": 1500, "hours": 12.5, "cost": 312.5}


@pytest.mark.parametrize("changes,message", [
    ({"task": "translation"}, "task 'translation' is not one of"),
    ({"entity_types": ["Symptom"]}, "UPPER_CASE"),
    ({"entity_types": ["B-X"]}, "without '-'"),
    ({"entity_types": ["TIME", "TIME"]}, "repeats"),
    ({"metric": "bleu"}, "metric 'bleu'"),
    ({"target": 1.5}, "between 0 and 1"),
    ({"target": "high"}, "should be a number"),
    ({"annotation": {"sentences": 10}}, "annotation.seconds_per_sentence"),
    ({"colour": "blue"}, "unknown field"),
])
def test_invalid_briefs_say_what_is_wrong(changes, message):
    with pytest.raises(BriefError, match=message):
        brief.validate(raw(**changes), source="my_brief.json")


def test_missing_field_is_named():
    data = raw()
    del data["metric"]
    with pytest.raises(BriefError, match="my_brief.json: missing field 'metric'"):
        brief.validate(data, source="my_brief.json")


def test_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "b.json"
    path.write_text('{\n  "product": "x",\n  oops\n}')
    with pytest.raises(BriefError, match=r"b.json:3: not valid JSON"):
        brief.load_brief(path)


def test_save_then_load_round_trip(tmp_path):
    b = brief.load_brief(brief.DEFAULT_PATH)
    b.entity_types = ["SYMPTOM", "MEDICATION"]
    path = brief.save_brief(b, tmp_path / "brief.json")
    assert brief.load_brief(path).labels == ["O", "B-SYMPTOM", "I-SYMPTOM", "B-MEDICATION",
                                            "I-MEDICATION"]


def test_written_brief_takes_precedence(tmp_path, monkeypatch):
    b = brief.load_brief(brief.DEFAULT_PATH)
    b.target = 0.9
    monkeypatch.setattr(brief, "WRITTEN_PATH", tmp_path / "project_brief.json")
    brief.save_brief(b, brief.WRITTEN_PATH)
    assert brief.load_brief().target == 0.9


def test_error_costs_are_validated():
    data = raw()
    del data["error_costs"]["boundary"]
    with pytest.raises(BriefError, match="error_costs.boundary"):
        brief.validate(data, source="b.json")
    data = raw()
    data["error_costs"]["missed"]["MEDICATION"] = -1
    with pytest.raises(BriefError, match="error_costs.missed.MEDICATION"):
        brief.validate(data, source="b.json")


def test_error_cost_weights_each_kind():
    import pandas as pd

    b = brief.load_brief(brief.DEFAULT_PATH)
    errors = pd.DataFrame({"error": ["missed", "missed", "spurious", "type", "boundary",
                                     "boundary+type"],
                           "gold": ["[ibuprofen|MEDICATION]", "[knee|BODY_PART]", "",
                                    "[x|TIME]", "[y|TIME]", "[z|TIME]"]})
    # 5 (missed medication) + 1 (missed body part) + 1 + 2 + 1 + 2
    assert b.error_cost(errors) == 12


def test_course_brief_environment_variable_wins(tmp_path, monkeypatch):
    b = brief.load_brief(brief.DEFAULT_PATH)
    b.target = 0.7
    path = brief.save_brief(b, tmp_path / "mine.json")
    monkeypatch.setenv("COURSE_BRIEF", str(path))
    assert brief.load_brief().target == 0.7
    assert "COURSE_BRIEF" in brief.describe_source()


def test_changing_the_brief_changes_what_notebook_02_loads(tmp_path, monkeypatch):
    """Notebook 01's output drives notebook 02: a brief with two entity types and the lenient
    metric makes notebook 02 load a two-type corpus and announce the lenient metric."""
    from helpers import course

    b = brief.load_brief(brief.DEFAULT_PATH)
    b.entity_types = ["MEDICATION", "DOSAGE"]
    b.metric = "entity_f1_lenient"
    monkeypatch.setenv("COURSE_BRIEF", str(brief.save_brief(b, tmp_path / "brief.json")))
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    _, results, error = course.run_notebook(course.NOTEBOOKS / "02_dataset_building.ipynb",
                                            tmp_path / "out", timeout=300)
    assert error == ""
    import nbformat

    executed = nbformat.read(tmp_path / "out" / "02_dataset_building.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "Entity types: MEDICATION, DOSAGE -> 5 IOB2 labels" in text
    assert "Decides: entity_f1_lenient" in text
    plain = "".join(str(o.get("data", {}).get("text/plain", ""))
                    for c in executed.cells for o in c.get("outputs", []))
    assert "SYMPTOM" not in plain.split("documents")[1].split("all entities")[0]  # stats table


def test_feedback_costs_default_and_validation():
    data = raw()
    del data["feedback_costs"]
    assert brief.validate(data).feedback_costs == {"missed_follow_up": 5, "needless_follow_up": 1}
    data["feedback_costs"] = {"missed_follow_up": "high", "needless_follow_up": 1}
    with pytest.raises(BriefError, match="feedback_costs.missed_follow_up"):
        brief.validate(data, source="b.json")


def test_feedback_target_default_and_validation():
    data = raw()
    assert brief.validate(data).feedback_target == 0.85
    del data["feedback_target"]
    assert brief.validate(data).feedback_target == 0.85
    for bad in (1.5, 0, "high"):
        data["feedback_target"] = bad
        with pytest.raises(BriefError, match="feedback_target should be a number between 0 and 1"):
            brief.validate(data)
