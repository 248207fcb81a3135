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

Nothing is changed on the way in: lines are cut at ``\n`` (or ``\r\n``) only, never where
``str.splitlines`` would also cut (``\x0c``, U+0085, U+2028...), CoNLL columns at spaces and tabs
only, CSV quoting follows the ``csv`` module, and line numbers count the file's physical lines.

``datasets`` is loaded when a function needs it, so importing this module is instant.

Imports: ``files`` (atomic writes), ``tagging`` (IOB2 checks and conversion).
"""

from __future__ import annotations

import csv
import json
import re
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
# CoNLL columns are separated by spaces or tabs; str.split() would also cut at U+00A0, U+2028, \x0c...
COLUMN_SEPARATOR = re.compile(r"[ \t]+")


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
def _decode(path: Path, error: type[DataFormatError], kind: str) -> str:
    """The text of a UTF-8 file (a leading BOM is dropped), or ``error`` naming the line and
    the byte offset of the first byte that is not UTF-8."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(path, 1, f"{kind} file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                             "save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise error(path, line, f"{kind} file is not UTF-8 (byte 0x{raw[err.start]:02x} at byte "
                                f"offset {err.start}); save it as UTF-8") from None


def _parse(path: Path) -> tuple[list[dict], int]:
    """Sentences as dicts with tokens, tags, tag line numbers, doc id; plus the line count."""
    sentences: list[dict] = []
    current: dict | None = None
    columns = None
    doc_id = 0
    lines = _decode(path, ConllFormatError, "CoNLL").split("\n")  # "\n" only: never splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r").strip(" \t")
        if not line:
            current = None
            continue
        parts = COLUMN_SEPARATOR.split(line)  # spaces and tabs only: a token may hold U+00A0
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


def split_files(directory: str | Path) -> dict[str, Path]:
    """``{split: path}`` of the ``SPLIT_FILES`` present in ``directory`` (where a split has
    several, the last of its names)."""
    directory = Path(directory)
    return {split: directory / name for split, names in SPLIT_FILES.items()
            for name in names if (directory / name).is_file()}


def read_conll_dir(directory: str | Path, labels: list[str] | None = None) -> DatasetDict:
    """Read ``train``/``dev``/``test`` files of a folder (``.conll`` or CoNLL-2003's ``.txt``,
    see ``SPLIT_FILES``) into a ``DatasetDict`` with splits ``train``, ``validation``, ``test``
    (those present). All splits share one label set (from the training file unless ``labels``
    is given)."""
    from datasets import DatasetDict

    directory = Path(directory)
    found = split_files(directory)
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
def _text_kind(path: Path) -> str:
    """``JSONL`` (``.jsonl``, ``.json``), ``TSV`` (``.tsv``, ``.txt``) or ``CSV`` (anything else)."""
    kinds = {".jsonl": "JSONL", ".json": "JSONL", ".tsv": "TSV", ".txt": "TSV"}
    return kinds.get(path.suffix.lower(), "CSV")


