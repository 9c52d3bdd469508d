"""Dashboards of the data notebook (09): input scale, batch size, and when to stop.

- ``FeatureScaleExplorer``: a log slider scales one input feature of a linear regression;
  the loss surface over the two weights turns into a ravine, gradient descent at 0.9 x its
  stability limit 2/lambda_max crawls, and the same data standardised trains in a few steps.
- ``BatchSizeExplorer``: a batch-size slider; each step's mini-batch loss around the
  full-data loss, the cloud of mini-batch gradients around the full-batch one, and their
  spread against B (measured, and the exact sqrt(sigma^2 / B (n - B) / (n - 1))).
- ``StoppingExplorer``: one recorded run (training and validation loss) with the epoch at
  which each of five stopping rules fires marked on it; sliders set the rules.

The runs are pure functions (``scale_run``, ``batch_run``, ``stopping_run``) of their
settings; the dashboards call them and move their artists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..checks import check_count
from ..data import make_moons, make_scaled_regression, standardize, train_test_split
from ..instruments import batch_noise, conditioning, curvature, stopping
from ..nn.layers import Linear
from ..nn.losses import BCEWithLogitsLoss, MSELoss
from ..nn.models import mlp
from ..optim.optimizers import SGD, Adam
from ..training import fit
from ..viz.curves import _nice_above
from ..viz.style import DIVERGED, SERIES, log_axis, style
from .base import Dashboard

__all__ = [
    "BATCH_SIZES",
    "BatchRun",
    "BatchSizeExplorer",
    "FeatureScaleExplorer",
    "ScaleRun",
    "StoppingExplorer",
    "batch_run",
    "draw_surface",
    "epochs_to_reach",
    "plot_ravines",
    "raw_condition_number",
    "scale_run",
    "stopping_run",
]

#: How far below the stability limit 2/lambda_max the feature-scale runs step.
LIMIT_FRACTION = 0.9


# ---- 1. the scale of one feature ----


@dataclass
class ScaleRun:
    """Gradient descent on a least-squares fit, with raw inputs and with standardised ones.

    ``X`` (n, 2) raw inputs (feature 1 has standard deviation ``scale``), ``y`` (n, 1);
    ``H`` the Hessian of the raw loss, ``kappa`` its condition number, ``lr`` the step used
    (``LIMIT_FRACTION`` x 2/lambda_max); ``path`` (epochs + 1, 2) the weights after each
    epoch; ``loss`` (epochs + 1,) the loss there; ``best`` the least-squares minimum; the
    same with the prefix ``std_`` for the standardised inputs.
    """

    scale: float
    X: np.ndarray
    y: np.ndarray
    H: np.ndarray
    kappa: float
    lr: float
    path: np.ndarray
    loss: np.ndarray
    best: float
    w_best: np.ndarray
    std_kappa: float
    std_lr: float
    std_loss: np.ndarray
    std_best: float


def _gd_linear(X, y, lr: float, epochs: int) -> np.ndarray:
    """Full-batch gradient descent with fit on Linear(2, 1, bias=False) from w = 0: the path."""
    model = Linear(X.shape[1], 1, bias=False, rng=0)
    model.W.data[...] = 0.0
    path = [model.W.data[:, 0].copy()]

    def record(epoch, history):
        path.append(model.W.data[:, 0].copy())

    fit(model, MSELoss(), SGD(model.parameters(), lr=lr), X, y, epochs, callback=record,
        record_health=False)  # fmt: skip
    return np.array(path)  # (epochs + 1, d), shorter if the run diverged


def _mse(X, y, path) -> np.ndarray:
    return np.mean((X @ path.T - y) ** 2, axis=0)  # (len(path),)


def _scaled_data(scale: float, n: int = 100, seed: int = 0):
    return make_scaled_regression(n, scales=(scale, 1.0), weights=(1.0, 0.5), noise=0.3,
                                  rng=seed)  # fmt: skip


def raw_condition_number(scale: float, n: int = 100, seed: int = 0) -> float:
    """kappa of the raw least-squares Hessian of ``scale_run``'s data at this scale."""
    X, _ = _scaled_data(scale, n, seed)
    return conditioning.condition_number(conditioning.least_squares_hessian(X, bias=False))


