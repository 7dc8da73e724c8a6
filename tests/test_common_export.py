"""common/export.py: a folder copied with exactly the common/ files it imports runs and passes its tests on its own."""

import os

import pytest

from common import export
from common.config import REPO_ROOT

FOLDERS = ["ann", "cnn", "rnn", "lstm", "gru", "deep_rnn", "birnn", "attention", "transformer", "autoencoder", "gan"]


def test_every_folder_with_a_train_script_can_be_exported():
    assert export.folders() == sorted(FOLDERS)


def test_the_common_files_are_found_by_following_the_imports():
    ann = [path.name for path in export.common_files(sorted((REPO_ROOT / "ann").glob("*.py")))]
    # ann/train.py imports common.config and common.console; common.runs, common.evaluation, ... (imported inside
    # main) bring metrics, plots, tasks, ...
    assert {"__init__.py", "config.py", "console.py", "distribute.py", "evaluation.py", "runs.py", "training.py",
            "metrics.py", "plots.py", "tasks.py", "datasets.py"} <= set(ann)
    assert not {"sequences.py", "forecasting.py", "forecast_series.py", "forecast_evaluation.py", "text.py",
                "export.py"} & set(ann)
    lstm = [path.name for path in export.common_files(sorted((REPO_ROOT / "lstm").glob("*.py")))]
    assert {"sequences.py", "forecasting.py", "forecast_series.py", "forecast_evaluation.py", "text.py"} <= set(lstm)


def test_the_root_readme_quotes_the_lines_of_common_each_folder_takes_along():
    import re

    text = (REPO_ROOT / "README.md").read_text()
    table = text[text.index("| folder | `common/` files | lines of `common/` | data |"):].split("\n\n")[0]
    quoted = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        for folder in re.findall(r"`(\w+)/`", cells[0]):
            quoted[folder] = int(cells[2].replace(",", ""))
    assert sorted(quoted) == sorted(FOLDERS)
    for folder, lines in quoted.items():
        files = export.common_files(sorted((REPO_ROOT / folder).glob("*.py")))
        assert sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files) == lines, folder


def test_common_imports_no_folder_and_its_shared_seq2seq_modules_name_none():
    """common/ is copied along with any folder, so it imports none; the modules an encoder-decoder of any folder
    shares (common/pairs.py, common/seq2seq.py) do not even name one as a path (attention/) or a module (gan.use)."""
    import re

    for path in sorted((REPO_ROOT / "common").glob("*.py")):
        assert {name.split(".")[0] for name in export.imported_modules(path)} & set(FOLDERS) == set(), path.name
    for name in ("pairs.py", "seq2seq.py"):
        named = re.findall(rf"\b({'|'.join(FOLDERS)})(?:/|\.[a-z_])", (REPO_ROOT / "common" / name).read_text())
        assert named == [], f"common/{name} names {named}"


def test_imports_are_read_at_any_depth_and_from_package_imports(tmp_path):
    source = tmp_path / "example.py"
    source.write_text("import os\nfrom common import plots, config\n\ndef f():\n    from common.metrics import x\n")
    assert export.imported_modules(source) == {"os", "common", "common.plots", "common.config", "common.metrics",
                                               "common.metrics.x"}


def test_data_files_are_those_the_code_names():
    lstm_sources = sorted((REPO_ROOT / "lstm").glob("*.py"))
    lstm_data = export.data_files(lstm_sources + export.common_files(lstm_sources))
    assert [path.name for path in lstm_data] == ["airline_passengers.csv", "README.md"]
    ann_sources = sorted((REPO_ROOT / "ann").glob("*.py"))
    assert export.data_files(ann_sources + export.common_files(ann_sources)) == []


def test_an_existing_destination_is_refused_and_left_alone(tmp_path, run_main):
    dest = tmp_path / "my_lab"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    result, out, err = run_main(export.main, ["ann", str(dest)])
    assert isinstance(result, SystemExit) and result.code == 2
    assert err == [f"common/export.py: error: {dest} already exists and is not an empty folder; nothing was written "
                   "(choose a new DEST)"]
    assert [path.name for path in dest.iterdir()] == ["notes.txt"] and (dest / "notes.txt").read_text() == "mine"
    result, _, err = run_main(export.main, ["vit", str(tmp_path / "new")])  # a folder this repository lacks
    assert result.code == 2 and "invalid choice: 'vit'" in err[0] and not (tmp_path / "new").exists()


