"""Checkers for notebooks/03_backward_pass.ipynb: a layer's backward pass by hand, then checked.

Five exercises: the shapes of the gradients of a ``Linear`` layer (``check_backward_shapes``),
its backward pass dx, dW, db (``check_linear_backward``), the backward pass of tanh
(``check_tanh_backward``), a whole network's backward as a loop in reverse
(``check_network_backward``) and the relative error of a gradient check
(``check_rel_error``). Inputs have sizes that all differ, so a missing transpose fails loudly;
the usual mistakes (dy.T @ x, a mean where a sum belongs, 1 - x^2 instead of 1 - tanh(x)^2,
layers in forward order, a relative error without its floor) are recognised and named.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..instruments.gradcheck import rel_error
from ..nn.activations import Tanh
from ..nn.layers import Layer, Linear, Sequential
from ._check import (
    CheckResult,
    compare_arrays,
    compare_shapes,
    correct,
    incorrect,
    run_answer,
)

__all__ = [
    "check_backward_shapes",
    "check_linear_backward",
    "check_tanh_backward",
    "check_network_backward",
    "check_rel_error",
]


def _cases(seed: int, n: int = 2):
    """Reproducible random generators for the checks (the same inputs every run)."""
    return [np.random.default_rng(seed + i) for i in range(n)]


def _add_hint(problem: CheckResult | None, hint: str) -> CheckResult | None:
    """Append a shape hint to an error raised by the learner's code (a ValueError)."""
    if problem is not None and problem.status == "incorrect" and "ValueError" in problem.message:
        return incorrect(problem.message + ". " + hint)
    return problem


# ---- 1. the shapes of the gradients ----


def check_backward_shapes(shapes: dict) -> CheckResult:
    """Check the shapes of dL/dy, dL/dW, dL/db and dL/dx for Linear(3, 4) on 8 examples.

    ``shapes`` maps "dy", "dW", "db", "dx" to tuples such as ``(8, 4)``.
    """
    expected = {"dy": (8, 4), "dW": (3, 4), "db": (4,), "dx": (8, 3)}
    hints = {
        "dy": {
            (8, 3): "dL/dy has the shape of y, the layer's output: (batch, out_features)",
            (4, 8): "batches are rows in the gradients too: (batch, out_features)",
        },
        "dW": {
            (8, 4): "a gradient has the shape of what it differentiates: one number per weight, "
            "so dW has W's shape, whatever the batch size",
            (4, 3): "(4, 3) is how PyTorch stores W; here W is (in_features, out_features) and "
            "dW has W's shape",
            (8, 3): "dW has W's shape (in_features, out_features); the batch is summed away by "
            "x.T @ dy",
        },
        "db": {
            (8, 4): "one number per bias: b is shared by all 8 examples, so db sums their "
            "contributions over the batch",
            (1, 4): "close: b is 1-D, (4,), and so is db",
            (4, 1): "b is 1-D, (4,), and so is db",
            (): "one number per bias, not one for the layer",
            (1,): "one number per bias, not one for the layer",
            (3,): "a bias belongs to an output unit: there are 4 of them",
        },
        "dx": {
            (8, 4): "dL/dx has the shape of x, the layer's input: (batch, in_features)",
            (3, 8): "batches are rows: dx has x's shape (batch, in_features)",
            (3, 4): "that is W's shape; dx has x's shape (batch, in_features)",
        },
    }
    return compare_shapes(
        shapes,
        expected,
        hints,
        what="the four shapes",
        example="(8, 4)",
        fallback=lambda key, got: (
            f"{key} should not have shape {got}: a gradient has the shape of its variable"
        ),
        success="correct! every gradient has the shape of the thing it belongs to: dy like y, "
        "dW like W, db like b, dx like x",
    )


# ---- 2. Linear backward by hand ----

_LINEAR_SHAPES = (
    "Shapes: x (batch, in), W (in, out), dy (batch, out); the products that fit are "
    "dW = x.T @ dy (in, out) and dx = dy @ W.T (batch, in)."
)


