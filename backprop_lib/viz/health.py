"""Gradient health per layer over epochs: gradient norm, update-to-data ratio, saturation.

Three panels, one line per layer coloured from dark (first layer) to light (last layer), with
a colour key (a colour bar) beside the last panel:
- ||dL/dW|| per weight matrix (log scale): vanishing gradients show as early layers far below
  late ones;
- ||delta W|| / ||W|| per step (log scale) with the usual ~1e-3 guide: far below, the layer
  barely learns; far above, it is being rewritten every step;
- the fraction of saturated activations (|tanh| > 0.97, sigmoid outside [0.03, 0.97], ReLU
  dead): saturated units pass almost no gradient.
Reads ``History.grad_norms``, ``update_ratios`` and ``saturation``. Used by the
gradient-flow / initialisation notebook and its dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.font_manager import FontProperties
from matplotlib.markers import TICKRIGHT
from matplotlib.textpath import TextPath
from matplotlib.ticker import NullLocator
from matplotlib.transforms import offset_copy

from .curves import _set_limits
from .style import PlotFigure, layer_colors, log_axis, new_figure, style

__all__ = ["GradientHealth", "plot_gradient_health", "HEALTH_TITLES"]

HEALTH_TITLES = ("gradient norm", "update / weight ratio", "saturated or dead units")
_YLABELS = (
    "‖∂L/∂W‖",
    "‖ΔW‖ / ‖W‖",
    "saturated or dead (%)",
)
_FIELDS = ("grad_norms", "update_ratios", "saturation")


def _series(d: Mapping[str, Sequence[float]]) -> list[tuple[str, np.ndarray]]:
    """(name, values) per layer in insertion order; weights only when names say which."""
    items = list(d.items())
    weights = [(k, v) for k, v in items if k.endswith("W")]
    return [(k, np.asarray(v, dtype=float)) for k, v in (weights or items)]


class GradientHealth:
    """The three gradient-health panels on ``axes`` (a sequence of 3 Axes), updated in place.

    Lines are created for the layers of the first history shown; when the set of layers
    changes (a different depth) they are recoloured and relabelled, and added or removed.

    ``windows`` (optional): for the two log panels, a (low, high) range of values each always
    shows, e.g. ``{"grad_norms": (1e-9, 10), "update_ratios": (1e-11, 1)}``. The y-limits fit
    the values and the window together, snapped outward to half-decades
    (``viz.curves._set_limits``): a live dashboard whose runs stay inside its windows keeps
    its panels still from run to run, and a run outside them widens them. Without one, the
    limits fit the values alone.
    """

    def __init__(self, axes: Sequence[Axes], windows: Mapping[str, tuple] | None = None):
        if len(axes) != 3:
            raise ValueError(f"GradientHealth needs 3 axes, got {len(axes)}")
        self.axes = list(axes)
        self.windows = {k: np.asarray(v, dtype=float) for k, v in (windows or {}).items()}
        self.lines: list[dict[str, object]] = [{}, {}, {}]
        self._spare: list[list] = [[], [], []]  # lines removed from each panel, to reuse
        with style():
            for ax, title, ylabel in zip(self.axes, HEALTH_TITLES, _YLABELS, strict=True):
                ax.set_autoscale_on(False)  # limits are set in update
                ax.set_title(title)
                ax.set_xlabel("epoch")
                ax.set_ylabel(ylabel)
            log_axis(self.axes[0])
            log_axis(self.axes[1])
            self.guide = self.axes[1].axhline(1e-3, color="0.5", lw=1, ls=":", zorder=1)
            self.axes[1].text(
                0.02, 1e-3, " ~1e-3", transform=self.axes[1].get_yaxis_transform(),
                va="bottom", color="0.4", fontsize=8.5,
            )  # fmt: skip
            self.axes[2].set_ylim(0, 100)
        self.legend = None  # kept for callers that looked for it; the key below replaces it
        self.key = None  # the layer colour key: a colour bar beside the last panel
        self.key_image = self.key_ticks = None  # the key's colours, and its tick marks
        self.key_labels: list = []  # the key's layer numbers (texts; unused ones hidden)

    def _update_key(self, colors) -> None:
        """Which colour is which layer, as a colour bar beside the last panel: unlike a
        legend it covers no line, however many layers there are.

        The bar's axes never changes (limits 0 to 1, no ticks of its own): the layers' colours
        are an image on it, and the layer numbers (first, middle, last) are a tick-mark line
        and texts beside it, so a new depth moves only those artists."""
        n = len(colors)
        if self.key is None:
            self._make_key()
        self.key_image.set_data(np.asarray(colors, dtype=float)[:, None, :])
        ticks = sorted({1, (n + 1) // 2, n}) if n > 2 else list(range(1, n + 1))
        centres = [(t - 0.5) / n for t in ticks]  # layer t fills [(t - 1) / n, t / n]
        self.key_ticks.set_data(np.ones(len(centres)), centres)
        for i, text in enumerate(self.key_labels):
            shown = i < len(ticks)
            text.set_visible(shown)
            text.set_text(str(ticks[i]) if shown else "")
            text.set_y(centres[i] if shown else 0.5)

    def _make_key(self) -> None:
        figure = self.axes[-1].figure
        with style():
            self.key = figure.colorbar(ScalarMappable(Normalize(0, 1), "gray"), ax=self.axes[-1],
                                       pad=0.02, aspect=25)  # fmt: skip
            ax = self.key.ax
            self.key.solids.set_visible(False)  # an image of the layers' colours replaces it
            self.key.set_ticks([])
            ax.yaxis.set_minor_locator(NullLocator())
            self.key_image = ax.imshow(np.ones((1, 1, 3)), extent=(0, 1, 0, 1), origin="lower",
                                       aspect="auto", interpolation="nearest")  # fmt: skip
            size, pad = mpl.rcParams["ytick.major.size"], mpl.rcParams["ytick.major.pad"]
            (self.key_ticks,) = ax.plot(
                [], [], ls="none", marker=TICKRIGHT, ms=size, mew=mpl.rcParams["ytick.major.width"],
                color=mpl.rcParams["ytick.color"], transform=ax.get_yaxis_transform(),
                clip_on=False,
            )  # fmt: skip
            fontsize = FontProperties(size=mpl.rcParams["ytick.labelsize"]).get_size_in_points()
            beside = offset_copy(ax.get_yaxis_transform(), figure, x=size + pad, units="points")
            self.key_labels = [
                ax.text(1.0, 0.5, "", transform=beside, ha="left", va="center_baseline",
                        fontsize=fontsize, color=mpl.rcParams["ytick.color"], visible=False)
                for _ in range(3)
            ]  # fmt: skip
            # the axis label sits beyond the widest two-digit layer number, wherever they are
            digits = TextPath((0, 0), "88", size=fontsize).get_extents().width
            away = size + pad + digits + mpl.rcParams["axes.labelpad"]
            self.key.set_label("layer (1 = next to the input)")
            ax.yaxis.set_label_coords(1.0, 0.5, offset_copy(ax.transAxes, figure, x=away,
                                                            units="points"))  # fmt: skip

    def _rebuild(self, k: int, names: list[str]) -> None:
        """One line per layer in panel ``k``: the lines already there are kept and given
        their new layer's colour and label (the same artists, in layer order), missing ones
        are added and surplus ones removed. A removed line is kept aside and added back when
        the layers grow again: cheaper than creating every line anew."""
        old = list(self.lines[k].values())
        for line in reversed(old[len(names) :]):
            line.remove()
            self._spare[k].append(line)
        colors = layer_colors(len(names))
        lines = {}
        for i, (name, c) in enumerate(zip(names, colors, strict=True)):
            if i < len(old):
                line = old[i]
            elif self._spare[k]:
                line = self.axes[k].add_line(self._spare[k].pop())
            else:
                with style():  # entered only here: it copies every rc setting
                    line = self.axes[k].plot([], [])[0]
            line.set_color(c)
            line.set_label(_label(i, name, len(names)))
            lines[name] = line
        self.lines[k] = lines
        if k == 0 and names:
            self._update_key(colors)

    def update(self, history, epochs: int | None = None) -> None:
        """Move every layer's lines to ``history``; ``epochs`` fixes the x-axis (None: fit)."""
        n = epochs if epochs is not None else len(history.loss)
        for k, field in enumerate(_FIELDS):
            series = _series(getattr(history, field, {}) or {})
            if k == 2:
                series = [(name, 100.0 * v) for name, v in series]
            names = [name for name, _ in series]
            if not names:  # nothing recorded yet (a reset): the same layers, no data
                for line in self.lines[k].values():
                    line.set_data([], [])
            elif names != list(self.lines[k]):
                self._rebuild(k, names)
            ax = self.axes[k]
            finite = [np.array([1e-3])] if k == 1 else []  # the guide stays in view
            for name, v in series:
                x = np.arange(1, len(v) + 1, dtype=float)
                ok = np.isfinite(v) & ((v > 0) if k < 2 else True)
                self.lines[k][name].set_data(x[ok], v[ok])
                finite.append(v[ok])
            if k < 2:
                window = self.windows.get(field)
                _set_limits(ax, finite + ([window] if window is not None else []), n, True, None)
            else:
                ax.set_xlim(0, max(n, 1) + 0.5)

    def moving_artists(self) -> list:
        """What ``update`` changes: every layer's lines, and the colour key's image, tick marks
        and layer numbers. The limits hold still while the values stay inside them (see
        ``windows``); when they move, the base class sees it and redraws in full (for a
        dashboard's ``moving_artists``, see ``widgets.base``)."""
        lines = [line for panel in self.lines for line in panel.values()]
        key = [self.key_image, self.key_ticks, *self.key_labels] if self.key is not None else []
        return lines + key


def _label(i: int, name: str, n: int) -> str:
    """Legend label: every layer when there are few, else only the first and last."""
    if n <= 6 or i in (0, n - 1):
        return f"layer {i + 1} ({name})"
    return f"_layer {i + 1}"


def plot_gradient_health(history, axes: Sequence[Axes] | None = None) -> PlotFigure:
    """Gradient norm, update ratio and saturation per layer over epochs (three panels).

    Parameters
    ----------
    history : training.History with ``grad_norms``, ``update_ratios``, ``saturation``
    axes : optional sequence of 3 Axes

    Returns
    -------
    The figure.
    """
    if axes is None:
        fig = new_figure(1000, 340)
        axes = fig.subplots(1, 3)
    GradientHealth(axes).update(history)
    return axes[0].figure
