"""Build the student edition: every notebook with its solutions replaced by a placeholder.

    python tools/student_edition.py                   # notebooks/*.ipynb -> build/student/
    python tools/student_edition.py --execute         # then run each one top to bottom
    python tools/student_edition.py --out DIR NB...   # chosen notebooks, another folder

The notebooks in notebooks/ are the instructor's edition: each exercise cell holds its solution
between nbgrader's markers, each alone on its line,

    def f(x):
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION

and this script writes the learner's copy the way nbgrader's ``ClearSolutions`` does: the
region, markers included, becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError()``,
indented as the BEGIN marker was. Mark-scheme regions (``BEGIN MARK SCHEME``) and hidden-test
regions (``BEGIN HIDDEN TESTS``) are dropped, as nbgrader's ``ClearMarkScheme`` and
``ClearHiddenTests`` drop them. Outputs and execution counts are cleared, and the metadata only
the instructor's workflow uses goes: each cell's ``nbgrader`` record, the
``nbval-check-output`` tag (its reference output is gone), timings and saved widget state.

Stricter than nbgrader on purpose, because a mistake here hands out a solution: a marker left
unclosed, a nested BEGIN, an END without a BEGIN, the marker's words outside a code cell (even
quoted in a sentence: nbgrader 0.9 takes any line containing them for a marker), or a line
that contains them without being exactly the marker is an error naming the notebook and the
cell.

``--execute`` runs every student notebook in a fresh kernel (nbclient; any cell error fails)
and checks that every check cell (``ex.check_...(...)``) says "not attempted yet" (or, for an
optional dependency that is missing, "skipped").
See CONTRIBUTING.md ("Exercises") and README.md ("For instructors").
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "student"

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
#: nbgrader's default ``ClearSolutions.code_stub`` for Python, line by line.
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
#: Regions nbgrader removes without a stub: (begin, end) as substrings of a line, as it matches.
DROPPED_REGIONS = (
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
)
#: Tags whose meaning depends on the stored outputs, which the student edition does not have.
INSTRUCTOR_TAGS = {"nbval-check-output"}
#: A check cell: its code calls a checker of backprop_lib.exercises, imported as ``ex``.
CHECK_CELL = re.compile(r"^\s*ex\.check_(\w+)\(", re.MULTILINE)
NOT_ATTEMPTED = "not attempted yet"
#: What a check may say instead when an optional dependency is missing (notebook 12 without
#: PyTorch): the placeholder is never called, and the check says why.
SKIPPED = "[ ] skipped:"


class MarkerError(ValueError):
    """A solution marker that cannot be cleared safely."""


def _where(notebook: str, index: int, cell) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"{notebook}, cell {index} ({cell.cell_type}: {first.strip()[:50]!r})"


def _names_a_marker(line: str) -> bool:
    """True for a line nbgrader (0.9) takes for a marker: it contains the words anywhere."""
    return "BEGIN SOLUTION" in line or "END SOLUTION" in line


def clear_solutions(source: str, where: str = "this cell") -> tuple[str, int]:
    """Replace each solution region of a code cell's source by the stub; return (source, count).

    A marker counts only alone on its line (surrounding spaces allowed), as in nbgrader; the
    stub takes the BEGIN marker's indentation. Raises MarkerError for an unclosed, nested or
    unopened region, or a line that contains a marker's words but is not exactly the marker
    (``## BEGIN SOLUTION``, ``### END SOLUTION  # done``, a string that quotes one): nbgrader
    0.9 takes any such line for a marker and older versions take none, so its meaning is not
    safe either way.
    """
    out: list[str] = []
    inside_since = None
    count = 0
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            if inside_since is not None:
                raise MarkerError(
                    f"{where}: line {number} opens a solution inside the one opened on line "
                    f"{inside_since}; close the first with {END_SOLUTION!r} (regions do not nest)"
                )
            inside_since = number
            count += 1
            indent = line[: line.index(BEGIN_SOLUTION)]
            out.extend(indent + stub for stub in CODE_STUB)
        elif stripped == END_SOLUTION:
            if inside_since is None:
                raise MarkerError(
                    f"{where}: line {number} closes a solution that was never opened; "
                    f"put {BEGIN_SOLUTION!r} alone on a line above it"
                )
            inside_since = None
        elif _names_a_marker(line):
            raise MarkerError(
                f"{where}: line {number} mentions a solution marker but is not one: "
                f"{stripped!r}; write exactly {BEGIN_SOLUTION!r} or {END_SOLUTION!r}, "
                "alone on its line"
            )
        elif inside_since is None:
            out.append(line)
    if inside_since is not None:
        raise MarkerError(
            f"{where}: the solution opened on line {inside_since} is never closed; "
            f"add {END_SOLUTION!r} alone on a line after it"
        )
    return "\n".join(out), count


def drop_regions(source: str, begin: str, end: str, where: str = "this cell") -> str:
    """Remove every region from a line containing ``begin`` to one containing ``end``."""
    out: list[str] = []
    inside_since = None
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            if inside_since is not None:
                raise MarkerError(f"{where}: line {number} nests {begin!r} (line {inside_since})")
            inside_since = number
        elif end in line:
            if inside_since is None:
                raise MarkerError(f"{where}: line {number} has {end!r} without {begin!r}")
            inside_since = None
        elif inside_since is None:
            out.append(line)
    if inside_since is not None:
        raise MarkerError(f"{where}: {begin!r} on line {inside_since} is never closed by {end!r}")
    return "\n".join(out)


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The student edition of ``nb`` (a new notebook; ``nb`` is left as it is)."""
    nb = nbformat.from_dict(nb)  # a deep copy
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("celltoolbar", None)
    for index, cell in enumerate(nb.cells):
        where = _where(name, index, cell)
        for begin, end in DROPPED_REGIONS:
            cell.source = drop_regions(cell.source, begin, end, where)
        if cell.cell_type == "code":
            cell.source, _ = clear_solutions(cell.source, where)
            cell.outputs = []
            cell.execution_count = None
        elif any(_names_a_marker(line) for line in cell.source.split("\n")):
            raise MarkerError(
                f"{where}: solution markers belong in code cells only, and nbgrader takes any "
                "line containing BEGIN SOLUTION or END SOLUTION for one, even in prose; move "
                "the solution into the exercise's code cell (a written answer can be a "
                "function returning a string), or reword the sentence"
            )
        for key in ("nbgrader", "execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
        tags = [t for t in cell.metadata.get("tags", []) if t not in INSTRUCTOR_TAGS]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    return nb


def build(paths: list[Path], out: Path) -> list[Path]:
    """Write the student edition of each notebook to ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = student_notebook(nb, path.name)
        nbformat.validate(student)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


def check_cell_outputs(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(index, checker, printed text) for every check cell of an executed notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for checker in CHECK_CELL.findall(cell.source):
            text = ""
            for output in cell.outputs:
                if output.output_type == "stream":
                    text += output.text
                elif output.output_type in ("execute_result", "display_data"):
                    text += output.data.get("text/plain", "")
            found.append((index, f"check_{checker}", text))
    return found


def execute(path: Path, timeout: int = 120) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh kernel; any cell error raises."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def judge(checker: str, text: str) -> tuple[str, str | None]:
    """("ok" | "error", a message) for what one check cell printed."""
    said_not_attempted = NOT_ATTEMPTED in text
    shown = " ".join(text.split())[:120] or "(nothing)"
    if said_not_attempted or text.lstrip().startswith(SKIPPED):
        return "ok", None
    return "error", f"{checker} printed {shown} (expected {NOT_ATTEMPTED!r})"


def verify(paths: list[Path]) -> list[str]:
    """Execute each student notebook; return an error line for each check cell gone wrong."""
    errors = []
    for path in paths:
        nb, seconds = execute(path)
        checks = check_cell_outputs(nb)
        for index, checker, text in checks:
            verdict, message = judge(checker, text)
            if verdict == "error":
                errors.append(f"{path.name}, cell {index}: {message}")
        print(f"{path.name}: ran in {seconds:.1f} s, {len(checks)} check cell(s)")
    return errors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--out", type=Path, default=OUT, help="default: build/student")
    parser.add_argument(
        "--execute", action="store_true", help="run each student notebook and its checks"
    )
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks]
    if not paths:  # the whole edition: nothing left over from a renamed or removed notebook
        paths = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
        for old in args.out.glob("*.ipynb"):
            old.unlink()
    try:
        written = build(paths, args.out)
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} student notebook(s) to {args.out}")
    if not args.execute:
        return 0
    errors = verify(written)
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
