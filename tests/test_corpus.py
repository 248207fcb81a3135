"""The shipped health-log corpus (data/health_ner) passes every check the course teaches."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys

import pytest

from helpers import data
from helpers.brief import load_brief

FOLDER = data.DATA / "health_ner"


@pytest.fixture(scope="module")
def corpus():
    return data.load_health_ner()


def test_sizes_and_split_ratio(corpus):
    sizes = {name: len(ds) for name, ds in corpus.items()}
    total = sum(sizes.values())
    assert total >= 1500
    assert sizes["test"] >= 250
    for name, share in (("train", 0.70), ("validation", 0.15), ("test", 0.15)):
        assert abs(sizes[name] / total - share) < 0.03, (name, sizes)


def test_labels_are_the_briefs_iob2_labels(corpus):
    assert data.label_names(corpus["train"]) == load_brief(data.DATA / "project_brief.json").labels


def test_iob2_valid_and_no_leakage(corpus):
    for ds in corpus.values():
        assert data.check_iob2(ds) == []
    assert data.find_leakage(corpus) == []


def test_every_type_appears_in_every_split(corpus):
    stats = data.corpus_stats(corpus)
    for kind in data.ENTITY_TYPES:
        assert (stats.loc[kind] > 0).all(), kind


def test_test_split_is_the_handwritten_file(corpus):
    text = (FOLDER / "handwritten_test.txt").read_text(encoding="utf-8")
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    assert len(lines) == len(corpus["test"])
    first = re.sub(r"\[([^|\]]+)\|[A-Z_]+\]", r"\1", lines[0])
    assert data.tokenize_words(first) == corpus["test"][0]["tokens"]


def test_raw_pool_is_large_and_unlabelled(corpus):
    pool = [l for l in (FOLDER / "raw_pool.txt").read_text(encoding="utf-8").splitlines()
            if l.strip()]
    assert len(pool) >= 300 and len(set(pool)) == len(pool)
    labelled = {" ".join(t).lower() for ds in corpus.values() for t in ds["tokens"]}
    assert not any(" ".join(data.tokenize_words(l)).lower() in labelled for l in pool)


def test_datasheet_counts_match_the_files(corpus):
    sheet = (FOLDER / "README.md").read_text(encoding="utf-8")
    stats = data.corpus_stats(corpus)
    for row in ("documents", "sentences", "tokens", "SYMPTOM", "TIME", "all entities"):
        match = re.search(rf"^\| {row} \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|", sheet, re.M)
        assert match, row
        written = [int(x.replace(",", "")) for x in match.groups()]
        assert written == list(stats.loc[row]), row
    assert "written for" in sheet.lower() or "for the open nlp course" in sheet.lower()


def test_files_round_trip_byte_identical(corpus, tmp_path):
    for split, name in (("train", "train.conll"), ("validation", "dev.conll"),
                        ("test", "test.conll")):
        out = data.write_conll(corpus[split], tmp_path / name)
        assert out.read_bytes() == (FOLDER / name).read_bytes(), name


def test_make_corpus_regenerates_the_same_bytes(tmp_path):
    for name in ("make_corpus.py", "handwritten_test.txt", "raw_pool.txt"):
        shutil.copy(FOLDER / name, tmp_path / name)
    subprocess.run([sys.executable, str(tmp_path / "make_corpus.py")], check=True,
                   capture_output=True, timeout=120)
    for name in ("train.conll", "dev.conll", "test.conll"):
        made = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert made == hashlib.sha256((FOLDER / name).read_bytes()).hexdigest(), name


# ------------------------------------------------------------------ data/app_feedback
FEEDBACK = data.DATA / "app_feedback"


@pytest.fixture(scope="module")
def feedback():
    return data.load_app_feedback()


def test_feedback_sizes_balance_and_no_leakage(feedback):
    sizes = {name: len(ds) for name, ds in feedback.items()}
    assert sum(sizes.values()) >= 2000 and sizes["test"] >= 300
    for ds in feedback.values():
        assert 0.4 <= sum(ds["label"]) / len(ds) <= 0.6
    assert data.find_leakage(feedback) == []


def test_feedback_test_has_every_hard_kind(feedback):
    import pandas as pd

    kinds = pd.read_csv(FEEDBACK / "test_kinds.tsv", sep="\t", quoting=3)
    assert list(kinds["text"]) == list(feedback["test"]["text"])
    assert list(kinds["label"]) == list(feedback["test"]["label"])
    counts = kinds["kind"].value_counts()
    for kind in ("negation", "sarcasm", "mixed", "short", "long"):
        assert counts[kind] >= 40, kind


def test_feedback_datasheet_and_regeneration(tmp_path):
    sheet = (FEEDBACK / "README.md").read_text(encoding="utf-8")
    assert "written for the" in sheet.lower() and "CC BY 4.0" in sheet
    for name in ("make_corpus.py", "handwritten_test.txt"):
        shutil.copy(FEEDBACK / name, tmp_path / name)
    subprocess.run([sys.executable, str(tmp_path / "make_corpus.py")], check=True,
                   capture_output=True, timeout=120)
    for name in ("train.tsv", "dev.tsv", "test.tsv", "test_kinds.tsv"):
        assert (tmp_path / name).read_bytes() == (FEEDBACK / name).read_bytes(), name
