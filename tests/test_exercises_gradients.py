"""The checkers of notebooks/05_vanishing_gradients.ipynb: solutions pass, stubs are "not
attempted", and each typical mistake gets its specific hint. The expected answers are also
recomputed independently (sigma' on a grid, a sampled Xavier variance, torch's clipping rule
written out, the training History's dead-unit count)."""

import math

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.exercises import gradients as ex
from backprop_lib.training import fit

# ---- the solutions, as written in the notebook's <details> blocks ----


def max_product(depth):
    return 0.25**depth


def xavier_variance(fan_in, fan_out):
    return 2 / (fan_in + fan_out)


def clip_gradients(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    if total > max_norm:
        return [g * (max_norm / total) for g in grads]
    return grads


def dead_fraction(h):
    return np.mean(np.all(h == 0, axis=0))


def stub(*args):
    raise NotImplementedError


# ---- the expected answers agree with independent computations ----


def test_sigmoid_derivative_never_exceeds_a_quarter():
    z = np.linspace(-10, 10, 20001)
    assert bl.d_sigmoid(z).max() == pytest.approx(0.25)
    assert np.all(bl.d_sigmoid(z) <= 0.25 + 1e-15)


def test_xavier_variance_matches_samples_of_the_initialiser():
    w = bl.nn.init.xavier_normal((200, 300), rng=0)
    assert w.var() == pytest.approx(xavier_variance(200, 300), rel=0.02)
    w = bl.nn.init.xavier_uniform((200, 300), rng=1)
    assert w.var() == pytest.approx(xavier_variance(200, 300), rel=0.02)


def test_clip_solution_matches_torch_rule_and_keeps_direction():
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 3)) * 10, rng.normal(size=3)]
    clipped = clip_gradients([g.copy() for g in grads], 1.0)
    total = math.sqrt(sum(np.sum(c**2) for c in clipped))
    assert total == pytest.approx(1.0)
    ratio = clipped[0] / grads[0]
    assert np.allclose(ratio, ratio.flat[0])


def test_dead_fraction_matches_the_training_history():
    # a ReLU layer with very negative biases on half its units: those never fire
    rng = np.random.default_rng(0)
    model = bl.mlp([2, 8, 1], activation="relu", rng=rng)
    model[0].b.data[:4] = -100.0  # four of eight units never fire
    X, y = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
    h = model[1](model[0](X))
    assert dead_fraction(h) == pytest.approx(0.5)
    opt = bl.SGD(model.parameters(), lr=1e-9)
    history = fit(model, bl.MSELoss(), opt, X, y, epochs=1)
    assert list(history.saturation.values())[0][-1] == pytest.approx(dead_fraction(h))


# ---- solutions are correct, stubs not attempted ----


def test_solutions_are_correct():
    assert ex.check_sigmoid_bound(max_product).correct
    assert ex.check_xavier_variance(xavier_variance).correct
    assert ex.check_clip_gradients(clip_gradients).correct
    assert ex.check_dead_fraction(dead_fraction).correct


