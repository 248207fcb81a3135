"""helpers/tagging.py: the course's word tokeniser and the IOB2 check of a dataset."""

from __future__ import annotations

from pathlib import Path

from helpers.formats import read_conll
from helpers.tagging import check_iob2, iob2_labels, tokenize_words, word_spans

GOOD = "-DOCSTART- O\n\nTook O\n400 B-DOSAGE\nmg I-DOSAGE\n\nno O\nfever B-SYMPTOM\n\n"
LABELS = iob2_labels()


def write(tmp_path: Path, text: str, name: str = "f.conll") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_word_spans_match_the_text():
    text = "Sharp pain since Tue, took 400mg + 2 tabs @ 8:30am."
    for word, start, end in word_spans(text):
        assert text[start:end] == word
    assert tokenize_words("took 400mg, don't") == ["took", "400mg", ",", "don't"]


def test_check_iob2_reports_problems(tmp_path):
    ds = read_conll(write(tmp_path, GOOD), LABELS)
    assert check_iob2(ds) == []
    bad = ds.map(lambda ex: {"ner_tags": [0, LABELS.index("I-DOSAGE"), 0]}
                 if ex["tokens"][0] == "Took" else ex)
    assert check_iob2(bad) == ["sentence 0, token 1 ('400'): I-DOSAGE follows O"]
