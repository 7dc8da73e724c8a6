"""attention/translate.py: a trained run folder decodes new text exactly as its evaluation did; bad input exits 2."""

import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from attention import train, translate


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One --quick training run (dates, Bahdanau) shared by the tests of this file; returns its run folder."""
    output = tmp_path_factory.mktemp("runs")
    result = train.main(["--quick", "--epochs", "2", "--output-dir", str(output)])
    return Path(result["run_dir"])


def test_the_readme_snippet_translates_as_the_command_does(trained_run, readme_snippet, run_main):
    """attention/README.md's "Use your trained model" (use.py's translate) prints what attention.translate prints."""
    printed = readme_snippet("attention", trained_run)
    result, _, _ = run_main(translate.main, [str(trained_run), "march 3rd, 2015"])
    assert printed == [result["outputs"][0]] and printed[0].strip()


def test_a_trained_model_keras_loads_with_its_compile_settings(trained_run):
    """model.keras as train.py writes it (compiled with the TokenAccuracy metric) loads with plain load_model."""
    model = keras.models.load_model(trained_run / "model.keras")  # raised "Could not locate class" before
    assert model.compiled and model.loss.ignore_class == 0
    assert model.get_layer("decoder").attention.__class__.__name__ == "BahdanauAttention"


def test_translating_test_sources_repeats_the_evaluation(trained_run, run_main):
    """The outputs for the first test sources equal those in predictions.txt (decoded by the evaluator)."""
    rows = [line.split("\t") for line in (trained_run / "predictions.txt").read_text().splitlines()[1:9]]
    result, out, err = run_main(translate.main, [str(trained_run), *[row[0] for row in rows]])
    assert err == []
    assert result["outputs"] == [row[2] for row in rows]
    assert out[-len(rows):] == [f"{row[0]!r} -> {row[2]!r}" for row in rows]
    assert result["unknown"] == [] and result["heatmap_dir"] is None


def test_file_inputs_beam_search_heatmaps_and_unknown_characters(trained_run, run_main, tmp_path):
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("march 3rd, 2015\n\n3/3/15\n", encoding="utf-8")
    result, out, _ = run_main(translate.main, [str(trained_run), "july 4 1976 ~", "--file", str(inputs),
                                               "--beam-width", "3", "--heatmaps"])
    assert len(result["outputs"]) == 3  # the empty line is skipped
    assert result["unknown"] == ["~"] and "read as <unk>: '~'" in out[0]
    pictures = sorted(path.name for path in Path(result["heatmap_dir"]).iterdir())
    assert pictures == ["attention_0.png", "attention_1.png", "attention_2.png"]
    assert Path(result["heatmap_dir"]).parent == trained_run / "translate"
    again, _, _ = run_main(translate.main, [str(trained_run), "3/3/15", "--heatmaps"])
    assert again["heatmap_dir"] != result["heatmap_dir"]  # a new folder each time, nothing overwritten
    assert np.all(result["ids"] >= 0)


def bad_run_dirs(trained_run, tmp_path):
    """Run folders that cannot be used: no model, no vocabulary, a damaged model, a damaged vocabulary, a vocabulary
    nested too deep for Python's JSON reader, and a model file holding Python code (a Lambda layer)."""
    folders = {}
    for name in ("no_model", "no_vocabulary", "damaged_model", "damaged_vocabulary", "deep_vocabulary",
                 "lambda_model"):
        folders[name] = tmp_path / name
        shutil.copytree(trained_run, folders[name])
    (folders["no_model"] / "model.keras").unlink()
    (folders["no_vocabulary"] / "vocabulary.json").unlink()
    (folders["damaged_model"] / "model.keras").write_bytes(b"not a zip file")
    (folders["damaged_vocabulary"] / "vocabulary.json").write_text('{"tokens": "char"}')
    (folders["deep_vocabulary"] / "vocabulary.json").write_text("[" * 100_000 + "]" * 100_000)
    inputs = keras.Input((4,))
    planted = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))  # loading it would run this code
    planted.save(folders["lambda_model"] / "model.keras")
    return folders


@pytest.mark.parametrize("case, words", [
    ("no_model", "no model.keras"),
    ("no_vocabulary", "no vocabulary.json"),
    ("damaged_model", "cannot be loaded"),
    ("damaged_vocabulary", "not a vocabulary file"),
    ("deep_vocabulary", "not a vocabulary file"),
    ("lambda_model", "cannot be loaded"),  # Keras' safe mode refuses the Lambda: no code from the file runs
    ("no_inputs", "give at least one input"),
    ("beam_0", "--beam-width must be at least 1"),
    ("missing_file", "no such file"),
    ("latin1_file", "not UTF-8"),
])
def test_bad_input_is_one_line_exit_2(case, words, trained_run, run_main, tmp_path):
    folders = bad_run_dirs(trained_run, tmp_path)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("d\xe9cembre 3 2015\n".encode("latin-1"))
    argv = {"no_inputs": [str(trained_run)], "beam_0": [str(trained_run), "3/3/15", "--beam-width", "0"],
            "missing_file": [str(trained_run), "--file", str(tmp_path / "absent.txt")],
            "latin1_file": [str(trained_run), "--file", str(latin1)]}.get(case, [str(folders.get(case)), "3/3/15"])
    before = sorted(path for path in tmp_path.rglob("*"))
    result, _, err = run_main(translate.main, [*argv, "--heatmaps"])
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and words in err[0] and err[0].startswith("attention/translate.py: error:")
    assert sorted(path for path in tmp_path.rglob("*")) == before  # nothing written
