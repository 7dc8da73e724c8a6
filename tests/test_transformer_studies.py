"""transformer/studies.py: each study writes its own section of the table with measured numbers, the shuffled-context
measure (exactly blind to order for one block without positions, not with learned positions), and bad input."""

import math

import numpy as np
import pytest

from transformer import studies

# A tiny GPT and --quick: seconds per training run, on 2 CPU cores.
TINY = ["--epochs", "1", "--batch-size", "64", "--quick", "--window", "16", "--d-model", "16", "--heads", "2",
        "--layers", "1", "--ff-dim", "32", "--temperature", "1.0", "--sample-length", "5"]


@pytest.fixture(scope="module")
def context_study(tmp_path_factory):
    """The context study alone (no training, a few timed steps): (result, table, picture)."""
    folder = tmp_path_factory.mktemp("context")
    table, picture = folder / "studies.md", folder / "context.png"
    result = studies.main(["context", *TINY, "--windows", "8,16,32", "--batch-chars", "64", "--gru-units", "16",
                           "--output-dir", str(folder / "runs"), "--table", str(table), "--picture", str(picture)])
    return result, table, picture


@pytest.fixture(scope="module")
def studied(tmp_path_factory):
    """The three studies run once, in order, into one table file: (results by study, table, picture)."""
    folder = tmp_path_factory.mktemp("studies")
    table, picture = folder / "studies.md", folder / "context.png"
    shared = [*TINY, "--output-dir", str(folder / "runs"), "--table", str(table), "--picture", str(picture)]
    results = {"positions": studies.main(["positions", *shared]),
               "heads": studies.main(["heads", "--head-counts", "1", *shared]),
               "context": studies.main(["context", "--windows", "8,16,32", "--batch-chars", "64", "--gru-units", "16",
                                        *shared])}
    return results, table, picture


