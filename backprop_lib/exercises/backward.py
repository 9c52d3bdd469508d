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
    answer_of,
    as_number,
    compare_arrays,
    compare_shapes,
    correct,
    distinct,
    hard_coded,
    incorrect,
    run_answer,
    shape_of,
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


#: Float32 arithmetic agrees with float64 to about 1e-7 of the values' size; every mistake the
#: checks name is off by far more.
_TOL = {"rtol": 1e-5, "atol": 1e-6}


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
    shapes, problem = answer_of(shapes, "the shapes")
    if problem is not None:
        return problem
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


#: (batch, in, out) of the two cases: every size differs between them and within each.
_LINEAR_SIZES = [(5, 3, 2), (7, 4, 6)]


def check_linear_backward(linear_backward: Callable) -> CheckResult:
    """Check ``linear_backward(x, W, b, dy) -> (dx, dW, db)`` against ``Linear.backward``.

    Shapes: x (batch, in), W (in, out), b (out,), dy (batch, out); returns dx (batch, in),
    dW (in, out), db (out,). Tried with (batch, in, out) = (5, 3, 2) and (7, 4, 6), so sums
    written out over a fixed batch fail.
    """
    sizes = [f"x {(n, i)} and dy {(n, o)}" for n, i, o in _LINEAR_SIZES]
    for k, (rng, (batch, n_in, n_out)) in enumerate(zip(_cases(300), _LINEAR_SIZES, strict=True)):
        layer = Linear(n_in, n_out, rng=rng)
        layer.b.data[...] = rng.normal(size=n_out)
        x, dy = rng.normal(size=(batch, n_in)), rng.normal(size=(batch, n_out))
        W, b = layer.W.data, layer.b.data
        value, problem = run_answer(
            linear_backward, x.copy(), W.copy(), b.copy(), dy.copy(), what="`linear_backward`"
        )
        if problem is not None:
            return hard_coded(_add_hint(problem, _LINEAR_SHAPES), k, sizes)
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            return incorrect("`linear_backward` should return three arrays: `return dx, dW, db`")
        layer(x)
        dx_ref = layer.backward(dy)
        dW_ref, db_ref = layer.W.grad, layer.b.grad
        dx, dW, db = value
        shapes = [shape_of(v) for v in value]
        want = [dx_ref.shape, dW_ref.shape, db_ref.shape]
        if shapes != want and None not in shapes and sorted(shapes) == sorted(want):
            return incorrect("return the three gradients in the order dx, dW, db")
        checks = [
            (
                "dW",
                dW,
                dW_ref,
                {
                    "dW must have W's shape (in, out): x.T @ dy, not dy.T @ x": dy.T @ x,
                    "dW = x.T @ dy with no division: the loss's backward already divided by the "
                    "batch size, dy carries the 1/N": x.T @ dy / batch,
                },
            ),
            (
                "db",
                db,
                db_ref,
                {
                    "db sums dy over the batch, dy.sum(axis=0): the mean (1/N) is already "
                    "inside dy, put there by the loss": dy.mean(axis=0),
                    "b is shared by every example, so its gradient adds up their contributions: "
                    "db = dy.sum(axis=0)": dy,
                    "sum over the batch axis (axis=0), not over the outputs": dy.sum(axis=1),
                    "one number per bias: sum over axis=0 only, dy.sum(axis=0)": dy.sum(),
                    "db has b's shape, (out,): drop keepdims=True": dy.sum(axis=0, keepdims=True),
                },
            ),
            (
                "dx",
                dx,
                dx_ref,
                {
                    "dx goes back through W: dy @ W.T (you returned dy unchanged)": dy,
                    "dx = dy @ W.T; x itself is not part of its own gradient here": x,
                },
            ),
        ]
        for name, got, ref, mistakes in checks:
            result = compare_arrays(got, ref, name=name, mistakes=mistakes, **_TOL)
            if not result.correct:
                return hard_coded(result, k, sizes, mistakes)
    return correct(
        "correct! dW = x.T @ dy, db = dy.sum(axis=0), dx = dy @ W.T: it agrees with "
        "bl.Linear.backward"
    )


# ---- 3. backward through tanh ----


#: The shapes ``check_tanh_backward`` tries: "any shape", so a 1-D one too.
_TANH_SHAPES = [(4, 3), (6, 5), (7,)]


