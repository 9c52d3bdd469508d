"""Redrawing only what moved (blitting): a dashboard's figure rendered by drawing its moving
artists over a cached picture of everything else, pixel for pixel what a full draw gives.

A dashboard lists in ``moving_artists()`` the artists an ordinary update changes (called after
every ``draw()``, so they may be new objects): lines, images, scatter offsets, texts whose
strings change, or a whole axes whose limits follow the data. The first render draws everything
else once with those left out, keeps that picture (``canvas.copy_from_bbox``), then draws them
over it; later updates restore the picture, draw the moving artists again with ``draw_artist``
semantics (``artist.draw(renderer)``) and encode the Agg buffer to PNG, without another full
draw. The result is the full draw's, pixel for pixel:

- Draw order. The figure's draw order is rebuilt exactly as ``Figure.draw`` and ``Axes.draw``
  sort it (z-order, then insertion), each axes opened into its children. Every static artist
  painted after a moving one over the same pixels (a legend or a text over a line, the points
  over a decision surface, an axis' tick marks at an image's edge) is drawn with the moving
  ones, in order, and left out of the background, and so on transitively. "Over the same
  pixels": first the boxes (a clipped artist's clip box; a text's, legend's, line's or
  patch's extent, padded; anything else, the whole figure), then, where boxes meet, the pixels
  the static artist really paints, found by drawing it alone on a scratch canvas once.
- What counts as a change, detected rather than guessed: (1) ``relayout()`` or a new layout,
  (2) a different canvas, size or dpi, (3) any axes' place, view limits, scales, frame or
  visibility, or any axis' locators, formatters (fixed ticks by value), tick parameters or
  label side (``_static_key``; not checked in an axes that is moving as a whole), (4) a
  different list of static artists (one added, removed, re-ordered or recreated), (5) a static
  artist, or any artist inside it (of an axis: its label and offset text; its ticks follow
  from (3)), whose ``stale`` flag is set. The flags of every static
  artist are cleared when the background is made, and matplotlib sets them on every property
  change, so they mean "changed since". A text whose flag was set by a setter given the same
  values (``set_title`` with the same string re-sets its font) is compared by what it shows
  (string, place, colour, font, alignment...) and forgiven if nothing differs; limits set to
  the same values are forgiven by (3), which compares values, not flags (an axis' own flag is
  set by every ``set_xlim`` and so not used). Any of these gives one full redraw and a fresh
  background; a moving axis whose new tick labels reach a static artist is caught after it is
  drawn and also redrawn in full. A draw of the figure by anyone else (``to_png``, ``savefig``)
  clears the flags too, so it drops the background.
- Learning. What forced a full redraw without being listed (the axes whose limits changed, the
  static artist that changed, the static artist a moving one now reaches, the axes whose
  artists were recreated) is remembered and treated as moving from then on, so a missing entry
  in ``moving_artists`` costs one full redraw, then nothing; correctness never depends on the
  list. An axes learned for its limits is static again once they held still for ``_SETTLE``
  updates (one more full redraw): panels whose limits snap to round values (``viz.curves``,
  ``viz.param_slice``) move only now and then.
- Not seen: data changed in place without a setter (``line.get_ydata()[:] = ...``); change
  artists through their setters, as matplotlib expects. Figures with rasterised z-orders are
  always drawn in full.

``Blitter.render`` says which path it took; ``Blitter.reason`` why the last full redraw was
needed (a dashboard shows both in ``timings["path"]`` and ``redraw_reason``).

Used by ``widgets.base.Dashboard``, which renders every update through a ``Blitter``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FixedLocator
from matplotlib.transforms import Bbox

from ..viz.layout import drawn_tick_labels

__all__ = ["Blitter"]

_SETTLE = 10  # updates with unchanged limits after which a panel is no longer drawn whole
# (unlearning costs one full redraw: worth it only over a long still stretch, as in Play)
_PAD_PX = 3.0  # antialiasing and stroke width around an artist's extent, in pixels


def _draw_order(fig) -> list[Artist] | None:
    """Every artist a full draw of ``fig`` paints, in the order it paints them, with each axes
    opened up into its own children (as ``Figure.draw`` and ``Axes.draw`` sort them). None
    when the figure draws in a way this order cannot follow (rasterised z-orders)."""
    order: list[Artist] = [fig.patch]
    children = [a for a in fig.get_children() if a is not fig.patch and not a.get_animated()]
    for artist in sorted(children, key=lambda a: a.get_zorder()):
        if isinstance(artist, Axes):
            inner = _axes_order(artist)
            if inner is None:
                return None
            order += inner
        else:
            order.append(artist)
    return order


def _axes_order(ax) -> list[Artist] | None:
    if not ax.get_visible():
        return []
    if ax.get_rasterization_zorder() is not None:
        return None
    children = [a for a in ax.get_children() if a is not ax.patch]
    if not (ax.axison and ax.get_frame_on()):
        children = [a for a in children if a not in ax.spines.values()]
    if not ax.axison:
        children = [a for a in children if not isinstance(a, Axis)]
    children = sorted((a for a in children if not a.get_animated()), key=lambda a: a.zorder)
    order = [ax.patch] if ax.axison and ax.get_frame_on() else []
    for artist in children:
        if isinstance(artist, Axes):  # an inset axes draws its children in its own order
            inner = _axes_order(artist)
            if inner is None:
                return None
            order += inner
        else:
            order.append(artist)
    return order


def _clip_region(artist) -> Bbox | None:
    """The display box an artist's clipping confines it to, or None if it is not clipped."""
    if not artist.get_clip_on():
        return None
    region = None
    box = artist.get_clip_box()
    if box is not None:
        region = Bbox(box.get_points())
    path = artist.get_clip_path()
    if path is not None:
        extents = path.get_fully_transformed_path().get_extents()
        region = extents if region is None else Bbox.intersection(region, extents)
        if region is None:  # clipped away entirely
            return Bbox.null()
    return region


