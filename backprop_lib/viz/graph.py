"""Draw the computation graph of an ``autograd.Value``, with values and gradients.

Left to right, inputs first, as in micrograd's Graphviz drawing but with matplotlib only:
each node is a box (label / ``data`` / ``grad``), each operation a small orange badge just
before the box it produces, each use an arrow. Leaves (inputs, weights, constants) are blue.
Columns are placed "as late as possible" (a bias sits next to the ``+`` that uses it) and the
figure grows with the graph, so text stays at 9.5 pt. When the full layout would be wider
than ``max_width`` inches the boxes drop the words "data"/"grad" and a key explains the two
numbers instead. Used by the chain-rule notebook and by ``widgets.stepthrough.StepThrough``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.textpath import TextToPath

from ..autograd import Value, topological_order
from .style import OKABE_ITO, PlotFigure, blend, style

__all__ = ["draw_graph", "plot_graph", "graph_layout", "GraphLayout"]

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


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches at ``size`` points."""
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    return _measure.get_text_width_height_descent(text, prop, ismath=False)[0] / 72.0


def _fmt(x: float) -> str:
    return f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _op_text(op: str) -> str:
    return _OP_SYMBOLS.get(op, op)


class GraphLayout:
    """Where each node of ``root``'s graph goes: ``col[node]`` (0 = leftmost), ``row[node]``.

    Columns: the output is in the last column and every other node one column left of its
    leftmost user, so each node sits right before the op that first needs it. Rows: leaves
    take rows 0, 1, 2... in the order the forward pass met them; an op's output sits at the
    mean row of its inputs, then boxes sharing a column are pushed apart to stay one row apart.
    """

    def __init__(self, root: Value, max_nodes: int = 150):
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
        self.col = {node: self.n_cols - 1 - dist[node] for node in nodes}

        row: dict[Value, float] = {}
        next_leaf = 0
        for node in nodes:  # children come first in topological order
            if not node.children:
                row[node] = float(next_leaf)
                next_leaf += 1
            else:
                kids = list(dict.fromkeys(node.children))  # a node used twice counts once
                row[node] = sum(row[k] for k in kids) / len(kids)
        for c in range(self.n_cols):  # keep boxes of one column at least one row apart
            column = sorted((n for n in nodes if self.col[n] == c), key=lambda n: row[n])
            for above, below in zip(column, column[1:], strict=False):
                row[below] = max(row[below], row[above] + 1.0)
        top = min(row.values())
        self.row = {node: r - top for node, r in row.items()}
        self.n_rows = max(self.row.values()) + 1


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
        Draw here (its limits and aspect are set); default: a new figure sized to the graph.
    highlight : Value or collection of Values
        Boxes drawn in yellow with a thick vermillion border (the current step).
    show_grad, show_data : bool or collection of Values
        Which boxes show their gradient / value; the others show "?" (True: all, False: none).
    highlight_edges : collection of (child, parent) pairs
        Arrows drawn thick and vermillion (e.g. the uses a gradient flows back along).
    grads : mapping Value -> float, optional
        Gradients to show instead of each ``.grad`` (e.g. ``autograd.trace(root).grads``).
    names : mapping Value -> str, optional
        Box titles instead of ``.label`` (unlabelled nodes otherwise have no title).
    compact : bool or None
        Numbers without the words "data"/"grad" plus a key; None: only if the graph would be
        wider than ``max_width`` inches otherwise.
    title : str, optional
    dpi : float
        Of a new figure (100: one inch is 100 px in the notebook).

    Returns
    -------
    The Figure (a new ``PlotFigure`` that shows itself as a PNG, or ``ax.figure``).
    """
    layout = GraphLayout(root, max_nodes)
    nodes = layout.nodes
    highlighted = _as_set(highlight)
    hot_edges = set(highlight_edges)
    names = {n: n.label for n in nodes} if names is None else dict(names)
    grad_of = {n: n.grad for n in nodes} if grads is None else dict(grads)
    data_shown = _selector(show_data)
    grad_shown = _selector(show_grad)

    def lines_of(node: Value, words: bool) -> tuple[str, str]:
        d = _fmt(node.data) if data_shown(node) else "?"
        g = _fmt(grad_of.get(node, 0.0)) if grad_shown(node) else "?"
        return (f"data {d}", f"grad {g}") if words else (d, g)

    def sizes(words: bool) -> tuple[float, float, float]:
        widths = [_text_width(names.get(n, ""), FONT_PT, bold=True) for n in nodes]
        for n in nodes:  # the widest text a box can hold: its numbers, or "?"
            d, g = lines_of(n, words)
            widths += [_text_width(d, FONT_PT), _text_width(g, FONT_PT)]
        box_w = max(max(widths) + 2 * PAD, 0.55)
        ops = [_op_text(n.op) for n in nodes if n.op]
        badge_w = max([_text_width(t, OP_FONT_PT) + 0.12 for t in ops] + [0.26])
        gap = badge_w + 2 * ARROW
        width = 2 * MARGIN + layout.n_cols * box_w + (layout.n_cols - 1) * gap
        return box_w, badge_w, width

    if compact is None:
        compact = sizes(words=True)[2] > max_width
    box_w, badge_w, width = sizes(words=not compact)
    has_titles = any(names.get(n) for n in nodes)
    box_h = LINE * (3 if has_titles else 2) + 2 * PAD * 0.6
    pitch_y = box_h + ROW_GAP
    top = MARGIN + (0.3 if title else 0.0) + (0.25 if compact else 0.0)
    height = top + layout.n_rows * pitch_y - ROW_GAP + MARGIN
    pitch_x = box_w + badge_w + 2 * ARROW

    if ax is None:
        with style():
            fig = PlotFigure(figsize=(width, height), dpi=dpi)
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    else:
        fig = ax.figure
    ax.set_xlim(0.0, width)
    ax.set_ylim(height, 0.0)  # rows go down
    ax.set_aspect("equal")
    ax.axis("off")

    def box_xy(node: Value) -> tuple[float, float]:  # top-left corner
        return MARGIN + layout.col[node] * pitch_x, top + layout.row[node] * pitch_y

    # edges first, so boxes sit on top of them
    for node in nodes:
        if not node.children:
            continue
        x, y = box_xy(node)
        badge_cx, mid_y = x - ARROW - badge_w / 2, y + box_h / 2
        seen: dict[Value, int] = {}
        for child in node.children:
            k = seen[child] = seen.get(child, -1) + 1  # a node used twice: curve the 2nd arrow
            cx, cy = box_xy(child)
            hot = (child, node) in hot_edges
            ax.add_patch(
                FancyArrowPatch(
                    (cx + box_w, cy + box_h / 2),
                    (badge_cx - badge_w / 2, mid_y),
                    arrowstyle="-|>",
                    mutation_scale=9,
                    connectionstyle=f"arc3,rad={0.35 * k}",
                    color=HIGHLIGHT if hot else EDGE_COLOR,
                    lw=2.2 if hot else 1.0,
                    shrinkA=0,
                    shrinkB=0,
                    zorder=1 + hot,
                )
            )
        ax.add_patch(
            FancyArrowPatch(
                (badge_cx + badge_w / 2, mid_y),
                (x, mid_y),
                arrowstyle="-|>",
                mutation_scale=9,
                color=EDGE_COLOR,
                lw=1.0,
                shrinkA=0,
                shrinkB=0,
                zorder=1,
            )
        )
        ax.add_patch(
            FancyBboxPatch(
                (badge_cx - badge_w / 2 + 0.04, mid_y - 0.11),
                badge_w - 0.08,
                0.22,
                boxstyle="round,pad=0.04,rounding_size=0.11",
                facecolor=OP_FILL,
                edgecolor=OP_EDGE,
                lw=1.0,
                zorder=3,
            )
        )
        ax.text(badge_cx, mid_y, _op_text(node.op), ha="center", va="center",
                fontsize=OP_FONT_PT, zorder=4)  # fmt: skip

    for node in nodes:
        x, y = box_xy(node)
        hot = node in highlighted
        fill = HIGHLIGHT_FILL if hot else (LEAF_FILL if not node.children else NODE_FILL)
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                box_w,
                box_h,
                boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=fill,
                edgecolor=HIGHLIGHT if hot else "#333333",
                lw=2.6 if hot else (1.6 if node is root else 0.9),
                zorder=3,
                gid="value-box",
            )
        )
        d, g = lines_of(node, not compact)
        cx, ty = x + box_w / 2, y + PAD * 0.6 + LINE / 2
        if has_titles:
            ax.text(cx, ty, names.get(node, ""), ha="center", va="center", fontsize=FONT_PT,
                    fontweight="bold", zorder=4)  # fmt: skip
            ax.plot([x, x + box_w], [ty + LINE / 2] * 2, color="#bbbbbb", lw=0.6, zorder=4)
            ty += LINE
        ax.text(cx, ty, d, ha="center", va="center", fontsize=FONT_PT, zorder=4,
                color="black" if data_shown(node) else HIDDEN_COLOR)  # fmt: skip
        ax.text(cx, ty + LINE, g, ha="center", va="center", fontsize=FONT_PT, zorder=4,
                color=GRAD_COLOR if grad_shown(node) else HIDDEN_COLOR)  # fmt: skip

    if compact:
        ax.text(MARGIN, top - 0.14, "in each box: name, data (value), ", fontsize=FONT_PT,
                va="center", ha="left")  # fmt: skip
        ax.text(MARGIN + _text_width("in each box: name, data (value), ", FONT_PT), top - 0.14,
                "grad (d output / d node)", fontsize=FONT_PT, va="center", ha="left",
                color=GRAD_COLOR)  # fmt: skip
    if title:
        ax.text(MARGIN, MARGIN + 0.12, title, fontsize=FONT_PT + 1, va="center", ha="left")
    return fig


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
