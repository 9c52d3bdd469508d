"""Tests for backprop_lib.instruments.curvature: Hessian-vector products, sharpness, and the
quadratic closed forms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib.instruments import curvature as cv


def linear_regression(seed: int, n: int = 12, d_in: int = 3, d_out: int = 2):
    """A Linear model with MSE: its loss is exactly quadratic in (W, b)."""
    rng = np.random.default_rng(seed)
    model = bl.Sequential(bl.Linear(d_in, d_out, rng=rng))
    X = rng.normal(size=(n, d_in))
    y = rng.normal(size=(n, d_out))
    return model, bl.MSELoss(), X, y


def exact_linear_hessian(X: np.ndarray, d_out: int) -> np.ndarray:
    """Hessian of mean((X W + b - y)^2) over N * d_out entries, in the (W, b) flat order.

    For output column k, the loss is (1 / (N d_out)) sum_n (x~_n . w~_k - y_nk)^2 with
    x~ = [x, 1] and w~_k = [W[:, k], b[k]], whose Hessian is (2 / (N d_out)) X~^T X~.
    """
    n, d_in = X.shape
    Xt = np.hstack([X, np.ones((n, 1))])
    block = 2.0 / (n * d_out) * Xt.T @ Xt  # (d_in + 1, d_in + 1), one per output column
    # flat order: W row-major (d_in, d_out), then b (d_out,): index of w~_k[i] is
    # i * d_out + k for i < d_in and d_in * d_out + k for the bias
    P = (d_in + 1) * d_out
    H = np.zeros((P, P))
    idx = [[i * d_out + k for i in range(d_in)] + [d_in * d_out + k] for k in range(d_out)]
    for k in range(d_out):
        H[np.ix_(idx[k], idx[k])] = block
    return H


def loss_hessian_by_second_differences(model, loss, X, y, h=1e-4) -> np.ndarray:
    """An independent Hessian from loss values only (no backward pass at all).

    H_ij ~ (L(+i+j) - L(+i-j) - L(-i+j) + L(-i-j)) / (4 h^2).
    """
    theta0 = cv.flat_parameters(model)
    P = theta0.size

    def L(theta):
        cv.set_flat_parameters(model, theta)
        return loss.forward(model.forward(X), y)

    H = np.zeros((P, P))
    for i in range(P):
        for j in range(i, P):
            ei, ej = np.zeros(P), np.zeros(P)
            ei[i], ej[j] = h, h
            pp, pm = L(theta0 + ei + ej), L(theta0 + ei - ej)
            mp, mm = L(theta0 - ei + ej), L(theta0 - ei - ej)
            H[i, j] = H[j, i] = (pp - pm - mp + mm) / (4 * h * h)
    cv.set_flat_parameters(model, theta0)
    return H


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hvp_matches_exact_hessian_of_a_quadratic_loss(seed):
    model, loss, X, y = linear_regression(seed)
    H = exact_linear_hessian(X, y.shape[1])
    v = np.random.default_rng(100 + seed).normal(size=H.shape[0])
    hv = cv.hvp(model, loss, X, y, v)
    assert bl.rel_error(hv, H @ v) < 1e-6


def test_hessian_matches_exact_hessian_of_a_quadratic_loss():
    model, loss, X, y = linear_regression(3)
    H = cv.hessian(model, loss, X, y)
    assert np.allclose(H, exact_linear_hessian(X, y.shape[1]), atol=1e-7)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_hessian_of_a_tiny_network_matches_second_differences_of_the_loss(activation):
    rng = np.random.default_rng(7)
    model = bl.mlp([2, 3, 1], activation=activation, rng=rng)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    loss = bl.MSELoss()
    H = cv.hessian(model, loss, X, y)
    H_ref = loss_hessian_by_second_differences(model, loss, X, y)
    assert np.allclose(H, H.T)
    assert np.max(np.abs(H - H_ref)) < 1e-5 * max(1.0, np.max(np.abs(H_ref)))


def test_hvp_is_linear_in_v():
    rng = np.random.default_rng(8)
    model = bl.mlp([2, 4, 1], activation="tanh", rng=rng)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=(10, 1))
    P = cv.flat_parameters(model).size
    u, w = rng.normal(size=P), rng.normal(size=P)
    loss = bl.MSELoss()
    lhs = cv.hvp(model, loss, X, y, 2.0 * u - 3.0 * w)
    rhs = 2.0 * cv.hvp(model, loss, X, y, u) - 3.0 * cv.hvp(model, loss, X, y, w)
    assert bl.rel_error(lhs, rhs) < 1e-5
    assert np.all(cv.hvp(model, loss, X, y, np.zeros(P)) == 0.0)


def test_model_is_unchanged_by_hvp_and_sharpness_even_with_batch_norm():
    rng = np.random.default_rng(9)
    model = bl.mlp([3, 5, 5, 1], activation="relu", batch_norm=True, rng=rng)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    for p in model.parameters():
        p.grad[...] = rng.normal(size=p.grad.shape)  # gradients the caller cares about
    before = [(p.data.copy(), p.grad.copy()) for p in model.parameters()]
    buffers = [b.copy() for _, b in model.named_buffers()]
    loss = bl.MSELoss()
    cv.hvp(model, loss, X, y, rng.normal(size=cv.flat_parameters(model).size))
    cv.sharpness(model, loss, X, y, iters=5)
    cv.flat_gradient(model, loss, X, y)
    for p, (data, grad) in zip(model.parameters(), before, strict=True):
        assert np.array_equal(p.data, data)
        assert np.array_equal(p.grad, grad)
    for (_, b), saved in zip(model.named_buffers(), buffers, strict=True):
        assert np.array_equal(b, saved)


def test_flat_gradient_matches_backprop_and_theta_argument():
    rng = np.random.default_rng(10)
    model = bl.mlp([2, 4, 1], activation="tanh", rng=rng)
    X, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    loss = bl.MSELoss()
    value, g = cv.flat_gradient(model, loss, X, y)
    model.zero_grad()
    assert value == pytest.approx(loss.forward(model.forward(X), y))
    model.backward(loss.backward())
    assert np.allclose(g, np.concatenate([p.grad.ravel() for p in model.parameters()]))
    theta = cv.flat_parameters(model) + 0.1
    value2, _ = cv.flat_gradient(model, loss, X, y, theta=theta)
    cv.set_flat_parameters(model, theta)
    assert value2 == pytest.approx(loss.forward(model.forward(X), y))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), dim=st.integers(2, 8))
def test_power_iteration_finds_the_dominant_eigenvalue(seed, dim):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    lam = np.sort(rng.uniform(0.1, 1.0, size=dim))
    lam[-1] = 2.0  # a clear gap so power iteration converges quickly
    A = Q @ np.diag(lam) @ Q.T
    value, v = cv.power_iteration(lambda x: A @ x, dim, iters=500, tol=1e-12, rng=seed)
    assert value == pytest.approx(2.0, rel=1e-6)
    assert np.allclose(A @ v, value * v, atol=1e-4)


def test_top_eigenvalue_handles_a_dominant_negative_eigenvalue():
    A = np.diag([-5.0, 1.0, 2.0])
    dominant, _ = cv.power_iteration(lambda x: A @ x, 3, iters=500, tol=1e-12)
    assert dominant == pytest.approx(-5.0, rel=1e-6)
    assert cv.top_eigenvalue(lambda x: A @ x, 3, iters=2000, tol=1e-12) == pytest.approx(
        2.0, rel=1e-5
    )


def test_power_iteration_is_reproducible_with_a_fixed_rng():
    A = np.diag([3.0, 2.9, 1.0])  # slow convergence: the start vector matters
    a = cv.power_iteration(lambda x: A @ x, 3, iters=5, rng=4)[0]
    b = cv.power_iteration(lambda x: A @ x, 3, iters=5, rng=4)[0]
    assert a == b


def test_sharpness_of_a_linear_model_is_the_largest_eigenvalue_of_its_hessian():
    model, loss, X, y = linear_regression(11)
    H = exact_linear_hessian(X, y.shape[1])
    lam = cv.sharpness(model, loss, X, y, iters=500, tol=1e-10)
    assert lam == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-5)


def test_sharpness_of_a_tiny_network_matches_its_full_hessian():
    rng = np.random.default_rng(12)
    model = bl.mlp([2, 4, 1], activation="tanh", rng=rng)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    loss = bl.MSELoss()
    top = np.linalg.eigvalsh(cv.hessian(model, loss, X, y))[-1]
    assert cv.sharpness(model, loss, X, y, iters=1000, tol=1e-10) == pytest.approx(top, rel=1e-4)


# ---- quadratics ----


def test_stability_limit_and_best_lr_of_a_diagonal_quadratic():
    A = np.diag([1.0, 10.0])
    assert cv.stability_limit(A) == pytest.approx(0.2)
    assert cv.best_constant_lr(A) == pytest.approx(2.0 / 11.0)
    assert cv.contraction_factor(2.0 / 11.0, A) == pytest.approx(9.0 / 11.0)  # (k-1)/(k+1)
    assert cv.stability_limit(4.0) == pytest.approx(0.5)  # a parabola 4 w^2 / 2


def test_stability_limit_uses_eigenvalues_not_the_diagonal():
    A = np.array([[2.0, 1.5], [1.5, 2.0]])  # eigenvalues 0.5 and 3.5
    assert cv.stability_limit(A) == pytest.approx(2.0 / 3.5)


@pytest.mark.parametrize("factor, converges", [(0.98, True), (1.02, False)])
def test_gradient_descent_converges_just_below_the_limit_and_diverges_above(factor, converges):
    A = np.array([[3.0, 1.0], [1.0, 1.0]])
    b = np.array([1.0, -1.0])
    w_star = np.linalg.solve(A, b)
    lr = factor * cv.stability_limit(A)
    path = cv.gd_on_quadratic(A, b, w0=[2.0, 2.0], lr=lr, steps=400)
    err0 = np.linalg.norm(path[0] - w_star)
    err = np.linalg.norm(path[-1] - w_star)
    assert (err < 1e-2 * err0) == converges
    assert (cv.contraction_factor(lr, A) < 1.0) == converges


def test_gd_on_quadratic_error_shrinks_by_the_contraction_factor():
    A = np.diag([0.5, 4.0])
    lr = 0.3  # factors |1 - 0.15| = 0.85 and |1 - 1.2| = 0.2
    path = cv.gd_on_quadratic(A, np.zeros(2), w0=[1.0, 1.0], lr=lr, steps=10)
    assert np.allclose(path[:, 0], 0.85 ** np.arange(11))
    assert np.allclose(path[:, 1], (-0.2) ** np.arange(11))
    assert cv.contraction_factor(lr, A) == pytest.approx(0.85)


@pytest.mark.parametrize(
    "lr, regime",
    [(0.02, "monotone"), (0.25, "one step"), (0.45, "oscillating"), (0.5, "bouncing"),
     (0.55, "diverging"), (0.0, "no progress")],
)  # fmt: skip
def test_step_regime_of_a_parabola_matches_its_path(lr, regime):
    a = 4.0
    assert cv.step_regime(lr, a) == regime
    path = cv.gd_on_quadratic(a, 0.0, w0=1.0, lr=lr, steps=6)[:, 0]
    signs = np.sign(path[1:])
    if regime == "monotone":
        assert np.all(signs > 0) and np.all(np.diff(path) < 0)
    elif regime == "one step":
        assert np.allclose(path[1:], 0.0)
    elif regime == "oscillating":
        assert np.all(signs[1:] != signs[:-1]) and np.all(np.diff(np.abs(path)) < 0)
    elif regime == "bouncing":
        assert np.allclose(np.abs(path), 1.0)
    elif regime == "diverging":
        assert np.all(np.diff(np.abs(path)) > 0)
    else:
        assert np.all(path == 1.0)


def test_steps_to_shrink_matches_the_path():
    A = np.diag([1.0, 10.0])
    for lr in [0.02, 0.1, 0.18, 0.195]:
        n = cv.steps_to_shrink(lr, A, 1e-3)
        path = cv.gd_on_quadratic(A, np.zeros(2), w0=[1.0, 1.0], lr=lr, steps=n)
        worst = np.max(np.abs(path), axis=1)  # along the slower eigen-direction
        assert worst[n] <= 1e-3 < worst[n - 1]
    assert cv.steps_to_shrink(0.21, A) == math.inf
    assert cv.steps_to_shrink(0.25, 4.0) == 1


def test_diverging_quadratic_path_does_not_raise():
    path = cv.gd_on_quadratic(np.eye(1) * 10.0, [0.0], w0=[1.0], lr=1.0, steps=2000)
    assert not np.all(np.isfinite(path[-1]))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: cv.stability_limit(np.array([[1.0, 2.0], [0.0, 1.0]])), ValueError),
        (lambda: cv.stability_limit(np.ones((2, 3))), ValueError),
        (lambda: cv.best_constant_lr(np.diag([-1.0, 1.0])), ValueError),
        (lambda: cv.gd_on_quadratic(np.eye(2), 0, [0, 0], 0.1, steps=-1), ValueError),
        (lambda: cv.power_iteration(lambda v: v, 2, iters=0), ValueError),
        (lambda: cv.hvp("model", bl.MSELoss(), np.zeros((1, 1)), np.zeros((1, 1)), [0]), TypeError),
    ],
)
def test_bad_input_raises(call, error):
    with pytest.raises(error):
        call()


def test_hvp_rejects_a_vector_of_the_wrong_size():
    model, loss, X, y = linear_regression(0)
    with pytest.raises(ValueError, match="one entry per parameter"):
        cv.hvp(model, loss, X, y, np.ones(3))
    with pytest.raises(ValueError, match="theta has shape"):
        cv.set_flat_parameters(model, np.ones(3))
