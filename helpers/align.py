"""Tokenisation and label alignment: word labels onto WordPiece tokens, the right way.

BERT splits words into sub-word pieces ("ibuprofen" → ib ##up ##ro ##fen) and adds [CLS] and
[SEP]. A label belongs to a word, so each label must follow its word to the word's pieces.
``word_ids()`` from a fast tokenizer says which word every piece came from:

    >>> align_labels([None, 0, 1, 1, None], [3, 7])
    [-100, 3, 7, -100, -100]

-100 is the index PyTorch's cross-entropy ignores: special tokens and continuation pieces
carry no label of their own, so every word is counted exactly once.

Words reach the tokenizer as ``model_words`` makes them (NFC), in training and prediction
alike. A word the tokenizer turns into no piece at all (a lone variation selector or accent, a
zero-width space, a control character, an empty string) has no position to carry its label:
it is left out of the loss, and ``tokenize_and_align`` records, per word, where its first piece
is (``first_piece``, -1 for none), so that prediction gives it ``O`` instead of shifting the
words after it.

Imports: none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

IGNORE = -100
FIRST_PIECE = "first_piece"  # the column of tokenize_and_align that rows (the collator) never see
MODEL_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "labels")
_SURROGATE = re.compile("[\ud800-\udfff]")


def model_words(words: list[str]) -> list[str]:
    """The words as the tokenizer receives them, in training and in prediction: Unicode NFC
    (a decomposed accent and a composed one give the same pieces), a lone surrogate (not text:
    it cannot be encoded) replaced by U+FFFD. The words' count and order never change.

    >>> model_words(["cafe\u0301", "took"]) == ["café", "took"]
    True
    """
    return [word if word.isascii()
            else unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", word)) for word in words]


def align_labels(word_ids: list[int | None], word_labels: list[int],
                 label_all_subtokens: bool = False, b_to_i: dict[int, int] | None = None,
                 labelled_words: range | None = None) -> list[int]:
    """Token labels for one sequence from its ``word_ids`` and its words' label ids.

    The first piece of each word gets the word's label; later pieces and special tokens get
    -100. With ``label_all_subtokens`` later pieces get the label too, with B-X turned into
    I-X through ``b_to_i``. Words outside ``labelled_words`` (document context) get -100.
    """
    labels, previous = [], None
    for word in word_ids:
        if word is None or (labelled_words is not None and word not in labelled_words):
            labels.append(IGNORE)
        elif word != previous:
            labels.append(word_labels[word - (labelled_words.start if labelled_words else 0)])
        elif label_all_subtokens:
            label = word_labels[word - (labelled_words.start if labelled_words else 0)]
            labels.append((b_to_i or {}).get(label, label))
        else:
            labels.append(IGNORE)
        previous = word
    return labels


def b_to_i_map(label_names: list[str]) -> dict[int, int]:
    """``{id of B-X: id of I-X}`` for a label list."""
    index = {name: i for i, name in enumerate(label_names)}
    return {i: index[f"I-{name[2:]}"] for name, i in index.items()
            if name.startswith("B-") and f"I-{name[2:]}" in index}


@dataclass
class AlignStats:
    """What tokenisation did to a data set: how many sequences and words truncation cut, and
    how many words had no piece at all (never counted as lost; predicted ``O``)."""

    sequences: int = 0
    truncated_sequences: int = 0
    words: int = 0
    words_lost: int = 0
    pieceless_words: int = 0

    def __str__(self) -> str:
        text = (f"{self.truncated_sequences} of {self.sequences} sequences truncated, "
                f"{self.words_lost} of {self.words} labelled words lost")
        if self.pieceless_words:
            plural = "s" if self.pieceless_words != 1 else ""
            text += f", {self.pieceless_words} word{plural} with no piece (predicted O)"
        return text


def context_windows(dataset, tokenizer, max_length: int) -> list[tuple[list[str], range]]:
    """For each sentence, its words plus neighbouring sentences of the same document.

    Returns ``(words, labelled)`` per sentence: ``labelled`` is the range of the sentence's own
    words inside ``words``. Context is added alternately after and before, a sentence at a
    time, while the whole window fits in ``max_length`` sub-word tokens (the BERT paper's
    "document context" for CoNLL-2003, §5.3). Sentences with ``doc_id`` -1 get no context.
    """
    tokens, docs = [list(t) for t in dataset["tokens"]], list(dataset["doc_id"])
    lengths = [len(ids) for ids in tokenizer([model_words(t) for t in tokens],
                                             is_split_into_words=True,
                                             add_special_tokens=False)["input_ids"]]
    budget = max_length - tokenizer.num_special_tokens_to_add()
    windows = []
    for i, words in enumerate(tokens):
        left = right = i
        used = lengths[i]
        grow_right = True
        while docs[i] != -1:
            candidates = [right + 1] if grow_right else [left - 1]
            candidates.append(left - 1 if grow_right else right + 1)
            for j in candidates:
                if 0 <= j < len(tokens) and docs[j] == docs[i] and used + lengths[j] <= budget:
                    used += lengths[j]
                    left, right = min(left, j), max(right, j)
                    break
            else:
                break
            grow_right = not grow_right
        before = [w for k in range(left, i) for w in tokens[k]]
        after = [w for k in range(i + 1, right + 1) for w in tokens[k]]
        windows.append((before + list(words) + after, range(len(before), len(before) + len(words))))
    return windows


def case_type_ids(words: list[str], word_ids: list[int | None]) -> list[int]:
    """``token_type_ids`` that mark the pieces of capitalised words with 1.

    An uncased model (the bundled MiniLM) lower-cases its input, so "Paris" and "paris" look the
    same. Single-sentence tagging never uses BERT's segment embeddings (token type 1), so they
    can carry the lost capitalisation instead; fine-tuning learns what it means.

    >>> case_type_ids(["took", "Advil"], [None, 0, 1, 1, None])
    [0, 0, 1, 1, 0]
    """
    return [int(w is not None and words[w][:1].isupper()) for w in word_ids]


def tokenize_and_align(dataset, tokenizer, max_length: int = 128,
                       label_all_subtokens: bool = False, context: bool = False,
                       case_feature: bool = False
                       ) -> tuple[datasets.Dataset, AlignStats]:  # noqa: F821
    """Tokenise a NER ``Dataset`` (tokens, ner_tags) into model inputs with aligned ``labels``.

    No padding here: the collator pads each batch to its own longest sequence (dynamic
    padding). ``case_feature`` marks capitalised words through ``token_type_ids`` (see
    ``case_type_ids``). Words go through ``model_words`` first (NFC).

    Each row also has ``first_piece``: for each of the sentence's words, the position of its
    first piece, -1 where it has none (the tokenizer dropped it, or truncation cut it off);
    ``predict_tags`` reads it. The dataset's format keeps it out of rows (``dataset[i]``), so a
    collator sees only model inputs; read it with ``first_pieces``. Returns the new dataset and
    the truncation statistics.
    """
    from datasets import Dataset

    names = dataset.features["ner_tags"].feature.names
    b_to_i = b_to_i_map(names)
    if context:
        windows = context_windows(dataset, tokenizer, max_length)
    else:
        windows = [(words, range(len(words))) for words in dataset["tokens"]]
    windows = [(model_words(words), labelled) for words, labelled in windows]
    encoded = tokenizer([w for w, _ in windows], is_split_into_words=True, truncation=True,
                        max_length=max_length)
    pieceless = _pieceless(tokenizer, {w for words, _ in windows for w in words})
    stats = AlignStats()
    columns = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
               "token_type_ids": [], "labels": [], FIRST_PIECE: []}
    for k, ((words, labelled), tags) in enumerate(zip(windows, dataset["ner_tags"])):
        word_ids = encoded.word_ids(k)
        columns["labels"].append(align_labels(word_ids, tags, label_all_subtokens, b_to_i, labelled))
        if case_feature:
            columns["token_type_ids"].append(case_type_ids(words, word_ids))
        first: dict[int, int] = {}
        for position, word in enumerate(word_ids):
            if word is not None:
                first.setdefault(word, position)
        columns[FIRST_PIECE].append([first.get(w, -1) for w in labelled])
        no_piece = sum(words[w] in pieceless for w in labelled)
        lost = len(labelled) - sum(w in first for w in labelled) - no_piece
        stats.sequences += 1
        stats.words += len(labelled)
        stats.pieceless_words += no_piece
        stats.truncated_sequences += int(lost > 0)
        stats.words_lost += lost
    if not case_feature:
        del columns["token_type_ids"]
    aligned = Dataset.from_dict(columns)
    aligned.set_format(columns=[c for c in MODEL_COLUMNS if c in columns])
    return aligned, stats


def first_pieces(tokenized) -> list[list[int]] | None:
    """The ``first_piece`` column of a ``tokenize_and_align`` dataset (``None`` without one)."""
    if FIRST_PIECE not in tokenized.column_names:
        return None
    return list(tokenized.with_format(None)[FIRST_PIECE])


def _pieceless(tokenizer, words: set[str]) -> set[str]:
    """The words (of ``words``) that the tokenizer turns into no piece at all."""
    unique = sorted(words)
    pieces = tokenizer(unique, add_special_tokens=False)["input_ids"] if unique else []
    return {word for word, ids in zip(unique, pieces) if not ids}


# --------------------------------------------------------------------------- the articles' bug
def articles_encode(words: list[str], word_labels: list[int], tokenizer, max_length: int = 128,
                    o_id: int = 0) -> dict:
    """The source articles' recipe, reproduced to measure it: do not copy.

    The sentence is tokenised and padded to ``max_length``; the *word* labels are laid on the
    *token* positions from [CLS] on and padded with 'O'. Labels drift off their words as soon as
    a word splits into pieces, and [CLS] takes the first word's label.
    """
    encoding = tokenizer(" ".join(words), max_length=max_length, padding="max_length",
                         truncation=True)
    labels = list(word_labels)[:max_length] + [o_id] * (max_length - len(word_labels))
    return {"input_ids": encoding["input_ids"], "attention_mask": encoding["attention_mask"],
            "labels": labels}


def misaligned_share(dataset, tokenizer, max_length: int = 128, offset: int = 0) -> dict:
    """How many word labels the articles' recipe trains on a token of another word.

    The recipe puts word *k*'s label at token position *k + offset* (``offset=0`` as written,
    counting from [CLS]; ``offset=1`` if someone fixes only the [CLS] shift). The label is on
    the right word only if that token belongs to word *k*; otherwise it teaches the model the
    wrong word's label (or labels [CLS]/[SEP]/padding).
    """
    wrong = total = 0
    for words in dataset["tokens"]:
        word_ids = tokenizer(list(words), is_split_into_words=True, truncation=True,
                             max_length=max_length).word_ids()
        for k in range(min(len(words), max_length)):
            position = k + offset
            total += 1
            wrong += position >= len(word_ids) or word_ids[position] != k
    return {"words": total, "wrong word": wrong, "share": wrong / total if total else 0.0}


def padded_tokens(lengths: list[int], batch_size: int, strategy: str, seed: int = 0,
                  pad_to: int = 128) -> int:
    """Token positions the model computes on in one epoch, padding included.

    ``strategy``: ``"max_length"`` pads every sequence to ``pad_to`` (the articles' recipe);
    ``"dynamic"`` pads each shuffled batch to its longest sequence; ``"grouped"`` does the same
    with transformers' ``LengthGroupedSampler`` putting similar lengths together.

    >>> padded_tokens([3, 5, 4, 8], 2, "max_length", pad_to=16)
    64
    """
    import torch
    from transformers.trainer_pt_utils import LengthGroupedSampler

    if strategy == "max_length":
        return pad_to * len(lengths)
    generator = torch.Generator().manual_seed(seed)
    if strategy == "grouped":
        order = list(LengthGroupedSampler(batch_size, lengths=lengths, generator=generator))
    elif strategy == "dynamic":
        order = torch.randperm(len(lengths), generator=generator).tolist()
    else:
        raise ValueError(f"strategy {strategy!r}: expected max_length, dynamic or grouped")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return sum(max(lengths[i] for i in batch) * len(batch) for batch in batches)
