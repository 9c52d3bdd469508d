"""QuadraticExplorer: gradient descent on a parabola or a 2-D ravine under a learning-rate slider.

On a quadratic L(w) = 1/2 w^T A w every step multiplies the error along eigen-direction i by
(1 - lr * lambda_i), so everything is known in closed form
(``backprop_lib.instruments.curvature``): the stability limit 2 / lambda_max, the best
constant rate 2 / (lambda_min + lambda_max), the worst per-step factor
rho = max_i |1 - lr lambda_i|. The dashboard shows the path on the curve or the contours, the
distance to the minimum per step (with the bound rho^t |e_0|), and the per-step factor of each
direction against the rate, with the regimes shaded. Used by the
learning-rate notebook (04).
"""

from __future__ import annotations

import math
from itertools import pairwise

import ipywidgets as widgets
import numpy as np

from ..instruments import curvature
from ..viz.curves import _set_limits
from ..viz.landscape import TOY_FUNCTIONS, TrajectoryPlot
from ..viz.style import DIVERGED, SERIES, log_axis, style
from ._args import check_rate, check_rate_range
from .base import Dashboard

__all__ = ["QuadraticExplorer", "lr_regime", "PROBLEMS"]

#: name -> (Hessian A (d, d), starting point w0 (d,)); the minimum is w* = 0
PROBLEMS = {
    "parabola": (np.array([[4.0]]), np.array([1.5])),  # L = 4 w^2 / 2
    # the Hessian of TOY_FUNCTIONS["ravine"], (w1^2 + 10 w2^2) / 2, whose contours are drawn
    "ravine": (np.diag([1.0, 10.0]), np.array(TOY_FUNCTIONS["ravine"].start)),
}
lr_regime = curvature.lr_regime  # the regimes' names, shared with the notebook's cells

REGIME_COLORS = {"too small": "#0072B2", "about right": "#009E73", "oscillating": "#E69F00",
                 "diverging": DIVERGED}  # fmt: skip


