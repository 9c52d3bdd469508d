"""Histograms per layer: the weights of each Linear layer and the activations after each layer.

A row of small panels, one per layer, titled with the mean and standard deviation, so learners
see activations shrink to 0 or pile up at +-1 as depth grows under a poor initialisation
(and stay spread under Xavier/He). Used by the initialisation / gradient-flow notebook.
"""

from __future__ import annotations

import numpy as np

from .style import SERIES, PlotFigure, new_figure, style

__all__ = ["layer_activations", "plot_weight_histograms", "plot_activation_histograms"]

_ACTIVATIONS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax", "Residual")


def layer_activations(model, X) -> list[tuple[str, np.ndarray]]:
    """Outputs of each activation (and residual) layer of a Sequential for the batch ``X``.

    Runs in eval mode and restores the training mode. Returns ``[(name, values (batch, width))]``
    with names like ``"1.Tanh"``, in forward order.
    """
    x = np.asarray(X, dtype=float)
    was_training = getattr(model, "training", True)
    model.eval()
    out = []
    try:
        with np.errstate(all="ignore"):
            for i, layer in enumerate(model):
                x = layer(x)
                kind = type(layer).__name__
                if kind in _ACTIVATIONS:
                    out.append((f"{i}.{kind}", x))
    finally:
        model.train(was_training)
    return out


def _panels(named: list[tuple[str, np.ndarray]], xlabel: str, color: str, width_px, height_px):
    if not named:
        raise ValueError("nothing to plot: the model has no layers of that kind")
    fig = new_figure(width_px or min(1000, 200 * len(named) + 60), height_px)
    axes = np.atleast_1d(fig.subplots(1, len(named), sharey=False))
    with style():
        for ax, (name, values) in zip(axes, named, strict=True):
            v = np.asarray(values, dtype=float).ravel()
            v = v[np.isfinite(v)]
            ax.hist(v, bins=40, color=color, alpha=0.85)
            mean, std = (v.mean(), v.std()) if len(v) else (np.nan, np.nan)
            ax.set_title(f"{name}\nmean {mean:+.2f}, std {std:.2f}", fontsize=9.5)
            ax.set_xlabel(xlabel)
            ax.set_yticks([])
            ax.grid(False)
        axes[0].set_ylabel("count")
    return fig


def plot_weight_histograms(model, width_px: int | None = None, height_px: int = 260) -> PlotFigure:
    """One histogram of W's entries per weight matrix (names from ``named_parameters``)."""
    named = [(n, p.data) for n, p in model.named_parameters() if n.endswith("W")]
    return _panels(named, "weight value", SERIES[0], width_px, height_px)


def plot_activation_histograms(
    model, X, width_px: int | None = None, height_px: int = 260
) -> PlotFigure:
    """One histogram of the activations after each activation layer, for the batch ``X``."""
    return _panels(layer_activations(model, X), "activation", SERIES[2], width_px, height_px)
