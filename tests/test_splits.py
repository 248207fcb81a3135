"""helpers/splits.py: document and sentence splits, and the leakage check."""

from __future__ import annotations

import pytest
from datasets import Dataset, DatasetDict

from helpers.formats import read_conll
from helpers.splits import find_leakage, split_by_document, split_by_sentence
from helpers.tagging import iob2_labels

LABELS = iob2_labels()


def _ds(sentences, tmp_path, name="s.conll"):
    text = ""
    for doc in sentences:
        text += "-DOCSTART- O\n\n"
        for sent in doc:
            text += "".join(f"{w} O\n" for w in sent.split()) + "\n"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_conll(path, LABELS)


def test_leakage_finds_planted_exact_and_near_duplicates(tmp_path):
    train = _ds([["my head hurts a lot since monday morning"],
                 ["took two paracetamol for the back pain today"]], tmp_path, "t.conll")
    dev = _ds([["My head hurts a lot since Monday morning"],           # exact (case aside)
               ["took two paracetamol for the back pain today ok"],    # near: 6 of 7 3-grams
               ["completely different words in this one here"]], tmp_path, "d.conll")
    found = find_leakage(DatasetDict({"train": train, "validation": dev}))
    assert sorted((f["index_a"], f["index_b"]) for f in found) == [(0, 0), (1, 1)]
    assert {f["similarity"] for f in found} == {1.0, 0.857}


def test_leakage_ignores_duplicates_within_one_split(tmp_path):
    train = _ds([["same words in here again"], ["same words in here again"]], tmp_path)
    assert find_leakage(DatasetDict({"train": train})) == []


def _phrases(sentences, shared=()):
    """Each sentence with its word spans of length >= 2 (as SST-2's parse-tree phrases), and
    ``shared`` phrases also present in other sentences."""
    rows = []
    for k, sentence in enumerate(sentences):
        words = sentence.split()
        rows += [(" ".join(words[a:b]), k % 2) for a in range(len(words))
                 for b in range(a + 2, len(words) + 1)]
    return Dataset.from_dict({"text": [t for t, _ in rows] + list(shared),
                              "label": [y for _, y in rows] + [0] * len(shared)})


def test_split_by_sentence_holds_out_whole_sentences_and_their_phrases():
    sentences = [f"review {k} says the film is {adj} ." for k, adj in
                 enumerate(["dull", "great", "long", "fun", "odd", "sad"])]
    ds = _phrases(sentences)
    splits = split_by_sentence(ds, dev_size=2, seed=0)
    dev, train = splits["validation"]["text"], splits["train"]["text"]
    assert len(dev) == 2 and set(dev) <= set(sentences)  # whole sentences only
    for sentence in dev:
        own = [t for t in train if f" {t} " in f" {sentence} "]
        # only phrases that a training sentence also holds stay ("says the film is")
        assert own and all(any(f" {t} " in f" {s} " for s in sentences if s not in dev)
                           for t in own)
        assert not any(sentence.split()[1] in t.split() for t in own)  # its own number: gone
    assert len(train) + 2 < len(ds)
    random_rows = ds.train_test_split(test_size=0.1, seed=0)
    leaked = [t for t in random_rows["test"]["text"]
              if any(f" {t} " in f" {u} " for u in random_rows["train"]["text"])]
    assert leaked  # the row split it replaces does leak


def test_split_by_sentence_says_when_there_are_too_few_sentences():
    with pytest.raises(ValueError, match="sentences found"):
        split_by_sentence(_phrases(["a b c", "d e f"]), dev_size=2)


def test_split_by_document_keeps_documents_whole(tmp_path):
    ds = _ds([[f"doc {d} sentence {s}" for s in range(3)] for d in range(20)], tmp_path)
    splits = split_by_document(ds, seed=1)
    docs = {name: set(part["doc_id"]) for name, part in splits.items()}
    assert sum(len(part) for part in splits.values()) == len(ds)
    assert not (docs["train"] & docs["validation"]) and not (docs["train"] & docs["test"])
    assert [len(docs[n]) for n in ("train", "validation", "test")] == [14, 3, 3]
