"""attention/train.py and compare.py end to end: quick runs of every attention, a pairs file, bad input, --help."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from attention import compare
from attention.dataset import load_dataset
from attention.model import greedy_decode
from attention.train import AttentionConfig, main
from common.datasets import SPLIT_SEED
from common.seq2seq import output_tokens

PLOTTED = [f"attention_{i}.png" for i in range(4)]


def token_accuracy_by_hand(rows, tokens):
    """Share of target tokens (and the <end> after them) that the output has at the same place: predictions.txt
    rows (source, target, output, ok), recounted here without common/seq2seq.py."""
    split = list if tokens == "char" else str.split
    right = total = 0
    for _, target, output, _ in rows:
        target, output = split(target) + ["<end>"], split(output) + ["<end>"]
        right += sum(i < len(output) and output[i] == token for i, token in enumerate(target))
        total += len(target)
    return right / total


def check_run(result, out, attention, test_pairs, tokens="char", decoding="greedy"):
    """The files and numbers every quick run must leave behind; returns the run folder."""
    run_dir = Path(result["run_dir"])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["task"] == "seq2seq" and metrics["decoding"] == decoding
    assert set(metrics["test"]) == set(metrics["validation"]) == {"exact_match", "token_accuracy"}
    assert all(0.0 <= value <= 1.0 for value in [*metrics["test"].values(), *metrics["validation"].values()])
    baseline = metrics["baselines"]["positional_majority"]
    assert set(baseline) == {"exact_match", "token_accuracy"} and all(0.0 <= v <= 1.0 for v in baseline.values())
    assert sum(row["count"] for row in metrics["by_source_length"]) == test_pairs
    assert metrics["params"] > 0 and metrics["epochs_run"] >= 1

    lines = (run_dir / "predictions.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "source\ttarget\toutput\tok" and len(lines) == 1 + test_pairs
    rows = [line.split("\t") for line in lines[1:]]
    assert all(len(row) == 4 and row[3] == ("yes" if row[2] == row[1] else "NO") for row in rows)
    assert sum(row[3] == "yes" for row in rows) == round(metrics["test"]["exact_match"] * test_pairs)
    assert metrics["test"]["token_accuracy"] == pytest.approx(token_accuracy_by_hand(rows, tokens))

    plotted = sorted(path.name for path in (run_dir / "plots").glob("attention_*.png"))
    assert plotted == ([] if attention == "none" else PLOTTED)
    assert (run_dir / "plots" / "learning_curves.png").is_file() and (run_dir / "model.keras").is_file()
    vocabulary = json.loads((run_dir / "vocabulary.json").read_text())
    assert vocabulary["tokens"] == tokens and vocabulary["target"][:4] == ["<pad>", "<start>", "<end>", "<unk>"]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["attention"] == attention and config["folder"] == "attention" and config["quick"]

    summary = out[-1]
    assert summary.startswith("test_exact_match=") and f"run_dir={run_dir}" in summary
    assert f"test_token_accuracy={metrics['test']['token_accuracy']:.4f}" in summary
    return run_dir


def test_quick_default_run_is_bahdanau_on_dates(tmp_path, run_main, assert_scores_recomputed):
    result, out, _ = run_main(main, ["--quick", "--output-dir", str(tmp_path)])
    run_dir = check_run(result, out, "bahdanau", test_pairs=128)
    dataset = load_dataset(AttentionConfig()).quick_slice()
    model, saved = assert_scores_recomputed(run_dir, dataset)  # the best epoch's model was saved
    # The validation split is scored like the test split: decoded greedily by that model, recounted here by hand.
    ids, _ = greedy_decode(model, dataset.x_val, dataset.y_val.shape[1] - 1)
    target_vocabulary = dataset.meta["target_vocabulary"]
    outputs = ["".join(output_tokens(row, target_vocabulary)) for row in ids]
    targets = ["".join(target_vocabulary.decode(row)) for row in dataset.y_val]
    rows = [(None, target, output, None) for target, output in zip(targets, outputs)]
    assert saved["validation"]["exact_match"] == pytest.approx(np.mean([o == t for o, t in zip(outputs, targets)]))
    assert saved["validation"]["token_accuracy"] == pytest.approx(token_accuracy_by_hand(rows, "char"))
    assert run_dir.parent == tmp_path / "attention" / "bahdanau" and run_dir.name.startswith("dates-")
    vocabulary = json.loads((run_dir / "vocabulary.json").read_text())
    assert set("0123456789-") <= set(vocabulary["target"])
    # The baseline writes "19..-..-..": most digits of a date are right at their place, no whole date is.
    baseline = result["baselines"]["positional_majority"]
    assert baseline["exact_match"] == 0.0 and 0.3 < baseline["token_accuracy"] < 0.8
    predictions = (run_dir / "predictions.txt").read_text().splitlines()[1:]
    assert all(len(line.split("\t")[1]) == 10 for line in predictions)  # targets as written: YYYY-MM-DD


def test_quick_run_without_attention_draws_no_heatmap(tmp_path, run_main):
    result, out, _ = run_main(main, ["--quick", "--attention", "none", "--epochs", "1", "--units", "16",
                                     "--output-dir", str(tmp_path)])
    check_run(result, out, "none", test_pairs=128)
    assert result["epochs_run"] == 1


def test_quick_luong_dot_with_beam_search(tmp_path, run_main):
    result, out, _ = run_main(main, ["--quick", "--attention", "luong-dot", "--beam-width", "2", "--epochs", "1",
                                     "--units", "16", "--output-dir", str(tmp_path)])
    check_run(result, out, "luong-dot", test_pairs=128, decoding="beam search, width 2")


def test_quick_luong_concat_with_lstm_and_a_bidirectional_encoder(tmp_path, run_main):
    result, out, _ = run_main(main, ["--quick", "--attention", "luong-concat", "--cell", "lstm",
                                     "--bidirectional-encoder", "--epochs", "1", "--units", "8",
                                     "--output-dir", str(tmp_path)])
    run_dir = check_run(result, out, "luong-concat", test_pairs=128)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["cell"] == "lstm" and config["bidirectional_encoder"] is True


def write_word_pairs(path: Path, count: int = 60) -> Path:
    """count lines "<number word> <colour>\t<colour> <number word>": a word-level task with a small vocabulary."""
    numbers = ["one", "two", "three", "four", "five", "six"]
    colours = ["red", "green", "blue", "black", "white"]
    lines = [f"{numbers[i % 6]} {colours[i % 5]}\t{colours[i % 5]} {numbers[i % 6]}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_quick_luong_general_on_a_word_level_pairs_file(tmp_path, run_main):
    pairs = write_word_pairs(tmp_path / "colours.txt")
    result, out, _ = run_main(main, ["--quick", "--pairs", str(pairs), "--tokens", "word", "--attention",
                                     "luong-general", "--epochs", "1", "--units", "16",
                                     "--output-dir", str(tmp_path / "runs")])
    run_dir = check_run(result, out, "luong-general", test_pairs=6, tokens="word")
    assert result["dataset"] == "colours" and run_dir.name.startswith("colours-")
    vocabulary = json.loads((run_dir / "vocabulary.json").read_text())
    assert set(vocabulary["source"][4:]) <= {"one", "two", "three", "four", "five", "six", "red", "green", "blue",
                                             "black", "white"}
    sources = [line.split("\t")[0] for line in (run_dir / "predictions.txt").read_text().splitlines()[1:]]
    assert all(len(source.split(" ")) == 2 for source in sources)  # whole words, joined with spaces


def test_positional_majority_baseline_is_learned_from_the_training_targets_only(tmp_path, run_main):
    """A pairs file whose test targets are all "ba" while two thirds of the training targets are "ab": a baseline
    built from the training targets guesses "ab" and gets no test pair right; one peeking at the test targets would
    get them all."""
    count = 100
    test_lines = set(np.random.default_rng(SPLIT_SEED).permutation(count)[:count // 10].tolist())  # as the loader
    targets = ["ba" if i in test_lines or i % 3 == 0 else "ab" for i in range(count)]
    pairs = tmp_path / "swap.txt"
    pairs.write_text("".join(f"{target[::-1]}\t{target}\n" for target in targets), encoding="utf-8")
    result, out, _ = run_main(main, ["--quick", "--pairs", str(pairs), "--epochs", "1", "--units", "4",
                                     "--embedding-dim", "4", "--output-dir", str(tmp_path / "runs")])
    check_run(result, out, "bahdanau", test_pairs=10)
    test_targets = [line.split("\t")[1] for line in (Path(result["run_dir"]) / "predictions.txt").read_text()
                    .splitlines()[1:]]
    assert test_targets == ["ba"] * 10
    # "ab" against "ba": both letters wrong, the <end> after them right.
    assert result["baselines"]["positional_majority"] == {"exact_match": 0.0, "token_accuracy": pytest.approx(1 / 3)}


@pytest.mark.parametrize("argv, words", [
    (["--attention", "foo"], "invalid choice: 'foo'"),
    (["--beam-width", "0"], "--beam-width must be at least 1"),
    (["--tokens", "word"], "--tokens word needs --pairs"),
    (["--min-length", "9", "--max-length", "3"], "--min-length must be at least 1 and at most --max-length"),
    (["--num-samples", "5"], "--num-samples must be at least 10"),
    (["--units", "0"], "--units must be at least 1"),
    (["--input-feeding"], "--input-feeding is part of Luong attention (got --attention bahdanau)"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, assert_bad_input):
    assert_bad_input(main, argv, words)


def test_bad_pairs_files_are_one_line_exit_2_and_write_nothing(tmp_path, assert_bad_input):
    assert_bad_input(main, ["--pairs", str(tmp_path / "missing.txt")], "missing.txt: no such file")
    bad = tmp_path / "bad.txt"
    bad.write_text("one\tun\ntwo\tdeux\nthree trois\n", encoding="utf-8")
    assert_bad_input(main, ["--pairs", str(bad)], "bad.txt: line 3: expected source<TAB>target, found no tab")


def test_compare_quick_writes_the_table_and_plot(tmp_path, run_main):
    result, out, _ = run_main(compare.main, ["--quick", "--models", "none,bahdanau", "--num-samples", "300",
                                             "--min-length", "3", "--max-length", "8", "--epochs", "1",
                                             "--units", "16", "--output-dir", str(tmp_path)])
    study_dir = Path(result["study_dir"])
    assert study_dir.parent == tmp_path / "attention" and study_dir.name.startswith("compare-reverse-")
    with open(study_dir / "comparison.csv") as file:
        rows = list(csv.DictReader(file))
    assert {row["model"] for row in rows} == {"none", "bahdanau"} and len(rows) % 2 == 0
    assert all(0.0 <= float(row[name]) <= 1.0 for row in rows for name in ("exact_match", "token_accuracy"))
    assert sum(int(row["test_pairs"]) for row in rows if row["model"] == "none") == 30  # 10 % of 300
    table = (study_dir / "comparison.md").read_text()
    assert "| none |" in table and "| bahdanau |" in table
    assert (study_dir / "comparison.png").stat().st_size > 1000
    assert set(result["totals"]) == {"none", "bahdanau"}
    for model in ("none", "bahdanau"):
        run_dirs = list((study_dir / model).iterdir())
        assert len(run_dirs) == 1 and (run_dirs[0] / "metrics.json").is_file()
        # Each model's overall score is its length groups' scores weighted by their pairs, and the run's own.
        mine = [row for row in rows if row["model"] == model and int(row["test_pairs"])]
        weighted = sum(float(row["exact_match"]) * int(row["test_pairs"]) for row in mine) / 30
        assert result["totals"][model]["exact_match"] == pytest.approx(weighted)
        run_metrics = json.loads((run_dirs[0] / "metrics.json").read_text())
        assert run_metrics["test"]["exact_match"] == pytest.approx(result["totals"][model]["exact_match"])
    assert out[-1] == f"study_dir={study_dir}"


def test_help_as_a_script(run_script):
    completed = run_script(["attention/train.py", "--help"])
    assert completed.returncode == 0, completed.stderr
    assert "--attention" in completed.stdout and "--beam-width" in completed.stdout
