"""The checkers of notebooks/01_forward_pass.ipynb: solutions pass, stubs are "not attempted",
and each typical mistake gets its specific hint."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import forward as ex

# ---- the solutions, as written in the notebook's <details> blocks ----


def neuron(x, w, b):
    return bl.sigmoid(w @ x + b)


def linear_forward(x, W, b):
    return x @ W + b


def two_layer(x, W1, b1, W2, b2):
    h = np.tanh(x @ W1 + b1)
    return bl.sigmoid(h @ W2 + b2)


def collapse(W1, b1, W2, b2):
    return W1 @ W2, b1 @ W2 + b2


SHAPES = {"x": (8, 3), "W": (3, 4), "b": (4,), "y": (8, 4)}


def stub(*args):
    return ...


def raises_stub(*args):
    raise NotImplementedError


# ---- solutions are correct, stubs not attempted ----


@pytest.mark.parametrize(
    ("check", "solution"),
    [
        (ex.check_neuron, neuron),
        (ex.check_linear_forward, linear_forward),
        (ex.check_two_layer, two_layer),
        (ex.check_collapse, collapse),
        (ex.check_layer_shapes, SHAPES),
    ],
)
def test_solution_is_correct(check, solution):
    result = check(solution)
    assert result.status == "correct", result.message


def test_shapes_accept_lists_and_an_int_for_b():
    assert ex.check_layer_shapes({"x": [8, 3], "W": (3, 4), "b": 4, "y": (8, 4)}).correct


@pytest.mark.parametrize(
    "check", [ex.check_neuron, ex.check_linear_forward, ex.check_two_layer, ex.check_collapse]
)
@pytest.mark.parametrize("fn", [stub, raises_stub])
def test_stub_is_not_attempted(check, fn):
    result = check(fn)
    assert result.status == "not attempted"
    assert "not attempted yet" in str(result)


def test_untouched_shapes_are_not_attempted():
    assert ex.check_layer_shapes(dict.fromkeys("xWby", ...)).status == "not attempted"


# ---- typical mistakes get a specific hint ----


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, w, b: w @ x + b, "activation"),
        (lambda x, w, b: bl.sigmoid(w @ x), "bias is missing"),
        (lambda x, w, b: bl.sigmoid(w @ x) + b, "inside the activation"),
        (lambda x, w, b: bl.sigmoid(w * x + b), "elementwise"),
        (lambda x, w, b: np.tanh(w @ x + b), "tanh"),
        (lambda x, w, b: bl.sigmoid(w @ x + b) + 0.1, "differs"),
    ],
)
def test_neuron_mistakes(wrong, hint):
    result = ex.check_neuron(wrong)
    assert result.status == "incorrect"
    assert hint in result.message


@pytest.mark.parametrize(
    ("shapes", "hint"),
    [
        ({**SHAPES, "W": (4, 3)}, "PyTorch"),
        ({**SHAPES, "b": (8, 4)}, "shared by every example"),
        ({**SHAPES, "b": (3,)}, "output unit, not an input"),
        ({**SHAPES, "x": (3, 8)}, "batches are rows"),
        ({**SHAPES, "y": (4, 8)}, "batches are rows"),
        ({**SHAPES, "y": (8, 7)}, "should not have shape (8, 7)"),
        ({**SHAPES, "y": ...}, "fill in the shape of y"),
        ({**SHAPES, "W": "three by four"}, "tuple of ints"),
    ],
)
def test_shape_mistakes(shapes, hint):
    result = ex.check_layer_shapes(shapes)
    assert result.status == "incorrect"
    assert hint in result.message


def test_shapes_need_a_dict():
    assert "dict" in ex.check_layer_shapes([(8, 3)]).message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, W, b: x @ W, "bias is missing"),
        (lambda x, W, b: np.tanh(x @ W + b), "no activation"),
        (lambda x, W, b: np.maximum(x @ W + b, 0), "no activation"),
        (lambda x, W, b: W @ x + b, "x @ W"),
        (lambda x, W, b: x @ W.T + b, "x @ W"),
        (lambda x, W, b: x @ W - b, "subtracted"),
        (lambda x, W, b: x @ W + 2 * b, "differs"),
    ],
)
def test_linear_forward_mistakes(wrong, hint):
    result = ex.check_linear_forward(wrong)
    assert result.status == "incorrect"
    assert hint in result.message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, W1, b1, W2, b2: bl.sigmoid((x @ W1 + b1) @ W2 + b2), "needs its tanh"),
        (lambda x, W1, b1, W2, b2: np.tanh(x @ W1 + b1) @ W2 + b2, "needs its sigmoid"),
        (lambda x, W1, b1, W2, b2: bl.sigmoid(bl.sigmoid(x @ W1 + b1) @ W2 + b2), "tanh here"),
        (lambda x, W1, b1, W2, b2: bl.sigmoid(np.tanh(x @ W1 + b1) @ W2), "b2 is missing"),
        (lambda x, W1, b1, W2, b2: bl.sigmoid(np.tanh(x @ W1) @ W2 + b2), "b1 is missing"),
        (lambda x, W1, b1, W2, b2: bl.sigmoid(np.tanh(x @ W2 + b1) @ W1 + b2), "x @ W"),
    ],
)
def test_two_layer_mistakes(wrong, hint):
    result = ex.check_two_layer(wrong)
    assert result.status == "incorrect"
    assert hint in result.message


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda W1, b1, W2, b2: (W2 @ W1, b1 @ W2 + b2), "x meets W1 first"),
        (lambda W1, b1, W2, b2: (W1 @ W2, b1 + b2), "b1 passes through W2"),
        (lambda W1, b1, W2, b2: (W1 @ W2, b2), "b1 also passes through W2"),
        (lambda W1, b1, W2, b2: (W1 @ W2, b1 @ W2), "b2 is added after W2"),
        (lambda W1, b1, W2, b2: ((W1 @ W2).T, b1 @ W2 + b2), "transposed"),
        (lambda W1, b1, W2, b2: W1 @ W2, "return W, b"),
    ],
)
def test_collapse_mistakes(wrong, hint):
    result = ex.check_collapse(wrong)
    assert result.status == "incorrect"
    assert hint in result.message


def test_collapse_solution_really_is_one_layer():
    """The fact the exercise teaches: identity activations leave a single linear map."""
    rng = np.random.default_rng(0)
    net = bl.Sequential(bl.Linear(2, 4, rng=rng), bl.Identity(), bl.Linear(4, 3, rng=rng))
    net[0].b.data[...] = rng.normal(size=4)
    W, b = collapse(*(p.data for p in net.parameters()))
    x = rng.normal(size=(7, 2))
    np.testing.assert_allclose(net(x), x @ W + b, rtol=1e-12)


def test_checker_does_not_modify_reference_with_inplace_answer():
    """An answer that edits its inputs in place cannot corrupt the reference."""

    def inplace(x, W, b):
        W *= 2
        return x @ W + b

    assert ex.check_linear_forward(inplace).status == "incorrect"
    assert ex.check_linear_forward(linear_forward).status == "correct"


# ---- right answers in other forms ----


def _f32(*arrays):
    return [np.asarray(a, dtype=np.float32) for a in arrays]


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (ex.check_neuron, lambda x, w, b: float(bl.sigmoid(np.dot(w, x) + b))),
        (ex.check_neuron, lambda x, w, b: np.array([bl.sigmoid(w @ x + b)])),  # one element
        (ex.check_neuron, lambda x, w, b: 1 / (1 + np.exp(-(np.sum(w * x) + b)))),
        (ex.check_neuron, lambda x, w, b: np.float32(neuron(*_f32(x, w, b)))),
        (ex.check_linear_forward, lambda x, W, b: (x @ W + b).tolist()),
        (ex.check_linear_forward, lambda x, W, b: np.einsum("ni,io->no", x, W) + b),
        (ex.check_linear_forward, lambda x, W, b: linear_forward(*_f32(x, W, b))),
        (ex.check_two_layer, lambda *args: two_layer(*_f32(*args))),
        (ex.check_two_layer, lambda *args: two_layer(*args).tolist()),
        (ex.check_collapse, lambda *args: list(collapse(*args))),
        (ex.check_collapse, lambda *args: tuple(a.astype(np.float32) for a in collapse(*args))),
    ],
)
def test_right_answers_in_other_forms_are_accepted(check, answer):
    result = check(answer)
    assert result.correct, result.message


@pytest.mark.parametrize(
    "shapes",
    [
        {"x": [8, 3], "W": (3, 4), "b": 4, "y": (8, 4)},
        {"x": np.zeros((8, 3)).shape, "W": np.array([3, 4]), "b": (np.int64(4),), "y": [8, 4]},
    ],
)
def test_shapes_in_other_forms_are_accepted(shapes):
    assert ex.check_layer_shapes(shapes).correct


@pytest.mark.parametrize("bad", ["83", (8.5, 3), ((8, 3),), (True, 3)])
def test_shapes_that_are_not_tuples_of_ints_are_rejected(bad):
    result = ex.check_layer_shapes({**SHAPES, "x": bad})
    assert result.status == "incorrect"
    assert "tuple of ints" in result.message


@pytest.mark.parametrize("stub_value", [None, ...])
def test_an_unset_shapes_dict_is_not_attempted(stub_value):
    assert ex.check_layer_shapes(stub_value).status == "not attempted"


# ---- the cases differ in every size, so code written for one size fails ----


def test_cases_differ_in_every_dimension():
    for sizes in (ex._LINEAR_SIZES, ex._TWO_LAYER_SIZES, ex._COLLAPSE_SIZES):
        first, second = sizes
        assert all(a != b for a, b in zip(first, second, strict=True)), sizes
        for case in sizes:  # within a case too, so a transposed array cannot fit by luck
            assert len(set(case)) == len(case), case


def neuron_for_three(x, w, b):
    return bl.sigmoid(w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b)


def linear_forward_loops(x, W, b):
    """The double loop of the notebook, with the first case's sizes written in."""
    return np.array(
        [[sum(x[k, i] * W[i, j] for i in range(3)) + b[j] for j in range(2)] for k in range(5)]
    )


