"""Planted bugs: a small network with one classic backward-pass mistake, for a bug hunt.

Each bug is one wrong line in an otherwise correct layer or loss: a missing transpose, a
forgotten bias gradient, a flipped sign, a gradient overwritten instead of added, a batch
mean forgotten in the loss. ``make_patient(bug)`` plants it in a fixed little network (the
"patient"), and ``check_patient`` runs a gradient check on it that prints one relative error
per parameter. Each bug leaves a different pattern in those errors, so the pattern tells which
line is broken. Used by the bug hunt of notebooks/03_backward_pass.ipynb and its widget
(``backprop_lib.widgets.bughunt.BugHunt``).

The check accumulates gradients over two micro-batches (backward twice, then compare), as
training with gradient accumulation does: a layer that *overwrites* ``.grad`` instead of adding
to it passes a check with a single backward call, and is caught only when gradients accumulate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import as_rng, check_grad, same_shape
from ..nn.activations import Tanh
from ..nn.layers import Layer, Linear, Sequential
from ..nn.losses import Loss, MSELoss
from ..nn.parameter import Parameter
from .gradcheck import numerical_gradient, rel_error

__all__ = [
    "BUGS",
    "BUG_KEYS",
    "GOOD",
    "MAX_SEED",
    "WRONG",
    "Bug",
    "CheckReport",
    "MissingTransposeLinear",
    "NoBiasGradLinear",
    "OverwritingLinear",
    "SumMSELoss",
    "WrongSignLinear",
    "check_patient",
    "guess_feedback",
    "make_patient",
    "mystery_bug",
    "patient_data",
    "verdict",
]

#: Below this relative error (float64) a gradient is right.
GOOD = 1e-7
#: Above this relative error a gradient is wrong; in between: look closer.
WRONG = 1e-2
#: Seeds 0..MAX_SEED are the patients the widget offers; the tests check every one of them
#: (healthy: all errors < GOOD). Other seeds work too, but on a rare seed an entry whose
#: gradient is nearly 0 can show a healthy error just above 1e-7.
MAX_SEED = 99


# ---- the broken layers: each is Linear with one line of its backward changed ----


class _BuggyLinear(Linear):
    """A ``Linear`` whose backward has one deliberate mistake (forward is untouched)."""

    def _upstream(self, grad_y) -> tuple[np.ndarray, np.ndarray]:
        x = self._x
        self._need_forward(x)
        return x, check_grad(grad_y, (x.shape[0], self.out_features), type(self).__name__)


class MissingTransposeLinear(_BuggyLinear):
    """Bug: dx = dy @ W instead of dy @ W.T.

    With a non-square W the shapes do not fit and numpy raises, which is why the bug survives
    only in a square layer (in_features == out_features): shapes alone cannot catch it there.
    dW and db are right, so the error shows up in the layers *before* this one.
    """

    def __init__(self, in_features: int, out_features: int, **kwargs):
        if in_features != out_features:
            raise ValueError(
                f"MissingTransposeLinear({in_features}, {out_features}): a missing transpose "
                "only runs silently when W is square; use in_features == out_features"
            )
        super().__init__(in_features, out_features, **kwargs)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x, dy = self._upstream(grad_y)
        self.W.grad += x.T @ dy  # (in, out)
        self.b.grad += dy.sum(axis=0)  # (out,)
        return dy @ self.W.data  # BUG: should be dy @ W.T


class NoBiasGradLinear(_BuggyLinear):
    """Bug: db is never computed, so b.grad stays at zero."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x, dy = self._upstream(grad_y)
        self.W.grad += x.T @ dy  # (in, out)
        # BUG: missing  self.b.grad += dy.sum(axis=0)
        return dy @ self.W.data.T  # (batch, in)


