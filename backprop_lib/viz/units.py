"""Weight matrices as heat-maps, one column per unit: copies among units show as equal columns.

``plot_unit_weights({"label": W, ...})`` draws each ``W`` (in_features, units) side by side,
orange for negative weights, white for 0, blue for positive, each panel scaled to its own
largest |w| and titled with its number of distinct units
(``instruments.initialization.distinct_units``). Used by the initialisation notebook (08).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..instruments.initialization import distinct_units
from .style import PlotFigure, binary_cmap, new_figure, style

__all__ = ["plot_unit_weights"]


def plot_unit_weights(
    matrices: Mapping[str, np.ndarray], width_px: int | None = None, height_px: int = 250
) -> PlotFigure:
    """One heat-map per weight matrix: rows are inputs, columns are units.

    Parameters
    ----------
    matrices : mapping label -> W, each W an (in_features, units) array
    width_px, height_px : figure size (width default: 230 px per panel)

    Returns
    -------
    The figure. Each panel's title: the label, then "k distinct units of n" and the largest
    |w| the colours are scaled to.
    """
    if not matrices:
        raise ValueError("nothing to plot: give at least one {label: W}")
    items = [(label, np.asarray(W, dtype=float)) for label, W in matrices.items()]
    for label, W in items:
        if W.ndim != 2:
            raise ValueError(f"{label!r}: W must be 2-D (in_features, units), got shape {W.shape}")
    fig = new_figure(width_px or 230 * len(items) + 40, height_px)
    axes = np.atleast_1d(fig.subplots(1, len(items)))
    with style():
        for ax, (label, W) in zip(axes, items, strict=True):
            finite = np.abs(W[np.isfinite(W)])
            top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
            ax.imshow(W, cmap=binary_cmap(), vmin=-top, vmax=top, aspect="auto",
                      interpolation="nearest")  # fmt: skip
            count, units = distinct_units(W), W.shape[1]
            scale = f"max |w| {top:.2g}" if finite.size and finite.max() > 0 else "all 0"
            ax.set_title(f"{label}\n{count} distinct of {units} units · {scale}", fontsize=9.5)
            ax.set_xticks(np.arange(0, units, max(1, units // 4)))
            ax.set_yticks(np.arange(0, W.shape[0], max(1, W.shape[0] // 4)))
            ax.set_xlabel("unit (column)")
            ax.grid(False)
        axes[0].set_ylabel("input (row)")
    return fig