def check_linear_backward(linear_backward: Callable) -> CheckResult:
    """Check ``linear_backward(x, W, b, dy) -> (dx, dW, db)`` against ``Linear.backward``.

    Shapes: x (batch, in), W (in, out), b (out,), dy (batch, out); returns dx (batch, in),
    dW (in, out), db (out,).
    """
    for rng in _cases(300):
        batch, n_in, n_out = 5, 3, 2
        layer = Linear(n_in, n_out, rng=rng)
        layer.b.data[...] = rng.normal(size=n_out)
        x, dy = rng.normal(size=(batch, n_in)), rng.normal(size=(batch, n_out))
        W, b = layer.W.data, layer.b.data
        value, problem = run_answer(
            linear_backward, x.copy(), W.copy(), b.copy(), dy.copy(), what="`linear_backward`"
        )
        if problem is not None:
            return _add_hint(problem, _LINEAR_SHAPES)
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            return incorrect("`linear_backward` should return three arrays: `return dx, dW, db`")
        layer(x)
        dx_ref = layer.backward(dy)
        dW_ref, db_ref = layer.W.grad, layer.b.grad
        dx, dW, db = value
        shapes = [np.shape(v) for v in value]
        want = [dx_ref.shape, dW_ref.shape, db_ref.shape]
        if shapes != want and sorted(shapes) == sorted(want):
            return incorrect("return the three gradients in the order dx, dW, db")
        result = compare_arrays(
            dW,
            dW_ref,
            name="dW",
            mistakes={
                "dW must have W's shape (in, out): x.T @ dy, not dy.T @ x": dy.T @ x,
                "dW = x.T @ dy with no division: the loss's backward already divided by the "
                "batch size, dy carries the 1/N": x.T @ dy / batch,
            },
        )
        if not result.correct:
            return result
        result = compare_arrays(
            db,
            db_ref,
            name="db",
            mistakes={
                "db sums dy over the batch, dy.sum(axis=0): the mean (1/N) is already inside "
                "dy, put there by the loss": dy.mean(axis=0),
                "b is shared by every example, so its gradient adds up their contributions: "
                "db = dy.sum(axis=0)": dy,
                "sum over the batch axis (axis=0), not over the outputs": dy.sum(axis=1),
                "one number per bias: sum over axis=0 only, dy.sum(axis=0)": dy.sum(),
            },
        )
        if not result.correct:
            return result
        result = compare_arrays(
            dx,
            dx_ref,
            name="dx",
            mistakes={
                "dx goes back through W: dy @ W.T (you returned dy unchanged)": dy,
                "dx = dy @ W.T; x itself is not part of its own gradient here": x,
            },
        )
        if not result.correct:
            return result
    return correct(
        "correct! dW = x.T @ dy, db = dy.sum(axis=0), dx = dy @ W.T: it agrees with "
        "bl.Linear.backward"
    )


# ---- 3. backward through tanh ----


def check_tanh_backward(tanh_backward: Callable) -> CheckResult:
    """Check ``tanh_backward(x, dy) -> dx = dy * (1 - tanh(x)**2)``, elementwise.

    Shapes: x (batch, features) the input of tanh, dy the upstream gradient of the same shape;
    returns dx of that shape.
    """
    for rng in _cases(400):
        x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
        value, problem = run_answer(tanh_backward, x.copy(), dy.copy(), what="`tanh_backward`")
        if problem is not None:
            return _add_hint(
                problem, "An activation acts elementwise, so its backward multiplies: dy * (...)"
            )
        t = np.tanh(x)
        layer = Tanh()
        layer(x)
        mistakes = {
            "tanh'(x) = 1 - tanh(x)**2: square the *output* tanh(x), not the input x": (
                dy * (1 - x**2)
            ),
            "that is the local derivative alone; the chain rule multiplies it by the upstream "
            "gradient: dy * (1 - tanh(x)**2)": 1 - t**2,
            "square tanh(x) first, then subtract from 1: 1 - tanh(x)**2": dy * (1 - t) ** 2,
            "y * (1 - y) is the sigmoid's derivative; tanh's is 1 - tanh(x)**2": dy * t * (1 - t),
            "that multiplies dy by tanh itself; its derivative is 1 - tanh(x)**2": dy * t,
            "tanh was applied twice: if you stored y = tanh(x), use 1 - y**2, not "
            "1 - tanh(y)**2": dy * (1 - np.tanh(t) ** 2),
        }
        result = compare_arrays(
            value, layer.backward(dy), name="dx", mistakes=mistakes, rtol=1e-6, atol=1e-9
        )
        if not result.correct:
            return result
    return correct(
        "correct! dx = dy * (1 - tanh(x)**2): elementwise, no matrix product, and the output "
        "y = tanh(x) cached in forward is all backward needs"
    )


