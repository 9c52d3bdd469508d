"""Checkers for notebooks/01_forward_pass.ipynb: a neuron, a layer, a small network by hand.

Each checker takes the learner's function (or answer), runs it on two fixed cases whose sizes
all differ, within a case and between the cases (so a transposed matrix fails loudly and a
loop over the first case's sizes fails on the second instead of passing by luck), compares
the result with the library's own ``Linear`` / ``Sequential`` and, when the answer matches a
typical mistake (a forgotten bias, PyTorch's (out, in) weight layout, a missing activation),
says which one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn.activations import Sigmoid, Tanh, sigmoid
from ..nn.layers import Linear, Sequential
from ._check import (
    CheckResult,
    answer_of,
    as_number,
    compare_arrays,
    compare_shapes,
    correct,
    hard_coded,
    incorrect,
    run_answer,
)

__all__ = [
    "check_neuron",
    "check_layer_shapes",
    "check_linear_forward",
    "check_two_layer",
    "check_collapse",
]

_SHAPE_HINT = (
    " Batches are rows: x is (batch, in_features) and W is (in_features, out_features), "
    "so the product that fits is x @ W."
)

_COLLAPSE_HINT = (
    " The shapes are W1 (in, hidden), b1 (hidden,), W2 (hidden, out), b2 (out,): x meets W1 "
    "first and then W2, and b1 passes through W2 as well."
)


def _cases(seed: int, n: int = 2):
    """Reproducible random generators for the checks (the same inputs every run)."""
    return [np.random.default_rng(seed + i) for i in range(n)]


def _linear(W: np.ndarray, b: np.ndarray) -> Linear:
    """A ``Linear`` layer holding the given weights (the reference the checks compare with)."""
    layer = Linear(*W.shape)
    layer.W.data[...] = W
    layer.b.data[...] = b
    return layer


def _run(
    fn: Callable, args: tuple, what: str, shape_hint: str = _SHAPE_HINT
) -> tuple[object, CheckResult | None]:
    """Run the learner's function; add a hint about shapes to a shape error (a ValueError)."""
    value, problem = run_answer(fn, *args, what=what)
    if problem is not None and problem.status == "incorrect" and "ValueError" in problem.message:
        return None, incorrect(problem.message + "." + shape_hint)
    return value, problem


#: Float32 arithmetic agrees with float64 to about 1e-7 of the values' size; every mistake the
#: checks name is off by far more.
_TOL = {"rtol": 1e-5, "atol": 1e-6}


# ---- 1. one neuron ----


def check_neuron(neuron: Callable) -> CheckResult:
    """Check ``neuron(x, w, b) -> sigmoid(w . x + b)`` for one example.

    Parameters: x (n,) one example, w (n,) weights, b a number. Returns a number. Tried with
    n = 3 and n = 5.
    """
    sizes = ["x of size 3", "x of size 5"]
    for i, (rng, n) in enumerate(zip(_cases(10), (3, 5), strict=True)):
        x, w, b = rng.normal(size=n), rng.normal(size=n), float(rng.normal())
        value, problem = _run(neuron, (x.copy(), w.copy(), b), "`neuron`")
        if problem is not None:
            return hard_coded(problem, i, sizes)
        z = float(w @ x + b)
        mistakes = {
            "you returned the weighted sum z = w . x + b; a neuron then applies its activation: "
            "sigmoid(z)": z,
            "the bias is missing: compute z = w . x + b, then sigmoid(z)": sigmoid(w @ x),
            "the bias goes inside the activation: sigmoid(w . x + b), not sigmoid(w . x) + b": (
                sigmoid(w @ x) + b
            ),
            "w * x multiplies elementwise; the weighted sum adds those products up: "
            "np.dot(w, x) or w @ x": sigmoid(w * x + b),
            "that is tanh(z); this neuron uses the sigmoid, bl.sigmoid(z)": np.tanh(z),
            "that is sigmoid(-z) = 1 - sigmoid(z): the sigmoid is 1 / (1 + exp(-z)), with a "
            "minus sign in the exponent": sigmoid(-z),
        }
        number, _ = as_number(value)  # a numpy scalar or a one-element array is a number too
        value = value if number is None else number
        result = compare_arrays(
            value, sigmoid(z), name="the neuron's output", mistakes=mistakes, **_TOL
        )
        if not result.correct:
            return hard_coded(result, i, sizes, mistakes)
    return correct("correct! sigmoid(w . x + b): a weighted sum, a bias, an activation")


