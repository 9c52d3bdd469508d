"""Is a figure's text readable? Clipped or overlapping labels, found from the drawn extents.

``layout_problems(fig)`` lists every tick label, axis label, title, legend and text that sticks
out of the figure, every pair of neighbouring tick labels that run into each other, and every
piece of one panel's decoration (tick labels, axis labels, title) that runs into another
panel. It reads the window extents matplotlib computed for the last draw, so it is cheap after
a render. The dashboards call it after every render and lay the figure out again when it finds
anything (their layout is otherwise computed once and kept, see ``widgets.base``); the tests
call it at every control's extremes.
"""

from __future__ import annotations

import weakref
from weakref import WeakKeyDictionary

from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

__all__ = ["layout_problems", "new_layout_problems", "drawn_tick_labels"]

_SLACK = 1.0  # pixels: extents that touch within this are not counted as overlapping


def _visible(artist) -> bool:
    return (
        artist is not None
        and artist.get_visible()
        and (not hasattr(artist, "get_text") or bool(artist.get_text().strip()))
    )


def drawn_tick_labels(axis) -> list:
    """The visible tick labels (Text) of ``axis`` that the last draw put inside its view.

    Read after a draw: the ticks are then up to date with the limits (no update is forced
    here, which would cost as much as the check).
    """
    lo, hi = sorted(axis.get_view_interval())
    to_px = axis.get_transform()
    span = abs(to_px.transform(hi) - to_px.transform(lo))
    labels = []
    for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
        loc = tick.get_loc()
        if loc is None:
            continue
        # inside the view, up to a rounding error in the scale's coordinates (as matplotlib)
        pos = to_px.transform(loc)
        if not (to_px.transform(lo) - 1e-9 * span <= pos <= to_px.transform(hi) + 1e-9 * span):
            continue
        labels += [t for t in (tick.label1, tick.label2) if _visible(t)]
    return labels


def _overlap(a: Bbox, b: Bbox) -> bool:
    """Whether two boxes share more than a sliver (``_SLACK`` pixels) of area."""
    ax0, ay0, ax1, ay1 = a.extents
    bx0, by0, bx1, by1 = b.extents
    slack = 2 * _SLACK
    return ax0 + slack < bx1 and bx0 + slack < ax1 and ay0 + slack < by1 and by0 + slack < ay1


def _name(ax, i: int) -> str:
    title = ax.get_title() or ax.get_xlabel() or ax.get_ylabel()
    return f"panel {i} ({title!r})" if title else f"panel {i}"


def _tick_labels(ax, renderer) -> tuple[list, list]:
    """An axes' tick labels, each (what, display box), sorted as ``layout_problems`` reads
    them, and the pairs of neighbouring tick labels that overlap."""
    mine: list[tuple[str, Bbox]] = []
    overlaps: list[tuple[str, str, str]] = []
    for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if not (ax.axison and axis.get_visible()):
            continue
        ticks = [(t.get_text(), t.get_window_extent(renderer)) for t in drawn_tick_labels(axis)]
        key = (lambda e: e[1].x0) if which == "x" else (lambda e: e[1].y0)
        ticks.sort(key=key)
        for (t1, b1), (t2, b2) in zip(ticks, ticks[1:], strict=False):
            if _overlap(b1, b2):
                overlaps.append((which, t1, t2))
        mine += [(f"{which} tick label {t!r}", b) for t, b in ticks]
    return mine, overlaps


def _labels_and_titles(ax, renderer) -> list:
    """An axes' axis labels, offset texts and titles, each (what, display box)."""
    mine: list[tuple[str, Bbox]] = []
    for which, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if not (ax.axison and axis.get_visible()):
            continue
        for label in (axis.label, axis.get_offset_text()):
            if _visible(label):
                mine.append((f"{which} label {label.get_text()!r}",
                             label.get_window_extent(renderer)))  # fmt: skip
    titles = (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None))
    for title in titles:
        if _visible(title):
            mine.append((f"title {title.get_text()!r}", title.get_window_extent(renderer)))
    return mine


def _decorations(ax, renderer) -> tuple[list, list]:
    """An axes' tick labels, axis labels and titles, each (what, display box), sorted as
    ``layout_problems`` reads them, and the pairs of neighbouring tick labels that overlap."""
    ticks, overlaps = _tick_labels(ax, renderer)
    return ticks + _labels_and_titles(ax, renderer), overlaps


def _axes_signature(ax) -> tuple:
    """What decides where an axes' tick labels go (a title or label that changes its text
    does not move them: those few texts are measured on every call)."""
    return (tuple(ax.bbox.bounds), ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
            ax.get_yscale(), ax.axison, ax.xaxis.get_visible(),
            ax.yaxis.get_visible(), *(weakref.ref(t) for t in (  # held weakly, as the axes
                ax.xaxis.get_major_formatter(), ax.yaxis.get_major_formatter(),
                ax.xaxis.get_major_locator(), ax.yaxis.get_major_locator())))  # fmt: skip


