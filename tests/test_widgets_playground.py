"""TrainingDashboard driven from Python: every control changes what it should."""

import numpy as np
import pytest
from matplotlib import _pylab_helpers

from backprop_lib.nn.layers import Linear
from backprop_lib.widgets import TrainingDashboard

SMALL = {"n": 60, "epochs": 10, "hidden": (4, 4)}


@pytest.fixture(scope="module")
def dash():
    d = TrainingDashboard(config=SMALL)
    yield d
    d.close()


def _sizes(model):
    linears = [m for m in model.modules() if isinstance(m, Linear)]
    return [linears[0].in_features] + [lin.out_features for lin in linears]


def test_dataset_and_noise_and_seed_change_the_data(dash):
    X0 = dash.run.X.copy()
    dash.dataset.value = "circles"
    assert dash.run.config.dataset == "circles"
    assert not np.array_equal(dash.run.X, X0)
    offsets = dash.data_panel.view.points.get_offsets()
    np.testing.assert_allclose(offsets, dash.run.X)  # the plotted points are the new data
    X1 = dash.run.X.copy()
    dash.noise.value = 0.4
    assert not np.array_equal(dash.run.X, X1)
    X2 = dash.run.X.copy()
    dash.seed.value = 7
    assert not np.array_equal(dash.run.X, X2)
    dash.dataset.value = "spirals"  # three classes: three outputs
    assert _sizes(dash.model)[-1] == 3
    assert dash.error is None


def test_regression_dataset_switches_the_panel_and_the_loss_label(dash):
    dash.dataset.value = "sine"
    assert type(dash.data_panel.view).__name__ == "RegressionFit"
    assert "squared error" in dash.curves.ax.get_ylabel()
    dash.dataset.value = "moons"
    assert type(dash.data_panel.view).__name__ == "DecisionBoundary"
    assert "cross-entropy" in dash.curves.ax.get_ylabel()
    assert dash.data_panel.ax.get_title() == f"after {dash.run.epoch} epochs"


def test_layers_and_width_set_the_network_shape(dash):
    dash.layers.value = 3
    dash.width.value = 6
    assert _sizes(dash.model) == [2, 6, 6, 6, 1]
    assert dash.diagram.sizes == [2, 6, 6, 6, 1]
    dash.layers.value = 0  # logistic regression
    assert _sizes(dash.model) == [2, 1]
    dash.layers.value = 2


def test_activation_init_optimizer_and_its_hyperparameters(dash):
    dash.activation.value = "relu"
    assert any(type(m).__name__ == "ReLU" for m in dash.model.modules())
    dash.init.value = "he"
    assert dash.run.config.init == "he"
    dash.optimizer.value = "adam"
    assert type(dash.run.optimizer).__name__ == "Adam"
    dash.lr.value = 0.02
    assert dash.run.optimizer.lr == pytest.approx(0.02)
    dash.optimizer.value = "sgd"
    dash.momentum.value = 0.9
    assert dash.run.optimizer.momentum == pytest.approx(0.9)


def test_batch_size_and_epochs(dash):
    dash.batch_size.value = 16
    assert dash.run.trainer.batch_size == 16
    dash.epochs.value = 20
    assert dash.play.max == 20 and dash.play.value == 20
    assert len(dash.history.loss) == 20
    dash.epochs.value = 10


def test_regularisation_type_and_strength(dash):
    dash.penalty.value = "l2"
    dash.strength.value = 0.01
    assert dash.run.trainer.penalty_strength == pytest.approx(0.01)
    assert dash.run.config.penalty == "l2"
    dash.penalty.value = "none"
    assert dash.run.trainer.penalty is None


def test_config_round_trip_reproduces_the_run(dash):
    dash.config = {"dataset": "xor", "layers": 1, "width": 5, "lr": 0.3, "seed": 3}
    saved = dash.config
    loss = list(dash.history.loss)
    dash.config = {"dataset": "moons", "lr": 0.01}
    dash.config = saved
    assert dash.config == saved
    assert dash.history.loss == loss


def test_play_step_reset(dash):
    dash.reset()
    assert dash.history.loss == [] and dash.play.value == 0
    dash.step()
    dash.step()
    assert len(dash.history.loss) == 2
    assert dash.epoch_label.value.startswith("epoch 2 /")


def test_no_pyplot_figures_are_created():
    before = _pylab_helpers.Gcf.get_num_fig_managers()
    d = TrainingDashboard(config=SMALL)
    d.lr.value = 0.5
    d.close()
    assert _pylab_helpers.Gcf.get_num_fig_managers() == before


def test_unequal_hidden_widths_are_rejected():
    with pytest.raises(ValueError, match="one width"):
        TrainingDashboard(config={"hidden": (4, 8)})


def test_the_largest_network_the_controls_allow_trains_and_draws():
    """Six hidden layers of width 64, the sliders' maxima, on the default data and epochs."""
    d = TrainingDashboard(config={"epochs": 30})
    try:
        d.layers.value = d.layers.max
        d.width.value = d.width.max
        assert (d.layers.value, d.width.value) == (6, 64)
        assert _sizes(d.model) == [2] + [64] * 6 + [1]
        assert d.error is None and len(d.run.history.loss) == 30
        assert all(np.isfinite(d.run.history.loss))
        assert d.timings["total"] > 0  # a picture was rendered for this setting
    finally:
        d.close()