def _region(artist, renderer, page: Bbox, grow: bool = False) -> Bbox | None:
    """A display box containing every pixel ``artist`` paints now (None: it paints nothing).

    Clipped artists: their clip box. Text, legends, lines, patches and images: their extent,
    padded by the stroke width and antialiasing (and, with ``grow``, a text's or legend's by
    room to grow by a few characters). An axis: its tick labels and its axes' box (grid lines).
    Anything else: the whole figure, which is always safe.
    """
    if not artist.get_visible():
        return None
    if isinstance(artist, Text) and not artist.get_text():
        return None
    clip = _clip_region(artist)
    if isinstance(artist, Axis):
        box = artist.get_tightbbox(renderer)
        box = artist.axes.bbox.frozen() if box is None else Bbox.union([box, artist.axes.bbox])
        return box.padded(_PAD_PX + 6)  # tick marks stick out of the axes box
    if clip is not None and not isinstance(artist, Text | Legend):
        return clip
    if isinstance(artist, Text | Legend | Line2D | Patch | AxesImage):
        box = artist.get_window_extent(renderer)
        pad = _PAD_PX
        if isinstance(artist, Line2D | Patch):
            pad += artist.get_linewidth() * artist.get_figure(root=True).dpi / 72.0
        if isinstance(artist, Line2D):
            pad += artist.get_markeredgewidth() * artist.get_figure(root=True).dpi / 72.0
        box = box.padded(pad)
        if grow and isinstance(artist, Text | Legend):
            # a moving text may grow a little before a full redraw is needed (a line, patch
            # or image has no text to grow: grown, an axes' patch would reach its neighbours)
            box = Bbox.from_extents(box.x0 - 0.3 * box.width - 6, box.y0 - 4,
                                    box.x1 + 0.3 * box.width + 6, box.y1 + 4)  # fmt: skip
        if clip is not None:
            box = Bbox.intersection(box, clip.padded(1.0)) or Bbox.null()
        return box
    return page


def _place_titles(artists, renderer) -> None:
    """Place the titles about to be drawn where ``Axes.draw`` would (it moves an axes' titles
    above its top tick labels when ``axes.titley`` is automatic)."""
    done = set()
    for artist in artists:
        ax = artist.axes if isinstance(artist, Text) else None
        if ax is None or id(ax) in done or artist not in (ax.title, ax._left_title,
                                                          ax._right_title):  # fmt: skip
            continue
        done.add(id(ax))
        ax._update_title_position(renderer)


