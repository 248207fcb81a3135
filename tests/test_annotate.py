"""helpers/annotate.py: the store survives kills, sessions resume and undo, rules, agreement."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

from helpers import annotate
from helpers.annotate import AnnotationSession, AnnotationStore, RuleLabeller

SENTENCES = [{"id": f"s{i}", "tokens": ["took", "400", "mg", "ibuprofen", "for", "a",
                                        "headache"]} for i in range(3)]


# ------------------------------------------------------------------ the store
def test_append_and_read_back(tmp_path):
    store = AnnotationStore(tmp_path / "a.jsonl")
    store.append({"id": "x", "tags": ["O"]})
    store.append({"id": "x", "tags": ["B-TIME"]})
    assert [r["tags"] for r in store.records()] == [["O"], ["B-TIME"]]
    assert store.latest()["x"]["tags"] == ["B-TIME"]  # the newest record wins


def test_torn_last_line_is_ignored_then_set_aside(tmp_path):
    path = tmp_path / "a.jsonl"
    store = AnnotationStore(path)
    store.append({"id": "a", "tags": ["O"]})
    with open(path, "ab") as handle:  # what a kill in the middle of a write leaves
        handle.write(b'{"id": "b", "ta')
    assert [r["id"] for r in store.records()] == ["a"]
    with pytest.warns(UserWarning, match="set aside"):
        AnnotationStore(path)
    assert path.read_bytes() == b'{"id": "a", "tags": ["O"]}\n'
    header, torn = (tmp_path / "a.jsonl.torn").read_bytes().splitlines()
    assert header.startswith(b"# 15 bytes cut from a.jsonl at byte 27 on ") and torn == b'{"id": "b", "ta'


def test_torn_line_warns_when_reopened(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"id": "a"}\n{"id"')
    with pytest.warns(UserWarning, match="set aside"):
        store = AnnotationStore(path)
    store.append({"id": "c"})
    assert [r["id"] for r in store.records()] == ["a", "c"]


def test_damaged_middle_line_names_file_and_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "a"}\nnot json\n{"id": "c"}\n')
    with pytest.raises(ValueError, match=r"a.jsonl:2: not a JSON record"):
        AnnotationStore(path).records()


WRITER = """
import sys
from helpers.annotate import AnnotationStore
store = AnnotationStore(sys.argv[1])
tokens = ["word"] * 2000  # ~20 kB a record, so a kill can land inside a write
for i in range(100000):
    store.append({"id": f"s{i}", "tokens": tokens, "tags": ["O"] * 2000})
    print(i, flush=True)  # acknowledged only after append (and its fsync) returned
