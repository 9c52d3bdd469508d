"""Checkers for notebooks/07_optimizers.ipynb: three update rules written as plain functions.

``check_momentum_step``: ``momentum_step(w, grad, buf, lr, beta) -> (w, buf)``, SGD with
momentum; ``check_rmsprop_step``: ``rmsprop_step(w, grad, sq_avg, lr, alpha, eps) ->
(w, sq_avg)``; ``check_adam_step``: ``adam_step(w, grad, m, v, t, lr, beta1, beta2, eps) ->
(w, m, v)`` with bias correction. Each is run step by step next to the library's optimizer
(``SGD(momentum=beta)``, ``RMSprop``, ``Adam``, torch's rules) on quadratics of two sizes,
a vector and a matrix, fed the same gradients; the learner's state starts at zeros and is
fed back as returned, so any state convention that gives the right weights is accepted. A
wrong answer is compared with the classic mistakes (a moving average where torch sums, the
old buffer, no bias correction, eps inside the square root, ...) and the hint names the one it
matches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn.parameter import Parameter
from ..optim.optimizers import SGD, Adam, RMSprop
from ._check import CheckResult, correct, incorrect, run_answer

__all__ = [
    "MOMENTUM_CASES",
    "RMSPROP_CASES",
    "ADAM_CASES",
    "check_momentum_step",
    "check_rmsprop_step",
    "check_adam_step",
    "reference_run",
]

STEPS = 6  # steps per case
RTOL, ATOL = 1e-5, 1e-8  # float32 arithmetic passes; every mistake below differs by far more

MOMENTUM_CASES = [
    {"shape": (3,), "lr": 0.1, "beta": 0.9, "seed": 1},
    {"shape": (2, 4), "lr": 0.03, "beta": 0.7, "seed": 2},
]
RMSPROP_CASES = [
    {"shape": (3,), "lr": 0.01, "alpha": 0.9, "eps": 1e-8, "seed": 3},
    {"shape": (2, 4), "lr": 0.05, "alpha": 0.99, "eps": 0.1, "seed": 4},  # eps large: visible
]
ADAM_CASES = [
    {"shape": (3,), "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "seed": 5},
    {"shape": (2, 4), "lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 0.1, "seed": 6},
]


def _quadratic(shape: tuple[int, ...], seed: int):
    """A random bowl L(w) = 1/2 (w - c)^T A (w - c) over w of ``shape``, and a start w0."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(rng.uniform(0.5, 4.0, n)) @ Q.T  # (n, n) symmetric positive definite
    c = rng.normal(size=n)
    w0 = rng.normal(size=shape) * 2.0

    def grad(w: np.ndarray) -> np.ndarray:
        return (A @ (w.reshape(n) - c)).reshape(shape)

    return grad, w0


def reference_run(cls, case: dict, **hyper) -> tuple[np.ndarray, list[np.ndarray]]:
    """The library optimizer ``cls([p], **hyper)`` for STEPS steps on ``case``'s quadratic.

    Returns
    -------
    w0 : the start, shaped ``case["shape"]``
    trace : [(grad_t, w_t)] for t = 1..STEPS: the gradient used at step t and the weights after
    """
    grad, w0 = _quadratic(case["shape"], case["seed"])
    p = Parameter(w0.copy(), name="w")
    opt = cls([p], **hyper)
    trace = []
    for _ in range(STEPS):
        opt.zero_grad()
        g = grad(p.data.copy())
        p.grad += g
        opt.step()
        trace.append((g, p.data.copy()))
    return w0, trace


