"""Tests of gru/scratch.py: steps computed by hand, agreement with keras.layers.GRU (both reset_after variants),
parameter counts, the CLI.

    python -m pytest tests/test_gru_scratch.py -q
"""

import math
from pathlib import Path

import numpy as np
import pytest

from gru import scratch

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZES = [(3, 2), (5, 4)]  # (units, input_dim)


def random_weights(units: int, input_dim: int, reset_after: bool = True, seed: int = 0) -> list[np.ndarray]:
    """Non-trivial float32 weights in Keras' layout (normal, scale 0.5), with non-zero input and recurrent biases."""
    rng = np.random.default_rng(seed)
    shapes = [(input_dim, 3 * units), (units, 3 * units), (2, 3 * units) if reset_after else (3 * units,)]
    return [rng.normal(scale=0.5, size=shape).astype("float32") for shape in shapes]


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ----------------------------------------------------------------------------------------------------------------
# By hand: one step of a one-unit cell in each variant, and the weight layout.


def test_one_step_with_reset_after_matches_the_equations_worked_by_hand():
    # Blocks in Keras' order (z, r, h); input_dim = units = 1. Bias row 0: input bias, row 1: recurrent bias.
    kernel, recurrent_kernel = np.array([[0.5, -0.3, 0.8]]), np.array([[0.4, 0.7, -0.6]])
    bias = np.array([[0.1, 0.2, -0.1], [0.05, -0.15, 0.1]])
    x, h_previous = 1.2, 0.5
    z = sigmoid(0.5 * 1.2 + 0.1 + 0.4 * 0.5 + 0.05)  # sigmoid(0.95) = 0.7211
    r = sigmoid(-0.3 * 1.2 + 0.2 + 0.7 * 0.5 - 0.15)  # sigmoid(0.04) = 0.5100
    candidate = math.tanh(0.8 * 1.2 - 0.1 + r * (-0.6 * 0.5 + 0.1))  # tanh(0.86 - 0.2 r) = 0.6399
    h = z * h_previous + (1 - z) * candidate  # 0.7211 * 0.5 + 0.2789 * 0.6399 = 0.5390
    assert (z, r, candidate, h) == pytest.approx((0.7211, 0.5100, 0.6399, 0.5390), abs=1e-4)

    h_new, gates = scratch.gru_cell_step(np.array([[x]]), np.array([[h_previous]]), [kernel, recurrent_kernel, bias])
    assert h_new[0, 0] == pytest.approx(h, abs=1e-12)
    assert [gates[name][0, 0] for name in ("z", "r", "candidate")] == pytest.approx([z, r, candidate], abs=1e-12)


def test_one_step_without_reset_after_matches_the_equations_worked_by_hand():
    kernel, recurrent_kernel = np.array([[0.5, -0.3, 0.8]]), np.array([[0.4, 0.7, -0.6]])
    bias = np.array([0.1, 0.2, -0.1])  # one bias only: (3 * units,)
    x, h_previous = 1.2, 0.5
    z = sigmoid(0.5 * 1.2 + 0.4 * 0.5 + 0.1)  # sigmoid(0.9) = 0.7109
    r = sigmoid(-0.3 * 1.2 + 0.7 * 0.5 + 0.2)  # sigmoid(0.19) = 0.5474
    candidate = math.tanh(0.8 * 1.2 + (r * 0.5) * -0.6 - 0.1)  # tanh(0.86 - 0.3 r) = 0.6017
    h = z * h_previous + (1 - z) * candidate  # 0.7109 * 0.5 + 0.2891 * 0.6017 = 0.5294
    assert (z, r, candidate, h) == pytest.approx((0.7109, 0.5474, 0.6017, 0.5294), abs=1e-4)

    h_new, gates = scratch.gru_cell_step(np.array([[x]]), np.array([[h_previous]]), [kernel, recurrent_kernel, bias],
                                         reset_after=False)
    assert h_new[0, 0] == pytest.approx(h, abs=1e-12)
    assert [gates[name][0, 0] for name in ("z", "r", "candidate")] == pytest.approx([z, r, candidate], abs=1e-12)


