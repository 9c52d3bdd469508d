"""Curvature of a loss: Hessian-vector products, the sharpness, and quadratics in closed form.

Gradient descent w <- w - lr * g is stable on a quadratic only while lr < 2 / lambda_max, where
lambda_max is the largest eigenvalue of the Hessian (the "sharpness"). This module measures that
number for a real network without ever forming its Hessian:

- ``hvp``: a Hessian-vector product H v from two gradients, by central differences,
  H v ~ (g(theta + eps v) - g(theta - eps v)) / (2 eps);
- ``power_iteration`` / ``sharpness``: the largest eigenvalue of H from repeated products;
- ``hessian``: the full P x P matrix, one product per column (for tiny models and tests);
- closed forms for a quadratic L(w) = 1/2 w^T A w - b^T w: its eigenvalues, the stability limit,
  the best constant step and the per-step contraction factor, and the exact gradient-descent path.

The model's parameters are treated as one flat vector theta (P,), in ``parameters()`` order.
Used by the learning-rate notebook (04) and its dashboard's stability marker.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..checks import as_rng
from ..nn.layers import Layer
from ..nn.losses import Loss

__all__ = [
    "best_constant_lr",
    "contraction_factor",
    "flat_gradient",
    "flat_parameters",
    "gd_on_quadratic",
    "hessian",
    "hvp",
    "lr_regime",
    "power_iteration",
    "quadratic_eigenvalues",
    "set_flat_parameters",
    "sharpness",
    "stability_limit",
    "step_regime",
    "steps_to_shrink",
    "top_eigenvalue",
]


# ---- a model's parameters as one vector ----


def flat_parameters(model: Layer) -> np.ndarray:
    """All of ``model``'s parameters in one new vector theta (P,), in ``parameters()`` order."""
    params = model.parameters()
    if not params:
        return np.zeros(0)
    return np.concatenate([p.data.ravel() for p in params]).astype(np.float64)


def set_flat_parameters(model: Layer, theta: np.ndarray) -> None:
    """Write theta (P,) back into ``model``'s parameters, in place (every array stays the same)."""
    theta = np.asarray(theta, dtype=np.float64)
    params = model.parameters()
    total = sum(p.data.size for p in params)
    if theta.shape != (total,):
        raise ValueError(
            f"theta has shape {theta.shape} but the model has {total} parameter values; "
            "pass a flat vector like flat_parameters(model)"
        )
    i = 0
    for p in params:
        n = p.data.size
        p.data[...] = theta[i : i + n].reshape(p.data.shape)
        i += n


class _Frozen:
    """Save a model's parameters, gradients, buffers and random states; restore them on exit.

    A gradient evaluation must not change the model: batch norm's running statistics would
    drift and dropout would draw new masks, so every evaluation starts from the same state.
    """

    def __init__(self, model: Layer):
        self.model = model

    def __enter__(self) -> _Frozen:
        m = self.model
        self.params = [(p, p.data.copy(), p.grad.copy()) for p in m.parameters()]
        self.buffers = [(b, b.copy()) for _, b in m.named_buffers()]
        self.gens = [
            (g, g.bit_generator.state)
            for g in (getattr(layer, "rng", None) for layer in m.modules())
            if isinstance(g, np.random.Generator)
        ]
        return self

    def reset_state(self) -> None:
        """Buffers and random generators back to the saved state (parameters untouched)."""
        for buf, saved in self.buffers:
            buf[...] = saved
        for gen, state in self.gens:
            gen.bit_generator.state = state

    def __exit__(self, *exc) -> None:
        self.reset_state()
        for p, data, grad in self.params:
            p.data[...] = data
            p.grad[...] = grad


def _gradient(model: Layer, loss: Loss, X, y, frozen: _Frozen) -> tuple[float, np.ndarray]:
    frozen.reset_state()
    model.zero_grad()
    value = loss.forward(model.forward(X), y)
    model.backward(loss.backward())
    return float(value), np.concatenate([p.grad.ravel() for p in model.parameters()])


