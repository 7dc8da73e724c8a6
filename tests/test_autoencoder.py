"""autoencoder/: the builders and the VAE's layers, the data, quick runs of every architecture with their scores
recomputed from the saved model, anomaly detection, save and load, bad input, and running train.py as a file.

    python -m pytest -q -n 0 tests/test_autoencoder.py
"""

import json
import math
from pathlib import Path

import keras
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk_metrics
from sklearn.decomposition import PCA

from autoencoder import dataset as ae_dataset
from autoencoder import model as ae_model
from autoencoder.model import ARCHITECTURES, KLDivergence, Sampling, build_model, encode, end_to_end
from autoencoder.train import ARCHITECTURES as FLAG_ARCHITECTURES
from autoencoder.train import AutoencoderConfig, main
from common.datasets import load_mnist5k

REPO_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------------------------
# model.py

@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("input_shape", [(28, 28, 1), (8, 8, 1)])
def test_every_architecture_maps_images_to_images_through_a_code(arch, input_shape):
    model = build_model(input_shape, arch=arch, code_size=5)
    assert model.input_shape == (None, *input_shape) and model.output_shape == (None, *input_shape)
    images = np.random.default_rng(0).random((3, *input_shape)).astype("float32")
    outputs = np.asarray(model(images, training=False))
    assert outputs.shape == (3, *input_shape) and 0.0 <= outputs.min() and outputs.max() <= 1.0  # a sigmoid
    assert encode(model, images).shape == (3, 5)
    assert model.get_layer("decoder").input_shape == (None, 5)


def test_flag_and_builder_offer_the_same_architectures():
    assert FLAG_ARCHITECTURES == ARCHITECTURES


def test_dense_parameter_count_by_hand():
    model = build_model((8, 8, 1), arch="dense", code_size=4, hidden_units=(16, 8))
    encoder = (64 * 16 + 16) + (16 * 8 + 8) + (8 * 4 + 4)
    decoder = (4 * 8 + 8) + (8 * 16 + 16) + (16 * 64 + 64)
    assert model.get_layer("encoder").count_params() == encoder
    assert model.count_params() == encoder + decoder


def test_conv_shapes_halve_twice_and_grow_back():
    model = build_model((28, 28, 1), arch="conv", code_size=32)
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    assert encoder.get_layer("encoder_conv_1").output.shape[1:] == (14, 14, 32)
    assert encoder.get_layer("encoder_conv_2").output.shape[1:] == (7, 7, 64)
    assert decoder.get_layer("feature_map").output.shape[1:] == (7, 7, 64)
    assert decoder.get_layer("decoder_deconv_1").output.shape[1:] == (14, 14, 64)
    # The denoiser is the same network behind a noise layer; the VAE has two code heads instead of one.
    assert build_model((28, 28, 1), arch="denoising").count_params() == model.count_params()
    vae = build_model((28, 28, 1), arch="vae", code_size=32)
    assert vae.count_params() == model.count_params() + (7 * 7 * 64 * 32 + 32)


def test_builder_rejects_what_cannot_work():
    with pytest.raises(ValueError, match="divisible by 4"):
        build_model((10, 10, 1), arch="conv")
    with pytest.raises(ValueError, match="arch must be one of"):
        build_model((8, 8, 1), arch="gan")
    with pytest.raises(ValueError, match="code_size"):
        build_model((8, 8, 1), arch="dense", code_size=0)


def test_sampling_draws_around_the_mean_in_training_and_returns_the_mean_otherwise():
    keras.utils.set_random_seed(0)
    z_mean = np.full((20000, 2), [1.0, -3.0], dtype="float32")
    z_log_var = np.full((20000, 2), [math.log(4.0), 0.0], dtype="float32")  # standard deviations 2 and 1
    layer = Sampling(seed=1)
    np.testing.assert_array_equal(np.asarray(layer([z_mean, z_log_var], training=False)), z_mean)
    samples = np.asarray(layer([z_mean, z_log_var], training=True))
    np.testing.assert_allclose(samples.mean(axis=0), [1.0, -3.0], atol=0.05)
    np.testing.assert_allclose(samples.std(axis=0), [2.0, 1.0], atol=0.05)
    assert not np.allclose(np.asarray(layer([z_mean, z_log_var], training=True)), samples)  # fresh noise each call


