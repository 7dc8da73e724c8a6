"""gru/: the GRU builders (one layer or a deep stack), the text default with its samples, forecasting with a GRU."""

from pathlib import Path

import keras
import numpy as np
import pytest

from gru.dataset import load_dataset
from gru.model import build_model
from gru.train import GruConfig, main


def test_gru_parameter_count_with_reset_after():
    # 3 blocks (z, r, h), each W (1, 8) + U (8, 8) + two biases (8 + 8) = 88 -> 264; Dense 8 + 1.
    model = build_model("regression", units=8, input_shape=(20, 1))
    assert model.count_params() == 264 + 9
    assert model.get_layer("recurrent_1").cell.reset_after


def test_deep_gru_stacks_layers_that_pass_sequences_on():
    model = build_model("generation", units=16, num_layers=3, vocab_size=40, num_classes=40)
    grus = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
    assert len(grus) == 3 and all(layer.return_sequences for layer in grus)  # text: a prediction at every step
    assert model.predict(np.ones((2, 9), "int32"), verbose=0).shape == (2, 9, 40)


def test_quick_text_default(tmp_path, run_main, assert_scores_recomputed, readme_snippet):
    from common.text import TextWriter

    result, out, _ = run_main(main, ["--quick", "--units", "32", "--output-dir", str(tmp_path)])
    run_dir = Path(result["run_dir"])
    assert_scores_recomputed(run_dir, load_dataset(GruConfig()).quick_slice())
    assert result["dataset"] == "text" and result["task"] == "generation"
    # Counted on the quick slice's 512 training sequences; on the whole corpus it is 4.69.
    assert 4.5 < result["baselines"]["unigram"]["bits_per_char"] < 5.2
    assert 0.1 < result["baselines"]["unigram"]["accuracy"] < 0.25  # always the space, the commonest character
    assert result["test"]["bits_per_char"] < 8
    samples = (run_dir / "samples.txt").read_text()
    assert [line for line in samples.splitlines() if line.startswith("---")] == [
        "--- temperature 0.2 ---", "--- temperature 0.5 ---", "--- temperature 1 ---"]
    assert out[-1].startswith("test_loss=") and "test_bits_per_char=" in out[-1]
    # gru/README.md's "Use your trained model" (common/text.py's TextWriter): 200 characters after "The "
    printed = "\n".join(readme_snippet("gru", run_dir))
    expected = TextWriter.from_run(run_dir).write("The ", length=200, temperature=0.5)
    assert len(expected) == 200 and printed == expected.strip()


def test_text_model_learns_beyond_the_unigram_baseline(tmp_path, run_main):
    # One short epoch on a slice already beats counting characters.
    result, _, _ = run_main(main, ["--quick", "--units", "64", "--epochs", "2", "--learning-rate", "0.01",
                                   "--output-dir", str(tmp_path)])
    assert result["test"]["bits_per_char"] < result["baselines"]["unigram"]["bits_per_char"]


def test_quick_two_layer_gru_on_sine(tmp_path, run_main, assert_scores_recomputed):
    result, _, _ = run_main(main, ["--dataset", "sine", "--layers", "2", "--units", "8", "--quick",
                                   "--output-dir", str(tmp_path)])
    model, _ = assert_scores_recomputed(result["run_dir"], load_dataset(GruConfig(dataset="sine")).quick_slice())
    network = model.get_layer("gru_model")  # inside the saved forecaster, which reads the series' own values
    assert [type(layer).__name__ for layer in network.layers].count("GRU") == 2
    assert "noise_floor" in result["baselines"]


@pytest.mark.parametrize("argv, words", [
    (["--layers", "0"], "--layers must be at least 1"),
    (["--temperature", "0.5,-1"], "--temperature values must be above 0"),
    (["--prompt", ""], "--prompt must hold at least one character"),
    (["--dataset", "text", "--task", "many-to-many"], "text is always many-to-many"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


def test_stateful_generator_predicts_what_the_whole_text_would():
    from common.text import stateful_copy

    model = build_model("generation", units=16, num_layers=2, vocab_size=20, num_classes=20)
    generator = stateful_copy(model, batch_size=3)
    ids = np.random.default_rng(0).integers(0, 20, (3, 12))
    generator(ids[:, :7])  # the "prompt", then one character at a time
    for t in range(7, 12):
        step = keras.ops.convert_to_numpy(generator(ids[:, t:t + 1]))[:, -1]
    np.testing.assert_allclose(step, keras.ops.convert_to_numpy(model(ids))[:, -1], atol=1e-6)
