"""StepThrough: walk a Value's graph one node at a time, forward then backward.

The forward phase fills in the values node by node (gradients hidden); the backward phase
then fills in the gradients node by node, each step showing the chain rule with its numbers
("grad of n via tanh → o: local 1 - tanh(n)^2 = 0.500 x upstream 1.000 = 0.500"). The
current node is highlighted, with the arrows its value came along (forward) or its gradient
came back along (backward). Numbers come from ``tracing.trace``, so stepping never changes
any ``.grad``. Used by the chain-rule notebook.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from ..autograd.tracing import Step, Trace, trace
from ..autograd.value import Value
from ..viz.graph import GRAD_COLOR, HIGHLIGHT, GraphDrawing, graph_figsize
from .base import Dashboard

__all__ = ["StepThrough"]


class StepThrough(Dashboard):
    """Buttons, a slider and a play button that walk ``root``'s forward and backward passes.

    Parameters
    ----------
    root : Value
        The output whose graph is walked (e.g. a neuron's output or a small loss).
    interval_ms : int
        Time per step when playing.
    dpi : int
        Of the picture (100: one inch of figure is 100 px).
    threaded : see ``Dashboard`` (None: a worker thread only inside a Jupyter kernel)

    Attributes
    ----------
    trace : tracing.Trace, the 2 n steps (n nodes forward, then n backward)
    step : ipywidgets.IntSlider, the current step index 0 .. 2 n - 1 (set it to jump)
    play : ipywidgets.Play, linked to ``step``
    prev_button, next_button : ipywidgets.Button
    caption : ipywidgets.HTML explaining the current step with its numbers
    image : ipywidgets.Image with the PNG of the graph, current node highlighted
    figure, drawing : the matplotlib Figure and the ``viz.graph.GraphDrawing`` on it
    widget : the VBox to display (also ``root``, as in every dashboard)

    In Python: ``st.next()``, ``st.prev()``, ``st.step.value = k``; then
    ``st.current_step``, ``st.current_node`` and ``st.caption.value`` describe the step.
    """

    def __init__(self, root: Value, interval_ms: int = 1500, dpi: int = 100, threaded=None):
        if not isinstance(root, Value):
            raise TypeError(f"StepThrough needs a Value, got {type(root).__name__}")
        self.trace: Trace = trace(root)
        self.output = root
        self._n = len(self.trace.nodes)
        width, height = graph_figsize(root, grads=self.trace.grads, names=self.trace.names)
        super().__init__(round(width * dpi), round(height * dpi), dpi=dpi, threaded=threaded)
        self.figure.set_layout_engine("none")
        ax = self.figure.add_axes((0.0, 0.0, 1.0, 1.0))
        # drawn once; each step restyles it in place
        self.drawing = GraphDrawing(ax, root, grads=self.trace.grads, names=self.trace.names)
        last = 2 * self._n - 1
        self.step = widgets.IntSlider(value=0, min=0, max=last, description="step",
                                      continuous_update=False,
                                      layout=widgets.Layout(width="420px"))  # fmt: skip
        self.play = widgets.Play(value=0, min=0, max=last, interval=int(interval_ms),
                                 description="play", show_repeat=False)  # fmt: skip
        self._link = widgets.link((self.play, "value"), (self.step, "value"))
        self.prev_button = widgets.Button(description="\u25c0 back", tooltip="previous step",
                                          layout=widgets.Layout(width="90px"))  # fmt: skip
        self.next_button = widgets.Button(description="next \u25b6", tooltip="next step",
                                          button_style="primary",
                                          layout=widgets.Layout(width="90px"))  # fmt: skip
        self.prev_button.on_click(lambda _: self.prev())
        self.next_button.on_click(lambda _: self.next())
        self.caption = widgets.HTML(layout=widgets.Layout(min_height="4.5em"))
        self.step.observe(self._on_step, names="value")
        self.add_control("step", self.step, main=True)
        self.layout(
            widgets.HBox([self.prev_button, self.next_button, self.play, self.step]),
            self.caption,
        )
        self.widget = self.root
        self._on_step(None)
        self.refresh()

    # -- moving ---------------------------------------------------------------------------
    def next(self) -> None:
        """One step forward (stays on the last step)."""
        self.step.value = min(self.step.value + 1, self.step.max)

    def prev(self) -> None:
        """One step back (stays on the first step)."""
        self.step.value = max(self.step.value - 1, 0)

    def _on_step(self, change) -> None:
        k = self.step.value
        self.prev_button.disabled = k == 0
        self.next_button.disabled = k == self.step.max

    # -- what the current step shows --------------------------------------------------------
    @property
    def current_step(self) -> Step:
        """The ``tracing.Step`` on screen (phase, node, text, contributions)."""
        return self.trace.steps[self.step.value]

    @property
    def current_node(self) -> Value:
        """The highlighted node."""
        return self.current_step.node

    @property
    def phase(self) -> str:
        """ "forward" or "backward"."""
        return self.current_step.phase

    def caption_html(self, k: int | None = None) -> str:
        """The caption of step ``k`` (default: the current one)."""
        k = self.step.value if k is None else k
        s = self.trace.steps[k]
        if s.phase == "forward":
            head = f"Forward pass, step {k + 1} of {self._n}: values flow left to right."
        else:
            head = (f"Backward pass, step {k + 1 - self._n} of {self._n}: gradients flow "
                    "right to left.")  # fmt: skip
        first, *rest = s.text.split("\n")
        color = GRAD_COLOR if s.phase == "backward" else "black"
        body = f'<span style="color:{color}">{html.escape(first)}</span>'
        body += "".join(f"<br>&emsp;{html.escape(line.strip())}" for line in rest)
        return (f'<div style="font-size:14px; line-height:1.5"><b>{head}</b><br>'
                f'<span style="border-left:4px solid {HIGHLIGHT}; padding-left:6px">'
                f"{body}</span></div>")  # fmt: skip

    def draw(self) -> None:
        k = self.step.value
        s = self.trace.steps[k]
        nodes = self.trace.nodes
        if s.phase == "forward":
            show_data, show_grad = set(nodes[: k + 1]), False
            edges = {(child, s.node) for child in s.node.children}
        else:
            done = self.trace.steps[self._n : k + 1]
            show_data, show_grad = True, {d.node for d in done}
            edges = {(s.node, c.parent) for c in s.contributions}
        self.drawing.update(s.node, show_grad, show_data, highlight_edges=edges)
        self.caption.value = self.caption_html(k)

    def __repr__(self) -> str:
        k = self.step.value
        return (f"StepThrough({self._n} nodes, step {k + 1}/{2 * self._n}: {self.phase} "
                f"{self.trace.names[self.current_node]!r})")  # fmt: skip

    def close(self) -> None:
        """Close every widget of the step-through (and stop the worker thread)."""
        self._link.unlink()
        for w in (self.play, self.prev_button, self.next_button, self.caption):
            w.close()
        super().close()
