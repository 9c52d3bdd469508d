"""FeatureMapExplorer: pick an image and a layer of a trained CNN; see its feature maps and
the gradient of a class score with respect to the input pixels (a saliency map).

Three panels: the input image (with the network's prediction), every channel of the chosen
layer's output for that image, and d(score of the chosen class)/d(pixel), signed, shown
relative to its largest |value| (which the status line gives). Moving the image slider runs
one forward and one backward pass of a single image (milliseconds); nothing is re-trained.
Used by the convolution notebook (notebooks/11_convolutions.ipynb).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..instruments.saliency import input_gradient, layer_outputs
from ..nn.layers import Sequential
from ..viz.conv import DIVERGING, FeatureMapGrid, image_axes, symmetric_limit
from ..viz.style import style
from .base import Dashboard

__all__ = ["FeatureMapExplorer"]

PREDICTED = "predicted class"


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


class FeatureMapExplorer(Dashboard):
    """Image slider + layer menu + class menu -> feature maps and saliency of a trained CNN.

    Parameters
    ----------
    model : Sequential
        A trained CNN taking flattened images, e.g. ``small_cnn()`` after ``fit``; its layers
        with 4-D outputs (convolutions, activations, pools) are the layer menu's choices.
    X : (n, pixels) array
        The images to pick from (flattened, as the model takes them).
    y : (n,) int labels, optional
        Shown next to the prediction.
    image_shape : (H, W)
        How to draw one image (default (8, 8), the digits).
    index : int
        The image to start with.
    layer : str or None
        The layer to start with (a name such as "1 Conv2d"); None: the first convolution.
    threaded : see ``Dashboard``

    Controls: ``index`` (IntSlider: the image; class ``bp-main-control``), ``layer``
    (Dropdown of layer names), ``target`` (Dropdown: "predicted class" or a class number).
    State after each update: ``outputs`` (every layer's output for the image), ``scores``
    (the logits), ``probabilities``, ``prediction``, ``target_class``, ``saliency`` (H, W).
    """

    def __init__(self, model: Sequential, X, y=None, image_shape=(8, 8), index: int = 0,
                 layer: str | None = None, threaded=None):  # fmt: skip
        if not isinstance(model, Sequential):
            raise TypeError(f"FeatureMapExplorer needs a Sequential CNN, got {type(model)}")
        self.model = model
        self.X = np.asarray(X, dtype=float)
        if self.X.ndim != 2 or len(self.X) == 0:
            raise ValueError(f"X must be (images, pixels), got shape {self.X.shape}")
        self.y = None if y is None else np.asarray(y)
        self.image_shape = tuple(image_shape)
        if int(np.prod(self.image_shape)) != self.X.shape[1]:
            raise ValueError(
                f"image_shape {self.image_shape} does not hold the {self.X.shape[1]} pixels of "
                "a row of X; e.g. image_shape=(8, 8) for 64 pixels"
            )
        if not 0 <= index < len(self.X):
            raise ValueError(f"index must be in [0, {len(self.X) - 1}], got {index}")
        probe = layer_outputs(model, self.X[:1])
        names = [name for name, out in probe if np.ndim(out) == 4 and "Unflatten" not in name]
        if not names:
            raise ValueError("the model has no layer with feature maps (batch, channels, H, W)")
        self.classes = int(np.shape(probe[-1][1])[1])
        layer = layer or next((n for n in names if "Conv2d" in n), names[0])
        if layer not in names:
            raise ValueError(f"unknown layer {layer!r}; choose one of {names}")
        channels = max(np.shape(out)[1] for name, out in probe if name in names)
        super().__init__(width_px=1000, height_px=400, threaded=threaded)

        self.index = self.add_control("index", widgets.IntSlider(
            value=index, min=0, max=len(self.X) - 1, description="image",
            continuous_update=False, layout=widgets.Layout(width="340px"),
        ), main=True)  # fmt: skip
        self.layer = self.add_control("layer", widgets.Dropdown(
            options=names, value=layer, description="layer", layout=widgets.Layout(width="230px")
        ))  # fmt: skip
        self.target = self.add_control("target", widgets.Dropdown(
            options=[PREDICTED, *range(self.classes)], value=PREDICTED,
            description="saliency of", style={"description_width": "initial"},
            layout=widgets.Layout(width="230px"),
        ))  # fmt: skip
        self.layout(widgets.HBox([self.index, self.layer, self.target]))

        cols = 4 if channels <= 16 else 8
        rows = -(-channels // cols)
        fig = self.figure
        fig.set_layout_engine("none")  # fixed positions: three panels side by side
        with style():
            self.ax_image = fig.add_axes((0.02, 0.07, 0.25, 0.75))
            self.maps = FeatureMapGrid(fig, (0.31, 0.07, 0.32, 0.75), rows=rows, cols=cols)
            self.ax_saliency = fig.add_axes((0.66, 0.07, 0.25, 0.75))
            # beside the square saliency image, below its title (a title that changes would
            # otherwise reach the colour bar's labels, and they would be drawn again with it)
            cbar_ax = fig.add_axes((0.92, 0.15, 0.012, 0.55))
            blank = np.zeros(self.image_shape)
            self.image_art = self.ax_image.imshow(blank, cmap="gray_r", vmin=0, vmax=1)
            self.saliency_art = self.ax_saliency.imshow(blank, cmap=DIVERGING, vmin=-1, vmax=1)
            # the map is shown divided by its largest |value| (the status line gives that): the
            # colour scale is the same for every image, so it never needs drawing again
            colorbar = fig.colorbar(self.saliency_art, cax=cbar_ax)
            colorbar.set_label("÷ largest |gradient|", fontsize=8)
            cbar_ax.tick_params(labelsize=8)
            for ax in (self.ax_image, self.ax_saliency):
                image_axes(ax)
        self.outputs: list[tuple[str, np.ndarray]] = []
        self.refresh()

    # -- the update cycle -------------------------------------------------------------------
    def compute(self, stale) -> bool:
        x = self.X[int(self.index.value)][None, :]  # (1, pixels)
        self.outputs = layer_outputs(self.model, x)
        self.scores = np.asarray(self.outputs[-1][1][0], dtype=float)  # (classes,)
        self.probabilities = _softmax(self.scores)
        self.prediction = int(np.argmax(self.scores))
        choice = self.target.value
        self.target_class = self.prediction if choice == PREDICTED else int(choice)
        grad = input_gradient(self.model, x, self.target_class)  # (1, pixels)
        self.saliency = np.asarray(grad, dtype=float).reshape(self.image_shape)
        return True

    def moving_artists(self) -> list:
        """What another image changes: the image, the feature maps, the saliency map and the
        three titles. The axes never move and the saliency colour scale is fixed (the map is
        shown relative to its largest |value|); see ``widgets.base``."""
        return [self.image_art, self.ax_image.title, *self.maps.moving_artists(),
                self.saliency_art, self.ax_saliency.title]  # fmt: skip

    def feature_maps(self) -> np.ndarray:
        """The chosen layer's output for the current image, (channels, H, W)."""
        return dict(self.outputs)[self.layer.value][0]

    def draw(self) -> None:
        i = int(self.index.value)
        img = self.X[i].reshape(self.image_shape)
        self.image_art.set_data(img)
        self.image_art.set_clim(min(0.0, img.min()), max(1.0, img.max()))
        label = "" if self.y is None else f"label {self.y[i]}, "
        p = self.probabilities[self.prediction]
        self.ax_image.set_title(
            f"image {i}: {label}\npredicted {self.prediction} (p = {p:.2f})", fontsize=10
        )
        maps = self.feature_maps()
        name = self.layer.value
        self.maps.update(
            maps, f"{name}: {maps.shape[0]} feature maps of {maps.shape[1]}x{maps.shape[2]}"
        )
        self.saliency_art.set_data(self.saliency / symmetric_limit(self.saliency))
        self.ax_saliency.set_title(
            f"saliency: ∂(score of {self.target_class}) / ∂ pixel\n"
            "purple: more ink here raises the score",
            fontsize=10,
        )
        self.set_status(
            f"image {i}: predicted {self.prediction} with p = {p:.2f}"
            + ("" if self.y is None else f" (label {self.y[i]})")
            + f"; saliency of class {self.target_class}: largest |gradient| "
            f"{np.abs(self.saliency).max():.2g}"
        )
