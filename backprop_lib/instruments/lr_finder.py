"""Finding a learning rate: the range test and a sweep over candidate rates.

- ``lr_range_test`` (Smith, 2017; fastai's ``lr_find``): train for a few hundred mini-batch
  steps while the learning rate grows geometrically from tiny to huge, lr_k = lr_min *
  (lr_max / lr_min)^(k / (steps - 1)), recording the loss at each step. The loss first barely
  moves (lr too small), then falls quickly, then blows up (lr too large). A good rate sits on
  the falling part, well before the minimum: ``LRFinderResult.suggestion`` is the rate of the
  lowest smoothed loss divided by 10, a common rule of thumb.
- ``lr_sweep``: train the same initial network for a fixed number of epochs at each of several
  rates and compare the final losses (the learning-rate race, as numbers).

Both leave the model exactly as they found it (parameters, gradients, batch-norm statistics).
A diverging run is a result here (``diverged``), never an exception. Used by the learning-rate
notebook (04).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..checks import as_rng
from ..nn.layers import Layer
from ..nn.losses import Loss
from ..optim.optimizers import SGD, Optimizer

__all__ = ["LRFinderResult", "LRSweepResult", "lr_range_test", "lr_sweep"]


@dataclass
class LRFinderResult:
    """What ``lr_range_test`` measured, one entry per step taken.

    Attributes
    ----------
    lrs : ndarray (k,), the learning rate of each step (geometric, increasing)
    losses : ndarray (k,), the mini-batch loss at each step, before its update
    smoothed : ndarray (k,), an exponential moving average of ``losses`` (bias-corrected)
    diverged : bool, True if the test stopped because the loss blew up
    stop_step : int, the number of steps taken (k)
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    diverged: bool
    stop_step: int

    @property
    def best_lr(self) -> float:
        """The learning rate at which the smoothed loss was lowest."""
        return float(self.lrs[int(np.nanargmin(self.smoothed))])

    @property
    def steepest_lr(self) -> float:
        """The learning rate where the smoothed loss fell fastest against log(lr).

        Only the part before the minimum counts, without its first tenth (where the moving
        average is still settling).
        """
        stop = int(np.nanargmin(self.smoothed)) + 1  # up to and including the minimum
        start = min(len(self.smoothed) // 10, max(stop - 3, 0))
        if stop - start < 3:
            return self.best_lr
        lrs, smoothed = self.lrs[start:stop], self.smoothed[start:stop]
        slope = np.gradient(smoothed, np.log(lrs))
        return float(lrs[int(np.nanargmin(slope))])

    @property
    def suggestion(self) -> float:
        """A safe starting rate: ``best_lr / 10`` (the minimum is already close to blowing up)."""
        return self.best_lr / 10.0


@dataclass
class LRSweepResult:
    """What ``lr_sweep`` measured, one entry per learning rate.

    Attributes
    ----------
    lrs : ndarray (r,), the rates tried, in the order given
    histories : list of r arrays, each the per-epoch training loss of that run (shorter if it
        diverged; the diverging value is kept as the last entry, possibly inf or NaN)
    final_loss : ndarray (r,), each run's last loss (inf for a diverged run)
    diverged : ndarray (r,) of bool
    """

    lrs: np.ndarray
    histories: list[np.ndarray] = field(default_factory=list)
    final_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    diverged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def best_lr(self) -> float:
        """The rate whose run ended with the lowest loss."""
        return float(self.lrs[int(np.argmin(self.final_loss))])


def _sgd(params, lr: float) -> Optimizer:
    return SGD(params, lr=lr)


class _Restore:
    """Save parameters, gradients and buffers on entry; put them back in place on exit."""

    def __init__(self, model: Layer):
        self.model = model

    def __enter__(self) -> _Restore:
        self.params = [(p, p.data.copy(), p.grad.copy()) for p in self.model.parameters()]
        self.buffers = [(b, b.copy()) for _, b in self.model.named_buffers()]
        return self

    def reset(self) -> None:
        for p, data, grad in self.params:
            p.data[...] = data
            p.grad[...] = grad
        for buf, saved in self.buffers:
            buf[...] = saved

    def __exit__(self, *exc) -> None:
        self.reset()


def _check(model, loss, X, y, batch_size) -> tuple[np.ndarray, np.ndarray, int]:
    if not isinstance(model, Layer):
        raise TypeError(f"expected a model (a Layer such as mlp(...)), got {type(model).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"expected a loss such as bl.MSELoss(), got {type(loss).__name__}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(
            f"X must be (N, features) with one target per row; got X {X.shape}, y {y.shape}"
        )
    n = len(X)
    if batch_size is None:
        batch_size = n
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be an int or None (full batch), got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return X, y, int(min(batch_size, n))


def _batches(X, y, batch_size: int, gen: np.random.Generator):
    """Endless mini-batches: each pass over the data in a fresh random order."""
    n = len(X)
    while True:
        order = gen.permutation(n) if batch_size < n else np.arange(n)
        for i in range(0, n - batch_size + 1, batch_size):  # full batches only
            idx = order[i : i + batch_size]
            yield X[idx], y[idx]


def _step(model, loss, opt, Xb, yb) -> float:
    """One training step; returns the mini-batch loss before the update (NaN/inf allowed)."""
    opt.zero_grad()
    value = float(loss.forward(model.forward(Xb), yb))
    if math.isfinite(value):
        model.backward(loss.backward())
        opt.step()
    return value


def lr_range_test(
    model: Layer,
    loss: Loss,
    X,
    y,
    lr_min: float = 1e-4,
    lr_max: float = 10.0,
    steps: int = 100,
    batch_size: int | None = 32,
    optimizer: Callable[[list, float], Optimizer] | None = None,
    beta: float = 0.9,
    stop_factor: float = 4.0,
    rng=0,
) -> LRFinderResult:
    """The learning-rate range test: one short run with a geometrically growing rate.

    lr_k = lr_min * (lr_max / lr_min)^(k / (steps - 1)); loss_k is the mini-batch loss at
    step k; smoothed_k = EMA_beta(loss)_k / (1 - beta^(k+1)). Stops early ("diverged") once
    the smoothed loss exceeds ``stop_factor`` times its lowest value, or a loss is NaN/inf.

    Parameters
    ----------
    model, loss : the network and its loss; the model is restored afterwards
    X : (N, features); y : targets as ``loss`` expects
    lr_min, lr_max : float, 0 < lr_min < lr_max, the range swept
    steps : int >= 2, the most steps taken (one mini-batch each)
    batch_size : int, or None for the full batch
    optimizer : function ``(params, lr) -> Optimizer``; default plain SGD
    beta : float in [0, 1), the smoothing of the moving average
    stop_factor : float > 1
    rng : Generator, int seed or None: the mini-batch order

    Returns
    -------
    LRFinderResult
    """
    X, y, batch_size = _check(model, loss, X, y, batch_size)
    if not (0 < lr_min < lr_max and math.isfinite(lr_max)):
        raise ValueError(f"need 0 < lr_min < lr_max, got lr_min={lr_min}, lr_max={lr_max}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}; 0.9 is usual")
    if not stop_factor > 1.0:
        raise ValueError(f"stop_factor must be > 1, got {stop_factor}; 4 is usual")
    make_opt = optimizer or _sgd
    schedule = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))  # (steps,)
    losses, smoothed = [], []
    avg, best, diverged = 0.0, math.inf, False
    batches = _batches(X, y, batch_size, as_rng(rng))
    with _Restore(model), np.errstate(over="ignore", invalid="ignore"):
        model.train()
        opt = make_opt(model.parameters(), float(schedule[0]))
        for k, lr in enumerate(schedule):
            opt.lr = float(lr)
            value = _step(model, loss, opt, *next(batches))
            losses.append(value)
            if not math.isfinite(value):
                smoothed.append(math.inf)
                diverged = True
                break
            avg = beta * avg + (1.0 - beta) * value
            s = avg / (1.0 - beta ** (k + 1))
            smoothed.append(s)
            best = min(best, s)
            if k > 0 and s > stop_factor * best:
                diverged = True
                break
    k = len(losses)
    return LRFinderResult(
        lrs=schedule[:k].copy(),
        losses=np.array(losses),
        smoothed=np.array(smoothed),
        diverged=diverged,
        stop_step=k,
    )


