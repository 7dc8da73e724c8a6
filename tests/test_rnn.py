"""rnn/: the SimpleRNN builders (many-to-one, many-to-many, tokens), quick runs on every offline data set, errors.

The shared sequence pieces are tested in tests/test_common_sequences.py; lstm/ and gru/ reuse what is checked here.
"""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from rnn.dataset import load_dataset
from rnn.model import build_model
from rnn.train import RnnConfig, main


# ---------------------------------------------------------------------------------------------------------------
# model.py

def test_many_to_one_and_many_to_many_shapes():
    one = build_model("regression", units=8, input_shape=(20, 1))
    assert one.predict(np.zeros((3, 20, 1)), verbose=0).shape == (3, 1)
    many = build_model("regression", units=8, input_shape=(20, 1), many_to_many=True)
    assert many.predict(np.zeros((3, 20, 1)), verbose=0).shape == (3, 20)
    assert many.predict(np.zeros((3, 7, 1)), verbose=0).shape == (3, 7)  # any length: the time axis is None


def truncated_model_and_scratch_params(k: int, steps: int = 12, seed: int = 5):
    """A truncate=k Keras model carrying the weights of rnn.scratch's float64 problem, cast to float32."""
    from rnn import scratch

    params, x, y = scratch.make_problem(steps, 5, recurrent_scale=1.0, seed=seed)
    model = build_model("regression", units=5, input_shape=(steps, x.shape[2]), truncate=k)
    model.set_weights([params[name].astype("float32") for name in scratch.PARAMETER_NAMES])
    return model, params, x.astype("float32"), y.astype("float32")


@pytest.mark.parametrize("k", [1, 5, 12])
def test_truncated_model_trains_with_the_gradients_of_scratch_truncated_bptt(k):
    import tensorflow as tf
    from rnn import scratch

    model, params, x, y = truncated_model_and_scratch_params(k)
    full = build_model("regression", units=5, input_shape=(12, x.shape[2]))
    full.set_weights(model.get_weights())
    # The forward pass is the full one: the same predictions with and without truncation.
    np.testing.assert_allclose(model(x).numpy(), full(x).numpy(), atol=1e-6)
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x))
    keras_gradients = tape.gradient(loss, model.trainable_variables)
    expected = scratch.bptt(params, x.astype("float64"), y.astype("float64"), truncate=k)[0]
    for name, gradient in zip(scratch.PARAMETER_NAMES, keras_gradients):
        np.testing.assert_allclose(gradient.numpy(), expected[name], atol=2e-6, err_msg=f"{name}, k={k}")
    if k < 12:  # and they are not the full gradients: the cut removes something
        full_gradient = scratch.bptt(params, x.astype("float64"), y.astype("float64"))[0]["recurrent_kernel"]
        assert np.linalg.norm(expected["recurrent_kernel"] - full_gradient) > 1e-3 * np.linalg.norm(full_gradient)


def test_truncated_many_to_many_and_stacked_models_predict_as_the_full_ones():
    x = np.random.default_rng(0).normal(size=(3, 10, 1)).astype("float32")
    for options in ({"many_to_many": True}, {"num_layers": 2}):
        truncated = build_model("regression", units=6, input_shape=(10, 1), truncate=3, **options)
        full = build_model("regression", units=6, input_shape=(10, 1), **options)
        full.set_weights(truncated.get_weights())
        assert truncated.count_params() == full.count_params()
        np.testing.assert_allclose(truncated(x).numpy(), full(x).numpy(), atol=1e-6)


def test_parameter_count_by_hand():
    # SimpleRNN: W (1, 8) + U (8, 8) + b (8) = 80; Dense 8 + 1 = 9.
    assert build_model("regression", units=8, input_shape=(20, 1)).count_params() == 80 + 9
    # Two layers: the second reads 8 features: 8*8 + 8*8 + 8 = 136.
    assert build_model("regression", units=8, num_layers=2, input_shape=(20, 1)).count_params() == 80 + 136 + 9


def test_stacked_layers_pass_whole_sequences_and_the_last_does_not():
    model = build_model("regression", units=4, num_layers=3, input_shape=(10, 2), dropout_rate=0.2)
    flags = [layer.return_sequences for layer in model.layers if isinstance(layer, keras.layers.SimpleRNN)]
    assert flags == [True, True, False]
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in model.layers) == 3


def test_token_inputs_for_classification_and_generation():
    sentiment = build_model("classification", units=8, vocab_size=50, num_classes=2, mask_padding=True)
    ids = np.array([[0, 0, 5, 7], [3, 4, 5, 6]])
    assert sentiment.predict(ids, verbose=0).shape == (2, 1)
    # Masking: leading padding (id 0) changes nothing.
    padded = sentiment.predict(np.array([[0, 0, 0, 5, 7]]), verbose=0)
    np.testing.assert_allclose(padded, sentiment.predict(np.array([[5, 7]]), verbose=0), atol=1e-6)
    language = build_model("generation", units=8, vocab_size=30, num_classes=30)
    probabilities = language.predict(ids, verbose=0)
    assert probabilities.shape == (2, 4, 30)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# train.py

def quick(argv, tmp_path, run_main):
    """A --quick run of rnn/train.py with argv; returns (result, run folder)."""
    result, out, err = run_main(main, argv + ["--quick", "--output-dir", str(tmp_path)])
    assert not isinstance(result, SystemExit), err
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == tmp_path / "rnn"
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["test"] == pytest.approx(result["test"]) and saved["epochs_run"] == 2
    assert {"config.json", "history.csv", "model.keras", "summary.txt"} <= {p.name for p in run_dir.iterdir()}
    assert out[-1].startswith("test_") and "run_dir=" in out[-1]
    return result, run_dir


