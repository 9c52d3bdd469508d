"""InitExplorer: an initialisation scheme and its scale against the units, the signal and the loss.

Three panels for one training run of an MLP on the two moons:
- a heat-map of one hidden layer's weight matrix ``W`` (rows: inputs, columns: units) at the
  epoch chosen with the epoch slider, titled with how many distinct units the layer has:
  under a constant initialisation every column is the same colour, epoch after epoch;
- the spread (standard deviation) of each hidden layer's outputs at the start (light bars)
  and at that epoch (dark bars, labelled with the layer's number of distinct units), on one
  log scale for every setting (widened only for a spread outside it): too small a scale makes
  the bars fall layer after layer, too large a one pins tanh at +-1 or blows ReLU up;
- the training loss, with the chosen epoch marked (a log axis from 0.01 to 10 at least).

Training runs once per change of scheme, scale, noise or activation and keeps a copy of the
parameters after every epoch; the epoch and layer controls only redraw from those copies.
Used by notebooks/08_initialization.ipynb.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator

from .. import data
from ..instruments.initialization import activation_spread, distinct_units_per_layer
from ..nn import init as _init
from ..nn.layers import Linear
from ..nn.losses import BCEWithLogitsLoss
from ..nn.models import mlp
from ..optim.optimizers import SGD
from ..training import Trainer
from ..viz.curves import LossCurves, loss_label
from ..viz.style import DIVERGED, SERIES, binary_cmap, log_axis, style
from .base import Dashboard

__all__ = ["InitExplorer", "SCHEMES", "make_init", "describe_init"]

#: The schemes the dashboard offers; ``scale`` means a different thing for each (see make_init).
SCHEMES = ("zeros", "constant", "normal", "xavier", "he")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
NOISES = (("none", 0.0), ("1e-6", 1e-6), ("1e-3", 1e-3), ("0.1", 0.1))


def make_init(scheme: str, scale: float = 1.0, noise: float = 0.0) -> Callable[..., np.ndarray]:
    """An initialiser ``(shape, rng=None, dtype=np.float64) -> array`` for ``mlp(init=...)``.

    - "zeros": w = 0 (``scale`` unused);
    - "constant": w = scale;
    - "normal": w ~ N(0, scale^2);
    - "xavier": w ~ N(0, (scale * sqrt(2 / (fan_in + fan_out)))^2) (Xavier normal, gain scale);
    - "he": w ~ N(0, (scale * sqrt(2 / fan_in))^2) (He normal times scale).

    ``noise`` > 0 adds N(0, noise^2) to every weight, drawn from the same ``rng``.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {SCHEMES}")
    for name, value in (("scale", scale), ("noise", noise)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {value!r}")
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    scale, noise = float(scale), float(noise)

    def initializer(shape, rng=None, dtype=np.float64) -> np.ndarray:
        if scheme == "zeros":
            w = _init.zeros(shape, dtype=np.float64)
        elif scheme == "constant":
            w = _init.constant(shape, value=scale, dtype=np.float64)
        elif scheme == "normal":
            w = _init.normal(shape, std=scale, rng=rng)
        elif scheme == "xavier":
            w = _init.xavier_normal(shape, gain=scale, rng=rng)
        else:
            w = scale * _init.kaiming_normal(shape, rng=rng)
        if noise > 0:
            w = w + _init.normal(shape, std=noise, rng=rng)
        return w.astype(dtype, copy=False)

    return initializer


def describe_init(scheme: str, scale: float, noise: float = 0.0) -> str:
    """A one-line formula for what ``make_init(scheme, scale, noise)`` draws."""
    text = {
        "zeros": "W = 0",
        "constant": f"W = {scale:.3g} everywhere",
        "normal": f"W ~ N(0, {scale:.3g}²)",
        "xavier": f"W ~ N(0, ({scale:.3g} × Xavier std)²)",
        "he": f"W ~ N(0, ({scale:.3g} × He std)²)",
    }[scheme]
    return text + (f" + N(0, {noise:g}²) noise" if noise > 0 else "")


#: The spread panel's view: every spread a 4-layer network reaches from the slider's scales
#: (1e-3 to 100 of any scheme, tanh, sigmoid or ReLU at the start, about 1e-13 to 1e12) fits in
#: it or in one of its outward steps (the top leaves room for the legend above bars at 1), and
#: a move of the scale keeps it. One axis for every setting also lets two settings' bars be
#: compared by their heights.
_SPREAD_VIEW = (1e-14, 1e4)
_SPREAD_STEP = 4  # decades: how far the view widens when a spread leaves it


def _spread_limits(values: np.ndarray) -> tuple[float, float]:
    """The spread panel's y-limits for the finite positive ``values`` shown: ``_SPREAD_VIEW``,
    widened outward in steps of ``_SPREAD_STEP`` decades (never narrowed) until the smallest
    value / 4 and the largest x 40 (room for the legend above the bars) are inside."""
    bottom, top = _SPREAD_VIEW
    if values.size:
        low, high = np.log10(values.min() / 4), np.log10(values.max() * 40)
        b, t = np.log10(bottom), np.log10(top)
        bottom = 10.0 ** (b - _SPREAD_STEP * max(0.0, np.ceil((b - low) / _SPREAD_STEP)))
        top = 10.0 ** (t + _SPREAD_STEP * max(0.0, np.ceil((high - t) / _SPREAD_STEP)))
    return float(bottom), float(top)


#: The loss panel's smallest view (log scale): a run's losses from the usual start near
#: ln 2 to a well-trained 0.02 fit in it; LossCurves' own half-decade limits widen it.
_LOSS_VIEW = (1e-2, 10.0)


def _powers_of_ten(ax) -> None:
    """Log-axis ticks at powers of ten labelled 1e-3, 1e+0, 1e+2: one width at every range,
    so the figure's frozen layout fits whatever range a later update shows."""
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(np.log10(v)):+d}"))


