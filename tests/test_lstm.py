"""lstm/: the LSTM builders, the airline default, sentiment on (patched) IMDB, text, offline downloads.

The shared sequence pieces are tested in tests/test_common_sequences.py and through rnn/ in tests/test_rnn.py.
"""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from lstm.dataset import load_dataset
from lstm.model import build_model
from lstm.train import LstmConfig, main


def test_lstm_parameter_count_and_layers():
    # 4 gates, each W (1, 16) + U (16, 16) + b (16): 4 * (16 + 256 + 16) = 1,152; Dense 16 + 1.
    model = build_model("regression", units=16, input_shape=(3, 1))
    assert model.count_params() == 1152 + 17
    assert isinstance(model.get_layer("recurrent_1"), keras.layers.LSTM)


def test_text_model_shape_embedding_and_dropout():
    model = build_model("generation", units=128, vocab_size=90, num_classes=90, embedding_dim=32, dropout_rate=0.2)
    assert model.get_layer("embedding").output.shape[-1] == 32
    assert model.get_layer("dropout_1").rate == 0.2
    assert model.predict(np.zeros((2, 5), "int32"), verbose=0).shape == (2, 5, 90)


def test_quick_airline_scores_against_persistence_and_seasonal_naive(tmp_path, run_main, assert_scores_recomputed,
                                                                    readme_snippet):
    result, out, _ = run_main(main, ["--quick", "--output-dir", str(tmp_path)])
    assert_scores_recomputed(result["run_dir"], load_dataset(LstmConfig()).quick_slice())
    assert result["baselines"]["mean"]["rmse"] == pytest.approx(216.5, abs=0.1)  # the training months' mean
    assert result["dataset"] == "airline" and result["forecast"]["first_test_date"] == "1957-01"
    assert result["forecast"]["test_targets"] == 48
    assert result["baselines"]["persistence"]["rmse"] == pytest.approx(48.04, abs=0.01)  # hand-checked
    assert result["baselines"]["seasonal_naive"]["rmse"] == pytest.approx(41.85, abs=0.01)
    assert (Path(result["run_dir"]) / "plots" / "forecast.png").exists()
    assert out[-1].startswith("test_mae=")
    # lstm/README.md's "Use your trained model": model.keras on the raw passengers of 1959-09..1960-11 answers what
    # the trained network inside gives the same months as a standardized window, turned back into passengers by hand
    printed = readme_snippet("lstm", result["run_dir"])[-1]  # after Keras' progress line
    data = load_dataset(LstmConfig())
    end = data.meta["target_indices"]["test"][-1]  # December 1960, the last month
    assert data.meta["dates"][end] == "1960-12"
    network = keras.saving.load_model(Path(result["run_dir"]) / "model.keras").get_layer("lstm_model")
    change = data.meta["target_scaler"].inverse_transform(network.predict(data.x_test[-1:], verbose=0).ravel())[0]
    expected = data.meta["series"][end - 12] * np.exp(change)  # December 1959 grown by the forecast log change
    assert float(printed.strip("[] ")) == pytest.approx(expected, rel=1e-5)


def test_trained_airline_model_beats_both_naive_forecasts(tmp_path, run_main):
    result, _, _ = run_main(main, ["--epochs", "60", "--output-dir", str(tmp_path)])
    assert result["test"]["rmse"] < result["baselines"]["seasonal_naive"]["rmse"]
    assert result["test"]["rmse"] < result["baselines"]["persistence"]["rmse"]


def test_quick_imdb_with_a_patched_download(tmp_path, run_main, patch_imdb, assert_scores_recomputed):
    result, _, _ = run_main(main, ["--dataset", "imdb", "--max-length", "40", "--vocab-size", "60", "--units", "8",
                                   "--quick", "--output-dir", str(tmp_path)])
    config = LstmConfig(dataset="imdb", max_length=40, vocab_size=60)
    assert_scores_recomputed(result["run_dir"], load_dataset(config).quick_slice())
    # Word 7 or 8 at the end of each review gives its label away: two epochs find it.
    assert result["test"]["accuracy"] > 0.8 > result["baselines"]["majority_class"]["accuracy"]
    assert result["dataset"] == "imdb" and set(result["test"]) >= {"accuracy", "f1_macro"}
    assert "majority_class" in result["baselines"]
    assert (Path(result["run_dir"]) / "plots" / "confusion_matrix.png").exists()
    saved = json.loads((Path(result["run_dir"]) / "config.json").read_text())
    assert saved["max_length"] == 40 and saved["vocab_size"] == 60


def test_offline_imdb_is_one_line_exit_2(assert_bad_input, monkeypatch):
    def no_network(**_):
        raise Exception("URL fetch failure on https://example.invalid/imdb.npz")

    monkeypatch.setattr(keras.datasets.imdb, "load_data", no_network)
    assert_bad_input(main, ["--dataset", "imdb"], "could not download dataset 'imdb'")
    assert_bad_input(main, ["--dataset", "imdb"], "use an embedded dataset such as --dataset text")


def test_offline_shakespeare_is_one_line_exit_2(assert_bad_input, monkeypatch):
    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    assert_bad_input(main, ["--dataset", "text", "--corpus", "shakespeare"],
                     "could not download the shakespeare corpus")
    assert_bad_input(main, ["--dataset", "text", "--corpus", "shakespeare"],
                     "without a network use --corpus python-docs")


@pytest.mark.parametrize("argv, words", [
    (["--window", "80"], "--window 80 is too long"),
    (["--dataset", "sine", "--transform", "seasonal-log-difference"], "needs a seasonal series"),
    (["--transform", "squared"], "invalid choice: 'squared'"),
    (["--validation-shift", "-1"], "--validation-shift must be 0 or more"),
    (["--validation-shift", "90"], "--validation-shift must be at least 0 and below 82"),
    (["--dataset", "text", "--validation-shift", "12"], "--validation-shift applies to sine, airline, stock"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)
