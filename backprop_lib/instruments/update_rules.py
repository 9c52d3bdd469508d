"""Closed forms about the update rules: momentum on a quadratic, and Adam's bias correction.

Momentum on L(w) = 1/2 w^T A w. ``torch.optim.SGD(momentum=beta)`` (and ours) keeps
b = beta b + g and steps w = w - lr b, which is Polyak's heavy ball
w_{t+1} = w_t - lr g_t + beta (w_t - w_{t-1}). Along an eigen-direction of curvature lambda the
pair (u_t, u_{t-1}) is multiplied every step by the 2x2 matrix [[1 + beta - lr lambda, -beta],
[1, 0]]; the error shrinks like rho^t, rho the larger modulus of its eigenvalues
(``heavy_ball_factor``). With the best settings (``best_heavy_ball``) rho is
(sqrt(kappa) - 1) / (sqrt(kappa) + 1), against (kappa - 1) / (kappa + 1) for plain gradient
descent (kappa the condition number): the square root is what momentum buys (Polyak, 1964;
Goh, "Why Momentum Really Works", Distill 2017).

Adam's bias correction. m and v start at 0, so early on they are shrunk towards 0 by the
factors (1 - beta1^t) and (1 - beta2^t). Without the correction, the step m / sqrt(v) is
``uncorrected_ratio(t)`` = (1 - beta1^t) / sqrt(1 - beta2^t) times the corrected one.
Used by the optimizers notebook (07).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_number

__all__ = [
    "effective_step",
    "heavy_ball_factor",
    "heavy_ball_rate",
    "best_heavy_ball",
    "gd_rate",
    "steps_for",
    "uncorrected_ratio",
]


def _beta(beta, what: str = "beta") -> float:
    beta = check_number(beta, what, 0.9)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"{what} must be in [0, 1), got {beta}; the usual value is 0.9")
    return beta


def _lr(lr) -> float:
    lr = check_number(lr, "lr", 0.1)
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    return lr


def _eigenvalues(A) -> np.ndarray:
    """The eigenvalues of a symmetric positive definite A (a number means a 1x1 A)."""
    A = np.atleast_2d(np.asarray(A, dtype=float))
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix (or one curvature), got shape {A.shape}")
    if not np.allclose(A, A.T):
        raise ValueError("A must be symmetric: it stands for a Hessian")
    lams = np.linalg.eigvalsh(A)
    if lams[0] <= 0:
        raise ValueError(f"A must be positive definite (a bowl), got eigenvalues {lams}")
    return lams


def effective_step(lr: float, beta: float) -> float:
    """lr / (1 - beta): how far momentum moves per step, in the end, on a constant gradient.

    With g constant, b = g (1 + beta + beta^2 + ...) -> g / (1 - beta).
    """
    return _lr(lr) / (1.0 - _beta(beta))


def heavy_ball_factor(lr: float, beta: float, lam: float) -> float:
    """rho: the error along a direction of curvature ``lam`` shrinks like rho^t under momentum.

    The larger modulus of the eigenvalues of [[1 + beta - lr lam, -beta], [1, 0]]. Below 1:
    converges; above: diverges. beta = 0 gives plain gradient descent's |1 - lr lam|.
    """
    lr, beta = _lr(lr), _beta(beta)
    lam = check_number(lam, "lam", 1.0)
    M = np.array([[1.0 + beta - lr * lam, -beta], [1.0, 0.0]])
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def heavy_ball_rate(lr: float, beta: float, A) -> float:
    """The worst per-step factor over the eigen-directions of A: max_i heavy_ball_factor."""
    return max(heavy_ball_factor(lr, beta, float(lam)) for lam in _eigenvalues(A))


def gd_rate(A) -> float:
    """(kappa - 1) / (kappa + 1): plain gradient descent's factor at its best constant rate."""
    lams = _eigenvalues(A)
    kappa = lams[-1] / lams[0]
    return float((kappa - 1.0) / (kappa + 1.0))


def steps_for(rho: float, factor: float = 1e-3) -> float:
    """The steps after which rho^t <= factor: ceil(log factor / log rho); inf if rho >= 1."""
    rho = check_number(rho, "rho", 0.5)
    factor = check_number(factor, "factor", 1e-3)
    if not 0.0 < factor < 1.0:
        raise ValueError("factor must be in (0, 1), e.g. 1e-3 for 'a thousand times smaller'")
    if rho >= 1.0:
        return math.inf
    if rho <= 0.0:
        return 1
    return math.ceil(math.log(factor) / math.log(rho) - 1e-12)


def best_heavy_ball(A) -> tuple[float, float, float]:
    """The best momentum settings on 1/2 w^T A w, and the factor they give.

    lr* = (2 / (sqrt(lambda_min) + sqrt(lambda_max)))^2, beta* = ((sqrt(kappa) - 1) /
    (sqrt(kappa) + 1))^2, rho* = sqrt(beta*) = (sqrt(kappa) - 1) / (sqrt(kappa) + 1).

    Returns
    -------
    (lr*, beta*, rho*)
    """
    lams = _eigenvalues(A)
    lo, hi = math.sqrt(lams[0]), math.sqrt(lams[-1])
    lr = (2.0 / (lo + hi)) ** 2
    rho = (hi - lo) / (hi + lo)
    return lr, rho**2, rho


def uncorrected_ratio(t, betas: tuple[float, float] = (0.9, 0.999)) -> np.ndarray:
    """How many times larger Adam's step t is without bias correction.

    (1 - b1^t) / sqrt(1 - b2^t): with m_hat = m / (1 - b1^t) and v_hat = v / (1 - b2^t),
    m / sqrt(v) is m_hat / sqrt(v_hat) times this ratio (eps aside). At t = 1 it is
    (1 - b1) / sqrt(1 - b2) = 0.1 / sqrt(0.001) = 3.16 for the defaults; it tends to 1 as t
    grows.

    Parameters
    ----------
    t : int >= 1, or an array of them (1-based step numbers)
    betas : (beta1, beta2), each in [0, 1)

    Returns
    -------
    ndarray shaped like t
    """
    b1, b2 = _beta(betas[0], "beta1"), _beta(betas[1], "beta2")
    if b2 == 0.0:
        raise ValueError("beta2 must be > 0 here (with beta2 = 0, v is just g^2)")
    t = np.asarray(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"t must be an int step number (or an array of them), got {t.dtype}")
    if t.size and t.min() < 1:
        raise ValueError(f"t counts steps from 1 (the first step), got {t.min()}")
    t = t.astype(float)
    return (1.0 - b1**t) / np.sqrt(1.0 - b2**t)
