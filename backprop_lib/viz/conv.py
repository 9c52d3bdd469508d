"""Pictures of convolutions: the sliding window, feature maps, filters, pooling's backward.

- ``plot_convolution_steps(image, kernel, positions)``: the window at a few positions of an
  image and the output map filling up, one dot product per position;
- ``plot_feature_maps(maps)``: every channel of one layer's output, side by side;
- ``plot_filters(W)``: a convolution's kernels, one small image each;
- ``plot_pool_backward(x, dy)``: a 4x4 input, its 2x2 windows, and where max and average
  pooling send the upstream gradient;
- ``FeatureMapGrid``: a fixed grid of image panels whose pictures are replaced in place (the
  feature-map explorer's middle panel).

Used by the convolution notebook and its dashboard (``widgets.conv``). Images are drawn with
``imshow`` in grey (pixels) or in a diverging orange-purple map (signed values such as
gradients and kernels: purple positive, orange negative, white 0), both colour-blind safe.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from .style import DIVERGED, PlotFigure, new_figure, style

__all__ = [
    "DIVERGING",
    "FeatureMapGrid",
    "image_axes",
    "plot_convolution_steps",
    "plot_feature_maps",
    "plot_filters",
    "plot_pool_backward",
    "show_image",
    "symmetric_limit",
]

DIVERGING = "PuOr"  # orange < 0, white 0, purple > 0
WINDOW = DIVERGED  # the colour of the sliding window's outline


def symmetric_limit(values) -> float:
    """max |values|: the colour limit (-m, m) for signed values (1 when everything is 0)."""
    m = float(np.nanmax(np.abs(values))) if np.size(values) else 0.0
    return m if m > 0 else 1.0


def image_axes(ax) -> None:
    """No ticks, no grid, a thin grey frame on all four sides: an axes that holds a picture."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.6)
        spine.set_color("#999999")


def show_image(ax, img, title: str = "", signed: bool = False, numbers: bool = False):
    """Draw a 2-D array on ``ax`` without ticks; grey for pixels, diverging when ``signed``.

    ``numbers=True`` writes each value in its cell (for small arrays). Returns the image artist.
    """
    img = np.asarray(img, dtype=float)
    if signed:
        lim = symmetric_limit(img)
        art = ax.imshow(img, cmap=DIVERGING, vmin=-lim, vmax=lim)
    else:
        art = ax.imshow(img, cmap="gray_r")
    image_axes(ax)
    if title:
        ax.set_title(title, fontsize=9.5)
    if numbers:
        lim = symmetric_limit(img)
        for (r, c), v in np.ndenumerate(img):
            if np.isfinite(v):
                dark = abs(v) > 0.6 * lim if signed else v > 0.6 * np.nanmax(img)
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7.5,
                        color="white" if dark else "black")  # fmt: skip
    return art


