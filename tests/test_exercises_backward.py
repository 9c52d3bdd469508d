"""The checkers of notebooks/03_backward_pass.ipynb: solutions pass, stubs are "not attempted",
and each typical mistake gets its specific hint."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import backward as ex

# ---- the solutions, as written in the notebook's <details> blocks ----

SHAPES = {"dy": (8, 4), "dW": (3, 4), "db": (4,), "dx": (8, 3)}


def linear_backward(x, W, b, dy):
    dW = x.T @ dy  # (in, out)
    db = dy.sum(axis=0)  # (out,)
    dx = dy @ W.T  # (batch, in)
    return dx, dW, db


def tanh_backward(x, dy):
    y = np.tanh(x)
    return dy * (1 - y**2)


def network_backward(layers, grad):
    for layer in reversed(layers):
        grad = layer.backward(grad)
    return grad


def my_rel_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def stub(*args):
    return ...


def raises_stub(*args):
    raise NotImplementedError


FUNCTION_CHECKS = [
    (ex.check_linear_backward, linear_backward),
    (ex.check_tanh_backward, tanh_backward),
    (ex.check_network_backward, network_backward),
    (ex.check_rel_error, my_rel_error),
]


@pytest.mark.parametrize(
    ("check", "solution"), [*FUNCTION_CHECKS, (ex.check_backward_shapes, SHAPES)]
)
def test_solution_is_correct(check, solution):
    result = check(solution)
    assert result.status == "correct", result.message


def test_equivalent_solutions_are_accepted():
    assert ex.check_tanh_backward(lambda x, dy: dy / np.cosh(x) ** 2).correct
    assert ex.check_linear_backward(
        lambda x, W, b, dy: ((W @ dy.T).T, np.einsum("ni,no->io", x, dy), dy.T @ np.ones(len(dy)))
    ).correct
    assert ex.check_rel_error(lambda a, b: float(bl.rel_error(a, b))).correct
    assert ex.check_network_backward(lambda layers, g: bl.Sequential(*layers).backward(g)).correct
    assert ex.check_backward_shapes({"dy": [8, 4], "dW": (3, 4), "db": 4, "dx": (8, 3)}).correct


@pytest.mark.parametrize("check", [c for c, _ in FUNCTION_CHECKS])
@pytest.mark.parametrize("fn", [stub, raises_stub])
def test_stub_is_not_attempted(check, fn):
    result = check(fn)
    assert result.status == "not attempted"
    assert "not attempted yet" in str(result)


def test_untouched_shapes_are_not_attempted():
    assert ex.check_backward_shapes(dict.fromkeys(SHAPES, ...)).status == "not attempted"


# ---- typical mistakes get a specific hint ----


def incorrect_with(result, hint):
    assert result.status == "incorrect", result.message
    assert hint in result.message, result.message


@pytest.mark.parametrize(
    ("shapes", "hint"),
    [
        ({**SHAPES, "dW": (8, 4)}, "dW has W's shape"),
        ({**SHAPES, "dW": (4, 3)}, "PyTorch"),
        ({**SHAPES, "db": (8, 4)}, "sums their contributions over the batch"),
        ({**SHAPES, "db": (1, 4)}, "b is 1-D"),
        ({**SHAPES, "dx": (8, 4)}, "shape of x"),
        ({**SHAPES, "dy": (8, 3)}, "shape of y"),
        ({**SHAPES, "dx": (5, 5)}, "should not have shape (5, 5)"),
        ({**SHAPES, "db": ...}, "fill in the shape of db"),
        ({**SHAPES, "dW": "3x4"}, "tuple of ints"),
    ],
)
def test_shape_mistakes(shapes, hint):
    incorrect_with(ex.check_backward_shapes(shapes), hint)


def test_shapes_need_a_dict():
    incorrect_with(ex.check_backward_shapes([(8, 4)]), "dict")


def _lin(dx=None, dW=None, db=None):
    """A linear_backward that is right except for the given replacements."""

    def fn(x, W, b, dy):
        right = linear_backward(x, W, b, dy)
        got = [f(x, W, b, dy) if f else r for f, r in zip((dx, dW, db), right, strict=True)]
        return tuple(got)

    return fn


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_lin(dW=lambda x, W, b, dy: dy.T @ x), "not dy.T @ x"),
        (_lin(dW=lambda x, W, b, dy: x.T @ dy / len(x)), "no division"),
        (_lin(db=lambda x, W, b, dy: dy.mean(axis=0)), "the mean (1/N) is already inside"),
        (_lin(db=lambda x, W, b, dy: dy), "shared by every example"),
        (_lin(db=lambda x, W, b, dy: dy.sum(axis=1)), "batch axis (axis=0)"),
        (_lin(db=lambda x, W, b, dy: dy.sum()), "sum over axis=0 only"),
        (_lin(dx=lambda x, W, b, dy: dy), "returned dy unchanged"),
        (_lin(dx=lambda x, W, b, dy: dy @ W), "dx = dy @ W.T"),  # shapes do not fit: ValueError
        (_lin(dx=lambda x, W, b, dy: -(dy @ W.T)), "wrong sign"),
        (lambda x, W, b, dy: linear_backward(x, W, b, dy)[::-1], "order dx, dW, db"),
        (lambda x, W, b, dy: linear_backward(x, W, b, dy)[:2], "return dx, dW, db"),
        (_lin(dW=lambda x, W, b, dy: x.T @ dy + 0.1), "differs"),
    ],
)
def test_linear_backward_mistakes(wrong, hint):
    incorrect_with(ex.check_linear_backward(wrong), hint)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, dy: dy * (1 - x**2), "square the *output*"),
        (lambda x, dy: 1 - np.tanh(x) ** 2, "multiplies it by the upstream"),
        (lambda x, dy: dy * (1 - np.tanh(x)) ** 2, "square tanh(x) first"),
        (lambda x, dy: dy * np.tanh(x) * (1 - np.tanh(x)), "sigmoid's derivative"),
        (lambda x, dy: dy * np.tanh(x), "tanh itself"),
        (lambda x, dy: dy * (1 - np.tanh(np.tanh(x)) ** 2), "applied twice"),
        (lambda x, dy: dy @ (1 - np.tanh(x) ** 2), "elementwise"),  # (4, 3) @ (4, 3) raises
        (lambda x, dy: dy * (1 - np.tanh(x) ** 2) * 2, "differs"),
    ],
)
def test_tanh_backward_mistakes(wrong, hint):
    incorrect_with(ex.check_tanh_backward(wrong), hint)


def forward_order(layers, grad):
    for layer in layers:
        grad = layer.backward(grad)
    return grad


def not_passed_on(layers, grad):
    out = grad
    for layer in reversed(layers):
        out = layer.backward(grad)
    return out


def no_return(layers, grad):
    for layer in reversed(layers):
        grad = layer.backward(grad)


def only_linears(layers, grad):
    for layer in reversed(layers):
        if isinstance(getattr(layer, "inner", layer), bl.Linear):
            grad = layer.backward(grad)
    return grad


def returns_input_grad(layers, grad):
    g = grad
    for layer in reversed(layers):
        g = layer.backward(g)
    return grad


def backward_twice(layers, grad):
    network_backward(layers, grad)
    return network_backward(layers, grad)


def last_only(layers, grad):
    return layers[-1].backward(grad)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (forward_order, "reverse order"),
        (not_passed_on, "grad = layer.backward(grad)"),
        (no_return, "returned nothing"),
        (only_linears, "were skipped"),
        (returns_input_grad, "not the one you were given"),
        (backward_twice, "visited in the order"),
        (last_only, "only 1 of the 5 layers"),
    ],
)
def test_network_backward_mistakes(wrong, hint):
    incorrect_with(ex.check_network_backward(wrong), hint)


def test_network_backward_detects_wrong_parameter_gradients():
    def doubles_grads(layers, grad):
        out = network_backward(layers, grad)
        for layer in layers:
            for p in layer.parameters():
                p.grad *= 2
        return out

    incorrect_with(ex.check_network_backward(doubles_grads), "accumulated in 0.W")


def _rel(a, b):
    """Elementwise relative errors (the solution before its max)."""
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_rel, "one number"),
        (lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))), "0 by 0"),
        (lambda a, b: np.mean(_rel(a, b)), "not the mean"),
        (lambda a, b: np.max(np.abs(a - b)), "how large the gradients are"),
        (lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(b))), "not by one of them"),
        (lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a))), "not by one of them"),
        (lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))), "|a + b|"),
        (
            lambda a, b: np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)),
            "norm-based",
        ),
        (lambda a, b: np.max(_rel(a, b)) * 3, "expected"),
        (lambda a, b: "small", "return a number"),
        (lambda a, b: np.zeros(2), "not an array"),
    ],
)  # fmt: skip
def test_rel_error_mistakes(wrong, hint):
    incorrect_with(ex.check_rel_error(wrong), hint)


def test_checker_is_not_fooled_by_an_answer_that_edits_its_inputs():
    def inplace(x, W, b, dy):
        dy *= 0
        return linear_backward(x, W, b, dy)

    assert ex.check_linear_backward(inplace).status == "incorrect"
    assert ex.check_linear_backward(linear_backward).status == "correct"


def test_rel_error_messages_name_the_learners_function():
    assert "fill in `my_rel_error`" in str(ex.check_rel_error(stub))

    def broken(a, b):
        raise KeyError("oops")

    assert "`my_rel_error` raised KeyError" in str(ex.check_rel_error(broken))
