"""transformer/train.py: a quick GPT run writes the run folder every folder writes, its scores are its model.keras's,
it writes and serves text as the recurrent text models do; a quick dates run decodes its test split as attention/'s
does, and its use.py translates as predictions.txt says; each task takes its own defaults; bad flags are one line and
exit status 2."""

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


@pytest.fixture(scope="module")
def dates_run(tmp_path_factory):
    """One small quick encoder-decoder run on 200 generated dates."""
    from contextlib import redirect_stdout
    from io import StringIO

    output = tmp_path_factory.mktemp("runs")
    printed = StringIO()
    with redirect_stdout(printed):
        result = main(["--dataset", "dates", "--num-samples", "200", "--d-model", "16", "--heads", "2", "--layers",
                       "1", "--ff-dim", "32", "--quick", "--output-dir", str(output)])
    return result, printed.getvalue().splitlines()


def test_a_dates_run_is_scored_by_decoding_its_test_split(dates_run, assert_scores_recomputed):
    import keras

    from common.seq2seq import read_vocabularies
    from transformer.use import translate

    result, out = dates_run
    run_dir = Path(result["run_dir"])
    assert run_dir.parent.name == "transformer" and run_dir.name.startswith("dates-")
    data = load_dataset(TransformerConfig(dataset="dates", num_samples=200)).quick_slice()
    model, saved = assert_scores_recomputed(run_dir, data)  # model.keras is the best epoch's (its val_loss)
    assert saved["task"] == "seq2seq" and saved["decoding"] == "greedy" and saved["params"] == model.count_params()
    assert [layer.name for layer in model.layers if layer.name.endswith("_block_1")] == ["encoder_block_1",
                                                                                          "decoder_block_1"]
    lines = (run_dir / "predictions.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines[1:]]
    assert lines[0] == "source\ttarget\toutput\tok" and len(rows) == len(data.x_test) == 20
    assert sum(row[3] == "yes" for row in rows) == round(saved["test"]["exact_match"] * len(rows))
    # The folder's translate (what serve/ calls) on the raw test sources writes what predictions.txt holds.
    loaded = keras.models.load_model(run_dir / "model.keras", compile=False)
    answers = translate(loaded, read_vocabularies(run_dir), [row[0] for row in rows[:4]])
    assert [answer["output"] for answer in answers] == [row[2] for row in rows[:4]]
    for answer, row in zip(answers, rows):
        weights = answer["attention"]
        assert weights.shape == (len(answer["output_tokens"]), len(row[0]))
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="greedily only"):
        translate(loaded, read_vocabularies(run_dir), [rows[0][0]], beam_width=2)
    for name in ("plots/attention_0.png", "plots/attention_3.png", "plots/cross_attention_heads.png",
                 "vocabulary.json", "inputs.json", "plots/learning_curves.png"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "inputs.json").read_text())["kind"] == "translation"
    assert out[-1].startswith("test_exact_match=") and f"run_dir={run_dir}" in out[-1]


def test_each_task_takes_its_own_defaults_unless_a_flag_is_given():
    from transformer.train import TASK_DEFAULTS

    text, dates = TransformerConfig(), TransformerConfig(dataset="dates")
    for config, task in ((text, "text"), (dates, "dates")):
        assert {name: getattr(config, name) for name in TASK_DEFAULTS[task]} == TASK_DEFAULTS[task]
    assert TASK_DEFAULTS["text"]["d_model"] != TASK_DEFAULTS["dates"]["d_model"]
    assert TransformerConfig(dataset="dates", batch_size=8, d_model=24).batch_size == 8


@pytest.mark.parametrize("argv, words", [
    (["--dataset", "dates", "--positions", "none"], "--positions none is for --dataset text"),
    (["--dataset", "dates", "--num-samples", "5"], "--num-samples must be at least 10 (got 5)"),
    (["--d-model", "30", "--heads", "4"], "--d-model 30 must be a multiple of --heads 4"),
    (["--dropout", "1"], "--dropout must be at least 0 and below 1 (got 1.0)"),
    (["--window", "1"], "--window must be at least 2 (got 1)"),
    (["--positions", "rotary"], "invalid choice: 'rotary'"),
    (["--temperature", "0.5,0"], "--temperature values must be above 0"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)
