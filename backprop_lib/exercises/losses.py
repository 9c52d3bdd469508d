"""Checkers for notebooks/06_loss_functions.ipynb: losses and the gradients they start.

Four exercises, each a function the learner writes:

- ``check_mse(mse_and_grad)``: the MSE of a batch and its gradient 2 (pred - target) / n;
- ``check_log_softmax(log_softmax)``: a log-softmax that stays finite for logits of 1000;
- ``check_softmax_ce_grad(softmax_ce_grad)``: dL/dz = (softmax(z) - onehot(y)) / N;
- ``check_loss_choice(choose_losses)``: the loss for each task of ``LOSS_TASKS``.

``report_gradcheck`` compares the learner's softmax-CE gradient with a numerical one. Each
checker runs on cases of different sizes (batches and classes that do not line up) and names
the usual mistakes: a sum for a mean, a missing factor 2, a hard-coded batch size, the wrong
sign, the wrong axis, a forgotten ``keepdims``, softmax followed by a naive log.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..instruments.gradcheck import rel_error
from ..nn.activations import softmax
from ..nn.losses import CrossEntropyLoss, MSELoss
from ._check import CheckResult, compare_arrays, correct, incorrect, not_attempted, run_answer

__all__ = [
    "LOSS_TASKS",
    "check_log_softmax",
    "check_loss_choice",
    "check_mse",
    "check_softmax_ce_grad",
    "report_gradcheck",
]

RTOL = 1e-5  # float32 arithmetic in a learner's answer is still right


def _close(a, b) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=1e-12))


def _as_array(value, name: str) -> tuple[np.ndarray | None, CheckResult | None]:
    try:
        return np.asarray(value, dtype=np.float64), None
    except (TypeError, ValueError):
        return None, incorrect(f"{name} should be an array of numbers, got {type(value).__name__}")


def _times(c: float) -> str:
    """A ratio near 1 with enough digits to show it is not 1 (1.00003, not 1)."""
    for digits in range(4, 12):
        text = f"{c:.{digits}g}"
        if abs(c - 1) < 1e-12 or float(text) != 1.0:
            return text
    return repr(c)


def _scale_hint(
    answer: np.ndarray, base: np.ndarray, factor: float, n: int, truth: str, half: str | None
) -> str | None:
    """If ``answer`` is ``base`` times a constant other than ``factor / n``, name the mistake.

    ``base`` is the unscaled gradient (``truth`` names it, e.g. "pred - target"), ``factor / n``
    its right scale; ``half`` is the hint for an answer of half the right size (or None).
    """
    if answer.shape != base.shape or not np.any(base):
        return None
    i = np.unravel_index(np.argmax(np.abs(base)), base.shape)
    c = float(answer[i] / base[i])
    if not (np.isfinite(c) and c != 0 and np.allclose(answer, c * base, rtol=RTOL, atol=1e-12)):
        return None
    want = factor / n
    if math.isclose(c, want, rel_tol=RTOL):
        return None
    if math.isclose(c, -want, rel_tol=RTOL):
        return (
            "the gradient has the wrong sign: the loss grows with the error, so the gradient "
            f"points along {truth}, not against it"
        )
    if math.isclose(c, factor, rel_tol=RTOL):
        return (
            f"the gradient is {factor:g} ({truth}) without the mean: divide by n = {n}, "
            "the number of values the loss averages over"
        )
    if half is not None and math.isclose(c, want / 2, rel_tol=RTOL):
        return half
    k = factor / c  # the count the answer divided by
    if abs(k - round(k)) < 1e-6 and round(k) >= 1:
        return (
            f"the gradient divides by {round(k)}, but this batch averages over n = {n} "
            "values: take n from the array, never a fixed number"
        )
    return (
        f"the gradient is {_times(c * n / factor)} x the right size; the mean over n = {n} "
        f"values gives {factor:g} ({truth}) / n"
    )


# ---- 1. MSE and its gradient ----


def _mse_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(61)
    return [
        (rng.normal(size=(5, 1)), rng.normal(size=(5, 1))),
        (rng.normal(size=(8, 3)), rng.normal(size=(8, 3))),
        (rng.normal(size=(3, 4)) * 2.0, rng.normal(size=(3, 4))),
        (rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))),  # "any shape": n = pred.size
        (rng.normal(size=7), rng.normal(size=7)),  # a vector has no second axis
    ]


def check_mse(mse_and_grad: Callable) -> CheckResult:
    """Check ``mse_and_grad(pred, target) -> (loss, grad)``.

    loss = mean((pred - target)^2) over all n = pred.size values (a number);
    grad = 2 (pred - target) / n, shaped like pred (as ``MSELoss`` gives).
    """
    for pred, target in _mse_cases():
        shape = f"pred of shape {pred.shape}"
        value, problem = run_answer(mse_and_grad, pred.copy(), target.copy(), what="`mse_and_grad`")
        if problem is not None and problem.status == "incorrect":
            return incorrect(f"{problem.message} (for {shape})")
        if problem is not None:
            return problem
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return incorrect(
                "return two things, the loss and its gradient: `return loss, grad` "
                f"(got {type(value).__name__})"
            )
        loss, grad = value
        if loss is None or grad is None or loss is Ellipsis or grad is Ellipsis:
            return not_attempted("`mse_and_grad` (both the loss and the gradient)")
        reference = MSELoss()
        want_loss = reference(pred, target)
        want_grad = reference.backward()
        diff = pred - target
        n, rows = diff.size, diff.shape[0]
        loss_arr, problem = _as_array(loss, "the loss")
        if problem is not None:
            return problem
        if loss_arr.size != 1:
            return incorrect(
                f"the loss should be one number (the mean over the batch), got an array of shape "
                f"{loss_arr.shape} for {shape}"
            )
        got = float(loss_arr.reshape(()))
        if not math.isclose(got, want_loss, rel_tol=RTOL):
            mistakes = {
                "that is the sum of the squared errors; MSE is their mean (divide by "
                "pred.size)": float(np.sum(diff**2)),
                f"that divides by the number of rows ({rows}); MSELoss averages over all "
                f"{n} values (pred.size)": float(np.sum(diff**2)) / rows,
                "that is the mean error, not the mean *squared* error (errors of opposite "
                "sign cancel)": float(np.mean(diff)),
                "that is the mean absolute error; square the errors instead": float(
                    np.mean(np.abs(diff))
                ),
                "that is the root of the MSE (RMSE); drop the square root": math.sqrt(want_loss),
                "that is half the MSE; the 1/2 is a convention of some textbooks, MSELoss "
                "(and torch's) has none": want_loss / 2,
            }
            for hint, wrong in mistakes.items():
                if math.isclose(got, wrong, rel_tol=RTOL):
                    return incorrect(f"{hint} (for {shape})")
            return incorrect(f"the loss is {got:.8g} for {shape}; expected {want_loss:.8g}")
        grad_arr, problem = _as_array(grad, "the gradient")
        if problem is not None:
            return problem
        half = "the gradient is half the right size: d/dpred (pred - target)^2 = 2 (pred - target)"
        hint = _scale_hint(grad_arr, diff, 2.0, n, "pred - target", half)
        if hint is not None:
            return incorrect(f"{hint} (for {shape})")
        result = compare_arrays(grad_arr, want_grad, name="the gradient", rtol=RTOL, atol=1e-12)
        if not result.correct:
            return incorrect(f"{result.message} (for {shape})")
    return correct(
        "correct! L = mean((pred - target)^2) and dL/dpred = 2 (pred - target) / n: "
        "each value's gradient shrinks with the batch, so the gradient of a shared weight "
        "(a sum over the batch) keeps its size"
    )


# ---- 2. a stable log-softmax ----


def _reference_log_softmax(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def _log_softmax_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(62)
    return [
        rng.normal(size=(4, 3)) * 3.0,
        rng.normal(size=(3, 5)) * 2.0,
        np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1001.0, -1003.0], [5.0, 5.0, 5.0]]),
        rng.normal(size=(4, 4)),  # square: a missing keepdims broadcasts silently here
    ]


def _log_softmax_mistakes(z: np.ndarray, want: np.ndarray) -> dict[str, np.ndarray]:
    """hint -> what a classic log-softmax mistake returns for z (those possible at its shape)."""
    m = z.max(axis=1, keepdims=True)
    m0 = z.max(axis=0, keepdims=True)
    lse = (z - want)[:, 0]  # (N,) each row's log-sum-exp
    mistakes = {
        "that is softmax(z) itself; the exercise wants its log": lambda: softmax(z, axis=1),
        "you subtracted each row's max but not the log of the sum: "
        "log softmax = z - m - log(sum(exp(z - m)))": lambda: z - m,
        "you subtracted the max inside the sum but did not add it back: "
        "log(sum(exp(z))) = m + log(sum(exp(z - m)))": lambda: (
            z - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        ),
        "that normalises each column (axis=0); the classes of one example are a row: "
        "use axis=1 (or -1)": lambda: z - m0 - np.log(np.exp(z - m0).sum(axis=0, keepdims=True)),
        "the row sums were broadcast along the wrong axis: (N, C) minus an (N,) array "
        "lines up with the columns. Keep the reduced axis: max(axis=1, keepdims=True), "
        "sum(axis=1, keepdims=True)": lambda: z - lse[None, :],
    }
    wrongs = {}
    for hint, make in mistakes.items():
        try:
            with np.errstate(all="ignore"):
                wrongs[hint] = make()
        except ValueError:  # this mistake cannot be made on this shape
            pass
    return wrongs


def check_log_softmax(log_softmax: Callable) -> CheckResult:
    """Check ``log_softmax(z) -> (N, C)``: log softmax(z) over each row, finite for huge z.

    log softmax(z)_ij = z_ij - m_i - log(sum_k exp(z_ik - m_i)), m_i = max_k z_ik.
    """
    for z in _log_softmax_cases():
        value, problem = run_answer(log_softmax, z.copy(), what="`log_softmax`")
        if problem is not None and "broadcast" in problem.message:
            return incorrect(
                f"{problem.message} (for z of shape {z.shape}): a max or sum over axis 1 "
                "without keepdims=True has shape (N,), which does not line up with (N, C)"
            )
        if problem is not None:
            return problem
        with np.errstate(all="ignore"):
            got, problem = _as_array(value, "log_softmax(z)")
        if problem is not None:
            return problem
        want = _reference_log_softmax(z)
        if got.shape != want.shape:
            return compare_arrays(got, want, name="log_softmax(z)")
        if not np.all(np.isfinite(got)):
            with np.errstate(all="ignore"):
                whole = z - z.max() - np.log(np.exp(z - z.max()).sum(axis=1, keepdims=True))
            if got.shape == whole.shape and np.allclose(got, whole, rtol=RTOL, equal_nan=True):
                return incorrect(
                    "subtract each row's own max, z.max(axis=1, keepdims=True), not the max of "
                    "the whole array: in a row far below the largest logit every exp(z - m) "
                    "underflows to 0, and log(0) = -inf"
                )
            return incorrect(
                "log_softmax(z) has inf or NaN for logits like "
                f"{np.array2string(z[0], precision=0)}: exp overflowed, or softmax "
                "underflowed to 0 before the log. Never take the log of a softmax: subtract "
                "each row's max m, then z - m - log(sum(exp(z - m)))"
            )
        if _close(got, want):
            continue
        mistakes = _log_softmax_mistakes(z, want)
        for hint, wrong in mistakes.items():
            if wrong.shape == got.shape and _close(got, wrong):
                return incorrect(hint)
        rows = np.exp(got).sum(axis=1)
        if not np.allclose(rows, 1.0, rtol=1e-6):
            return incorrect(
                "exp(log_softmax(z)) should sum to 1 along each row, got row sums "
                f"{np.array2string(rows, precision=6)}"
            )
        return compare_arrays(got, want, name="log_softmax(z)", rtol=RTOL, atol=1e-12)
    return correct(
        "correct! z - m - log(sum(exp(z - m))) never exponentiates a positive number, so "
        "logits of 1000 stay finite: what CrossEntropyLoss computes inside"
    )


# ---- 3. the softmax cross-entropy gradient ----


def _ce_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(63)
    cases = []
    for n, c in [(5, 3), (4, 6), (7, 2)]:
        z = rng.normal(size=(n, c)) * 2.0
        y = rng.integers(0, c, size=n)
        y[0] = c - 1  # every case has the last class at least once
        cases.append((z, y))
    return cases


def check_softmax_ce_grad(softmax_ce_grad: Callable) -> CheckResult:
    """Check ``softmax_ce_grad(z, y) -> (N, C)``: dL/dz of mean cross-entropy of softmax(z).

    z (N, C) logits, y (N,) int labels; the answer is (softmax(z) - onehot(y)) / N, what
    ``CrossEntropyLoss().backward()`` gives.
    """
    for z, y in _ce_cases():
        value, problem = run_answer(softmax_ce_grad, z.copy(), y.copy(), what="`softmax_ce_grad`")
        if problem is not None:
            return problem
        got, problem = _as_array(value, "softmax_ce_grad(z, y)")
        if problem is not None:
            return problem
        reference = CrossEntropyLoss()
        reference(z, y)
        want = reference.backward()
        n, c = z.shape
        p = softmax(z, axis=1)
        onehot = np.eye(c)[y]
        where = f"(for z of shape {z.shape})"
        if got.shape != want.shape:
            return incorrect(f"{compare_arrays(got, want, name='your gradient').message} {where}")
        if _close(got, want):
            continue
        if _close(got, (p - onehot) / (n * c)):
            return incorrect(
                f"that divides by N x C = {n * c}, the mean over every entry as MSELoss does; "
                f"cross-entropy averages over the N = {n} examples only {where}"
            )
        hint = _scale_hint(got, p - onehot, 1.0, n, "softmax(z) - onehot(y)", None)
        if hint is not None:
            return incorrect(f"{hint} {where}")
        columns = p.copy()
        columns[:, y] -= 1.0  # every row loses 1 in every column some label names
        mistakes = {
            "p[:, y] picks whole columns, so every row lost 1 in each class some example has; "
            "index each row's own class: p[np.arange(N), y] -= 1": columns / n,
            "that is softmax(z) / N: subtract the one-hot label, 1 at each example's true "
            "class (-1/(p_y) from the log times p_y(1 - p_y) from the softmax)": p / n,
            "that uses the logits z where the probabilities softmax(z) belong: (softmax(z) - "
            "onehot) / N": (z - onehot) / n,
            "that takes the softmax down each column (axis=0); the classes of one example are "
            "a row: softmax(z, axis=1)": (softmax(z, axis=0) - onehot) / n,
            "that is -onehot / (N p): dL/dp, the gradient with respect to the probabilities; "
            "chain it through the softmax Jacobian to get dL/dz = (p - onehot) / N": -onehot
            / (n * p),
        }
        for hint, wrong in mistakes.items():
            if _close(got, wrong):
                return incorrect(f"{hint} {where}")
        result = compare_arrays(got, want, name="your gradient", rtol=RTOL, atol=1e-12)
        return incorrect(f"{result.message} {where}")
    return correct(
        "correct! dL/dz = (softmax(z) - onehot(y)) / N: the predicted probabilities minus the "
        "truth, which is why the library fuses softmax and cross-entropy into one loss"
    )


def report_gradcheck(softmax_ce_grad: Callable, z, y, numeric) -> CheckResult:
    """Compare ``softmax_ce_grad(z, y)`` with a numerical gradient ``numeric`` (N, C).

    Says the relative error and what it means (below 1e-7 in float64: right).
    """
    value, problem = run_answer(softmax_ce_grad, np.array(z, dtype=np.float64), np.asarray(y),
                                what="`softmax_ce_grad`")  # fmt: skip
    if problem is not None:
        return problem
    got, problem = _as_array(value, "softmax_ce_grad(z, y)")
    if problem is not None:
        return problem
    numeric = np.asarray(numeric, dtype=np.float64)
    if got.shape != numeric.shape:
        return incorrect(f"your gradient has shape {got.shape}; the numerical one {numeric.shape}")
    err = rel_error(got, numeric)
    if err < 1e-7:
        return correct(
            f"relative error {err:.0e} (below 1e-7): your gradient agrees with the numerical one"
        )
    return incorrect(
        f"relative error {err:.1e}: above 1e-7 the analytic gradient is wrong somewhere "
        "(run check_softmax_ce_grad for a hint)"
    )


# ---- 4. choosing the loss ----

#: task -> description the notebook shows; the answer is one loss class name per task
LOSS_TASKS = {
    "house_price": "predict a house's sale price: one real number per house, from a linear "
    "output layer",
    "spam": "spam or not spam: one raw score (a logit) per email, no activation after it",
    "digit": "which digit 0-9 an image shows: ten raw scores (logits) per image",
    "rain": "rain tomorrow or not, from a network whose last layer is a Sigmoid (its output "
    "is already a probability)",
}
_ANSWERS = {
    "house_price": "MSELoss",
    "spam": "BCEWithLogitsLoss",
    "digit": "CrossEntropyLoss",
    "rain": "BCELoss",
}
_ALIASES = {
    "mse": "MSELoss", "mseloss": "MSELoss", "meansquarederror": "MSELoss",
    "l2": "MSELoss", "l2loss": "MSELoss",
    "bce": "BCELoss", "bceloss": "BCELoss",
    "bcewithlogits": "BCEWithLogitsLoss", "bcewithlogitsloss": "BCEWithLogitsLoss",
    "crossentropy": "CrossEntropyLoss", "crossentropyloss": "CrossEntropyLoss",
    "ce": "CrossEntropyLoss",
    "softmaxcrossentropy": "CrossEntropyLoss", "categoricalcrossentropy": "CrossEntropyLoss",
    "binarycrossentropy": "binary cross-entropy",
}  # fmt: skip
_NAMES = sorted(set(_ANSWERS.values()))
_HINTS = {
    ("house_price", "BCELoss"): "a price is not a probability: cross-entropy needs targets in "
    "[0, 1] (the library refuses others); a real-valued target takes MSELoss",
    ("house_price", "BCEWithLogitsLoss"): "a price is not a probability: cross-entropy needs "
    "targets in [0, 1] (the library refuses others); a real-valued target takes MSELoss",
    ("house_price", "CrossEntropyLoss"): "CrossEntropyLoss wants class labels; a price is a "
    "real number: MSELoss",
    ("spam", "MSELoss"): "MSE on a yes/no label learns slowly from confident mistakes (the "
    "sigmoid's slope multiplies its gradient) and does not give a likelihood; a logit and a "
    "0/1 label take BCEWithLogitsLoss",
    ("spam", "BCELoss"): "BCELoss wants probabilities, but this network outputs a raw score "
    "(any real number): BCEWithLogitsLoss applies the sigmoid inside, stably",
    ("spam", "CrossEntropyLoss"): "CrossEntropyLoss takes one logit per class (two here); "
    "with a single logit per email use BCEWithLogitsLoss",
    ("digit", "MSELoss"): "ten classes are not ten numbers to fit: MSE on one-hot targets "
    "learns slowly and gives no probabilities; ten logits take CrossEntropyLoss",
    ("digit", "BCELoss"): "binary cross-entropy is for two classes (or independent yes/no "
    "labels); one of ten classes takes CrossEntropyLoss (softmax + log, fused)",
    ("digit", "BCEWithLogitsLoss"): "BCEWithLogitsLoss treats each of the ten scores as its own "
    "yes/no question; exactly one of ten classes takes CrossEntropyLoss",
    ("rain", "BCEWithLogitsLoss"): "this network already ends in a Sigmoid: BCEWithLogitsLoss "
    "would apply a second one. On probabilities use BCELoss (better still: drop the Sigmoid "
    "layer and use BCEWithLogitsLoss on the logits)",
    ("rain", "MSELoss"): "MSE on a probability learns slowly from confident mistakes (the "
    "sigmoid's slope multiplies its gradient); a probability and a 0/1 label take BCELoss",
    ("rain", "CrossEntropyLoss"): "CrossEntropyLoss wants one logit per class; this network "
    "outputs one probability: BCELoss",
}


def _loss_name(answer) -> str | None:
    """A class, an instance or a string naming a loss, as a class name (None if unknown)."""
    if isinstance(answer, type):
        answer = answer.__name__
    elif not isinstance(answer, str):
        answer = type(answer).__name__
    key = answer.strip().removesuffix("()").split(".")[-1]
    key = "".join(ch for ch in key.lower() if ch.isalnum())
    return _ALIASES.get(key)


def check_loss_choice(choose_losses) -> CheckResult:
    """Check ``choose_losses() -> {task: loss}`` for every task in ``LOSS_TASKS``.

    A loss may be named as a string ("MSELoss", "mse", "bl.MSELoss()"), a class
    (``bl.MSELoss``) or an instance (``bl.MSELoss()``).
    """
    if callable(choose_losses):
        value, problem = run_answer(choose_losses, what="`choose_losses`")
        if problem is not None:
            return problem
    else:
        value = choose_losses
    if not isinstance(value, dict):
        return incorrect(
            f"return a dict task -> loss, with keys {list(LOSS_TASKS)}; got {type(value).__name__}"
        )
    if all(v is None or v is Ellipsis for v in value.values()):
        return not_attempted("`choose_losses`")
    for task in LOSS_TASKS:
        if task not in value or value[task] is None or value[task] is Ellipsis:
            return incorrect(f"choose a loss for {task!r} too: {LOSS_TASKS[task]}")
        name = _loss_name(value[task])
        if name == "binary cross-entropy":
            return incorrect(
                f"{task!r}: which binary cross-entropy? BCELoss (on probabilities) or "
                "BCEWithLogitsLoss (on logits): name the class"
            )
        if name is None:
            return incorrect(
                f"{task!r}: {value[task]!r} is not one of the library's losses; use one of "
                f"{', '.join(_NAMES)}"
            )
        if name != _ANSWERS[task]:
            hint = _HINTS.get((task, name), f"not {name}")
            return incorrect(f"{task!r}: {hint}")
    return correct(
        "correct! a real number: MSELoss; one logit for two classes: BCEWithLogitsLoss; a "
        "logit per class: CrossEntropyLoss; an output that is already a probability: BCELoss"
    )
