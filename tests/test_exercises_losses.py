"""The checkers of notebooks/06_loss_functions.ipynb: solutions pass in every form a learner
writes them, stubs are "not attempted", and each classic mistake gets the hint that names it.
The expected answers are recomputed independently (central differences, the library's loss
classes, a float128-free direct formula)."""

import math

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import losses as ex

# ---- the solutions, as written in the notebook ----


def mse_and_grad(pred, target):
    diff = pred - target
    return np.mean(diff**2), 2 * diff / diff.size


def log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def softmax_ce_grad(z, y):
    p = np.exp(log_softmax(z))
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def choose_losses():
    return {"house_price": "MSELoss", "spam": "BCEWithLogitsLoss", "digit": "CrossEntropyLoss",
            "rain": "BCELoss"}  # fmt: skip


def stub(*args):
    raise NotImplementedError()


# ---- the expected answers agree with independent computations ----


@pytest.mark.parametrize("shape", [(5, 1), (8, 3), (2, 7)])
def test_mse_gradient_is_the_numerical_one(shape):
    rng = np.random.default_rng(sum(shape))
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, grad = mse_and_grad(pred, target)
    numeric = bl.numerical_gradient(lambda p: np.mean((p - target) ** 2), pred.copy())
    assert bl.rel_error(grad, numeric) < 1e-7
    assert loss == pytest.approx(bl.MSELoss()(pred, target))


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (6, 2)])
def test_softmax_ce_gradient_is_the_numerical_one(shape):
    rng = np.random.default_rng(sum(shape))
    z = rng.normal(size=shape) * 3
    y = rng.integers(0, shape[1], size=shape[0])
    numeric = bl.numerical_gradient(lambda v: bl.CrossEntropyLoss()(v, y), z.copy())
    assert bl.rel_error(softmax_ce_grad(z, y), numeric) < 1e-7
    assert ex.report_gradcheck(softmax_ce_grad, z, y, numeric).correct


def test_log_softmax_is_finite_where_the_naive_one_is_not():
    z = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(all="ignore"):
        naive = np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    assert not np.all(np.isfinite(naive))
    np.testing.assert_allclose(log_softmax(z), [[0.0, -1000.0, -2000.0]])
    z = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(np.exp(log_softmax(z)), bl.softmax(z))


# ---- right answers, in every form ----


def test_solutions_are_correct():
    assert ex.check_mse(mse_and_grad).correct
    assert ex.check_log_softmax(log_softmax).correct
    assert ex.check_softmax_ce_grad(softmax_ce_grad).correct
    assert ex.check_loss_choice(choose_losses).correct


def test_other_correct_forms_are_accepted():
    def mse_lists(pred, target):  # a list and a Python float, float32 arithmetic
        d = (pred - target).astype(np.float32)
        return [float((d**2).sum() / d.size), (2 * d / d.size).tolist()]

    def mse_library(pred, target):
        loss = bl.MSELoss()
        return loss(pred, target), loss.backward()

    assert ex.check_mse(mse_lists).correct
    assert ex.check_mse(mse_library).correct

    def log_softmax_logaddexp(z):
        return z - np.logaddexp.reduce(z, axis=-1, keepdims=True)

    assert ex.check_log_softmax(log_softmax_logaddexp).correct

    def ce_onehot(z, y):  # one-hot built with np.eye, the library's softmax
        return (bl.softmax(z) - np.eye(z.shape[1])[y]) / z.shape[0]

    def ce_library(z, y):
        loss = bl.CrossEntropyLoss()
        loss(z, y)
        return loss.backward().tolist()

    assert ex.check_softmax_ce_grad(ce_onehot).correct
    assert ex.check_softmax_ce_grad(ce_library).correct

    forms = {"house_price": bl.MSELoss, "spam": bl.BCEWithLogitsLoss(),
             "digit": "nn.CrossEntropyLoss()", "rain": "bce"}  # fmt: skip
    assert ex.check_loss_choice(forms).correct
    assert ex.check_loss_choice(lambda: forms).correct
    assert ex.check_loss_choice({**forms, "house_price": "mse", "digit": "cross-entropy"}).correct