def test_split_weights_cuts_each_array_into_the_gates_in_keras_order():
    units, input_dim = 2, 3
    # Block k of every packed array is filled with k + 1 (the recurrent bias with 10 * (k + 1)).
    kernel = np.repeat(np.arange(1.0, 4.0), units)[None, :].repeat(input_dim, axis=0)  # (3, 6)
    recurrent_kernel = kernel[:1].repeat(units, axis=0)  # (2, 6)
    bias = np.stack([kernel[0], 10 * kernel[0]])  # (2, 6)
    with_reset_after = scratch.split_gru_weights([kernel, recurrent_kernel, bias])
    without = scratch.split_gru_weights([kernel, recurrent_kernel, kernel[0]], reset_after=False)
    for value, gate in enumerate(("z", "r", "h"), start=1):
        for parts in (with_reset_after, without):
            assert parts[f"W_{gate}"].shape == (input_dim, units) and (parts[f"W_{gate}"] == value).all()
            assert parts[f"U_{gate}"].shape == (units, units) and (parts[f"U_{gate}"] == value).all()
            assert parts[f"b_{gate}"].shape == (units,) and (parts[f"b_{gate}"] == value).all()
        assert (with_reset_after[f"b_r{gate}"] == 10 * value).all()
    assert "b_rz" not in without


def test_bad_shapes_raise_value_error():
    weights = random_weights(3, 2)
    with pytest.raises(ValueError, match=r"reset_after=False the bias must be \(9,\)"):
        scratch.gru_forward(np.zeros((1, 4, 2)), weights, reset_after=False)
    with pytest.raises(ValueError, match=r"reset_after=True the bias must be \(2, 9\)"):
        scratch.gru_forward(np.zeros((1, 4, 2)), [weights[0], weights[1], weights[2][0]])
    with pytest.raises(ValueError, match="x must be"):
        scratch.gru_forward(np.zeros((1, 4, 5)), weights)
    with pytest.raises(ValueError, match="initial_state"):
        scratch.gru_forward(np.zeros((1, 4, 2)), weights, initial_state=np.zeros((2, 3)))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gates_lie_in_their_ranges_and_the_state_carries_over(reset_after):
    weights = random_weights(5, 4, reset_after, seed=1)
    x = np.random.default_rng(2).normal(size=(3, 6, 4))
    h = np.zeros((3, 5))
    for t in range(6):
        h, gates = scratch.gru_cell_step(x[:, t], h, weights, reset_after)
        assert ((gates["z"] > 0) & (gates["z"] < 1) & (gates["r"] > 0) & (gates["r"] < 1)).all()
        assert (np.abs(gates["candidate"]) < 1).all() and (np.abs(h) < 1).all()
    all_h, last_h = scratch.gru_forward(x, weights, reset_after=reset_after)
    np.testing.assert_allclose(h, last_h, atol=1e-12)  # the loop above equals gru_forward
    first_h, h_mid = scratch.gru_forward(x[:, :2], weights, reset_after=reset_after)
    second_h, h_end = scratch.gru_forward(x[:, 2:], weights, initial_state=h_mid, reset_after=reset_after)
    np.testing.assert_allclose(np.concatenate([first_h, second_h], axis=1), all_h, atol=1e-12)
    np.testing.assert_allclose(h_end, last_h, atol=1e-12)