"""


def test_store_survives_a_process_killed_while_writing(tmp_path):
    """A real subprocess appends big records and is SIGKILLed mid-stream: every acknowledged
    record is intact, nothing half-written is read back, and the store keeps working."""
    path = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True, cwd=os.getcwd())
    acknowledged = -1
    deadline = time.time() + 30
    while acknowledged < 20 and time.time() < deadline:
        acknowledged = int(proc.stdout.readline())
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rest = proc.stdout.read().split()
    acknowledged = int(rest[-1]) if rest else acknowledged
    assert acknowledged >= 20

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a torn tail, if the kill made one, is set aside
        store = AnnotationStore(path)
    records = store.records()
    ids = [r["id"] for r in records]
    assert ids[: acknowledged + 1] == [f"s{i}" for i in range(acknowledged + 1)]
    assert all(len(r["tags"]) == 2000 for r in records)
    assert path.read_bytes().endswith(b"\n")
    store.append({"id": "after", "tokens": [], "tags": []})
    assert store.records()[-1]["id"] == "after"


def test_export_conll_writes_the_latest_annotations(tmp_path):
    from helpers.formats import read_conll
    from helpers.tagging import iob2_labels, tag_strings

    store = AnnotationStore(tmp_path / "a.jsonl")
    store.append({"id": "1", "tokens": ["no", "fever"], "tags": ["O", "O"]})
    store.append({"id": "1", "tokens": ["no", "fever"], "tags": ["O", "B-SYMPTOM"]})
    out = store.export_conll(tmp_path / "out.conll", iob2_labels())
    assert tag_strings(read_conll(out, iob2_labels())) == [["O", "B-SYMPTOM"]]


# ------------------------------------------------------------------ the session
def test_session_select_assign_undo_save_and_resume(tmp_path):
    store = AnnotationStore(tmp_path / "a.jsonl")
    session = AnnotationSession(SENTENCES, store)
    session.click(1)
    session.click(2)  # extends to the span 400 mg
    session.assign("DOSAGE")
    session.click(3)
    session.assign("MEDICATION")
    assert session.tags[:4] == ["O", "B-DOSAGE", "I-DOSAGE", "B-MEDICATION"]
    assert session.undo() and session.tags[3] == "O"
    session.click(6)
    session.assign("SYMPTOM")
    record = session.save()
    assert record["tags"] == ["O", "B-DOSAGE", "I-DOSAGE", "O", "O", "O", "B-SYMPTOM"]
    assert session.progress == "1 of 3 saved" and session.current["id"] == "s1"

    again = AnnotationSession(SENTENCES, AnnotationStore(tmp_path / "a.jsonl"))
    assert again.current["id"] == "s1"  # resumed after the saved sentence
    assert not again.undo()  # nothing to undo on a fresh sentence


def test_session_starts_from_prelabels_and_skips(tmp_path):
    rules = RuleLabeller({"SYMPTOM": [("headache",)]})
    session = AnnotationSession(SENTENCES, AnnotationStore(tmp_path / "a.jsonl"),
                                prelabel=rules)
    assert session.tags == ["O", "B-DOSAGE", "I-DOSAGE", "O", "O", "O", "B-SYMPTOM"]
    session.skip()
    assert session.current["id"] == "s1"
    session.save(), session.save(), session.save()
    assert session.finished and session.progress == "3 of 3 saved"


def test_assign_inside_an_entity_keeps_tags_valid(tmp_path):
    session = AnnotationSession(SENTENCES, AnnotationStore(tmp_path / "a.jsonl"))
    session.click(0)
    session.click(3)
    session.assign("SYMPTOM")  # took 400 mg ibuprofen as one span
    session.click(1)
    session.assign("O")  # clear the second token: the rest must start again with B-
    assert session.tags[:4] == ["B-SYMPTOM", "O", "B-SYMPTOM", "I-SYMPTOM"]


def test_assign_needs_a_selection_and_a_known_type(tmp_path):
    session = AnnotationSession(SENTENCES, AnnotationStore(tmp_path / "a.jsonl"))
    with pytest.raises(ValueError, match="select"):
        session.assign("SYMPTOM")
    session.click(0)
    with pytest.raises(ValueError, match="unknown type 'DRUG'"):
        session.assign("DRUG")


def test_widget_builds_and_drives_the_session(tmp_path):
    store = AnnotationStore(tmp_path / "a.jsonl")
    session = AnnotationSession(SENTENCES, store)
    widget = annotate.annotator_widget(session)
    status, tokens_box, types_row, preview, actions = widget.children
    tokens_box.children[6].click()  # "headache"
    types_row.children[0].click()  # SYMPTOM
    assert "SYMPTOM" in preview.value
    actions.children[2].click()  # Save & next
    assert store.latest()["s0"]["tags"][6] == "B-SYMPTOM"
    assert "1 of 3 saved" in status.value


# ------------------------------------------------------------------ rules
def test_rules_tag_doses_times_and_lexicon_entries():
    rules = RuleLabeller({"MEDICATION": [("ibuprofen",)], "BODY_PART": [("left", "eye")]})
    tokens = "sharp pain behind my Left eye since Tuesday , took 400 mg Ibuprofen twice".split()
    # the guideline keeps a leading "since" outside TIME
    assert rules(tokens) == ["O", "O", "O", "O", "B-BODY_PART", "I-BODY_PART", "O",
                             "B-TIME", "O", "O", "B-DOSAGE", "I-DOSAGE", "B-MEDICATION",
                             "B-TIME"]
    assert rules("for a week".split()) == ["O", "B-TIME", "I-TIME"]
    assert rules(["400mg", "every", "4", "hours"]) == ["B-DOSAGE", "B-TIME", "I-TIME", "I-TIME"]


def test_rules_from_dataset_learn_the_lexicon(tmp_path):
    from helpers.formats import read_conll
    from helpers.tagging import iob2_labels

    path = tmp_path / "t.conll"
    path.write_text("bad O\nmigraine B-SYMPTOM\n\n")
    rules = RuleLabeller.from_dataset(read_conll(path, iob2_labels()))
    assert rules(["a", "Migraine", "again"]) == ["O", "B-SYMPTOM", "O"]


# ------------------------------------------------------------------ agreement
def test_entity_agreement_hand_computed():
    a = [["B-SYMPTOM", "O", "B-TIME", "I-TIME"], ["B-DOSAGE", "I-DOSAGE"]]
    b = [["B-SYMPTOM", "O", "B-TIME", "O"], ["B-DOSAGE", "I-DOSAGE"]]
    # a has 3 entities, b has 3; 2 match exactly (TIME differs in its end): P = R = F1 = 2/3
    assert annotate.entity_agreement(a, b) == pytest.approx(2 / 3)
    assert annotate.entity_agreement(b, a) == pytest.approx(2 / 3)
    assert annotate.entity_agreement(a, a) == 1.0


def test_token_kappa_hand_computed():
    a = [["B-SYMPTOM", "O", "O", "O"]]
    b = [["B-SYMPTOM", "B-SYMPTOM", "O", "O"]]
    # observed agreement 3/4; chance: P(SYM) = 1/4 * 2/4, P(O) = 3/4 * 2/4 -> pe = 1/2
    # kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5
    assert annotate.token_kappa(a, b) == pytest.approx(0.5)
    assert annotate.token_kappa(a, a) == 1.0
    with pytest.raises(ValueError, match="different numbers of tokens"):
        annotate.token_kappa(a, [["O"]])


def test_highlight_escapes_html():
    html = annotate.highlight_html(["<b>", "fever"], ["O", "B-SYMPTOM"])
    assert "&lt;b&gt;" in html and "SYMPTOM" in html
