"""Tests for backprop_lib.nn.parameter: data, grad, name, dtype, zero_grad."""

import numpy as np
import pytest

from backprop_lib import Parameter


def test_grad_starts_at_zero_with_the_shape_and_dtype_of_data():
    p = Parameter(np.arange(6.0).reshape(2, 3), name="W")
    assert p.grad.shape == p.data.shape == p.shape == (2, 3)
    assert p.grad.dtype == p.data.dtype == np.float64
    assert not p.grad.any()
    assert p.name == "W"


def test_data_is_a_copy_of_the_callers_array():
    a = np.ones(3)
    p = Parameter(a)
    a[0] = 5.0
    assert p.data[0] == 1.0


def test_ints_become_float64_and_floats_keep_their_dtype():
    assert Parameter([1, 2, 3]).data.dtype == np.float64
    assert Parameter(np.ones(2, dtype=np.float32)).data.dtype == np.float32
    assert Parameter(np.ones(2), dtype=np.float32).grad.dtype == np.float32


def test_non_float_dtype_and_bad_name_are_type_errors():
    with pytest.raises(TypeError, match="floating type.*np.float64"):
        Parameter(np.ones(2), dtype=np.int64)
    with pytest.raises(TypeError, match="name must be a str"):
        Parameter(np.ones(2), name=3)


@pytest.mark.parametrize(
    "data",
    [np.array([1 + 2j]), np.array(["a"]), np.array([1.0], dtype=object), [[1.0], [2.0, 3.0]]],
    ids=["complex", "str", "object", "ragged"],
)
def test_non_numeric_data_is_a_type_error_with_the_fix(data):
    # complex data used to lose its imaginary part with only a warning
    with pytest.raises(TypeError, match=r"Parameter data must be.*real numbers.*np.asarray"):
        Parameter(data)


def test_zero_grad_resets_in_place():
    p = Parameter(np.ones((2, 2)))
    grad = p.grad
    p.grad += 3.0
    p.zero_grad()
    assert p.grad is grad
    assert not p.grad.any()


def test_repr_shows_name_shape_and_dtype():
    text = repr(Parameter(np.zeros((4, 2)), name="b"))
    assert "'b'" in text and "(4, 2)" in text and "float64" in text
