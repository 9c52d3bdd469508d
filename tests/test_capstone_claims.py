"""Every number notebooks/12_capstone.ipynb states, computed with the notebook's own settings."""

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib import bridge
from backprop_lib.data import load_digits, standardize, train_test_split


@pytest.fixture(scope="module")
def run():
    """The notebook's split, standardisation and training run, cell for cell."""
    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.2, rng=1)
    X_train, X_val, mean, std = standardize(X_train, X_val)
    X_test = (X_test - mean) / std
    model = bl.mlp([64, 128, 64, 10], activation="relu", init="he", rng=0)
    loss = bl.CrossEntropyLoss()
    stop = bl.EarlyStopping(patience=5, min_delta=1e-3)
    history = bl.fit(model, loss, bl.Adam(model.parameters(), lr=1e-3), X_train, y_train,
                     epochs=100, batch_size=32, rng=0, validation_data=(X_val, y_val),
                     early_stopping=stop)  # fmt: skip
    sizes = (len(X_train), len(X_val), len(X_test))
    return {"model": model, "history": history, "X_train": X_train, "y_train": y_train,
            "X_test": X_test, "y_test": y_test, "sizes": sizes}  # fmt: skip


def test_the_split_is_64_16_20_percent(run):
    assert run["sizes"] == (1149, 288, 360)
    assert sum(run["sizes"]) == 1797


def test_the_network_has_17226_parameters(run):
    assert sum(p.data.size for p in run["model"].parameters()) == 17_226


def test_early_stopping_fires_and_the_test_accuracy_is_at_least_97_percent(run):
    h = run["history"]
    assert h.stop_reason == "early_stopping" and h.stopped_epoch < 100
    assert bl.accuracy(run["model"], run["X_test"], run["y_test"]) >= 0.97


def test_the_validation_loss_levels_off_more_than_ten_times_above_the_training_loss(run):
    h = run["history"]
    assert h.loss[-1] < h.loss[h.best_epoch - 1] < h.loss[0]  # the training loss keeps falling
    assert h.val_loss[-1] > 10 * h.loss[-1]
    assert min(h.val_loss[-5:]) > h.val_loss[h.best_epoch - 1] - 1e-3  # no 0.001 gain in 5


def test_the_layers_gradient_norms_stay_within_a_factor_of_three_and_shrink_together(run):
    norms = np.array(list(run["history"].grad_norms.values()))  # (layers, epochs)
    assert norms.shape[0] == 3
    assert (norms.max(axis=0) / norms.min(axis=0)).max() < 3
    assert (norms[:, -1] < norms[:, 0] / 10).all()


torch_only = pytest.mark.skipif(not bridge.torch_available(), reason="PyTorch is not installed")


@torch_only
def test_torch_gradients_agree_to_better_than_1e_11(run):
    fresh = bl.mlp([64, 128, 64, 10], activation="relu", init="he", rng=0)
    errors = bridge.compare_gradients(
        fresh, bl.CrossEntropyLoss(), run["X_train"][:64], run["y_train"][:64]
    )
    assert max(errors.values()) < 1e-11


@torch_only
def test_torch_adam_trajectory_agrees(run):
    start = bl.mlp([64, 128, 64, 10], activation="relu", init="he", rng=0)
    opt = bl.Adam(start.parameters(), lr=1e-3)
    X, y = run["X_train"][:256], run["y_train"][:256]
    drift = bridge.compare_training(start, bl.CrossEntropyLoss(), opt, X, y, steps=5)
    assert max(drift) < 1e-9
