"""Exercises of notebook 02 (dataset building): tag a sentence by the guideline, a DOSAGE
pattern measured on the test split, agreement with gold on the practice sentences.

The rules and the agreement score are the course's own (``helpers.annotate``).

Imports: ``annotate`` (the rules, agreement), ``corpora`` (the test split), ``tagging``.
"""

from __future__ import annotations

import re
from typing import Any

from helpers import annotate
from helpers.corpora import load_health_ner
from helpers.exercises.core import register
from helpers.tagging import entity_spans, tag_strings

TAG_SENTENCE = "Took 2 tablets of paracetamol for a bad headache since this morning".split()
# Why the guideline tags a token as it does, for the feedback (data/health_ner/GUIDELINE.md).
TAG_SENTENCE_WHY = {
    1: "the amount and its form word are one DOSAGE: [2 tablets]",
    2: "'tablets' continues the DOSAGE that '2' begins, so I-DOSAGE",
    4: "a drug name is a MEDICATION",
    6: "articles stay outside entities",
    7: "a severity adjective right before a symptom is part of it: [bad headache]",
    8: "'headache' continues the SYMPTOM that 'bad' begins",
    9: "a leading 'since' stays outside TIME",
    10: "TIME keeps 'this': [this morning]",
    11: "'morning' continues the TIME that 'this' begins",
}


def solve_tag_sentence():
    tags = ["O", "B-DOSAGE", "I-DOSAGE", "O", "B-MEDICATION", "O", "O",
            "B-SYMPTOM", "I-SYMPTOM", "O", "B-TIME", "I-TIME"]
    return tags


@register(
    "02.tag_sentence",
    reference=solve_tag_sentence,
    wrong=[lambda: ["O"] * len(TAG_SENTENCE),
           lambda: solve_tag_sentence()[:7] + ["O", "B-SYMPTOM"] + solve_tag_sentence()[9:],
           lambda: solve_tag_sentence()[:9] + ["B-TIME", "I-TIME", "I-TIME"],
           lambda: solve_tag_sentence()[:-1]],
)
def check_tag_sentence(answer: Any) -> str | None:
    """IOB2 tags for TAG_SENTENCE, following the course guideline."""
    if not isinstance(answer, (list, tuple)) or not all(isinstance(t, str) for t in answer):
        return "expected a list of tag strings such as ['O', 'B-DOSAGE', ...]"
    if len(answer) != len(TAG_SENTENCE):
        return f"expected {len(TAG_SENTENCE)} tags, one per token, got {len(answer)}"
    for i, (token, given, gold) in enumerate(zip(TAG_SENTENCE, answer, solve_tag_sentence())):
        if given != gold:
            why = TAG_SENTENCE_WHY.get(i, "outside every entity")
            return f"token {i} {token!r}: you have {given}, the guideline gives {gold} ({why})"
    return None


def solve_dose_pattern(dataset):
    # A number (or "a", "half a") + an optional "x 500" + a unit or form word: the course's rule
    dose_pattern = "|".join(f"(?:{p})" for p in annotate.DEFAULT_PATTERNS["DOSAGE"])
    return dose_pattern


def _dose_report(pattern: str, dataset) -> tuple[float, float, list, list]:
    """Precision and recall of ``pattern`` as the only DOSAGE rule on ``dataset``, with the
    doses it misses and the strings it tags wrongly."""
    rules = annotate.RuleLabeller(patterns={"DOSAGE": [pattern]})
    missed, false_alarms, hit, predicted, gold_total = [], [], 0, 0, 0
    for tokens, tags in zip(dataset["tokens"], tag_strings(dataset)):
        gold = {(s, e) for k, s, e in entity_spans(tags) if k == "DOSAGE"}
        pred = {(s, e) for k, s, e in entity_spans(rules(tokens))}
        hit, predicted, gold_total = hit + len(gold & pred), predicted + len(pred), \
            gold_total + len(gold)
        missed += [" ".join(tokens[s:e]) for s, e in gold - pred]
        false_alarms += [" ".join(tokens[s:e]) for s, e in pred - gold]
    precision = hit / predicted if predicted else 0.0
    return precision, hit / gold_total, missed, false_alarms


@register(
    "02.dose_pattern",
    reference=solve_dose_pattern,
    example=lambda: {"dataset": load_health_ner()["test"]},  # what notebook 02 passes
    wrong=[lambda dataset: r"\d+ ?mg\b", lambda dataset: r"\d+", lambda dataset: "("],
)
def check_dose_pattern(answer: Any, dataset: Any) -> str | None:
    """A regular expression for DOSAGE with precision and recall ≥ 0.75 on ``dataset``."""
    if not isinstance(answer, str):
        return "expected the pattern as a string, e.g. r'\\d+ ?mg'"
    try:
        re.compile(answer)
    except re.error as err:
        return f"that is not a valid regular expression: {err}"
    precision, recall, missed, false_alarms = _dose_report(answer, dataset)
    if recall < 0.75:
        return (f"recall {recall:.2f}: it misses doses such as "
                f"{', '.join(repr(m) for m in missed[:4])}")
    if precision < 0.75:
        return (f"precision {precision:.2f}: it also tags "
                f"{', '.join(repr(f) for f in false_alarms[:4])}")
    return None


def solve_agreement(gold, tokens):
    # Annotate each sentence with the guideline open; the gold annotation agrees fully:
    mine = [list(tags) for tags in gold]
    return mine


def _disagreements(answer: list, gold: list, tokens: list) -> list[str]:
    """Entities only in ``answer`` ("you: ...") or only in ``gold``, sentence by sentence."""
    out = []
    for toks, a, g in zip(tokens, answer, gold):
        mine, theirs = set(entity_spans(a)), set(entity_spans(g))
        out += [f"you: [{' '.join(toks[s:e])}|{k}]" for k, s, e in sorted(mine - theirs)]
        out += [f"gold: [{' '.join(toks[s:e])}|{k}]" for k, s, e in sorted(theirs - mine)]
    return out


@register(
    "02.agreement",
    reference=solve_agreement,
    example={"gold": [["B-SYMPTOM", "O", "B-TIME"], ["O", "B-DOSAGE", "I-DOSAGE"]],
             "tokens": [["fever", "since", "monday"], ["took", "2", "puffs"]]},
    wrong=[lambda gold, tokens: [["O"] * len(g) for g in gold],
           lambda gold, tokens: [[t.replace("TIME", "SYMPTOM") for t in g] for g in gold]],
)
def check_agreement(answer: Any, gold: list, tokens: list) -> str | None:
    """Your annotations of the practice sentences agree with gold at entity F1 ≥ 0.8."""
    if not isinstance(answer, list) or len(answer) != len(gold):
        return f"expected one tag list per practice sentence ({len(gold)}), got {answer!r:.60}"
    f1 = annotate.entity_agreement(gold, answer)
    if f1 >= 0.8:
        return None
    shown = "; ".join(_disagreements(answer, gold, tokens)[:4])
    return f"entity F1 {f1:.2f} with gold (aim for 0.8). Differences: {shown}"
