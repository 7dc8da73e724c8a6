"""Tests of autoencoder/scratch.py: gradients, agreement with Keras, and a linear autoencoder reaching PCA's subspace.

    python -m pytest -q -n 0 tests/test_autoencoder_scratch.py
"""

from pathlib import Path

import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from autoencoder import scratch
from autoencoder.dataset import load_digits_images

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    """The centred, scaled training and test digits as scratch.main prepares them: (train (1167, 64), test)."""
    data = load_digits_images()
    x_train, x_test = scratch.flatten(data.x_train), scratch.flatten(data.x_test)
    centring = scratch.Centring.fit(x_train)
    return centring.apply(x_train), centring.apply(x_test)


# ----------------------------------------------------------------------------------------------------------------
# Pieces: the centring, the gradients, the angles


def test_centring_gives_mean_zero_and_unit_mean_squared_length_and_undoes_itself(digits):
    x_train, _ = digits
    assert np.allclose(x_train.mean(axis=0), 0.0, atol=1e-12)
    assert np.mean(np.sum(x_train ** 2, axis=1)) == pytest.approx(1.0)
    raw = scratch.flatten(load_digits_images().x_test)
    centring = scratch.Centring.fit(scratch.flatten(load_digits_images().x_train))
    np.testing.assert_allclose(centring.undo(centring.apply(raw)), raw, atol=1e-12)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(7, 5))
    model = scratch.LinearAutoencoder(5, 2, seed=4, init_scale=0.5)
    grad_enc, grad_dec = model.gradients(x)
    for weights, gradient in ((model.W_enc, grad_enc), (model.W_dec, grad_dec)):
        numerical = np.zeros_like(weights)
        for index in np.ndindex(weights.shape):
            saved = weights[index]
            weights[index] = saved + 1e-6
            plus = model.loss(x)
            weights[index] = saved - 1e-6
            minus = model.loss(x)
            weights[index] = saved
            numerical[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(gradient, numerical, rtol=1e-6, atol=1e-8)


def test_principal_angles_agree_with_scipy_and_with_hand_computed_cases():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(10, 3)), rng.normal(size=(10, 3))
    np.testing.assert_allclose(np.sort(scratch.principal_angles(a, b)),
                               np.sort(np.degrees(subspace_angles(a, b))), atol=1e-6)
    plane = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])                # the x-y plane in 3-D
    tilted = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])               # x, and y tilted 45 degrees up
    np.testing.assert_allclose(scratch.principal_angles(plane, plane @ [[2.0, 1.0], [0.0, 3.0]]), [0.0, 0.0],
                               atol=1e-6)                                  # another basis of the same plane
    np.testing.assert_allclose(scratch.principal_angles(plane, tilted), [0.0, 45.0], atol=1e-6)
    assert scratch.axis_angle(np.array([1.0, 0.0]), np.array([-1.0, 1.0])) == pytest.approx(45.0)


def test_numpy_pca_spans_scikit_learns_subspace(digits):
    x_train, _ = digits
    ours = scratch.principal_components(x_train, 8)
    theirs = PCA(n_components=8, svd_solver="full").fit(x_train).components_
    assert np.degrees(subspace_angles(ours.T, theirs.T)).max() < 1e-6


# ----------------------------------------------------------------------------------------------------------------
# The lesson: gradient descent reaches PCA's subspace (and the check is able to fail)


def test_trained_linear_autoencoder_spans_the_pca_subspace(digits):
    x_train, x_test = digits
    components = scratch.principal_components(x_train, 8)
    model = scratch.LinearAutoencoder(64, 8, seed=0)
    losses = scratch.train(model, x_train, learning_rate=3.0, steps=1000)  # scratch.main's default: 1.0, 3000
    assert losses[-1] < 0.4 * losses[0]
    # Independent of scratch.principal_angles: scipy's, against scikit-learn's PCA.
    pca = PCA(n_components=8, svd_solver="full").fit(x_train)
    assert np.degrees(subspace_angles(model.W_dec.T, pca.components_.T)).max() < 0.1
    assert scratch.principal_angles(model.W_dec.T, components.T).max() < 0.1
    # The best rank-8 error, PCA's, on the training images and on test images it never saw.
    for x in (x_train, x_test):
        pca_error = np.mean(np.sum((pca.inverse_transform(pca.transform(x)) - x) ** 2, axis=1))
        assert model.loss(x) == pytest.approx(pca_error, rel=1e-3)
    # ... but other axes: the weights are not the components themselves.
    assert scratch.axis_angle(model.W_dec[0], components[0]) > 10


