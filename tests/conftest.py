"""Shared fixtures. Nothing here touches the network: the hub is off for every test."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture
def clean_env(monkeypatch):
    """``monkeypatch`` with the course's and the hub's environment settings removed."""
    for name in ("COURSE_PROFILE", "COURSE_MODEL", "COURSE_DEVICE", "COURSE_PRECISION",
                 "COURSE_THREADS", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """A tiny randomly initialised BERT (2 layers, 32 wide) saved as safetensors, for unit
    tests only: it loads in milliseconds and learns nothing useful; seeded. Uses the bundled
    MiniLM's real WordPiece tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from helpers.hub import bundled_model_path

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(bundled_model_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)  # the same weights whichever test asks first
    BertModel(config).save_pretrained(path)  # safetensors by default; heads are added per task
    tokenizer.save_pretrained(path)
    return str(path)


@pytest.fixture
def tiny_ner(tmp_path):
    """Small CoNLL train/dev/test files cut from the course corpus (60/30/30 sentences)."""
    from helpers.corpora import load_health_ner
    from helpers.formats import write_conll

    corpus = load_health_ner()
    paths = {}
    for split, n in (("train", 60), ("validation", 30), ("test", 30)):
        paths[split] = write_conll(corpus[split].select(range(n)), tmp_path / f"{split}.conll")
    return paths


@pytest.fixture(scope="session")
def tiny_tagger(tiny_bert, tmp_path_factory):
    """A token classifier with the course's 11 IOB2 labels on ``tiny_bert``, saved as a model
    folder (safetensors, tokenizer, label map), seeded: its tags are arbitrary but the same on
    every run. For the mechanics of prediction, serving and the demo, not for quality."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from helpers import tagging

    labels = tagging.iob2_labels()
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        tiny_bert, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={n: i for i, n in enumerate(labels)})
    path = tmp_path_factory.mktemp("tagger")
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_bert).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def keep_torch_threads():
    """For a module whose tests set torch's process-wide thread count: put it back afterwards, or
    later tests would compute in another summation order (tests/test_resume.py compares runs to
    1e-6). Use it with ``pytestmark = pytest.mark.usefixtures("keep_torch_threads")``."""
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


LEARNABLE_WORDS = {"MEDICATION": "aspirin ibuprofen insulin morphine codeine penicillin".split(),
                   "SYMPTOM": "headache nausea fever cough rash fatigue".split(),
                   "BODY_PART": "knee head chest stomach back throat".split()}
LEARNABLE_FILLER = "i took some and then felt a bad in my the after with for today it was".split()


@pytest.fixture(scope="session")
def make_learnable(tmp_path_factory):
    """``make_learnable(train=60, validation=40)``: CoNLL files (``learnable_conll``) in a new folder."""
    return lambda **counts: learnable_conll(tmp_path_factory.mktemp("learnable"), **counts)


def learnable_conll(folder: Path, train: int, validation: int, seed: int = 0) -> dict:
    """CoNLL files (``{"train": path, "validation": path}``) of short sentences that mix filler
    words with entity words: ``tiny_bert`` half learns them in two epochs at lr 1e-2 (dev F1
    between 0 and 1), so a run that drifts from another shows in its scores."""
    rng, paths = random.Random(seed), {}
    for split, count in (("train", train), ("validation", validation)):
        sentences = []
        for _ in range(count):
            words = []
            for _ in range(rng.randint(4, 9)):
                if rng.random() < 0.35:
                    kind = rng.choice(sorted(LEARNABLE_WORDS))
                    words.append(f"{rng.choice(LEARNABLE_WORDS[kind])} B-{kind}")
                else:
                    words.append(f"{rng.choice(LEARNABLE_FILLER)} O")
            sentences.append("\n".join(words) + "\n")
        paths[split] = Path(folder) / f"{split}.conll"
        paths[split].write_text("\n".join(sentences))
    return paths


CONLL_NAMES = {"PER": [("Peter", "NNP"), ("Blackburn", "NNP")], "ORG": [("EU", "NNP")],
               "LOC": [("Germany", "NNP")], "MISC": [("German", "JJ")]}
CONLL_FILLER = [("said", "VBD"), ("on", "IN"), ("the", "DT"), ("talks", "NNS"), ("in", "IN"),
                ("rejects", "VBZ"), ("call", "NN"), ("today", "NN")]


def conll2003_text(sentences: int, seed: int) -> str:
    """A small CoNLL-2003-style file: 4 columns (token POS chunk NER), IOB2 tags, a
    ``-DOCSTART-`` line before every 4 sentences."""
    rng, blocks = random.Random(seed), []
    for k in range(sentences):
        if k % 4 == 0:
            blocks.append("-DOCSTART- -X- -X- O\n")
        lines = []
        for _ in range(rng.randint(3, 7)):
            if rng.random() < 0.4:
                kind = rng.choice(sorted(CONLL_NAMES))
                lines += [f"{word} {pos} I-NP {'B' if i == 0 else 'I'}-{kind}"
                          for i, (word, pos) in enumerate(CONLL_NAMES[kind])]
            else:
                word, pos = rng.choice(CONLL_FILLER)
                lines.append(f"{word} {pos} I-NP O")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


SST2_WORDS = "long short odd fun slow warm cold dark".split()
# 900 review sentences (more than the 872 of the dev set the loader holds out by default)
SST2_SENTENCES = [f"movie {k} is {'good' if k % 2 else 'bad'} and {SST2_WORDS[k % 8]} ."
                  for k in range(900)]


@pytest.fixture
def tiny_benchmarks(tmp_path) -> Path:
    """A folder laid out like ``shared/benchmarks`` (set ``COURSE_BENCHMARKS`` to it): a small
    CoNLL-2003 (``conll2003/train.txt``: 24 sentences, ``valid.txt``: 8) and SST-2
    (``sst2/train.tsv``: 900 review sentences, the first 8 with their phrases, as GLUE's file
    has them)."""
    folder = tmp_path / "benchmarks"
    (folder / "conll2003").mkdir(parents=True)
    (folder / "conll2003" / "train.txt").write_text(conll2003_text(24, seed=0), encoding="utf-8")
    (folder / "conll2003" / "valid.txt").write_text(conll2003_text(8, seed=1), encoding="utf-8")
    rows = {" ".join(s.split()[a:b]): k % 2 for k, s in enumerate(SST2_SENTENCES[:8])
            for a in range(7) for b in range(a + 2, 8)}
    rows.update({s: k % 2 for k, s in enumerate(SST2_SENTENCES)})
    (folder / "sst2").mkdir()
    (folder / "sst2" / "train.tsv").write_text(
        "sentence\tlabel\n" + "".join(f"{text}\t{label}\n" for text, label in rows.items()),
        encoding="utf-8")
    return folder
