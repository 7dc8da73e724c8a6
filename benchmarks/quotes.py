"""Every measured figure a README quotes, traced to the row of the benchmarks/ table it cites.

    python -m benchmarks.quotes            # every README: print each figure that its cited row does not hold; exit 1
    python -m benchmarks.quotes lstm/README.md

How a README cites. A figure is quoted in a *unit*: a table row, a list item (with its continuation lines), a
paragraph or a heading. The unit links the table it comes from, and the link's title names the row, by the text of
the row's first cell (backticks left out); several rows are separated by "; ":

    test RMSE 16.5 ± 0.9 over 10 seeds ([table](../benchmarks/lstm.md "python -m lstm.train"))

A table row cites its own links and those of the paragraph just above its table (its caption). The title
`notes` cites the file's prose (the lines outside its tables: the header and notes added by hand).

What is checked, in every unit that cites:
- every decimal (0.9869), number with thousands separators (1,169), percentage (5.6%, 47%) and duration (16 s,
  3 minutes) outside `code` must equal a number of a cited row, after rounding to the decimals the README shows
  (a duration in minutes may be a row's seconds divided by 60);
- every date (2026-12-06) must be in a cited file, and a processor the unit names (AMD EPYC, Intel Xeon) in its header;
- every title must name a row that exists.
And a unit must cite when it quotes such a number or a date and is a measured one: it sits in "What to expect" or in
the root README's "Folders", or it speaks of measuring (measured, seeds, benchmark, test accuracy, train seconds, ...).
Numbers of the lesson (a worked example, an equation) need no citation; code blocks and $$ blocks are not read.
"""

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_DIR = REPO_ROOT / "benchmarks"

# 0.9869 | 1,169 | 5.6% | 47% | 16 s | 3 minutes; not inside a word, a version (2.21.0) or a date.
NUMBER = re.compile(r"(?<![\w.,\-/])(?:(\d{1,3}(?:,\d{3})+|\d+\.\d+)(%)?|(\d+)(%|\s?(?:s|ms|seconds|minutes|min)\b))"
                    r"(?!\d|\.\d|-\d)")
DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
PROCESSORS = ("EPYC", "Xeon")
CITATION = re.compile(r"\]\((?:\.\./)*benchmarks/(?P<file>[\w.]+\.md)(?:#[\w\-]*)?(?:\s+\"(?P<title>[^\"]*)\")?\)")
LINK = re.compile(r"\]\([^)]*\)")
MEASURED_WORDS = re.compile(
    r"\b(measured|seeds|benchmark|test (?:accuracy|rmse|mse|mae|exact match|loss|error)|train(?:ing)? seconds|"
    r"s of training|s a run|bits per character|FID)\b", re.IGNORECASE)
MEASURED_SECTIONS = ("What to expect", "Folders")


@dataclass
class Unit:
    """A table row, list item, paragraph or heading of a markdown file, with where it starts and its section."""
    text: str
    line: int
    section: str
    is_table_row: bool = False
    caption: str = ""  # for a table row: the paragraph just above its table
    problems: list[str] = field(default_factory=list)


def units(text: str) -> list[Unit]:
    """The units of a markdown text, leaving out fenced code blocks and $$ blocks."""
    found: list[Unit] = []
    section, skipping, current, last_paragraph, in_table = "", None, None, "", False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if skipping:
            if stripped.startswith(skipping):
                skipping = None
            continue
        if stripped.startswith(("```", "~~~")):
            skipping, current = stripped[:3], None
            continue
        if stripped == "$$" or (stripped.startswith("$$") and not stripped.endswith("$$")):
            skipping, current = "$$", None
            continue
        if not stripped:
            if current is not None and not current.is_table_row:
                last_paragraph = current.text
            current, in_table = None, False
            continue
        if line.startswith("#"):
            section = line.lstrip("#").strip() if line.startswith("## ") else section
            found.append(Unit(stripped, number, section))
            current = None
            continue
        if stripped.startswith("|"):
            if not in_table:
                in_table = True
                caption = current.text if current is not None and not current.is_table_row else last_paragraph
            if not re.fullmatch(r"[|\-: ]+", stripped):
                found.append(Unit(stripped, number, section, is_table_row=True, caption=caption))
            current = found[-1] if found else None
            continue
        starts_item = re.match(r"\s*(?:[-*+]|\d+\.)\s", line)
        if current is None or starts_item or current.is_table_row:
            if current is not None and not current.is_table_row:
                last_paragraph = current.text
            current = Unit(stripped, number, section)
            found.append(current)
        else:
            current.text += " " + stripped
    return found


def numbers_in(text: str) -> list[tuple[str, float, int, bool]]:
    """(as written, value, decimals shown, in minutes) for each figure of the text, code and link targets left out."""
    text = LINK.sub("]", without_code(text))
    text = DATE.sub("", text)
    figures = []
    for match in NUMBER.finditer(text):
        digits, percent = (match[1], match[2]) if match[1] else (match[3], match[4] if match[4] == "%" else None)
        value = float(digits.replace(",", ""))
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        if percent:
            value, decimals = value / 100, decimals + 2
        minutes = bool(match[4]) and match[4].strip() in ("minutes", "min")
        figures.append((match[0].strip(), value, decimals, minutes))
    return figures


