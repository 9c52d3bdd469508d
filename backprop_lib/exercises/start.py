"""Checkers for notebooks/00_start_here.ipynb: a warm-up that shows how exercises work."""

from __future__ import annotations

import math

from ._check import CheckResult, answer_of, as_number, correct, incorrect

__all__ = ["check_warmup"]


def check_warmup(answer) -> CheckResult:
    """The weighted sum z = w * x + b for w = 2, x = 3, b = -1 (so z = 5).

    ``answer`` is a number (an int, a float, a numpy number or an array holding one number).
    """
    answer, problem = answer_of(answer, "`z`")
    if problem is not None:
        return problem
    z, problem = as_number(answer, "`z`")
    if problem is not None:
        return problem
    w, x, b = 2, 3, -1
    mistakes = {
        "close: the bias is -1, so it is subtracted (2 * 3 - 1)": w * x - b,
        "you have w * x; now add the bias b = -1": w * x,
        "that adds w, x and b (or multiplies w by x + b); a neuron multiplies the input by its "
        "weight first, w * x, then adds the bias": w + x + b,
        "the bias is added after the product, not multiplied: z = w * x + b": w * x * b,
    }
    if math.isclose(z, w * x + b):
        return correct("correct! z = 2 * 3 + (-1) = 5. This is how every check will look.")
    for hint, wrong in mistakes.items():
        if math.isclose(z, wrong):
            return incorrect(hint)
    return incorrect(f"z = {z:g} is not w * x + b; multiply w by x first, then add b")
