"""The drawn pictures of the READMEs: each folder's diagrams.py draws them with matplotlib, this module saves them.

    python -m common.diagrams              # write <folder>/diagrams/<name>.svg for every folder that has a diagrams.py
    python -m common.diagrams lstm gru     # only these folders
    python -m common.diagrams --check      # write nothing; exit 1 naming every picture that is not what its code draws

A folder's `diagrams.py` has one function, `draw() -> dict[str, Figure]` (file name, such as "lstm_cell.svg", to the
matplotlib figure), and draws with the small vocabulary below: boxes, circles, arrows and labels on an axis measured
in the units of the drawing. No diagram is edited by hand; edit the code and run the command. The files are SVG,
written so that the same code always gives the same text (no date, fixed ids, text drawn as paths in matplotlib's own
font), which is what lets tests/test_diagrams.py fail when a committed picture is out of date with its code.
"""

import argparse
import importlib
import io
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the Agg backend: no window, no display needed)
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent

# One palette for every folder, so that an input, a layer or an output looks the same in every README.
COLORS = {
    "input": "#dbeafe",  # data going in (pale blue)
    "layer": "#fde68a",  # a layer with weights (pale yellow)
    "gate": "#fecaca",  # a gate or a nonlinearity (pale red)
    "state": "#d1fae5",  # a state carried along: hidden state, cell state, code (pale green)
    "output": "#e9d5ff",  # what comes out (pale violet)
    "plain": "#f3f4f6",  # anything else (light grey)
    "line": "#374151",  # edges and arrows (dark grey)
    "accent": "#dc2626",  # the one thing a picture points at (red)
}
STYLE = {
    "font.family": "DejaVu Sans",  # shipped inside matplotlib: the same glyphs on every machine
    "font.size": 11,
    "svg.fonttype": "path",  # text as shapes: the picture looks the same in every browser
    "svg.hashsalt": "keras-examples",  # fixed ids inside the file: the same drawing gives the same text
    "path.simplify": False,
}


def new_figure(width: float, height: float, scale: float = 0.55) -> tuple[plt.Figure, plt.Axes]:
    """A blank figure whose axis runs from 0 to width and 0 to height, one unit = `scale` inches, no ticks."""
    with plt.rc_context(STYLE):
        figure = plt.figure(figsize=(width * scale, height * scale))
        axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axis.set_xlim(0, width)
    axis.set_ylim(0, height)
    axis.set_aspect("equal")
    axis.set_axis_off()
    return figure, axis


def box(
    axis: plt.Axes,
    x: float,
    y: float,
    text: str = "",
    width: float = 2.0,
    height: float = 0.8,
    color: str = "layer",
    size: float | None = None,
    rounded: bool = True,
) -> tuple[float, float, float, float]:
    """A box centred on (x, y) with text inside; returns its (left, bottom, right, top) for placing arrows."""
    style = "round,pad=0,rounding_size=0.15" if rounded else "square,pad=0"
    axis.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle=style,
            facecolor=COLORS.get(color, color),
            edgecolor=COLORS["line"],
            linewidth=1.2,
        )
    )
    if text:
        label(axis, x, y, text, size=size)
    return x - width / 2, y - height / 2, x + width / 2, y + height / 2


def circle(
    axis: plt.Axes,
    x: float,
    y: float,
    text: str = "",
    radius: float = 0.35,
    color: str = "gate",
    size: float | None = None,
) -> None:
    """A circle centred on (x, y) with text inside (a neuron, or an operation such as + or x)."""
    axis.add_patch(Circle((x, y), radius, facecolor=COLORS.get(color, color), edgecolor=COLORS["line"], linewidth=1.2))
    if text:
        label(axis, x, y, text, size=size)