# ---- 2. shapes through a layer ----


def check_layer_shapes(shapes: dict) -> CheckResult:
    """Check the shapes of x, W, b and y for 8 examples with 3 features through Linear(3, 4).

    ``shapes`` maps "x", "W", "b", "y" to tuples such as ``(8, 3)``.
    """
    shapes, problem = answer_of(shapes, "the shapes")
    if problem is not None:
        return problem
    expected = {"x": (8, 3), "W": (3, 4), "b": (4,), "y": (8, 4)}
    hints = {
        "x": {
            (3, 8): "batches are rows: x has one row per example, so (batch, features)",
        },
        "W": {
            (4, 3): "(4, 3) is how PyTorch stores W (out, in); here y = x @ W, so W must be "
            "(in_features, out_features) for the product to fit",
            (8, 4): "W does not depend on the batch size: the same weights serve every example",
        },
        "b": {
            (8, 4): "there is one bias per output unit, shared by every example: numpy "
            "broadcasts it over the batch",
            (1, 4): "close: the library stores b as a 1-D array with one entry per output unit",
            (3,): "a bias belongs to an output unit, not an input feature",
            (): "one bias per output unit, not one per layer",
            (1,): "one bias per output unit, not one per layer",
            (4, 1): "b is 1-D, one entry per output unit: (4,)",
        },
        "y": {
            (4, 8): "batches are rows in the output too: (batch, out_features)",
            (8, 3): "a Linear(3, 4) layer turns each 3-feature row into a 4-feature row",
        },
    }
    return compare_shapes(
        shapes,
        expected,
        hints,
        what="the four shapes",
        example="(8, 3)",
        fallback=lambda key, got: (
            f"{key} should not have shape {got}; think about rows (examples) and columns (features)"
        ),
        success="correct! (8, 3) @ (3, 4) + (4,) -> (8, 4): the batch size passes through",
    )


# ---- 3. a Linear layer by hand ----

#: (batch, in, out) of the two cases: every size differs between them and within each.
_LINEAR_SIZES = [(5, 3, 2), (4, 6, 7)]


def check_linear_forward(linear_forward: Callable) -> CheckResult:
    """Check ``linear_forward(x, W, b) -> x @ W + b`` against ``Linear``.

    Parameters: x (batch, in), W (in, out), b (out,). Returns y (batch, out). Tried with
    (batch, in, out) = (5, 3, 2) and (4, 6, 7), so a loop over fixed sizes fails.
    """
    sizes = [f"x {(n, i)} and W {(i, o)}" for n, i, o in _LINEAR_SIZES]
    for k, (rng, (batch, n_in, n_out)) in enumerate(zip(_cases(20), _LINEAR_SIZES, strict=True)):
        layer = Linear(n_in, n_out, rng=rng)
        layer.b.data[...] = rng.normal(size=n_out)
        x = rng.normal(size=(batch, n_in))
        W, b = layer.W.data, layer.b.data
        value, problem = _run(linear_forward, (x.copy(), W.copy(), b.copy()), "`linear_forward`")
        if problem is not None:
            return hard_coded(problem, k, sizes)
        mistakes = {
            "the bias is missing: y = x @ W + b": x @ W,
            "a Linear layer has no activation (tanh is a separate layer): y = x @ W + b": (
                np.tanh(x @ W + b)
            ),
            "a Linear layer has no activation (ReLU is a separate layer): y = x @ W + b": (
                np.maximum(x @ W + b, 0.0)
            ),
            "the bias is subtracted; it is added: y = x @ W + b": x @ W - b,
        }
        result = compare_arrays(value, layer(x), name="y", mistakes=mistakes, **_TOL)
        if not result.correct:
            return hard_coded(result, k, sizes, mistakes)
    return correct("correct! your function agrees with bl.Linear: y = x @ W + b")


# ---- 4. a two-layer network by hand ----

#: (batch, in, hidden, out): the notebook's 2-3-1 network first, then other sizes throughout.
_TWO_LAYER_SIZES = [(6, 2, 3, 1), (4, 5, 7, 2)]


