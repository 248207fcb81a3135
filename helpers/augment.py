"""Data augmentation: new training examples made from old ones.

``augment_entity_swap`` puts another surface form of the same entity type in place of an
entity (NER); ``augment_synonyms`` replaces everyday words by a synonym, in a NER dataset
(only words outside entities) or in a text-classification dataset.

    >>> from datasets import Dataset
    >>> texts = Dataset.from_dict({"text": ["took it again", "felt fine"], "label": [1, 0]})
    >>> list(augment_synonyms(texts, p=1.0)["text"])
    ['taken it once more', 'felt fine']

Imports: ``tagging`` (entity spans and tag names).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import TYPE_CHECKING

from helpers.tagging import entity_spans, label_names, tag_strings

if TYPE_CHECKING:
    from datasets import Dataset


def augment_entity_swap(dataset: Dataset, p: float = 0.5, seed: int = 0) -> Dataset:
    """Replace each entity, with probability ``p``, by another surface form of the same type
    seen in ``dataset`` (e.g. one medication name by another). Tags follow the new length."""
    names = label_names(dataset)
    pool: dict = defaultdict(set)
    for tokens, tags in zip(dataset["tokens"], tag_strings(dataset)):
        for kind, s, e in entity_spans(tags):
            pool[kind].add(tuple(tokens[s:e]))
    pool = {k: sorted(v) for k, v in pool.items()}
    rng = random.Random(seed)

    def swap(example):
        tags = [names[i] for i in example["ner_tags"]]
        tokens, new_tokens, new_tags, last = example["tokens"], [], [], 0
        for kind, s, e in entity_spans(tags):
            new_tokens += tokens[last:s]
            new_tags += tags[last:s]
            surface = list(rng.choice(pool[kind])) if rng.random() < p else tokens[s:e]
            new_tokens += surface
            new_tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(surface) - 1)
            last = e
        new_tokens += tokens[last:]
        new_tags += tags[last:]
        return {"tokens": new_tokens, "ner_tags": [names.index(t) for t in new_tags]}

    return dataset.map(swap)


# Everyday words in health logs and interchangeable alternatives (only words tagged O change).
SYNONYMS = {
    "took": ["had", "taken"], "bad": ["awful", "terrible"], "really": ["very", "so"],
    "feeling": ["feel"], "started": ["began"], "better": ["improved"],
    "worse": ["worsening"], "after": ["following"], "still": ["yet"],
    "again": ["once more"], "pretty": ["quite", "rather"],
}


def synonym(word: str, rng: random.Random, p: float, synonyms: dict | None = None
            ) -> str | None:
    """With probability ``p``, a replacement for ``word`` from ``synonyms`` (default
    ``SYNONYMS``); ``None`` when the word has none or the draw says keep it.

    >>> synonym("Really", random.Random(0), p=1.0), synonym("pain", random.Random(0), p=1.0)
    ('so', None)
    """
    options = (synonyms or SYNONYMS).get(word.lower())
    return rng.choice(options) if options and rng.random() < p else None


def augment_synonyms(dataset: Dataset, p: float = 0.3, seed: int = 0,
                     synonyms: dict | None = None) -> Dataset:
    """Replace words by a synonym (``synonym``) with probability ``p``.

    A NER dataset (``tokens`` and ``ner_tags``): only words outside entities change, and a
    multi-word synonym becomes several ``O`` tokens. A text dataset (``text``): words are
    separated by single spaces, and the other columns (``label``) stay as they are.
    """
    synonyms = synonyms or SYNONYMS
    rng = random.Random(seed)
    if "ner_tags" in dataset.column_names:
        return dataset.map(_token_replacer(label_names(dataset).index("O"), rng, p, synonyms))
    if "text" in dataset.column_names:
        return dataset.map(lambda example: {"text": " ".join(
            synonym(word, rng, p, synonyms) or word for word in example["text"].split(" "))})
    raise ValueError(f"augment_synonyms needs tokens and ner_tags (NER) or a text column; "
                     f"the dataset has {', '.join(dataset.column_names)}")


def _token_replacer(o_id: int, rng: random.Random, p: float, synonyms: dict):
    """The ``map`` function of ``augment_synonyms`` for a NER dataset."""
    def replace(example):
        tokens, tags = [], []
        for token, tag in zip(example["tokens"], example["ner_tags"]):
            replacement = synonym(token, rng, p, synonyms) if tag == o_id else None
            if replacement:
                words = replacement.split()
                tokens += words
                tags += [o_id] * len(words)
            else:
                tokens.append(token)
                tags.append(tag)
        return {"tokens": tokens, "ner_tags": tags}

    return replace
