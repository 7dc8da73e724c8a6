"""Shared fixtures: run a script's main() in-process, run it as a real subprocess, check a file is NumPy-only,
stand in for the IMDB download."""

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import hypothesis.configuration
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Hypothesis writes its caches (and the failing examples of a test that keeps a database) into a .hypothesis folder of
# the working directory, database=None or not: keep them out of the repository, in the system's temporary folder.
hypothesis.configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "hypothesis-deep-learning-examples")

# The slowest test files, slowest first (seconds of all their tests on 2 cores, `pytest --durations=0`, 2026-12-07:
# 87, 80, 71, 67, 62, 56, 52, 51, 46, 42, 42, 41). pytest.ini hands whole files to the two workers in collection order
# (--dist loadfile --no-loadscope-reorder); sending the longest first lets both workers finish at about the same
# time, where xdist's own order (most tests first) left the JAX run and the notebooks for the end.
SLOWEST_FIRST = ("test_notebooks.py", "test_common_distribute.py", "test_attention_train.py", "test_cnn.py",
                 "test_serve.py", "test_jax_backend.py", "test_common_training.py", "test_ann.py",
                 "test_common_speed_flags.py", "test_classic_exercises.py", "test_autoencoder.py", "test_serve_fuzz.py",
                 "test_transformer_train.py", "test_transformer_model.py")


