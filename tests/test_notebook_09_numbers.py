"""Every number the prose of notebooks/09_data_and_batches.ipynb states, recomputed here with
the notebook's own code, and every claim the prose makes about a run, checked."""

import dataclasses

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.data import make_moons, make_scaled_regression, standardize, train_test_split
from backprop_lib.instruments import batch_noise, conditioning, curvature, stopping
from backprop_lib.training import EarlyStopping, fit
from backprop_lib.widgets.batches import DEFAULT_RULES, epochs_to_reach, scale_run, stopping_run


@pytest.fixture(scope="module")
def houses():
    X, y = make_scaled_regression(200, scales=(500.0, 1.0), offsets=(2000.0, 3.0),
                                  weights=(1.0, 0.5), noise=0.3, rng=0)  # fmt: skip
    return X, y


def _versions(X):
    mean, std = X.mean(axis=0), X.std(axis=0)
    return {"raw": X, "centred": X - mean, "scaled": X / std, "standardised": (X - mean) / std}


def test_section1_condition_numbers_and_steps(houses):
    X, _ = houses
    out = {}
    for name, inputs in _versions(X).items():
        H = conditioning.least_squares_hessian(inputs)
        limit = curvature.stability_limit(H)
        out[name] = (conditioning.condition_number(H),
                     curvature.steps_to_shrink(0.9 * limit, H, factor=1e-3))  # fmt: skip
    assert f"{out['raw'][0]:.0e}" == "1e+08"  # "about 10^8"
    assert f"{out['raw'][1]:.0e}" == "4e+08"  # "some 4 x 10^8 steps"
    assert f"{out['standardised'][0]:.2g}" == "1.1" and out["standardised"][1] == 31
    # centring alone or scaling alone is not enough: both stay far from 1
    assert out["centred"][0] > 1e5 and out["scaled"][0] > 100


def test_section1_training(houses):
    X, y = houses
    X1 = np.c_[X, np.ones(len(X))]
    best = np.mean((X1 @ np.linalg.lstsq(X1, y, rcond=None)[0] - y) ** 2)
    final = {}
    for name in ("raw", "standardised"):
        inputs = _versions(X)[name]
        lr = 0.9 * curvature.stability_limit(conditioning.least_squares_hessian(inputs))
        model = bl.Linear(2, 1, rng=0)
        h = fit(model, bl.MSELoss(), bl.SGD(model.parameters(), lr=lr), inputs, y, 100)
        final[name] = h.loss[-1]
    assert f"{best:.3f}" == "0.088" and f"{final['standardised']:.3f}" == "0.088"
    assert f"{final['raw']:.2f}" == "1.34"
    assert final["raw"] == pytest.approx(np.var(y), rel=0.05)  # "about the variance of the prices"


@pytest.fixture(scope="module")
def split(houses):
    X, y = houses
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=1)
    return X_train, X_test, y_train, y_test


def test_section2_leakage_and_the_shifted_test_set(split):
    X_train, X_test, y_train, y_test = split
    X_train_std, X_test_std, _, _ = standardize(X_train, X_test)

    def pooled(A, B):
        both = np.vstack([A, B])
        return (A - both.mean(axis=0)) / both.std(axis=0)

    typo = X_test.copy()
    typo[0, 0] *= 10
    leaky = np.abs(pooled(X_train, typo) - pooled(X_train, X_test)).max()
    assert f"{leaky:.2f}" == "1.64"
    assert np.array_equal(standardize(X_train, typo)[0], standardize(X_train, X_test)[0])
    model = bl.Linear(2, 1, rng=0)
    fit(model, bl.MSELoss(), bl.SGD(model.parameters(), lr=0.5), X_train_std, y_train, 200)
    X_new, y_new = X_test + [500.0, 0.0], y_test + 1.0
    right = np.mean((model(standardize(X_train, X_new)[1]) - y_new) ** 2)
    wrong = np.mean((model(standardize(X_new)[0]) - y_new) ** 2)
    ordinary = np.mean((model(X_test_std) - y_test) ** 2)
    assert f"{right:.2f}" == "0.10" and f"{wrong:.2f}" == "1.28"
    assert abs(right - ordinary) < 0.01  # "as on the ordinary test set"


def test_section3_batch_norm(split):
    X_train, X_test, y_train, _ = split
    X_train_std = standardize(X_train, X_test)[0]
    sat = {}
    for batch_norm in (False, True):
        net = bl.mlp([2, 8, 1], activation="tanh", batch_norm=batch_norm, rng=0)
        z = net[0](X_train)
        h = net[1](z) if batch_norm else z
        sat[batch_norm] = np.mean(np.abs(np.tanh(h)) > 0.97)
        if batch_norm:
            np.testing.assert_allclose(h.mean(axis=0), 0, atol=1e-9)
            np.testing.assert_allclose(h.std(axis=0), 1, atol=1e-6)
    assert sat[False] == 1.0 and f"{sat[True]:.0%}" == "3%"
    losses = []
    for inputs, batch_norm in [(X_train, False), (X_train, True), (X_train_std, False)]:
        net = bl.mlp([2, 8, 1], activation="tanh", batch_norm=batch_norm, rng=0)
        h = fit(net, bl.MSELoss(), bl.SGD(net.parameters(), lr=0.1), inputs, y_train, 100,
                batch_size=20, rng=1)  # fmt: skip
        losses.append(f"{h.loss[-1]:.2f}")
    assert losses == ["1.32", "0.38", "0.08"]


