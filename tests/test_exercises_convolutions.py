"""The checkers of notebooks/11_convolutions.ipynb: right answers in every form a learner gives
pass, stubs are "not attempted", and each classic mistake gets the hint that names it. The
expected answers are also recomputed independently, from the library's Conv2d and MaxPool2d."""

import re

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import convolutions as ex

# ---- the solutions, as in the notebook ----


def output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def conv1d_backward(x, w, dy):
    k = len(w)
    dw = np.array([np.sum(dy * x[u : u + len(dy)]) for u in range(k)])
    dx = np.correlate(np.pad(dy, k - 1), w[::-1], mode="valid")
    return dx, dw


def conv1d_backward_loops(x, w, dy):  # the same by the chain rule, as lists
    dx, dw = [0.0] * len(x), [0.0] * len(w)
    for i in range(len(dy)):
        for u in range(len(w)):
            dw[u] += dy[i] * x[i + u]
            dx[i + u] += dy[i] * w[u]
    return dx, dw


def maxpool_backward(x, dy):
    dx = np.zeros_like(x)
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            window = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            u, v = np.unravel_index(np.argmax(window), (2, 2))
            dx[2 * i + u, 2 * j + v] = dy[i, j]
    return dx


def stub(*args):
    raise NotImplementedError


def returns_none(*args):
    return None


# ---- the expected answers agree with the library ----


def test_output_size_matches_conv2d():
    for n, k, s, p in ex.OUTPUT_SIZE_CASES:
        layer = bl.Conv2d(1, 1, k, stride=s, padding=p, rng=0)
        assert layer(np.zeros((1, 1, n, n))).shape[2] == output_size(n, k, s, p)


@pytest.mark.parametrize("case", range(len(ex.CONV1D_CASES)))
def test_conv1d_answers_match_a_conv2d_on_one_row(case):
    x, w, dy = ex.CONV1D_CASES[case]
    layer = bl.Conv2d(1, 1, (1, len(w)), bias=False)
    layer.W.data[...] = w
    y = layer(x[None, None, None, :])
    np.testing.assert_allclose(y[0, 0, 0], ex.conv1d_forward(x, w))
    dx = layer.backward(dy[None, None, None, :])
    sol_dx, sol_dw = conv1d_backward(x, w, dy)
    np.testing.assert_allclose(dx[0, 0, 0], sol_dx)
    np.testing.assert_allclose(layer.W.grad[0, 0, 0], sol_dw)


@pytest.mark.parametrize("case", range(len(ex.MAXPOOL_CASES)))
def test_maxpool_answers_match_the_library(case):
    x, dy = ex.MAXPOOL_CASES[case]
    pool = bl.MaxPool2d(2)
    pool(x[None, None])
    np.testing.assert_array_equal(pool.backward(dy[None, None])[0, 0], maxpool_backward(x, dy))


def test_the_maxpool_cases_have_ties_that_matter():
    for x, dy in ex.MAXPOOL_CASES:
        ties = [
            (
                x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                == x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].max()
            ).sum()
            for i in range(dy.shape[0])
            for j in range(dy.shape[1])
        ]
        assert max(ties) >= 2


# ---- right answers, in every form ----


def test_solutions_are_correct():
    assert ex.check_output_size(output_size).correct
    assert ex.check_conv1d_backward(conv1d_backward).correct
    assert ex.check_maxpool_backward(maxpool_backward).correct


