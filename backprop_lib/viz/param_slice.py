"""A 2-D slice through a real network's loss landscape, with its training trajectory.

The loss of a network is a function of all its P parameters; we look at it on a plane
theta(a, b) = theta_0 + a d_1 + b d_2. Two choices of plane:
- ``pca_plane(snapshots)``: theta_0 = the final parameters, d_1, d_2 = the two main directions
  in which training moved (principal components of the parameter snapshots); the trajectory
  then lies (nearly) in the plane and is drawn as its projection (Li et al., 2018, sec. 7);
- ``random_plane(model, rng)``: theta_0 = the current parameters, random directions scaled
  "filter-wise" to the size of each weight row (Li et al., 2018, sec. 4).
``SliceView`` draws the loss on the plane as an image (log colour scale, updated in place) with
the projected trajectory. Used by the learning-rate notebook and its dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.ticker import FuncFormatter, NullFormatter

from .style import PlotFigure, new_figure, style

__all__ = [
    "flatten_parameters",
    "set_flat_parameters",
    "pca_plane",
    "random_plane",
    "loss_on_plane",
    "SliceView",
    "plot_param_slice",
]


def flatten_parameters(model) -> np.ndarray:
    """All parameters of ``model`` in one vector (P,), in ``parameters()`` order (a copy)."""
    return np.concatenate([p.data.ravel() for p in model.parameters()]).astype(float)


def set_flat_parameters(model, theta: np.ndarray) -> None:
    """Write the vector ``theta`` (P,) back into the model's parameters, in place."""
    params = model.parameters()
    total = sum(p.data.size for p in params)
    if len(theta) != total:  # checked before anything changes
        raise ValueError(f"theta has {len(theta)} entries but the model has {total} parameters")
    i = 0
    for p in params:
        n = p.data.size
        p.data[...] = theta[i : i + n].reshape(p.data.shape)
        i += n