def test_stubs_are_not_attempted():
    for check in (ex.check_mse, ex.check_log_softmax, ex.check_softmax_ce_grad,
                  ex.check_loss_choice):  # fmt: skip
        assert check(stub).status == "not attempted"
        assert check(lambda *a: None).status == "not attempted"
        assert "not attempted yet" in str(check(stub))
    assert ex.check_mse(lambda p, t: (..., ...)).status == "not attempted"
    assert ex.check_loss_choice(dict.fromkeys(ex.LOSS_TASKS, ...)).status == "not attempted"
    assert ex.report_gradcheck(stub, np.zeros((2, 2)), [0, 1], np.zeros((2, 2))).status == (
        "not attempted"
    )


# ---- classic mistakes, each with its hint ----


def _d(p, t):
    return p - t


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda p, t: (np.sum(_d(p, t) ** 2), 2 * _d(p, t) / p.size), "sum of the squared"),
        (lambda p, t: (np.sum(_d(p, t) ** 2) / len(p), 2 * _d(p, t) / p.size), "number of rows"),
        (lambda p, t: (np.mean(_d(p, t)), 2 * _d(p, t) / p.size), "mean error"),
        (lambda p, t: (np.mean(np.abs(_d(p, t))), 2 * _d(p, t) / p.size), "absolute"),
        (lambda p, t: (np.sqrt(np.mean(_d(p, t) ** 2)), 2 * _d(p, t) / p.size), "RMSE"),
        (lambda p, t: (np.mean(_d(p, t) ** 2) / 2, _d(p, t) / p.size), "half the MSE"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), 2 * _d(p, t)), "without the mean"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), _d(p, t) / p.size), "half the right size"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), 2 * (t - p) / p.size), "wrong sign"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), 2 * _d(p, t) / len(p)), "divides by"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), 2 * _d(p, t) / 5), "never a fixed number"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), 2 * _d(p, t) / (p.size / 2)), "2 x the right"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), (2 * _d(p, t) / p.size).T), "transposed"),
        (lambda p, t: (np.mean(_d(p, t) ** 2), 2 * _d(p, t) ** 2 / p.size), "differs"),
        (lambda p, t: (np.mean(_d(p, t) ** 2) + 1, 2 * _d(p, t) / p.size), "expected"),
        (lambda p, t: np.mean(_d(p, t) ** 2), "return two things"),
        (lambda p, t: (_d(p, t) ** 2, 2 * _d(p, t) / p.size), "one number"),
    ],
)
def test_mse_mistakes(answer, hint):
    result = ex.check_mse(answer)
    assert result.status == "incorrect"
    assert hint in result.message, result.message


def _lse(z, axis=1):
    m = z.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda z: np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)), "inf or NaN"),
        (lambda z: np.log(bl.softmax(z)), "inf or NaN"),  # stable softmax, then a naive log
        (lambda z: bl.softmax(z), "softmax(z) itself"),
        (lambda z: z - z.max(axis=1, keepdims=True), "not the log of the sum"),
        (
            lambda z: (
                z - np.log(np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))
            ),
            "did not add it back",
        ),
        (lambda z: z - _lse(z, axis=0), "axis=0"),
        (lambda z: z - _lse(z)[:, 0], "keepdims"),  # raises on (4, 3), wrong on (4, 4)
        (lambda z: z - _lse(z)[:, 0] if z.shape == (4, 4) else z - _lse(z), "wrong axis"),
        (lambda z: (z - _lse(z)).T, "shape"),
        (lambda z: z - _lse(z) + 0.1, "sum to 1"),
    ],
)
def test_log_softmax_mistakes(answer, hint):
    with np.errstate(all="ignore"):
        result = ex.check_log_softmax(answer)
    assert result.status == "incorrect"
    assert hint in result.message, result.message


def _p(z):
    return bl.softmax(z)


