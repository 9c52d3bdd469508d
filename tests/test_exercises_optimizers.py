"""The checkers of notebooks/07_optimizers.ipynb: right answers in every form pass, stubs are
"not attempted", and each classic mistake (written here as a learner would) gets its hint."""

import numpy as np
import pytest

from backprop_lib.exercises import optimizers as ex
from backprop_lib.optim import SGD, Adam, RMSprop

# ---- right answers, in the forms a learner writes them ----


def momentum_step(w, grad, buf, lr, beta):  # as in the notebook
    buf = beta * buf + grad
    return w - lr * buf, buf


def momentum_velocity(w, grad, v, lr, beta):  # Polyak / Distill's form: v = beta v - lr g
    v = beta * v - lr * grad
    return w + v, v


def momentum_in_place_lists(w, grad, buf, lr, beta):  # in place, returned as lists
    buf *= beta
    buf += grad
    w -= lr * buf
    return w.tolist(), buf.tolist()


def rmsprop_step(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
    return w - lr * grad / (np.sqrt(sq_avg) + eps), sq_avg


def rmsprop_tuple_list(w, grad, sq_avg, lr, alpha, eps):
    sq_avg = alpha * sq_avg + (1 - alpha) * np.square(grad)
    return [w - lr * grad / (sq_avg**0.5 + eps), sq_avg]


def adam_step(w, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_torch_form(w, grad, m, v, t, lr, beta1, beta2, eps):  # torch's code order
    m = m * beta1 + grad * (1 - beta1)
    v = v * beta2 + grad * grad * (1 - beta2)
    denom = np.sqrt(v) / np.sqrt(1 - beta2**t) + eps
    return w - (lr / (1 - beta1**t)) * m / denom, m, v


def stub(*args):
    raise NotImplementedError


CHECKS = [ex.check_momentum_step, ex.check_rmsprop_step, ex.check_adam_step]


@pytest.mark.parametrize(
    "check, answer",
    [
        (ex.check_momentum_step, momentum_step),
        (ex.check_momentum_step, momentum_velocity),
        (ex.check_momentum_step, momentum_in_place_lists),
        (ex.check_rmsprop_step, rmsprop_step),
        (ex.check_rmsprop_step, rmsprop_tuple_list),
        (ex.check_adam_step, adam_step),
        (ex.check_adam_step, adam_torch_form),
    ],
)
def test_right_answers_pass(check, answer):
    result = check(answer)
    assert result.correct, result.message


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("answer", [stub, lambda *a: None, lambda *a: ...])
def test_stubs_are_not_attempted(check, answer):
    result = check(answer)
    assert result.status == "not attempted" and "not attempted yet" in str(result)


def test_the_cases_differ_in_size_and_settings():
    for cases in (ex.MOMENTUM_CASES, ex.RMSPROP_CASES, ex.ADAM_CASES):
        assert len({c["shape"] for c in cases}) == 2 and len({c["seed"] for c in cases}) == 2
        assert len({c["lr"] for c in cases}) == 2


@pytest.mark.parametrize(
    "cls, case, hyper",
    [
        (SGD, ex.MOMENTUM_CASES[1], lambda c: {"lr": c["lr"], "momentum": c["beta"]}),
        (RMSprop, ex.RMSPROP_CASES[1],
         lambda c: {"lr": c["lr"], "alpha": c["alpha"], "eps": c["eps"]}),
        (Adam, ex.ADAM_CASES[1],
         lambda c: {"lr": c["lr"], "betas": (c["beta1"], c["beta2"]), "eps": c["eps"]}),
    ],
)  # fmt: skip
def test_the_reference_moves_the_weights_and_feeds_its_own_gradients(cls, case, hyper):
    w0, trace = ex.reference_run(cls, case, **hyper(case))
    assert w0.shape == case["shape"] and len(trace) == ex.STEPS
    assert not np.allclose(trace[-1][1], w0)
    assert not np.allclose(trace[0][0], trace[-1][0])  # the gradient changes along the path


# ---- classic mistakes, as a learner writes them, and the hint each gets ----


def m_ema(w, g, b, lr, beta):
    b = beta * b + (1 - beta) * g
    return w - lr * b, b


def m_old_buffer(w, g, b, lr, beta):
    w = w - lr * b
    return w, beta * b + g


def m_plain(w, g, b, lr, beta):
    return w - lr * g, beta * b + g


def m_nesterov(w, g, b, lr, beta):
    b = beta * b + g
    return w - lr * (g + beta * b), b


def m_sign(w, g, b, lr, beta):
    b = beta * b + g
    return w + lr * b, b


def m_no_lr(w, g, b, lr, beta):
    b = beta * b + g
    return w - b, b


def m_beta_on_grad(w, g, b, lr, beta):
    b = b + beta * g
    return w - lr * b, b


@pytest.mark.parametrize(
    "answer, words",
    [(m_ema, "moving average"), (m_old_buffer, "old* buffer"), (m_plain, "plain SGD"),
     (m_nesterov, "Nesterov"), (m_sign, "sign"), (m_no_lr, "learning rate"),
     (m_beta_on_grad, "beta multiplies the gradient")],
)  # fmt: skip
def test_momentum_mistakes_get_their_hint(answer, words):
    result = ex.check_momentum_step(answer)
    assert result.status == "incorrect" and words in result.message


def r_eps_inside(w, g, v, lr, a, eps):
    v = a * v + (1 - a) * g**2
    return w - lr * g / np.sqrt(v + eps), v


def r_swapped(w, g, v, lr, a, eps):
    v = (1 - a) * v + a * g**2
    return w - lr * g / (np.sqrt(v) + eps), v


def r_adagrad(w, g, v, lr, a, eps):
    v = v + g**2
    return w - lr * g / (np.sqrt(v) + eps), v


def r_no_sqrt(w, g, v, lr, a, eps):
    v = a * v + (1 - a) * g**2
    return w - lr * g / (v + eps), v


def r_old_v(w, g, v, lr, a, eps):
    w = w - lr * g / (np.sqrt(v) + eps)
    return w, a * v + (1 - a) * g**2


@pytest.mark.parametrize(
    "answer, words",
    [(r_eps_inside, "eps goes outside"), (r_swapped, "swapped"), (r_adagrad, "Adagrad"),
     (r_no_sqrt, "square root of v"), (r_old_v, "old* average")],
)  # fmt: skip
def test_rmsprop_mistakes_get_their_hint(answer, words):
    result = ex.check_rmsprop_step(answer)
    assert result.status == "incorrect" and words in result.message


def _adam(correct_m=True, correct_v=True, shift=0, eps_inside=False, swap=False):
    def step(w, g, m, v, t, lr, b1, b2, eps):
        if swap:
            b1, b2 = b2, b1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        if swap:
            b1, b2 = b2, b1
        m_hat = m / (1 - b1 ** (t + shift)) if correct_m else m
        v_hat = v / (1 - b2 ** (t + shift)) if correct_v else v
        denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        return w - lr * m_hat / denom, m, v

    return step


def a_paper(w, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    return w - lr_t * m / (np.sqrt(v) + eps), m, v


def a_rmsprop_like(w, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    return w - lr * g / (np.sqrt(v / (1 - b2**t)) + eps), m, v


@pytest.mark.parametrize(
    "answer, words",
    [
        (_adam(correct_m=False, correct_v=False), "no bias correction"),
        (_adam(correct_v=False), "only m is bias-corrected"),
        (_adam(correct_m=False), "only v is bias-corrected"),
        (_adam(shift=1), "beta^(t + 1)"),
        (_adam(eps_inside=True), "eps goes outside"),
        (_adam(swap=True), "swapped"),
        (a_paper, "efficient"),
        (a_rmsprop_like, "average m_hat"),
    ],
)
def test_adam_mistakes_get_their_hint(answer, words):
    result = ex.check_adam_step(answer)
    assert result.status == "incorrect" and words in result.message


def test_t_minus_one_is_named_without_a_traceback():
    result = ex.check_adam_step(_adam(shift=-1))  # divides by 1 - beta^0 = 0 at the first step
    assert result.status == "incorrect" and "beta^(t - 1)" in result.message


def test_other_wrong_answers_get_a_useful_message():
    result = ex.check_momentum_step(lambda w, g, b, lr, beta: w - lr * g)
    assert "return a tuple (w_new, buf_new)" in result.message
    result = ex.check_adam_step(lambda w, g, m, v, t, lr, b1, b2, eps: (w.ravel(), m, v))
    assert result.status == "incorrect" and "shape" in result.message
    result = ex.check_momentum_step(
        lambda w, g, b, lr, beta: (w - 0.5 * lr * (beta * b + g), beta * b + g)
    )
    assert (
        result.status == "incorrect" and "differ" in result.message and "step 1" in result.message
    )
    result = ex.check_rmsprop_step(lambda *a: 1 / 0)
    assert result.status == "incorrect" and "ZeroDivisionError" in result.message
    assert ex.check_momentum_step("momentum_step").status == "incorrect"


def test_a_mistake_on_the_second_case_only_is_caught():
    """eps inside the square root matters only with the large eps of the second case."""
    assert ex.RMSPROP_CASES[0]["eps"] < 1e-6 < ex.RMSPROP_CASES[1]["eps"]
    assert ex.check_rmsprop_step(r_eps_inside).status == "incorrect"


# ---- hyperparameters written in, other forms, state of the wrong shape ----


def m_beta_written_in(w, g, b, lr, beta):
    b = 0.9 * b + g
    return w - lr * b, b


def m_lr_written_in(w, g, b, lr, beta):
    b = beta * b + g
    return w - 0.1 * b, b


def r_torch_defaults(w, g, v, lr, alpha, eps):
    v = 0.99 * v + 0.01 * g * g
    return w - lr * g / (np.sqrt(v) + 1e-8), v


def r_eps_written_in(w, g, v, lr, alpha, eps):
    v = alpha * v + (1 - alpha) * g * g
    return w - lr * g / (np.sqrt(v) + 1e-8), v


def a_torch_defaults(w, g, m, v, t, lr, b1, b2, eps):
    return adam_step(w, g, m, v, t, lr, 0.9, 0.999, 1e-8)


@pytest.mark.parametrize(
    "check, answer, words",
    [
        (ex.check_momentum_step, m_beta_written_in, "beta = 0.9 written in"),
        (ex.check_momentum_step, m_lr_written_in, "lr = 0.1 written in"),
        (ex.check_rmsprop_step, r_eps_written_in, "eps = 1e-08 written in"),
        (ex.check_rmsprop_step, r_torch_defaults, "alpha = 0.99 written in"),
        (
            ex.check_adam_step,
            a_torch_defaults,
            "beta1 = 0.9, beta2 = 0.999, eps = 1e-08 written in",
        ),
    ],
    ids=["momentum-beta", "momentum-lr", "rmsprop-eps", "rmsprop-defaults", "adam-defaults"],
)
def test_hyperparameters_written_in_get_their_hint(check, answer, words):
    result = check(answer)
    assert result.status == "incorrect"
    assert words in result.message and "use the argument" in result.message, result.message


def _float32(step):
    def run(*args):
        return tuple(np.asarray(v, dtype=np.float32) for v in step(*args))

    return run


@pytest.mark.parametrize(
    "check, answer",
    [(ex.check_momentum_step, _float32(momentum_step)),
     (ex.check_rmsprop_step, _float32(rmsprop_step)),
     (ex.check_adam_step, _float32(adam_step))],
    ids=["momentum", "rmsprop", "adam"],
)  # fmt: skip
def test_float32_answers_pass(check, answer):
    result = check(answer)
    assert result.correct, result.message


def test_a_state_of_another_shape_is_a_hint_not_a_traceback():
    result = ex.check_momentum_step(
        lambda w, g, b, lr, beta: (w - lr * (beta * b + g), (beta * b + g).T)
    )
    assert result.status == "incorrect" and "(4, 2)" in result.message, result.message
    result = ex.check_adam_step(lambda w, g, m, v, t, lr, b1, b2, eps: (w, [1, [2]], v))
    assert result.status == "incorrect"


def m_sum(w, g, b, lr, beta):
    b = b + g
    return w - lr * b, b


def r_no_lr(w, g, v, lr, a, eps):
    v = a * v + (1 - a) * g * g
    return w - g / (np.sqrt(v) + eps), v


def a_sign(w, g, m, v, t, lr, b1, b2, eps):
    new_w, m, v = adam_step(w, g, m, v, t, lr, b1, b2, eps)
    return 2 * w - new_w, m, v  # w + lr * m_hat / (...)


def a_no_lr(w, g, m, v, t, lr, b1, b2, eps):
    return adam_step(w, g, m, v, t, 1.0, b1, b2, eps)


@pytest.mark.parametrize(
    "check, answer, words",
    [
        (ex.check_momentum_step, m_sum, "b = b + g"),
        (ex.check_rmsprop_step, r_no_lr, "forgot the learning rate"),
        (ex.check_adam_step, a_sign, "sign is flipped"),
        (ex.check_adam_step, a_no_lr, "forgot the learning rate"),
    ],
    ids=["momentum-sum", "rmsprop-no-lr", "adam-sign", "adam-no-lr"],
)
def test_more_mistakes_get_their_hint(check, answer, words):
    result = check(answer)
    assert result.status == "incorrect" and words in result.message, result.message
