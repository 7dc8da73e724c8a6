"""Write every notebooks/<folder>.ipynb from its one source, notebooks/src/<folder>.py, and the folder's README.md.

    python -m notebooks.build            # write the notebooks and the table of notebooks/README.md
    python -m notebooks.build --check    # write nothing; exit 1 naming every file that is not what the build writes

A notebook is never edited by hand: edit notebooks/src/<folder>.py (the code, and the words that belong to the
notebook alone) or the folder's README.md (the lesson), then build. The source is jupytext's percent format, read
here by a few lines of code:

    # %% [markdown]                 a markdown cell: each line starts with "# " (a bare "#" is an empty line)
    # %%                            a code cell; `# %% tags=["parameters"]` tags it (the cell a test overrides)
    # %matplotlib inline            in a code cell, a commented IPython magic becomes the magic itself
    <!-- README: The idea -->       on its own line in a markdown cell: the text of the section "## The idea" of
                                    the folder's README.md (the heading is the source's), links pointed at the folder
    # <<< train.py: Data            a code cell's only line: the code of the section "# ---- Data" of main() in the
                                    folder's train.py, as it is (code_section); "train.py train_model: Model" names
                                    another function, "Setup" is the part before the first section, "imports" the
                                    file's imports and its own names; "Setup compare=True" adds a setting

So the code cells are the train script's own lines: a notebook has no copy of it to drift, and a change to
lstm/train.py changes notebooks/lstm.ipynb (--check fails until it is built). Two lines change on the way: the flag
parsing becomes the settings cell's config (QUICK, OUTPUT_DIR), and the closing `return` becomes `result`.

Every notebook opens with the README's title and the setup cell below (Colab, the repository on sys.path), written
here once. Outputs are stripped and cell ids fixed, so the same sources always give the same bytes.
"""

import argparse
import ast
import json
import re
import sys
from pathlib import Path

import nbformat

NOTEBOOKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = NOTEBOOKS_DIR.parent
SOURCE_DIR = NOTEBOOKS_DIR / "src"
README = NOTEBOOKS_DIR / "README.md"
FOLDERS = ("ann", "cnn", "rnn", "lstm", "gru", "deep_rnn", "birnn", "attention", "transformer", "autoencoder",
           "gan")

# The repository's public address on GitHub (https://github.com/OWNER/NAME): Colab clones it, and the "Open in Colab"
# links of README.md point into it. The repository has none yet; while this is empty the links are left out and the
# setup cell tells a Colab user to set it.
REPOSITORY_URL = ""
BRANCH = "main"

SETUP_MARKDOWN = """## Setup

Run the cells from top to bottom. On Colab the next cell fetches the repository and installs its requirements (a few
minutes, once per session; if Colab asks to restart the session afterwards, do so and run the cells again). On your
own machine it finds the repository this notebook sits in, so that the folders import as they do for `python -m`."""

SETUP_CODE = '''import sys
from pathlib import Path

REPOSITORY_URL = {url}  # written by notebooks/build.py
if "google.colab" in sys.modules:  # on Colab: a fresh machine with nothing of the repository on it
    import subprocess

    if not REPOSITORY_URL:
        raise RuntimeError("the repository has no public address yet: set REPOSITORY_URL in this cell to a copy of "
                           "it on GitHub (your fork, say), then run the cell again")
    REPO_ROOT = Path("/content") / REPOSITORY_URL.rstrip("/").split("/")[-1].removesuffix(".git")
    if not REPO_ROOT.is_dir():
        subprocess.run(["git", "clone", "--depth", "1", REPOSITORY_URL, str(REPO_ROOT)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r", str(REPO_ROOT / "requirements.txt")],
                       check=True)
else:  # on your machine: Jupyter starts in notebooks/, one folder below the repository root
    REPO_ROOT = next((folder for folder in (Path.cwd(), *Path.cwd().parents)
                      if (folder / "common" / "config.py").is_file()), None)
    if REPO_ROOT is None:
        raise RuntimeError(f"no folder above {{Path.cwd()}} holds the repository: start Jupyter inside it")
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))'''

CELL_MARKER = re.compile(r"# %%(?P<markdown> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?")
MAGIC = re.compile(r"# (?P<magic>%[a-z]\w*.*)")
DIRECTIVE = re.compile(r"<!-- README: (?P<heading>.+) -->")
CODE_DIRECTIVE = re.compile(r"# <<< (?P<file>\w+\.py)(?: (?P<function>\w+))?: (?P<section>\w+)(?: (?P<fields>.+))?")
SECTION = "# ---- "  # how a train script's main() marks its sections: "# ---- Data: ..."
PARSE_CONFIG = re.compile(r"config = parse_config\((?P<config_class>\w+), argv, description=__doc__\)")
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
TABLE_START = "<!-- The table is written by python -m notebooks.build from notebooks/build.py: edit that, not this. -->"
TABLE_END = "<!-- End of the written table. -->"