class InitExplorer(Dashboard):
    """Scheme / scale / noise / activation -> the weights per unit, the signal, the loss.

    Parameters
    ----------
    scheme : one of ``SCHEMES``: "zeros", "constant", "normal", "xavier", "he"
    scale : float, see ``make_init`` (the slider runs from 1e-3 to 100, log scale)
    noise : float, one of 0, 1e-6, 1e-3, 0.1: noise added to every weight
    activation : "tanh", "relu" or "sigmoid"
    depth, width : hidden layers and units per hidden layer (default 4 x 16)
    epochs, lr : full-batch SGD (momentum 0.9) on 200 two-moons points, cross-entropy loss
    seed : draws the data and the weights
    threaded : see ``Dashboard``

    Controls: ``scale`` (FloatLogSlider, class ``bp-main-control``), ``scheme``, ``noise``,
    ``activation`` (Dropdowns), ``layer`` (which hidden layer's W the heat-map shows) and
    ``epoch`` (IntSlider: the epoch drawn; changing either only redraws). State: ``model``
    (trained), ``history``, ``snapshots`` (parameter arrays after each epoch, epoch 0 first),
    ``distinct`` and ``spread`` (per hidden layer, at the epoch drawn), ``start_spread``
    (per hidden layer, at epoch 0: the light bars).
    """

    def __init__(
        self,
        scheme: str = "xavier",
        scale: float = 1.0,
        noise: float = 0.0,
        activation: str = "tanh",
        depth: int = 4,
        width: int = 16,
        epochs: int = 200,
        lr: float = 0.1,
        seed: int = 0,
        threaded=None,
    ):
        if scheme not in SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}; use one of {SCHEMES}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; use one of {ACTIVATIONS}")
        noises = [value for _, value in NOISES]
        if noise not in noises:
            raise ValueError(f"noise must be one of {noises}, got {noise!r}")
        make_init(scheme, scale, noise)  # checks scale
        for name, value, low in (("depth", depth, 1), ("width", width, 1), ("epochs", epochs, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr!r}")
        self.depth, self.width, self.epochs, self.lr, self.seed = depth, width, epochs, lr, seed
        X, y = data.make_moons(200, noise=0.2, rng=seed)
        self.X, self.y = X, y.reshape(-1, 1).astype(float)  # (200, 2), (200, 1)
        super().__init__(width_px=1000, height_px=340, threaded=threaded)

        narrow = widgets.Layout(width="200px")
        self.scale = self.add_control("scale", widgets.FloatLogSlider(
            value=scale, base=10, min=-3, max=2, step=0.25, description="scale",
            continuous_update=False, readout_format=".3g", layout=widgets.Layout(width="330px"),
        ), main=True)  # fmt: skip
        self.scheme = self.add_control("scheme", widgets.Dropdown(
            options=list(SCHEMES), value=scheme, description="scheme", layout=narrow
        ))  # fmt: skip
        self.noise = self.add_control("noise", widgets.Dropdown(
            options=list(NOISES), value=noise, description="+ noise", layout=narrow
        ))  # fmt: skip
        self.activation = self.add_control("activation", widgets.Dropdown(
            options=list(ACTIVATIONS), value=activation, description="activation", layout=narrow
        ))  # fmt: skip
        self.layer = self.add_control("layer", widgets.IntSlider(
            value=min(2, depth), min=1, max=depth, description="W of layer",
            continuous_update=False, layout=widgets.Layout(width="260px"),
        ))  # fmt: skip
        self.epoch = self.add_control("epoch", widgets.IntSlider(
            value=epochs, min=0, max=epochs, description="epoch", continuous_update=False,
            layout=widgets.Layout(width="420px"),
        ))  # fmt: skip
        self.layout(
            widgets.HBox([self.scheme, self.scale, self.noise]),
            widgets.HBox([self.activation, self.layer, self.epoch]),
        )
        self.model = None
        self.history = None
        self.snapshots: list[list[np.ndarray]] = []
        self.distinct: list[int] = []
        self.spread: list[float] = []
        self.start_spread: list[float] = []
        self._trained_for = None
        self._heat_shape = None
        with style():
            axes = self.figure.subplots(1, 3, width_ratios=[1.15, 1, 1])
            self.ax_w, self.ax_spread, self.ax_loss = axes
            # above the ticks (z-order 0.5 in the house style): redrawing it leaves them alone
            self.heat = self.ax_w.imshow(np.zeros((width, width)), cmap=binary_cmap(),
                                         vmin=-1, vmax=1, aspect="auto",
                                         interpolation="nearest", zorder=0.6)  # fmt: skip
            self.colorbar = self.figure.colorbar(self.heat, ax=self.ax_w, fraction=0.06)
            self.colorbar.set_label("weight / max |W|")
            self.colorbar.set_ticks([-1, -0.5, 0, 0.5, 1])
            self.ax_w.set_xlabel("unit (column of W)")
            self.ax_w.set_ylabel("input (row of W)")
            self.ax_w.grid(False)
            positions = np.arange(1, depth + 1)
            # two bars per layer: at the start (light) and at the epoch shown (dark)
            self.start_bars = self.ax_spread.bar(positions - 0.2, np.ones(depth), width=0.38,
                                                 color="#a6dcc9", label="epoch 0")  # fmt: skip
            self.bars = self.ax_spread.bar(positions + 0.2, np.ones(depth), width=0.38,
                                           color=SERIES[2], label="epoch shown")  # fmt: skip
            self.bar_labels = [
                self.ax_spread.text(p + 0.2, 1.0, "", ha="center", va="bottom", fontsize=8.5)
                for p in positions
            ]
            self.spread_legend = self.ax_spread.legend(loc="upper left", ncols=2, fontsize=8.5)
            self.ax_spread.set_xticks(positions)
            self.ax_spread.set_xlabel("hidden layer")
            self.ax_spread.set_ylabel("std of the layer's outputs")
            self.ax_spread.set_title(
                "spread of each layer's outputs\n(on the dark bars: distinct units)"
            )
            log_axis(self.ax_spread)
            _powers_of_ten(self.ax_spread)
            self.ax_spread.set_xlim(0.4, depth + 0.6)
            self.curves = LossCurves(self.ax_loss, log=True, ylabel=loss_label(BCEWithLogitsLoss()))
            _powers_of_ten(self.ax_loss)
            self.ax_loss.set_title("training loss\n(dotted: the epoch shown)")
            self.marker = self.ax_loss.axvline(epochs, color="0.4", lw=1, ls=":")
        self.refresh()

    # -- what to train --------------------------------------------------------------------
    def settings(self) -> tuple:
        """The controls that decide the run (the others only choose what is drawn)."""
        return (self.scheme.value, float(self.scale.value), float(self.noise.value),
                self.activation.value)  # fmt: skip

    def init_fn(self) -> Callable[..., np.ndarray]:
        """The initialiser the controls describe (``make_init``)."""
        scheme, scale, noise, _ = self.settings()
        return make_init(scheme, scale, noise)

    def compute(self, stale) -> bool:
        settings = self.settings()
        if settings == self._trained_for:
            return True
        scheme, scale, noise, activation = settings
        sizes = [2, *([self.width] * self.depth), 1]
        model = mlp(sizes, activation=activation, init=make_init(scheme, scale, noise),
                    rng=self.seed)  # fmt: skip
        params = model.parameters()
        trainer = Trainer(model, BCEWithLogitsLoss(), SGD(params, lr=self.lr, momentum=0.9),
                          self.X, self.y, record_health=False)  # fmt: skip
        snapshots = [[p.data.copy() for p in params]]
        with np.errstate(all="ignore"):
            while trainer.epoch < self.epochs and not trainer.stopped:
                if stale():
                    return False
                trainer.run_epoch()
                snapshots.append([p.data.copy() for p in params])
        self.model, self.history, self.snapshots = model, trainer.history, snapshots
        # a second network of the same shape, loaded with a snapshot to measure it
        self._probe = mlp(sizes, activation=activation, init="zeros")
        self._load(0)
        self.start_spread = activation_spread(self._probe, self.X)
        self._trained_for = settings
        return True

    def shown_epoch(self) -> int:
        """The epoch drawn: the slider's, or the last one trained if the run stopped early."""
        return min(int(self.epoch.value), len(self.snapshots) - 1)

    def weights_at(self, epoch: int, layer: int) -> np.ndarray:
        """W of hidden layer ``layer`` (1-based) after ``epoch`` epochs: (in, width)."""
        linears = [m for m in self._probe.modules() if isinstance(m, Linear)]
        index = self._probe.parameters().index(linears[layer - 1].W)
        return self.snapshots[epoch][index]

    def _load(self, epoch: int) -> None:
        """Put the parameters after ``epoch`` epochs into the probe network."""
        for p, saved in zip(self._probe.parameters(), self.snapshots[epoch], strict=True):
            p.data[...] = saved

    def draw(self) -> None:
        epoch, layer = self.shown_epoch(), int(self.layer.value)
        self._load(epoch)
        self.distinct = distinct_units_per_layer(self._probe)
        self.spread = activation_spread(self._probe, self.X)

        W = self.weights_at(epoch, layer)
        finite = np.abs(W[np.isfinite(W)])
        top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        # drawn relative to the largest weight, so the colour bar's ticks keep their width
        self.heat.set_data(W / top)
        self.heat.set_extent((-0.5, W.shape[1] - 0.5, W.shape[0] - 0.5, -0.5))
        if finite.size and finite.max() > 0:
            self.colorbar.set_label(f"weight / max |W|   (max |W| = {top:.2g})")
        else:
            self.colorbar.set_label("weight (W = 0 everywhere)")
        if W.shape != self._heat_shape:  # integer ticks: rows are inputs, columns units
            rows, cols = W.shape
            self.ax_w.set_yticks(np.arange(0, rows, max(1, rows // 4)))
            self.ax_w.set_xticks(np.arange(0, cols, max(1, cols // 4)))
            self._heat_shape = W.shape
        units = "unit" if self.distinct[layer - 1] == 1 else "units"
        self.ax_w.title.set_text(
            f"W of hidden layer {layer} after {epoch} epochs\n"
            f"{self.distinct[layer - 1]} distinct {units} of {self.width}"
        )

        spread = np.asarray(self.spread, dtype=float)
        ok = np.isfinite(spread) & (spread > 0)
        heights = np.where(ok, spread, np.nan)
        start = np.asarray(self.start_spread, dtype=float)
        start = np.where(np.isfinite(start) & (start > 0), start, np.nan)
        both = np.concatenate([heights, start])
        bottom, top = _spread_limits(both[np.isfinite(both)])
        self.ax_spread.set_ylim(bottom, top)
        for bar, h in zip(self.start_bars, start, strict=True):
            bar.set_height(h if np.isfinite(h) else 0.0)
        self.spread_legend.get_texts()[1].set_text(f"epoch {epoch}")
        for bar, label, h, s, count in zip(self.bars, self.bar_labels, heights, spread,
                                           self.distinct, strict=True):  # fmt: skip
            bar.set_height(h if np.isfinite(h) else 0.0)
            if np.isfinite(h):  # the count on top of the bar
                label.set_position((label.get_position()[0], max(h, bottom)))
                label.set_text(str(count))
            else:  # no bar to stand on (std 0, or an overflow): say why, at the bottom
                label.set_position((label.get_position()[0], bottom))
                label.set_text(f"{count}\n(std {s:g})")

        self.curves.update(self.history, epochs=self.epochs)
        low, high = self.ax_loss.get_ylim()  # the curves' own, snapped out to half-decades
        self.ax_loss.set_ylim(min(low, _LOSS_VIEW[0]), max(high, _LOSS_VIEW[1]))
        message = None
        if self.history.diverged:  # say what went wrong here: the weights, not the rate
            message = (f"diverged at epoch {self.history.diverged_epoch}: the initial weights "
                       "are so large that the first steps overflow")  # fmt: skip
            self.curves.note.set_text(f"diverged at epoch {self.history.diverged_epoch}:\n"
                                      "initial weights too large")  # fmt: skip
        self.marker.set_xdata([max(epoch, 0.5)])

        scheme, scale, noise, _ = self.settings()
        parts = [describe_init(scheme, scale, noise)]
        if 0 < epoch <= len(self.history.loss) and np.isfinite(self.history.loss[epoch - 1]):
            parts.append(f"loss in epoch {epoch}: {self.history.loss[epoch - 1]:.3f}")
        parts.append("distinct units per hidden layer: " + ", ".join(map(str, self.distinct)))
        if message:
            self.set_status(message + " · " + " · ".join(parts), color=DIVERGED)
        else:
            self.set_status(" · ".join(parts))

    def moving_artists(self) -> list:
        """What a move changes: the heat-map, its title and its colour bar's label (max |W|),
        every bar and its count, the loss curve and the epoch's marker. The spread and loss
        panels keep fixed views that widen only when a value leaves them, so a move of the
        scale redraws no axes whole. The spread legend (its "epoch N") is painted over the
        bars, so the base class draws it with them without being told; listed, its box would
        be widened for a longer text until it reached the loss panel, and that panel's axes
        would be redrawn on every move too."""
        return [self.heat, self.ax_w.title, self.colorbar.ax.yaxis.label, *self.start_bars,
                *self.bars, *self.bar_labels, *self.curves.moving_artists(),
                self.marker]  # fmt: skip
