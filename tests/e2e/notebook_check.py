"""Drive one notebook's dashboards in a real browser, as a learner would, and report failures.

`check_notebook(context, server, "03_x.ipynb", shots)` opens the notebook in JupyterLab,
runs every cell from the menu (Run > Run All Cells), saves it and reads the saved file to make
sure every code cell ran and none ended in an error (cells tagged `raises-exception` may),
then, for each dashboard (DOM class `bp-dashboard`), moves its main slider (`bp-main-control`)
with the keyboard and by typing into its readout, and after each move waits until the figure
(`bp-figure`, an image) has visibly changed. The browser console, the page, the kernel's
messages (read from its websocket: an exception in a widget callback shows in no cell), the
server's log and the dashboard's status line must stay free of errors. Anything wrong raises
`DashboardCheckFailed` with what was seen; a screenshot of each dashboard after the moves
(and of the page on failure) is written to the screenshot folder.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .lab_server import LabServer

# Chromium flags: headless in a container, and no background connections (a closed network
# refuses them, and Chromium then logs errors that have nothing to do with the page).
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 900}

# Console messages that say nothing about the notebook or its widgets.
IGNORED_CONSOLE = [
    re.compile(r"favicon", re.I),
]
# Text that ipywidgets or JupyterLab put in an output area when a widget cannot be shown.
WIDGET_ERROR_TEXT = [
    "Error displaying widget",
    "Failed to load model class",
    "Could not create a view",
    "Model not found",
]
# What a crashed kernel or an unhandled exception leaves in the server's log.
KERNEL_ERROR = re.compile(
    r"Traceback \(most recent call last\)|Exception in comm_msg|restarting kernel|Kernel died"
)

# The dashboards' base class reports an exception in an update as "error: ..." in bp-status.
STATUS_ERROR = re.compile(r"^\s*error\b", re.I)

_PANEL = ".jp-NotebookPanel:visible"

# SHA-256 of the bytes behind an <img> (ipywidgets.Image shows them through a blob: URL).
_DIGEST_JS = """async (img) => {
    const buffer = await (await fetch(img.src)).arrayBuffer();
    const hash = await crypto.subtle.digest("SHA-256", buffer);
    return Array.from(new Uint8Array(hash)).map((b) => b.toString(16).padStart(2, "0")).join("");
}"""


class DashboardCheckFailed(AssertionError):
    """The notebook or one of its dashboards did not behave in the browser."""


@dataclass
class DashboardResult:
    """What one dashboard did: the figure digests and status texts after each move."""

    index: int
    figures: list[str] = field(default_factory=list)  # before, after keys, after typing
    statuses: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # the slider's readout at those moments
    seconds: list[float] = field(default_factory=list)  # time until each redraw settled
    screenshot: Path | None = None


@dataclass
class NotebookReport:
    """The outcome of `check_notebook` for one notebook."""

    notebook: str
    dashboards: list[DashboardResult] = field(default_factory=list)
    ignored_console: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)  # warnings the kernel printed
    timings: dict[str, float] = field(default_factory=dict)


def kernel_message(payload: str | bytes) -> tuple[str, dict, dict, dict] | None:
    """Decode a kernel websocket frame into (channel, header, parent_header, content).

    JupyterLab 4 speaks the binary "v1.kernel.websocket.jupyter.org" protocol: a count n,
    n little-endian uint64 offsets, then the channel name and the JSON header, parent
    header, metadata and content (buffers after them); older servers send one JSON text.
    Returns None for anything else.
    """
    try:
        if isinstance(payload, str):
            msg = json.loads(payload)
            return msg["channel"], msg["header"], msg["parent_header"], msg["content"]
        count = int.from_bytes(payload[:8], "little")
        if not 6 <= count <= 1024 or len(payload) < 8 * (count + 1):
            return None
        offsets = [int.from_bytes(payload[8 * i : 8 * i + 8], "little") for i in range(1, 7)]
        part = [payload[offsets[i] : offsets[i + 1]] for i in range(5)]
        header, parent, _metadata, content = (json.loads(p) for p in part[1:5])
        return part[0].decode(), header, parent, content
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _Watch:
    """Collects browser console errors, page errors and kernel errors while a notebook runs.

    Kernel errors are read from the kernel's websocket traffic, so an exception raised in a
    widget callback is caught even though JupyterLab shows it in no cell (it goes to the log
    console): an `error` message, or a traceback written to stderr.
    """

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.ignored: list[str] = []
        self.kernel: list[tuple[str, str]] = []  # (parent message type, text)
        self.stderr: list[str] = []  # other stderr text (warnings), reported, not failed
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        text = f"console.{msg.type}: {msg.text}"
        if any(p.search(msg.text) for p in IGNORED_CONSOLE):
            self.ignored.append(text)
        else:
            self.errors.append(text)

    def _frame(self, payload: str | bytes) -> None:
        decoded = kernel_message(payload)
        if decoded is None or decoded[0] != "iopub":
            return
        _channel, header, parent, content = decoded
        kind, parent_kind = header.get("msg_type"), parent.get("msg_type", "")
        if kind == "error":
            trace = _ANSI.sub("", "\n".join(content.get("traceback", [])))
            summary = f"{content.get('ename')}: {content.get('evalue')}"
            self.kernel.append((parent_kind, f"{summary}\n{trace}"))
        elif kind == "stream" and content.get("name") == "stderr":
            text = _ANSI.sub("", content.get("text", ""))
            if "Traceback" in text or "Exception" in text:
                self.kernel.append((parent_kind, text))
            else:
                self.stderr.append(text)

    def kernel_errors(self, since: int, *, cells: bool = True) -> list[str]:
        """Kernel errors recorded after the first `since`; `cells=False` skips those that
        answer a cell's execute request (the saved notebook reports those, tags and all)."""
        return [
            text
            for parent_kind, text in self.kernel[since:]
            if cells or parent_kind != "execute_request"
        ]


