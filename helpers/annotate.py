"""Annotation: an append-only store, a tagging session and its widget, rule pre-labels, agreement.

The store (``AnnotationStore``, from ``helpers.store``) is the part that must never lose work:
every finished sentence is appended to a JSONL file as one line, fsynced before ``save``
returns, under a file lock so that several processes can write and read it at once. Reopening
resumes after the last saved sentence; re-annotating a sentence appends a newer record (the
latest wins), so the log itself is never rewritten.

    >>> store = AnnotationStore("build/annotations/pool.jsonl")        # doctest: +SKIP
    >>> session = AnnotationSession(sentences, store, prelabel=rules)   # doctest: +SKIP
    >>> annotator_widget(session)                                        # doctest: +SKIP

Imports: ``evaluate``, ``store``, ``tagging``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from helpers.store import AnnotationStore  # the sessions' store; ``annotate.AnnotationStore`` works too
from helpers.tagging import ENTITY_TYPES, entity_spans, tag_strings

# --------------------------------------------------------------------------- a tagging session


class AnnotationSession:
    """The annotation logic without any widget: select a span, assign a type, undo, save.

    ``sentences`` are dicts with ``id`` and ``tokens``. Sentences already in the store are
    skipped, so a new session resumes where the last one stopped.
    """

    def __init__(self, sentences: Iterable[dict], store: AnnotationStore,
                 types: Iterable[str] = ENTITY_TYPES,
                 prelabel: Callable[[list[str]], list[str]] | None = None,
                 annotator: str = "learner"):
        self.store, self.types, self.prelabel, self.annotator = store, list(types), prelabel, annotator
        done = store.latest()
        self.all = list(sentences)
        self.queue = [s for s in self.all if s["id"] not in done]
        self.position = 0
        self._load()

    # state of the sentence on screen
    def _load(self) -> None:
        self.selection: tuple[int, int] | None = None
        self.history: list[list[str]] = []
        if self.finished:
            self.tags = []
            return
        tokens = self.current["tokens"]
        self.tags = list(self.prelabel(tokens)) if self.prelabel else ["O"] * len(tokens)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.queue)

    @property
    def current(self) -> dict:
        return self.queue[self.position]

    @property
    def progress(self) -> str:
        saved = len(self.all) - len(self.queue) + self.position
        return f"{saved} of {len(self.all)} saved"

    def click(self, index: int) -> None:
        """Click a token: starts a selection, or extends a one-token selection to a span."""
        if self.selection and self.selection[1] - self.selection[0] == 1:
            start = min(self.selection[0], index)
            self.selection = (start, max(self.selection[0], index) + 1)
        else:
            self.selection = (index, index + 1)

    def assign(self, kind: str) -> None:
        """Give the selected span the type ``kind`` (``"O"`` clears it); undoable."""
        if self.selection is None:
            raise ValueError("select a token or a span first")
        if kind != "O" and kind not in self.types:
            raise ValueError(f"unknown type {kind!r}; expected one of {', '.join(self.types)}")
        start, end = self.selection
        self.history.append(list(self.tags))
        for i in range(start, end):
            self.tags[i] = "O" if kind == "O" else ("B-" if i == start else "I-") + kind
        # a span that cut an entity in two: the part after it must start with B-
        if end < len(self.tags) and self.tags[end].startswith("I-") and \
                (kind == "O" or self.tags[end][2:] != kind):
            self.tags[end] = "B-" + self.tags[end][2:]
        self.selection = None

    def undo(self) -> bool:
        """Undo the last assignment on this sentence; False when there is nothing to undo."""
        if not self.history:
            return False
        self.tags = self.history.pop()
        return True

    def save(self) -> dict:
        """Append the current sentence to the store (on disk when this returns) and move on."""
        record = {"id": self.current["id"], "tokens": self.current["tokens"],
                  "tags": list(self.tags), "annotator": self.annotator,
                  "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.store.append(record)
        self.position += 1
        self._load()
        return record

    def skip(self) -> None:
        """Leave the current sentence for later (it stays unsaved)."""
        self.queue.append(self.queue.pop(self.position))
        self._load()


# --------------------------------------------------------------------------- the widget
COLOURS = {"SYMPTOM": "#f8d7da", "BODY_PART": "#d1e7dd", "MEDICATION": "#cfe2ff",
           "DOSAGE": "#fff3cd", "TIME": "#e2d9f3"}


def highlight_html(tokens: list[str], tags: list[str]) -> str:
    """Tokens as HTML with each entity shaded and labelled by type."""
    import html

    parts, last = [], 0
    for kind, start, end in entity_spans(tags):
        parts += [html.escape(t) for t in tokens[last:start]]
        text = html.escape(" ".join(tokens[start:end]))
        parts.append(f'<span style="background:{COLOURS.get(kind, "#eee")};padding:1px 4px;'
                     f'border-radius:4px">{text} <sub>{kind}</sub></span>')
        last = end
    parts += [html.escape(t) for t in tokens[last:]]
    return " ".join(parts)


def annotator_widget(session: AnnotationSession):
    """An ipywidgets 8 tagger for ``session`` (core widgets only: works in JupyterLab and Colab).

    Click a token, then (for a span) its last token, then a type. "Save & next" writes the
    sentence to the store at once; "Undo" reverts the last assignment.
    """
    import ipywidgets as w

    status, preview = w.HTML(), w.HTML()
    tokens_box = w.Box(layout=w.Layout(flex_flow="row wrap"))
    type_buttons = [w.Button(description=t, layout=w.Layout(width="auto"),
                             style={"button_color": COLOURS.get(t)}) for t in session.types]
    clear = w.Button(description="O (clear)", layout=w.Layout(width="auto"))
    undo = w.Button(description="Undo", icon="undo")
    save = w.Button(description="Save & next", button_style="success", icon="check")
    skip = w.Button(description="Skip")

    def render() -> None:
        status.value = f"<b>{session.progress}</b> · saved to <code>{session.store.path}</code>"
        if session.finished:
            tokens_box.children, preview.value = [], "<b>All sentences are annotated.</b>"
            return
        buttons = []
        for i, (token, tag) in enumerate(zip(session.current["tokens"], session.tags)):
            selected = session.selection and session.selection[0] <= i < session.selection[1]
            button = w.Button(description=token, tooltip=tag, layout=w.Layout(width="auto"),
                              style={"button_color": "#ffd166" if selected
                                     else COLOURS.get(tag[2:], "#f7f7f7")})
            button.on_click(lambda _, i=i: (session.click(i), render()))
            buttons.append(button)
        tokens_box.children = buttons
        preview.value = highlight_html(session.current["tokens"], session.tags)

    def act(action: Callable[[], object]) -> Callable:
        def handler(_):
            try:
                action()
            except ValueError as err:
                status.value = f'<span style="color:#b42318">{err}</span>'
                return
            render()
        return handler

    for button, kind in zip(type_buttons, session.types):
        button.on_click(act(lambda kind=kind: session.assign(kind)))
    clear.on_click(act(lambda: session.assign("O")))
    undo.on_click(act(session.undo))
    save.on_click(act(session.save))
    skip.on_click(act(session.skip))
    render()
    return w.VBox([status, tokens_box, w.HBox(type_buttons + [clear]), preview,
                   w.HBox([undo, skip, save])])


# --------------------------------------------------------------------------- rule pre-labels
# Span rules follow data/health_ner/GUIDELINE.md: units are inside DOSAGE; TIME leaves out a
# leading "since", "for", "at" but keeps articles and quantifiers ("for [a week]").
NUMBER = r"(?:\d+(?:[.,/]\d+)?|one|two|three|four|five|half an?|half|an?)"
DOSE_UNITS = (r"(?:mg|mcg|µg|g|grams?|ml|mls|iu|units?|tablets?|tabs?|pills?|capsules?|"
              r"caps?|puffs?|drops?|sprays?|sachets?|spoonfuls?|teaspoons?|tsp|patch(?:es)?)")
COUNT = r"(?:\d+|a|an|one|two|three|four|five|six|few|several|couple of|a few|a couple of)"
WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
DEFAULT_PATTERNS = {
    "DOSAGE": [rf"\b{NUMBER}\s?(?:x\s?)?(?:\d+\s?)?{DOSE_UNITS}\b", r"\bx\s?\d\b"],
    "TIME": [
        r"\b(?:once|twice|three times|\d+ times|\d+x) (?:a|per|each) (?:day|night|week)\b",
        r"\bevery (?:\d+(?:\s?-\s?\d+)? ?(?:hours?|hrs?|h)|couple of hours|few hours|"
        r"morning|night|evening|day)\b",
        r"\b\d{1,2}(?::\d\d)? ?(?:am|pm)\b",
        rf"\b(?:the )?(?:last |past |next )?{COUNT} ?(?:minutes?|mins?|hours?|hrs?|days?|"
        r"nights?|weeks?|wks?|months?)(?: ago)?\b",
        r"\b(?:this|yesterday|tomorrow|in the) (?:morning|afternoon|evening)\b",
        rf"\b(?:last night|yesterday|today|tonight|overnight|all day|all night|the weekend|"
        rf"lunchtime|bedtime|{WEEKDAY}(?: night| morning)?)\b",
        r"\b(?:twice|once)\b",
    ],
}


class RuleLabeller:
    """Pre-labels from a lexicon (seen entity strings) and regular expressions (doses, times).

    Rules are precise on what they have seen and blind to the rest: that contrast is why the
    course trains a model. Patterns run first; the lexicon fills untagged tokens, longest
    match first. Matching is case-insensitive.
    """

    def __init__(self, lexicon: dict[str, Iterable[tuple[str, ...]]] | None = None,
                 patterns: dict[str, list[str]] | None = None):
        self.lexicon = {tuple(w.lower() for w in entry): kind
                        for kind, entries in (lexicon or {}).items() for entry in entries}
        self.longest = max((len(e) for e in self.lexicon), default=0)
        self.patterns = [(kind, re.compile(p, re.I))
                         for kind, ps in (DEFAULT_PATTERNS if patterns is None else patterns).items()
                         for p in ps]

    @classmethod
    def from_dataset(cls, dataset, types: Iterable[str] = ("SYMPTOM", "BODY_PART", "MEDICATION"),
                     patterns: dict[str, list[str]] | None = None) -> RuleLabeller:
        """A lexicon of every entity string of ``types`` in ``dataset`` (e.g. the training set)."""
        types, lexicon = set(types), {}
        for tokens, tags in zip(dataset["tokens"], tag_strings(dataset)):
            for kind, start, end in entity_spans(tags):
                if kind in types:
                    lexicon.setdefault(kind, set()).add(tuple(tokens[start:end]))
        return cls(lexicon, patterns)

    def __call__(self, tokens: list[str]) -> list[str]:
        tags = ["O"] * len(tokens)
        text, starts, pos = "", [], 0
        for token in tokens:
            starts.append(pos)
            text += token + " "
            pos += len(token) + 1
        ends = {s + len(t): i for i, (s, t) in enumerate(zip(starts, tokens))}
        first = {s: i for i, s in enumerate(starts)}
        for kind, pattern in self.patterns:
            for match in pattern.finditer(text):
                a, b = first.get(match.start()), ends.get(match.end())
                if a is not None and b is not None and all(t == "O" for t in tags[a:b + 1]):
                    tags[a:b + 1] = [f"B-{kind}"] + [f"I-{kind}"] * (b - a)
        lowered = [t.lower() for t in tokens]
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                kind = self.lexicon.get(tuple(lowered[i:i + n]))
                if kind and all(t == "O" for t in tags[i:i + n]):
                    tags[i:i + n] = [f"B-{kind}"] + [f"I-{kind}"] * (n - 1)
                    i += n - 1
                    break
            i += 1
        return tags


# --------------------------------------------------------------------------- agreement
def entity_agreement(a: list[list[str]], b: list[list[str]]) -> float:
    """Entity-level F1 between two annotations of the same sentences (strict IOB2).

    Symmetric: swapping ``a`` and ``b`` swaps precision and recall but keeps F1.
    """
    from helpers.evaluate import entity_scores

    return float(entity_scores(a, b).loc["overall", "f1"])


def token_kappa(a: list[list[str]], b: list[list[str]]) -> float:
    """Cohen's kappa over tokens (entity type, B-/I- ignored): agreement beyond chance."""
    from sklearn.metrics import cohen_kappa_score

    flat_a = [t[2:] or "O" for sent in a for t in sent]
    flat_b = [t[2:] or "O" for sent in b for t in sent]
    if len(flat_a) != len(flat_b):
        raise ValueError("the two annotations cover different numbers of tokens")
    if len(set(flat_a) | set(flat_b)) == 1:
        return 1.0  # both used one label everywhere: perfect, if uninformative, agreement
    return float(cohen_kappa_score(flat_a, flat_b))