def without_code(text: str) -> str:
    """The text with its `code` spans left out (a flag's value is not a figure, a link in code is not a citation)."""
    return re.sub(r"`[^`]*`", "", text)


@dataclass
class Table:
    """A benchmarks/ file as the check reads it, each part read once."""
    text: str                   # the whole file
    header: str                 # the lines before its first table: the title and "Written by ... on DATE, MACHINE"
    prose: str                  # every line outside its tables: the header and the notes added by hand
    rows: dict[str, list[str]]  # {first cell without backticks: [the row lines it starts]}


def read_table(path: Path) -> Table:
    text = path.read_text(encoding="utf-8")
    rows: dict[str, list[str]] = {}
    prose, header, in_header = [], [], True
    for line in text.splitlines():
        if line.startswith("|"):
            in_header = False
            if not re.fullmatch(r"[|\-: ]+", line.strip()):
                key = " ".join(line.strip("|").split("|")[0].replace("`", "").split())
                rows.setdefault(key, []).append(line)
        else:
            prose.append(line)
            header += [line] if in_header else []
    return Table(text, "\n".join(header), "\n".join(prose), rows)


def row_values(lines: list[str]) -> list[float]:
    values = []
    for line in lines:
        for _, value, _, _ in numbers_in(line.replace("`", " ")):
            values.append(value)
        values += [float(number) for number in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", line)]
    return values


def has_source(value: float, decimals: int, minutes: bool, values: list[float]) -> bool:
    """True when a cited value shows as the README's figure at the README's precision."""
    tolerance = 0.5 * 10 ** -decimals + 1e-9
    candidates = [candidate / 60 for candidate in values] if minutes else values
    return any(abs(candidate - value) <= tolerance for candidate in candidates)


def check_unit(unit: Unit, readme: Path) -> list[str]:
    """The problems of one unit: an uncited measured figure, a figure its cited rows lack, a missing row or file."""
    citations = list(CITATION.finditer(without_code(unit.text)))
    if unit.is_table_row:
        citations += CITATION.finditer(without_code(unit.caption))
    figures = numbers_in(unit.text)
    dates = DATE.findall(without_code(unit.text))
    where = f"{readme.relative_to(REPO_ROOT)}:{unit.line}"
    if not citations:
        measured = unit.section in MEASURED_SECTIONS or MEASURED_WORDS.search(LINK.sub("]", unit.text))
        if (figures or dates) and measured and not unit.text.startswith("#"):
            shown = ", ".join([figure[0] for figure in figures] + dates)
            return [f"{where}: measured figures cite no benchmarks/ row ({shown}): {unit.text[:90]}"]
        return []
    values, tables, problems = [], [], []
    for citation in citations:
        path = BENCHMARKS_DIR / citation["file"]
        if not path.is_file():
            problems.append(f"{where}: cites benchmarks/{citation['file']}, which does not exist")
            continue
        table = read_table(path)
        tables.append(table)
        if not citation["title"]:
            if figures:
                problems.append(f"{where}: the link to benchmarks/{citation['file']} names no row (add a title: "
                                f"[table](../benchmarks/{citation['file']} \"FIRST CELL OF THE ROW\"))")
            continue
        for key in (part.strip() for part in citation["title"].split(";")):
            if key == "notes":
                values += row_values([table.prose])
            elif key in table.rows:
                values += row_values(table.rows[key])
            else:
                problems.append(f"{where}: benchmarks/{citation['file']} has no row {key!r}")
    for shown, value, decimals, minutes in figures:
        if values and not has_source(value, decimals, minutes, values):
            problems.append(f"{where}: {shown} is not in the cited rows: {unit.text[:90]}")
    for date in dates:
        if tables and not any(date in table.text for table in tables):
            problems.append(f"{where}: the date {date} is not in the cited file")
    for processor in PROCESSORS:
        if processor in unit.text and tables and not any(processor in table.header for table in tables):
            problems.append(f"{where}: names {processor}, which the cited file's header does not")
    return problems


def readme_files(root: Path = REPO_ROOT) -> list[Path]:
    """The READMEs and pages a student reads: README.md, every <folder>/README.md, and docs/*.md."""
    return [root / "README.md", *sorted(root.glob("*/README.md")), *sorted(root.glob("docs/*.md"))]


def problems_in(readme: Path) -> list[str]:
    return [problem for unit in units(readme.read_text(encoding="utf-8")) for problem in check_unit(unit, readme)]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = [REPO_ROOT / name for name in args] or readme_files()
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        print(f"python -m benchmarks.quotes: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    problems = [problem for path in files for problem in problems_in(path)]
    print("\n".join(problems) if problems else f"every measured figure of {len(files)} files has its row")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
