"""Training speed: each folder's default model in examples per second, plain and with each speed flag.

    python -m benchmarks.speed                  # all ten folders: writes benchmarks/speed.md (about 25 min, 2 cores)
    python -m benchmarks.speed ann rnn          # some folders only
    python -m benchmarks.speed ann --quick      # a dry run on --quick slices: runs/benchmarks/speed-quick.md

Examples per second. fit passes over the training split once per epoch, and common/training.py's EpochTimer records
the seconds of each epoch's training steps (the validation pass at the epoch's end is not included). The first epoch
is a warm-up: Keras traces the training step into a graph then (and XLA compiles it, with --jit-compile), seconds
that later epochs do not pay. So every run trains a few epochs, and

    examples/s = training examples per epoch / median(seconds of each epoch after the first)

the median so that one epoch slowed by something else on the machine does not move the number. The settings are the
folder's default command (its default data set and model) with one change each, and a ratio is the setting's
examples/s divided by plain's, measured in the same run of this command:
    plain      python -m FOLDER.train
    jit        --jit-compile            XLA compiles the whole training step into one program
    mixed      --mixed-precision        float16 maths, float32 weights
    mirrored   --distribute mirrored    two model replicas, each on half of every batch (two logical CPU devices)
    JAX        KERAS_BACKEND=jax        the same script on Keras' JAX backend
TensorFlow splits a CPU into two logical devices only before its runtime starts, and Keras picks its backend once
per process, so the runs go to child processes started with --child, which you never type: one for plain, jit and
mixed, one for mirrored, one for JAX. Each runs the scripts' main() in-process and writes its numbers to a JSON
file; this process turns them into the table. A run that fails (the gan refuses JAX) is a cell "n/a", its reason a
footnote.

FLOPs (floating-point operations: one multiply or one add) per training example are counted from the model itself
(forward_flops), and the machine's peak from its processor (cpu_peak): see their docstrings.
"""

import argparse
import contextlib
import datetime
import importlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python benchmarks/speed.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import REPO_ROOT
from common.flags import OneLineParser, fail
from common.console import quiet_tensorflow

PROG = "benchmarks/speed.py"
FOLDERS = ("ann", "cnn", "rnn", "lstm", "gru", "deep_rnn", "birnn", "attention", "autoencoder", "gan")
# One warm-up epoch (it pays for tracing, and XLA's compiling) and three timed ones, whose median is the measure, in
# every folder: the whole table takes about 35 minutes on 2 CPU cores. --quick: one warm-up, one timed.
EPOCHS, QUICK_EPOCHS = 4, 2
SETTINGS = {"plain": [], "jit": ["--jit-compile"], "mixed": ["--mixed-precision"],
            "mirrored": ["--distribute", "mirrored"], "jax": []}
LABELS = {"plain": "plain", "jit": "--jit-compile", "mixed": "--mixed-precision", "mirrored": "--distribute mirrored",
          "jax": "JAX (KERAS_BACKEND=jax)"}
# The child processes: group -> (its settings, its Keras backend).
GROUPS = {"tensorflow": (("plain", "jit", "mixed"), "tensorflow"), "mirrored": (("mirrored",), "tensorflow"),
          "jax": (("jax",), "jax")}
# Published float32 peaks (TFLOP/s, without tensor cores) of some GPUs, matched in this order against the name.
GPU_PEAK_TFLOPS = (("H100 PCIe", 51.2), ("H100", 66.9), ("H200", 66.9), ("A100", 19.5), ("L40S", 91.6),
                   ("L4", 30.3), ("A10", 31.2), ("V100", 15.7), ("T4", 8.1))


# ----------------------------------------------------------------------------------------------------------------
# Counting: the FLOPs of one training example, and the machine's peak


