"""Dashboard: the base of every live widget. Controls -> compute -> redraw one PNG, in place.

A dashboard owns a ``matplotlib.figure.Figure`` (never pyplot) whose artists it updates in
place, renders it to PNG bytes and puts them into an ``ipywidgets.Image`` of fixed size: no
flicker, no page jump, no Output widget, and identical behaviour in tests, nbval and the
browser. Controls are attributes; setting ``control.value`` in Python runs the same update a
browser drag does.

Coalescing. Inside a Jupyter kernel (``threaded=None`` detects it) a control change only
records that the state changed (a generation counter) and wakes one worker thread; the worker
always computes the newest state and abandons a stale one between epochs, so dragging a
slider never queues a backlog and the kernel stays free. Elsewhere (tests, scripts) updates run
synchronously, so ``control.value = x`` followed by an assertion works; ``wait()`` and
``refresh()`` make both modes deterministic. An exception inside an update is shown in the
status label (and kept in ``.error``), never swallowed and never raised into the kernel.

Redrawing only what moved. A subclass lists in ``moving_artists()`` the artists an ordinary
update changes; the figure is then rendered by ``widgets.blit``: everything else is drawn once
and cached, and an update draws only those artists over the cached picture, pixel for pixel
what a full draw gives. Any other change is detected and drawn in full (see that module).
``timings["path"]`` says which path the last update took; ``blits`` and ``full_redraws`` count
them; ``redraw_reason`` says why the last full redraw was needed.

Used by every dashboard in ``backprop_lib.widgets``.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import contextmanager

import ipywidgets as widgets
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from ..threads import limit_blas_threads
from ..viz.layout import new_layout_problems
from ..viz.style import encode_png, new_figure
from .blit import Blitter

__all__ = ["Dashboard", "in_kernel", "DOM_CLASSES"]

#: CSS classes the browser test looks for.
DOM_CLASSES = {
    "root": "bp-dashboard",
    "main": "bp-main-control",
    "figure": "bp-figure",
    "status": "bp-status",
}

_IDLE_EXIT_S = 30.0  # the worker thread exits after this long without work


def in_kernel() -> bool:
    """True when running inside a Jupyter (IPython) kernel."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Dashboard:
    """Base class: a figure, an image showing it, a status line, named controls.

    Subclasses build their controls with ``add_control``, their axes on ``self.figure``, and
    implement ``compute(stale) -> bool`` (the slow part, e.g. training; return False if it
    gave up because ``stale()`` became true) and ``draw()`` (move artists in place). Then they
    call ``self.refresh()`` at the end of ``__init__`` for the first picture.

    Parameters
    ----------
    width_px, height_px, dpi : size of the figure and of the image showing it
    threaded : bool or None
        Run updates on a worker thread (latest change wins); None: only inside a kernel.

    Attributes
    ----------
    figure : matplotlib Figure
    image : ipywidgets.Image (class ``bp-figure``) holding the last rendered PNG
    status : ipywidgets.HTML (class ``bp-status``)
    controls : dict name -> widget, the controls whose values form ``config``
    root : the VBox to display (class ``bp-dashboard``)
    error : the exception of the last failed update, or None
    timings : the last update: seconds in {"compute", "draw", "render", "encode", "total"}
        and "path": "blit" or "full"
    blits, full_redraws : how many renders took the cheap path and the full one
    redraw_reason : why the last full redraw was needed ("" after a blit)
    blas_threads : int or None
        Threads numpy's BLAS may use during an update (class attribute, default 1; see
        ``backprop_lib.threads``), so a slider move costs about the same on a busy machine.
    blitting : bool
        Redraw only what moved (default True; see ``widgets.blit``). False draws the whole
        figure on every update, as matplotlib's ``canvas.draw()`` does and nothing more: the
        reference ``bench/latency.py`` measures the cheap path against, and a way to rule the
        cheap path out when a picture looks wrong.
    """

    blas_threads: int | None = 1
    blitting: bool = True

    def __init__(self, width_px: int = 960, height_px: int = 380, dpi: int = 100, threaded=None):
        self.figure = new_figure(width_px, height_px, dpi)
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(width=f"{width_px}px", height=f"{height_px}px")
        )
        self.image.add_class(DOM_CLASSES["figure"])
        self.status = widgets.HTML(value="", layout=widgets.Layout(min_height="1.6em"))
        self.status.add_class(DOM_CLASSES["status"])
        self.controls: dict[str, widgets.Widget] = {}
        self.root = widgets.VBox([])
        self.root.add_class(DOM_CLASSES["root"])
        self.threaded = in_kernel() if threaded is None else bool(threaded)
        self.error: BaseException | None = None
        self.last_traceback = ""
        self.timings: dict[str, float] = {}
        self.updates = 0  # completed (drawn) updates
        self._generation = 0  # bumped by every change; a run for an older one is stale
        self._done = 0  # the newest generation fully handled (drawn or superseded)
        self._muted = 0
        self._run_lock = threading.Lock()  # one update at a time, whichever thread runs it
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._layout_frozen = False
        self._engine = None  # the layout engine the figure was built with (see relayout)
        self._force_full = True
        self._blitter = Blitter(self.figure)
        self.blits = 0  # renders that drew only the moving artists over the cached background
        self.full_redraws = 0  # renders that drew the whole figure (and cached a background)
        self.redraw_reason = ""  # why the last full redraw was needed

    # -- building -------------------------------------------------------------------------
    def add_control(self, name: str, control: widgets.Widget, main: bool = False):
        """Register ``control`` under ``name`` (its value is ``config[name]``); observe it."""
        if name in self.controls:
            raise ValueError(f"a control named {name!r} already exists")
        self.controls[name] = control
        control.observe(self._on_change, names="value")
        if main:
            control.add_class(DOM_CLASSES["main"])
        return control

    def layout(self, *rows: widgets.Widget) -> None:
        """Set the root's children: the given rows, then the figure and the status line."""
        self.root.children = (*rows, self.image, self.status)

    # -- the update cycle -------------------------------------------------------------------
    def compute(self, stale: Callable[[], bool]) -> bool:
        """Bring the model/history up to date with the controls; False if abandoned."""
        return True

    def draw(self) -> None:
        """Move the figure's artists to show the current state (no new figure)."""

    def moving_artists(self) -> list:
        """The artists an ordinary update changes (lines' data, images' arrays, scatter
        offsets, texts whose strings change); called after every ``draw()``, so they may be
        new artists each time. The base class caches a picture of everything else and draws
        only these over it. Default: none (every update that changes anything is a full
        redraw). Listing too few costs speed, never correctness: see ``widgets.blit``."""
        return []

    def relayout(self) -> None:
        """Lay the figure out again at the next update (call after rebuilding a panel), with
        the layout engine it was built with (a figure placed by hand stays as placed)."""
        if self._engine is not None:
            self.figure.set_layout_engine(self._engine)
        self._layout_frozen = False
        self._force_full = True

    def _lay_out(self) -> None:
        engine = self.figure.get_layout_engine()
        if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
            self._engine = engine  # kept for relayout(); the figure's own until then
            self.figure.draw_without_rendering()
            self.figure.set_layout_engine("none")
        self._layout_frozen = True
        self._force_full = True

    def _render(self) -> str:
        """Bring the figure's canvas up to date: "blit" (cached background and the moving
        artists) or "full" (everything drawn, a fresh background). Counted in ``blits`` and
        ``full_redraws``; ``redraw_reason`` says why the last full one was needed."""
        if not self.blitting:
            self._blitter.forget()
            self._blitter.canvas().draw()
            self._force_full = False
            self.full_redraws += 1
            self.redraw_reason = "blitting is off"
            return "full"
        moving = [a for a in (self.moving_artists() or ()) if a is not None]
        path = self._blitter.render(moving, force_full=self._force_full)
        self._force_full = False
        if path == "blit":
            self.blits += 1
        else:
            self.full_redraws += 1
        self.redraw_reason = self._blitter.reason
        return path

    def set_status(self, text: str, color: str | None = None) -> None:
        """Show ``text`` (escaped) in the status line, optionally coloured."""
        body = html.escape(text)
        self.status.value = f'<span style="color:{color}">{body}</span>' if color else body

    def _on_change(self, change) -> None:
        if self._muted:
            return
        self.request()

    def request(self) -> None:
        """Ask for an update reflecting the current controls (coalesced with pending ones)."""
        with self._cond:
            self._generation += 1
            gen = self._generation
        if not self.threaded:
            self._run(gen)
            return
        with self._cond:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, daemon=True, name="bp-dash")
                self._worker.start()
            self._cond.notify_all()

    def _work(self) -> None:
        while True:
            with self._cond:
                deadline = time.monotonic() + _IDLE_EXIT_S
                while self._done >= self._generation and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        self._worker = None
                        return
                    self._cond.wait(left)
                if self._closed:
                    self._worker = None
                    return
                gen = self._generation
            self._run(gen)

    def _run(self, gen: int) -> None:
        def stale() -> bool:
            return self._generation != gen or self._closed

        # one BLAS thread: on small matrices a thread pool costs more than it gives (threads.py)
        with self._run_lock, limit_blas_threads(self.blas_threads):
            try:
                if stale():
                    return
                t0 = time.perf_counter()
                if not self.compute(stale) or stale():
                    return
                t1 = time.perf_counter()
                self.draw()
                if not self._layout_frozen:
                    # lay out once (constrained layout costs a full extra pass per render),
                    # then keep the positions: later renders are a single pass
                    self._lay_out()
                t2 = time.perf_counter()
                path = self._render()
                if new_layout_problems(self.figure):  # new limits or labels no longer fit
                    self.relayout()
                    self._lay_out()
                    path = self._render()
                t3 = time.perf_counter()
                png = encode_png(self.figure)
                t4 = time.perf_counter()
                self.image.value = png
                self.timings = {"compute": t1 - t0, "draw": t2 - t1, "render": t3 - t2,
                                "encode": t4 - t3, "total": t4 - t0, "path": path}  # fmt: skip
                self.updates += 1
                self.error = None
            except Exception as exc:  # shown, kept, never raised into the kernel
                self.error = exc
                self.last_traceback = traceback.format_exc()
                self.set_status(f"error: {type(exc).__name__}: {exc}", color="#D55E00")
            finally:
                with self._cond:
                    self._done = max(self._done, gen)
                    self._cond.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every requested update is handled; False on timeout."""
        if not self.threaded:
            return True
        end = time.monotonic() + timeout
        with self._cond:
            while self._done < self._generation:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def refresh(self, timeout: float = 30.0) -> Dashboard:
        """Run an update now and wait for it (synchronous in both modes). Returns self."""
        if self.threaded and (self._worker is None or not self._worker.is_alive()):
            with self._cond:
                self._generation += 1
                gen = self._generation
            self._run(gen)  # nothing else is running: do it here, deterministically
        else:
            self.request()
            self.wait(timeout)
        return self

    @contextmanager
    def hold(self):
        """Change several controls without an update per change; one update at the end."""
        self._muted += 1
        try:
            yield
        finally:
            self._muted -= 1
        if not self._muted:
            self.request()

    # -- sharing an experiment --------------------------------------------------------------
    @property
    def config(self) -> dict:
        """The controls' values, ``{name: value}``: copy it to share an exact experiment."""
        return {name: control.value for name, control in self.controls.items()}

    @config.setter
    def config(self, values: dict) -> None:
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(
                f"unknown config keys {unknown}; this dashboard has {sorted(self.controls)}"
            )
        with self.hold():
            for name, value in values.items():
                self.controls[name].value = value

    # -- display and clean-up ---------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.root._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Stop the worker thread and close every widget (the figure is freed with self)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        seen: list[widgets.Widget] = []
        stack: list[widgets.Widget] = [self.root, self.image, self.status, *self.controls.values()]
        while stack:  # every widget in the tree (their observers refer back to self)
            w = stack.pop()
            if any(w is v for v in seen):
                continue
            seen.append(w)
            stack.extend(getattr(w, "children", ()))
        for w in seen:
            w.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"