def linear_forward_fixed_batch(x, W, b):
    return np.stack([x[k] @ W + b for k in range(5)])


def two_layer_loops(x, W1, b1, W2, b2):
    out = np.zeros((6, 1))
    for k in range(6):
        h = np.tanh(x[k] @ W1 + b1)
        out[k, 0] = bl.sigmoid(h @ W2[:, 0] + b2[0])
    return out


def collapse_loops(W1, b1, W2, b2):
    W = np.array([[W1[i] @ W2[:, j] for j in range(3)] for i in range(2)])
    return W, b1 @ W2 + b2


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (ex.check_neuron, neuron_for_three),
        (ex.check_linear_forward, linear_forward_loops),
        (ex.check_linear_forward, linear_forward_fixed_batch),
        (ex.check_two_layer, two_layer_loops),
        (ex.check_collapse, collapse_loops),
    ],
)
def test_code_written_for_one_size_fails_and_is_told_why(check, answer):
    result = check(answer)
    assert result.status == "incorrect"
    assert "hard-coded" in result.message, result.message


@pytest.mark.parametrize(
    ("check", "wrong", "hint"),
    [
        (ex.check_neuron, lambda x, w, b: bl.sigmoid(-(w @ x + b)), "minus sign"),
        (ex.check_neuron, lambda x, w, b: 1 - bl.sigmoid(w @ x + b), "minus sign"),
        (
            ex.check_two_layer,
            lambda x, W1, b1, W2, b2: np.tanh(bl.sigmoid(x @ W1 + b1) @ W2 + b2),
            "swapped",
        ),
    ],
)
def test_more_mistakes_are_named(check, wrong, hint):
    result = check(wrong)
    assert result.status == "incorrect"
    assert hint in result.message, result.message


# ---- nothing a learner returns makes a checker raise ----

JUNK = ["abc", [[1.0, 2.0], [3.0]], {"y": 1}, object(), np.array([np.nan]), 1j, (1, 2, 3)]
CHECKS = [ex.check_neuron, ex.check_linear_forward, ex.check_two_layer, ex.check_collapse]


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_answers_are_incorrect_not_errors(check, junk):
    result = check(lambda *args: junk)
    assert result.status == "incorrect", result.message


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_shapes_are_incorrect_not_errors(junk):
    assert ex.check_layer_shapes(junk).status == "incorrect"
    assert ex.check_layer_shapes({**SHAPES, "W": junk}).status == "incorrect"


@pytest.mark.parametrize("check", CHECKS)
def test_a_stub_that_returns_none_explicitly_is_not_attempted(check):
    def stub_none(*args):
        return None

    assert "not attempted yet" in str(check(stub_none))
