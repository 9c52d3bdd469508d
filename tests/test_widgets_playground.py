"""TrainingDashboard driven from Python: every control changes what it should, uploads
included (FileUpload's value set to the tuple of dicts ipywidgets 8 gives)."""

import datetime
import os
from pathlib import Path

import numpy as np
import pytest
from matplotlib import _pylab_helpers

from backprop_lib import data
from backprop_lib.features import FEATURE_LABELS, FEATURES, InputFeatures
from backprop_lib.nn.layers import Linear
from backprop_lib.viz.boundary import PlaneSlice
from backprop_lib.viz.layout import layout_problems
from backprop_lib.viz.network import MAX_LINES, linear_layers
from backprop_lib.widgets import TrainingDashboard
from backprop_lib.widgets.playground import parse_hidden
from backprop_lib.widgets.runs import UserData

SMALL = {"n": 60, "epochs": 10, "hidden": (4, 4)}
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def upload_value(name: str, content: bytes) -> tuple:
    """What ``FileUpload.value`` holds after a browser upload (ipywidgets 8)."""
    return (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": WHEN,
        },
    )


def regression_csv(n: int = 60, columns: int = 1) -> bytes:
    rng = np.random.default_rng(5)
    X = rng.uniform(-3, 3, size=(n, columns))
    y = np.sin(X[:, 0]) + 0.1 * X[:, 1:].sum(axis=1)
    head = ",".join([f"c{j + 1}" for j in range(columns)] + ["height"])
    rows = [",".join(f"{v:.4f}" for v in (*x, t)) for x, t in zip(X, y, strict=True)]
    return ("\n".join([head, *rows]) + "\n").encode()


@pytest.fixture(scope="module")
def dash():
    d = TrainingDashboard(config=SMALL)
    yield d
    d.close()