def _wait_until(predicate: Callable[[], object], timeout: float, what: str, poll: float = 0.2):
    """Poll `predicate` until it returns something truthy; raise DashboardCheckFailed on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DashboardCheckFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def _kernel_status(page) -> str:
    """The notebook kernel's status from the status bar ("idle", "busy", ...; "" if none yet).

    The status bar says "Python 3 (ipykernel) | Idle" only once the kernel is connected; the
    notebook toolbar's indicator says "idle" already before the kernel has started.
    """
    items = page.locator('#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]')
    if items.count() == 0:
        return ""
    name, _, status = items.first.inner_text().rpartition("|")
    if not name.strip() or "No Kernel" in name:
        return ""
    return status.strip().lower()


def _prompts(page) -> list[str]:
    return page.locator(f"{_PANEL} .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()


def _menu(page, menu: str, command: str) -> None:
    """Click menu bar item `menu`, then its entry that runs JupyterLab command `command`."""
    item = page.locator(f'.lm-Menu-item[data-command="{command}"]:not(.lm-mod-disabled)')
    for _attempt in range(3):
        page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$")).click()
        try:
            item.wait_for(state="visible", timeout=3000)
            item.click()
            return
        except Exception:  # the menu bar was not ready for the click yet
            page.keyboard.press("Escape")
            time.sleep(0.5)
    raise DashboardCheckFailed(f"the {menu} menu did not offer {command}")


def _run_all_cells(page, timeout: float) -> None:
    """Run > Run All Cells from the menu bar, then wait until the kernel is idle again."""
    _menu(page, "Run", "runmenu:run-all")
    # The cells were stripped of execution counts: [*] (queued) or [1] shows the run started.
    _wait_until(
        lambda: any(re.search(r"[*0-9]", p) for p in _prompts(page)), 30, "the cells to start"
    )
    # The run is over when no cell shows [*] and the kernel reports idle a few polls in a row
    # (a dashboard's first draw may follow the cell's end by a moment).
    quiet = {"n": 0}

    def finished() -> bool:
        busy = any("*" in p for p in _prompts(page)) or _kernel_status(page) != "idle"
        quiet["n"] = 0 if busy else quiet["n"] + 1
        return quiet["n"] >= 3

    _wait_until(finished, timeout, "Run All Cells to finish", poll=0.3)


def _save_and_read(page, path: Path, timeout: float = 30) -> nbformat.NotebookNode:
    """Save the notebook from the menu (File > Save Notebook); read what JupyterLab wrote."""
    before = path.stat().st_mtime_ns
    _menu(page, "File", "docmanager:save")
    _wait_until(lambda: path.stat().st_mtime_ns != before, timeout, f"{path.name} to be saved")
    time.sleep(0.3)  # let the write finish
    return nbformat.read(path, as_version=4)


def _cell_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Code cells that did not run, or whose output is an error, from the saved notebook."""
    problems = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        first = cell.source.strip().splitlines()[0][:60]
        allowed = "raises-exception" in cell.metadata.get("tags", [])
        for out in cell.get("outputs", []):
            if out.output_type == "error" and not allowed:
                problems.append(f"cell {number} ({first!r}) raised {out.ename}: {out.evalue}")
        if cell.get("execution_count") is None:
            problems.append(f"cell {number} ({first!r}) did not run")
    return problems


