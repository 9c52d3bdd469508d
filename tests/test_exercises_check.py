"""The shared helpers of the exercise checkers (backprop_lib/exercises/_check.py)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.exercises import _check as ck

# ---- distinct: enough digits for two numbers to read differently ----


@pytest.mark.parametrize(
    ("a", "b", "texts"),
    [
        (0.18182, 2 / 11, ("0.18182", "0.181818")),  # the "0.1818; ... 0.1818"
        (1 / 3, 0.3334, ("0.3333", "0.3334")),
        (0.3333333, 1 / 3, ("0.3333333", "0.33333333")),
        (12.0000012, 12.0, ("12.000001", "12")),
        (-2.5e-9, -2.5000001e-9, ("-2.5e-09", "-2.5000001e-09")),
        (5, 7, ("5", "7")),
    ],
)
def test_distinct_adds_digits_until_the_numbers_differ(a, b, texts):
    assert ck.distinct(a, b) == texts


def test_distinct_keeps_the_requested_digits_when_they_already_differ():
    assert ck.distinct(0.123456, 0.5, digits=3) == ("0.123", "0.5")


def test_equal_numbers_read_the_same():
    assert ck.distinct(0.1, 0.1)[0] == ck.distinct(0.1, 0.1)[1]


finite = st.floats(min_value=-1e300, max_value=1e300)  # parsing 1.798e+308 overflows


@given(finite, finite)
def test_distinct_numbers_never_read_alike(a, b):
    text_a, text_b = ck.distinct(a, b)
    if a != b:
        assert text_a != text_b
    if repr(a) == repr(b):
        assert text_a == text_b
    assert math.isclose(float(text_a), a, rel_tol=5e-4, abs_tol=0.0) or a == 0
    assert math.isclose(float(text_b), b, rel_tol=5e-4, abs_tol=0.0) or b == 0


# ---- as_number: every form of "one number" ----


@pytest.mark.parametrize(
    "value",
    [
        1.5,
        3,
        np.float32(1.5),
        np.float64(1.5),
        np.int64(2),
        np.array(1.5),
        np.array([[1.5]]),
        [1.5],
    ],
    ids=repr,
)
def test_as_number_accepts_one_number_in_any_form(value):
    number, problem = ck.as_number(value, "x")
    assert problem is None
    assert number == float(np.asarray(value).reshape(()))
    assert type(number) is float


@pytest.mark.parametrize(
    ("value", "status", "text"),
    [
        (None, "not attempted", "not attempted yet"),
        (..., "not attempted", "not attempted yet"),
        ("1.5", "incorrect", "not the string"),
        (True, "incorrect", "bool"),
        ([1.0, 2.0], "incorrect", "one number"),
        (1j, "incorrect", "should be a number"),
        (object(), "incorrect", "should be a number"),
        ([[1.0], [2.0, 3.0]], "incorrect", "should be a number"),
        (bl.Value(0.5), "incorrect", ".grad"),
    ],
    ids=repr,
)
def test_as_number_explains_what_is_not_one_number(value, status, text):
    number, problem = ck.as_number(value, "x")
    assert number is None
    assert problem.status == status
    assert text in str(problem)


def test_as_number_leaves_nan_and_inf_to_the_caller():
    assert math.isnan(ck.as_number(np.nan)[0])
    assert ck.as_number(-np.inf)[0] == -np.inf


def test_shape_of_never_raises():
    assert ck.shape_of(np.zeros((2, 3))) == (2, 3)
    assert ck.shape_of([[1, 2], [3]]) is None


# ---- hard_coded: the hint for code written for the first case's sizes ----


def test_hard_coded_adds_the_hint_only_to_an_unexplained_failure_after_the_first_case():
    sizes = ["x (5, 3)", "x (4, 6)"]
    failure = ck.incorrect("y differs by up to 0.5")
    assert ck.hard_coded(failure, 0, sizes) is failure  # nothing passed before
    assert ck.hard_coded(failure, 1, sizes, ["y differs by up to 0.5"]) is failure  # named
    stub = ck.not_attempted("`f`")
    assert ck.hard_coded(stub, 1, sizes) is stub
    hinted = ck.hard_coded(failure, 1, sizes)
    assert hinted.status == "incorrect"
    assert "worked for x (5, 3) but not for x (4, 6)" in hinted.message
    assert "hard-coded" in hinted.message


# ---- compare_shapes: None is a stub, shapes are tuples of ints ----


def test_compare_shapes_stub_and_forms():
    expected = {"x": (8, 3)}

    def check(shapes):
        return ck.compare_shapes(
            shapes, expected, {}, what="the shape", example="(8, 3)", fallback=str, success="ok"
        )

    assert check(None).status == "not attempted"
    assert check({"x": [8, 3]}).correct
    assert check({"x": np.array([8, 3])}).correct
    assert check({"x": (np.int64(8), 3)}).correct
    for bad in ("83", (8.0, 3), (8, "3"), ((8, 3),)):
        assert "tuple of ints" in check({"x": bad}).message, bad


def test_as_given_shows_a_near_integer_in_full():
    from backprop_lib.exercises._check import as_given

    assert as_given(7.0) == "7"
    assert as_given(np.float32(3.0)) == "3"
    assert as_given(7.0000001) == "7.0000001"
    assert as_given(2.5) == "2.5"


def _value_answers():
    """The six exercises answered by a value, each with its right answer (as a value)."""
    from backprop_lib.exercises import backward, chain_rule, forward, learning_rate, start

    return [
        (start.check_warmup, 5),
        (forward.check_layer_shapes, {"x": (8, 3), "W": (3, 4), "b": (4,), "y": (8, 4)}),
        (chain_rule.check_neuron_grads, chain_rule._neuron_grads()),
        (backward.check_backward_shapes, {"dy": (8, 4), "dW": (3, 4), "db": (4,), "dx": (8, 3)}),
        (learning_rate.check_gd_step, 1.8),
    ]


def _stub():
    raise NotImplementedError()


@pytest.mark.parametrize("case", range(5))
def test_a_value_exercise_takes_its_answer_as_a_function_or_as_a_value(case):
    # the notebooks ask for `def z(): return ...`, so a student copy's placeholder can raise
    check, right = _value_answers()[case]
    assert check(right).correct
    assert check(lambda: right).correct
    assert check(_stub).status == ck.NOT_ATTEMPTED
    assert check(lambda: None).status == ck.NOT_ATTEMPTED
    assert check(None).status == ck.NOT_ATTEMPTED


def test_used_twice_takes_two_functions():
    from backprop_lib.exercises.chain_rule import check_used_twice

    assert check_used_twice(lambda: -3, lambda: 2).correct
    assert check_used_twice(-3, 2).correct
    assert check_used_twice(_stub, _stub).status == ck.NOT_ATTEMPTED
    assert "dL_db" in check_used_twice(lambda: -3, _stub).message
    assert not check_used_twice(lambda: -4, lambda: 2).correct
    broken = check_used_twice(lambda: 1 / 0, lambda: 2)
    assert broken.status == ck.INCORRECT and "ZeroDivisionError" in broken.message
