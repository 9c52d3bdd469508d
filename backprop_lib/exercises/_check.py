"""The shared machinery of the exercise checkers: results, stubs, numbers and array comparisons."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


def answer_of(answer, what: str):
    """A learner's answer, given as a value or as a function that returns it.

    The notebooks ask for answers as functions (``def z(): return ...``) so that a student
    copy's placeholder, ``raise NotImplementedError()``, can sit in the body without stopping
    the notebook. A function is called through ``run_answer``; anything else is the answer.
    Returns ``(value, None)`` or ``(None, CheckResult)``.
    """
    if callable(answer):
        return run_answer(answer, what=what)
    return answer, None


def as_number(value, name: str = "your answer") -> tuple[float | None, CheckResult | None]:
    """A learner's number as a float: ``(number, None)``, or ``(None, CheckResult)`` saying why not.

    Accepts what a learner writes for "a number": int, float, a numpy scalar (float32
    included), or an array or list holding exactly one number (``np.array([1.8])``). A stub
    (``None`` or ``...``) is "not attempted"; a string, a bool or several numbers are incorrect.
    NaN and inf come back as floats: the caller decides what they mean.
    """
    if value is None or value is Ellipsis:
        return None, not_attempted(name)
    if isinstance(value, (str, bytes)):
        return None, incorrect(f"{name} should be a number, not the string {value!r}")
    if isinstance(value, (bool, np.bool_)):
        return None, incorrect(f"{name} should be a number, got {value} (a bool)")
    if hasattr(value, "grad") and hasattr(value, "data") and not isinstance(value, np.ndarray):
        return None, incorrect(
            f"{name} is a {type(value).__name__}; give its number: .grad for a gradient, "
            ".data for a value"
        )
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, incorrect(f"{name} should be a number, got {type(value).__name__}")
    if arr.size != 1:
        return None, incorrect(f"{name} should be one number, got an array of shape {arr.shape}")
    return float(arr.reshape(())), None


def shape_of(value) -> tuple[int, ...] | None:
    """``np.shape(value)``, or None for something that is not an array (a ragged list...)."""
    try:
        return np.shape(value)
    except (TypeError, ValueError):
        return None


def distinct(a: float, b: float, digits: int = 4) -> tuple[str, str]:
    """``a`` and ``b`` as strings with at least ``digits`` significant digits, more if needed.

    Digits are added until the two strings differ, so a message never reads "you returned
    0.1818, expected 0.1818": ``distinct(0.18182, 2 / 11)`` gives ``("0.18182", "0.181818")``.
    Equal numbers give equal strings.
    """
    a, b = float(a), float(b)
    for d in range(digits, 18):
        text_a, text_b = f"{a:.{d}g}", f"{b:.{d}g}"
        if text_a != text_b:
            return text_a, text_b
    return repr(a), repr(b)


def as_given(value: float) -> str:
    """A learner's number as text that never reads like another: 7 for 7.0, 7.0000001 as is."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def hard_coded(result: CheckResult, case: int, sizes: Sequence[str], named=()) -> CheckResult:
    """``result`` on case number ``case``, with the likely cause added when it is a failure.

    Checkers try cases of different sizes in order; when case 0 passed and a later one fails
    in a way no named mistake (the hints in ``named``) explains, the usual cause is a size
    written into the code. ``sizes`` describes each case, e.g. ``["x (5, 3)", "x (4, 6)"]``.
    """
    if case == 0 or result.status != INCORRECT or result.message in named:
        return result
    return incorrect(
        f"{result.message}. Your function worked for {sizes[0]} but not for {sizes[case]}: "
        "are sizes hard-coded (a range(5), a fixed index)? Read them from the arrays "
        "(x.shape), or let a matrix product or a sum over an axis do the counting"
    )


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
    if isinstance(value, (str, bytes, bool, np.bool_)):
        return _INVALID
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    try:
        items = [v.item() if isinstance(v, np.generic) else v for v in value]
    except TypeError:
        return _INVALID
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return _INVALID  # 8.5, "8" or a nested tuple is not a size
    return tuple(items)


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
    if shapes is None or shapes is Ellipsis:
        return not_attempted(what)
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
