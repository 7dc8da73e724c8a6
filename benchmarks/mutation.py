"""Mutation testing: how many small planted bugs the tests of a module catch, written to benchmarks/mutation.md.

    python -m benchmarks.mutation                         # every module below (slow: not run by CI)
    python -m benchmarks.mutation common/metrics.py       # one module

mutmut changes the code of one module at a time in many small ways (a + for a -, a 0 for a 1, a condition negated, a
line dropped: a "mutant"), runs the tests that cover the module against each mutant, and counts a mutant "killed"
when a test fails. A mutant that survives is a change to the code that no test notices: either a missing test, or an
equivalent mutant (a change that cannot alter any result), which benchmarks/mutation.md then says in a line.

Each module runs in a fresh scratch copy of the working tree (tracked files and new ones git does not ignore), so
nothing here is touched; the table is rewritten, keeping its '## Lab record' (the survivors' explanations) below it.
"""

import argparse
import ast
import datetime
import fnmatch
import re
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from benchmarks.run import LAB_RECORD, lab_record, machine_description

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "benchmarks" / "mutation.md"
# The modules where a silent bug changes a number a README quotes (issue 30): for each, the functions mutated (mutmut's
# names, with * as a wildcard; None: the whole module) and the tests that cover them.
FORECAST_TESTS = ["tests/test_common_forecasting.py", "tests/test_properties.py", "tests/test_baselines.py",
                  "tests/test_common_sequences.py", "tests/test_common_forecast_series.py"]
TARGETS = {
    "common/metrics.py": (None, ["tests/test_common_metrics.py", "tests/test_baselines.py"]),
    "common/forecasting.py": (None, FORECAST_TESTS),  # windows, time splits, transforms, the scaler
    "common/forecast_series.py": (None, FORECAST_TESTS),
    "common/forecast_evaluation.py": (
        ["*x_persistence_forecast_*", "*x_seasonal_naive_forecast_*", "*x_sarima_forecast_*",
         "*x_forecast_in_original_units_*", "*x_evaluate_forecast_*"],  # all but plot_forecast, a picture
        FORECAST_TESTS,
    ),
    "common/text.py": (None, ["tests/test_properties.py", "tests/test_baselines.py", "tests/test_common_sequences.py"]),
    "common/evaluation.py": (None, ["tests/test_common_evaluation.py", "tests/test_baselines.py"]),
    "autoencoder/evaluation.py": (None, ["tests/test_autoencoder_evaluation.py", "tests/test_baselines.py",
                                         "tests/test_autoencoder.py", "tests/test_loss_terms.py"]),
    "gan/evaluation.py": (None, ["tests/test_gan_evaluation.py", "tests/test_baselines.py",
                                 "tests/test_loss_terms.py"]),
    "gan/model.py": (
        ["*xǁGANǁ*", "*x_sample_noise_*", "*x_generate_*"],  # the adversarial step and sampling, not the layers
        ["tests/test_gan_step.py", "tests/test_loss_terms.py",
         *[f"tests/test_gan.py::{name}" for name in (  # not its quick runs: minutes each
            "test_one_step_from_an_undecided_discriminator_gives_the_equilibrium_loss_and_moves_both_networks",
            "test_save_and_load_in_safe_mode_gives_identical_outputs",
            "test_the_conditional_generator_draws_what_it_is_asked_for_differently")]],
    ),
    "attention/layers.py": (None, ["tests/test_attention_layers.py"]),
    "serve/schemas.py": (None, ["tests/test_serve.py", "tests/test_serve_abuse.py"]),
    "serve/limits.py": (
        ["*x_allowed_hosts_*", "*x_host_name_*", "*x_is_ip_address_*", "*HeaderSize*", "*TrustedHost*", "*BodyLimits*",
         "*ModelQueue*"],  # the request checks (not the server's start-up)
        ["tests/test_serve_limits.py", "tests/test_serve_abuse.py"],
    ),
}
# Modules of Keras layers and models: Keras reads a layer's __init__ signature when the layer is made, and mutmut's
# stand-in for a mutated function takes (*args, **kwargs), so their __init__ is left as it is (marked in the scratch
# copy only; its checks of arguments are tested directly).
KERAS_CLASSES = ("attention/layers.py", "gan/model.py")
SURVIVOR = re.compile(r"^\s*(\S+): (survived|suspicious|no tests|skipped)\s*$")


