"""The checkers of notebooks/10_regularization.ipynb: solutions pass in every form a learner
writes them, stubs are "not attempted", and each classic mistake gets its own hint. The
references are tied to the library: the penalties' gradients to finite differences, dropout's
equations to the ``Dropout`` layer, the early-stopping epoch to ``fit(early_stopping=...)``."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.data import make_moons
from backprop_lib.exercises import regularization as ex
from backprop_lib.instruments.gradcheck import numerical_gradient, rel_error
from backprop_lib.nn.losses import l1_penalty, l2_penalty
from backprop_lib.nn.parameter import Parameter
from backprop_lib.training import fit

# ---- the solutions, as written in the notebook ----


def l2_gradient(W, lam):
    return lam * W


def l1_gradient(W, lam):
    return lam * np.sign(W)


def dropout_forward(x, keep, p):
    return x * keep / (1 - p)


def dropout_backward(grad_y, keep, p):
    return grad_y * keep / (1 - p)


def early_stopping_epoch(val_losses, patience):
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait == patience:
                break
    return best_epoch


def stub(*args):
    raise NotImplementedError


def returns_none(*args):
    return None


# ---- the references agree with the library ----


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    lam=st.floats(1e-3, 2.0),
)
def test_penalty_gradients_match_finite_differences(rows, cols, seed, lam):
    W = np.random.default_rng(seed).normal(size=(rows, cols)) + 0.05  # away from |w| = 0
    W[np.abs(W) < 1e-3] = 0.1

    def l2(w):
        return np.asarray(l2_penalty([Parameter(w)], lam)[0])

    def l1(w):
        return np.asarray(l1_penalty([Parameter(w)], lam)[0])

    assert rel_error(l2_gradient(W, lam), numerical_gradient(l2, W.copy())) < 1e-7
    assert rel_error(l1_gradient(W, lam), numerical_gradient(l1, W.copy())) < 1e-7


@pytest.mark.parametrize("shape, p, seed", [((4, 5), 0.5, 0), ((7, 3), 0.2, 1), ((2, 9), 0.8, 2)])
def test_reference_dropout_is_the_library_layer(shape, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) + 3.0  # no zeros: the mask can be read off the output
    layer = bl.Dropout(p, rng=seed)
    y = layer.forward(x)
    keep = (y != 0).astype(float)
    grad_y = rng.normal(size=shape)
    y_ref, gx_ref = ex.reference_dropout(x, keep, grad_y, p)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12)
    np.testing.assert_allclose(layer.backward(grad_y), gx_ref, rtol=1e-12)


def test_reference_early_stopping_matches_fit():
    X, y = make_moons(200, noise=0.3, rng=0)
    y = y.reshape(-1, 1).astype(float)
    Xtr, Xte, ytr, yte = X[:40], X[40:], y[:40], y[40:]
    for patience in (5, 20):
        model = bl.mlp([2, 32, 32, 32, 1], rng=0)
        opt = bl.SGD(model.parameters(), lr=0.1, momentum=0.9)
        h = fit(model, bl.BCEWithLogitsLoss(), opt, Xtr, ytr, 400, validation_data=(Xte, yte),
                early_stopping=patience)  # fmt: skip
        assert h.stop_reason == "early_stopping"
        assert ex.reference_early_stopping_epoch(h.val_loss, patience) == h.best_epoch
        assert early_stopping_epoch(h.val_loss, patience) == h.best_epoch
        assert h.stopped_epoch == h.best_epoch + patience


def test_stopping_cases_tell_every_mistake_apart():
    # each misreading gives, on at least one case, an answer different from the right one
    cases = ex._stopping_cases()
    variants = {
        "strict": lambda L, k: ex._stopping(L, k, strict=False)[0],
        "extra": lambda L, k: ex._stopping(L, k, extra=1)[0],
        "global": lambda L, k: int(np.argmin(L)) + 1,
        "stop": lambda L, k: ex._stopping(L, k)[1],
    }
    for name, variant in variants.items():
        assert any(variant(L, k) != ex.reference_early_stopping_epoch(L, k) for L, k in cases), name


# ---- solutions are correct in every form, stubs not attempted ----


def test_solutions_pass():
    assert ex.check_l2_gradient(l2_gradient).correct
    assert ex.check_l1_gradient(l1_gradient).correct
    assert ex.check_dropout(dropout_forward, dropout_backward).correct
    assert ex.check_early_stopping_epoch(early_stopping_epoch).correct


def test_other_correct_forms_pass():
    assert ex.check_l2_gradient(lambda W, lam: (lam * W).tolist()).correct
    assert ex.check_l2_gradient(lambda W, lam: np.round(lam * W, 10)).correct
    assert ex.check_l1_gradient(
        lambda W, lam: np.where(W > 0, lam, np.where(W < 0, -lam, 0))
    ).correct
    assert ex.check_l1_gradient(
        lambda W, lam: [[lam * np.sign(v) for v in row] for row in W]
    ).correct
    assert ex.check_dropout(
        lambda x, keep, p: np.where(keep == 1, x / (1 - p), 0.0),
        lambda g, keep, p: (g * keep * (1 / (1 - p))).tolist(),
    ).correct
    assert ex.check_early_stopping_epoch(lambda L, k: np.int64(early_stopping_epoch(L, k))).correct
    assert ex.check_early_stopping_epoch(lambda L, k: float(early_stopping_epoch(L, k))).correct


@pytest.mark.parametrize("fn", [stub, returns_none, lambda *a: ...])
def test_stubs_are_not_attempted(fn):
    assert ex.check_l2_gradient(fn).status == "not attempted"
    assert ex.check_l1_gradient(fn).status == "not attempted"
    assert ex.check_dropout(fn, fn).status == "not attempted"
    assert ex.check_dropout(dropout_forward, fn).status == "not attempted"
    assert ex.check_early_stopping_epoch(fn).status == "not attempted"


def test_a_crash_is_a_hint_not_a_traceback():
    def broken(W, lam):
        return lam * W @ np.eye(4)  # only works for 4 columns

    # right on the first case (3 x 4), an exception on the second (5 x 2): named, not raised
    result = ex.check_l2_gradient(broken)
    assert not result.correct and "raised ValueError" in result.message


# ---- each classic mistake is named ----


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda W, lam: 2 * lam * W, "1/2 cancels the 2"),
        (lambda W, lam: lam / 2 * W**2, "not its derivative"),
        (lambda W, lam: lam * np.sign(W), "L1 penalty's gradient"),
        (lambda W, lam: lam * W / W.size, "not a mean"),
        (lambda W, lam: lam * W / len(W), "do not divide by the number of rows"),
        (lambda W, lam: W, "strength λ multiplies"),
        (lambda W, lam: -lam * W, "wrong sign"),
        (lambda W, lam: lam * W.T, "transposed"),
        (lambda W, lam: lam * W[:2], "shape"),
        (lambda W, lam: np.full(W.shape, lam * W.sum()), "not a single number"),
    ],
)
def test_l2_mistakes(answer, hint):
    result = ex.check_l2_gradient(answer)
    assert not result.correct and hint in result.message, result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda W, lam: lam * W, "L2 penalty's gradient"),
        (lambda W, lam: lam * np.abs(W), "the penalty per entry"),
        (lambda W, lam: np.where(W >= 0, lam, -lam), "np.sign(0) = 0"),
        (lambda W, lam: np.where(W > 0, lam, -lam), "np.sign(0) = 0"),
        (lambda W, lam: np.sign(W), "λ multiplies the sign"),
        (lambda W, lam: lam * np.sign(W) / W.size, "not a mean"),
        (lambda W, lam: -lam * np.sign(W), "wrong sign"),
        (lambda W, lam: lam * np.sign(W.T), "transposed"),
    ],
)
def test_l1_mistakes(answer, hint):
    result = ex.check_l1_gradient(answer)
    assert not result.correct and hint in result.message, result.message


@pytest.mark.parametrize(
    "forward, backward, hint",
    [
        (lambda x, k, p: x * k, dropout_backward, "scale the kept units by 1 / (1 - p)"),
        (lambda x, k, p: x * k / p, dropout_backward, "not by p"),
        (lambda x, k, p: x * k * (1 - p), dropout_backward, "non-inverted scaling"),
        (lambda x, k, p: x * (1 - k) / (1 - p), dropout_backward, "marks the units"),
        (lambda x, k, p: x, dropout_backward, "differs by up to"),
        (dropout_forward, lambda g, k, p: g / (1 - p), "multiply by the mask too"),
        (dropout_forward, lambda g, k, p: g * k, "same mask *and* the same"),
        (dropout_forward, lambda g, k, p: g * k / p, "not by p"),
        (dropout_forward, lambda g, k, p: g, "eval-mode backward"),
        (dropout_forward, lambda g, k, p: g * (1 - k) / (1 - p), "not where it was kept"),
    ],
)
def test_dropout_mistakes(forward, backward, hint):
    result = ex.check_dropout(forward, backward)
    assert not result.correct and hint in result.message, result.message


def test_dropout_backward_returning_the_forward_output_is_named():
    def backward(grad_y, keep, p):  # a learner who returns y (recomputed from a closure)
        x = next(x for x, k, g, q in ex._dropout_cases() if k.shape == keep.shape and q == p)
        return x * keep / (1 - p)

    result = ex.check_dropout(dropout_forward, backward)
    assert not result.correct and "that is the forward output" in result.message


def test_dropout_hint_works_on_the_second_case_too():
    # correct for p = 0.5 (where 1 - p == p) but wrong for p = 0.2: caught there, named
    result = ex.check_dropout(lambda x, k, p: x * k / p, dropout_backward)
    assert not result.correct and "not by p" in result.message


def _zero_based(L, k):
    return early_stopping_epoch(L, k) - 1


def _stop_epoch(L, k):
    return ex._stopping(L, k)[1]


def _non_strict(L, k):
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(L, start=1):
        if loss <= best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait == k:
                break
    return best_epoch


def _one_more(L, k):
    return early_stopping_epoch(L, k + 1)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_zero_based, "0-based index"),
        (_stop_epoch, "at which training *stops*"),
        (lambda L, k: int(np.argmin(L)) + 1, "lowest loss of the whole list"),
        (lambda L, k: int(np.argmin(L)), "0-based index of the lowest loss"),
        (_non_strict, "*strictly* lower"),
        (_one_more, "not after one more"),
        (lambda L, k: 3, "early stopping gives back epoch"),
        (lambda L, k: L[early_stopping_epoch(L, k) - 1], "return its epoch number"),
        (lambda L, k: [1, 2], "return one epoch number"),
    ],
)
def test_early_stopping_mistakes(answer, hint):
    result = ex.check_early_stopping_epoch(answer)
    assert not result.correct and hint in result.message, result.message


# ---- mistakes that fit some cases only: 0/0, the mask's own fraction, p written in ----


def test_l1_as_w_over_abs_w_is_named():
    with np.errstate(all="ignore"):
        result = ex.check_l1_gradient(lambda W, lam: lam * W / np.abs(W))
    assert result.status == "incorrect" and "0/0" in result.message, result.message


@pytest.mark.parametrize(
    "forward, backward, hint",
    [
        (lambda x, k, p: x * k / k.mean(), dropout_backward, "fraction this mask kept"),
        (dropout_forward, lambda g, k, p: g * k / k.mean(), "fraction this mask kept"),
        (lambda x, k, p: x * k * 2, dropout_backward, "p = 0.5 written in"),
        (lambda x, k, p: x * k / 0.5, lambda g, k, p: g * k / 0.5, "p = 0.5 written in"),
        (dropout_forward, lambda g, k, p: g * k / (1 - 0.5), "p = 0.5 written in"),
    ],
    ids=["forward-mean", "backward-mean", "forward-times-2", "both-p", "backward-p"],
)
def test_dropout_mistakes_that_fit_the_first_case(forward, backward, hint):
    result = ex.check_dropout(forward, backward)
    assert result.status == "incorrect" and hint in result.message, result.message


def test_the_first_dropout_mask_keeps_exactly_half():
    # which is why the mask's own fraction and p = 0.5 both pass the first case alone
    x, keep, grad_y, p = ex._dropout_cases()[0]
    assert keep.mean() == 1 - p == 0.5


def test_early_stopping_that_returns_none_when_it_never_stops_is_not_a_stub():
    def only_when_it_stops(val_losses, patience):
        best, best_epoch, wait = float("inf"), 0, 0
        for epoch, val in enumerate(val_losses, start=1):
            if val < best:
                best, best_epoch, wait = val, epoch, 0
            else:
                wait += 1
                if wait == patience:
                    return best_epoch
        return None  # forgot the run that never stops

    result = ex.check_early_stopping_epoch(only_when_it_stops)
    assert result.status == "incorrect", result.message
    assert "returned None" in result.message and "never stops" in result.message, result.message


GARBAGE = [lambda *a: "text", lambda *a: {"a": 1}, lambda *a: [1, [2, 3]], lambda *a: [np.nan],
           lambda *a: np.zeros((2, 2, 2)), lambda *a: 1 / 0]  # fmt: skip


@pytest.mark.parametrize("answer", GARBAGE)
def test_no_answer_makes_a_checker_raise(answer):
    with np.errstate(all="ignore"):
        for result in (ex.check_l2_gradient(answer), ex.check_l1_gradient(answer),
                       ex.check_dropout(answer, dropout_backward),
                       ex.check_dropout(dropout_forward, answer),
                       ex.check_early_stopping_epoch(answer)):  # fmt: skip
            assert result.status == "incorrect", result.message
