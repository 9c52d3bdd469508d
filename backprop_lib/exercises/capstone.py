"""Checkers for notebooks/12_capstone.ipynb: a confusion matrix, accuracy from logits, and a
model of ours written again in PyTorch.

Each checker runs the learner's function on cases of different sizes whose data do not line
up by accident, accepts every right answer (lists or arrays, rounded numbers) and names the
classic mistakes: a transposed matrix, fractions instead of counts, a class count fixed at 10
or read off the labels, a percentage or a count instead of a fraction, a count divided by a
number other than n, a weight not transposed for torch, a bias not copied, a missing or
fixed activation. Without PyTorch the translation checker says so and the notebook runs on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..bridge import INSTALL_HINT, torch_available
from ..nn.activations import ReLU, Tanh
from ..nn.layers import Linear, Sequential
from ..training import confusion_matrix
from ._check import NOT_ATTEMPTED, CheckResult, compare_arrays, correct, incorrect, run_answer

__all__ = ["check_accuracy_from_logits", "check_confusion_matrix", "check_torch_translation"]


# ---- 1. the confusion matrix ----


def _confusion_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    """Three cases: 3 classes (7 rows); 5 classes (12 rows) where class 1 is never predicted and
    classes 2 and 4, the last, appear nowhere (their rows and columns are zeros), so that
    neither the labels seen (3) nor the largest label (4) give the size; 10 classes (40 rows).
    None of them is symmetric."""
    rng = np.random.default_rng(12)
    cases = [(np.array([0, 2, 1, 2, 0, 1, 2]), np.array([0, 1, 1, 2, 2, 1, 0]), 3)]
    y5 = np.array([0, 1, 3, 0, 1, 3, 3, 0, 1, 3, 0, 1])  # classes 2 and 4 never appear
    p5 = np.array([0, 0, 3, 3, 3, 0, 3, 0, 3, 3, 3, 0])  # nor are they (or 1) predicted
    cases.append((y5, p5, 5))
    y10 = rng.integers(0, 10, size=40)
    p10 = np.where(rng.random(40) < 0.7, y10, rng.integers(0, 10, size=40))
    cases.append((y10, p10, 10))
    return cases


def _confusion_mistakes(y_true, y_pred, k, expected) -> dict[str, object]:
    present = np.unique(np.concatenate([y_true, y_pred]))
    only_present = expected[np.ix_(present, present)]
    rows = expected.sum(axis=1, keepdims=True)
    top = int(max(y_true.max(), y_pred.max()))  # the largest label seen
    return {
        "rows should be the true classes and columns the predictions; yours is transposed "
        "(M[i, j] counts images of class i predicted as j)": expected.T,
        "the matrix holds counts, not fractions: leave out the division": expected / len(y_true),
        "the matrix holds counts, not fractions of each row: leave out the division": (
            expected / np.where(rows > 0, rows, 1)
        ),
        "a class that never appears (or is never predicted) still gets its row and column: "
        "size the matrix with num_classes, not with the labels you see": only_present,
        f"the matrix stops at the largest label seen ({top}), but this case has {k} classes: "
        "a class that never appears still gets its row and column, so size the matrix with "
        "num_classes": expected[: top + 1, : top + 1],
    }


def _shape(value) -> tuple | None:
    """The shape of a learner's array or nested list; None for a ragged one."""
    try:
        return np.shape(value)
    except ValueError:
        return None


def check_confusion_matrix(fn: Callable) -> CheckResult:
    """Check ``fn(y_true, y_pred, num_classes) -> (K, K)`` counts against the library's."""
    for y_true, y_pred, k in _confusion_cases():
        answer, problem = run_answer(
            fn, y_true.copy(), y_pred.copy(), k, what="confusion_matrix(y_true, y_pred, k)"
        )
        if problem is not None:
            return problem
        expected = confusion_matrix(y_true, y_pred, k)
        if k != 10 and _shape(answer) == (10, 10):
            return incorrect(
                f"this case has {k} classes: size the matrix with num_classes, not a fixed 10"
            )
        result = compare_arrays(
            answer, expected, name=f"your matrix for {len(y_true)} labels and {k} classes",
            mistakes=_confusion_mistakes(y_true, y_pred, k, expected), rtol=0, atol=1e-9,
        )  # fmt: skip
        if not result.correct:
            return result
    return correct("correct! rows are true classes, columns predictions, on all three cases")


# ---- 2. accuracy from logits ----