def test_kl_layer_adds_the_closed_form_kl_and_passes_its_inputs_through():
    mean_in, log_var_in = keras.Input((2,)), keras.Input((2,))
    outputs = KLDivergence(weight=0.5)([mean_in, log_var_in])
    model = keras.Model([mean_in, log_var_in], list(outputs))
    mu = np.array([[1.0, 0.0], [0.0, 0.0]], dtype="float32")
    log_var = np.array([[math.log(4.0), 0.0], [0.0, 0.0]], dtype="float32")
    passed = model([mu, log_var])
    np.testing.assert_array_equal(np.asarray(passed[0]), mu)
    # KL(N(mu, s^2) || N(0, 1)) = (s^2 + mu^2 - 1 - ln s^2) / 2 per unit: (4 + 1 - 1 - ln 4) / 2 for the first
    # example, 0 for the second (it is the prior itself); the batch mean, times the weight 0.5.
    expected = 0.5 * ((4.0 + 1.0 - 1.0 - math.log(4.0)) / 2 + 0.0) / 2
    assert len(model.losses) == 1
    assert float(model.losses[0]) == pytest.approx(expected, rel=1e-6)


def test_the_noise_layer_acts_in_training_only():
    model = build_model((8, 8, 1), arch="denoising", noise_stddev=0.5)
    images = np.full((4, 8, 8, 1), 0.5, dtype="float32")
    np.testing.assert_array_equal(np.asarray(model(images)), np.asarray(model(images)))
    assert not np.allclose(np.asarray(model(images, training=True)), np.asarray(model(images, training=True)))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_save_and_load_in_safe_mode_gives_identical_outputs(arch, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_model((8, 8, 1), arch=arch, code_size=3)
    images = np.random.default_rng(1).random((5, 8, 8, 1)).astype("float32")
    model.save(tmp_path / "network.keras")
    loaded = keras.saving.load_model(tmp_path / "network.keras", safe_mode=True)
    np.testing.assert_array_equal(np.asarray(loaded(images)), np.asarray(model(images)))
    np.testing.assert_array_equal(encode(loaded, images), encode(model, images))
    if arch == "vae":  # the KL layer comes back with its weight, and still adds its term
        assert loaded.get_layer("kl_divergence").weight == model.get_layer("kl_divergence").weight
        assert len(loaded.losses) == 1
    # What a run saves: the same network between two rescalings, raw pixels (here 0..16) in and out.
    end_to_end(model, pixel_max=16.0).save(tmp_path / "model.keras")
    saved = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(saved(images * 16.0)), 16.0 * np.asarray(model(images)), rtol=1e-6,
                               atol=1e-6)
    assert saved.count_params() == model.count_params()  # the rescalings learn nothing


# ---------------------------------------------------------------------------------------------------------------
# dataset.py

@pytest.mark.parametrize("name, shape, sizes", [("mnist5k", (28, 28, 1), (3250, 750, 1000)),
                                                ("digits", (8, 8, 1), (1167, 270, 360))])
def test_embedded_datasets_are_images_in_0_to_1(name, shape, sizes):
    data = ae_dataset.load_dataset(AutoencoderConfig(dataset=name))
    assert data.input_shape == shape and (len(data.x_train), len(data.x_val), len(data.x_test)) == sizes
    assert data.x_train.dtype == np.float32 and data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert set(np.unique(data.y_test)) == set(range(10))


def test_anomaly_data_holds_the_digit_out_of_training_and_validation_only():
    full = ae_dataset.load_dataset(AutoencoderConfig(dataset="digits"))
    data = ae_dataset.load_dataset(AutoencoderConfig(dataset="digits", task="anomaly", anomaly_class=3))
    assert 3 not in data.y_train and 3 not in data.y_val
    np.testing.assert_array_equal(data.x_test, full.x_test)  # every digit stays in test
    assert len(data.meta["val_anomalies"]) == np.sum(full.y_val == 3) == len(full.x_val) - len(data.x_val)
    assert len(data.x_train) == np.sum(full.y_train != 3)


