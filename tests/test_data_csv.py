"""Tests for load_csv, CSVData and the example CSV (data.py, tools/make_fried_egg.py)."""

import dataclasses
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop_lib as bl
from backprop_lib import data
from backprop_lib.data import EXAMPLE_CSV, CSVData, load_csv

ROOT = Path(__file__).resolve().parents[1]

SMALL = "a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n7,8,emu\n"
SMALL_X = [[1, 2], [3, 4], [5, 6], [7, 8]]


def as_source(text: str, kind: str, tmp_path):
    """The same CSV text as each kind of source load_csv accepts."""
    raw = text.encode("utf-8")
    if kind in ("str path", "Path"):
        path = tmp_path / "data.csv"
        path.write_bytes(raw)
        return str(path) if kind == "str path" else path
    return {
        "text file": io.StringIO(text),
        "binary file": io.BytesIO(raw),
        "bytes": raw,
        "bytearray": bytearray(raw),
        "memoryview": memoryview(raw),
    }[kind]


KINDS = ["str path", "Path", "text file", "binary file", "bytes", "bytearray", "memoryview"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_source_gives_the_same_data(kind, tmp_path):
    got = load_csv(as_source(SMALL, kind, tmp_path))
    assert isinstance(got, CSVData)
    np.testing.assert_array_equal(got.X, SMALL_X)
    assert got.X.dtype == np.float64 and got.X.shape == (4, 2)
    np.testing.assert_array_equal(got.y, [0, 1, 0, 2])
    assert got.y.dtype == np.int64 and got.y.shape == (4,)
    assert got.feature_names == ("a", "b") and got.target_name == "label"
    assert got.classes == ("cat", "dog", "emu") and got.task == "classification"


def test_the_upload_content_of_a_file_upload_widget_loads():
    # what ipywidgets 8's FileUpload holds: a tuple of dicts whose "content" is a memoryview
    upload_value = ({"name": "egg.csv", "content": memoryview(EXAMPLE_CSV.read_bytes())},)
    got = load_csv(upload_value[0]["content"])
    np.testing.assert_array_equal(got.X, load_csv(EXAMPLE_CSV).X)
    with pytest.raises(TypeError, match=r'upload.value\[0\]\["content"\]'):
        load_csv(upload_value[0])


def test_unpacks_to_x_and_y_and_is_frozen():
    X, y = got = load_csv(io.StringIO(SMALL))
    assert X is got.X and y is got.y
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.X = None
    assert bl.load_csv is load_csv and bl.CSVData is CSVData
    assert "load_csv" in data.__all__ and "CSVData" in bl.__all__


def test_no_header_names_the_columns_x1_x2_and_y():
    got = load_csv(io.StringIO("0.5,1,0\n1.5,2,1\n2.5,3,1\n3.5,4,0\n"))
    assert got.feature_names == ("x1", "x2") and got.target_name == "y"
    np.testing.assert_array_equal(got.X, [[0.5, 1], [1.5, 2], [2.5, 3], [3.5, 4]])
    np.testing.assert_array_equal(got.y, [0, 1, 1, 0])
    assert got.classes == (0, 1) and all(type(c) is int for c in got.classes)
    # a target in the middle: the features keep their order and are numbered x1, x2
    mid = load_csv(io.StringIO("0.5,1,9\n1.5,0,8\n2.5,1,7\n3.5,0,6\n"), target=1)
    assert mid.feature_names == ("x1", "x2")
    np.testing.assert_array_equal(mid.X, [[0.5, 9], [1.5, 8], [2.5, 7], [3.5, 6]])
    np.testing.assert_array_equal(mid.y, [1, 0, 1, 0])


def test_header_detection():
    # a header is a first row with no number where the later rows have numbers
    assert load_csv(io.StringIO("x,y,k\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n")).feature_names == ("x", "y")
    # string labels on every row, numbers in the first: no header
    got = load_csv(io.StringIO("1,2,a\n3,4,b\n5,6,a\n7,8,b\n"))
    assert got.feature_names == ("x1", "x2") and len(got.X) == 4
    # an empty header cell (as pandas writes for its index) is still a name
    got = load_csv(io.StringIO(",b,k\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n"))
    assert got.feature_names == ("column 1", "b")


def test_numeric_labels_are_sorted_as_numbers_and_the_mapping_is_stable():
    text = "f,label\n1,10\n2,-1\n3,2\n4,10\n5,2.0\n"
    got = load_csv(io.StringIO(text))
    assert got.classes == (-1, 2, 10)  # as numbers: "10" < "2" as strings
    np.testing.assert_array_equal(got.y, [2, 0, 1, 2, 1])  # 2 and 2.0 are one class
    # the same labels in another row order map to the same ids
    lines = text.splitlines()
    again = load_csv(io.StringIO("\n".join([lines[0], *lines[:0:-1]])))
    assert again.classes == got.classes
    np.testing.assert_array_equal(again.y, got.y[::-1])
    for c, label in zip(got.y, ["10", "-1", "2", "10", "2"], strict=True):
        assert got.classes[c] == int(label)


def test_string_labels_sorted_and_a_mix_is_read_as_strings():
    got = load_csv(io.StringIO("f,label\n1,b\n2,a\n3,10\n4,9\n"))
    assert got.classes == ("10", "9", "a", "b")
    np.testing.assert_array_equal(got.y, [3, 2, 0, 1])


def test_target_by_name_and_by_negative_index():
    text = "p,label,q\n1,x,5\n2,y,6\n3,x,7\n4,y,8\n"
    by_name = load_csv(io.StringIO(text), target="label")
    by_index = load_csv(io.StringIO(text), target=-2)
    for got in (by_name, by_index, load_csv(io.StringIO(text), target=np.int64(1))):
        assert got.feature_names == ("p", "q") and got.target_name == "label"
        np.testing.assert_array_equal(got.X, [[1, 5], [2, 6], [3, 7], [4, 8]])
        np.testing.assert_array_equal(got.y, [0, 1, 0, 1])


def test_regression_target():
    got = load_csv(io.StringIO("a,b,h\n1,2,0.5\n3,4,-1.25\n5,6,3\n7,8,1e2\n"), task="regression")
    assert got.y.shape == (4, 1) and got.y.dtype == np.float64
    np.testing.assert_array_equal(got.y[:, 0], [0.5, -1.25, 3, 100])
    assert got.classes == () and got.task == "regression" and got.target_name == "h"
    assert got.summary() == "4 rows, 2 features (a, b), regression target h"


def test_delimiters_are_guessed_or_given_and_spaces_bom_blank_lines_are_fine():
    expected = load_csv(io.StringIO(SMALL))
    variants = [
        SMALL.replace(",", ";"),
        SMALL.replace(",", "\t"),
        SMALL.replace(",", "|"),
        SMALL.replace(",", ", "),  # spaces after the commas
        "\ufeff" + SMALL,  # a byte-order mark, as Excel writes
        SMALL.replace("\n", "\r\n"),  # Windows line ends
        "\n" + SMALL.replace("\n", "\n\n"),  # blank lines
        '"a","b","label"\n"1","2","cat"\n3,4,dog\n5,6,cat\n7,8,"emu"\n',  # quoted cells
    ]
    for text in variants:
        got = load_csv(io.BytesIO(text.encode("utf-8")))
        np.testing.assert_array_equal(got.X, expected.X, err_msg=repr(text))
        np.testing.assert_array_equal(got.y, expected.y, err_msg=repr(text))
        assert got.feature_names == expected.feature_names, repr(text)
    got = load_csv(io.StringIO(SMALL.replace(",", ":")), delimiter=":")
    np.testing.assert_array_equal(got.X, expected.X)
    # a label holding a comma, quoted, in a semicolon file: the semicolon wins
    got = load_csv(io.StringIO("a;k\n1;x,y\n2;z\n3;x,y\n4;z\n"))
    assert got.classes == ("x,y", "z")


def test_summary_line():
    assert load_csv(io.StringIO("0,0,0\n1,1,1\n2,2,0\n3,3,1\n")).summary() == (
        "4 rows, 2 features (x1, x2), 2 classes (0, 1)"
    )
    wide = "\n".join(",".join(str(i + j) for j in range(10)) + f",{i % 2}" for i in range(5))
    assert load_csv(io.StringIO(wide)).summary() == (
        "5 rows, 10 features (x1, x2, x3, x4, ..., x10), 2 classes (0, 1)"
    )
    one = load_csv(io.StringIO("f,k\n1,a\n2,b\n3,a\n4,b\n"))
    assert one.summary() == "4 rows, 1 feature (f), 2 classes (a, b)"


# ---- errors: each names the row, the column and the fix ----

ERRORS = [
    # (csv text, keyword arguments, every piece the message must hold)
    ("x1,x2,k\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n9,10,a\n11,abc,b\n", {},
     ["row 7", "column 'x2'", "'abc' is not a number", "fix the cell or delete the row"]),
    ("1,2,0\n3,4,1\n5,abc,0\n7,8,1\n", {}, ["row 3", "column 'x2'", "'abc' is not a number"]),
    # a typo in the first row is not a header: the row also holds numbers where later rows do
    ("1.5,abc,0\n1,2,1\n3,4,0\n5,6,1\n7,8,0\n", {}, ["row 1", "column 'x2'", "'abc'"]),
    ("a;b;k\n1,5;2;x\n3;4;y\n5;6;x\n7;8;y\n", {}, ["row 2", "column 'a'", "1.5, not 1,5"]),
    ("a,b,k\n1,2,x\n3,,y\n5,6,x\n7,8,y\n", {}, ["row 3", "column 'b'", "is empty", "missing"]),
    ("a,b,k\n1,2,x\n3,4,y\nNA,6,x\n7,8,y\n", {}, ["row 4", "column 'a'", "'NA'", "missing"]),
    ("a,b,k\n1,2,x\n3,4,y\n5,nan,x\n7,8,y\n", {}, ["row 4", "column 'b'", "'nan'", "missing"]),
    ("a,b,k\n1,2,x\n3,inf,y\n5,6,x\n7,8,y\n", {}, ["row 3", "column 'b'", "'inf' is infinite"]),
    ("a,b,k\n1,2,x\n3,1e999,y\n5,6,x\n7,8,y\n", {}, ["row 3", "column 'b'", "infinite"]),
    ("a,b,k\n1,2,x\n3,4,\n5,6,x\n7,8,y\n", {}, ["row 3", "column 'k'", "missing label"]),
    ("a,b,h\n1,2,3\n3,4,-inf\n5,6,1\n7,8,2\n", {"task": "regression"},
     ["row 3", "column 'h'", "'-inf' is infinite", "the target"]),
    ("a,b,h\n1,2,3\n3,4,5\n5,6,tall\n7,8,2\n", {"task": "regression"},
     ["row 4", "column 'h'", "'tall' is not a number"]),
    ("a,b,h\n1,2,0.5\n3,4,1\n5,6,0\n7,8,2\n", {},
     ["row 2", "column 'h'", "'0.5' is not a whole number", "task='regression'"]),
    ("a,b,k\n1,2,x\n3,4,y,9\n5,6,x\n7,8,y\n", {},
     ["row 3 has 4 values", "the header has 3", "extra delimiter"]),
    ("1,2,0\n3,4,1\n5,6\n7,8,1\n", {}, ["row 3 has 2 values", "row 1 has 3"]),
    ("", {}, ["empty"]),
    ("\n\n  \n", {}, ["empty"]),
    ("a,b,k\n", {}, ["only a header row", "a, b, k", "add rows"]),
    ("a,b,k\n1,2,x\n3,4,y\n5,6,x\n", {}, ["3 data rows", "at least 4"]),
    ("1,2,0\n", {}, ["1 data row;", "at least 4"]),
    ("k\n1\n2\n3\n4\n", {}, ["single column", "delimiter="]),
    ("a,b,k\n1,2,x\n3,4,x\n5,6,x\n7,8,x\n", {}, ["column 'k'", "single class ('x')", "2 classes"]),
    ("a,b,k\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", {"target": 3},
     ["target=3 is out of range", "3 columns", "'a', 'b', 'k'", "0 to 2", "-1 to -3"]),
    ("a,b,k\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", {"target": -4}, ["target=-4 is out of range"]),
    ("a,b,Label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", {"target": "label"},
     ["'label' is not a column", "'a', 'b', 'Label'", "did you mean 'Label'"]),
    ("1,2,0\n3,4,1\n5,6,0\n7,8,1\n", {"target": "y"}, ["no header row", "target=-1"]),
    ("a,a,k\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", {"target": "a"}, ["names 2 columns", "index"]),
    ("a,b,k\n1,2,x\n3,4,y\n", {"task": "ranking"}, ["task must be 'classification'"]),
    ("a,b,k\n1,2,x\n3,4,y\n", {"delimiter": ";;"}, ["one character"]),
]  # fmt: skip


@pytest.mark.parametrize("text, kwargs, pieces", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_files_raise_a_value_error_that_names_row_column_and_fix(text, kwargs, pieces):
    with pytest.raises(ValueError) as info:
        load_csv(io.StringIO(text), **kwargs)
    for piece in pieces:
        assert piece in str(info.value), (piece, str(info.value))


def test_the_first_bad_cell_is_the_one_reported():
    text = "a,b,k\n1,2,x\n3,4,y\n5,oops,x\n7,8,y\nbad,9,x\n"
    with pytest.raises(ValueError, match=r"row 4, column 'b': 'oops'"):
        load_csv(io.StringIO(text))


@pytest.mark.parametrize(
    "source, fix",
    [(3, "got int"), (["a,b"], "got list"), (np.zeros(3), "got ndarray"), (None, "got NoneType")],
)
def test_a_source_of_the_wrong_type_is_a_type_error(source, fix):
    with pytest.raises(TypeError, match=fix):
        load_csv(source)


def test_other_argument_and_source_problems(tmp_path):
    for target in (1.0, None, True):
        with pytest.raises(TypeError, match="target must be a column index"):
            load_csv(io.StringIO(SMALL), target=target)
    with pytest.raises(TypeError, match="delimiter"):
        load_csv(io.StringIO(SMALL), delimiter=0)
    with pytest.raises(ValueError, match="io.StringIO"):
        load_csv(SMALL)  # CSV text given as a str: it is read as a path
    with pytest.raises(FileNotFoundError, match="no CSV file"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_csv("a,b,k\n1,2,é\n".encode("latin-1"))
    with pytest.raises(ValueError, match="binary data"):
        load_csv(b"PK\x03\x04\x00\x00")  # the start of an .xlsx
    with pytest.raises(TypeError, match="returned int"):
        load_csv(type("Odd", (), {"read": lambda self: 3})())


# ---- round trip: any table written as CSV text reads back equal ----


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(4, 30),
    d=st.integers(1, 5),
    header=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t"]),
    seed=st.integers(0, 2**32 - 1),
    regression=st.booleans(),
)
def test_round_trip(n, d, header, delimiter, seed, regression):
    gen = np.random.default_rng(seed)
    X = gen.normal(scale=10.0 ** gen.integers(-3, 4), size=(n, d))
    if regression:
        y, cells = gen.normal(size=n), None
    else:
        names = np.array(["red", "green", "blue", "x y"])[: gen.integers(2, 5)]
        y = np.concatenate([np.arange(len(names)), gen.integers(len(names), size=n)])[:n]
        gen.shuffle(y)
        if len(set(y)) < 2:
            y[:2] = [0, 1]
        cells = names[y]
    lines = [delimiter.join([f"f{j}" for j in range(d)] + ["target"])] if header else []
    for i in range(n):
        label = repr(float(y[i])) if regression else str(cells[i])
        lines.append(delimiter.join([repr(float(v)) for v in X[i]] + [label]))
    text = "\n".join(lines) + "\n"
    got = load_csv(io.StringIO(text), task="regression" if regression else "classification")
    np.testing.assert_array_equal(got.X, X)  # repr(float) round-trips exactly
    if regression:
        np.testing.assert_array_equal(got.y, y.reshape(-1, 1))
    else:
        assert got.classes == tuple(sorted(set(cells)))
        assert [got.classes[c] for c in got.y] == list(cells)
    assert got.feature_names == (
        tuple(f"f{j}" for j in range(d)) if header else tuple(f"x{j + 1}" for j in range(d))
    )


# ---- the example CSV ----


def test_the_example_csv():
    assert isinstance(EXAMPLE_CSV, Path) and EXAMPLE_CSV.parent.name == "datasets"
    egg = load_csv(EXAMPLE_CSV)
    assert egg.summary() == "200 rows, 2 features (x1, x2), 3 classes (pan, white, yolk)"
    assert np.bincount(egg.y).tolist() == [66, 67, 67]
    assert np.abs(egg.X).max() <= 1
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_fried_egg as g
    finally:
        sys.path.pop(0)
    for (x1, x2), c in zip(egg.X, egg.y, strict=True):
        assert g.part(x1, x2) == egg.classes[c]


def test_the_shipped_example_is_what_the_generator_writes(tmp_path):
    code = (
        "import sys, pathlib; sys.path.insert(0, 'tools'); import make_fried_egg as g; "
        f"g.OUT = pathlib.Path({str(tmp_path / 'egg.csv')!r}); g.main()"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)
    assert (tmp_path / "egg.csv").read_bytes() == EXAMPLE_CSV.read_bytes()


def test_a_small_network_learns_the_example_and_a_linear_model_cannot():
    X, y = load_csv(EXAMPLE_CSV)
    accuracy = {}
    for hidden in ([], [8]):
        model = bl.mlp([2, *hidden, 3], activation="tanh", rng=0)
        opt = bl.Adam(model.parameters(), lr=0.05)
        bl.fit(model, bl.CrossEntropyLoss(), opt, X, y, epochs=400)
        accuracy[len(hidden)] = bl.accuracy(model, X, y)
    assert accuracy[1] >= 0.95 and accuracy[0] < 0.7, accuracy
