"""common/training.py, common/runs.py, common/evaluation.py and common/tasks.py: a toy run through the helpers a train
script calls (the run folder, evaluators, determinism, the summary line, Ctrl-C); the evaluators by hand are in
test_common_evaluation.py."""

import dataclasses
import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from common import evaluation, runs, tasks, training
from common.config import REPO_ROOT, TrainConfig, make_run_dir
from common.datasets import Dataset

RUN_FILES = {"config.json", "history.csv", "metrics.json", "model.keras", "summary.txt"}


def blobs_dataset(num_classes=3, num_examples=120, seed=0):
    """Well-separated Gaussian blobs: any working classifier learns them within a couple of epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(num_examples) % num_classes
    x = (rng.normal(size=(num_examples, 4)) + 4 * np.eye(num_classes, 4)[y]).astype("float32")
    parts = (x[:80], y[:80], x[80:100], y[80:100], x[100:], y[100:])
    return Dataset("blobs", "classification", *parts, class_names=[f"c{i}" for i in range(num_classes)])


def build_for(dataset):
    def build():
        inputs = keras.Input(shape=dataset.input_shape)
        hidden = keras.layers.Dense(8, activation="relu")(inputs)
        return keras.Model(inputs, tasks.output_layer(dataset.task, dataset.num_classes)(hidden))
    return build


def train_toy(config, dataset, build):
    """What a train script does around its model, here with the task's standard loss: the helpers under test."""
    keras.utils.set_random_seed(config.seed)
    dataset, epochs = training.quick_settings(config, dataset)
    model = build()
    model.compile(optimizer=training.make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                  loss=tasks.loss_for_task(dataset.task, dataset.num_classes),
                  metrics=tasks.metrics_for_task(dataset.task, dataset.num_classes))
    run_dir = runs.start_run(config, "toy", dataset.name, model)
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size,
                        callbacks=training.make_callbacks(config, run_dir), verbose=0)
    evaluate = evaluation.evaluate_regression if dataset.task == "regression" else evaluation.evaluate_classification
    return runs.finish_run(run_dir, model, history, evaluate(model, dataset, run_dir), dataset, 1.5)


@dataclasses.dataclass
class SmallConfig(TrainConfig):
    dataset: str = "blobs"
    epochs: int = 15
    learning_rate: float = 0.01
    batch_size: int = 16


def test_output_layer_and_loss_follow_the_task():
    assert tasks.output_layer("classification", 10).get_config()["activation"] == "softmax"
    binary = tasks.output_layer("classification", 2)
    assert binary.units == 1 and binary.get_config()["activation"] == "sigmoid"
    assert tasks.output_layer("regression").get_config()["activation"] == "linear"
    assert isinstance(tasks.loss_for_task("classification", 2), keras.losses.BinaryCrossentropy)
    assert isinstance(tasks.loss_for_task("classification", 5), keras.losses.SparseCategoricalCrossentropy)
    assert isinstance(tasks.loss_for_task("regression"), keras.losses.MeanSquaredError)
    with pytest.raises(ValueError):
        tasks.output_layer("classification", 1)


def test_predicted_classes_from_sigmoid_and_softmax():
    assert tasks.predicted_classes(np.array([[0.2], [0.7]])).tolist() == [0, 1]
    assert tasks.predicted_classes(np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])).tolist() == [1, 0]
    assert tasks.predicted_confidence(np.array([[0.2], [0.7]])) == pytest.approx([0.8, 0.7])
    assert tasks.predicted_confidence(np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])) == pytest.approx([0.6, 0.5])


