"""The shared machinery of the exercise checkers: results, stubs, and array comparisons."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

NOT_ATTEMPTED = "not attempted"
CORRECT = "correct"
INCORRECT = "incorrect"
_ICONS = {NOT_ATTEMPTED: "[ ]", CORRECT: "[ok]", INCORRECT: "[x]"}


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise: ``status`` and a ``message`` for the learner.

    ``status`` is "not attempted", "correct" or "incorrect". Printing the result (or leaving it
    as a cell's last value) shows the message; ``bool(result)`` is True only when correct.
    """

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return f"{_ICONS[self.status]} {self.message}"

    def __repr__(self) -> str:
        return str(self)


def not_attempted(what: str = "this exercise") -> CheckResult:
    """The stub is still in place: say so, without judging."""
    return CheckResult(NOT_ATTEMPTED, f"not attempted yet: fill in {what}, then run the check")


def correct(message: str = "correct!") -> CheckResult:
    return CheckResult(CORRECT, message)


def incorrect(hint: str) -> CheckResult:
    return CheckResult(INCORRECT, hint)


class _NotAttempted(Exception):
    """Raised by run_answer when the learner's function is still a stub."""


def run_answer(fn: Callable, *args, what: str = "the function", **kwargs):
    """Call a learner's function; return ``(value, None)`` or ``(None, CheckResult)``.

    A stub that returns ``None``, ``...`` or raises ``NotImplementedError`` counts as not
    attempted; any other exception becomes an "incorrect" result that names it.
    """
    if not callable(fn):
        return None, incorrect(f"expected a function for {what}, got {type(fn).__name__}")
    try:
        value = fn(*args, **kwargs)
    except NotImplementedError:
        return None, not_attempted(what)
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a hint, not a traceback
        return None, incorrect(f"{what} raised {type(exc).__name__}: {exc}")
    if value is None or value is Ellipsis:
        return None, not_attempted(what)
    return value, None


def compare_arrays(
    answer,
    expected,
    *,
    name: str = "your answer",
    mistakes: Mapping[str, object] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    success: str | None = None,
) -> CheckResult:
    """Compare an answer with the expected array and explain the difference when it is wrong.

    ``mistakes`` maps a hint to the array a typical mistake produces (a missing transpose, a
    forgotten batch mean...): when the answer matches one, that hint is the message.
    """
    if answer is None or answer is Ellipsis:
        return not_attempted(name)
    try:
        a = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return incorrect(f"{name} should be numbers; got {type(answer).__name__}")
    e = np.asarray(expected, dtype=np.float64)
    for hint, wrong in (mistakes or {}).items():
        w = np.asarray(wrong, dtype=np.float64)
        if a.shape == w.shape and np.allclose(a, w, rtol=rtol, atol=atol):
            if not (a.shape == e.shape and np.allclose(a, e, rtol=rtol, atol=atol)):
                return incorrect(hint)
    if a.shape != e.shape:
        if a.shape == e.shape[::-1] and a.ndim == 2:
            return incorrect(
                f"{name} has shape {a.shape} but should be {e.shape}: transposed somewhere?"
            )
        return incorrect(f"{name} has shape {a.shape} but should have shape {e.shape}")
    if not np.all(np.isfinite(a)):
        return incorrect(f"{name} contains NaN or inf")
    if np.allclose(a, e, rtol=rtol, atol=atol):
        return correct(success or f"correct! {name} matches")
    if np.allclose(a, -e, rtol=rtol, atol=atol):
        return incorrect(f"{name} has the right size but the wrong sign")
    err = float(np.max(np.abs(a - e)))
    return incorrect(f"{name} has the right shape but differs by up to {err:.3g}")


_INVALID = object()  # a shape that is not a tuple of ints


def _as_shape(value):
    """A shape given as a tuple, list or int, as a tuple of ints (None if not filled in)."""
    if value is None or value is Ellipsis:
        return None
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    try:
        return tuple(int(v) for v in value)
    except (TypeError, ValueError):
        return _INVALID


def compare_shapes(
    shapes,
    expected: Mapping[str, tuple],
    hints: Mapping[str, Mapping[tuple, str]],
    *,
    what: str,
    example: str,
    fallback: Callable[[str, tuple], str],
    success: str,
) -> CheckResult:
    """Check a dict of shapes filled in by the learner, name by name, in ``expected``'s order.

    ``hints[name]`` maps a typical wrong shape to its explanation; any other wrong shape gets
    ``fallback(name, shape)``. ``what`` names the exercise for "not attempted yet" and
    ``example`` shows a well-formed shape, e.g. "(8, 3)".
    """
    if not isinstance(shapes, dict):
        keys = ", ".join(repr(k) for k in expected)
        return incorrect(f"expected a dict with keys {keys}; got {type(shapes).__name__}")
    given = {k: _as_shape(shapes.get(k)) for k in expected}
    if all(v is None for v in given.values()):
        return not_attempted(what)
    for key, want in expected.items():
        got = given[key]
        if got is None:
            return incorrect(f"fill in the shape of {key} too")
        if got is _INVALID:
            return incorrect(f"the shape of {key} should be a tuple of ints, like {example}")
        if got != want:
            return incorrect(f"{key}: {hints.get(key, {}).get(got) or fallback(key, got)}")
    return correct(success)
