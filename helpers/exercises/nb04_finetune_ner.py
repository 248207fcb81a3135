"""Exercises of notebook 04 (fine-tuning): optimizer steps with gradient accumulation, and
where early stopping stops.

Both follow the training loop of ``helpers.train``: ``prepare`` counts batches rounded up, then
updates per ``grad_accum`` batches rounded up; ``History.record`` takes a new best only when it
beats the old one (a tie does not count), and ``fit`` stops after ``patience`` epochs without one.

Imports: no helpers module outside this package.
"""

from __future__ import annotations

import math
from typing import Any

from helpers.exercises.core import register


def solve_steps_per_epoch(sentences, batch_size, grad_accum):
    steps = math.ceil(math.ceil(sentences / batch_size) / grad_accum)  # batches, then updates
    return steps


@register(
    "04.steps_per_epoch",
    reference=solve_steps_per_epoch,
    example={"sentences": 1260, "batch_size": 16, "grad_accum": 4},
    wrong=[lambda sentences, batch_size, grad_accum: sentences // batch_size // grad_accum,
           lambda sentences, batch_size, grad_accum: math.ceil(sentences / batch_size),
           lambda sentences, batch_size, grad_accum: sentences / (batch_size * grad_accum)],
)
def check_steps_per_epoch(answer: Any, sentences: int, batch_size: int, grad_accum: int
                          ) -> str | None:
    """Optimizer updates in one epoch with gradient accumulation."""
    expected = solve_steps_per_epoch(sentences, batch_size, grad_accum)
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


def solve_early_stopping(dev_f1, patience):
    # Epochs 4 and 5 do not beat 0.84 (a tie is no improvement): stop after 5, keep epoch 3.
    best, kept, epochs_without_best = -1.0, 0, 0
    for epoch, f1 in enumerate(dev_f1, start=1):
        if f1 > best:
            best, kept, epochs_without_best = f1, epoch, 0
        else:
            epochs_without_best += 1
            if epochs_without_best >= patience:
                break
    answer = (epoch, kept)
    return answer


@register(
    "04.early_stopping",
    reference=solve_early_stopping,
    example={"dev_f1": [0.61, 0.79, 0.84, 0.83, 0.84, 0.86], "patience": 2},
    wrong=[lambda dev_f1, patience: (len(dev_f1), dev_f1.index(max(dev_f1)) + 1),
           lambda dev_f1, patience: (5, 5), lambda dev_f1, patience: (4, 3)],
)
def check_early_stopping(answer: Any, dev_f1: list, patience: int) -> str | None:
    """(epoch after which training stops, epoch whose checkpoint is kept)."""
    stop, best = solve_early_stopping(dev_f1, patience)
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