def flat_gradient(model: Layer, loss: Loss, X, y, theta=None) -> tuple[float, np.ndarray]:
    """The loss and its gradient g = dL/dtheta (P,) at theta (default: the current parameters).

    L(theta) = loss(model(X; theta), y). The model is left exactly as it was (parameters,
    gradients, batch-norm statistics, dropout generators).

    Returns ``(L, g)``: a float and an array (P,).
    """
    _check_model(model, loss)
    X = np.asarray(X, dtype=np.float64)
    with _Frozen(model) as frozen:
        if theta is not None:
            set_flat_parameters(model, theta)
        return _gradient(model, loss, X, y, frozen)


def _check_model(model, loss) -> None:
    if not isinstance(model, Layer):
        raise TypeError(f"expected a model (a Layer such as mlp(...)), got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"expected a loss such as bl.MSELoss(), got {type(loss).__name__}")
    if not model.parameters():
        raise ValueError("the model has no parameters, so its loss has no Hessian to measure")


def _hvp(model, loss, X, y, theta0, v, eps, frozen) -> np.ndarray:
    norm_v = float(np.linalg.norm(v))
    if norm_v == 0.0:
        return np.zeros_like(theta0)
    h = eps * max(1.0, float(np.linalg.norm(theta0))) / norm_v  # step size along v
    set_flat_parameters(model, theta0 + h * v)
    _, g_plus = _gradient(model, loss, X, y, frozen)
    set_flat_parameters(model, theta0 - h * v)
    _, g_minus = _gradient(model, loss, X, y, frozen)
    set_flat_parameters(model, theta0)
    return (g_plus - g_minus) / (2.0 * h)


def hvp(model: Layer, loss: Loss, X, y, v, eps: float = 1e-5) -> np.ndarray:
    """Hessian-vector product by central differences of two gradients.

    H v ~ (g(theta + h v) - g(theta - h v)) / (2 h),  h = eps * max(1, |theta|) / |v|.
    The error is O(h^2) (plus rounding ~ 1e-16 |g| / h), so eps = 1e-5 gives ~8 good digits
    in float64. Costs two backward passes, whatever P is.

    Parameters
    ----------
    model : Layer; loss : Loss; X (N, features) and y: the data the loss is measured on
    v : array (P,), a direction in parameter space (any length)
    eps : float > 0, the relative finite-difference step

    Returns
    -------
    ndarray (P,): H v. The model is left as it was.
    """
    _check_model(model, loss)
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}; 1e-5 suits float64")
    X = np.asarray(X, dtype=np.float64)
    theta0 = flat_parameters(model)
    v = np.asarray(v, dtype=np.float64)
    if v.shape != theta0.shape:
        raise ValueError(
            f"v has shape {v.shape}; it must be a flat vector with one entry per parameter "
            f"value, shape {theta0.shape}"
        )
    with _Frozen(model) as frozen:
        return _hvp(model, loss, X, y, theta0, v, eps, frozen)


def hessian(model: Layer, loss: Loss, X, y, eps: float = 1e-5) -> np.ndarray:
    """The full Hessian d^2 L / dtheta^2 (P, P), one Hessian-vector product per column.

    H[:, j] = H e_j, then symmetrised, (H + H^T) / 2. Costs 2P backward passes: for tiny
    models and tests only (use ``sharpness`` for real ones).
    """
    _check_model(model, loss)
    X = np.asarray(X, dtype=np.float64)
    theta0 = flat_parameters(model)
    P = theta0.size
    H = np.empty((P, P))
    with _Frozen(model) as frozen:
        for j in range(P):
            e = np.zeros(P)
            e[j] = 1.0
            H[:, j] = _hvp(model, loss, X, y, theta0, e, eps, frozen)
    return 0.5 * (H + H.T)


# ---- the largest eigenvalue ----