def _top_two_directions(A: np.ndarray, iterations: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """The two leading principal directions (P,) of the rows of A (k, P), k small.

    Subspace iteration on the k x k Gram matrix A A^T (then mapped back through A^T), with
    ``einsum`` instead of LAPACK: for these tiny matrices a threaded BLAS/LAPACK call can cost
    a hundred times more than the arithmetic when the CPU is busy.
    """
    G = np.einsum("ip,jp->ij", A, A)  # (k, k)
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((len(G), 2))
    for i in range(iterations):
        new = G @ Q  # (k, 2): tiny, below any BLAS threading threshold
        q1 = new[:, 0] / (np.sqrt(new[:, 0] @ new[:, 0]) + 1e-300)
        q2 = new[:, 1] - (q1 @ new[:, 1]) * q1  # Gram-Schmidt
        q2 /= np.sqrt(q2 @ q2) + 1e-300
        converged = i > 5 and abs(q1 @ Q[:, 0]) > 1 - 1e-10 and abs(q2 @ Q[:, 1]) > 1 - 1e-10
        Q = np.column_stack([q1, q2])
        if converged:
            break
    dirs = np.einsum("ip,im->mp", A, Q)  # (2, P)
    norms = np.linalg.norm(dirs, axis=1, keepdims=True)
    if np.any(norms < 1e-12):  # a straight-line path: any second direction will do
        P = A.shape[1]
        dirs = np.stack([dirs[0] / max(norms[0, 0], 1e-300), np.roll(np.eye(P)[0], 1)])
        dirs[1] -= (dirs[1] @ dirs[0]) * dirs[0]
        norms = np.linalg.norm(dirs, axis=1, keepdims=True)
    d1, d2 = dirs / norms
    d2 = d2 - (d1 @ d2) * d1  # exactly orthogonal even if the iteration stopped early
    return d1, d2 / np.linalg.norm(d2)


def pca_plane(snapshots: Sequence[np.ndarray]):
    """The plane through the last snapshot spanned by the two main directions of travel.

    Parameters
    ----------
    snapshots : sequence of (P,) parameter vectors, e.g. one per epoch (non-finite ones dropped)

    Returns
    -------
    origin (P,), d1 (P,), d2 (P,) unit vectors, coords (k, 2) of each snapshot in the plane
    """
    S = np.asarray(snapshots, dtype=float)  # (k, P)
    S = S[np.isfinite(S).all(axis=1)]
    if len(S) == 0:
        raise ValueError("no finite parameter snapshots to build a plane from")
    origin = S[-1]
    D = S - origin  # (k, P)
    P = S.shape[1]
    if len(S) >= 3 and np.linalg.norm(D) > 0:
        # the path is smooth, so ~50 evenly spaced snapshots give the same directions
        rows = np.unique(np.linspace(0, len(D) - 1, min(len(D), 50)).astype(int))
        d1, d2 = _top_two_directions(D[rows] - D[rows].mean(axis=0))
    else:
        d1 = np.eye(P)[0]
        d2 = np.eye(P)[1 % P]
    return origin, d1, d2, D @ np.stack([d1, d2], axis=1)


def random_plane(model, rng=None):
    """A random plane through the current parameters, filter-normalised.

    Each direction is drawn from N(0, 1) and rescaled so that every column of every weight
    matrix (the weights into one unit) has the same norm as in the model; biases get the norm
    of their vector. Returns origin (P,), d1 (P,), d2 (P,).
    """
    rng = np.random.default_rng(rng)
    origin = flatten_parameters(model)
    dirs = []
    for _ in range(2):
        parts = []
        for p in model.parameters():
            d = rng.standard_normal(p.data.shape)
            if p.data.ndim == 2:  # W (in, out): normalise the weights into each unit
                scale = np.linalg.norm(p.data, axis=0) / (np.linalg.norm(d, axis=0) + 1e-12)
            else:
                scale = np.linalg.norm(p.data) / (np.linalg.norm(d) + 1e-12)
            parts.append((d * scale).ravel())
        dirs.append(np.concatenate(parts))
    return origin, dirs[0], dirs[1]


_ELEMENTWISE = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax")


def _forward_many(model, X: np.ndarray, thetas: np.ndarray) -> np.ndarray | None:
    """The model's outputs for many parameter vectors at once, or None if not supported.

    Works for a chain of Linear and elementwise activation layers (an ``mlp`` without batch
    norm or residual blocks): W for every theta is a slice of ``thetas``, and one batched
    matmul per layer replaces a Python loop over the grid.

    thetas : (G, P) -> outputs (G, n, out)
    """
    layers = list(model) if hasattr(model, "__iter__") else [model]
    h = X[None]  # (1, n, in)
    i = 0
    for layer in layers:
        kind = type(layer).__name__
        if kind == "Linear":
            n_in, n_out = layer.in_features, layer.out_features
            W = thetas[:, i : i + n_in * n_out].reshape(-1, n_in, n_out)  # (G, in, out)
            i += n_in * n_out
            h = h @ W  # (G, n, out)
            if layer.b is not None:
                h = h + thetas[:, None, i : i + n_out]
                i += n_out
        elif kind in _ELEMENTWISE:
            h = layer.forward(h)
        elif kind != "Dropout":  # dropout is the identity in eval mode
            return None
    return h if i == thetas.shape[1] else None


def _losses_many(loss, outs: np.ndarray, y) -> np.ndarray | None:
    """The loss for each of G outputs (G, n, o) at once, for the three common losses (the same
    formulas as ``losses.py``, vectorised over G); None for any other loss.
    """
    kind = type(loss).__name__
    if kind == "MSELoss":
        diff = outs - np.asarray(y, dtype=outs.dtype)
        return (diff * diff).mean(axis=(1, 2))
    if kind == "BCEWithLogitsLoss":
        z, t = outs, np.asarray(y, dtype=outs.dtype).reshape(outs.shape[1:])
        return (np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))).mean(axis=(1, 2))
    if kind == "CrossEntropyLoss":
        m = outs.max(axis=2, keepdims=True)
        lse = m[..., 0] + np.log(np.exp(outs - m).sum(axis=2))  # (G, n)
        picked = np.take_along_axis(outs, np.asarray(y)[None, :, None], axis=2)[..., 0]
        return (lse - picked).mean(axis=1)
    return None