@pytest.fixture
def save(tmp_path):
    """Save the dashboard's picture ($BP_FIGURE_DIR or a tmp dir) and check its layout."""
    folder = Path(os.environ.get("BP_FIGURE_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)

    def check(d, name: str) -> None:
        assert d.wait() and d.error is None, d.last_traceback
        (folder / f"playground-{name}.png").write_bytes(d.image.value)
        assert layout_problems(d.figure) == [], name

    return check


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
    dash.config = {"dataset": "moons", "noise": 0.2, "seed": 0}


def test_regression_dataset_switches_the_panel_and_the_loss_label(dash):
    dash.dataset.value = "sine"
    assert type(dash.data_panel.view).__name__ == "RegressionFit"
    assert "squared error" in dash.curves.ax.get_ylabel()
    assert dash.data_panel.ax.get_xlabel() == "input x"
    xs, ys = dash.data_panel.view.line.get_data()
    np.testing.assert_allclose(ys, dash.model(xs[:, None]).ravel(), rtol=1e-5, atol=1e-6)
    dash.dataset.value = "moons"
    assert type(dash.data_panel.view).__name__ == "DecisionBoundary"
    assert "cross-entropy" in dash.curves.ax.get_ylabel()
    assert dash.data_panel.ax.get_title() == f"after {dash.run.epoch} epochs"


def test_hidden_widths_set_each_layer(dash):
    dash.hidden.value = "3, 6,2"
    assert _sizes(dash.model) == [2, 3, 6, 2, 1]
    assert dash.diagram.sizes == [2, 3, 6, 2, 1]
    assert dash.hidden.value == "3, 6,2" and dash.config["hidden"] == "3, 6,2"
    dash.hidden.value = ""  # logistic regression
    assert _sizes(dash.model) == [2, 1]
    dash.hidden.value = "4, 4"


@pytest.mark.parametrize("bad", ["abc", "4, 0", "65", "1, 2, 3, 4, 5, 6, 7", "2.5"])
def test_a_bad_width_list_is_refused_and_the_network_kept(dash, bad):
    before = _sizes(dash.model)
    dash.hidden.value = bad
    assert dash.hidden.value == "4, 4"  # switched back
    assert _sizes(dash.model) == before and dash.error is None
    assert "hidden widths" in dash.status.value and "kept 4, 4" in dash.status.value
    dash.lr.value = 0.2  # the next picture no longer shows the note
    assert "hidden widths" not in dash.status.value
    dash.lr.value = 0.1


def test_parse_hidden_reads_commas_spaces_and_nothing():
    assert parse_hidden("16, 8") == parse_hidden("16 8") == parse_hidden((16, 8)) == (16, 8)
    assert parse_hidden("") == parse_hidden("0") == ()


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
    dash.config = {"activation": "tanh", "init": "auto", "lr": 0.1, "momentum": 0.0}


def test_batch_size_and_epochs(dash):
    dash.batch_size.value = 16
    assert dash.run.trainer.batch_size == 16
    dash.epochs.value = 20
    assert dash.play.max == 20 and dash.play.value == 20
    assert len(dash.history.loss) == 20
    dash.config = {"epochs": 10, "batch_size": 0}


def test_regularisation_draws_the_penalty_apart_from_the_data_loss(dash):
    dash.penalty.value = "l2"
    dash.strength.value = 0.01
    assert dash.run.trainer.penalty_strength == pytest.approx(0.01)
    h = dash.history
    curves = dash.curves
    np.testing.assert_allclose(curves.train_line.get_ydata(), h.data_loss, rtol=1e-6)
    np.testing.assert_allclose(curves.penalty_line.get_ydata(), h.penalty, rtol=1e-6)
    np.testing.assert_allclose(curves.total_line.get_ydata(), h.loss, rtol=1e-6)
    assert curves.penalty_text.get_visible() and curves.penalty_text.get_text() == "L2 penalty"
    assert f"L2 penalty {h.penalty[-1]:.4g}" in dash.status.value
    dash.penalty.value = "none"
    assert dash.run.trainer.penalty is None
    assert len(curves.penalty_line.get_ydata()) == 0 and not curves.penalty_text.get_visible()


@pytest.mark.parametrize("name", FEATURES)
def test_each_feature_toggle_feeds_its_feature(dash, name):
    with dash.hold():
        for other, toggle in dash.feature_toggles.items():
            toggle.value = other in (name, "x1")
    first = dash.model[0]
    wanted = [n for n in FEATURES if n in (name, "x1")]
    assert isinstance(first, InputFeatures) == (wanted != ["x1", "x2"])
    if isinstance(first, InputFeatures):
        assert first.names == tuple(wanted)
        x = dash.run.X[:3]
        np.testing.assert_allclose(first(x), data_features(x, wanted))
    assert dash.config["features"] == tuple(wanted)
    assert _sizes(dash.model)[0] == len(wanted)
    labels = [t.get_text() for t in dash.axes[2].texts]
    assert all(FEATURE_LABELS[n] in labels for n in wanted)  # the diagram names its inputs
    dash.config = {"features": ("x1", "x2")}


def data_features(x, names):
    from backprop_lib.features import feature_map

    return feature_map(x, names)


def test_the_last_feature_stays_on(dash):
    dash.config = {"features": ("x2",)}
    dash.feature_toggles["x2"].value = False
    assert dash.feature_toggles["x2"].value is True
    assert dash.config["features"] == ("x2",)
    assert "at least one input feature stays on" in dash.status.value
    with pytest.raises(ValueError, match="at least one"):
        dash.config = {"features": ()}
    dash.config = {"features": ("x1", "x2")}


def test_one_column_data_has_only_the_features_of_x1(dash):
    dash.config = {"dataset": "sine", "features": ("x1", "x2", "sin(x2)")}
    disabled = {n for n, t in dash.feature_toggles.items() if t.disabled}
    assert disabled == {"x2", "x2^2", "x1*x2", "sin(x2)"}
    assert _sizes(dash.model)[0] == 1  # x1 only: the x2 toggles do not apply
    dash.config = {"features": ("sin(x1)",), "hidden": ""}
    assert dash.model[0].names == ("sin(x1)",)
    dash.config = {"dataset": "moons", "features": ("x1", "x2"), "hidden": "4, 4"}
    assert not any(t.disabled for t in dash.feature_toggles.values())


def test_sin_x1_alone_fits_the_sine_with_no_hidden_layer():
    d = TrainingDashboard(config={"dataset": "sine", "hidden": "", "features": ("sin(x1)",),
                                  "epochs": 200, "lr": 0.3, "noise": 0.1})  # fmt: skip
    flat = TrainingDashboard(config={**d.config, "features": ("x1",)})
    try:
        assert d.history.loss[-1] < 0.02  # about the noise's variance, 0.01
        assert flat.history.loss[-1] > 0.15  # a straight line through a sine
    finally:
        d.close()
        flat.close()


def test_test_share_draws_test_loss_and_reports_test_accuracy(dash):
    dash.test_ratio.value = 0.5
    h = dash.history
    assert len(dash.run.X) == 30 and len(dash.run.X_test) == 30
    np.testing.assert_allclose(dash.curves.val_line.get_ydata(), h.val_loss, rtol=1e-6)
    assert [t.get_text() for t in dash.curves.legend.get_texts()] == ["training", "test"]
    assert f"test accuracy {100 * h.val_accuracy[-1]:.1f}%" in dash.status.value
    assert f"test loss {h.val_loss[-1]:.4g}" in dash.status.value
    rings = dash.data_panel.view.test_points.get_offsets()
    np.testing.assert_allclose(rings, dash.run.X_test)  # test points drawn as rings
    dash.test_ratio.value = 0.0
    assert dash.run.X_test is None and "test" not in dash.status.value


def test_config_round_trips_every_control_into_a_new_dashboard():
    setting = {"dataset": "xor", "hidden": "5, 3", "lr": 0.3, "seed": 3, "test_ratio": 0.3,
               "features": ("x1", "x2", "x1*x2"), "penalty": "l1", "strength": 0.001,
               "n": 80, "epochs": 15}  # fmt: skip
    a = TrainingDashboard(config=setting)
    b = TrainingDashboard(config=a.config)
    try:
        assert b.config == a.config
        assert b.history.loss == a.history.loss and b.history.val_loss == a.history.val_loss
        assert a.config["features"] == ("x1", "x2", "x1*x2") and a.config["test_ratio"] == 0.3
        a.config = {"dataset": "moons", "lr": 0.01}
        a.config = b.config
        assert a.config == b.config and a.history.loss == b.history.loss
    finally:
        a.close()
        b.close()


def test_the_older_layers_and_width_keys_still_load():
    d = TrainingDashboard(config={"layers": 3, "width": 5, "epochs": 10})
    try:
        assert _sizes(d.model) == [2, 5, 5, 5, 1] and d.config["hidden"] == "5, 5, 5"
        d.config = {"layers": 1}
        assert _sizes(d.model) == [2, 5, 1]
    finally:
        d.close()


def test_play_step_reset(dash):
    dash.reset()
    assert dash.history.loss == [] and dash.play.value == 0
    dash.step()
    dash.step()
    assert len(dash.history.loss) == 2
    assert dash.epoch_label.value.startswith("epoch 2 /")
    dash.play.value = dash.play.max


def test_moving_artists_are_the_figures_own_and_cover_what_moves(dash):
    artists = dash.moving_artists()
    assert dash.curves.train_line in artists and dash.data_panel.view.image in artists
    # the diagram's lines, bias squares and neuron pictures move; its axes holds still
    assert all(a in artists for a in dash.diagram.moving_artists())
    assert dash.diagram.edges in artists and dash.diagram.images[0] in artists
    assert dash.axes[2] not in artists
    assert dash.data_panel.ax.title in artists
    assert all(a.get_figure(root=True) is dash.figure for a in artists)


def _state(artist) -> list:
    """What an artist shows, as far as its getters tell."""
    parts = [type(artist).__name__]
    for getter in ("get_text", "get_offsets", "get_sizes", "get_facecolors", "get_linewidths",
                   "get_segments", "get_array", "get_position", "get_visible"):  # fmt: skip
        if hasattr(artist, getter):
            parts.append(repr(np.asarray(getattr(artist, getter)(), dtype=object).tolist()))
    return parts


@pytest.mark.parametrize("hidden", ["4, 4", "64, 64, 64, 64, 64, 64"])
def test_learning_rate_moves_redraw_the_diagrams_parts_over_a_still_axes(hidden):
    """The diagram's axes is not redrawn whole: its limits, units, names and notes keep still,
    and an update draws only its lines, bias squares and pictures over the cached rest."""
    d = TrainingDashboard(config={**SMALL, "hidden": hidden})
    try:
        diagram = d.diagram
        moving = d.moving_artists()
        still = [a for a in d.axes[2].get_children() if a not in moving]
        before = [_state(a) for a in still]
        limits = (d.axes[2].get_xlim(), d.axes[2].get_ylim())
        for lr in (0.05, 0.3, 0.02, 0.5):
            d.lr.value = lr
        assert d.error is None and d.diagram is diagram
        assert d.timings["path"] == "blit", d.redraw_reason
        assert d._blitter.learned == []
        assert d._blitter.background.moving_axes == frozenset()  # no panel redrawn whole
        assert (d.axes[2].get_xlim(), d.axes[2].get_ylim()) == limits
        assert [_state(a) for a in still] == before
    finally:
        d.close()


def test_a_new_network_shape_is_laid_out_anew_and_its_diagram_then_holds_still():
    """Typing new widths rebuilds the diagram: one full redraw with a fresh layout, nothing
    learned; the next moves redraw only its moving parts, even once the loss panel moves."""
    d = TrainingDashboard(config=SMALL)
    try:
        for hidden in ("8, 8", "64, 64, 64, 64, 64, 64"):
            d.hidden.value = hidden
            assert d.error is None and d.timings["path"] == "full"
            assert d.redraw_reason == "the layout was computed again"
            for lr in (0.05, 0.3, 0.02, 0.5, 1.0):
                d.lr.value = lr
            assert d.timings["path"] == "blit", d.redraw_reason
            assert d.axes[2] not in d._blitter.learned
            assert id(d.axes[2]) not in d._blitter.background.moving_axes
    finally:
        d.close()


def test_six_layers_of_64_draw_each_layers_strongest_weights_and_say_so():
    d = TrainingDashboard(config={**SMALL, "hidden": "64, 64, 64, 64, 64, 64"})
    try:
        diagram = d.diagram
        assert diagram.thinned == [2, 3, 4, 5, 6]
        assert len(diagram.edges.get_segments()) == 2 * 64 + 5 * MAX_LINES + 64
        note = diagram.note.get_text()
        assert "pictures" in note and f"each 64 × 64 layer's {MAX_LINES} strongest" in note
        assert layout_problems(d.figure) == []
        box = diagram.note.get_window_extent(d.figure.canvas.get_renderer())
        assert d.axes[2].bbox.x0 <= box.x0 and box.x1 <= d.axes[2].bbox.x1  # clear of the next
        w = np.concatenate([lin.W.data.ravel() for lin in linear_layers(d.model)])
        widest = diagram.shown[np.argmax(diagram.edges.get_linewidths())]
        assert np.abs(w[widest]) == np.abs(w).max()
    finally:
        d.close()


def test_no_pyplot_figures_are_created():
    before = _pylab_helpers.Gcf.get_num_fig_managers()
    d = TrainingDashboard(config=SMALL)
    d.lr.value = 0.5
    d.close()
    assert _pylab_helpers.Gcf.get_num_fig_managers() == before


# ---- your own data ----------------------------------------------------------------------------


def test_data_of_two_features_trains_and_is_drawn_in_its_units():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 2)) * [50.0, 0.01] + [1000.0, 0.0]
    y = (X[:, 0] > 1000.0).astype(int)
    d = TrainingDashboard(config={"epochs": 40}, data=(X, y))
    try:
        assert d.config["dataset"] == "your data" and d.error is None
        assert d.noise.disabled  # noise belongs to the built-in sets
        np.testing.assert_allclose(d.data_panel.view.points.get_offsets(), X)
        assert d.history.accuracy[-1] > 0.9  # standardised inside the model, so it learns
        assert "your data: 120 rows, 2 features (x1, x2), 2 classes (0, 1)" in d.status.value
        d.dataset.value = "moons"  # the data stays in the list
        assert "your data" in d.dataset.options and d.run.config.data is None
    finally:
        d.close()


