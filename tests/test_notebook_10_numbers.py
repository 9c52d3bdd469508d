"""Every number and comparison stated in the prose of notebooks/10_regularization.ipynb,
recomputed the way the notebook computes it (same data, seeds and training). Each test quotes
the sentence it guards; if a library change moves a number, the test says which sentence
to rewrite."""

import math

import numpy as np
import pytest

import backprop_lib as bl
from backprop_lib.data import make_moons
from backprop_lib.training import fit, predict
from backprop_lib.viz.regularization import best_epoch, weight_values
from backprop_lib.widgets.regularization import RegularizationConfig, RegularizationRun

LOSS = bl.BCEWithLogitsLoss()


def _data():
    X, y = make_moons(200, noise=0.3, rng=0)
    y = y.reshape(-1, 1).astype(float)
    return X[:40], y[:40], X[40:], y[40:]


X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = _data()


def train(epochs=400, dropout=0.0, **options):
    model = bl.mlp([2, 32, 32, 32, 1], activation="tanh", dropout=dropout, rng=0)
    opt = bl.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, LOSS, opt, X_TRAIN, Y_TRAIN, epochs,
                  validation_data=(X_TEST, Y_TEST), **options)  # fmt: skip
    return model, history


@pytest.fixture(scope="module")
def runs():
    return {
        "none": train(),
        "l2": train(penalty="l2", penalty_strength=0.01),
        "l1": train(penalty="l1", penalty_strength=0.003),
        "dropout": train(dropout=0.2),
    }


def test_section_1_sizes():
    # "Only 40 of them train the network; the other 160 are held out"; "2,241 parameters";
    # "all 2,144 weights"
    model = bl.mlp([2, 32, 32, 32, 1], rng=0)
    assert (len(X_TRAIN), len(X_TEST)) == (40, 160)
    assert sum(p.data.size for p in model.parameters()) == 2241
    assert weight_values(model).size == 2144


def test_section_1_overfitting(runs):
    model, h = runs["none"]
    best = best_epoch(h.val_loss)
    # "The test loss is lowest at epoch 27 (the grey line) and never gets back there: it
    # wanders above that level for a hundred epochs, and from epoch 161 on, while the training
    # loss dives, it rises without a break, to almost three times its lowest value."
    v = np.asarray(h.val_loss)
    assert best == 27 and v[27:].min() > v[26]
    assert np.argmin(v[100:]) + 101 == 161 and np.all(np.diff(v[160:]) > 0)
    assert h.data_loss[160] / h.data_loss[-1] > 10  # the dive
    assert 2.5 < v[-1] / v[26] < 3.0
    # "the training loss ... falls towards 0 the whole time"
    assert h.data_loss[-1] < 0.002 and h.data_loss[-1] == min(h.data_loss)
    # "The 40 training points are classified perfectly"; the tongue claims a noisy point that
    # a smooth (L2) boundary leaves on the wrong side
    assert h.accuracy[-1] == 1.0
    smooth = runs["l2"][0]
    pred_smooth = predict(smooth, X_TRAIN) > 0
    pred_overfit = predict(model, X_TRAIN) > 0
    orange_claimed = (Y_TRAIN == 0) & ~pred_overfit & pred_smooth
    assert orange_claimed.sum() >= 1
    # "a mistake made with 99.9% confidence costs -ln 0.001 = 6.9 nats"
    assert -math.log(0.001) == pytest.approx(6.9, abs=0.01)


def test_section_2_l2(runs):
    _, h = runs["none"]
    _, h2 = runs["l2"]
    # "the final test loss is 0.43 instead of 1.16, close to the 0.41 the unregularised run
    # reached at its best epoch, and it no longer climbs"
    assert round(h2.val_loss[-1], 2) == 0.43 and round(h.val_loss[-1], 2) == 1.16
    assert round(min(h.val_loss), 2) == 0.41
    assert h2.val_loss[-1] / min(h2.val_loss) < 1.1
    # "the training data loss is 0.17 instead of 0.001, and the training accuracy drops
    # below 100%"
    assert round(h2.data_loss[-1], 2) == 0.17 and round(h.data_loss[-1], 3) == 0.001
    assert h2.accuracy[-1] < 1.0


