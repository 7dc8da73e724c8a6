"""Tests of rnn/scratch.py: agreement with Keras' SimpleRNN and TensorFlow's gradients, BPTT against finite
differences, truncation, the vanishing gradient, and the CLI.

    python -m pytest tests/test_rnn_scratch.py -q
"""

import os
from pathlib import Path

import numpy as np
import pytest

from rnn import scratch

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no CUDA or oneDNN start-up notices in the test output
    import keras

    return keras


def random_weights(features: int, units: int, seed: int) -> list[np.ndarray]:
    """[kernel, recurrent_kernel, bias] in float32, with a non-zero bias so that copying it is tested too."""
    params = scratch.init_parameters(features, units, recurrent_scale=1.2, seed=seed)
    return [params[name].astype("float32") for name in ("kernel", "recurrent_kernel", "bias")]


# ----------------------------------------------------------------------------------------------------------------
# The forward pass against keras.layers.SimpleRNN with the same weights.


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("with_initial_state", [False, True])
def test_forward_pass_agrees_with_keras_simple_rnn(keras, return_sequences, with_initial_state):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 7, 3)).astype("float32")  # (batch, time, features)
    initial_state = rng.normal(0.0, 0.5, size=(4, 6)).astype("float32") if with_initial_state else None
    layer = keras.layers.SimpleRNN(6, return_sequences=return_sequences)
    layer.build(x.shape)
    layer.set_weights(random_weights(3, 6, seed=1))
    kernel, recurrent_kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 6) and recurrent_kernel.shape == (6, 6) and bias.shape == (6,)  # our layout
    expected = keras.ops.convert_to_numpy(layer(x) if initial_state is None else layer(x, initial_state=initial_state))
    states, last = scratch.rnn_forward(x, layer.get_weights(), initial_state)
    assert states.shape == (4, 7, 6) and last.shape == (4, 6)
    np.testing.assert_allclose(states if return_sequences else last, expected, atol=1e-5)
    np.testing.assert_array_equal(states[:, -1], last)


def test_one_step_by_hand():
    x = np.array([[[1.0, 2.0]]])  # one sequence, one step, two features
    kernel, recurrent_kernel, bias = np.array([[0.5], [-0.25]]), np.array([[2.0]]), np.array([0.1])
    states, last = scratch.rnn_forward(x, [kernel, recurrent_kernel, bias], initial_state=np.array([[0.3]]))
    assert last[0, 0] == pytest.approx(np.tanh(0.5 - 0.5 + 0.6 + 0.1))  # tanh(x W + h0 U + b) = tanh(0.7)


def test_mismatched_shapes_raise_value_error():
    kernel, recurrent_kernel, bias = np.zeros((3, 4)), np.zeros((4, 4)), np.zeros(4)
    with pytest.raises(ValueError, match="recurrent_kernel must be"):
        scratch.rnn_forward(np.zeros((2, 5, 3)), [kernel, np.zeros((3, 4)), bias])
    with pytest.raises(ValueError, match="bias must be"):
        scratch.rnn_forward(np.zeros((2, 5, 3)), [kernel, recurrent_kernel, np.zeros(3)])
    with pytest.raises(ValueError, match="x must be"):
        scratch.rnn_forward(np.zeros((2, 5, 2)), [kernel, recurrent_kernel, bias])
    with pytest.raises(ValueError, match="initial_state must be"):
        scratch.rnn_forward(np.zeros((2, 5, 3)), [kernel, recurrent_kernel, bias], initial_state=np.zeros((2, 3)))


# ----------------------------------------------------------------------------------------------------------------
# Backpropagation through time against finite differences and TensorFlow.


@pytest.mark.parametrize("sequence_length, units, seed", [(10, 5, 0), (1, 3, 1), (25, 4, 2)])
def test_full_bptt_agrees_with_finite_differences(sequence_length, units, seed):
    errors = scratch.gradient_check(sequence_length, units, seed)
    assert set(errors) == set(scratch.PARAMETER_NAMES)
    assert max(errors.values()) < 1e-6  # measured about 1e-10


def test_gradient_check_catches_a_wrong_gradient():
    params, x, y = scratch.make_problem(6, 4, batch_size=3)
    numerical = scratch.numerical_gradients(params, x, y)
    assert max(scratch.relative_errors(scratch.bptt(params, x, y)[0], numerical).values()) < 1e-6
    # A classic mistake: stopping after the last step, which is truncated BPTT with k = 1, not the true gradient.
    errors = scratch.relative_errors(scratch.bptt(params, x, y, truncate=1)[0], numerical)
    assert errors["recurrent_kernel"] > 1e-2 and errors["kernel"] > 1e-2 and errors["readout_kernel"] < 1e-6