# ----------------------------------------------------------------------------------------------------------------
# Reading the sources


def read_cells(path: Path) -> list[dict]:
    """The cells of a percent-format file, as {"kind": "markdown" | "code", "lines": [...], "tags": [...]}.

    Lines before the first cell marker are the file's header (its docstring) and are not copied.
    """
    cells = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = CELL_MARKER.fullmatch(line.rstrip())
        if marker:
            cells.append({"kind": "markdown" if marker["markdown"] else "code", "lines": [],
                          "tags": json.loads(marker["tags"] or "[]")})
        elif cells and cells[-1]["kind"] == "markdown":
            if line.strip() and not (line == "#" or line.startswith("# ")):
                raise ValueError(f"{path.name}:{number}: a markdown line must start with '# ' (got {line!r})")
            cells[-1]["lines"].append(line[2:])
        elif cells:
            magic = MAGIC.fullmatch(line)
            cells[-1]["lines"].append(magic["magic"] if magic else line)
    return cells


def readme_title(folder: str) -> str:
    """The first line of the folder's README.md without its '# ': `ann/ — fully connected networks, ...`."""
    return (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8").splitlines()[0].removeprefix("# ")


def readme_section(folder: str, heading: str) -> str:
    """The text under '## heading' in the folder's README.md (without the heading line), up to the next '## '
    heading outside a code block, with its relative links rewritten so that they work from notebooks/."""
    section, inside_code = None, False
    for line in (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            inside_code = not inside_code
        if not inside_code and line.startswith("## "):
            if section is not None:
                break
            if line == f"## {heading}":
                section = []
                continue
        if section is not None:
            section.append(line)
    if section is None:
        raise ValueError(f"{folder}/README.md has no section '## {heading}'")
    text = "\n".join(section).strip()
    return LINK.sub(lambda link: f"]({rebase_link(link['target'], folder)})", text)


def rebase_link(target: str, folder: str) -> str:
    """A link of <folder>/README.md, seen from notebooks/: both are one folder below the root, so '../x' stays."""
    if re.match(r"[a-z]+:", target) or target.startswith(("../", "/")):
        return target
    if target.startswith("#"):
        return f"../{folder}/README.md{target}"
    return f"../{folder}/{target}"


# ----------------------------------------------------------------------------------------------------------------
# The folder's own code


def code_section(folder: str, file: str, section: str, function: str = "main", fields: str = "") -> str:
    """The lines of one section of `function` in <folder>/<file>, dedented, as a notebook cell runs them.

    Sections start at a comment `# ---- Name...` at the function body's own indentation (one inside a nested function
    stays with its section); "Setup" is what comes before the first. "imports" is instead the file's own imports and
    `from <folder>.<module> import` the names it defines (its config class, ...). ValueError for a section or
    function that is not there, or a `return` the notebook cannot turn into `result`. fields (`compare=True`) are
    added to the settings the config is made from."""
    path = REPO_ROOT / folder / file
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    lines = text.splitlines()
    if section == "imports":
        imports = [ast.get_source_segment(text, node) for node in tree.body
                   if isinstance(node, (ast.Import, ast.ImportFrom))]
        names = [node.name for node in tree.body
                 if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name != "main"]
        return "\n".join([*imports, f"from {folder}.{path.stem} import {', '.join(names)}"])
    nodes = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == function]
    if not nodes:
        raise ValueError(f"{folder}/{file} has no function {function}()")
    statements = nodes[0].body
    if isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant):  # its docstring
        statements = statements[1:]
    body = lines[statements[0].lineno - 1 : nodes[0].end_lineno]
    indent = body[0][: len(body[0]) - len(body[0].lstrip())]
    sections, name = {}, "Setup"
    for line in body:
        if line.startswith(indent + SECTION):
            name = line[len(indent + SECTION) :].split()[0].strip(":,")
        sections.setdefault(name, []).append(line[len(indent) :] if line.strip() else "")
    if section not in sections:
        raise ValueError(f"{folder}/{file}'s {function}() has no section {section!r} (it has {', '.join(sections)})")
    code = []
    for line in sections[section]:
        settings = ", ".join(["quick=QUICK", "output_dir=str(OUTPUT_DIR)", *([fields] if fields else [])])
        line = PARSE_CONFIG.sub(rf"config = \g<config_class>({settings})", line)
        if line.startswith("return "):
            returned = line.removeprefix("return ")
            if returned.startswith("finish_run("):
                line = f"result = {returned}"
            elif returned == "result":
                continue
            else:
                raise ValueError(f"{folder}/{file}: a notebook cannot take the section {section!r}'s {line!r}")
        code.append(line)
    return "\n".join(code).strip()


