"""The least-squares Hessian and its condition number, against the finite-difference Hessian."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.data import make_scaled_regression, standardize
from backprop_lib.instruments import conditioning, curvature


@settings(max_examples=15)
@given(n=st.integers(3, 40), d=st.integers(1, 4), seed=st.integers(0, 10_000),
       bias=st.booleans())  # fmt: skip
def test_hessian_matches_the_finite_difference_hessian_of_a_linear_model(n, d, seed, bias):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d) + rng.normal(size=d)
    y = rng.normal(size=(n, 1))
    model = bl.Linear(d, 1, bias=bias, rng=seed)
    numeric = curvature.hessian(model, bl.MSELoss(), X, y)
    exact = conditioning.least_squares_hessian(X, bias=bias)
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-6 * np.abs(exact).max())


def test_the_gradient_of_the_quadratic_is_the_hessian_times_the_offset():
    X, y = make_scaled_regression(50, scales=(3.0, 0.5), offsets=(1.0, -2.0), rng=1)
    model = bl.Linear(2, 1, rng=0)
    H = conditioning.least_squares_hessian(X)
    theta = curvature.flat_parameters(model)
    X1 = np.c_[X, np.ones(len(X))]
    theta_star = np.linalg.lstsq(X1, y, rcond=None)[0][:, 0]
    _, g = curvature.flat_gradient(model, bl.MSELoss(), X, y)
    np.testing.assert_allclose(g, H @ (theta - theta_star), rtol=1e-8, atol=1e-10)


def test_condition_number_of_scaled_features_grows_like_the_square_of_the_scale():
    X, _ = make_scaled_regression(400, scales=(1.0, 1.0), rng=0)
    base = conditioning.condition_number(conditioning.least_squares_hessian(X, bias=False))
    for s in (10.0, 100.0, 1000.0):
        Xs = X * np.array([s, 1.0])
        kappa = conditioning.condition_number(conditioning.least_squares_hessian(Xs, bias=False))
        assert kappa == pytest.approx(s**2, rel=0.3 * base)  # base ~ 1: nearly round data
    Xstd = standardize(X * np.array([1000.0, 1.0]))[0]
    kappa_std = conditioning.condition_number(conditioning.least_squares_hessian(Xstd))
    assert kappa_std < 1.5


def test_condition_number_of_a_singular_matrix_is_inf_and_errors_name_the_problem():
    assert conditioning.condition_number(np.diag([1.0, 0.0])) == math.inf
    assert conditioning.condition_number(np.diag([2.0, 8.0])) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="2-D"):
        conditioning.least_squares_hessian(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        conditioning.least_squares_hessian(np.array([[1.0], [np.nan]]))
