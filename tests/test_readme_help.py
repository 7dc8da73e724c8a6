"""Every `$ python -m MODULE --help` block in a README shows what the script prints today.

The lines a README copies after the command must appear in the real --help output, in the same order, and every
`--flag VALUE` a comment on those lines mentions must be the flag's default (or its choices, `--cell {rnn,lstm,gru}`).
Every script's --help must also work at all (a help text with a bare % once broke deep_rnn/compare.py's).
"""

import contextlib
import importlib
import io
import re

import pytest

from common.config import REPO_ROOT

READMES = sorted(REPO_ROOT.glob("*/README.md")) + [REPO_ROOT / "README.md"]
COMMAND = re.compile(r"^\$ python -m ([\w.]+) --help\b(.*)$")
SCRIPTS = ("ann.train", "cnn.train", "rnn.train", "lstm.train", "gru.train", "deep_rnn.train", "deep_rnn.compare",
           "birnn.train", "attention.train", "attention.compare", "attention.translate", "benchmarks.run",
           "benchmarks.tune", "common.export", "ann.scratch", "cnn.scratch", "rnn.scratch", "lstm.scratch",
           "gru.scratch", "birnn.scratch", "attention.scratch", "autoencoder.train", "autoencoder.scratch",
           "gan.train", "gan.scratch")


def help_blocks(readmes: list = READMES) -> list[tuple[str, str, list[str], str]]:
    """(readme, module, lines copied after the command, comments) for every --help command in a code block."""
    blocks = []
    for readme in readmes:
        lines, inside = readme.read_text(encoding="utf-8").splitlines(), False
        for index, line in enumerate(lines):
            if line.startswith("```"):
                inside = not inside
                continue
            match = COMMAND.match(line) if inside else None
            if not match:
                continue
            copied, comments = [], match.group(2)
            for following in lines[index + 1:]:
                if following.startswith("```") or following.startswith("$ "):
                    break
                if following.lstrip().startswith("#"):  # a comment continued on the next line
                    comments += " " + following
                else:
                    copied.append(following)
            name = str(readme.relative_to(REPO_ROOT)) if readme.is_relative_to(REPO_ROOT) else readme.name
            blocks.append((name, match.group(1), copied, comments))
    return blocks


def help_output(module: str, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps at the terminal width; the READMEs are 80 wide
    main = importlib.import_module(module).main
    output = io.StringIO()
    with contextlib.redirect_stdout(output), pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    return output.getvalue()


def defaults(help_text: str) -> dict[str, str]:
    """{"--epochs": "100", ...} from the options part of a --help output, under whichever group's heading."""
    options = help_text[help_text.index("options:"):]
    options = "\n".join(line for line in options.splitlines() if line.startswith(" "))  # not the headings
    entries = re.split(r"\n  (?=-)", options)
    found = {}
    for entry in entries:
        flat = " ".join(entry.split())
        flag = re.match(r"(--[\w-]+)", flat)
        default = re.search(r"\(default: ([^)]*)\)$", flat)
        if flag and default:
            found[flag.group(1)] = default.group(1)
    return found


@pytest.mark.parametrize("module", SCRIPTS)
def test_every_script_prints_its_help(module, monkeypatch):
    text = help_output(module, monkeypatch)
    assert text.startswith("usage: ") and "options:" in text


BLOCKS = help_blocks()


def test_help_blocks_are_found_in_code_blocks_only(tmp_path):
    """The READMEs now send a reader to --help rather than copy it; a block one still copies is found and checked."""
    readme = tmp_path / "README.md"
    readme.write_text("$ python -m ann.train --help   # not in a code block\n```\n$ python -m ann.train --help   "
                      "# --epochs 30\nusage: python -m ann.train [-h]\n  # shows --seed 0\n```\n", encoding="utf-8")
    assert help_blocks([readme]) == [("README.md", "ann.train", ["usage: python -m ann.train [-h]"],
                                      "   # --epochs 30   # shows --seed 0")]


@pytest.mark.parametrize("readme, module, copied, comments", BLOCKS,
                         ids=[f"{readme}:{module}" for readme, module, _, _ in BLOCKS])
def test_a_readme_help_block_matches_the_script(readme, module, copied, comments, monkeypatch):
    text = help_output(module, monkeypatch)
    printed = text.splitlines()
    position = 0
    for line in copied:  # an excerpt: the copied lines, in order, each exactly as printed
        assert line in printed[position:], f"{readme}: {line!r} is not in `python -m {module} --help` (any more)"
        position = printed.index(line, position) + 1
    known = defaults(text)
    for flag, value in re.findall(r"(--[\w-]+)(?: ([^\s-]\S*))?", comments):
        value = value.rstrip(",")  # "--cell {rnn,lstm,gru}, --merge-mode": the comma is the sentence's
        assert flag in text, f"{readme}: {flag} is not a flag of {module}"
        if value and value != "...":
            assert known.get(flag) == value or f"{flag} {value}" in " ".join(text.split()), \
                f"{readme}: {flag} {value}, but {module} says {known.get(flag)}"
