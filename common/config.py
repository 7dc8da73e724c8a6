"""Training settings as one dataclass, turned into the command line every folder shares.

    from common.config import TrainConfig, parse_config
    config = parse_config(AnnConfig, ["--epochs", "5"])   # AnnConfig subclasses TrainConfig

Each field becomes a flag spelled the same way everywhere (`batch_size` -> `--batch-size`), its help text shows the
default, and --help lists it under its group's heading (`option(..., group=TRAINING)`). `__post_init__` validates,
so a bad value raises `ValueError` whether the config comes from the command line or from Python; on the command line
that error becomes one line on stderr and exit status 2.

format_config shows the resolved config, the first thing a run prints; the rest of what the terminal shows is
common/console.py's, and the TF_CONFIG of --distribute multi-worker is read by common/distribute.py. This module
imports only the standard library: flags are checked before TensorFlow's slow import starts.
"""

import argparse
import dataclasses
import datetime
import os
import re
import sys
import types
import typing
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "runs"
OPTIMIZERS = ("adam", "sgd", "rmsprop")
DISTRIBUTE = ("none", "mirrored", "multi-worker")
METAVARS = {int: "N", float: "F"}  # how help spells a number: --epochs N, --learning-rate F


# Headings of --help (build_parser): the script's own flags, data, the groups the data sets add, then these two last.
DATA, TRAINING, SPEED = "data", "training", "speed and devices"


def option(default, help: str, choices: typing.Sequence | None = None, group: str | None = None):
    """A dataclass field that knows its help text and, optionally, the values it may take and its --help heading.

    Without a group the field is listed under the script's own heading, unless it overrides a field that has one.
    """
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "group": group})