def _oh(z, y):
    return np.eye(z.shape[1])[y]


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda z, y: _p(z) - _oh(z, y), "without the mean"),
        (lambda z, y: (_oh(z, y) - _p(z)) / len(y), "wrong sign"),
        (lambda z, y: (_p(z) - _oh(z, y)) / 5, "never a fixed number"),
        (lambda z, y: (_p(z) - _oh(z, y)) / (len(y) // 2 or 1), "divides by"),
        (lambda z, y: _p(z) / len(y), "subtract the one-hot"),
        (lambda z, y: (z - _oh(z, y)) / len(y), "logits"),
        (lambda z, y: (bl.softmax(z, axis=0) - _oh(z, y)) / len(y), "axis=0"),
        (lambda z, y: (_p(z) - _oh(z, y)) / z.size, "N x C"),
        (lambda z, y: -_oh(z, y) / (len(y) * _p(z)), "dL/dp"),
        (lambda z, y: ((_p(z) - _oh(z, y)) / len(y)).T, "shape"),
        (lambda z, y: (_p(z) - _oh(z, y)) ** 2, "differs"),
        (lambda z, y: "gradient", "array of numbers"),
    ],
)
def test_softmax_ce_mistakes(answer, hint):
    result = ex.check_softmax_ce_grad(answer)
    assert result.status == "incorrect"
    assert hint in result.message, result.message


def test_gradcheck_report_flags_a_wrong_gradient():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4)
    numeric = bl.numerical_gradient(lambda v: bl.CrossEntropyLoss()(v, y), z.copy())
    result = ex.report_gradcheck(lambda z, y: _p(z) - _oh(z, y), z, y, numeric)
    assert result.status == "incorrect" and "above 1e-7" in result.message
    assert "shape" in ex.report_gradcheck(lambda z, y: z.T, z, y, numeric).message


@pytest.mark.parametrize(
    "task, answer, hint",
    [
        ("house_price", "BCELoss", "not a probability"),
        ("house_price", "CrossEntropyLoss", "class labels"),
        ("spam", "MSELoss", "learns slowly"),
        ("spam", "BCELoss", "raw score"),
        ("spam", "CrossEntropyLoss", "single logit"),
        ("spam", "binary cross-entropy", "which binary cross-entropy"),
        ("digit", "MSELoss", "ten logits"),
        ("digit", "BCEWithLogitsLoss", "own yes/no"),
        ("rain", "BCEWithLogitsLoss", "second one"),
        ("rain", "MSELoss", "learns slowly"),
        ("rain", "hinge", "not one of the library's losses"),
        ("rain", None, "choose a loss for 'rain'"),
    ],
)
def test_loss_choice_mistakes(task, answer, hint):
    answers = {**choose_losses(), task: answer}
    result = ex.check_loss_choice(answers)
    assert result.status == "incorrect"
    assert hint in result.message, result.message
    assert task in result.message


def test_loss_choice_wants_a_dict():
    assert "return a dict" in ex.check_loss_choice(lambda: ["MSELoss"]).message


def test_every_task_has_an_answer_the_library_accepts():
    # the intended answers really train on such outputs/targets; the wrong ones raise
    rng = np.random.default_rng(0)
    logits, probs = rng.normal(size=(6, 1)), bl.sigmoid(rng.normal(size=(6, 1)))
    labels01 = rng.integers(0, 2, size=(6, 1)).astype(float)
    prices = rng.normal(3e5, 5e4, size=(6, 1))
    assert math.isfinite(bl.MSELoss()(logits, prices))
    assert math.isfinite(bl.BCEWithLogitsLoss()(logits, labels01))
    assert math.isfinite(bl.CrossEntropyLoss()(rng.normal(size=(6, 10)), rng.integers(0, 10, 6)))
    assert math.isfinite(bl.BCELoss()(probs, labels01))
    with pytest.raises(ValueError, match="targets must be in"):
        bl.BCEWithLogitsLoss()(logits, prices)
    with pytest.raises(ValueError, match="probabilities"):
        bl.BCELoss()(logits * 10, labels01)


# ---- answers that fit only the sizes or the data of some cases ----


