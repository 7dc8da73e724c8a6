"""Shared fixtures: a helper that runs a train script's main() and captures what it printed."""

import pytest


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
