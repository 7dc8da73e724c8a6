"""common/config.py: flags from the dataclass, validation, and one-line errors with exit status 2."""

import argparse
import dataclasses
import importlib
import re

import pytest

from common.config import DEFAULT_OUTPUT_DIR, CellConfig, TrainConfig, parse_int_list
from common.flags import build_parser, exit_on_bad_input, flag_name, format_config, option, parse_config


@dataclasses.dataclass
class ToyConfig(TrainConfig):
    dataset: str = option("alpha", "dataset", choices=("alpha", "beta"))
    units: int = option(8, "units")


def parse_failure(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(ToyConfig, argv, prog="toy")
    return exit_info.value.code, capsys.readouterr().err.splitlines()


def test_defaults_and_spellings():
    config = parse_config(ToyConfig, [])
    assert (config.dataset, config.epochs, config.batch_size, config.learning_rate) == ("alpha", 100, 32, 1e-3)
    assert (config.optimizer, config.seed, config.patience, config.quick) == ("adam", 0, 10, False)
    assert config.output_dir == str(DEFAULT_OUTPUT_DIR)
    config = parse_config(ToyConfig, ["--dataset", "beta", "--epochs", "3", "--batch-size", "16",
                                      "--learning-rate", "0.01", "--optimizer", "sgd", "--seed", "7",
                                      "--patience", "2", "--output-dir", "/tmp", "--quick", "--units", "4"])
    assert config.to_dict() == {"dataset": "beta", "epochs": 3, "batch_size": 16, "learning_rate": 0.01,
                                "optimizer": "sgd", "seed": 7, "patience": 2, "output_dir": "/tmp",
                                "reduce_lr_patience": 0, "clip_norm": 0.0, "quick": True, "verbose": False,
                                "jit_compile": False, "steps_per_execution": 1, "mixed_precision": False,
                                "tensorboard": False, "distribute": "none", "units": 4}


def test_help_shows_every_flag_with_its_default():
    text = build_parser(ToyConfig, "toy trainer").format_help()
    for flag in ("--dataset", "--epochs", "--batch-size", "--learning-rate", "--optimizer", "--seed", "--patience",
                 "--output-dir", "--quick", "--units"):
        assert flag in text
    assert "(default: 100)" in text and "(default: 0.001)" in text and "(default: alpha)" in text


@pytest.mark.parametrize("changes, words", [
    ({"epochs": 0}, "--epochs must be at least 1"),
    ({"epochs": -3}, "--epochs must be at least 1"),
    ({"batch_size": 0}, "--batch-size must be at least 1"),
    ({"learning_rate": 0.0}, "--learning-rate must be between 0 and 10"),
    ({"learning_rate": -0.1}, "--learning-rate must be between 0 and 10"),
    ({"patience": -1}, "--patience must be 0 or more"),
    ({"reduce_lr_patience": -2}, "--reduce-lr-patience must be 0 or more"),
    ({"clip_norm": -1.0}, "--clip-norm must be 0 or more"),
    ({"seed": -1}, "--seed must be 0 or more"),
    ({"optimizer": "adagrad"}, "--optimizer must be one of adam, sgd, rmsprop"),
    ({"dataset": "gamma"}, "--dataset must be one of alpha, beta"),
])
def test_invalid_values_raise_value_error(changes, words):
    with pytest.raises(ValueError, match=words):
        ToyConfig(**changes)


def test_output_dir_that_is_a_file_is_rejected(tmp_path):
    a_file = tmp_path / "not_a_folder"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="is not a folder"):
        ToyConfig(output_dir=str(a_file))


