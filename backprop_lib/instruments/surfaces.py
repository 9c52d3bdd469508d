"""2-D test surfaces for optimizers, and a recorder of the path an optimizer takes across one.

A ``ToyFunction`` is a loss f(x, y) with its gradient, a view window, a starting point and its
minima. ``TOY_FUNCTIONS`` holds the classic ones (a round bowl, notebook 04's ravine,
Rosenbrock's banana, Himmelblau's four minima, a saddle, two minima of different depths);
``ravine(condition)`` builds a ravine of any condition number. ``record_path`` runs one of
``backprop_lib.optim``'s optimizers on a 2-vector Parameter, through its public
``zero_grad()`` / ``step()``, and keeps every point and loss; ``race`` does that for several
optimizers from one start. Drawing them is ``backprop_lib.viz.landscape``'s job. Numpy only.
Used by the learning-rate (04) and optimizers (07) notebooks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..checks import check_count, check_number
from ..nn.parameter import Parameter

__all__ = [
    "ToyFunction",
    "TOY_FUNCTIONS",
    "OptimizerPath",
    "ravine",
    "saddle",
    "two_minima",
    "busy_and_idle",
    "record_path",
    "race",
    "optimizer_path",
]

#: a point farther than this from the origin (or not finite) ends a run as diverged
FAR = 1e6


@dataclass(frozen=True)
class ToyFunction:
    """A 2-D loss surface f(x, y) with its gradient, a view window and a starting point.

    ``f(x, y)`` and ``grad(x, y) -> (df/dx, df/dy)`` work elementwise on arrays.
    ``minima`` lists the local minima (the lowest one is the global minimum), ``saddles`` the
    saddle points. ``lambda_max`` is the largest Hessian eigenvalue where it is constant
    (quadratics), so plain gradient descent is stable exactly for lr < 2 / lambda_max; then
    ``hessian`` is that constant Hessian as nested tuples (``np.array(fn.hessian)``: (2, 2)).
    """

    name: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    lambda_max: float | None = None
    saddles: tuple[tuple[float, float], ...] = ()
    hessian: tuple[tuple[float, float], tuple[float, float]] | None = None

    def __call__(self, x, y):
        return self.f(x, y)

    @property
    def lowest(self) -> float:
        """The lowest value of f: its value at the deepest of ``minima``."""
        return min(float(self.f(*m)) for m in self.minima)


def _quadratic(name: str, a: float, b: float, lim: float) -> ToyFunction:
    """f = (a x^2 + b y^2) / 2: a bowl whose curvatures are a and b."""
    return ToyFunction(
        name,
        lambda x, y: 0.5 * (a * x**2 + b * y**2),
        lambda x, y: (a * x, b * y),
        (-lim, lim),
        (-lim, lim),
        (-0.8 * lim, 0.6 * lim),
        ((0.0, 0.0),),
        lambda_max=max(a, b),
        hessian=((a, 0.0), (0.0, b)),
    )


def ravine(condition: float = 10.0, angle: float = 0.0, steep: float = 10.0) -> ToyFunction:
    """A ravine of condition number kappa: f = 1/2 w^T A w, A = R diag(steep / kappa, steep) R^T.

    Unrotated (``angle`` = 0) that is f = (steep / kappa * x^2 + steep * y^2) / 2: the floor
    runs along x. The curvature across the ravine stays ``steep``, so the stability limit of
    plain gradient descent stays 2 / steep whatever kappa is; the floor flattens as kappa
    grows. ``ravine(10)`` is notebook 04's ravine, (x^2 + 10 y^2) / 2. ``angle`` turns the
    floor by that many degrees (anticlockwise), so it no longer lines up with a coordinate:
    what per-parameter step sizes (Adagrad, RMSprop, Adam) can fix depends on that.

    Parameters
    ----------
    condition : float >= 1, kappa = lambda_max / lambda_min
    angle : float, degrees between the floor and the x axis
    steep : float > 0, lambda_max

    Returns
    -------
    ToyFunction whose ``hessian`` is A
    """
    kappa = check_number(condition, "ravine condition", 10.0)
    angle = check_number(angle, "ravine angle", 0.0)
    steep = check_number(steep, "ravine steep", 10.0)
    if not (math.isfinite(kappa) and kappa >= 1.0):
        raise ValueError(f"ravine condition must be a finite number >= 1, got {condition}")
    if not math.isfinite(angle):
        raise ValueError(f"ravine angle must be a finite number of degrees, got {angle}")
    if not (math.isfinite(steep) and steep > 0.0):
        raise ValueError(f"ravine steep must be a finite number > 0, got {steep}")
    name = f"ravine, κ = {kappa:.4g}" + (f", turned {angle:g}°" if angle else "")
    if kappa == 10.0 and steep == 10.0 and angle == 0.0:
        name = "ravine"
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    R = np.array([[c, -s], [s, c]])
    A = R @ np.diag([steep / kappa, steep]) @ R.T  # (2, 2) the Hessian
    a, b, d = float(A[0, 0]), float(A[0, 1]), float(A[1, 1])
    return ToyFunction(
        name,
        lambda x, y: 0.5 * (a * x**2 + 2 * b * x * y + d * y**2),
        lambda x, y: (a * x + b * y, b * x + d * y),
        (-2.0, 2.0),
        (-2.0, 2.0),
        (-1.6, 1.2),
        ((0.0, 0.0),),
        lambda_max=steep,
        hessian=((a, b), (b, d)),
    )


def saddle() -> ToyFunction:
    """f = x^2 / 2 + (y^2 - 1)^2 / 4: a saddle at (0, 0) between two minima at (0, +-1).

    At the saddle the Hessian is diag(1, -1): curving up along x, down along y, with f = 1/4
    and a zero gradient. The start (-1.8, 0.001) lies almost on the ridge y = 0, where the
    gradient along y is tiny (-y (1 - y^2)), so plain gradient descent slides down to the
    saddle and lingers there before it escapes.
    """
    return ToyFunction(
        "saddle",
        lambda x, y: 0.5 * x**2 + 0.25 * (y**2 - 1) ** 2,
        lambda x, y: (x, y * (y**2 - 1)),
        (-2.0, 2.0),
        (-1.6, 1.6),
        (-1.8, 0.001),
        ((0.0, 1.0), (0.0, -1.0)),
        saddles=((0.0, 0.0),),
    )


_TILT = 0.3  # f's slope along x; it makes the left minimum the deeper one


def two_minima() -> ToyFunction:
    """f = (x^2 - 1)^2 + 0.3 x + y^2: a shallow minimum near x = 0.96, a deeper one near -1.04.

    The minima and the saddle between them sit at y = 0 and at the roots of
    df/dx = 4 x^3 - 4 x + 0.3 (computed, not typed in). Starting at (1.8, 1.2), above the
    shallow one, gradient descent settles there; enough momentum carries a run over the hump.
    """
    roots = np.sort(np.roots([4.0, 0.0, -4.0, _TILT]).real)  # left min, saddle, right min
    return ToyFunction(
        "two minima",
        lambda x, y: (x**2 - 1) ** 2 + _TILT * x + y**2,
        lambda x, y: (4 * x * (x**2 - 1) + _TILT, 2 * y),
        (-2.0, 2.0),
        (-1.5, 1.5),
        (1.8, 1.2),
        ((float(roots[0]), 0.0), (float(roots[2]), 0.0)),
        saddles=((float(roots[1]), 0.0),),
    )


def busy_and_idle(steep: float = 100.0) -> ToyFunction:
    """f = steep / 2 * (x - 1)^2: a busy weight x with a steep loss, an idle weight y with none.

    The loss does not depend on y at all, so any change of y comes from a penalty or from
    weight decay: the surface on which L2-under-Adam and AdamW come apart (notebook 07).
    Every point (1, y) is a minimum; ``minima`` lists (1, 0).
    """
    steep = check_number(steep, "busy_and_idle steep", 100.0)
    if not (math.isfinite(steep) and steep > 0.0):
        raise ValueError(f"busy_and_idle steep must be a finite number > 0, got {steep}")
    return ToyFunction(
        "busy and idle",
        lambda x, y: 0.5 * steep * (x - 1) ** 2 + 0.0 * y,
        lambda x, y: (steep * (x - 1), 0.0 * y),
        (-0.5, 1.5),
        (-0.5, 1.5),
        (0.0, 1.0),
        ((1.0, 0.0),),
    )


TOY_FUNCTIONS: dict[str, ToyFunction] = {
    "bowl": _quadratic("bowl", 1.0, 1.0, 2.0),
    "ravine": ravine(10.0),
    "rosenbrock": ToyFunction(
        "rosenbrock",
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
        (-2.0, 2.0),
        (-1.0, 3.0),
        (-1.5, 2.0),
        ((1.0, 1.0),),
    ),
    "himmelblau": ToyFunction(
        "himmelblau",
        lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        lambda x, y: (
            4 * x * (x**2 + y - 11) + 2 * (x + y**2 - 7),
            2 * (x**2 + y - 11) + 4 * y * (x + y**2 - 7),
        ),
        (-5.0, 5.0),
        (-5.0, 5.0),
        (0.0, 0.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)),
    ),
    "saddle": saddle(),
    "two minima": two_minima(),
}


@dataclass(frozen=True)
class OptimizerPath:
    """What one optimizer did on a ToyFunction: the points, the losses, whether it diverged.

    Attributes
    ----------
    points : (k + 1, 2) the start, then the point after each of the k steps taken
    losses : (k + 1,) f at each point
    gaps : (k + 1,) f minus the lowest value of f (>= 0: the distance to go, in loss)
    diverged : True when the run left the finite range (then k < steps)
    steps : the number of steps asked for
    """

    points: np.ndarray
    losses: np.ndarray
    gaps: np.ndarray
    diverged: bool
    steps: int

    def steps_to(self, gap: float) -> int | None:
        """The step from which the loss stays within ``gap`` of the lowest value, or None.

        "Stays": a run that passes through the minimum and swings out again has not
        arrived; None also when the run diverged or ends outside ``gap``.
        """
        if self.diverged:
            return None
        outside = np.flatnonzero(~(self.gaps <= gap))
        if len(outside) and outside[-1] == len(self.gaps) - 1:
            return None
        return int(outside[-1]) + 1 if len(outside) else 0

    @property
    def end(self) -> np.ndarray:
        """(2,) the last point reached."""
        return self.points[-1]


def _check_fn(fn) -> ToyFunction:
    if isinstance(fn, str):
        if fn not in TOY_FUNCTIONS:
            raise ValueError(f"unknown toy function {fn!r}; use one of {sorted(TOY_FUNCTIONS)}")
        return TOY_FUNCTIONS[fn]
    if not isinstance(fn, ToyFunction):
        raise TypeError(
            f"expected a ToyFunction or a key of TOY_FUNCTIONS, got {type(fn).__name__}; "
            "e.g. TOY_FUNCTIONS['ravine'] or ravine(100)"
        )
    return fn


def record_path(
    fn: ToyFunction | str, optimizer: Callable, start=None, steps: int = 100, **hyper
) -> OptimizerPath:
    """Run ``optimizer([p], **hyper)`` for ``steps`` steps on ``fn`` from ``start``.

    Each step: ``zero_grad()``, p.grad += grad f(p), ``step()``: the loop ``fit`` runs, with the
    surface in place of a network. A run whose point leaves the finite range (or goes farther
    than 1e6 from the origin) stops there and is marked ``diverged``; nothing raises.

    Parameters
    ----------
    fn : ToyFunction, or a key of TOY_FUNCTIONS
    optimizer : an optimizer class such as ``backprop_lib.optim.SGD`` (or any callable
        ``(params, **hyper)`` returning an object with ``zero_grad`` and ``step``)
    start : (2,) starting point; default ``fn.start``
    steps : int >= 0
    hyper : its hyperparameters, e.g. ``lr=0.1, momentum=0.9``; they are checked by the
        optimizer, before the first step

    Returns
    -------
    OptimizerPath, with ``points`` (k + 1, 2) and ``losses`` (k + 1,), k <= steps
    """
    fn = _check_fn(fn)
    steps = check_count(steps, "steps", 0)
    if not callable(optimizer):
        raise TypeError(
            f"optimizer must be an optimizer class such as SGD, got {type(optimizer).__name__}"
        )
    w0 = np.asarray(fn.start if start is None else start, dtype=float)
    if w0.shape != (2,) or not np.all(np.isfinite(w0)):
        raise ValueError(f"start must be two finite numbers (x, y), got {start!r}")
    p = Parameter(w0.copy(), name="xy")
    opt = optimizer([p], **hyper)
    points = [p.data.copy()]
    diverged = False
    with np.errstate(all="ignore"):
        for _ in range(steps):
            opt.zero_grad()
            gx, gy = fn.grad(p.data[0], p.data[1])
            p.grad += np.array([gx, gy])
            opt.step()
            if not np.all(np.isfinite(p.data)) or np.abs(p.data).max() > FAR:
                diverged = True
                break
            points.append(p.data.copy())
        pts = np.array(points)  # (k + 1, 2)
        losses = np.asarray(fn(pts[:, 0], pts[:, 1]), dtype=float)
    gaps = np.maximum(losses - fn.lowest, 0.0)
    return OptimizerPath(pts, losses, gaps, diverged, steps)


def race(
    fn: ToyFunction | str,
    racers: Mapping[str, tuple[Callable, Mapping]],
    start=None,
    steps: int = 100,
) -> dict[str, OptimizerPath]:
    """Several optimizers from one start: ``{label: record_path(fn, cls, start, steps, **hyper)}``.

    ``racers`` maps a label to ``(optimizer class, hyperparameters)``, e.g.
    ``{"SGD": (SGD, {"lr": 0.1}), "Adam": (Adam, {"lr": 0.1})}``.
    """
    if not isinstance(racers, Mapping) or not racers:
        raise ValueError(
            "racers must be a non-empty dict {label: (optimizer class, {hyperparameters})}, "
            'e.g. {"SGD": (SGD, {"lr": 0.1})}'
        )
    out = {}
    for label, entry in racers.items():
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], Mapping)):
            raise ValueError(
                f"racer {label!r} must be (optimizer class, {{hyperparameters}}), got {entry!r}"
            )
        cls, hyper = entry
        out[label] = record_path(fn, cls, start=start, steps=steps, **hyper)
    return out


def optimizer_path(
    fn: ToyFunction | str, optimizer: Callable, start=None, steps: int = 100, **hyper
) -> np.ndarray:
    """The points of ``record_path(fn, optimizer, start, steps, **hyper)``: (k + 1, 2)."""
    return record_path(fn, optimizer, start=start, steps=steps, **hyper).points
