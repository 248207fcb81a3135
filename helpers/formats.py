"""The course's file formats in and out: CoNLL NER files and text-classification files
(TSV, CSV, JSONL), read into ``datasets.Dataset`` with errors that say ``file:line: what was
expected``.

Every NER dataset has the same features, whether it came from the course's own corpus, a
CoNLL-2003 file on disk, or the hub (``ner_features``)::

    id: string · doc_id: int32 · line: int32 · tokens: [string] · ner_tags: [ClassLabel]

    >>> from helpers.corpora import DATA
    >>> ds = read_conll(DATA / "health_ner" / "dev.conll", iob2_labels())
    >>> ds.features["ner_tags"].feature.names[:3]
    ['O', 'B-SYMPTOM', 'I-SYMPTOM']

Why not ``load_dataset("conll", ...)``? That builder pads or cuts lines with the wrong number of
columns without a word, drops ``-DOCSTART-`` document boundaries (document context needs them)
and reports no line numbers. A data team needs "file:line: what was expected", so the reader
below checks every line, and ``datasets`` does the rest (features, caching, ``map``).

``datasets`` is loaded when a function needs it, so importing this module is instant.

Imports: ``files`` (atomic writes), ``tagging`` (IOB2 checks and conversion).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from helpers.files import atomic_write_text
from helpers.tagging import TAG_RE, iob1_to_iob2, iob2_labels, iob2_violations, label_names, tag_strings

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict, Features

# The file names ``read_conll_dir`` looks for, per split (the course's, then CoNLL-2003's).
SPLIT_FILES = {"train": ("train.conll", "train.txt"),
               "validation": ("dev.conll", "valid.txt", "validation.txt", "dev.txt"),
               "test": ("test.conll", "test.txt")}
TEXT_COLUMNS = ("text", "sentence")


class DataFormatError(ValueError):
    """A data file that cannot be read; the message is ``file:line: what was expected``."""

    def __init__(self, path: str | Path, line: int, message: str):
        self.path, self.line = str(path), line
        super().__init__(f"{path}:{line}: {message}")


class ConllFormatError(DataFormatError):
    """A CoNLL file that cannot be read as IOB2 NER data; says file, line and what was expected."""


class TextFormatError(DataFormatError):
    """A text-classification file (TSV, CSV, JSONL) that cannot be read."""


def ner_features(labels: list[str]) -> Features:
    """The features of every NER dataset of the course, with ``labels`` as the tag names."""
    from datasets import ClassLabel, Features, Sequence, Value

    return Features({"id": Value("string"), "doc_id": Value("int32"), "line": Value("int32"),
                     "tokens": Sequence(Value("string")),
                     "ner_tags": Sequence(ClassLabel(names=list(labels)))})


# --------------------------------------------------------------------------- CoNLL reading
def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")  # a leading BOM is dropped
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConllFormatError(path, line, f"not UTF-8 (byte 0x{raw[err.start]:02x}); "
                                           "save the file as UTF-8") from None


def _parse(path: Path) -> tuple[list[dict], int]:
    """Sentences as dicts with tokens, tags, tag line numbers, doc id; plus the line count."""
    sentences: list[dict] = []
    current: dict | None = None
    columns = None
    doc_id = 0
    lines = _decode(path).split("\n")
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            current = None
            continue
        parts = line.split()
        if parts[0] == "-DOCSTART-":
            if sentences or current:
                doc_id += 1
            current = None
            continue
        if columns is None:
            if len(parts) < 2:
                raise ConllFormatError(path, number, "expected 'token tag' (2 or more columns "
                                       f"separated by spaces or tabs), found {line!r}")
            columns = len(parts)
        elif len(parts) != columns:
            raise ConllFormatError(path, number, f"expected {columns} columns like the lines "
                                                 f"before, found {len(parts)}: {line!r}")
        tag = parts[-1]
        if not TAG_RE.match(tag):
            raise ConllFormatError(path, number, f"tag {tag!r} is not O, B-TYPE or I-TYPE")
        if current is None:
            current = {"tokens": [], "tags": [], "lines": [], "doc_id": doc_id}
            sentences.append(current)
        current["tokens"].append(parts[0])
        current["tags"].append(tag)
        current["lines"].append(number)
    return sentences, len(lines)


def _first_iob2_violation(sentences: list[dict]) -> tuple[int, str] | None:
    for sent in sentences:
        for position, previous, tag in iob2_violations(sent["tags"]):
            return sent["lines"][position], (f"invalid IOB2: {tag} follows {previous}; an "
                                             f"entity starts with B-{tag[2:]}")
    return None


def _looks_like_iob1(sentences: list[dict]) -> bool:
    """IOB1 uses B- only between two adjacent entities of the same type."""
    for sent in sentences:
        previous = "O"
        for tag in sent["tags"]:
            if tag.startswith("B-") and previous[2:] != tag[2:]:
                return False
            previous = tag
    return True


def read_conll(path: str | Path, labels: list[str] | None = None) -> Dataset:
    """Read a CoNLL NER file (token first, tag last; 2 or 4 columns) into a ``Dataset``.

    Handles CRLF, a UTF-8 BOM, tabs, repeated blank lines and ``-DOCSTART-`` lines (each
    document gets a ``doc_id``; ``line`` is the sentence's first line). IOB1 input is converted
    to IOB2 with a warning. ``labels`` fixes the label set and its order; by default it is
    ``O`` plus ``B-``/``I-`` of each type found, types sorted.

    Raises ``ConllFormatError`` ("file:line: what was expected") for a wrong column count,
    a tag that is not O/B-X/I-X or not in ``labels``, an invalid IOB2 transition, a file that
    is not UTF-8, or a file with no sentences.
    """
    from datasets import Dataset

    path = Path(path)
    sentences, n_lines = _parse(path)
    if not sentences:
        raise ConllFormatError(path, n_lines, "no sentences found; expected lines of "
                                              "'token tag' with a blank line between sentences")
    violation = _first_iob2_violation(sentences)
    if violation and _looks_like_iob1(sentences):
        warnings.warn(f"{path}: IOB1 tags found (entities start with I-); converted to IOB2",
                      stacklevel=2)
        for sent in sentences:
            sent["tags"] = iob1_to_iob2(sent["tags"])
    elif violation:
        raise ConllFormatError(path, *violation)
    if labels is None:
        labels = iob2_labels(sorted({t[2:] for s in sentences for t in s["tags"] if t != "O"}))
    allowed = set(labels)
    for sent in sentences:
        for tag, number in zip(sent["tags"], sent["lines"]):
            if tag not in allowed:
                raise ConllFormatError(path, number, f"tag {tag!r} is not in the label set "
                                                     f"({', '.join(labels)})")
    return Dataset.from_dict({
        "id": [f"{path.stem}-{i}" for i in range(len(sentences))],
        "doc_id": [s["doc_id"] for s in sentences],
        "line": [s["lines"][0] for s in sentences],
        "tokens": [s["tokens"] for s in sentences],
        "ner_tags": [[labels.index(t) for t in s["tags"]] for s in sentences],
    }, features=ner_features(labels))


def read_conll_dir(directory: str | Path, labels: list[str] | None = None) -> DatasetDict:
    """Read ``train``/``dev``/``test`` files of a folder (``.conll`` or CoNLL-2003's ``.txt``,
    see ``SPLIT_FILES``) into a ``DatasetDict`` with splits ``train``, ``validation``, ``test``
    (those present). All splits share one label set (from the training file unless ``labels``
    is given)."""
    from datasets import DatasetDict

    directory = Path(directory)
    found = {split: directory / name for split, names in SPLIT_FILES.items()
             for name in names if (directory / name).is_file()}
    if "train" not in found:
        raise FileNotFoundError(f"{directory}: no train.conll or train.txt")
    train = read_conll(found.pop("train"), labels)
    labels = label_names(train)
    return DatasetDict({"train": train, **{s: read_conll(p, labels) for s, p in found.items()}})


def keep_types(dataset: Dataset, types: list[str]) -> Dataset:
    """The same sentences with only ``types`` labelled (other entities become ``O``), and the
    label set ``iob2_labels(types)`` in that order."""
    names, labels = label_names(dataset), iob2_labels(types)
    mapping = [labels.index(n) if n in labels else 0 for n in names]
    return dataset.map(lambda ex: {"ner_tags": [mapping[t] for t in ex["ner_tags"]]},
                       features=ner_features(labels))


# --------------------------------------------------------------------------- CoNLL writing
def write_conll(dataset: Dataset, path: str | Path, docstart: bool = True) -> Path:
    """Write a NER dataset as 2-column CoNLL (``token TAG``), atomically.

    With ``docstart`` a ``-DOCSTART- O`` line opens each document, so ``read_conll`` gives back
    the same ``doc_id`` grouping: read → write → read is identical.
    """
    out, previous_doc = [], None
    doc_ids = dataset["doc_id"] if "doc_id" in dataset.column_names else [0] * len(dataset)
    for tokens, tags, doc in zip(dataset["tokens"], tag_strings(dataset), doc_ids):
        if docstart and doc != previous_doc:
            out.append("-DOCSTART- O\n\n")
            previous_doc = doc
        out.append("".join(f"{tok} {tag}\n" for tok, tag in zip(tokens, tags)) + "\n")
    return atomic_write_text(path, "".join(out))


# --------------------------------------------------------------------------- text classification
def _json_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    """``(line number, object)`` of each non-blank line of a JSONL file."""
    import json

    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as err:
                raise TextFormatError(path, number, f"not a JSON object ({err.msg})") from None
    return rows


def _delimited_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    """``(line number, {column: value})`` of each row of a TSV (``.tsv``, ``.txt``: no
    quoting) or CSV file with a header line."""
    import csv

    delimiter = "\t" if path.suffix in (".tsv", ".txt") else ","
    reader = csv.reader(text.splitlines(), delimiter=delimiter, quoting=csv.QUOTE_NONE
                        if delimiter == "\t" else csv.QUOTE_MINIMAL)
    header = next(reader, None)
    if not header:
        raise TextFormatError(path, 1, "empty file; expected a header such as text<TAB>label")
    rows = []
    for number, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != len(header):
            raise TextFormatError(path, number, f"expected {len(header)} columns "
                                  f"({', '.join(header)}), found {len(values)}")
        rows.append((number, dict(zip(header, values))))
    return rows


def read_text_classification(path: str | Path, label_names: list[str] | None = None,
                             text_column: str | None = None, label_column: str = "label"
                             ) -> Dataset:
    """Read a TSV, CSV or JSONL file of texts with a label column into a ``Dataset`` with
    ``text`` (string) and ``label`` (ClassLabel).

    The text column is ``text`` or ``sentence`` unless named. Labels may be integers
    (``0``/``1``, indices into ``label_names``) or names. Bad input raises a one-line
    ``TextFormatError`` naming file and line.
    """
    from datasets import ClassLabel, Dataset, Features, Value

    path = Path(path)
    text = _decode(path)
    rows = (_json_rows if path.suffix in (".jsonl", ".json") else _delimited_rows)(path, text)
    if not rows:
        raise TextFormatError(path, 1, "no examples found")
    first = rows[0][1]
    text_column = text_column or next((c for c in TEXT_COLUMNS if c in first), None)
    if text_column is None or label_column not in first:
        raise TextFormatError(path, rows[0][0], "expected a text column "
                              f"({' or '.join(TEXT_COLUMNS)}) and a {label_column!r} column, "
                              f"found {', '.join(first)}")
    names = label_names or ["0", "1"]
    texts, labels = [], []
    for number, row in rows:
        value, raw = str(row.get(text_column, "")).strip(), str(row.get(label_column, "")).strip()
        if not value:
            raise TextFormatError(path, number, "empty text")
        if raw in names:
            labels.append(names.index(raw))
        elif raw.isdigit() and int(raw) < len(names):
            labels.append(int(raw))
        else:
            raise TextFormatError(path, number, f"label {raw!r} is not one of {', '.join(names)}")
        texts.append(value)
    return Dataset.from_dict({"text": texts, "label": labels},
                             features=Features({"text": Value("string"),
                                                "label": ClassLabel(names=names)}))
