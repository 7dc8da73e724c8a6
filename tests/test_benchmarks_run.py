"""benchmarks/run.py: a --quick dry run writes a table with one row per configuration and keeps the lab record below
it; summaries by hand."""

import pytest

from benchmarks import run as benchmark


def test_quick_benchmark_writes_the_table(tmp_path, capsys, monkeypatch):
    output = tmp_path / "ann.md"
    # One seed, and ann's default, a dataset of another task and the scratch row, keep the suite short; how several
    # seeds are summarized is checked by hand below.
    rows = [benchmark.BENCHMARKS["ann"][index] for index in (0, 3, 5)]
    monkeypatch.setitem(benchmark.BENCHMARKS, "ann", rows)
    # the lab record kept by hand below an earlier table survives the rewrite, word for word
    record = "## Lab record\n\nHow the default was chosen: 0.9833 over three tuning seeds.\n"
    output.write_text("# Benchmark: ann/\n\nAn old table.\n\n" + record)
    summaries = benchmark.main(["ann", "--quick", "--seeds", "0", "--output", str(output)])
    written = output.read_text()
    assert "An old table." not in written and written.endswith("\n\n" + record)
    assert written.index("| command |") < written.index(record)
    assert [s["command"] for s in summaries] == [row.describe() for row in rows]
    for summary in summaries:
        assert summary["seeds"] == 1 and summary["train_seconds"] > 0
        assert summary["verdict"] == ""  # --quick never claims a target
        assert summary["spread"] == 0.0 and summary["worst"] == summary["mean"]
    accuracy = summaries[0]
    assert 0.1 < accuracy["mean"] <= 1.0
    assert accuracy["baseline"] == pytest.approx(0.1016, abs=1e-3)  # majority class on the quick test slice
    assert set(accuracy["other_baselines"]) == {"logistic_regression", "svm"}  # the other baselines, same metric
    assert 0.8 < accuracy["other_baselines"]["svm"] <= 1.0
    assert accuracy["params"] > 0
    text = output.read_text()
    assert "--quick" in text and text.count("| `python -m ann.") == len(rows)
    assert f"wrote {output}" in capsys.readouterr().out


def test_summarize_checks_targets_in_both_directions():
    higher = benchmark.Row("m", (), "accuracy", target=0.9)
    runs = [{"value": v, "baseline": 0.1, "train_seconds": 1.0, "params": 5} for v in (0.91, 0.95)]
    assert benchmark.summarize(higher, runs, check_target=True)["verdict"] == "met"
    lower = benchmark.Row("m", (), "rmse", target=0.9, higher_is_better=False)
    summary = benchmark.summarize(lower, runs, check_target=True)
    assert summary["verdict"] == "MISSED" and summary["worst"] == 0.95
    assert summary["mean"] == pytest.approx(0.93) and summary["spread"] == pytest.approx(0.0282843, abs=1e-6)
    exactly = [{"value": 0.5, "baseline": 0.1, "train_seconds": 1.0, "params": 5}] * 2  # the mean at the target
    assert benchmark.summarize(benchmark.Row("m", (), "accuracy", target=0.5), exactly, True)["verdict"] == "met"
    assert benchmark.summarize(benchmark.Row("m", (), "rmse", target=0.5, higher_is_better=False), exactly,
                               True)["verdict"] == "met"


def test_also_metrics_are_scored_from_the_same_runs_as_lines_of_their_own():
    row = benchmark.Row("m", ("--x",), "fid", higher_is_better=False, baseline="noise", target_ratio=1 / 3,
                        also=(("min_class_fraction", 0.03, True),))
    results = [{"test": {"fid": fid, "min_class_fraction": fraction}, "train_seconds": 2.0, "params": 7,
                "baselines": {"noise": {"fid": 300.0, "min_class_fraction": 0.0}, "real": {"fid": 2.0,
                                                                                      "min_class_fraction": 0.08}}}
               for fid, fraction in ((60.0, 0.05), (80.0, 0.02))]
    fid_row, coverage_row = row.scored_rows()
    fid = benchmark.summarize(fid_row, [benchmark.score(fid_row, result) for result in results], check_target=True)
    assert (fid["mean"], fid["worst"], fid["target"], fid["verdict"]) == (70.0, 80.0, 100.0, "met")
    assert fid["other_baselines"] == {"real": 2.0}
    coverage = benchmark.summarize(coverage_row, [benchmark.score(coverage_row, result) for result in results],
                                   check_target=True)
    assert coverage["command"] == fid["command"] and coverage["metric"] == "min_class_fraction"
    assert coverage["mean"] == pytest.approx(0.035) and coverage["worst"] == 0.02 and coverage["verdict"] == "met"
    assert coverage["baseline"] == 0.0  # the first baseline with the metric, as for a row that names none


def test_a_script_of_several_models_shows_the_params_and_seconds_of_the_scored_one():
    result = {"test_accuracy": 0.97, "params": 50890, "train_seconds": 9.0, "logistic_regression_test_accuracy": 0.89,
              "logistic_regression_params": 7850, "logistic_regression_train_seconds": 2.0}
    mlp = benchmark.score(benchmark.Row("ann.scratch", (), "accuracy", writes_run_folder=False), result)
    logistic = benchmark.score(benchmark.Row("ann.scratch", (), "logistic_regression_test_accuracy",
                                             writes_run_folder=False, costs_of="logistic_regression_"), result)
    assert (mlp["value"], mlp["params"], mlp["train_seconds"]) == (0.97, 50890, 9.0)
    assert (logistic["value"], logistic["params"], logistic["train_seconds"]) == (0.89, 7850, 2.0)


