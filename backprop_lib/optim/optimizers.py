"""Optimizers: the rules that turn gradients into parameter updates.

``SGD`` (with momentum, dampening, Nesterov and weight decay), ``Adagrad``, ``RMSprop``,
``Adam`` and ``AdamW`` follow ``torch.optim``: the same names, defaults and update rules,
each written in its docstring as equations that the lines of ``step()`` mirror one by one.
``clip_grad_norm`` rescales gradients whose total norm is too large. Used by the training and
optimizers notebooks, by ``training.fit`` and by the dashboards (which change ``opt.lr``).

As in torch.optim, an optimizer holds the ``Parameter`` objects themselves and updates each
``p.data`` in place (``p.data -= ...``): it never replaces, copies or freezes a parameter's
array, so ``W = layer.W.data`` fetched at any time *is* the weight, before and after
``SGD(model.parameters())``, and an edit ``W[0, 0] = 1.0`` is seen by the next step. The
state is per parameter: ``opt.state[i]`` is a dict of arrays shaped like ``params[i]``
(``"exp_avg"``, ``"momentum_buffer"``, ...), as torch's ``opt.state[p]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..nn.parameter import Parameter

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "clip_grad_norm"]


def _number(value, what: str, low: float, *, low_ok: bool = True, fix: str = "") -> float:
    """``value`` as a float, checked to be finite and >= low (or > low); else a named error."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    ok = value >= low if low_ok else value > low
    if not (math.isfinite(value) and ok):
        sign = ">=" if low_ok else ">"
        raise ValueError(f"{what} must be a finite number {sign} {low}, got {value}{fix}")
    return value


def _fraction(value, what: str, default: str) -> float:
    """A number in [0, 1), such as a momentum coefficient or a beta."""
    value = _number(value, what, 0.0)
    if value >= 1.0:
        raise ValueError(f"{what} must be in [0, 1), got {value}; the usual value is {default}")
    return value


def _check_params(params) -> list[Parameter]:
    if isinstance(params, Parameter):
        params = [params]
    if not isinstance(params, Iterable):
        raise TypeError(
            f"an optimizer takes a list of Parameters, got {type(params).__name__}; "
            "pass model.parameters()"
        )
    params = list(params)
    if not params:
        raise ValueError(
            "the optimizer got an empty parameter list; pass model.parameters() of a model "
            "that has weights (e.g. one with a Linear layer)"
        )
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(
                f"optimizer parameter {i} is a {type(p).__name__}, not a Parameter; "
                "pass model.parameters()"
            )
    if len({id(p) for p in params}) != len(params):
        raise ValueError(
            "the optimizer got the same Parameter twice; pass each parameter once "
            "(e.g. model.parameters(), not model.parameters() + model.parameters())"
        )
    dtypes = {np.asarray(p.data).dtype for p in params}
    if len(dtypes) > 1:
        names = ", ".join(sorted(str(d) for d in dtypes))
        raise TypeError(
            f"the optimizer's parameters mix dtypes ({names}); build the whole model with "
            "one dtype, e.g. mlp(..., dtype=np.float32)"
        )
    return params