def test_run_folder_contents_and_learning(tmp_path):
    dataset = blobs_dataset()
    result = train_toy(SmallConfig(output_dir=str(tmp_path)), dataset, build_for(dataset))
    run_dir = tmp_path / "toy" / result["run_dir"].split("/")[-1]
    assert run_dir.parent.parent == tmp_path and run_dir.name.startswith("blobs-")
    assert RUN_FILES <= {p.name for p in run_dir.iterdir()}
    assert {p.name for p in (run_dir / "plots").iterdir()} == {"learning_curves.png", "confusion_matrix.png"}

    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["dataset"] == "blobs" and saved["task"] == "classification"
    assert set(saved["test"]) == {"accuracy", "precision_macro", "recall_macro", "f1_macro"}
    assert saved["test"]["accuracy"] >= 0.9  # the blobs are separable; the majority class gets a third
    assert saved["baselines"]["majority_class"]["accuracy"] == pytest.approx(6 / 20)  # always class 0
    assert saved["params"] == 4 * 8 + 8 + 8 * 3 + 3 and saved["epochs_run"] == len(result["history"]["loss"])
    assert np.array(saved["confusion_matrix"]).sum() == 20 and set(saved["per_class"]) == {"c0", "c1", "c2"}

    history = pd.read_csv(run_dir / "history.csv")
    assert len(history) == saved["epochs_run"] and history["loss"].iloc[-1] < history["loss"].iloc[0]
    # EpochTimer: the seconds of each epoch's training steps, in the returned history only (benchmarks/speed.py)
    assert "epoch_seconds" not in history.columns and saved["train_examples"] == len(dataset.x_train)
    seconds = result["history"]["epoch_seconds"]
    assert len(seconds) == saved["epochs_run"] and all(value > 0 for value in seconds)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["script"] == "tests/test_common_training.py" and config["folder"] == "tests"
    assert config["epochs"] == 15 and config["learning_rate"] == 0.01
    assert "Total params" in (run_dir / "summary.txt").read_text()
    model = keras.saving.load_model(run_dir / "model.keras")  # safe mode is Keras' default
    assert model.predict(dataset.x_test, verbose=0).shape == (20, 3)
    # The validation split scored like the test split: what benchmarks/tune.py chooses settings by.
    assert set(saved["validation"]) == set(saved["test"])
    assert saved["validation"]["accuracy"] == pytest.approx(
        np.mean(model.predict(dataset.x_val, verbose=0).argmax(axis=1) == dataset.y_val))
    assert result["summary"].startswith("test_accuracy=") and result["summary"].endswith(f"run_dir={run_dir}")


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    dataset = blobs_dataset()
    histories = [train_toy(SmallConfig(output_dir=str(tmp_path), epochs=3, seed=seed), dataset,
                                             build_for(dataset))["history"]["loss"] for seed in (1, 1, 2)]
    assert histories[0] == histories[1]
    assert histories[0] != histories[2]


def test_binary_and_regression_evaluation(tmp_path):
    binary = blobs_dataset(num_classes=2)
    result = train_toy(SmallConfig(output_dir=str(tmp_path)), binary, build_for(binary))
    assert result["params"] == 4 * 8 + 8 + 8 + 1 and result["test"]["accuracy"] >= 0.9

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype("float32")
    y = 100 + 10 * x[:, 0]  # original units: mean 100, spread 10
    scaler = StandardScaler().fit(y[:80, None])
    scaled = [scaler.transform(part[:, None]).ravel() for part in (y[:80], y[80:100], y[100:])]
    regression = Dataset("line", "regression", x[:80], scaled[0], x[80:100], scaled[1], x[100:], scaled[2],
                         meta={"target_scaler": scaler})
    result = train_toy(SmallConfig(output_dir=str(tmp_path), epochs=40), regression,
                                         build_for(regression))
    assert set(result["test"]) == {"mae", "mse", "rmse"}
    # Reported in original units: the mean baseline is off by about the spread (10), the model by much less.
    assert 6 < result["baselines"]["mean"]["rmse"] < 15
    assert result["test"]["rmse"] < 0.5 * result["baselines"]["mean"]["rmse"]
    assert (tmp_path / "toy" / result["run_dir"].split("/")[-1] / "plots" / "predictions.png").exists()


def test_learning_rate_is_halved_when_validation_stalls(tmp_path):
    dataset = blobs_dataset()
    assert not any(isinstance(c, keras.callbacks.ReduceLROnPlateau)
                   for c in training.make_callbacks(SmallConfig(), tmp_path))
    # Patience 1 and a learning rate so large that the validation loss cannot keep improving.
    config = SmallConfig(output_dir=str(tmp_path), reduce_lr_patience=1, learning_rate=2.0, patience=30)
    history = train_toy(config, dataset, build_for(dataset))["history"]
    rates = history["learning_rate"]
    assert rates[0] == pytest.approx(2.0) and min(rates) < 2.0
    assert all(later in (earlier, pytest.approx(earlier / 2)) for earlier, later in zip(rates, rates[1:]))


def test_the_saved_and_scored_model_is_the_best_epochs_not_the_last(tmp_path):
    """Validation labels that contradict the training labels: the better the model fits the training split, the
    worse its validation loss, so the best epoch is the first and the last is far worse."""
    dataset = blobs_dataset()
    contrary = dataclasses.replace(dataset, y_val=(dataset.y_val + 1) % 3)
    config = SmallConfig(output_dir=str(tmp_path), epochs=6, patience=10, learning_rate=0.05)
    result = train_toy(config, contrary, build_for(contrary))
    run_dir = tmp_path / "toy" / result["run_dir"].split("/")[-1]
    val_loss = pd.read_csv(run_dir / "history.csv")["val_loss"].to_numpy()
    assert len(val_loss) == 6 and np.argmin(val_loss) < 5 and val_loss[-1] > val_loss.min() + 0.1

    model = keras.saving.load_model(run_dir / "model.keras")
    assert model.evaluate(contrary.x_val, contrary.y_val, verbose=0)[0] == pytest.approx(val_loss.min(), rel=1e-4)
    # The test metrics were computed with that same (best) model.
    predicted = tasks.predicted_classes(model.predict(contrary.x_test, verbose=0))
    assert result["test"]["accuracy"] == pytest.approx(np.mean(predicted == contrary.y_test))


