"""The bookkeeping around a train script's own compile and fit: the run folder, callbacks, evaluation, summary.

    strategy = make_strategy(config.distribute)                  # --distribute, before TensorFlow runs anything
    dataset, epochs = quick_settings(config, dataset)            # --quick: a slice and two epochs
    with strategy.scope():                                       # variables mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):      # --mixed-precision: float16 maths, float32 weights
            model = build_model(...)
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm), loss=...,
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)
    run_dir = start_run(config, "ann", dataset.name, model)      # config.json, summary.txt
    history = model.fit(..., epochs=epochs, callbacks=make_callbacks(config, run_dir), verbose=progress_verbosity())
    result = finish_run(run_dir, model, history, evaluate_classification(model, dataset, run_dir), dataset, seconds)

An evaluator, `evaluate(model, dataset, run_dir) -> Evaluation`, scores the test split beside its baselines and saves
the task's own plots: classification and regression are here, a folder with another task writes its own.

A run folder (never overwritten; with --distribute multi-worker only the chief writes one) holds:
    config.json  history.csv  metrics.json  model.keras  summary.txt  plots/learning_curves.png  plots/<task's own>
    tensorboard/ (with --tensorboard)
"""

import csv
import dataclasses
import functools
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from common import metrics, plots
from common.config import TrainConfig, exit_on_bad_input, fail, is_chief, make_run_dir, script_name
from common.datasets import Dataset
from common.tasks import predicted_classes

log = logging.getLogger(__name__)

QUICK_EPOCHS = 2


@dataclasses.dataclass
class Evaluation:
    """Test metrics, the same metrics for each baseline, and anything else worth keeping in metrics.json.

    validation holds the same metrics on the validation split: what settings are chosen by (benchmarks/tune.py),
    never the test split. outputs holds the model's raw test-split outputs (not saved), so a folder's own pictures
    need no second predict.
    """

    test: dict[str, float]
    baselines: dict[str, dict[str, float]]
    details: dict = dataclasses.field(default_factory=dict)
    outputs: np.ndarray | None = None
    validation: dict[str, float] = dataclasses.field(default_factory=dict)


Evaluator = Callable[[keras.Model, Dataset, Path], Evaluation]


# ----------------------------------------------------------------------------------------------------------------
# Evaluators: how the test split is scored for each task


