"""Input features: the map, its layer's backward against finite differences, and the runs
built with features, a test split and a learner's own data (``widgets.runs``)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib.features import FEATURES, InputFeatures, check_features, feature_map
from backprop_lib.instruments.gradcheck import gradcheck_layer
from backprop_lib.widgets.runs import Run, RunConfig, UserData


def test_feature_map_computes_each_feature_by_name():
    X = np.array([[0.5, -2.0], [1.5, 3.0]])
    got = feature_map(X, FEATURES)
    x1, x2 = X[:, 0], X[:, 1]
    want = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(got, want)
    # any order in, TFP's order out
    np.testing.assert_allclose(feature_map(X, ("sin(x2)", "x1")), np.column_stack([x1, np.sin(x2)]))


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    batch=st.integers(1, 7),
    chosen=st.sets(st.sampled_from(FEATURES), min_size=1),
    scaled=st.booleans(),
)
def test_input_features_backward_matches_finite_differences(seed, batch, chosen, scaled):
    rng = np.random.default_rng(seed)
    mean, std = (rng.normal(size=2), rng.uniform(0.5, 3, size=2)) if scaled else (None, None)
    layer = InputFeatures(chosen, 2, mean, std)
    errors = gradcheck_layer(layer, rng.normal(size=(batch, 2)) * 2, rng=seed)
    assert errors["x"] < 1e-7, errors


def test_one_column_features_and_every_column_standardised_pass_gradients_too():
    rng = np.random.default_rng(3)
    one = InputFeatures(("x1", "x1^2", "sin(x1)"), 1, [0.3], [2.0])
    assert gradcheck_layer(one, rng.normal(size=(5, 1)))["x"] < 1e-7
    many = InputFeatures(None, 5, rng.normal(size=5), rng.uniform(1, 2, size=5))
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(many(x), (x - many.mean) / many.std)
    assert gradcheck_layer(many, x)["x"] < 1e-7


def test_float32_stays_float32():
    x = np.ones((3, 2), dtype=np.float32)
    assert InputFeatures(("x1", "x1*x2"), 2, [0.5, 0.5], [2.0, 2.0])(x).dtype == np.float32


@pytest.mark.parametrize(
    "names, n_inputs, match",
    [
        (("x3",), 2, "unknown input features"),
        (("x1", "x1"), 2, "twice"),
        ((), 2, "at least one"),
        (("x2",), 1, "one input column"),
        (("x1",), 3, "features=None"),
    ],
)
def test_bad_feature_lists_are_named(names, n_inputs, match):
    with pytest.raises(ValueError, match=match):
        check_features(names, n_inputs)


def test_bad_statistics_and_call_order_are_errors():
    with pytest.raises(ValueError, match="std must be finite and > 0"):
        InputFeatures(None, 2, [0, 0], [1, 0])
    with pytest.raises(ValueError, match="one value per input column"):
        InputFeatures(None, 2, [0, 0, 0], None)
    with pytest.raises(RuntimeError, match="before forward"):
        InputFeatures(("x1",), 2).backward(np.ones((1, 1)))
    with pytest.raises(ValueError, match="expected"):
        InputFeatures(("x1",), 2)(np.ones((3, 4)))


# ---- runs with features, a test split and the learner's data -----------------------------------

SMALL = dict(n=60, epochs=5, hidden=(4,))


def test_features_put_a_feature_layer_first_and_the_default_adds_nothing():
    plain = Run(RunConfig(**SMALL))
    same = Run(RunConfig(features=("x2", "x1"), **SMALL))  # the columns as they are
    assert not isinstance(plain.model[0], InputFeatures)
    assert not isinstance(same.model[0], InputFeatures)
    run = Run(RunConfig(features=("x1", "x1^2", "sin(x2)"), **SMALL))
    assert isinstance(run.model[0], InputFeatures) and run.model[1].in_features == 3
    assert run.input_names == ["x1", "x1^2", "sin(x2)"]
    run.advance(5)
    assert len(run.history.loss) == 5 and np.all(np.isfinite(run.history.loss))


def test_squared_features_let_a_network_without_hidden_layers_cut_a_circle():
    """Logistic regression on x1, x2 cannot separate the circles; on x1², x2² it can."""
    base = dict(dataset="circles", hidden=(), epochs=300, lr=0.5, noise=0.1)
    flat = Run(RunConfig(**base))
    flat.advance(300)
    round_ = Run(RunConfig(features=("x1^2", "x2^2"), **base))
    round_.advance(300)
    assert flat.history.accuracy[-1] < 0.7
    assert round_.history.accuracy[-1] > 0.95


def test_test_ratio_holds_rows_out_and_records_test_loss():
    run = Run(RunConfig(test_ratio=0.25, **SMALL))
    assert len(run.X) == 45 and len(run.X_test) == 15
    both = np.vstack([run.X, run.X_test])
    assert len(np.unique(both, axis=0)) == 60  # a split: no row in both parts
    run.advance(5)
    assert len(run.history.val_loss) == 5 and len(run.history.val_accuracy) == 5
    assert Run(RunConfig(**SMALL)).X_test is None
    with pytest.raises(ValueError, match=r"test_ratio must be in \[0, 1\)"):
        RunConfig(test_ratio=1.0)


def test_user_data_classification_and_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3)) * [1, 100, 0.01] + [0, 500, 3]
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 500).astype(int)  # 0, 1, 2
    run = Run(RunConfig(data=(X, labels), dataset="mine", **{**SMALL, "n": 0}))
    assert run.classes == 3 and run.model[-1].out_features == 3
    first = run.model[0]
    np.testing.assert_allclose(first(X).mean(axis=0), 0, atol=1e-12)  # standardised inside
    np.testing.assert_allclose(first(X).std(axis=0), 1, atol=1e-12)
    target = X[:, :1] * 2.0
    reg = Run(RunConfig(data=(X[:, :1], target), dataset="line", **SMALL))
    assert reg.classes == 0 and type(reg.loss).__name__ == "MSELoss"
    same = RunConfig(data=(X, labels), dataset="a")
    assert same == RunConfig(data=(X.copy(), labels), dataset="a")  # equal numbers: equal
    assert same != RunConfig(data=(X + 1, labels), dataset="a")


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((10, 2)), np.zeros(10, int), "two classes"),
        (np.zeros((10, 2)), np.arange(9), "rows"),
        (np.zeros((3, 2)), np.array([0, 1, 0]), "too few"),
        (np.full((10, 2), np.nan), np.arange(10) % 2, "NaN"),
        (np.zeros((10, 2)), -(np.arange(10) % 2), "0..K-1"),
    ],
)
def test_bad_user_data_is_named(X, y, match):
    with pytest.raises(ValueError, match=match):
        UserData(X, y)


def test_unknown_dataset_names_the_way_to_bring_data():
    with pytest.raises(ValueError, match="data=load_csv|data=data.load_csv"):
        RunConfig(dataset="my.csv")
