"""Draw the computation graph of an ``autograd.Value``, with values and gradients.

Left to right, inputs first, as in micrograd's Graphviz drawing but with matplotlib only:
each node is a box (label / ``data`` / ``grad``), each operation a small orange badge just
before the box it produces, each use an arrow. Leaves (inputs, weights, constants) are blue;
the highlighted node (a step-through's current one) is yellow with a vermillion border
(Okabe-Ito colours, safe for colour-blind readers). Columns are placed "as late as possible"
(a bias sits next to the ``+`` that uses it), an arrow that crosses columns passes through
reserved slots instead of behind boxes, and the figure grows with the graph so the text stays
at 9.5 pt. When the full drawing would be wider than ``max_width`` (9.4 in: a notebook column
at dpi 100) it turns compact: numbers without the words "data"/"grad", the op as a tab on
its box, and a key on top; a 2-2-1 tanh network then fits in about 920 px.

Used by the chain-rule notebook and by ``widgets.stepthrough.StepThrough``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text
from matplotlib.textpath import TextToPath

from ..autograd.value import Value, topological_order
from .style import OKABE_ITO, PlotFigure, blend, style

__all__ = [
    "GraphDrawing",
    "GraphLayout",
    "draw_graph",
    "graph_figsize",
    "graph_layout",
    "plot_graph",
]

FONT_PT = 9.5  # text in the boxes
OP_FONT_PT = 9.0  # text in the op badges
PAD = 0.07  # inches of padding inside a box, each side
LINE = 0.18  # inches per text line in a box
ROW_GAP = 0.16  # inches between boxes of one column
ARROW = 0.14  # inches of visible arrow on each side of an op badge
MARGIN = 0.12  # inches around the drawing

LEAF_FILL = blend(OKABE_ITO["sky_blue"], 0.28)
NODE_FILL = "#ffffff"
OP_FILL = blend(OKABE_ITO["orange"], 0.30)
OP_EDGE = "#b07a00"  # a darker orange so the badge outline reads on white
HIGHLIGHT_FILL = blend(OKABE_ITO["yellow"], 0.55)
HIGHLIGHT = OKABE_ITO["vermillion"]
GRAD_COLOR = OKABE_ITO["blue"]
EDGE_COLOR = "#555555"
HIDDEN_COLOR = "#8a8a8a"

_OP_SYMBOLS = {"*": "\u00d7", "/": "\u00f7", "neg": "\u2212", "-": "\u2212"}
_measure = TextToPath()


@lru_cache(maxsize=4096)
def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches at ``size`` points."""
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    return _measure.get_text_width_height_descent(text, prop, ismath=False)[0] / 72.0


def _fmt(x: float) -> str:
    return f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _op_text(op: str) -> str:
    return _OP_SYMBOLS.get(op, op)


class _Waypoint:
    """A slot that a long arrow passes through in a column between its two ends."""

    __slots__ = ()