@pytest.mark.parametrize("with_initial_state", [False, True])
def test_bptt_agrees_with_tensorflow_autodiff(keras, with_initial_state):
    import tensorflow as tf

    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 9, 3)).astype("float32")
    y = rng.normal(size=(5, 2)).astype("float32")
    initial_state = rng.normal(0.0, 0.5, size=(5, 6)).astype("float32") if with_initial_state else None
    rnn_layer, dense = keras.layers.SimpleRNN(6), keras.layers.Dense(2)
    rnn_layer.build(x.shape)
    dense.build((None, 6))
    rnn_layer.set_weights(random_weights(3, 6, seed=4))
    dense.set_weights([rng.normal(0.0, 0.5, size=(6, 2)).astype("float32"),
                       rng.normal(0.0, 0.1, size=2).astype("float32")])
    variables = rnn_layer.trainable_variables + dense.trainable_variables
    with tf.GradientTape() as tape:
        last = rnn_layer(x) if initial_state is None else rnn_layer(x, initial_state=initial_state)
        keras_loss = keras.losses.MeanSquaredError()(y, dense(last))
    keras_gradients = tape.gradient(keras_loss, variables)

    params = dict(zip(scratch.PARAMETER_NAMES, rnn_layer.get_weights() + dense.get_weights()))
    assert scratch.mse_loss(params, x, y, initial_state) == pytest.approx(float(keras_loss), abs=1e-5)
    gradients = scratch.bptt(params, x, y, initial_state=initial_state)[0]
    for name, keras_gradient in zip(scratch.PARAMETER_NAMES, keras_gradients):
        assert gradients[name].shape == params[name].shape
        np.testing.assert_allclose(gradients[name], keras_gradient.numpy(), atol=1e-5, err_msg=name)


# ----------------------------------------------------------------------------------------------------------------
# Truncated BPTT.


@pytest.fixture
def problem():
    return scratch.make_problem(12, 5, recurrent_scale=1.0, seed=5)


def test_truncation_of_at_least_the_sequence_length_is_full_bptt(problem):
    params, x, y = problem
    full, full_hidden = scratch.bptt(params, x, y)
    for k in (12, 13, 100):
        truncated, hidden = scratch.bptt(params, x, y, truncate=k)
        for name in scratch.PARAMETER_NAMES:
            np.testing.assert_array_equal(truncated[name], full[name])
        np.testing.assert_array_equal(hidden, full_hidden)


@pytest.mark.parametrize("k", [1, 2, 5, 11])
def test_truncation_is_full_bptt_of_the_last_k_steps_from_a_constant_state(problem, k):
    params, x, y = problem
    states = scratch.rnn_forward(x, [params["kernel"], params["recurrent_kernel"], params["bias"]])[0]
    truncated, hidden = scratch.bptt(params, x, y, truncate=k)
    # The last k inputs, started from h_{T-k} (states[:, -k-1]) given as a constant initial state.
    last_k, last_k_hidden = scratch.bptt(params, x[:, -k:], y, initial_state=states[:, -k - 1])
    for name in scratch.PARAMETER_NAMES:
        np.testing.assert_allclose(truncated[name], last_k[name], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hidden[:, -k:], last_k_hidden, rtol=1e-12, atol=1e-15)
    assert not hidden[:, :-k].any()  # no gradient reaches the steps before the cut


def test_truncation_to_one_step_uses_only_the_last_step(problem):
    params, x, y = problem
    states = scratch.rnn_forward(x, [params["kernel"], params["recurrent_kernel"], params["bias"]])[0]
    full, truncated = scratch.bptt(params, x, y)[0], scratch.bptt(params, x, y, truncate=1)[0]
    # By hand: dL/dy = 2 (y_hat - y) / n, dL/dh_T = dL/dy V^T, dL/dz_T = dL/dh_T (1 - h_T^2); then
    # dU = h_{T-1}^T dL/dz_T, dW = x_T^T dL/dz_T, db = sum over the batch of dL/dz_T.
    prediction = states[:, -1] @ params["readout_kernel"] + params["readout_bias"]
    grad_z = (2.0 * (prediction - y) / y.size) @ params["readout_kernel"].T * (1.0 - states[:, -1] ** 2)
    np.testing.assert_allclose(truncated["recurrent_kernel"], states[:, -2].T @ grad_z, rtol=1e-12)
    np.testing.assert_allclose(truncated["kernel"], x[:, -1].T @ grad_z, rtol=1e-12)
    np.testing.assert_allclose(truncated["bias"], grad_z.sum(axis=0), rtol=1e-12)
    errors = scratch.relative_errors(truncated, full)
    assert errors["recurrent_kernel"] > 0.05 and errors["kernel"] > 0.05  # the earlier steps mattered
    assert errors["readout_kernel"] == errors["readout_bias"] == 0.0  # the readout sees only h_T


