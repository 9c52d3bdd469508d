"""The capstone's checkers accept every right answer and name each classic mistake."""

import numpy as np
import pytest

from backprop_lib.bridge import torch_available
from backprop_lib.exercises import capstone as ex

# ---- the confusion matrix ----


def right_confusion(y_true, y_pred, k):
    m = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        m[t, p] += 1
    return m


def test_confusion_matrix_accepts_arrays_lists_and_floats():
    assert ex.check_confusion_matrix(right_confusion).correct
    assert ex.check_confusion_matrix(lambda t, p, k: right_confusion(t, p, k).tolist()).correct
    assert ex.check_confusion_matrix(lambda t, p, k: right_confusion(t, p, k) * 1.0).correct


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda t, p, k: right_confusion(t, p, k).T, "transposed"),
        (lambda t, p, k: right_confusion(t, p, k) / len(t), "counts, not fractions"),
        (
            lambda t, p, k: (
                right_confusion(t, p, k)
                / np.maximum(right_confusion(t, p, k).sum(1, keepdims=True), 1)
            ),
            "counts, not fractions of each row",
        ),
        (
            lambda t, p, k: right_confusion(t, p, 10) if max(t.max(), p.max()) < 10 else 0,
            "fixed 10",
        ),
        (
            lambda t, p, k: right_confusion(
                np.unique(np.r_[t, p], return_inverse=True)[1][: len(t)],
                np.unique(np.r_[t, p], return_inverse=True)[1][len(t) :],
                len(np.unique(np.r_[t, p])),
            ),
            "never appears",
        ),
        (lambda t, p, k: right_confusion(t[: len(t) // 2], p[: len(p) // 2], k), "differs"),
    ],
    ids=["transposed", "fractions", "row-fractions", "fixed-10", "labels-seen", "half-batch"],
)
def test_confusion_matrix_names_each_mistake(wrong, hint):
    result = ex.check_confusion_matrix(wrong)
    assert not result.correct
    assert hint in result.message


def test_a_confusion_matrix_hard_coded_to_the_first_case_fails_on_the_next():
    first = ex._confusion_cases()[0]
    fixed = right_confusion(*first)
    result = ex.check_confusion_matrix(lambda t, p, k: fixed)
    assert not result.correct and "12 labels and 5 classes" in result.message


def test_confusion_matrix_stub_is_not_attempted():
    def stub(t, p, k):
        raise NotImplementedError()

    assert ex.check_confusion_matrix(stub).status == "not attempted"
    assert ex.check_confusion_matrix(lambda t, p, k: None).status == "not attempted"


def test_confusion_cases_are_not_symmetric_and_differ_in_size():
    cases = ex._confusion_cases()
    assert len({(len(t), k) for t, _, k in cases}) == len(cases)
    for t, p, k in cases:
        m = right_confusion(t, p, k)
        assert not np.array_equal(m, m.T)


# ---- accuracy from logits ----


def right_accuracy(logits, y):
    return float(np.mean(np.argmax(logits, axis=1) == y))


def test_accuracy_accepts_exact_rounded_and_array_answers():
    assert ex.check_accuracy_from_logits(right_accuracy).correct
    assert ex.check_accuracy_from_logits(lambda z, y: round(right_accuracy(z, y), 2)).correct
    assert ex.check_accuracy_from_logits(lambda z, y: np.array(right_accuracy(z, y))).correct


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda z, y: 100 * right_accuracy(z, y), "percentage"),
        (lambda z, y: int(np.sum(np.argmax(z, axis=1) == y)), "number of right answers"),
        (lambda z, y: 1 - right_accuracy(z, y), "error rate"),
        (lambda z, y: float(np.mean(np.argmax(z, axis=0)[: len(y)] == y[: z.shape[1]])), "axis=1"),
        (lambda z, y: right_accuracy(z[: len(y) // 2], y[: len(y) // 2]), "axis=1"),
        (lambda z, y: 4 / 6, "9 rows"),  # hard-coded to the first case
    ],
    ids=["percent", "count", "error-rate", "axis0", "half-batch", "hard-coded"],
)
def test_accuracy_names_each_mistake(wrong, hint):
    result = ex.check_accuracy_from_logits(wrong)
    assert not result.correct
    assert hint in result.message


def test_accuracy_cases_are_far_enough_apart_for_rounding():
    accs = [acc for _, _, acc in ex._logit_cases()]
    assert accs == [4 / 6, 5 / 9, 11 / 15]
    for z, y, acc in ex._logit_cases():
        assert right_accuracy(z, y) == acc
        assert abs(acc - 0.5) > 0.05 and abs(1 - 2 * acc) > 0.01  # 1 - acc is not acc


# ---- the model in torch ----


def test_translation_without_torch_says_it_is_skipped(monkeypatch):
    monkeypatch.setattr(ex, "torch_available", lambda: False)
    result = ex.check_torch_translation(lambda model: None)
    assert result.status == "not attempted" and "skipped" in result.message


needs_torch = pytest.mark.skipif(not torch_available(), reason="PyTorch is not installed")


def _translate(model, transpose=True, activation=True, dtype=None):
    import torch

    layers = []
    for layer in model.layers:
        if hasattr(layer, "W"):
            lin = torch.nn.Linear(layer.in_features, layer.out_features).double()
            with torch.no_grad():
                w = layer.W.data.T if transpose else layer.W.data
                lin.weight.copy_(torch.from_numpy(w.copy()).reshape(lin.weight.shape))
                lin.bias.copy_(torch.from_numpy(layer.b.data.copy()))
            layers.append(lin)
        elif activation:
            layers.append(torch.nn.ReLU() if type(layer).__name__ == "ReLU" else torch.nn.Tanh())
    net = torch.nn.Sequential(*layers)
    return net.float() if dtype == "float32" else net


@needs_torch
def test_translation_accepts_float64_and_float32_models():
    assert ex.check_torch_translation(_translate).correct
    assert ex.check_torch_translation(lambda m: _translate(m, dtype="float32")).correct


@needs_torch
def test_translation_names_an_untransposed_weight_and_a_missing_activation():
    result = ex.check_torch_translation(lambda m: _translate(m, transpose=False))
    assert not result.correct and "W.T" in result.message
    result = ex.check_torch_translation(lambda m: _translate(m, activation=False))
    assert not result.correct and "activation" in result.message


@needs_torch
def test_translation_hard_coded_to_the_first_models_sizes_fails():
    first = ex._translation_cases()[0]
    fixed = _translate(first)
    result = ex.check_torch_translation(lambda m: fixed)
    assert not result.correct and "5-5-2" in result.message


# ---- sizes read off the data, counts divided by the wrong number, layers half copied ----


def test_confusion_matrix_sized_by_the_largest_label_is_named():
    def largest_label(t, p, k):
        return right_confusion(t, p, max(t.max(), p.max()) + 1)

    result = ex.check_confusion_matrix(largest_label)
    assert not result.correct and "largest label" in result.message, result.message


def test_a_case_has_its_last_class_nowhere():
    assert any(max(t.max(), p.max()) < k - 1 for t, p, k in ex._confusion_cases())


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda z, y: np.sum(np.argmax(z, axis=1) == y) / 6, "divided by 6"),
        (lambda z, y: np.sum(np.argmax(z, axis=1) == y) / (len(y) - 1), "divided by 5"),
        (lambda z, y: np.sum(np.argmax(z, axis=1) == y) / (len(y) + 1), "divided by 7"),
        (lambda z, y: np.mean(np.argmax(z, axis=0) == y), "axis=1"),  # raises: (C,) vs (n,)
        (lambda z, y: np.mean(np.argmax(z) == y), "axis=1"),  # one argmax of the whole array
    ],
    ids=["fixed-6", "n-1", "n+1", "axis0-raises", "flat-argmax"],
)
def test_accuracy_names_the_divisor_and_the_axis(wrong, hint):
    result = ex.check_accuracy_from_logits(wrong)
    assert not result.correct and hint in result.message, result.message