def test_library_clipping_is_accepted():
    def with_library(grads, max_norm):
        params = [bl.Parameter(g) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad[...] = g
        bl.clip_grad_norm(params, max_norm)
        return [p.grad for p in params]

    assert ex.check_clip_gradients(with_library).correct


def test_stubs_are_not_attempted():
    for check in [
        ex.check_sigmoid_bound,
        ex.check_xavier_variance,
        ex.check_clip_gradients,
        ex.check_dead_fraction,
    ]:
        result = check(stub)
        assert result.status == "not attempted"
        assert "not attempted yet" in str(result)
        assert check(lambda *a: None).status == "not attempted"


# ---- typical mistakes get their hint ----


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda d: 0.5**d, "1/4, not 1/2"),
        (lambda d: 0.25 * d, "multiply"),
        (lambda d: 0.25, "one factor per layer"),
        (lambda d: 1 / (4 * d), "not 1 / (4 * depth)"),
        (lambda d: 0.25 ** (d - 1), "count the factors"),
        (lambda d: 0.25 ** (d + 1), "one factor too many"),
        (lambda d: 0.0, "largest possible"),
        (lambda d: 0.3**d, "expected"),
        (lambda d: [1, 2], "one number"),
    ],
)
def test_sigmoid_bound_mistakes(answer, hint):
    result = ex.check_sigmoid_bound(answer)
    assert result.status == "incorrect"
    assert hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda i, o: math.sqrt(2 / (i + o)), "standard deviation"),
        (lambda i, o: 2 / i, "He"),
        (lambda i, o: 1 / i, "LeCun"),
        (lambda i, o: 1 / o, "backward condition"),
        (lambda i, o: 6 / (i + o), "uniform"),
        (lambda i, o: 1 / (i + o), "almost"),
        (lambda i, o: 2 / (i * o), "sum of the fans"),
        (lambda i, o: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_xavier_mistakes(answer, hint):
    result = ex.check_xavier_variance(answer)
    assert result.status == "incorrect"
    assert hint in result.message


def _per_array(grads, m):
    return [g * min(1.0, m / np.linalg.norm(g)) for g in grads]


def _total(grads):
    return np.sqrt(sum(np.sum(g**2) for g in grads))


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_per_array, "each array on its own"),
        (lambda grads, m: [np.clip(g, -m, m) for g in grads], "np.clip"),
        (lambda grads, m: [g * (m / _total(grads)) for g in grads], "only clip"),
        (lambda grads, m: [g * max(1.0, _total(grads) / m) for g in grads], "not total / max"),
        (
            lambda grads, m: [g * min(1.0, m / _total(grads) ** 2) for g in grads],
            "square root",
        ),
        (lambda grads, m: grads[0], "one array per gradient"),
        (lambda grads, m: [g.T for g in grads], "shape"),
        (lambda grads, m: [g * 0.5 for g in grads], "differs"),
    ],
)
def test_clip_mistakes(answer, hint):
    result = ex.check_clip_gradients(answer)
    assert result.status == "incorrect"
    assert hint in result.message


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda h: np.mean(h == 0), "zero *entries*"),
        (lambda h: 1 - np.mean(np.all(h == 0, axis=0)), "alive"),
        (lambda h: np.sum(np.all(h == 0, axis=0)), "number of dead units"),
        (lambda h: np.mean(np.all(h == 0, axis=1)), "axis=0"),
        (lambda h: np.all(h == 0, axis=0), "one number per unit"),
        (lambda h: 0.9, "expected"),
    ],
)
def test_dead_fraction_mistakes(answer, hint):
    result = ex.check_dead_fraction(answer)
    assert result.status == "incorrect"
    assert hint in result.message


def test_the_exercise_batch_has_dead_and_sparse_units():
    h = ex.DEAD_RELU_BATCH
    dead = np.all(h == 0, axis=0)
    assert dead.tolist() == [False, True, False, False, False, True, False, False]
    assert np.mean(h == 0) > np.mean(dead)  # zero entries outnumber dead units
    assert np.all(h >= 0)  # ReLU outputs


def test_the_first_and_last_rows_are_zero_where_units_are_alive():
    """So looking at one example does not find the dead units by luck."""
    for h in (ex.DEAD_RELU_BATCH, ex._OTHER_BATCH):
        dead = np.all(h == 0, axis=0)
        assert np.any((h[0] == 0) & ~dead) and np.any((h[-1] == 0) & ~dead)


