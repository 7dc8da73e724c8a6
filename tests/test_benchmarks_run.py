"""benchmarks/run.py: a --quick dry run writes a table with one row per configuration; summaries by hand."""

import pytest

from benchmarks import run as benchmark


def test_quick_benchmark_writes_the_table(tmp_path, capsys):
    output = tmp_path / "ann.md"
    # One seed keeps the suite short; how several seeds are summarized is checked by hand below.
    summaries = benchmark.main(["ann", "--quick", "--seeds", "0", "--output", str(output)])
    rows = benchmark.BENCHMARKS["ann"]
    assert [s["command"] for s in summaries] == [row.describe() for row in rows]
    for summary in summaries:
        assert summary["seeds"] == 1 and summary["train_seconds"] > 0
        assert summary["verdict"] == ""  # --quick never claims a target
        assert summary["spread"] == 0.0 and summary["worst"] == summary["mean"]
    accuracy = summaries[0]
    assert 0.1 < accuracy["mean"] <= 1.0
    assert accuracy["baseline"] == pytest.approx(0.1016, abs=1e-3)  # majority class on the quick test slice
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


@pytest.mark.parametrize("argv", [["cnn9"], ["ann", "--seeds", "a,b"], ["ann", "--seeds", "-1"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(argv)
    assert exit_info.value.code == 2 and len(capsys.readouterr().err.splitlines()) == 1
