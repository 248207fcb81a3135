"""helpers/corpora.py: the benchmark loaders read local files, else the hub, else refuse in one
clear error (never another corpus in their place); the appendix's plan and references; and the
shipped corpora (data/health_ner, data/app_feedback) pass every check the course teaches."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys

import pytest
from datasets import DatasetDict

from helpers import corpora
from helpers.brief import load_brief
from helpers.corpora import DATA, _from_hub, corpus_stats, load_app_feedback, load_conll2003, load_health_ner
from helpers.formats import ner_features, write_conll
from helpers.splits import find_leakage
from helpers.tagging import ENTITY_TYPES, check_iob2, label_names, tokenize_words

FOLDER = DATA / "health_ner"


# ------------------------------------------------------------------ benchmark loaders
def test_conll2003_from_local_files(tiny_benchmarks, capsys):
    dataset, source = load_conll2003(tiny_benchmarks, online=False)
    assert set(dataset) == {"train", "validation"} and len(dataset["train"]) == 24
    assert label_names(dataset["train"]) == corpora.CONLL2003_LABELS  # the hub's label order
    assert label_names(dataset["validation"]) == corpora.CONLL2003_LABELS
    assert dataset["train"].features == ner_features(corpora.CONLL2003_LABELS)
    assert set(dataset["train"]["doc_id"]) == set(range(6))  # -DOCSTART- kept: 4 sentences a document
    assert source.startswith(str(tiny_benchmarks / "conll2003")) and "local" in source
    assert capsys.readouterr().out == ""


def test_benchmarks_folder_follows_course_benchmarks(tiny_benchmarks, monkeypatch):
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tiny_benchmarks))
    assert corpora.benchmarks_folder() == tiny_benchmarks
    assert len(load_conll2003(online=False)[0]["validation"]) == 8
    assert len(corpora.load_sst2(online=False, dev_size=2)[0]["validation"]) == 2
    monkeypatch.delenv("COURSE_BENCHMARKS")
    assert corpora.benchmarks_folder() == corpora.REPO_ROOT.parent / "shared" / "benchmarks"


@pytest.mark.parametrize("loader, name, wanted", [
    (load_conll2003, "CoNLL-2003", "conll2003/train.txt"),
    (corpora.load_sst2, "SST-2", "sst2/train.tsv"),
])
def test_offline_without_files_is_one_clear_error_never_a_substitute(loader, name, wanted, tmp_path,
                                                                      monkeypatch, capsys):
    monkeypatch.setenv("COURSE_BENCHMARKS", str(tmp_path / "empty"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(corpora.BenchmarkUnavailable) as caught:
        loader()  # online=None: asks the hub, which is off
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError) and "\n" not in message
    assert message.startswith(f"{name} is not available here: no {tmp_path / 'empty' / wanted} "
                              "($COURSE_BENCHMARKS)")
    assert "the hub is offline (HF_HUB_OFFLINE=1 is set)" in message
    assert "go online" in message and "set COURSE_BENCHMARKS" in message
    assert capsys.readouterr().out == ""  # no "using the course's corpus instead"


def test_a_partial_local_copy_names_the_missing_file(tiny_benchmarks):
    (tiny_benchmarks / "conll2003" / "valid.txt").unlink()
    with pytest.raises(corpora.BenchmarkUnavailable, match=r"no \S+conll2003/valid\.txt"):
        load_conll2003(tiny_benchmarks, online=False)


def test_a_hub_that_fails_is_an_error_not_the_course_corpus(tmp_path, monkeypatch):
    import datasets

    def fail(*args, **kwargs):
        raise ConnectionError("no route to the hub")

    monkeypatch.setattr(datasets, "load_dataset", fail)
    for loader in (load_conll2003, corpora.load_sst2):
        with pytest.raises(corpora.BenchmarkUnavailable, match="the hub did not give it "
                                                               r"\(ConnectionError: no route"):
            loader(tmp_path, online=True)


def test_sst2_from_the_local_file_holds_out_whole_sentences(tiny_benchmarks):
    dataset, source = corpora.load_sst2(tiny_benchmarks, online=False, dev_size=2)
    assert set(dataset) == {"train", "validation"}  # the official dev split stays held out
    assert dataset["train"].features["label"].names == corpora.SST2_LABELS
    dev = dataset["validation"]["text"]
    assert len(dev) == 2 and all(len(text.split()) == 7 for text in dev)  # whole review sentences
    for sentence in dev:  # the sentence and the phrases only it holds (its number) left train
        assert not any(sentence.split()[1] in text.split() for text in dataset["train"]["text"])
    assert "2 whole sentences held out of train" in source and "local" in source


def test_the_plan_covers_every_profile_and_full_is_everything():
    from helpers import env

    assert set(corpora.BENCHMARK_PLAN) == set(env.PLANS)  # every profile, and the rehearsal
    full = corpora.BENCHMARK_PLAN["full"]
    assert full.full_data and full.changes("ner")["train_limit"] is None
    assert (full.conll_epochs, full.sst2_epochs) == (3, 1)  # as the full runs compared with
    assert not corpora.BENCHMARK_PLAN["rehearsal"].full_data  # a subset, for make rehearse
    for name in ("smoke", "cpu", "rehearsal"):
        plan = corpora.BENCHMARK_PLAN[name]
        assert not plan.full_data and plan.conll_train and plan.sst2_train
    smoke, cpu = corpora.BENCHMARK_PLAN["smoke"], corpora.BENCHMARK_PLAN["cpu"]
    assert smoke.conll_train < cpu.conll_train and smoke.sst2_train < cpu.sst2_train
    with pytest.raises(ValueError, match="expected 'ner'"):
        smoke.changes("sst2")


def test_every_reference_says_where_it_comes_from():
    table = corpora.benchmark_table()
    assert list(table["benchmark"].unique()) == ["CoNLL-2003", "SST-2"]
    assert table["source"].str.len().min() > 10 and table["score"].between(0, 1).all()
    assert {0.964, 0.924, 0.935, 0.9113, 0.893, 0.9279, 0.876} <= set(table["score"])
    run = corpora.Reference("CoNLL-2003", "entity F1 (strict), dev", 0.5, "m", "600 sentences", "this run")
    table = corpora.benchmark_table([run])
    assert table.iloc[len(table[table["benchmark"] == "CoNLL-2003"]) - 1]["source"] == "this run"
    assert set(corpora.BENCHMARK_COMMANDS) == set(table["benchmark"])


def test_hub_mapping_gives_the_course_features():
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    names = ["O", "B-PER", "I-PER"]
    hub = DatasetDict({"train": Dataset.from_dict(
        {"id": ["0"], "tokens": [["Peter", "Blackburn"]], "pos_tags": [[1, 1]],
         "ner_tags": [[1, 2]]},
        features=Features({"id": Value("string"), "tokens": Sequence(Value("string")),
                           "pos_tags": Sequence(Value("int32")),
                           "ner_tags": Sequence(ClassLabel(names=names))}))})
    mapped = _from_hub(hub)
    assert mapped["train"].features == ner_features(names)
    assert mapped["train"][0]["doc_id"] == -1


def test_load_health_ner_follows_the_brief_types():
    two = load_health_ner(["MEDICATION", "DOSAGE"])
    assert label_names(two["test"]) == ["O", "B-MEDICATION", "I-MEDICATION", "B-DOSAGE",
                                        "I-DOSAGE"]
    with pytest.warns(UserWarning, match="no ALLERGY entities"):
        three = load_health_ner(["MEDICATION", "ALLERGY"])
    assert "B-ALLERGY" in label_names(three["train"])


# ------------------------------------------------------------------ data/health_ner
@pytest.fixture(scope="module")
def corpus():
    return load_health_ner()


def test_sizes_and_split_ratio(corpus):
    # dev and test are hand-written (each at least 250 sentences); train is the rest: templates,
    # hand-written training logs and their variants, at most 2,600 sentences (the cpu profile trains
    # 3 epochs on all of it)
    sizes = {name: len(ds) for name, ds in corpus.items()}
    assert sizes["test"] >= 250 and sizes["validation"] >= 250, sizes
    assert 2000 <= sizes["train"] <= 2600, sizes
    assert sizes["train"] > 3 * max(sizes["validation"], sizes["test"]), sizes


def test_labels_are_the_briefs_iob2_labels(corpus):
    assert label_names(corpus["train"]) == load_brief(DATA / "project_brief.json").labels


def test_iob2_valid_and_no_leakage(corpus):
    for ds in corpus.values():
        assert check_iob2(ds) == []
    assert find_leakage(corpus) == []


def test_every_type_appears_in_every_split(corpus):
    stats = corpus_stats(corpus)
    for kind in ENTITY_TYPES:
        assert (stats.loc[kind] > 0).all(), kind


def _handwritten_lines(name):
    text = (FOLDER / name).read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return [tokenize_words(re.sub(r"\[([^|\]]+)\|[A-Z_]+\]", r"\1", ln)) for ln in lines]


def test_dev_and_test_each_hold_half_of_both_handwritten_files(corpus):
    """The two hand-written evaluation files are dealt to dev and test by whole documents
    (make_corpus.py, dev_test_split): every line lands in exactly one of the two splits, and
    each split gets half of each file, give or take one document (at most 6 sentences)."""
    dev = [tuple(t) for t in corpus["validation"]["tokens"]]
    test = [tuple(t) for t in corpus["test"]["tokens"]]
    written = []
    for name in ("handwritten_dev.txt", "handwritten_test.txt"):
        lines = [tuple(t) for t in _handwritten_lines(name)]
        in_dev, in_test = sum(x in set(dev) for x in lines), sum(x in set(test) for x in lines)
        assert in_dev + in_test == len(lines), name
        assert abs(in_dev - in_test) <= 6, (name, in_dev, in_test)
        written += lines
    assert sorted(dev + test) == sorted(written)


def test_train_holds_the_handwritten_training_file(corpus):
    train = {tuple(t) for t in corpus["train"]["tokens"]}
    lines = _handwritten_lines("handwritten_train.txt")
    assert lines and all(tuple(t) in train for t in lines)
    # the rest of train is generated, and the smoke profile's first 400 sentences mix both kinds
    assert len(lines) < len(corpus["train"]) / 2
    first = {tuple(t) for t in corpus["train"]["tokens"][:400]}
    assert first & {tuple(t) for t in lines} and first - {tuple(t) for t in lines}


def test_no_leakage_between_dev_and_test(corpus):
    assert find_leakage({"validation": corpus["validation"], "test": corpus["test"]}) == []


def test_raw_pool_is_large_and_unlabelled(corpus):
    pool = [ln for ln in (FOLDER / "raw_pool.txt").read_text(encoding="utf-8").splitlines()
            if ln.strip()]
    assert len(pool) >= 300 and len(set(pool)) == len(pool)
    labelled = {" ".join(t).lower() for ds in corpus.values() for t in ds["tokens"]}
    assert not any(" ".join(tokenize_words(ln)).lower() in labelled for ln in pool)


def test_datasheet_counts_match_the_files(corpus):
    sheet = (FOLDER / "README.md").read_text(encoding="utf-8")
    stats = corpus_stats(corpus)
    for row in ("documents", "sentences", "tokens", "SYMPTOM", "TIME", "all entities"):
        match = re.search(rf"^\| {row} \| ([\d,]+) \| ([\d,]+) \| ([\d,]+) \|", sheet, re.M)
        assert match, row
        written = [int(x.replace(",", "")) for x in match.groups()]
        assert written == list(stats.loc[row]), row
    assert "written for" in sheet.lower() or "for the open nlp course" in sheet.lower()


def test_files_round_trip_byte_identical(corpus, tmp_path):
    for split, name in (("train", "train.conll"), ("validation", "dev.conll"),
                        ("test", "test.conll")):
        out = write_conll(corpus[split], tmp_path / name)
        assert out.read_bytes() == (FOLDER / name).read_bytes(), name


def test_make_corpus_regenerates_the_same_bytes(tmp_path):
    for name in ("make_corpus.py", "handwritten_train.txt", "handwritten_dev.txt",
                 "handwritten_test.txt", "handwritten_incoming.txt", "raw_pool.txt"):
        shutil.copy(FOLDER / name, tmp_path / name)
    subprocess.run([sys.executable, str(tmp_path / "make_corpus.py")], check=True,
                   capture_output=True, timeout=120)
    for name in ("train.conll", "dev.conll", "test.conll", "incoming.conll"):
        made = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert made == hashlib.sha256((FOLDER / name).read_bytes()).hexdigest(), name


# ------------------------------------------------------------------ data/app_feedback
FEEDBACK = DATA / "app_feedback"
FEEDBACK_SOURCES = ("make_corpus.py", "handwritten_test.txt", "handwritten_dev.txt",
                    "handwritten_train.txt")
FEEDBACK_OUTPUTS = ("train.tsv", "dev.tsv", "dev_kinds.tsv", "test.tsv", "test_kinds.tsv")
HARD_KINDS = ("negation", "sarcasm", "mixed", "short", "long")


@pytest.fixture(scope="module")
def feedback():
    return load_app_feedback()


def handwritten(name):
    """(label, kind, text) of a hand-written LABEL<TAB>KIND<TAB>text file, whitespace as the
    generator cleans it."""
    lines = (FEEDBACK / name).read_text(encoding="utf-8").splitlines()
    rows = [ln.split("\t", 2) for ln in lines if ln.strip() and not ln.startswith("#")]
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
    assert find_leakage(feedback) == []


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