def test_every_dead_fraction_mistake_gives_its_own_numbers():
    cases = [ex.DEAD_RELU_BATCH, ex._OTHER_BATCH]
    assert cases[0].shape[0] != cases[1].shape[0] and cases[0].shape[1] != cases[1].shape[1]
    right = tuple(round(float(dead_fraction(h)), 9) for h in cases)
    seen = {right: "right"}
    for hint, mistake in ex._DEAD_MISTAKES:
        numbers = tuple(round(float(mistake(h)), 9) for h in cases)
        assert numbers not in seen or seen[numbers] == hint, (hint, seen.get(numbers))
        seen[numbers] = hint


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda h: np.mean(h[0] == 0), "first example only"),
        (lambda h: np.mean(h[-1] == 0), "last example only"),
        (lambda h: np.mean(np.all(h[: len(h) // 2] == 0, axis=0)), "half of the batch"),
        (lambda h: np.mean(np.all(h[len(h) // 2 :] == 0, axis=0)), "half of the batch"),
        (lambda h: np.mean(h.std(0) == 0), "std 0"),
        (lambda h: np.mean(h.var(0) == 0), "std 0"),
        (lambda h: np.mean(h.mean(0) < 0.05), "threshold"),
        (lambda h: np.mean(h.max(0) < 0.05), "threshold"),
        (lambda h: np.mean(np.any(h == 0, axis=0)), "np.any"),
        (lambda h: 100 * np.mean(np.all(h == 0, axis=0)), "percentage"),
        (lambda h: np.sum(np.all(h == 0, axis=0)) / 8, "h.shape[1]"),
        (lambda h: np.sum(np.all(h[:8] == 0, axis=0)) / h.shape[1], "hard-coded"),
        (lambda h: np.mean(np.all(h == 0, axis=0)[:8]), "hard-coded"),
    ],
)
def test_more_dead_fraction_mistakes(answer, hint):
    result = ex.check_dead_fraction(answer)
    assert result.status == "incorrect"
    assert hint in result.message, result.message


@pytest.mark.parametrize(
    "answer",
    [
        lambda h: float(np.mean(np.all(h == 0, axis=0))),
        lambda h: np.mean(~h.any(axis=0)),
        lambda h: (h <= 0).all(axis=0).mean(),
        lambda h: np.count_nonzero(h.max(axis=0) == 0) / h.shape[1],
        lambda h: np.float32(dead_fraction(h)),
        lambda h: [dead_fraction(h)],
        lambda h: np.mean(h.sum(axis=0) == 0),
    ],
)
def test_dead_fraction_right_answers_in_other_forms(answer):
    result = ex.check_dead_fraction(answer)
    assert result.correct, result.message


def test_clip_sum_of_norms_mistake_is_named():
    def sum_of_norms(grads, m):
        total = sum(np.linalg.norm(g) for g in grads)
        return [g * min(1.0, m / total) for g in grads]

    result = ex.check_clip_gradients(sum_of_norms)
    assert result.status == "incorrect"
    assert "adding up the arrays' norms" in result.message


@pytest.mark.parametrize(
    "check, answer",
    [
        (ex.check_sigmoid_bound, lambda d: np.float32(0.25) ** d),
        (ex.check_sigmoid_bound, lambda d: float(np.prod([bl.d_sigmoid(0.0)] * d))),
        (ex.check_sigmoid_bound, lambda d: np.array([0.25**d])),
        (ex.check_xavier_variance, lambda i, o: np.float32(2 / (i + o))),
        (ex.check_xavier_variance, lambda i, o: 1 / ((i + o) / 2)),
        (ex.check_clip_gradients, lambda grads, m: tuple(clip_gradients(grads, m))),
        (
            ex.check_clip_gradients,
            lambda grads, m: clip_gradients([g.astype(np.float32) for g in grads], m),
        ),
        (
            ex.check_clip_gradients,
            lambda grads, m: [g.tolist() for g in clip_gradients([g.copy() for g in grads], m)],
        ),
        (
            ex.check_clip_gradients,
            lambda grads, m: [
                g * min(1.0, m / (np.linalg.norm(np.concatenate([a.ravel() for a in grads]))))
                for g in grads
            ],
        ),
    ],
)
def test_right_answers_in_other_forms(check, answer):
    result = check(answer)
    assert result.correct, result.message


def test_messages_show_enough_digits_to_differ():
    """Off by 1.6e-6 (relative): with 6 digits both numbers would read alike."""
    result = ex.check_sigmoid_bound(lambda d: 0.25**d * (1 + 1.6e-6))
    assert result.status == "incorrect"
    got, want = result.message.split("returned ")[1].split("; expected ")
    assert got != want, result.message
    result = ex.check_dead_fraction(lambda h: dead_fraction(h) * (1 + 1e-5))
    got, want = result.message.split("returned ")[1].split("; expected ")
    assert got != want, result.message


JUNK = ["abc", [[1.0, 2.0], [3.0]], {"a": 1}, object(), np.array([np.nan, 1.0]), 1j, True]
CHECKS = [
    ex.check_sigmoid_bound,
    ex.check_xavier_variance,
    ex.check_clip_gradients,
    ex.check_dead_fraction,
]


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_answers_are_incorrect_not_errors(check, junk):
    result = check(lambda *args: junk)
    assert result.status == "incorrect", result.message


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_inside_the_clipped_list_is_incorrect_not_an_error(junk):
    assert ex.check_clip_gradients(lambda grads, m: [junk] * len(grads)).status == "incorrect"