class GraphLayout:
    """Where each node of ``root``'s graph goes: ``col[node]`` (0 = leftmost), ``row[node]``.

    Columns: the output is in the last column and every other node one column left of its
    leftmost user, so each node sits right before the op that first needs it. An arrow that
    spans several columns gets a waypoint in each column it crosses, which takes a row like
    a box does, so the arrow never runs behind a box (``waypoints[(child, parent, i)]``, i the
    argument index). Rows: a few sweeps of the barycentre method (Sugiyama): right to left,
    each item moves towards the ops that use it (inputs of one op one row apart, in argument
    order); left to right, each op's output moves to the mean row of its inputs. Items of one
    column stay at least one row apart (the nearest such positions, by pool-adjacent-violators).
    """

    def __init__(self, root: Value, max_nodes: int = 150, sweeps: int = 4):
        nodes = topological_order(root)
        if len(nodes) > max_nodes:
            raise ValueError(
                f"this graph has {len(nodes)} nodes; a drawing is legible up to about "
                f"{max_nodes} (max_nodes). Draw a smaller expression, e.g. one neuron on one "
                "example, or raise max_nodes"
            )
        self.nodes = nodes
        dist = {root: 0}  # longest path to the root
        for node in reversed(nodes):
            for child in node.children:
                dist[child] = max(dist.get(child, 0), dist[node] + 1)
        self.n_cols = max(dist.values()) + 1
        col: dict = {node: self.n_cols - 1 - dist[node] for node in nodes}

        # The items laid out: nodes and waypoints, with their inputs and their users.
        items: list = []
        ins: dict = {}
        outs: dict = {node: [] for node in nodes}
        self.waypoints: dict[tuple[Value, Value, int], list[_Waypoint]] = {}
        for node in nodes:  # waypoints go into items before the node they lead to
            ins[node] = []
            k = len(node.children)
            for i, child in enumerate(node.children):
                prev = child
                chain = []
                for c in range(col[child] + 1, col[node]):
                    w = _Waypoint()
                    col[w], ins[w], outs[w] = c, [prev], []
                    outs[prev].append((w, 0.0))
                    items.append(w)
                    chain.append(w)
                    prev = w
                self.waypoints[(child, node, i)] = chain
                outs[prev].append((node, i - (k - 1) / 2))
                if prev not in ins[node]:
                    ins[node].append(prev)
            items.append(node)
        columns: list[list] = [[] for _ in range(self.n_cols)]
        for item in items:
            columns[col[item]].append(item)

        row: dict = {}
        next_leaf = 0
        for item in items:  # start: leaves in forward order, each op at its inputs' mean
            if ins[item]:
                row[item] = _mean([row[k] for k in ins[item]])
            else:
                row[item] = float(next_leaf)
                next_leaf += 1
        for c in range(self.n_cols):
            _spread(columns[c], dict(row), row)
        for _ in range(sweeps):
            for c in range(self.n_cols - 2, -1, -1):
                want = {n: _mean([row[u] + off for u, off in outs[n]]) for n in columns[c]}
                _spread(columns[c], want, row)
            for c in range(1, self.n_cols):
                want = {n: _mean([row[k] for k in ins[n]]) if ins[n] else row[n]
                        for n in columns[c]}  # fmt: skip
                _spread(columns[c], want, row)
        top = min(row.values())
        self.col = col  # nodes and waypoints
        self.row = {item: r - top for item, r in row.items()}
        self.n_rows = max(self.row.values()) + 1


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _spread(column: list, want: dict, row: dict) -> None:
    """Set ``row`` for ``column``'s nodes: as near ``want`` as possible, >= 1 apart.

    Sorted by wanted row, positions p_i minimise sum (p_i - want_i)^2 subject to
    p_{i+1} - p_i >= 1; with q_i = p_i - i that is an isotonic regression (PAV).
    """
    order = sorted(column, key=lambda n: (want[n], row[n]))
    blocks: list[list[float]] = []  # [sum, count] of merged q values
    for i, node in enumerate(order):
        blocks.append([want[node] - i, 1])
        while len(blocks) > 1 and blocks[-2][0] * blocks[-1][1] > blocks[-1][0] * blocks[-2][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    i = 0
    for total, count in blocks:
        for _ in range(int(count)):
            row[order[i]] = total / count + i
            i += 1


def graph_layout(root: Value, max_nodes: int = 150) -> GraphLayout:
    """The column and row of every node (see ``GraphLayout``)."""
    return GraphLayout(root, max_nodes)


def draw_graph(
    root: Value,
    ax: Axes | None = None,
    highlight: Value | Collection[Value] | None = None,
    show_grad: bool | Collection[Value] = True,
    show_data: bool | Collection[Value] = True,
    *,
    highlight_edges: Collection[tuple[Value, Value]] = (),
    grads: Mapping[Value, float] | None = None,
    names: Mapping[Value, str] | None = None,
    compact: bool | None = None,
    max_width: float = 9.4,
    title: str | None = None,
    dpi: float = 100,
    max_nodes: int = 150,
) -> Figure:
    """Draw ``root``'s computation graph: one box per Value, one badge per op, one arrow per use.

    Parameters
    ----------
    root : Value
        The output; every node it depends on is drawn.
    ax : matplotlib Axes, optional
        Draw here (limits and aspect are set; size it with ``graph_figsize(root)``).
        Default: a new figure sized to the graph.
    highlight : Value or collection of Values
        Boxes drawn in yellow with a thick vermillion border (the current step).
    show_grad, show_data : bool or collection of Values
        Which boxes show their gradient / value; the others show "?" (True: all, False: none).
    highlight_edges : collection of (child, parent) pairs
        Arrows drawn thick and vermillion (e.g. the uses a gradient flows back along).
    grads : mapping Value -> float, optional
        Gradients to show instead of each ``.grad`` (e.g. ``tracing.trace(root).grads``).
    names : mapping Value -> str, optional
        Box titles instead of ``.label`` (unlabelled nodes otherwise have no title).
    compact : bool or None
        Narrow boxes: numbers without the words "data"/"grad", the op as a tab on its box,
        and a key above the graph. None: only when the full drawing would be wider than
        ``max_width`` inches.
    title : str, optional
    dpi : float
        Of a new figure (100: one inch is 100 px in the notebook).
    max_nodes : int
        Larger graphs are refused (ValueError): they would not be legible.

    Returns
    -------
    The Figure (a new ``PlotFigure``, which shows itself as a PNG, or ``ax.figure``).
    """
    g = _Geometry(root, grads, names, compact, max_width, title, max_nodes)
    if ax is None:
        with style():
            fig = PlotFigure(figsize=(g.width, g.height), dpi=dpi)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    drawing = GraphDrawing(ax, root, _geometry=g)
    drawing.update(highlight, show_grad, show_data, highlight_edges=highlight_edges)
    return ax.figure


class GraphDrawing:
    """A graph drawn once on ``ax``; ``update`` changes highlights and shown numbers in place.

    Used by the step-through widget, so a step only restyles artists (no redraw from
    scratch). Takes ``draw_graph``'s keyword arguments ``grads``, ``names``, ``compact``,
    ``max_width``, ``title`` and ``max_nodes``; ``update`` takes ``highlight``, ``show_grad``,
    ``show_data`` and ``highlight_edges``, with the same meaning.

    Attributes: ``boxes``, ``data_texts``, ``grad_texts`` (dicts keyed by node) and ``edges``
    (dict keyed by (child, parent): the artists of that use's arrow).
    """

    def __init__(self, ax: Axes, root: Value, *, _geometry: _Geometry | None = None, **kwargs):
        g = _geometry or _Geometry(
            root,
            kwargs.get("grads"),
            kwargs.get("names"),
            kwargs.get("compact"),
            kwargs.get("max_width", 9.4),
            kwargs.get("title"),
            kwargs.get("max_nodes", 150),
        )
        self.geometry, self.ax, self.root = g, ax, root
        self.boxes: dict[Value, FancyBboxPatch] = {}
        self.data_texts: dict[Value, Text] = {}
        self.grad_texts: dict[Value, Text] = {}
        self.edges: dict[tuple[Value, Value], list] = {}
        self._op_arrows: dict[Value, FancyArrowPatch] = {}
        ax.set_xlim(0.0, g.width)
        ax.set_ylim(g.height, 0.0)  # rows go down
        ax.set_aspect("equal")
        ax.axis("off")
        for node in g.nodes:  # arrows first, so boxes sit on top of them
            if node.children:
                self._draw_inputs(node)
        for node in g.nodes:
            self._draw_box(node)
        if g.compact:
            key = [("each box: ", "black"), ("name", "black"), (", data, ", "black"),
                   ("grad", GRAD_COLOR), ("; ", "black"), ("orange tab", OP_EDGE),
                   (": the op that made it", "black")]  # fmt: skip
            kx = MARGIN
            for text, color in key:
                ax.text(kx, g.key_y, text, fontsize=FONT_PT, va="center", ha="left", color=color,
                        fontweight="bold" if text == "name" else "normal")  # fmt: skip
                kx += _text_width(text, FONT_PT, bold=text == "name")
        if g.title:
            ax.text(MARGIN, MARGIN + 0.12, g.title, fontsize=FONT_PT + 1, va="center", ha="left")

    def _arrow(self, a, b) -> FancyArrowPatch:
        arrow = FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=9, color=EDGE_COLOR,
                                lw=1.0, shrinkA=0, shrinkB=0, zorder=1)  # fmt: skip
        self.ax.add_patch(arrow)
        return arrow

    def _badge(self, cx: float, cy: float, op: str) -> None:
        w = _text_width(_op_text(op), OP_FONT_PT) + 0.12
        self.ax.add_patch(
            FancyBboxPatch((cx - w / 2 + 0.04, cy - 0.07), w - 0.08, 0.14,
                           boxstyle="round,pad=0.04,rounding_size=0.09", facecolor=OP_FILL,
                           edgecolor=OP_EDGE, lw=1.0, zorder=5)
        )  # fmt: skip
        self.ax.text(cx, cy, _op_text(op), ha="center", va="center", fontsize=OP_FONT_PT,
                     zorder=6)  # fmt: skip

    def _draw_inputs(self, node: Value) -> None:
        g = self.geometry
        x, y = g.xy(node)
        mid_y = y + g.box_h / 2
        if g.compact:  # arrows go into the box's left side, one entry point per input
            k = len(node.children)
            ends = [(x, mid_y + (i - (k - 1) / 2) * 0.12) for i in range(k)]
            tab_w = _text_width(_op_text(node.op), OP_FONT_PT) + 0.12
            self._badge(x + 0.04 + tab_w / 2, y - 0.1, node.op)  # a tab on the box's top edge
        else:  # arrows meet at the op badge in the gap, which points at the box
            bx = x - ARROW - g.badge_w / 2
            ends = [(bx - g.badge_w / 2, mid_y)] * len(node.children)
            self._op_arrows[node] = self._arrow((bx + g.badge_w / 2, mid_y), (x, mid_y))
            self._badge(bx, mid_y, node.op)
        count = {c: node.children.count(c) for c in node.children}
        seen: dict[Value, int] = {}
        for i, (child, (ex, ey)) in enumerate(zip(node.children, ends, strict=True)):
            cx, cy = g.xy(child)
            start_y = cy + g.box_h / 2
            if count[child] > 1:  # a node used twice by one op (a * a): two parallel arrows
                k = seen[child] = seen.get(child, -1) + 1
                shift = (k - (count[child] - 1) / 2) * 0.12
                start_y, ey = start_y + shift, ey + (0.0 if g.compact else shift * 0.6)
            artists = self.edges.setdefault((child, node), [])
            start = (cx + g.box_w, start_y)
            for w in g.layout.waypoints[(child, node, i)]:  # through the slots in between
                wx, wy = g.xy(w)
                wy += g.box_h / 2
                (line,) = self.ax.plot([start[0], wx, wx + g.box_w], [start[1], wy, wy],
                                       color=EDGE_COLOR, lw=1.0, zorder=1,
                                       solid_capstyle="round", solid_joinstyle="round")  # fmt: skip
                artists.append(line)
                start = (wx + g.box_w, wy)
            artists.append(self._arrow(start, (ex, ey)))

    def _draw_box(self, node: Value) -> None:
        g, ax = self.geometry, self.ax
        x, y = g.xy(node)
        self.boxes[node] = box = FancyBboxPatch(
            (x, y), g.box_w, g.box_h, boxstyle="round,pad=0,rounding_size=0.05", zorder=3,
            gid="value-box",
        )  # fmt: skip
        ax.add_patch(box)
        cx, ty = x + g.box_w / 2, y + PAD * 0.6 + LINE / 2
        if g.has_titles:
            ax.text(cx, ty, g.names.get(node, ""), ha="center", va="center", fontsize=FONT_PT,
                    fontweight="bold", zorder=4)  # fmt: skip
            ax.plot([x, x + g.box_w], [ty + LINE / 2] * 2, color="#bbbbbb", lw=0.6, zorder=4)
            ty += LINE
        self.data_texts[node] = ax.text(cx, ty, "", ha="center", va="center",
                                        fontsize=FONT_PT, zorder=4)  # fmt: skip
        self.grad_texts[node] = ax.text(cx, ty + LINE, "", ha="center", va="center",
                                        fontsize=FONT_PT, zorder=4)  # fmt: skip

    def update(
        self,
        highlight: Value | Collection[Value] | None = None,
        show_grad: bool | Collection[Value] = True,
        show_data: bool | Collection[Value] = True,
        *,
        highlight_edges: Collection[tuple[Value, Value]] = (),
    ) -> None:
        """Restyle in place: which boxes are highlighted, which numbers show, which arrows."""
        g = self.geometry
        highlighted, hot_edges = _as_set(highlight), set(highlight_edges)
        data_shown, grad_shown = _selector(show_data), _selector(show_grad)
        for node, box in self.boxes.items():
            hot = node in highlighted
            leaf = not node.children
            box.set_facecolor(HIGHLIGHT_FILL if hot else (LEAF_FILL if leaf else NODE_FILL))
            box.set_edgecolor(HIGHLIGHT if hot else "#333333")
            box.set_linewidth(2.6 if hot else (1.6 if node is self.root else 0.9))
            d_ok, g_ok = data_shown(node), grad_shown(node)
            d, gr = g.lines(node, d_ok, g_ok)
            self.data_texts[node].set_text(d)
            self.data_texts[node].set_color("black" if d_ok else HIDDEN_COLOR)
            self.grad_texts[node].set_text(gr)
            self.grad_texts[node].set_color(GRAD_COLOR if g_ok else HIDDEN_COLOR)
        for key, artists in self.edges.items():
            for artist in artists:
                _style_edge(artist, key in hot_edges)
        for node, arrow in self._op_arrows.items():
            _style_edge(arrow, any((c, node) in hot_edges for c in node.children))


