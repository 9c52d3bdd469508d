"""The core imports numpy and the standard library only (DESIGN.md: "the house").

``import backprop_lib`` must work where matplotlib and ipywidgets are not installed, and must
not slow a script down by importing them. Checked in a fresh interpreter, and by reading
every core module's import statements (a lazy import inside a function counts too).
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "backprop_lib"
CORE_PACKAGES = ("nn", "optim", "autograd", "instruments")  # viz/, widgets/, exercises/: below
CORE = sorted(PACKAGE.glob("*.py")) + sorted(
    path for name in CORE_PACKAGES for path in (PACKAGE / name).glob("*.py")
)
# threadpoolctl: pure Python, no dependencies; it limits numpy's own BLAS pool (threads.py)
ALLOWED = {"numpy", "threadpoolctl", "backprop_lib"}


def test_import_backprop_lib_loads_no_plotting_or_widget_library():
    code = (
        "import sys, json, backprop_lib\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(out.stdout))
    assert "backprop_lib" in loaded and "numpy" in loaded
    for heavy in ("matplotlib", "ipywidgets", "IPython", "torch", "scipy", "sklearn"):
        assert heavy not in loaded, f"import backprop_lib imported {heavy}"
    third_party = {
        m
        for m in loaded - set(sys.stdlib_module_names) - ALLOWED
        if not m.startswith("_")  # interpreter and installer hooks such as _distutils_hack
    }
    assert not third_party, f"import backprop_lib imported {sorted(third_party)}"


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_modules_import_only_numpy_and_the_standard_library(path):
    outside = imported_roots(path) - set(sys.stdlib_module_names) - ALLOWED
    assert not outside, f"{path.name} imports {sorted(outside)}; the core may use numpy only"


def test_the_scan_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\n\ndef plot():\n    import matplotlib.pyplot as plt\n")
    assert imported_roots(bad) - set(sys.stdlib_module_names) - ALLOWED == {"matplotlib"}


DOCUMENTED = [
    "nn.parameter",
    "nn.layers",
    "nn.activations",
    "nn.losses",
    "nn.init",
    "nn.checkpoint",
    "nn.models",
    "optim.optimizers",
    "optim.lr_scheduler",
    "instruments.gradcheck",
    "data",
    "training",
]


@pytest.mark.parametrize("module_name", DOCUMENTED)
def test_every_public_name_has_a_docstring(module_name):
    import importlib
    import inspect

    module = importlib.import_module(f"backprop_lib.{module_name}")
    assert inspect.getdoc(module), f"{module_name} has no module docstring"
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, dict):  # a table such as INITIALIZERS, documented by its comment
            continue
        if not inspect.getdoc(obj):
            undocumented.append(name)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if (
                    callable(member)
                    and not attr.startswith("_")
                    and not inspect.getdoc(getattr(obj, attr))
                ):
                    undocumented.append(f"{name}.{attr}")
    assert not undocumented, f"{module_name}: no docstring for {undocumented}"