def expand_code(lines: list[str], folder: str) -> list[str]:
    """A code cell's lines, with each `# <<< file: section` line replaced by that code (code_section)."""
    expanded = []
    for line in lines:
        directive = CODE_DIRECTIVE.fullmatch(line.strip())
        if directive:
            expanded += code_section(folder, directive["file"], directive["section"],
                                     directive["function"] or "main", directive["fields"] or "").splitlines()
        else:
            expanded.append(line)
    return expanded


# ----------------------------------------------------------------------------------------------------------------
# Writing a notebook


def build_notebook(folder: str) -> nbformat.NotebookNode:
    """The notebook of one folder: title, setup, then the cells of notebooks/src/<folder>.py with the README inlined."""
    cells = [nbformat.v4.new_markdown_cell(
        f"# {readme_title(folder)}\n\n"
        f"The lesson of [{folder}/README.md](../{folder}/README.md) and the code of `{folder}/train.py`, step by step. "
        f"Generated from `notebooks/src/{folder}.py` and the README by `python -m notebooks.build`: edit those, not "
        f"this notebook."),
        nbformat.v4.new_markdown_cell(SETUP_MARKDOWN),
        nbformat.v4.new_code_cell(SETUP_CODE.format(url=json.dumps(REPOSITORY_URL)))]
    for cell in read_cells(SOURCE_DIR / f"{folder}.py"):
        if cell["kind"] == "markdown":
            lines = [expand_directive(line, folder) for line in cell["lines"]]
            cells.append(nbformat.v4.new_markdown_cell("\n".join(lines).strip()))
        else:
            cells.append(nbformat.v4.new_code_cell("\n".join(expand_code(cell["lines"], folder)).strip()))
        if cell["tags"]:
            cells[-1].metadata["tags"] = cell["tags"]
    for index, cell in enumerate(cells):
        cell.id = f"{folder}-{index:02d}"  # fixed ids: the same source gives the same file
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return notebook


def expand_directive(line: str, folder: str) -> str:
    directive = DIRECTIVE.fullmatch(line.strip())
    return readme_section(folder, directive["heading"]) if directive else line


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The .ipynb file's text: nbformat's own layout (sorted keys, one-space indent), ending in a newline."""
    return nbformat.writes(notebook).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------------------------------------------
# The table of notebooks/README.md


def colab_link(folder: str, repository_url: str = REPOSITORY_URL) -> str:
    """The address that opens notebooks/<folder>.ipynb in Colab, which reads it from GitHub ('' without an address)."""
    if not repository_url:
        return ""
    owner_and_name = repository_url.removeprefix("https://github.com/").removesuffix("/").removesuffix(".git")
    return f"https://colab.research.google.com/github/{owner_and_name}/blob/{BRANCH}/notebooks/{folder}.ipynb"


def notebook_table(repository_url: str = REPOSITORY_URL) -> str:
    rows = ["| notebook | the lesson of | Colab |", "|---|---|---|"]
    for folder in FOLDERS:
        link = colab_link(folder, repository_url)
        colab = f"[Open in Colab]({link})" if link else "no link yet: the repository has no public address"
        title = readme_title(folder).split(" — ", 1)[-1]
        rows.append(f"| [`{folder}.ipynb`]({folder}.ipynb) | [`{folder}/`](../{folder}/README.md): {title} | {colab} |")
    return "\n".join(rows)


def readme_with_table(text: str) -> str:
    """notebooks/README.md's text with the table between its two marker lines written afresh."""
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"{README.name} lacks the marker lines around the table:\n{TABLE_START}\n{TABLE_END}")
    before, rest = text.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    return f"{before}{TABLE_START}\n{notebook_table()}\n{TABLE_END}{after}"


# ----------------------------------------------------------------------------------------------------------------
# The command


def built_files() -> dict[Path, str]:
    """Every file the build writes, with the text it writes."""
    files = {NOTEBOOKS_DIR / f"{folder}.ipynb": notebook_text(build_notebook(folder)) for folder in FOLDERS}
    files[README] = readme_with_table(README.read_text(encoding="utf-8"))
    return files


def stale_files(files: dict[Path, str]) -> list[str]:
    """Names (relative to the repository) of the files that differ from the build's, and of any notebook in
    notebooks/ that the build does not write (one made by hand)."""
    stale = [path for path, text in files.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    stale += sorted(path for path in NOTEBOOKS_DIR.glob("*.ipynb") if path not in files)
    return [str(path.relative_to(REPO_ROOT)) for path in stale]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notebooks.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming every file that is not what the build writes")
    check = parser.parse_args(argv).check
    files = built_files()
    stale = stale_files(files)
    if check:
        if stale:
            print(f"out of date (run python -m notebooks.build): {', '.join(stale)}", file=sys.stderr)
            return 1
        print(f"notebooks up to date: {len(files) - 1} notebooks and the table of notebooks/README.md")
        return 0
    for path, text in files.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    for name in stale:
        if name.endswith(".ipynb") and (REPO_ROOT / name) not in files:
            print(f"not written by the build (remove it, or give it a source in notebooks/src/): {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
