"""Tests for backprop_lib.data: shapes, dtypes, determinism, class balance, helpers, digits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_lib import data

CLASSIFICATION = [
    (data.make_moons, {}, 2),
    (data.make_circles, {}, 2),
    (data.make_xor, {}, 2),
    (data.make_spirals, {"k": 3}, 3),
    (data.make_spirals, {"k": 5}, 5),
    (data.make_blobs, {"centers": 4}, 4),
]
IDS = ["moons", "circles", "xor", "spirals3", "spirals5", "blobs4"]


@pytest.mark.parametrize("make, kwargs, k", CLASSIFICATION, ids=IDS)
@pytest.mark.parametrize("n", [40, 203])
def test_classification_shapes_dtypes_and_balance(make, kwargs, k, n):
    X, y = make(n=n, noise=0.1, rng=0, **kwargs)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("make, kwargs, k", CLASSIFICATION, ids=IDS)
def test_same_seed_same_data_other_seed_other_data(make, kwargs, k):
    X1, y1 = make(n=60, noise=0.1, rng=3, **kwargs)
    X2, y2 = make(n=60, noise=0.1, rng=np.random.default_rng(3), **kwargs)
    X3, _ = make(n=60, noise=0.1, rng=4, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("make, kwargs, k", CLASSIFICATION, ids=IDS)
def test_rows_are_shuffled(make, kwargs, k):
    _, y = make(n=100, noise=0.1, rng=0, **kwargs)
    assert not (np.diff(y) >= 0).all()  # not sorted by class


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(100, noise=0.0, rng=0)
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0)
    assert (outer[:, 1] >= -1e-12).all() and (inner[:, 1] <= 0.5 + 1e-12).all()


def test_circles_without_noise_have_radius_one_and_factor():
    X, y = data.make_circles(80, noise=0.0, factor=0.3, rng=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)


def test_xor_without_noise_labels_are_the_xor_of_the_signs():
    X, y = data.make_xor(100, noise=0.0, rng=0)
    np.testing.assert_array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(int))


def test_blobs_accept_explicit_centers():
    centers = np.array([[10.0, 0.0], [-10.0, 0.0]])
    X, y = data.make_blobs(50, centers=centers, noise=0.1, rng=0)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [10.0, 0.0], atol=0.1)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [-10.0, 0.0], atol=0.1)


def test_spirals_radius_is_within_the_unit_disc_without_noise():
    X, _ = data.make_spirals(90, k=3, noise=0.0, rng=0)
    assert np.hypot(*X.T).max() == pytest.approx(1.0)


def test_sine_is_a_regression_set_of_column_vectors():
    X, y = data.make_sine(50, noise=0.0, rng=0)
    assert X.shape == y.shape == (50, 1) and y.dtype == np.float64
    np.testing.assert_allclose(y, np.sin(X))
    assert (np.abs(X) <= np.pi).all()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.make_moons(0), ValueError, "make_moons n must be an int >= 2"),
        (lambda: data.make_moons(10.5), TypeError, "make_moons n must be an int"),
        (lambda: data.make_moons(10, noise=-1), ValueError, "noise must be a finite number"),
        (lambda: data.make_circles(10, factor=1.5), ValueError, "factor must be in"),
        (lambda: data.make_spirals(10, k=1), ValueError, "k .the number of classes."),
        (lambda: data.make_blobs(10, centers=np.zeros((2, 3))), ValueError, r"shape \(k, 2\)"),
        (lambda: data.make_sine(5, rng="seed"), TypeError, "rng must be"),
    ],
)
def test_bad_arguments_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- helpers ----


def test_train_test_split_partitions_the_rows():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.25, rng=0)
    assert len(X_te) == 5 and len(X_tr) == 15
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired with their labels
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)
    again = data.train_test_split(X, y, test_size=0.25, rng=0)
    np.testing.assert_array_equal(again[3], y_te)


def test_train_test_split_int_test_size_and_errors():
    X, y = np.zeros((10, 1)), np.zeros(10)
    assert len(data.train_test_split(X, y, test_size=3, rng=0)[1]) == 3
    assert len(data.train_test_split(X, y, test_size=0.21, rng=0)[1]) == 3  # ceil, as sklearn
    with pytest.raises(ValueError, match="test_size"):
        data.train_test_split(X, y, test_size=1.0)
    with pytest.raises(ValueError, match="both parts need at least one row"):
        data.train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match="one label per row"):
        data.train_test_split(X, y[:5])


def test_standardize_uses_the_training_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(100, 3))
    X_test = rng.normal(-5.0, 1.0, size=(30, 3))
    Xs_train, Xs_test, mean, std = data.standardize(X_train, X_test)
    np.testing.assert_allclose(mean, X_train.mean(axis=0))
    np.testing.assert_allclose(std, X_train.std(axis=0))
    np.testing.assert_allclose(Xs_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Xs_train.std(axis=0), 1.0)
    np.testing.assert_allclose(Xs_test, (X_test - mean) / std)
    assert (Xs_test.mean(axis=0) < -2).all()  # the test set is NOT re-centred on itself


def test_standardize_constant_columns_and_no_test_set():
    X = np.c_[np.zeros(5), np.arange(5.0)]
    Xs, none, mean, std = data.standardize(X)
    assert none is None and std[0] == 1.0
    np.testing.assert_array_equal(Xs[:, 0], 0.0)
    with pytest.raises(ValueError, match="same 2 columns"):
        data.standardize(X, np.zeros((3, 3)))


def test_one_hot():
    out = data.one_hot(np.array([2, 0, 1]), num_classes=4)
    np.testing.assert_array_equal(out, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert data.one_hot(np.array([1, 1])).shape == (2, 2)
    with pytest.raises(ValueError, match="check num_classes"):
        data.one_hot(np.array([3]), num_classes=3)
    with pytest.raises(ValueError, match="int labels"):
        data.one_hot(np.array([0.5]))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 1000))
def test_minibatches_cover_every_row_once(n, batch_size, seed):
    X = np.arange(n * 2.0).reshape(n, 2)
    y = np.arange(n)
    batches = list(data.minibatches(X, y, batch_size, rng=seed))
    assert all(len(xb) == len(yb) for xb, yb in batches)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), y)
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)


def test_minibatches_unshuffled_keep_order_and_check_arguments_at_once():
    X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    got = [yb.tolist() for _, yb in data.minibatches(X, y, 2, shuffle=False)]
    assert got == [[0, 1], [2, 3], [4]]
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        data.minibatches(X, y, 0)  # raises on the call, not on first use


# ---- digits ----


def test_digits_shape_dtype_range_and_labels():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(X * 16), np.arange(17))  # pixel counts 0..16
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.min() >= 170 and counts.max() <= 185


def test_digits_returns_fresh_arrays():
    X, y = data.load_digits()
    X[:] = -1.0
    y[:] = -1
    X2, y2 = data.load_digits()
    assert X2.min() == 0.0 and y2.min() == 0


def test_digits_first_image_is_a_zero():
    X, y = data.load_digits()
    image = X[0].reshape(8, 8)
    assert y[0] == 0
    assert image[:, 0].max() == 0.0 and image[3:5, 3:5].max() <= 0.25  # a ring, empty centre


def test_digits_file_is_small_and_documented():
    from pathlib import Path

    folder = Path(data.__file__).parent / "datasets"
    assert (folder / "digits.csv.gz").stat().st_size < 100_000
    readme = (folder / "README.md").read_text()
    assert "CC BY 4.0" in readme and "Alpaydin" in readme and "BSD" in readme


# ---- the checks training makes on X and y (through fit's errors in test_training.py) ----


def test_checked_features_are_a_private_copy_in_the_models_dtype():
    X = np.arange(6).reshape(3, 2)  # ints are fine
    checked = data.check_features(X, "X", np.float32)
    assert checked.dtype == np.float32 and checked.shape == (3, 2)
    X[0, 0] = 99  # the caller changing its array afterwards changes nothing
    assert checked[0, 0] == 0
    with pytest.raises(ValueError, match=r"X.reshape\(-1, 1\)"):
        data.check_features(np.ones(3), "X", np.float64)


def test_checked_targets_take_the_shape_each_loss_needs():
    from backprop_lib import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss

    labels = np.array([0, 1, 1])
    binary = data.check_targets(labels, 3, "y", BCEWithLogitsLoss(), np.float32)
    assert binary.shape == (3, 1) and binary.dtype == np.float32  # like the model's output
    classes = data.check_targets(labels.astype(np.int32), 3, "y", CrossEntropyLoss(), float)
    assert classes.shape == (3,) and classes.dtype == np.int64
    values = data.check_targets(labels.reshape(3, 1), 3, "y", MSELoss(), np.float64)
    assert values.shape == (3, 1) and values.dtype == np.float64
    with pytest.raises(ValueError, match="2 entries but X has 3 rows"):
        data.check_targets(labels[:2], 3, "y", MSELoss(), np.float64)
    with pytest.raises(ValueError, match="int class labels"):
        data.check_targets(labels.astype(float), 3, "y", CrossEntropyLoss(), np.float64)
