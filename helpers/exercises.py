""""Your turn" cells: specific feedback on an answer, and a solution the learner can reveal.

A notebook exercise is three lines::

    from helpers.exercises import ___, exercise
    minutes = ___                                  # ← your answer replaces ___
    exercise("00.epoch_minutes").check(minutes, samples_per_second=250.0)

``check`` says what is right or, when it is wrong, *what* is wrong ("you gave seconds, not
minutes"). ``exercise(...).solution()`` reveals the reference solution. With
``COURSE_PROFILE=smoke`` (CI) an unanswered ``___`` is replaced by the reference solution,
which must then pass its own check, so CI exercises every checker.

Checkers are registered with ``@register`` below, grouped by notebook.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable


class _Todo:
    """The placeholder a learner replaces. Falsy, and prints as ``___``."""

    def __repr__(self) -> str:
        return "___"

    def __bool__(self) -> bool:
        return False


___ = _Todo()

# A checker returns None when the answer is right, or a sentence saying what is wrong.
Checker = Callable[..., "str | None"]


@dataclass
class Exercise:
    key: str
    checker: Checker
    reference: Callable[..., Any]  # computes the right answer from the same context
    solution_code: str
    example: dict = field(default_factory=dict)  # a context to self-test the checker with
    wrong: list = field(default_factory=list)  # callables(**context) giving answers to reject

    def check(self, answer: Any, **context: Any) -> Any:
        """Check ``answer`` and show feedback; returns the answer (the reference if skipped).

        Unanswered (``___``): a learner gets a reminder and the notebook carries on with the
        reference answer; in the smoke profile the reference is checked like an answer.
        A wrong answer shows what is wrong; in the smoke profile it raises, failing CI.
        """
        fill = solutions_filled()
        if answer is ___:
            answer = self.reference(**context)
            if not fill:
                _show(f"✏️ <b>{self.key}</b>: not answered yet, replace <code>___</code> with "
                      f"your answer. (The notebook continues with the reference answer; "
                      f"<code>exercise('{self.key}').solution()</code> reveals it.)", "#555")
                return answer
        problem = self.checker(answer, **context)
        if problem is None:
            _show(f"✅ <b>{self.key}</b>: correct.", "#1a7f37")
            return answer
        if fill:
            raise AssertionError(f"exercise {self.key}: the reference solution fails its "
                                 f"own check: {problem}")
        _show(f"❌ <b>{self.key}</b>: {html.escape(problem)}", "#b42318")
        return answer

    def solution(self) -> None:
        """Show the reference solution folded, so the learner clicks to reveal it."""
        code = html.escape(self.solution_code.strip())
        _show(f"<details><summary>Show the solution to <b>{self.key}</b></summary>"
              f"<pre>{code}</pre></details>", "inherit")


REGISTRY: dict[str, Exercise] = {}


def register(key: str, solution_code: str, reference: Callable[..., Any],
             example: dict | None = None, wrong: list | None = None
             ) -> Callable[[Checker], Checker]:
    """Decorator: register ``checker`` as the exercise ``key`` (``"NN.short_name"``).

    ``example`` is a context the tests call ``reference`` and ``checker`` with; each of
    ``wrong`` turns that context into a typical mistake the checker must reject.
    """

    def wrap(checker: Checker) -> Checker:
        if key in REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        REGISTRY[key] = Exercise(key, checker, reference, solution_code, example or {}, wrong or [])
        return checker

    return wrap


def exercise(key: str) -> Exercise:
    """The registered exercise ``key``; a typo lists the keys that exist."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(REGISTRY))}") from None


def solutions_filled() -> bool:
    """True when unanswered exercises run their reference (smoke profile, or $COURSE_SOLUTIONS=1)."""
    flag = os.environ.get("COURSE_SOLUTIONS")
    if flag is not None:
        return flag.strip() in {"1", "true", "yes"}
    return os.environ.get("COURSE_PROFILE", "").strip().lower() == "smoke"