# Exactly what `python -m common.export lstm DEST` writes: the folder, the common/ files it and its tests import, the
# data file it reads with data/README.md, requirements.txt and pytest.ini, every test of the folder with conftest.py,
# and a README. A file more (this checkout's caches, another folder's test) or less (a test left behind) fails.
LSTM_EXPORT = [
    "README.md",
    *(f"common/{name}" for name in ("__init__.py", "config.py", "console.py", "datasets.py", "diagrams.py",
                                    "distribute.py", "evaluation.py", "flags.py", "forecast_evaluation.py",
                                    "forecast_model.py", "forecast_series.py", "forecasting.py", "inputs.py",
                                    "metrics.py", "plots.py", "runs.py",
                                    "sequences.py", "tasks.py", "text.py", "training.py")),
    "data/README.md", "data/airline_passengers.csv",
    *(f"lstm/{name}" for name in ("README.md", "__init__.py", "airline_forecast.png", "dataset.py", "diagrams.py",
                                  "diagrams/lstm_cell_1_forget.svg", "diagrams/lstm_cell_2_input.svg",
                                  "diagrams/lstm_cell_3_output.svg", "diagrams/lstm_network.svg", "model.py",
                                  "scratch.py", "train.py")),
    "pytest.ini", "requirements.txt",
    "tests/conftest.py", "tests/test_lstm.py", "tests/test_lstm_scratch.py",
]


def test_the_export_copies_exactly_the_folder_its_common_files_data_and_all_its_tests(tmp_path, run_main):
    dest = tmp_path / "lab"
    summary, out, err = run_main(export.main, ["lstm", str(dest)])
    assert err == [] and out[0].startswith(f"lstm/ -> {dest}: common/ 20 files")
    assert sorted(str(path.relative_to(dest)) for path in dest.rglob("*") if path.is_file()) == LSTM_EXPORT
    # every test of the folder in this repository went along: tests/test_lstm.py and tests/test_lstm_*.py
    own_tests = sorted(path.name for path in (REPO_ROOT / "tests").glob("test_lstm*.py"))
    assert summary["test_files"] == ["conftest.py", *own_tests] and len(own_tests) >= 2
    for name in LSTM_EXPORT[1:]:  # copies, byte for byte (README.md is the export's own)
        assert (dest / name).read_bytes() == (REPO_ROOT / name).read_bytes(), name


def check_standalone(folder, dest, run_script, pytest_args=()):
    """Export folder to dest, then run its --quick training and its tests there, with nothing from this repository."""
    summary = export.main([folder, str(dest)])
    assert (dest / folder / "train.py").is_file() and (dest / "requirements.txt").is_file()
    assert sorted(path.name for path in (dest / "common").glob("*.py")) == sorted(summary["common_files"])
    assert f"python -m {folder}.train --quick" in (dest / "README.md").read_text()
    env = {name: value for name, value in os.environ.items()
           if name not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONPATH")}  # nothing leads back to this checkout
    trained = run_script(["-m", f"{folder}.train", "--quick"], cwd=dest, env=env)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert trained.stdout.splitlines()[-1].startswith("test_") and "run_dir=runs/" in trained.stdout
    tested = run_script(["-m", "pytest", "-q", "-n", "0", *pytest_args], cwd=dest, env=env)  # one process: a suite runs
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert " passed" in tested.stdout.splitlines()[-1] and "failed" not in tested.stdout.splitlines()[-1]
    return summary


def test_an_exported_folder_trains_and_passes_its_tests_alone(tmp_path, run_script):
    # All of lstm's tests but its 60-epoch training and its three subprocess invocations of scratch.py, which this
    # suite runs already (the slow test below runs everything in the copy).
    summary = check_standalone("lstm", tmp_path / "lab", run_script,
                               ["-k", "not trained_airline_model and not runs_as_module"])
    assert summary["data_files"] == ["airline_passengers.csv", "README.md"]


@pytest.mark.slow  # every folder's tests again, in its exported copy: python -m pytest -m slow
@pytest.mark.parametrize("folder", FOLDERS)
def test_every_exported_folder_trains_and_passes_its_tests_alone(folder, tmp_path, run_script):
    check_standalone(folder, tmp_path / folder, run_script)


def test_the_slowest_first_order_names_test_files_that_exist():
    """tests/conftest.py's SLOWEST_FIRST (the order files go to the workers) names real files, each once: a renamed
    file would silently drop back to the end of the queue."""
    from conftest import SLOWEST_FIRST

    assert len(set(SLOWEST_FIRST)) == len(SLOWEST_FIRST) >= 10
    assert [name for name in SLOWEST_FIRST if not (REPO_ROOT / "tests" / name).is_file()] == []