def scale_run(scale: float, epochs: int = 100, n: int = 100, seed: int = 0) -> ScaleRun:
    """Train y ~ X w (no bias: the data are centred) with feature 1 scaled by ``scale``.

    The data are ``make_scaled_regression(n, scales=(scale, 1), weights=(1, 0.5),
    noise=0.3, rng=seed)``: the same numbers at every scale, feature 1 multiplied by it. Both
    runs step at ``LIMIT_FRACTION`` x their own 2/lambda_max, from w = 0.
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a number > 0, got {scale!r}; e.g. 100")
    X, y = _scaled_data(scale, n, seed)
    Xs = standardize(X)[0]
    runs = []
    for inputs in (X, Xs):
        H = conditioning.least_squares_hessian(inputs, bias=False)  # (2, 2)
        lr = LIMIT_FRACTION * curvature.stability_limit(H)
        path = _gd_linear(inputs, y, lr, epochs)
        w_best = np.linalg.lstsq(inputs, y, rcond=None)[0][:, 0]
        best = float(_mse(inputs, y, w_best[None])[0])
        runs.append((H, conditioning.condition_number(H), lr, path, _mse(inputs, y, path), best,
                     w_best))  # fmt: skip
    (H, kappa, lr, path, loss, best, w_best), (_, s_kappa, s_lr, _, s_loss, s_best, _) = runs
    return ScaleRun(float(scale), X, y, H, kappa, lr, path, loss, best, w_best, s_kappa, s_lr,
                    s_loss, s_best)  # fmt: skip


def epochs_to_reach(loss: np.ndarray, best: float, within: float = 0.01) -> int | None:
    """The first epoch at which loss <= best * (1 + within), or None within the run."""
    hits = np.flatnonzero(np.asarray(loss) <= best * (1 + within))
    return int(hits[0]) if len(hits) else None


def draw_surface(ax, X, y, path, w_best, best):
    """Contours of L(w) - L* over a square around the minimum that holds the path's start.

    L(w) = mean((X w - y)^2) for X (n, 2); equal scales on both axes, so a ravine looks
    like one. Returns the contour set (to remove it before the next drawing).
    """
    half = 1.3 * max(float(np.max(np.abs(w_best - path[0]))), 1e-9)
    w1 = np.linspace(w_best[0] - half, w_best[0] + half, 161)
    w2 = np.linspace(w_best[1] - half, w_best[1] + half, 161)
    W1, W2 = np.meshgrid(w1, w2)
    excess = (_mse(X, y, np.c_[W1.ravel(), W2.ravel()]) - best).reshape(W1.shape)
    contours = _contours(ax, W1, W2, excess)
    ax.set_xlim(w1[0], w1[-1])
    ax.set_ylim(w2[0], w2[-1])
    return contours


def _contours(ax, W1, W2, excess):
    """Contours of ``excess`` (L(w) - L*) on the grid W1, W2 (all (k, k)): 12 levels spaced
    evenly on a log scale from 1e-3 to the largest value on the grid. Returns the set."""
    levels = np.geomspace(1e-3, max(float(excess.max()), 1e-2), 12)
    return ax.contour(W1, W2, np.maximum(excess, 1e-12), levels=levels, colors="0.55",
                      linewidths=0.8)  # fmt: skip


def _excess(X, w_best, points) -> np.ndarray:
    """L(w) - L* at each row of ``points`` (m, 2), for L(w) = mean((X w - y)^2) and its
    minimum w_best: (w - w*)^T (X^T X / n) (w - w*), the same value up to rounding, since
    the residual at the minimum is at right angles to X's columns (a 2 x 2 form per point
    instead of a mean over the n rows). Shape (m,)."""
    d = points - w_best
    return np.einsum("ij,jk,ik->i", d, X.T @ X / len(X), d)


def _surface_window(scales=(1.0, 1000.0), n: int = 100, seed: int = 0) -> tuple:
    """(w1_lo, w1_hi, w2_lo, w2_hi): one square of weights that holds the start w = 0 and the
    least-squares minimum at every scale from ``scales[0]`` to ``scales[1]``.

    Scaling feature 1 by s moves the minimum to (w1* / s, w2*) (the same data, one column
    stretched), so it runs along a segment from (w1*, w2*) at scale 1 towards (0, w2*); the
    square is centred on the box around that segment and w = 0 and reaches at least 0.3 of
    the box's larger side beyond it, so the contours around either end of the segment show.
    """
    corners = [np.zeros(2)]
    for s in scales:
        X, y = _scaled_data(float(s), n, seed)
        corners.append(np.linalg.lstsq(X, y, rcond=None)[0][:, 0])
    corners = np.array(corners)  # (3, 2)
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    centre, half = (lo + hi) / 2, 0.8 * float(np.max(hi - lo))
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def plot_ravines(scales=(1.0, 30.0), epochs: int = 100):
    """The loss surfaces of ``scale_run`` at each scale, raw and standardised, with the paths.

    One panel per scale (raw inputs), then one for the standardised inputs (the same at every
    scale). Returns a figure.
    """
    from ..viz.style import new_figure

    runs = [scale_run(float(s), epochs=epochs) for s in scales]
    fig = new_figure(330 * (len(runs) + 1), 330)
    with style():
        axes = fig.subplots(1, len(runs) + 1)
        panels = [(r.X, r.path, r.w_best, r.best, f"std {_num(r.scale)}: κ = {r.kappa:.2g}",
                   r.lr) for r in runs]  # fmt: skip
        r = runs[0]
        Xs = standardize(r.X)[0]
        std_path = _gd_linear(Xs, r.y, r.std_lr, epochs)
        w_std = np.linalg.lstsq(Xs, r.y, rcond=None)[0][:, 0]
        panels.append((Xs, std_path, w_std, r.std_best, f"standardised: κ = {r.std_kappa:.2g}",
                       r.std_lr))  # fmt: skip
        for ax, (X, path, w_best, best, title, lr) in zip(axes, panels, strict=True):
            draw_surface(ax, X, r.y, path, w_best, best)
            ax.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1, color=SERIES[1], zorder=4)
            ax.plot(*w_best, "*", ms=12, color="white", mec="black", zorder=5)
            ax.set_aspect("equal", adjustable="box")
            ax.set(xlabel="w₁", ylabel="w₂")
            ax.set_title(f"{title}\n{epochs} steps at lr = {lr:.2g}", fontsize=10)
    return fig


def _num(x: float) -> str:
    """A slider value as a learner reads it: 1000 rather than 1e+03."""
    return f"{x:.0f}" if x >= 100 else f"{x:.3g}"


class FeatureScaleExplorer(Dashboard):
    """One feature's scale against the loss surface and the speed of gradient descent.

    Parameters
    ----------
    scale : float, the starting standard deviation of feature 1 (feature 2's is 1)
    epochs : int, full-batch steps per run
    threaded : see ``Dashboard``

    Controls: ``scale`` (FloatLogSlider 1..1000, class ``bp-main-control``). State: ``run``
    (a ``ScaleRun``).

    Every panel keeps its limits at every scale: the surface shows one square of weights that
    holds the start and the minimum for the slider's whole range (``_surface_window``), the
    κ panel the whole curve; a move redraws only the contours, the path, the lines and the
    dot, over a cached picture of the rest.
    """

    def __init__(self, scale: float = 30.0, epochs: int = 100, threaded=None):
        if not (isinstance(scale, (int, float)) and 1 <= scale <= 1000):
            raise ValueError(
                f"scale must be a number from 1 to 1000 (the slider's range), got {scale!r}"
            )
        self.epochs = check_count(epochs, "epochs", 1)
        super().__init__(width_px=1000, height_px=340, threaded=threaded)
        self.scale = self.add_control("scale", widgets.FloatLogSlider(
            value=scale, min=0, max=3, step=0.05, readout_format=".3g",
            description="std of feature 1 (feature 2: 1)", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="520px"),
        ), main=True)  # fmt: skip
        self.layout(self.scale)
        with style():
            self.ax_surface, self.ax_loss, self.ax_kappa = self.figure.subplots(1, 3)
            self._build()
        self.refresh()

    def _build(self) -> None:
        ax = self.ax_surface
        (self.path_line,) = ax.plot([], [], "o-", ms=2.5, lw=1, color=SERIES[1], zorder=4,
                                    label="gradient descent")  # fmt: skip
        (self.best_dot,) = ax.plot([], [], "*", ms=12, color="white", mec="black", zorder=5,
                                   label="minimum")  # fmt: skip
        ax.set(xlabel="weight w₁ (on feature 1)", ylabel="weight w₂ (on feature 2)")
        # one window for every scale the slider offers: the panel holds still, and the grid
        # the contours are computed on is made once
        x0, x1, y0, y1 = _surface_window()
        ax.set(xlim=(x0, x1), ylim=(y0, y1))
        self.grid = np.meshgrid(np.linspace(x0, x1, 161), np.linspace(y0, y1, 161))
        self.grid_points = np.c_[self.grid[0].ravel(), self.grid[1].ravel()]  # (161², 2)
        ax.set_aspect("equal", adjustable="box")
        ax.legend(loc="upper left", fontsize=8)
        self.contours = None
        ax = self.ax_loss
        (self.raw_line,) = ax.plot([], [], color=SERIES[1], label="raw inputs")
        (self.std_line,) = ax.plot([], [], color=SERIES[0], label="standardised inputs")
        log_axis(ax)
        ax.set(xlim=(0, self.epochs), ylim=(1e-6, 10), xlabel="epoch (one full-batch step)",
               ylabel="loss − best loss")  # fmt: skip
        ax.set_title("training at 0.9 × 2/λmax")
        ax.legend(loc="upper right", fontsize=8)
        ax = self.ax_kappa
        scales = np.geomspace(1, 1000, 40)
        ax.plot(scales, [raw_condition_number(float(s)) for s in scales], color=SERIES[1],
                label="raw inputs")  # fmt: skip
        std_kappa = conditioning.condition_number(conditioning.least_squares_hessian(
            standardize(_scaled_data(1.0)[0])[0], bias=False))  # fmt: skip
        ax.axhline(std_kappa, color=SERIES[0], label="standardised (any scale)")
        # above the legend (z-order 5), as on the noise panel: the legend stays cached
        (self.kappa_dot,) = ax.plot([], [], "o", ms=8, color=SERIES[1], mec="black", zorder=6)
        log_axis(ax)
        log_axis(ax, "x")
        # the limits that fit the whole curve (the slider's range), kept: the dot moves inside
        ax.set(xlim=ax.get_xlim(), ylim=ax.get_ylim())
        ax.set(xlabel="std of feature 1", ylabel="condition number κ = λmax / λmin")
        ax.set_title("how narrow the ravine is")
        ax.legend(loc="upper left", fontsize=8)

    def compute(self, stale) -> bool:
        self.run = scale_run(float(self.scale.value), epochs=self.epochs)
        return True

    def draw(self) -> None:
        r = self.run
        if self.contours is not None:
            self.contours.remove()
        excess = _excess(r.X, r.w_best, self.grid_points).reshape(self.grid[0].shape)
        self.contours = _contours(self.ax_surface, *self.grid, excess)
        self.path_line.set_data(r.path[:, 0], r.path[:, 1])
        self.best_dot.set_data([r.w_best[0]], [r.w_best[1]])
        # two lines, as narrow as the square panel: a title reaching over the next panel would
        # make that panel's ticks and labels be redrawn with it on every move
        self.ax_surface.set_title(f"raw loss surface\nstd {_num(r.scale)}: κ = {r.kappa:.2g}")
        epochs = np.arange(len(r.loss))
        with np.errstate(invalid="ignore", divide="ignore"):
            self.raw_line.set_data(epochs, np.maximum(r.loss - r.best, 1e-12))
            self.std_line.set_data(np.arange(len(r.std_loss)),
                                   np.maximum(r.std_loss - r.std_best, 1e-12))  # fmt: skip
        self.kappa_dot.set_data([r.scale], [r.kappa])
        raw_n = epochs_to_reach(r.loss, r.best)
        std_n = epochs_to_reach(r.std_loss, r.std_best)
        raw_text = f"after {raw_n} epochs" if raw_n is not None else "not within the run"
        self.set_status(
            f"std {_num(r.scale)}: κ = {r.kappa:.3g}, 2/λmax = {r.lr / LIMIT_FRACTION:.3g}. "
            f"Within 1% of the best loss: raw inputs {raw_text} "
            f"(loss {r.loss[-1]:.3g} vs best {r.best:.3g} after {self.epochs}); "
            f"standardised after {std_n} epochs (κ = {r.std_kappa:.3g})"
        )

    def moving_artists(self) -> list:
        """What a move of the slider changes: the contours (a new set each time), the path,
        the minimum and the surface's title, the two loss lines and the dot on the κ curve.
        Every panel's limits are fixed, so no axes is redrawn whole."""
        return [self.contours, self.path_line, self.best_dot, self.ax_surface.title,
                self.raw_line, self.std_line, self.kappa_dot]  # fmt: skip


# ---- 2. the batch size ----

#: The batch sizes whose noise the dashboard measures in advance (the last one is the full
#: training set, 200 rows); the slider takes any size from 1 to 200.
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 200)


