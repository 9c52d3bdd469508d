"""Fixtures for the browser tests, which run only when selected (`make e2e`, `pytest -m e2e`).

A plain `pytest` (the README's `make test`) collects them but skips them with a note, so the
normal test run needs neither a browser nor a JupyterLab server; it does run the harness's
own unit tests (test_harness_units.py), which need neither. When selected they need
Chromium (found on PATH, or named by `E2E_CHROMIUM`) and the `playwright` Python package
(`pip install -e ".[e2e]"`); without either they skip with a message that says so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .lab_server import LabServer
from .notebook_check import CHROMIUM_ARGS, VIEWPORT
from .notebooks import dashboard_notebooks, prepare_root, write_broken_copy, write_synthetic

HERE = Path(__file__).resolve().parent
SYNTHETIC = "e2e_synthetic.ipynb"
BROKEN_SYNTHETIC = "e2e_synthetic_broken.ipynb"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.option.markexpr:  # `-m e2e` (or any marker expression) decides on its own
        return
    skip = pytest.mark.skip(reason="browser test: run with `make e2e` (pytest -m e2e)")
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(skip)


def broken_name(notebook: str) -> str:
    """The file name of the callback-breaking copy of `notebook` in the server's root."""
    return f"e2e_broken_{notebook}"


def find_chromium() -> str | None:
    """Path of a Chromium executable: $E2E_CHROMIUM, else the first one on PATH."""
    explicit = os.environ.get("E2E_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where dashboard screenshots go: $E2E_SCREENSHOT_DIR (`make screenshots`: docs/img)."""
    return Path(os.environ.get("E2E_SCREENSHOT_DIR", HERE / "screenshots-latest")).resolve()


def skip_or_fail(reason: str) -> None:
    """Skip, or fail when E2E_REQUIRED=1 (CI sets it: there a missing browser is an error)."""
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(f"E2E_REQUIRED=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright, for the whole session."""
    executable = find_chromium()
    if executable is None:
        skip_or_fail(
            "no Chromium found: install it (Debian/Ubuntu: apt-get install chromium) "
            "or set E2E_CHROMIUM to its path"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail('playwright is not installed: pip install -e ".[e2e]"')
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox refuses to run as root
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def context(browser):
    """One browser context for every notebook: JupyterLab's scripts stay in its cache."""
    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def lab(browser, tmp_path_factory: pytest.TempPathFactory):
    """One JupyterLab server over a temporary copy of notebooks/ plus the test notebooks."""
    root = prepare_root(tmp_path_factory.mktemp("e2e") / "notebooks")
    write_synthetic(root / SYNTHETIC)
    write_broken_copy(root / SYNTHETIC, root / BROKEN_SYNTHETIC)
    for name in dashboard_notebooks()[:1]:
        write_broken_copy(root / name, root / broken_name(name))
    server = LabServer(root)
    with server:
        yield server
    assert server.leftovers() == [], f"processes left running: {server.leftovers()}"


def _notebook_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("notebook") if callspec else None


@pytest.fixture(autouse=True)
def _start_next_kernel(request: pytest.FixtureRequest) -> None:
    """Start the next test's kernel while this test runs (a kernel takes seconds to start)."""
    if "lab" not in request.fixturenames:
        return
    lab = request.getfixturevalue("lab")
    items = request.session.items
    here = items.index(request.node)
    for item in items[here : here + 2]:  # this one (if still cold) and the next
        notebook = _notebook_of(item)
        if notebook and notebook not in lab.kernels_started:
            lab.start_kernel_for(notebook)