def _dom_widget_errors(page) -> list[str]:
    texts = page.locator(f"{_PANEL} .jp-OutputArea-output").all_inner_texts()
    return [t.strip()[:300] for t in texts if any(w in t for w in WIDGET_ERROR_TEXT)]


class _Errors:
    """Kernel errors since a mark: from the websocket traffic and from the server's log."""

    def __init__(self, server: LabServer, watch: _Watch) -> None:
        self.server, self.watch = server, watch
        self.mark()

    def mark(self) -> None:
        self.log_offset, self.kernel_index = self.server.log_size(), len(self.watch.kernel)

    def since_mark(self, *, cells: bool = True) -> str:
        found = self.watch.kernel_errors(self.kernel_index, cells=cells)
        log = self.server.log_text(self.log_offset)
        match = KERNEL_ERROR.search(log)
        if match:
            found.append(f"server log: {log[max(0, match.start() - 200) :][:3000]}")
        # A traceback's first line names the error; its end shows where it was raised.
        return "\n".join(t if len(t) < 3000 else f"{t[:300]}\n...\n{t[-2500:]}" for t in found)


class _Dashboard:
    """Reads and moves one `bp-dashboard` root in the page."""

    def __init__(self, page, root) -> None:
        self.page = page
        self.root = root
        self.control = root.locator(".bp-main-control").first
        self.figure = root.locator("img.bp-figure").first
        self.status = root.locator(".bp-status")

    def check_parts(self, index: int) -> None:
        for name, loc in (("bp-main-control", self.control), ("bp-figure", self.figure)):
            if loc.count() == 0:
                raise DashboardCheckFailed(f"dashboard {index} has no element with class {name}")
        if self.control.locator(".noUi-handle").count() == 0:
            raise DashboardCheckFailed(
                f"dashboard {index}: the bp-main-control element is not a slider"
            )

    def digest(self) -> str:
        if not self.figure.get_attribute("src"):
            return ""
        return self.figure.evaluate(_DIGEST_JS)

    def status_text(self) -> str:
        return " | ".join(t.strip() for t in self.status.all_inner_texts())

    def readout(self) -> str:
        loc = self.control.locator(".widget-readout")
        return loc.inner_text().strip() if loc.count() else ""

    def handle(self):
        return self.control.locator(".noUi-handle").first

    def press(self) -> str:
        """Move the slider one step with the arrow keys (left when it sits at its maximum)."""
        handle = self.handle()
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if at_max else "ArrowRight"
        handle.focus()
        handle.press(key)
        return key

    def type_value(self, text: str) -> bool:
        """Type `text` into the slider's readout and press Enter; False if it is read-only."""
        readout = self.control.locator(".widget-readout")
        if readout.count() == 0 or readout.get_attribute("contenteditable") != "true":
            return False
        readout.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        return True