def _drawn_axis_region(axis, renderer) -> Bbox:
    """What an axis painted in its last draw: its axes' box (grid lines, tick marks) and its
    tick labels, label and offset text (their extents were laid out by that draw)."""
    boxes = [axis.axes.bbox.frozen().padded(_PAD_PX + 6)]
    for text in (*drawn_tick_labels(axis), axis.label, axis.offsetText):
        if text.get_visible() and text.get_text():
            boxes.append(text.get_window_extent(renderer).padded(_PAD_PX))
    return Bbox.union(boxes)


def _contains(outer: Bbox | None, inner: Bbox | None) -> bool:
    if inner is None:
        return True
    if outer is None:
        return False
    return (outer.x0 <= inner.x0 and outer.y0 <= inner.y0
            and inner.x1 <= outer.x1 and inner.y1 <= outer.y1)  # fmt: skip


def _overlap(a: Bbox | None, b: Bbox | None) -> bool:
    if a is None or b is None:
        return False
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _descendants(artist):
    """``artist``'s children, theirs, ... (not the artist itself)."""
    stack = list(artist.get_children())
    while stack:
        a = stack.pop()
        yield a
        stack.extend(a.get_children())


def _watched(artist):
    """The artists whose ``stale`` flag tells whether ``artist`` changed: itself and its
    descendants; for an axis only its label and offset text (its own flag is set by every
    ``set_xlim``, its ticks are rebuilt from the rules in ``_static_key`` on every draw)."""
    if isinstance(artist, Axis):
        return (artist.label, artist.offsetText)
    return (artist, *_descendants(artist))


def _ticker_key(obj):
    """A locator or formatter: the object itself, or its values when it holds fixed ones
    (``set_xticks`` makes a new FixedLocator each call, equal if the ticks are)."""
    if isinstance(obj, FixedLocator):
        return ("fixed", tuple(np.asarray(obj.locs, dtype=float).tolist()), obj.nbins)
    if isinstance(obj, FixedFormatter):
        return ("fixed", tuple(obj.seq))
    return _Same(obj)


class _Same:
    """Compares by identity and keeps the object alive (so an id is never reused)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


def _transform_key(transform):
    """An affine transform by its matrix (``set_title`` makes a new, equal one), another by
    identity."""
    if transform.is_affine:
        return tuple(np.asarray(transform.get_matrix()).ravel().tolist())
    return _Same(transform)


def _text_key(text: Text):
    """What a text looks like, so a setter that set the same values is seen as no change;
    None for a text this cannot vouch for (one with a box drawn around it)."""
    if text.get_bbox_patch() is not None:
        return None
    if not text.get_text():
        return ""  # paints nothing wherever it is (an empty left or right title)
    return (text.get_text(), tuple(text.get_unitless_position()), str(text.get_color()),
            text.get_alpha(), hash(text.get_fontproperties()), text.get_ha(), text.get_va(),
            text.get_rotation(), text.get_rotation_mode(), text.get_visible(),
            text.get_zorder(), text.get_linespacing(), text.get_wrap(), text.get_usetex(),
            _transform_key(text.get_transform()), text.get_clip_on(), _Same(text.get_clip_box()),
            _Same(text.get_clip_path()), tuple(map(_Same, text.get_path_effects())),
            text.get_antialiased())  # fmt: skip


def _static_key(fig, canvas, moving_axes=frozenset()) -> tuple:
    """What decides where everything is drawn: the canvas and its size, every axes' place,
    limits, scales and frame, every axis' tick rules. A change in any of them moves static
    pixels, so it needs a full redraw; except in an axes redrawn whole on every update (ids
    in ``moving_axes``), whose limits and ticks may change freely. One entry per axes, its
    first item the axes (so a difference names the axes that changed)."""
    parts: list = [(None, _Same(canvas), tuple(canvas.get_width_height(physical=True)), fig.dpi)]
    for ax in fig.axes:
        parts.append((_Same(ax), "moves") if id(ax) in moving_axes else _axes_key(ax))
    return tuple(parts)


def _axes_key(ax) -> tuple:
    """An axes' entry in ``_static_key``: its place, limits, frame and tick rules."""
    axes_part = [
        _Same(ax), ax.get_visible(), tuple(ax.bbox.bounds), tuple(ax.get_xlim()),
        tuple(ax.get_ylim()), ax.axison, ax.get_frame_on(), ax.get_zorder(),
    ]  # fmt: skip
    for axis in ax._axis_map.values():
        axes_part.append((
            axis.get_visible(), axis.get_scale(), _ticker_key(axis.get_major_locator()),
            _ticker_key(axis.get_major_formatter()), _ticker_key(axis.get_minor_locator()),
            _ticker_key(axis.get_minor_formatter()), _Same(axis.get_converter()),
            repr(sorted(axis._major_tick_kw.items())),
            repr(sorted(axis._minor_tick_kw.items())), axis.get_label_position(),
            axis.get_ticks_position(),
        ))  # fmt: skip
    return tuple(axes_part)


