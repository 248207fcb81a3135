"""Exercises of notebook 03 (tokenisation and alignment): word labels onto tokens, the share
of padding when every sequence is padded to 128.

The alignment check compares with ``helpers.align.align_labels``, which training uses.

Imports: ``align``.
"""

from __future__ import annotations

from typing import Any

from helpers import align
from helpers.exercises.core import close_enough, register

PAD_TO = 128  # the articles' max_length padding


def solve_align_labels(word_ids, word_labels):
    aligned, previous = [], None
    for word in word_ids:  # -100: special tokens and every piece of a word after its first
        aligned.append(-100 if word is None or word == previous else word_labels[word])
        previous = word
    return aligned


@register(
    "03.align_labels",
    reference=solve_align_labels,
    example={"word_ids": [None, 0, 1, 1, 1, 1, 2, None],
             "word_labels": ["O", "B-MEDICATION", "B-TIME"]},
    wrong=[lambda word_ids, word_labels: [word_labels[w] if w is not None else "O"
                                          for w in word_ids],
           lambda word_ids, word_labels: [word_labels[w] if w is not None else -100
                                          for w in word_ids],
           lambda word_ids, word_labels: (list(word_labels) + ["O"] * len(word_ids))[
               :len(word_ids)]],
)
def check_align_labels(answer: Any, word_ids: list, word_labels: list) -> str | None:
    """One label per token: the word's label on its first piece, -100 elsewhere."""
    expected = align.align_labels(word_ids, word_labels)
    if not isinstance(answer, list) or len(answer) != len(word_ids):
        return f"expected a list with one entry per token ({len(word_ids)})"
    if answer == expected:
        return None
    for position, (got, want, word) in enumerate(zip(answer, expected, word_ids)):
        if got == want:
            continue
        if word is None:
            return (f"position {position} is a special token ([CLS]/[SEP]): it belongs to no "
                    "word, so -100")
        if want == align.IGNORE:
            return (f"position {position} is a later piece of word {word}: only the first piece "
                    "carries the label, the others get -100 so each word counts once")
        return (f"position {position} starts word {word}, whose label is {want!r}, not {got!r}; "
                "labels follow word_ids, not positions")
    return "not quite"


def solve_padding_share(lengths):
    share = 1 - sum(lengths) / (128 * len(lengths))  # 1 - real tokens / positions computed
    return share


@register(
    "03.padding_share",
    reference=solve_padding_share,
    example={"lengths": [14, 22, 9, 31]},
    wrong=[lambda lengths: 100 * (1 - sum(lengths) / (128 * len(lengths))),
           lambda lengths: sum(lengths) / (128 * len(lengths)),
           lambda lengths: 1 - max(lengths) / 128],
)
def check_padding_share(answer: Any, lengths: list) -> str | None:
    """The share (0..1) of token positions that are padding when every sequence is padded to 128."""
    expected = solve_padding_share(lengths)
    if not isinstance(answer, (int, float)):
        return "expected a number between 0 and 1"
    if close_enough(answer, expected, 0.001):
        return None
    if close_enough(answer, 100 * expected, 0.001):
        return "that is a percentage; give a share between 0 and 1"
    if close_enough(answer, 1 - expected, 0.001):
        return "that is the share of real tokens; padding is the rest"
    if close_enough(answer, 1 - max(lengths) / PAD_TO, 0.001):
        return "count every sequence's padding, not only the longest one's"
    return f"positions computed: {PAD_TO} x {len(lengths)}; real tokens: sum(lengths)"
