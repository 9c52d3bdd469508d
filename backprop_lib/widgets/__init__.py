"""Live dashboards for the notebooks, built on ipywidgets and matplotlib (no pyplot).

Each dashboard is a class whose controls and figure are attributes, so a test drives it in
Python: set ``control.value``, then assert on the model, the history and the figure. Display
one by making it a cell's last expression.

- ``WeightExplorer``: set each weight of a 2-H-1 network by hand (forward-pass notebook)
- ``LearningRateExplorer``: one run under a learning-rate log slider (learning-rate notebook)
- ``LearningRateRace``: several rates from one initialisation, overlaid
- ``GradientFlowExplorer``: depth / activation / init / batch norm / residual vs gradient health
- ``TrainingDashboard``: every setting of a training run (TensorFlow-Playground style), on
  built-in data or your own (a CSV upload, ``data=(X, y)``; ``UserData`` in runs.py)
- ``QuadraticExplorer``: gradient descent on a parabola or a 2-D ravine, regimes of the rate
- ``OptimizerRace``, ``NetworkRace``: optimizers raced on 2-D surfaces and on a network
- ``LossComparison``: one sigmoid neuron trained with MSE and with cross-entropy (losses.py)
- ``SequenceExplorer``: sequence length / W_hh scale / clipping vs the gradient over time (RNN)
- ``InitExplorer``: initialisation scheme and scale vs distinct units, activations' spread, loss
- ``FeatureMapExplorer``: a trained CNN's feature maps and saliency for a chosen image
- ``RegularizationExplorer`` (regularization.py): overfitting, L2/L1 penalties, dropout
- ``FeatureScaleExplorer``, ``BatchSizeExplorer``, ``StoppingExplorer`` (batches.py): input
  scale against the loss surface, batch size against gradient noise, stopping rules on one run
- ``StepThrough`` (stepthrough.py), ``BugHunt`` (bughunt.py): loaded on first use

Building blocks: ``Dashboard`` (base.py), ``LiveTraining`` (live.py), ``RunConfig`` / ``Run``
(runs.py).
"""

from .base import DOM_CLASSES, Dashboard, in_kernel
from .batches import BatchSizeExplorer, FeatureScaleExplorer, StoppingExplorer
from .conv import FeatureMapExplorer
from .gradflow import GradientFlowExplorer
from .live import LiveTraining
from .losses import LossComparison
from .lr import LearningRateExplorer, LearningRateRace
from .optimizers import NetworkRace, OptimizerRace
from .playground import TrainingDashboard
from .quadratic import QuadraticExplorer
from .runs import Run, RunConfig, UserData
from .sequences import SequenceExplorer
from .symmetry import InitExplorer
from .weights import WeightExplorer

__all__ = [
    "DOM_CLASSES",
    "Dashboard",
    "in_kernel",
    "FeatureMapExplorer",
    "BatchSizeExplorer",
    "FeatureScaleExplorer",
    "StoppingExplorer",
    "GradientFlowExplorer",
    "InitExplorer",
    "LiveTraining",
    "LossComparison",
    "LearningRateExplorer",
    "LearningRateRace",
    "NetworkRace",
    "OptimizerRace",
    "TrainingDashboard",
    "QuadraticExplorer",
    "Run",
    "RunConfig",
    "UserData",
    "SequenceExplorer",
    "WeightExplorer",
    "RegularizationExplorer",
    "StepThrough",
    "BugHunt",
]


# Widgets maintained separately (stepthrough.py: StepThrough; bughunt.py: BugHunt) load on
# first use, so this package imports whatever state those modules are in.
_LAZY = {
    "StepThrough": "stepthrough",
    "BugHunt": "bughunt",
    "RegularizationExplorer": "regularization",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
