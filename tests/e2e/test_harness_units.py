"""The browser harness's pure parts, checked without a browser (these run in `make test`).

How it reads a saved notebook for failed cells, decodes the kernel's websocket frames, and
sorts what the kernel sends into errors and mere warnings.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from .notebook_check import _cell_problems, _Watch, kernel_message
from .notebooks import BREAK_SOURCE, strip, write_broken_copy, write_synthetic

serialize_v1 = pytest.importorskip(
    "jupyter_server.services.kernels.connection.base"
).serialize_msg_to_ws_v1


def _code(source: str, count: int | None, outputs=(), tags=()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
    cell.execution_count = count
    cell.outputs = list(outputs)
    return cell


def _error(ename: str, evalue: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def test_cell_problems_reports_errors_and_cells_that_did_not_run():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        _code("x = 1", 1),
        _code("1 / 0", 2, [_error("ZeroDivisionError", "division by zero")]),
        _code("y = 2", None),
        _code("   ", None),  # an empty cell never runs, and need not
    ]
    problems = _cell_problems(nb)
    assert len(problems) == 2, problems
    assert "cell 3" in problems[0] and "ZeroDivisionError: division by zero" in problems[0]
    assert "cell 4" in problems[1] and "did not run" in problems[1]


def test_cell_problems_allows_errors_in_cells_tagged_raises_exception():
    nb = nbformat.v4.new_notebook()
    nb.cells = [_code("1 / 0", 1, [_error("ZeroDivisionError", "x")], tags=["raises-exception"])]
    assert _cell_problems(nb) == []
    nb.cells[0].metadata["tags"] = ["nbval-check-output"]
    assert _cell_problems(nb) != []


def _msg(msg_type: str, content: dict, parent_type: str = "comm_msg") -> dict:
    return {
        "header": {"msg_type": msg_type, "msg_id": "1"},
        "parent_header": {"msg_type": parent_type, "msg_id": "0"},
        "metadata": {},
        "content": content,
    }


def _frame(msg: dict, channel: str = "iopub") -> bytes:
    pack = lambda part: json.dumps(part).encode()  # noqa: E731
    return serialize_v1(msg, channel, pack=pack)


def test_kernel_message_decodes_the_binary_v1_protocol_and_json_text():
    msg = _msg("stream", {"name": "stderr", "text": "oops"})
    channel, header, parent, content = kernel_message(_frame(msg))
    assert (channel, header["msg_type"], parent["msg_type"]) == ("iopub", "stream", "comm_msg")
    assert content == {"name": "stderr", "text": "oops"}
    # with binary buffers after the content (an Image widget's PNG travels like that)
    framed = serialize_v1([json.dumps(p).encode() for p in msg.values()] + [b"\x89PNG"], "iopub")
    assert kernel_message(framed)[3] == content
    text = json.dumps({"channel": "shell", **msg})
    assert kernel_message(text)[0] == "shell"
    assert kernel_message(b"\x00" * 4) is None
    assert kernel_message("not json") is None


class _FakePage:
    def on(self, event, handler):
        pass


def test_watch_counts_errors_and_tracebacks_but_not_warnings():
    watch = _Watch(_FakePage())
    error = {"ename": "RuntimeError", "evalue": "boom", "traceback": ["\x1b[31mTraceback\x1b[0m"]}
    watch._frame(_frame(_msg("error", error)))
    watch._frame(_frame(_msg("stream", {"name": "stderr", "text": "RuntimeWarning: overflow"})))
    watch._frame(_frame(_msg("stream", {"name": "stderr", "text": "Traceback (most recent..."})))
    watch._frame(_frame(_msg("error", error, parent_type="execute_request")))
    watch._frame(_frame(_msg("error", error), channel="shell"))  # not output: ignored
    assert watch.stderr == ["RuntimeWarning: overflow"]
    errors = watch.kernel_errors(0)
    assert len(errors) == 3
    assert errors[0].startswith("RuntimeError: boom\nTraceback")  # colour codes removed
    # errors answering a cell's execution are left to the saved notebook's check
    assert len(watch.kernel_errors(0, cells=False)) == 2
    assert watch.kernel_errors(2) == [errors[2]]  # only those after a mark


def test_broken_copy_is_stripped_and_ends_with_the_breaking_cell(tmp_path):
    src = write_synthetic(tmp_path / "a.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="old")]
    nb.cells[1].execution_count = 7
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, src)
    broken = nbformat.read(write_broken_copy(src, tmp_path / "b.ipynb"), as_version=4)
    assert len(broken.cells) == len(nb.cells) + 1
    assert broken.cells[-1].source == BREAK_SOURCE
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in broken.cells)
    assert "widgets" not in broken.metadata
    assert strip(nb) is nb and nb.cells[1].outputs == []