def scratch_copy(destination: Path) -> None:
    """The working tree's files (tracked, and untracked ones git does not ignore) copied into destination."""
    listed = subprocess.run(  # nosec B603 B607
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO_ROOT, capture_output=True,
        check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def skip_inits(source: str) -> str:
    """source with `# pragma: no mutate block` closing the header of every `__init__` (the line ending in its colon,
    where mutmut 3.8 reads a pragma that covers a whole function)."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            header = next(i for i in range(node.lineno - 1, len(lines)) if lines[i].rstrip().endswith(":"))
            lines[header] += "  # pragma: no mutate block"
    return "\n".join(lines) + "\n"


def mutate(module: str, scratch: Path) -> dict:
    """Run mutmut on one module in scratch; {"module", "killed", "total", "survivors": [(name, state, changed line)]}.
    A mutant that makes the tests run past mutmut's time limit (a loop that never ends) counts as caught."""
    functions, tests = TARGETS[module]
    if module in KERAS_CLASSES:
        source = scratch / module
        source.write_text(skip_inits(source.read_text()))
    folders = sorted(path.name for path in scratch.iterdir() if path.name != "mutants")
    lines = ["[mutmut]", f"source_paths={module}", "also_copy=", *[f"    {folder}" for folder in folders],
             "pytest_add_cli_args_test_selection=", *[f"    {test}" for test in tests],
             # Each mutant's tests run in a process forked from a server that has imported the tests and run nothing:
             # TensorFlow hangs in a process forked after it ran an operation (mutmut's default forks its own process).
             "process_isolation=forkserver",
             "pytest_add_cli_args=", "    -p", "    no:xdist", "    -p", "    no:cacheprovider"]
    (scratch / "setup.cfg").write_text("\n".join(lines) + "\n")
    # One process: mutmut forks a test run per mutant itself, and xdist's workers would not see its trampolines.
    settings = (REPO_ROOT / "pytest.ini").read_text()
    (scratch / "pytest.ini").write_text(re.sub(r"(?m)^addopts = .*$", 'addopts = -m "not slow"', settings))
    shutil.rmtree(scratch / "mutants", ignore_errors=True)
    # mutmut's own script, not `python -m mutmut`: that would put the scratch folder first on sys.path, and the tests
    # would import the unmutated modules from there instead of mutmut's mutants/ copy.
    mutmut = str(Path(sys.executable).parent / "mutmut")
    subprocess.run([mutmut, "run", *(functions or [])], cwd=scratch, capture_output=True)  # nosec B603
    results = subprocess.run([mutmut, "results", "--all", "true"], cwd=scratch,  # nosec B603
                             capture_output=True, text=True).stdout
    chosen = [line for line in results.splitlines() if ": " in line
              and (functions is None or any(fnmatch.fnmatch(line.split(": ")[0].strip(), name) for name in functions))]
    states = [line.rsplit(": ", 1)[-1].strip() for line in chosen]
    survivors = []
    for line in chosen:
        match = SURVIVOR.match(line)
        if match:
            shown = subprocess.run([mutmut, "show", match[1]], cwd=scratch,  # nosec B603
                                   capture_output=True, text=True).stdout
            changed = next((row[1:].strip() for row in shown.splitlines()
                            if row.startswith("+") and not row.startswith("+++")), "")
            survivors.append((match[1], match[2], changed))
    caught = states.count("killed") + states.count("timeout")
    return {"module": module, "killed": caught, "total": len(states), "survivors": survivors}


def row(result: dict, minutes: float) -> str:
    functions, tests = TARGETS[result["module"]]
    score = result["killed"] / result["total"] if result["total"] else float("nan")
    chosen = ", ".join(f"`{name}`" for name in functions) if functions else "all"
    chosen += " but `__init__`" if result["module"] in KERAS_CLASSES else ""
    return (f"| {result['module']} | {chosen} | {result['total']} | {result['killed']} | {score:.0%} | "
            f"{datetime.date.today().isoformat()} | {minutes:.1f} | {', '.join(tests)} |")


def earlier_sections(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """From an existing benchmarks/mutation.md: {module: its table row} and {module: its survivors' section}."""
    rows = {line.split("|")[1].strip(): line for line in text.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip() in TARGETS}
    sections = {}
    for part in re.split(r"(?m)^### ", text.split("\n## Survivors\n", 1)[-1].split(f"\n{LAB_RECORD}\n")[0])[1:]:
        module = part.splitlines()[0].strip()
        if module in TARGETS:
            sections[module] = "### " + part.rstrip() + "\n"
    return rows, sections


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"modules to mutate (default: {', '.join(TARGETS)})")
    args = parser.parse_args(argv)
    unknown = [module for module in args.modules if module not in TARGETS]
    if unknown:
        parser.exit(2, f"python -m benchmarks.mutation: error: no tests are named for {', '.join(unknown)}; "
                       f"choose from {', '.join(TARGETS)}\n")
    rows, sections = earlier_sections(OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else "")
    results = []
    for module in args.modules or TARGETS:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="mutation-") as folder:  # the tree as it is when the module starts
            scratch_copy(Path(folder))
            results.append(mutate(module, Path(folder)))
        rows[module] = row(results[-1], (time.perf_counter() - start) / 60)
        survivors = [f"- `{name}` ({state}): `{changed}`" for name, state, changed in results[-1]["survivors"]]
        sections[module] = f"### {module}\n\n" + "\n".join(survivors or ["- none"]) + "\n"
        print(rows[module], flush=True)
        # Written after every module, so that a long run stopped part-way keeps what it measured.
        write_table(rows, sections)
    print(f"wrote {OUTPUT}")
    return results


def write_table(rows: dict[str, str], sections: dict[str, str]) -> None:
    order = [module for module in TARGETS if module in rows]
    text = (
        "# Mutation testing\n\n"
        f"Written by `python -m benchmarks.mutation [module ...]` (each row on its date; the latest run on "
        f"{machine_description()}, run alone and niced), mutmut {version('mutmut')}. A row: the module, the functions "
        f"mutated (all, or mutmut's names of those where a bug changes a quoted number), the mutants, those a test "
        f"caught (failed, or ran past mutmut's time limit), the score, the date, the minutes it took, and the tests "
        f"run against each mutant (of these, the ones that run the mutated function).\n\n"
        "| module | functions | mutants | caught | score | date | minutes | tests run |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows[module] for module in order) + "\n\n"
        "## Survivors\n\nEach mutant no test caught: it wants a test, or a line in the lab record below saying why "
        "no test can catch it (an equivalent mutant: a change that cannot alter any result).\n\n"
        + "\n".join(sections[module] for module in order if module in sections)
    )
    OUTPUT.write_text(text + lab_record(OUTPUT))


if __name__ == "__main__":
    main()
