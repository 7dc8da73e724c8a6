"""Every folder README is a lesson first and a record second: its shape, its length, its summary, its links.

A folder README has the same eight `##` sections in the same order (the idea in plain words, a picture, the
equations, how to run it, what to expect, exercises, the studies, the files), at most 2,500 words (a quarter of an
hour of reading; the root README at most 3,000), and its lesson closes with a short "### Summary". Every row of the
root README's folder table cites the benchmarks/ row of its measured result (tests/test_benchmarks_quotes.py checks
every quoted figure against its row). Every link in the root README's learning path and glossary points to a heading
that exists, and the glossary defines the terms the folders use.
"""

import re

import pytest

from benchmarks.quotes import CITATION, NUMBER, readme_files
from common.config import REPO_ROOT

FOLDERS = ("ann", "cnn", "rnn", "lstm", "gru", "deep_rnn", "birnn", "attention", "transformer", "autoencoder",
           "gan")
SECTIONS = ["The idea", "The picture", "The equations", "Run it", "What to expect", "Try next", "Going further",
            "Files"]
FOLDER_WORDS, ROOT_WORDS = 2500, 3000  # a folder's lesson in a quarter of an hour; the root README a little more


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


def test_sections_are_split_at_headings_outside_code():
    text = "# Title\n## One\na\n```\n## not a heading\n```\n## Two\nb\n"
    assert [(heading, len(lines)) for heading, lines in sections(text)] == [("One", 4), ("Two", 1)]


@pytest.mark.parametrize("folder", FOLDERS)
def test_readme_has_the_eight_sections_in_order(folder):
    headings = [heading for heading, _ in sections((REPO_ROOT / folder / "README.md").read_text(encoding="utf-8"))]
    assert headings == SECTIONS


def test_root_folder_table_cites_each_rows_benchmark():
    """Each row's measured result cites its row of a benchmarks/ table."""
    root = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in dict(sections(root))["Folders"] if line.startswith("| [`")]
    assert len(rows) == len(FOLDERS)
    for row in rows:
        measured = row.rsplit("|", 2)[1]  # the last column: the measured default result and its table's link
        citation = CITATION.search(measured)
        assert citation and citation["title"], f"no benchmarks/ row cited in: {row[:60]}"
        assert NUMBER.search(re.sub(r"\]\([^)]*\)", "]", measured)), f"no measured figure in: {row[:60]}"


def words(path) -> int:
    """The words of a Markdown file as `wc -w` counts them: every run of non-blank characters, code included."""
    return len(path.read_text(encoding="utf-8").split())


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_folder_readme_reads_in_a_quarter_of_an_hour(folder):
    assert words(REPO_ROOT / folder / "README.md") <= FOLDER_WORDS


def test_the_root_readme_is_short():
    assert words(REPO_ROOT / "README.md") <= ROOT_WORDS


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_lesson_closes_with_a_summary(folder):
    """The last subsection of "The equations" is "### Summary": three to six bullets of what to remember."""
    equations = dict(sections((REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")))["The equations"]
    subsections = [index for index, line in enumerate(equations) if line.startswith("### ")]
    assert subsections and equations[subsections[-1]] == "### Summary"
    bullets = [line for line in equations[subsections[-1]:] if line.startswith("- ")]
    assert 3 <= len(bullets) <= 6


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def links_in(text: str) -> list[str]:
    """The targets of the markdown links of text (a link's "title" left out)."""
    return re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)


def broken_links(page, text: str) -> list[str]:
    """The relative links of text, a part of page, whose file is missing or whose #fragment names no heading."""
    broken = []
    for target in links_in(text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif fragment and file.suffix == ".md":
            headings = [line.lstrip("#").strip() for line in file.read_text(encoding="utf-8").splitlines()
                        if line.startswith("#")]
            if fragment not in {anchor(heading) for heading in headings}:
                broken.append(target)
    return broken


def test_learning_path_and_glossary_links_resolve():
    page = REPO_ROOT / "README.md"
    root_sections = dict(sections(page.read_text(encoding="utf-8")))
    assert "Learning path" in root_sections and "Glossary" in root_sections
    text = "\n".join(root_sections["Learning path"] + root_sections["Glossary"])
    assert len(links_in(text)) >= 20
    assert broken_links(page, text) == []


@pytest.mark.parametrize("page", readme_files(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(page):
    """A link to a file of the repository finds it, and a #fragment finds its heading (READMEs were cut and moved)."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert broken_links(page, text) == []


# The terms each page must teach (issue 29's "define before use" and "what the course names"), and the corrections
# found in a review, each as a phrase that the page says when it teaches the term right (case is ignored).
TAUGHT = {
    "ann": ["perceptron", "dendrite", "xor", "precision", "recall", "f1", "breast_cancer", "validation split",
            "relu", "softmax", "dropout", "deep learning",
            "square root of a running average of `g²`",  # RMSprop divides by the root of the average, not the average
            "undertrained"],  # the underfitting picture's curves still rise when training stops
    "cnn": ["relu", "softmax", "dropout", "batch normalization", "precision", "validation"],
    "rnn": ["spectral radius", "mae", "mse", "rmse", "validation"],
    "lstm": ["mae", "mse", "rmse", "validation", "random walk",
             "two-fifths"],  # 16.5 against the seasonal naive 41.9 is about 40% of its error, not "about half"
    "gru": ["bits per character", "temperature", "softmax", "validation",
            "the training loss is the mean over the epoch's batches"],  # the main reason it sits above validation
    "deep_rnn": ["softmax", "dropout", "validation", "mse"],
    "birnn": ["softmax", "concat", "validation"],
    "attention": ["softmax", "teacher forcing", "exact match", "token accuracy", "validation"],
    "autoencoder": ["transposed convolution", "singular value", "latent code", "reparameterization", "kl divergence",
                    "mse", "validation"],
    "gan": ["transposed convolution", "jensen-shannon", "log-odds", "discriminator", "mode collapse",
            "-d(g(z))", "-(1 - d(g(z)))"],  # the two generator gradients, each with its sign
    "serve": ["flask", "streamlit", "fastapi"],
}
GLOSSARY_TERMS = ["precision, recall, f1", "mae, mse, rmse", "training, validation, test split", "latent code",
                  "reparameterization", "mode collapse", "discriminator", "transposed convolution", "jensen-shannon",
                  "log-odds", "spectral radius", "singular values", "softmax", "dropout", "batch normalization"]


@pytest.mark.parametrize("folder", sorted(TAUGHT))
def test_each_readme_teaches_its_terms(folder):
    text = (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8").lower()
    assert [term for term in TAUGHT[folder] if term not in text] == []


def test_the_glossary_defines_the_terms_and_the_root_readme_shows_the_workflow():
    root = dict(sections((REPO_ROOT / "README.md").read_text(encoding="utf-8")))
    defined = " ".join(re.findall(r"^- \*\*(.+?)\*\*", "\n".join(root["Glossary"]), flags=re.MULTILINE)).lower()
    assert [term for term in GLOSSARY_TERMS if term not in defined] == []
    steps = re.split(r"^\d+\. ", "\n".join(root["From data to a served model"]), flags=re.MULTILINE)[1:]
    expected = [("Collect", "dataset.py"), ("Prepare", "common/"), ("Design", "model.py"), ("Train", "train.py"),
                ("Evaluate", "benchmarks/"), ("Deploy", "serve/")]
    assert len(steps) == len(expected)
    for step, (verb, place) in zip(steps, expected):
        assert step.startswith(f"**{verb}") and place in step, step[:60]
