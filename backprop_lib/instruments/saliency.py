"""Looking inside a network: every layer's output, and the gradient of a score w.r.t. the input.

- ``layer_outputs(model, x)``: the output of every layer of a ``Sequential`` for a batch x,
  in order (the feature maps of a CNN);
- ``input_gradient(model, x, target)``: d(score of class ``target``)/dx, the *saliency map*
  (Simonyan et al., 2014): which pixels would change the score most if nudged. It is one
  backward pass, the same as training's, started from a one-hot gradient on the chosen logit
  instead of from the loss, and it stops at the input instead of at the weights.

Both run the model in eval mode and leave it as it was: its training mode and every
parameter's ``.grad`` are restored (the layers' forward caches do change). Used by the
convolution notebook's feature-map explorer. Numpy only.
"""

from __future__ import annotations

import numpy as np

from ..checks import check_count
from ..nn.layers import Layer, Sequential

__all__ = ["input_gradient", "layer_outputs"]


def _check_model(model, what: str) -> None:
    if not isinstance(model, Layer):
        raise TypeError(f"{what} needs a Layer (e.g. a Sequential), got {type(model).__name__}")


def layer_outputs(model: Sequential, x) -> list[tuple[str, np.ndarray]]:
    """``[(name, output), ...]``: each layer's output for the batch ``x``, in eval mode.

    ``name`` is the layer's index and class, e.g. "1 Conv2d"; output shapes are the layers'
    own ((N, F, Ho, Wo) for a convolution or a pool, (N, features) after ``Flatten``).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"layer_outputs needs a Sequential, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        outputs = []
        out = np.asarray(x)
        for i, layer in enumerate(model.layers):
            out = layer.forward(out)
            outputs.append((f"{i} {type(layer).__name__}", out))
        return outputs
    finally:
        model.train(was_training)


def input_gradient(model: Layer, x, target) -> np.ndarray:
    """d(logit ``target``)/dx for every example of ``x``: one backward pass from a one-hot.

    Parameters
    ----------
    model : Layer whose output is (N, classes) scores
    x : a batch, the model's input shape (e.g. (N, 64) for ``small_cnn()``)
    target : int, or (N,) ints: the class whose score is differentiated, per example

    Returns
    -------
    ndarray shaped like x: the saliency map is its absolute value, reshaped to the image.
    """
    _check_model(model, "input_gradient")
    params = model.parameters()
    saved = [p.grad.copy() for p in params]
    was_training = model.training
    model.eval()
    try:
        scores = np.asarray(model.forward(x))
        if scores.ndim != 2:
            raise ValueError(
                f"input_gradient needs a model whose output is (batch, classes), got {scores.shape}"
            )
        n, classes = scores.shape
        targets = np.broadcast_to(np.asarray(target), (n,))
        for t in targets:
            check_count(t, "input_gradient target", 0)
            if t >= classes:
                raise ValueError(f"target {t} is not a class: the model has {classes} outputs")
        onehot = np.zeros_like(scores)
        onehot[np.arange(n), targets] = 1.0  # d(score_target)/d(scores)
        return model.backward(onehot)
    finally:
        model.train(was_training)
        for p, g in zip(params, saved, strict=True):
            p.grad[...] = g