def _changed_axes(old: tuple, new: tuple) -> list:
    """The axes whose entries differ between two ``_static_key``s (none if the figure's own
    entry or the list of axes differs: that is a new layout, not a moving panel)."""
    if len(old) != len(new) or old[0] != new[0]:
        return []
    return [n[0].obj for o, n in zip(old[1:], new[1:], strict=True) if o != n and o[0] == n[0]]


class _Pixels:
    """Which pixels a static artist paints, found by drawing it alone on a scratch canvas of
    the figure's size (once per background, and only for an artist whose box meets a moving
    one's: e.g. an axis drawn above an image, whose tick marks stop at the image's edge)."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.scratch = None
        self.masks: dict[int, tuple] = {}  # id -> (artist, (col0, row0, mask) or None)

    def _mask(self, artist):
        hit = self.masks.get(id(artist))
        if hit is not None and hit[0] is artist:
            return hit[1]
        width, height = self.canvas.get_width_height(physical=True)
        if self.scratch is None:
            self.scratch = RendererAgg(width, height, self.canvas.figure.dpi)
        self.scratch.clear()
        watched = [a for a in _watched(artist) if not a._stale]
        artist.draw(self.scratch)
        for a in watched:  # drawing it again changed nothing: keep it clean
            a._stale = False
        alpha = np.asarray(self.scratch.buffer_rgba())[..., 3]
        rows = np.flatnonzero(alpha.any(axis=1))
        if not len(rows):
            found = None
        else:
            cols = np.flatnonzero(alpha.any(axis=0))
            r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            found = (int(c0), int(r0), alpha[r0:r1, c0:c1] > 0, height)
        self.masks[id(artist)] = (artist, found)
        return found

    def hits(self, artist, boxes) -> bool:
        """Whether ``artist`` paints a pixel inside any of ``boxes`` (display boxes)."""
        found = self._mask(artist)
        if found is None:
            return False
        c0, r0, mask, height = found
        for b in boxes:
            # every pixel the box touches, and the next one up (Agg rounds a clip box's edges)
            x0, x1 = int(np.floor(b.x0)) - c0, int(np.ceil(b.x1)) + 1 - c0
            y0, y1 = height - int(np.ceil(b.y1)) - 1 - r0, height - int(np.floor(b.y0)) - r0
            if mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)].any():
                return True
        return False

    def box(self, artist) -> Bbox | None:
        """The display box of the pixels ``artist`` paints (after ``hits``)."""
        found = self._mask(artist)
        if found is None:
            return None
        c0, r0, mask, height = found
        h, w = mask.shape
        return Bbox.from_extents(c0 - 1, height - r0 - h - 1, c0 + w + 1, height - r0 + 1)


class _Background:
    """The cached picture of everything that did not move, and what it was made from."""

    def __init__(self, region, key, static, foreground, regions, texts, moving_axes):
        self.region = region  # canvas.copy_from_bbox of the figure, foreground left out
        self.key = key  # _static_key when it was made
        self.static = static  # the artists painted into it, in draw order
        self.foreground = foreground  # the artists drawn over it on every update
        self.regions = regions  # id -> (artist, region) of static artists, filled lazily
        self.texts = texts  # id -> (text, _text_key) of the static texts
        self.moving_axes = moving_axes  # ids of the axes with nothing static: drawn whole
        self.axis_regions: dict[int, tuple] = {}  # id -> (axis, region) of moving axes' axis


class Blitter:
    """Renders a dashboard's figure to PNG, redrawing only the moving artists when it can.

    See the module docstring for how a change to the static part is detected.
    """

    def __init__(self, figure):
        self.figure = figure
        self.background: _Background | None = None
        self.reason = ""  # why the last render was a full one ("" after a blit)
        self._own_draw = False
        self._watched = None
        self.learned: list = []  # artists and axes found changing without being listed
        # axes learned because their limits moved: id -> [axes, its _axes_key last update,
        # how many updates in a row kept it]; one that holds still is static again
        self._limits: dict[int, list] = {}

    def canvas(self) -> FigureCanvasAgg:
        fig = self.figure
        return fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)

    def forget(self) -> None:
        self.background = None

    def _watch(self, canvas) -> None:
        """Forget the background whenever someone else draws the figure (``to_png``,
        ``savefig``): that draw clears the stale flags the next update relies on."""
        if self._watched is not canvas:
            canvas.mpl_connect("draw_event", self._on_draw)  # held weakly by matplotlib
            self._watched = canvas

    def _on_draw(self, event) -> None:
        if not self._own_draw:
            self.background = None

    # -- the pieces -------------------------------------------------------------------------
    @staticmethod
    def _elements(order, moving) -> dict[int, Artist]:
        """The draw-order entries that the moving artists are or belong to (id -> artist)."""
        index = {id(a): a for a in order}
        found: dict[int, Artist] = {}
        missing = []
        for artist in moving:
            if artist is None:
                continue
            if isinstance(artist, Axes):  # a whole panel moves
                found.update((id(a), a) for a in _axes_order(artist) or ())
            elif id(artist) in index:
                found[id(artist)] = artist
            else:
                missing.append(artist)
        if missing:  # a part of a bigger artist (a legend's text): that artist moves
            wanted = {id(a) for a in missing}
            for top in order:
                if any(id(a) in wanted for a in _descendants(top)):
                    found[id(top)] = top
        return found

    @staticmethod
    def _foreground(order, seeds, region_of, pixels) -> tuple[list, dict]:
        """The seeds and every artist painted after one of them over its pixels (and so on):
        what must be drawn, in order, over a background made of the rest. A static artist
        whose box meets a chosen one's is tested on the pixels it really paints. Returns them
        and the box each was tested with."""
        chosen: list[Artist] = []
        boxes: list[Bbox] = []
        by_id: dict[int, Bbox | None] = {}
        for artist in order:
            if id(artist) in seeds:
                box = region_of(artist)
            elif boxes:
                box = region_of(artist)
                near = [b for b in boxes if _overlap(box, b)]
                if not near or not pixels.hits(artist, near):
                    continue
                box = pixels.box(artist) or box
            else:
                continue
            chosen.append(artist)
            by_id[id(artist)] = box
            if box is not None:
                boxes.append(box)
        return chosen, by_id

    def _clean(self, background) -> str:
        """ "" if no static artist changed since the background was made, else which did
        (all of them are learned: see ``_learn``)."""
        changed = []
        for artist in background.static:
            for a in _watched(artist):
                if not a._stale:
                    continue
                known = background.texts.get(id(a))
                if known is not None and known[1] is not None and _text_key(a) == known[1]:
                    a._stale = False  # set to what it was: nothing to redraw
                    continue
                changed.append((artist, a))
                break
        if not changed:
            return ""
        self._learn(artist for artist, _ in changed)
        a = changed[0][1]
        return f"{type(a).__name__} {getattr(a, 'get_text', lambda: '')()!r} changed"

    def _learn(self, artists) -> None:
        """Remember artists (or whole axes) that changed although no one listed them: the
        next backgrounds leave them out, so the same kind of change is cheap next time."""
        for artist in artists:
            if artist is not None and not any(artist is a for a in self.learned):
                self.learned.append(artist)

    def _settle(self) -> None:
        """Forget an axes learned for its moving limits once they held still for
        ``_SETTLE`` updates in a row (snapped limits move now and then, not on every update):
        the next background holds it again, and its moving artists are blitted alone."""
        axes = self.figure.axes
        for key in list(self._limits):
            entry = self._limits[key]
            ax = entry[0]
            if not any(ax is a for a in self.learned) or not any(ax is a for a in axes):
                del self._limits[key]
                continue
            now = _axes_key(ax)
            entry[2] = entry[2] + 1 if now == entry[1] else 0
            entry[1] = now
            if entry[2] >= _SETTLE:
                self.learned = [a for a in self.learned if a is not ax]
                del self._limits[key]
                self.background = None  # drawn in full once, with the panel static again
                self._settled = True

    # -- rendering --------------------------------------------------------------------------
    def render(self, moving, force_full: bool = False) -> str:
        """Bring the canvas up to date with the figure; returns "blit" or "full"."""
        fig = self.figure
        canvas = self.canvas()
        for ax in fig.axes:  # as Figure.draw does first: pending autoscaling, fixed aspects
            ax.viewLim  # noqa: B018 - reading it applies a pending autoscale
            locator = ax.get_axes_locator()
            ax.apply_aspect(locator(ax, canvas.get_renderer()) if locator else None)
        order = _draw_order(fig)
        if order is not None:  # what was learned, while it is still in the figure
            present = {id(a) for a in order} | {id(ax) for ax in fig.axes}
            self.learned = [a for a in self.learned if id(a) in present]
            moving = [*moving, *self.learned]
        self._settled = False
        self._settle()
        bg = self.background
        reason = ""
        if force_full:
            reason = "the layout was computed again"
        elif order is None:
            reason = "rasterised z-orders"
        elif self._settled:
            reason = "a panel's limits held still: its axes are static again"
        elif bg is None:
            reason = "no background yet"
        if not reason:
            renderer = canvas.get_renderer()
            page = fig.bbox.frozen()
            moving_ids = self._elements(order, moving)
            seeds = dict(moving_ids)
            seeds.update((id(a), a) for a in bg.foreground)

            def region_of(artist):
                if id(artist) in seeds:
                    recorded = bg.fg_boxes.get(id(artist))
                    if (id(artist) not in moving_ids and recorded is not None
                            and not any(a._stale for a in _watched(artist))):  # fmt: skip
                        return recorded  # drawn over the background, but unchanged
                    if isinstance(artist, Axis) and id(artist) in bg.axis_regions:
                        return bg.axis_regions[id(artist)][1]  # as last drawn: checked below
                    if isinstance(artist, Axis) and id(artist.axes) not in bg.moving_axes:
                        # a static axes' ticks are fixed by the key: measured once
                        # (its label and offset text may change: then measured again)
                        hit = bg.regions.get(id(artist))
                        if (
                            hit is None
                            or hit[0] is not artist
                            or any(a._stale for a in _watched(artist))
                        ):
                            hit = bg.regions[id(artist)] = (artist, _region(artist, renderer,
                                                                            page))  # fmt: skip
                        return hit[1]
                    return _region(artist, renderer, page)
                hit = bg.regions.get(id(artist))
                if hit is None or hit[0] is not artist:
                    hit = bg.regions[id(artist)] = (artist, _region(artist, renderer, page))
                return hit[1]

            # first whether anything static changed (so what the scratch canvas draws is
            # what the background holds), then which artists must be drawn over it
            reason = self._clean(bg)
            if not reason:
                key = _static_key(fig, canvas, bg.moving_axes)
                if key != bg.key:
                    reason = "an axes' place, limits, scale or ticks changed"
                    changed = _changed_axes(bg.key, key)
                    self._learn(changed)
                    for ax in changed:  # drawn whole while its limits keep moving
                        self._limits[id(ax)] = [ax, _axes_key(ax), 0]
            if not reason:
                fg, _ = self._foreground(order, seeds, region_of, bg.pixels)
                ids = {id(a) for a in fg}
                static = [a for a in order if id(a) not in ids]
                if len(static) != len(bg.static) or any(
                    a is not b for a, b in zip(static, bg.static, strict=True)
                ):
                    reason = "the set of static artists changed"
                    old, now = {id(a) for a in bg.static}, {id(a) for a in static}
                    present = {id(a) for a in order}
                    # a static artist that a moving one now reaches (a point near an axis'
                    # tick marks) is drawn with them from now on; an artist added or removed
                    # means its panel's artists are being made anew: the panel moves whole
                    self._learn(a if id(a) in present and id(a) in old else a.axes or a
                                for a in (*bg.static, *static)
                                if (id(a) in old) != (id(a) in now))  # fmt: skip
            if not reason:
                canvas.restore_region(bg.region)
                _place_titles(fg, renderer)
                for artist in fg:
                    artist.draw(renderer)
                # an axis' tick labels are known only once drawn: if they now reach a static
                # artist drawn after them, that artist is under them in the cached picture
                reason = self._check_axes(bg, order, fg, ids, renderer, page)
                if not reason:
                    self.reason = ""
                    return "blit"
        if order is not None:
            moving = [*moving, *self.learned]  # what was learned just now, too
        self._full(canvas, order, moving)
        self.reason = reason
        return "full"

    @staticmethod
    def _check_axes(bg, order, fg, ids, renderer, page) -> str:
        """Record the region of each axis just drawn; "" if none grew into a static artist
        painted after it, else why the picture must be drawn in full."""
        position = {id(a): i for i, a in enumerate(order)}
        for artist in fg:
            if not isinstance(artist, Axis) or id(artist.axes) not in bg.moving_axes:
                continue  # an axis of a static axes keeps its ticks: they are in the key
            region = _drawn_axis_region(artist, renderer)
            old = bg.axis_regions.get(id(artist))
            bg.axis_regions[id(artist)] = (artist, region)
            if old is not None and _contains(old[1], region):
                continue
            for later in order[position[id(artist)] + 1 :]:
                if id(later) in ids:
                    continue  # drawn over it in this update anyway
                hit = bg.regions.get(id(later))
                if hit is None or hit[0] is not later:  # a static artist: its box holds
                    hit = bg.regions[id(later)] = (later, _region(later, renderer, page))
                if _overlap(region, hit[1]) and bg.pixels.hits(later, [region]):
                    return "an axis' new tick labels reach a static artist"
        return ""

    def _full(self, canvas, order, moving) -> None:
        fig = self.figure
        if order is None:  # draw as matplotlib does, keep no background
            canvas.draw()
            self.background = None
            return
        self._watch(canvas)
        renderer = canvas.get_renderer()
        page = fig.bbox.frozen()
        seeds = self._elements(order, moving)
        regions: dict[int, tuple] = {}

        def region_of(artist):
            if id(artist) in seeds:
                return _region(artist, renderer, page, grow=True)
            hit = regions.get(id(artist))
            if hit is None:
                hit = regions[id(artist)] = (artist, _region(artist, renderer, page))
            return hit[1]

        pixels = _Pixels(canvas)
        fg, fg_boxes = self._foreground(order, seeds, region_of, pixels) if seeds else ([], {})
        # left out of the background as matplotlib leaves out animated artists (hiding them
        # instead would move the titles: an axes places its titles by their extents)
        left_out = [a for a in fg if not a.get_animated()]
        for artist in left_out:
            artist.set_animated(True)
        self._own_draw = True
        try:
            canvas.draw()
        finally:
            self._own_draw = False
            for artist in left_out:
                artist.set_animated(False)
        region = canvas.copy_from_bbox(fig.bbox)
        for artist in fg:
            artist.draw(renderer)
        ids = {id(a) for a in fg}
        static = [a for a in order if id(a) not in ids]
        static_ids = {id(a) for a in static}
        moving_axes = frozenset(
            id(ax) for ax in fig.axes
            if not any(id(a) in static_ids for a in _axes_order(ax) or ())
        )  # fmt: skip
        key = _static_key(fig, canvas, moving_axes)
        # the static artists' boxes, as drawn (the next updates test the moving ones against
        # them), then their stale flags cleared: from now on stale means changed since then
        drawn = {}
        if fg:
            first = next(i for i, a in enumerate(order) if id(a) in ids)
            for artist in order[first:]:
                if id(artist) not in ids:
                    drawn[id(artist)] = (artist, _region(artist, renderer, page))
        texts = {}
        for artist in static:
            for a in _watched(artist):
                a._stale = False
                if isinstance(a, Text):
                    texts[id(a)] = (a, _text_key(a))
        self.background = _Background(region, key, static, fg, drawn, texts, moving_axes)
        self.background.pixels = pixels
        self.background.fg_boxes = fg_boxes
        self.background.axis_regions = {
            id(a): (a, _drawn_axis_region(a, renderer))
            for a in fg
            if isinstance(a, Axis) and id(a.axes) in moving_axes
        }
        self._own_draw = False