def _json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words: ``null``, ``true``, ``a number``, ``an array``..."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else "an array" if isinstance(value, list) else "an object"


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object hook for ``json.loads``, which would keep the last of two equal keys unsaid."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _json_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    """``(line number, object)`` of each non-blank line of a JSON Lines file."""
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(" \t\r"):  # JSON's own whitespace; any other character is an error
            continue
        try:
            value = json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as err:
            raise TextFormatError(path, number, f"not a JSON object ({err.msg} at column "
                                                f"{err.colno})") from None
        except ValueError as err:  # from _unique_keys
            raise TextFormatError(path, number, str(err)) from None
        if not isinstance(value, dict):
            raise TextFormatError(path, number, 'expected a JSON object such as {"text": "...", '
                                                f'"label": 1}} on each line, found {_json_kind(value)}')
        rows.append((number, value))
    return rows


def _physical_lines(text: str) -> list[str]:
    """The lines of ``text`` cut at ``\\n`` only (never ``str.splitlines``, which also cuts at
    ``\\x0c``, U+0085, U+2028...), each with its line end, for ``csv.reader``."""
    pieces = text.split("\n")
    return [piece + "\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


def _csv_problem(err: Exception, kind: str) -> str:
    message = str(err)
    if "new-line character" in message:
        return "a carriage return (\\r) inside a row; rows end with \\n or \\r\\n"
    if "expected after" in message:
        return ("text after a closing quote; a quoted field ends at its closing quote "
                '(write a quote inside quotes as "")')
    if "end of data" in message:
        return "a quoted field that starts in this row is never closed"
    return f"not valid {kind}: {message}"


def _delimited_rows(path: Path, text: str) -> list[tuple[int, dict]]:
    """``(first line number, {column: value})`` of each row of a TSV (``.tsv``, ``.txt``:
    no quoting, a quote is text) or CSV file (quoted fields may hold commas, doubled quotes and
    newlines) with a header; line numbers count physical lines."""
    kind = _text_kind(path)
    tsv = kind == "TSV"
    reader = csv.reader(_physical_lines(text), delimiter="\t" if tsv else ",", strict=True,
                        quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL)
    records, start = [], 1
    try:
        for values in reader:
            if values:  # a blank line is no row
                records.append((start, values))
            start = reader.line_num + 1
    except csv.Error as err:
        line = start if "end of data" in str(err) else reader.line_num
        raise TextFormatError(path, line, _csv_problem(err, kind)) from None
    if not records:
        raise TextFormatError(path, 1, "empty file; expected a header such as "
                                       f"text{'<TAB>' if tsv else ','}label")
    (header_line, header), rows = records[0], []
    for column in header:
        if header.count(column) > 1:
            raise TextFormatError(path, header_line, f"column {column!r} appears twice in the header")
    for number, values in records[1:]:
        if len(values) != len(header):
            raise TextFormatError(path, number, f"expected {len(header)} columns "
                                  f"({', '.join(header)}), found {len(values)}")
        rows.append((number, dict(zip(header, values))))
    return rows


def _field(path: Path, number: int, row: dict, column: str, integer: bool = False) -> str:
    """``row[column]`` as a string; a missing field, ``null`` or another JSON type (an integer
    is allowed where ``integer``) is a ``TextFormatError``."""
    if column not in row:
        raise TextFormatError(path, number, f"no {column!r} field")
    value = row[column]
    if isinstance(value, str):
        return value
    if integer and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    expected = "a string or an integer" if integer else "a string"
    raise TextFormatError(path, number, f"{column!r} is {_json_kind(value)}; expected {expected}")


def read_text_classification(path: str | Path, label_names: list[str] | None = None,
                             text_column: str | None = None, label_column: str = "label"
                             ) -> Dataset:
    """Read a TSV, CSV or JSONL file of texts with a label column into a ``Dataset`` with
    ``text`` (string) and ``label`` (ClassLabel).

    TSV (``.tsv``, ``.txt``) has no quoting: one row per line, fields split at tabs. CSV follows
    the ``csv`` module: quoted fields may hold commas, ``""`` and newlines, which are kept. Rows
    are cut at ``\\n`` (or ``\\r\\n``) only, so a text may hold ``\\x0c``, U+0085 or U+2028.
    JSONL (``.jsonl``, ``.json``) has one object per line. The text column is ``text`` or
    ``sentence`` unless named; whitespace around a text is dropped. Labels may be integers
    (indices into ``label_names``) or names. Bad input (a missing, ``null`` or empty text, a
    wrong column count, bad quoting, a line that is not an object, a file that is not UTF-8)
    raises a one-line ``TextFormatError`` naming the file and the physical line.
    """
    from datasets import ClassLabel, Dataset, Features, Value

    path = Path(path)
    kind = _text_kind(path)
    text = _decode(path, TextFormatError, kind)
    rows = (_json_rows if kind == "JSONL" else _delimited_rows)(path, text)
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
        value = _field(path, number, row, text_column).strip()
        raw = _field(path, number, row, label_column, integer=True).strip()
        if not value:
            raise TextFormatError(path, number, f"empty text in {text_column!r}")
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
