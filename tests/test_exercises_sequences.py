"""The checkers of notebooks/13_sequences.ipynb: solutions pass (in every form a learner
writes them), stubs are "not attempted", and each classic mistake gets its specific hint."""

import numpy as np
import pytest

from backprop_lib.exercises import sequences as ex

# ---- the solutions, as in the notebook ----


def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h**2)  # through tanh
    dW_xh = x.T @ da
    dW_hh = h_prev.T @ da
    db = da.sum(axis=0)
    dx = da @ W_xh.T
    dh_prev = da @ W_hh.T
    return dx, dh_prev, dW_xh, dW_hh, db


def two_step_gradient(x1, x2, h0, w, u):
    h1 = np.tanh(w * x1 + u * h0)
    h2 = np.tanh(w * x2 + u * h1)
    d2 = 1 - h2**2  # dL/da2
    d1 = d2 * u * (1 - h1**2)  # dL/da1, through h1
    return d2 * x2 + d1 * x1, d2 * h1 + d1 * h0


def stub(*args):
    raise NotImplementedError()


def none(*args):
    return None


def variant(**changes):
    """rnn_step_backward with one line replaced by a classic mistake."""

    def step(dh, x, h_prev, h, W_xh, W_hh):
        slope = changes.get("slope", lambda h, h_prev: 1 - h**2)(h, h_prev)
        da = dh * slope
        dW_hh = changes.get("dW_hh", lambda da, h, h_prev: h_prev.T @ da)(da, h, h_prev)
        db = changes.get("db", lambda da: da.sum(axis=0))(da)
        dh_prev = changes.get("dh_prev", lambda da, W_hh: da @ W_hh.T)(da, W_hh)
        return da @ W_xh.T, dh_prev, x.T @ da, dW_hh, db

    return step


# ---- 1. one step ----


def test_step_solution_passes_as_arrays_and_as_lists():
    assert ex.check_rnn_step_backward(rnn_step_backward).correct

    def as_lists(*args):
        return [a.tolist() for a in rnn_step_backward(*args)]

    assert ex.check_rnn_step_backward(as_lists).correct


def test_step_reference_is_a_finite_difference_gradient():
    from backprop_lib import numerical_gradient, rel_error

    rng = np.random.default_rng(0)
    (dh, x, h_prev, h, W_xh, W_hh), b = ex._step_case(rng, 3, 2, 4)
    ref = ex.rnn_step_reference(dh, x, h_prev, W_xh, W_hh, b)

    def f(_):
        return np.tanh(x @ W_xh + h_prev @ W_hh + b)

    for got, arr in [(ref[0], x), (ref[1], h_prev), (ref[2], W_xh), (ref[3], W_hh), (ref[4], b)]:
        assert rel_error(got, numerical_gradient(f, arr, dout=dh)) < 1e-7


@pytest.mark.parametrize("fn", [stub, none])
def test_step_stub_is_not_attempted(fn):
    result = ex.check_rnn_step_backward(fn)
    assert result.status == "not attempted" and "not attempted yet" in str(result)


@pytest.mark.parametrize(
    "mistake, hint",
    [
        (dict(slope=lambda h, h_prev: 1.0), "multiply by tanh's slope first"),
        (dict(slope=lambda h, h_prev: 1 - h_prev**2), "not h_prev"),
        (dict(slope=lambda h, h_prev: 1 - h), "differs by up to"),
        (dict(dW_hh=lambda da, h, h_prev: h.T @ da), "the previous state"),
        (dict(dW_hh=lambda da, h, h_prev: da.T @ h_prev), "not da.T @ h_prev"),
        (dict(db=lambda da: da.mean(axis=0)), "not a mean"),
        (dict(dh_prev=lambda da, W_hh: da @ W_hh), "W_hh transposed"),
    ],
)
def test_step_mistakes_get_their_hint(mistake, hint):
    result = ex.check_rnn_step_backward(variant(**mistake))
    assert result.status == "incorrect" and hint in result.message, result.message


