"""Keras 3 is multi-backend (issue #15): every folder's --quick run on the JAX backend, and the GAN's refusal of it.

    KERAS_BACKEND=jax python -m ann.train --quick          # likewise every folder below
    python -m pytest -q -n 0 tests/test_jax_backend.py

The backend is chosen once per process, when Keras is first imported, and this test process has TensorFlow's. So
the runs happen in one child process with KERAS_BACKEND=jax, which calls each folder's main() in turn (one import
of JAX and Keras for all of them) and prints one JSON line per folder. Each model.keras is then loaded back in that
child, under JAX, and asked for predictions on a few inputs made to its input shapes. The GAN's train_step is
written with tf.GradientTape, so gan/train.py refuses the JAX backend as bad input: tested here in-process.
"""

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gan.train

# Each folder's default task through its own main(), made cheap: --quick (a small slice) and one epoch, small widths
# where the default's are large, and the 8x8 digits for the image models. The cnn keeps its augmentation layers
# (RandomRotation, RandomTranslation, RandomZoom): they declare themselves unfit for XLA, so on JAX fit runs its step
# op by op, a path of its own; batches of 128 keep those steps few.
RUNS = {
    "ann": ["--epochs", "1"],
    "cnn": ["--epochs", "1", "--dataset", "digits", "--arch", "basic", "--batch-size", "128"],
    "rnn": ["--epochs", "1"],
    "lstm": ["--epochs", "1"],
    "gru": ["--epochs", "1", "--units", "32", "--sample-length", "20"],
    "deep_rnn": ["--epochs", "1", "--dataset", "digits", "--units", "16"],
    "birnn": ["--epochs", "1", "--units", "8"],
    "attention": ["--epochs", "1", "--units", "16", "--embedding-dim", "8", "--num-heatmaps", "1"],
    "autoencoder": ["--epochs", "1", "--arch", "vae", "--dataset", "digits"],  # the VAE draws with keras.random
    "transformer": ["--epochs", "1", "--d-model", "16", "--heads", "2", "--layers", "1", "--ff-dim", "32",
                    "--sample-length", "20"],
}

# The child: each folder's main(), then its model.keras loaded back under JAX and run on a few made-up inputs
# (whole-number inputs are token ids, and 0 is one in every vocabulary; a length left open gets 8 steps).
# Each line also says how many seconds the folder took, for whoever finds this test slow.
CHILD = textwrap.dedent("""
    import contextlib, importlib, json, sys, time
    from pathlib import Path

    import keras
    import numpy as np

    output_dir, runs = sys.argv[1], json.loads(sys.argv[2])
    for folder, extra in runs.items():
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # the runs' own printing; stdout keeps the JSON lines only
            result = importlib.import_module(folder + ".train").main([*extra, "--quick", "--output-dir", output_dir])
            model = keras.saving.load_model(Path(result["run_dir"]) / "model.keras")
            rng = np.random.default_rng(0)
            inputs = []
            for spec in model.inputs:
                shape = (4, *(8 if size is None else size for size in spec.shape[1:]))
                is_tokens = "int" in str(spec.dtype)
                inputs.append(np.zeros(shape, spec.dtype) if is_tokens else rng.uniform(size=shape).astype(spec.dtype))
            outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
            finite = all(bool(np.isfinite(np.asarray(output)).all()) for output in keras.tree.flatten(outputs))
        print(json.dumps({"folder": folder, "backend": keras.backend.backend(), "test": result["test"],
                          "run_dir": result["run_dir"], "loaded_predictions_finite": finite,
                          "seconds": round(time.perf_counter() - start, 1)}), flush=True)
""")


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory) -> dict:
    """{folder: the child's JSON line} for every folder of RUNS, trained in one child process on JAX."""
    output_dir = tmp_path_factory.mktemp("jax-runs")
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    env["KERAS_BACKEND"] = "jax"
    # Most of a --quick run on JAX is XLA compiling each train, test and predict step for the CPU (a recurrent
    # step: seconds). Compiling without the backend's optimisations takes a third of the time and gives the same
    # numbers here; the steps it makes run slower, which these tiny runs do not notice.
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()
    completed = subprocess.run([sys.executable, "-c", CHILD, str(output_dir), json.dumps(RUNS)],
                               cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    return {line["folder"]: line for line in lines}


def test_every_folder_trains_saves_and_reloads_on_jax(jax_runs):
    assert sorted(jax_runs) == sorted(RUNS)
    for folder, run in jax_runs.items():
        assert run["backend"] == "jax", folder
        assert run["test"], folder
        for name, value in run["test"].items():
            assert isinstance(value, (int, float)) and math.isfinite(value), (folder, name, value)
        run_dir = Path(run["run_dir"])
        for file_name in ("model.keras", "metrics.json", "history.csv"):
            assert (run_dir / file_name).is_file(), (folder, file_name)
        assert json.loads((run_dir / "metrics.json").read_text())["test"] == run["test"], folder
        assert run["loaded_predictions_finite"], folder


def test_the_gan_refuses_jax_in_one_line(assert_bad_input, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert_bad_input(gan.train.main, [], "this GAN's train_step is written with tf.GradientTape, so it needs the "
                                         "TensorFlow backend (KERAS_BACKEND is 'jax')")
