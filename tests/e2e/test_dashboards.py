"""The dashboards work in a real browser: JupyterLab, a notebook, a slider, a redrawn plot.

For every notebook of the series that shows a dashboard, headless Chromium opens it in
JupyterLab, runs all cells from the menu, and moves each dashboard's main slider with the
keyboard and by typing into its readout; the figure must redraw each time and no cell, widget,
console or kernel may report an error. A synthetic notebook proves the harness on its own, a
copy whose callbacks raise proves it catches a broken dashboard, and a server stopped by an
exception proves nothing is left running. Run with `make e2e`; `make screenshots` writes the
screenshots of the series' dashboards to docs/img/.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from .conftest import BROKEN_SYNTHETIC, SYNTHETIC, broken_name
from .lab_server import LabServer, descendants
from .notebook_check import DashboardCheckFailed, check_notebook
from .notebooks import dashboard_notebooks

pytestmark = pytest.mark.e2e

DASHBOARD_NOTEBOOKS = dashboard_notebooks()
NO_DASHBOARDS = pytest.param(
    None,
    marks=pytest.mark.skip(reason="no notebook in notebooks/ uses backprop_lib.widgets yet"),
    id="none-yet",
)


def _assert_redrawn(report) -> None:
    """Each slider move produced a figure different from the one before it."""
    assert report.dashboards, "no dashboard was exercised"
    for dash in report.dashboards:
        before, after_keys, after_typing = dash.figures
        assert before and after_keys != before and after_typing != after_keys, dash
        assert dash.values[1] != dash.values[0] and dash.values[2] == dash.values[0], dash
        assert dash.screenshot is None or dash.screenshot.stat().st_size > 0


@pytest.mark.parametrize("notebook", [SYNTHETIC])
def test_harness_on_synthetic_dashboard(context, lab, tmp_path, notebook):
    report = check_notebook(context, lab, notebook, tmp_path)
    _assert_redrawn(report)
    dash = report.dashboards[0]
    # The status label follows the slider: degree 3 -> 4 (arrow key) -> 3 (typed).
    assert dash.statuses == [
        "drawn with degree 3",
        "drawn with degree 4",
        "drawn with degree 3",
    ]
    # Same value, same seedless drawing: typing the first value back restores the first figure.
    assert dash.figures[2] == dash.figures[0]


@pytest.mark.parametrize("notebook", DASHBOARD_NOTEBOOKS or [NO_DASHBOARDS])
def test_dashboard_notebook(context, lab, screenshot_dir, notebook):
    report = check_notebook(context, lab, notebook, screenshot_dir)
    _assert_redrawn(report)
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
    redraws = [round(s, 1) for d in report.dashboards for s in d.seconds]
    print(f"{notebook}: {timings}; redraws {redraws} s; console ignored {report.ignored_console}")


BROKEN = [pytest.param(BROKEN_SYNTHETIC, id="synthetic")] + [
    pytest.param(broken_name(name), id=name) for name in DASHBOARD_NOTEBOOKS[:1]
]


@pytest.mark.parametrize("notebook", BROKEN)
def test_harness_detects_broken_callback(context, lab, tmp_path, notebook):
    # The copy's last cell makes each dashboard's update (or slider callback) raise.
    start = time.monotonic()
    with pytest.raises(DashboardCheckFailed) as failure:
        check_notebook(context, lab, notebook, tmp_path, change_timeout=20)
    message = str(failure.value)
    print(message.splitlines()[0], message.splitlines()[-1])
    # The report names the exception raised inside the callback ...
    assert "RuntimeError: injected failure: the dashboard's callback is broken" in message
    if notebook == BROKEN_SYNTHETIC:
        # ... which, in the synthetic notebook, only a slider move can call.
        assert "after pressing ArrowRight on dashboard 0's slider" in message, message
    # (A series dashboard may call its update once more as it appears: the browser snaps
    # slider values to the slider's step and sends them back. Either way it is reported.)
    assert time.monotonic() - start < 60  # as it happened, not after the 20 s redraw timeout


def _wait_for_kernel_process(server: LabServer, kernel_id: str, timeout: float = 30) -> list[int]:
    """Pids of the server's child processes running kernel `kernel_id` (waits for one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [pid for pid in descendants(server.process.pid) if kernel_id in _cmdline(pid)]
        if found:
            server.track_children()
            return found
        time.sleep(0.2)
    raise AssertionError(f"no process for kernel {kernel_id} appeared")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc")
def test_server_leaves_nothing_running_on_failure(tmp_path):
    server = LabServer(tmp_path)
    with pytest.raises(RuntimeError, match="a test failed here"):
        with server:
            kernel = server.api("POST", "kernels", {"name": "python3"})
            kernel_pids = _wait_for_kernel_process(server, kernel["id"])
            assert set(kernel_pids) <= set(server.leftovers())  # tracked, and running
            raise RuntimeError("a test failed here")
    assert server.leftovers() == []
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", server.port)) != 0, "the port still answers"