def check_two_layer(two_layer: Callable) -> CheckResult:
    """Check ``two_layer(x, W1, b1, W2, b2) -> sigmoid(tanh(x @ W1 + b1) @ W2 + b2)``.

    The reference is ``Sequential(Linear(2, 3), Tanh(), Linear(3, 1), Sigmoid())`` on a batch of
    6, then the same with 5 inputs, 7 hidden units and 2 outputs on a batch of 4.
    Shapes: x (batch, in), W1 (in, hidden), b1 (hidden,), W2 (hidden, out), b2 (out,);
    returns (batch, out).
    """
    sizes = [f"a {i}-{h}-{o} network on {n} examples" for n, i, h, o in _TWO_LAYER_SIZES]
    for k, (rng, (batch, n_in, hidden, n_out)) in enumerate(
        zip(_cases(30), _TWO_LAYER_SIZES, strict=True)
    ):
        net = Sequential(
            Linear(n_in, hidden, rng=rng), Tanh(), Linear(hidden, n_out, rng=rng), Sigmoid()
        )
        net[0].b.data[...] = rng.normal(size=hidden)
        net[2].b.data[...] = rng.normal(size=n_out)
        W1, b1, W2, b2 = (p.data for p in net.parameters())
        x = rng.normal(size=(batch, n_in))
        args = (x.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy())
        value, problem = _run(two_layer, args, "`two_layer`")
        if problem is not None:
            return hard_coded(problem, k, sizes)
        h = np.tanh(x @ W1 + b1)
        mistakes = {
            "the hidden layer needs its tanh: h = tanh(x @ W1 + b1)": sigmoid(
                (x @ W1 + b1) @ W2 + b2
            ),
            "the output still needs its sigmoid: p = sigmoid(h @ W2 + b2)": h @ W2 + b2,
            "the hidden activation is tanh here (you used the sigmoid)": (
                sigmoid(sigmoid(x @ W1 + b1) @ W2 + b2)
            ),
            "the activations are swapped: tanh on the hidden layer, sigmoid on the output": (
                np.tanh(sigmoid(x @ W1 + b1) @ W2 + b2)
            ),
            "b2 is missing from the output layer": sigmoid(h @ W2),
            "b1 is missing from the hidden layer": sigmoid(np.tanh(x @ W1) @ W2 + b2),
        }
        result = compare_arrays(value, net(x), name="the prediction", mistakes=mistakes, **_TOL)
        if not result.correct:
            return hard_coded(result, k, sizes, mistakes)
    return correct("correct! by hand and bl.Sequential agree: x -> tanh(x W1 + b1) -> sigmoid")


# ---- 5. identity activations collapse two layers into one ----


#: (in, hidden, out) of the two cases.
_COLLAPSE_SIZES = [(2, 4, 3), (5, 3, 6)]


def check_collapse(collapse: Callable) -> CheckResult:
    """Check ``collapse(W1, b1, W2, b2) -> (W, b)`` with W = W1 @ W2, b = b1 @ W2 + b2.

    Two Linear layers with nothing in between compute (x W1 + b1) W2 + b2 = x W + b.
    Shapes: W1 (in, hidden), b1 (hidden,), W2 (hidden, out), b2 (out,);
    returns W (in, out), b (out,). Tried with (in, hidden, out) = (2, 4, 3) and (5, 3, 6).
    """
    sizes = [f"W1 {(i, h)} and W2 {(h, o)}" for i, h, o in _COLLAPSE_SIZES]
    for k, (rng, (n_in, hidden, n_out)) in enumerate(zip(_cases(40), _COLLAPSE_SIZES, strict=True)):
        W1, b1 = rng.normal(size=(n_in, hidden)), rng.normal(size=hidden)
        W2, b2 = rng.normal(size=(hidden, n_out)), rng.normal(size=n_out)
        value, problem = _run(
            collapse, (W1.copy(), b1.copy(), W2.copy(), b2.copy()), "`collapse`", _COLLAPSE_HINT
        )
        if problem is not None:
            return hard_coded(problem, k, sizes)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return incorrect("`collapse` should return two things: `return W, b`")
        W, b = value
        result = compare_arrays(W, W1 @ W2, name="W", **_TOL)
        if not result.correct:
            return hard_coded(result, k, sizes)
        mistakes = {
            "b1 also passes through W2: b = b1 @ W2 + b2": b2,
            "b2 is added after W2, so it stays: b = b1 @ W2 + b2": b1 @ W2,
        }
        result = compare_arrays(b, b1 @ W2 + b2, name="b", mistakes=mistakes, **_TOL)
        if not result.correct:
            return hard_coded(result, k, sizes, mistakes)
    return correct(
        "correct! two linear layers are one linear layer: W = W1 @ W2, b = b1 @ W2 + b2. "
        "Without a non-linearity, depth adds nothing."
    )