def evaluate_classification(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
    """Accuracy and macro precision/recall/F1 beside the majority-class baseline; confusion matrix plot.

    A label per time step (tagging: y of shape (n, time)) is scored over every step of every test sequence.
    """

    def classes(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:  # (outputs, n predicted classes)
        outputs = model.predict(x, verbose=0)
        return outputs, predicted_classes(outputs.reshape(n, -1))  # (n, k) or (n * time, k) class probabilities

    y_test, y_train, y_val = dataset.y_test.reshape(-1), dataset.y_train.reshape(-1), dataset.y_val.reshape(-1)
    outputs, y_pred = classes(dataset.x_test, len(y_test))
    matrix = metrics.confusion_matrix(y_test, y_pred, dataset.num_classes)
    plots.plot_confusion_matrix(matrix, dataset.class_names, run_dir / "plots" / "confusion_matrix.png")
    return Evaluation(
        test=metrics.classification_metrics(y_test, y_pred, dataset.num_classes),
        validation=metrics.classification_metrics(y_val, classes(dataset.x_val, len(y_val))[1], dataset.num_classes),
        baselines={"majority_class": metrics.majority_class_baseline(y_train, y_test, dataset.num_classes)},
        details={
            "per_class": metrics.per_class_report(y_test, y_pred, dataset.class_names),
            "confusion_matrix": matrix.tolist(),
        },
        outputs=outputs,
    )


def evaluate_regression(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
    """MAE/MSE/RMSE in the target's original units beside the predict-the-training-mean baseline."""
    to_original = original_units(dataset)

    def predict(x: np.ndarray) -> np.ndarray:
        return to_original(model.predict(x, verbose=0).reshape(len(x), -1)[:, 0])

    y_pred = predict(dataset.x_test)
    y_test, y_train = to_original(dataset.y_test), to_original(dataset.y_train)
    plots.plot_predictions(y_test, y_pred, run_dir / "plots" / "predictions.png")
    return Evaluation(
        test=metrics.regression_metrics(y_test, y_pred),
        validation=metrics.regression_metrics(to_original(dataset.y_val), predict(dataset.x_val)),
        baselines={"mean": metrics.mean_baseline(y_train, y_test)},
    )


def original_units(dataset: Dataset) -> Callable[[np.ndarray], np.ndarray]:
    """A function undoing the target scaling recorded in dataset.meta["target_scaler"] (identity if none)."""
    scaler = dataset.meta.get("target_scaler")
    if scaler is None:
        return lambda values: np.asarray(values, dtype="float64").ravel()
    return lambda values: scaler.inverse_transform(np.asarray(values, dtype="float64").reshape(-1, 1)).ravel()


EVALUATORS: dict[str, Evaluator] = {"classification": evaluate_classification, "regression": evaluate_regression}

CLASSICAL_LIMIT = 10_000  # training examples above which the classical baselines are skipped (an SVM is O(n^2))


def classical_baselines(dataset: Dataset, quick: bool = False) -> dict[str, dict[str, float]]:
    """What a practitioner would fit first, on the same split, scored like the network: logistic regression and an
    RBF support-vector machine for classes, ridge regression for a value (in the target's original units).

    Inputs are flattened (an image becomes its pixels). Each model's one setting (C, or ridge's alpha) is chosen on
    the validation split, never on test; with quick (a --quick run, which checks that everything works) only the
    middle setting is fitted. Empty when the training split holds more than CLASSICAL_LIMIT examples.
    """
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.svm import SVC

    if len(dataset.x_train) > CLASSICAL_LIMIT:
        return {}
    flat = [x.reshape(len(x), -1) for x in (dataset.x_train, dataset.x_val, dataset.x_test)]
    if dataset.task == "regression":
        to_original = original_units(dataset)
        candidates = {"ridge": [Ridge(alpha=alpha) for alpha in (0.1, 1.0, 10.0)]}

        def score(model, x, y):  # higher is better: minus the mse in the data's original units
            return -metrics.regression_metrics(to_original(y), to_original(model.predict(x)))["mse"]

    else:
        candidates = {
            "logistic_regression": [LogisticRegression(C=c, max_iter=2000) for c in (0.1, 1.0, 10.0)],
            "svm": [SVC(C=c, kernel="rbf", gamma="scale") for c in (1.0, 10.0, 100.0)],
        }

        def score(model, x, y):  # the accuracy
            return float(np.mean(model.predict(x) == y))

    if quick:
        candidates = {name: models[1:2] for name, models in candidates.items()}
    baselines = {}
    for name, models in candidates.items():
        best = max(
            (model.fit(flat[0], dataset.y_train) for model in models),
            key=lambda model: score(model, flat[1], dataset.y_val),
        )  # chosen on validation
        predicted = best.predict(flat[2])
        if dataset.task == "regression":
            baselines[name] = metrics.regression_metrics(to_original(dataset.y_test), to_original(predicted))
        else:
            baselines[name] = metrics.classification_metrics(dataset.y_test, predicted, dataset.num_classes)
        log.info("%s baseline: %s chosen on the validation split", name, best)
    return baselines


# ----------------------------------------------------------------------------------------------------------------
# Building blocks: optimizer, callbacks, files, the summary line


def make_optimizer(name: str, learning_rate: float, clip_norm: float = 0.0) -> keras.optimizers.Optimizer:
    """The optimizer; clip_norm > 0 rescales every step whose gradient (all weights together) is longer than it."""
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
    return optimizers[name](learning_rate=learning_rate, global_clipnorm=clip_norm or None)


class SingleDevice:
    """--distribute none: one device, no tf.distribute strategy; its scope() changes nothing, on any backend."""

    num_replicas_in_sync = 1

    def scope(self):
        return nullcontext()


def make_strategy(distribute: str):
    """The tf.distribute strategy a train script builds and compiles its model under (--distribute).

    Call it before any TensorFlow operation runs: a multi-worker strategy, and the split of a CPU into two logical
    devices, can only be set up before TensorFlow starts its runtime.

    mirrored: one copy (replica) of the model per local GPU. Each training step splits the global batch
    (--batch-size) between the replicas, each computes the gradients of its share, the gradients are summed across
    replicas (an all-reduce), and every replica applies the same update, so the copies stay identical. On a machine
    without a GPU the CPU is split into two logical devices, so that the mechanics run (and are tested) anywhere:
    expect no speed-up from that, both devices share the same cores. A second run in the same process (a study that
    trains several models) uses the two devices the first one made; a process where TensorFlow started without them
    (a notebook or a test that ran TensorFlow first) is refused, one line and exit status 2 (see below).
    multi-worker: the same across machines, every one running the same command with its own TF_CONFIG (see
    common.config.read_tf_config); the gradients travel between them over the network (gRPC).
    """
    if distribute == "none":
        return SingleDevice()
    import tensorflow as tf

    if distribute == "multi-worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        mend_keras_for_multi_worker()
    elif tf.config.list_physical_devices("GPU"):
        strategy = tf.distribute.MirroredStrategy()  # every local GPU
    else:
        cpu = tf.config.list_physical_devices("CPU")[0]
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        except RuntimeError:  # the runtime has started: the CPU's logical devices can no longer change
            pass
        devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        if len(devices) < 2:
            # TensorFlow started in this process before the CPU was split. This used to mirror over the one device
            # it had, which teaches nothing and crashed TensorFlow now and then (a segmentation fault in the LSTM's
            # validation pass, in tests): refused like any input that cannot work, before anything is written.
            fail(
                "--distribute mirrored without a GPU splits the CPU into two logical devices, which TensorFlow "
                "allows only before it starts, and it has started in this process already: run the script in a "
                "new process (or restart the notebook's kernel), or leave --distribute out"
            )
        # The gradients are added on one device and copied back (ReductionToOneDevice): TensorFlow's collective
        # all-reduce, its choice otherwise, fails on a second model trained in the same process (a compare study).
        strategy = tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
    log.info("--distribute %s: %d replicas in sync", distribute, strategy.num_replicas_in_sync)
    return strategy


def mend_keras_for_multi_worker() -> None:
    """Let Keras 3.15's fit run under MultiWorkerMirroredStrategy (keras-team/keras issue 20585, open), in two places.

    1. Before the first step, fit reads one batch to build the model's shapes and averages it over the replicas with
       strategy.reduce, which this strategy cannot do for a tuple (x, y) of per-replica tensors ("Attempt to convert
       a value (PerReplica...) to a Tensor"). Only the shapes matter there: Keras gets this worker's share instead.
    2. After every step, the losses and metrics of the replicas are averaged with reduce(..., axis=0), which fails
       for a number ("Invalid reduction dimension 0 for input with 0 dimensions"): they are averaged with axis=None,
       the mean over replicas, as on one machine.
    Both touch private Keras code: requirements.txt pins Keras below 3.16, and tests/test_common_distribute.py runs
    two workers, so a Keras that changes either is noticed at once.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as keras_trainer

    keras_build = keras_trainer.TensorFlowTrainer._maybe_symbolic_build
    keras_reduce = keras_trainer.reduce_per_replica
    if getattr(keras_build, "mended", False):
        return

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and data_batch is None:
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(
                    lambda value: value.values[0] if isinstance(value, tf.distribute.DistributedValues) else value,
                    next(batches),
                )
                break
        return keras_build(self, data_batch=data_batch)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return keras.tree.map_structure(lambda value: strategy.reduce("MEAN", value, axis=None), values)
        return keras_reduce(values, strategy, reduction)

    maybe_symbolic_build.mended = True
    keras_trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    keras_trainer.reduce_per_replica = reduce_per_replica


@contextmanager
def mixed_precision_scope(enabled: bool):
    """Layers built inside compute in float16 and keep float32 weights when enabled (Keras' mixed_float16 policy).

    The policy is global in Keras, so it is set to float32 again on the way out, also after an error: nothing built
    later (a scorer, the next run of a benchmark or test in the same process) inherits it. A model keeps the policy it
    was built with, and compile wraps its optimizer in a LossScaleOptimizer: the loss is multiplied by a large factor
    before the gradients are taken, so that small float16 gradients do not round to zero, and the gradients are
    divided by it again before the step (a step whose gradients overflow is skipped and the factor halved). The
    builders give every model a float32 output layer, so the probabilities and the loss are computed in float32.
    """
    keras.mixed_precision.set_global_policy("mixed_float16" if enabled else "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


class EpochTimer(keras.callbacks.Callback):
    """Adds epoch_seconds to the History that fit returns: per epoch, the seconds its training steps took, without
    the validation pass at its end. benchmarks/speed.py turns it into examples per second. (Not to the epoch's logs,
    so the progress lines and history.csv stay as they were.)"""

    def on_epoch_begin(self, epoch, logs=None):
        self.start, self.seconds = time.perf_counter(), None

    def on_test_begin(self, logs=None):  # the validation pass at an epoch's end begins
        if getattr(self, "seconds", 0) is None:
            self.seconds = time.perf_counter() - self.start

    def on_epoch_end(self, epoch, logs=None):
        seconds = self.seconds if self.seconds is not None else time.perf_counter() - self.start
        self.model.history.history.setdefault("epoch_seconds", []).append(seconds)


def make_callbacks(config: TrainConfig, run_dir: Path) -> list[keras.callbacks.Callback]:
    callbacks = [
        EpochTimer(),
        # Stop when validation loss has not improved for `patience` epochs, and keep the best epoch's weights.
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(run_dir / "model.keras", monitor="val_loss", save_best_only=True),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv")),
        keras.callbacks.TerminateOnNaN(),
    ]
    if config.reduce_lr_patience:
        # Smaller steps once progress stalls let the weights settle into the minimum they were circling.
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, min_lr=1e-5, patience=config.reduce_lr_patience
            )
        )
    if config.tensorboard:
        callbacks.append(tensorboard_callback(run_dir))
    return callbacks


def tensorboard_callback(run_dir: Path) -> keras.callbacks.TensorBoard:
    """--tensorboard: the losses and metrics of every epoch, and the model's graph, in run_dir/tensorboard."""
    return keras.callbacks.TensorBoard(log_dir=str(run_dir / "tensorboard"))


def log_tensorboard_command(run_dir: Path) -> None:
    """After a --tensorboard run: the command that shows its logs (the tensorboard package serves them)."""
    if (run_dir / "tensorboard").is_dir():
        log.info("TensorBoard logs: tensorboard --logdir %s", shown_path(run_dir / "tensorboard"))


def write_json(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n")


def write_csv(path: Path, rows: list[dict]) -> None:
    """rows (dicts with the same keys) as a CSV file with a header line: what a study writes for spreadsheets."""
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def summary_line(test: dict[str, float], params: int, train_seconds: float, run_dir: Path | str) -> str:
    """`test_accuracy=0.9811 ... params=6570 train_seconds=9.2 run_dir=runs/...`: the last line a run prints."""
    pairs = [f"test_{name}={value:.4f}" for name, value in test.items()]
    pairs += [f"params={params}", f"train_seconds={train_seconds:.1f}", f"run_dir={shown_path(run_dir)}"]
    return " ".join(pairs)


def shown_path(path: Path | str) -> str:
    """path relative to the current folder when it lies inside it (runs/ann/...), else absolute."""
    path = Path(path).absolute()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


# ----------------------------------------------------------------------------------------------------------------
# The run folder around a train script's own compile and fit:
#
#     strategy = make_strategy(config.distribute)
#     dataset, epochs = quick_settings(config, dataset)
#     with strategy.scope():
#         with mixed_precision_scope(config.mixed_precision):
#             model = build_model(...)
#         model.compile(optimizer=make_optimizer(...), loss=..., metrics=[...],
#                       jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)
#     run_dir = start_run(config, "ann", dataset.name, model)
#     history = model.fit(..., epochs=epochs, callbacks=make_callbacks(config, run_dir), verbose=progress_verbosity())
#     result = finish_run(run_dir, model, history, evaluate(model, dataset, run_dir), dataset, train_seconds)


def quick_settings(config: TrainConfig, dataset: Dataset) -> tuple[Dataset, int]:
    """(dataset, epochs) to train with: with --quick the first examples of each split and at most two epochs."""
    epochs = config.epochs
    if config.quick:
        dataset, epochs = dataset.quick_slice(), min(epochs, QUICK_EPOCHS)
    log.info("data: %s (%s), %s", dataset.name, dataset.task, dataset.sizes())
    return dataset, epochs


class Interruption:
    """Ctrl-C as a normal way to end training, while the run's model.fit runs.

    The first Ctrl-C ends training after the current batch (Keras checks model.stop_training after every batch): the
    epoch is validated, early stopping restores the best weights so far, and the script scores and saves them as
    usual, with "interrupted_at_epoch" in metrics.json. A second Ctrl-C aborts at once: one line, no traceback, exit
    status 130, and a file INCOMPLETE in the run folder says that what is there is partial.

    The process is left as it was found: start_run wraps the model's fit for this run, the wrapper puts this handler
    in place as fit begins and the one from before back as fit ends, however it ends. So an error before fit, inside
    it or after it (in the scoring) leaves Ctrl-C as it was, and in a notebook the kernel's next interrupt is the
    kernel's. Ctrl-C while the script scores and saves has its usual meaning.
    """

    current: "Interruption | None" = None  # the run in progress in this process, if any

    def __init__(self, run_dir: Path, model: keras.Model):
        self.run_dir, self.model, self.interrupted = run_dir, model, False
        keras_fit = model.fit

        @functools.wraps(keras_fit)
        def fit(*args, **kwargs):
            previous_handler = signal.signal(signal.SIGINT, self.handle)
            try:
                return keras_fit(*args, **kwargs)
            except BaseException:
                if Interruption.current is self:  # the run ends here, without finish_run
                    Interruption.current = None
                raise
            finally:
                signal.signal(signal.SIGINT, previous_handler)
                vars(model).pop("fit", None)  # the model's own fit again: a second fit is not part of the run

        model.fit = fit

    def handle(self, signum, frame) -> None:
        if not self.interrupted:
            self.interrupted = True
            self.model.stop_training = True
            print(
                "Ctrl-C: training stops after this batch; the best weights so far will be scored and saved "
                "(Ctrl-C again to abort)",
                file=sys.stderr,
                flush=True,
            )
            return
        (self.run_dir / "INCOMPLETE").write_text(
            "Training was aborted by a second Ctrl-C: the files here are partial and there is no metrics.json.\n"
        )
        print(
            f"aborted by a second Ctrl-C: {shown_path(self.run_dir)} is incomplete (see INCOMPLETE there)",
            file=sys.stderr,
            flush=True,
        )
        os._exit(130)  # at once, even from inside a TensorFlow step: nothing is left worth cleaning up

    @classmethod
    def start(cls, run_dir: Path, model: keras.Model) -> None:
        cls.stop()
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            cls.current = cls(run_dir, model)

    @classmethod
    def stop(cls) -> bool:
        """End the run's hold on its model; True when Ctrl-C ended its training."""
        current, cls.current = cls.current, None
        if current is None:
            return False
        vars(current.model).pop("fit", None)  # a run whose fit never ran leaves no wrapper behind
        return current.interrupted


def start_run(config: TrainConfig, group: str, dataset_name: str, model: keras.Model) -> Path:
    """A new run folder output_dir/<group>/<dataset>-<time>/ with config.json and summary.txt; returns its path.

    group is the folder's name ("ann"), or a path under it ("attention/bahdanau"). An --output-dir that cannot be
    written to exits 2 with one line, like any bad input. While the model's next fit runs, Ctrl-C ends training early
    (see Interruption).
    """
    # Only one process writes the run folder: the other workers of --distribute multi-worker write theirs into a
    # temporary folder, removed when they exit.
    output_dir = config.output_dir
    if not is_chief(config.distribute):
        output_dir = temporary_folder()
        log.info("this worker's files go to a temporary folder: the chief writes the run folder")
    with exit_on_bad_input():
        run_dir = make_run_dir(output_dir, group, dataset_name)
    # Which script made the run, beside its flags: `python -m <folder>.train` and these settings repeat it. (A
    # folder's own --arch flag, as in cnn/, is one of the settings and keeps its key.)
    script = script_name(type(config))
    write_json(run_dir / "config.json", {"folder": script.split("/")[0], "script": script, **config.to_dict()})
    with open(run_dir / "summary.txt", "w") as summary_file:
        model.summary(print_fn=lambda line, **_: summary_file.write(line + "\n"))
    Interruption.start(run_dir, model)
    return run_dir


WORKER_FOLDERS: list[tempfile.TemporaryDirectory] = []  # removed as the process exits


def temporary_folder() -> str:
    """A folder that is removed when this process exits (a worker that is not the chief writes its files here)."""
    WORKER_FOLDERS.append(tempfile.TemporaryDirectory(prefix="worker-"))
    return WORKER_FOLDERS[-1].name


def progress_verbosity() -> int:
    """Keras' fit verbosity: a live progress bar in a terminal, one line per epoch in a log file or a test."""
    return 1 if sys.stdout.isatty() else 2


def finish_run(
    run_dir: Path,
    model: keras.Model,
    history: keras.callbacks.History,
    evaluation: Evaluation,
    dataset: Dataset,
    train_seconds: float,
) -> dict:
    """Save model.keras and the learning curves, then write_metrics: metrics.json, the scores, the summary line.

    Returns metrics.json's content plus "run_dir", "history" (per-epoch lists) and "summary" (the last line to print).
    """
    # Early stopping has restored the best epoch's weights; saving them again also covers a run that ended on NaN
    # before the checkpoint wrote anything.
    model.save(run_dir / "model.keras")
    plots.plot_learning_curves(history.history, run_dir / "plots" / "learning_curves.png")
    return write_metrics(run_dir, evaluation, dataset, history, train_seconds, params=int(model.count_params()))


def write_metrics(
    run_dir: Path,
    evaluation: Evaluation,
    dataset: Dataset,
    history: keras.callbacks.History,
    train_seconds: float,
    params: int,
    task: str | None = None,
    **extra,
) -> dict:
    """Write metrics.json (task defaults to dataset.task; extra keys go last), log the test scores beside the
    baselines and the TensorBoard command, and return metrics.json's content plus run_dir, history and summary.

    finish_run calls it; so does a script that saves its own files (gan/ keeps two networks).
    """
    result = {
        "dataset": dataset.name,
        "task": task or dataset.task,
        "test": evaluation.test,
        **({"validation": evaluation.validation} if evaluation.validation else {}),
        "baselines": evaluation.baselines,
        "params": params,
        "epochs_run": len(history.epoch),
        "train_seconds": round(train_seconds, 2),
        "train_examples": len(dataset.x_train),
        **evaluation.details,
        **extra,
    }
    if Interruption.stop():
        result["interrupted_at_epoch"] = result["epochs_run"]  # the epoch Ctrl-C ended, validated as it stood
    write_json(run_dir / "metrics.json", result)
    log.info(
        "test split, model beside baselines:\n%s", metrics.format_comparison(evaluation.test, evaluation.baselines)
    )
    log_tensorboard_command(run_dir)
    line = summary_line(evaluation.test, params, train_seconds, run_dir)
    return {**result, "run_dir": str(run_dir), "history": history.history, "summary": line}
