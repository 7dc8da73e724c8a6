"""Every folder README is a lesson first and a record second, and every measured figure in it has a source.

A folder README has the same eight `##` sections in the same order (the idea in plain words, a picture, the
equations, how to run it, what to expect, exercises, the studies, the files). Every number in a table under "What to
expect" or "Going further" (the measured record) is in a table that a command wrote into `benchmarks/`, one of those
the README links to, equal after rounding to the decimals the README shows; so is every number in a row of the root
README's folder table, found in the table that row links to. Every link in the root README's learning path and
glossary points to a heading that exists.
"""

import re

import pytest

from common.config import REPO_ROOT

FOLDERS = ("ann", "cnn", "rnn", "lstm", "gru", "deep_rnn", "birnn", "attention", "autoencoder", "gan")
SECTIONS = ["The idea", "The picture", "The equations", "Run it", "What to expect", "Try next", "Going further",
            "Files"]
MEASURED_SECTIONS = {"What to expect", "Going further"}
# Folders whose benchmark rows are written but not yet run (python -m benchmarks.run autoencoder: about 45 minutes on
# 2 CPU cores): their READMEs may quote no measured table yet, and must say which command will measure them.
AWAITING_BENCHMARK: set[str] = set()
# A decimal (12.5, 0.9833), an integer written with thousands separators (1,169), or a decimal percentage (5.6%, read
# as 0.056); not inside a word or a version.
NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?![\d.])|\d+\.\d+%?(?![\d.]))")
LINKED_TABLE = re.compile(r"benchmarks/(\w+\.md)")


def sections(text: str) -> list[tuple[str, list[str]]]:
    """[(heading, lines)] for the `##` sections of a markdown text (code blocks are not searched for headings)."""
    found, inside = [("", [])], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        if not inside and line.startswith("## "):
            found.append((line[3:].strip(), []))
        else:
            found[-1][1].append(line)
    return found[1:]


def table_numbers(lines: list[str]) -> list[str]:
    """The numbers in the markdown table rows among `lines`, leaving out code (`--learning-rate 0.005`)."""
    numbers = []
    for line in lines:
        if line.startswith("|") and not re.fullmatch(r"[|\-: ]+", line):
            numbers += NUMBER.findall(re.sub(r"`[^`]*`", "", line))
    return numbers


def benchmark_values(text: str) -> list[float]:
    """Every number in the benchmarks/ tables that text links to (a README quotes its own tables, not any table)."""
    values = []
    for name in sorted(set(LINKED_TABLE.findall(text))):
        table = (REPO_ROOT / "benchmarks" / name).read_text(encoding="utf-8")
        values += [number_value(number) for number in NUMBER.findall(table)]
    return values


def number_value(number: str) -> float:
    return float(number.rstrip("%").replace(",", "")) / (100 if number.endswith("%") else 1)


def has_source(number: str, values: list[float]) -> bool:
    """True when some benchmark value shows as `number` at the README's precision (1,169 must be 1169 exactly)."""
    value = number_value(number)
    decimals = len(number.rstrip("%").split(".")[1]) if "." in number else 0
    decimals += 2 if number.endswith("%") else 0  # 5.6% is 0.056
    return any(abs(candidate - value) <= 0.5 * 10 ** -decimals + 1e-9 for candidate in values)


def test_number_matching_follows_rounding():
    values = [0.98333, 1169.0, 16.068]
    assert has_source("0.9833", values) and has_source("0.983", values) and has_source("16.1", values)
    assert not has_source("0.9834", values) and not has_source("16.2", values) and not has_source("1,170", values)
    assert has_source("98.3%", values) and not has_source("98.4%", values)
    assert table_numbers(["| `--lr 0.005` | 0.9833 ± 0.0028 (0.9806) | 1,169 | 5.6% |", "|---|---|"]) == [
        "0.9833", "0.0028", "0.9806", "1,169", "5.6%"]


def test_sources_are_the_linked_tables_only():
    values = benchmark_values("[table](../benchmarks/rnn.md)")
    assert values and has_source("0.1101", values)  # rnn's default row
    assert not has_source("0.1101", benchmark_values("no link here"))


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_has_the_eight_sections_in_order(folder):
    headings = [heading for heading, _ in sections((REPO_ROOT / folder / "README.md").read_text(encoding="utf-8"))]
    assert headings == SECTIONS


@pytest.mark.parametrize("folder", FOLDERS)
def test_measured_tables_quote_the_benchmarks(folder):
    text = (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")
    values = benchmark_values(text)
    checked, unsourced = 0, []
    for heading, lines in sections(text):
        if heading in MEASURED_SECTIONS:
            numbers = table_numbers(lines)
            checked += len(numbers)
            unsourced += [number for number in numbers if not has_source(number, values)]
    if folder in AWAITING_BENCHMARK:
        from benchmarks.run import BENCHMARKS
        assert checked == 0 and folder in BENCHMARKS, f"{folder} is measured: take it out of AWAITING_BENCHMARK"
        assert f"python -m benchmarks.run {folder}" in text
        return
    assert checked > 0, f"{folder}/README.md has no measured table"
    assert unsourced == [], f"{folder}/README.md quotes numbers no benchmarks/ table holds: {unsourced}"


def test_root_folder_table_quotes_each_rows_benchmark():
    root = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in dict(sections(root))["Folders"] if line.startswith("| [`")]
    assert len(rows) == len(FOLDERS)
    for row in rows:
        measured = row.rsplit("|", 2)[1]  # the last column: the measured default result and its table's link
        assert LINKED_TABLE.search(measured), f"no benchmarks/ table linked in: {row[:60]}"
        numbers, values = table_numbers(["|" + re.sub(r"\]\([^)]*\)", "]", measured) + "|"]), benchmark_values(measured)
        unsourced = [number for number in numbers if not has_source(number, values)]
        assert numbers and unsourced == [], f"{row[:40]}... quotes numbers its table does not hold: {unsourced}"


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_shows_a_committed_picture(folder):
    text = (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert pictures, f"{folder}/README.md shows no picture"
    for picture in pictures:
        assert (REPO_ROOT / folder / picture).is_file(), picture


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_learning_path_and_glossary_links_resolve():
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    root_sections = dict(sections(text))
    assert "Learning path" in root_sections and "Glossary" in root_sections
    links = []
    for heading in ("Learning path", "Glossary"):
        links += re.findall(r"\]\(([^)#]*)#?([^)]*)\)", "\n".join(root_sections[heading]))
    assert len(links) >= 20
    for path, fragment in links:
        target = REPO_ROOT / path if path else REPO_ROOT / "README.md"
        assert target.is_file(), path
        if fragment:
            headings = [line.lstrip("#").strip() for line in target.read_text(encoding="utf-8").splitlines()
                        if line.startswith("#")]
            assert fragment in {anchor(heading) for heading in headings}, f"{path}#{fragment}"