# ---- 4. a network's backward: a loop in reverse ----


class _Spy(Layer):
    """A layer that forwards to ``inner`` and records each backward call and its input shape."""

    def __init__(self, inner: Layer, index: int, log: list, out_shape: tuple[int, ...]):
        self.inner, self.index, self.log, self.out_shape = inner, index, log, out_shape

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, grad_y):
        self.log.append((self.index, np.shape(grad_y)))
        return self.inner.backward(grad_y)

    def named_parameters(self):
        return self.inner.named_parameters()

    def __repr__(self) -> str:
        return repr(self.inner)


def _network(rng) -> Sequential:
    net = Sequential(
        Linear(2, 3, rng=rng), Tanh(), Linear(3, 4, rng=rng), Tanh(), Linear(4, 1, rng=rng)
    )
    for layer in (net[0], net[2], net[4]):
        layer.b.data[...] = rng.normal(size=layer.b.shape)
    return net


def check_network_backward(network_backward: Callable) -> CheckResult:
    """Check ``network_backward(layers, grad) -> dL/dx``: each layer's backward, in reverse.

    ``layers`` is a list of layers that have already run forward (Linear(2, 3), Tanh,
    Linear(3, 4), Tanh, Linear(4, 1)); ``grad`` is dL/d(output), shape (batch, 1). The function
    returns dL/dx, shape (batch, 2), and leaves each parameter's gradient in its ``.grad``.
    """
    for rng in _cases(500):
        seed = int(rng.integers(1 << 30))
        net, ref = _network(np.random.default_rng(seed)), _network(np.random.default_rng(seed))
        x, dy = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
        log: list = []
        shapes, h = [], x
        for layer in net:
            h = layer(h)
            shapes.append(h.shape)
        spies = [
            _Spy(layer, i, log, s) for i, (layer, s) in enumerate(zip(net, shapes, strict=True))
        ]
        ref(x)
        dx_ref = ref.backward(dy.copy())
        value, problem = run_answer(network_backward, spies, dy.copy(), what="`network_backward`")
        called = [i for i, _ in log]
        n = len(spies)
        expected = list(range(n - 1, -1, -1))
        if called and called != expected[: len(called)]:
            if called[0] == 0:
                return incorrect(
                    "backward visits the layers in reverse order, last layer first: "
                    "for layer in reversed(layers)"
                )
            if all(a > b for a, b in zip(called, called[1:], strict=False)):
                skipped = [i for i in expected if i not in called and i > called[-1]]
                return incorrect(
                    f"layers {skipped} were skipped: every layer's backward runs once, "
                    "activations included (they have a gradient too: tanh's is 1 - y**2)"
                )
            return incorrect(
                "each layer's backward runs once, from the last to the first; the layers were "
                f"visited in the order {called}"
            )
        for i, got in log:
            if got != spies[i].out_shape:
                return incorrect(
                    f"layer {i} ({spies[i]!r}) received a gradient of shape {got}, but its output "
                    f"has shape {spies[i].out_shape}: pass each layer's result on, "
                    "grad = layer.backward(grad)"
                )
        if problem is not None:
            if problem.status == "not attempted" and called:
                return incorrect(
                    "the backward passes ran, but the function returned nothing: return the "
                    "gradient the first layer gave back, dL/dx"
                )
            return problem
        if len(called) < n:
            return incorrect(
                f"only {len(called)} of the {n} layers ran backward; every layer, activations "
                "included, needs its backward called once"
            )
        result = compare_arrays(
            value,
            dx_ref,
            name="the returned gradient",
            mistakes={"return the gradient for the input x, not the one you were given": dy},
        )
        if not result.correct:
            return result
        for (name, p), (_, q) in zip(net.named_parameters(), ref.named_parameters(), strict=True):
            if not np.allclose(p.grad, q.grad, rtol=1e-9, atol=1e-12):
                return incorrect(f"the gradient accumulated in {name} is not right")
    return correct(
        "correct! for layer in reversed(layers): grad = layer.backward(grad). That loop is "
        "Sequential.backward, and it is backpropagation"
    )