def test_other_correct_forms_are_accepted():
    assert ex.check_output_size(lambda n, k, s, p: (n + 2 * p - k) / s + 1).correct  # floats
    assert ex.check_output_size(lambda n, k, s, p: np.int64((n - k + 2 * p) // s + 1)).correct
    assert ex.check_conv1d_backward(conv1d_backward_loops).correct  # lists
    assert ex.check_conv1d_backward(
        lambda x, w, dy: [np.convolve(dy, w), np.correlate(x, dy)]
    ).correct
    assert ex.check_conv1d_backward(
        lambda x, w, dy: tuple(np.round(a, 10) for a in conv1d_backward(x, w, dy))
    ).correct
    assert ex.check_maxpool_backward(lambda x, dy: maxpool_backward(x, dy).tolist()).correct


def test_stubs_are_not_attempted():
    for check in (ex.check_output_size, ex.check_conv1d_backward, ex.check_maxpool_backward):
        for fn in (stub, returns_none, lambda *a: ...):
            result = check(fn)
            assert result.status == "not attempted", (check, result)
            assert "not attempted yet" in str(result)


# ---- each classic mistake, named ----


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n, k, s, p: (n + 2 * p - k) // s, r"forgot the \+ 1"),
        (lambda n, k, s, p: (n + p - k) // s + 1, "both sides"),
        (lambda n, k, s, p: (n - k) // s + 1, "left out the padding"),
        (lambda n, k, s, p: n + 2 * p - k + 1, "divide by the stride"),
        (lambda n, k, s, p: (n + 2 * p - k + 1) // s, r"\+ 1 comes after the division"),
        (lambda n, k, s, p: (n + 2 * p) // s + 1, "subtract the kernel size"),
        (lambda n, k, s, p: 6, r"output_size\(8, 3, 1, 1\) gave 6, expected 8"),  # hard-coded
        (lambda n, k, s, p: "six", "one number"),
        (lambda n, k, s, p: 1 / 0, "raised ZeroDivisionError"),
    ],
)
def test_output_size_mistakes(wrong, hint):
    result = ex.check_output_size(wrong)
    assert result.status == "incorrect"
    assert re.search(hint, result.message), result.message


def changed(dx=None, dw=None):
    """The solution with dx and/or dw replaced by dx(dx, x, dy) / dw(dw, x, dy)."""

    def answer(x, w, dy):
        right_dx, right_dw = conv1d_backward(x, w, dy)
        return (
            right_dx if dx is None else dx(right_dx, x, dy),
            right_dw if dw is None else dw(right_dw, x, dy),
        )

    return answer


def _not_flipped(x, w, dy):
    k = len(w)
    return np.correlate(np.pad(dy, k - 1), w, mode="valid"), conv1d_backward(x, w, dy)[1]


def _kernel_of_three(x, w, dy):  # hard-coded: right for the first case (k = 3) only
    return np.correlate(np.pad(dy, 2), w[::-1], mode="valid"), conv1d_backward(x, w, dy)[1]


def _valid_dx(x, w, dy):
    return np.correlate(dy, w[::-1], mode="valid") if len(dy) >= len(w) else dy[:0], (
        conv1d_backward(x, w, dy)[1]
    )


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_not_flipped, r"kernel \*flipped\*"),
        (changed(dw=lambda dw, x, dy: dw[::-1]), "dw is reversed"),
        (lambda x, w, dy: conv1d_backward(x, w, dy)[::-1], "swapped"),
        (changed(dw=lambda dw, x, dy: dy.sum() * x[: len(dw)]), "every output position"),
        (_valid_dx, "'valid' convolution; pad dy"),
        (lambda x, w, dy: conv1d_backward(x, w, dy)[0], "two arrays"),
        (changed(dx=lambda dx, x, dy: -dx), "dx .*wrong sign"),
        (_kernel_of_three, r"dx has shape \(7,\) but should have shape \(9,\)"),
        (changed(dw=lambda dw, x, dy: 0.5 * dw), "dw has the right shape but differs"),
    ],
)  # fmt: skip
def test_conv1d_backward_mistakes(wrong, hint):
    result = ex.check_conv1d_backward(wrong)
    assert result.status == "incorrect"
    assert re.search(hint, result.message), result.message


def _average(x, dy):
    return np.kron(dy, np.ones((2, 2))) / 4


def _every_tie(x, dy):
    dx = np.zeros_like(x)
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            win = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
            dx[2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = np.where(win == win.max(), dy[i, j], 0)
    return dx


def _last_tie(x, dy):
    flipped = maxpool_backward(x[::-1, ::-1], dy[::-1, ::-1])
    return flipped[::-1, ::-1]


def _four_by_four(x, dy):  # hard-coded: right for the first case (4 x 4) only
    return maxpool_backward(x[:4, :4], dy[:2, :2])


def _minimum(x, dy):
    return maxpool_backward(-x, dy)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_average, "average pooling"),
        (lambda x, dy: np.kron(dy, np.ones((2, 2))), "every pixel of a window got dy"),
        (_every_tie, "one of them only"),
        (_last_tie, "the last maximum"),
        (_minimum, "not its minimum"),
        (lambda x, dy: dy, "shape of dy"),
        (_four_by_four, r"dx has shape \(4, 2\) but should have shape \(6, 2\)"),
    ],
)  # fmt: skip
def test_maxpool_backward_mistakes(wrong, hint):
    result = ex.check_maxpool_backward(wrong)
    assert result.status == "incorrect"
    assert re.search(hint, result.message), result.message