def test_how_the_two_variants_differ():
    x = np.random.default_rng(4).normal(size=(2, 5, 3))
    # With one unit, r is one number per example, so r * (h U_h) = (r * h) U_h: the variants differ only by b_rh.
    kernel, recurrent_kernel, bias = random_weights(1, 3)
    bias[1] = 0.0
    after, _ = scratch.gru_forward(x, [kernel, recurrent_kernel, bias])
    before, _ = scratch.gru_forward(x, [kernel, recurrent_kernel, bias[0]], reset_after=False)
    np.testing.assert_allclose(after, before, atol=1e-6)
    # With several units, U_h mixes the units, and where r is applied matters.
    kernel, recurrent_kernel, bias = random_weights(4, 3)
    bias[1] = 0.0
    after, _ = scratch.gru_forward(x, [kernel, recurrent_kernel, bias])
    before, _ = scratch.gru_forward(x, [kernel, recurrent_kernel, bias[0]], reset_after=False)
    assert np.abs(after - before).max() > 1e-3
    # The recurrent biases of z and r only add to the input biases; b_rh alone is new (it sits inside r * (...)).
    zr_bias = random_weights(4, 3, seed=5)[2]
    zr_bias[:, 8:] = 0.0
    moved = np.stack([zr_bias[0] + zr_bias[1], np.zeros(12, dtype="float32")])
    np.testing.assert_allclose(scratch.gru_forward(x, [kernel, recurrent_kernel, zr_bias])[0],
                               scratch.gru_forward(x, [kernel, recurrent_kernel, moved])[0], atol=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# Agreement with Keras: copied weights give the same outputs and state.


@pytest.mark.parametrize("units, input_dim", SIZES)
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("with_initial_state", [False, True])
def test_forward_agrees_with_keras_gru(keras, units, input_dim, reset_after, return_sequences, with_initial_state):
    rng = np.random.default_rng(3)
    weights = random_weights(units, input_dim, reset_after)
    x = rng.normal(size=(2, 7, input_dim)).astype("float32")
    layer = keras.layers.GRU(units, reset_after=reset_after, return_sequences=return_sequences, return_state=True)
    layer.build((None, None, input_dim))
    layer.set_weights(weights)
    assert layer.cell.recurrent_activation.__name__ == "sigmoid" and layer.cell.activation.__name__ == "tanh"
    initial_state = rng.normal(scale=0.5, size=(2, units)).astype("float32") if with_initial_state else None
    output, keras_h = (keras.ops.convert_to_numpy(tensor)
                       for tensor in layer(x, initial_state=None if initial_state is None else [initial_state]))
    all_h, last_h = scratch.gru_forward(x, weights, initial_state, reset_after)
    np.testing.assert_allclose(all_h if return_sequences else last_h, output, atol=1e-5)
    np.testing.assert_allclose(last_h, keras_h, atol=1e-5)


@pytest.mark.parametrize("units, input_dim", [*SIZES, (1, 1), (64, 28)])
@pytest.mark.parametrize("reset_after", [True, False])
def test_parameter_count_formula_equals_keras_count_params(keras, units, input_dim, reset_after):
    layer = keras.layers.GRU(units, reset_after=reset_after)
    layer.build((None, None, input_dim))
    weights = layer.get_weights()
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    assert [w.shape for w in weights] == [(input_dim, 3 * units), (units, 3 * units), bias_shape]
    assert (scratch.count_gru_parameters(input_dim, units, reset_after) == layer.count_params()
            == sum(w.size for w in weights))
    ours = scratch.initial_gru_weights(input_dim, units, np.random.default_rng(0), reset_after)
    assert [w.shape for w in ours] == [w.shape for w in weights] and (ours[2] == 0).all()


def test_keras_default_is_reset_after(keras):
    assert keras.layers.GRU(2).cell.reset_after is True


# ----------------------------------------------------------------------------------------------------------------
# The command line, and the NumPy-only contract.


@pytest.mark.parametrize("argv, params, steps_shown", [
    ([], 108, 8),  # 3 * (4 * (3 + 4) + 2 * 4)
    (["--units", "2", "--input-dim", "1", "--sequence-length", "3", "--no-reset-after", "--seed", "5"], 24, 3),
])
def test_main_prints_the_gates_and_returns_numbers(run_main, argv, params, steps_shown):
    results, out, err = run_main(scratch.main, argv)
    assert results["params_formula"] == results["params_arrays"] == params
    assert results["forward_matches_loop"] == 1
    assert 0 < results["mean_update_gate"] < 1 and 0 < results["max_abs_hidden_state"] < 1
    assert results["variant_max_difference"] > 0  # more than one unit: the two variants differ
    assert any(line.startswith("  z_t  = sigmoid(") for line in out)
    assert sum(line.strip().split(" ")[0].isdigit() for line in out) == steps_shown  # one row per shown step
    assert any(line.startswith("parameters:") and line.endswith(f"= {params}  ok") for line in out)
    pairs = dict(pair.split("=") for pair in out[-1].split())
    assert list(pairs) == list(results) and int(pairs["params_formula"]) == params
    assert float(pairs["mean_update_gate"]) == pytest.approx(results["mean_update_gate"], abs=1e-4)
    assert err == []


@pytest.mark.parametrize("argv", [["--units", "0"], ["--sequence-length", "0"], ["--units", "abc"],
                                  ["--input-dim", "0"], ["--seed", "-1"], ["--reset-after", "no"]])
def test_bad_flags_exit_2_with_one_line(argv, run_main):
    result, out, err = run_main(scratch.main, argv)
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and "error:" in err[0]
    assert out == []  # rejected before anything ran


def test_config_rejects_bad_values_from_python_too():
    with pytest.raises(ValueError, match="--units"):
        scratch.ScratchConfig(units=0)
    with pytest.raises(ValueError, match="--sequence-length"):
        scratch.ScratchConfig(sequence_length=0)


@pytest.mark.parametrize("command, folder", [
    (["-m", "gru.scratch"], REPO_ROOT),
    (["gru/scratch.py", "--no-reset-after"], REPO_ROOT),
    (["scratch.py", "--sequence-length", "3"], REPO_ROOT / "gru"),
])
def test_runs_as_module_as_file_and_from_inside_the_folder(command, folder, run_script):
    completed = run_script(command, cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("params_formula=")


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("gru.scratch")