def test_noisy_copies_are_repeatable_clipped_and_of_the_asked_spread():
    images = np.full((200, 8, 8, 1), 0.5, dtype="float32")
    noisy = ae_dataset.noisy_copy(images, 0.1, seed=7)
    np.testing.assert_array_equal(noisy, ae_dataset.noisy_copy(images, 0.1, seed=7))
    assert not np.array_equal(noisy, ae_dataset.noisy_copy(images, 0.1, seed=8))
    assert noisy.std() == pytest.approx(0.1, rel=0.03)  # far from 0 and 1, clipping changes nothing
    clipped = ae_dataset.noisy_copy(np.zeros((10, 8, 8, 1), "float32"), 0.5, seed=0)
    assert clipped.min() == 0.0 and clipped.max() <= 1.0 and np.mean(clipped == 0) == pytest.approx(0.5, abs=0.1)


# ---------------------------------------------------------------------------------------------------------------
# train.py: a quick run per architecture, every number in metrics.json recomputed from the saved model

PLOTS = {"learning_curves.png", "reconstructions.png", "latent_space.png"}


def check_pictures(run_dir: Path, names: set[str]) -> None:
    """Every named picture exists, reads as an image, and is not blank."""
    assert names <= {path.name for path in (run_dir / "plots").iterdir()}
    for name in names:
        picture = matplotlib.image.imread(run_dir / "plots" / name)
        assert picture.shape[0] > 100 and picture.shape[1] > 100 and picture.std() > 0.01, name


def reconstruct(model, images: np.ndarray, pixel_max: float) -> np.ndarray:
    """model.keras's reconstructions of images in 0..1, in 0..1: it reads and answers raw pixels (0..pixel_max)."""
    return np.asarray(model(images * pixel_max, training=False)) / pixel_max


def check_best_epoch_saved(model, run_dir: Path, x_val_input: np.ndarray, x_val: np.ndarray, arch: str,
                           pixel_max: float) -> None:
    """model.keras holds the best epoch: its validation loss is history's lowest. Called directly rather than through
    evaluate (the same number without tracing a graph); the call also collects the VAE's KL term in model.losses."""
    reconstructions = reconstruct(model, x_val_input, pixel_max)
    loss = keras.losses.BinaryCrossentropy() if arch == "vae" else keras.losses.MeanSquaredError()  # train.py's
    val_loss = float(loss(x_val, reconstructions)) + sum(float(term) for term in model.losses)
    assert val_loss == pytest.approx(pd.read_csv(run_dir / "history.csv")["val_loss"].min(), rel=1e-4)


def mse_psnr(images: np.ndarray, reconstructions: np.ndarray) -> dict[str, float]:
    mse = float(np.mean((np.asarray(reconstructions, "float64") - images) ** 2))
    return {"mse": mse, "psnr": 10 * math.log10(1 / mse)}


# The default (conv on mnist5k) once; the other architectures on the small digits, to keep the file fast.
@pytest.mark.parametrize("arch, name", [("conv", "mnist5k"), ("dense", "digits"), ("denoising", "digits"),
                                        ("vae", "digits")])
