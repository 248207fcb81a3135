""""Your turn" cells: specific feedback on an answer, and a solution the learner can reveal.

A notebook exercise is three lines::

    from helpers.exercises import ___, exercise
    minutes = ___                                  # ← your answer replaces ___
    exercise("00.epoch_minutes").check(minutes, samples_per_second=250.0)

``check`` says what is right or, when it is wrong, *what* is wrong ("you gave seconds, not
minutes"). ``exercise(...).solution()`` reveals the reference solution: the body of the
function that also computes the answer the checker expects. With ``COURSE_PROFILE=smoke``
(CI) an unanswered ``___`` is replaced by the reference solution, which must then pass its
own check, so CI exercises every checker.

The mechanism is in ``core``; each notebook's exercises are in the module named after it
(``nb00_setup`` for ``notebooks/00_setup.ipynb``, ...), imported here in course order.

Imports: no helpers module outside this package.
"""

from __future__ import annotations

from helpers.exercises import (  # noqa: F401
                               nb00_setup,
                               nb01_market_framing,
                               nb02_dataset_building,
                               nb03_tokenization_alignment,
                               nb04_finetune_ner,
                               nb05_evaluate_ner,
                               nb06_text_classification,
                               nb07_ship,
                               nb08_iterate,
)
from helpers.exercises.core import ___, exercise
from helpers.exercises.nb02_dataset_building import TAG_SENTENCE  # shown by notebook 02

__all__ = ["___", "exercise", "TAG_SENTENCE"]