def check_tanh_backward(tanh_backward: Callable) -> CheckResult:
    """Check ``tanh_backward(x, dy) -> dx = dy * (1 - tanh(x)**2)``, elementwise.

    Shapes: x the input of tanh (any shape; tried with (4, 3), (6, 5) and (7,)), dy the
    upstream gradient of the same shape; returns dx of that shape.
    """
    sizes = [f"x of shape {shape}" for shape in _TANH_SHAPES]
    for k, (rng, shape) in enumerate(zip(_cases(400, 3), _TANH_SHAPES, strict=True)):
        x, dy = rng.normal(size=shape), rng.normal(size=shape)
        value, problem = run_answer(tanh_backward, x.copy(), dy.copy(), what="`tanh_backward`")
        if problem is not None:
            problem = _add_hint(
                problem, "An activation acts elementwise, so its backward multiplies: dy * (...)"
            )
            return hard_coded(problem, k, sizes)
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
            "the local derivative is taken at the input x, 1 - tanh(x)**2, not at the "
            "gradient dy": dy * (1 - np.tanh(dy) ** 2),
        }
        result = compare_arrays(value, layer.backward(dy), name="dx", mistakes=mistakes, **_TOL)
        if not result.correct:
            return hard_coded(result, k, sizes, mistakes)
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


#: The two networks ``check_network_backward`` runs: (layer sizes, batch). A loop written
#: for five layers, or for one batch size, fails on the second.
_NETWORKS = [([2, 3, 4, 1], 6), ([3, 5, 2], 4)]


def _network(rng, sizes: list[int]) -> Sequential:
    """Linear layers of the given sizes with Tanh between them, biases non-zero."""
    layers: list[Layer] = []
    for n_in, n_out in zip(sizes, sizes[1:], strict=False):
        layer = Linear(n_in, n_out, rng=rng)
        layer.b.data[...] = rng.normal(size=n_out)
        layers += [layer, Tanh()]
    return Sequential(*layers[:-1])


MISTAKE_RETURNED_DY = "return the gradient for the input x, not the one you were given"


def check_network_backward(network_backward: Callable) -> CheckResult:
    """Check ``network_backward(layers, grad) -> dL/dx``: each layer's backward, in reverse.

    ``layers`` is a list of layers that have already run forward: Linear(2, 3), Tanh,
    Linear(3, 4), Tanh, Linear(4, 1) on a batch of 6, then Linear(3, 5), Tanh, Linear(5, 2)
    on a batch of 4. ``grad`` is dL/d(output), shape (batch, out). The function returns dL/dx,
    shape (batch, in), and leaves each parameter's gradient in its ``.grad``.
    """
    described = [f"{len(s) * 2 - 3} layers and a batch of {n}" for s, n in _NETWORKS]
    for k, (rng, (sizes, batch)) in enumerate(zip(_cases(500), _NETWORKS, strict=True)):
        seed = int(rng.integers(1 << 30))
        net = _network(np.random.default_rng(seed), sizes)
        ref = _network(np.random.default_rng(seed), sizes)
        x, dy = rng.normal(size=(batch, sizes[0])), rng.normal(size=(batch, sizes[-1]))
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
            return hard_coded(problem, k, described)
        if len(called) < n:
            return incorrect(
                f"only {len(called)} of the {n} layers ran backward; every layer, activations "
                "included, needs its backward called once"
            )
        result = compare_arrays(
            value,
            dx_ref,
            name="the returned gradient",
            mistakes={MISTAKE_RETURNED_DY: dy},
            **_TOL,
        )
        if not result.correct:
            return hard_coded(result, k, described, [MISTAKE_RETURNED_DY])
        for (name, p), (_, q) in zip(net.named_parameters(), ref.named_parameters(), strict=True):
            if not np.allclose(p.grad, q.grad, rtol=1e-9, atol=1e-12):
                return incorrect(f"the gradient accumulated in {name} is not right")
    return correct(
        "correct! for layer in reversed(layers): grad = layer.backward(grad). That loop is "
        "Sequential.backward, and it is backpropagation"
    )


# ---- 5. the relative error of a gradient check ----


