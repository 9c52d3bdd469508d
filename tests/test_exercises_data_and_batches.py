"""The checkers of notebooks/09_data_and_batches.ipynb: solutions in every form a learner
writes pass, stubs are "not attempted", and each classic mistake gets the hint naming it."""

import math

import numpy as np
import pytest

from backprop_lib.data import standardize as library_standardize
from backprop_lib.exercises import data_and_batches as ex
from backprop_lib.instruments import batch_noise, stopping

# ---- the solutions, as written in the notebook ----


def standardize(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std


def steps_per_epoch(n, batch_size):
    return math.ceil(n / batch_size)


def stop_epoch(losses, tol):
    for t in range(2, len(losses) + 1):  # epoch t compares losses[t - 1] with losses[t - 2]
        if (losses[t - 2] - losses[t - 1]) / losses[t - 2] < tol:
            return t
    return None


def stub(*args):
    raise NotImplementedError


def returns_none(*args):
    return None


def status(result):
    return result.status


# ---- right answers, in the forms a learner gives them ----


@pytest.mark.parametrize(
    "fn",
    [
        standardize,
        lambda a, b: library_standardize(a, b)[:2],  # the library's own
        lambda a, b: [((a - a.mean(0)) / a.std(0)).tolist(), ((b - a.mean(0)) / a.std(0)).tolist()],
        lambda a, b: ((a - a.mean(0)) / a.std(0, ddof=1), (b - a.mean(0)) / a.std(0, ddof=1)),
        lambda a, b: tuple(np.round(x, 9) for x in standardize(a, b)),
    ],
)
def test_standardize_accepts_right_answers(fn):
    assert ex.check_standardize(fn).status == "correct"


@pytest.mark.parametrize(
    "fn",
    [
        steps_per_epoch,
        lambda n, b: -(-n // b),
        lambda n, b: (n + b - 1) // b,
        lambda n, b: float(np.ceil(n / b)),
        lambda n, b: np.int64(math.ceil(n / b)),
        lambda n, b: batch_noise.steps_per_epoch(n, b),
    ],
)
def test_steps_per_epoch_accepts_right_answers(fn):
    assert ex.check_steps_per_epoch(fn).status == "correct"


def stop_epoch_numpy(losses, tol):
    L = np.asarray(losses)
    rel = (L[:-1] - L[1:]) / L[:-1]
    hits = np.flatnonzero(rel < tol)
    return int(hits[0]) + 2 if len(hits) else None


@pytest.mark.parametrize(
    "fn",
    [
        stop_epoch,
        stop_epoch_numpy,
        lambda losses, tol: stopping.relative_improvement_epoch(losses, tol),
        lambda losses, tol: (lambda t: None if t is None else float(t))(stop_epoch(losses, tol)),
    ],
)
def test_stop_epoch_accepts_right_answers(fn):
    assert ex.check_stop_epoch(fn).status == "correct"


@pytest.mark.parametrize(
    "check", [ex.check_standardize, ex.check_steps_per_epoch, ex.check_stop_epoch]
)
@pytest.mark.parametrize("fn", [stub, returns_none, lambda *a: ...])
def test_stubs_are_not_attempted(check, fn):
    result = check(fn)
    assert result.status == "not attempted"
    assert "not attempted yet" in str(result)


# ---- classic mistakes, each with its own hint ----


def pooled(a, b):
    both = np.vstack([a, b])
    return (a - both.mean(0)) / both.std(0), (b - both.mean(0)) / both.std(0)


def own_test_stats(a, b):
    return (a - a.mean(0)) / a.std(0), (b - b.mean(0)) / b.std(0)


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (pooled, "leaked"),
        (own_test_stats, "its *own* mean"),
        (lambda a, b: standardize(a, b)[::-1], "swapped"),
        (lambda a, b: ((a - a.mean()) / a.std(), (b - a.mean()) / a.std()), "each column"),
        (lambda a, b: (a - a.mean(0), b - a.mean(0)), "did not divide"),
        (lambda a, b: (a / a.std(0), b / a.std(0)), "did not subtract"),
        (lambda a, b: ((a - a.mean(0)) / a.var(0), (b - a.mean(0)) / a.var(0)), "variance"),
        (lambda a, b: ((a - a.min(0)) / np.ptp(a, 0), (b - a.min(0)) / np.ptp(a, 0)), "min-max"),
        (lambda a, b: standardize(a, b)[0], "return two arrays"),
        (lambda a, b: ((a - a.mean(1, keepdims=True)) / a.std(1, keepdims=True), b), "each row"),
        (lambda a, b: (standardize(a, b)[0], b), "test part should use the same"),
        (lambda a, b: (standardize(a, b)[0].T, standardize(a, b)[1].T), "shapes"),
        (lambda a, b: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_standardize_mistakes_get_their_hint(fn, hint):
    result = ex.check_standardize(fn)
    assert result.status == "incorrect"
    assert hint in result.message


def test_standardize_that_writes_into_its_inputs_is_caught():
    def in_place(a, b):
        mean, std = a.mean(0), a.std(0)
        a -= mean
        a /= std
        b -= mean
        b /= std
        return a, b

    result = ex.check_standardize(in_place)
    assert result.status == "incorrect" and "in place" in result.message


def test_standardize_cases_tell_the_mistakes_apart():
    # the test statistics differ from the training ones in every case, so a leak shows
    for X_train, X_test in ex._standardized_cases():
        assert not np.allclose(X_test.mean(0), X_train.mean(0), rtol=0.1)
        assert not np.allclose(X_test.std(0), X_train.std(0), rtol=0.1)
    sizes = {(a.shape, b.shape) for a, b in ex._standardized_cases()}
    assert len(sizes) == 2


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda n, b: n // b, "drops the last"),
        (lambda n, b: n / b, "whole number"),
        (lambda n, b: n // b + 1, "fit exactly"),
        (lambda n, b: round(n / b), "drops the last"),
        (lambda n, b: str(math.ceil(n / b)), "one number"),
        (lambda n, b: n, "one step per example"),
        (lambda n, b: 7, "an epoch takes"),  # hard-coded for the first case
        (lambda n, b: math.ceil(b / n), "an epoch takes"),
    ],
)
def test_steps_per_epoch_mistakes_get_their_hint(fn, hint):
    result = ex.check_steps_per_epoch(fn)
    assert result.status == "incorrect"
    assert hint in result.message


def off_by_one(losses, tol):
    t = stop_epoch(losses, tol)
    return None if t is None else t - 1


def absolute(losses, tol):
    for t in range(2, len(losses) + 1):
        if losses[t - 2] - losses[t - 1] < tol:
            return t
    return None


def by_current(losses, tol):
    for t in range(2, len(losses) + 1):
        if (losses[t - 2] - losses[t - 1]) / losses[t - 1] < tol:
            return t
    return None


def flipped(losses, tol):
    for t in range(2, len(losses) + 1):
        if (losses[t - 1] - losses[t - 2]) / losses[t - 2] < tol:
            return t
    return None


def never_minus_one(losses, tol):
    t = stop_epoch(losses, tol)
    return -1 if t is None else t


def magnitude(losses, tol):
    for t in range(2, len(losses) + 1):
        if abs(losses[t - 2] - losses[t - 1]) / losses[t - 2] < tol:
            return t
    return None


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (off_by_one, "one too early"),
        (absolute, "*absolute*"),
        (by_current, "new loss"),
        (flipped, "sign"),
        (never_minus_one, "return None"),
        (lambda losses, tol: len(losses), "you returned"),
        (magnitude, "goes *up*"),
        (lambda losses, tol: "7", "epoch number or None"),
    ],
)
def test_stop_epoch_mistakes_get_their_hint(fn, hint):
    result = ex.check_stop_epoch(fn)
    assert result.status == "incorrect", result
    assert hint in result.message, result.message