def _show(message: str, colour: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        if get_ipython() is not None:
            display(HTML(f'<div style="color:{colour}">{message}</div>'))
            return
    except ImportError:
        pass
    import re

    print(html.unescape(re.sub(r"<[^>]+>", "", message)))


def _close(answer: Any, expected: float, rel: float = 0.02) -> bool:
    try:
        return abs(float(answer) - expected) <= rel * abs(expected)
    except (TypeError, ValueError):
        return False


# =========================================================================== 00_setup
def _epoch_minutes(samples_per_second: float, sentences: int = 14041, epochs: int = 3) -> float:
    return sentences * epochs / samples_per_second / 60


@register(
    "00.epoch_minutes",
    solution_code="minutes = 14041 * 3 / samples_per_second / 60",
    reference=_epoch_minutes,
    example={"samples_per_second": 250.0},
    wrong=[lambda samples_per_second: 14041 * 3 / samples_per_second,  # seconds
           lambda samples_per_second: 14041 / samples_per_second / 60,  # one epoch
           lambda samples_per_second: "about 3 minutes"],
)
def check_epoch_minutes(answer: Any, samples_per_second: float, sentences: int = 14041,
                        epochs: int = 3) -> str | None:
    """3 epochs over CoNLL-2003's 14,041 training sentences: how many minutes?"""
    expected = _epoch_minutes(samples_per_second, sentences, epochs)
    if not isinstance(answer, (int, float)):
        return f"expected a number of minutes, got {type(answer).__name__}"
    if _close(answer, expected):
        return None
    if _close(answer, expected * 60):
        return "that is in seconds; divide by 60 for minutes"
    if _close(answer, expected / epochs):
        return f"that is one epoch; the question asks for {epochs}"
    if _close(answer, samples_per_second * sentences * epochs / 60):
        return "time = samples ÷ (samples per second), not samples × speed"
    return "not quite: work out sentences × epochs ÷ samples_per_second, then ÷ 60"


def _labels_for_types(n_types: int = 5) -> int:
    return 2 * n_types + 1


@register(
    "00.iob2_labels",
    solution_code="n_labels = 2 * 5 + 1   # B- and I- for each of the 5 types, plus O",
    reference=_labels_for_types,
    example={"n_types": 5},
    wrong=[lambda n_types: 2 * n_types, lambda n_types: n_types + 1, lambda n_types: n_types],
)
def check_iob2_labels(answer: Any, n_types: int = 5) -> str | None:
    """How many labels does the IOB2 scheme need for ``n_types`` entity types?"""
    expected = _labels_for_types(n_types)
    if answer == expected:
        return None
    if answer == 2 * n_types:
        return "close: you have B- and I- for each type, but tokens outside entities need O"
    if answer == n_types + 1:
        return "IOB2 marks the Beginning and the Inside of each entity: two tags per type"
    if answer == n_types:
        return "each type needs a B- and an I- tag, and there is also O"
    return f"expected a whole number; count B-X and I-X for each of {n_types} types, plus O"


# =========================================================================== 02_dataset_building
TAG_SENTENCE = "Took 2 tablets of paracetamol for a bad headache since this morning".split()
TAG_SENTENCE_GOLD = ["O", "B-DOSAGE", "I-DOSAGE", "O", "B-MEDICATION", "O", "O", "B-SYMPTOM",
                     "I-SYMPTOM", "O", "B-TIME", "I-TIME"]
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


@register(
    "02.tag_sentence",
    solution_code=("tags = ['O', 'B-DOSAGE', 'I-DOSAGE', 'O', 'B-MEDICATION', 'O', 'O',\n"
                   "        'B-SYMPTOM', 'I-SYMPTOM', 'O', 'B-TIME', 'I-TIME']"),
    reference=lambda: list(TAG_SENTENCE_GOLD),
    example={},
    wrong=[lambda: ["O"] * len(TAG_SENTENCE),
           lambda: TAG_SENTENCE_GOLD[:7] + ["O", "B-SYMPTOM"] + TAG_SENTENCE_GOLD[9:],
           lambda: TAG_SENTENCE_GOLD[:9] + ["B-TIME", "I-TIME", "I-TIME"],
           lambda: TAG_SENTENCE_GOLD[:-1]],
)
def check_tag_sentence(answer: Any) -> str | None:
    """IOB2 tags for TAG_SENTENCE, following the course guideline."""
    if not isinstance(answer, (list, tuple)) or not all(isinstance(t, str) for t in answer):
        return "expected a list of tag strings such as ['O', 'B-DOSAGE', ...]"
    if len(answer) != len(TAG_SENTENCE):
        return f"expected {len(TAG_SENTENCE)} tags, one per token, got {len(answer)}"
    for i, (token, given, gold) in enumerate(zip(TAG_SENTENCE, answer, TAG_SENTENCE_GOLD)):
        if given != gold:
            why = TAG_SENTENCE_WHY.get(i, "outside every entity")
            return f"token {i} {token!r}: you have {given}, the guideline gives {gold} ({why})"
    return None


def _dose_report(pattern: str, dataset) -> tuple[float, float, list, list]:
    from helpers.annotate import RuleLabeller
    from helpers.data import entity_spans, tag_strings

    rules = RuleLabeller(patterns={"DOSAGE": [pattern]})
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


def _reference_dose_pattern(dataset=None) -> str:
    from helpers.annotate import DEFAULT_PATTERNS

    return "|".join(f"(?:{p})" for p in DEFAULT_PATTERNS["DOSAGE"])


@register(
    "02.dose_pattern",
    solution_code=("from helpers.annotate import DEFAULT_PATTERNS\n"
                   "pattern = '|'.join(f'(?:{p})' for p in DEFAULT_PATTERNS['DOSAGE'])\n"
                   "# i.e. a number (or 'a', 'half a') + optional 'x 500' + a unit or form word"),
    reference=_reference_dose_pattern,
    example={"dataset": "health_ner:test"},
    wrong=[lambda dataset: r"\d+ ?mg\b", lambda dataset: r"\d+", lambda dataset: "("],
)
def check_dose_pattern(answer: Any, dataset: Any) -> str | None:
    """A regular expression for DOSAGE with precision and recall ≥ 0.75 on ``dataset``."""
    if isinstance(dataset, str):  # "health_ner:<split>" in the tests
        from helpers.data import load_health_ner

        dataset = load_health_ner()[{"test": "test", "dev": "validation"}.get(
            dataset.split(":")[1], dataset.split(":")[1])]
    if not isinstance(answer, str):
        return "expected the pattern as a string, e.g. r'\\d+ ?mg'"
    try:
        import re

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


def _disagreements(answer: list, gold: list, tokens: list) -> list[str]:
    from helpers.data import entity_spans

    out = []
    for toks, a, g in zip(tokens, answer, gold):
        mine, theirs = set(entity_spans(a)), set(entity_spans(g))
        out += [f"you: [{' '.join(toks[s:e])}|{k}]" for k, s, e in sorted(mine - theirs)]
        out += [f"gold: [{' '.join(toks[s:e])}|{k}]" for k, s, e in sorted(theirs - mine)]
    return out


@register(
    "02.agreement",
    solution_code="# Annotate with the guideline open; the gold tags are the reference:\n"
                  "mine = [record['tags'] for record in saved]",
    reference=lambda gold, tokens: [list(g) for g in gold],
    example={"gold": [["B-SYMPTOM", "O", "B-TIME"], ["O", "B-DOSAGE", "I-DOSAGE"]],
             "tokens": [["fever", "since", "monday"], ["took", "2", "puffs"]]},
    wrong=[lambda gold, tokens: [["O"] * len(g) for g in gold],
           lambda gold, tokens: [[t.replace("TIME", "SYMPTOM") for t in g] for g in gold]],
)
def check_agreement(answer: Any, gold: list, tokens: list) -> str | None:
    """Your annotations of the practice sentences agree with gold at entity F1 ≥ 0.8."""
    from helpers.annotate import entity_agreement

    if not isinstance(answer, list) or len(answer) != len(gold):
        return f"expected one tag list per practice sentence ({len(gold)}), got {answer!r:.60}"
    f1 = entity_agreement(gold, answer)
    if f1 >= 0.8:
        return None
    shown = "; ".join(_disagreements(answer, gold, tokens)[:4])
    return f"entity F1 {f1:.2f} with gold (aim for 0.8). Differences: {shown}"


# =========================================================================== 03_tokenization_alignment
def _aligned(word_ids: list, word_labels: list) -> list:
    from helpers.align import align_labels

    return align_labels(word_ids, word_labels)


@register(
    "03.align_labels",
    solution_code=("labels, previous = [], None\n"
                   "for word in word_ids:\n"
                   "    labels.append(-100 if word is None or word == previous else word_labels[word])\n"
                   "    previous = word"),
    reference=_aligned,
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
    expected = _aligned(word_ids, word_labels)
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
        if want == -100:
            return (f"position {position} is a later piece of word {word}: only the first piece "
                    "carries the label, the others get -100 so each word counts once")
        return (f"position {position} starts word {word}, whose label is {want!r}, not {got!r}; "
                "labels follow word_ids, not positions")
    return "not quite"


def _padding_share(lengths: list, pad_to: int = 128) -> float:
    return 1 - sum(lengths) / (pad_to * len(lengths))


@register(
    "03.padding_share",
    solution_code="share = 1 - sum(lengths) / (128 * len(lengths))",
    reference=_padding_share,
    example={"lengths": [14, 22, 9, 31]},
    wrong=[lambda lengths: 100 * (1 - sum(lengths) / (128 * len(lengths))),
           lambda lengths: sum(lengths) / (128 * len(lengths)),
           lambda lengths: 1 - max(lengths) / 128],
)
def check_padding_share(answer: Any, lengths: list, pad_to: int = 128) -> str | None:
    """The share (0..1) of token positions that are padding when every sequence is padded to 128."""
    expected = _padding_share(lengths, pad_to)
    if not isinstance(answer, (int, float)):
        return "expected a number between 0 and 1"
    if _close(answer, expected, 0.001):
        return None
    if _close(answer, 100 * expected, 0.001):
        return "that is a percentage; give a share between 0 and 1"
    if _close(answer, 1 - expected, 0.001):
        return "that is the share of real tokens; padding is the rest"
    if _close(answer, 1 - max(lengths) / pad_to, 0.001):
        return "count every sequence's padding, not only the longest one's"
    return f"positions computed: {pad_to} x {len(lengths)}; real tokens: sum(lengths)"


# =========================================================================== 04_finetune_ner
def _steps_per_epoch(sentences: int, batch_size: int, grad_accum: int) -> int:
    return math.ceil(math.ceil(sentences / batch_size) / grad_accum)


@register(
    "04.steps_per_epoch",
    solution_code="steps = math.ceil(math.ceil(1260 / 16) / 4)  # batches, then updates",
    reference=_steps_per_epoch,
    example={"sentences": 1260, "batch_size": 16, "grad_accum": 4},
    wrong=[lambda sentences, batch_size, grad_accum: sentences // batch_size // grad_accum,
           lambda sentences, batch_size, grad_accum: math.ceil(sentences / batch_size),
           lambda sentences, batch_size, grad_accum: sentences / (batch_size * grad_accum)],
)
def check_steps_per_epoch(answer: Any, sentences: int, batch_size: int, grad_accum: int
                          ) -> str | None:
    """Optimizer updates in one epoch with gradient accumulation."""
    expected = _steps_per_epoch(sentences, batch_size, grad_accum)
    if answer == expected and isinstance(answer, int):
        return None
    if answer == math.ceil(sentences / batch_size):
        return "that counts batches; with accumulation the optimizer updates once every " \
               f"{grad_accum} batches"
    if isinstance(answer, float) and not answer.is_integer():
        return "updates are whole steps: the last, smaller batch still makes a step (round up)"
    if answer == sentences // batch_size // grad_accum:
        return "rounding down drops the last partial batch; the loop still trains on it"
    return f"batches = ceil({sentences} / {batch_size}); updates = ceil(batches / {grad_accum})"


def _early_stop(dev_f1: list, patience: int) -> tuple[int, int]:
    best, best_epoch, bad = -1.0, 0, 0
    for epoch, f1 in enumerate(dev_f1, start=1):
        if f1 > best:
            best, best_epoch, bad = f1, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch, best_epoch
    return len(dev_f1), best_epoch


@register(
    "04.early_stopping",
    solution_code="answer = (5, 3)  # epochs 4 and 5 do not beat 0.84; stop after 5, keep 3",
    reference=_early_stop,
    example={"dev_f1": [0.61, 0.79, 0.84, 0.83, 0.84, 0.86], "patience": 2},
    wrong=[lambda dev_f1, patience: (len(dev_f1), dev_f1.index(max(dev_f1)) + 1),
           lambda dev_f1, patience: (5, 5), lambda dev_f1, patience: (4, 3)],
)
def check_early_stopping(answer: Any, dev_f1: list, patience: int) -> str | None:
    """(epoch after which training stops, epoch whose checkpoint is kept)."""
    stop, best = _early_stop(dev_f1, patience)
    if not (isinstance(answer, tuple) and len(answer) == 2):
        return "expected a pair: (stopping epoch, kept epoch)"
    if answer == (stop, best):
        return None
    if answer[0] == len(dev_f1):
        return f"training stops before epoch {len(dev_f1)}: count epochs without a new best"
    if answer[1] != best:
        return (f"the kept checkpoint is the best dev score so far; a tie ({dev_f1[best - 1]}) is "
                "not an improvement")
    return f"after {patience} epochs in a row without a new best, training stops"


# =========================================================================== 05_evaluate_ner
@register(
    "05.error_kind",
    solution_code="kinds = ['boundary', 'type', 'missed', 'spurious']",
    reference=lambda: ["boundary", "type", "missed", "spurious"],
    example={},
    wrong=[lambda: ["type", "boundary", "missed", "spurious"],
           lambda: ["boundary", "type", "spurious", "missed"], lambda: "boundary"],
)
def check_error_kind(answer: Any) -> str | None:
    """Bucket four predictions (see the notebook) into boundary / type / missed / spurious."""
    expected = ["boundary", "type", "missed", "spurious"]
    why = ["gold [sharp pain|SYMPTOM], predicted [pain|SYMPTOM]: same type, other edges",
           "gold [Advil|MEDICATION], predicted [Advil|SYMPTOM]: same edges, other type",
           "gold [this morning|TIME], nothing predicted there",
           "predicted [bed|BODY_PART] where gold has no entity"]
    if not isinstance(answer, list) or len(answer) != 4:
        return "expected a list of four kinds, one per case"
    for i, (got, want) in enumerate(zip(answer, expected)):
        if got != want:
            return f"case {i + 1}: {why[i]}, so {want!r}, not {got!r}"
    return None


def _strict_f1(gold: list, pred: list) -> float:
    from helpers.evaluate import entity_scores

    return float(entity_scores(gold, pred).loc["overall", "f1"])


@register(
    "05.strict_f1",
    solution_code=("# gold has 2 entities, the prediction 2; only [ibuprofen] matches exactly\n"
                   "f1 = 0.5  # precision 1/2, recall 1/2"),
    reference=_strict_f1,
    example={"gold": [["B-DOSAGE", "I-DOSAGE", "B-MEDICATION"]],
             "pred": [["B-DOSAGE", "O", "B-MEDICATION"]]},
    wrong=[lambda gold, pred: 2 / 3, lambda gold, pred: 1.0, lambda gold, pred: 50],
)
def check_strict_f1(answer: Any, gold: list, pred: list) -> str | None:
    """Strict entity F1 of a prediction, by hand."""
    expected = _strict_f1(gold, pred)
    if not isinstance(answer, (int, float)):
        return "expected a number between 0 and 1"
    if _close(answer, expected, 0.01):
        return None
    if _close(answer, 100 * expected, 0.01):
        return "that is a percentage; give F1 between 0 and 1"
    tokens_right = sum(g == p for gs, ps in zip(gold, pred) for g, p in zip(gs, ps))
    if _close(answer, tokens_right / sum(map(len, gold)), 0.01):
        return "that is token accuracy; strict F1 counts whole entities with exact edges"
    return "count entities: precision = exact matches / predicted, recall = exact matches / gold"


# =========================================================================== 01_market_framing
def _weighted(scores: dict, weights: dict) -> float:
    from helpers.market import score_opportunities

    return float(score_opportunities({"x": scores}, weights).loc["x", "score"])


@register(
    "01.weighted_score",
    solution_code=("# pain: (4-1)/4 * 2/3 * 100 = 50; regulatory risk is a cost: 6-4 = 2,\n"
                   "# (2-1)/4 * 1/3 * 100 = 8.33\n"
                   "score = 50 + 100 / 12"),
    reference=_weighted,
    example={"scores": {"pain": 4, "regulatory_risk": 4}, "weights": {"pain": 2, "regulatory_risk": 1}},
    wrong=[lambda scores, weights: 50 + 25,  # risk not inverted
           lambda scores, weights: 4 * 2 + 4 * 1,  # raw weighted sum
           lambda scores, weights: 100 * (4 * 2 + 2 * 1) / (5 * 3)],  # not rescaled from 1
)
def check_weighted_score(answer: Any, scores: dict, weights: dict) -> str | None:
    """The 0-100 opportunity score of one candidate, by hand."""
    expected = _weighted(scores, weights)
    if not isinstance(answer, (int, float)):
        return "expected a number between 0 and 100"
    if _close(answer, expected, 0.01):
        return None
    if _close(answer, sum(v * weights.get(k, 0) for k, v in scores.items()), 0.01):
        return "rescale each 1-5 score to 0-1 with (score - 1) / 4, and divide by the total weight"
    inverted_missing = 100 * sum(weights[k] * (scores[k] - 1) / 4 for k in weights) / sum(weights.values())
    if _close(answer, inverted_missing, 0.01):
        return "regulatory risk is a cost: a 4 means heavy risk, so use 6 - 4 = 2 before rescaling"
    return "per criterion: weight x (score - 1) / 4, costs inverted first; sum, / total weight, x 100"


def _bottom_up(clinics: int, patients: int, conversion: float, price: float) -> float:
    return clinics * patients * conversion * 12 * price


@register(
    "01.bottom_up_som",
    solution_code="som = 400 * 150 * 0.25 * 12 * 6.0  # paying users x 12 months x price",
    reference=_bottom_up,
    example={"clinics": 400, "patients": 150, "conversion": 0.25, "price": 6.0},
    wrong=[lambda clinics, patients, conversion, price: clinics * patients * conversion * price,
           lambda clinics, patients, conversion, price: clinics * patients * 12 * price,
           lambda clinics, patients, conversion, price: clinics * patients * conversion],
)
def check_bottom_up_som(answer: Any, clinics: int, patients: int, conversion: float,
                        price: float) -> str | None:
    """Yearly bottom-up SOM from a clinic-by-clinic sales plan."""
    expected = _bottom_up(clinics, patients, conversion, price)
    if not isinstance(answer, (int, float)):
        return "expected a yearly amount of money (a number)"
    if _close(answer, expected, 0.001):
        return None
    if _close(answer, expected / 12, 0.001):
        return "that is per month; the SOM is per year (x 12)"
    if _close(answer, expected / conversion, 0.001):
        return f"only {conversion:.0%} of onboarded patients pay: multiply by the conversion"
    if _close(answer, clinics * patients * conversion, 0.001):
        return "that is the number of paying users; multiply by 12 months and the price"
    return "clinics x patients per clinic x conversion = paying users; x 12 x monthly price"


# =========================================================================== 06_text_classification
@register(
    "06.argmax_dim",
    solution_code="predictions = logits.argmax(dim=-1)  # (batch, classes): the class axis is last",
    reference=lambda: -1,
    example={},
    wrong=[lambda: 2, lambda: 0, lambda: "1"],
)
def check_argmax_dim(answer: Any) -> str | None:
    """The dimension to take argmax over for sequence-classification logits (batch, classes)."""
    if answer in (-1, 1) and isinstance(answer, int):
        return None
    if answer == 2:
        return "the logits have 2 dimensions (batch, classes): there is no dimension 2"
    if answer == 0:
        return "dimension 0 runs over the examples of the batch, not over the classes"
    return "expected an integer: the index of the class dimension (1, or -1 for 'the last')"


def _cost(fn: int, fp: int, cost_fn: float, cost_fp: float) -> float:
    return fn * cost_fn + fp * cost_fp


@register(
    "06.threshold_cost",
    solution_code=("# threshold 0.5: 12 missed x 5 + 4 needless x 1 = 64\n"
                   "# threshold 0.3:  5 missed x 5 + 15 needless x 1 = 40  -> 0.3 is cheaper\n"
                   "best = 0.3"),
    reference=lambda table, cost_fn, cost_fp: min(
        table, key=lambda t: _cost(table[t][0], table[t][1], cost_fn, cost_fp)),
    example={"table": {0.5: (12, 4), 0.3: (5, 15), 0.1: (1, 60)}, "cost_fn": 5, "cost_fp": 1},
    wrong=[lambda table, cost_fn, cost_fp: 0.5,
           lambda table, cost_fn, cost_fp: 0.1,
           lambda table, cost_fn, cost_fp: 40],
)
def check_threshold_cost(answer: Any, table: dict, cost_fn: float, cost_fp: float
                         ) -> str | None:
    """Pick the threshold with the lowest cost, given (missed, needless) counts per threshold."""
    costs = {t: _cost(fn, fp, cost_fn, cost_fp) for t, (fn, fp) in table.items()}
    best = min(costs, key=costs.get)
    if answer == best:
        return None
    if answer in costs.values():
        return "that is a cost; the question asks for the threshold"
    if answer not in costs:
        return f"choose one of the thresholds {sorted(costs)}"
    return (f"threshold {answer} costs {costs[answer]:g}; compare missed x {cost_fn:g} + "
            f"needless x {cost_fp:g} for each threshold")
