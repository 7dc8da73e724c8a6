"""Copy one folder into a new folder that runs and tests on its own: for a lab submission, say.

    python -m common.export lstm my_lab      # then: cd my_lab && python -m lstm.train --quick && python -m pytest -q

DEST receives the folder, exactly the common/ files it imports (read from the import statements, followed from file
to file, lazy imports inside functions included), the data/ files those files name, requirements.txt, the folder's
own tests with tests/conftest.py and pytest.ini, and a README.md saying where it all came from. DEST must not exist
yet or be empty: nothing is ever overwritten. Standard library only.
"""

import argparse
import ast
import datetime
import shutil
import subprocess  # nosec B404
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python common/export.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import REPO_ROOT
from common.flags import OneLineParser, fail

PROG = "common/export.py"
SKIPPED = ("__pycache__", "*.pyc")


def folders() -> list[str]:
    """The folders that can be exported: every top-level folder with a train.py."""
    return sorted(path.parent.name for path in REPO_ROOT.glob("*/train.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module path.py imports by name, at the top or inside a function: {"common.config", "common", ...}.

    `from common import plots` counts as common.plots (a module of the package), as Python resolves it.
    """
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def common_files(sources: list[Path]) -> list[Path]:
    """The common/*.py files that sources need, directly or through each other (common/__init__.py included)."""
    needed, queue = {REPO_ROOT / "common" / "__init__.py"}, list(sources)
    while queue:
        for module in imported_modules(queue.pop()):
            path = REPO_ROOT / (module.replace(".", "/") + ".py")
            if module.startswith("common.") and path.is_file() and path not in needed:
                needed.add(path)
                queue.append(path)
    return sorted(needed)


def data_files(sources: list[Path]) -> list[Path]:
    """The files in data/ whose names appear in the text of sources (data/README.md comes along with any)."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    named = [
        path
        for path in sorted((REPO_ROOT / "data").glob("*"))
        if path.is_file() and path.name != "README.md" and path.name in text
    ]
    readme = REPO_ROOT / "data" / "README.md"
    return named + [readme] if named and readme.is_file() else named


def test_files(folder: str) -> list[Path]:
    """tests/test_<folder>.py and tests/test_<folder>_*.py, with the fixtures they share."""
    tests = REPO_ROOT / "tests"
    own = sorted({*tests.glob(f"test_{folder}.py"), *tests.glob(f"test_{folder}_*.py")})
    return [tests / "conftest.py", *own]


def source_revision() -> str:
    """The commit this copy came from, if the repository is a git checkout ("" otherwise)."""
    try:
        # A fixed command and no shell: nothing a user typed reaches it. "git" is found on PATH like any tool the
        # user runs; without one the copy's README simply names no commit.
        completed = subprocess.run(  # nosec B603 B607
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""


def export(folder: str, dest: Path) -> dict:
    """Write the standalone copy of folder into dest (which must not exist or be empty); returns what was copied."""
    folder_sources = sorted((REPO_ROOT / folder).glob("*.py"))
    tests = test_files(folder)
    common = common_files(folder_sources + tests)
    data = data_files(folder_sources + common)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO_ROOT / folder, dest / folder, ignore=shutil.ignore_patterns(*SKIPPED))
    for path in [*common, *data, *tests, REPO_ROOT / "requirements.txt", REPO_ROOT / "pytest.ini"]:
        target = dest / path.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    common_lines = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in common)
    revision = source_revision()
    (dest / "README.md").write_text(
        f"# {folder}/, standalone\n\n"
        f"Exported by `python -m common.export {folder}` from the Keras examples repository"
        f"{f' at commit {revision}' if revision else ''} on {datetime.date.today().isoformat()}: `{folder}/` "
        f"(its lesson: see {folder}/README.md), the {len(common)} files of `common/` it imports "
        f"({common_lines} lines), {'the data files it reads, ' if data else ''}its tests and `requirements.txt`.\n\n"
        "```bash\n"
        "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt\n"
        f"python -m {folder}.train --quick     # a few seconds; without --quick the full run\n"
        "python -m pytest -q                 # the folder's tests\n"
        "```\n",
        encoding="utf-8",
    )
    return {
        "folder": folder,
        "dest": str(dest),
        "common_files": [path.name for path in common],
        "common_lines": common_lines,
        "data_files": [path.name for path in data],
        "test_files": [path.name for path in tests],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", choices=folders(), help="the folder to export")
    parser.add_argument("dest", help="a new (or empty) folder to write")
    args = parser.parse_args(argv)
    dest = Path(args.dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        fail(f"{dest} already exists and is not an empty folder; nothing was written (choose a new DEST)", prog=PROG)
    try:
        summary = export(args.folder, dest)
    except OSError as error:
        fail(f"cannot write {dest}: {error.strerror or error}", prog=PROG)
    print(
        f"{summary['folder']}/ -> {summary['dest']}: common/ {len(summary['common_files'])} files "
        f"({summary['common_lines']} lines: {', '.join(summary['common_files'])}), "
        f"data/ {', '.join(summary['data_files']) or 'nothing'}, tests {', '.join(summary['test_files'])}"
    )
    return summary


if __name__ == "__main__":
    main()
