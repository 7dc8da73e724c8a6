"""How a config dataclass becomes a command line: one flag per field, --help under headings, errors in one line.

    from common.flags import option, parse_config
    class AnnConfig(TrainConfig):                           # common/config.py: the settings every folder shares
        hidden: str = option("64,32", "sizes of the hidden layers")
    config = parse_config(AnnConfig, ["--epochs", "5"])    # --hidden 64,32 --epochs 5 ...; a bad value: exit 2

Each field becomes a flag spelled the same way everywhere (`batch_size` -> `--batch-size`), its help text shows the
default, and --help lists it under its group's heading (`option(..., group=TRAINING)`). A config's `__post_init__`
validates (require), so a bad value raises `ValueError` whether it comes from the command line or from Python; on the
command line that error becomes one line on stderr and exit status 2 (fail), as does any bad input a script reads
inside exit_on_bad_input(). This module imports only the standard library: flags are checked before TensorFlow loads.
"""

import argparse
import dataclasses
import re
import sys
import types
import typing
from contextlib import contextmanager
from pathlib import Path

METAVARS = {int: "N", float: "F"}  # how help spells a number: --epochs N, --learning-rate F


# Headings of --help (build_parser): the script's own flags, data, the groups the data sets add, then these two last.
DATA, TRAINING, SPEED = "data", "training", "speed and devices"


def option(default, help: str, choices: typing.Sequence | None = None, group: str | None = None):
    """A dataclass field that knows its help text and, optionally, the values it may take and its --help heading.

    Without a group the field is listed under the script's own heading, unless it overrides a field that has one.
    """
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "group": group})


def require(condition: bool, message: str) -> None:
    """Raise ValueError(message) unless condition holds: the one way configs reject a value."""
    if not condition:
        raise ValueError(message)


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
    datasets = next((field.metadata.get("choices") for field in fields if field.name == "dataset"), None)
    headings = {group: shown_heading(group, datasets) for group in set(groups.values())}
    if any(groups.values()):
        folder, script = script_name(config_class).removesuffix(".py").split("/")
        own = f"{folder} {'model' if script == 'train' else script}"  # lstm model, deep_rnn compare
        sections = {
            group: parser.add_argument_group(headings[group] or group or own) for group in order if group in headings
        }
    for field in fields:
        section = sections.get(groups[field.name], parser)
        kind = value_type(hints[field.name])
        help_text = field.metadata.get("help", "").replace("%", "%%")  # argparse reads % as a format: "65%" -> "65%%"
        if headings[groups[field.name]] == "":  # a shared flag for data sets this script lacks
            help_text = argparse.SUPPRESS
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


def shown_heading(group: str | None, datasets: typing.Sequence[str] | None) -> str | None:
    """The heading of a group of flags that only some data sets read, naming only the data sets this script offers:
    "sine, airline, stock, text (windows)" -> "sine, airline, stock (windows)" for a script without text; "" when it
    offers none of them (its flags are then left out of --help); None for the other headings."""
    if group in (None, DATA, TRAINING, SPEED) or not datasets:
        return None
    names, _, qualifier = group.partition(" (")
    kept = [name for name in names.split(", ") if name in datasets]
    return ", ".join(kept) + (f" ({qualifier}" if qualifier else "") if kept else ""


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