@dataclass
class BatchRun:
    """A run with one batch size, and the spread of mini-batch gradients at the start.

    ``log`` the ``StepLog`` (per-step mini-batch losses, per-epoch full losses);
    ``grad`` (P,) the full-batch gradient at the initial parameters and ``per_example``
    (n, P) each example's; ``cloud`` (draws, P) gradients of random batches of B rows there;
    ``noise`` the measured RMS of |g_B - g| and ``expected`` the exact one.
    """

    batch_size: int
    lr: float
    log: batch_noise.StepLog
    grad: np.ndarray
    per_example: np.ndarray
    cloud: np.ndarray
    noise: float
    expected: float


def _steps(k: int) -> str:
    return f"{k} step" if k == 1 else f"{k} steps"


def _moons_problem(seed: int = 0):
    X, y = make_moons(200, noise=0.2, rng=seed)
    return X, y, BCEWithLogitsLoss()


def batch_run(batch_size: int, lr: float = 0.1, epochs: int = 20, draws: int = 300,
              per_example: np.ndarray | None = None) -> BatchRun:  # fmt: skip
    """Train the 2-16-16-1 tanh network on 200 moons with SGD and batches of ``batch_size``.

    Always the same data, initial weights (seed 0) and shuffling (seed 1). ``per_example``
    (the initial per-example gradients) may be passed in to skip recomputing them.
    """
    X, y, loss = _moons_problem()
    model = mlp([2, 16, 16, 1], activation="tanh", rng=0)
    if per_example is None:
        per_example = batch_noise.per_example_gradients(model, loss, X, y)
    grad = per_example.mean(axis=0)
    cloud = batch_noise.batch_gradients(per_example, batch_size, draws, rng=2)
    noise = float(np.sqrt(np.mean(np.sum((cloud - grad) ** 2, axis=1))))
    expected = batch_noise.gradient_noise(per_example, batch_size)
    log = batch_noise.run_steps(model, loss, SGD(model.parameters(), lr=lr), X, y, epochs,
                                batch_size, rng=1)  # fmt: skip
    return BatchRun(batch_size, lr, log, grad, per_example, cloud, noise, expected)


