"""Argument checks the dashboards share (the core's are in ``backprop_lib.checks``)."""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_number

__all__ = ["check_rate", "check_rate_range"]


def check_rate_range(lr_range, what: str = "lr_range") -> tuple[float, float]:
    """``(low, high)`` with 0 < low < high, both finite: a log slider's range of rates."""
    try:
        low, high = (float(v) for v in lr_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what} must be (low, high) with 0 < low < high, got {lr_range!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        raise ValueError(f"{what} must be (low, high) with 0 < low < high, got {lr_range}")
    return low, high


def check_rate(lr, lr_range, what: str = "lr") -> float:
    """A learning rate inside the slider's range ``lr_range``, as a float.

    A NaN, an infinity, a rate <= 0 or one outside the range is refused with a message that
    names the range (a slider would otherwise move a value outside it to its end, silently).
    """
    low, high = lr_range
    value = check_number(lr, what, default=0.1)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"{what} must be a positive, finite learning rate, got {lr!r}; "
            f"pick one in [{low:g}, {high:g}], e.g. 0.1"
        )
    if not low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
        raise ValueError(
            f"{what} = {value:g} is outside the slider's range [{low:g}, {high:g}]; pick a rate "
            f"inside it, or widen the range with lr_range=({min(low, value):g}, "
            f"{max(high, value):g})"
        )
    return value