def test_many_features_train_and_the_boundary_shows_two_with_the_rest_at_their_means(save):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(150, 5))
    y = (X[:, 1] + X[:, 3] > 0).astype(int)
    d = TrainingDashboard(config={"epochs": 60, "lr": 0.3}, data=(X, y))
    try:
        assert _sizes(d.model)[0] == 5 and d.config["features"] == ("x1", "x2")
        assert all(t.disabled for t in d.feature_toggles.values())
        assert not d.plot_x.disabled and list(d.plot_x.options) == ["x1", "x2", "x3", "x4", "x5"]
        assert len(d.history.loss) == 60 and d.history.accuracy[-1] > 0.8
        assert "all 5 columns feed the network" in d.status.value
        assert d.data_panel.ax.get_title().endswith("other inputs at their means")
        d.config = {"plot_x": "x2", "plot_y": "x4"}
        np.testing.assert_allclose(d.data_panel.view.points.get_offsets(), X[:, [1, 3]])
        assert d.data_panel.ax.get_xlabel() == "input x2"
        grid = d.data_panel.view.grid[:5]
        full = np.tile(X.mean(axis=0), (5, 1))
        full[:, [1, 3]] = grid
        sliced = PlaneSlice(d.model, (1, 3), X.mean(axis=0))
        np.testing.assert_allclose(sliced(grid), d.model(full))
        save(d, "five-features")
        d.plot_y.value = "x2"  # the same column twice: the next one is drawn instead
        assert d.error is None
    finally:
        d.close()