def loss_on_plane(model, loss, X, y, origin, d1, d2, alphas, betas) -> np.ndarray:
    """L(origin + a d1 + b d2) for every a in ``alphas``, b in ``betas``.

    The model runs in eval mode; its parameters and mode are restored afterwards.

    Returns
    -------
    Z : (len(betas), len(alphas)); row i is b = betas[i] (image order), NaN where not finite
    """
    params = model.parameters()
    dtype = params[0].data.dtype if params else np.float64  # float32 nets compute in float32
    X = np.asarray(X, dtype=dtype)
    A, B = np.meshgrid(alphas, betas)  # (len(betas), len(alphas))
    thetas = (origin + A.reshape(-1, 1) * d1 + B.reshape(-1, 1) * d2).astype(dtype)  # (G, P)
    saved = flatten_parameters(model)
    was_training = getattr(model, "training", True)
    model.eval()
    Z = np.empty(len(thetas))
    try:
        with np.errstate(all="ignore"):
            outs = _forward_many(model, X, thetas)
            many = _losses_many(loss, outs, y) if outs is not None else None
            if many is not None:
                Z[:] = many
            else:
                for g, theta in enumerate(thetas):
                    if outs is None:  # any other architecture: one forward per grid point
                        set_flat_parameters(model, theta)
                        Z[g] = loss.forward(model(X), y)
                    else:
                        Z[g] = loss.forward(outs[g], y)
    finally:
        set_flat_parameters(model, saved)
        model.train(was_training)
    Z[~np.isfinite(Z)] = np.nan
    return Z.reshape(A.shape)


