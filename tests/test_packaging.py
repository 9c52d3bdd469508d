"""The project's packaging files agree with each other.

`environment.yml` (conda) and `pyproject.toml` (pip) list the same packages with the same
bounds, so a conda user and a pip user get the same stack.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def _split(req: str) -> tuple[str, str]:
    name, spec = _REQ.match(req).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in ("notebooks", "test"):
        reqs += project["optional-dependencies"][extra]
    out = {}
    for req in reqs:
        name, spec = _split(req)
        if name == "backprop-lib":  # the package's own extras, e.g. backprop_lib[notebooks]
            continue
        out[name] = spec
    return out


def _conda_requirements() -> tuple[dict[str, str], list[str]]:
    """The conda dependencies (name -> spec) and the pip section, parsed without PyYAML."""
    conda, pip, in_pip = {}, [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        if stripped.strip() == "- pip:":
            in_pip = True
            continue
        m = re.match(r"^(\s*)- (.+)$", stripped)
        if not m:
            in_pip = in_pip and stripped.startswith(" ")
            continue
        item = m.group(2).strip()
        if in_pip and len(m.group(1)) > 2:
            pip.append(item)
        else:
            in_pip = False
            if item.startswith("$") or item in ("conda-forge", "defaults"):
                continue
            name, spec = _split(item)
            conda[name] = spec
    return conda, pip


def test_environment_yml_matches_pyproject():
    conda, _ = _conda_requirements()
    python = conda.pop("python")
    conda.pop("pip")
    assert conda == _pyproject_requirements(), (
        "environment.yml and pyproject.toml list different packages or bounds; update both together"
    )
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == requires


def test_environment_yml_installs_the_project_editable():
    _, pip = _conda_requirements()
    assert pip == ["-e ."]


def test_conda_forge_is_the_channel():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"channels:\s*\n\s*- conda-forge", text)


def test_make_bridge_runs_every_test_module_that_needs_torch():
    """CI runs the torch cross-checks only through `make bridge`: a new one must be listed."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nbridge:") :].split("\n\n")[0]
    needs_torch = {
        path.name
        for path in (ROOT / "tests").glob("test_*.py")
        if path.name != Path(__file__).name
        and ('importorskip("torch")' in path.read_text() or "torch_available" in path.read_text())
    }
    listed = {name for name in needs_torch if f"tests/{name}" in recipe}
    assert needs_torch and listed == needs_torch, sorted(needs_torch - listed)