class QuadraticExplorer(Dashboard):
    """Gradient descent on a quadratic: the path, the error per step and the regimes of lr.

    w_{t+1} = w_t - lr * A w_t, from ``PROBLEMS[problem]``'s starting point, ``steps`` steps.

    Parameters
    ----------
    lr : float
        Starting learning rate.
    problem : "parabola" (L = 4 w^2 / 2, limit 0.5) or "ravine" (L = (w1^2 + 10 w2^2) / 2,
        limit 0.2, condition number 10)
    steps : int, steps drawn (>= 1)
    lr_range : (low, high), the slider's range (log scale)
    threaded : see ``Dashboard``

    Controls: ``lr`` (FloatLogSlider, class ``bp-main-control``; its label shows 2/lambda_max),
    ``problem`` (ToggleButtons). State: ``A`` (d, d), ``limit``, ``rho`` (worst per-step
    factor), ``path`` (steps + 1, d), ``errors`` (steps + 1,) = |w_t - w*|, ``regime``.
    """

    def __init__(
        self,
        lr: float = 0.1,
        problem: str = "ravine",
        steps: int = 40,
        lr_range: tuple[float, float] = (1e-3, 1.0),
        threaded=None,
    ):
        if problem not in PROBLEMS:
            raise ValueError(f"unknown problem {problem!r}; use one of {sorted(PROBLEMS)}")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an int >= 1, got {steps!r}")
        low, high = check_rate_range(lr_range)
        lr = check_rate(lr, (low, high))
        super().__init__(width_px=1000, height_px=330, threaded=threaded)
        self.steps, self.lr_range = steps, (float(low), float(high))
        self.lr = self.add_control("lr", widgets.FloatLogSlider(
            value=lr, min=np.log10(low), max=np.log10(high), step=0.02, readout_format=".3g",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="460px"),
        ), main=True)  # fmt: skip
        self.problem = self.add_control("problem", widgets.ToggleButtons(
            options=list(PROBLEMS), value=problem, style={"button_width": "90px"},
        ))  # fmt: skip
        self.layout(widgets.HBox([self.lr, self.problem]))
        with style():
            self.ax_path, self.ax_error, self.ax_factor = self.figure.subplots(1, 3)
            self._build_error_panel()
        self._shown = None  # the problem the path and factor panels are built for
        self.refresh()

    # -- state ----------------------------------------------------------------------------------
    def compute(self, stale) -> bool:
        lr = check_rate(self.lr.value, self.lr_range, what="lr.value")  # before any change
        self.A, w0 = PROBLEMS[self.problem.value]
        self.limit = curvature.stability_limit(self.A)
        self.rho = curvature.contraction_factor(lr, self.A)
        self.regime = lr_regime(lr, self.A)
        self.path = curvature.gd_on_quadratic(self.A, 0.0, w0, lr, self.steps)  # (steps+1, d)
        with np.errstate(over="ignore", invalid="ignore"):
            self.errors = np.linalg.norm(self.path, axis=1)  # the minimum is w* = 0
        return True

    # -- the three panels -------------------------------------------------------------------------
    def _build_error_panel(self) -> None:
        ax = self.ax_error
        (self.error_line,) = ax.plot([], [], "o-", ms=3, color=SERIES[0], label="‖w_t − w*‖")
        (self.bound_line,) = ax.plot([], [], ":", color=SERIES[2], label="bound ρᵗ‖w₀ − w*‖")
        self.limit_line = ax.axhline(1.0, ls="--", lw=1.2, color=DIVERGED,
                                     label="ρ = 1 (η = 2/λmax): no shrinking")  # fmt: skip
        log_axis(ax)
        ax.set(xlabel="step t", ylabel="distance to the minimum")
        ax.set_autoscale_on(False)  # limits are set in draw
        ax.set_title("error per step")
        # a fixed place above the starting error, which only a diverging run reaches, and
        # under the lines (a "best" place would follow them; a legend over them would be drawn
        # again on every move)
        ax.legend(loc="upper right", fontsize=8).set_zorder(1.5)

    def _build_problem(self) -> None:
        """(Re)draw what depends only on the problem: the landscape and the factor curves."""
        A, w0 = PROBLEMS[self.problem.value]
        lams = curvature.quadratic_eigenvalues(A)
        ax, axf = self.ax_path, self.ax_factor
        with style():
            ax.clear()
            self.trajectory = None
            if len(lams) == 1:  # the parabola: the curve and the points on it
                a, lim = float(lams[0]), 1.5 * abs(float(w0[0]))
                ws = np.linspace(-lim, lim, 200)
                ax.plot(ws, a / 2 * ws**2, color="0.6")
                (self.path_line,) = ax.plot([], [], "o-", ms=4, color=SERIES[0])
                ax.set(xlim=(-lim, lim), ylim=(0, a / 2 * lim**2), xlabel="w",
                       ylabel=f"L(w) = {a:g} w² / 2")  # fmt: skip
            else:
                self.trajectory = TrajectoryPlot(ax, TOY_FUNCTIONS["ravine"], resolution=120)
            axf.clear()
            etas = np.geomspace(*self.lr_range, 300)
            best, limit = curvature.best_constant_lr(A), curvature.stability_limit(A)
            edges = [self.lr_range[0], best / 2, best, limit, self.lr_range[1]]
            bands = []
            for (lo, hi), name in zip(pairwise(edges), REGIME_COLORS, strict=True):
                if hi > lo:
                    bands.append(axf.axvspan(lo, hi, color=REGIME_COLORS[name], alpha=0.15, lw=0,
                                             label=name))  # fmt: skip
            names = ["flat", "steep"] if len(lams) == 2 else [""]
            lines = [
                axf.plot(
                    etas, np.abs(1 - etas * lam), color=color, label=f"{name} λ = {lam:g}".strip()
                )[0]
                for lam, name, color in zip(lams, names, SERIES[2:], strict=False)
            ]
            axf.axhline(1.0, color="0.3", lw=1)
            # the limit is named in the legend, not written next to its line (where the
            # slider's line and the curves would cross the words)
            lines.append(axf.axvline(limit, color=DIVERGED, ls="--", lw=1.2,
                                     label=f"2/λmax = {limit:.3g}"))  # fmt: skip
            # where the slider is, over everything in the panel, the legends too: a move then
            # redraws this line and its dots alone
            self.eta_line = axf.axvline(1.0, color="black", lw=1.5, zorder=5.5)
            (self.eta_dots,) = axf.plot([], [], "o", color="black", ms=5, zorder=6)
            log_axis(axf, "x")
            axf.set(xlim=self.lr_range, ylim=(0, 2.5), xlabel="learning rate η",
                    ylabel="per-step factor |1 − ηλ|")  # fmt: skip
            axf.set_title("factor per step, by direction")
            self.regime_legend = axf.legend(handles=bands, loc="upper left", fontsize=8,
                                            title="regime of η", title_fontsize=8)  # fmt: skip
            axf.add_artist(self.regime_legend)
            self.line_legend = axf.legend(handles=lines, loc="lower left", fontsize=8)
        e0 = float(np.linalg.norm(w0))  # the minimum is w* = 0
        self.limit_line.set_ydata([e0, e0])
        self._error_window = self._error_range(A, w0)
        self._shown = self.problem.value
        self.relayout()  # the new labels may need other margins

    def _error_range(self, A, w0) -> tuple[float, float]:
        """The lowest and highest error the error panel shows at any position of the slider
        (its steps on the log scale, from ``lr_range``), so its axis holds still as the slider
        moves: computed once per problem (one run per position, 151 by default)."""
        low, high = np.log10(self.lr_range)
        step = self.lr.step
        rates = 10.0 ** np.arange(low, high + step / 2, step)
        lows, highs = [], []
        for lr in rates:
            path = curvature.gd_on_quadratic(A, 0.0, w0, float(lr), self.steps)
            with np.errstate(over="ignore", invalid="ignore"):
                lo, hi = _error_span(np.linalg.norm(path, axis=1))
            lows.append(lo)
            highs.append(hi)
        return min(lows), max(highs)

    def draw(self) -> None:
        if self._shown != self.problem.value:
            self._build_problem()
        lr, path, errors = float(self.lr.value), self.path, self.errors
        drawn = path[: _first_far(errors, 1e3 * errors[0]) + 1]  # stop just outside the view
        if self.trajectory is not None:
            self.trajectory.update({"path": drawn})
        else:
            w = drawn[:, 0]
            self.path_line.set_data(w, self.A[0, 0] / 2 * w**2)
        color = REGIME_COLORS.get(self.regime, DIVERGED)
        self.ax_path.set_title(f"η = {lr:.3g}: {self.regime}", color=color)
        # error panel: the run, the closed-form bound rho^t |e0|, and rho = 1 (the limit)
        t = np.arange(len(errors))
        e0 = float(errors[0])
        with np.errstate(over="ignore", under="ignore"):
            bound = e0 * self.rho ** t.astype(float)
        ok = np.isfinite(errors) & (errors > 0)
        self.error_line.set_data(t[ok], errors[ok])
        self.bound_line.set_data(t, bound)
        # the window of every slider position, snapped out to half-decades; the run's own
        # span too, in case the rate was set between the slider's steps
        lo, hi = _error_span(errors)
        window = np.array([*self._error_window, lo, hi])
        _set_limits(self.ax_error, [window], self.steps, log=True, cap=None)
        # factor panel: where the slider is
        self.eta_line.set_xdata([lr, lr])
        lams = curvature.quadratic_eigenvalues(self.A)
        self.eta_dots.set_data(np.full(len(lams), lr), np.abs(1 - lr * lams))
        ratio = lr / self.limit
        text = (
            f"η = {lr:.3g} = {ratio:.2g} × 2/λmax: {self.regime}; error × {self.rho:.3g} per step"
        )
        n = curvature.steps_to_shrink(lr, self.A, factor=1e-3)
        if not math.isfinite(n):
            text += ", never shrinks"
        else:
            text += f", 1000× smaller after {n} step{'' if n == 1 else 's'}"
        self.set_status(text, color=DIVERGED if self.regime == "diverging" else None)
        self.lr.description = f"learning rate η  (2/λmax = {self.limit:.3g})"

    def moving_artists(self) -> list:
        """The path and its title, the error and bound lines, the slider's line and dots."""
        path = [self.path_line] if self.trajectory is None else self.trajectory.moving_artists()
        errors = [self.error_line, self.bound_line]
        return [*path, self.ax_path.title, *errors, self.eta_line, self.eta_dots]


def _error_span(errors: np.ndarray) -> tuple[float, float]:
    """The error panel's bottom and top for one run: its finite positive errors, at least
    1e-12 and at most 1e6 times the first one (a blow-up stays readable), and at least a
    factor of 30 below and 1 above it; a factor of 3 of margin either side."""
    e0 = float(errors[0])
    shown = errors[np.isfinite(errors) & (errors > 0)]
    lo = min(max(float(shown.min()) if len(shown) else e0, 1e-12 * e0), e0 / 30)
    hi = max(min(float(shown.max()) if len(shown) else e0, 1e6 * e0), e0)
    return lo / 3, hi * 3


def _first_far(errors: np.ndarray, far: float) -> int:
    """Index of the first error beyond ``far`` (or not finite); the last index if none."""
    beyond = np.flatnonzero(~(errors <= far))
    return int(beyond[0]) if len(beyond) else len(errors) - 1