def test_quick_sine_reports_the_forecasting_baselines(tmp_path, run_main, assert_scores_recomputed, readme_snippet):
    result, run_dir = quick([], tmp_path, run_main)
    data = load_dataset(RnnConfig(dataset="sine", window=20)).quick_slice()
    model, _ = assert_scores_recomputed(run_dir, data)
    # The README's five lines forecast the value after the series' end: the model on its last window + lag values.
    printed = readme_snippet("rnn", run_dir)[-1]
    needed = model.input_shape[1]
    expected = model(data.meta["series"][None, -needed:].astype("float32"), training=False)
    assert float(printed.strip("[]")) == pytest.approx(float(np.asarray(expected).ravel()[0]), rel=1e-4)
    assert set(result["baselines"]) == {"persistence", "noise_floor", "mean"}
    assert result["baselines"]["noise_floor"]["rmse"] == pytest.approx(0.1, rel=0.15)  # --noise 0.1
    assert (run_dir / "plots" / "forecast.png").stat().st_size > 10_000
    assert json.loads((run_dir / "config.json").read_text())["window"] == 20  # the dataset's own window


def test_quick_adding_with_truncated_bptt_saves_a_model_that_reloads(tmp_path, run_main, assert_scores_recomputed):
    result, run_dir = quick(["--dataset", "adding", "--sequence-length", "12", "--truncate", "4"], tmp_path, run_main)
    model, _ = assert_scores_recomputed(run_dir, load_dataset(RnnConfig(dataset="adding", sequence_length=12))
                                        .quick_slice())
    assert json.loads((run_dir / "config.json").read_text())["truncate"] == 4
    assert sum(layer.__class__.__name__ == "StopGradient" for layer in model.operations) == 2  # 12 steps: 3 chunks
    assert result["test"]["mse"] < 10 * result["baselines"]["mean"]["mse"]


def test_quick_sine_many_to_many(tmp_path, run_main, assert_scores_recomputed):
    result, run_dir = quick(["--task", "many-to-many", "--window", "10"], tmp_path, run_main)
    # Scored at the last step of each window: the prediction of the value after it.
    model, _ = assert_scores_recomputed(run_dir, load_dataset(RnnConfig(window=10, task="many-to-many")).quick_slice())
    assert model.get_layer("simple_rnn_model").output_shape == (None, None)  # the network: a value for every step
    assert model.output_shape == (None, 1)  # the saved forecaster: the next value, read at the last step
    assert result["test"]["rmse"] > 0


def test_trained_sine_model_beats_persistence(tmp_path, run_main):
    result, out, _ = run_main(main, ["--epochs", "15", "--output-dir", str(tmp_path)])
    assert result["test"]["rmse"] < result["baselines"]["persistence"]["rmse"]
    assert result["test"]["rmse"] < 1.5 * result["baselines"]["noise_floor"]["rmse"]


@pytest.mark.parametrize("dataset", ["airline", "stock", "adding"])
def test_quick_other_offline_datasets(dataset, tmp_path, run_main, assert_scores_recomputed):
    result, run_dir = quick(["--dataset", dataset, "--sequence-length", "20", "--num-samples", "600"], tmp_path,
                            run_main)
    expected = {"airline": {"persistence", "seasonal_naive", "sarima", "mean"}, "stock": {"persistence", "mean"},
                "adding": {"mean"}}[dataset]
    assert set(result["baselines"]) == expected and np.isfinite(result["test"]["rmse"])
    config = RnnConfig(dataset=dataset, sequence_length=20, num_samples=600)
    assert_scores_recomputed(run_dir, load_dataset(config).quick_slice())
    if dataset == "airline":  # in thousands of passengers; the mean of the training months depends on the window
        assert [result["baselines"][name]["rmse"] for name in ("persistence", "seasonal_naive", "mean")] == \
            pytest.approx([48.04, 41.85, 216.5], abs=0.1)


def test_quick_text_writes_bits_per_char_and_samples(tmp_path, run_main, assert_scores_recomputed):
    result, run_dir = quick(["--dataset", "text", "--window", "40", "--prompt", "def "], tmp_path, run_main)
    assert_scores_recomputed(run_dir, load_dataset(RnnConfig(dataset="text", window=40)).quick_slice())
    assert 0 < result["test"]["bits_per_char"] < 8 and "unigram" in result["baselines"]
    samples = (run_dir / "samples.txt").read_text()
    assert samples.count("--- temperature") == 3 and "\ndef " in samples


@pytest.mark.parametrize("argv, words", [
    (["--window", "0"], "--window must be at least 1"),
    (["--window", "900"], "--window 900 is too long"),
    (["--temperature", "0"], "--temperature values must be above 0"),
    (["--dataset", "adding", "--task", "many-to-many"], "--task many-to-many applies to sine, airline, stock"),
    (["--units", "0"], "--units must be at least 1"),
    (["--dataset", "nope"], "invalid choice: 'nope'"),
    (["--truncate", "-1"], "--truncate must be 0 or more"),
    (["--dataset", "text", "--truncate", "5"], "--truncate applies to sine, airline, stock and adding"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


def test_empty_corpus_is_one_line_exit_2(tmp_path, assert_bad_input):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_bad_input(main, ["--dataset", "text", "--corpus", str(empty)], "is empty")


def test_runs_as_a_file_from_inside_the_folder(tmp_path, run_script):
    rnn_folder = Path(__file__).parents[1] / "rnn"
    completed = run_script(["train.py", "--quick", "--output-dir", str(tmp_path)], cwd=rnn_folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1].startswith("test_mae=") and completed.stderr == ""