class WrongSignLinear(_BuggyLinear):
    """Bug: dW = -(x.T @ dy), the sign flipped (as when a minus of the update leaks in)."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x, dy = self._upstream(grad_y)
        self.W.grad -= x.T @ dy  # BUG: should be +=
        self.b.grad += dy.sum(axis=0)  # (out,)
        return dy @ self.W.data.T  # (batch, in)


class OverwritingLinear(_BuggyLinear):
    """Bug: W.grad and b.grad are overwritten (=) instead of added to (+=).

    Harmless while every parameter gets exactly one contribution between ``zero_grad`` calls;
    wrong as soon as gradients accumulate (two backward calls, a shared weight).
    """

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x, dy = self._upstream(grad_y)
        self.W.grad[...] = x.T @ dy  # BUG: should be +=
        self.b.grad[...] = dy.sum(axis=0)  # BUG: should be +=
        return dy @ self.W.data.T  # (batch, in)


class SumMSELoss(MSELoss):
    """Bug: forward is the mean of squared errors but backward forgets the mean's 1/n.

    dL/dpred = 2 (pred - target) instead of 2 (pred - target) / n (n = pred.size): every
    gradient in the network comes out n times too large.
    """

    def forward(self, pred, target) -> float:
        pred, target = same_shape(pred, target, "SumMSELoss")
        diff = pred - target
        self._grad_cache = 2.0 * diff  # BUG: should be 2.0 * diff / diff.size
        return float(np.mean(diff * diff))


# ---- the catalogue ----


@dataclass(frozen=True)
class Bug:
    """One planted bug: what it is, the wrong line, and the pattern it leaves in a check."""

    key: str
    title: str
    wrong_line: str
    right_line: str
    signature: str
    lesson: str
    where: str = "layer"  # "layer": the buggy layer's backward; "loss": the loss's backward

    @property
    def what_went_wrong(self) -> str:
        """One sentence: which backward held the bug, the wrong line (or the missing one), and
        the right line."""
        if self.wrong_line.startswith("("):  # a line that is missing, not a wrong one
            missing = self.wrong_line.strip("()")
            return f"The {self.where}'s backward had {missing}: it needs `{self.right_line}`."
        return (
            f"The {self.where}'s backward computed `{self.wrong_line}` instead of "
            f"`{self.right_line}`."
        )


BUGS: dict[str, Bug] = {
    bug.key: bug
    for bug in (
        Bug(
            "missing_transpose",
            "missing transpose in dx",
            "dx = dy @ W",
            "dx = dy @ W.T",
            "the buggy layer's own W and b are fine; every parameter before it is wrong",
            "a wrong dx does not hurt the layer that computes it: it poisons every layer "
            "upstream. In a square layer the shapes fit either way, so only a gradient check "
            "catches it.",
        ),
        Bug(
            "no_bias_grad",
            "forgotten bias gradient",
            "(no line for db)",
            "b.grad += dy.sum(axis=0)",
            "one bias is wrong with a relative error of exactly 1 (its gradient is 0); "
            "everything else is fine",
            "a gradient that stays 0 gives a relative error of exactly 1: |0 - g| / |g|.",
        ),
        Bug(
            "wrong_sign",
            "wrong sign in dW",
            "W.grad -= x.T @ dy",
            "W.grad += x.T @ dy",
            "one weight matrix is wrong with a relative error of exactly 1 (its gradient is "
            "flipped); everything else is fine",
            "a flipped sign also gives a relative error of exactly 1: |-g - g| / (|g| + |g|); "
            "the scale column (-1) tells it apart from a gradient that is 0.",
        ),
        Bug(
            "overwrite_grad",
            "gradient overwritten instead of added",
            "W.grad[...] = x.T @ dy",
            "W.grad += x.T @ dy",
            "one layer's W and b are both wrong (they keep only the last micro-batch); "
            "everything else is fine, and a check with a single backward call sees nothing",
            "gradients accumulate: backward adds into .grad, and zero_grad() resets it. "
            "Overwriting is invisible until two contributions meet.",
        ),
        Bug(
            "no_batch_mean",
            "batch mean forgotten in the loss",
            "dpred = 2 * (pred - target)",
            "dpred = 2 * (pred - target) / n",
            "every parameter is wrong by the same relative error, each gradient the same "
            "number of times too large (the micro-batch size)",
            "forward and backward must describe the same function: a loss that averages "
            "needs a gradient divided by n. Training may still work (it acts like a larger "
            "learning rate), which is why only a check finds it.",
            where="loss",
        ),
    )
}
BUG_KEYS: tuple[str, ...] = tuple(BUGS)

_LAYER_FOR_BUG = {
    "missing_transpose": MissingTransposeLinear,
    "no_bias_grad": NoBiasGradLinear,
    "wrong_sign": WrongSignLinear,
    "overwrite_grad": OverwritingLinear,
}

#: Layer sizes of the patient: Linear(3, 4), Tanh, Linear(4, 4), Tanh, Linear(4, 1).
PATIENT_SIZES = (3, 4, 4, 1)
#: The index (in the Sequential) of the layer that carries a planted layer bug.
BUGGY_LAYER = 2


def _check_bug(bug: str | None) -> str:
    if bug is None:
        return "none"
    if bug != "none" and bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; use 'none' or one of: {', '.join(BUG_KEYS)}")
    return bug


def make_patient(bug: str | None = None, rng=0) -> tuple[Sequential, Loss]:
    """The bug hunt's network and loss, with ``bug`` planted (None or "none": healthy).

    Network: Linear(3, 4) -> Tanh -> Linear(4, 4) -> Tanh -> Linear(4, 1), loss MSE. A layer
    bug replaces the middle Linear (index 2, square so a missing transpose runs); the batch-
    mean bug replaces the loss with ``SumMSELoss``. Weights: Xavier normal; biases: small
    random numbers, so no gradient is accidentally zero.

    Parameters
    ----------
    bug : one of ``BUG_KEYS``, "none" or None
    rng : numpy Generator, int seed or None; the same seed gives the same weights for every bug

    Returns
    -------
    (model, loss): parameters named "0.W" (3, 4), "0.b" (4,), "2.W" (4, 4), "2.b" (4,),
    "4.W" (4, 1), "4.b" (1,).
    """
    bug = _check_bug(bug)
    rng = as_rng(rng)
    n0, n1, n2, n3 = PATIENT_SIZES
    middle = _LAYER_FOR_BUG.get(bug, Linear)
    model = Sequential(
        Linear(n0, n1, init="xavier_normal", rng=rng),
        Tanh(),
        middle(n1, n2, init="xavier_normal", rng=rng),
        Tanh(),
        Linear(n2, n3, init="xavier_normal", rng=rng),
    )
    for layer in (model[0], model[2], model[4]):
        layer.b.data[...] = 0.1 * rng.standard_normal(layer.b.shape)
    loss = SumMSELoss() if bug == "no_batch_mean" else MSELoss()
    return model, loss


def patient_data(n: int = 8, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """A batch for the patient: x (n, 3) standard normal, y (n, 1) = sin of a sum, plus noise."""
    rng = as_rng(rng)
    x = rng.standard_normal((n, PATIENT_SIZES[0]))  # (n, 3)
    y = np.sin(x.sum(axis=1, keepdims=True)) + 0.1 * rng.standard_normal((n, 1))  # (n, 1)
    return x, y


# ---- the check ----


def verdict(error: float) -> str:
    """Classify a relative error: "good" (< 1e-7), "suspicious" (< 1e-2) or "wrong" (or NaN)."""
    if error < GOOD:
        return "good"
    if error < WRONG:
        return "suspicious"
    return "wrong"


@dataclass
class CheckReport:
    """What ``check_patient`` found, one entry per parameter name ("0.W", "0.b", ...).

    ``errors``: max relative error between analytic and numerical gradient.
    ``scales``: sum(a * n) / sum(n * n), how many times the numerical gradient n the analytic
    one a amounts to along n (1 if right, -1 flipped, 0 missing, n too large...).
    ``analytic``, ``numeric``: the gradients themselves, shaped like the parameters.
    """

    errors: dict[str, float]
    scales: dict[str, float]
    analytic: dict[str, np.ndarray] = field(repr=False)
    numeric: dict[str, np.ndarray] = field(repr=False)
    micro_batches: int = 2

    def verdicts(self) -> dict[str, str]:
        """``{name: "good" | "suspicious" | "wrong"}``."""
        return {name: verdict(err) for name, err in self.errors.items()}

    def wrong(self) -> list[str]:
        """Names of the parameters whose gradient is wrong (relative error >= 1e-2)."""
        return [name for name, v in self.verdicts().items() if v == "wrong"]


def _unique(named: list[tuple[str, Parameter]]) -> list[tuple[str, Parameter]]:
    seen: set[int] = set()
    out = []
    for name, p in named:
        if id(p) not in seen:
            seen.add(id(p))
            out.append((name, p))
    return out


def check_patient(
    model: Layer, loss: Loss, x, y, micro_batches: int = 2, h: float = 1e-5
) -> CheckReport:
    """Gradient-check a network whose gradients are accumulated over micro-batches.

    The batch is split into ``micro_batches`` equal parts k = 1..K; backward runs once per
    part (each upstream gradient weighted 1/K) without zeroing in between, so .grad should end
    as the gradient of L = (1/K) sum_k loss(model(x_k), y_k), the mean loss of the whole batch.
    That is compared with central differences of the same L for every parameter.
    ``micro_batches=1`` is the ordinary check (one forward, one backward).

    Parameters
    ----------
    model : Layer (no dropout or batch norm: the check does not restore their state)
    loss : Loss
    x : array (batch, features); y : targets (batch, outputs); batch divisible by micro_batches
    micro_batches : int >= 1
    h : float, the finite-difference step

    Returns
    -------
    CheckReport. Afterwards each .grad holds the analytic (accumulated) gradient.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if isinstance(micro_batches, bool) or not isinstance(micro_batches, (int, np.integer)):
        raise TypeError(f"micro_batches must be an int >= 1, got {micro_batches!r}")
    if micro_batches < 1 or x.shape[0] % micro_batches:
        raise ValueError(
            f"micro_batches must be >= 1 and divide the batch size {x.shape[0]}, got "
            f"{micro_batches}; use e.g. 1 or 2"
        )
    parts = np.split(np.arange(x.shape[0]), micro_batches)

    model.zero_grad()
    for idx in parts:  # gradient accumulation: no zero_grad between the parts
        loss.forward(model.forward(x[idx]), y[idx])
        model.backward(loss.backward() / micro_batches)
    named = _unique(model.named_parameters())
    analytic = {name: p.grad.copy() for name, p in named}

    def total_loss(_) -> float:
        return sum(loss.forward(model.forward(x[idx]), y[idx]) for idx in parts) / micro_batches

    numeric = {name: numerical_gradient(total_loss, p.data, None, h) for name, p in named}
    errors = {name: rel_error(analytic[name], numeric[name]) for name in analytic}
    scales = {}
    for name in analytic:
        n, a = numeric[name], analytic[name]
        nn = float(np.sum(n * n))
        scales[name] = float(np.sum(a * n)) / nn if nn > 0 else float("nan")
    return CheckReport(errors, scales, analytic, numeric, micro_batches)