def test_quick_runs_two_epochs_on_a_slice(tmp_path):
    dataset = blobs_dataset()
    result = train_toy(SmallConfig(output_dir=str(tmp_path), quick=True), dataset,
                                         build_for(dataset))
    assert result["epochs_run"] == training.QUICK_EPOCHS


def test_run_folders_are_never_reused(tmp_path):
    first = make_run_dir(tmp_path, "ann", "digits")
    (first / "marker").write_text("keep me")
    second = make_run_dir(tmp_path, "ann", "digits")
    assert second != first and (first / "marker").read_text() == "keep me"


def test_unwritable_output_dir_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    dataset = blobs_dataset()

    def refuse(self, *args, **kwargs):
        raise PermissionError(f"[Errno 13] Permission denied: '{self}'")

    monkeypatch.setattr(runs.Path, "mkdir", refuse)
    with pytest.raises(SystemExit) as exit_info:
        train_toy(SmallConfig(output_dir=str(tmp_path)), dataset, build_for(dataset))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "Permission denied" in err[0]


def test_summary_line_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = runs.summary_line({"accuracy": 0.98111, "f1_macro": 0.9809}, 6570, 9.23, tmp_path / "runs" / "x")
    assert line == "test_accuracy=0.9811 test_f1_macro=0.9809 params=6570 train_seconds=9.2 run_dir=runs/x"
    elsewhere = runs.summary_line({"rmse": 2.0}, 1, 1.0, "/somewhere/else")  # outside the current folder
    assert elsewhere.endswith("run_dir=/somewhere/else")


