"""Shared fixtures: run a script's main() in-process, run it as a real subprocess, check a file is NumPy-only."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_main(capsys):
    """Call main(argv) and return (result, stdout lines, stderr lines); a SystemExit is returned as the result."""

    def run(main, argv):
        try:
            result = main(argv)
        except SystemExit as exit_:
            result = exit_
        captured = capsys.readouterr()
        return result, captured.out.splitlines(), captured.err.splitlines()

    return run


@pytest.fixture
def run_script():
    """Run `python *args` as a subprocess in cwd (default: the repository root); returns the CompletedProcess.

    The child does not inherit TF_CPP_MIN_LOG_LEVEL, which an in-process run has set in this process: a script must
    silence TensorFlow's start-up notices on its own, as it would for a user.
    """

    def run(args, cwd=REPO_ROOT, env=None):
        if env is None:
            env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
        return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)

    return run


@pytest.fixture
def assert_numpy_only(run_script):
    """Assert that a from-scratch module neither imports Keras or TensorFlow in its source nor loads them."""

    def check(module: str) -> None:
        source = REPO_ROOT / (module.replace(".", "/") + ".py")
        tree = ast.parse(source.read_text())  # every import, lazy ones inside functions too
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if name.split(".")[0] in ("keras", "tensorflow")}
        completed = run_script(["-c", f"import sys, {module}; print(sorted({{'keras', 'tensorflow'}} & set(sys.modules)))"])
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.strip() == "[]"

    return check


@pytest.fixture
def assert_bad_input(run_main, tmp_path):
    """Assert that main(argv) answers bad input with exit status 2, one stderr line containing `words`, no files.

    The line starts with the script's folder and file, `rnn/train.py: error: `, as the README promises.
    """

    def check(main, argv, words):
        output = tmp_path / "bad-input-runs"
        result, _, err = run_main(main, [*argv, "--quick", "--output-dir", str(output)])
        assert isinstance(result, SystemExit) and result.code == 2, err
        assert len(err) == 1 and words in err[0]
        assert err[0].startswith(main.__module__.replace(".", "/") + ".py: error: ")
        assert not output.exists()

    return check