class BatchSizeExplorer(Dashboard):
    """Batch size against per-step loss noise and the spread of the mini-batch gradient.

    Parameters
    ----------
    batch_size : int from 1 to 200 (the training rows)
    lr : float, the SGD learning rate
    epochs : int, epochs per run
    threaded : see ``Dashboard``

    Controls: ``batch_size`` (IntSlider 1..200, class ``bp-main-control``), ``lr``
    (FloatLogSlider). State: ``run`` (a ``BatchRun``), ``noise_by_batch`` {B: measured RMS}.
    """

    def __init__(self, batch_size: int = 8, lr: float = 0.1, epochs: int = 20, threaded=None):
        n = BATCH_SIZES[-1]
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or not (1 <= batch_size <= n)
        ):
            raise ValueError(
                f"batch_size must be an int from 1 to {n} (the rows), got {batch_size!r}"
            )
        self.epochs = check_count(epochs, "epochs", 1)
        super().__init__(width_px=1000, height_px=340, threaded=threaded)
        self.batch_size = self.add_control("batch_size", widgets.IntSlider(
            value=int(batch_size), min=1, max=n, description="batch size B",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"),
        ), main=True)  # fmt: skip
        self.lr = self.add_control("lr", widgets.FloatLogSlider(
            value=lr, min=-3, max=1, step=0.1, readout_format=".3g", description="learning rate",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="360px"),
        ))  # fmt: skip
        self.layout(widgets.HBox([self.batch_size, self.lr]))
        X, y, loss = _moons_problem()
        self.per_example = batch_noise.per_example_gradients(
            mlp([2, 16, 16, 1], activation="tanh", rng=0), loss, X, y
        )
        G = self.per_example
        self.grad = G.mean(axis=0)
        self.noise_by_batch = {
            B: float(np.sqrt(np.mean(np.sum(
                (batch_noise.batch_gradients(G, B, 300, rng=2) - self.grad) ** 2, axis=1))))
            for B in BATCH_SIZES
        }  # fmt: skip
        # the cloud's plane: along the full gradient, and the noise's widest direction across it
        self.e1 = self.grad / np.linalg.norm(self.grad)
        dev = G - self.grad
        dev = dev - np.outer(dev @ self.e1, self.e1)
        _, e2 = curvature.power_iteration(lambda v: dev.T @ (dev @ v), dev.shape[1], rng=0)
        self.e2 = e2 - (e2 @ self.e1) * self.e1  # (P,), unit, at right angles to e1
        self.e2 /= np.linalg.norm(self.e2)
        with style():
            self.ax_steps, self.ax_cloud, self.ax_noise = self.figure.subplots(1, 3)
            self._build()
        self.refresh()

    def _build(self) -> None:
        ax = self.ax_steps
        (self.step_line,) = ax.plot([], [], lw=0.8, color=SERIES[5], label="each step's batch")
        (self.epoch_line,) = ax.plot([], [], "o-", ms=3, color=SERIES[0],
                                     label="all 200 rows, after each epoch")  # fmt: skip
        ax.set(xlim=(0, self.epochs), xlabel="epoch", ylabel="loss (cross-entropy, nats)")
        ax.legend(loc="upper right", fontsize=8)
        ax = self.ax_cloud
        g = np.linalg.norm(self.grad)
        (self.cloud_dots,) = ax.plot([], [], ".", ms=3, alpha=0.5, color=SERIES[5],
                                     label="300 mini-batch gradients")  # fmt: skip
        ax.plot([0, g], [0, 0], color=SERIES[0], lw=2, zorder=4)
        ax.plot([g], [0], "*", ms=13, color=SERIES[0], mec="black", zorder=5,
                label="full-batch gradient")  # fmt: skip
        G1 = self.per_example @ self.e1
        G2 = self.per_example @ self.e2
        reach = 1.05 * max(np.percentile(np.abs(G1 - g), 99), np.percentile(np.abs(G2), 99))
        ax.set(xlim=(g - reach, g + reach), ylim=(-reach, reach),
               xlabel="component along the full gradient",
               ylabel="component across it")  # fmt: skip
        ax.set_aspect("equal", adjustable="box")
        ax.legend(loc="upper left", fontsize=8)
        ax = self.ax_noise
        n = len(self.per_example)
        Bs = np.arange(1, n + 1)
        expected = [batch_noise.gradient_noise(self.per_example, int(B)) for B in Bs[:-1]]
        ax.plot(Bs[:-1], expected, color=SERIES[2], label="exact: σ/√B · √((n−B)/(n−1))")
        ax.plot(Bs, expected[0] / np.sqrt(Bs), ls="--", color="0.4", label="σ/√B")
        g_norm = float(np.linalg.norm(self.grad))
        measured = [(B, v) for B, v in self.noise_by_batch.items() if v > 1e-9 * g_norm]
        ax.plot(*zip(*measured, strict=True), "o", ms=4, color=SERIES[2], label="measured")
        ax.axhline(g, color=SERIES[0], ls=":", label="|full gradient|")
        # above the legend (z-order 5): the legend is not painted after the one artist that
        # moves here, so it stays in the cached picture (a legend costs a few ms to draw)
        (self.noise_dot,) = ax.plot([], [], "o", ms=10, mfc="none", mec="black", mew=1.5,
                                    zorder=6)  # fmt: skip
        log_axis(ax)
        log_axis(ax, "x")
        # fixed limits that hold every dot the slider can place: the smallest nonzero noise
        # is the exact one at B = n - 1
        low = min(min(v for _, v in measured) / 4, expected[-1] / 2)
        ax.set(xlim=(0.8, 1.25 * n), ylim=(low, 2.5 * max(expected[0], g_norm)),
               xlabel="batch size B", ylabel="RMS of |g_B − g|")  # fmt: skip
        ax.set_title("gradient noise against B")
        ax.legend(loc="lower left", fontsize=8)

    def compute(self, stale) -> bool:
        self.run = batch_run(int(self.batch_size.value), float(self.lr.value), self.epochs,
                             per_example=self.per_example)  # fmt: skip
        return True

    def draw(self) -> None:
        r, log = self.run, self.run.log
        spe = log.steps_per_epoch
        x = (np.arange(len(log.loss)) + 1) / spe
        self.step_line.set_data(x, log.loss)
        self.epoch_line.set_data(np.arange(1, len(log.epoch_loss) + 1), log.epoch_loss)
        finite = log.loss[np.isfinite(log.loss)]
        top = max(1.0, float(np.percentile(finite, 99.5))) if len(finite) else 1.0
        # snapped up to a round number: most moves keep the limits, so only the lines move
        self.ax_steps.set_ylim(0, _nice_above(1.05 * top))
        self.ax_steps.set_title(f"B = {r.batch_size}: {_steps(spe)} per epoch")
        g = float(np.linalg.norm(r.grad))
        if r.noise <= 1e-9 * g:  # the full batch: no noise at all (rounding aside)
            r.noise = 0.0
            self.noise_dot.set_data([], [])
        else:
            self.noise_dot.set_data([r.batch_size], [r.noise])
        pts = r.cloud @ np.c_[self.e1, self.e2]  # (draws, 2)
        self.cloud_dots.set_data(pts[:, 0], pts[:, 1])
        self.ax_cloud.set_title(f"noise {r.noise:.2g} at B = {r.batch_size}")
        end = f"loss {log.epoch_loss[-1]:.3f}" if log.epoch_loss else "no epoch completed"
        text = (
            f"B = {r.batch_size}: {_steps(spe)} per epoch, {len(log.loss)} steps in "
            f"{self.epochs} epochs; gradient noise {r.noise:.3g} (exact {r.expected:.3g}) "
            f"= {r.noise / g:.2g} × |full gradient|; after {self.epochs} epochs: {end}"
        )
        if log.diverged:
            text = f"diverged: a loss became NaN or inf at step {len(log.loss)}. " + text
        self.set_status(text, color=DIVERGED if log.diverged else None)

    def moving_artists(self) -> list:
        """What a move changes: the two loss lines and their panel's title, the cloud and its
        title, the dot on the noise curve. The cloud and noise panels' limits are fixed, the
        loss panel's snap to round numbers, so a move seldom redraws an axes whole."""
        return [self.step_line, self.epoch_line, self.ax_steps.title, self.cloud_dots,
                self.ax_cloud.title, self.noise_dot]  # fmt: skip