def forward_flops(layer, positions: int = 1, open_length: int | None = None) -> int:
    """FLOPs of one example's forward pass through layer (a model, or any layer), counted from its weights' shapes.

    Only matrix products are counted; a multiply-add is 2 FLOPs. Keras names a weight matrix a kernel, and the
    layer's input is multiplied by each of its kernels once per position it is applied to: a Dense kernel (in, out)
    costs 2 * in * out at each position, and a Dense on a sequence (batch, T, in) has T positions; a convolution
    kernel (kh, kw, in, out) costs 2 * kh * kw * in * out at each output pixel (a transposed convolution at each
    input pixel, which it spreads over a patch of the output); a recurrent cell's kernel and recurrent_kernel are
    applied once per time step (a Bidirectional layer runs two). An Embedding is a table lookup, not a kernel: 0.
    Biases, activations, normalisation, pooling and softmax are left out: elementwise work, small beside the
    products. Attention (attention/) adds its scores.

    positions is how often a layer inside a custom layer runs per example (the outer layer's output positions); a
    layer called in a functional model's graph reads its own from its output shape. open_length stands for an axis
    the model leaves open (None: attention/'s encoder reads sources of any length).
    """
    import keras
    from keras import layers

    if isinstance(layer, keras.Model):  # a whole model, or one nested in another: the sum over its layers
        return sum(forward_flops(inner, positions, open_length) for inner in layer.layers)
    if not layer.weights:  # an activation, pooling, reshape, dropout, the input
        return 0
    if isinstance(layer, (layers.RNN, layers.Bidirectional)):  # the cell(s) once per time step of the input
        input_shape = graph_shape(layer, "input")
        steps = positions if input_shape is None else count_positions(input_shape, open_length)  # (batch, T, in)
        bidirectional = isinstance(layer, layers.Bidirectional)
        inner = [layer.forward_layer, layer.backward_layer] if bidirectional else [layer.cell]
        return sum(forward_flops(part, steps, open_length) for part in inner)
    transposed = isinstance(layer, (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose))
    shape = graph_shape(layer, "input" if transposed else "output")
    if shape is not None:
        positions = count_positions(shape, open_length)
    scores = attention_flops(layer, open_length)
    if scores is not None:
        return positions * scores
    inner = [value for name, value in vars(layer).items()
             if isinstance(value, layers.Layer) and not name.startswith("_")]  # a custom layer's own parts
    inner_weights = {id(weight) for part in inner for weight in part.weights}
    kernels = [weight for weight in layer.weights
               if weight.name.endswith("kernel") and id(weight) not in inner_weights]
    return (2 * positions * sum(math.prod(weight.shape) for weight in kernels)
            + sum(forward_flops(part, positions, open_length) for part in inner))


def graph_shape(layer, which: str) -> tuple | None:
    """The shape of layer.output (or .input) where the layer was called in a functional graph; else None."""
    try:
        tensor = getattr(layer, which)
    except (AttributeError, ValueError):  # never called in a graph: a part of a custom layer
        return None
    return tuple((tensor[0] if isinstance(tensor, (list, tuple)) else tensor).shape)


class OpenAxisError(ValueError):
    """A model leaves an axis open (None: any length) and no length was given for it."""


def count_positions(shape: tuple, open_length: int | None) -> int:
    """Positions a layer's weights are applied to per example: the axes between batch and features.
    (batch, h, w, channels) -> h * w; (batch, T, units) -> T; (batch, units) -> 1; an open axis is open_length."""
    if None in shape[1:-1] and open_length is None:
        raise OpenAxisError(f"an axis of {shape} is open (None) and no length was given for it")
    return math.prod(open_length if size is None else size for size in shape[1:-1])


def attention_flops(layer, source_length: int | None) -> int | None:
    """FLOPs of one query (one decoder step) of an attention layer over source_length encoder states, asked of the
    layer itself: a layer that counts its own (attention/'s layers have flops_per_query(source_length)); None for any
    other layer, whose kernels are counted as usual."""
    count = getattr(layer, "flops_per_query", None)
    return None if count is None else count(source_length)