@dataclasses.dataclass
class TrainConfig:
    """Settings every train script accepts. A folder subclasses it to add its own fields."""

    dataset: str = option("", "dataset to train on", group=DATA)
    epochs: int = option(
        100, "maximum number of passes over the training data (early stopping may end sooner)", group=TRAINING
    )
    batch_size: int = option(32, "examples per gradient step", group=TRAINING)
    learning_rate: float = option(1e-3, "optimizer step size", group=TRAINING)
    optimizer: str = option("adam", "optimizer", choices=OPTIMIZERS, group=TRAINING)
    seed: int = option(0, "random seed for weights, shuffling and dropout (data splits are fixed)", group=TRAINING)
    patience: int = option(10, "epochs without validation improvement before stopping early", group=TRAINING)
    reduce_lr_patience: int = option(
        0,
        "halve the learning rate after this many epochs without validation improvement (0: keep it fixed)",
        group=TRAINING,
    )
    clip_norm: float = option(
        0.0,
        "scale each gradient step down to at most this norm, against the sudden "
        "jumps recurrent networks can take (0: no clipping)",
        group=TRAINING,
    )
    output_dir: str = option(
        str(DEFAULT_OUTPUT_DIR), "folder under which each run writes a new run folder", group=TRAINING
    )
    quick: bool = option(
        False, "seconds-long run on a small slice of the data, for tests and a first look", group=TRAINING
    )
    verbose: bool = option(False, "show TensorFlow's start-up messages and debug logging", group=TRAINING)
    # Faster and bigger (issue #15): what each flag changes is written in the folder's own model.compile(...) call,
    # or beside its build_model(...). None of them is expected to speed up a run on a small CPU.
    jit_compile: bool = option(
        False,
        "compile the training step with XLA (model.compile(jit_compile=True)): the "
        "first epoch pays for compiling it; on a CPU expect little gain (off: Keras "
        "decides, XLA on a GPU where the model allows it, never on a CPU alone)",
        group=SPEED,
    )
    steps_per_execution: int = option(
        1,
        "training steps run per call into the compiled step (model.compile("
        "steps_per_execution=N)): less Python overhead per step; batch-level "
        "callbacks then see every Nth batch only",
        group=SPEED,
    )
    mixed_precision: bool = option(
        False,
        "compute in float16 while keeping the weights, the output layer and the "
        "loss in float32 (Keras' mixed_float16 policy, with loss scaling): "
        "faster on GPUs with float16 units, usually slower on a CPU, which "
        "emulates float16",
        group=SPEED,
    )
    tensorboard: bool = option(
        False,
        "also write TensorBoard logs to RUN_DIR/tensorboard (view them with tensorboard --logdir RUN_DIR/tensorboard)",
        group=SPEED,
    )
    distribute: str = option(
        "none",
        "train on several devices with tf.distribute: mirrored copies the model to "
        "every local GPU (on a CPU alone: two logical CPU devices), multi-worker to "
        "every machine in the TF_CONFIG environment variable; --batch-size stays the "
        "global batch, split between the copies",
        choices=DISTRIBUTE,
        group=SPEED,
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError, in words a student understands, for any value that cannot work."""
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and value is not None and value not in choices:
                raise ValueError(f"{flag_name(field.name)} must be one of {', '.join(choices)} (got {value!r})")
        require(self.epochs >= 1, f"--epochs must be at least 1 (got {self.epochs})")
        require(self.batch_size >= 1, f"--batch-size must be at least 1 (got {self.batch_size})")
        require(0 < self.learning_rate < 10, f"--learning-rate must be between 0 and 10 (got {self.learning_rate})")
        require(self.patience >= 0, f"--patience must be 0 or more (got {self.patience})")
        require(self.reduce_lr_patience >= 0, f"--reduce-lr-patience must be 0 or more (got {self.reduce_lr_patience})")
        require(self.clip_norm >= 0, f"--clip-norm must be 0 or more (got {self.clip_norm})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")
        require(
            self.steps_per_execution >= 1, f"--steps-per-execution must be at least 1 (got {self.steps_per_execution})"
        )
        output = Path(self.output_dir)
        require(not output.exists() or output.is_dir(), f"--output-dir {output} exists and is not a folder")
        if self.distribute != "none":
            require(
                keras_backend() == "tensorflow",
                f"--distribute {self.distribute} uses tf.distribute, which needs the TensorFlow backend "
                f"(KERAS_BACKEND is {keras_backend()!r})",
            )
        if self.distribute == "multi-worker":
            # Imported here because common/distribute.py builds on this module; it too imports only the standard
            # library at the top, so TF_CONFIG is still checked before TensorFlow loads.
            from common.distribute import read_tf_config

            read_tf_config()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class CellConfig:
    """Flags of the NumPy cell demonstrations (lstm/scratch.py, gru/scratch.py): a cell and a random sequence."""

    units: int = option(4, "size of the hidden state h (and of the LSTM's cell state c)")
    input_dim: int = option(3, "features per time step of the random input sequence")
    sequence_length: int = option(12, "time steps of the random input sequence")
    seed: int = option(0, "random seed for the weights and the input sequence")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        require(1 <= self.units <= 1024, f"--units must be between 1 and 1024 (got {self.units})")
        require(1 <= self.input_dim <= 1024, f"--input-dim must be between 1 and 1024 (got {self.input_dim})")
        require(
            1 <= self.sequence_length <= 10_000,
            f"--sequence-length must be between 1 and 10000 (got {self.sequence_length})",
        )
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def keras_backend() -> str:
    """The backend Keras will load (the KERAS_BACKEND environment variable, else TensorFlow), read without importing
    Keras, so that a config can refuse a backend before the slow import."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def make_run_dir(output_dir: str | Path, arch: str, dataset_name: str) -> Path:
    """A new folder output_dir/arch/<dataset>-<timestamp>[-n]; an existing folder is never reused.

    Here rather than in common/runs.py so that the NumPy-only scratch scripts can make run folders too.
    """
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(output_dir) / arch / f"{dataset_name}-{stamp}"
    candidate, number = base, 1
    while True:
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            number += 1
            candidate = base.with_name(f"{base.name}-{number}")


def require(condition: bool, message: str) -> None:
    """Raise ValueError(message) unless condition holds: the one way configs reject a value."""
    if not condition:
        raise ValueError(message)


def parse_int_list(text: str, flag: str) -> list[int]:
    """'64,32' -> [64, 32]; every entry must be a positive integer."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"{flag} must be comma-separated whole numbers such as 64,32 (got {text!r})") from None
    require(len(values) > 0 and all(v >= 1 for v in values), f"{flag} needs one or more sizes >= 1 (got {text!r})")
    return values


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help that shows every default and keeps the description's line breaks (it is the script's docstring).

    A default of None means "decided later" (say, per dataset); its help says how, so "(default: None)" is left out.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        return action.help if action.default is None else super()._get_help_string(action)


def value_type(hint) -> type:
    """int for `int`, and also for `int | None` (a flag whose default None is filled in by validate())."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return hint


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block) and exit status 2."""

    def error(self, message: str) -> typing.NoReturn:
        fail(f"{message} (see --help)", prog=self.prog)


def build_parser(
    config_class: type, description: str | None = None, prog: str | None = None
) -> argparse.ArgumentParser:
    """One flag per dataclass field; help shows each default. The flags are listed under the headings of their groups:
    the script's own (`lstm model`), `data`, the groups of flags only some data sets read, `training`, `speed and
    devices`. A config whose fields name no group (a scratch script's few flags) keeps them in one list."""
    parser = OneLineParser(prog=prog, description=description, formatter_class=HelpFormatter)
    hints = typing.get_type_hints(config_class)
    fields = dataclasses.fields(config_class)
    groups = {field.name: field_group(config_class, field.name) for field in fields}
    order = [None, *(g for g in dict.fromkeys(groups.values()) if g not in (None, TRAINING, SPEED)), TRAINING, SPEED]
    sections = {}
    if any(groups.values()):
        folder, script = script_name(config_class).removesuffix(".py").split("/")
        own = f"{folder} {'model' if script == 'train' else script}"  # lstm model, deep_rnn compare
        sections = {group: parser.add_argument_group(group or own) for group in order if group in groups.values()}
    for field in fields:
        section = sections.get(groups[field.name], parser)
        kind = value_type(hints[field.name])
        help_text = field.metadata.get("help", "").replace("%", "%%")  # argparse reads % as a format: "65%" -> "65%%"
        if kind is bool:  # a switch: --quick turns it on; one that defaults to on also gets --no-<name>
            action = argparse.BooleanOptionalAction if field.default else "store_true"
            section.add_argument(flag_name(field.name), action=action, default=field.default, help=help_text)
        else:
            section.add_argument(
                flag_name(field.name),
                type=kind,
                default=field.default,
                choices=field.metadata.get("choices"),
                metavar=METAVARS.get(kind),
                help=help_text,
            )
    return parser


def field_group(config_class: type, name: str) -> str | None:
    """The --help group of a field: the one its latest declaration names, so that a folder's field that changes only
    a shared default (`epochs: int = option(300, ...)`) stays under the shared heading; None: the script's own."""
    for klass in config_class.__mro__:
        field = getattr(klass, "__dataclass_fields__", {}).get(name)
        if field is not None and field.metadata.get("group"):
            return field.metadata["group"]
    return None


def script_name(config_class: type) -> str:
    """'ann/train.py': the folder and file of the script that defines config_class.

    The same however the script was started (python -m ann.train, python ann/train.py, python train.py inside ann/,
    or main([...]) from a test), where argparse's own name would be the bare file name, train.py, in every folder.
    """
    module = sys.modules.get(config_class.__module__)
    path = Path(getattr(module, "__file__", None) or sys.argv[0]).resolve()
    return f"{path.parent.name}/{path.name}"


# The script whose flags were parsed last: errors raised later, outside the parser (a missing data file, a failed
# download), are reported under its name too.
current_script: str | None = None


def parse_config(
    config_class: type,
    argv: typing.Sequence[str] | None = None,
    description: str | None = None,
    prog: str | None = None,
):
    """Parse argv (default: sys.argv[1:]) into config_class; a bad value exits 2 with one line on stderr.

    Errors start with the script's folder and file (`ann/train.py: error: ...`) unless prog names another.
    """
    global current_script
    current_script = prog or script_name(config_class)
    parser = build_parser(config_class, description, current_script)
    namespace = parser.parse_args(argv)
    try:
        return config_class(**vars(namespace))
    except ValueError as error:  # a value argparse let through but the config rejects: answered like a parse error
        parser.error(str(error))


def fail(message: str, prog: str | None = None) -> typing.NoReturn:
    """Print `prog: error: message` as a single line on stderr and exit with status 2."""
    prog = prog or current_script or Path(sys.argv[0]).name
    one_line = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(message)).split())  # no terminal colour codes
    print(f"{prog}: error: {one_line}", file=sys.stderr)
    raise SystemExit(2)


@contextmanager
def exit_on_bad_input(prog: str | None = None):
    """Turn ValueError and OSError (bad value, unknown name, missing file, failed download) into `fail`.

    Wrap only the steps that read user input (flags, data files, downloads), so that a genuine bug later in
    training still shows its traceback.
    """
    try:
        yield
    except (ValueError, OSError) as error:
        fail(str(error), prog)


def format_config(config) -> str:
    """The resolved config (any config dataclass: a TrainConfig, or a scratch script's own) as `flag value` lines,
    the first thing a run prints."""
    rows = [f"  {flag_name(name):<18} {value}" for name, value in dataclasses.asdict(config).items()]
    return "config:\n" + "\n".join(rows)