def pytest_collection_modifyitems(config, items):
    """The files of SLOWEST_FIRST first, in that order; every other file after them, in its usual order."""
    rank = {name: position for position, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # a stable sort: the tests of a file keep theirs


# Keras for the tests that compare a scratch version with it, and transformer/'s layers and model modules: each
# imported when a test asks for it
@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no CUDA or oneDNN start-up notices in the test output
    import keras

    return keras


@pytest.fixture(scope="module")
def transformer(keras):
    from transformer import layers

    return layers


@pytest.fixture(scope="module")
def gpt(keras):
    from transformer import model

    return model


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
def readme_snippet(capsys):
    """run(folder, run_dir): the code under a folder README's "### Use your trained model" (at most five lines), run
    with its run folder's path (/tmp/<name>_readme_run/... or runs/...) replaced by run_dir; returns the lines it
    printed."""
    import re

    def run(folder, run_dir):
        readme = (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")
        code = re.search(r"### Use your trained model\n.*?```python\n(.*?)```", readme, re.S).group(1)
        assert len(code.strip().splitlines()) <= 5
        path = re.search(r'"((?:/tmp/\w+_readme_run|runs)/[^"]+?)(/model\.keras)?"', code).group(1)  # its run
        capsys.readouterr()
        exec(code.replace(path, str(Path(run_dir))), {})  # the README's own code, nothing else
        return capsys.readouterr().out.strip().splitlines()

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
        code = f"import sys, {module}; print(sorted({{'keras', 'tensorflow'}} & set(sys.modules)))"
        completed = run_script(["-c", code])
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


@pytest.fixture
def assert_scores_recomputed():
    """Assert that a run folder's numbers are those of its own model.keras, recomputed here with scikit-learn.

    check(run_dir, dataset, raw=None): dataset is what the run trained on (for --quick runs,
    `load_dataset(...).quick_slice()`). raw, for a folder whose model.keras has its preprocessing inside (ann/), turns
    the data set's arrays into the raw rows that model reads; its answers are then scored as they are (a regression
    already in the target's units), and the loss is the trained network's inside it, on the arrays it trained on.
    - model.keras is the best epoch's model: its validation loss is the lowest in history.csv;
    - the test metrics in metrics.json, and the validation metrics beside them, are those of that model's
      predictions: accuracy and macro F1 for classification (every step of a tagged sequence counts), RMSE in original
      units for regression and forecasts (the saved forecaster reads the raw values before each target and answers
      in the series' units), bits per character for text.
    Returns (model, metrics.json as a dict).
    """

    def check(run_dir, dataset, raw=None):
        import json

        import keras
        import numpy as np
        import pandas as pd
        from sklearn import metrics as sk_metrics

        run_dir = Path(run_dir)
        saved = json.loads((run_dir / "metrics.json").read_text())
        model = keras.saving.load_model(run_dir / "model.keras")
        best = pd.read_csv(run_dir / "history.csv")["val_loss"].min()
        x_val, y_val = dataset.x_val, dataset.y_val
        if dataset.task == "seq2seq":  # teacher forcing: the decoder reads y[:, :-1] and is scored on y[:, 1:]
            x_val, y_val = [x_val, y_val[:, :-1]], y_val[:, 1:]
        forecast = bool(dataset.meta.get("forecast"))  # model.keras: common/forecast_model.py's, raw values in
        # Called directly rather than through evaluate/predict: the same numbers without tracing a graph each time.
        if raw is None and not forecast:
            val_loss = float(model.loss(y_val, model(x_val, training=False)))
        else:  # the trained network inside the end-to-end model, and the loss its task trains with
            from common.tasks import loss_for_task

            (network,) = [layer for layer in model.layers if isinstance(layer, keras.Model)]
            val_loss = float(loss_for_task(dataset.task, dataset.num_classes)(y_val, network(x_val, training=False)))
        assert val_loss == pytest.approx(best, rel=1e-4, abs=1e-6)

        if dataset.task == "seq2seq":  # scored by decoding: attention's own tests recompute it from predictions.txt
            return model, saved
        # The test split, and the validation split scored the same way (metrics.json's "validation": what
        # benchmarks/tune.py chooses settings by).
        for key, x, y, part in (("test", dataset.x_test, dataset.y_test, "test"),
                                ("validation", dataset.x_val, dataset.y_val, "val")):
            given = x if raw is None else raw(x).astype("float32")
            if forecast:  # the values before each target, in the series' own units
                from common.inputs import histories

                given = histories(dataset, part)[:len(x)]
            outputs = np.asarray(keras.ops.convert_to_numpy(model(given, training=False)), dtype="float64")
            scores = saved[key]
            if dataset.task == "classification":
                y_true = y.reshape(-1)
                outputs = outputs.reshape(len(y_true), -1)
                y_pred = (outputs[:, 0] > 0.5).astype(int) if outputs.shape[1] == 1 else outputs.argmax(axis=1)
                assert scores["accuracy"] == pytest.approx(sk_metrics.accuracy_score(y_true, y_pred), abs=1e-9)
                assert scores["f1_macro"] == pytest.approx(sk_metrics.f1_score(
                    y_true, y_pred, labels=list(range(dataset.num_classes)), average="macro", zero_division=0),
                    abs=1e-9)
            elif dataset.task == "generation":
                chosen = np.take_along_axis(outputs, y[..., None].astype("int64"), axis=-1)
                assert scores["bits_per_char"] == pytest.approx(-np.mean(np.log2(np.clip(chosen, 1e-12, 1))),
                                                                rel=1e-5)
            elif dataset.meta.get("forecast"):
                meta = dataset.meta
                indices = meta["target_indices"][part][:len(x)]
                predicted = outputs[:, 0]  # the next value in the series' units, the transform undone inside
                rmse = np.sqrt(sk_metrics.mean_squared_error(meta["series"][indices], predicted))
                assert scores["rmse"] == pytest.approx(rmse, rel=1e-5)
            else:  # plain regression, in the target's original units
                scaler = dataset.meta.get("target_scaler")
                def undo(values, scaler=scaler):  # scaled target values back to the data's units
                    return values if scaler is None else scaler.inverse_transform(values.reshape(-1, 1)).ravel()

                predicted = outputs.reshape(len(y), -1)[:, 0]
                rmse = np.sqrt(sk_metrics.mean_squared_error(
                    undo(y.astype("float64")), predicted if raw is not None else undo(predicted)))
                assert scores["rmse"] == pytest.approx(rmse, rel=1e-5)
        return model, saved

    return check


@pytest.fixture
def patch_imdb(monkeypatch):
    """Replace keras.datasets.imdb's download by tiny reviews: those ending in word 7 are positive, in 8 negative."""
    import keras
    import numpy as np

    def fake_imdb(num_words=10000, **_):
        rng = np.random.default_rng(0)

        def reviews(count):
            labels = rng.integers(0, 2, count)
            texts = [list(rng.integers(3, 50, rng.integers(5, 30))) + [7 if label else 8] for label in labels]
            return np.array(texts, dtype=object), labels

        return reviews(5200), reviews(100)

    monkeypatch.setattr(keras.datasets.imdb, "load_data", fake_imdb)
