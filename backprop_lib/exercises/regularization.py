"""Checkers for notebooks/10_regularization.ipynb: penalties, dropout and early stopping.

Four exercises: the gradient of the L2 penalty (``check_l2_gradient``) and of the L1 penalty
(``check_l1_gradient``) with respect to a weight matrix, dropout's forward and backward pass
with a given mask (``check_dropout``), and the epoch early stopping gives back
(``check_early_stopping_epoch``). Each recognises the usual mistakes (the gradient of
lambda * ||W||^2 instead of lambda / 2 * ||W||^2, a mean instead of a sum, L1's and L2's
gradients swapped, sign(0) taken as +1, dropout without the 1 / (1 - p) scaling or scaled by
1 / p or by the mask's own fraction kept, p written in, W / |W| (0/0 at a zero weight), a
backward pass that forgets the mask, the global minimum instead of the best epoch seen before
stopping, an index counted from 0) and names them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..nn.losses import l1_penalty, l2_penalty
from ..nn.parameter import Parameter
from ._check import CheckResult, compare_arrays, correct, incorrect, not_attempted, run_answer

__all__ = [
    "DROPOUT_EXAMPLE",
    "check_dropout",
    "check_early_stopping_epoch",
    "check_l1_gradient",
    "check_l2_gradient",
    "reference_dropout",
    "reference_early_stopping_epoch",
]


def _weight_cases() -> list[tuple[np.ndarray, float]]:
    """Weight matrices of different shapes (one with exact zeros) and strengths."""
    rng = np.random.default_rng(10)
    a = rng.normal(size=(3, 4))
    a[0, 1] = a[2, 3] = 0.0  # exact zeros: where L1's gradient is 0
    b = rng.normal(size=(5, 2)) * 2.0
    b[4, 0] = 0.0
    c = rng.normal(size=(2, 7)) * 0.3
    return [(a, 0.1), (b, 0.03), (c, 1.5)]


def _check_penalty_gradient(fn: Callable, expected: Callable, mistakes: Callable, what: str,
                            success: str, at_zero: str | None = None) -> CheckResult:  # fmt: skip
    """Compare ``fn(W, lam)`` with ``expected(W, lam)`` on every case; ``at_zero`` is the hint
    for an answer right everywhere but NaN or inf exactly where W is 0 (a 0/0)."""
    for W, lam in _weight_cases():
        value, problem = run_answer(fn, W.copy(), lam, what=what)
        if problem is not None:
            return problem
        want = expected(W, lam)
        if at_zero is not None:
            try:
                got = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                got = None
            if got is not None and got.shape == W.shape:
                bad = ~np.isfinite(got)
                if (
                    np.any(bad)
                    and np.array_equal(bad, W == 0)
                    and np.allclose(got[~bad], want[~bad])
                ):
                    return incorrect(at_zero)
        result = compare_arrays(
            value, want, name=f"{what} for W of shape {W.shape}, λ = {lam}",
            mistakes=mistakes(W, lam), rtol=1e-6, atol=1e-12,
        )  # fmt: skip
        if not result.correct:
            return result
    return correct(success)


# ---- 1. the L2 penalty's gradient ----


def check_l2_gradient(l2_gradient: Callable) -> CheckResult:
    """Check ``l2_gradient(W, lam) -> dP/dW`` for P = lam / 2 * sum(W**2): it is lam * W.

    The reference is the library's ``l2_penalty``; the cases are matrices of three shapes.
    """

    def mistakes(W: np.ndarray, lam: float) -> dict[str, np.ndarray]:
        return {
            "that is the gradient of λ·ΣW² (2λW); the penalty here is λ/2·ΣW², whose 1/2 "
            "cancels the 2: the gradient is λW": 2 * lam * W,
            "that is the penalty's value per entry (λ/2·W²), not its derivative: "
            "d/dw (λ/2·w²) = λw": lam / 2 * W**2,
            "λ·sign(W) is the L1 penalty's gradient; the L2 penalty's is λW": lam * np.sign(W),
            "the penalty is a sum over the weights, not a mean: each weight's derivative is "
            "λw, with no division by their number": lam * W / W.size,
            "the gradient of the penalty is λW (only the data loss is averaged over the batch); "
            "do not divide by the number of rows": lam * W / W.shape[0],
            "the gradient has the shape of W, one entry per weight: λ * W, not a single "
            "number": np.full_like(W, lam * float(np.sum(W))),
            "that is W itself: the strength λ multiplies it, λW": W,
        }

    return _check_penalty_gradient(
        l2_gradient,
        lambda W, lam: l2_penalty([Parameter(W)], lam)[1][0],
        mistakes,
        "l2_gradient(W, lam)",
        "correct! dP/dW = λW: each step also shrinks every weight by a share lr·λ of itself "
        "(SGD's weight_decay does exactly this)",
    )


# ---- 2. the L1 penalty's gradient ----


def check_l1_gradient(l1_gradient: Callable) -> CheckResult:
    """Check ``l1_gradient(W, lam) -> dP/dW`` for P = lam * sum|W|: lam * sign(W), 0 at 0.

    The reference is the library's ``l1_penalty`` (torch's convention, sign(0) = 0); every
    case has entries that are exactly 0.
    """

    def mistakes(W: np.ndarray, lam: float) -> dict[str, np.ndarray]:
        return {
            "λW is the L2 penalty's gradient; the L1 penalty λ·Σ|w| has derivative λ·sign(w), "
            "the same size for every weight": lam * W,
            "that is λ|W|, the penalty per entry; its derivative is λ·sign(w)": lam * np.abs(W),
            "at w = 0 the gradient is taken as 0 (np.sign(0) = 0, as in the library and "
            "torch): a weight already at 0 is not pushed away from it": np.where(W >= 0, lam, -lam),
            "at w = 0 the gradient is taken as 0 (np.sign(0) = 0): a weight already at 0 is "
            "not pushed away from it": np.where(W > 0, lam, -lam),
            "the strength λ multiplies the sign: λ·sign(W)": np.sign(W),
            "the penalty is a sum over the weights, not a mean: no division by their number": (
                lam * np.sign(W) / W.size
            ),
            "sign(w)/|w| = 1/w is not the derivative of |w|; it is sign(w), with size 1": np.where(
                W == 0, 0.0, lam / np.where(W == 0, 1.0, W)
            ),
        }

    return _check_penalty_gradient(
        l1_gradient,
        lambda W, lam: l1_penalty([Parameter(W)], lam)[1][0],
        mistakes,
        "l1_gradient(W, lam)",
        "correct! dP/dW = λ·sign(W): the same pull of λ towards 0 for a small weight as for a "
        "large one, which is why L1 drives weights to zero and L2 does not",
        at_zero="W / |W| is 0/0 = NaN where a weight is exactly 0: use np.sign(W), which is "
        "sign(w) elsewhere and 0 at w = 0",
    )


# ---- 3. dropout's forward and backward pass with a given mask ----


def _dropout_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """(x, keep, grad_y, p): keep is the 0/1 mask (1 = kept), drawn with probability 1 - p."""
    rng = np.random.default_rng(3)
    cases = []
    for shape, p in [((4, 5), 0.5), ((6, 3), 0.2), ((2, 8), 0.75)]:
        x = rng.normal(size=shape)
        keep = (rng.random(shape) >= p).astype(float)
        keep.flat[0], keep.flat[1] = 1.0, 0.0  # at least one kept and one dropped
        cases.append((x, keep, rng.normal(size=shape), p))
    return cases


#: Exercise 3's small example: (x (2, 4), keep mask (2, 4), grad_y (2, 4), p = 0.5)
DROPOUT_EXAMPLE = (
    np.array([[1.0, -2.0, 3.0, 0.5], [-1.0, 4.0, 2.0, -0.5]]),
    np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]]),
    np.array([[0.1, 0.2, -0.3, 0.4], [0.5, -0.6, 0.7, 0.8]]),
    0.5,
)


def reference_dropout(x: np.ndarray, keep: np.ndarray, grad_y: np.ndarray, p: float):
    """Inverted dropout with a given 0/1 mask: (x * keep / (1 - p), grad_y * keep / (1 - p)),
    the equations of ``nn.layers.Dropout`` in training mode (the tests check they agree)."""
    scale = keep / (1.0 - p)
    return x * scale, grad_y * scale


def check_dropout(dropout_forward: Callable, dropout_backward: Callable) -> CheckResult:
    """Check ``dropout_forward(x, keep, p) -> y`` and ``dropout_backward(grad_y, keep, p) ->
    grad_x`` in training mode, with a given 0/1 mask ``keep`` (1 = kept): inverted dropout,
    y = x * keep / (1 - p) and grad_x = grad_y * keep / (1 - p).
    """
    for x, keep, grad_y, p in _dropout_cases():
        y_want, gx_want = reference_dropout(x, keep, grad_y, p)
        where = f"(shape {x.shape}, p = {p})"
        value, problem = run_answer(dropout_forward, x.copy(), keep.copy(), p,
                                    what="`dropout_forward`")  # fmt: skip
        if problem is not None:
            return problem
        forward_mistakes = {
            "dropout_forward: scale the kept units by 1 / (1 - p) (inverted dropout), so "
            "that E[y] = x and nothing changes at test time": x * keep,
            "dropout_forward: divide by the probability of *keeping* a unit, 1 - p, not by p": x
            * keep
            / p,
            "dropout_forward: multiplying by (1 - p) is the old, non-inverted scaling done at "
            "test time; in training, inverted dropout divides the kept units by (1 - p)": x
            * keep
            * (1 - p),
            "dropout_forward: keep == 1 marks the units that are *kept*; you zeroed those and "
            "kept the dropped ones": x * (1 - keep) / (1 - p),
            f"dropout_forward: p = 0.5 written in; use the argument p (this case passes p = {p})": x
            * keep
            / 0.5,
            "dropout_forward: divide by 1 - p, the probability of keeping a unit, not by the "
            "fraction this mask kept (keep.mean()): E[y] = x needs the probability": x
            * keep
            / keep.mean(),
        }
        result = compare_arrays(value, y_want, name=f"dropout_forward's output {where}",
                                mistakes=forward_mistakes)  # fmt: skip
        if not result.correct:
            return result
        value, problem = run_answer(dropout_backward, grad_y.copy(), keep.copy(), p,
                                    what="`dropout_backward`")  # fmt: skip
        if problem is not None:
            return problem
        backward_mistakes = {
            "dropout_backward: a dropped unit did not affect the output, so its gradient is "
            "0: multiply by the mask too": grad_y / (1 - p),
            "dropout_backward: the gradient passes through the same mask *and* the same "
            "scale 1 / (1 - p) as the forward pass": grad_y * keep,
            "dropout_backward: y = x * keep / (1 - p), so dy/dx = keep / (1 - p): divide by "
            "1 - p, not by p": grad_y * keep / p,
            "dropout_backward: the gradient with respect to x is grad_y * keep / (1 - p); "
            "that is the forward output": y_want,
            "dropout_backward: the gradient is 0 where a unit was dropped (keep == 0), not "
            "where it was kept": grad_y * (1 - keep) / (1 - p),
            "dropout_backward: returning grad_y unchanged is the eval-mode backward; in "
            "training the mask and the scale apply": grad_y,
            f"dropout_backward: p = 0.5 written in; use the argument p (this case passes "
            f"p = {p})": grad_y * keep / 0.5,
            "dropout_backward: divide by 1 - p, the probability of keeping a unit, not by the "
            "fraction this mask kept (keep.mean())": grad_y * keep / keep.mean(),
        }
        result = compare_arrays(value, gx_want, name=f"dropout_backward's gradient {where}",
                                mistakes=backward_mistakes)  # fmt: skip
        if not result.correct:
            return result
    return correct(
        "correct! the backward pass routes the gradient through the same mask and scale as the "
        "forward: dropped units get no gradient, kept ones get grad_y / (1 - p)"
    )


# ---- 4. the epoch early stopping gives back ----


def _stopping(val_losses, patience: int, strict: bool = True, extra: int = 0) -> tuple[int, int]:
    """(best epoch, epoch at which training stops) for early stopping on ``val_losses``;
    ``strict=False`` and ``extra=1`` are two classic misreadings of the rule."""
    best, best_epoch, wait, epoch = math.inf, 0, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best or (not strict and loss <= best):
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience + extra:
                break
    return best_epoch, epoch


def reference_early_stopping_epoch(val_losses, patience: int) -> int:
    """The epoch (from 1) that ``EarlyStopping(patience, min_delta=0, restore_best=True)``
    gives back for this sequence of validation losses.

    An epoch improves when its loss is strictly below the best so far; training stops after
    ``patience`` epochs in a row without improvement, and the best epoch seen until then is
    restored (if it never stops, the best of all of them).
    """
    return _stopping(val_losses, patience)[0]


def _stopping_cases() -> list[tuple[list[float], int]]:
    """Curves where the global minimum comes after the stop, with ties and early dips."""
    a = [0.9, 0.7, 0.6, 0.62, 0.61, 0.64, 0.66, 0.55, 0.5, 0.7]  # a later dip, never reached
    b = [1.0, 0.8, 0.7, 0.7, 0.72, 0.71, 0.73, 0.6]  # a tie at epoch 4
    rng = np.random.default_rng(4)
    t = np.arange(30)
    c = np.round(0.8 * np.exp(-t / 6) + 0.3 + 0.002 * t**1.5 + rng.normal(0, 0.01, 30), 4)
    c = [float(v) for v in c[:-1]] + [0.05]  # a late lucky epoch that stopping never sees
    d = [0.5, 0.4, 0.3, 0.2, 0.1]  # never stops: the last epoch is the best
    e = [0.8, 0.5, 0.6, 0.7, 0.4, 0.9]  # one epoch more patience would reach epoch 5
    return [(a, 3), (b, 3), (c, 5), (a, 6), (d, 2), (e, 2)]


def _call(fn: Callable, *args, what: str):
    """Call a learner's function after the first case: None is an answer here, not a stub."""
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, not_attempted(what)
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a hint
        return None, incorrect(f"{what} raised {type(exc).__name__}: {exc}")