def test_section4_feature_scale_explorer_things_to_try():
    r1 = scale_run(1.0)
    assert epochs_to_reach(r1.loss, r1.best) == epochs_to_reach(r1.std_loss, r1.std_best) == 16
    r10 = scale_run(10.0)
    assert f"{r10.kappa:.0e}" == "1e+02" and epochs_to_reach(r10.loss, r10.best) is None
    r30 = scale_run(30.0)
    assert epochs_to_reach(r30.loss, r30.best) is None
    r1000 = scale_run(1000.0)
    assert f"{r1000.kappa:.0e}" == "1e+06" and f"{r1000.lr / 0.9:.0e}" == "1e-06"
    # the ravine figure: at std 1 the path gets there; at 10 it is still short of the minimum
    # along w2 after 100 steps; at 100, w2 has barely left 0
    assert np.abs(r1.path[-1] - r1.w_best).max() < 1e-6
    assert 0.3 * r10.w_best[1] < r10.path[-1, 1] < 0.95 * r10.w_best[1]
    r100 = scale_run(100.0)
    assert abs(r100.path[-1, 1]) < 0.02 * abs(r100.w_best[1])


@pytest.fixture(scope="module")
def sorted_moons():
    X, y = make_moons(200, noise=0.2, rng=0)
    order = np.argsort(y, kind="stable")
    return X[order], y[order]


def test_section6_shuffling(sorted_moons):
    X, y = sorted_moons
    assert list(y[:100]) == [0] * 100 and list(y[100:]) == [1] * 100  # 5 batches of each
    final = {}
    for shuffle in (False, True):
        net = bl.mlp([2, 16, 16, 1], activation="tanh", rng=0)
        log = batch_noise.run_steps(net, bl.BCEWithLogitsLoss(), bl.SGD(net.parameters(), lr=0.3),
                                    X, y, 20, 20, shuffle=shuffle, rng=1)  # fmt: skip
        final[shuffle] = f"{log.epoch_loss[-1]:.3f}"
    assert final == {False: "0.341", True: "0.284"}


def test_section7_gradient_noise():
    X, y = make_moons(200, noise=0.2, rng=0)
    net = bl.mlp([2, 16, 16, 1], activation="tanh", rng=0)
    G = batch_noise.per_example_gradients(net, bl.BCEWithLogitsLoss(), X, y)
    g = G.mean(axis=0)
    exact = {B: batch_noise.gradient_noise(G, B) for B in (1, 4, 16, 64, 200)}
    assert [f"{exact[B]:.2f}" for B in (1, 4, 16)] == ["1.54", "0.76", "0.37"]
    assert exact[64] < exact[16] / 2 and exact[200] == 0.0
    assert f"{np.linalg.norm(g):.2f}" == "0.90"
    assert f"{exact[1] / np.linalg.norm(g):.1f}" == "1.7"
    for B in (1, 4, 16, 64):  # measured and exact agree to the printed digits (or nearly)
        cloud = batch_noise.batch_gradients(G, B, draws=3000, rng=0)
        measured = np.sqrt(np.mean(np.sum((cloud - g) ** 2, axis=1)))
        assert measured == pytest.approx(exact[B], abs=0.015)


def test_section7_linear_scaling():
    X, y = make_moons(200, noise=0.2, rng=0)
    net = bl.mlp([2, 16, 16, 1], activation="tanh", rng=0)
    lam = bl.sharpness(net, bl.BCEWithLogitsLoss(), X, y.reshape(-1, 1).astype(float))
    assert f"{2 / lam:.2f}" == "1.50"
    scaled, unscaled = {}, {}
    for B in (5, 10, 20, 40, 80, 200):
        for lr, table in ((0.1 * B / 5, scaled), (0.1, unscaled)):
            model = bl.mlp([2, 16, 16, 1], activation="tanh", rng=0)
            h = fit(model, bl.BCEWithLogitsLoss(), bl.SGD(model.parameters(), lr=lr), X, y, 40,
                    batch_size=B, rng=1)  # fmt: skip
            table[B] = h.loss[-1]
    assert {f"{scaled[B]:.2f}" for B in (5, 10, 20)} <= {"0.09", "0.10"}
    assert f"{unscaled[20]:.2f}" == "0.30"
    assert f"{scaled[40]:.2f}" == "0.12" and f"{scaled[80]:.2f}" == "0.17"
    assert 0.1 * 80 / 5 > 2 / lam  # 1.6 is above the limit
    assert f"{scaled[200]:.2f}" == "0.46" and scaled[200] > unscaled[200]
    assert batch_noise.steps_per_epoch(200, 20) * 4 == batch_noise.steps_per_epoch(200, 5)