def _wait_for_redraw(
    page, dash: _Dashboard, before: str, errors: _Errors, timeout: float, what: str
) -> tuple[str, float]:
    """Wait until the figure's bytes differ from `before` and stay put; fail fast on an error."""
    start = time.monotonic()
    state = {"seen": (before, dash.status_text()), "since": start}

    def settled() -> bool:
        trace = errors.since_mark()
        if trace:
            raise DashboardCheckFailed(f"the kernel reported an error after {what}:\n{trace}")
        widget_errors = _dom_widget_errors(page)
        if widget_errors:
            raise DashboardCheckFailed(f"a widget failed after {what}: {widget_errors}")
        status = dash.status_text()
        if STATUS_ERROR.search(status):
            raise DashboardCheckFailed(f"the dashboard's status line shows {status!r} after {what}")
        now, digest = time.monotonic(), dash.digest()
        if (digest, status) != state["seen"]:
            state.update(seen=(digest, status), since=now)
        # Changed, kernel idle, and figure and status unchanged for a second (dashboards train
        # on a worker thread and may draw several frames per change).
        return digest != before and _kernel_status(page) == "idle" and now - state["since"] > 1.0

    try:
        _wait_until(settled, timeout, f"the figure to change after {what}", poll=0.25)
    except DashboardCheckFailed as exc:
        if "timed out" in str(exc):
            raise DashboardCheckFailed(
                f"the figure did not change within {timeout:.0f} s after {what} "
                f"(status: {dash.status_text()!r}, readout: {dash.readout()!r})"
            ) from None
        raise
    return state["seen"][0], time.monotonic() - start


def check_notebook(
    context,
    server: LabServer,
    notebook: str,
    screenshot_dir: Path | None = None,
    *,
    min_dashboards: int = 1,
    run_timeout: float = 180,
    change_timeout: float = 60,
) -> NotebookReport:
    """Open `notebook` in JupyterLab, run it from the menu and exercise every dashboard.

    Parameters
    ----------
    context : a Playwright `BrowserContext` (Chromium); one for all notebooks keeps
        JupyterLab's scripts in its cache, so each page after the first loads faster.
    server : the running `LabServer` whose root holds `notebook`.
    notebook : the notebook's path relative to the server's root.
    screenshot_dir : where `<stem>.png` (each dashboard after the slider moves; `<stem>-2.png`
        for a second one) and, on failure, `<stem>-failed.png` (the page) are written.
    min_dashboards : how many `bp-dashboard` roots the notebook must show at least.
    run_timeout : seconds allowed for Run All Cells.
    change_timeout : seconds allowed for a figure to redraw after a slider move.

    Returns
    -------
    NotebookReport; raises DashboardCheckFailed with what went wrong otherwise.
    """
    report = NotebookReport(notebook)
    stem = Path(notebook).stem
    page = context.new_page()
    watch = _Watch(page)
    t0 = time.monotonic()
    try:
        page.goto(server.lab_url(notebook, workspace=f"e2e-{uuid.uuid4().hex[:12]}"))
        page.locator(_PANEL).first.wait_for(timeout=60_000)
        report.timings["page"] = time.monotonic() - t0
        _wait_until(lambda: _kernel_status(page) == "idle", 90, "the kernel to be idle")
        report.timings["open"] = time.monotonic() - t0

        errors = _Errors(server, watch)
        _run_all_cells(page, run_timeout)
        report.timings["run_all"] = time.monotonic() - t0 - report.timings["open"]
        server.track_children()
        problems = _cell_problems(_save_and_read(page, server.root / notebook))
        problems += [f"widget output: {t}" for t in _dom_widget_errors(page)]
        trace = errors.since_mark(cells=False)  # errors in cells: from the saved notebook
        if trace:
            problems.append(f"the kernel reported an error while running the cells:\n{trace}")
        if problems:
            raise DashboardCheckFailed(f"{notebook}: " + "\n".join(problems))

        roots = page.locator(f"{_PANEL} .bp-dashboard")
        count = roots.count()
        if count < min_dashboards:
            raise DashboardCheckFailed(
                f"{notebook}: expected at least {min_dashboards} element(s) with class "
                f"bp-dashboard after Run All Cells, found {count}"
            )
        for index in range(count):
            report.dashboards.append(
                _exercise_dashboard(
                    page, errors, roots.nth(index), index, stem, screenshot_dir, change_timeout
                )
            )
        if watch.errors:
            raise DashboardCheckFailed(f"{notebook}: browser errors: {watch.errors}")
        report.ignored_console = watch.ignored
        report.stderr = watch.stderr
        report.timings["total"] = time.monotonic() - t0
        return report
    except BaseException as exc:
        if screenshot_dir is not None:
            screenshot_dir.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(screenshot_dir / f"{stem}-failed.png"))
            except Exception:  # the page may be gone; the error itself matters more
                pass
        if isinstance(exc, DashboardCheckFailed):
            report.timings["failed"] = time.monotonic() - t0
            timings = ", ".join(f"{k} {v:.1f} s" for k, v in report.timings.items())
            extra = f"\nbrowser errors: {watch.errors}" if watch.errors else ""
            raise DashboardCheckFailed(f"{exc}{extra}\n(timings: {timings})") from None
        raise
    finally:
        page.close()
        try:
            server.shutdown_kernels_of(notebook)
        except OSError:
            pass


