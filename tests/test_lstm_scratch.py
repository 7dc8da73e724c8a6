"""Tests of lstm/scratch.py: a step computed by hand, agreement with keras.layers.LSTM, parameter counts, the CLI.

    python -m pytest tests/test_lstm_scratch.py -q
"""

import math
from pathlib import Path

import numpy as np
import pytest

from lstm import scratch

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZES = [(3, 2), (5, 4)]  # (units, input_dim)


def random_weights(units: int, input_dim: int, seed: int = 0) -> list[np.ndarray]:
    """Non-trivial float32 weights in Keras' layout (normal, scale 0.5), with a non-zero bias in every gate."""
    rng = np.random.default_rng(seed)
    shapes = [(input_dim, 4 * units), (units, 4 * units), (4 * units,)]
    return [rng.normal(scale=0.5, size=shape).astype("float32") for shape in shapes]


def keras_lstm(keras, units: int, input_dim: int, weights: list[np.ndarray], **kwargs):
    """A built keras.layers.LSTM with return_state=True holding the given weights."""
    layer = keras.layers.LSTM(units, return_state=True, **kwargs)
    layer.build((None, None, input_dim))
    layer.set_weights(weights)
    return layer


# ----------------------------------------------------------------------------------------------------------------
# By hand: one step of a one-unit cell, and the weight layout.


def test_one_step_of_a_one_unit_cell_matches_the_equations_worked_by_hand():
    # Gate blocks in Keras' order (i, f, c, o); input_dim = units = 1, so each W, U and b is a single number.
    kernel, recurrent_kernel = np.array([[0.5, -0.4, 0.9, 0.3]]), np.array([[0.2, 0.6, -0.7, 0.1]])
    bias = np.array([0.1, 1.0, -0.2, 0.05])
    x, h_previous, c_previous = 1.5, 0.4, -0.3

    def sigmoid(z):
        return 1 / (1 + math.exp(-z))

    i = sigmoid(0.5 * 1.5 + 0.2 * 0.4 + 0.1)  # sigmoid(0.93) = 0.7171
    f = sigmoid(-0.4 * 1.5 + 0.6 * 0.4 + 1.0)  # sigmoid(0.64) = 0.6548
    candidate = math.tanh(0.9 * 1.5 - 0.7 * 0.4 - 0.2)  # tanh(0.87) = 0.7014
    o = sigmoid(0.3 * 1.5 + 0.1 * 0.4 + 0.05)  # sigmoid(0.54) = 0.6318
    c = f * c_previous + i * candidate  # 0.6548 * -0.3 + 0.7171 * 0.7014 = 0.3065
    h = o * math.tanh(c)  # 0.6318 * tanh(0.3065) = 0.1878
    assert (c, h) == pytest.approx((0.3065, 0.1878), abs=1e-4)

    h_new, c_new, gates = scratch.lstm_cell_step(np.array([[x]]), np.array([[h_previous]]), np.array([[c_previous]]),
                                                 [kernel, recurrent_kernel, bias])
    assert h_new[0, 0] == pytest.approx(h, abs=1e-12) and c_new[0, 0] == pytest.approx(c, abs=1e-12)
    assert [gates[name][0, 0] for name in ("i", "f", "candidate", "o")] == pytest.approx([i, f, candidate, o],
                                                                                        abs=1e-12)


def test_split_weights_cuts_each_array_into_the_gates_in_keras_order():
    units, input_dim = 2, 3
    # Block k of every packed array is filled with k + 1, so each named matrix shows which block it came from.
    kernel = np.repeat(np.arange(1.0, 5.0), units)[None, :].repeat(input_dim, axis=0)  # (3, 8)
    recurrent_kernel = kernel[:1].repeat(units, axis=0)  # (2, 8)
    parts = scratch.split_lstm_weights([kernel, recurrent_kernel, kernel[0]])
    for value, gate in enumerate(("i", "f", "c", "o"), start=1):
        assert parts[f"W_{gate}"].shape == (input_dim, units) and (parts[f"W_{gate}"] == value).all()
        assert parts[f"U_{gate}"].shape == (units, units) and (parts[f"U_{gate}"] == value).all()
        assert parts[f"b_{gate}"].shape == (units,) and (parts[f"b_{gate}"] == value).all()