class Optimizer:
    """Base class: holds the parameters, the learning rate ``lr`` and per-parameter state.

    A subclass names the state arrays it keeps for each parameter (``_state_names``, each
    starting as zeros shaped like the parameter) and implements ``step()``: one loop over
    ``zip(self.params, self.state)`` whose body is the update rule, with every write into
    ``p.data`` and the state made in place.

    Attributes
    ----------
    params : list of Parameter
        What ``step()`` updates, in the order given.
    lr : float
        The learning rate; assign to it to change it between steps (schedules and widgets do).
    state : list of dict
        One dict per parameter, aligned with ``params``: its named state arrays, e.g.
        ``opt.state[0]["exp_avg"]`` for Adam's m of the first one.
    steps : int
        t, the number of ``step()`` calls so far (torch keeps it as ``state[p]["step"]``).
    """

    _state_names: tuple[str, ...] = ()  # the state arrays a subclass keeps per parameter
    _typical_lr = 0.1  # suggested in the error for a non-positive lr

    def __init__(self, params, lr: float):
        self.params = _check_params(params)
        self.lr = lr
        self.steps = 0  # t, the number of step() calls so far
        self._shapes = [p.data.shape for p in self.params]  # to name a later change of shape
        self.state = [self._initial_state(p) for p in self.params]

    def _initial_state(self, p: Parameter) -> dict[str, np.ndarray]:
        """The state of one parameter before its first step: zeros shaped like it."""
        return {name: np.zeros_like(p.data) for name in self._state_names}

    @property
    def lr(self) -> float:
        """The learning rate (>= 0 once set; the constructor requires lr > 0)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        if not hasattr(self, "_lr"):  # the constructor's value must be positive
            self._lr = _number(
                value,
                "lr",
                0.0,
                low_ok=False,
                fix=f"; e.g. lr={self._typical_lr} for {type(self).__name__}",
            )
        else:  # a schedule may reach 0 (CosineAnnealingLR with eta_min=0)
            self._lr = _number(value, "lr", 0.0)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero, in place."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        raise NotImplementedError

    def _begin_step(self) -> int:
        """Bookkeeping shared by every ``step()``: returns t, the 1-based step number.

        A parameter whose array was replaced by one of another shape (a rebuilt layer) has
        state that no longer fits: that is an error that says so, before anything changes.
        """
        for i, (p, shape) in enumerate(zip(self.params, self._shapes, strict=True)):
            if p.data.shape != shape or p.grad.shape != shape:
                raise ValueError(
                    f"optimizer parameter {i} ({p.name or 'unnamed'}) has shape {p.data.shape} "
                    f"(grad {p.grad.shape}), but it was {shape} when the optimizer was built; "
                    "build a new optimizer for the changed model, e.g. "
                    f"{type(self).__name__}(model.parameters(), lr={self.lr:g})"
                )
        self.steps += 1
        return self.steps

    def __repr__(self) -> str:
        n = sum(p.data.size for p in self.params)
        return f"{type(self).__name__}(lr={self.lr:g}, {len(self.params)} parameters, {n} values)"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    g = grad + weight_decay * w
    b = g (first step), else b = momentum * b + (1 - dampening) * g   (only if momentum > 0)
    g = g + momentum * b if nesterov else b                           (only if momentum > 0)
    w = w - lr * g

    Parameters
    ----------
    params : list of Parameter
        ``model.parameters()``.
    lr : float > 0
        The step size (default 1e-3 as torch; for small networks 0.1 is a usual start).
    momentum : float in [0, 1)
        mu, how much of the previous update direction b is kept (0: plain SGD; 0.9 is common).
    dampening : float in [0, 1]
        Scales the new gradient's share in b (torch's default 0).
    weight_decay : float >= 0
        L2 penalty strength added to the gradient.
    nesterov : bool
        Look-ahead momentum; needs momentum > 0 and dampening = 0 (as torch).
    """

    # momentum_buffer is made on the first step (b = g), as in torch; plain SGD keeps no state

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        self.momentum = _fraction(momentum, "SGD momentum", "0.9")
        self.dampening = _number(dampening, "SGD dampening", 0.0)
        if self.dampening > 1.0:
            raise ValueError(f"SGD dampening must be in [0, 1], got {dampening}; the default is 0")
        self.weight_decay = _number(weight_decay, "SGD weight_decay", 0.0)
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError(
                "SGD nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum}, dampening={dampening}; e.g. SGD(params, lr, momentum=0.9, "
                "nesterov=True)"
            )
        self.nesterov = bool(nesterov)
        super().__init__(params, lr)

    def step(self) -> None:
        self._begin_step()
        for p, state in zip(self.params, self.state, strict=True):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # g = grad + weight_decay * w
            if self.momentum:
                b = state.get("momentum_buffer")
                if b is None:  # the first step: b = g
                    b = state["momentum_buffer"] = g.copy()
                else:  # b = momentum * b + (1 - dampening) * g
                    b *= self.momentum
                    b += (1.0 - self.dampening) * g
                g = g + self.momentum * b if self.nesterov else b
            p.data -= self.lr * g  # w = w - lr * g