def test_one_column_classification_data_gets_a_note_not_a_boundary():
    X = np.linspace(-2, 2, 40)[:, None]
    d = TrainingDashboard(config={"epochs": 10}, data=(X, (X[:, 0] > 0).astype(int)))
    try:
        assert d.error is None and d.data_panel.view is None
        assert "needs two input columns" in d.data_panel.message.get_text()
        d.dataset.value = "moons"  # and back to a boundary
        assert type(d.data_panel.view).__name__ == "DecisionBoundary"
    finally:
        d.close()


def test_regression_data_with_several_columns_shows_the_curve_over_one(save):
    rng = np.random.default_rng(4)
    X = rng.uniform(-3, 3, size=(100, 3))
    y = np.sin(X[:, :1]) + 0.1 * X[:, 1:2]
    d = TrainingDashboard(config={"epochs": 50, "test_ratio": 0.2}, data=(X, y))
    try:
        assert type(d.data_panel.view).__name__ == "RegressionFit"
        assert "squared error" in d.curves.ax.get_ylabel() and d.plot_y.disabled
        d.plot_x.value = "x2"
        assert d.data_panel.ax.get_xlabel() == "input x2"
        assert "test loss" in d.status.value
        save(d, "regression-three-columns")
    finally:
        d.close()


# ---- uploads ------------------------------------------------------------------------------------