def test_the_subspace_check_fails_before_training_and_for_the_wrong_components(digits):
    x_train, _ = digits
    components = scratch.principal_components(x_train, 9)
    model = scratch.LinearAutoencoder(64, 8, seed=0)
    scratch.train(model, x_train, learning_rate=1.0, steps=20)
    assert scratch.principal_angles(model.W_dec.T, components[:8].T).max() > 20   # not there yet
    # Components 2 to 9 share seven directions with 1 to 8, and miss the first entirely.
    np.testing.assert_allclose(scratch.principal_angles(components[1:].T, components[:8].T).max(), 90.0, atol=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# Agreement with Keras: the same weights in two Dense(use_bias=False) layers give the same outputs and gradients


def test_outputs_and_gradients_agree_with_keras(keras, digits):
    import tensorflow as tf

    x = digits[0][:50].astype("float32")
    keras.utils.set_random_seed(0)
    keras_model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(4, use_bias=False),
                                    keras.layers.Dense(64, use_bias=False)])
    model = scratch.LinearAutoencoder(64, 4)
    model.set_weights(keras_model.get_weights())
    np.testing.assert_allclose(model.forward(x), keras.ops.convert_to_numpy(keras_model(x)), atol=1e-5)
    with tf.GradientTape() as tape:
        keras_loss = keras.losses.MeanSquaredError()(x, keras_model(x))   # a mean over the 64 pixels too
    keras_gradients = tape.gradient(keras_loss, keras_model.trainable_variables)
    assert model.loss(x) / 64 == pytest.approx(float(keras_loss), rel=1e-5)
    for ours, theirs in zip(model.gradients(x), keras_gradients):
        np.testing.assert_allclose(ours / 64, theirs.numpy(), rtol=1e-4, atol=1e-7)


# ----------------------------------------------------------------------------------------------------------------
# The command line and the NumPy-only contract


def test_run_ends_with_the_summary_line(run_main):
    results, out, _ = run_main(scratch.main, ["--code-size", "4", "--steps", "500", "--learning-rate", "3"])
    assert results["max_angle_degrees"] < 0.5
    assert results["test_mse"] == pytest.approx(results["pca_test_mse"], rel=1e-3)
    assert results["params"] == 2 * 64 * 4
    pairs = dict(pair.split("=") for pair in out[-1].split())
    assert out[-1].startswith("test_mse=") and set(pairs) == set(results)
    assert float(pairs["max_angle_degrees"]) == pytest.approx(results["max_angle_degrees"], abs=1e-4)


@pytest.mark.parametrize("argv, words", [(["--code-size", "0"], "--code-size must be at least 1"),
                                         (["--code-size", "64"], "--code-size must be below the 64 pixels"),
                                         (["--steps", "0"], "--steps must be at least 1"),
                                         (["--dataset", "cifar10"], "invalid choice: 'cifar10'"),
                                         (["--learning-rate", "-1"], "--learning-rate must be between 0 and 10"),
                                         (["--learning-rate", "5", "--steps", "100"],
                                          "try a smaller --learning-rate")])
def test_bad_flags_exit_2_with_one_line(argv, words, run_main):
    result, _, err = run_main(scratch.main, argv)
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and words in err[0]


@pytest.mark.parametrize("command, folder", [(["-m", "autoencoder.scratch", "--quick"], REPO_ROOT),
                                             (["scratch.py", "--quick"], REPO_ROOT / "autoencoder")])
def test_runs_as_module_and_from_inside_the_folder(command, folder, run_script):
    completed = run_script(command, cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("test_mse=")


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("autoencoder.scratch")