class Adagrad(Optimizer):
    """Adagrad: per-value step sizes that shrink where gradients have been large.

    As ``torch.optim.Adagrad``, at step t:
    lr_t = lr / (1 + (t - 1) * lr_decay)
    g = grad + weight_decay * w
    s = s + g^2                        (s starts at initial_accumulator_value)
    w = w - lr_t * g / (sqrt(s) + eps)

    Parameters: ``lr`` > 0 (default 1e-2), ``lr_decay`` >= 0 (0), ``weight_decay`` >= 0 (0),
    ``initial_accumulator_value`` >= 0 (0), ``eps`` > 0 (1e-10).
    """

    _typical_lr = 0.01

    _state_names = ("sum",)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        self.lr_decay = _number(lr_decay, "Adagrad lr_decay", 0.0)
        self.weight_decay = _number(weight_decay, "Adagrad weight_decay", 0.0)
        self.initial_accumulator_value = _number(
            initial_accumulator_value, "Adagrad initial_accumulator_value", 0.0
        )
        self.eps = _number(eps, "Adagrad eps", 0.0, low_ok=False, fix="; the default is 1e-10")
        super().__init__(params, lr)

    def _initial_state(self, p: Parameter) -> dict[str, np.ndarray]:
        return {"sum": np.full_like(p.data, self.initial_accumulator_value)}

    def step(self) -> None:
        t = self._begin_step()
        lr_t = self.lr / (1.0 + (t - 1) * self.lr_decay)
        for p, state in zip(self.params, self.state, strict=True):
            g, s = p.grad, state["sum"]
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # g = grad + weight_decay * w
            s += g * g  # s = s + g^2
            p.data -= lr_t * g / (np.sqrt(s) + self.eps)  # w = w - lr_t * g / (sqrt(s) + eps)


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root-mean-square of recent gradients.

    As ``torch.optim.RMSprop``:
    g = grad + weight_decay * w
    v = alpha * v + (1 - alpha) * g^2
    v~ = v - a^2 with a = alpha * a + (1 - alpha) * g   if centered, else v~ = v
    b = momentum * b + g / (sqrt(v~) + eps);  w = w - lr * b         if momentum > 0
    w = w - lr * g / (sqrt(v~) + eps)                                 otherwise

    Parameters: ``lr`` > 0 (default 1e-2), ``alpha`` in [0, 1) (0.99), ``eps`` > 0 (1e-8),
    ``weight_decay`` >= 0 (0), ``momentum`` in [0, 1) (0), ``centered`` (False).
    """

    _typical_lr = 0.01

    _state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        self.alpha = _fraction(alpha, "RMSprop alpha", "0.99")
        self.eps = _number(eps, "RMSprop eps", 0.0, low_ok=False, fix="; the default is 1e-8")
        self.weight_decay = _number(weight_decay, "RMSprop weight_decay", 0.0)
        self.momentum = _fraction(momentum, "RMSprop momentum", "0 (off) or 0.9")
        self.centered = bool(centered)
        super().__init__(params, lr)

    def step(self) -> None:
        self._begin_step()
        alpha = self.alpha
        for p, state in zip(self.params, self.state, strict=True):
            g, v = p.grad, state["square_avg"]
            if self.weight_decay:
                g = g + self.weight_decay * p.data  # g = grad + weight_decay * w
            v *= alpha  # v = alpha * v + (1 - alpha) * g^2
            v += (1.0 - alpha) * g * g
            if self.centered:
                a = state["grad_avg"]
                a *= alpha  # a = alpha * a + (1 - alpha) * g
                a += (1.0 - alpha) * g
                denom = np.sqrt(v - a * a) + self.eps  # sqrt(v - a^2) + eps
            else:
                denom = np.sqrt(v) + self.eps  # sqrt(v) + eps
            if self.momentum:
                b = state["momentum_buffer"]
                b *= self.momentum  # b = momentum * b + g / denom
                b += g / denom
                p.data -= self.lr * b  # w = w - lr * b
            else:
                p.data -= self.lr * g / denom  # w = w - lr * g / denom


class Adam(Optimizer):
    """Adam: momentum on the gradient, RMSprop-style scaling, both bias-corrected.

    As ``torch.optim.Adam``, at step t:
    g = grad + weight_decay * w
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    v_max = max(v_max, v) and use v_max instead of v below     (only if amsgrad)
    w = w - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    Parameters: ``lr`` > 0 (default 1e-3), ``betas`` = (beta1, beta2), each in [0, 1)
    ((0.9, 0.999)), ``eps`` > 0 (1e-8), ``weight_decay`` >= 0 (0), ``amsgrad`` (False).
    """

    _typical_lr = 0.001

    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False  # AdamW decays the weights directly instead

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name} betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _fraction(betas[0], f"{name} beta1 (betas[0])", "0.9"),
            _fraction(betas[1], f"{name} beta2 (betas[1])", "0.999"),
        )
        self.eps = _number(eps, f"{name} eps", 0.0, low_ok=False, fix="; the default is 1e-8")
        self.weight_decay = _number(weight_decay, f"{name} weight_decay", 0.0)
        self.amsgrad = bool(amsgrad)
        super().__init__(params, lr)

    def step(self) -> None:
        t = self._begin_step()
        beta1, beta2 = self.betas
        for p, state in zip(self.params, self.state, strict=True):
            g, m, v = p.grad, state["exp_avg"], state["exp_avg_sq"]
            if self.weight_decay and self._decoupled:
                p.data *= 1.0 - self.lr * self.weight_decay  # w = w - lr * weight_decay * w
            elif self.weight_decay:
                g = g + self.weight_decay * p.data  # g = grad + weight_decay * w
            m *= beta1  # m = beta1 * m + (1 - beta1) * g
            m += (1.0 - beta1) * g
            v *= beta2  # v = beta2 * v + (1 - beta2) * g^2
            v += (1.0 - beta2) * g * g
            if self.amsgrad:  # v_max = max(v_max, v), used instead of v
                v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            m_hat = m / (1.0 - beta1**t)  # the bias corrections
            v_hat = v / (1.0 - beta2**t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    w = w - lr * weight_decay * w      (first, on the weights themselves, not through g)
    then the Adam update of ``Adam`` with g = grad.

    Parameters: as ``Adam``, but ``weight_decay`` defaults to 1e-2.
    """

    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


def clip_grad_norm(params, max_norm: float) -> float:
    """Rescale gradients so their joint L2 norm is at most ``max_norm``, in place.

    total = sqrt(sum over every parameter of sum(grad^2)); if total > max_norm, every grad is
    multiplied by min(1, max_norm / (total + 1e-6)), as ``torch.nn.utils.clip_grad_norm_``.

    Parameters
    ----------
    params : list of Parameter, or an Optimizer (then its parameters)
    max_norm : float > 0

    Returns
    -------
    float
        The total norm *before* clipping (it can be inf or NaN when training diverges).
    """
    max_norm = _number(max_norm, "clip_grad_norm max_norm", 0.0, low_ok=False)
    if isinstance(params, Optimizer):
        params = params.params
    grads = [p.grad for p in _check_params(params)]
    total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:  # False for a NaN norm: NaN gradients are left as they are
        for g in grads:
            g *= scale
    return total