def test_uploading_the_example_csv_trains_on_it():
    d = TrainingDashboard(config={"epochs": 20})
    try:
        content = data.EXAMPLE_CSV.read_bytes()
        d.upload.value = upload_value("fried_egg.csv", content)
        csv = data.load_csv(content)
        assert d.config["dataset"] == "uploaded: fried_egg.csv" and d.error is None
        np.testing.assert_array_equal(d.run.X, csv.X)
        assert f"uploaded: fried_egg.csv: {csv.summary()}" in d.status.value
        assert _sizes(d.model)[-1] == 3 and d.data.classes == ("pan", "white", "yolk")
        assert list(d.target.options) == ["x1", "x2", "part"] and d.target.value == "part"
        assert d.data_panel.ax.get_xlabel() == "input x1"
    finally:
        d.close()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"a,b,c\n1,x,0\n2,3,1\n4,5,0\n6,7,1\n", "row 2, column 'b'"),
        (b"", "empty"),
        (b"a,b\n1,0\n2,0\n3,0\n4,0\n", "class"),
        (b"a,b\n1,0\n", "data row"),
        (b"\xff\xfe\x00bad", "could not load"),
    ],
)
def test_a_bad_upload_says_why_and_keeps_the_previous_data(content, message):
    d = TrainingDashboard(config={"epochs": 10})
    try:
        before, history = d.run.X.copy(), list(d.history.loss)
        d.upload.value = upload_value("bad.csv", content)
        status = d.status.value.replace("&#x27;", "'")
        assert status.startswith("could not load bad.csv: ") and message in status, status
        assert "the previous data is kept" in status and "Traceback" not in status
        assert d.error is None and d.config["dataset"] == "moons"
        np.testing.assert_array_equal(d.run.X, before)
        assert d.history.loss == history
    finally:
        d.close()


