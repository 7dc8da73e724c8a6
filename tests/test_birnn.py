"""birnn/: bidirectional builders for every cell and merge mode, the tagging task, --compare, bad flags."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from birnn.dataset import TAG_NAMES, load_dataset, make_tagging_task
from birnn.model import build_model
from birnn.train import MERGE_MODES, BirnnConfig, main


# ---------------------------------------------------------------------------------------------------------------
# model.py

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("merge_mode", MERGE_MODES)
def test_every_cell_and_merge_mode_builds(cell, merge_mode):
    model = build_model("classification", cell=cell, units=6, merge_mode=merge_mode, input_shape=(10, 1),
                        num_classes=3, many_to_many=True)
    layer = model.get_layer("recurrent_1")
    assert isinstance(layer, keras.layers.Bidirectional) and layer.merge_mode == merge_mode
    width = 12 if merge_mode == "concat" else 6
    assert layer.output.shape[-1] == width
    assert model.predict(np.zeros((2, 10, 1)), verbose=0).shape == (2, 10, 3)


def test_stacked_bidirectional_and_the_forward_only_twin():
    two = build_model("classification", cell="lstm", units=4, num_layers=2, input_shape=(28, 28), num_classes=10)
    assert [type(layer).__name__ for layer in two.layers].count("Bidirectional") == 2
    assert two.predict(np.zeros((1, 28, 28)), verbose=0).shape == (1, 10)
    forward = build_model("classification", cell="lstm", units=4, num_layers=2, input_shape=(28, 28),
                          num_classes=10, bidirectional=False)
    assert "Bidirectional" not in [type(layer).__name__ for layer in forward.layers]
    # Two directions: twice the recurrent weights; the first Dense reads 8 instead of 4 features.
    recurrent = lambda model: sum(layer.count_params() for layer in model.layers if "recurrent" in layer.name)
    assert recurrent(two) == 2 * recurrent(forward) + 2 * 4 * (4 * 4)  # layer 2 reads 8 features, not 4


def test_the_backward_direction_sees_the_future():
    model = build_model("regression", cell="rnn", units=4, input_shape=(6, 1), many_to_many=True)
    x = np.zeros((1, 6, 1), "float32")
    changed = x.copy()
    changed[0, -1, 0] = 1.0  # change only the last input
    first_step = lambda data: model.predict(data, verbose=0)[0, 0]
    assert abs(first_step(changed) - first_step(x)) > 1e-4  # step 1's output already depends on x_6
    forward = build_model("regression", cell="rnn", units=4, input_shape=(6, 1), many_to_many=True,
                          bidirectional=False)
    assert forward.predict(changed, verbose=0)[0, 0] == forward.predict(x, verbose=0)[0, 0]


# ---------------------------------------------------------------------------------------------------------------
# dataset.py

def test_tagging_labels_match_their_definition():
    x, y = make_tagging_task(num_samples=50, sequence_length=9, seed=1)
    values = x[..., 0]
    for row in range(50):
        for t in range(9):
            neighbours = [values[row, j] for j in (t - 1, t + 1) if 0 <= j < 9]
            assert y[row, t] == sum(values[row, t] > v for v in neighbours)
    assert set(np.unique(y)) == {0, 1, 2}
    assert np.all(y[:, 0] <= 1) and np.all(y[:, -1] <= 1)  # the ends have one neighbour


def test_tagging_dataset_has_a_label_per_step():
    data = load_dataset(BirnnConfig(sequence_length=12, num_samples=400))
    assert data.x_train.shape[1:] == (12, 1) and data.y_train.shape[1:] == (12,)
    assert data.class_names == TAG_NAMES and data.meta["label_per_step"]


# ---------------------------------------------------------------------------------------------------------------
# train.py

def run_tagging_data(run_dir):
    """The --quick slice of the tagging data a run trained on, with the sizes its config.json records."""
    config = json.loads((Path(run_dir) / "config.json").read_text())
    data = load_dataset(BirnnConfig(sequence_length=config["sequence_length"], num_samples=config["num_samples"]))
    return data.quick_slice()


def test_quick_run_with_compare(tmp_path, run_main, assert_scores_recomputed, readme_snippet):
    result, out, _ = run_main(main, ["--quick", "--compare", "--units", "8", "--output-dir", str(tmp_path)])
    tagging = run_tagging_data(result["run_dir"])
    assert_scores_recomputed(result["run_dir"], tagging)  # a label per step: every step of every sequence counts
    assert_scores_recomputed(result["forward_only"]["run_dir"], tagging)
    assert result["dataset"] == "tagging" and set(result["forward_only"]["test"]) == set(result["test"])
    assert result["params"] > result["forward_only"]["params"]
    saved = json.loads((Path(result["run_dir"]) / "metrics.json").read_text())
    assert saved["forward_only"]["test"] == pytest.approx(result["forward_only"]["test"])
    assert Path(result["forward_only"]["run_dir"]).parent == tmp_path / "birnn" / "forward_only"
    assert out[-2].startswith("forward-only: test_accuracy=") and out[-1].startswith("test_accuracy=")
    # The README's five lines tag the first test sequence (raw values, as inputs.json keeps them)
    model = keras.saving.load_model(Path(result["run_dir"]) / "model.keras")
    tags = np.asarray(model(tagging.x_test[:1], training=False)).argmax(axis=-1)[0]
    assert readme_snippet("birnn", result["run_dir"])[-1] == str([TAG_NAMES[tag] for tag in tags])


def test_bidirectional_beats_forward_only_on_tagging(tmp_path, run_main):
    result, _, _ = run_main(main, ["--compare", "--epochs", "6", "--num-samples", "1500", "--sequence-length", "10",
                                   "--learning-rate", "0.01", "--output-dir", str(tmp_path)])
    # Measured: 0.83 against 0.75 after six short epochs; the forward-only model cannot go much beyond 0.75.
    assert result["test"]["accuracy"] > 0.8
    assert result["test"]["accuracy"] > result["forward_only"]["test"]["accuracy"] + 0.05


@pytest.mark.parametrize("argv, words", [
    (["--merge-mode", "nope"], "invalid choice: 'nope'"),
    (["--layers", "0"], "--layers must be at least 1"),
    (["--dataset", "text"], "invalid choice: 'text'"),
    (["--dataset", "sine", "--task", "many-to-many"], "the backward direction would read the future"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


def test_no_bidirectional_trains_the_forward_only_model_alone(tmp_path, run_main, assert_scores_recomputed):
    result, _, _ = run_main(main, ["--no-bidirectional", "--quick", "--units", "4", "--output-dir", str(tmp_path)])
    assert Path(result["run_dir"]).parent == tmp_path / "birnn" / "forward_only"
    model, _ = assert_scores_recomputed(result["run_dir"], run_tagging_data(result["run_dir"]))
    assert "Bidirectional" not in [type(layer).__name__ for layer in model.layers]
