"""transformer/train.py: a quick GPT run writes the run folder every folder writes, its scores are its model.keras's,
it writes and serves text as the recurrent text models do, and bad flags are one line and exit status 2."""

import json
from pathlib import Path

import numpy as np
import pytest

from transformer.dataset import load_dataset
from transformer.train import TransformerConfig, main

SMALL = ["--d-model", "32", "--heads", "2", "--layers", "1", "--ff-dim", "64", "--window", "32",
         "--learning-rate", "0.01"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One small quick run for the tests below (the blocks are as the default's, narrower and fewer)."""
    from contextlib import redirect_stdout
    from io import StringIO

    output = tmp_path_factory.mktemp("runs")
    printed = StringIO()
    with redirect_stdout(printed):
        result = main([*SMALL, "--quick", "--sample-length", "60", "--output-dir", str(output)])
    return result, printed.getvalue().splitlines()


def test_quick_run_scores_are_those_of_the_saved_model(quick_run, assert_scores_recomputed):
    import transformer.layers  # noqa: F401  registers the layers model.keras is made of

    result, out = quick_run
    run_dir = Path(result["run_dir"])
    assert run_dir.parent.name == "transformer" and run_dir.name.startswith("text-")
    data = load_dataset(TransformerConfig(window=32)).quick_slice()
    model, saved = assert_scores_recomputed(run_dir, data)
    assert saved["task"] == "generation" and saved["epochs_run"] == 2 and saved["params"] == model.count_params()
    # Counted on the quick slice's training sequences, the unigram model is near 5 bits; the model learns below it.
    assert 4.5 < saved["baselines"]["unigram"]["bits_per_char"] < 5.3
    assert saved["test"]["bits_per_char"] < saved["baselines"]["unigram"]["bits_per_char"]
    assert out[-1].startswith("test_loss=") and f"params={saved['params']}" in out[-1]
    for name in ("config.json", "history.csv", "summary.txt", "samples.txt", "plots/learning_curves.png",
                 "plots/attention_heads.png", "plots/positions.png"):
        assert (run_dir / name).is_file(), name
    blocks = [layer.name for layer in model.layers if type(layer).__name__ == "TransformerBlock"]
    assert blocks == ["block_1"] and model.get_layer("positions").max_length == 32


def test_the_run_writes_and_serves_text_through_the_shared_writer(quick_run):
    """inputs.json is of kind text with the window, so common/text.py's TextWriter (what serve/ calls) re-reads the
    last 32 characters at each step; its text is what the model's own uncached generate gives at the same seed."""
    from common.text import CharVocabulary, TextWriter, apply_temperature
    from transformer.model import generate

    result, _ = quick_run
    run_dir = Path(result["run_dir"])
    inputs = json.loads((run_dir / "inputs.json").read_text())
    assert inputs["kind"] == "text" and inputs["window"] == 32 and inputs["vocabulary"][0] == CharVocabulary.UNKNOWN
    writer = TextWriter.from_run(run_dir)
    assert not writer.next_character.recurrent
    written = writer.write("The ", length=40, temperature=0.7, seed=3)
    # The same sampler by hand: the model over the last 32 ids, one new id per step, from one seeded generator.
    vocabulary, model = writer.vocabulary, writer.next_character.network
    ids, rng = list(vocabulary.encode("The ")), np.random.default_rng(3)
    for _ in range(40):
        probabilities = np.asarray(model(np.array([ids[-32:]], dtype="int32"), training=False))[0, -1]
        ids.append(int(rng.choice(len(probabilities), p=apply_temperature(probabilities, 0.7))))
    assert written == vocabulary.decode(ids[4:])
    # The lesson's generate with its key/value cache gives the same ids while the text fits the window.
    cached = generate(model, vocabulary.encode("The "), length=20, temperature=0, use_cache=True)
    uncached = generate(model, vocabulary.encode("The "), length=20, temperature=0, use_cache=False)
    assert cached.tolist() == uncached.tolist()
    samples = (run_dir / "samples.txt").read_text()
    assert [line for line in samples.splitlines() if line.startswith("---")] == [
        "--- temperature 0.2 ---", "--- temperature 0.5 ---", "--- temperature 1 ---"]


def test_the_readmes_five_lines_write_as_the_shared_writer(quick_run, readme_snippet):
    """transformer/README.md's "Use your trained model", run on the quick run's folder."""
    from common.text import TextWriter

    result, _ = quick_run
    printed = "\n".join(readme_snippet("transformer", result["run_dir"]))
    expected = TextWriter.from_run(result["run_dir"]).write("The ", length=100, temperature=0.5)
    assert len(expected) == 100 and printed == expected.strip()


@pytest.mark.parametrize("argv, words", [
    (["--d-model", "30", "--heads", "4"], "--d-model 30 must be a multiple of --heads 4"),
    (["--dropout", "1"], "--dropout must be at least 0 and below 1 (got 1.0)"),
    (["--window", "1"], "--window must be at least 2 (got 1)"),
    (["--positions", "rotary"], "invalid choice: 'rotary'"),
    (["--temperature", "0.5,0"], "--temperature values must be above 0"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)
