"""Tests of ann/scratch.py: hand-computed values, finite differences, agreement with Keras, learning and the CLI.

    python -m pytest tests/test_ann_scratch.py -q
"""

import math
from pathlib import Path

import numpy as np
import pytest

from ann import scratch

REPO_ROOT = Path(__file__).resolve().parents[1]


def finite_difference(function, z: np.ndarray, epsilon: float = 1e-6) -> np.ndarray:
    """d sum(function(z)) / dz entry by entry, by central differences in float64."""
    z = z.astype("float64")
    gradient = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += epsilon
        minus[index] -= epsilon
        gradient[index] = (np.sum(function(plus)) - np.sum(function(minus))) / (2 * epsilon)
    return gradient


# ----------------------------------------------------------------------------------------------------------------
# The worked example, activations and losses against numbers computed by hand.


def test_worked_example_matches_the_numbers_worked_by_hand():
    example = scratch.worked_example()
    assert example["z"] == pytest.approx(2.5, abs=1e-12)  # 0.4 * 2 + 0.3 * 5 + 0.2
    assert example["prediction"] == pytest.approx(0.924, abs=1e-3)
    assert example["prediction"] == pytest.approx(1 / (1 + math.exp(-2.5)), abs=1e-12)
    assert example["prediction_rounded"] == 0.92
    assert example["mean_squared_error"] == pytest.approx(0.8464, abs=1e-12)  # (0 - 0.92)^2
    assert example["binary_cross_entropy"] == pytest.approx(2.5257, abs=1e-3)  # -ln(1 - 0.92)
    assert example["binary_cross_entropy"] == pytest.approx(-math.log(0.08), abs=1e-9)
    assert example["loss_before"] == pytest.approx(-math.log(1 - 1 / (1 + math.exp(-2.5))), abs=1e-9)
    assert example["loss_after"] < example["loss_before"]
    # dL/dz = p - y = 0.9241, so w <- w - 0.1 * 0.9241 * x and b <- b - 0.1 * 0.9241.
    step = 0.1 * example["prediction"]
    assert example["weights_after"] == pytest.approx([0.4 - 2 * step, 0.3 - 5 * step], abs=1e-12)
    assert example["bias_after"] == pytest.approx(0.2 - step, abs=1e-12)