def _logit_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(logits, labels, accuracy): 6 x 3 with 4 right, 9 x 4 with 5 right, 15 x 10 with 11."""
    rng = np.random.default_rng(7)
    cases = []
    for n, c, right in ((6, 3, 4), (9, 4, 5), (15, 10, 11)):
        logits = rng.normal(size=(n, c))
        guess = logits.argmax(axis=1)
        wrong = rng.permutation(n)[: n - right]
        y = guess.copy()
        y[wrong] = (guess[wrong] + 1 + rng.integers(0, c - 1, size=len(wrong))) % c
        cases.append((logits, y, right / n))
    return cases


def check_accuracy_from_logits(fn: Callable) -> CheckResult:
    """Check ``fn(logits (n, C), y (n,)) -> fraction of rows whose argmax is the label``.

    A value rounded to two decimals (0.67 for 4/6) is accepted: the cases' accuracies are at
    least 1/15 apart, so rounding cannot make a wrong answer look right.
    """
    for logits, y, acc in _logit_cases():
        n = len(y)
        answer, problem = run_answer(
            fn, logits.copy(), y.copy(), what="accuracy_from_logits(logits, y)"
        )
        if problem is not None and "broadcast" in problem.message:
            return incorrect(
                f"{problem.message}: argmax over axis 0 gives one index per class (shape "
                f"({logits.shape[1]},)), not one per row; take it over each row, axis=1"
            )
        if problem is not None:
            return problem
        try:
            value = float(np.asarray(answer, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            return incorrect(f"return one number (a fraction), got {type(answer).__name__}")
        if abs(value - acc) <= 0.005:
            continue
        mistakes = {
            100 * acc: "return a fraction in [0, 1], not a percentage",
            acc * n: f"that is the number of right answers ({acc * n:.0f}); divide by the "
            f"number of rows ({n})",
            1 - acc: "that is the error rate; accuracy counts the rows where argmax == label",
        }
        for wrong, hint in mistakes.items():
            if abs(value - wrong) <= 0.005:
                return incorrect(hint)
        right = round(acc * n)
        divisor = right / value if value > 0 else 0.0
        if 0 < divisor <= 2 * n and abs(divisor - round(divisor)) < 1e-6:
            return incorrect(
                f"that is the {right} right answers divided by {round(divisor)}; divide by the "
                f"number of rows, n = {n} here (len(y), never a number written in)"
            )
        return incorrect(
            f"for {n} rows of {logits.shape[1]} logits you returned {value:.4f}; the accuracy is "
            f"{acc:.4f} ({acc * n:.0f} of {n}): take argmax over each row (axis=1)"
        )
    return correct("correct! argmax over each row, compared with the labels, averaged")


# ---- 3. the same model in PyTorch ----


def _translation_cases() -> list[Sequential]:
    """Two models of different sizes; the second has a square layer (W and W.T both fit)."""
    return [
        Sequential(Linear(4, 6, rng=1), ReLU(), Linear(6, 3, rng=2)),
        Sequential(Linear(5, 5, rng=3), Tanh(), Linear(5, 2, rng=4)),
    ]


def check_torch_translation(fn: Callable) -> CheckResult:
    """Check ``fn(model) -> torch.nn.Module`` computes what our ``Sequential`` computes."""
    if not torch_available():
        return CheckResult(NOT_ATTEMPTED, f"skipped: {INSTALL_HINT}")
    import torch

    for model in _translation_cases():
        sizes = f"{model[0].in_features}-{model[0].out_features}-{model[2].out_features}"
        theirs, problem = run_answer(fn, model, what="to_torch_by_hand(model)")
        if problem is not None:
            return problem
        if not isinstance(theirs, torch.nn.Module):
            return incorrect(f"return a torch.nn.Module, got {type(theirs).__name__}")
        X = np.random.default_rng(5).normal(size=(8, model[0].in_features))
        params = list(theirs.parameters())
        dtype = params[0].dtype if params else torch.float64
        try:
            with torch.no_grad():
                out = theirs(torch.from_numpy(X).to(dtype)).numpy().astype(np.float64)
        except Exception as exc:  # noqa: BLE001 - a learner's shapes: a hint, not a traceback
            return incorrect(
                f"running your {sizes} torch model raised {type(exc).__name__}: {exc}. "
                "torch's Linear(n_in, n_out) holds weight of shape (n_out, n_in): copy W.T"
            )
        expected = model.forward(X)
        rtol = 1e-10 if dtype == torch.float64 else 1e-4
        if out.shape == expected.shape and np.allclose(out, expected, rtol=rtol, atol=rtol):
            continue
        first = model[0]
        no_act = (X @ first.W.data + first.b.data) @ model[2].W.data + model[2].b.data
        untransposed = first.W.data.shape[0] == first.W.data.shape[1] and any(
            isinstance(m, torch.nn.Linear)
            and tuple(m.weight.shape) == first.W.data.shape
            and np.allclose(m.weight.detach().numpy().astype(np.float64), first.W.data)
            for m in theirs.modules()
        )
        if untransposed:
            return incorrect(
                f"for the {sizes} model: torch's weight is our W transposed (weight = W.T); "
                "you copied W as it is, which only fits a square layer by accident"
            )
        ours = [m for m in model.layers if isinstance(m, Linear)]
        linears = [m for m in theirs.modules() if isinstance(m, torch.nn.Linear)]
        for i, (a, b) in enumerate(zip(ours, linears, strict=False), start=1):
            weight = b.weight.detach().numpy().astype(np.float64)
            bias = None if b.bias is None else b.bias.detach().numpy().astype(np.float64)
            right_weight = weight.shape == a.W.data.T.shape and np.allclose(
                weight, a.W.data.T, rtol=rtol, atol=rtol
            )
            if right_weight and (
                bias is None or not np.allclose(bias, a.b.data, rtol=rtol, atol=rtol)
            ):
                return incorrect(
                    f"for the {sizes} model: layer {i}'s weight is right but its bias is not "
                    "ours; copy b into bias too (torch.nn.Linear starts with a random bias)"
                )
        want_act = type(model[1]).__name__
        acts = [type(m).__name__ for m in theirs.modules() if type(m).__name__ in ("ReLU", "Tanh")]
        if acts and want_act not in acts:
            return incorrect(
                f"for the {sizes} model: its activation is {want_act}, yours is {acts[0]}; "
                "translate each layer of the model you are given, not a fixed one"
            )
        if out.shape == expected.shape and np.allclose(out, no_act, rtol=rtol, atol=rtol):
            return incorrect(f"for the {sizes} model: the activation between the layers is missing")
        return incorrect(
            f"your {sizes} torch model's outputs differ from ours (shape {out.shape}, expected "
            f"{expected.shape}); copy each W as weight = W.T and each b as bias, and keep the "
            "activation in between"
        )
    return correct("correct! the torch model computes exactly what ours does, on both models")
