"""The notebooks the browser tests open: the series' own, a synthetic one, and broken copies.

- `dashboard_notebooks()` finds the series' notebooks that show a dashboard (their source
  mentions `backprop_lib.widgets`).
- `prepare_root(dest)` copies `notebooks/` into a temporary folder with every output and
  execution count removed, so whatever the browser shows afterwards comes from this run.
- `write_synthetic(path)` writes a one-dashboard notebook that follows the dashboards' DOM
  contract (`bp-dashboard`, `bp-main-control`, `bp-figure`, `bp-status`) with plain ipywidgets
  and matplotlib: it proves the harness on its own, independent of `backprop_lib.widgets`.
- `write_broken_copy(src, dest)` appends a cell that makes each dashboard's update raise,
  which is what a broken dashboard callback looks like; the harness must catch it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

SYNTHETIC_SOURCE = """\
import io

import ipywidgets as widgets
from matplotlib.figure import Figure

slider = widgets.IntSlider(value=3, min=1, max=10, description="degree", continuous_update=False)
figure = widgets.Image(format="png", layout=widgets.Layout(width="360px"))
status = widgets.Label()
dashboard = widgets.VBox([slider, figure, status])
for widget, name in [(dashboard, "bp-dashboard"), (slider, "bp-main-control"),
                     (figure, "bp-figure"), (status, "bp-status")]:
    widget.add_class(name)


def redraw(change=None):
    fig = Figure(figsize=(4, 2.5), dpi=72)
    ax = fig.add_subplot()
    xs = [i / 20 for i in range(-20, 21)]
    ax.plot(xs, [x**slider.value for x in xs])
    ax.set_title(f"y = x^{slider.value}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    figure.value = buffer.getvalue()
    status.value = f"drawn with degree {slider.value}"


slider.observe(redraw, names="value")
redraw()
dashboard"""

# Breaks every dashboard in the kernel: the series' dashboards (backprop_lib.widgets) get an
# update method (`compute`) that raises, which their base class reports in the status line;
# a plain ipywidgets dashboard gets every observer of its main slider replaced by one that
# raises, which ipywidgets reports as a kernel error. Either way the slider stops working.
BREAK_SOURCE = """\
import gc
import sys

import ipywidgets


def _broken_update(*args, **kwargs):
    raise RuntimeError("injected failure: the dashboard's callback is broken")


_broken = 0
_base = sys.modules.get("backprop_lib.widgets.base")
if _base is not None:
    for _obj in gc.get_objects():
        if isinstance(_obj, _base.Dashboard):
            _obj.wait()  # let updates still running finish first: only a slider move fails
            _obj.compute = _broken_update
            _broken += 1
if not _broken:
    for _widget in list(ipywidgets.widgets.widget._instances.values()):
        if "bp-main-control" in getattr(_widget, "_dom_classes", ()):
            _observers = _widget._trait_notifiers.get("value", {}).get("change", [])
            _observers[:] = [_broken_update] * max(1, len(_observers))
            _broken += 1
assert _broken, "found no dashboard to break"
print(f"broke {_broken} dashboard(s)")"""


def dashboard_notebooks() -> list[str]:
    """File names of the series' notebooks whose source mentions `backprop_lib.widgets`."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        sources = ("".join(cell.get("source", "")) for cell in cells)
        if any("backprop_lib.widgets" in source for source in sources):
            found.append(path.name)
    return found


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs, execution counts and saved widget state (in place); return `nb`."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def prepare_root(dest: Path) -> Path:
    """Copy `notebooks/` into `dest` with outputs stripped; return `dest`."""
    shutil.copytree(NOTEBOOKS, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for path in dest.glob("*.ipynb"):
        nbformat.write(strip(nbformat.read(path, as_version=4)), path)
    return dest


def write_synthetic(path: Path) -> Path:
    """Write the synthetic one-dashboard notebook to `path`."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A synthetic dashboard for the browser test"),
        nbformat.v4.new_code_cell(SYNTHETIC_SOURCE),
        # A cell that fails on purpose, tagged as such, must not count as a failure.
        nbformat.v4.new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell('print("cells after an expected error run too")'),
    ]
    nbformat.write(nb, path)
    return path


def write_broken_copy(src: Path, dest: Path) -> Path:
    """Copy notebook `src` to `dest` with the callback-breaking cell appended."""
    nb = strip(nbformat.read(src, as_version=4))
    nb.cells.append(nbformat.v4.new_code_cell(BREAK_SOURCE))
    nbformat.write(nb, dest)
    return dest