@pytest.mark.parametrize("argv, words", [
    (["--epochs", "-1"], "--epochs must be at least 1"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--learning-rate", "fast"], "invalid float value: 'fast'"),
    (["--dataset", "gamma"], "invalid choice: 'gamma'"),
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
])
def test_command_line_errors_are_one_line_and_exit_2(argv, words, capsys):
    code, err = parse_failure(argv, capsys)
    assert code == 2
    assert len(err) == 1 and err[0].startswith("toy: error: ") and words in err[0]


def test_parse_int_list():
    assert parse_int_list("64,32", "--hidden-units") == [64, 32]
    assert parse_int_list(" 128 ", "--hidden-units") == [128]
    for bad in ("", "64,x", "0", "64,-2"):
        with pytest.raises(ValueError, match="--hidden-units"):
            parse_int_list(bad, "--hidden-units")


def test_exit_on_bad_input_turns_errors_into_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        with exit_on_bad_input("prog"):
            raise FileNotFoundError("no such file: data.csv\n(second line)")
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "prog: error: no such file: data.csv (second line)\n"
    with pytest.raises(KeyError):  # anything else is a bug and keeps its traceback
        with exit_on_bad_input("prog"):
            raise KeyError("bug")


def test_format_config_lists_every_setting():
    text = format_config(ToyConfig(units=5))
    assert text.splitlines()[0] == "config:"
    assert "--units" in text and " 5" in text and "--learning-rate" in text


def test_logging_follows_the_current_stdout():
    import contextlib
    import io
    import logging

    from common.console import setup_logging

    setup_logging(verbose=False)
    for _ in range(2):  # a new stdout each time, as each test (or notebook cell) gets
        with contextlib.redirect_stdout(io.StringIO()) as buffer:
            logging.getLogger("common.test").info("hello")
        assert buffer.getvalue() == "hello\n"


# --help in groups: the script's own flags, the data, each data set's own flags, then training and speed.
TRAINING_FLAGS = ["--epochs", "--batch-size", "--learning-rate", "--optimizer", "--seed", "--patience",
                  "--reduce-lr-patience", "--clip-norm", "--output-dir", "--quick", "--verbose"]
SPEED_FLAGS = ["--jit-compile", "--steps-per-execution", "--mixed-precision", "--tensorboard", "--distribute"]
TRAIN_CONFIGS = {"ann": "AnnConfig", "cnn": "CnnConfig", "rnn": "RnnConfig", "lstm": "LstmConfig", "gru": "GruConfig",
                 "deep_rnn": "DeepRnnConfig", "birnn": "BirnnConfig", "attention": "AttentionConfig",
                 "autoencoder": "AutoencoderConfig", "gan": "GanConfig"}


def help_sections(config_class, monkeypatch) -> dict[str, list[str]]:
    """{heading: the flags listed under it}, in the order `--help` prints them (the first spelling of each flag)."""
    monkeypatch.setenv("COLUMNS", "120")
    sections = {}
    for line in build_parser(config_class).format_help().splitlines():
        if re.fullmatch(r"\S.*:", line) and not line.startswith("usage:"):
            flags = sections.setdefault(line[:-1], [])
        elif line.startswith("  -"):
            flags.append(line.split()[0].rstrip(","))
    return sections


def train_config(folder: str):
    return getattr(importlib.import_module(f"{folder}.train"), TRAIN_CONFIGS[folder])


def test_lstm_help_lists_each_data_set_flags_under_its_name(monkeypatch):
    sections = help_sections(train_config("lstm"), monkeypatch)
    assert sections == {
        "options": ["-h"],
        "lstm model": ["--units", "--layers", "--dropout", "--embedding-dim"],
        "data": ["--dataset"],
        "sine, airline, stock (forecasting)": ["--task", "--transform", "--validation-shift"],
        "sine, airline, stock, text (windows)": ["--window"],
        "sine": ["--num-points", "--cycle-length", "--noise"],
        "adding": ["--sequence-length", "--num-samples"],  # tagging is birnn's: not named here
        "imdb": ["--vocab-size", "--max-length"],
        "text": ["--corpus", "--prompt", "--temperature", "--sample-length"],
        "training": TRAINING_FLAGS,
        "speed and devices": SPEED_FLAGS,
    }
    birnn = help_sections(train_config("birnn"), monkeypatch)  # BirnnConfig re-declares both, with other defaults
    assert birnn["adding, tagging"] == ["--sequence-length", "--num-samples"]
    assert list(sections) == ["options", "lstm model", "data", "sine, airline, stock (forecasting)",
                              "sine, airline, stock, text (windows)", "sine", "adding", "imdb", "text",
                              "training", "speed and devices"]


def test_a_folder_that_reads_its_own_data_flags_lists_them_as_data(monkeypatch):
    assert list(help_sections(train_config("ann"), monkeypatch).items()) == [
        ("options", ["-h"]), ("ann model", ["--hidden-units", "--activation", "--dropout"]), ("data", ["--dataset"]),
        ("training", TRAINING_FLAGS), ("speed and devices", SPEED_FLAGS)]
    cnn = help_sections(train_config("cnn"), monkeypatch)
    assert list(cnn) == ["options", "cnn model", "data", "training", "speed and devices"]
    assert cnn["data"] == ["--dataset", "--image-dir", "--image-size", "--stream"]
    attention = help_sections(train_config("attention"), monkeypatch)
    assert list(attention)[:5] == ["options", "attention model", "data", "dates, reverse", "reverse"]
    assert attention["data"] == ["--dataset", "--pairs", "--tokens"]
    assert (attention["dates, reverse"], attention["reverse"]) == (["--num-samples"], ["--min-length", "--max-length"])


@pytest.mark.parametrize("folder", TRAIN_CONFIGS)
def test_every_folder_help_is_grouped_and_keeps_every_flag(folder, monkeypatch):
    config_class = train_config(folder)
    sections = help_sections(config_class, monkeypatch)
    headings = list(sections)
    assert headings[:3] == ["options", f"{folder} model", "data"] and sections["data"][0] == "--dataset"
    assert headings[-2:] == ["training", "speed and devices"]
    # Every folder re-declares some shared fields to change their default (epochs, batch_size, ...): they keep the
    # shared field's heading.
    assert (sections["training"], sections["speed and devices"]) == (TRAINING_FLAGS, SPEED_FLAGS)
    listed = [flag for flags in sections.values() for flag in flags]
    parser = build_parser(config_class)
    # Shared flags of data sets the folder does not offer (birnn has no text) are accepted but left out of --help.
    hidden = [action.option_strings[0] for action in parser._actions if action.help == argparse.SUPPRESS]
    assert sorted(listed + hidden) == sorted(action.option_strings[0] for action in parser._actions)  # each just once
    assert sorted(listed + hidden) == sorted(["-h", *(flag_name(field.name) for field in
                                                     dataclasses.fields(config_class))])
    offered = next(field.metadata["choices"] for field in dataclasses.fields(config_class) if field.name == "dataset")
    for heading in headings[3:-2]:  # each data set's heading names only data sets of this folder
        assert set(heading.split(" (")[0].split(", ")) <= set(offered), heading


def test_a_folder_without_text_hides_the_text_flags_but_accepts_them(monkeypatch):
    birnn = help_sections(train_config("birnn"), monkeypatch)
    assert "text" not in birnn and birnn["sine, airline, stock (windows)"] == ["--window"]
    assert "--corpus" not in [flag for flags in birnn.values() for flag in flags]
    assert build_parser(train_config("birnn")).parse_args(["--corpus", "x.txt"]).corpus == "x.txt"


def test_a_config_without_groups_keeps_one_list(monkeypatch):
    assert help_sections(CellConfig, monkeypatch) == {
        "options": ["-h", "--units", "--input-dim", "--sequence-length", "--seed"]}