@pytest.mark.parametrize("argv", [["cnn9"], ["ann", "--seeds", "a,b"], ["ann", "--seeds", "-1"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(argv)
    assert exit_info.value.code == 2 and len(capsys.readouterr().err.splitlines()) == 1


def test_study_table_shows_one_seed_or_mean_and_range():
    runs = [{"cells": {"rnn": {"T = 5": v, "T = 10": 0.5}}, "baseline": {"T = 5": 0.17, "T = 10": 0.16},
             "count": {}, "params": {"rnn": 1201}, "seconds": {"rnn": s}} for v, s in ((0.1, 2.0), (0.3, 4.0))]
    lines = benchmark.study_table(runs).splitlines()
    assert lines[0] == "| model | T = 5 | T = 10 | train s (mean) | params |"
    assert lines[2] == "| rnn | 0.2000 (0.1000 - 0.3000) | 0.5000 | 3.0 | 1,201 |"
    assert lines[3] == "| mean baseline | 0.1700 | 0.1600 | | |"


def test_quick_study_writes_its_table(tmp_path, monkeypatch):
    tiny = benchmark.Study("deep_rnn.compare", ("--models", "rnn", "--units", "4", "--num-samples", "200"),
                           "length", "T = {}", "test_mse", "test MSE", seeds=(0, 1), baseline="baseline_mse")
    monkeypatch.setitem(benchmark.STUDIES, "tiny", tiny)
    output = tmp_path / "tiny.md"
    output.write_text("# Study: tiny\n\nAn old table.\n\n## Lab record\n\nWhat the lengths showed.\n")
    runs = benchmark.main(["tiny", "--quick", "--output", str(output)])
    assert output.read_text().endswith("\n\n## Lab record\n\nWhat the lengths showed.\n")  # kept below the table
    assert len(runs) == 2 and list(runs[0]["cells"]) == ["rnn"]
    assert list(runs[0]["cells"]["rnn"]) == ["T = 5", "T = 10"]  # compare.py's --quick lengths
    text = output.read_text()
    assert "`python -m deep_rnn.compare --models rnn --units 4 --num-samples 200` with seeds 0, 1" in text
    values = [run["cells"]["rnn"]["T = 10"] for run in runs]
    mean = sum(values) / 2
    assert (f"{mean:.4f} ({min(values):.4f} - {max(values):.4f})" if max(values) - min(values) >= 5e-5
            else f"{mean:.4f}") in text
    assert all(0 < value < 10 for run in runs for value in run["cells"]["rnn"].values())  # a quick run barely trains
    assert text.count("| mean baseline |") == 1 and all(run["seconds"]["rnn"] > 0 for run in runs)


# The exit status: 1 when a full run misses a target (after writing the table that shows it), 0 otherwise; a --quick
# dry run claims no target, so it never fails on one. The runs are canned (run_quietly patched): what is checked is
# main's verdict on them, not the training.
CANNED = {"test": {"accuracy": 0.9, "coverage": 0.05}, "baselines": {"majority_class": {"accuracy": 0.1}},
          "train_seconds": 1.0, "params": 10}


@pytest.mark.parametrize("target, coverage_target, quick, exit_status, target_cells", [
    (2.0, None, False, 1, ["2 MISSED", ""]),            # an accuracy of 2 cannot be reached
    (0.5, None, False, 0, ["0.5 met", ""]),
    (0.5, 0.5, False, 1, ["0.5 met", "0.5 MISSED"]),    # the row's own metric met, a metric it also reports missed
    (2.0, 0.5, True, 0, ["2", "0.5"]),                  # --quick: a dry run, not a result
], ids=["missed", "met", "also-missed", "quick-claims-nothing"])
def test_a_missed_target_exits_1_after_writing_the_table(target, coverage_target, quick, exit_status, target_cells,
                                                        tmp_path, monkeypatch, capsys):
    row = benchmark.Row("tiny.train", ("--units", "1"), "accuracy", target=target,
                        also=(("coverage", coverage_target, True),))
    monkeypatch.setitem(benchmark.BENCHMARKS, "tiny", [row])
    monkeypatch.setattr(benchmark, "run_quietly", lambda module, args, seed, quick, output_dir: CANNED)
    output = tmp_path / "tiny.md"
    argv = ["tiny", "--seeds", "0,1", "--output", str(output)] + (["--quick"] if quick else [])
    if exit_status:
        with pytest.raises(SystemExit) as exit_info:
            benchmark.main(argv)
        assert exit_info.value.code == exit_status
    else:
        summaries = benchmark.main(argv)
        assert [summary["verdict"] for summary in summaries] == [cell.partition(" ")[2] for cell in target_cells]
    table_rows = [line for line in output.read_text().splitlines() if line.startswith("| `python -m tiny.train")]
    assert [[cell.strip() for cell in table_row.split("|")][7] for table_row in table_rows] == target_cells
    assert f"wrote {output}" in capsys.readouterr().out