def test_activations_give_hand_computed_values():
    np.testing.assert_allclose(scratch.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(scratch.sigmoid(np.array([0.0, math.log(3.0)])), [0.5, 0.75])
    np.testing.assert_allclose(scratch.tanh(np.array([0.0, math.log(2.0)])), [0.0, 0.6])  # (2 - 1/2) / (2 + 1/2)
    np.testing.assert_allclose(scratch.softmax(np.array([[0.0, math.log(3.0)]])), [[0.25, 0.75]])


def test_activations_are_numerically_stable_for_huge_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine; overflow is not
        np.testing.assert_allclose(scratch.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
        np.testing.assert_allclose(scratch.softmax(np.array([[1000.0, 1000.0], [-1000.0, 0.0]])),
                                   [[0.5, 0.5], [0.0, 1.0]])


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_derivatives_match_finite_differences(name):
    z = np.array([[-2.1, -0.7, 0.3], [0.9, 1.6, -3.0]])  # no entry at relu's kink z = 0
    expected = finite_difference(scratch.ACTIVATIONS[name], z)
    np.testing.assert_allclose(scratch.DERIVATIVES[name](z), expected, atol=1e-8)


def test_softmax_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    z, grad_out = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    expected = finite_difference(lambda values: grad_out * scratch.softmax(values), z)
    np.testing.assert_allclose(scratch.softmax_backward(z, grad_out), expected, atol=1e-8)


def test_losses_give_hand_computed_values():
    assert scratch.mean_squared_error(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == pytest.approx(2.0)
    assert scratch.binary_cross_entropy(np.array([1.0]), np.array([0.5])) == pytest.approx(math.log(2.0))
    assert scratch.binary_cross_entropy(np.array([1.0, 0.0]), np.array([0.9, 0.2])) == pytest.approx(
        -(math.log(0.9) + math.log(0.8)) / 2)
    probabilities = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    expected = -(math.log(0.7) + math.log(0.5)) / 2
    assert scratch.categorical_cross_entropy(np.array([2, 0]), probabilities) == pytest.approx(expected)
    one_hot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert scratch.categorical_cross_entropy(one_hot, probabilities) == pytest.approx(expected)


def test_losses_clip_probabilities_so_a_certain_mistake_costs_a_finite_amount():
    assert scratch.binary_cross_entropy(np.array([1.0]), np.array([0.0])) == pytest.approx(-math.log(1e-7))
    assert scratch.categorical_cross_entropy(np.array([0]), np.array([[0.0, 1.0]])) == pytest.approx(-math.log(1e-7))


@pytest.mark.parametrize("name, y_true", [
    ("mean_squared_error", np.array([[0.5, -1.0], [2.0, 0.0]])),
    ("binary_cross_entropy", np.array([[1.0, 0.0], [0.0, 1.0]])),
    ("categorical_cross_entropy", np.array([1, 0])),
])
def test_loss_gradients_match_finite_differences(name, y_true):
    loss, gradient = getattr(scratch, name), getattr(scratch, name + "_gradient")
    y_pred = np.array([[0.3, 0.7], [0.6, 0.4]])
    expected = finite_difference(lambda values: loss(y_true, values), y_pred)
    np.testing.assert_allclose(gradient(y_true, y_pred), expected, atol=1e-7)


# ----------------------------------------------------------------------------------------------------------------
# Layers, backpropagation and the gradient check.


def test_dense_initialisation_follows_he_for_relu_and_glorot_otherwise():
    rng = np.random.default_rng(0)
    relu_layer, tanh_layer = scratch.Dense(64, 16, "relu", rng), scratch.Dense(64, 16, "tanh", rng)
    assert relu_layer.W.shape == (64, 16) and relu_layer.b.shape == (16,) and not relu_layer.b.any()
    he_limit, glorot_limit = math.sqrt(6 / 64), math.sqrt(6 / (64 + 16))
    assert he_limit * 0.9 < np.abs(relu_layer.W).max() <= he_limit
    assert glorot_limit * 0.9 < np.abs(tanh_layer.W).max() <= glorot_limit


def test_combined_softmax_cross_entropy_gradient_equals_the_chain_through_the_jacobian():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 4)), np.array([0, 2, 1, 2, 0])
    model = scratch.MLP([4, 3], seed=2)
    probabilities = model.forward(x)
    model.backward(y)
    shortcut = [gradient.copy() for gradient in model.gradients()]
    model.layers[0].backward(scratch.categorical_cross_entropy_gradient(y, probabilities))
    for combined, chained in zip(shortcut, model.gradients()):
        np.testing.assert_allclose(combined, chained, atol=1e-12)


@pytest.mark.parametrize("hidden_activation", ["tanh", "sigmoid"])
def test_gradient_check_passes(hidden_activation):
    assert scratch.gradient_check(hidden_activation=hidden_activation) <= 1e-6
    assert scratch.gradient_check(layer_sizes=(8, 6, 5, 3), hidden_activation=hidden_activation, seed=3) <= 1e-6


def test_backpropagation_through_a_sigmoid_output_and_binary_cross_entropy():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 1)).astype("float64")
    model = scratch.MLP([3, 4, 1], hidden_activation="tanh", output_activation="sigmoid", seed=4)
    model.loss(x, y)
    model.backward(y)
    error = scratch.max_relative_error(model.gradients(), scratch.numerical_gradients(model, x, y))
    assert error <= 1e-6


def test_gradient_check_can_fail():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 6)), rng.integers(0, 4, size=4)
    model = scratch.MLP([6, 5, 4], hidden_activation="tanh", seed=5)
    model.loss(x, y)
    model.backward(y)
    analytic, numerical = model.gradients(), scratch.numerical_gradients(model, x, y)
    assert scratch.max_relative_error(analytic, numerical) <= 1e-6
    analytic[0][0, 0] += 0.1  # one wrong entry
    assert scratch.max_relative_error(analytic, numerical) > 1e-2


def test_gradient_check_catches_a_wrong_derivative(monkeypatch):
    monkeypatch.setitem(scratch.DERIVATIVES, "tanh", lambda z: 1.0 - np.tanh(z))  # forgot to square
    assert scratch.gradient_check(hidden_activation="tanh") > 1e-2


# ----------------------------------------------------------------------------------------------------------------
# Agreement with Keras: the same weights give the same outputs and the same gradients.


