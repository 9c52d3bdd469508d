"""SequenceExplorer: sequence length, recurrent-weight scale and clipping against the gradient
that reaches each time step, and against training.

The task (``data.make_memory_task``): the label of a sequence is its first token, so the
gradient that teaches the RNN to remember it must travel back through every step. The model
is ``Sequential(Embedding(8, 4), LastHidden(RNN(4, 16)), Linear(16, 2))`` with W_hh set to
``scale`` times a random orthogonal matrix (every singular value equal to ``scale``), trained
by ``fit`` (SGD with momentum, full batch). Two panels: ||dL/dh_t|| / ||dL/dh_T|| for every
step t, at initialisation and after training (relative to the last step, because a trained
model's loss, and with it every gradient, is near 0), and the training loss. Used by the
sequences notebook (13).

The pure parts are functions the notebook calls too: ``memory_model``, ``hidden_grad_norms``
and ``train_memory`` (-> ``MemoryRun``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from ..data import make_memory_task
from ..nn.layers import Linear, Sequential
from ..nn.losses import CrossEntropyLoss
from ..nn.recurrent import RNN, Embedding, LastHidden
from ..optim.optimizers import SGD
from ..training import History, fit
from ..viz.sequences import GradOverTime
from ..viz.style import DIVERGED, SERIES, log_axis, style
from .base import Dashboard

__all__ = ["MemoryRun", "SequenceExplorer", "hidden_grad_norms", "memory_model", "train_memory"]

CHANCE = math.log(2)  # the cross-entropy of a coin toss between two labels
#: the gradient panel's value axis spans at least this (relative to the last step): below
#: where the panel stops drawing (30 decades under the largest) and up past what a growing
#: gradient reaches at the slider's scales without diverging; wider only for a run beyond it
GRAD_RANGE = (1e-35, 1e5)


def memory_model(
    scale: float = 1.0, nonlinearity: str = "tanh", hidden: int = 16, vocab_size: int = 8,
    seed: int = 0,
) -> tuple[Sequential, RNN]:  # fmt: skip
    """``Embedding(vocab_size, 4) -> LastHidden(RNN(4, hidden)) -> Linear(hidden, 2)``.

    W_hh = scale * Q with Q a random orthogonal matrix: W_hh multiplies every vector's length
    by exactly ``scale``, so each step back multiplies the gradient by at most scale * max f'.
    Returns the model and its RNN.
    """
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite number >= 0, got {scale!r}")
    rng = np.random.default_rng(seed)
    rnn = RNN(4, hidden, nonlinearity=nonlinearity, rng=rng)
    q, _ = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    rnn.W_hh.data[...] = scale * q
    model = Sequential(
        Embedding(vocab_size, 4, rng=rng), LastHidden(rnn), Linear(hidden, 2, rng=rng)
    )
    return model, rnn


def hidden_grad_norms(model: Sequential, rnn: RNN, X, y) -> np.ndarray:
    """||dL/dh_t|| (over the batch and the hidden units) for t = 1..T, from one backward pass.

    L is the mean cross-entropy of ``model`` on (X, y). The model's gradients are zeroed
    before and after, so training is not affected. Returns an array of shape (T,).
    """
    loss = CrossEntropyLoss()
    model.zero_grad()
    with np.errstate(over="ignore", invalid="ignore"):
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        norms = np.sqrt(np.sum(rnn.grad_hidden**2, axis=(0, 2)))
    model.zero_grad()
    return norms


@dataclass
class MemoryRun:
    """One training run on the memory task: settings, gradients over time, the History."""

    length: int
    scale: float
    nonlinearity: str
    clip: float | None
    grad_norms_init: np.ndarray  # (T,) ||dL/dh_t|| before training
    grad_norms_final: np.ndarray  # (T,) after training (NaN if it diverged)
    history: History
    model: Sequential

    @property
    def ratio_init(self) -> float:
        """||dL/dh_1|| / ||dL/dh_T|| at initialisation: how much reaches the first step."""
        return float(self.grad_norms_init[0] / self.grad_norms_init[-1])

    @property
    def learned(self) -> bool:
        """True when the final training accuracy is at least 95%."""
        h = self.history
        return not h.diverged and bool(h.accuracy) and h.accuracy[-1] >= 0.95


def train_memory(
    length: int = 20, scale: float = 1.0, nonlinearity: str = "tanh", clip: float | None = None,
    epochs: int = 50, lr: float = 0.5, n: int = 256, seed: int = 0,
) -> MemoryRun:  # fmt: skip
    """Train ``memory_model(scale, nonlinearity)`` on ``make_memory_task(n, length)``.

    Full-batch SGD (``lr``, momentum 0.9) for ``epochs`` epochs with ``fit``, clipping the
    gradient norm at ``clip`` (None: no clipping). A diverging run stops and is reported in
    the History; nothing raises.
    """
    X, y = make_memory_task(n, length, rng=seed)
    model, rnn = memory_model(scale, nonlinearity, seed=seed)
    before = hidden_grad_norms(model, rnn, X, y)
    opt = SGD(model.parameters(), lr=lr, momentum=0.9)
    with np.errstate(over="ignore", invalid="ignore"):
        history = fit(model, CrossEntropyLoss(), opt, X, y, epochs=epochs, clip_grad_norm=clip,
                      record_health=False)  # fmt: skip
    if history.diverged:
        after = np.full(length, np.nan)
    else:
        after = hidden_grad_norms(model, rnn, X, y)
    return MemoryRun(length, float(scale), nonlinearity, clip, before, after, history, model)


class SequenceExplorer(Dashboard):
    """Sequence length / recurrent-weight scale / nonlinearity / clipping -> gradient over time.

    Parameters
    ----------
    length : int, the starting sequence length (the slider goes from 2 to ``max_length``)
    scale : float, the starting scale of W_hh (its singular values), 0.1 to 3
    nonlinearity : "tanh" or "relu"
    clip : bool, clip the gradient norm at ``max_norm``
    max_norm : float, the clipping threshold
    epochs : int, training epochs per setting
    max_length : int
    threaded : see ``Dashboard``

    Controls: ``length`` (IntSlider, class ``bp-main-control``), ``scale`` (FloatSlider),
    ``nonlinearity`` (ToggleButtons), ``clip`` (Checkbox). State: ``run`` (a ``MemoryRun``).
    """

    def __init__(
        self, length: int = 20, scale: float = 1.0, nonlinearity: str = "tanh",
        clip: bool = False, max_norm: float = 1.0, epochs: int = 50, max_length: int = 50,
        threaded=None,
    ):  # fmt: skip
        if not 2 <= length <= max_length:
            raise ValueError(f"length must be in [2, max_length={max_length}], got {length}")
        if not 0.1 <= scale <= 3.0:
            raise ValueError(f"scale must be in [0.1, 3], got {scale}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(width_px=1000, height_px=340, threaded=threaded)
        self.max_norm, self.epochs = float(max_norm), int(epochs)
        wide = {"description_width": "initial"}
        self.length = self.add_control("length", widgets.IntSlider(
            value=length, min=2, max=max_length, description="sequence length T",
            continuous_update=False, style=wide, layout=widgets.Layout(width="340px"),
        ), main=True)  # fmt: skip
        self.scale = self.add_control("scale", widgets.FloatSlider(
            value=scale, min=0.1, max=3.0, step=0.05, description="scale of W_hh",
            continuous_update=False, style=wide, layout=widgets.Layout(width="320px"),
        ))  # fmt: skip
        self.nonlinearity = self.add_control("nonlinearity", widgets.ToggleButtons(
            options=["tanh", "relu"], value=nonlinearity, style={"button_width": "60px"},
        ))  # fmt: skip
        self.clip = self.add_control("clip", widgets.Checkbox(
            value=clip, description=f"clip gradient norm at {max_norm:g}", indent=False,
            layout=widgets.Layout(width="220px"),
        ))  # fmt: skip
        self.layout(
            widgets.HBox([self.length, self.scale]), widgets.HBox([self.nonlinearity, self.clip])
        )
        with style():
            self.ax_grad, self.ax_loss = self.figure.subplots(1, 2)
            self.grads = GradOverTime(self.ax_grad, ["at initialisation", "after training"],
                                      ylabel="‖∂L/∂hₜ‖ / ‖∂L/∂h_T‖ (log scale)",
                                      styles=["o-", "s--"], t_max=max_length,
                                      y_range=GRAD_RANGE,
                                      legend_loc="lower right")  # fmt: skip
            (self.loss_line,) = self.ax_loss.plot([], [], color=SERIES[0], lw=1.8)
            (self.cross,) = self.ax_loss.plot([], [], "x", color=DIVERGED, ms=10, mew=2.5)
            self.ax_loss.axhline(CHANCE, color="0.4", ls=":", lw=1.2)
            self.ax_loss.text(self.epochs, CHANCE, "chance (ln 2) ", ha="right", va="bottom",
                              fontsize=8.5, color="0.35")  # fmt: skip
            log_axis(self.ax_loss)
            self.ax_loss.set(xlim=(0, self.epochs), ylim=(1e-4, 100), xlabel="epoch",
                             ylabel="training loss (cross-entropy)")  # fmt: skip
            self.ax_loss.set_title("training")
        self.run: MemoryRun | None = None
        self.refresh()

    def compute(self, stale) -> bool:
        self.run = train_memory(
            length=int(self.length.value), scale=float(self.scale.value),
            nonlinearity=self.nonlinearity.value,
            clip=self.max_norm if self.clip.value else None, epochs=self.epochs,
        )  # fmt: skip
        return True

    def draw(self) -> None:
        run, h = self.run, self.run.history
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            init, final = run.grad_norms_init, run.grad_norms_final
            self.grads.update(
                {"at initialisation": init / init[-1], "after training": final / final[-1]}
            )
        # short: a wider changing title would reach the loss panel's ticks (drawn again then)
        self.ax_grad.set_title(f"gradient per step (T = {run.length})")
        losses = np.asarray(h.loss, dtype=float)
        ok = np.isfinite(losses)
        epochs = np.arange(1, len(losses) + 1)
        self.loss_line.set_data(epochs[ok], np.clip(losses[ok], 1e-4, None))
        if h.diverged:
            last = float(losses[ok][-1]) if ok.any() else 1.0
            self.cross.set_data([epochs[ok][-1] if ok.any() else 1], [min(max(last, 1e-4), 100)])
            text = (f"diverged at epoch {h.diverged_epoch}: the gradient exploded "
                    "(try clipping, or a smaller scale)")  # fmt: skip
            self.ax_loss.set_title(f"training: diverged at epoch {h.diverged_epoch}",
                                   color=DIVERGED)  # fmt: skip
        else:
            self.cross.set_data([], [])
            verdict = "learned to remember" if run.learned else "did not learn"
            text = (f"final loss {h.loss[-1]:.3f}, accuracy {h.accuracy[-1]:.0%}: "
                    f"{verdict} the first token")  # fmt: skip
            self.ax_loss.set_title(f"training: {verdict}", color="black")
        ratio = run.ratio_init
        self.set_status(
            f"‖∂L/∂h₁‖ / ‖∂L/∂h_T‖ = {ratio:.1e} at initialisation; {text}",
            color=DIVERGED if h.diverged else None,
        )

    def moving_artists(self) -> list:
        """What a control move changes: the gradient curves and their title (T), the loss
        line, the cross of a diverged run and the loss panel's title. Both panels' axes hold
        still: t runs to the slider's longest T, the gradient axis spans at least
        ``GRAD_RANGE``, the loss axis is fixed; the gradient legend sits under the lines at
        the lower right, where the curves seldom go (see ``widgets.base``)."""
        return [*self.grads.moving_artists(), self.ax_grad.title, self.loss_line, self.cross,
                self.ax_loss.title]  # fmt: skip
