"""Splitting a corpus without leaks, and finding the leaks of an existing split.

``split_by_document`` keeps every document (one user's log) in one split; ``split_by_sentence``
holds whole sentences out of a corpus of phrases (SST-2's training file) together with their
phrases; ``find_leakage`` lists sentences that are the same, or nearly, in two splits.

    >>> from datasets import Dataset
    >>> found = find_leakage({"train": Dataset.from_dict({"text": ["my head hurts a lot"]}),
    ...                       "test": Dataset.from_dict({"text": ["My head hurts a lot"]})})
    >>> [(f["split_a"], f["split_b"], f["similarity"]) for f in found]
    [('train', 'test', 1.0)]

``datasets`` is loaded when a function needs it.

Imports: ``tagging`` (the word tokeniser).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from helpers.tagging import tokenize_words

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict


def split_by_document(dataset: Dataset, fractions=(0.7, 0.15, 0.15), seed: int = 13
                      ) -> DatasetDict:
    """Split whole documents (never sentences of one log across splits) into train, validation
    and test."""
    from datasets import DatasetDict

    docs = sorted(set(dataset["doc_id"]))
    random.Random(seed).shuffle(docs)
    cut1 = round(len(docs) * fractions[0])
    cut2 = cut1 + round(len(docs) * fractions[1])
    split_of = {doc: ("train" if k < cut1 else "validation" if k < cut2 else "test")
                for k, doc in enumerate(docs)}
    rows: dict = defaultdict(list)
    for i, doc in enumerate(dataset["doc_id"]):
        rows[split_of[doc]].append(i)
    return DatasetDict({name: dataset.select(rows[name])
                        for name in ("train", "validation", "test")})


def _shingles(tokens: list[str], n: int = 3) -> frozenset:
    words = [t.lower() for t in tokens]
    if len(words) < n:
        return frozenset([tuple(words)])
    return frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def find_leakage(splits: DatasetDict, threshold: float = 0.8) -> list[dict]:
    """Pairs of sentences in different splits that are identical or near-duplicates.

    Near-duplicate: Jaccard similarity of lower-cased word 3-gram sets ≥ ``threshold``.
    Candidate pairs come from an inverted index of 3-grams, so this is fast on real corpora.
    Works on NER splits (``tokens``) and text splits (``text``, split into words).
    Returns ``[{split_a, index_a, split_b, index_b, similarity, text_a, text_b}]``.
    """
    words = {name: ds["tokens"] if "tokens" in ds.column_names
             else [tokenize_words(t) for t in ds["text"]] for name, ds in splits.items()}
    entries = [(name, i, _shingles(toks)) for name, sentences in words.items()
               for i, toks in enumerate(sentences)]
    index: dict = defaultdict(list)
    for k, (_, _, grams) in enumerate(entries):
        for gram in grams:
            index[gram].append(k)
    found, seen = [], set()
    for k, (name, i, grams) in enumerate(entries):
        candidates = Counter(j for g in grams for j in index[g] if j > k
                             and entries[j][0] != name)
        for j, shared in candidates.items():
            other = entries[j]
            similarity = shared / len(grams | other[2])
            if similarity >= threshold and (k, j) not in seen:
                seen.add((k, j))
                found.append({"split_a": name, "index_a": i, "split_b": other[0],
                              "index_b": other[1], "similarity": round(similarity, 3),
                              "text_a": " ".join(words[name][i]),
                              "text_b": " ".join(words[other[0]][other[1]])})
    return found


class _PhraseIndex:
    """Texts indexed by word, to find which of them contain a phrase (whole words)."""

    def __init__(self):
        self.texts: list[str] = []
        self.by_word: dict = defaultdict(list)

    def add(self, text: str) -> None:
        for word in set(text.split()):
            self.by_word[word].append(len(self.texts))
        self.texts.append(f" {text} ")

    def containing(self, phrase: str) -> list[int]:
        words = phrase.split()
        if not words:
            return []
        rarest = min(words, key=lambda w: len(self.by_word.get(w, ())))
        needle = f" {phrase} "
        return [k for k in self.by_word.get(rarest, ()) if needle in self.texts[k]]


def split_by_sentence(dataset: Dataset, dev_size: int = 872, seed: int = 13) -> DatasetDict:
    """Split a corpus of phrases cut from sentences (SST-2's training file: most of its rows are
    parse-tree phrases of its review sentences) into train and a leak-free dev set.

    A *sentence* is a text that occurs inside no longer text (whole-word match, as the phrases
    are word spans). ``dev_size`` random sentences become dev, like the official dev set (whole
    sentences). A text found inside a dev sentence and inside no training sentence can only be
    a phrase of that dev sentence, so it leaves train; common phrases that training sentences
    also hold ("the film") stay, as they do in the official split. A random row split instead
    puts phrases of the same sentence on both sides.
    """
    from datasets import DatasetDict

    texts = [" ".join(t.split()) for t in dataset["text"]]
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    sentences, sentence_rows = _PhraseIndex(), []
    for i in order:  # longest first: a text is a sentence unless a longer one holds it
        if not sentences.containing(texts[i]):
            sentences.add(texts[i])
            sentence_rows.append(i)
    if dev_size >= len(sentence_rows):
        raise ValueError(f"dev_size {dev_size} needs more than the {len(sentence_rows)} "
                         "sentences found")
    dev = set(random.Random(seed).sample(sentence_rows, dev_size))
    # every text sits in at least one sentence (itself, if no longer text holds it); it
    # stays in train when one of those is a training sentence
    train = [i for i in range(len(texts)) if i not in dev and any(
        sentence_rows[k] not in dev for k in sentences.containing(texts[i]))]
    return DatasetDict(train=dataset.select(train), validation=dataset.select(sorted(dev)))