# ----------------------------------------------------------------------------------------------------------------
# The vanishing gradient.


def test_gradient_norms_vanish_for_a_small_recurrent_scale_and_not_for_a_large_one():
    norms = scratch.gradient_norms(50, 16, [0.5, 0.9, 1.5], seed=0)
    assert list(norms) == ["0.5", "0.9", "1.5"] and all(len(values) == 50 for values in norms.values())
    for scale in (0.5, 0.9):  # each step back multiplies by diag(1 - h^2) U^T, of norm at most the scale
        values = norms[f"{scale:g}"]
        assert np.all(values[1:] <= scale * values[:-1] * (1 + 1e-12))
    assert norms["0.5"][40] < 1e-12 * norms["0.5"][0]  # 0.5^40 = 9e-13 is the bound; measured 5e-16
    assert norms["0.9"][40] < 1e-4 * norms["0.9"][0]  # 0.9^40 = 0.015 is the bound; measured 8e-7
    assert norms["1.5"][40] > 0.1 * norms["1.5"][0]  # measured 0.47: the gradient still reaches 40 steps back


def test_main_writes_the_plot_and_returns_the_numbers(run_main, tmp_path):
    argv = ["--sequence-length", "20", "--units", "8", "--truncate", "3", "--output-dir", str(tmp_path)]
    results, out, err = run_main(scratch.main, argv)
    assert err == []
    assert results["gradient_check_max_rel_error"] == max(results["gradient_check"].values()) < 1e-8
    assert max(results["truncation"]["k=20"].values()) == 0.0
    assert results["truncation"]["k=3"]["recurrent_kernel"] > 1e-3
    assert list(results["gradient_norms"]) == ["0.5", "0.9", "1.5"]
    assert all(len(values) == 20 for values in results["gradient_norms"].values())
    plot = Path(results["plot"])
    assert plot.name == "gradient_norms.png" and plot.parent.parent == tmp_path / "rnn"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    assert any(line.startswith("  kernel") and "recurrent_kernel" in line for line in out)  # the error row
    pairs = dict(pair.split("=") for pair in out[-1].split())
    assert float(pairs["gradient_check_max_rel_error"]) == pytest.approx(results["gradient_check_max_rel_error"],
                                                                         rel=0.1)
    assert pairs["run_dir"] == str(plot.parent)
    second, _, _ = run_main(scratch.main, argv)  # the same second: a new folder, never the first one again
    assert Path(second["plot"]).parent != plot.parent and plot.exists()


@pytest.mark.parametrize("argv", [["--sequence-length", "0"], ["--truncate", "-1"], ["--units", "0"],
                                  ["--units", "abc"], ["--recurrent-scales", "0.5,x"], ["--recurrent-scales", "-1"]])
def test_bad_flags_exit_2_with_one_line(argv, run_main, tmp_path):
    result, out, err = run_main(scratch.main, argv + ["--output-dir", str(tmp_path)])
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and "error:" in err[0]
    assert out == [] and list(tmp_path.iterdir()) == []  # rejected before anything ran or was written


def test_config_rejects_bad_values_from_python_too(tmp_path):
    with pytest.raises(ValueError, match="--truncate"):
        scratch.ScratchConfig(truncate=0)
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(ValueError, match="--output-dir"):
        scratch.ScratchConfig(output_dir=str(a_file))


@pytest.mark.parametrize("command, folder", [
    (["-m", "rnn.scratch"], REPO_ROOT),
    (["rnn/scratch.py"], REPO_ROOT),
    (["scratch.py"], REPO_ROOT / "rnn"),
])
def test_runs_as_module_as_file_and_from_inside_the_folder(command, folder, run_script, tmp_path):
    completed = run_script(command + ["--sequence-length", "10", "--output-dir", str(tmp_path)], cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("gradient_check_max_rel_error=")
    assert len(list((tmp_path / "rnn").glob("scratch-*/gradient_norms.png"))) == 1


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("rnn.scratch")