def check_early_stopping_epoch(early_stopping_epoch: Callable) -> CheckResult:
    """Check ``early_stopping_epoch(val_losses, patience) -> int``, the epoch (counted from
    1) whose parameters early stopping restores (``reference_early_stopping_epoch``)."""
    what = "`early_stopping_epoch`"
    for k, (losses, patience) in enumerate(_stopping_cases()):
        run = run_answer if k == 0 else _call
        value, problem = run(early_stopping_epoch, list(losses), patience, what=what)
        if problem is not None:
            return problem
        if value is None:
            return incorrect(
                f"early_stopping_epoch(..., patience={patience}) returned None for the losses "
                f"{losses}; return an epoch number (when training never stops, the best epoch "
                "of the whole run)"
            )
        try:
            got = float(np.asarray(value, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            return incorrect(
                f"return one epoch number (an int), got {type(value).__name__} {value!r}"
            )
        want, stop = _stopping(losses, patience)
        if got == want:
            continue
        if got == losses[want - 1]:
            return incorrect(
                f"that is the best validation *loss* ({got}); return its epoch number, counted "
                "from 1"
            )
        overall = int(np.argmin(losses)) + 1
        mistakes = [
            (want - 1, "epochs are counted from 1 here (the History's first entry is epoch "
                       "1); you returned a 0-based index"),
            (stop, "that is the epoch at which training *stops*; early stopping then restores "
                   "the parameters of the best epoch before it"),
            (_stopping(losses, patience, strict=False)[0],
             "an epoch improves only if its loss is *strictly* lower than the best so far: a "
             "tie does not reset the patience, and the earlier epoch is kept"),
            (_stopping(losses, patience, extra=1)[0],
             "training stops once `patience` epochs in a row have not improved (wait >= "
             "patience), not after one more"),
            (overall, "that is the lowest loss of the whole list; training stopped before "
                      "reaching it, after `patience` epochs without improvement, so only the "
                      "epochs up to the stop count"),
            (overall - 1, "that is a 0-based index of the lowest loss of the whole list; "
                          "count epochs from 1, and only up to where training stops"),
        ]  # fmt: skip
        for wrong, hint in mistakes:
            if got == wrong:
                return incorrect(f"{hint} (patience {patience}, losses {losses})")
        return incorrect(
            f"early_stopping_epoch(..., patience={patience}) returned {value!r}; early "
            f"stopping gives back epoch {want} for the losses {losses}"
        )
    return correct(
        "correct! the best epoch seen before patience ran out: the test loss's minimum as far "
        "as training went, which is where EarlyStopping(restore_best=True) puts the weights back"
    )