def arrow(
    axis: plt.Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    text: str = "",
    color: str = "line",
    width: float = 1.2,
    bend: float = 0.0,
    alpha: float = 1.0,
    size: float | None = None,
    head: bool = True,
) -> None:
    """An arrow from start to end (bend > 0 curves it to the left), with text at its middle."""
    axis.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>,head_length=4,head_width=2.5" if head else "-",
            connectionstyle=f"arc3,rad={bend}",
            color=COLORS.get(color, color),
            linewidth=width,
            alpha=alpha,
            shrinkA=0,
            shrinkB=0,
        )
    )
    if text:
        label(axis, (start[0] + end[0]) / 2, (start[1] + end[1]) / 2, text, size=size, background="white")


def label(
    axis: plt.Axes,
    x: float,
    y: float,
    text: str,
    size: float | None = None,
    align: str = "center",
    color: str = "black",
    background: str | None = None,
    **options,
) -> None:
    """Text at (x, y); `$...$` in it is drawn as mathematics (matplotlib's mathtext)."""
    box_style = {"boxstyle": "square,pad=0.1", "facecolor": background, "edgecolor": "none"} if background else None
    with plt.rc_context(STYLE):
        axis.text(
            x,
            y,
            text,
            ha=align,
            va="center",
            fontsize=size or STYLE["font.size"],
            color=color,
            bbox=box_style,
            **options,
        )


def svg_text(figure: plt.Figure) -> str:
    """The figure as SVG text, the same for the same drawing (no date, no software version, fixed ids)."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    plt.close(figure)
    return buffer.getvalue()


def comparable(svg: str) -> str:
    """The SVG with every number rounded to one decimal (a tenth of a point), so that a last-digit difference between
    two machines or two patch releases of matplotlib does not count as a changed picture."""
    return re.sub(r"-?\d+\.\d+", lambda number: f"{float(number[0]):.1f}", svg)


def folders_with_diagrams(root: Path = REPO_ROOT) -> list[str]:
    """The folders of the repository that draw pictures: those with a diagrams.py (found, not listed), common/ aside."""
    return sorted(path.parent.name for path in root.glob("*/diagrams.py") if path.parent.name != "common")


def drawn_files(folder: str, root: Path = REPO_ROOT) -> dict[Path, str]:
    """{path of <folder>/diagrams/<name>: the SVG text its code draws today}."""
    figures = importlib.import_module(f"{folder}.diagrams").draw()
    return {root / folder / "diagrams" / name: svg_text(figure) for name, figure in figures.items()}


def stale(files: dict[Path, str], root: Path = REPO_ROOT) -> list[str]:
    """The drawn files that are missing or differ from the committed ones, and committed ones no code draws."""
    out_of_date = [
        path
        for path, text in files.items()
        if not path.is_file() or comparable(path.read_text(encoding="utf-8")) != comparable(text)
    ]
    folders = {path.parent for path in files}
    out_of_date += [path for folder in folders for path in sorted(folder.glob("*.svg")) if path not in files]
    return [str(path.relative_to(root)) for path in out_of_date]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m common.diagrams", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="*", help="folders to draw (default: every folder with a diagrams.py)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming every picture that is not what its code draws",
    )
    args = parser.parse_args(argv)
    known = folders_with_diagrams()
    unknown = [folder for folder in args.folders if folder not in known]
    if unknown:
        print(
            f"python -m common.diagrams: error: no diagrams.py in {', '.join(unknown)}; folders that draw "
            f"pictures: {', '.join(known)}",
            file=sys.stderr,
        )
        return 2
    files = {}
    for folder in args.folders or known:
        files.update(drawn_files(folder))
    out_of_date = stale(files)
    if args.check:
        if out_of_date:
            print(f"out of date (run python -m common.diagrams): {', '.join(out_of_date)}", file=sys.stderr)
            return 1
        print(f"diagrams up to date: {len(files)} pictures")
        return 0
    for path, text in files.items():
        if str(path.relative_to(REPO_ROOT)) in out_of_date:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    for name in out_of_date:
        if (REPO_ROOT / name) not in files:
            print(f"not drawn by any code (remove it, or draw it in its folder's diagrams.py): {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
