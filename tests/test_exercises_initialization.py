"""The checkers of notebooks/08_initialization.ipynb: every correct form passes, stubs are "not
attempted", and each typical mistake gets the hint that names it. The expected answers are
recomputed independently (a sampled Xavier standard deviation, a loop over column pairs)."""

import math
import re

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import initialization as ex

# ---- the solutions, as the notebook writes them, and other correct forms ----


def count_distinct_units(W):
    return np.unique(W, axis=1).shape[1]


def count_by_pairs(W):  # a learner's loop: a unit is new unless it equals an earlier one
    columns = [W[:, j] for j in range(W.shape[1])]
    return sum(
        not any(np.array_equal(columns[j], columns[k]) for k in range(j))
        for j in range(len(columns))
    )


def count_with_allclose(W):
    kept = []
    for j in range(W.shape[1]):
        if not any(np.allclose(W[:, j], c) for c in kept):
            kept.append(W[:, j])
    return float(len(kept))  # a float is fine


def xavier_std(fan_in, fan_out):
    return math.sqrt(2 / (fan_in + fan_out))


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize(
    "answer",
    [
        count_distinct_units,
        count_by_pairs,
        count_with_allclose,
        lambda W: np.int64(len(np.unique(W.T, axis=0))),
        lambda W: bl.instruments.distinct_units(W),
        lambda W: np.array(np.unique(W, axis=1).shape[1]),  # a 0-d array
    ],
)
def test_correct_counts_pass(answer):
    assert ex.check_distinct_units(answer).correct


@pytest.mark.parametrize(
    "answer",
    [
        xavier_std,
        lambda i, o: np.sqrt(2 / (i + o)),  # a numpy float
        lambda i, o: (2 / (i + o)) ** 0.5,
        lambda i, o: np.sqrt(np.array([2 / (i + o)])),  # a one-element array
        lambda i, o: [math.sqrt(2 / (i + o))],  # a one-element list
        lambda i, o: 1.4142 / math.sqrt(i + o),  # sqrt(2) written to 4 decimals
        lambda i, o: math.sqrt(6 / (i + o)) / math.sqrt(3),  # the uniform bound over sqrt(3)
    ],
)
def test_correct_stds_pass(answer):
    assert ex.check_xavier_std(answer).correct


def test_every_std_mistake_is_told_apart_on_the_first_case():
    fan_in, fan_out = ex.xavier_std_cases()[0]
    values = [answer(fan_in, fan_out) for answer, _ in STD_MISTAKES[:9]]
    values.append(xavier_std(fan_in, fan_out))
    for a in values:
        assert sum(math.isclose(a, b, rel_tol=1e-3) for b in values) == 1


def test_xavier_std_matches_samples_of_the_initialiser():
    for fan_in, fan_out in ex.xavier_std_cases():
        w = bl.nn.init.xavier_normal((fan_in, fan_out), rng=fan_in)
        assert w.std() == pytest.approx(xavier_std(fan_in, fan_out), rel=0.15)
    w = bl.nn.init.xavier_uniform((300, 500), rng=0)
    assert w.std() == pytest.approx(xavier_std(300, 500), rel=0.01)


def test_the_cases_have_the_counts_a_pairwise_loop_finds():
    cases = ex._symmetry_cases()
    assert [count_by_pairs(W) for W in cases] == [3, 4, 4, 1, 6]
    assert len({W.shape for W in cases}) == len(cases)  # different sizes
    # in the first two, distinct rows, all rows, columns and the answer are four numbers
    for W in cases[:2]:
        counts = {count_by_pairs(W), count_by_pairs(W.T), W.shape[0], W.shape[1]}
        assert len(counts) == 4
    assert ex.SYMMETRY_W.shape == (6, 7) and count_by_pairs(ex.SYMMETRY_W) == 3


def test_stubs_are_not_attempted():
    for check in (ex.check_distinct_units, ex.check_xavier_std):
        assert check(stub).status == "not attempted"
        assert "not attempted yet" in str(check(stub))
        assert check(lambda *a: None).status == "not attempted"
        assert check(lambda *a: ...).status == "not attempted"


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda W: np.unique(W, axis=0).shape[0], "distinct *rows*"),
        (lambda W: np.unique(W).size, "distinct *entries*"),
        (lambda W: W.shape[1], "number of columns"),
        (lambda W: len(np.unique(W, axis=1)), "len() of a 2-D array"),
        (lambda W: W.shape[1] - np.unique(W, axis=1).shape[1], "copy an earlier one"),
        (
            lambda W: int(np.sum(np.unique(W, axis=1, return_counts=True)[1] > 1)),
            "units without a copy",
        ),
        (lambda W: 3, "the same answer"),  # hard-coded from the example
        (lambda W: np.unique(W, axis=1), "return one number"),
        (lambda W: "three", "return a number"),
        (lambda W: W[5], "return one number"),
        (lambda W: 1 / 0, "ZeroDivisionError"),
        (lambda W: 11, "expected 3"),
    ],
)
def test_count_mistakes_get_their_hint(answer, hint):
    result = ex.check_distinct_units(answer)
    assert result.status == "incorrect"
    assert hint in result.message


