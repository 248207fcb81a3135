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
