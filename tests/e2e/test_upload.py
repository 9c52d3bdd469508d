"""Uploading a CSV through the page: notebook 00's playground trains on the shipped example.

Headless Chromium opens a fresh copy of notebook 00 (outputs stripped, so no widget of an
earlier test's kernel is left in it) in JupyterLab, runs all cells from the menu, clicks the
playground's *Upload CSV* button (class `bp-upload`) and gives the file chooser's
`<input type=file>` the example CSV (`data.EXAMPLE_CSV`) with Playwright's
`set_input_files`, as a learner picking the file would. The figure must redraw, the status
line must report what was loaded, and no cell, widget, console or kernel may report an
error. Run with `make e2e`.
"""

from __future__ import annotations

import uuid

import nbformat
import pytest

from backprop_lib.data import EXAMPLE_CSV, load_csv

from .notebook_check import (
    _PANEL,
    DashboardCheckFailed,
    _cell_problems,
    _Dashboard,
    _Errors,
    _kernel_status,
    _run_all_cells,
    _save_and_read,
    _wait_for_redraw,
    _wait_until,
    _Watch,
)
from .notebooks import NOTEBOOKS, strip

pytestmark = pytest.mark.e2e

PLAYGROUND = "00_start_here.ipynb"


def test_uploading_the_example_csv_redraws_the_playground(context, lab, screenshot_dir):
    notebook = f"e2e_upload_{PLAYGROUND}"  # a copy of its own: another test saves the original
    nbformat.write(strip(nbformat.read(NOTEBOOKS / PLAYGROUND, as_version=4)), lab.root / notebook)
    page = context.new_page()
    watch = _Watch(page)
    try:
        page.goto(lab.lab_url(notebook, workspace=f"e2e-{uuid.uuid4().hex[:12]}"))
        page.locator(_PANEL).first.wait_for(timeout=60_000)
        _wait_until(lambda: _kernel_status(page) == "idle", 90, "the kernel to be idle")
        errors = _Errors(lab, watch)
        _run_all_cells(page, 180)
        lab.track_children()
        problems = _cell_problems(_save_and_read(page, lab.root / notebook))
        assert not problems, problems

        root = page.locator(f"{_PANEL} .bp-dashboard", has=page.locator(".bp-upload")).first
        upload = root.locator(".bp-upload").first
        dash = _Dashboard(page, root)
        root.scroll_into_view_if_needed()
        _wait_until(dash.digest, 30, "the playground's figure to be drawn")
        before, status_before = dash.digest(), dash.status_text()
        assert "uploaded" not in status_before

        errors.mark()
        with page.expect_file_chooser() as chooser:
            upload.click()  # the button opens the file chooser of its <input type=file>
        chooser.value.element.set_input_files(str(EXAMPLE_CSV))
        what = f"uploading {EXAMPLE_CSV.name}"
        after, seconds = _wait_for_redraw(page, dash, before, errors, 60, what)

        status = dash.status_text()
        summary = load_csv(EXAMPLE_CSV).summary()
        assert f"uploaded: {EXAMPLE_CSV.name}: {summary}" in status, status
        assert after != before
        assert "upload CSV (1)" in upload.inner_text()  # the widget counted the file
        if watch.errors:
            raise DashboardCheckFailed(f"browser errors: {watch.errors}")
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(screenshot_dir / "00_start_here-upload.png"))
        print(f"{what}: redrawn in {seconds:.1f} s; status {status!r}")
    finally:
        page.close()
        lab.shutdown_kernels_of(notebook)
