"""benchmarks/speed.py: a --quick table for ann through the real child processes; FLOPs counted by hand on
small models; the peak from a made-up /proc/cpuinfo; the table, its notes and the recommendation from made-up
numbers."""

import math
import sys

import keras
import pytest
from keras import layers

from benchmarks import speed
from common.config import REPO_ROOT

ANN_QUICK_EXAMPLES = 512  # ann's --quick slice of digits: its first 512 training images


@pytest.mark.slow  # ~45 s of three child processes; the table's parts are tested one by one below
def test_quick_table_times_every_setting_in_child_processes(tmp_path, capsys):
    output = tmp_path / "speed.md"
    result = speed.main(["ann", "--quick", "--output", str(output)])
    (table,) = result["tables"]  # this machine has no GPU: the CPU table alone
    cells = table["results"]["folders"]["ann"]
    assert list(cells) == ["plain", "jit", "mixed", "mirrored", "jax"]
    for setting, cell in cells.items():
        assert "error" not in cell, (setting, cell)
        assert len(cell["epoch_seconds"]) == 1  # --quick: two epochs, the first a warm-up and not timed
        assert cell["train_examples"] == ANN_QUICK_EXAMPLES and cell["params"] == 50_826
        assert 0 < cell["examples_per_second"] < math.inf
        assert cell["examples_per_second"] == pytest.approx(ANN_QUICK_EXAMPLES / cell["epoch_seconds"][0])
    plain = cells["plain"]
    # 64 pixels -> 256 -> 128 -> 10 classes: the kernels' multiply-adds, x 2 FLOPs each, x 3 for a training step.
    assert plain["flops"] == 3 * 2 * (64 * 256 + 256 * 128 + 128 * 10) and plain["flops_note"] == ""
    assert "mirrored" in " ".join(table["results"]["devices"]) and "2 logical CPU" in str(table["results"]["devices"])

    text = output.read_text()
    assert text == result["text"] and "--quick" in text and "No GPU was available on this machine" in text
    row = next(line for line in text.splitlines() if line.startswith("| ann |")).strip("| ").split(" | ")
    assert row[:5] == ["ann", "`python -m ann.train`", "50,826", "303 k", speed.rate(plain["examples_per_second"])]
    for column, setting in zip(row[5:9], ("jit", "mixed", "mirrored", "jax")):
        value, ratio = column.removesuffix("x)").split(" (")
        assert value == speed.rate(cells[setting]["examples_per_second"])
        assert float(ratio) == pytest.approx(cells[setting]["examples_per_second"] / plain["examples_per_second"],
                                             abs=0.0051)
    gflops = plain["flops"] * plain["examples_per_second"] / 1e9
    assert row[9:] == [f"{gflops:.3g}", f"{100 * gflops / table['peak_gflops']:.2g}%"]
    fastest = max(cells, key=lambda setting: cells[setting]["examples_per_second"])
    assert f"- ann: {speed.LABELS[fastest]}" in text
    assert f"The fastest setting overall on this machine is {speed.LABELS[fastest]}**" in text
    printed = capsys.readouterr().out
    assert "  ann plain: " in printed and f"wrote {output}" in printed  # the children's progress lines, passed on


@pytest.mark.parametrize("argv", [["cnn9"], ["ann", "nope"], ["ann", "--epochs", "3"]])
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(argv, tmp_path, capsys):
    output = tmp_path / "speed.md"
    with pytest.raises(SystemExit) as exit_info:
        speed.main([*argv, "--output", str(output)])
    err = capsys.readouterr().err.splitlines()
    assert exit_info.value.code == 2 and len(err) == 1 and err[0].startswith("benchmarks/speed.py: error: ")
    assert not output.exists()


def test_an_output_that_is_a_folder_is_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        speed.main(["ann", "--quick", "--output", str(tmp_path)])
    assert exit_info.value.code == 2 and "is a folder" in capsys.readouterr().err


def test_a_child_that_dies_leaves_its_cells_as_errors(tmp_path, monkeypatch):
    # A group the child does not know: it exits 2 at once, before writing any result.
    monkeypatch.setitem(speed.GROUPS, "lost", (("plain",), "tensorflow"))
    results = speed.run_group("lost", ["ann"], True, {}, tmp_path)
    error = results["folders"]["ann"]["plain"]["error"]
    assert error.startswith("the child process ended with status 2 before this run finished: benchmarks/speed.py: ")
    assert "invalid choice: 'lost'" in error