def test_quick_run_scores_are_those_of_the_saved_model(arch, name, tmp_path, run_main, readme_snippet):
    result, out, _ = run_main(main, ["--arch", arch, "--dataset", name, "--code-size", "2", "--quick",
                                     "--output-dir", str(tmp_path)])
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == tmp_path / "autoencoder" / arch and run_dir.name.startswith(name)
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["task"] == "reconstruction" and saved["epochs_run"] == 2 and saved["code_size"] == 2
    assert out[-1].startswith("test_mse=") and f"params={saved['params']}" in out[-1]
    check_pictures(run_dir, PLOTS | ({"latent_sweep.png"} if arch == "vae" else set()))

    data = ae_dataset.load_dataset(AutoencoderConfig(dataset=name)).quick_slice()
    x_val_input, x_test_input = data.x_val, data.x_test
    if arch == "denoising":  # the run's own fixed-seed noise, drawn again here
        x_val_input = ae_dataset.noisy_copy(data.x_val, 0.3, ae_dataset.VAL_NOISE_SEED)
        x_test_input = ae_dataset.noisy_copy(data.x_test, 0.3, ae_dataset.TEST_NOISE_SEED)
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    pixel_max = {"mnist5k": 255.0, "digits": 16.0}[name]
    described = json.loads((run_dir / "inputs.json").read_text())
    assert described["pixel_max"] == pixel_max and described["kind"] == "reconstruction"
    np.testing.assert_allclose(described["examples"], data.x_test[: len(described["examples"])] * pixel_max,
                               rtol=1e-6)
    check_best_epoch_saved(model, run_dir, x_val_input, data.x_val, arch, pixel_max)
    for split, inputs, images in (("test", x_test_input, data.x_test), ("validation", x_val_input, data.x_val)):
        for metric, value in mse_psnr(images, reconstruct(model, inputs, pixel_max)).items():
            assert saved[split][metric] == pytest.approx(value, rel=1e-5), (split, metric)
    if arch == "conv":  # the README's five lines: the mean error per pixel of five raw mnist5k digits, in 0..255
        raw = load_mnist5k()[0][:5, ..., None]
        error = float(np.abs(np.asarray(model(raw, training=False)) - raw).mean())
        assert float(readme_snippet("autoencoder", run_dir)[-1]) == pytest.approx(error, rel=1e-4)

    # The baselines, from scikit-learn and NumPy directly.
    flat_train = data.x_train.reshape(len(data.x_train), -1)
    pca = PCA(n_components=2, svd_solver="full").fit(flat_train)
    pca_images = np.clip(pca.inverse_transform(pca.transform(x_test_input.reshape(len(x_test_input), -1))), 0, 1)
    assert saved["baselines"]["pca"]["mse"] == pytest.approx(mse_psnr(data.x_test, pca_images.reshape(
        data.x_test.shape))["mse"], rel=1e-5)
    mean_image = np.broadcast_to(data.x_train.mean(axis=0), data.x_test.shape)
    assert saved["baselines"]["mean_image"] == pytest.approx(mse_psnr(data.x_test, mean_image), rel=1e-5)
    if arch == "denoising":
        assert saved["baselines"]["noisy_input"] == pytest.approx(mse_psnr(data.x_test, x_test_input), rel=1e-6)
        # Clipping halves the noise on the black background, so the noisy input's error is below 0.3^2.
        assert 0.02 < saved["baselines"]["noisy_input"]["mse"] < 0.09
    else:
        assert set(saved["baselines"]) == {"pca", "mean_image"}