def section(text: str, study: str) -> str:
    """The lines of one study's section, from its heading to the next one."""
    start = text.index(f"## Study: {study}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end + 1]


def table_cells(text: str, first_cell: str) -> list[str]:
    """The cells of the markdown table row that starts with first_cell."""
    row = next(line for line in text.splitlines() if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


@pytest.mark.slow  # five quick trainings, 40 s: the shuffled measure's exactness is tested below on a built model
def test_positions_study_writes_scores_and_the_shuffled_context_measure(studied):
    results, table, _ = studied
    rows = {row["setting"]: row for row in results["positions"]["rows"]}
    assert list(rows) == ["learned", "sinusoidal", "none"]
    assert rows["none"]["flags"] == " ".join(TINY[:-4] + ["--positions", "none"] + TINY[-4:])
    for row in rows.values():
        (run,) = row["runs"]
        assert 0.5 < run["validation"] < 7 and 0.5 < run["test"] < 7 and run["train_seconds"] > 0
    # Learned positions add a table of window x d_model weights; sinusoids and none add nothing.
    params = {name: row["runs"][0]["params"] for name, row in rows.items()}
    assert params["learned"] - params["none"] == 16 * 16 and params["sinusoidal"] == params["none"]
    # One block without positions: the last position reads the same bag of characters, shuffled or not.
    blind = rows["none"]["runs"][0]
    assert blind["ordered"] > 0.5 and abs(blind["shuffled"] - blind["ordered"]) < 1e-4
    text = section(table.read_text(), "positions")
    assert "`python -m transformer.studies positions --epochs 1" in text and "the default run trains 10" in text
    cells = table_cells(text, "none")
    assert float(cells[1]) == pytest.approx(blind["validation"], abs=1e-4)
    assert float(cells[2]) == pytest.approx(blind["test"], abs=1e-4)
    assert cells[5] == "0.0000" and cells[6] == f"{params['none']:,}"


@pytest.mark.slow
def test_heads_study_writes_scores_and_equal_weights(studied):
    results, table, _ = studied
    (row,) = results["heads"]["rows"]
    assert row["setting"] == "1" and row["flags"] == " ".join(TINY).replace("--heads 2", "--heads 1")
    (run,) = row["runs"]
    assert 0.5 < run["validation"] < 7 and 0.5 < run["test"] < 7
    # One head of 16 dimensions has the weights of two heads of 8 (the positions study's learned run): heads split
    # d_model, they add no weights.
    assert run["params"] == results["positions"]["rows"][0]["runs"][0]["params"]
    cells = table_cells(section(table.read_text(), "heads"), "1")
    assert cells[1] == "16" and float(cells[3]) == pytest.approx(run["test"], abs=1e-4)  # dimensions per head, test


def test_context_study_times_both_models_and_draws_them(context_study):
    result, table, picture = context_study
    rows = result["rows"]
    assert [(row["window"], row["batch"]) for row in rows] == [(8, 8), (16, 4)]  # --quick: the first two windows
    assert all(0 < row["gpt"] < 30 and 0 < row["gru"] < 30 for row in rows)
    assert picture.read_bytes()[:4] == b"\x89PNG"
    text = section(table.read_text(), "context")
    assert float(table_cells(text, "16")[3]) == pytest.approx(rows[1]["gru"], abs=1e-4)
    assert "](context.png)" in text and "slope" in text


@pytest.mark.slow
def test_each_study_rewrites_only_its_own_section(studied, tmp_path):
    _, table, _ = studied
    before = table.read_text()
    assert [before.count(f"## Study: {study}\n") for study in studies.STUDIES] == [1, 1, 1]
    copy = tmp_path / "studies.md"
    copy.write_text(before)
    studies.write_section(copy, "heads", "rerun: 1 head, 1.2345 bits per character")
    after = copy.read_text()
    assert section(after, "positions") == section(before, "positions")
    assert section(after, "context") == section(before, "context")
    assert section(after, "heads") == "## Study: heads\n\nrerun: 1 head, 1.2345 bits per character\n\n"
    assert after.count("## Study: heads\n") == 1 and after.index("## Study: heads") < after.index("## Study: context")


def test_shuffle_context_permutes_all_but_the_last_character():
    x = np.arange(60).reshape(5, 12)
    shuffled = studies.shuffle_context(x, seed=3)
    np.testing.assert_array_equal(shuffled[:, -1], x[:, -1])
    np.testing.assert_array_equal(np.sort(shuffled[:, :-1], axis=1), x[:, :-1])
    assert (shuffled != x).any() and (studies.shuffle_context(x, seed=3) == shuffled).all()


def test_without_positions_one_block_is_exactly_blind_to_order_and_learned_positions_are_not(keras, gpt):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 20, (32, 12)).astype("int32"), rng.integers(0, 20, (32, 12)).astype("int32")
    shuffled = studies.shuffle_context(x, seed=1)
    scores = {}
    for positions in ("none", "learned"):
        keras.utils.set_random_seed(0)
        model = gpt.build_model(20, 12, d_model=16, num_heads=2, num_layers=1, ff_dim=32, dropout_rate=0.0,
                                positions=positions)
        ordered = studies.last_position_probabilities(model, x)
        scores[positions] = (np.abs(studies.last_position_probabilities(model, shuffled) - ordered).max(),
                             studies.shuffled_context_bits(model, x, y, seed=1))
    difference, bits = scores["none"]
    assert difference < 1e-6 and bits["shuffled"] == pytest.approx(bits["ordered"], abs=1e-6)
    assert math.log2(20) - 0.5 < bits["ordered"] < math.log2(20) + 0.5  # an untrained model: near uniform
    difference, bits = scores["learned"]
    assert difference > 1e-4 and abs(bits["shuffled"] - bits["ordered"]) > 1e-5


@pytest.mark.parametrize("argv, words", [
    (["nonsense"], "name a study first"),
    ([], "name a study first"),
    (["heads", "--head-counts", "1,3"], "must divide --d-model 128"),
    (["positions", "--seeds", "0,x"], "--seeds must be comma-separated whole numbers"),
    (["heads", "--seeds", "1,1"], "--seeds needs distinct"),
    (["context", "--windows", "16,1"], "--windows must be at least 2"),
    (["context", "--windows", "256", "--batch-chars", "100"], "must hold at least the longest window (256)"),
    (["positions", "--window", "100000000"], "too long for a corpus"),
    (["heads", "--dataset", "dates"], "the studies read text"),
])
def test_bad_input_exits_2_and_writes_nothing(assert_bad_input, tmp_path, argv, words):
    table, picture = tmp_path / "studies.md", tmp_path / "context.png"
    assert_bad_input(studies.main, [*argv, "--table", str(table), "--picture", str(picture)], words)
    assert not table.exists() and not picture.exists()
