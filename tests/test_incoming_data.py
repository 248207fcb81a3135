"""data/health_ner/incoming.conll: notebook 07's stream of post-launch user logs (with gold labels
for the simulated corrections). It parses with the course's reader, its tags are valid IOB2, every
type occurs often enough to correct, it is exactly handwritten_incoming.txt, and none of its
sentences is in train, dev or test. Fast: reads the files, never regenerates them."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from helpers.corpora import DATA, load_health_ner
from helpers.formats import read_conll
from helpers.tagging import ENTITY_TYPES, iob2_labels, iob2_violations, tag_strings, tokenize_words

FOLDER = DATA / "health_ner"
MARK = re.compile(r"\[([^\[\]|]+)\|([A-Z_]+)\]")   # [entity text|TYPE], as make_corpus.py reads it


@pytest.fixture(scope="module")
def incoming():
    return read_conll(FOLDER / "incoming.conll", iob2_labels())


def key(tokens) -> tuple[str, ...]:
    return tuple(t.lower() for t in tokens)


def markup_documents():
    """(tokens, tags) per sentence and sentences per document of handwritten_incoming.txt."""
    docs, doc = [], []
    for line in (FOLDER / "handwritten_incoming.txt").read_text(encoding="utf-8").split("\n"):
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if doc:
                docs.append(doc)
            doc = []
            continue
        tokens, tags, pos = [], [], 0
        for m in [*MARK.finditer(line), None]:
            plain = tokenize_words(line[pos:m.start() if m else len(line)])
            tokens += plain
            tags += ["O"] * len(plain)
            if m:
                words = tokenize_words(m.group(1))
                tokens += words
                tags += [f"B-{m.group(2)}"] + [f"I-{m.group(2)}"] * (len(words) - 1)
                pos = m.end()
        assert tokens == tokenize_words(MARK.sub(r"\1", line)), line  # entity edges on word edges
        doc.append((tokens, tags))
    if doc:
        docs.append(doc)
    return docs


def test_incoming_parses_and_every_sentence_is_valid_iob2(incoming):
    assert 170 <= len(incoming) <= 200
    for tokens, tags in zip(incoming["tokens"], tag_strings(incoming)):
        assert tokens and len(tokens) == len(tags)
        assert list(iob2_violations(tags)) == [], tokens


def test_every_type_occurs_at_least_25_times(incoming):
    counts = Counter(tag[2:] for tags in tag_strings(incoming) for tag in tags if tag.startswith("B-"))
    for kind in ENTITY_TYPES:
        assert counts[kind] >= 25, (kind, counts)
    assert counts["SYMPTOM"] >= 40, counts
    empty = sum(all(t == "O" for t in tags) for tags in tag_strings(incoming))
    assert 0 < empty < len(incoming) / 5, empty  # some logs carry no entity at all


def test_incoming_is_the_handwritten_file_in_order(incoming):
    docs = markup_documents()
    written = [sentence for doc in docs for sentence in doc]
    assert list(zip(incoming["tokens"], tag_strings(incoming))) == written
    sizes = Counter(incoming["doc_id"])
    assert [sizes[d] for d in sorted(sizes)] == [len(doc) for doc in docs]


def test_no_incoming_sentence_is_in_train_dev_or_test(incoming):
    corpus = load_health_ner()
    labelled = {key(tokens) for split in corpus.values() for tokens in split["tokens"]}
    repeats = [" ".join(tokens) for tokens in incoming["tokens"] if key(tokens) in labelled]
    assert repeats == []
    assert len({key(tokens) for tokens in incoming["tokens"]}) == len(incoming)


def test_datasheet_counts_match_incoming(incoming):
    """The Counts table of the datasheet has an incoming column after train, dev, test, total."""
    sheet = (FOLDER / "README.md").read_text(encoding="utf-8")
    tags = tag_strings(incoming)
    entities = Counter(tag[2:] for ts in tags for tag in ts if tag.startswith("B-"))
    expected = {"documents": len(set(incoming["doc_id"])), "sentences": len(incoming),
                "tokens": sum(map(len, incoming["tokens"])), **entities,
                "all entities": sum(entities.values())}
    for row, value in expected.items():
        match = re.search(rf"^\| {row} \|(?: [\d,]+ \|){{4}} ([\d,]+) \|", sheet, re.M)
        assert match, row
        assert int(match.group(1).replace(",", "")) == value, row
