"""Plots for the notebooks: pure functions of a History, a model and data, drawn with matplotlib.

Every figure is a ``matplotlib.figure.Figure`` built without pyplot (nothing leaks; a figure
returned as a cell's last expression shows as a PNG). Each module holds one kind of plot and,
for the dashboards, a small class whose ``update(...)`` moves its artists in place:

- ``curves``: loss curves (``plot_loss``, ``plot_race``; ``LossCurves``, ``RaceCurves``;
  ``loss_label``)
- ``boundary``: decision regions on 2-D data (``plot_decision_boundary``, ``DecisionBoundary``)
- ``regression``: a 1-D fit (``plot_regression``, ``RegressionFit``)
- ``health``: gradient norm, update ratio, saturation per layer (``plot_gradient_health``)
- ``histograms``: weights and activations per layer
- ``landscape``: 2-D toy loss surfaces with optimizer paths (``plot_landscape``)
- ``param_slice``: a 2-D slice through a network's parameters (``plot_param_slice``)
- ``network``: a TensorFlow-Playground-style diagram (``plot_network``, ``NetworkDiagram``)
- ``digits``: 8x8 digit images and a confusion matrix (``plot_digits``, ``plot_confusion_matrix``)
- ``losses``: losses against the prediction; the MSE / cross-entropy race of one neuron
  (``plot_losses_vs_probability``, ``NeuronRacePlot``)
- ``sequences``: an RNN unrolled in time, the gradient over time (``plot_unrolled``,
  ``plot_grad_over_time``, ``GradOverTime``)
- ``units``: weight matrices as heat-maps, one column per unit (``plot_unit_weights``)
- ``conv``: convolutions (``plot_convolution_steps``, ``plot_feature_maps``, ``plot_filters``,
  ``plot_pool_backward``, ``FeatureMapGrid``)
- ``regularization``: train/test losses with the penalty apart, a boundary with test points,
  weight-size histograms (``plot_split_losses``, ``plot_split_boundary``,
  ``plot_weight_distributions``)
- ``style``: colours, fonts, ``new_figure``, ``to_png``
- ``layout``: clipped or overlapping text in a drawn figure (``layout_problems``)
"""

from .boundary import DecisionBoundary, plot_decision_boundary
from .conv import (
    FeatureMapGrid,
    plot_convolution_steps,
    plot_feature_maps,
    plot_filters,
    plot_pool_backward,
)
from .curves import LossCurves, RaceCurves, diverged_message, loss_label, plot_loss, plot_race
from .digits import plot_confusion_matrix, plot_digits
from .health import GradientHealth, plot_gradient_health
from .histograms import plot_activation_histograms, plot_weight_histograms
from .landscape import TOY_FUNCTIONS, ToyFunction, TrajectoryPlot, optimizer_path, plot_landscape
from .layout import layout_problems
from .losses import NeuronRacePlot, plot_losses_vs_probability
from .network import NetworkDiagram, plot_network
from .param_slice import SliceView, plot_param_slice
from .regression import RegressionFit, plot_regression
from .regularization import plot_split_boundary, plot_split_losses, plot_weight_distributions
from .sequences import GradOverTime, plot_grad_over_time, plot_unrolled
from .style import OKABE_ITO, PlotFigure, new_figure, to_png
from .units import plot_unit_weights


def __getattr__(name: str):
    # graph.py (the computation-graph drawing for autograd.Value) is maintained separately;
    # its names load on first use so this package imports whatever state it is in.
    if name in ("draw_graph", "graph_layout", "GraphDrawing"):
        from . import graph

        return getattr(graph, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "plot_confusion_matrix",
    "plot_digits",
    "DecisionBoundary",
    "plot_decision_boundary",
    "FeatureMapGrid",
    "plot_convolution_steps",
    "plot_feature_maps",
    "plot_filters",
    "plot_pool_backward",
    "LossCurves",
    "RaceCurves",
    "diverged_message",
    "loss_label",
    "plot_loss",
    "plot_race",
    "GradientHealth",
    "plot_gradient_health",
    "plot_activation_histograms",
    "plot_weight_histograms",
    "TOY_FUNCTIONS",
    "ToyFunction",
    "TrajectoryPlot",
    "optimizer_path",
    "plot_landscape",
    "NeuronRacePlot",
    "plot_losses_vs_probability",
    "layout_problems",
    "NetworkDiagram",
    "plot_network",
    "SliceView",
    "plot_param_slice",
    "RegressionFit",
    "plot_regression",
    "GradOverTime",
    "plot_grad_over_time",
    "plot_unrolled",
    "plot_unit_weights",
    "plot_split_boundary",
    "plot_split_losses",
    "plot_weight_distributions",
    "OKABE_ITO",
    "PlotFigure",
    "new_figure",
    "to_png",
]