def _drive(
    step: Callable, w0, trace, n_state: int, call, returns: str = "(w, state)"
) -> tuple[list, CheckResult | None]:
    """Run a learner's (or a mistake's) step function along ``trace``; its weights per step.

    ``call(step, w, g, state, t)`` calls it with the right arguments; the result must be a
    tuple (w, *state) with ``n_state`` state arrays, fed back at the next step.
    """
    w = w0.copy()
    state = [np.zeros_like(w0) for _ in range(n_state)]
    out = []
    for t, (g, _) in enumerate(trace, start=1):
        with np.errstate(all="ignore"):  # a NaN from a wrong answer is judged, not warned
            value, problem = run_answer(
                call, step, w.copy(), g.copy(), [s.copy() for s in state], t, what="your function"
            )
        if problem is not None:
            return out, problem
        if not isinstance(value, (tuple, list)) or len(value) != n_state + 1:
            return out, incorrect(
                f"return a tuple {returns}: the new weights, then the new state, which the "
                f"next call gets back (got {type(value).__name__})"
            )
        try:
            arrays = [np.asarray(v, dtype=np.float64) for v in value]
        except (TypeError, ValueError):
            return out, incorrect("the values you return should be numbers (numpy arrays)")
        if arrays[0].shape != w0.shape:
            return out, incorrect(
                f"for w of shape {w0.shape} you returned new weights of shape "
                f"{arrays[0].shape}; every rule here works elementwise, so the shape stays"
            )
        try:
            state = [np.broadcast_to(a, w0.shape).copy() for a in arrays[1:]]
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays[1:])
            return out, incorrect(
                f"for w of shape {w0.shape} you returned a state of shape {shapes}; the state "
                "holds one number per weight, so it has the shape of w"
            )
        w = arrays[0]
        out.append(w)
    return out, None


def _written_in(case: dict, cases: list[dict], defaults: dict) -> list[dict]:
    """Settings a learner may have typed in instead of using the arguments: one at a time or
    all together, the first case's values or torch's defaults; only those that differ here."""
    keys = [k for k in case if k not in ("shape", "seed")]
    options = [{k: cases[0][k]} for k in keys] + [{k: v} for k, v in defaults.items()]
    options += [{k: cases[0][k] for k in keys}, defaults]
    found = []
    for option in options:
        changed = {k: v for k, v in option.items() if v != case[k]}
        if changed and changed not in found:
            found.append(changed)
    return found


def _bind(call: Callable, case: dict) -> Callable:
    """``call`` with ``case`` filled in, as ``_drive`` calls it."""
    return lambda f, w, g, s, t: call(f, w, g, s, t, case)


def _judge(
    learner: Callable,
    cases: list[dict],
    reference: Callable,
    call: Callable,
    n_state: int,
    mistakes: dict[str, Callable],
    name: str,
    success: str,
    returns: str,
    right: Callable,
    defaults: dict,
) -> CheckResult:
    """Run ``learner`` on every case; on the first wrong one, name the mistake it matches:
    one of ``mistakes`` (step functions), or ``right`` run with settings written in."""
    for case in cases:
        w0, trace = reference(case)

        bound = _bind(call, case)
        got, problem = _drive(learner, w0, trace, n_state, bound, returns)
        if problem is not None:
            return problem
        want = [w for _, w in trace]
        if all(np.allclose(a, b, rtol=RTOL, atol=ATOL) for a, b in zip(got, want, strict=True)):
            continue
        first = next(
            i for i, (a, b) in enumerate(zip(got, want, strict=True))
            if not np.allclose(a, b, rtol=RTOL, atol=ATOL)
        )  # fmt: skip
        candidates = [(hint, wrong, bound) for hint, wrong in mistakes.items()]
        for fixed in _written_in(case, cases, defaults):
            typed = ", ".join(f"{k} = {v:g}" for k, v in fixed.items())
            given = ", ".join(f"{k} = {case[k]:g}" for k in fixed)
            hint = (
                f"{typed} written in: use the argument{'s' if len(fixed) > 1 else ''} "
                f"{', '.join(fixed)} (this case passes {given})"
            )
            candidates.append((hint, right, _bind(call, {**case, **fixed})))
        for hint, wrong, calls in candidates:
            with np.errstate(all="ignore"):
                seq, _ = _drive(wrong, w0, trace, n_state, calls, returns)
            if len(seq) == len(got) and all(
                np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)
                for a, b in zip(got, seq, strict=True)
            ):
                return incorrect(hint)
        a, b = got[first], want[first]
        err = float(np.nanmax(np.abs(a - b))) if np.all(np.isfinite(a)) else float("nan")
        settings = ", ".join(f"{k}={v}" for k, v in case.items() if k not in ("shape", "seed"))
        return incorrect(
            f"with w of shape {case['shape']} and {settings}: the weights after step "
            f"{first + 1} differ from the library's {name} by up to {err:.3g}"
            + (" (the first step already)" if first == 0 else "")
            + ". Write the update line by line from the formulas above"
        )
    return correct(success)


