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
    # dev and test are hand-written (each at least 250 sentences); train is the rest: templates,
    # hand-written training logs and their variants, at most 2,600 sentences (the cpu profile trains
    # 3 epochs on all of it)
    sizes = {name: len(ds) for name, ds in corpus.items()}
    assert sizes["test"] >= 250 and sizes["validation"] >= 250, sizes
    assert 2000 <= sizes["train"] <= 2600, sizes
    assert sizes["train"] > 3 * max(sizes["validation"], sizes["test"]), sizes


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


def _handwritten_lines(name):
    text = (FOLDER / name).read_text(encoding="utf-8")
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    return [data.tokenize_words(re.sub(r"\[([^|\]]+)\|[A-Z_]+\]", r"\1", l)) for l in lines]


def test_test_split_is_the_handwritten_file(corpus):
    # dev and test are the hand-written files, sentence for sentence and in order
    assert _handwritten_lines("handwritten_test.txt") == corpus["test"]["tokens"]


def test_dev_split_is_the_handwritten_file(corpus):
    assert _handwritten_lines("handwritten_dev.txt") == corpus["validation"]["tokens"]


def test_train_holds_the_handwritten_training_file(corpus):
    train = {tuple(t) for t in corpus["train"]["tokens"]}
    lines = _handwritten_lines("handwritten_train.txt")
    assert lines and all(tuple(t) in train for t in lines)
    # the rest of train is generated, and the smoke profile's first 400 sentences mix both kinds
    assert len(lines) < len(corpus["train"]) / 2
    first = {tuple(t) for t in corpus["train"]["tokens"][:400]}
    assert first & {tuple(t) for t in lines} and first - {tuple(t) for t in lines}


def test_no_leakage_between_dev_and_test(corpus):
    assert data.find_leakage({"validation": corpus["validation"], "test": corpus["test"]}) == []


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
    for name in ("make_corpus.py", "handwritten_train.txt", "handwritten_dev.txt",
                 "handwritten_test.txt", "raw_pool.txt"):
        shutil.copy(FOLDER / name, tmp_path / name)
    subprocess.run([sys.executable, str(tmp_path / "make_corpus.py")], check=True,
                   capture_output=True, timeout=120)
    for name in ("train.conll", "dev.conll", "test.conll"):
        made = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert made == hashlib.sha256((FOLDER / name).read_bytes()).hexdigest(), name


# ------------------------------------------------------------------ data/app_feedback
FEEDBACK = data.DATA / "app_feedback"
FEEDBACK_SOURCES = ("make_corpus.py", "handwritten_test.txt", "handwritten_dev.txt",
                    "handwritten_train.txt")
FEEDBACK_OUTPUTS = ("train.tsv", "dev.tsv", "dev_kinds.tsv", "test.tsv", "test_kinds.tsv")
HARD_KINDS = ("negation", "sarcasm", "mixed", "short", "long")


@pytest.fixture(scope="module")
def feedback():
    return data.load_app_feedback()


def handwritten(name):
    """(label, kind, text) of a hand-written LABEL<TAB>KIND<TAB>text file, whitespace as the
    generator cleans it."""
    lines = (FEEDBACK / name).read_text(encoding="utf-8").splitlines()
    rows = [l.split("\t", 2) for l in lines if l.strip() and not l.startswith("#")]
    return [(int(label), kind, " ".join(text.split())) for label, kind, text in rows]


def run_generator(folder, **env):
    import os

    return subprocess.run([sys.executable, str(folder / "make_corpus.py")], capture_output=True,
                          text=True, timeout=180, env={**os.environ, **env})


def copy_sources(folder):
    for name in FEEDBACK_SOURCES:
        shutil.copy(FEEDBACK / name, folder / name)


