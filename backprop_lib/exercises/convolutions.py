"""Checkers for notebooks/11_convolutions.ipynb: output sizes, a 1-D backward, max-pool routing.

Three exercises, each a function the learner writes:

- ``output_size(size, kernel, stride, padding)``: (size + 2 padding - kernel) // stride + 1
  (``check_output_size``);
- ``conv1d_backward(x, w, dy) -> (dx, dw)`` for the valid 1-D cross-correlation
  y[i] = sum_u w[u] x[i + u] (``check_conv1d_backward``);
- ``maxpool_backward(x, dy)`` for 2x2 max pooling with stride 2 on one (H, W) image
  (``check_maxpool_backward``).

Each checker runs the function on several cases of different sizes (whose numbers do not line
up by accident) and names the classic mistakes: a forgotten + 1 or padding, a kernel not
flipped, a "valid" instead of a "full" convolution, a loop one output position short, the
gradient spread over the window or given to every tied maximum, a window count written in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._check import CheckResult, as_given, compare_arrays, correct, incorrect, run_answer

__all__ = [
    "CONV1D_CASES",
    "MAXPOOL_CASES",
    "OUTPUT_SIZE_CASES",
    "check_conv1d_backward",
    "check_maxpool_backward",
    "check_output_size",
    "conv1d_forward",
]


# ---- 1. output sizes ----

#: (size, kernel, stride, padding): every one tiles exactly, and the mistakes differ on them.
OUTPUT_SIZE_CASES = [(8, 3, 1, 0), (8, 3, 1, 1), (9, 3, 2, 1), (32, 5, 3, 0), (7, 7, 1, 0),
                     (10, 4, 2, 3), (28, 5, 1, 2)]  # fmt: skip

_SIZE_MISTAKES: dict[str, Callable[[int, int, int, int], float]] = {
    "you forgot the + 1: a kernel as large as the input still fits once": lambda n, k, s, p: (
        (n + 2 * p - k) // s
    ),
    "the padding is added on both sides: n + 2 * padding": lambda n, k, s, p: (n + p - k) // s + 1,
    "you left out the padding: zeros added around the input make room for more windows": (
        lambda n, k, s, p: (n - k) // s + 1
    ),
    "divide by the stride: the window moves `stride` pixels at a time": lambda n, k, s, p: (
        n + 2 * p - k + 1
    ),
    "the + 1 comes after the division: (n + 2p - k) // stride + 1": lambda n, k, s, p: (
        (n + 2 * p - k + 1) // s
    ),
    "subtract the kernel size: a window must fit entirely inside the padded input": (
        lambda n, k, s, p: (n + 2 * p) // s + 1
    ),
}


def check_output_size(output_size: Callable) -> CheckResult:
    """Check ``output_size(size, kernel, stride, padding)`` on ``OUTPUT_SIZE_CASES``."""
    got = []
    for case in OUTPUT_SIZE_CASES:
        value, problem = run_answer(output_size, *case, what="`output_size`")
        if problem is not None:
            return problem
        try:
            value = float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            return incorrect(f"output_size{case} should be one number, got {value!r}")
        got.append(value)
    want = [(n + 2 * p - k) // s + 1 for n, k, s, p in OUTPUT_SIZE_CASES]
    if got == want:  # an int-valued float (from / instead of //) is accepted too
        return correct(
            "correct! (n + 2p - k) // stride + 1: e.g. an 8x8 digit with a 3x3 kernel and "
            "padding 1 stays 8x8 ('same' padding), without padding it shrinks to 6x6"
        )
    for hint, formula in _SIZE_MISTAKES.items():
        if got == [formula(*case) for case in OUTPUT_SIZE_CASES]:
            return incorrect(hint)
    i = next(i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b)
    n, k, s, p = OUTPUT_SIZE_CASES[i]
    return incorrect(
        f"output_size({n}, {k}, {s}, {p}) gave {as_given(got[i])}, expected {want[i]}: count the "
        f"positions of a {k}-wide window stepping by {s} over {n} pixels padded by {p} on each side"
    )


# ---- 2. the backward of a 1-D convolution ----

RTOL, ATOL = 1e-5, 1e-6  # float32 arithmetic passes; the mistakes differ by 0.01 or more


def conv1d_forward(x, w) -> np.ndarray:
    """The valid 1-D cross-correlation: y[i] = sum_u w[u] x[i + u], len(y) = len(x) - len(w) + 1."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    return np.correlate(x, w, mode="valid")