# ---- 5. the relative error of a gradient check ----


def _pairs(rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """Gradient pairs that separate the usual mistakes (sizes, signs, zeros, a single outlier)."""
    a = rng.normal(size=(3, 4))
    outlier = a.copy()
    outlier[1, 2] = -outlier[1, 2]  # one flipped entry among agreeing ones
    small = 1e-3 * rng.normal(size=5)
    zeros = np.array([0.0, 0.0, 1.0, -2.0])
    return [
        (a, a + 1e-6 * rng.normal(size=a.shape)),
        (a, outlier),
        (small, 2 * small),
        (zeros, zeros + np.array([0.0, 0.0, 0.5, -1.0])),
        (rng.normal(size=6), rng.normal(size=6)),
    ]


def check_rel_error(my_rel_error: Callable) -> CheckResult:
    """Check ``my_rel_error(a, b) -> max |a - b| / max(1e-8, |a| + |b|)``, one number.

    a, b: arrays of the same shape (an analytic and a numerical gradient). Returns a float.
    """
    for rng in _cases(600, 1):
        for a, b in _pairs(rng):
            with np.errstate(all="ignore"):
                value, problem = run_answer(my_rel_error, a.copy(), b.copy(), what="`my_rel_error`")
            if problem is not None:
                return problem
            want = rel_error(a, b)
            arr = np.asarray(value, dtype=np.float64) if np.ndim(value) else None
            if arr is not None:
                if arr.shape == a.shape:
                    return incorrect(
                        "you returned one error per entry; reduce them to one number with "
                        ".max(): one bad entry is enough to make a gradient wrong"
                    )
                return incorrect(f"return one number, not an array of shape {arr.shape}")
            try:
                got = float(value)
            except (TypeError, ValueError):
                return incorrect(f"return a number, got {type(value).__name__}")
            d = np.abs(a - b)
            s = np.abs(a) + np.abs(b)
            one_sided = (
                "divide by |a| + |b|, not by one of them: the error should be symmetric and "
                "stay finite when one gradient is 0"
            )
            with np.errstate(all="ignore"):
                mistakes = [
                    ("where both gradients are 0 you divide 0 by 0: use np.maximum(1e-8, "
                     "np.abs(a) + np.abs(b)) as the denominator", np.max(d / s)),
                    ("take the max over the entries, not the mean: one bad entry is enough to "
                     "make a gradient wrong", np.mean(d / np.maximum(1e-8, s))),
                    ("divide by |a| + |b|, so the error does not depend on how large the "
                     "gradients are", np.max(d)),
                    (one_sided, np.max(d / np.maximum(1e-8, np.abs(b)))),
                    (one_sided, np.max(d / np.maximum(1e-8, np.abs(a)))),
                    ("take absolute values in the denominator too: |a| + |b|, not |a + b|",
                     np.max(d / np.maximum(1e-8, np.abs(a + b)))),
                    ("that is the norm-based variant ||a - b|| / (||a|| + ||b||); here use the "
                     "elementwise version and its max, as bl.rel_error does",
                     np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))),
                ]  # fmt: skip
            if np.isclose(got, want, rtol=1e-6, atol=1e-12):
                continue
            for hint, wrong in mistakes:
                if np.isclose(got, wrong, rtol=1e-6, atol=1e-12, equal_nan=True):
                    return incorrect(hint)
            if np.isnan(got):
                return incorrect(
                    "your result is NaN: guard the denominator with np.maximum(1e-8, ...)"
                )
            return incorrect(
                f"for one pair of gradients you got {got:.3g}, expected {want:.3g}: "
                "max(|a - b| / max(1e-8, |a| + |b|))"
            )
    return correct(
        "correct! elementwise |a - b| / (|a| + |b|), floored at 1e-8, and its max: below 1e-7 "
        "the gradients agree, above 1e-2 one of them is wrong"
    )
