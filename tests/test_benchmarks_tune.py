"""benchmarks/tune.py: candidates scored on the validation split, ranked, the table written without test figures."""

import numpy as np
import pytest

from benchmarks import tune


def test_quick_search_ranks_by_the_validation_metric(tmp_path, monkeypatch):
    search = tune.Search("ann.train", "accuracy", ((), ("--hidden-units", "4", "--learning-rate", "0.0001")),
                         seeds=(100,))
    monkeypatch.setitem(tune.SEARCHES, "tiny", search)
    output = tmp_path / "tune.md"
    output.write_text("# Tuning: old\n\n## Lab record\n\nWhy the search has these candidates.\n")
    result = tune.main(["tiny", "--quick", "--output", str(output)])
    assert output.read_text().endswith("\n\n## Lab record\n\nWhy the search has these candidates.\n")
    means = {flags: np.mean([s["value"] for s in runs]) for flags, runs in result["scores"].items()}
    assert set(means) == set(search.candidates)
    assert all(len(runs) == 1 and 0.0 <= runs[0]["value"] <= 1.0 for runs in result["scores"].values())
    assert means[result["order"][0]] >= means[result["order"][1]]  # higher accuracy first
    assert result["chosen"] == result["order"][0]
    text = output.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| 1") or line.startswith("| 2")]
    assert len(rows) == 2 and rows[0].startswith("| 1 chosen |") and "--quick" in text
    assert "test_accuracy" not in text and "| test" not in text


def test_a_search_with_validation_blocks_scores_each_seed_by_their_mean(tmp_path, monkeypatch):
    search = tune.Search("lstm.train", "rmse", ((),), higher_is_better=False, seeds=(100,),
                         folds=((), ("--validation-shift", "12")))
    monkeypatch.setitem(tune.SEARCHES, "tiny", search)
    output = tmp_path / "tune.md"
    result = tune.main(["tiny", "--quick", "--output", str(output)])
    (run,) = result["scores"][()]
    first, second = run["blocks"]
    assert first != second and run["value"] == pytest.approx((first + second) / 2)
    # The table shows each block's mean next to the seeds.
    row = next(line for line in output.read_text().splitlines() if line.startswith("| 1 chosen"))
    assert f"{first:.4f}, {second:.4f}" in row


def test_ties_keep_the_earlier_candidate_and_lower_can_be_better():
    lower = tune.Search("m", "rmse", ((), ("--a",), ("--b",)), higher_is_better=False)
    scores = {(): [{"value": 2.0}], ("--a",): [{"value": 1.0}], ("--b",): [{"value": 1.0}]}
    assert tune.rank(lower, scores) == [("--a",), ("--b",), ()]
    higher = tune.Search("m", "accuracy", ((), ("--a",)))
    assert tune.rank(higher, {(): [{"value": 0.9}, {"value": 0.8}], ("--a",): [{"value": 0.85}]}) == [(), ("--a",)]


def test_unknown_folder_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        tune.main(["cnn9"])
    assert exit_info.value.code == 2 and len(capsys.readouterr().err.splitlines()) == 1