@pytest.fixture(scope="module")
def run():
    return stopping_run(epochs=600)


def test_section9_where_each_rule_stops(run):
    stops = stopping.stopping_epochs(run, DEFAULT_RULES)
    assert stops == {"fixed epochs": 300, "loss threshold": 594, "relative improvement": 14,
                     "gradient norm": 143, "early stopping": 130}  # fmt: skip
    best = int(np.argmin(run.val_loss)) + 1
    assert best == 100 and f"{min(run.val_loss):.2f}" == "0.30"
    assert f"{run.val_loss[299]:.2f}" == "0.37"
    assert run.val_loss[593] > 2 * min(run.val_loss)  # "more than doubled"
    rel = stopping.relative_improvement(run.loss)
    assert np.all(rel[8:13] < 0)  # the loss rose for five epochs in a row, epochs 10 to 14
    assert f"{run.loss[13]:.2f}" == "0.36" and f"{run.loss[119]:.2f}" == "0.21"
    norms = stopping.weight_gradient_norms(run)
    assert stopping.gradient_norm_epoch(norms, 3e-2) == 35
    # the misconception: after the plateau of epochs ~120-300 the loss fell again
    assert run.loss[299] > 0.2 and run.loss[593] <= 0.1


def test_section9_fits_early_stopping_restores_the_best_weights():
    X, y = make_moons(300, noise=0.35, rng=3)
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=0.75, rng=0)
    net = bl.mlp([2, 32, 32, 1], activation="tanh", rng=0)
    h = fit(net, bl.BCEWithLogitsLoss(), bl.Adam(net.parameters(), lr=0.01), X_tr, y_tr, 600,
            validation_data=(X_val, y_val), early_stopping=EarlyStopping(patience=30))  # fmt: skip
    val = bl.BCEWithLogitsLoss().forward(bl.predict(net, X_val), y_val.reshape(-1, 1).astype(float))
    assert (h.stop_reason, h.stopped_epoch, h.best_epoch) == ("early_stopping", 130, 100)
    assert val == pytest.approx(h.val_loss[99], rel=1e-9)


def test_section10_stopping_explorer_things_to_try(run):
    def stop(**kw):
        return stopping.stopping_epochs(run, dataclasses.replace(DEFAULT_RULES, **kw))

    assert stop(patience=5)["early stopping"] == 8
    assert stop(patience=100)["early stopping"] == 200
    assert stop(tol=1e-4, tol_patience=10)["relative improvement"] == 184
    assert stop(threshold=0.3)["loss threshold"] == 71
    assert 130 < 184 < 300 and np.ptp(run.loss[150:300]) < 0.02  # 184 is on a plateau


def test_section6_the_tug_of_war_inside_an_unshuffled_epoch(sorted_moons):
    X, y = sorted_moons
    net = bl.mlp([2, 16, 16, 1], activation="tanh", rng=0)
    loss, optimizer = bl.BCEWithLogitsLoss(), bl.SGD(net.parameters(), lr=0.3)
    batch_noise.run_steps(net, loss, optimizer, X, y, epochs=19, batch_size=20, shuffle=False)
    p = []
    for xb, yb in bl.data.minibatches(X, y.reshape(-1, 1).astype(float), 20, shuffle=False):
        loss.forward(net.forward(xb), yb)
        optimizer.zero_grad()
        net.backward(loss.backward())
        optimizer.step()
        p.append(bl.sigmoid(bl.predict(net, X)).mean())
    assert [f"{p[i]:.2f}" for i in (0, 4, 9)] == ["0.54", "0.41", "0.57"]
    assert np.all(np.diff(p[:5]) < 0) and np.all(np.diff(p[4:]) > 0)  # down, then up


def test_section3_batch_norm_normalises_the_sum_not_the_inputs_inside_it(split):
    X_train, _, y_train, _ = split

    def size_share(W):  # the house-size term's share of each unit's pre-activation variance
        return np.var(X_train[:, :1] * W[0], axis=0) / np.var(X_train @ W, axis=0)

    net = bl.mlp([2, 8, 1], activation="tanh", batch_norm=True, rng=0)
    assert size_share(net[0].W.data).min() > 0.999
    fit(net, bl.MSELoss(), bl.SGD(net.parameters(), lr=0.1), X_train, y_train, 100,
        batch_size=20, rng=1)  # fmt: skip
    W = net[0].W.data
    assert size_share(W).min() > 0.999
    assert f"{np.abs(W[1] / W[0]).max():.1f}" == "1.3"
    A = np.c_[X_train[:, 0], np.ones(len(X_train))]  # the best fit on the size alone
    size_only = np.mean((A @ np.linalg.lstsq(A, y_train, rcond=None)[0] - y_train) ** 2)
    assert f"{size_only:.2f}" == "0.34"
    assert np.std(X_train[:, 0]) / np.std(X_train[:, 1]) > 100  # "hundreds of times"