def _correlate_valid(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    kh, kw = kernel.shape
    ho, wo = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.empty((ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


def plot_convolution_steps(
    image, kernel, positions=((0, 0), (0, 1), (3, 2)), width_px: int = 980, height_px: int = 470
) -> PlotFigure:
    """The forward pass of one filter, step by step (stride 1, no padding).

    Top row: the kernel, then the image with the kh x kw window at each of ``positions``
    (output coordinates (i, j)). Bottom row: the finished output map, then the output as it
    stands after the window's visit to each position, in row-major order (the cells not yet
    computed blank), the current one outlined, with its dot product in the title.

    image (H, W), kernel (kh, kw), positions: (i, j) pairs with 0 <= i <= H - kh, 0 <= j <= W - kw.
    """
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image and kernel must be 2-D, got {image.shape} and {kernel.shape}")
    out = _correlate_valid(image, kernel)
    kh, kw = kernel.shape
    for i, j in positions:
        if not (0 <= i < out.shape[0] and 0 <= j < out.shape[1]):
            raise ValueError(f"position {(i, j)} is outside the {out.shape} output")
    fig = new_figure(width_px, height_px)
    n = len(positions)
    with style():
        axes = fig.subplots(2, n + 1)
        show_image(axes[0, 0], kernel, "the kernel (3x3 weights)", signed=True, numbers=True)
        show_image(axes[1, 0], out, f"the output, {out.shape[0]}x{out.shape[1]}", signed=True)
        for col, (i, j) in enumerate(positions, start=1):
            top, bottom = axes[0, col], axes[1, col]
            show_image(top, image, f"window at output ({i}, {j})")
            top.add_patch(Rectangle((j - 0.5, i - 0.5), kw, kh, fill=False, lw=2.5, ec=WINDOW))
            done = np.full(out.shape, np.nan)
            order = i * out.shape[1] + j  # row-major: every cell up to this one is computed
            done.reshape(-1)[: order + 1] = out.reshape(-1)[: order + 1]
            lim = symmetric_limit(out)
            bottom.imshow(done, cmap=DIVERGING, vmin=-lim, vmax=lim)
            image_axes(bottom)
            bottom.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.5, ec="black"))
            bottom.set_title(f"y[{i}, {j}] = sum(window * kernel)\n= {out[i, j]:.2f}", fontsize=9)
    return fig


def plot_feature_maps(
    maps, title: str = "", columns: int = 8, width_px: int = 960, label: str = "channel"
) -> PlotFigure:
    """Every channel of one image's feature maps (C, H, W), in a grid, on one colour scale.

    Each panel is titled ``f"{label} {k}"``; purple is positive, orange negative.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (channels, height, width), got {maps.shape}")
    c = maps.shape[0]
    cols = min(columns, c)
    rows = -(-c // cols)
    fig = new_figure(width_px, int(width_px / cols * rows) + 50)
    lim = symmetric_limit(maps)
    with style():
        axes = np.atleast_2d(fig.subplots(rows, cols))
        for k, ax in enumerate(axes.flat):
            if k < c:
                ax.imshow(maps[k], cmap=DIVERGING, vmin=-lim, vmax=lim)
                ax.set_title(f"{label} {k}", fontsize=9)
            image_axes(ax)
            ax.set_visible(k < c)
        if title:
            fig.suptitle(title, fontsize=11)
    return fig


def plot_filters(W, title: str = "", width_px: int = 960) -> PlotFigure:
    """A Conv2d's kernels W (F, C, kh, kw): one panel per filter (the first input channel)."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 4:
        raise ValueError(f"W must be (out_channels, in_channels, kh, kw), got {W.shape}")
    return plot_feature_maps(W[:, 0], title=title, width_px=width_px, label="filter")


def plot_pool_backward(x, dy, width_px: int = 980, height_px: int = 290) -> PlotFigure:
    """2x2 pooling (stride 2) of a small image x (H, W) and where each pool sends dy (H/2, W/2).

    Four panels with every value written in: x with its windows (each maximum outlined), dy,
    max pooling's dx (all of dy[i, j] on window (i, j)'s first maximum) and average pooling's
    dx (dy[i, j] / 4 on each pixel of the window).
    """
    x = np.asarray(x, dtype=float)
    dy = np.asarray(dy, dtype=float)
    h, w = x.shape
    if h % 2 or w % 2 or dy.shape != (h // 2, w // 2):
        raise ValueError(f"x needs even sides and dy its half size; got {x.shape} and {dy.shape}")
    win = x.reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    arg = win.argmax(axis=-1)  # the first maximum of each window, row-major
    dx_max = np.zeros_like(x)
    for (i, j), a in np.ndenumerate(arg):
        dx_max[2 * i + a // 2, 2 * j + a % 2] = dy[i, j]
    dx_avg = np.kron(dy, np.ones((2, 2))) / 4
    fig = new_figure(width_px, height_px)
    with style():
        axes = fig.subplots(1, 4)
        show_image(axes[0], x, "x: 2x2 windows, maxima outlined", numbers=True)
        for (i, j), a in np.ndenumerate(arg):
            axes[0].add_patch(Rectangle((2 * j - 0.5, 2 * i - 0.5), 2, 2, fill=False, lw=1.5,
                                        ec="#555555"))  # fmt: skip
            r, c = 2 * i + a // 2, 2 * j + a % 2
            axes[0].add_patch(Rectangle((c - 0.45, r - 0.45), 0.9, 0.9, fill=False, lw=2.5,
                                        ec=WINDOW))  # fmt: skip
        show_image(axes[1], dy, "dy, the upstream gradient", signed=True, numbers=True)
        show_image(axes[2], dx_max, "max pool: dx (all to the maximum)", signed=True, numbers=True)
        show_image(axes[3], dx_avg, "average pool: dx (a quarter each)", signed=True, numbers=True)
    return fig


class FeatureMapGrid:
    """A rows x cols grid of image panels in a rectangle of a figure, updated in place.

    ``rect`` is (left, bottom, width, height) in figure fractions; the panels are placed
    there directly (no layout engine), square, with small gaps. ``update(maps, title)`` shows
    maps (C, H, W) on one symmetric colour scale in the first C panels and blanks the rest;
    the artists are reused, so redrawing costs only the render.
    """

    def __init__(self, fig, rect, rows: int = 4, cols: int = 4, gap: float = 0.08):
        left, bottom, width, height = rect
        fw, fh = fig.get_size_inches()
        # square cells: the side is limited by the rectangle's width or its height, in inches
        side_in = min(
            width * fw / (cols + gap * (cols - 1)), height * fh / (rows + gap * (rows - 1))
        )
        cw, ch = side_in / fw, side_in / fh
        x0 = left + (width - (cols + gap * (cols - 1)) * cw) / 2
        y_top = bottom + height
        self.axes, self.images = [], []
        for k in range(rows * cols):
            r, c = divmod(k, cols)
            ax = fig.add_axes(
                (x0 + c * (1 + gap) * cw, y_top - (r + 1) * ch - r * gap * ch, cw, ch)
            )
            image_axes(ax)
            self.axes.append(ax)
            self.images.append(ax.imshow(np.zeros((2, 2)), cmap=DIVERGING, vmin=-1, vmax=1))
        self.title = fig.text(left + width / 2, y_top + 0.02, "", ha="center", va="bottom",
                              fontsize=10)  # fmt: skip

    @property
    def capacity(self) -> int:
        return len(self.axes)

    def update(self, maps, title: str = "") -> None:
        maps = np.asarray(maps, dtype=float)
        if len(maps) > self.capacity:
            raise ValueError(f"{len(maps)} maps do not fit in {self.capacity} panels")
        lim = symmetric_limit(maps)
        h, w = maps.shape[1:]
        for k, (ax, art) in enumerate(zip(self.axes, self.images, strict=True)):
            shown = k < len(maps)
            if ax.axison != shown:  # only a change of layer shows or hides a panel
                ax.axis("on" if shown else "off")
            art.set_data(maps[k] if shown else np.full((h, w), np.nan))
            art.set_extent((-0.5, w - 0.5, h - 0.5, -0.5))
            art.set_clim(-lim, lim)
            ax.set_xlim(-0.5, w - 0.5)
            ax.set_ylim(h - 0.5, -0.5)
        self.title.set_text(title)

    def moving_artists(self) -> list:
        """What ``update`` changes for another image of the same layer: the pictures and the
        title (another layer may also show or hide panels: the base class sees that and
        redraws in full; see ``widgets.base``)."""
        return [*self.images, self.title]