def test_section_3_l1_and_the_histograms(runs):
    _, h2 = runs["l2"]
    _, h1 = runs["l1"]
    # "the two penalties chosen to end at the same training data loss"
    assert round(h1.data_loss[-1], 2) == round(h2.data_loss[-1], 2)
    w0, w2, w1 = (np.abs(weight_values(runs[k][0])) for k in ("none", "l2", "l1"))
    # "Without a penalty most weights lie between 0.01 and 1, the largest beyond 3."
    assert np.mean((w0 > 0.01) & (w0 < 1)) > 0.5 and w0.max() > 3
    # "L2 ... a quarter end up below 0.01, and the largest is about 0.43"
    assert round(np.mean(w2 < 0.01), 2) == 0.25 and round(w2.max(), 2) == 0.43
    # "L2 ... no heap at 0": far fewer tiny weights than with L1
    assert np.mean(w2 < 1e-3) < 0.15
    # "L1 ... a heap of almost every weight far below 0.01, ... (the largest about 1.9)";
    # "uses only about 2% of its connections"
    assert np.mean(w1 < 1e-3) > 0.9 and round(w1.max(), 1) == 1.9
    assert round(np.mean(w1 >= 0.01), 2) == 0.02


def test_section_4_dropout(runs):
    _, h = runs["none"]
    _, hd = runs["dropout"]
    _, h2 = runs["l2"]
    # "Dropout 0.2 brings the final test loss from 1.16 down to 0.49 ... it does less than
    # the L2 penalty"
    assert round(hd.val_loss[-1], 2) == 0.49 and hd.val_loss[-1] > h2.val_loss[-1]
    # "Close, and not equal": eval mode vs the average over 2,000 masks
    model = runs["dropout"][0]
    p_eval = bl.sigmoid(predict(model, X_TEST))
    model.train()
    p_avg = np.mean([bl.sigmoid(model(X_TEST)) for _ in range(2000)], axis=0)
    diff = np.abs(p_eval - p_avg)
    assert 0.01 < diff.mean() < 0.1 and diff.max() > 0.05
    assert np.array_equal(p_eval > 0.5, p_avg > 0.5)
    # "the *training* data loss of a run with dropout ... is noisier and higher than the same
    # network's loss on the same points in evaluation mode (0.19 against 0.07 ...)"
    eval_train = LOSS.forward(predict(model, X_TRAIN), Y_TRAIN)
    assert (round(hd.data_loss[-1], 2), round(eval_train, 2)) == (0.19, 0.07)
    assert np.std(np.diff(hd.data_loss[-100:])) > 5 * np.std(
        np.diff(runs["none"][1].data_loss[-100:])
    )
    # misconceptions: "the test loss with masks on averages 0.52 against 0.49 in evaluation mode"
    model.train()
    masked = np.mean([LOSS.forward(model(X_TEST), Y_TEST) for _ in range(2000)])
    assert round(masked, 2) == 0.52 and masked > hd.val_loss[-1]


def test_section_5_early_stopping(runs):
    _, h = runs["none"]
    # "With a patience of 20, training stops at epoch 47 and gives back the weights of epoch
    # 27, with the test loss of 0.41 that no other run on these 40 points beats, and it costs
    # 47 epochs instead of 400."
    model, hes = train(early_stopping=20)
    test_loss = LOSS.forward(predict(model, X_TEST), Y_TEST)
    assert (hes.stopped_epoch, hes.best_epoch) == (47, 27)
    assert round(test_loss, 2) == 0.41
    assert all(test_loss < runs[k][1].val_loss[-1] for k in ("none", "l2", "l1", "dropout"))
    # "With a patience of 10 ... a first dip at epoch 3, rises for the next nine epochs before
    # it falls to its real minimum"
    _, h10 = train(early_stopping=10)
    assert (h10.stopped_epoch, h10.best_epoch) == (13, 3)
    v = np.asarray(h.val_loss)
    assert np.all(np.diff(v[2:12]) > 0) and v[12] < v[11]  # epochs 4..12 rise, 13 falls
    assert v[26] < v[2]  # the real minimum (epoch 27) is below the first dip
    # "Stopping after t epochs limits how far they can go": the norm grows with training
    norms = [np.linalg.norm(weight_values(train(epochs=e)[0])) for e in (0, 27)]
    norms.append(np.linalg.norm(weight_values(runs["none"][0])))
    assert norms[0] < norms[1] < norms[2]