def test_step_shape_and_return_mistakes():
    def three(*args):
        return rnn_step_backward(*args)[:3]

    assert "five arrays" in ex.check_rnn_step_backward(three).message

    def hard_coded(dh, x, h_prev, h, W_xh, W_hh):  # sizes of the first case only
        out = rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh)
        return (
            (out[0].reshape(5, 3), *out[1:]) if x.shape == (5, 3) else (np.zeros((5, 3)), *out[1:])
        )

    result = ex.check_rnn_step_backward(hard_coded)
    assert result.status == "incorrect" and "shape" in result.message

    def raises(*args):
        raise ValueError("shapes (5,4) and (3,4) not aligned")

    assert "raised ValueError" in ex.check_rnn_step_backward(raises).message


# ---- 2. two steps ----


def test_two_step_solution_passes_and_matches_finite_differences():
    assert ex.check_two_step_gradient(two_step_gradient).correct
    for x1, x2, h0, w, u in ex.TWO_STEP_CASES:

        def loss(w, u, x1=x1, x2=x2, h0=h0):
            return np.tanh(w * x2 + u * np.tanh(w * x1 + u * h0))

        eps = 1e-6
        dw = (loss(w + eps, u) - loss(w - eps, u)) / (2 * eps)
        du = (loss(w, u + eps) - loss(w, u - eps)) / (2 * eps)
        np.testing.assert_allclose(ex.two_step_reference(x1, x2, h0, w, u), (dw, du), rtol=1e-7)


def test_two_step_accepts_numpy_scalars_and_lists():
    def as_list(*args):
        return [float(v) for v in two_step_gradient(*args)]

    assert ex.check_two_step_gradient(as_list).correct

    def as_array(*args):
        return np.array(two_step_gradient(*args))

    assert ex.check_two_step_gradient(as_array).correct


@pytest.mark.parametrize("fn", [stub, none])
def test_two_step_stub_is_not_attempted(fn):
    assert ex.check_two_step_gradient(fn).status == "not attempted"


def _two_step(kind):
    def grad(x1, x2, h0, w, u):
        h1 = np.tanh(w * x1 + u * h0)
        h2 = np.tanh(w * x2 + u * h1)
        d2 = 1 - h2**2
        if kind == "last only":
            return d2 * x2, d2 * h1
        if kind == "no s1":
            return d2 * (x2 + u * x1), d2 * (h1 + u * h0)
        if kind == "no u":
            return d2 * (x2 + (1 - h1**2) * x1), d2 * (h1 + (1 - h1**2) * h0)
        if kind == "swapped":
            return two_step_gradient(x1, x2, h0, w, u)[::-1]
        if kind == "one number":
            return two_step_gradient(x1, x2, h0, w, u)[1]
        raise AssertionError(kind)

    return grad


@pytest.mark.parametrize(
    "kind, hint",
    [
        ("last only", "only the last step's term"),
        ("no s1", "(1 - h1**2)"),
        ("no u", "multiplied by u"),
        ("swapped", "in the order dL/dw, dL/du"),
        ("one number", "two numbers"),
    ],
)
def test_two_step_mistakes_get_their_hint(kind, hint):
    result = ex.check_two_step_gradient(_two_step(kind))
    assert result.status == "incorrect" and hint in result.message, result.message


def test_two_step_cases_separate_every_mistake_from_the_answer():
    # on each case every wrong formula differs from the right one by more than the tolerance
    for case in ex.TWO_STEP_CASES:
        right = np.array(two_step_gradient(*case))
        for kind in ["last only", "no s1", "no u", "swapped"]:
            wrong = np.array(_two_step(kind)(*case))
            assert np.max(np.abs(wrong - right)) > 1e-3, (kind, case)


# ---- 3. clipping ----


@pytest.mark.parametrize("answer", ["b", "B", " b ", "(b)", "b)"])
def test_clipping_right_answer_in_any_form(answer):
    assert ex.check_clipping_answer(answer).correct


@pytest.mark.parametrize("answer, hint", [("a", "same factor"), ("c", "never more than 1"),
                                          ("d", "not the weights")])  # fmt: skip
def test_clipping_wrong_answers_get_their_hint(answer, hint):
    result = ex.check_clipping_answer(answer)
    assert result.status == "incorrect" and hint in result.message


def test_clipping_answer_as_a_function_as_in_the_notebook():
    def clipping_answer():
        return "b"

    assert ex.check_clipping_answer(clipping_answer).correct
    assert ex.check_clipping_answer(stub).status == "not attempted"
    assert ex.check_clipping_answer(lambda: "a").status == "incorrect"