# ----------------------------------------------------------------------------------------------------------------
# FLOPs, counted by hand


def flops_of(inputs, outputs, open_length=None) -> int:
    return speed.forward_flops(keras.Model(inputs, outputs), open_length=open_length)


def test_forward_flops_of_dense_and_convolutions_by_hand():
    vector, sequence, image = keras.Input((10,)), keras.Input((7, 10)), keras.Input((8, 8, 2))
    assert flops_of(vector, layers.Dense(5)(vector)) == 2 * 10 * 5          # 50 multiply-adds, bias not counted
    assert flops_of(sequence, layers.Dense(5)(sequence)) == 7 * 2 * 10 * 5  # at each of the 7 time steps
    # 3x3 kernel, 2 -> 4 channels: 3 * 3 * 2 * 4 multiply-adds at each of the 8 * 8 output pixels ...
    assert flops_of(image, layers.Conv2D(4, 3, padding="same")(image)) == 8 * 8 * 2 * (3 * 3 * 2 * 4)
    # ... and with stride 2 and no padding at 3 * 3 pixels; pooling and the activation add nothing.
    smaller = layers.Conv2D(4, 3, strides=2, activation="relu")(image)
    assert flops_of(image, layers.MaxPooling2D(1)(smaller)) == 3 * 3 * 2 * (3 * 3 * 2 * 4)
    # A transposed convolution spreads each of its 8 * 8 input pixels over a 4x4 patch: 4 * 4 * 2 * 3 each.
    transposed = layers.Conv2DTranspose(3, 4, strides=2, padding="same")(image)  # (16, 16, 3)
    assert flops_of(image, transposed) == 8 * 8 * 2 * (4 * 4 * 2 * 3)
    inner = keras.Model(vector, layers.Dense(5)(vector))  # a model inside a model: counted through
    assert flops_of(vector, layers.Dense(2)(inner(vector))) == 2 * (10 * 5 + 5 * 2)


def test_forward_flops_of_recurrent_layers_by_hand():
    sequence, ids, open_sequence = keras.Input((7, 3)), keras.Input((7,), dtype="int32"), keras.Input((None, 3))
    # LSTM(4): kernel (3, 16) and recurrent_kernel (4, 16) (four gates), both at each of the 7 steps.
    lstm = 7 * 2 * (3 * 16 + 4 * 16)
    assert flops_of(sequence, layers.LSTM(4)(sequence)) == lstm
    # Bidirectional GRU(5): kernel (3, 15) and recurrent_kernel (5, 15) (three gates), 7 steps, both directions.
    assert flops_of(sequence, layers.Bidirectional(layers.GRU(5))(sequence)) == 2 * 7 * 2 * (3 * 15 + 5 * 15)
    embedded = layers.Embedding(100, 8)(ids)  # a lookup: 0 FLOPs, then the LSTM reads 8 numbers a step
    assert flops_of(ids, layers.LSTM(4)(embedded)) == 7 * 2 * (8 * 16 + 4 * 16)
    # A model that reads any length counts at the length it is given, and refuses to guess one.
    assert flops_of(open_sequence, layers.LSTM(4)(open_sequence), open_length=7) == lstm
    with pytest.raises(speed.OpenAxisError):
        flops_of(open_sequence, layers.LSTM(4)(open_sequence))


def test_the_time_steps_of_an_open_axis_are_the_training_datas():
    from rnn.train import RnnConfig

    assert speed.time_steps("rnn", ["--quick"]) == RnnConfig().window == 20  # the sine's default window


