"""Checkers for notebooks/00_start_here.ipynb: a warm-up that shows how exercises work."""

from __future__ import annotations

from ._check import CheckResult, correct, incorrect, not_attempted

__all__ = ["check_warmup"]


def check_warmup(answer) -> CheckResult:
    """The weighted sum z = w * x + b for w = 2, x = 3, b = -1 (so z = 5)."""
    if answer is None or answer is Ellipsis:
        return not_attempted("`z`")
    try:
        z = float(answer)
    except (TypeError, ValueError):
        return incorrect(f"`z` should be a number, got {type(answer).__name__}")
    if z == 5:
        return correct("correct! z = 2 * 3 + (-1) = 5. This is how every check will look.")
    if z == 7:
        return incorrect("close: the bias is -1, so it is subtracted (2 * 3 - 1)")
    if z == 6:
        return incorrect("you have w * x; now add the bias b = -1")
    return incorrect(f"z = {z} is not w * x + b; multiply w by x first, then add b")
