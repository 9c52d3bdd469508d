"""Tests for backprop_lib.nn.checkpoint: round trips, and mismatches that change nothing."""

import numpy as np
import pytest

from backprop_lib import BatchNorm1d, Linear, Sequential, Tanh, load, mlp, save
from backprop_lib.nn import checkpoint


def trained_like(seed):
    """An mlp with batch norm whose parameters and running statistics are all non-default."""
    model = mlp([3, 5, 5, 2], batch_norm=True, rng=seed)
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data[...] = rng.normal(size=p.shape)
    for _ in range(3):
        model(rng.normal(size=(6, 3)))  # moves the running statistics
    return model


def values(model):
    return [p.data.copy() for p in model.parameters()] + [
        b.copy() for _, b in model.named_buffers()
    ]


def test_save_then_load_restores_parameters_and_running_statistics(tmp_path):
    source, target = trained_like(0), trained_like(1)
    params = target.parameters()
    path = save(source, tmp_path / "model.npz")
    assert path == tmp_path / "model.npz" and path.exists()
    assert load(target, path) is target
    for a, b in zip(values(source), values(target), strict=True):
        np.testing.assert_array_equal(a, b)
    assert target.parameters() == params  # the same Parameter objects, updated in place
    x = np.random.default_rng(2).normal(size=(4, 3))
    np.testing.assert_array_equal(source.eval()(x), target.eval()(x))


def test_the_file_is_keyed_by_parameter_and_buffer_names(tmp_path):
    model = trained_like(0)
    path = save(model, tmp_path / "m")  # ".npz" is appended, as np.savez does
    assert path.name == "m.npz"
    with np.load(path, allow_pickle=False) as data:
        names = set(data.files)
    expected = {n for n, _ in model.named_parameters()} | {n for n, _ in model.named_buffers()}
    assert names == expected
    assert {"0.W", "1.gamma", "1.running_mean", "1.running_var", "6.b"} <= names
    load(trained_like(1), tmp_path / "m")  # loading accepts the name without ".npz" too


def test_shape_mismatch_raises_before_anything_changes(tmp_path):
    path = save(mlp([3, 5, 2], rng=0), tmp_path / "small.npz")
    model = mlp([3, 6, 2], rng=1)
    before = values(model)
    with pytest.raises(ValueError, match=r"0.W: checkpoint shape \(3, 5\), model shape \(3, 6\)"):
        load(model, path)
    for a, b in zip(values(model), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_missing_and_unexpected_names_are_listed(tmp_path):
    path = save(mlp([3, 5, 2], rng=0), tmp_path / "plain.npz")
    model = mlp([3, 5, 2], batch_norm=True, rng=1)
    before = values(model)
    with pytest.raises(
        ValueError, match=r"missing from the checkpoint: 1.beta.*not in the model: 2.W.*same sizes"
    ):
        load(Sequential(Linear(3, 5), BatchNorm1d(5), Tanh(), Linear(5, 2)), path)
    with pytest.raises(ValueError, match=r"not in the model: 0.b"):
        load(model, path)
    for a, b in zip(values(model), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"0.W": np.array([{"not": "numbers"}], dtype=object)})
    with pytest.raises(ValueError, match="allow_pickle"):
        load(Sequential(Linear(1, 1)), path)


def test_state_dict_is_a_copy_and_load_state_dict_casts_to_the_model_dtype():
    model = Sequential(Linear(2, 3, rng=0, dtype=np.float32))
    state = checkpoint.state_dict(model)
    state["0.W"] += 1.0
    assert not np.array_equal(state["0.W"], model[0].W.data)
    checkpoint.load_state_dict(model, {"0.W": np.ones((2, 3)), "0.b": np.arange(3)})
    assert model[0].W.data.dtype == np.float32
    np.testing.assert_array_equal(model[0].b.data, [0.0, 1.0, 2.0])


def test_save_needs_a_layer():
    with pytest.raises(TypeError, match="expected a Layer"):
        checkpoint.state_dict([Linear(2, 2)])