# ---- sizes written in, a loop one short, answers that are not arrays ----


def test_the_maxpool_cases_differ_in_height_and_width():
    shapes = [x.shape for x, _ in ex.MAXPOOL_CASES]
    assert len({h for h, _ in shapes}) == len(shapes) == len({w for _, w in shapes})


def _maxpool_rows(rows):
    def answer(x, dy):  # the loop over window rows written for the first image
        dx = np.zeros_like(x)
        for i in range(rows):
            for j in range(dy.shape[1]):
                window = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                u, v = np.unravel_index(np.argmax(window), (2, 2))
                dx[2 * i + u, 2 * j + v] = dy[i, j]
        return dx

    return answer


def test_maxpool_with_a_window_count_written_in_is_named():
    result = ex.check_maxpool_backward(_maxpool_rows(2))
    assert result.status == "incorrect", result.message
    assert "got no gradient" in result.message and "range(dy.shape[0])" in result.message


def _conv1d_skipping(first):
    def answer(x, w, dy):  # the loop over output positions misses one end
        dx, dw = np.zeros(len(x)), np.zeros(len(w))
        for i in range(1, len(dy)) if first else range(len(dy) - 1):
            for u in range(len(w)):
                dw[u] += dy[i] * x[i + u]
                dx[i + u] += dy[i] * w[u]
        return dx, dw

    return answer


@pytest.mark.parametrize("first", [False, True], ids=["last", "first"])
def test_conv1d_loop_one_position_short_is_named(first):
    result = ex.check_conv1d_backward(_conv1d_skipping(first))
    assert result.status == "incorrect"
    assert ("first" if first else "last") + " output position" in result.message, result.message


@pytest.mark.parametrize(
    "answer",
    [lambda x, w, dy: ([1, [2, 3]], w), lambda x, w, dy: (x, [1, [2]]), lambda x, w, dy: "dx",
     lambda x, w, dy: (None, w)],
)  # fmt: skip
def test_conv1d_answers_that_are_not_arrays_get_a_message(answer):
    result = ex.check_conv1d_backward(answer)
    assert result.status == "incorrect", result.message


@pytest.mark.parametrize(
    "answer", [lambda x, dy: [1, [2, 3]], lambda x, dy: "dx", lambda x, dy: np.nan * x]
)
def test_maxpool_answers_that_are_not_arrays_get_a_message(answer):
    assert ex.check_maxpool_backward(answer).status == "incorrect"


def test_maxpool_with_the_column_count_written_in_is_named():
    def two_columns(x, dy):
        dx = np.zeros_like(x)
        for i in range(dy.shape[0]):
            for j in range(2):
                window = x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                u, v = np.unravel_index(np.argmax(window), (2, 2))
                dx[2 * i + u, 2 * j + v] = dy[i, j]
        return dx

    result = ex.check_maxpool_backward(two_columns)
    assert result.status == "incorrect" and "range(dy.shape[1])" in result.message, result.message


def test_a_size_just_off_a_whole_number_is_printed_as_it_is():
    message = ex.check_output_size(lambda n, k, s, p: output_size(n, k, s, p) + 1e-7).message
    assert "6.0000001, expected 6" in message, message


def _in_float32(fn):
    def run(*args):
        args = [np.asarray(a, dtype=np.float32) for a in args]
        out = fn(*args)
        return (
            tuple(np.asarray(o, dtype=np.float32) for o in out) if isinstance(out, tuple) else out
        )

    return run


def test_float32_answers_pass():
    assert ex.check_conv1d_backward(_in_float32(conv1d_backward)).correct
    assert ex.check_maxpool_backward(_in_float32(maxpool_backward)).correct