def _case(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 2)
    w = np.round(rng.normal(size=k), 2)
    dy = np.round(rng.normal(size=n - k + 1), 2)
    return x, w, dy


#: (x, w, dy) triples of different lengths; dy has the length of y = conv1d_forward(x, w).
CONV1D_CASES = [_case(5, 3, 1), _case(9, 4, 2), _case(7, 2, 3)]


def _shape(value) -> tuple | None:
    """The shape of a learner's array or nested list; None for a ragged one."""
    try:
        return np.shape(value)
    except ValueError:
        return None


def check_conv1d_backward(conv1d_backward: Callable) -> CheckResult:
    """Check ``conv1d_backward(x, w, dy) -> (dx, dw)`` for y = conv1d_forward(x, w).

    dw[u] = sum_i dy[i] x[i + u] (the correlation of x with dy, len(w) entries);
    dx[h] = sum_u dy[h - u] w[u] (dy zero-padded by len(w) - 1, correlated with w flipped:
    the full convolution, len(x) entries).
    """
    for x, w, dy in CONV1D_CASES:
        k = len(w)
        short = {}  # a loop over the output positions that misses one end: dy with a 0 there
        for end, at in (("last", -1), ("first", 0)):
            cut = dy.copy()
            cut[at] = 0.0
            short[
                f"the loop over output positions misses the {end} output position: i runs "
                f"over every entry of dy, range(len(x) - len(w) + 1) (here {len(dy)} of them)"
            ] = (np.convolve(cut, w, mode="full"), np.correlate(x, cut, mode="valid"))
        value, problem = run_answer(
            conv1d_backward, x.copy(), w.copy(), dy.copy(), what="`conv1d_backward`"
        )
        if problem is not None:
            return problem
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return incorrect(
                f"return two arrays, (dx, dw); got {type(value).__name__}"
                + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else "")
            )
        dx, dw = value
        want_dw = np.correlate(x, dy, mode="valid")  # (k,)
        want_dx = np.convolve(dy, w, mode="full")  # (n,)
        if _shape(dx) == want_dw.shape and _shape(dw) == want_dx.shape:
            return incorrect("dx and dw are swapped: return (dx, dw), dx shaped like x")
        result = compare_arrays(
            dw,
            want_dw,
            name="dw",
            rtol=RTOL,
            atol=ATOL,
            mistakes={
                "dw is reversed: dw[u] = sum_i dy[i] * x[i + u] slides dy over x without "
                "flipping it (np.correlate(x, dy, 'valid'))": want_dw[::-1],
                "dw[u] sums over every output position i: dy[i] times the input x[i + u] that "
                "w[u] multiplied there": np.array([dy.sum() * x[u] for u in range(k)]),
                **{hint: wrong_dw for hint, (_, wrong_dw) in short.items()},
            },
        )
        if not result.correct:
            return result
        n = len(x)
        result = compare_arrays(
            dx,
            want_dx,
            name="dx",
            rtol=RTOL,
            atol=ATOL,
            mistakes={
                "dx needs the kernel *flipped*: x[h] met w[u] in output y[h - u], so "
                "dx[h] = sum_u dy[h - u] w[u], a full convolution (np.convolve(dy, w))": (
                    np.correlate(np.pad(dy, k - 1), w, mode="valid")
                ),
                **{hint: wrong_dx for hint, (wrong_dx, _) in short.items()},
            },
        )
        if not result.correct:
            if _shape(dx) == (n - 2 * (k - 1),):
                return incorrect(
                    f"dx has {n - 2 * (k - 1)} entries but x has {n}: that is a 'valid' "
                    f"convolution; pad dy with {k - 1} zeros on each side (a 'full' one) so "
                    "every pixel of x gets its gradient"
                )
            return result
    return correct(
        "correct! dw is the correlation of the input with dy, and dx the full convolution of dy "
        "with the kernel, i.e. a correlation with the kernel flipped: the same rule as Conv2d"
    )


# ---- 3. max-pool routing ----