def lr_sweep(
    model: Layer,
    loss: Loss,
    X,
    y,
    lrs: Sequence[float],
    epochs: int = 20,
    batch_size: int | None = None,
    optimizer: Callable[[list, float], Optimizer] | None = None,
    diverge_factor: float = 1e3,
    rng=0,
) -> LRSweepResult:
    """Train from the same starting parameters at each rate; compare the per-epoch losses.

    Each run restores the model's initial parameters (and batch-norm statistics) and uses the
    same mini-batch order (``rng``), so the rate is the only difference. A run stops as
    diverged when its loss is NaN/inf or exceeds ``diverge_factor`` times its first loss.

    Parameters
    ----------
    model, loss, X, y : as ``lr_range_test``; the model is restored afterwards
    lrs : sequence of float > 0, the rates to try
    epochs : int >= 1, passes over the data per run
    batch_size : int, or None for the full batch (plain gradient descent)
    optimizer : function ``(params, lr) -> Optimizer``; default plain SGD
    diverge_factor : float > 1
    rng : int seed or None: the mini-batch order (the same for every run)

    Returns
    -------
    LRSweepResult; its ``histories[i]`` holds the mean mini-batch loss of each epoch.
    """
    X, y, batch_size = _check(model, loss, X, y, batch_size)
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    if lrs.size == 0 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError(f"lrs must be a non-empty list of positive rates, got {lrs.tolist()}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    seed = rng if isinstance(rng, (int, np.integer)) else int(as_rng(rng).integers(2**31))
    make_opt = optimizer or _sgd
    per_epoch = max(1, len(X) // batch_size)
    result = LRSweepResult(lrs=lrs)
    final, flags = [], []
    with _Restore(model) as saved, np.errstate(over="ignore", invalid="ignore"):
        model.train()
        for lr in lrs:
            saved.reset()
            opt = make_opt(model.parameters(), float(lr))
            batches = _batches(X, y, batch_size, np.random.default_rng(seed))
            history, first, diverged = [], None, False
            for _ in range(epochs):
                values = [_step(model, loss, opt, *next(batches)) for _ in range(per_epoch)]
                value = float(np.mean(values))
                first = value if first is None else first
                history.append(value)
                if not math.isfinite(value) or value > diverge_factor * max(first, 1e-12):
                    diverged = True
                    break
            result.histories.append(np.array(history))
            final.append(math.inf if diverged else history[-1])
            flags.append(diverged)
    result.final_loss = np.array(final)
    result.diverged = np.array(flags, dtype=bool)
    return result
