"""The drawn pictures of the READMEs (common/diagrams.py and each folder's diagrams.py).

Every folder draws at least one picture; the committed SVG files are what the code draws today (a changed drawing
with a stale file fails here, until `python -m common.diagrams` is run); the README's "The picture" section shows
them; the files do not change from one drawing to the next; and a folder's diagrams.py needs no Keras.
"""

import ast
import re

import pytest

from common import diagrams
from common.config import REPO_ROOT

FOLDERS = ("ann", "cnn", "rnn", "lstm", "gru", "deep_rnn", "birnn", "attention", "transformer", "autoencoder",
           "gan")


def picture_section(folder: str) -> str:
    text = (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")
    return text.split("\n## The picture\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_committed_pictures_are_what_the_code_draws(folder):
    files = diagrams.drawn_files(folder)
    assert files, f"{folder}/diagrams.py draws nothing"
    assert all(path.suffix == ".svg" and path.parent == REPO_ROOT / folder / "diagrams" for path in files)
    assert diagrams.stale(files) == [], "out of date: run python -m common.diagrams " + folder


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_readme_shows_its_drawn_pictures(folder):
    shown = re.findall(r"!\[[^\]]+\]\((diagrams/[\w\-]+\.svg)\)", picture_section(folder))
    assert shown, f"{folder}/README.md shows no drawn picture in 'The picture'"
    drawn = {f"diagrams/{path.name}" for path in diagrams.drawn_files(folder)}
    assert set(shown) <= drawn
    assert f"python -m common.diagrams {folder}" in (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folders_drawing_code_needs_no_keras(folder):
    tree = ast.parse((REPO_ROOT / folder / "diagrams.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"keras", "tensorflow", "jax"}
    assert ast.get_docstring(tree)


def drawing():
    figure, axis = diagrams.new_figure(6, 3)
    left, bottom, right, top = diagrams.box(axis, 1.5, 1.5, "Dense(4)")
    diagrams.circle(axis, 4.5, 1.5, r"$\sigma$")
    diagrams.arrow(axis, (right, 1.5), (4.15, 1.5), "z")
    return figure


def test_the_same_drawing_gives_the_same_file():
    first, second = diagrams.svg_text(drawing()), diagrams.svg_text(drawing())
    assert first == second and first.startswith("<?xml") and "<svg" in first
    assert not re.search(r"<dc:date>|Matplotlib v\d", first)  # no date, no version: nothing that changes by itself


def test_a_changed_drawing_is_out_of_date(tmp_path):
    path = tmp_path / "demo" / "diagrams" / "demo.svg"
    path.parent.mkdir(parents=True)
    text = diagrams.svg_text(drawing())
    path.write_text(text, encoding="utf-8")
    assert diagrams.stale({path: text}, root=tmp_path) == []
    # a last-digit difference is not a change; a moved box is
    assert diagrams.stale({path: text.replace(".5 ", ".50001 ", 1)}, root=tmp_path) == []
    figure, axis = diagrams.new_figure(6, 3)
    diagrams.box(axis, 2.5, 1.5, "Dense(4)")
    assert diagrams.stale({path: diagrams.svg_text(figure)}, root=tmp_path) == ["demo/diagrams/demo.svg"]
    # a picture no code draws any more is named too
    (path.parent / "old.svg").write_text(text, encoding="utf-8")
    assert diagrams.stale({path: text}, root=tmp_path) == ["demo/diagrams/old.svg"]


def test_the_command_checks_and_refuses_unknown_folders(capsys):
    assert diagrams.main(["--check", "ann", "lstm"]) == 0
    assert "diagrams up to date" in capsys.readouterr().out
    assert diagrams.main(["nowhere"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("python -m common.diagrams: error: no diagrams.py in nowhere")
