"""BugHunt driven from Python: controls in, check report, figure, table and verdicts out."""

import numpy as np
import pytest

from backprop_lib.instruments import bugs
from backprop_lib.widgets.base import DOM_CLASSES
from backprop_lib.widgets.bughunt import BugHunt

PNG = b"\x89PNG"


@pytest.fixture
def dash():
    d = BugHunt(bug="none", seed=0, threaded=False)
    yield d
    d.close()


def expected_report(bug, seed):
    model, loss = bugs.make_patient(bug, rng=seed)
    x, y = bugs.patient_data(rng=seed)
    return bugs.check_patient(model, loss, x, y)


def test_dom_classes(dash):
    assert DOM_CLASSES["root"] in dash.root._dom_classes
    assert DOM_CLASSES["main"] in dash.seed._dom_classes  # the slider the browser test moves
    assert DOM_CLASSES["main"] not in dash.bug._dom_classes
    assert DOM_CLASSES["figure"] in dash.image._dom_classes
    assert DOM_CLASSES["status"] in dash.status._dom_classes
    for part in (dash.bug, dash.seed, dash.run_button, dash.image, dash.table, dash.guess,
                 dash.guess_button, dash.status):  # fmt: skip
        assert any(part is child or part in getattr(child, "children", ())
                   for child in dash.root.children)  # fmt: skip


def test_nothing_is_checked_until_the_button_is_pressed(dash):
    assert dash.report is None
    assert bytes(dash.image.value).startswith(PNG)
    assert "run gradient check" in dash.status.value
    assert dash.table.value == ""


@pytest.mark.parametrize("bug", ["none", "missing_transpose", "no_batch_mean"])
def test_button_runs_the_check_on_the_chosen_patient(dash, bug):
    dash.config = {"bug": bug, "seed": 4}  # one update for both controls
    before = bytes(dash.image.value)
    dash.run_button.click()
    want = expected_report(bug, 4)
    assert dash.report is not None
    assert dash.report.errors.keys() == want.errors.keys()
    for name, err in want.errors.items():
        assert dash.report.errors[name] == pytest.approx(err, rel=1e-6, abs=1e-12)
    assert dash.report.wrong() == want.wrong()
    after = bytes(dash.image.value)
    assert after != before and after.startswith(PNG)
    assert dash.table.value.count("<tr>") == 1 + len(want.errors)  # header + one row each
    assert all(f"<code>{name}</code>" in dash.table.value for name in want.errors)
    if want.wrong():
        assert "are wrong" in dash.status.value
    else:
        assert "agree" in dash.status.value


def test_bars_show_the_errors_and_the_thresholds(dash):
    dash.bug.value = "wrong_sign"
    dash.run_check()
    ax = dash.ax
    assert ax.get_xscale() == "log"
    widths = [patch.get_width() + patch.get_x() for patch in ax.patches if patch.get_height() < 1]
    errs = list(dash.report.errors.values())
    np.testing.assert_allclose(widths, np.maximum(errs, 1e-16), rtol=1e-9)
    vlines = sorted(line.get_xdata()[0] for line in ax.get_lines())
    assert vlines == [bugs.GOOD, bugs.WRONG]
    assert "wrong sign" in ax.get_title()


def test_changing_the_patient_clears_the_old_report(dash):
    dash.run_check()
    assert dash.report is not None
    dash.bug.value = "no_bias_grad"
    assert dash.report is None
    assert dash.table.value == ""
    dash.run_check()
    assert dash.report.wrong() == ["2.b"]
    dash.seed.value = 7
    assert dash.report is None


def test_mystery_hides_the_bug_until_found(dash):
    seed = 11
    secret = bugs.mystery_bug(seed)
    dash.config = {"bug": "mystery", "seed": seed}
    assert dash.planted == secret
    dash.run_check()
    assert dash.report.wrong() == expected_report(secret, seed).wrong()
    title = bugs.BUGS[secret].title
    assert title not in dash.ax.get_title()
    assert title not in dash.status.value and "mystery #11" in dash.ax.get_title()

    others = [k for k in bugs.BUG_KEYS if k != secret]
    dash.guess.value = others[0]
    ok, message = dash.check_guess()
    assert not ok and dash.found is False
    assert bugs.BUGS[others[0]].signature in message

    dash.guess.value = secret
    dash.guess_button.click()
    assert dash.found is True
    assert "Found it" in dash.status.value and bugs.BUGS[secret].wrong_line in dash.status.value


def test_guess_before_the_check_asks_for_evidence(dash):
    dash.bug.value = "mystery"
    ok, message = dash.check_guess()
    assert not ok and "run the gradient check first" in message
    assert dash.found is None


def test_healthy_patient_guess(dash):
    dash.run_check()
    dash.guess.value = "none"
    assert dash.check_guess()[0]
    dash.guess.value = "wrong_sign"
    assert not dash.check_guess()[0]


def test_run_at_construction_and_config_round_trip():
    d = BugHunt(bug="overwrite_grad", seed=2, run=True, threaded=False)
    try:
        assert d.report.wrong() == ["2.W", "2.b"]
        assert d.config == {"bug": "overwrite_grad", "seed": 2}
    finally:
        d.close()


def test_threaded_mode_runs_the_check_on_the_worker():
    d = BugHunt(bug="no_batch_mean", seed=1, threaded=True)
    try:
        d.run_button.click()
        assert d.wait(30)
        assert d.error is None
        assert len(d.report.wrong()) == 6
    finally:
        d.close()


def test_unknown_bug_is_refused():
    with pytest.raises(ValueError, match="mystery"):
        BugHunt(bug="typo", threaded=False)


@pytest.mark.parametrize("seed", [-1, 100, 2.5, True])
def test_seed_out_of_range_is_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        BugHunt(seed=seed, threaded=False)


def test_moves_redraw_only_the_bars_labels_and_title():
    d = BugHunt(bug="wrong_sign")
    try:
        for seed in (3, 40, 71):
            d.seed.value = seed
            d.run_check()
        d.seed.value = 12  # a new patient: the bars empty again, the prompt is back
        bg = d._blitter.background
        assert d.timings["path"] == "blit" and d._blitter.learned == []
        assert set(bg.moving_axes) == set()
        names = [type(a).__name__ for a in bg.foreground]
        assert "XAxis" not in names and "YAxis" not in names
        # the bars are not clipped, so the threshold lines and region labels above them stay
        # in the cached picture while the bars are empty
        assert [a.get_text() for a in bg.foreground if type(a).__name__ == "Text"].count("") >= 6
        assert "agree (< 1e-7)" not in [getattr(a, "get_text", str)() for a in bg.foreground]
    finally:
        d.close()
