"""Words and IOB2 tags: how the course splits text into words, and how tag lists are checked,
converted and read as entity spans.

Pure functions on strings and lists (the dataset helpers only read a dataset's ``ner_tags``
column and its label names); nothing heavy is loaded at import time (seqeval is loaded by
``entity_spans`` when called, the ``regex`` package, a dependency of transformers, by
``word_spans`` for text that is not ASCII), so any module may use it.

    >>> tags = iob1_to_iob2(["I-DOSAGE", "I-DOSAGE", "O", "I-MEDICATION"])
    >>> tags
    ['B-DOSAGE', 'I-DOSAGE', 'O', 'B-MEDICATION']
    >>> entity_spans(tags)
    [('DOSAGE', 0, 2), ('MEDICATION', 3, 4)]

Imports: no helpers module.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datasets import Dataset

ENTITY_TYPES = ("SYMPTOM", "BODY_PART", "MEDICATION", "DOSAGE", "TIME")
TAG_RE = re.compile(r"^(O|[BI]-[A-Za-z][A-Za-z0-9_]*)$")
# Words as the course's corpus splits them: "400mg", "8:30am", "don't" stay whole; punctuation
# is its own token. Prediction on raw text uses the same rule (see word_spans).
WORD_RE = re.compile(r"\w+(?:[-'’.:/]\w+)*|[^\w\s]")


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Split raw text into words with character offsets ``(word, start, end)`` into ``text``.

    ``WORD_RE`` is applied to user-perceived characters (extended grapheme clusters, Unicode
    UAX #29), each read as its first code point, so a word never ends inside one: a combining
    accent stays with its letter ("cafe\u0301"), a variation selector with its symbol ("☹️"), a
    zero-width-joiner emoji or a flag is one word. A cluster that starts with a space is space.

    >>> word_spans("took 400mg, twice")
    [('took', 0, 4), ('400mg', 5, 10), (',', 10, 11), ('twice', 12, 17)]
    >>> [w for w, _, _ in word_spans("cafe\u0301 ☹️!")] == ["cafe\u0301", "☹️", "!"]
    True
    """
    if text.isascii():  # every cluster is one character ("\r\n" apart, which is space anyway)
        return [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]
    import regex

    starts = [m.start() for m in regex.finditer(r"\X", text)] + [len(text)]
    firsts = "".join(text[s] for s in starts[:-1])  # one character per cluster
    return [(text[starts[m.start()]:starts[m.end()]], starts[m.start()], starts[m.end()])
            for m in WORD_RE.finditer(firsts)]


def tokenize_words(text: str) -> list[str]:
    """The words of ``text`` as the corpus tokenises them (see ``word_spans``).

    >>> tokenize_words("took 400mg, don't")
    ['took', '400mg', ',', "don't"]
    """
    return [word for word, _, _ in word_spans(text)]


def tags_from_char_spans(text: str, entities: list[dict], types=ENTITY_TYPES
                         ) -> tuple[list[str], list[str]]:
    """The words of ``text`` and their IOB2 tags, from entities given as character offsets
    ``{"start", "end", "type"}`` (a user's correction in the web demo). An entity covers every
    word it overlaps. Raises ``ValueError`` saying which entity (by its position in the list)
    is out of range, of an unknown type, covers no word, or overlaps another.

    >>> tags_from_char_spans("took 400mg ibuprofen", [{"start": 5, "end": 10, "type": "DOSAGE"}])
    (['took', '400mg', 'ibuprofen'], ['O', 'B-DOSAGE', 'O'])
    """
    spans = word_spans(text)
    tags = ["O"] * len(spans)
    for number, entity in enumerate(entities):
        start, end, kind = entity.get("start"), entity.get("end"), entity.get("type")
        where = f"entities[{number}]"
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise ValueError(f"{where}: expected 0 <= start < end <= {len(text)} (the text's "
                             f"length), got start={start!r}, end={end!r}")
        if kind not in types:
            raise ValueError(f"{where}: type {kind!r} is not one of {', '.join(types)}")
        covered = [i for i, (_, s, e) in enumerate(spans) if s < end and e > start]
        if not covered:
            raise ValueError(f"{where}: characters {start}-{end} hold no word")
        if any(tags[i] != "O" for i in covered):
            raise ValueError(f"{where}: overlaps another entity")
        for i in covered:
            tags[i] = ("B-" if i == covered[0] else "I-") + kind
    return [w for w, _, _ in spans], tags


def detokenize(words: list[str]) -> str:
    """Text that splits back into exactly ``words`` (see ``word_spans``): words joined by spaces,
    with none before closing punctuation where that still splits the same way.

    >>> detokenize(["took", "400mg", ",", "twice", "."])
    'took 400mg, twice.'
    """
    text = ""
    for word in words:
        glued = text + word
        text = glued if text and word in ",.;:!?)" and tokenize_words(glued)[-1] == word \
            else (f"{text} {word}" if text else word)
    return text if tokenize_words(text) == list(words) else " ".join(words)