def power_iteration(
    matvec: Callable[[np.ndarray], np.ndarray],
    dim: int,
    iters: int = 100,
    tol: float = 1e-6,
    rng=0,
) -> tuple[float, np.ndarray]:
    """The eigenvalue of largest magnitude of a symmetric matrix known only through ``matvec``.

    v <- H v / |H v|, repeated; the Rayleigh quotient lambda = v^T H v converges to the
    dominant eigenvalue (with its sign) at the rate |lambda_2 / lambda_1| per step.

    Parameters
    ----------
    matvec : function (dim,) -> (dim,), v -> H v for a symmetric H
    dim : int, the size of v
    iters : int, the most products to take
    tol : float, stop when lambda changes by less than tol * |lambda| between steps
    rng : Generator, int seed or None: draws the starting vector (fixed seed: reproducible)

    Returns
    -------
    (lambda, v): a float and the unit eigenvector estimate (dim,).
    """
    if isinstance(iters, bool) or not isinstance(iters, int) or iters < 1:
        raise ValueError(f"iters must be a positive int, got {iters!r}")
    v = as_rng(rng).standard_normal(dim)
    v /= np.linalg.norm(v)
    lam = 0.0
    for i in range(iters):
        hv = np.asarray(matvec(v), dtype=np.float64)
        new_lam = float(v @ hv)  # the Rayleigh quotient v^T H v, with |v| = 1
        norm = float(np.linalg.norm(hv))
        if norm == 0.0 or not math.isfinite(norm):
            return new_lam, v
        v = hv / norm
        if i > 0 and abs(new_lam - lam) <= tol * abs(new_lam):
            return new_lam, v
        lam = new_lam
    return lam, v


def sharpness(
    model: Layer,
    loss: Loss,
    X,
    y,
    iters: int = 100,
    tol: float = 1e-4,
    rng=0,
    eps: float = 1e-5,
) -> float:
    """The largest Hessian eigenvalue lambda_max of the loss at the current parameters.

    Power iteration on Hessian-vector products (``hvp``), via ``top_eigenvalue`` (which also
    copes with a dominant negative eigenvalue, as at a saddle). Gradient descent with a
    constant lr is locally stable only while lr < 2 / lambda_max.

    Parameters
    ----------
    model, loss, X, y : the loss L(theta) = loss(model(X), y), usually on the full training set
    iters, tol, rng : passed to ``power_iteration`` (a fixed rng makes the estimate repeatable)
    eps : the finite-difference step of ``hvp``

    Returns
    -------
    float: lambda_max (can be <= 0 where the loss curves down in every direction).
    """
    _check_model(model, loss)
    X = np.asarray(X, dtype=np.float64)
    theta0 = flat_parameters(model)
    with _Frozen(model) as frozen:

        def matvec(v):
            return _hvp(model, loss, X, y, theta0, v, eps, frozen)

        return top_eigenvalue(matvec, theta0.size, iters, tol, rng)


def top_eigenvalue(
    matvec: Callable[[np.ndarray], np.ndarray],
    dim: int,
    iters: int = 100,
    tol: float = 1e-6,
    rng=0,
) -> float:
    """The largest (most positive) eigenvalue of a symmetric matrix known through ``matvec``.

    ``power_iteration`` gives the eigenvalue of largest magnitude, lambda_1; if it is negative,
    H - lambda_1 I has eigenvalues lambda_i - lambda_1 >= 0 whose largest is
    lambda_max - lambda_1, so a second run on it gives lambda_max.
    """
    lam, _ = power_iteration(matvec, dim, iters, tol, rng)
    if lam < 0:
        shifted, _ = power_iteration(lambda v: matvec(v) - lam * v, dim, iters, tol, rng)
        lam = shifted + lam
    return float(lam)


# ---- quadratics in closed form: L(w) = 1/2 w^T A w - b^T w, Hessian A ----


def _symmetric(A) -> np.ndarray:
    A = np.atleast_2d(np.asarray(A, dtype=np.float64))
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix (d, d), got shape {A.shape}")
    if not np.allclose(A, A.T):
        raise ValueError("A must be symmetric (a Hessian is); use (A + A.T) / 2")
    return A


def quadratic_eigenvalues(A) -> np.ndarray:
    """The eigenvalues of the symmetric (d, d) matrix A, ascending (d,): the curvatures."""
    return np.linalg.eigvalsh(_symmetric(A))


def stability_limit(A) -> float:
    """The largest stable constant step for gradient descent on 1/2 w^T A w: 2 / lambda_max.

    Along each eigenvector the error is multiplied by (1 - lr * lambda_i) per step, which
    shrinks only while |1 - lr * lambda_i| < 1, i.e. 0 < lr < 2 / lambda_i for every i.
    ``A`` may also be a number (a 1-D parabola a w^2 / 2 has lambda = a). Returns inf if A has
    no positive eigenvalue.
    """
    lam_max = float(quadratic_eigenvalues(A)[-1])
    return 2.0 / lam_max if lam_max > 0 else math.inf