def _exercise_dashboard(
    page,
    errors: _Errors,
    root,
    index: int,
    stem: str,
    screenshot_dir: Path | None,
    timeout: float,
) -> DashboardResult:
    """Move one dashboard's main slider by key and by typing; wait for each redraw."""
    dash = _Dashboard(page, root)
    dash.check_parts(index)
    root.scroll_into_view_if_needed()
    result = DashboardResult(index)
    _wait_until(dash.digest, 30, f"dashboard {index}'s figure to be drawn")
    first_value = dash.readout()
    result.figures.append(dash.digest())
    result.statuses.append(dash.status_text())
    if STATUS_ERROR.search(result.statuses[0]):
        raise DashboardCheckFailed(f"dashboard {index}'s status line shows {result.statuses[0]!r}")
    result.values.append(first_value)

    errors.mark()
    key = dash.press()
    what = f"pressing {key} on dashboard {index}'s slider"
    digest, seconds = _wait_for_redraw(page, dash, result.figures[-1], errors, timeout, what)
    result.figures.append(digest)
    result.statuses.append(dash.status_text())
    result.values.append(dash.readout())
    result.seconds.append(seconds)
    if result.values[-1] == first_value:
        raise DashboardCheckFailed(f"{what} did not change its readout ({first_value!r})")

    errors.mark()
    if dash.type_value(first_value):
        what = f"typing {first_value!r} into dashboard {index}'s slider readout"
    else:  # a read-only readout (e.g. a SelectionSlider): move back with the other arrow key
        dash.handle().press("ArrowLeft" if key == "ArrowRight" else "ArrowRight")
        what = f"moving dashboard {index}'s slider back (its readout is read-only)"
    digest, seconds = _wait_for_redraw(page, dash, result.figures[-1], errors, timeout, what)
    result.figures.append(digest)
    result.statuses.append(dash.status_text())
    result.values.append(dash.readout())
    result.seconds.append(seconds)
    if result.values[-1] != first_value:
        raise DashboardCheckFailed(
            f"after {what} the readout shows {result.values[-1]!r}, expected {first_value!r}"
        )

    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        name = f"{stem}.png" if index == 0 else f"{stem}-{index + 1}.png"
        result.screenshot = screenshot_dir / name
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.mouse.move(0, 0)  # no focus ring, no hover highlight in the picture
        root.screenshot(path=str(result.screenshot), animations="disabled")
    return result
