"""The root README's "Classic exercises": every command in its table runs (--quick, downloads patched with small
stand-ins, a generated image folder for --image-dir), and every figure it quotes is in benchmarks/classics.md.

    python -m pytest tests/test_classic_exercises.py -q
"""

import dataclasses
import importlib
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from benchmarks import run as benchmark

REPO_ROOT = Path(__file__).resolve().parents[1]
IMAGE_DIR_PLACEHOLDER = "cats_and_dogs_filtered/train"  # where the README asks the student to unzip the images


def classic_section() -> str:
    text = (REPO_ROOT / "README.md").read_text()
    match = re.search(r"^## Classic exercises\n(.*?)(?=^## )", text, flags=re.M | re.S)
    assert match, "the root README has no '## Classic exercises' section"
    return match.group(1)


def table_rows() -> list[list[str]]:
    """The cells of each row of the section's table (header and rule left out)."""
    lines = [line for line in classic_section().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def table_commands() -> list[str]:
    """Every `python -m ...` command in the table, in order."""
    return [command for row in table_rows() for command in re.findall(r"`(python -m [^`]+)`", row[1])]


def test_the_table_names_every_exercise_of_a_course():
    rows = table_rows()
    assert len(rows) == 7
    commands = table_commands()
    for expected in ("python -m ann.scratch --dataset mnist5k", "python -m rnn.train --truncate 5",
                     "python -m rnn.train --dataset imdb", "python -m lstm.train --dataset imdb",
                     "python -m gru.train --dataset imdb", "python -m cnn.train --dataset cifar10 --arch alexnet "
                     "--no-augment", f"python -m cnn.train --image-dir {IMAGE_DIR_PLACEHOLDER} --image-size 64"):
        assert expected in commands
    # Every embedded-data row of the benchmark is an exercise of the table, and the other way round.
    benchmarked = {row.describe() for row in benchmark.BENCHMARKS["classics"]}
    assert benchmarked <= set(commands)
    embedded = {c for c in commands if "imdb" not in c and "cifar10" not in c and "--image-dir" not in c}
    assert embedded == benchmarked


def commands_to_run() -> list[str]:
    """One command per set of flags: the IMDB row's three cells share theirs, so only the first is trained here
    (test_every_command_parses checks the other two; tests/test_lstm.py trains the IMDB path more closely)."""
    seen, chosen = set(), []
    for command in table_commands():
        flags = tuple(shlex.split(command)[3:])
        if flags not in seen:
            seen.add(flags)
            chosen.append(command)
    return chosen


@pytest.mark.parametrize("command", table_commands())
def test_every_command_parses(command, tmp_path):
    """Every command's flags are accepted by its script's own config (no training, no TensorFlow)."""
    from common.flags import parse_config

    module, *args = shlex.split(command)[2:]
    if IMAGE_DIR_PLACEHOLDER in args:
        args[args.index(IMAGE_DIR_PLACEHOLDER)] = str(tmp_path)
    config_classes = [value for value in vars(importlib.import_module(module)).values()
                      if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module]
    assert len(config_classes) == 1, module
    config = parse_config(config_classes[0], args)
    if "--dataset" in args:
        assert config.dataset == args[args.index("--dataset") + 1]


def test_every_figure_the_table_quotes_is_in_the_benchmark_file():
    """A figure is in benchmarks/classics.md, or in a benchmarks/ file its cell links to (a full-BPTT comparison)."""
    classics = (REPO_ROOT / "benchmarks" / "classics.md").read_text()
    assert "python -m benchmarks.run classics" in classics
    quoted = 0
    for row in table_rows():
        links = re.findall(r"\]\((benchmarks/\w+\.md)(?: \"[^\"]*\")?\)", row[2])  # a title may name the row
        linked = [(REPO_ROOT / path).read_text() for path in links]
        for number in re.findall(r"\b\d+\.\d{4}\b", row[2]):
            quoted += 1
            assert any(number in text for text in [classics, *linked]), f"{number} is not in benchmarks/"
    assert quoted >= 5  # one per embedded exercise at least


def fake_cifar10():
    rng = np.random.default_rng(0)
    return ((rng.integers(0, 256, (5200, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, (5200, 1))),
            (rng.integers(0, 256, (100, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, (100, 1))))


def make_image_folder(folder: Path) -> Path:
    """cat/ and dog/, 8 small PNGs each: bright cats, dark dogs."""
    import keras

    rng = np.random.default_rng(0)
    for name, low in (("cat", 150), ("dog", 0)):
        (folder / name).mkdir(parents=True)
        for index in range(8):
            image = rng.integers(low, low + 100, (20, 20, 3)).astype("uint8")
            keras.utils.save_img(folder / name / f"{index}.png", image)
    return folder


@pytest.mark.parametrize("command", commands_to_run())
def test_every_exercise_runs_quick(command, tmp_path, run_main, monkeypatch, patch_imdb):
    import keras

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", fake_cifar10)
    module, *args = shlex.split(command)[2:]
    if IMAGE_DIR_PLACEHOLDER in args:
        args[args.index(IMAGE_DIR_PLACEHOLDER)] = str(make_image_folder(tmp_path / "images"))
    main = importlib.import_module(module).main
    output = ["--output-dir", str(tmp_path / "runs")] if module.endswith(".train") else []
    result, out, err = run_main(main, [*args, "--quick", *output])
    assert not isinstance(result, SystemExit), err
    if module == "ann.scratch":  # NumPy only: the summary line and the logistic regression's accuracy
        assert 0.5 < result["logistic_regression_test_accuracy"] <= 1.0
        assert out[-1].startswith("test_accuracy=")
        return
    run_dir = Path(result["run_dir"])
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["test"] == pytest.approx(result["test"])
    assert (run_dir / "plots" / "learning_curves.png").stat().st_size > 5_000
    for name, value in result["test"].items():
        assert np.isfinite(value), name
    if "--truncate" in args:
        assert json.loads((run_dir / "config.json").read_text())["truncate"] == int(args[args.index("--truncate") + 1])
    if "--dataset" in args and args[args.index("--dataset") + 1] == "text":
        samples = (run_dir / "samples.txt").read_text()
        assert all(f"--- temperature {t} ---" in samples for t in ("0.2", "0.5", "1"))