# ---- 1. SGD with momentum ----


def _momentum(buf_rule, w_rule):
    def step(w, g, buf, lr, beta):
        new_buf = buf_rule(buf, g, beta)
        return w_rule(w, g, buf, new_buf, lr, beta), new_buf

    return step


_MOMENTUM_MISTAKES = {
    "that is a moving average, b = beta*b + (1 - beta)*g (dampening = 1 - beta); torch's SGD "
    "adds the whole gradient, b = beta*b + g, so on a steady slope the step grows to "
    "lr / (1 - beta)": _momentum(lambda b, g, be: be * b + (1 - be) * g,
                                 lambda w, g, b, nb, lr, be: w - lr * nb),
    "you step with the *old* buffer: update b = beta*b + g first, then w = w - lr*b with the "
    "new b": _momentum(lambda b, g, be: be * b + g, lambda w, g, b, nb, lr, be: w - lr * b),
    "the buffer is not used: that is plain SGD, w - lr*g. Step along b instead": _momentum(
        lambda b, g, be: be * b + g, lambda w, g, b, nb, lr, be: w - lr * g),
    "that is Nesterov's look-ahead, w - lr*(g + beta*b); plain momentum steps along b itself":
    _momentum(lambda b, g, be: be * b + g, lambda w, g, b, nb, lr, be: w - lr * (g + be * nb)),
    "a sign is flipped: the step goes down the slope, w = w - lr*b": _momentum(
        lambda b, g, be: be * b + g, lambda w, g, b, nb, lr, be: w + lr * nb),
    "you forgot the learning rate: w = w - lr*b": _momentum(
        lambda b, g, be: be * b + g, lambda w, g, b, nb, lr, be: w - nb),
    "beta multiplies the gradient instead of the old buffer: b = beta*b + g": _momentum(
        lambda b, g, be: b + be * g, lambda w, g, b, nb, lr, be: w - lr * nb),
    "b = b + g keeps every past gradient at full weight, so the buffer only grows: multiply the "
    "old buffer by beta, b = beta*b + g": _momentum(
        lambda b, g, be: b + g, lambda w, g, b, nb, lr, be: w - lr * nb),
}  # fmt: skip


def check_momentum_step(momentum_step: Callable) -> CheckResult:
    """Check ``momentum_step(w, grad, buf, lr, beta) -> (w_new, buf_new)`` against
    ``SGD(params, lr, momentum=beta)``: b = beta*b + g, w = w - lr*b, b starting at zeros."""
    return _judge(
        momentum_step,
        MOMENTUM_CASES,
        lambda c: reference_run(SGD, c, lr=c["lr"], momentum=c["beta"]),
        lambda f, w, g, s, t, c: f(w, g, s[0], c["lr"], c["beta"]),
        1,
        _MOMENTUM_MISTAKES,
        "SGD(momentum=beta)",
        "correct! your momentum step matches the library's SGD(momentum=beta) (torch's rule) "
        "step by step, on a vector and on a matrix",
        "(w_new, buf_new)",
        _momentum(lambda b, g, be: be * b + g, lambda w, g, b, nb, lr, be: w - lr * nb),
        {"beta": 0.9},
    )


# ---- 2. RMSprop ----


def _rms(v_rule, w_rule):
    def step(w, g, v, lr, alpha, eps):
        nv = v_rule(v, g, alpha)
        return w_rule(w, g, v, nv, lr, eps), nv

    return step


