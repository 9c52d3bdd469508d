"""SequenceExplorer and its pure parts (memory_model, hidden_grad_norms, train_memory),
driven from Python (no browser, no kernel); every control at its extremes, figures saved."""

import numpy as np
import pytest

from backprop_lib.data import make_memory_task
from backprop_lib.viz.style import to_png
from backprop_lib.widgets import DOM_CLASSES
from backprop_lib.widgets.sequences import (
    SequenceExplorer,
    hidden_grad_norms,
    memory_model,
    train_memory,
)


@pytest.fixture(scope="module")
def dash():
    d = SequenceExplorer(threaded=False)
    yield d
    d.close()


def test_memory_model_sets_every_singular_value_of_W_hh_to_the_scale():
    for scale in [0.5, 1.0, 2.5]:
        _, rnn = memory_model(scale)
        np.testing.assert_allclose(np.linalg.svd(rnn.W_hh.data, compute_uv=False), scale)
    with pytest.raises(ValueError, match="scale"):
        memory_model(-1.0)


def test_hidden_grad_norms_are_the_norms_of_dL_dh_and_leave_no_gradient():
    X, y = make_memory_task(32, 6, rng=1)
    model, rnn = memory_model(1.0, seed=1)
    norms = hidden_grad_norms(model, rnn, X, y)
    assert norms.shape == (6,)
    assert all(np.all(p.grad == 0) for p in model.parameters())
    from backprop_lib import CrossEntropyLoss

    loss = CrossEntropyLoss()
    loss.forward(model(X), y)
    model.backward(loss.backward())
    np.testing.assert_allclose(norms, np.linalg.norm(rnn.grad_hidden, axis=(0, 2)))


def test_gradient_over_time_shrinks_or_grows_with_the_scale():
    X, y = make_memory_task(64, 20, rng=0)
    ratios = {}
    for nonlinearity in ["tanh", "relu"]:
        for scale in [0.5, 1.0, 3.0]:
            model, rnn = memory_model(scale, nonlinearity=nonlinearity)
            g = hidden_grad_norms(model, rnn, X, y)
            ratios[nonlinearity, scale] = g[0] / g[-1]
    for nonlinearity in ["tanh", "relu"]:
        assert ratios[nonlinearity, 0.5] < 1e-6 < ratios[nonlinearity, 1.0] < 1
        assert ratios[nonlinearity, 3.0] > 100
    # tanh saturates, which limits the explosion: relu's grows more than 100 times as much
    assert ratios["relu", 3.0] > 100 * ratios["tanh", 3.0]


def test_the_three_regimes_the_notebook_describes():
    # the defaults learn; a longer sequence does not (vanishing); relu with scale 1.5 at
    # T = 50 explodes, and clipping turns it into a run that learns
    assert train_memory().learned
    long = train_memory(length=50)
    assert not long.learned and not long.history.diverged and long.ratio_init < 1e-3
    boom = train_memory(length=50, scale=1.5, nonlinearity="relu")
    assert boom.history.diverged and np.all(np.isnan(boom.grad_norms_final))
    clipped = train_memory(length=50, scale=1.5, nonlinearity="relu", clip=1.0)
    assert clipped.learned
    tiny = train_memory(length=20, scale=0.5)
    assert tiny.ratio_init < 1e-6


def test_controls_retrain_and_redraw(dash):
    dash.config = dict(length=20, scale=1.0, nonlinearity="tanh", clip=False)
    before = dash.image.value
    dash.length.value = 12
    assert dash.run.length == 12 and dash.run.grad_norms_init.shape == (12,)
    assert dash.image.value != before and dash.image.value == to_png(dash.figure)
    x, y = dash.grads.lines["at initialisation"].get_data()
    np.testing.assert_allclose(y, dash.run.grad_norms_init / dash.run.grad_norms_init[-1])
    assert list(x) == list(range(1, 13))
    assert "T = 12" in dash.ax_grad.get_title()
    assert dash.error is None
    assert DOM_CLASSES["main"] in dash.length._dom_classes