def test_clip_norm_bounds_each_step_of_the_optimizer():
    """With --clip-norm c a huge gradient moves SGD's weights by at most learning_rate * c; without, by all of it."""
    from common.training import make_optimizer

    for clip_norm, expected_step in ((0.0, 300.0), (2.0, 2.0)):
        weight = keras.Variable(np.zeros(3, dtype="float32"))
        optimizer = make_optimizer("sgd", learning_rate=1.0, clip_norm=clip_norm)
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(np.array([0.0, 300.0, 0.0], "float32")), weight)])
        np.testing.assert_allclose(np.abs(keras.ops.convert_to_numpy(weight)).sum(), expected_step, rtol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# Ctrl-C: a real SIGINT sent to a training subprocess

def start_long_training(tmp_path):
    """python -m ann.train with 400 epochs and no early stop, read until its third epoch has begun."""
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    process = subprocess.Popen([sys.executable, "-u", "-m", "ann.train", "--epochs", "400", "--patience", "400",
                                "--output-dir", str(tmp_path)], cwd=REPO_ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Epoch 3/400"):
            return process, lines
    raise AssertionError("training ended before its third epoch: " + "".join(lines[-5:]) + process.stderr.read())


def test_first_ctrl_c_stops_training_and_the_run_is_scored_and_saved(tmp_path):
    process, _ = start_long_training(tmp_path)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert err.splitlines() == ["Ctrl-C: training stops after this batch; the best weights so far will be scored "
                                "and saved (Ctrl-C again to abort)"]
    assert out.splitlines()[-1].startswith("test_accuracy=")
    run_dir = next((tmp_path / "ann").iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 3 <= metrics["interrupted_at_epoch"] == metrics["epochs_run"] < 400
    assert metrics["test"]["accuracy"] > 0.8  # a few epochs on digits
    assert (run_dir / "model.keras").is_file() and not (run_dir / "INCOMPLETE").exists()


def test_second_ctrl_c_aborts_at_once_and_marks_the_run_folder(tmp_path):
    process, _ = start_long_training(tmp_path)
    process.send_signal(signal.SIGINT)
    first = process.stderr.readline()  # the first has been handled: the second is a second, not the same one twice
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130
    lines = [first.rstrip("\n"), *err.splitlines()]
    assert len(lines) == 2 and lines[0].startswith("Ctrl-C: training stops") and "Traceback" not in err
    run_dir = next((tmp_path / "ann").iterdir())
    assert lines[1] == f"aborted by a second Ctrl-C: {run_dir} is incomplete (see INCOMPLETE there)"
    assert (run_dir / "INCOMPLETE").is_file() and not (run_dir / "metrics.json").exists()


# Ctrl-C leaves the process as it found it: after a run, however it ends, the SIGINT handler is the one from before (in
# a notebook, the kernel's own: the run's would swallow the next interrupt and end the kernel at the one after).

class PlantedError(Exception):
    """An error raised from inside fit, as a bug in a callback or a layer would be."""


@pytest.fixture
def handler_before():
    """A SIGINT handler of this test's own, in place while a toy run starts; it counts the signals it receives (so a
    signal that reaches it does not end the test session). Yields (handler, received signals); pytest's comes back."""
    runs.Interruption.stop()  # a run that some other test left behind would put back its own handler first
    received = []

    def handler(signum, frame):
        received.append(signum)

    before = signal.signal(signal.SIGINT, handler)
    yield handler, received
    signal.signal(signal.SIGINT, before)


def train_toy_calling(monkeypatch, tmp_path, on_first_batch):
    """train_toy on blobs, two epochs, with on_first_batch() called at the end of its first batch; also returns the
    SIGINT handler that was in place while fit ran."""
    during = []

    class FirstBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if not during:
                during.append(signal.getsignal(signal.SIGINT))
                on_first_batch()

    make_callbacks = training.make_callbacks
    monkeypatch.setattr(training, "make_callbacks", lambda config, run_dir: [*make_callbacks(config, run_dir),
                                                                             FirstBatch()])
    config = SmallConfig(epochs=2, output_dir=str(tmp_path))
    result = train_toy(config, blobs_dataset(), build_for(blobs_dataset()))
    return result, during[0]


def test_a_run_that_ends_normally_puts_back_the_sigint_handler(handler_before, monkeypatch, tmp_path):
    handler, received = handler_before
    result, during = train_toy_calling(monkeypatch, tmp_path, lambda: None)
    assert isinstance(getattr(during, "__self__", None), runs.Interruption)  # the run's own while it trained
    assert result["epochs_run"] == 2 and "interrupted_at_epoch" not in result
    assert signal.getsignal(signal.SIGINT) is handler and received == []


def test_a_run_ended_by_the_first_ctrl_c_puts_back_the_sigint_handler(handler_before, monkeypatch, tmp_path, capsys):
    handler, received = handler_before
    result, _ = train_toy_calling(monkeypatch, tmp_path, lambda: signal.raise_signal(signal.SIGINT))
    assert result["interrupted_at_epoch"] == result["epochs_run"] == 1  # the run took the signal, not the handler
    assert received == [] and capsys.readouterr().err.startswith("Ctrl-C: training stops after this batch")
    assert signal.getsignal(signal.SIGINT) is handler
    signal.raise_signal(signal.SIGINT)  # the next Ctrl-C reaches the handler from before
    assert received == [signal.SIGINT]


def test_a_run_ended_by_an_error_in_fit_puts_back_the_sigint_handler(handler_before, monkeypatch, tmp_path):
    handler, received = handler_before

    def fail():
        raise PlantedError("a bug inside fit")

    with pytest.raises(PlantedError):
        train_toy_calling(monkeypatch, tmp_path, fail)
    assert signal.getsignal(signal.SIGINT) is handler and runs.Interruption.current is None
    signal.raise_signal(signal.SIGINT)
    assert received == [signal.SIGINT]


def test_a_run_ended_by_an_error_after_fit_puts_back_the_sigint_handler(handler_before, monkeypatch, tmp_path):
    """The gap between fit and finish_run: an error while the script scores the model (before finish_run)."""
    handler, received = handler_before

    def fail(*args):
        raise PlantedError("a bug in the scoring")

    monkeypatch.setattr(evaluation, "evaluate_classification", fail)
    with pytest.raises(PlantedError):
        train_toy_calling(monkeypatch, tmp_path, lambda: None)
    assert signal.getsignal(signal.SIGINT) is handler
    signal.raise_signal(signal.SIGINT)
    assert received == [signal.SIGINT]


def test_a_run_that_never_reaches_fit_leaves_the_sigint_handler_and_the_model_alone(handler_before, tmp_path):
    handler, received = handler_before
    model = build_for(blobs_dataset())()
    runs.start_run(SmallConfig(output_dir=str(tmp_path)), "toy", "blobs", model)
    assert signal.getsignal(signal.SIGINT) is handler  # the run's handler is in place only while fit runs
    assert "fit" in vars(model)  # wrapped, for the run's fit ...
    assert runs.Interruption.stop() is False and "fit" not in vars(model)  # ... and given back unused
    signal.raise_signal(signal.SIGINT)
    assert received == [signal.SIGINT]

