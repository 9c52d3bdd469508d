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
        (_lin(dx=lambda x, W, b, dy: x), "x itself"),
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
        (lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))), "divide 0 by 0"),
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
        (lambda a, b: "small", "should be a number"),
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


# ---- the relative error's floor, tested where it matters ----


def _floored(floor):
    def rel(a, b):
        return np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b)))

    return rel


@pytest.mark.parametrize("floor", [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-9, 1e-10, 1e-11])
def test_rel_error_with_another_floor_is_rejected(floor):
    incorrect_with(ex.check_rel_error(_floored(floor)), "the floor is 1e-8")


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda a, b: np.nanmax(np.abs(a - b) / (np.abs(a) + np.abs(b))), "needs its floor"),
        (_floored(1e-14), "needs its floor"),
        (lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8)),
         "not something to add"),
        (lambda a, b: np.sum(_rel(a, b)), "not the sum"),
        (lambda a, b: np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))),
         "entry by entry"),
    ],
)  # fmt: skip
def test_rel_error_floor_and_reduction_mistakes(wrong, hint):
    with np.errstate(all="ignore"):
        incorrect_with(ex.check_rel_error(wrong), hint)


def test_the_floor_is_tried_at_several_scales():
    """Pairs with entries near 1e-5, 1e-7, 1e-9 and 1e-12: not only 0 / 0."""
    sums = np.concatenate(
        [(np.abs(a) + np.abs(b)).ravel() for a, b in ex._pairs(np.random.default_rng(600))]
    )
    for scale in (1e-5, 1e-7, 1e-9, 1e-12):
        assert np.any((scale / 10 < sums) & (sums < scale * 10)), scale


@pytest.mark.parametrize(
    "answer",
    [
        lambda a, b: np.float32(my_rel_error(a, b)),
        lambda a, b: [my_rel_error(a, b)],
        lambda a, b: np.array(my_rel_error(a, b)),
        lambda a, b: (np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)).max(),
    ],
)
def test_rel_error_right_answers_in_other_forms(answer):
    result = ex.check_rel_error(answer)
    assert result.correct, result.message


def test_rel_error_message_shows_the_difference():
    """Off by 1e-4 (relative): with 3 digits both numbers would read alike."""
    result = ex.check_rel_error(lambda a, b: my_rel_error(a, b) * (1 + 1e-4))
    assert result.status == "incorrect"
    got, want = result.message.split("you got ")[1].split(":")[0].split(", expected ")
    assert got != want, result.message


# ---- every case has other sizes: code written for one size fails ----


def test_linear_cases_differ_in_every_dimension():
    first, second = ex._LINEAR_SIZES
    assert all(a != b for a, b in zip(first, second, strict=True))
    for case in ex._LINEAR_SIZES:
        assert len(set(case)) == 3, case


def linear_backward_fixed_batch(x, W, b, dy):
    """Batch sums written out for five examples."""
    dW = sum(np.outer(x[k], dy[k]) for k in range(5))
    db = dy[0] + dy[1] + dy[2] + dy[3] + dy[4]
    return dy @ W.T, dW, db


def linear_backward_fixed_db(x, W, b, dy):
    dx, dW, _ = linear_backward(x, W, b, dy)
    return dx, dW, dy[0] + dy[1] + dy[2] + dy[3] + dy[4]


def tanh_backward_reshaped(x, dy):
    return dy * (1 - np.tanh(x) ** 2).reshape(4, 3)


def network_backward_five_layers(layers, grad):
    for i in [4, 3, 2, 1, 0]:
        grad = layers[i].backward(grad)
    return grad


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (ex.check_linear_backward, linear_backward_fixed_batch),
        (ex.check_linear_backward, linear_backward_fixed_db),
        (ex.check_tanh_backward, tanh_backward_reshaped),
        (ex.check_network_backward, network_backward_five_layers),
    ],
)
def test_code_written_for_one_size_fails_and_is_told_why(check, answer):
    incorrect_with(check(answer), "hard-coded")


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (ex.check_linear_backward, lambda *args: [v.tolist() for v in linear_backward(*args)]),
        (
            ex.check_linear_backward,
            lambda *args: linear_backward(*(np.asarray(a, np.float32) for a in args)),
        ),
        (ex.check_linear_backward, lambda x, W, b, dy: (dy @ W.T, x.T @ dy, np.ones(len(x)) @ dy)),
        (ex.check_tanh_backward, lambda x, dy: tanh_backward(x.astype(np.float32), dy)),
        (ex.check_tanh_backward, lambda x, dy: dy * bl.d_tanh(x)),
        (ex.check_tanh_backward, lambda x, dy: (dy * (1 - np.tanh(x) ** 2)).tolist()),
        (ex.check_network_backward, lambda layers, g: [network_backward(layers, g)][0].tolist()),
    ],
)
def test_right_answers_in_other_forms_are_accepted(check, answer):
    result = check(answer)
    assert result.correct, result.message


def test_tanh_backward_tries_a_one_dimensional_input():
    assert any(len(shape) == 1 for shape in ex._TANH_SHAPES)
    assert len({shape for shape in ex._TANH_SHAPES}) == len(ex._TANH_SHAPES)


def test_network_backward_tries_two_depths_and_batches():
    (sizes_1, batch_1), (sizes_2, batch_2) = ex._NETWORKS
    assert len(sizes_1) != len(sizes_2) and batch_1 != batch_2


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_lin(db=lambda x, W, b, dy: dy.sum(axis=0, keepdims=True)), "keepdims"),
        (lambda x, dy: dy * (1 - np.tanh(dy) ** 2), "not at the gradient dy"),
    ],
)
def test_more_mistakes_are_named(wrong, hint):
    check = ex.check_linear_backward if wrong.__code__.co_argcount == 4 else ex.check_tanh_backward
    incorrect_with(check(wrong), hint)


# ---- nothing a learner returns makes a checker raise ----

JUNK = ["abc", [[1.0, 2.0], [3.0]], {"dx": 1}, object(), np.array([np.nan]), 1j, (1, 2, 3)]


@pytest.mark.parametrize("check", [c for c, _ in FUNCTION_CHECKS])
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_answers_are_incorrect_not_errors(check, junk):
    with np.errstate(all="ignore"):
        result = check(lambda *args: junk)
    assert result.status == "incorrect", result.message


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_in_linear_backward_triples_is_incorrect_not_an_error(junk):
    def triple(x, W, b, dy):
        dx, dW, _ = linear_backward(x, W, b, dy)
        return dx, junk, dy.sum(axis=0)

    assert ex.check_linear_backward(triple).status == "incorrect"


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_shapes_are_incorrect_not_errors(junk):
    assert ex.check_backward_shapes(junk).status == "incorrect"
    assert ex.check_backward_shapes({**SHAPES, "db": junk}).status == "incorrect"


@pytest.mark.parametrize("stub_value", [None, ...])
def test_an_unset_shapes_dict_is_not_attempted(stub_value):
    assert "not attempted yet" in str(ex.check_backward_shapes(stub_value))


@pytest.mark.parametrize("check", [c for c, _ in FUNCTION_CHECKS])
def test_a_stub_that_returns_none_explicitly_is_not_attempted(check):
    assert "not attempted yet" in str(check(lambda *args: None))