@pytest.mark.parametrize(
    "config",
    [
        dict(length=2, scale=0.1, nonlinearity="tanh", clip=False),
        dict(length=50, scale=0.1, nonlinearity="tanh", clip=True),
        dict(length=50, scale=3.0, nonlinearity="relu", clip=False),
        dict(length=50, scale=3.0, nonlinearity="relu", clip=True),
        dict(length=2, scale=3.0, nonlinearity="relu", clip=False),
        dict(length=50, scale=3.0, nonlinearity="tanh", clip=False),
    ],
)
def test_every_extreme_draws_without_error(dash, config, tmp_path):
    dash.config = config
    assert dash.error is None, dash.last_traceback
    h = dash.run.history
    status = dash.status.value
    if h.diverged:
        assert f"diverged at epoch {h.diverged_epoch}" in status
        assert "diverged" in dash.ax_loss.get_title()
    else:
        assert f"accuracy {h.accuracy[-1]:.0%}" in status
        verdict = "learned to remember" if dash.run.learned else "did not learn"
        assert verdict in status and verdict in dash.ax_loss.get_title()
    name = "_".join(str(v) for v in config.values())
    dash.figure.savefig(tmp_path / f"sequences_{name}.png")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="length"):
        SequenceExplorer(length=1, threaded=False)
    with pytest.raises(ValueError, match="scale"):
        SequenceExplorer(scale=5.0, threaded=False)
    with pytest.raises(ValueError, match="nonlinearity"):
        SequenceExplorer(nonlinearity="sigmoid", threaded=False)


# ---- the claims the sequences notebook (13) makes in its prose ----


def test_notebook_claims_about_the_gradient_over_time():
    X, y = make_memory_task(256, 30, rng=0)
    ratio = {}
    for nonlinearity in ["tanh", "relu"]:
        for scale in [0.5, 1.0, 1.5]:
            model, rnn = memory_model(scale, nonlinearity)
            g = hidden_grad_norms(model, rnn, X, y)
            ratio[nonlinearity, scale] = g[0] / g[-1]
            # the bound ||dL/dh_1|| <= s^(T-1) ||dL/dh_T|| (tanh' and relu' are at most 1)
            assert ratio[nonlinearity, scale] <= scale**29
    # "smaller even than the bound 0.5^29 ~ 2e-9"
    assert ratio["tanh", 0.5] < 0.5**29 and f"{0.5**29:.0e}" == "2e-09"
    # "relu's decay is steeper than tanh's here"
    assert ratio["relu", 0.5] < ratio["tanh", 0.5] and ratio["relu", 1.0] < ratio["tanh", 1.0]
    # "with s = 1.5 the product can grow: it does here with tanh"; relu's "about cancel"
    assert ratio["tanh", 1.5] > 1 and 0.5 < ratio["relu", 1.5] < 2


def test_notebook_claims_about_the_explorer_and_clipping():
    # "drag T up to 50: the loss stays near chance"
    long = train_memory(length=50)
    assert not long.learned and long.history.loss[-1] > 0.6
    # "set s = 0.5: the network does not learn, even at T = 20"
    assert not train_memory(length=20, scale=0.5).learned
    # "the ReLU network with s = 1.5 at T = 50 explodes within a few epochs"; clipping rescues
    boom = train_memory(length=50, scale=1.5, nonlinearity="relu")
    assert boom.history.diverged and boom.history.diverged_epoch <= 5
    assert train_memory(length=50, scale=1.5, nonlinearity="relu", clip=1.0).learned
    # "the tanh network at T = 50 with s = 1 fails to learn with or without clipping"
    assert not train_memory(length=50, scale=1.0, clip=1.0).learned


def test_moves_of_the_length_redraw_only_what_moved():
    d = SequenceExplorer(epochs=5)
    try:
        for length in (12, 21, 31, 40, 12):
            d.length.value = length
        bg = d._blitter.background
        assert d.timings["path"] == "blit" and d._blitter.learned == []
        assert set(bg.moving_axes) == set()
        # no axis is drawn again: the gradient title is short enough to stay clear of the
        # loss panel's labels, and the legend sits under the lines
        assert [a for a in bg.foreground if type(a).__name__ in ("XAxis", "YAxis", "Legend")] == []
        assert "T = 12" in d.ax_grad.get_title()
    finally:
        d.close()