_AVG = lambda v, g, a: a * v + (1 - a) * g * g  # noqa: E731 - the right average, for the mistakes
_STEP = lambda w, g, v, nv, lr, eps: w - lr * g / (np.sqrt(nv) + eps)  # noqa: E731

_RMSPROP_MISTAKES = {
    "eps goes outside the square root: w - lr*g / (sqrt(v) + eps), as torch does": _rms(
        _AVG, lambda w, g, v, nv, lr, eps: w - lr * g / np.sqrt(nv + eps)),
    "alpha and 1 - alpha are swapped: v = alpha*v + (1 - alpha)*g^2 keeps most of the old "
    "average (alpha = 0.99)": _rms(lambda v, g, a: (1 - a) * v + a * g * g, _STEP),
    "that adds g^2 without the factor (1 - alpha): v = alpha*v + (1 - alpha)*g^2": _rms(
        lambda v, g, a: a * v + g * g, _STEP),
    "that is Adagrad's running sum, v = v + g^2, which only grows; RMSprop keeps a moving "
    "average, v = alpha*v + (1 - alpha)*g^2": _rms(lambda v, g, a: v + g * g, _STEP),
    "divide by the square root of v: w - lr*g / (sqrt(v) + eps)": _rms(
        _AVG, lambda w, g, v, nv, lr, eps: w - lr * g / (nv + eps)),
    "you divide by the *old* average: update v with this step's g^2 first, then step": _rms(
        _AVG, lambda w, g, v, nv, lr, eps: w - lr * g / (np.sqrt(v) + eps)),
    "square the gradient: v averages g^2 (g*g), not g or |g|": _rms(
        lambda v, g, a: a * v + (1 - a) * np.abs(g), _STEP),
    "a sign is flipped: w = w - lr*g / (sqrt(v) + eps)": _rms(
        _AVG, lambda w, g, v, nv, lr, eps: w + lr * g / (np.sqrt(nv) + eps)),
    "you forgot the learning rate: w = w - lr*g / (sqrt(v) + eps)": _rms(
        _AVG, lambda w, g, v, nv, lr, eps: w - g / (np.sqrt(nv) + eps)),
}  # fmt: skip


def check_rmsprop_step(rmsprop_step: Callable) -> CheckResult:
    """Check ``rmsprop_step(w, grad, sq_avg, lr, alpha, eps) -> (w_new, sq_avg_new)`` against
    ``RMSprop(params, lr, alpha, eps)``: v = alpha*v + (1 - alpha)*g^2,
    w = w - lr*g / (sqrt(v) + eps), v starting at zeros."""
    return _judge(
        rmsprop_step,
        RMSPROP_CASES,
        lambda c: reference_run(RMSprop, c, lr=c["lr"], alpha=c["alpha"], eps=c["eps"]),
        lambda f, w, g, s, t, c: f(w, g, s[0], c["lr"], c["alpha"], c["eps"]),
        1,
        _RMSPROP_MISTAKES,
        "RMSprop",
        "correct! your RMSprop step matches the library's RMSprop (torch's rule) step by step, "
        "eps outside the square root and all",
        "(w_new, sq_avg_new)",
        _rms(_AVG, _STEP),
        {"alpha": 0.99, "eps": 1e-8},  # torch's defaults
    )


# ---- 3. Adam ----


def _adam(step_rule, m_rule=None, v_rule=None):
    def step(w, g, m, v, t, lr, b1, b2, eps):
        nm = m_rule(m, g, b1, b2) if m_rule else b1 * m + (1 - b1) * g
        nv = v_rule(v, g, b1, b2) if v_rule else b2 * v + (1 - b2) * g * g
        return step_rule(w, g, nm, nv, t, lr, b1, b2, eps), nm, nv

    return step