def test_stop_epoch_cases_have_different_sizes_and_outcomes():
    answers = [stopping.relative_improvement_epoch(L, tol) for L, tol in ex._STOP_CASES]
    assert None in answers and len({a for a in answers if a is not None}) >= 3
    assert len({len(L) for L, _ in ex._STOP_CASES}) >= 3


# ---- "below tol" is strict; other forms of a right answer ----


def test_stop_epoch_at_an_improvement_of_exactly_tol_is_named():
    def at_most(losses, tol):
        for t in range(2, len(losses) + 1):
            if (losses[t - 2] - losses[t - 1]) / losses[t - 2] <= tol:
                return t
        return None

    result = ex.check_stop_epoch(at_most)
    assert result.status == "incorrect" and "exactly tol" in result.message, result.message


def test_the_tie_case_is_exact_in_floating_point():
    losses, tol = next((L, tol) for L, tol in ex._STOP_CASES if L[0] == 1.0 and tol == 0.5)
    assert (losses[0] - losses[1]) / losses[0] == tol  # exactly: no rounding decides it
    assert stopping.relative_improvement_epoch(losses, tol) == 4


def test_float32_and_numpy_answers_pass():
    def float32(X_train, X_test):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        return ((X_train - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(
            np.float32
        )

    assert ex.check_standardize(float32).correct
    assert ex.check_steps_per_epoch(lambda n, b: np.ceil(np.float32(n) / b)).correct

    def numpy_int(losses, tol):
        t = stopping.relative_improvement_epoch(losses, tol)
        return None if t is None else np.int64(t)

    assert ex.check_stop_epoch(numpy_int).correct


def test_a_number_just_off_a_whole_one_is_printed_as_it_is():
    message = ex.check_steps_per_epoch(lambda n, b: math.ceil(n / b) + 1e-7).message
    assert "7.0000001" in message, message
    message = ex.check_stop_epoch(lambda L, tol: 5.0000001).message
    assert "5.0000001" in message, message