def test_bad_shapes_raise_value_error():
    weights = random_weights(3, 2)
    with pytest.raises(ValueError, match="bias must be"):
        scratch.lstm_forward(np.zeros((1, 4, 2)), [weights[0], weights[1], np.zeros(3)])
    with pytest.raises(ValueError, match="recurrent_kernel must be"):
        scratch.lstm_forward(np.zeros((1, 4, 2)), [weights[0], np.zeros((3, 3)), weights[2]])
    with pytest.raises(ValueError, match="x must be"):
        scratch.lstm_forward(np.zeros((1, 4, 5)), weights)
    with pytest.raises(ValueError, match="initial_state"):
        scratch.lstm_forward(np.zeros((1, 4, 2)), weights, initial_state=(np.zeros((1, 3)), np.zeros((2, 3))))


def test_gates_lie_in_their_ranges_and_the_state_carries_over():
    weights = random_weights(5, 4, seed=1)
    x = np.random.default_rng(2).normal(size=(3, 6, 4))
    h, c = np.zeros((3, 5)), np.zeros((3, 5))
    for t in range(6):
        h, c, gates = scratch.lstm_cell_step(x[:, t], h, c, weights)
        for name in ("i", "f", "o"):
            assert ((gates[name] > 0) & (gates[name] < 1)).all()
        assert (np.abs(gates["candidate"]) < 1).all() and (np.abs(h) < 1).all()
    # Two halves, the second started from the first's last (h, c), give the whole sequence's result.
    all_h, last_h, last_c = scratch.lstm_forward(x, weights)
    first_h, h_mid, c_mid = scratch.lstm_forward(x[:, :2], weights)
    second_h, h_end, c_end = scratch.lstm_forward(x[:, 2:], weights, initial_state=(h_mid, c_mid))
    np.testing.assert_allclose(np.concatenate([first_h, second_h], axis=1), all_h, atol=1e-12)
    np.testing.assert_allclose(h_end, last_h, atol=1e-12)
    np.testing.assert_allclose(c_end, last_c, atol=1e-12)
    np.testing.assert_allclose(h, last_h, atol=1e-12)  # the loop above equals lstm_forward
    np.testing.assert_allclose(c, last_c, atol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# Agreement with Keras: copied weights give the same outputs and states.


@pytest.mark.parametrize("units, input_dim", SIZES)
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("with_initial_state", [False, True])
def test_forward_agrees_with_keras_lstm(keras, units, input_dim, return_sequences, with_initial_state):
    rng = np.random.default_rng(3)
    weights = random_weights(units, input_dim)
    x = rng.normal(size=(2, 7, input_dim)).astype("float32")
    layer = keras_lstm(keras, units, input_dim, weights, return_sequences=return_sequences)
    assert layer.cell.recurrent_activation.__name__ == "sigmoid" and layer.cell.activation.__name__ == "tanh"
    initial_state = None
    if with_initial_state:
        initial_state = [rng.normal(scale=0.5, size=(2, units)).astype("float32") for _ in range(2)]
    output, keras_h, keras_c = (keras.ops.convert_to_numpy(tensor)
                                for tensor in layer(x, initial_state=initial_state))
    all_h, last_h, last_c = scratch.lstm_forward(x, weights, initial_state)
    np.testing.assert_allclose(all_h if return_sequences else last_h, output, atol=1e-5)
    np.testing.assert_allclose(last_h, keras_h, atol=1e-5)
    np.testing.assert_allclose(last_c, keras_c, atol=1e-5)


@pytest.mark.parametrize("units, input_dim", [*SIZES, (1, 1), (64, 28)])
def test_parameter_count_formula_equals_keras_count_params(keras, units, input_dim):
    layer = keras.layers.LSTM(units)
    layer.build((None, None, input_dim))
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [(input_dim, 4 * units), (units, 4 * units), (4 * units,)]
    assert scratch.count_lstm_parameters(input_dim, units) == layer.count_params() == sum(w.size for w in weights)


def test_unit_forget_bias_only_sets_the_initial_forget_bias_to_one(keras):
    layer = keras.layers.LSTM(3)  # unit_forget_bias=True is Keras' default
    layer.build((None, None, 2))
    keras_parts = scratch.split_lstm_weights(layer.get_weights())
    ours = scratch.split_lstm_weights(scratch.initial_lstm_weights(2, 3, np.random.default_rng(0)))
    for parts in (keras_parts, ours):
        assert (parts["b_f"] == 1).all() and (parts["b_i"] == 0).all() and (parts["b_c"] == 0).all()
        assert (parts["b_o"] == 0).all()
    without = scratch.initial_lstm_weights(2, 3, np.random.default_rng(0), unit_forget_bias=False)
    assert (without[2] == 0).all()
    recurrent = scratch.initial_lstm_weights(2, 3, np.random.default_rng(0))[1]  # (3, 12), orthonormal rows
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# The command line, and the NumPy-only contract.


@pytest.mark.parametrize("argv, params, steps_shown", [
    ([], 128, 8),  # 4 * (4 * (3 + 4) + 4)
    (["--units", "2", "--input-dim", "1", "--sequence-length", "3", "--seed", "5"], 32, 3),  # 4 * (2 * 3 + 2)
])
def test_main_prints_the_gates_and_returns_numbers(run_main, argv, params, steps_shown):
    results, out, err = run_main(scratch.main, argv)
    assert results["params_formula"] == results["params_arrays"] == params
    assert results["forward_matches_loop"] == 1
    assert 0.5 < results["mean_forget_gate"] < 0.95  # about sigmoid(1) = 0.73, from unit_forget_bias
    assert 0 < results["max_abs_hidden_state"] < 1 and results["max_abs_cell_state"] > 0
    assert any(line.startswith("  f_t  = sigmoid(") for line in out)
    assert sum(line.strip().split(" ")[0].isdigit() for line in out) == steps_shown  # one row per shown step
    assert any(line.startswith("parameters:") and line.endswith(f"= {params}  ok") for line in out)
    pairs = dict(pair.split("=") for pair in out[-1].split())
    assert list(pairs) == list(results) and int(pairs["params_formula"]) == params
    assert float(pairs["mean_forget_gate"]) == pytest.approx(results["mean_forget_gate"], abs=1e-4)
    assert err == []


def test_main_is_reproducible_with_the_same_seed(run_main):
    first, _, _ = run_main(scratch.main, ["--seed", "3"])
    second, _, _ = run_main(scratch.main, ["--seed", "3"])
    assert first["last_hidden_mean"] == second["last_hidden_mean"]


@pytest.mark.parametrize("argv", [["--units", "0"], ["--sequence-length", "0"], ["--units", "abc"],
                                  ["--input-dim", "0"], ["--seed", "-1"], ["--cell", "gru"]])
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
    (["-m", "lstm.scratch"], REPO_ROOT),
    (["lstm/scratch.py", "--units", "2"], REPO_ROOT),
    (["scratch.py", "--sequence-length", "3"], REPO_ROOT / "lstm"),
])
def test_runs_as_module_as_file_and_from_inside_the_folder(command, folder, run_script):
    completed = run_script(command, cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("params_formula=")


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("lstm.scratch")


def test_the_scripts_own_name_in_its_help_and_errors(capsys):
    from lstm import scratch

    with pytest.raises(SystemExit) as exit_info:
        scratch.main(["--units", "0"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("lstm/scratch.py: error: --units must be between 1 and 1024")