def _style_edge(artist, hot: bool) -> None:
    artist.set_color(HIGHLIGHT if hot else EDGE_COLOR)
    artist.set_linewidth(2.2 if hot else 1.0)
    artist.set_zorder(2 if hot else 1)


def graph_figsize(
    root: Value,
    *,
    grads: Mapping[Value, float] | None = None,
    names: Mapping[Value, str] | None = None,
    compact: bool | None = None,
    max_width: float = 9.4,
    title: str | None = None,
) -> tuple[float, float]:
    """(width, height) in inches of ``draw_graph(root, ...)``'s figure, e.g. to size an Axes.

    Pass the same ``grads``, ``names``, ``compact``, ``max_width`` and ``title`` as to
    ``draw_graph`` (what is shown or highlighted does not change the size).
    """
    g = _Geometry(root, grads, names, compact, max_width, title, 10**9)
    return g.width, g.height


class _Geometry:
    """Sizes (inches) and positions of everything drawn; independent of what is shown."""

    def __init__(self, root, grads, names, compact, max_width, title, max_nodes):
        self.layout = GraphLayout(root, max_nodes)
        self.nodes = nodes = self.layout.nodes
        self.names = {n: n.label for n in nodes} if names is None else dict(names)
        self.grad_of = {n: n.grad for n in nodes} if grads is None else dict(grads)
        self.title = title
        self.has_titles = any(self.names.get(n) for n in nodes)
        ops = [_op_text(n.op) for n in nodes if n.op]
        self.badge_w = max([_text_width(t, OP_FONT_PT) + 0.12 for t in ops] + [0.26])
        if compact is None:
            self.compact = False
            compact = self._sizes()[2] > max_width
        self.compact = bool(compact)
        self.box_w, self.gap, self.width = self._sizes()
        self.box_h = LINE * (3 if self.has_titles else 2) + 2 * PAD * 0.6
        row_gap = ROW_GAP + (0.14 if self.compact else 0.0)  # room for the op tabs
        self.pitch_y = self.box_h + row_gap
        self.key_y = MARGIN + (0.3 if title else 0.0) + 0.1
        self.top = MARGIN + (0.3 if title else 0.0) + (0.42 if self.compact else 0.0)
        self.height = self.top + self.layout.n_rows * self.pitch_y - row_gap + MARGIN
        self.pitch_x = self.box_w + self.gap

    def lines(self, node: Value, data: bool = True, grad: bool = True) -> tuple[str, str]:
        d = _fmt(node.data) if data else "?"
        g = _fmt(self.grad_of.get(node, 0.0)) if grad else "?"
        return (d, g) if self.compact else (f"data {d}", f"grad {g}")

    def _sizes(self) -> tuple[float, float, float]:
        # sized for every number shown, so hiding some (a step-through) never moves a box
        widths = [_text_width(self.names.get(n, ""), FONT_PT, bold=True) for n in self.nodes]
        for n in self.nodes:
            widths += [_text_width(t, FONT_PT) for t in self.lines(n)]
        box_w = max(max(widths) + 2 * PAD, 0.55)
        gap = 0.3 if self.compact else self.badge_w + 2 * ARROW
        n_cols = self.layout.n_cols
        return box_w, gap, 2 * MARGIN + n_cols * box_w + (n_cols - 1) * gap

    def xy(self, node) -> tuple[float, float]:
        """Top-left corner of ``node``'s box (or of a waypoint's slot)."""
        return (MARGIN + self.layout.col[node] * self.pitch_x,
                self.top + self.layout.row[node] * self.pitch_y)  # fmt: skip


plot_graph = draw_graph


def _as_set(nodes) -> set[Value]:
    if nodes is None:
        return set()
    if isinstance(nodes, Value):
        return {nodes}
    return set(nodes)


def _selector(which):
    if which is True:
        return lambda node: True
    if which is False or which is None:
        return lambda node: False
    chosen = _as_set(which)
    return lambda node: node in chosen