def training_flops(run_dir: Path, open_length: int | None = None) -> tuple[int, str]:
    """(FLOPs of one training example, how counted) for the model a run saved in run_dir.

    A training step runs the forward pass, then the backward pass, which takes the gradient with respect to both a
    layer's input and its weights: two products of the forward's size, so training ~ 3 x forward (the usual
    approximation; the optimizer's update, elementwise, is left out). A GAN (a run folder with discriminator.keras)
    takes two steps a batch: D's (G forward to make fakes, D forward and backward on the real and the fake batch:
    G + 6 D) and G's (G and D forward, the gradient back through D to the images and through G: 3 G + 2 D), so
    4 G + 8 D per real example.
    """
    import keras

    forward = forward_flops(keras.saving.load_model(run_dir / "model.keras"), open_length=open_length)
    if (run_dir / "discriminator.keras").exists():
        discriminator = forward_flops(keras.saving.load_model(run_dir / "discriminator.keras"))
        return 4 * forward + 8 * discriminator, ("a GAN: 4 x the generator's forward FLOPs + 8 x the "
                                                 "discriminator's (and params: the two networks' together)")
    return 3 * forward, ""


def cpu_peak(cpuinfo: str, cores: int) -> dict:
    """The CPU's theoretical float32 peak: cores x clock x FLOPs per cycle, from /proc/cpuinfo's text.

    A vector instruction works on as many 32-bit floats as fit in its register (lanes): 16 with AVX-512, 8 with
    AVX/AVX2, 4 with SSE. A fused multiply-add (FMA) instruction does a multiply and an add, 2 FLOPs per lane, and
    a core is assumed to have two FMA units (most x86 cores since Intel Haswell and AMD Zen 2; an assumption, not
    read from the machine). So FLOPs per cycle = 2 (FMA; 1 without the fma flag) x 2 (units) x lanes. cores counts
    the logical CPUs this process may use, clock is cpuinfo's "cpu MHz" (a boost clock can be higher). An upper
    bound nothing reaches: every cycle of every core would issue two vector FMAs, with no memory traffic and no other
    instructions.
    """
    fields = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())  # the first processor's lines
    flags = set(fields.get("flags", "").split())
    if "avx512f" in flags:
        lanes, vector = 16, "AVX-512"
    elif "avx" in flags:
        lanes, vector = 8, "AVX2" if "avx2" in flags else "AVX"
    else:
        lanes, vector = 4, "SSE"
    fma = 2 if "fma" in flags or "avx512f" in flags else 1
    flops_per_cycle = fma * 2 * lanes
    megahertz = float(fields.get("cpu MHz", "nan"))
    return {"model": fields.get("model name", "unknown processor"), "cores": cores, "megahertz": megahertz,
            "vector": vector, "lanes": lanes, "fma": fma, "flops_per_cycle": flops_per_cycle,
            "gflops": cores * megahertz / 1000 * flops_per_cycle}


def describe_cpu_peak(peak: dict) -> str:
    fma = "x 2 for fused multiply-add " if peak["fma"] == 2 else "(no FMA) "
    return (f"{peak['cores']} logical CPUs x {peak['megahertz']:,.0f} MHz x {peak['flops_per_cycle']} float32 FLOPs "
            f"per cycle ({peak['vector']}: {peak['lanes']} lanes of 32-bit floats {fma}x 2 for two FMA units per "
            f"core, an assumption) = {peak['gflops']:,.1f} GFLOP/s, a theoretical upper bound")


def gpu_peak(name: str) -> float | None:
    """The published float32 peak (GFLOP/s, without tensor cores) of a GPU named name, or None if not listed."""
    return next((tflops * 1000 for known, tflops in GPU_PEAK_TFLOPS if known.lower() in name.lower()), None)


# ----------------------------------------------------------------------------------------------------------------
# A child process: time every folder in one group of settings


def run_quietly(main, argv: list[str]) -> dict:
    """main(argv) with its printed lines swallowed; what it returns, or {"error": one line} when it fails: a refusal
    (exit status and the line it printed, as the gan's on JAX) or a crash (the exception), never the table's end."""
    errors = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
            return main(argv)
    except SystemExit as exit_:
        lines = errors.getvalue().strip().splitlines()
        return {"error": f"exit status {exit_.code}" + (f": {lines[-1]}" if lines else "")}
    except Exception as error:
        return {"error": one_line(error)}