def best_constant_lr(A) -> float:
    """The constant step that minimises the worst contraction: 2 / (lambda_min + lambda_max).

    There |1 - lr lambda_min| = |1 - lr lambda_max| = (kappa - 1) / (kappa + 1), with the
    condition number kappa = lambda_max / lambda_min (A positive definite).
    """
    lam = quadratic_eigenvalues(A)
    if lam[0] <= 0:
        raise ValueError("best_constant_lr needs a positive definite A (every eigenvalue > 0)")
    return 2.0 / float(lam[0] + lam[-1])


def contraction_factor(lr: float, A) -> float:
    """How much one gradient-descent step shrinks the error, at worst: max_i |1 - lr lambda_i|.

    Below 1 the iteration converges (geometrically, at this rate); above 1 it diverges.
    """
    lam = quadratic_eigenvalues(A)
    return float(np.max(np.abs(1.0 - lr * lam)))


def lr_regime(lr: float, A) -> str:
    """The regime of constant-step gradient descent on 1/2 w^T A w (A positive definite, or a
    curvature a > 0 for a parabola): the one vocabulary the notebooks and dashboards use.

    With eta* = 2 / (lambda_min + lambda_max) (the best constant rate; 1/a on a parabola) and
    the limit 2 / lambda_max: "too small" (lr < eta*/2: more than twice the steps needed),
    "about right" (eta*/2 <= lr <= eta*), "oscillating" (eta* < lr < limit: the steep
    direction flips sign every step and sets the speed), "on the limit" (bouncing forever),
    "diverging" (lr > limit).
    """
    best, limit = best_constant_lr(A), stability_limit(A)
    if math.isclose(lr, limit, rel_tol=1e-9):
        return "on the limit"
    if lr > limit:
        return "diverging"
    if lr > best:
        return "oscillating"
    return "about right" if lr >= best / 2 else "too small"


def step_regime(lr: float, lam: float) -> str:
    """What gradient descent does along one direction of curvature ``lam`` > 0 with step ``lr``.

    Each step multiplies the distance to the minimum by r = 1 - lr * lam:
    "monotone" (0 < r < 1), "one step" (r = 0), "oscillating" (-1 < r < 0, converging),
    "bouncing" (r = -1, forever), "diverging" (r < -1). (r >= 1: "no progress".)
    """
    x = float(lr) * float(lam)
    if math.isclose(x, 1.0, rel_tol=1e-12):
        return "one step"
    if math.isclose(x, 2.0, rel_tol=1e-12):
        return "bouncing"
    if x <= 0:
        return "no progress"
    if x < 1:
        return "monotone"
    return "oscillating" if x < 2 else "diverging"


def steps_to_shrink(lr: float, A, factor: float = 1e-3) -> float:
    """How many steps until the error is at most ``factor`` times its start, at worst.

    n = ceil(log(factor) / log(rho)) with rho = ``contraction_factor(lr, A)``; 0 if rho = 0
    (one step suffices: returns 1), inf if rho >= 1 (it never shrinks).
    """
    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), e.g. 1e-3, got {factor}")
    rho = contraction_factor(lr, A)
    if rho >= 1:
        return math.inf
    if rho == 0:
        return 1
    return math.ceil(math.log(factor) / math.log(rho) - 1e-9)


def gd_on_quadratic(A, b, w0, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on L(w) = 1/2 w^T A w - b^T w: the path of iterates (steps + 1, d).

    w_{t+1} = w_t - lr (A w_t - b). A diverging path is returned as it is (values grow,
    possibly to inf); nothing raises.
    """
    A = _symmetric(A)
    b = np.broadcast_to(np.asarray(b, dtype=np.float64), (A.shape[0],))
    w = np.broadcast_to(np.asarray(w0, dtype=np.float64), (A.shape[0],)).copy()
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    path = np.empty((steps + 1, A.shape[0]))
    path[0] = w
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            w = w - lr * (A @ w - b)
            path[t + 1] = w
    return path