def test_clipping_not_attempted_and_malformed():
    assert ex.check_clipping_answer(None).status == "not attempted"
    assert ex.check_clipping_answer(...).status == "not attempted"
    assert "one of the letters" in ex.check_clipping_answer("e").message
    assert "as a string" in ex.check_clipping_answer(2).message
    assert set(ex.CLIPPING_OPTIONS) == {"a", "b", "c", "d"}


# ---- the notebook's own exercise cells, as written and as the student edition has them ----


def _solution_cells():
    import json
    import re
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "notebooks" / "13_sequences.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    solutions = [s for s in sources if "### BEGIN SOLUTION" in s]
    stubbed = [
        re.sub(r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
               lambda m: m.group(1) + "raise NotImplementedError()", s, flags=re.S)
        for s in solutions
    ]  # fmt: skip
    return solutions, stubbed


CHECKS = {
    "rnn_step_backward": ex.check_rnn_step_backward,
    "two_step_gradient": ex.check_two_step_gradient,
    "clipping_answer": ex.check_clipping_answer,
}


@pytest.mark.parametrize("student", [False, True])
def test_the_notebooks_solutions_pass_and_its_student_stubs_are_not_attempted(student):
    solutions, stubbed = _solution_cells()
    assert len(solutions) == 3
    namespace = {"np": np}
    for source in stubbed if student else solutions:
        exec(source, namespace)  # defines the function; a stub raises only when called
    for name, check in CHECKS.items():
        result = check(namespace[name])
        assert result.status == ("not attempted" if student else "correct"), (name, result)


# ---- tanh's slope from the wrong value, other forms of the scalars ----


def test_step_with_tanh_applied_to_h_again_is_named():
    result = ex.check_rnn_step_backward(variant(slope=lambda h, h_prev: 1 - np.tanh(h) ** 2))
    assert result.status == "incorrect" and "1 - np.tanh(h)**2" in result.message, result.message


def _two_step_slope(kind):
    def grad(x1, x2, h0, w, u):
        h1 = np.tanh(w * x1 + u * h0)
        h2 = np.tanh(w * x2 + u * h1)
        d2 = 1 - h2**2
        s1 = {"h2": 1 - h2**2, "tanh twice": 1 - np.tanh(h1) ** 2}[kind]
        if kind == "tanh twice":
            d2 = 1 - np.tanh(h2) ** 2
        d1 = d2 * u * s1
        return d2 * x2 + d1 * x1, d2 * h1 + d1 * h0

    return grad


@pytest.mark.parametrize(
    "kind, hint", [("h2", "step 1's own output h1"), ("tanh twice", "1 - np.tanh(h)**2")]
)
def test_two_step_slope_of_the_wrong_value_is_named(kind, hint):
    result = ex.check_two_step_gradient(_two_step_slope(kind))
    assert result.status == "incorrect" and hint in result.message, result.message


def test_two_step_accepts_size_one_arrays_and_float32():
    def size_one(*case):
        return tuple(np.array([v]) for v in two_step_gradient(*case))

    def float32(*case):
        return tuple(np.float32(v) for v in two_step_gradient(*case))

    assert ex.check_two_step_gradient(size_one).correct
    assert ex.check_two_step_gradient(float32).correct
    assert ex.check_two_step_gradient(lambda *c: [[v] for v in two_step_gradient(*c)]).correct


@pytest.mark.parametrize("answer", ["b.", "B.", "b) ", "option b", "(B)."])
def test_clipping_letter_with_punctuation_or_a_word(answer):
    assert ex.check_clipping_answer(lambda: answer).correct


@pytest.mark.parametrize(
    "answer",
    [lambda *a: "text", lambda *a: [1, [2, 3]], lambda *a: ([1, [2]], 1.0), lambda *a: {"a": 1},
     lambda *a: 1 / 0],
)  # fmt: skip
def test_no_answer_makes_a_checker_raise(answer):
    for check in (ex.check_rnn_step_backward, ex.check_two_step_gradient, ex.check_clipping_answer):
        assert check(answer).status == "incorrect"


def test_step_in_float32_passes():
    def float32(*args):
        return tuple(
            o.astype(np.float32) for o in rnn_step_backward(*(a.astype(np.float32) for a in args))
        )

    assert ex.check_rnn_step_backward(float32).correct