def test_the_target_column_and_the_task_reload_the_upload():
    d = TrainingDashboard(config={"epochs": 10})
    try:
        d.upload.value = upload_value("hills.csv", regression_csv(60, 2))
        # as classification, 60 distinct heights would be 60 classes: ask for regression
        d.task.value = "regression"
        assert d.data.task == "regression" and d.run.classes == 0
        assert type(d.data_panel.view).__name__ == "RegressionFit"
        assert "regression target height" in d.status.value
        d.target.value = "c2"  # predict c2 from c1 and the height
        assert d.data.target_name == "c2" and d.data.feature_names == ("c1", "height")
        assert list(d.target.options) == ["c1", "c2", "height"]  # the file's order stays
        d.task.value = "classification"  # 60 distinct values of c2 are 60 classes: allowed
        assert d.error is None
    finally:
        d.close()


def test_an_upload_is_not_a_config_value_so_the_data_travels_beside_it():
    d = TrainingDashboard(config={"epochs": 15, "test_ratio": 0.25})
    try:
        d.upload.value = upload_value("fried_egg.csv", data.EXAMPLE_CSV.read_bytes())
        saved = d.config
        with pytest.raises(ValueError, match="cannot recreate"):
            TrainingDashboard(config=saved)
        with pytest.raises(ValueError, match="cannot recreate"):
            TrainingDashboard(config={"epochs": 10}).config = saved
        again = TrainingDashboard(config=saved, data=d.data)
        assert again.config == saved and again.history.loss == d.history.loss
        from_csv = TrainingDashboard(config=saved, data=data.load_csv(data.EXAMPLE_CSV))
        assert from_csv.history.loss == d.history.loss  # the same numbers, the same run
        again.close()
        from_csv.close()
    finally:
        d.close()