STD_MISTAKES = [
        (lambda i, o: 2 / (i + o), "that is the variance"),
        (lambda i, o: math.sqrt(2 / i), "He's"),
        (lambda i, o: math.sqrt(1 / i), "LeCun"),
        (lambda i, o: math.sqrt(1 / o), "backward condition"),
        (lambda i, o: math.sqrt(6 / (i + o)), "*uniform*"),
        (lambda i, o: math.sqrt(1 / (i + o)), "has a 2 on top"),
        (lambda i, o: 2 / math.sqrt(i + o), "not 2 / sqrt"),
        (lambda i, o: math.sqrt(2) / (i + o), "not sqrt(2) / (fan_in"),
        (lambda i, o: math.sqrt(2 / (i * o)), "not their product"),
        (lambda i, o: math.sqrt(2 / 80), "the same answer"),  # hard-coded from the first case
        (lambda i, o: [0.1, 0.2], "one number"),
        (lambda i, o: "0.1", "return a number"),
        (lambda i, o: math.sqrt(2 / (i + o)) * 1.01, "expected"),
        (lambda i, o: 1 / 0, "ZeroDivisionError"),
]  # fmt: skip


@pytest.mark.parametrize("answer, hint", STD_MISTAKES)
def test_std_mistakes_get_their_hint(answer, hint):
    result = ex.check_xavier_std(answer)
    assert result.status == "incorrect"
    assert hint in result.message


def test_wrong_values_are_printed_with_enough_digits_to_differ():
    result = ex.check_xavier_std(lambda i, o: math.sqrt(2 / (i + o)) * 1.001)
    got, want = re.search(r"returned (\S+); expected (\S+)$", result.message).groups()
    assert got != want, result.message


# ---- answers that compare less than the whole column ----


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda W: len(np.unique(W[0])), "only the first weight"),
        (lambda W: len(set(W[0].tolist())), "only the first weight"),
        (lambda W: len(np.unique(W.sum(axis=0))), "a summary of each column"),
        (lambda W: len(np.unique(W.mean(axis=0))), "a summary of each column"),
        (lambda W: np.unique(np.sort(W, axis=0), axis=1).shape[1], "sorted"),
    ],
    ids=["first-row", "first-row-set", "column-sums", "column-means", "sorted-columns"],
)
def test_a_part_of_each_column_is_not_enough(answer, hint):
    result = ex.check_distinct_units(answer)
    assert result.status == "incorrect"
    assert hint in result.message, result.message


def test_the_near_copies_case_tells_the_shortcuts_apart():
    W = ex._symmetry_cases()[-1]
    right = count_distinct_units(W)
    first_row, sums = len(np.unique(W[0])), len(np.unique(W.sum(axis=0)))
    in_order = np.unique(np.sort(W, axis=0), axis=1).shape[1]
    assert len({right, first_row, sums, in_order}) == 4
    assert right not in (W.shape[0], W.shape[1], 3)  # not rows, columns, the first case's count
    assert count_by_pairs(W) == right


def test_xavier_without_parentheses_is_named():
    result = ex.check_xavier_std(lambda fan_in, fan_out: np.sqrt(2 / fan_in + fan_out))
    assert result.status == "incorrect" and "parentheses" in result.message, result.message


def test_a_count_just_off_a_whole_number_is_printed_as_it_is():
    message = ex.check_distinct_units(lambda W: count_distinct_units(W) + 1e-9).message
    assert "3.000000001" in message, message


@pytest.mark.parametrize(
    "answer", [lambda *a: [1, [2, 3]], lambda *a: "3", lambda *a: {"a": 1}, lambda *a: []]
)
def test_no_answer_makes_a_checker_raise(answer):
    assert ex.check_distinct_units(answer).status == "incorrect"
    assert ex.check_xavier_std(answer).status == "incorrect"
