"""BugHunt: plant a classic backward-pass bug in a small network and find it by gradient check.

Choose a bug (or a mystery: a hidden bug picked by a seed), press "run gradient check", and
the figure shows one bar per parameter: the max relative error between the backward pass and
central differences, on a log scale with the 1e-7 ("agree") and 1e-2 ("wrong") thresholds
marked; a table below gives the numbers and how many times the numerical gradient the
analytic one is. Then guess which bug it is. The network, the bugs and the check live in
``backprop_lib.instruments.bugs``. Used by notebooks/03_backward_pass.ipynb.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import NullLocator

from ..instruments import bugs
from ..viz.style import OKABE_ITO, style
from .base import Dashboard

__all__ = ["BugHunt", "ErrorBars", "VERDICT_COLORS", "draw_errors"]

VERDICT_COLORS = {
    "good": OKABE_ITO["bluish_green"],
    "suspicious": OKABE_ITO["orange"],
    "wrong": OKABE_ITO["vermillion"],
}
_FLOOR = 1e-16  # where the bars start on the log axis (a relative error of 0 shows as this)
_XMAX = 100.0
MYSTERY = "mystery"
MAX_SEED = bugs.MAX_SEED

_PATIENT_HTML = (
    "<b>The patient:</b> Linear(3&rarr;4) &middot; Tanh &middot; <b>Linear(4&rarr;4)</b> "
    "&middot; Tanh &middot; Linear(4&rarr;1) &middot; MSE loss, on a batch of 8 examples fed as "
    "2 micro-batches of 4 (backward runs twice and gradients accumulate before the check). "
    "A layer bug sits in layer 2 (in bold); the loss bug in the loss."
)


class ErrorBars:
    """Horizontal bars of relative errors on ``ax``, one per parameter, thresholds marked;
    built once, then ``update`` moves the bars, their value labels and the title in place.

    names : parameter names, top to bottom; shapes : their shapes. The axes (log scale from
    1e-16 to 100, the three shaded regions, the threshold lines, the parameter names) never
    change, so a dashboard redraws only the bars, labels, prompt and title.
    """

    def __init__(self, ax, names, shapes):
        self.ax, self.names, self.shapes = ax, list(names), [tuple(s) for s in shapes]
        ax.clear()
        y = np.arange(len(names))
        ax.axvspan(_FLOOR, bugs.GOOD, color=VERDICT_COLORS["good"], alpha=0.08, lw=0)
        ax.axvspan(bugs.GOOD, bugs.WRONG, color=VERDICT_COLORS["suspicious"], alpha=0.08, lw=0)
        ax.axvspan(bugs.WRONG, _XMAX, color=VERDICT_COLORS["wrong"], alpha=0.08, lw=0)
        self.thresholds = [
            ax.axvline(bugs.GOOD, color=VERDICT_COLORS["good"], ls="--", lw=1.2),
            ax.axvline(bugs.WRONG, color=VERDICT_COLORS["wrong"], ls="--", lw=1.2),
        ]
        for x, text, color in (
            (1e-12, "agree (< 1e-7)", "good"),
            (3e-5, "suspicious", "suspicious"),
            (1.0, "wrong (> 1e-2)", "wrong"),
        ):
            ax.text(x, -0.95, text, ha="center", va="center", fontsize=9,
                    color=VERDICT_COLORS[color])  # fmt: skip
        self.bars = ax.barh(y, np.zeros(len(names)), left=_FLOOR, height=0.6)
        for artist in (*self.bars.patches, *self.thresholds):
            # inside the axes by construction (update keeps the bars within the limits), so
            # unclipped: an artist's box is then its own, not the axes', and the region labels
            # above the bars are not drawn again with them on every update
            artist.set_clip_on(False)
        self.labels = [ax.text(_FLOOR, yi, "", va="center", fontsize=9) for yi in y]
        self.prompt = ax.text(1e-7, (len(names) - 1) / 2, "press 'run gradient check'",
                              ha="center", va="center", fontsize=12, color="#555555")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlim(_FLOOR, _XMAX)
        ax.set_ylim(len(names) - 0.4, -1.35)  # first parameter on top, room for region labels
        ax.set_yticks(y, [f"{n}  {'×'.join(map(str, s))}" for n, s in zip(names, shapes,
                                                                         strict=True)])  # fmt: skip
        ticks = [1e-15, 1e-12, 1e-9, 1e-7, 1e-5, 1e-2, 1]
        ax.set_xticks(ticks, [f"{t:.0e}".replace("e-0", "e-").replace("e+00", "") for t in ticks])
        ax.xaxis.set_minor_locator(NullLocator())  # plain labels and no minor ticks: fast to draw
        ax.set_xlabel("max relative error |a − n| / (|a| + |n|), log scale")
        ax.set_ylabel("parameter (shape)")
        ax.grid(axis="y", visible=False)

    def update(self, errors=None, title: str = "") -> None:
        """Show ``errors`` (``{name: relative error}``), or None: empty bars and a prompt to
        run the check."""
        for bar, label, name in zip(self.bars.patches, self.labels, self.names, strict=True):
            value = max(errors[name], _FLOOR) if errors else _FLOOR
            bar.set_width(min(value, _XMAX) - _FLOOR)  # a relative error is at most 1 anyway
            bar.set_facecolor(VERDICT_COLORS[bugs.verdict(value)])
            label.set_text(f"{errors[name]:.1e}" if errors else "")
            label.set_x(value * 1.6 if errors else _FLOOR)
        self.prompt.set_text("" if errors else "press 'run gradient check'")
        self.ax.set_title(title)

    def moving_artists(self) -> list:
        """What ``update`` changes: the bars, their labels, the prompt and the title, and the
        threshold lines drawn over the bars (listed, so that a bar growing across them leaves
        the cached picture as it is). For a dashboard's ``moving_artists``: ``widgets.base``."""
        return [*self.bars.patches, *self.thresholds, *self.labels, self.prompt, self.ax.title]


