"""The student edition (tools/student_edition.py) and the exercise convention it relies on.

The transform is tested on small synthetic notebooks; then every real notebook is checked: its
exercises hold their solutions between nbgrader's markers inside a function (so that the
student edition's ``raise NotImplementedError()`` never runs at the top level of a cell), each
is followed by its check cell, no ``<details>`` solution is left, and no solution line survives
in the student edition outside the placeholders. Running the student notebooks themselves is
``make student-test`` (CI runs it).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_spec = importlib.util.spec_from_file_location("student_edition", ROOT / "tools/student_edition.py")
se = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(se)

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
NBGRADER = {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3,
            "solution": True, "task": False}  # fmt: skip


def notebook(*cells):
    return new_notebook(cells=list(cells))


def code(source, **metadata):
    cell = new_code_cell(source, metadata=metadata, execution_count=3)
    cell.outputs = [new_output("stream", name="stdout", text="hello\n")]
    return cell


# ---- the transform, on synthetic notebooks ----


def test_a_region_becomes_nbgraders_stub_indented_as_its_begin_marker():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n    ### END SOLUTION"
    out, count = se.clear_solutions(src)
    assert count == 1
    assert out == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    namespace = {}
    exec(compile(out, "cell", "exec"), namespace)  # the stub is valid Python...
    with pytest.raises(NotImplementedError):  # ...and raises only when called
        namespace["f"](1)


def test_deeper_and_top_level_regions_keep_their_own_indentation():
    src = (
        "for i in range(2):\n    if i:\n        ### BEGIN SOLUTION\n        print(i)\n"
        "        ### END SOLUTION\n### BEGIN SOLUTION\nz = 1\n### END SOLUTION"
    )
    out, count = se.clear_solutions(src)
    assert count == 2
    assert out.split("\n") == [
        "for i in range(2):",
        "    if i:",
        "        # YOUR CODE HERE",
        "        raise NotImplementedError()",
        "# YOUR CODE HERE",
        "raise NotImplementedError()",
    ]


def test_several_regions_in_one_cell_keep_the_code_between_them():
    src = (
        "def f(x):\n    ### BEGIN SOLUTION\n    return x * 3\n    ### END SOLUTION\n\n\n"
        'def g(x):\n    """The docstring stays."""\n    ### BEGIN SOLUTION\n    return x - 7\n'
        "    ### END SOLUTION"
    )
    out, count = se.clear_solutions(src)
    assert count == 2
    assert "x * 3" not in out and "x - 7" not in out
    assert out.count("raise NotImplementedError()") == 2
    assert '    """The docstring stays."""' in out.split("\n")
    assert "def g(x):" in out.split("\n")


def test_markers_with_surrounding_spaces_count_as_nbgrader_counts_them():
    out, count = se.clear_solutions(
        "def f():\n    ### BEGIN SOLUTION   \n    return 1\n ### END SOLUTION"
    )
    assert count == 1 and "return 1" not in out


def test_the_student_notebook_clears_outputs_counts_and_instructor_metadata():
    nb = notebook(
        new_markdown_cell("# Title\nNo marker here."),
        code("import numpy as np", tags=["nbval-check-output", "raises-exception"]),
        code(
            "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
            nbgrader=NBGRADER,
        ),
        code("ex.check_f(f)", tags=["nbval-check-output"]),
    )
    nb.metadata["widgets"] = {"state": {}}
    nb.metadata["celltoolbar"] = "Create Assignment"
    student = se.student_notebook(nb, "synthetic.ipynb")
    md, setup, exercise, check = student.cells
    assert md.source == nb.cells[0].source  # a cell without markers is left as it is
    assert setup.source == "import numpy as np"
    for cell in (setup, exercise, check):
        assert cell.outputs == [] and cell.execution_count is None
        assert "nbgrader" not in cell.metadata
    assert setup.metadata["tags"] == ["raises-exception"]  # still true of the student's copy
    assert "tags" not in check.metadata  # its reference output is gone
    assert exercise.source == "def f(x):\n    " + STUB.replace("\n", "\n    ")
    assert "widgets" not in student.metadata and "celltoolbar" not in student.metadata
    nbformat.validate(student)
    # the instructor's notebook is not touched
    assert nb.cells[2].source.endswith("### END SOLUTION") and nb.cells[3].outputs
    assert nb.cells[3].metadata["tags"] == ["nbval-check-output"]


def test_mark_scheme_and_hidden_test_regions_are_dropped_as_nbgrader_drops_them():
    nb = notebook(
        new_markdown_cell(
            "Explain.\n=== BEGIN MARK SCHEME ===\nfull marks if...\n=== END MARK SCHEME ==="
        ),
        code("assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS"),
    )
    md, tests = se.student_notebook(nb).cells
    assert md.source == "Explain."
    assert tests.source == "assert f(1) == 1"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1", "never closed"),
        (
            "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    return 1\n"
            "    ### END SOLUTION\n    ### END SOLUTION",
            "do not nest",
        ),
        ("def f():\n    return 1\n    ### END SOLUTION", "never opened"),
        ("def f():\n    ## BEGIN SOLUTION\n    return 1\n    ## END SOLUTION", "is not one"),
        (
            "def f():\n    ### BEGIN SOLUTION  # here\n    return 1\n    ### END SOLUTION",
            "is not one",
        ),
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n    #END SOLUTION", "is not one"),
        ('def f():\n    print("### BEGIN SOLUTION")', "is not one"),
    ],
    ids=[
        "unclosed",
        "nested",
        "end-without-begin",
        "two-hashes",
        "trailing-comment",
        "no-space",
        "in-a-string",
    ],
)
def test_a_malformed_marker_is_an_error_naming_the_notebook_and_the_cell(source, message):
    nb = notebook(new_markdown_cell("# Title"), code("x = 1"), code(source))
    with pytest.raises(se.MarkerError, match=message) as info:
        se.student_notebook(nb, "07_broken.ipynb")
    assert "07_broken.ipynb, cell 2 (code: 'def f():')" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "Answer:\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
        "The solution sits between `### BEGIN SOLUTION` and its end.",  # nbgrader 0.9 trips too
    ],
    ids=["region", "quoted-in-prose"],
)
def test_a_marker_outside_a_code_cell_is_an_error(text):
    nb = notebook(new_markdown_cell(text))
    with pytest.raises(se.MarkerError, match=r"02_prose.ipynb, cell 0 .*code cells only"):
        se.student_notebook(nb, "02_prose.ipynb")


def test_the_command_line_writes_every_notebook_and_reports_a_marker_error(tmp_path, capsys):
    good = tmp_path / "01_good.ipynb"
    nbformat.write(
        notebook(code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")), good
    )
    out = tmp_path / "out"
    assert se.main([str(good), "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["01_good.ipynb"]
    assert "raise NotImplementedError()" in nbformat.read(out / "01_good.ipynb", 4).cells[0].source
    bad = tmp_path / "02_bad.ipynb"
    nbformat.write(notebook(code("### BEGIN SOLUTION\nz = 1")), bad)
    assert se.main([str(bad), "--out", str(out)]) == 2
    assert "02_bad.ipynb, cell 0" in capsys.readouterr().err


def test_check_cell_outputs_reads_what_each_check_printed():
    check = code("ex.check_f(f)")
    check.outputs = [new_output("execute_result", data={"text/plain": "[ ] not attempted yet"})]
    other = code("print(1)")
    results = se.check_cell_outputs(notebook(new_markdown_cell("ex.check_g(g)"), other, check))
    assert results == [(2, "check_f", "[ ] not attempted yet")]


# ---- the real notebooks ----


def _regions(source: str) -> list[list[str]]:
    """The lines inside each solution region of a cell."""
    regions, current = [], None
    for line in source.split("\n"):
        if line.strip() == se.BEGIN_SOLUTION:
            current = []
        elif line.strip() == se.END_SOLUTION:
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return regions


def _code_part(line: str) -> str:
    """A line without its indentation, its trailing comment and markdown backticks."""
    line = line.strip().strip("`")
    if "#" in line and not re.search(r"[\"'].*#", line):
        line = line[: line.index("#")]
    return line.strip()


def _nontrivial(code: str) -> bool:
    """A solution line worth hiding: not a bare name, bracket or `return grads`."""
    return len(code) >= 12 and re.search(r"[-+*/@=(\[]", code) is not None


#: Checks whose verdict depends on an optional dependency (PyTorch): their output is not compared.
OPTIONAL_CHECKERS = {"check_torch_translation"}


def _exercise_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and _regions(c.source)]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def editions(request):
    nb = nbformat.read(request.param, as_version=4)
    return request.param.name, nb, se.student_notebook(nb, request.param.name)


def test_every_notebook_is_covered():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(14)]


#: Folded answers that are not an exercise's solution. Notebook 01's answers the weight
#: explorer's "try to classify XOR" (a widget to play with, no checker), and the prose after
#: it reuses those weights, so both editions keep it.
FOLDED_ANSWERS = {("01_forward_pass.ipynb", "Stuck on XOR? One solution")}


def test_no_details_solution_is_left(editions):
    name, nb, _ = editions
    for index, cell in enumerate(nb.cells):
        for summary in re.findall(r"<summary>(.*?)</summary>", cell.source, re.S):
            summary = re.sub("<[^>]+>", "", summary).strip()
            if (name, summary) in FOLDED_ANSWERS:
                continue
            assert "solution" not in summary.lower().split(), (
                f"{name}, cell {index}: a <details> solution; put it between the markers of the "
                "exercise cell instead (CONTRIBUTING.md, Exercises)"
            )


def test_every_exercise_is_a_function_with_nbgrader_metadata_and_a_check_cell(editions):
    name, nb, _ = editions
    exercises = _exercise_cells(nb)
    assert exercises, f"{name} has no exercise between solution markers"
    grade_ids = set()
    for index, cell in exercises:
        tree = ast.parse(cell.source)
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        for line in cell.source.split("\n"):
            if line.strip() == se.BEGIN_SOLUTION:
                # inside a function, so the student's copy of the cell runs without error
                assert line.startswith(" "), f"{name}, cell {index}: a region at top level"
        meta = cell.metadata.get("nbgrader", {})
        assert meta.get("solution") is True and meta.get("grade") is False, (name, index)
        assert meta["grade_id"] not in grade_ids, (name, index, "grade_id not unique")
        grade_ids.add(meta["grade_id"])
        later = [c for c in nb.cells[index + 1 :] if c.cell_type == "code"]
        check = later[0]
        assert se.CHECK_CELL.search(check.source), f"{name}, cell {index}: no check cell after"
        if not any(f"{checker}(" in check.source for checker in OPTIONAL_CHECKERS):
            assert "nbval-check-output" in check.metadata.get("tags", []), (name, index)
        passed = set(re.findall(r"\w+", check.source))
        assert set(functions) <= passed, (name, index, functions, check.source)


def test_the_stored_instructor_notebook_has_no_stub_left(editions):
    name, nb, _ = editions
    for index, cell in _exercise_cells(nb):
        assert "NotImplementedError" not in cell.source, (name, index)
        assert not re.search(r"return \.\.\.", cell.source), (name, index)


def test_the_student_edition_replaces_every_region_and_compiles(editions):
    name, nb, student = editions
    regions = sum(len(_regions(c.source)) for _, c in _exercise_cells(nb))
    stubs = sum(c.source.count("raise NotImplementedError()") for c in student.cells)
    original = sum(c.source.count("raise NotImplementedError()") for c in nb.cells)
    assert stubs - original == regions
    for index, cell in enumerate(student.cells):
        if cell.cell_type == "code":
            ast.parse(cell.source, f"{name}, cell {index}")
            assert cell.outputs == [] and cell.execution_count is None


def solution_lines(nb) -> dict[str, int]:
    """Each non-trivial line of a solution (its code part) -> the index of its cell."""
    return {
        _code_part(line): index
        for index, cell in _exercise_cells(nb)
        for region in _regions(cell.source)
        for line in region
        if _nontrivial(_code_part(line))
    }


def leaks(nb, student) -> list[str]:
    """Where a solution line appears in a later cell of the student edition (code or markdown).

    Earlier cells are the lesson the exercise builds on (notebook 01 computes ``w @ x + b``
    before asking for ``neuron``); a later one would hand the answer out.
    """
    solution = solution_lines(nb)
    return [
        f"cell {index} contains {_code_part(line)!r}, from the solution in cell "
        f"{solution[_code_part(line)]}"
        for index, cell in enumerate(student.cells)
        for line in cell.source.split("\n")
        if solution.get(_code_part(line), index) < index
    ]


def test_no_solution_line_leaks_into_the_student_edition(editions):
    name, nb, student = editions
    assert solution_lines(nb), f"{name}: no solution line to look for"
    assert leaks(nb, student) == [], name


def test_the_leak_check_finds_a_solution_copied_into_a_later_cell():
    exercise = code(
        "def f(x):\n    ### BEGIN SOLUTION\n    s = np.sum(x**2)\n    return s / 2\n"
        "    ### END SOLUTION"
    )
    lesson = code("x = np.arange(3.0)\ns = np.sum(x**2)  # the lesson before the exercise")
    clean = notebook(lesson, exercise, code("ex.check_f(f)"))
    assert solution_lines(clean) == {"s = np.sum(x**2)": 1, "return s / 2": 1}
    assert leaks(clean, se.student_notebook(clean)) == []  # an earlier cell is not a leak
    for later in (
        new_markdown_cell("A hint:\n```python\ns = np.sum(x**2)  # the squares\n```"),
        code("def g(x):\n    s = np.sum(x**2)\n    return s"),
    ):
        leaky = notebook(lesson, exercise, code("ex.check_f(f)"), later)
        assert leaks(leaky, se.student_notebook(leaky)) == [
            "cell 3 contains 's = np.sum(x**2)', from the solution in cell 1"
        ]


@pytest.mark.parametrize(
    ("checker", "text", "verdict"),
    [
        ("check_f", "[ ] not attempted yet: fill in `f`, then run the check", "ok"),
        ("check_f", "[ ] skipped: PyTorch is not installed", "ok"),
        ("check_f", "[x] expected a function for f, got NoneType", "error"),
        ("check_f", "", "error"),
        ("check_warmup", "[x] `z` should be a number, got function", "error"),
    ],
)
def test_judge_accepts_only_not_attempted(checker, text, verdict):
    assert se.judge(checker, text)[0] == verdict