def _pairs(rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """Gradient pairs that separate the usual mistakes.

    Sizes, signs, zeros and a single outlier separate the max from the mean and |a| + |b|
    from its variants; pairs whose entries are about 1e-5, 1e-7 and 1e-9 in size test the
    floor: above 1e-8 it must not matter (a floor of 1e-3 or 1e-6 changes the result), below
    it it decides (no floor, np.nanmax, 1e-8 added instead of taken as a maximum, or a floor
    of 1e-10 all change it).
    """
    a = rng.normal(size=(3, 4))
    outlier = a.copy()
    outlier[1, 2] = -outlier[1, 2]  # one flipped entry among agreeing ones
    small = 1e-3 * rng.normal(size=5)
    zeros = np.array([0.0, 0.0, 1.0, -2.0])
    tiny = 1e-5 * rng.normal(size=(2, 3))
    tinier = 1e-7 * rng.normal(size=4)
    vanishing = np.array([2e-12, -5e-13, 0.4])  # far below the floor: it decides
    below = np.array([3e-9, 0.0, 1.0, -4e-9, 0.6])  # two entries below the floor, one zero
    return [
        (a, a + 1e-6 * rng.normal(size=a.shape)),
        (a, outlier),
        (small, 2 * small),
        (zeros, zeros + np.array([0.0, 0.0, 0.5, -1.0])),
        (rng.normal(size=6), rng.normal(size=6)),
        (tiny, tiny * (1 + 0.1 * rng.normal(size=tiny.shape))),
        (tinier, tinier + 3e-8 * rng.normal(size=4)),
        (vanishing, np.array([-1e-12, -5e-13, 0.4 + 1e-8])),
        (below, below * np.array([-0.5, 1.0, 1.0 + 1e-7, 0.25, 1.0])),
    ]


def _describe(a: np.ndarray, b: np.ndarray) -> str:
    size = float(np.max(np.abs(np.concatenate([a.ravel(), b.ravel()]))))
    return f"a and b of shape {a.shape} with entries up to {size:.0e} in size"


def _rel_error_mistakes(a: np.ndarray, b: np.ndarray) -> list[tuple[str, float]]:
    """The number each classic mistake gives for this pair, with its hint."""
    d, s = np.abs(a - b), np.abs(a) + np.abs(b)
    floored = np.maximum(1e-8, s)
    one_sided = (
        "divide by |a| + |b|, not by one of them: the error should be symmetric and stay "
        "finite when one gradient is 0"
    )
    no_floor = (
        "the denominator needs its floor: np.maximum(1e-8, np.abs(a) + np.abs(b)). Without it "
        "(or with a smaller one) two zero gradients divide 0 by 0, which np.nanmax only hides, "
        "and two gradients of 1e-12 that disagree count as completely different"
    )
    mistakes = [
        (no_floor, np.max(d / s)),
        (no_floor, np.nanmax(d / s)),
        ("1e-8 is a floor, not something to add: np.maximum(1e-8, |a| + |b|), not "
         "|a| + |b| + 1e-8", np.max(d / (s + 1e-8))),
        ("take the max over the entries, not the mean: one bad entry is enough to make a "
         "gradient wrong", np.mean(d / floored)),
        ("take the max over the entries, not the sum: the error of one entry, the worst one",
         np.sum(d / floored)),
        ("divide entry by entry, then take the max: max(|a - b| / (|a| + |b|)), not "
         "max|a - b| / max(|a| + |b|)", np.max(d) / max(1e-8, float(np.max(s)))),
        ("divide by |a| + |b|, so the error does not depend on how large the gradients are",
         np.max(d)),
        (one_sided, np.max(d / np.maximum(1e-8, np.abs(b)))),
        (one_sided, np.max(d / np.maximum(1e-8, np.abs(a)))),
        ("take absolute values in the denominator too: |a| + |b|, not |a + b|",
         np.max(d / np.maximum(1e-8, np.abs(a + b)))),
        ("that is the norm-based variant ||a - b|| / (||a|| + ||b||); here use the "
         "elementwise version and its max, as bl.rel_error does",
         np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))),
    ]  # fmt: skip
    for exponent in [-3, -4, -5, -6, -7, -9, -10, -11]:  # a floor other than 1e-8
        floor = 10.0**exponent
        mistakes.append(
            (
                f"the floor is 1e-8, not {floor:.0e}: np.maximum(1e-8, np.abs(a) + np.abs(b))",
                np.max(d / np.maximum(floor, s)),
            )
        )
    return mistakes


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
            shape = shape_of(value)
            if shape is not None and len(shape) > 0 and shape == a.shape:
                return incorrect(
                    "you returned one error per entry; reduce them to one number with "
                    ".max(): one bad entry is enough to make a gradient wrong"
                )
            got, problem = as_number(value, "`my_rel_error(a, b)`")
            if problem is not None:
                return incorrect(
                    f"return one number, not an array of shape {shape}"
                    if shape
                    else problem.message
                )
            if np.isclose(got, want, rtol=1e-6, atol=1e-12):
                continue
            with np.errstate(all="ignore"):
                mistakes = _rel_error_mistakes(a, b)
            for hint, wrong in mistakes:
                if np.isclose(got, wrong, rtol=1e-6, atol=1e-12, equal_nan=True):
                    return incorrect(hint)
            if np.isnan(got):
                return incorrect(
                    "your result is NaN: guard the denominator with np.maximum(1e-8, ...)"
                )
            got_text, want_text = distinct(got, want, 3)
            return incorrect(
                f"for {_describe(a, b)} you got {got_text}, expected {want_text}: "
                "max(|a - b| / max(1e-8, |a| + |b|))"
            )
    return correct(
        "correct! elementwise |a - b| / (|a| + |b|), floored at 1e-8, and its max: below 1e-7 "
        "the gradients agree, above 1e-2 one of them is wrong"
    )