def _corrected(t_shift=0, m_on=True, v_on=True, eps_inside=False, paper=False, use_g=False,
               lr_scale=1.0):  # fmt: skip
    """Adam's step with one classic mistake switched on (none: the right step); ``lr_scale``
    -1 flips the step's sign, 0 leaves the learning rate out (a step of lr = 1)."""

    def rule(w, g, m, v, t, lr, b1, b2, eps):
        lr = lr * lr_scale if lr_scale else 1.0
        tt = t + t_shift
        m_hat = m / (1 - b1**tt) if m_on else m
        v_hat = v / (1 - b2**tt) if v_on else v
        if use_g:
            m_hat = g
        if paper:  # Kingma & Ba's "efficient" form: eps before the correction of v
            return w - lr * np.sqrt(1 - b2**tt) / (1 - b1**tt) * m / (np.sqrt(v) + eps)
        if eps_inside:
            return w - lr * m_hat / np.sqrt(v_hat + eps)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)

    return rule


_ADAM_MISTAKES = {
    "no bias correction: divide m by (1 - beta1^t) and v by (1 - beta2^t) before the step. "
    "Without it the first steps are several times too long (m and v start at 0)": _adam(
        _corrected(m_on=False, v_on=False)),
    "only m is bias-corrected; v needs it too: v_hat = v / (1 - beta2^t)": _adam(
        _corrected(v_on=False)),
    "only v is bias-corrected; m needs it too: m_hat = m / (1 - beta1^t)": _adam(
        _corrected(m_on=False)),
    "off by one: t is the number of this step, 1 on the first call (use beta^t, not "
    "beta^(t - 1))": _adam(_corrected(t_shift=-1)),
    "off by one: t is the number of this step, 1 on the first call (use beta^t, not "
    "beta^(t + 1))": _adam(_corrected(t_shift=1)),
    "eps goes outside the square root: m_hat / (sqrt(v_hat) + eps), as torch does": _adam(
        _corrected(eps_inside=True)),
    "that is the paper's 'efficient' form, which adds eps to sqrt(v) before correcting it; "
    "torch (and the library) add it after: m_hat / (sqrt(v_hat) + eps)": _adam(
        _corrected(paper=True)),
    "beta1 and beta2 are swapped: m uses beta1 (0.9), v uses beta2 (0.999)": _adam(
        _corrected(), m_rule=lambda m, g, b1, b2: b2 * m + (1 - b2) * g,
        v_rule=lambda v, g, b1, b2: b1 * v + (1 - b1) * g * g),
    "the step uses g itself; Adam steps along the average m_hat (that is what makes it "
    "momentum + RMSprop)": _adam(_corrected(use_g=True)),
    "v averages the squared gradient g*g, not g": _adam(
        _corrected(), v_rule=lambda v, g, b1, b2: b2 * v + (1 - b2) * np.abs(g)),
    "a sign is flipped: the step goes down the slope, w = w - lr*m_hat / (sqrt(v_hat) + eps)":
    _adam(_corrected(lr_scale=-1.0)),
    "you forgot the learning rate: w = w - lr*m_hat / (sqrt(v_hat) + eps)": _adam(
        _corrected(lr_scale=0.0)),
}  # fmt: skip


def check_adam_step(adam_step: Callable) -> CheckResult:
    """Check ``adam_step(w, grad, m, v, t, lr, beta1, beta2, eps) -> (w_new, m_new, v_new)``
    against ``Adam(params, lr, betas=(beta1, beta2), eps)``, t = 1, 2, ... the step number:
    m = b1*m + (1 - b1)*g, v = b2*v + (1 - b2)*g^2, w = w - lr*m_hat / (sqrt(v_hat) + eps)."""
    return _judge(
        adam_step,
        ADAM_CASES,
        lambda c: reference_run(Adam, c, lr=c["lr"], betas=(c["beta1"], c["beta2"]), eps=c["eps"]),
        lambda f, w, g, s, t, c: f(w, g, s[0], s[1], t, c["lr"], c["beta1"], c["beta2"], c["eps"]),
        2,
        _ADAM_MISTAKES,
        "Adam",
        "correct! your Adam step, bias correction included, matches the library's Adam "
        "(torch's rule) step by step",
        "(w_new, m_new, v_new)",
        _adam(_corrected()),
        {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},  # torch's defaults
    )
