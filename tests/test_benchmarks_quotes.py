"""benchmarks/quotes.py: every measured figure a README quotes is found in the row it cites, and every README passes.

The check is tried on small READMEs and tables written here (a stale figure, a missing row, a wrong date, a figure
with no citation must each be caught; a lesson's worked example must not be), then run on every README of the
repository.
"""

import pytest

from benchmarks import quotes

TABLE = """# Benchmark: demo/

Written by `python -m benchmarks.run demo` on 2026-12-06, Linux x86_64, Intel(R) Xeon(R) Processor, 2 CPU cores.

| command | test metric | mean | spread (sd) | train s (mean) | params |
|---|---|---|---|---|---|
| `python -m demo.train` | accuracy | 0.9869 | 0.0041 | 127.6 | 436,650 |
| `python -m demo.train --arch basic` | accuracy | 0.9600 | 0.0000 | 18.6 | 220,234 |

Note added by hand (2026-12-07): the basic row took 2.5 minutes of wall time.
"""


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """A repository with benchmarks/demo.md and a function that checks a README text against it."""
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "demo.md").write_text(TABLE, encoding="utf-8")
    (tmp_path / "demo").mkdir()
    monkeypatch.setattr(quotes, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(quotes, "BENCHMARKS_DIR", tmp_path / "benchmarks")

    def problems(text: str) -> list[str]:
        readme = tmp_path / "demo" / "README.md"
        readme.write_text(text, encoding="utf-8")
        return quotes.problems_in(readme)
    return problems


CITE = '([table](../benchmarks/demo.md "python -m demo.train"))'


def test_a_figure_in_its_row_passes_at_the_precision_shown(demo):
    text = f"## What to expect\n\nTest accuracy 0.987 ± 0.004, 436,650 weights, 128 s of training {CITE}.\n"
    assert demo(text) == []
    assert demo(f"## What to expect\n\nAbout 2 minutes of training {CITE}.\n") == []  # 127.6 s / 60


def test_a_stale_figure_is_caught(demo):
    problems = demo(f"## What to expect\n\nTest accuracy 0.9870 ± 0.0041 {CITE}.\n")
    assert len(problems) == 1 and "0.9870 is not in the cited rows" in problems[0]
    assert "demo/README.md:3" in problems[0]  # the file and the line of the unit
    # the other row's figure is not the cited row's: a row, not the whole file, is the source
    assert demo(f"## Going further\n\nThe basic network: 0.9600 {CITE}.\n") != []
    assert demo('## Going further\n\nThe basic network: 0.9600 ([t](../benchmarks/demo.md "python -m demo.train '
                '--arch basic")).\n') == []


def test_several_rows_and_the_notes_can_be_cited(demo):
    both = '([t](../benchmarks/demo.md "python -m demo.train; python -m demo.train --arch basic"))'
    assert demo(f"0.9869 against 0.9600 over ten seeds {both}\n") == []
    assert demo('Measured on 2026-12-07: 2.5 minutes ([t](../benchmarks/demo.md "notes"))\n') == []


def test_citations_name_a_real_row_and_file(demo):
    assert "has no row 'python -m demo.train --arch resnet'" in demo(
        '0.9869 ([t](../benchmarks/demo.md "python -m demo.train --arch resnet"))\n')[0]
    assert "names no row" in demo("0.9869 measured ([t](../benchmarks/demo.md))\n")[0]
    assert "does not exist" in demo('0.9869 ([t](../benchmarks/other.md "x"))\n')[0]


def test_dates_and_processors_must_match_the_cited_file(demo):
    assert demo(f"Run on 2026-12-06, Intel Xeon, 2 cores: 0.9869 {CITE}\n") == []
    assert "the date 2026-11-23" in demo(f"Run on 2026-11-23: 0.9869 {CITE}\n")[0]
    assert "names EPYC" in demo(f"Run on an AMD EPYC: 0.9869 {CITE}\n")[0]


def test_a_measured_figure_without_a_citation_is_caught_and_a_lesson_number_is_not(demo):
    assert "cite no benchmarks/ row (0.987)" in demo("## What to expect\n\nTest accuracy 0.987.\n")[0]
    assert "cite no benchmarks/ row" in demo("## The idea\n\nMeasured over ten seeds it scores 0.987.\n")[0]
    lesson = "## The equations\n\n-ln(1 - 0.92) = -ln 0.08 ≈ 2.526, and a sigmoid of 2.5 is 0.924.\n"
    assert demo(lesson) == []
    assert demo("## What to expect\n\n```\nEpoch 1/30 - accuracy: 0.8123\n```\n") == []  # real output, not a quote


def test_a_table_row_takes_the_citation_of_its_caption(demo):
    table = (f"## What to expect\n\nFrom {CITE}:\n\n| model | accuracy | params |\n|---|---|---|\n"
             "| default | 0.9869 | 436,650 |\n")
    assert demo(table) == []
    assert "0.9871 is not in the cited rows" in demo(table.replace("0.9869", "0.9871"))[0]


def test_numbers_are_read_as_written():
    figures = {shown: (round(value, 6), decimals, minutes) for shown, value, decimals, minutes in quotes.numbers_in(
        "0.9869 and 1,169 and 5.6% and 47% and 16 s and 3 minutes, not `--lr 0.005`, 2.21.0, 2026-12-06 or 10 seeds")}
    assert figures == {"0.9869": (0.9869, 4, False), "1,169": (1169.0, 0, False), "5.6%": (0.056, 3, False),
                       "47%": (0.47, 2, False), "16 s": (16.0, 0, False), "3 minutes": (3.0, 0, True)}


def test_main_reports_and_fails(demo, capsys):
    demo(f"## What to expect\n\nTest accuracy 0.9870 {CITE}.\n")
    assert quotes.main(["demo/README.md"]) == 1
    assert "0.9870 is not in the cited rows" in capsys.readouterr().out
    assert quotes.main(["nowhere/README.md"]) == 2
    assert capsys.readouterr().err.startswith("python -m benchmarks.quotes: error: no such file")


@pytest.mark.parametrize("readme", quotes.readme_files(), ids=lambda path: str(path.relative_to(quotes.REPO_ROOT)))
def test_every_measured_figure_of_every_readme_has_its_row(readme):
    assert quotes.problems_in(readme) == []
