"""benchmarks/mutation.py's bookkeeping: the command refuses an unknown module, and a run of some modules rewrites
their rows and survivors while keeping every other module's and the lab record. (mutmut itself is slow: the command is
run by hand, its table is benchmarks/mutation.md.)"""

import pytest

from benchmarks import mutation


def fake_mutate(module, scratch):
    caught = {"common/metrics.py": 9, "serve/schemas.py": 4}[module]
    survivors = [] if caught == 9 else [(f"{module}.x_f__mutmut_1", "survived", "return None")]
    return {"module": module, "killed": caught, "total": 10, "survivors": survivors}


def test_an_unknown_module_is_one_line_exit_2_and_nothing_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mutation, "OUTPUT", tmp_path / "mutation.md")
    with pytest.raises(SystemExit) as exit_info:
        mutation.main(["common/nothing.py"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"python -m benchmarks.mutation: error: no tests are named for common/nothing.py; choose from "
        f"{', '.join(mutation.TARGETS)}"]
    assert not (tmp_path / "mutation.md").exists()


def test_a_run_rewrites_its_modules_and_keeps_the_others_and_the_lab_record(tmp_path, monkeypatch):
    output = tmp_path / "mutation.md"
    monkeypatch.setattr(mutation, "OUTPUT", output)
    monkeypatch.setattr(mutation, "mutate", fake_mutate)
    monkeypatch.setattr(mutation, "scratch_copy", lambda destination: None)
    mutation.main(["common/metrics.py", "serve/schemas.py"])
    output.write_text(output.read_text() + "\n## Lab record\n\nserve/schemas.py.x_f__mutmut_1: equivalent.\n")
    first = output.read_text()
    assert "| common/metrics.py | all | 10 | 9 | 90% |" in first
    assert "| serve/schemas.py | all | 10 | 4 | 40% |" in first
    assert "- `serve/schemas.py.x_f__mutmut_1` (survived): `return None`" in first
    monkeypatch.setattr(mutation, "mutate", lambda module, scratch: {**fake_mutate(module, scratch), "killed": 10})
    mutation.main(["common/metrics.py"])
    second = output.read_text()
    assert "| common/metrics.py | all | 10 | 10 | 100% |" in second and "90%" not in second
    assert "| serve/schemas.py | all | 10 | 4 | 40% |" in second and "x_f__mutmut_1` (survived)" in second
    assert second.index("### common/metrics.py") < second.index("### serve/schemas.py") < second.index("## Lab record")
    assert second.endswith("## Lab record\n\nserve/schemas.py.x_f__mutmut_1: equivalent.\n")


def test_keras_classes_keep_their_init_and_only_it():
    source = ("class Layer:\n"
              "    def __init__(self, units: int,\n"
              "                 seed: int | None = None, **kwargs):\n"
              "        self.units = units\n\n"
              "    def call(self, x):\n"
              "        return x\n")
    marked = mutation.skip_inits(source).splitlines()
    # the pragma closes the header's last line, where mutmut reads one that covers the whole function
    assert [i for i, line in enumerate(marked) if "pragma" in line] == [2]
    assert marked[2].endswith("**kwargs):  # pragma: no mutate block")
    assert set(mutation.KERAS_CLASSES) <= set(mutation.TARGETS)
