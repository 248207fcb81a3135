"""Data for the course: CoNLL files in and out, hub loaders, splits, leakage, augmentation.

Everything returns ``datasets.Dataset`` / ``DatasetDict`` with the same features, whether it
came from the course's own corpus, a CoNLL-2003 file on disk, or the hub::

    id: string · doc_id: int32 · line: int32 · tokens: [string] · ner_tags: [ClassLabel]

    >>> ds = read_conll("data/health_ner/dev.conll")          # doctest: +SKIP
    >>> ds.features["ner_tags"].feature.names[:3]               # doctest: +SKIP
    ['O', 'B-SYMPTOM', 'I-SYMPTOM']

Why not ``load_dataset("conll", ...)``? That builder pads or cuts lines with the wrong number of
columns without a word, drops ``-DOCSTART-`` document boundaries (document context needs them)
and reports no line numbers. A data team needs "file:line: what was expected", so the reader
below checks every line, and ``datasets`` does the rest (features, caching, ``map``).
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import warnings
from collections import Counter, defaultdict
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value

from helpers.env import REPO_ROOT

DATA = REPO_ROOT / "data"
ENTITY_TYPES = ("SYMPTOM", "BODY_PART", "MEDICATION", "DOSAGE", "TIME")
TAG_RE = re.compile(r"^(O|[BI]-[A-Za-z][A-Za-z0-9_]*)$")
# Words as the course's corpus splits them: "400mg", "8:30am", "don't" stay whole; punctuation
# is its own token. Prediction on raw text uses the same rule (see word_spans).
WORD_RE = re.compile(r"\w+(?:[-'’.:/]\w+)*|[^\w\s]")
SPLIT_FILES = {"train": ("train.conll", "train.txt"),
               "validation": ("dev.conll", "valid.txt", "validation.txt", "dev.txt"),
               "test": ("test.conll", "test.txt")}
# The parquet conversion of CoNLL-2003 on the hub: loads with datasets 5 (no script).
CONLL2003_HUB_ID = "eriktks/conll2003"
CONLL2003_REVISION = "refs/convert/parquet"


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Split raw text into words with character offsets ``(word, start, end)``.

    >>> word_spans("took 400mg, twice")
    [('took', 0, 4), ('400mg', 5, 10), (',', 10, 11), ('twice', 12, 17)]
    """
    return [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def tokenize_words(text: str) -> list[str]:
    """The words of ``text`` as the corpus tokenises them (see ``word_spans``)."""
    return WORD_RE.findall(text)


class DataFormatError(ValueError):
    """A data file that cannot be read; the message is ``file:line: what was expected``."""

    def __init__(self, path: str | Path, line: int, message: str):
        self.path, self.line = str(path), line
        super().__init__(f"{path}:{line}: {message}")


class ConllFormatError(DataFormatError):
    """A CoNLL file that cannot be read as IOB2 NER data; says file, line and what was expected."""


class TextFormatError(DataFormatError):
    """A text-classification file (TSV, CSV, JSONL) that cannot be read."""


def iob2_labels(types=ENTITY_TYPES) -> list[str]:
    """``["O", "B-T1", "I-T1", ...]`` for the entity types, in the order given.

    >>> iob2_labels(["DOSAGE"])
    ['O', 'B-DOSAGE', 'I-DOSAGE']
    """
    return ["O"] + [f"{p}-{t}" for t in types for p in "BI"]


def ner_features(labels: list[str]) -> Features:
    return Features({"id": Value("string"), "doc_id": Value("int32"), "line": Value("int32"),
                     "tokens": Sequence(Value("string")),
                     "ner_tags": Sequence(ClassLabel(names=list(labels)))})


# --------------------------------------------------------------------------- reading
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
                raise ConllFormatError(path, number, f"expected 'token tag' (2 or more columns "
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


def label_names(dataset: Dataset) -> list[str]:
    """The tag names of a NER dataset, in ClassLabel order."""
    return dataset.features["ner_tags"].feature.names


def tag_strings(dataset: Dataset) -> list[list[str]]:
    """Every sentence's tags as strings (what seqeval and the writer expect)."""
    names = label_names(dataset)
    return [[names[i] for i in tags] for tags in dataset["ner_tags"]]


# --------------------------------------------------------------------------- writing
def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` so that a crash leaves either the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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


# --------------------------------------------------------------------------- corpora
def read_conll_dir(directory: str | Path, labels: list[str] | None = None) -> DatasetDict:
    """Read ``train``/``dev``/``test`` files of a folder (``.conll`` or CoNLL-2003's ``.txt``)
    into a ``DatasetDict`` with splits ``train``, ``validation``, ``test`` (those present).
    All splits share one label set (from the training file unless ``labels`` is given)."""
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


def load_health_ner(types: list[str] | None = None) -> DatasetDict:
    """The course's own health-log NER corpus (``data/health_ner``), always available offline.

    ``types`` (e.g. the project brief's ``entity_types``) chooses which entity types are
    labelled and in which label order; types the corpus does not have are kept in the label
    set with a warning (annotate them with the widget of notebook 02).
    """
    corpus = read_conll_dir(DATA / "health_ner", iob2_labels())
    if types is None or list(types) == list(ENTITY_TYPES):
        return corpus
    missing = [t for t in types if t not in ENTITY_TYPES]
    if missing:
        warnings.warn(f"the health_ner corpus has no {', '.join(missing)} entities; they stay in "
                      "the label set with no examples until you annotate some", stacklevel=2)
    return DatasetDict({name: keep_types(ds, list(types)) for name, ds in corpus.items()})


def load_conll2003(online: bool | None = None) -> tuple[DatasetDict, str]:
    """CoNLL-2003 from the hub (parquet, no script), with the course's features.

    Offline, or if the download fails, explains in one line and returns the course's own
    corpus instead. Returns ``(dataset, description of what was loaded)``.
    """
    from helpers.env import check_hub

    if online is None:
        online, _ = check_hub()
    if not online:
        print("Offline: CoNLL-2003 comes from the Hugging Face hub, so the course's own "
              "health-log corpus (data/health_ner) is used instead.")
        return load_health_ner(), "health_ner (offline fallback)"
    try:
        from datasets import load_dataset

        hub = load_dataset(CONLL2003_HUB_ID, revision=CONLL2003_REVISION)
    except Exception as err:  # the hub answered, but not with the data set
        print(f"CoNLL-2003 could not be loaded from the hub ({type(err).__name__}: "
              f"{str(err)[:120]}); using the course's health-log corpus instead.")
        return load_health_ner(), "health_ner (fallback)"
    return _from_hub(hub), f"{CONLL2003_HUB_ID}@{CONLL2003_REVISION}"


def course_ner_data(cfg) -> tuple[DatasetDict, str]:
    """The NER data a notebook uses here: CoNLL-2003 when online (except in the ``smoke``
    profile), else the course's health-log corpus. ``cfg`` is ``env.setup()``'s result."""
    if cfg.online and cfg.profile.name != "smoke":
        return load_conll2003(online=True)
    return load_health_ner(), "health_ner (the course's corpus)"


def _from_hub(hub: DatasetDict) -> DatasetDict:
    """Map a hub NER DatasetDict (tokens, ner_tags ClassLabel) to the course's features.
    The hub copy has no document boundaries, so ``doc_id`` is -1 (unknown)."""
    labels = hub["train"].features["ner_tags"].feature.names
    features = ner_features(labels)
    return DatasetDict({
        split: ds.map(lambda ex, i: {"id": f"{split}-{i}", "doc_id": -1, "line": -1},
                      with_indices=True, remove_columns=[c for c in ds.column_names
                                                         if c not in ("tokens", "ner_tags")],
                      features=features)
        for split, ds in hub.items()})


# --------------------------------------------------------------------------- splits and leakage
def split_by_document(dataset: Dataset, fractions=(0.7, 0.15, 0.15), seed: int = 13
                      ) -> DatasetDict:
    """Split whole documents (never sentences of one log across splits) into train/validation/test."""
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
    """Split a corpus of phrases cut from sentences (SST-2's training file: 67,349 rows, most of
    them parse-tree phrases of about 6,900 review sentences) into train and a leak-free dev set.

    A *sentence* is a text that occurs inside no longer text (whole-word match, as the phrases
    are word spans). ``dev_size`` random sentences become dev, like the official dev set (whole
    sentences). A text found inside a dev sentence and inside no training sentence can only be
    a phrase of that dev sentence, so it leaves train; common phrases that training sentences
    also hold ("the film") stay, as they do in the official split. A random row split instead
    puts phrases of the same sentence on both sides.
    """
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


def check_iob2(dataset: Dataset) -> list[str]:
    """Problems in a NER dataset's tags (invalid I- transitions, empty sentences); [] if clean."""
    problems = []
    for row, (tokens, tags) in enumerate(zip(dataset["tokens"], tag_strings(dataset))):
        if not tokens:
            problems.append(f"sentence {row}: empty")
        for position, previous, tag in iob2_violations(tags):
            problems.append(f"sentence {row}, token {position} ({tokens[position]!r}): "
                            f"{tag} follows {previous}")
    return problems


def corpus_stats(splits: DatasetDict) -> "pd.DataFrame":
    """Documents, sentences, tokens and entities per type for each split (the datasheet's table)."""
    import pandas as pd

    table = {}
    for name, ds in splits.items():
        spans = [entity_spans(tags) for tags in tag_strings(ds)]
        kinds = Counter(kind for sent in spans for kind, _, _ in sent)
        types = [label[2:] for label in label_names(ds) if label.startswith("B-")]
        table[name] = {"documents": len(set(ds["doc_id"])), "sentences": len(ds),
                       "tokens": sum(map(len, ds["tokens"])),
                       "sentences with no entity": sum(1 for s in spans if not s),
                       **{kind: kinds[kind] for kind in types},
                       "all entities": sum(kinds.values())}
    return pd.DataFrame(table)


# --------------------------------------------------------------------------- augmentation
def entity_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """``(type, start, end)`` spans of an IOB2 tag list, ``end`` exclusive.

    >>> entity_spans(["O", "B-DOSAGE", "I-DOSAGE", "B-MEDICATION"])
    [('DOSAGE', 1, 3), ('MEDICATION', 3, 4)]
    """
    from seqeval.metrics.sequence_labeling import get_entities

    return [(kind, start, end + 1) for kind, start, end in get_entities(list(tags))]


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
    ``SYNONYMS``); ``None`` when the word has none or the draw says keep it."""
    options = (synonyms or SYNONYMS).get(word.lower())
    return rng.choice(options) if options and rng.random() < p else None


def augment_synonyms(dataset: Dataset, p: float = 0.3, seed: int = 0,
                     synonyms: dict | None = None) -> Dataset:
    """Replace words outside entities by a synonym with probability ``p`` (multi-word
    synonyms become several ``O`` tokens). Entities are never touched."""
    synonyms = synonyms or SYNONYMS
    o_id = label_names(dataset).index("O")
    rng = random.Random(seed)

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

    return dataset.map(replace)


# --------------------------------------------------------------------------- text classification
TEXT_COLUMNS = ("text", "sentence")
SST2_HUB_ID = "stanfordnlp/sst2"


def read_text_classification(path: str | Path, label_names: list[str] | None = None,
                             text_column: str | None = None, label_column: str = "label"
                             ) -> Dataset:
    """Read a TSV, CSV or JSONL file of texts with a label column into a ``Dataset`` with
    ``text`` (string) and ``label`` (ClassLabel).

    The text column is ``text`` or ``sentence`` unless named. Labels may be integers
    (``0``/``1``, indices into ``label_names``) or names. Bad input raises a one-line
    ``TextFormatError`` naming file and line.
    """
    import csv
    import json

    path = Path(path)
    text = _decode(path)
    rows: list[tuple[int, dict]] = []
    if path.suffix in (".jsonl", ".json"):
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError as err:
                    raise TextFormatError(path, number, f"not a JSON object ({err.msg})") from None
    else:
        delimiter = "\t" if path.suffix in (".tsv", ".txt") else ","
        reader = csv.reader(text.splitlines(), delimiter=delimiter, quoting=csv.QUOTE_NONE
                            if delimiter == "\t" else csv.QUOTE_MINIMAL)
        header = next(reader, None)
        if not header:
            raise TextFormatError(path, 1, "empty file; expected a header such as text<TAB>label")
        for number, values in enumerate(reader, start=2):
            if not values:
                continue
            if len(values) != len(header):
                raise TextFormatError(path, number, f"expected {len(header)} columns "
                                      f"({', '.join(header)}), found {len(values)}")
            rows.append((number, dict(zip(header, values))))
    if not rows:
        raise TextFormatError(path, 1, "no examples found")
    first = rows[0][1]
    text_column = text_column or next((c for c in TEXT_COLUMNS if c in first), None)
    if text_column is None or label_column not in first:
        raise TextFormatError(path, rows[0][0], f"expected a text column ({' or '.join(TEXT_COLUMNS)})"
                              f" and a {label_column!r} column, found {', '.join(first)}")
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


FEEDBACK_LABELS = ["no_action", "follow_up"]


def load_app_feedback() -> DatasetDict:
    """The course's app-feedback corpus (``data/app_feedback``): 1 = needs product follow-up."""
    folder = DATA / "app_feedback"
    return DatasetDict({split: read_text_classification(folder / f"{name}.tsv", FEEDBACK_LABELS)
                        for split, name in (("train", "train"), ("validation", "dev"),
                                            ("test", "test"))})


def course_classification_data(cfg, dev_size: int = 872, seed: int = 13) -> tuple[DatasetDict, str]:
    """The classification data a notebook uses here: SST-2 from the hub when online (except in
    ``smoke``; its official validation split becomes our test set, and ``dev_size`` whole
    sentences held out of train with all their phrases, ``split_by_sentence``, our dev set),
    else the course's app-feedback corpus."""
    if cfg.online and cfg.profile.name != "smoke":
        try:
            from datasets import load_dataset

            hub = load_dataset(SST2_HUB_ID)
            train = hub["train"].rename_column("sentence", "text").remove_columns("idx")
            parts = split_by_sentence(train, dev_size=dev_size, seed=seed)
            test = hub["validation"].rename_column("sentence", "text").remove_columns("idx")
            print(f"SST-2: dev is {dev_size} whole sentences of train, with their phrases taken "
                  f"out of train ({len(train) - len(parts['train']) - dev_size} rows); test is "
                  "the official validation split.")
            return DatasetDict(train=parts["train"], validation=parts["validation"], test=test), \
                f"{SST2_HUB_ID} (dev: {dev_size} held-out sentences of train)"
        except Exception as err:  # the hub answered, but not with the data set
            print(f"SST-2 could not be loaded ({type(err).__name__}); using the course's "
                  "app-feedback corpus instead.")
    elif cfg.profile.name != "smoke":
        print("Offline: SST-2 comes from the Hugging Face hub, so the course's app-feedback "
              "corpus (data/app_feedback) is used instead.")
    return load_app_feedback(), "app_feedback (the course's corpus)"
