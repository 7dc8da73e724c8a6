"""deep_rnn/: stacked builders for every cell and depth, residual connections, digits as rows, quick runs, compare."""

import csv
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from common.datasets import load_mnist5k
from deep_rnn import compare
from deep_rnn.dataset import load_dataset
from deep_rnn.model import build_model
from deep_rnn.train import DeepRnnConfig, main

CELL_TYPES = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


# ---------------------------------------------------------------------------------------------------------------
# model.py

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_every_cell_and_depth_builds_with_the_right_shapes(cell, num_layers):
    model = build_model("classification", cell=cell, units=8, num_layers=num_layers, input_shape=(28, 28),
                        num_classes=10)
    recurrent = [layer for layer in model.layers if isinstance(layer, CELL_TYPES[cell])]
    assert len(recurrent) == num_layers
    assert [layer.return_sequences for layer in recurrent] == [True] * (num_layers - 1) + [False]
    assert model.predict(np.zeros((2, 28, 28)), verbose=0).shape == (2, 10)


def test_parameter_count_of_a_two_layer_lstm_by_hand():
    # layer 1: 4 * (8 * (28 + 8) + 8) = 1,184; layer 2 reads 8 features: 4 * (8 * 16 + 8) = 544; Dense 8 * 10 + 10.
    model = build_model("classification", cell="lstm", units=8, num_layers=2, input_shape=(28, 28), num_classes=10)
    assert model.count_params() == 1184 + 544 + 90


def test_residual_connections_add_the_layer_input():
    model = build_model("regression", cell="gru", units=6, num_layers=3, residual=True, input_shape=(5, 2))
    names = [layer.name for layer in model.layers]
    assert "residual_1" not in names and {"residual_2", "residual_3"} <= set(names)  # not around the first layer
    # With the top layer's weights at zero its GRU output is 0 (candidate tanh(0) = 0 and h starts at 0), so the
    # residual sum is exactly the last step of layer 2's states.
    top = model.get_layer("recurrent_3")
    top.set_weights([np.zeros_like(w) for w in top.get_weights()])
    x = np.random.default_rng(0).standard_normal((4, 5, 2)).astype("float32")
    below = keras.Model(model.input, model.get_layer("residual_2").output).predict(x, verbose=0)
    summed = keras.Model(model.input, model.get_layer("residual_3").output).predict(x, verbose=0)
    np.testing.assert_allclose(summed, below[:, -1, :], atol=1e-6)


def test_residual_model_saves_and_loads(tmp_path):
    model = build_model("regression", cell="lstm", units=4, num_layers=2, residual=True, input_shape=(5, 1))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    x = np.ones((2, 5, 1), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_images_are_read_as_rows():
    mnist = load_dataset(DeepRnnConfig())
    assert mnist.x_train.shape == (3250, 28, 28) and mnist.x_test.shape == (1000, 28, 28)
    assert mnist.x_train.max() == 1.0 and mnist.num_classes == 10
    digits = load_dataset(DeepRnnConfig(dataset="digits"))
    assert digits.input_shape == (8, 8) and digits.x_train.max() == 1.0


# ---------------------------------------------------------------------------------------------------------------
# train.py

def test_quick_default_run(tmp_path, run_main, assert_scores_recomputed, readme_snippet):
    result, out, _ = run_main(main, ["--quick", "--units", "16", "--output-dir", str(tmp_path)])
    run_dir = Path(result["run_dir"])
    # model.keras reads raw pixels (0..255, common/sequences.py's saved_model): scored on the test rows times 255
    data = load_dataset(DeepRnnConfig()).quick_slice()
    model, _ = assert_scores_recomputed(run_dir, data, raw=lambda x: x * 255.0)
    assert model.get_layer("rescale").scale == pytest.approx(1 / 255)
    described = json.loads((run_dir / "inputs.json").read_text())
    assert described["kind"] == "image" and described["pixel_max"] == 255.0
    assert np.allclose(described["examples"], data.x_test[:16] * 255, atol=1e-3)
    assert run_dir.parent == tmp_path / "deep_rnn" and run_dir.name.startswith("mnist5k")
    assert json.loads((run_dir / "config.json").read_text())["layers"] == 2
    assert (run_dir / "plots" / "confusion_matrix.png").exists() and out[-1].startswith("test_accuracy=")
    # The README's five lines: the first five mnist5k digits, raw, and their labels
    images, labels = load_mnist5k()
    predicted = np.asarray(model(images[:5], training=False)).argmax(axis=1)
    assert readme_snippet("deep_rnn", run_dir)[-1] == f"{predicted} {labels[:5]}"


def test_digits_rows_learn_in_a_short_run(tmp_path, run_main):
    result, _, _ = run_main(main, ["--dataset", "digits", "--units", "32", "--epochs", "8", "--cell", "gru",
                                   "--learning-rate", "0.01", "--output-dir", str(tmp_path)])
    assert result["test"]["accuracy"] > 0.8 > result["baselines"]["majority_class"]["accuracy"]


def test_quick_residual_rnn_on_sine(tmp_path, run_main, assert_scores_recomputed):
    result, _, _ = run_main(main, ["--dataset", "sine", "--cell", "rnn", "--layers", "3", "--units", "8",
                                   "--residual", "--quick", "--output-dir", str(tmp_path)])
    assert_scores_recomputed(result["run_dir"], load_dataset(DeepRnnConfig(dataset="sine")).quick_slice())
    assert "noise_floor" in result["baselines"]


@pytest.mark.parametrize("argv, words", [
    (["--layers", "0"], "--layers must be at least 1"),
    (["--cell", "transformer"], "invalid choice: 'transformer'"),
    (["--dataset", "mnist5k", "--task", "many-to-many"], "--task many-to-many applies to sine, airline, stock"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


# ---------------------------------------------------------------------------------------------------------------
# compare.py

def test_compare_quick_writes_its_table_csv_and_plot(tmp_path, run_main):
    result, out, _ = run_main(compare.main, ["--quick", "--models", "rnn,gru-2", "--units", "4",
                                             "--output-dir", str(tmp_path)])
    study = Path(result["study_dir"])
    assert study.parent == tmp_path / "deep_rnn" and study.name.startswith("compare")
    with open(study / "comparison.csv") as file:
        rows = list(csv.DictReader(file))
    assert [(row["model"], row["length"]) for row in rows] == [("rnn", "5"), ("gru-2", "5"), ("rnn", "10"),
                                                               ("gru-2", "10")]
    assert all(0 < float(row["test_mse"]) and 0.1 < float(row["baseline_mse"]) < 0.25 for row in rows)
    table = (study / "comparison.md").read_text()
    assert "| model | T = 5 | T = 10 |" in table and "| mean baseline |" in table
    assert (study / "comparison.png").stat().st_size > 10_000
    assert out[-1] == f"study_dir={study}"


@pytest.mark.parametrize("argv, words", [
    (["--lengths", "0"], "--lengths needs one or more sizes >= 1"),
    (["--lengths", "1"], "--lengths must each be at least 2"),
    (["--models", "lstm,cnn"], "--models entries are rnn, lstm, gru"),
    (["--models", "gru-0"], "--models entries are rnn, lstm, gru"),
])
def test_compare_bad_flags_are_one_line_exit_2(argv, words, assert_bad_input):
    assert_bad_input(compare.main, argv, words)
