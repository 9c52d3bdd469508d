"""make_scaled_regression: features on chosen scales, the same relationship at every scale."""

import numpy as np
import pytest

from backprop_lib.data import make_scaled_regression


def test_shapes_scales_offsets_and_the_best_fit_in_raw_units():
    X, y = make_scaled_regression(4000, scales=(500.0, 2.0), offsets=(2000.0, 3.0),
                                  weights=(1.0, -0.5), noise=0.01, rng=0)  # fmt: skip
    assert X.shape == (4000, 2) and y.shape == (4000, 1) and X.dtype == np.float64
    np.testing.assert_allclose(X.mean(axis=0), [2000.0, 3.0], rtol=0.02)
    np.testing.assert_allclose(X.std(axis=0), [500.0, 2.0], rtol=0.05)
    X1 = np.c_[X, np.ones(len(X))]
    w = np.linalg.lstsq(X1, y, rcond=None)[0][:, 0]
    np.testing.assert_allclose(w[:2], [1.0 / 500.0, -0.5 / 2.0], rtol=1e-2)
    assert w[2] == pytest.approx(-(2000.0 / 500.0 - 0.5 * 3.0 / 2.0), rel=1e-2)


def test_same_seed_same_numbers_and_only_the_scale_changes():
    X1, y1 = make_scaled_regression(50, scales=(1.0, 1.0), rng=3)
    X2, y2 = make_scaled_regression(50, scales=(1000.0, 1.0), rng=3)
    np.testing.assert_allclose(X2[:, 0], 1000.0 * X1[:, 0])
    np.testing.assert_array_equal(X2[:, 1], X1[:, 1])
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make_scaled_regression(50, scales=(1.0, 1.0), rng=4)
    assert not np.allclose(X1, X3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(scales=(1.0, -1.0)), "positive"),
        (dict(scales=()), "positive"),
        (dict(offsets=(1.0,)), "offsets"),
        (dict(weights=(1.0, np.nan)), "weights"),
        (dict(noise=-1.0), "noise"),
        (dict(n=1), "n"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_scaled_regression(**kwargs)
