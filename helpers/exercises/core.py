"""The "your turn" mechanism: the ``___`` placeholder, the registry, checking and revealing.

An exercise is a *reference solution* (a plain function, written as the learner would write
the answer: its body is what ``solution()`` reveals) and a *checker* that says what is wrong
with an answer. ``register`` puts them in ``REGISTRY`` under a key ``"NN.short_name"``, NN
being the notebook. The notebooks' own checks live in one module per notebook.

Imports: no helpers module (standard library only).
"""

from __future__ import annotations

import ast
import html
import inspect
import os
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class _Todo:
    """The placeholder a learner replaces. Falsy, and prints as ``___``.

    >>> ___, bool(___)
    (___, False)
    """

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
    reference: Callable[..., Any]  # the solution: computes the answer from the check's context
    example: Callable[[], dict] = dict  # builds a context to self-test the checker with
    wrong: list = field(default_factory=list)  # callables(**context) giving answers to reject

    def example_context(self) -> dict:
        """A context the reference and the checker can be called with (built when asked)."""
        return self.example()

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

    def solution_text(self) -> str:
        """The reference's code as a learner would type it (see ``solution_source``)."""
        return solution_source(self.reference)

    def solution(self) -> None:
        """Show the reference solution folded, so the learner clicks to reveal it."""
        code = html.escape(self.solution_text())
        _show(f"<details><summary>Show the solution to <b>{self.key}</b></summary>"
              f"<pre>{code}</pre></details>", "inherit")


def solution_source(function: Callable[..., Any]) -> str:
    """The body of ``function``, dedented: its comments and statements without the ``def``
    line, a docstring, or a final ``return name`` (the cell assigns that name instead).

    >>> def solve(lengths):
    ...     # padding is what the real tokens leave of 128 per sequence
    ...     share = 1 - sum(lengths) / (128 * len(lengths))
    ...     return share
    >>> print(solution_source(solve))
    # padding is what the real tokens leave of 128 per sequence
    share = 1 - sum(lengths) / (128 * len(lengths))
    """
    if function.__name__ == "<lambda>":
        raise TypeError(f"{function!r}: a reference solution must be a def, not a lambda")
    lines = textwrap.dedent(inspect.getsource(function)).splitlines()
    node = ast.parse("\n".join(lines)).body[0]
    start = node.lineno  # the line after ``def``, 0-based
    while not re.sub(r"#.*", "", lines[start - 1]).rstrip().endswith(":"):
        start += 1  # a signature over several lines
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        start, body = body[0].end_lineno, body[1:]
    end = body[-1].end_lineno
    if isinstance(body[-1], ast.Return) and isinstance(body[-1].value, ast.Name):
        end = body[-1].lineno - 1
    return textwrap.dedent("\n".join(lines[start:end])).strip("\n")


REGISTRY: dict[str, Exercise] = {}


def register(key: str, reference: Callable[..., Any],
             example: dict | Callable[[], dict] | None = None, wrong: list | None = None
             ) -> Callable[[Checker], Checker]:
    """Decorator: register ``checker`` as the exercise ``key`` (``"NN.short_name"``).

    ``reference`` is the solution, a ``def`` whose body the learner can reveal; it takes the
    same keyword context as the checker. ``example`` is a context to self-test with (a dict,
    or a function that builds one, e.g. by loading a dataset); each of ``wrong`` turns that
    context into a typical mistake the checker must reject.
    """
    build = example if callable(example) else (lambda: dict(example or {}))

    def wrap(checker: Checker) -> Checker:
        if key in REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        REGISTRY[key] = Exercise(key, checker, reference, build, wrong or [])
        return checker

    return wrap


def exercise(key: str) -> Exercise:
    """The registered exercise ``key``; a typo lists the keys that exist."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(REGISTRY))}") from None


def solutions_filled() -> bool:
    """True when unanswered exercises run their reference: in the smoke profile, or with
    ``$COURSE_SOLUTIONS=1`` (``0`` turns it off in any profile)."""
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
    print(html.unescape(re.sub(r"<[^>]+>", "", message)))


def close_enough(answer: Any, expected: float, rel: float = 0.02) -> bool:
    """Whether ``answer`` is a number within ``rel`` (relative) of ``expected``.

    >>> close_enough(2.81, 2.8082), close_enough(3, 2.8082), close_enough("a number", 2.8082)
    (True, False, False)
    """
    try:
        return abs(float(answer) - expected) <= rel * abs(expected)
    except (TypeError, ValueError):
        return False