def test_accuracy_accepts_numpy_float32_and_fractions():
    from fractions import Fraction

    assert ex.check_accuracy_from_logits(lambda z, y: np.float32(right_accuracy(z, y))).correct
    assert ex.check_accuracy_from_logits(
        lambda z, y: Fraction(int(np.sum(np.argmax(z, axis=1) == y)), len(y))
    ).correct


@needs_torch
def test_translation_with_the_activation_written_in_is_named():
    import torch

    def always_relu(model):
        net = _translate(model)
        net[1] = torch.nn.ReLU()
        return net

    result = ex.check_torch_translation(always_relu)
    assert not result.correct and "Tanh" in result.message and "ReLU" in result.message


@needs_torch
def test_translation_without_the_biases_copied_is_named():
    import torch

    def no_bias_copy(model):
        net = _translate(model)
        with torch.no_grad():
            net[0].bias.normal_()  # as torch.nn.Linear initialises it: not our b
        return net

    result = ex.check_torch_translation(no_bias_copy)
    assert not result.correct and "bias" in result.message and "layer 1" in result.message


@needs_torch
def test_translation_answers_that_are_not_models_get_a_message():
    for answer in (lambda m: "model", lambda m: [1, 2], lambda m: 1 / 0):
        assert ex.check_torch_translation(answer).status == "incorrect"


@pytest.mark.parametrize(
    "answer", [lambda *a: "text", lambda *a: [1, [2, 3]], lambda *a: {"a": 1}, lambda *a: [np.nan]]
)
def test_no_answer_makes_a_checker_raise(answer):
    assert ex.check_confusion_matrix(answer).status == "incorrect"
    assert ex.check_accuracy_from_logits(answer).status == "incorrect"


def _stub(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("answer", [_stub, lambda *a: None])
def test_every_capstone_checker_says_not_attempted_for_a_stub(answer):
    checks = [ex.check_confusion_matrix, ex.check_accuracy_from_logits]
    if torch_available():
        checks.append(ex.check_torch_translation)
    for check in checks:
        result = check(answer)
        assert result.status == "not attempted" and "not attempted yet" in str(result), check