def build_keras_and_scratch(keras, hidden_units: list[int], activation: str):
    keras.utils.set_random_seed(0)
    layers = [keras.Input(shape=(64,))]
    layers += [keras.layers.Dense(units, activation=activation) for units in hidden_units]
    keras_model = keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])
    rng = np.random.default_rng(0)
    for layer in keras_model.layers:  # non-zero biases, so that copying them is tested too
        layer.bias.assign(rng.normal(0.0, 0.1, size=layer.bias.shape).astype("float32"))
    model = scratch.MLP([64, *hidden_units, 10], hidden_activation=activation)
    model.set_weights(keras_model.get_weights())
    return keras_model, model


@pytest.mark.parametrize("hidden_units, activation", [([16], "relu"), ([16, 12], "tanh"), ([8], "sigmoid")])
def test_forward_pass_agrees_with_keras(keras, hidden_units, activation):
    keras_model, model = build_keras_and_scratch(keras, hidden_units, activation)
    x = np.random.default_rng(6).normal(size=(32, 64)).astype("float32")
    np.testing.assert_allclose(model.forward(x), keras.ops.convert_to_numpy(keras_model(x)), atol=1e-5)


@pytest.mark.parametrize("hidden_units, activation", [([16], "relu"), ([16, 12], "tanh")])
def test_backward_pass_agrees_with_keras(keras, hidden_units, activation):
    import tensorflow as tf

    keras_model, model = build_keras_and_scratch(keras, hidden_units, activation)
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(32, 64)).astype("float32"), rng.integers(0, 10, size=32)
    with tf.GradientTape() as tape:
        keras_loss = keras.losses.SparseCategoricalCrossentropy()(y, keras_model(x))
    keras_gradients = tape.gradient(keras_loss, keras_model.trainable_variables)
    assert model.loss(x, y) == pytest.approx(float(keras_loss), abs=1e-5)
    model.backward(y)
    assert len(keras_gradients) == len(model.gradients())
    for keras_gradient, gradient in zip(keras_gradients, model.gradients()):
        np.testing.assert_allclose(gradient, keras_gradient.numpy(), atol=1e-5)


# ----------------------------------------------------------------------------------------------------------------
# Learning, the command line, and the NumPy-only contract.


def test_training_lowers_the_loss_and_is_repeatable_with_a_seed():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")  # linearly separable: logistic regression must learn it
    histories, accuracies = [], []
    for _ in range(2):
        model = scratch.build_logistic_regression(2, 2, seed=1)
        histories.append(scratch.train(model, x, y, learning_rate=0.5, batch_size=20, epochs=10, seed=1))
        accuracies.append(scratch.accuracy(model, x, y))
    assert len(histories[0]) == 10
    assert histories[0][-1] < 0.5 * histories[0][0]
    assert histories[0] == histories[1]
    assert accuracies[0] > 0.95


def test_quick_run_learns_and_ends_with_the_summary_line(run_main):
    results, out, err = run_main(scratch.main, ["--quick"])
    assert results["test_accuracy"] > 0.8  # chance is 0.1
    assert results["logistic_regression_test_accuracy"] > 0.7
    assert results["logistic_regression_params"] == 64 * 10 + 10  # digits: 64 pixels, 10 classes
    assert results["logistic_regression_train_seconds"] > 0
    assert results["gradient_check_max_rel_error"] <= 1e-6
    last_line = out[-1]
    pairs = dict(pair.split("=") for pair in last_line.split())
    assert last_line.startswith("test_accuracy=")
    assert set(pairs) == set(results)
    for key, value in pairs.items():
        assert float(value) == pytest.approx(results[key], rel=0.06, abs=0.06)


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--learning-rate", "abc"], ["--activation", "swish"],
                                  ["--hidden-units", "64,0"], ["--batch-size", "-1"]])
def test_bad_flags_exit_2_with_one_line(argv, run_main):
    result, out, err = run_main(scratch.main, argv)
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and "error:" in err[0]
    assert out == []  # rejected before anything ran


def test_config_rejects_bad_values_from_python_too():
    with pytest.raises(ValueError, match="--epochs"):
        scratch.ScratchConfig(epochs=0)
    with pytest.raises(ValueError, match="--activation"):
        scratch.ScratchConfig(activation="swish")


@pytest.mark.parametrize("command, folder", [
    (["-m", "ann.scratch", "--quick"], REPO_ROOT),
    (["ann/scratch.py", "--quick"], REPO_ROOT),
    (["scratch.py", "--quick"], REPO_ROOT / "ann"),
])
def test_runs_as_module_as_file_and_from_inside_the_folder(command, folder, run_script):
    completed = run_script(command, cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("test_accuracy=")


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("ann.scratch")