def test_load_from_python_and_set_data():
    d = TrainingDashboard(config={"epochs": 10})
    try:
        assert d.load(data.EXAMPLE_CSV, "egg.csv")
        assert d.config["dataset"] == "uploaded: egg.csv"
        assert not d.load(data.EXAMPLE_CSV.parent / "missing.csv", "missing.csv")
        assert "could not load missing.csv" in d.status.value
        user = d.set_data(UserData(np.eye(4), np.array([0, 1, 0, 1])), "tiny")
        assert d.config["dataset"] == "tiny" and d.data is user
        with pytest.raises(ValueError, match="built-in"):
            d.set_data((np.eye(4), np.array([0, 1, 0, 1])), "moons")
    finally:
        d.close()


# ---- extremes ---------------------------------------------------------------------------------


def test_extremes_every_feature_six_varied_layers_a_large_test_share(save):
    d = TrainingDashboard(config={"epochs": 30, "features": FEATURES,
                                  "hidden": "64, 3, 17, 1, 40, 8", "test_ratio": 0.9})  # fmt: skip
    try:
        assert _sizes(d.model) == [7, 64, 3, 17, 1, 40, 8, 1]
        assert len(d.run.X) == 20 and len(d.run.X_test) == 180
        assert all(np.isfinite(d.history.loss)) and len(d.history.val_loss) == 30
        save(d, "seven-features-six-layers-test-0.9")
        d.config = {"dataset": "sine", "penalty": "l2", "strength": 1.0}
        save(d, "sine-l2-1")
        d.config = {"dataset": "spirals", "penalty": "l1", "strength": 1e-6, "lr": 10.0}
        save(d, "spirals-l1-lr10")
    finally:
        d.close()


def test_the_largest_network_the_controls_allow_trains_and_draws():
    """Six hidden layers of width 64, the box's maxima, on the default data and epochs."""
    d = TrainingDashboard(config={"epochs": 30})
    try:
        d.hidden.value = ", ".join(["64"] * 6)
        assert _sizes(d.model) == [2] + [64] * 6 + [1]
        assert d.error is None and len(d.run.history.loss) == 30
        assert all(np.isfinite(d.run.history.loss))
        assert d.timings["total"] > 0  # a picture was rendered for this setting
    finally:
        d.close()


def test_notebook_00_what_to_try_with_the_circles():
    """The claims of notebook 00's playground section, driven as the prose says."""
    d = TrainingDashboard()
    try:
        d.config = {"dataset": "circles", "noise": 0.1, "hidden": "", "lr": 0.5}
        assert 0.4 < d.history.accuracy[-1] < 0.6  # "about half of the points right"
        d.feature_toggles["x1^2"].value = True
        d.feature_toggles["x2^2"].value = True
        d.feature_toggles["x1"].value = False
        d.feature_toggles["x2"].value = False
        assert d.model[0].names == ("x1^2", "x2^2")
        assert d.history.accuracy[-1] == 1.0  # "now every point is right"
        d.hidden.value = "16, 8, 4"
        assert _sizes(d.model) == [2, 16, 8, 4, 1]
    finally:
        d.close()


def test_a_failed_upload_is_tried_again_with_the_other_task_and_the_loaded_file_keeps_its_target():
    d = TrainingDashboard(config={"epochs": 10})
    try:
        d.upload.value = upload_value("fried_egg.csv", data.EXAMPLE_CSV.read_bytes())
        d.upload.value = upload_value("hills.csv", regression_csv(40, 1))  # not class labels
        assert "could not load hills.csv" in d.status.value
        assert d.config["dataset"] == "uploaded: fried_egg.csv"
        d.task.value = "regression"  # the failed file again, as regression
        assert d.config["dataset"] == "uploaded: hills.csv" and d.run.classes == 0
        d.task.value = "classification"  # the loaded file as classes fails: all stays
        assert d.task.value == "regression" and d.run.classes == 0
        assert "could not load hills.csv" in d.status.value
        d.target.value = "c1"  # the loaded file, another target
        assert d.data.target_name == "c1" and d.data.feature_names == ("height",)
    finally:
        d.close()
