"""Closed forms about momentum and Adam (instruments/update_rules.py), each checked against
runs of the library's optimizers, and the numbers notebooks/07_optimizers.ipynb states."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.instruments import curvature, surfaces
from backprop_lib.instruments import update_rules as ur
from backprop_lib.nn.parameter import Parameter
from backprop_lib.optim import SGD, Adagrad, Adam


def _momentum_run(lr, beta, lam, steps):
    """|w_t| of SGD(momentum=beta) on L = lam w^2 / 2 from w = 1."""
    p = Parameter(np.array([1.0]))
    opt = SGD([p], lr=lr, momentum=beta)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        p.grad += lam * p.data
        opt.step()
        out.append(abs(float(p.data[0])))
    return np.array(out)


@settings(max_examples=25)
@given(st.floats(0.01, 0.3), st.floats(0.0, 0.95), st.floats(0.5, 10.0))
def test_heavy_ball_factor_is_the_rate_the_optimizer_shows(lr, beta, lam):
    rho = ur.heavy_ball_factor(lr, beta, lam)
    w = _momentum_run(lr, beta, lam, 400)
    if rho < 0.97 and w[-1] > 1e-250:
        late, early = np.max(w[380:400]), np.max(w[180:200])
        assert (late / early) ** (1 / 200) == pytest.approx(rho, abs=0.02)  # read from the run
    if beta == 0.0:
        assert rho == pytest.approx(abs(1 - lr * lam))


def test_underdamped_factor_is_sqrt_beta_and_the_stable_range_grows_with_beta():
    assert ur.heavy_ball_factor(0.1, 0.99, 10.0) == pytest.approx(math.sqrt(0.99))
    for beta in (0.0, 0.5, 0.9):  # stable iff lr * lam < 2 (1 + beta)
        limit = 2 * (1 + beta) / 10.0
        assert (
            ur.heavy_ball_factor(0.99 * limit, beta, 10.0)
            < 1
            < ur.heavy_ball_factor(1.01 * limit, beta, 10.0)
        )


@pytest.mark.parametrize("kappa", [3.0, 10.0, 100.0])
def test_best_heavy_ball_is_best_and_gives_sqrt_kappa(kappa):
    A = np.array(surfaces.ravine(kappa).hessian)
    lr, beta, rho = ur.best_heavy_ball(A)
    assert ur.heavy_ball_rate(lr, beta, A) == pytest.approx(rho, rel=1e-6)
    assert rho == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    assert rho == pytest.approx(math.sqrt(beta))
    grid = [ur.heavy_ball_rate(lr * a, beta * b, A) for a in (0.9, 1.1) for b in (0.9, 0.99)]
    assert min(grid) > rho - 1e-9  # nearby settings are no better
    assert ur.gd_rate(A) == pytest.approx(
        curvature.contraction_factor(curvature.best_constant_lr(A), A)
    )


def test_effective_step_is_what_the_buffer_grows_to():
    p = Parameter(np.array([0.0]))
    opt = SGD([p], lr=0.1, momentum=0.9)
    for _ in range(300):  # a steady slope: the gradient is 1 every step
        opt.zero_grad()
        p.grad += 1.0
        before = float(p.data[0])
        opt.step()
    assert before - float(p.data[0]) == pytest.approx(ur.effective_step(0.1, 0.9), rel=1e-9)
    assert ur.effective_step(1.0, 0.99) == pytest.approx(100.0)


def test_uncorrected_ratio_matches_adam_with_and_without_the_correction():
    g = np.array([0.3, -2.0])
    p = Parameter(np.zeros(2))
    opt = Adam([p], lr=0.01, eps=1e-12)
    m = v = np.zeros(2)
    for t in range(1, 30):
        opt.zero_grad()
        p.grad += g
        before = p.data.copy()
        opt.step()
        corrected = before - p.data
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        uncorrected = 0.01 * m / (np.sqrt(v) + 1e-12)
        np.testing.assert_allclose(uncorrected / corrected, ur.uncorrected_ratio(t), rtol=1e-8)
        np.testing.assert_allclose(np.abs(corrected), 0.01, rtol=1e-8)  # "about lr long"


def test_nb07_bias_correction_numbers():
    r = ur.uncorrected_ratio(np.arange(1, 5001))
    assert round(float(r[0]), 1) == 3.2 and round(float(r[0]), 2) == 3.16
    assert int(np.argmax(r)) + 1 == 12 and round(float(r.max()), 1) == 6.6
    assert round(float(r[999]), 2) == 1.26  # "26% too long at step 1000"
    assert r[-1] == pytest.approx(1.0, abs=0.005)


def test_nb07_adagrad_steps_shrink_like_one_over_sqrt_t():
    p = Parameter(np.array([0.0]))
    opt = Adagrad([p], lr=1.0)
    steps = []
    for _ in range(10000):
        opt.zero_grad()
        p.grad += 2.0
        before = float(p.data[0])
        opt.step()
        steps.append(before - float(p.data[0]))
    assert steps[99] / steps[0] == pytest.approx(0.1, rel=1e-6)
    assert steps[9999] / steps[0] == pytest.approx(0.01, rel=1e-6)


def test_nb07_steps_tables():
    gd, mom = {}, {}
    for kappa in (10, 100, 1000):
        A = np.array(surfaces.ravine(kappa).hessian)
        gd[kappa] = ur.steps_for(ur.gd_rate(A))
        mom[kappa] = ur.steps_for(ur.best_heavy_ball(A)[2])
        assert gd[kappa] == curvature.steps_to_shrink(curvature.best_constant_lr(A), A, factor=1e-3)
        assert gd[kappa] == pytest.approx(kappa * math.log(1000) / 2, rel=0.02)  # "about"
    assert gd == {10: 35, 100: 346, 1000: 3454} and mom == {10: 11, 100: 35, 1000: 110}
    lr, beta, _ = ur.best_heavy_ball(np.array(surfaces.ravine(100).hessian))
    assert round(lr, 2) == 0.33 and lr > 0.2 and lr < 2 * (1 + beta) / 10


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: ur.heavy_ball_factor(0.1, 1.0, 1.0), ValueError),
        (lambda: ur.heavy_ball_factor(-0.1, 0.5, 1.0), ValueError),
        (lambda: ur.effective_step(0.1, "0.9"), TypeError),
        (lambda: ur.best_heavy_ball(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError),
        (lambda: ur.best_heavy_ball(np.diag([-1.0, 1.0])), ValueError),
        (lambda: ur.uncorrected_ratio(0), ValueError),
        (lambda: ur.uncorrected_ratio(1.5), TypeError),
        (lambda: ur.steps_for(0.5, factor=2.0), ValueError),
    ],
)
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call()


def test_steps_for_edges():
    assert ur.steps_for(1.0) == math.inf and ur.steps_for(0.0) == 1 and ur.steps_for(0.1) == 3