# ---- the game ----


def mystery_bug(seed: int) -> str:
    """The bug hidden behind mystery number ``seed``: one of ``BUG_KEYS``, the same every time.

    Seeds come in blocks of ``len(BUG_KEYS)`` (0-4, 5-9, ...), each block a shuffled copy of
    the catalogue, so stepping the seed by one meets every bug within a few steps.
    """
    k = len(BUG_KEYS)
    order = np.random.default_rng(int(seed) // k).permutation(k)
    return BUG_KEYS[int(order[int(seed) % k])]


def guess_feedback(guess: str, actual: str) -> tuple[bool, str]:
    """Whether ``guess`` names the planted bug ``actual``, and a sentence saying why (not).

    A wrong guess is answered with the pattern that guess would have left, so the learner can
    compare it with the table in front of them.
    """
    guess, actual = _check_bug(guess), _check_bug(actual)
    if guess == actual:
        if actual == "none":
            return True, "Right: this network is healthy, every gradient agrees (< 1e-7)."
        bug = BUGS[actual]
        lesson = bug.lesson[:1].upper() + bug.lesson[1:]
        return True, f"Found it: {bug.title}. {bug.what_went_wrong} {lesson}"
    if guess == "none":
        return False, "Not healthy: at least one relative error is far above 1e-2."
    if actual == "none":
        return False, "Look again: every relative error is below 1e-7, so nothing is broken."
    return False, (
        f"Not the {BUGS[guess].title}: that bug would show this pattern: "
        f"{BUGS[guess].signature}. Compare with the table."
    )
