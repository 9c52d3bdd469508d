"""Why unscaled inputs slow training down: the Hessian of least squares and its condition.

For a linear model y_hat = X w + b with the mean squared error (``MSELoss`` with one
output), the loss L(w, b) = mean_i (x_i . w + b - y_i)^2 is a quadratic whose Hessian does
not depend on the parameters:

    H = (2 / n) X1^T X1,    X1 = [X, 1] (n, d + 1)   (the column of ones is the bias).

Its eigenvalues are the curvatures of notebook 04: gradient descent is stable only for
lr < 2 / lambda_max, and then the flattest direction shrinks by 1 - lr lambda_min per step,
so the number of steps grows like the condition number kappa = lambda_max / lambda_min.
A feature measured in thousands next to one measured in units gives kappa ~ 10^6; the same
data standardised gives kappa ~ 1. Used by the data notebook (09).
"""

from __future__ import annotations

import math

import numpy as np

from .curvature import quadratic_eigenvalues

__all__ = ["condition_number", "least_squares_hessian"]


def least_squares_hessian(X, bias: bool = True) -> np.ndarray:
    """The Hessian of L = mean_i (x_i . w + b - y_i)^2 with respect to (w, b).

    H = (2 / n) X1^T X1 with X1 = [X, 1] (or X alone when ``bias`` is False). The targets do
    not enter: L is quadratic in (w, b), so H is the same at every point.

    Parameters
    ----------
    X : (n, d) array, the inputs
    bias : bool, whether the model has a bias (the last row and column of H)

    Returns
    -------
    H : (d + 1, d + 1) float64 with a bias, (d, d) without; parameters ordered (w_1..w_d, b),
        as ``Linear(d, 1).parameters()`` flattens them.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be a 2-D array (examples, features), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf; clean it first")
    X1 = np.c_[X, np.ones(len(X))] if bias else X  # (n, d + 1)
    return 2.0 / len(X) * X1.T @ X1


def condition_number(H) -> float:
    """kappa = lambda_max / lambda_min of a symmetric positive semi-definite matrix H.

    inf when lambda_min <= 0 (a flat direction: gradient descent never converges along it).
    """
    lam = quadratic_eigenvalues(H)
    if lam[0] <= 0:
        return math.inf
    return float(lam[-1] / lam[0])