def one_line(error: Exception) -> str:
    """An exception as one short line: its type, its message's first line and, if longer, its last (the cause)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()] or [""]
    text = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return f"{type(error).__name__}: {text}"[:300]


def time_setting(folder: str, setting: str, quick: bool, output_dir: str) -> dict:
    """One cell: the folder's default command with the setting's flag, timed. Returns examples_per_second and the
    numbers behind it (plain on TensorFlow also the FLOPs per example), or {"error": ...}."""
    import keras

    epochs = QUICK_EPOCHS if quick else EPOCHS
    # A large --patience, so that early stopping never ends a timed run early; the gan's 0 already means "off".
    patience = [] if folder == "gan" else ["--patience", "1000"]
    argv = [*SETTINGS[setting], "--epochs", str(epochs), *patience, "--output-dir", output_dir] + \
        (["--quick"] if quick else [])
    result = run_quietly(importlib.import_module(f"{folder}.train").main, argv)
    if "error" in result:
        return result
    seconds = result.get("history", {}).get("epoch_seconds", [])
    timed = seconds[1:]
    if not timed:
        return {"error": f"{len(seconds)} epoch(s) timed (common/training.py's EpochTimer): none after the warm-up"}
    cell = {"examples_per_second": result["train_examples"] / statistics.median(timed), "epoch_seconds": timed,
            "train_examples": result["train_examples"],
            "params": result["params"] + result.get("discriminator_params", 0)}
    if setting == "plain" and keras.backend.backend() == "tensorflow":
        run_dir = Path(result["run_dir"])
        try:
            try:
                cell["flops"], cell["flops_note"] = training_flops(run_dir)
            except OpenAxisError:  # a model that reads sequences of any length: count at the training data's
                steps = time_steps(folder, argv)
                cell["flops"], cell["flops_note"] = training_flops(run_dir, steps)
                cell["flops_note"] = f"the model reads sequences of any length: counted at {steps} time steps, " \
                                     f"the training data's"
        except Exception as error:  # a model this counter cannot read: the cell says why, the table goes on
            cell["flops_note"] = f"not counted: {one_line(error)}"
    keras.backend.clear_session()  # free the model before the next run
    return cell


def time_steps(folder: str, argv: list[str]) -> int:
    """Axis 1 of the training inputs (a sequence's time steps): the folder's data set, loaded again with the run's
    flags. What an axis the model leaves open (None) was in training: rnn/ reads a sine window of any length."""
    from common.config import TrainConfig
    from common.flags import parse_config

    train = importlib.import_module(f"{folder}.train")
    config_class = next(value for value in vars(train).values() if isinstance(value, type)
                        and issubclass(value, TrainConfig) and value.__module__ == train.__name__)
    with contextlib.redirect_stdout(io.StringIO()):
        config = parse_config(config_class, argv)
        dataset = importlib.import_module(f"{folder}.dataset").load_dataset(config)
    inputs = dataset.x_train[0] if isinstance(dataset.x_train, (list, tuple)) else dataset.x_train
    return int(inputs.shape[1])


def device_in_use(backend: str) -> str:
    """The devices the runs of this process used, in words."""
    if backend == "jax":
        import jax

        return f"JAX on {len(jax.devices())} {jax.default_backend().upper()} device(s)"
    import tensorflow as tf

    kind = "GPU" if tf.config.list_logical_devices("GPU") else "CPU"
    return f"TensorFlow on {len(tf.config.list_logical_devices(kind))} logical {kind} device(s)"


def run_child(group: str, folders: list[str], quick: bool, output_dir: str, results_path: Path) -> dict:
    """Time every folder with the group's settings; the results file is rewritten after every cell, so a crash of
    this process loses only the run it was in."""
    settings, backend = GROUPS[group]
    results = {"folders": {}}
    for folder in folders:
        for setting in settings:
            try:
                cell = time_setting(folder, setting, quick, output_dir)
            except Exception as error:  # a result this script cannot read: one cell lost, not the table
                cell = {"error": one_line(error)}
            results["folders"].setdefault(folder, {})[setting] = cell
            results_path.write_text(json.dumps(results))
            shown = cell["error"] if "error" in cell else f"{cell['examples_per_second']:,.1f} examples/s"
            print(f"{folder} {LABELS[setting]}: {shown}", flush=True)
    if any("error" not in cell for cells in results["folders"].values() for cell in cells.values()):
        results["device"] = device_in_use(backend)  # what the runs used (a run refused at once never split the CPU)
        results_path.write_text(json.dumps(results))
    return results


# ----------------------------------------------------------------------------------------------------------------
# This process: start the children, compute the ratios, write the Markdown


def run_group(group: str, folders: list[str], quick: bool, extra_env: dict, work_dir: Path) -> dict:
    """Start the group's child process, pass its progress lines on, and read its results; a cell it never wrote
    (the child died) gets an error that says so."""
    settings, backend = GROUPS[group]
    results_path = work_dir / f"{group}-{time.monotonic_ns()}.json"  # the child writes it, after every run
    command = [sys.executable, "-m", "benchmarks.speed", *folders, "--child", group, "--results", str(results_path),
               "--output-dir", str(work_dir / "runs")] + (["--quick"] if quick else [])
    env = {**os.environ, **extra_env, "KERAS_BACKEND": backend}
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        for line in process.stdout:
            print(f"  {line.rstrip()}", flush=True)
        status = process.wait()
        errors.seek(0)
        last_error = (errors.read().strip().splitlines() or [""])[-1]
    results = json.loads(results_path.read_text()) if results_path.exists() else {"folders": {}}
    for folder in folders:
        for setting in settings:
            results["folders"].setdefault(folder, {}).setdefault(setting, {
                "error": f"the child process ended with status {status} before this run finished: {last_error}"})
    return results


def measure(folders: list[str], quick: bool, extra_env: dict, work_dir: Path) -> dict:
    """{"folders": {folder: {setting: cell}}, "devices": {group: words}}: every group's child, one after another."""
    merged = {"folders": {folder: {} for folder in folders}, "devices": {}}
    for group, (settings, _) in GROUPS.items():
        label = ", ".join(LABELS[setting] for setting in settings)
        print(f"{group}: {label}", flush=True)
        results = run_group(group, folders, quick, extra_env, work_dir)
        for folder in folders:
            merged["folders"][folder].update(results["folders"][folder])
        merged["devices"][label] = results.get("device", "unknown: none of its runs finished")
    return merged


def describe_epochs(quick: bool) -> str:
    """How many epochs each folder trained and timed, in words."""
    if quick:
        return f"{QUICK_EPOCHS} epochs on its --quick slice (1 warm-up, 1 timed)"
    return f"{EPOCHS} epochs (1 warm-up, {EPOCHS - 1} timed)"


def rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def si(value: float) -> str:
    """1234567 -> '1.23 M'."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:.3g} {prefix}"
    return f"{value:.3g}"


def speed(cell: dict) -> float | None:
    return cell.get("examples_per_second")


def speed_table(results: dict, peak_gflops: float | None, mirrored: str) -> str:
    """The Markdown table, then its numbered footnotes: a failed run's reason, a FLOPs count's caveat."""
    notes: list[str] = []

    def note(text: str) -> str:
        if text not in notes:
            notes.append(text)
        return f" [{notes.index(text) + 1}]"

    lines = ["| folder | default command | params | train FLOPs/example | plain ex/s | jit (ratio) | mixed (ratio) "
             f"| mirrored, {mirrored} (ratio) | JAX (ratio) | plain GFLOP/s | % of peak |", "|" + "---|" * 11]
    for folder, cells in results["folders"].items():
        plain = cells["plain"]
        row = [folder, f"`python -m {folder}.train`", f"{plain['params']:,}" if "params" in plain else "",
               si(plain["flops"]) if "flops" in plain else "n/a"]
        if plain.get("flops_note"):
            row[-1] += note(f"{folder} FLOPs: {plain['flops_note']}")
        for setting in ("plain", "jit", "mixed", "mirrored", "jax"):
            cell = cells[setting]
            if speed(cell) is None:
                row.append("n/a" + note(f"{folder} with {LABELS[setting]}: {cell['error']}"))
            elif setting == "plain" or speed(plain) is None:
                row.append(rate(speed(cell)))
            else:
                row.append(f"{rate(speed(cell))} ({speed(cell) / speed(plain):.2f}x)")
        achieved = speed(plain) * plain["flops"] / 1e9 if speed(plain) and "flops" in plain else None
        row.append("n/a" if achieved is None else f"{achieved:.3g}")
        row.append("n/a" if achieved is None or not peak_gflops else f"{100 * achieved / peak_gflops:.2g}%")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines + [""] + [f"[{index}] {text}  " for index, text in enumerate(notes, start=1)])


def recommendation(results: dict) -> str:
    """Which setting was fastest, per folder and over all folders (geometric mean of the ratios to plain)."""
    folders = results["folders"]
    lines, wins = [], {}
    for folder, cells in folders.items():
        measured = {setting: speed(cell) for setting, cell in cells.items() if speed(cell)}
        if not measured:
            lines.append(f"- {folder}: no setting ran")
            continue
        best = max(measured, key=measured.get)
        wins[best] = wins.get(best, 0) + 1
        faster = "plain" in measured and best != "plain"
        ratio = f", {measured[best] / measured['plain']:.2f}x plain" if faster else ""
        lines.append(f"- {folder}: {LABELS[best]}{ratio}")
    means = {}
    for setting in SETTINGS:
        ratios = [speed(cells[setting]) / speed(cells["plain"]) for cells in folders.values()
                  if speed(cells.get(setting, {})) and speed(cells["plain"])]
        if ratios:
            means[setting] = (math.exp(statistics.mean(math.log(ratio) for ratio in ratios)), len(ratios))
    overall = "No setting ran in any folder."
    if means:
        best = max(means, key=lambda setting: means[setting][0])
        mean, count = means[best]
        spread = ", ".join(f"{LABELS[setting]} {setting_mean:.2f}x ({folder_count} folders)"
                           for setting, (setting_mean, folder_count) in means.items() if setting != "plain")
        versus = "" if best == "plain" else f" ({mean:.2f}x plain over {count} folders)"
        overall = (f"Over all folders, the geometric mean of each setting's ratio to plain (over the folders where "
                   f"it ran): {spread}. **The fastest setting overall on this machine is {LABELS[best]}**{versus}, "
                   f"fastest in {wins.get(best, 0)} of {len(folders)} folders: the recommended way to train here; "
                   f"where a folder's own fastest differs (above), that one is the better choice for it.")
    return "Fastest setting per folder (highest examples/s):\n\n" + "\n".join(lines) + "\n\n" + overall


def markdown(command: str, tables: list[dict], gpu_note: str, quick: bool, epochs_text: str, wall: float) -> str:
    from benchmarks.run import machine_description

    try:
        jax_version = f"JAX {metadata.version('jax')}"
    except metadata.PackageNotFoundError:
        jax_version = "JAX not installed"
    parts = [f"# Training speed: examples per second\n\n"
             f"Written by `{command.strip()}` on {datetime.date.today().isoformat()}, {machine_description()}, "
             f"{jax_version}; the whole command took {wall / 60:.1f} minutes."
             f"{' --quick: a dry run on small slices with one timed epoch, not a measurement.' if quick else ''}\n\n"
             f"Each folder's default command (its default data set and model), trained {epochs_text}. "
             f"examples/s = training examples per epoch / the median seconds of the timed epochs' training steps "
             f"(validation, evaluation and saving are not timed). A ratio is the column's examples/s over plain's, "
             f"from the same run of this command. See the docstring of benchmarks/speed.py.\n\n"
             f"Train FLOPs/example: counted from each saved model's weight shapes (benchmarks/speed.py, "
             f"forward_flops): 2 FLOPs per multiply-add of every weight matrix at every position it is applied to "
             f"(Dense at each time step of a sequence, a convolution at each output pixel, a recurrent cell's two "
             f"kernels at each time step, twice when bidirectional, attention's scores at each decoder step; "
             f"embeddings count 0, elementwise work is left out), and training ~ 3 x forward (the backward pass "
             f"~ 2 x forward, a standard approximation). plain GFLOP/s = FLOPs/example x plain examples/s; "
             f"% of peak compares it with the device's theoretical peak."]
    for table in tables:
        devices = "; ".join(f"{group}: {words}" for group, words in table["results"]["devices"].items())
        parts.append(f"## {table['title']}\n\nDevices: {devices}. "
                     f"Peak: {table['peak_text']}.\n\n"
                     f"{speed_table(table['results'], table['peak_gflops'], table['mirrored'])}\n\n"
                     f"### Recommendation ({table['title']})\n\n{recommendation(table['results'])}")
    parts.append(gpu_note)
    return "\n\n".join(part.strip() for part in parts if part) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", metavar="FOLDER",
                        help=f"folders to time (default: all ten: {' '.join(FOLDERS)})")
    parser.add_argument("--quick", action="store_true", help="--quick runs, one timed epoch: check the benchmark "
                                                              "itself works")
    parser.add_argument("--output", help="Markdown file to write (default: benchmarks/speed.md, or "
                                         "runs/benchmarks/speed-quick.md with --quick)")
    parser.add_argument("--child", choices=tuple(GROUPS), help=argparse.SUPPRESS)  # a child process's group
    parser.add_argument("--results", help=argparse.SUPPRESS)                       # ... its JSON file
    parser.add_argument("--output-dir", help=argparse.SUPPRESS)                    # ... its run folders
    args = parser.parse_args(argv)
    unknown = [folder for folder in args.folders if folder not in FOLDERS]
    if unknown:
        fail(f"unknown folder {unknown[0]!r}; choose from {', '.join(FOLDERS)}", prog=PROG)
    folders = list(dict.fromkeys(args.folders)) or list(FOLDERS)
    output = Path(args.output) if args.output else (
        REPO_ROOT / "runs" / "benchmarks" / "speed-quick.md" if args.quick else REPO_ROOT / "benchmarks" / "speed.md")
    if output.is_dir():
        fail(f"--output {output} is a folder; give a file name", prog=PROG)
    if args.child:
        return run_child(args.child, folders, args.quick, args.output_dir, Path(args.results))

    start = time.perf_counter()
    quiet_tensorflow(verbose=False)
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    cpu = cpu_peak(Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else "",
                   len(os.sched_getaffinity(0)))
    specs = [("CPU", {"CUDA_VISIBLE_DEVICES": "-1"}, cpu["gflops"], describe_cpu_peak(cpu), "2 logical CPUs")]
    gpu_note = "## GPU\n\nNo GPU was available on this machine: there is no GPU table."
    if gpus:
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "unknown GPU")
        peak = gpu_peak(name)
        peak_text = (f"{len(gpus)} x {name}, published float32 peak {peak:,.0f} GFLOP/s each (tensor cores, which "
                     f"--mixed-precision can use, go higher)" if peak else f"{name}: not in this script's list")
        specs.append((f"GPU: {len(gpus)} x {name}", {}, peak and peak * len(gpus), peak_text, "all local GPUs"))
        gpu_note = ""
    tables = []
    with tempfile.TemporaryDirectory(prefix="speed-") as work:
        for title, env, peak_gflops, peak_text, mirrored in specs:
            print(f"# {title}", flush=True)
            tables.append({"title": title, "results": measure(folders, args.quick, env, Path(work)),
                           "peak_gflops": peak_gflops, "peak_text": peak_text, "mirrored": mirrored})
    command = "python -m benchmarks.speed " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(command, tables, gpu_note, args.quick, describe_epochs(args.quick),
                    time.perf_counter() - start)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(text)
    print(f"wrote {output}")
    return {"tables": tables, "output": str(output), "text": text}


if __name__ == "__main__":
    main()