def test_anomaly_quick_run_scores_are_those_of_the_saved_model(tmp_path, run_main):
    result, out, _ = run_main(main, ["--task", "anomaly", "--anomaly-class", "4", "--dataset", "digits",
                                     "--code-size", "4", "--quick", "--output-dir", str(tmp_path)])
    run_dir = Path(result["run_dir"])
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["task"] == "anomaly" and saved["anomaly_class"] == 4
    assert out[-1].startswith("test_roc_auc=") and "test_average_precision=" in out[-1]
    check_pictures(run_dir, PLOTS | {"roc_curve.png", "anomaly_scores.png"})

    data = ae_dataset.load_dataset(AutoencoderConfig(dataset="digits", task="anomaly", anomaly_class=4)).quick_slice()
    is_anomaly = data.y_test == 4
    assert saved["anomaly_share"] == pytest.approx(is_anomaly.mean()) and 0 < is_anomaly.sum() < len(is_anomaly)
    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    check_best_epoch_saved(model, run_dir, data.x_val, data.x_val, "conv", 16.0)
    reconstructions = reconstruct(model, data.x_test, 16.0)
    errors = np.mean((reconstructions - data.x_test).reshape(len(data.x_test), -1) ** 2, axis=1)
    assert saved["test"]["roc_auc"] == pytest.approx(sk_metrics.roc_auc_score(is_anomaly, errors), abs=1e-9)
    assert saved["test"]["average_precision"] == pytest.approx(
        sk_metrics.average_precision_score(is_anomaly, errors), abs=1e-9)
    flat = data.x_test.reshape(len(data.x_test), -1)
    pca = PCA(n_components=4, svd_solver="full").fit(data.x_train.reshape(len(data.x_train), -1))
    pca_errors = np.mean((np.clip(pca.inverse_transform(pca.transform(flat)), 0, 1) - flat) ** 2, axis=1)
    assert saved["baselines"]["pca"]["roc_auc"] == pytest.approx(sk_metrics.roc_auc_score(is_anomaly, pca_errors),
                                                                 abs=1e-6)
    # The held-out digit is new to PCA: it reconstructs 4s worse than the digits it was fitted on.
    assert saved["baselines"]["pca"]["roc_auc"] > 0.8
    # The validation scores add the validation 4s that were kept aside.
    x_val = np.concatenate([data.x_val, data.meta["val_anomalies"]])
    val_errors = np.mean((reconstruct(model, x_val, 16.0) - x_val).reshape(len(x_val), -1) ** 2, axis=1)
    assert saved["validation"]["roc_auc"] == pytest.approx(
        sk_metrics.roc_auc_score(np.arange(len(x_val)) >= len(data.x_val), val_errors), abs=1e-9)


# ---------------------------------------------------------------------------------------------------------------
# Bad input: one line on stderr, exit status 2, nothing written

@pytest.mark.parametrize("argv, words", [
    (["--noise", "-1"], "--noise must be at least 0 and below 1 (got -1.0)"),
    (["--noise", "1.5"], "--noise must be at least 0 and below 1"),
    (["--arch", "denoising", "--noise", "0"], "--arch denoising needs some noise to remove"),
    (["--arch", "nope"], "invalid choice: 'nope'"),
    (["--code-size", "0"], "--code-size must be between 1 and 1024 (got 0)"),
    (["--anomaly-class", "12"], "--anomaly-class must be a digit from 0 to 9 (got 12)"),
    (["--anomaly-class", "-1"], "--anomaly-class must be a digit from 0 to 9"),
    (["--beta", "-0.5"], "--beta must be 0 or more"),
    (["--task", "classify"], "invalid choice: 'classify'"),
    (["--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--dataset", "digits", "--code-size", "100"], "larger than the 64 pixels of a digits image"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


def test_config_rejects_bad_values_from_python_too():
    with pytest.raises(ValueError, match="--noise"):
        AutoencoderConfig(noise=-1.0)
    with pytest.raises(ValueError, match="--anomaly-class"):
        AutoencoderConfig(anomaly_class=10)


# ---------------------------------------------------------------------------------------------------------------
# Running the script as a file (real subprocesses, with a bad flag: it is answered before TensorFlow loads, so the
# test is quick and still shows that the script finds its imports and names itself however it was started)

@pytest.mark.parametrize("command, cwd", [(["autoencoder/train.py"], REPO_ROOT),
                                          (["train.py"], REPO_ROOT / "autoencoder")])
def test_invocation_as_a_file(command, cwd, tmp_path, run_script):
    bad = run_script([*command, "--noise", "-1", "--output-dir", str(tmp_path / "bad")], cwd=cwd)
    assert bad.returncode == 2
    assert bad.stderr == ("autoencoder/train.py: error: --noise must be at least 0 and below 1 (got -1.0) "
                          "(see --help)\n")
    assert not (tmp_path / "bad").exists()


def test_the_models_use_keras_ops_only():
    source = (REPO_ROOT / "autoencoder" / "model.py").read_text()
    assert "import tensorflow" not in source and "tf." not in source  # keras.ops only: any Keras 3 backend
    assert ae_model.Sampling.__module__ == "autoencoder.model"
