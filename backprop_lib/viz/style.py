"""House style for every plot: colour-blind-safe colours, readable fonts, PNG rendering.

Figures are built with ``matplotlib.figure.Figure`` directly (never ``pyplot``), so nothing is
registered globally and a figure is freed as soon as nothing refers to it. ``PlotFigure`` adds
``_repr_png_``, so a figure returned as a notebook cell's last expression shows as an image.
Used by every module in ``backprop_lib.viz`` and by the dashboards in ``backprop_lib.widgets``.
"""

from __future__ import annotations

import io
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

__all__ = [
    "OKABE_ITO",
    "CLASS_COLORS",
    "NEGATIVE",
    "POSITIVE",
    "DIVERGED",
    "RC",
    "PlotFigure",
    "new_figure",
    "to_png",
    "encode_png",
    "log_axis",
    "style",
    "binary_cmap",
    "layer_colors",
]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Names are theirs.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Class 0 orange, class 1 blue, as in TensorFlow Playground; then the rest of the palette.
CLASS_COLORS = ["#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442"]
NEGATIVE = OKABE_ITO["orange"]  # negative weights, class 0, low outputs
POSITIVE = OKABE_ITO["blue"]  # positive weights, class 1, high outputs
DIVERGED = OKABE_ITO["vermillion"]  # the colour of a warning
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

# Sizes chosen for a notebook column about 1000 px wide at dpi 100: 10-11 pt text reads as
# 14-15 px, as large as the notebook's own prose.
RC = {
    "font.size": 10.5,
    "axes.titlesize": 11,
    # titles at the top edge (plus the usual pad): where matplotlib's automatic placement puts
    # them anyway when nothing sits above an axes (no plot here has top ticks), without its
    # search through every tick label's extent on each draw (a fifth of a dashboard's render)
    "axes.titley": 1.0,
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "legend.fancybox": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.prop_cycle": mpl.cycler(color=SERIES),
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}


@contextmanager
def style():
    """Apply the house ``RC`` settings while building artists (fonts are fixed at creation)."""
    with mpl.rc_context(RC):
        yield


class PlotFigure(Figure):
    """A ``Figure`` that shows itself as a PNG when it is a notebook cell's last expression."""

    def _repr_png_(self) -> bytes:
        return to_png(self)


def new_figure(width_px: int = 960, height_px: int = 360, dpi: int = 100) -> PlotFigure:
    """A white figure of ``width_px`` x ``height_px`` pixels, with constrained layout.

    Parameters
    ----------
    width_px, height_px : int
        Size of the rendered PNG in pixels.
    dpi : int
        Dots per inch; text sizes are in points, so a larger dpi makes text larger.

    Returns
    -------
    PlotFigure (not registered with pyplot, so it never leaks).
    """
    with style():
        fig = PlotFigure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    return fig


def to_png(fig: Figure, compress_level: int = 1) -> bytes:
    """Render ``fig`` to PNG bytes at its own size and dpi (what the inline backend shows).

    One Agg draw straight into a buffer (``savefig`` would lay the figure out in an extra
    dry-run draw first), then ``encode_png``.
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return encode_png(fig, compress_level)


def encode_png(fig: Figure, compress_level: int = 1) -> bytes:
    """PNG bytes of what ``fig``'s Agg canvas holds now, without drawing anything.

    ``compress_level=1``: measured on a 960x380 dashboard (bench/README.md), levels 0, 1, 3
    and 6 take about 6, 10, 11 and 18 ms for 1000, 127, 115 and 105 kB; level 1 is the
    knee, and level 0's megabyte would cost more to send to the browser than it saves.
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    width, height = canvas.get_width_height(physical=True)
    rgba = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    rgba.convert("RGB").save(buf, format="png", compress_level=compress_level)
    return buf.getvalue()


def log_axis(ax, which: str = "y") -> None:
    """Log scale with plain-text tick labels ("0.1", "1e-05"): as readable as 10^-1 and far
    cheaper to draw than the default mathtext labels, which matters for live dashboards."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def binary_cmap() -> LinearSegmentedColormap:
    """Orange (class 0, p = 0) -> white (p = 0.5) -> blue (class 1, p = 1)."""
    return LinearSegmentedColormap.from_list("bp_binary", [NEGATIVE, "#ffffff", POSITIVE])


def layer_colors(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours from dark (first layer) to light (last), viridis: ordered and CVD-safe."""
    cmap = mpl.colormaps["viridis"]
    return [tuple(cmap(v)[:3]) for v in np.linspace(0.0, 0.85, max(n, 1))][:n]


def blend(color, amount: np.ndarray) -> np.ndarray:
    """RGB of ``color`` mixed with white: amount 0 -> white, 1 -> the colour. Shape (..., 3)."""
    rgb = np.asarray(to_rgb(color))
    a = np.asarray(amount, dtype=float)[..., None]
    return 1.0 - a * (1.0 - rgb)