def draw_errors(ax, names, shapes, errors=None, title: str = ""):
    """Draw horizontal bars of relative errors on ``ax`` (cleared first), thresholds marked.

    names : parameter names, top to bottom; shapes : their shapes;
    errors : ``{name: relative error}`` or None (empty bars and a prompt to run the check).
    Returns the bar container (one rectangle per name) and the value labels.
    """
    plot = ErrorBars(ax, names, shapes)
    plot.update(errors, title)
    return plot.bars, plot.labels


class BugHunt(Dashboard):
    """Pick a planted bug (or a mystery), run the gradient check, guess the bug.

    Parameters
    ----------
    bug : "none", one of ``bugs.BUG_KEYS``, or "mystery" (a hidden bug chosen by ``seed``)
    seed : int in [0, 99], the patient's weights and data and, in mystery mode, the hidden bug
    run : bool, run the check at once (otherwise wait for the button)
    threaded : see ``Dashboard``

    Controls: ``bug`` (Dropdown), ``seed`` (IntSlider, class ``bp-main-control``),
    ``run_button``, ``guess`` (Dropdown of bug names), ``guess_button``. Attributes:
    ``report`` (the last ``bugs.CheckReport`` or None), ``planted`` (the bug actually in the
    patient), ``found`` (None before a guess, then whether the last guess was right),
    ``table`` (HTML of the numbers).
    """

    def __init__(self, bug: str = MYSTERY, seed: int = 0, run: bool = False, threaded=None):
        if bug != MYSTERY and bug != "none" and bug not in bugs.BUGS:
            raise ValueError(
                f"bug must be 'none', 'mystery' or one of {', '.join(bugs.BUG_KEYS)}; got {bug!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be an int from 0 to {MAX_SEED}, got {seed!r}")
        super().__init__(width_px=820, height_px=330, threaded=threaded)
        options = [("no bug (a healthy network)", "none")]
        options += [(b.title, key) for key, b in bugs.BUGS.items()]
        options += [("mystery: a hidden bug", MYSTERY)]
        self.bug = self.add_control(
            "bug",
            widgets.Dropdown(options=options, value=bug, description="patient",
                             layout=widgets.Layout(width="360px")),
        )  # fmt: skip
        # The seed is a slider, so it carries the main-control class the browser test drives.
        self.seed = self.add_control(
            "seed",
            widgets.IntSlider(value=seed, min=0, max=MAX_SEED, description="seed",
                              continuous_update=False, layout=widgets.Layout(width="280px")),
            main=True,
        )  # fmt: skip
        self.run_button = widgets.Button(description="run gradient check", button_style="primary",
                                         layout=widgets.Layout(width="180px"))  # fmt: skip
        guesses = [(b.title, key) for key, b in bugs.BUGS.items()]
        guesses.append(("no bug: it is healthy", "none"))
        self.guess = widgets.Dropdown(options=guesses, description="your guess",
                                      layout=widgets.Layout(width="360px"))  # fmt: skip
        self.guess_button = widgets.Button(description="check my guess",
                                           layout=widgets.Layout(width="180px"))  # fmt: skip
        self.run_button.on_click(lambda _: self._request_check())
        self.guess_button.on_click(lambda _: self.check_guess())
        self.table = widgets.HTML()
        self.root.children = (
            widgets.HTML(_PATIENT_HTML),
            widgets.HBox([self.bug, self.seed, self.run_button]),
            self.image,
            self.table,
            widgets.HBox([self.guess, self.guess_button]),
            self.status,
        )
        with style():
            self.ax = self.figure.subplots()
        self.plot: ErrorBars | None = None  # built at the first draw, then moved in place
        self.report: bugs.CheckReport | None = None
        self.found: bool | None = None
        self._key = None
        self._check_pending = bool(run)
        self.refresh()

    # -- state ------------------------------------------------------------------------------
    @property
    def planted(self) -> str:
        """The bug in the current patient ("none" or a key of ``bugs.BUGS``)."""
        if self.bug.value == MYSTERY:
            return bugs.mystery_bug(self.seed.value)
        return self.bug.value

    def _label(self) -> str:
        if self.bug.value == MYSTERY:
            return f"mystery #{self.seed.value}"
        if self.bug.value == "none":
            return "no bug"
        return bugs.BUGS[self.bug.value].title

    def _request_check(self) -> None:
        self._check_pending = True
        self.request()

    def run_check(self) -> bugs.CheckReport:
        """Run the gradient check now (what the button does) and return the report."""
        self._check_pending = True
        self.refresh()
        return self.report

    # -- the update cycle -------------------------------------------------------------------
    def compute(self, stale) -> bool:
        key = (self.bug.value, self.seed.value)
        if key != self._key:
            self._key = key
            self.model, self.loss = bugs.make_patient(self.planted, rng=self.seed.value)
            self.x, self.y = bugs.patient_data(rng=self.seed.value)
            self.report, self.found = None, None
        if self._check_pending:
            self._check_pending = False
            self.report = bugs.check_patient(self.model, self.loss, self.x, self.y)
        return True

    def draw(self) -> None:
        named = self.model.named_parameters()
        names, shapes = [n for n, _ in named], [tuple(p.shape) for _, p in named]
        errors = self.report.errors if self.report else None
        with style():
            if self.plot is None or (self.plot.names, self.plot.shapes) != (names, shapes):
                self.plot = ErrorBars(self.ax, names, shapes)  # every patient has the same
            self.plot.update(errors, title=f"gradient check, patient: {self._label()}")
        self.table.value = self._table_html()
        if self.report is None:
            self.set_status(f"patient ready ({self._label()}); press 'run gradient check'")
            return
        wrong = self.report.wrong()
        n = len(self.report.errors)
        if all(v == "good" for v in self.report.verdicts().values()):
            self.set_status(f"all {n} gradients agree with central differences (< 1e-7). "
                            "Is anything broken? Make a guess below.")  # fmt: skip
        elif not wrong:
            self.set_status("no gradient is clearly wrong, but some are suspicious "
                            "(1e-7 to 1e-2): look closer")  # fmt: skip
        else:
            self.set_status(
                f"{len(wrong)} of {n} gradients are wrong (> 1e-2): {', '.join(wrong)}. "
                "Which bug leaves this pattern? Make a guess below.",
                color=VERDICT_COLORS["wrong"],
            )

    def moving_artists(self) -> list:
        """What a move changes: the bars, their value labels, the prompt and the title (and
        the threshold lines over the bars); the axes (fixed log scale, regions, parameter
        names) never move."""
        return self.plot.moving_artists() if self.plot is not None else []

    def _table_html(self) -> str:
        if self.report is None:
            return ""
        rows = []
        for name, err in self.report.errors.items():
            v = bugs.verdict(err)
            scale = self.report.scales[name]
            shape = "×".join(map(str, self.report.analytic[name].shape))
            rows.append(
                f"<tr><td><code>{html.escape(name)}</code></td><td>{shape}</td>"
                f"<td style='text-align:right'>{err:.1e}</td>"
                f"<td style='color:{VERDICT_COLORS[v]}'><b>{v}</b></td>"
                f"<td style='text-align:right'>{scale:+.2f}</td></tr>"
            )
        head = (
            "<tr><th>parameter</th><th>shape</th><th>relative error</th><th>verdict</th>"
            "<th>analytic / numerical</th></tr>"
        )
        return (
            "<table style='border-collapse:collapse;font-size:13px' cellpadding='3'>"
            f"{head}{''.join(rows)}</table>"
            "<div style='font-size:12px;color:#555'>analytic / numerical = sum(a·n) / sum(n·n): "
            "1 when right, &minus;1 when the sign is flipped, 0 when the gradient is missing.</div>"
        )

    # -- the game ---------------------------------------------------------------------------
    def check_guess(self) -> tuple[bool, str]:
        """Compare ``guess.value`` with the planted bug; show and return (right?, message)."""
        if self.report is None:
            message = "run the gradient check first: the pattern of errors is the evidence"
            self.set_status(message)
            return False, message
        ok, message = bugs.guess_feedback(self.guess.value, self.planted)
        self.found = ok
        self.set_status(message, color=VERDICT_COLORS["good" if ok else "wrong"])
        return ok, message

    def close(self) -> None:
        self.run_button.close()
        self.guess.close()
        self.guess_button.close()
        self.table.close()
        super().close()
