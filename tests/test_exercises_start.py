import numpy as np
import pytest

from backprop_lib.exercises.start import check_warmup


def test_solution_is_correct():
    assert check_warmup(2 * 3 + (-1)).status == "correct"


def test_stub_is_not_attempted():
    result = check_warmup(None)
    assert result.status == "not attempted"
    assert "not attempted yet" in str(result)


def test_forgotten_bias_gets_a_hint():
    result = check_warmup(6)
    assert result.status == "incorrect"
    assert "bias" in result.message


def test_sign_of_bias_gets_a_hint():
    assert "subtracted" in check_warmup(7).message


def test_non_number_is_explained():
    assert "number" in check_warmup("five").message


@pytest.mark.parametrize(
    "z", [5, 5.0, 2 * 3 + (-1), np.int64(5), np.float32(5), np.array([5.0]), [5]]
)
def test_right_answer_in_every_form(z):
    assert check_warmup(z).correct


@pytest.mark.parametrize("z", ["5", True, [5, 5], object()])
def test_things_that_are_not_one_number_are_rejected(z):
    result = check_warmup(z)
    assert result.status == "incorrect"
    assert "number" in result.message


@pytest.mark.parametrize(
    ("z", "hint"),
    [
        (4, "multiplies the input by its weight first"),
        (-6, "not multiplied"),
        (9, "multiply w by x"),
    ],
)
def test_other_mistakes_get_a_hint(z, hint):
    assert hint in check_warmup(z).message


def test_stub_ellipsis_is_not_attempted():
    assert "not attempted yet" in str(check_warmup(...))