def test_section_6_more_data():
    X_big, y_big = make_moons(1000, noise=0.3, rng=1)
    y_big = y_big.reshape(-1, 1).astype(float)
    out = {}
    for n in (40, 200, 600):
        net = bl.mlp([2, 32, 32, 32, 1], activation="tanh", rng=0)
        h = fit(net, LOSS, bl.SGD(net.parameters(), lr=0.1, momentum=0.9), X_big[400 : 400 + n],
                y_big[400 : 400 + n], 400, validation_data=(X_big[:400], y_big[:400]))  # fmt: skip
        out[n] = (h.data_loss[-1], h.val_loss[-1])
    # "With 40 points the training loss ends at 0.07 and the test loss at 0.48, more than six
    # times higher."
    assert (round(out[40][0], 2), round(out[40][1], 2)) == (0.07, 0.48)
    assert out[40][1] > 6 * out[40][0]
    # "With 200 or 600 points ... its training loss stays around 0.2 ... and the test loss
    # ends within 0.02 of it."
    for n in (200, 600):
        train_loss, test_loss = out[n]
        assert 0.15 < train_loss < 0.25 and abs(test_loss - train_loss) < 0.02


def _explore(**changes):
    config = RegularizationConfig(**changes)
    run = RegularizationRun(config)
    run.advance(config.epochs)
    h = run.history
    best = best_epoch(h.val_loss)
    return run, h, best


def test_section_8_explorer_starts_where_section_1_did(runs):
    # "It starts where section 1 did, with no regularisation."
    _, h, _ = _explore()
    np.testing.assert_allclose(h.val_loss, runs["none"][1].val_loss, rtol=1e-12)
    np.testing.assert_allclose(h.data_loss, runs["none"][1].data_loss, rtol=1e-12)


def test_section_8_things_to_try():
    _, h, best = _explore()
    base_rise = h.val_loss[-1] / h.val_loss[best - 1]
    # 1. "watch the test loss turn up after epoch 27"
    assert best == 27
    # 2. "From λ = 0.01 on, the test loss barely rises after its minimum (by 10% at most,
    #    instead of 180%)"
    assert round(base_rise - 1, 1) == 1.8
    for strength in (0.01, 0.03, 0.1):
        _, h2, b2 = _explore(strength=strength)
        assert h2.val_loss[-1] / h2.val_loss[b2 - 1] <= 1.10
    for strength in (1e-3, 3e-3):  # below that it still climbs
        _, h2, b2 = _explore(strength=strength)
        assert h2.val_loss[-1] / h2.val_loss[b2 - 1] > 1.5
    # 3. "L1 at λ = 0.003: a spike at 0 with a few weights far out"; "at λ = 0.1 ... both
    #    losses sit at ln 2 = 0.69, a coin toss"
    run, _, _ = _explore(strength=3e-3, penalty="l1")
    w = np.abs(weight_values(run.model))
    assert np.mean(w < 0.01) > 0.95 and w.max() > 1
    _, h1, _ = _explore(strength=0.1, penalty="l1")
    assert (
        abs(h1.data_loss[-1] - math.log(2)) < 0.005 and abs(h1.val_loss[-1] - math.log(2)) < 0.005
    )
    assert round(math.log(2), 2) == 0.69
    # 4. "dropout up to 0.2-0.3: ... the test loss rises much less"
    for p in (0.2, 0.3):
        _, hd, bd = _explore(dropout=p)
        assert hd.val_loss[-1] / hd.val_loss[bd - 1] < 1.5 < base_rise
    # 5. "Training share from 20% to 80%: the test loss reaches a far lower minimum, later, and
    #    the late rise is smaller (it has not gone)"; "the noise down to 0: ... both losses go
    #    to about 0"
    _, h8, b8 = _explore(train_fraction=0.8)
    assert h8.val_loss[b8 - 1] < 0.5 * h.val_loss[best - 1] and b8 > 100
    assert 0 < h8.val_loss[-1] - h8.val_loss[b8 - 1] < h.val_loss[-1] - h.val_loss[best - 1]
    _, h0, _ = _explore(train_fraction=0.8, noise=0.0)
    assert h0.data_loss[-1] < 0.01 and h0.val_loss[-1] < 0.01
    # 6. "one hidden layer of 4 units ...: its test loss rises only a little after its best
    #    epoch"
    _, hs, bs = _explore(layers=1, width=4)
    assert hs.val_loss[-1] / hs.val_loss[bs - 1] < 1.2
