"""Checkers for notebooks/13_sequences.ipynb: backpropagation through time by hand.

Three exercises: one step of an RNN's backward pass (``check_rnn_step_backward``), the
gradient of a scalar RNN's loss through two steps (``check_two_step_gradient``), and why
clipping helps exploding gradients but not vanishing ones (``check_clipping_answer``).
Answers are compared with the library's ``RNN.backward`` on cases whose sizes all differ;
the classic mistakes (no tanh', tanh' of the wrong state or of tanh(h), W_hh not transposed,
h_t in place of h_{t-1}, a mean where a sum belongs, only the last step's term of a shared
weight) are recognised and named.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn.recurrent import RNN
from ._check import CheckResult, compare_arrays, correct, incorrect, not_attempted, run_answer

__all__ = [
    "CLIPPING_OPTIONS",
    "check_clipping_answer",
    "check_rnn_step_backward",
    "check_two_step_gradient",
    "rnn_step_reference",
    "two_step_reference",
]


# ---- 1. one step of BPTT ----

RTOL, ATOL = 1e-5, 1e-6  # float32 arithmetic passes; the mistakes differ by far more

TANH_TWICE = (
    "h is already tanh(a): tanh's slope is 1 - h**2, not 1 - np.tanh(h)**2 (that applies tanh "
    "a second time)"
)


def rnn_step_reference(dh, x, h_prev, W_xh, W_hh, b):
    """The right answer, from the library: RNN.backward on a one-step sequence from h_prev.

    Returns (dx, dh_prev, dW_xh, dW_hh, db) for h = tanh(x @ W_xh + h_prev @ W_hh + b).
    """
    D, H = W_xh.shape
    rnn = RNN(D, H, rng=0)
    rnn.W_xh.data[...], rnn.W_hh.data[...], rnn.b.data[...] = W_xh, W_hh, b
    rnn.forward(x[:, None, :], h_prev)
    dx = rnn.backward(None, dh)[:, 0]
    return dx, rnn.grad_h0, rnn.W_xh.grad, rnn.W_hh.grad, rnn.b.grad


def _step_case(rng, B, D, H):
    W_xh = rng.normal(0, 0.7, (D, H))
    W_hh = rng.normal(0, 0.7, (H, H))
    b = rng.normal(0, 0.3, H)
    x, h_prev = rng.normal(size=(B, D)), np.tanh(rng.normal(size=(B, H)))
    h = np.tanh(x @ W_xh + h_prev @ W_hh + b)
    dh = rng.normal(size=(B, H))
    return (dh, x, h_prev, h, W_xh, W_hh), b


def check_rnn_step_backward(rnn_step_backward: Callable) -> CheckResult:
    """Check ``rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh) -> (dx, dh_prev, dW_xh, dW_hh, db)``.

    One step of h = tanh(x @ W_xh + h_prev @ W_hh + b), given dh = dL/dh: shapes dh, h,
    h_prev (batch, hidden), x (batch, input); returns dx (batch, input), dh_prev
    (batch, hidden), dW_xh (input, hidden), dW_hh (hidden, hidden), db (hidden,).
    """
    for seed, (B, D, H) in [(1300, (5, 3, 4)), (1301, (3, 2, 6))]:
        case, b = _step_case(np.random.default_rng(seed), B, D, H)
        dh, x, h_prev, h, W_xh, W_hh = case
        value, problem = run_answer(
            rnn_step_backward, *(a.copy() for a in case), what="`rnn_step_backward`"
        )
        if problem is not None:
            return problem
        if not isinstance(value, (tuple, list)) or len(value) != 5:
            return incorrect(
                "`rnn_step_backward` should return five arrays: "
                "`return dx, dh_prev, dW_xh, dW_hh, db`"
            )
        dx, dh_prev, dW_xh, dW_hh, db = value
        ref = rnn_step_reference(dh, x, h_prev, W_xh, W_hh, b)
        da = dh * (1 - h**2)
        no_slope = "multiply by tanh's slope first: da = dh * (1 - h**2), then use da everywhere"
        wrong_state = (
            "tanh's slope belongs to this step's output: 1 - h**2 with h = h_t, not h_prev"
        )
        da_prev_state = dh * (1 - h_prev**2)
        da_twice = dh * (1 - np.tanh(h) ** 2)
        checks = [
            ("db", db, ref[4], {
                no_slope: dh.sum(axis=0),
                wrong_state: da_prev_state.sum(axis=0),
                TANH_TWICE: da_twice.sum(axis=0),
                "db adds the contributions of every example: da.sum(axis=0), not a mean (the "
                "loss's backward already divided by the batch size)": da.mean(axis=0),
            }),
            ("dW_xh", dW_xh, ref[2], {
                no_slope: x.T @ dh,
                wrong_state: x.T @ da_prev_state,
                TANH_TWICE: x.T @ da_twice,
            }),
            ("dW_hh", dW_hh, ref[3], {
                no_slope: h_prev.T @ dh,
                wrong_state: h_prev.T @ da_prev_state,
                TANH_TWICE: h_prev.T @ da_twice,
                "dW_hh multiplies what W_hh multiplied in the forward pass, the previous state: "
                "h_prev.T @ da, not h.T @ da": h.T @ da,
                "dW_hh has W_hh's shape and pairs h_prev's units (rows) with da's (columns): "
                "h_prev.T @ da, not da.T @ h_prev": da.T @ h_prev,
            }),
            ("dx", dx, ref[0], {
                no_slope: dh @ W_xh.T,
                wrong_state: da_prev_state @ W_xh.T,
                TANH_TWICE: da_twice @ W_xh.T,
            }),
            ("dh_prev", dh_prev, ref[1], {
                no_slope: dh @ W_hh.T,
                wrong_state: da_prev_state @ W_hh.T,
                TANH_TWICE: da_twice @ W_hh.T,
                "the gradient goes back through W_hh transposed: da @ W_hh.T (W_hh is square, "
                "so da @ W_hh has the right shape but the wrong values)": da @ W_hh,
            }),
        ]  # fmt: skip
        for name, answer, expected, mistakes in checks:
            result = compare_arrays(
                answer, expected, name=name, mistakes=mistakes, rtol=RTOL, atol=ATOL
            )
            if not result.correct:
                if result.status == "not attempted":
                    return incorrect(f"`rnn_step_backward` returned None for {name}")
                return result
    return correct(
        "correct! one step of BPTT is a layer's backward pass: through tanh (1 - h^2), then "
        "x.T @ da and h_prev.T @ da for the weights, da @ W.T back to the input and to h_prev"
    )


# ---- 2. two steps of a scalar RNN ----


def two_step_reference(x1, x2, h0, w, u) -> tuple[float, float]:
    """(dL/dw, dL/du) for h1 = tanh(w x1 + u h0), h2 = tanh(w x2 + u h1), L = h2 (library)."""
    rnn = RNN(1, 1, bias=False, rng=0)
    rnn.W_xh.data[...], rnn.W_hh.data[...] = w, u
    rnn.forward(np.array([[[x1], [x2]]], dtype=float), np.array([[h0]], dtype=float))
    rnn.backward(None, np.ones((1, 1)))
    return float(rnn.W_xh.grad[0, 0]), float(rnn.W_hh.grad[0, 0])


TWO_STEP_CASES = [(0.5, -1.0, 0.3, 0.8, 1.2), (1.5, 0.7, -0.6, -0.4, 0.9)]


def _one_number(value):
    """A number in a 1-element array or list ([0.3], np.array([0.3])) as the number itself."""
    try:
        return (
            np.reshape(value, ()) if np.size(value) == 1 and not isinstance(value, str) else value
        )
    except ValueError:  # a ragged list: compare_arrays says it is not numbers
        return value


def check_two_step_gradient(two_step_gradient: Callable) -> CheckResult:
    """Check ``two_step_gradient(x1, x2, h0, w, u) -> (dL_dw, dL_du)``.

    h1 = tanh(w x1 + u h0), h2 = tanh(w x2 + u h1), L = h2: every argument is a float and so
    is each answer.
    """
    for case in TWO_STEP_CASES:
        x1, x2, h0, w, u = case
        value, problem = run_answer(two_step_gradient, *case, what="`two_step_gradient`")
        if problem is not None:
            return problem
        if isinstance(value, np.ndarray) and value.shape == (2,):
            value = tuple(value)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return incorrect("`two_step_gradient` should return two numbers: `return dw, du`")
        dw, du = value
        ref_dw, ref_du = two_step_reference(*case)
        h1 = np.tanh(w * x1 + u * h0)
        h2 = np.tanh(w * x2 + u * h1)
        s2, s1 = 1 - h2**2, 1 - h1**2
        last_only = (
            "that is only the last step's term. w and u are used at *both* steps (one weight, "
            "shared), so their gradient adds a second term through h1: dL/dh1 = s2 * u, then "
            "times tanh's slope at step 1"
        )
        no_s1 = "the path through h1 passes tanh at step 1 too: multiply by (1 - h1**2)"
        no_u = "from h2 back to h1 the gradient is multiplied by u (h2 depends on u * h1)"
        swapped = "return them in the order dL/dw, dL/du"
        late = "tanh's slope at step 1 is taken at step 1's own output h1: 1 - h1**2, not 1 - h2**2"
        t2, t1 = 1 - np.tanh(h2) ** 2, 1 - np.tanh(h1) ** 2  # tanh applied to h once more
        for name, answer, expected, mistakes in [
            ("dL/dw", dw, ref_dw, {
                last_only: s2 * x2, no_s1: s2 * (x2 + u * x1), no_u: s2 * (x2 + s1 * x1),
                swapped: ref_du, late: s2 * (x2 + u * s2 * x1), TANH_TWICE: t2 * (x2 + u * t1 * x1),
            }),
            ("dL/du", du, ref_du, {
                last_only: s2 * h1, no_s1: s2 * (h1 + u * h0), no_u: s2 * (h1 + s1 * h0),
                swapped: ref_dw, late: s2 * (h1 + u * s2 * h0), TANH_TWICE: t2 * (h1 + u * t1 * h0),
            }),
        ]:  # fmt: skip
            if answer is None or answer is Ellipsis:
                return incorrect(f"`two_step_gradient` returned None for {name}")
            answer = _one_number(answer)
            result = compare_arrays(answer, expected, name=name, mistakes=mistakes)
            if not result.correct:
                return result
    return correct(
        "correct! a shared weight gets one term per step it is used in, and the gradients add "
        "up: that sum is all that 'through time' means"
    )


# ---- 3. why clipping helps explosions and not vanishing ----

CLIPPING_OPTIONS = {
    "a": "Clipping rescales each time step's gradient separately, so every step gets the same "
    "share again.",
    "b": "Clipping only ever shrinks the gradient, by one factor for all of it: a huge step "
    "becomes a step of bounded size, but a tiny contribution from the early steps stays tiny, "
    "and stays just as small next to the late steps' as it was.",
    "c": "Clipping also enlarges a gradient whose norm is below the threshold, so vanishing "
    "gradients are fixed too, but more slowly.",
    "d": "Clipping changes W_hh so that its scale is 1, which stops the gradient from exploding.",
}

_CLIPPING_HINTS = {
    "a": "no: clip_grad_norm computes one norm over all the gradients and multiplies all of "
    "them by the same factor min(1, max_norm / norm); the ratio between the steps' "
    "contributions does not change",
    "c": "no: the factor is min(1, max_norm / norm), never more than 1; a small gradient is "
    "left as it is",
    "d": "no: clipping changes the gradients, not the weights; the weights change only by the "
    "optimizer's (now smaller) step",
}


def check_clipping_answer(answer) -> CheckResult:
    """Check the letter chosen among ``CLIPPING_OPTIONS`` ("a" to "d", any case, "(b)", "b)").

    ``answer`` is the letter, or a function returning it (the notebook's form, so that the
    student edition's ``raise NotImplementedError()`` sits inside a function).
    """
    if callable(answer):
        answer, problem = run_answer(answer, what="`clipping_answer`")
        if problem is not None:
            return problem
    if answer is None or answer is Ellipsis:
        return not_attempted("`clipping_answer`")
    if not isinstance(answer, str):
        return incorrect(f"answer with one letter as a string, e.g. 'a'; got {answer!r}")
    letter = "".join(ch for ch in answer.lower() if ch.isalnum()).removeprefix("option")
    if letter not in CLIPPING_OPTIONS:
        return incorrect(f"answer with one of the letters a, b, c, d; got {answer!r}")
    if letter != "b":
        return incorrect(_CLIPPING_HINTS[letter])
    return correct(
        "correct! clipping caps the size of a step (the cure for explosions) but cannot create "
        "gradient that is not there: for vanishing gradients the cures change the path itself "
        "(the scale of W_hh, the nonlinearity, gated cells such as the LSTM)"
    )
