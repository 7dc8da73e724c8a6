"""The fit side of a train script: what its own build, compile and fit are called with.

    strategy = make_strategy(config.distribute)                  # common/distribute.py, before TensorFlow runs
    dataset, epochs = quick_settings(config, dataset)            # --quick: a slice and two epochs
    with strategy.scope():                                       # variables mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):      # --mixed-precision: float16 maths, float32 weights
            model = build_model(...)
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm), loss=...,
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)
    run_dir = start_run(config, "ann", dataset.name, model)      # common/runs.py: config.json, summary.txt
    history = model.fit(..., epochs=epochs, callbacks=make_callbacks(config, run_dir), verbose=progress_verbosity())
    evaluation = evaluate_classification(model, dataset, run_dir)         # common/evaluation.py: beside baselines
    result = finish_run(run_dir, model, history, evaluation, dataset, seconds)     # common/runs.py: metrics.json

Each helper lives with its job: here the settings of build, compile and fit (quick_settings, mixed_precision_scope,
make_optimizer, make_callbacks, progress_verbosity); the devices in common/distribute.py; the run folder, its files
and Ctrl-C in common/runs.py; the test split's scores and baselines in common/evaluation.py.
"""

import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import keras

from common.config import TrainConfig
from common.datasets import Dataset

log = logging.getLogger(__name__)

QUICK_EPOCHS = 2


def quick_settings(config: TrainConfig, dataset: Dataset) -> tuple[Dataset, int]:
    """(dataset, epochs) to train with: with --quick the first examples of each split and at most two epochs."""
    epochs = config.epochs
    if config.quick:
        dataset, epochs = dataset.quick_slice(), min(epochs, QUICK_EPOCHS)
    log.info("data: %s (%s), %s", dataset.name, dataset.task, dataset.sizes())
    return dataset, epochs


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


def make_optimizer(name: str, learning_rate: float, clip_norm: float = 0.0) -> keras.optimizers.Optimizer:
    """The optimizer; clip_norm > 0 rescales every step whose gradient (all weights together) is longer than it."""
    optimizers = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}
    return optimizers[name](learning_rate=learning_rate, global_clipnorm=clip_norm or None)


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
    """The callbacks of every run's fit: EpochTimer, early stopping with the best weights restored, the best model
    checkpointed to run_dir/model.keras, history.csv, TerminateOnNaN, and with their flags ReduceLROnPlateau and
    TensorBoard."""
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


def progress_verbosity() -> int:
    """Keras' fit verbosity: a live progress bar in a terminal, one line per epoch in a log file or a test."""
    return 1 if sys.stdout.isatty() else 2