def test_feedback_sizes_balance_and_no_leakage(feedback):
    sizes = {name: len(ds) for name, ds in feedback.items()}
    # the cpu profile trains 3 epochs on all of train on a 2-core CPU: keep it at most 2,200
    assert 1600 <= sizes["train"] <= 2200, sizes
    assert sizes["validation"] >= 300 and sizes["test"] >= 300, sizes
    assert 0.45 <= sum(feedback["train"]["label"]) / sizes["train"] <= 0.55
    for split in ("validation", "test"):
        assert 0.35 <= sum(feedback[split]["label"]) / sizes[split] <= 0.65, split
    assert data.find_leakage(feedback) == []


@pytest.mark.parametrize("split, name", [("validation", "dev"), ("test", "test")])
def test_feedback_eval_splits_are_the_handwritten_files(feedback, split, name):
    import pandas as pd

    source = handwritten(f"handwritten_{name}.txt")
    rows = list(zip(feedback[split]["text"], feedback[split]["label"]))
    assert sorted(rows) == sorted((text, label) for label, _, text in source)
    kinds = pd.read_csv(FEEDBACK / f"{name}_kinds.tsv", sep="\t", quoting=3,
                        keep_default_na=False)
    assert list(kinds.columns) == ["kind", "label", "text"]
    assert list(zip(kinds["text"], kinds["label"])) == rows
    assert sorted(zip(kinds["label"], kinds["kind"], kinds["text"])) == sorted(source)
    counts = kinds["kind"].value_counts()
    for kind in HARD_KINDS:
        assert counts.get(kind, 0) >= 40, (name, kind)


def test_feedback_train_holds_the_handwritten_texts_in_every_prefix(feedback):
    train = list(zip(feedback["train"]["text"], feedback["train"]["label"]))
    hand = {(text, label) for label, _, text in handwritten("handwritten_train.txt")}
    assert hand <= set(train)
    share = len(hand) / len(train)
    assert share >= 0.15
    head = train[:400]                        # what the smoke profile trains on
    assert abs(sum(row in hand for row in head) / len(head) - share) < 0.05
    assert 0.45 <= sum(label for _, label in head) / len(head) <= 0.55


def test_feedback_datasheet_counts_match_the_files(feedback):
    sheet = (FEEDBACK / "README.md").read_text(encoding="utf-8")
    assert "written for the" in sheet.lower() and "CC BY 4.0" in sheet
    for split, name in (("train", "train"), ("validation", "dev"), ("test", "test")):
        match = re.search(rf"^{name} *: +(\d+) examples \| label 1: +(\d+) ", sheet, re.M)
        assert match, name
        assert [int(x) for x in match.groups()] == [len(feedback[split]),
                                                    sum(feedback[split]["label"])], name


def test_feedback_regeneration_is_byte_identical(tmp_path):
    copy_sources(tmp_path)
    result = run_generator(tmp_path, PYTHONHASHSEED="12345")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in FEEDBACK_OUTPUTS:
        assert (tmp_path / name).read_bytes() == (FEEDBACK / name).read_bytes(), name


def test_feedback_generator_fails_loudly_on_leaks_and_missing_files(tmp_path):
    copy_sources(tmp_path)
    # a hand-written training text that nearly copies a test text: named by file:line, no output
    label, kind, text = max(handwritten("handwritten_test.txt"), key=lambda row: len(row[2]))
    kind = "plain" if kind == "long" else kind           # 61+ words pass the long-kind check
    with open(tmp_path / "handwritten_train.txt", "a", encoding="utf-8") as f:
        f.write(f"{label}\t{kind}\t{text} Thanks\n")
    result = run_generator(tmp_path)
    assert result.returncode != 0
    assert re.search(r"handwritten_train\.txt:\d+: clashes with handwritten_test\.txt:\d+",
                     result.stdout + result.stderr)
    assert not any((tmp_path / name).exists() for name in FEEDBACK_OUTPUTS)
    (tmp_path / "handwritten_dev.txt").unlink()
    result = run_generator(tmp_path)
    assert result.returncode != 0 and "handwritten_dev.txt is missing" in result.stderr