def _round_step(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (> 0)."""
    scale = 10.0 ** np.floor(np.log10(value))
    return next(float(n * scale) for n in (1.0, 2.0, 2.5, 5.0, 10.0) if n * scale >= value)


class SliceView:
    """Loss on a 2-D plane of parameter space (image, log colours) with a trajectory on top.

    ``update(model, loss, X, y, snapshots)`` fits the plane to the snapshots (``pca_plane``),
    evaluates the loss on a ``resolution`` x ``resolution`` grid around them (on at most
    ``max_rows`` evenly spaced rows of the data: the same landscape, cheaper) and moves the
    image and the path in place.
    """

    def __init__(self, ax: Axes, resolution: int = 13, max_rows: int = 100, colorbar: bool = True):
        self.ax = ax
        self.resolution = int(resolution)
        self.max_rows = int(max_rows)
        with style():
            # above the ticks (z-order 0.5 in the house style): an update need not redraw them
            self.image = ax.imshow(
                np.ones((2, 2)), origin="lower", aspect="auto", cmap="viridis",
                norm=LogNorm(1e-2, 1), interpolation="bilinear", zorder=0.6,
            )  # fmt: skip
            (self.path,) = ax.plot([], [], "-", color="white", lw=1.6, zorder=3)
            (self.start,) = ax.plot([], [], "o", color="white", mec="black", ms=7, zorder=4,
                                    label="start")  # fmt: skip
            # a square, not a star: the star marks a minimum in the toy landscapes, and the
            # last snapshot is only where training stopped
            (self.end,) = ax.plot([], [], "s", color="white", mec="black", ms=7, zorder=4,
                                  label="end of training")  # fmt: skip
            self.legend = ax.legend(handles=[self.start, self.end], loc="best", fontsize=8)
            # direction 1 and 2: the principal components of the path (pca_plane)
            ax.set_xlabel("direction 1: most of the path's travel")
            ax.set_ylabel("direction 2: the next most")
            ax.grid(False)
            self.colorbar = None
            if colorbar:
                self.colorbar = ax.figure.colorbar(self.image, ax=ax, pad=0.02)
                self.colorbar.set_label("loss (log scale)")
                self._plain_colorbar_labels()

    def _plain_colorbar_labels(self) -> None:
        # plain labels ("0.3", not 3×10⁻¹) on the major ticks only: readable, and far cheaper
        # to draw live. A new norm resets a colorbar's formatters, so this runs after each.
        axis = self.colorbar.ax.yaxis
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
        axis.set_minor_formatter(NullFormatter())

    def update(self, model, loss, X, y, snapshots: Sequence[np.ndarray]) -> np.ndarray:
        """Recompute the slice for these snapshots; returns the loss grid (r, r)."""
        origin, d1, d2, coords = pca_plane(snapshots)
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        # a path of one point (epoch 0, after Reset) still gets a readable window, not one
        # whose tick labels are 1e-4 apart
        span = np.maximum(hi - lo, max(1.0, 1e-3 * np.abs(coords).max()))
        # at least 20% of the span either side, then out to a round step (about a fifth of
        # the window): the window holds still while the path grows within it (Play)
        step = np.array([_round_step(1.4 * s / 5) for s in span])
        lo, hi = np.floor((lo - 0.2 * span) / step) * step, np.ceil((hi + 0.2 * span) / step) * step
        alphas = np.linspace(lo[0], hi[0], self.resolution)
        betas = np.linspace(lo[1], hi[1], self.resolution)
        if len(X) > self.max_rows:  # the landscape's shape, at a fraction of the cost
            rows = np.linspace(0, len(X) - 1, self.max_rows).astype(int)
            X, y = np.asarray(X)[rows], np.asarray(y)[rows]
        Z = loss_on_plane(model, loss, X, y, origin, d1, d2, alphas, betas)
        finite = Z[np.isfinite(Z) & (Z > 0)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (1e-2, 1.0)
        # the colour scale snaps out to half-decades, so most updates keep it (and the colour
        # bar) as it was; the image's colours still follow the loss
        vmin = 10.0 ** (np.floor(2 * np.log10(vmin)) / 2)
        vmax = 10.0 ** (np.ceil(2 * np.log10(max(vmax, vmin * 1.01))) / 2)
        self.image.set_data(np.where(np.isfinite(Z), np.maximum(Z, vmin), vmax))
        norm = self.image.norm
        if not (isinstance(norm, LogNorm) and np.isclose(norm.vmin, vmin, rtol=1e-12, atol=0)
                and np.isclose(norm.vmax, vmax, rtol=1e-12, atol=0)):  # fmt: skip
            self.image.set_norm(LogNorm(vmin, vmax))
            if self.colorbar is not None:
                self._plain_colorbar_labels()
        self.image.set_extent((lo[0], hi[0], lo[1], hi[1]))
        self.ax.set_xlim(lo[0], hi[0])
        self.ax.set_ylim(lo[1], hi[1])
        self.path.set_data(coords[:, 0], coords[:, 1])
        self.start.set_data(coords[:1, 0], coords[:1, 1])
        self.end.set_data(coords[-1:, 0], coords[-1:, 1])
        return Z

    def moving_artists(self) -> list:
        """What ``update`` changes: the image, the path and its ends, the legend (placed by
        the path). The window and the colour scale snap (see ``update``); when they move, the
        base class redraws in full (for a dashboard's ``moving_artists``, see
        ``widgets.base``)."""
        return [self.image, self.path, self.start, self.end, self.legend]


def plot_param_slice(
    model, loss, X, y, snapshots=None, rng=None, span: float = 1.0, resolution: int = 25,
    ax: Axes | None = None,
) -> PlotFigure:  # fmt: skip
    """The loss on a 2-D slice of parameter space.

    With ``snapshots`` (a list of (P,) vectors from ``flatten_parameters`` during training):
    the PCA plane of the trajectory, with the trajectory drawn. Without: a filter-normalised
    random plane through the current parameters, a, b in [-span, span].

    Returns
    -------
    The figure (colour = loss, log scale).
    """
    if ax is None:
        fig = new_figure(460, 400)
        ax = fig.add_subplot()
    if snapshots is not None:
        SliceView(ax, resolution).update(model, loss, X, y, snapshots)
        return ax.figure
    origin, d1, d2 = random_plane(model, rng)
    grid = np.linspace(-span, span, resolution)
    Z = loss_on_plane(model, loss, X, y, origin, d1, d2, grid, grid)
    with style():
        finite = Z[np.isfinite(Z) & (Z > 0)]
        norm = LogNorm(finite.min(), finite.max()) if len(finite) else None
        im = ax.imshow(Z, origin="lower", extent=(-span, span, -span, span), cmap="viridis",
                       norm=norm, interpolation="bilinear")  # fmt: skip
        ax.plot(0, 0, "s", color="white", mec="black", ms=7, label="the current parameters")
        ax.legend(loc="upper right", fontsize=8)
        ax.figure.colorbar(im, ax=ax, label="loss (log scale)")
        ax.set_xlabel("random direction 1 (filter-normalised)")
        ax.set_ylabel("random direction 2")
        ax.grid(False)
    return ax.figure