class Widen(layers.Layer):
    """A custom layer with a part of its own, as attention/'s decoder: (batch, T, 4) -> (batch, T, 6)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(6)

    def call(self, inputs):
        return self.dense(inputs)


def test_a_custom_layers_parts_run_at_its_output_positions():
    sequence = keras.Input((5, 4))
    assert flops_of(sequence, Widen()(sequence)) == 5 * 2 * 4 * 6


def test_attention_scores_by_hand():
    from attention.layers import BahdanauAttention, LuongAttention
    from attention.model import build_model

    query, values = (None, 6), (None, 9, 5)  # a decoder state of 6, nine encoder states of 5
    bahdanau = BahdanauAttention(units=8)
    bahdanau.build([query, values])
    # W1 s (6 x 8) once; for each of the 9 states: W2 h_j (5 x 8), v . tanh (8) and a_j h_j (5).
    assert speed.attention_flops(bahdanau, 9) == 2 * (6 * 8 + 9 * (5 * 8 + 8 + 5))
    luong = LuongAttention("general")
    luong.build([query, values])
    assert speed.attention_flops(luong, 9) == 2 * (6 * 5 + 9 * 2 * 5)  # h W_a once; h . h_j and a_j h_j per state
    concat = LuongAttention("concat", units=4)
    concat.build([query, values])
    # W_a [h_t; h_s] (11 x 4) counted whole once and at every state, with v . tanh (4) and a_s h_s (over-counted as 11)
    assert speed.attention_flops(concat, 9) == 2 * (11 * 4 + 9 * (11 * 4 + 4 + 11))
    dot = LuongAttention("dot")
    dot.build([(None, 5), values])
    assert speed.attention_flops(dot, 9) == 0  # no weights to read the state size from
    assert speed.attention_flops(layers.Dense(3), 9) is None

    # attention/'s default model: a GRU(64) encoder over S = 12 source steps, and 11 decoder steps of a GRU cell
    # reading [embedding (32); context (64)], Bahdanau attention of 64 units and a Dense over 15 target tokens.
    model = build_model(source_vocabulary_size=20, target_vocabulary_size=15, target_length=11)
    encoder = 12 * (32 * 192 + 64 * 192)
    decoder = 11 * ((32 + 64) * 192 + 64 * 192 + 64 * 64 + 12 * (64 * 64 + 64 + 64) + 64 * 15)
    assert speed.forward_flops(model, open_length=12) == 2 * (encoder + decoder)


def test_training_flops_are_three_forward_passes_and_a_gans_two_steps(tmp_path):
    noise, image = keras.Input((4,)), keras.Input((6,))
    generator = keras.Model(noise, layers.Dense(6)(noise))
    discriminator = keras.Model(image, layers.Dense(1)(image))
    generator.save(tmp_path / "model.keras")
    assert speed.training_flops(tmp_path) == (3 * 2 * 4 * 6, "")
    discriminator.save(tmp_path / "discriminator.keras")  # a GAN's run folder
    flops, note = speed.training_flops(tmp_path)
    assert flops == 4 * (2 * 4 * 6) + 8 * (2 * 6 * 1) and note.startswith("a GAN")


# ----------------------------------------------------------------------------------------------------------------
# The peak, the child's runs, the table and the recommendation


CPUINFO = """processor\t: 0
model name\t: Example CPU
cpu MHz\t\t: 2000.000
flags\t\t: fpu sse sse2 avx avx2 fma avx512f
processor\t: 1
model name\t: Example CPU
cpu MHz\t\t: 3000.000
flags\t\t: fpu sse sse2
"""


def test_cpu_peak_is_cores_times_clock_times_flops_per_cycle():
    peak = speed.cpu_peak(CPUINFO, cores=4)  # the first processor's lines
    assert (peak["model"], peak["megahertz"], peak["lanes"], peak["fma"]) == ("Example CPU", 2000.0, 16, 2)
    assert peak["flops_per_cycle"] == 2 * 2 * 16 and peak["gflops"] == pytest.approx(4 * 2.0 * 64)
    avx2 = speed.cpu_peak(CPUINFO.replace(" avx512f", "").replace("2000.000", "2445.404"), cores=2)
    assert (avx2["vector"], avx2["flops_per_cycle"]) == ("AVX2", 32)
    assert avx2["gflops"] == pytest.approx(2 * 2.445404 * 32)
    sse = speed.cpu_peak(CPUINFO.replace(" avx avx2 fma avx512f", ""), cores=1)
    assert (sse["vector"], sse["flops_per_cycle"], sse["gflops"]) == ("SSE", 1 * 2 * 4, pytest.approx(2.0 * 8))
    assert "theoretical upper bound" in speed.describe_cpu_peak(avx2)


def test_gpu_peak_is_looked_up_by_name():
    assert speed.gpu_peak("NVIDIA H100 80GB HBM3") == pytest.approx(66_900)
    assert speed.gpu_peak("NVIDIA H100 PCIe") == pytest.approx(51_200)
    assert speed.gpu_peak("NVIDIA A100-SXM4-40GB") == pytest.approx(19_500)  # not the A10's
    assert speed.gpu_peak("Some Future GPU") is None


def test_a_failed_run_is_one_line_and_the_printing_is_swallowed(capsys):
    def refuse(argv):
        print("config: ...")
        print("gan/train.py: error: the GAN trains on TensorFlow only", file=sys.stderr)
        raise SystemExit(2)

    def crash(argv):
        raise RuntimeError("Graph execution error:\n  File x, line 1\nShape mismatch in the collective")

    assert speed.run_quietly(refuse, []) == {
        "error": "exit status 2: gan/train.py: error: the GAN trains on TensorFlow only"}
    assert speed.run_quietly(crash, []) == {
        "error": "RuntimeError: Graph execution error: ... Shape mismatch in the collective"}
    assert speed.run_quietly(lambda argv: {"argv": argv}, ["--quick"]) == {"argv": ["--quick"]}
    assert capsys.readouterr().out == ""


def made_up_results() -> dict:
    def cell(examples_per_second, **more):
        return {"examples_per_second": examples_per_second, "params": 100, **more}

    refusal = "exit status 2: gan/train.py: error: the GAN trains on TensorFlow only"
    return {"devices": {}, "folders": {
        "ann": {"plain": cell(1000.0, flops=3_000_000, flops_note=""), "jit": cell(1500.0), "mixed": cell(500.0),
                "mirrored": cell(800.0), "jax": cell(2000.0)},
        "gan": {"plain": cell(200.0, flops=50_000_000, flops_note="a GAN: 4 G + 8 D"), "jit": cell(100.0),
                "mixed": cell(50.0), "mirrored": {"error": "exit status 2: no replicas"}, "jax": {"error": refusal}}}}


def test_the_table_shows_ratios_to_plain_and_failures_as_footnotes():
    lines = speed.speed_table(made_up_results(), peak_gflops=100.0, mirrored="2 logical CPUs").splitlines()
    assert "| mirrored, 2 logical CPUs (ratio) |" in lines[0]
    # 3 MFLOPs x 1000 examples/s = 3 GFLOP/s, 3% of a 100 GFLOP/s peak
    assert lines[2] == ("| ann | `python -m ann.train` | 100 | 3 M | 1,000 | 1,500 (1.50x) | 500 (0.50x) "
                        "| 800 (0.80x) | 2,000 (2.00x) | 3 | 3% |")
    assert lines[3] == ("| gan | `python -m gan.train` | 100 | 50 M [1] | 200 | 100 (0.50x) | 50 (0.25x) | n/a [2] "
                        "| n/a [3] | 10 | 10% |")
    assert lines[5:] == ["[1] gan FLOPs: a GAN: 4 G + 8 D  ", "[2] gan with --distribute mirrored: exit status 2: "
                         "no replicas  ", "[3] gan with JAX (KERAS_BACKEND=jax): exit status 2: gan/train.py: error: "
                         "the GAN trains on TensorFlow only  "]


def test_the_recommendation_is_the_measured_fastest():
    text = speed.recommendation(made_up_results())
    assert "- ann: JAX (KERAS_BACKEND=jax), 2.00x plain\n- gan: plain\n" in text
    # Geometric means of the ratios to plain: jit sqrt(1.5 * 0.5), mixed sqrt(0.5 * 0.25); JAX ran in ann alone.
    assert "--jit-compile 0.87x (2 folders), --mixed-precision 0.35x (2 folders), --distribute mirrored 0.80x " \
           "(1 folders), JAX (KERAS_BACKEND=jax) 2.00x (1 folders)" in text
    assert "The fastest setting overall on this machine is JAX (KERAS_BACKEND=jax)** (2.00x plain over 1 " \
           "folders), fastest in 1 of 2 folders" in text


def test_the_epochs_are_described():
    assert speed.describe_epochs(quick=False) == "4 epochs (1 warm-up, 3 timed)"
    assert speed.describe_epochs(quick=True) == "2 epochs on its --quick slice (1 warm-up, 1 timed)"


def test_benchmarks_import_no_folders_layers_or_model():
    """benchmarks/ asks a folder through its train script, data set and saved models, never its internals: a FLOP
    count reads a saved model, and a layer that counts its own cost says so itself (flops_per_query)."""
    import ast

    folders = {path.parent.name for path in REPO_ROOT.glob("*/train.py")}
    imported = []
    for path in sorted((REPO_ROOT / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            imported += [(path.name, name) for name in names
                         if name.split(".")[0] in folders and name.split(".")[-1] in ("layers", "model")]
    assert len(folders) >= 10 and imported == []