# ---- 3. when to stop ----


def stopping_run(epochs: int = 600):
    """The run the stopping rules are marked on: a 2-32-32-1 tanh network, Adam (lr 0.01),
    full batch, 75 training and 225 validation rows of noisy moons (noise 0.35), so that it
    overfits. Returns the History (with ``val_loss`` and ``grad_norms``)."""
    X, y = make_moons(300, noise=0.35, rng=3)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.75, rng=0)
    model = mlp([2, 32, 32, 1], activation="tanh", rng=0)
    return fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.01), X_train,
               y_train, epochs, validation_data=(X_val, y_val))  # fmt: skip


#: The rules' settings the notebook starts the dashboard with.
DEFAULT_RULES = stopping.StoppingRules(epochs=300, threshold=0.1, tol=1e-3, tol_patience=5,
                                       grad_eps=1e-2, patience=30)  # fmt: skip

RULE_COLORS = dict(zip(stopping.RULES, ["0.35", SERIES[4], SERIES[3], SERIES[2], SERIES[1]],
                       strict=True))  # fmt: skip


class StoppingExplorer(Dashboard):
    """Five stopping rules marked on one recorded run; sliders set each rule.

    Parameters
    ----------
    rules : ``stopping.StoppingRules``, the starting settings
    epochs : int, the length of the recorded run
    threaded : see ``Dashboard``

    Controls: ``patience`` (IntSlider, early stopping's, class ``bp-main-control``),
    ``epochs`` (the fixed budget), ``tol_patience`` (IntSliders), ``threshold``, ``tol``,
    ``grad_eps`` (FloatLogSliders).
    State: ``history`` (trained once), ``rules``, ``stops`` {rule: epoch or None}.
    """

    def __init__(self, rules: stopping.StoppingRules | None = None, epochs: int = 600,
                 threaded=None):  # fmt: skip
        r = DEFAULT_RULES if rules is None else rules
        self.history = stopping_run(check_count(epochs, "epochs", 2))
        self.length = len(self.history.loss)
        super().__init__(width_px=1000, height_px=360, threaded=threaded)
        wide = {"description_width": "initial"}
        self.patience = self.add_control("patience", widgets.IntSlider(
            value=r.patience, min=1, max=100, description="early-stopping patience",
            continuous_update=False, style=wide, layout=widgets.Layout(width="380px"),
        ), main=True)  # fmt: skip
        self.epochs = self.add_control("epochs", widgets.IntSlider(
            value=r.epochs, min=1, max=self.length, description="fixed epochs",
            continuous_update=False, style=wide, layout=widgets.Layout(width="380px"),
        ))  # fmt: skip
        self.threshold = self.add_control("threshold", widgets.FloatLogSlider(
            value=r.threshold, min=-2, max=0, step=0.05, readout_format=".3g",
            description="loss threshold", continuous_update=False, style=wide,
            layout=widgets.Layout(width="380px"),
        ))  # fmt: skip
        self.tol = self.add_control("tol", widgets.FloatLogSlider(
            value=r.tol, min=-5, max=-1, step=0.1, readout_format=".2g",
            description="relative tolerance", continuous_update=False, style=wide,
            layout=widgets.Layout(width="380px"),
        ))  # fmt: skip
        self.tol_patience = self.add_control("tol_patience", widgets.IntSlider(
            value=r.tol_patience, min=1, max=30, description="... for this many epochs",
            continuous_update=False, style=wide, layout=widgets.Layout(width="380px"),
        ))  # fmt: skip
        self.grad_eps = self.add_control("grad_eps", widgets.FloatLogSlider(
            value=r.grad_eps, min=-4, max=0, step=0.1, readout_format=".2g",
            description="gradient norm below", continuous_update=False, style=wide,
            layout=widgets.Layout(width="380px"),
        ))  # fmt: skip
        left = widgets.VBox([self.patience, self.epochs, self.threshold])
        self.layout(
            widgets.HBox([left, widgets.VBox([self.tol, self.tol_patience, self.grad_eps])])
        )
        self.rel = stopping.relative_improvement(self.history.loss)
        self.gnorm = stopping.weight_gradient_norms(self.history)
        with style():
            self.ax_loss, self.ax_rel, self.ax_grad = self.figure.subplots(
                1, 3, gridspec_kw={"width_ratios": [1.6, 1, 1]}
            )
            self._build()
        self.refresh()

    def _build(self) -> None:
        h, epochs = self.history, np.arange(1, self.length + 1)
        ax = self.ax_loss
        ax.plot(epochs, h.loss, color=SERIES[0], label="training loss")
        ax.plot(epochs, h.val_loss, color=SERIES[1], label="validation loss")
        self.rule_lines = {}
        for rule in stopping.RULES:
            self.rule_lines[rule] = ax.axvline(1, color=RULE_COLORS[rule], ls="--", lw=1.3)
        (self.stop_dots,) = ax.plot([], [], "o", ms=6, color="black", zorder=5)
        ax.set(xlim=(0, self.length), ylim=(0, 1.05 * max(max(h.val_loss), max(h.loss))),
               xlabel="epoch", ylabel="loss (cross-entropy, nats)")  # fmt: skip
        ax.set_title("where each rule stops (dots: validation loss there)")
        handles = [ax.get_lines()[0], ax.get_lines()[1], *self.rule_lines.values()]
        names = ["training loss", "validation loss", *stopping.RULES]
        # made once; each move sets its texts (where each rule stops)
        self.legend = ax.legend(handles, names, loc="upper left", fontsize=7.5)
        self.rule_keys = dict(zip(stopping.RULES, zip(self.legend.legend_handles[2:],
                                                       self.legend.get_texts()[2:],
                                                       strict=True), strict=True))  # fmt: skip
        ax = self.ax_rel
        ax.plot(epochs[1:], np.where(self.rel > 0, self.rel, np.nan), color=SERIES[3], lw=1)
        self.tol_line = ax.axhline(1.0, color=SERIES[3], ls="--", lw=1.2)
        log_axis(ax)
        ax.set(xlim=(0, self.length), ylim=(1e-6, 1), xlabel="epoch",
               ylabel="(Lₜ₋₁ − Lₜ) / Lₜ₋₁ (training)")  # fmt: skip
        ax.set_title("relative improvement")
        ax = self.ax_grad
        ax.plot(epochs, self.gnorm, color=SERIES[2], lw=1)
        self.eps_line = ax.axhline(1.0, color=SERIES[2], ls="--", lw=1.2)
        log_axis(ax)
        ax.set(xlim=(0, self.length), ylim=(1e-4, 1), xlabel="epoch", ylabel="‖dL/dW‖")
        ax.set_title("gradient norm")

    @property
    def rules(self) -> stopping.StoppingRules:
        return stopping.StoppingRules(
            epochs=int(self.epochs.value), threshold=float(self.threshold.value),
            tol=float(self.tol.value), tol_patience=int(self.tol_patience.value),
            grad_eps=float(self.grad_eps.value), patience=int(self.patience.value),
        )  # fmt: skip

    def compute(self, stale) -> bool:
        self.stops = stopping.stopping_epochs(self.history, self.rules)
        return True

    def draw(self) -> None:
        h = self.history
        xs, ys, labels = [], [], []
        for rule, line in self.rule_lines.items():
            epoch = self.stops[rule]
            line.set_visible(epoch is not None)
            self.rule_keys[rule][0].set_visible(epoch is not None)  # its sample in the legend
            if epoch is None:
                labels.append(f"{rule}: never")
                continue
            line.set_xdata([epoch, epoch])
            xs.append(epoch)
            ys.append(h.val_loss[epoch - 1])
            labels.append(f"{rule}: epoch {epoch} (val {h.val_loss[epoch - 1]:.2f})")
        self.stop_dots.set_data(xs, ys)
        for (_, text), label in zip(self.rule_keys.values(), labels, strict=True):
            text.set_text(label)
        self.tol_line.set_ydata([self.tol.value] * 2)
        self.eps_line.set_ydata([self.grad_eps.value] * 2)
        best = int(np.nanargmin(h.val_loss)) + 1
        self.set_status(
            f"lowest validation loss {min(h.val_loss):.3f} at epoch {best} of {self.length}; "
            + "; ".join(labels)
        )

    def moving_artists(self) -> list:
        """What a move changes: the five rules' lines and their dots, the legend (it says where
        each rule stops), the tolerance and gradient-norm thresholds. The recorded curves and
        every axes stay as they are."""
        return [*self.rule_lines.values(), self.stop_dots, self.legend, self.tol_line,
                self.eps_line]  # fmt: skip
