"""``backprop_lib.autograd``: backpropagation done automatically, one number at a time.

- ``value.py``: ``Value``, a scalar that records the operations applied to it, and
  ``backward()``, reverse-mode automatic differentiation over that graph (micrograd's idea).
- ``tracing.py``: ``trace(root)``, the backward pass recorded step by step (the chain-rule
  notebook's step-through).
- ``value_mlp.py``: ``ValueMLP``, a network built from ``Value``s, and
  ``value_mlp_from_layers``, the same network as a ``Sequential`` of layers, to compare the two.
"""

from .tracing import Contribution, Step, Trace, trace
from .value import Value, paused_gc, topological_order
from .value_mlp import Neuron, ValueMLP, value_mlp_from_layers

__all__ = [
    "Contribution",
    "Neuron",
    "Step",
    "Trace",
    "Value",
    "ValueMLP",
    "paused_gc",
    "topological_order",
    "trace",
    "value_mlp_from_layers",
]