def test_mse_takes_n_from_any_shape_not_from_two_axes():
    # "arrays of any shape": rows x columns is n for a matrix only
    def two_axes(p, t):
        d = p - t
        return np.mean(d**2), 2 * d / (p.shape[0] * p.shape[1])

    result = ex.check_mse(two_axes)
    assert result.status == "incorrect"
    assert "divides by 6" in result.message and "(2, 3, 2)" in result.message, result.message

    def rows_times_the_rest(p, t):  # n written another way, right for every shape
        d = p - t
        return np.mean(d**2), 2 * d / (d.shape[0] * int(np.prod(d.shape[1:])))

    assert ex.check_mse(rows_times_the_rest).correct  # the same n, written another way

    def needs_two_axes(p, t):  # right for 2-D and 3-D, but a vector has no axis 1
        d = p - t
        return np.mean(d**2), 2 * d / (d.shape[0] * d.shape[1] * d[0, 0].size)

    result = ex.check_mse(needs_two_axes)
    assert result.status == "incorrect", result.message
    assert "IndexError" in result.message and "(7,)" in result.message, result.message


def test_log_softmax_with_the_max_of_the_whole_array_is_named():
    def global_max(z):
        m = z.max()
        return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))

    with np.errstate(all="ignore"):
        result = ex.check_log_softmax(global_max)
    assert result.status == "incorrect"
    assert "each row's own max" in result.message, result.message


def test_a_scale_close_to_one_is_printed_with_enough_digits():
    def slightly_off(p, t):
        d = p - t
        return np.mean(d**2), 1.00003 * 2 * d / d.size

    message = ex.check_mse(slightly_off).message
    assert "1.00003 x the right size" in message, message


@pytest.mark.parametrize(
    "check, answer",
    [
        (
            ex.check_mse,
            lambda p, t: (
                np.float32(np.mean((p - t) ** 2)),
                (2 * (p - t) / (p - t).size).astype(np.float32),
            ),
        ),
        (
            ex.check_mse,
            lambda p, t: (
                (
                    float(np.mean((p - t) ** 2)),
                    tuple(map(tuple, np.atleast_2d(2 * (p - t) / p.size))),
                )
                if p.ndim == 2
                else mse_and_grad(p, t)
            ),
        ),
        (ex.check_log_softmax, lambda z: log_softmax(z.astype(np.float32))),
        (ex.check_softmax_ce_grad, lambda z, y: softmax_ce_grad(z, y).astype(np.float32)),
    ],
    ids=["mse-float32", "mse-tuples", "log-softmax-float32", "ce-float32"],
)
def test_float32_and_tuples_are_accepted(check, answer):
    assert check(answer).correct, check(answer).message


GARBAGE = [lambda *a: "text", lambda *a: {"a": 1}, lambda *a: [1, [2, 3]],
           lambda *a: (np.nan, [np.nan]), lambda *a: (1.0, "x"), lambda *a: np.zeros((2, 2, 2)),
           lambda *a: 1 / 0]  # fmt: skip


@pytest.mark.parametrize("answer", GARBAGE)
@pytest.mark.parametrize(
    "check", [ex.check_mse, ex.check_log_softmax, ex.check_softmax_ce_grad, ex.check_loss_choice]
)
def test_no_answer_makes_a_checker_raise(check, answer):
    with np.errstate(all="ignore"):
        result = check(answer)
    assert result.status == "incorrect", result.message


def test_softmax_ce_with_whole_columns_indexed_is_named():
    def columns(z, y):
        p = bl.softmax(z)
        p[:, y] -= 1  # a column per label, in every row
        return p / len(y)

    result = ex.check_softmax_ce_grad(columns)
    assert result.status == "incorrect" and "p[np.arange(N), y]" in result.message, result.message


def test_loss_names_in_the_forms_a_learner_writes():
    forms = {"house_price": "mean squared error", "spam": "torch.nn.BCEWithLogitsLoss()",
             "digit": "CE", "rain": "bl.nn.BCELoss"}  # fmt: skip
    assert ex.check_loss_choice(forms).correct