def char_spans_from_tags(text: str, tags: list[str]) -> list[dict]:
    """Entities of an IOB2 tag list as character offsets ``{"start", "end", "type"}`` into
    ``text`` (whose words, by ``word_spans``, the tags label): the inverse of
    ``tags_from_char_spans``.

    >>> char_spans_from_tags("took 400mg ibuprofen", ["O", "B-DOSAGE", "B-MEDICATION"])
    [{'start': 5, 'end': 10, 'type': 'DOSAGE'}, {'start': 11, 'end': 20, 'type': 'MEDICATION'}]
    """
    spans = word_spans(text)
    if len(spans) != len(tags):
        raise ValueError(f"{len(tags)} tags for the {len(spans)} words of {text!r}")
    return [{"start": spans[s][1], "end": spans[e - 1][2], "type": kind}
            for kind, s, e in entity_spans(tags)]


def entity_types(labels: list[str]) -> list[str]:
    """The entity types of an IOB2 label list, in the order they first appear.

    >>> entity_types(["O", "B-DOSAGE", "I-DOSAGE", "B-TIME", "I-TIME"])
    ['DOSAGE', 'TIME']
    """
    return list(dict.fromkeys(label[2:] for label in labels if label != "O"))


def iob2_labels(types=ENTITY_TYPES) -> list[str]:
    """``["O", "B-T1", "I-T1", ...]`` for the entity types, in the order given.

    >>> iob2_labels(["DOSAGE"])
    ['O', 'B-DOSAGE', 'I-DOSAGE']
    """
    return ["O"] + [f"{p}-{t}" for t in types for p in "BI"]


def iob2_violations(tags: list[str]):
    """Yield ``(position, previous tag, tag)`` for every ``I-X`` that does not continue an X.

    >>> list(iob2_violations(["O", "I-TIME", "B-DOSAGE", "I-TIME"]))
    [(1, 'O', 'I-TIME'), (3, 'B-DOSAGE', 'I-TIME')]
    """
    previous = "O"
    for position, tag in enumerate(tags):
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            yield position, previous, tag
        previous = tag


def iob1_to_iob2(tags: list[str]) -> list[str]:
    """Convert one sentence's IOB1 tags to IOB2 (every entity starts with B-).

    >>> iob1_to_iob2(["I-TIME", "I-TIME", "O", "I-DOSAGE", "B-DOSAGE"])
    ['B-TIME', 'I-TIME', 'O', 'B-DOSAGE', 'B-DOSAGE']
    """
    out, previous = [], "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


def entity_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """``(type, start, end)`` spans of an IOB2 tag list, ``end`` exclusive (seqeval's reading).

    >>> entity_spans(["O", "B-DOSAGE", "I-DOSAGE", "B-MEDICATION"])
    [('DOSAGE', 1, 3), ('MEDICATION', 3, 4)]
    """
    from seqeval.metrics.sequence_labeling import get_entities

    return [(kind, start, end + 1) for kind, start, end in get_entities(list(tags))]


def label_names(dataset: Dataset) -> list[str]:
    """The tag names of a NER dataset, in ClassLabel order (example in ``check_iob2``)."""
    return dataset.features["ner_tags"].feature.names


def tag_strings(dataset: Dataset) -> list[list[str]]:
    """Every sentence's tags as strings (what seqeval and the writer expect; example in
    ``check_iob2``)."""
    names = label_names(dataset)
    return [[names[i] for i in tags] for tags in dataset["ner_tags"]]


def check_iob2(dataset: Dataset) -> list[str]:
    """Problems in a NER dataset's tags (invalid I- transitions, empty sentences); [] if clean.

    >>> from datasets import ClassLabel, Dataset, Features, Sequence, Value
    >>> features = Features({"tokens": Sequence(Value("string")),
    ...                      "ner_tags": Sequence(ClassLabel(names=iob2_labels(["DOSAGE"])))})
    >>> ds = Dataset.from_dict({"tokens": [["took", "400", "mg"]], "ner_tags": [[0, 2, 2]]},
    ...                        features=features)
    >>> label_names(ds), tag_strings(ds)
    (['O', 'B-DOSAGE', 'I-DOSAGE'], [['O', 'I-DOSAGE', 'I-DOSAGE']])
    >>> check_iob2(ds)
    ["sentence 0, token 1 ('400'): I-DOSAGE follows O"]
    """
    problems = []
    for row, (tokens, tags) in enumerate(zip(dataset["tokens"], tag_strings(dataset))):
        if not tokens:
            problems.append(f"sentence {row}: empty")
        for position, previous, tag in iob2_violations(tags):
            problems.append(f"sentence {row}, token {position} ({tokens[position]!r}): "
                            f"{tag} follows {previous}")
    return problems