def layout_problems(fig: Figure, renderer=None, cache: dict | None = None) -> list[str]:
    """Text of ``fig`` that is clipped by its edge or runs into other text or another panel.

    Call it after the figure was drawn (``to_png``, ``savefig`` or ``canvas.draw``). Returns
    one sentence per problem; an empty list means every label is readable. ``cache`` (a dict
    kept between calls on one figure) keeps each axes' tick-label boxes while what places them
    (``_axes_signature``) is unchanged: a live dashboard's check then measures again only the
    panels whose ticks changed (titles, axis labels, legends and texts are always measured).
    """
    renderer = renderer or fig.canvas.get_renderer()
    page = Bbox.from_bounds(0, 0, *fig.canvas.get_width_height())
    problems: list[str] = []
    axes = [ax for ax in fig.axes if ax.get_visible()]
    decorations: list[list[tuple[str, Bbox]]] = []
    for i, ax in enumerate(axes):
        name = _name(ax, i)
        if cache is None:
            mine, overlaps = _decorations(ax, renderer)
        else:
            signature = _axes_signature(ax)
            hit = cache.get(id(ax))
            if hit is None or hit[0]() is not ax or hit[1] != signature:
                # the axes held weakly: the cache lives as long as its figure, not longer
                hit = cache[id(ax)] = (weakref.ref(ax), signature, *_tick_labels(ax, renderer))
            mine, overlaps = [*hit[2], *_labels_and_titles(ax, renderer)], hit[3]
        for which, t1, t2 in overlaps:
            problems.append(f"{name}: {which} tick labels {t1!r} and {t2!r} overlap")
        legend = ax.get_legend()
        inside = [("legend", legend.get_window_extent(renderer))] if _visible(legend) else []
        inside += [(f"text {t.get_text()!r}", t.get_window_extent(renderer))
                   for t in ax.texts if _visible(t)]  # fmt: skip
        for what, box in mine + inside:
            if box.width > 0 and not _inside(box, page):
                problems.append(f"{name}: {what} is clipped by the figure's edge")
        for what, box in inside:
            if not what.startswith("text"):
                continue
            for other, obox in mine:
                if "tick label" in other and _overlap(box, obox):
                    problems.append(f"{name}: the {what} covers the {other}")
                    break
        if inside and inside[0][0] == "legend":
            box = inside[0][1]
            if not _inside(box, ax.get_window_extent(renderer)):
                problems.append(f"{name}: its legend sticks out of the panel")
            for what, other in mine:
                if _overlap(box, other):
                    problems.append(f"{name}: its legend covers the {what}")
        decorations.append(mine)
    for t in [getattr(fig, "_suptitle", None), *fig.texts]:
        if _visible(t) and not _inside(t.get_window_extent(renderer), page):
            problems.append(f"figure text {t.get_text()!r} is clipped by the figure's edge")
    boxes = [ax.get_window_extent(renderer) for ax in axes]
    for i, a in enumerate(axes):
        for j, b in enumerate(axes):
            if i == j or _same_place(boxes[i], boxes[j]):
                continue  # a twin axes shares its panel
            for what, box in decorations[i]:
                if _overlap(box, boxes[j]):
                    problems.append(f"{_name(a, i)}: {what} runs into {_name(b, j)}")
                elif j > i and any(_overlap(box, other) for _, other in decorations[j]):
                    problems.append(f"{_name(a, i)}: {what} runs into the labels of {_name(b, j)}")
    return problems


def _inside(box: Bbox, page: Bbox) -> bool:
    return (box.x0 >= page.x0 - _SLACK and box.y0 >= page.y0 - _SLACK
            and box.x1 <= page.x1 + _SLACK and box.y1 <= page.y1 + _SLACK)  # fmt: skip


def _same_place(a: Bbox, b: Bbox) -> bool:
    return max(abs(a.x0 - b.x0), abs(a.y0 - b.y0), abs(a.x1 - b.x1), abs(a.y1 - b.y1)) < 1.0


_CLEAN: WeakKeyDictionary = WeakKeyDictionary()  # figure -> the signature last found clean
_BOXES: WeakKeyDictionary = WeakKeyDictionary()  # figure -> layout_problems' cache of boxes


def _signature(fig: Figure) -> tuple:
    """What decides where text goes: every axes' place, limits, scales and texts."""
    parts = [tuple(fig.canvas.get_width_height())]
    for ax in fig.axes:
        legend = ax.get_legend()
        parts.append((
            ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(), ax.get_xscale(),
            ax.get_yscale(), ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
            tuple(t.get_text() for t in ax.texts),
            tuple(t.get_text() for t in legend.get_texts()) if legend is not None else None,
        ))  # fmt: skip
    return tuple(parts)


def new_layout_problems(fig: Figure) -> list[str]:
    """``layout_problems``, skipped when nothing that places text changed since a call found
    none (the same limits, scales, titles, labels and texts): what a live dashboard calls after
    every render, so an unchanged layout costs a comparison instead of a full check."""
    signature = _signature(fig)
    if _CLEAN.get(fig) == signature:
        return []
    problems = layout_problems(fig, cache=_BOXES.setdefault(fig, {}))
    if not problems:
        _CLEAN[fig] = _signature(fig)
    return problems