#: Images (H, W) with their upstream gradients (H/2, W/2), with tied maxima in some windows;
#: heights and widths all differ, so a window count written in fails on one of them.
MAXPOOL_CASES = [
    (
        np.array(
            [[1.0, 3.0, 2.0, 2.0], [3.0, 0.0, 1.0, 0.0], [4.0, 1.0, 0.0, 5.0], [2.0, 4.0, 5.0, 1.0]]
        ),  # fmt: skip
        np.array([[0.5, -1.0], [2.0, 1.5]]),
    ),
    (  # 6 x 2: one window across, negative values, ties along the diagonals
        np.array([[-1.0, -3.0], [-2.0, -1.0], [0.5, 2.0], [2.0, 0.5], [-4.0, -2.0], [-3.0, -5.0]]),
        np.array([[1.5], [-0.75], [2.5]]),
    ),
    (  # 2 x 6: one window down, a tie in every window
        np.array([[0.0, 2.0, 7.0, 1.0, 1.0, 1.0], [2.0, 1.0, 6.0, 7.0, 0.0, 1.0]]),
        np.array([[1.0, -2.0, 3.0]]),
    ),
]


def _route(x, dy, pick):
    """dx for 2x2 / stride 2 max pooling, each window's gradient given by ``pick``."""
    dx = np.zeros_like(x)
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            win = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            dx[2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = pick(win, dy[i, j])
    return dx


def _first_max(win, g):
    out = np.zeros_like(win)
    out.flat[np.argmax(win)] = g  # the first maximum in row-major order
    return out


def _last_max(win, g):
    out = np.zeros_like(win)
    flat = win.reshape(-1)
    out.flat[len(flat) - 1 - np.argmax(flat[::-1])] = g
    return out


def _windows_missed(value, want: np.ndarray, dy: np.ndarray) -> list[tuple[int, int]]:
    """The windows (i, j) left at 0 by an answer that is right everywhere else, if any."""
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return []
    if got.shape != want.shape or np.allclose(got, want):
        return []
    missed = []
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            a = got[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            b = want[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            if not np.allclose(a, b):
                if np.any(a):
                    return []  # a wrong value, not a missing window
                missed.append((i, j))
    return missed


def check_maxpool_backward(maxpool_backward: Callable) -> CheckResult:
    """Check ``maxpool_backward(x, dy) -> dx`` for 2x2 max pooling with stride 2.

    Each dy[i, j] goes to the maximum of window (i, j) (ties: the first in row-major order,
    as the library and torch do); every other pixel gets 0.
    """
    for x, dy in MAXPOOL_CASES:
        value, problem = run_answer(
            maxpool_backward, x.copy(), dy.copy(), what="`maxpool_backward`"
        )
        if problem is not None and ("IndexError" in problem.message or "empty" in problem.message):
            return incorrect(
                f"{problem.message} (for x of shape {x.shape}, dy of shape {dy.shape}): loop "
                "over the windows dy has, range(dy.shape[0]) and range(dy.shape[1])"
            )
        if problem is not None:
            return problem
        want = _route(x, dy, _first_max)
        missed = _windows_missed(value, want, dy)
        if missed:
            return incorrect(
                f"window(s) {', '.join(map(str, missed))} of x {x.shape} got no gradient: "
                f"loop over every window, range(dy.shape[0]) and range(dy.shape[1]) "
                f"({dy.shape[0]} x {dy.shape[1]} here), not a number written in"
            )
        result = compare_arrays(
            value,
            want,
            name="dx",
            mistakes={
                "that is average pooling's backward (dy / 4 on every pixel); max pooling sends "
                "all of dy to the one pixel that was the maximum": _route(
                    x, dy, lambda w, g: np.full_like(w, g / 4)
                ),
                "every pixel of a window got dy; only the maximum changed the output, so only it "
                "gets the gradient": _route(x, dy, lambda w, g: np.full_like(w, g)),
                "with tied maxima, give the gradient to one of them only: the first in row-major "
                "order (np.argmax's choice, and torch's), not to each": _route(
                    x, dy, lambda w, g: np.where(w == w.max(), g, 0.0)
                ),
                "on a tie you chose the last maximum; the library and torch take the first in "
                "row-major order (what np.argmax returns)": _route(x, dy, _last_max),
                "the gradient goes to the window's maximum, not its minimum": _route(
                    x, dy, lambda w, g: _first_max(-w, g)
                ),
            },
        )
        if not result.correct:
            if _shape(value) == dy.shape:
                return incorrect(
                    f"dx has the shape of dy {dy.shape}; it must have the shape of x {x.shape}: "
                    "one gradient per input pixel"
                )
            return result
    return correct(
        "correct! each window's gradient goes to its arg-max, every other pixel gets 0: "
        "max pooling has no parameters, it only routes"
    )
