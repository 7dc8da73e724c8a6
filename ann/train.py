"""Train a fully connected network (multi-layer perceptron) and save a run folder.

    python -m ann.train                                   # digits, offline, well under a minute on 2 CPU cores
    python -m ann.train --dataset breast_cancer           # binary: one sigmoid unit, binary cross-entropy
    python -m ann.train --dataset diabetes --hidden-units 32 --activation tanh     # regression: linear + MSE
    python -m ann.train --quick                           # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python ann/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ann.dataset import DATASETS, load_dataset, raw_features
from common.config import TrainConfig, parse_int_list
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")


@dataclasses.dataclass
class AnnConfig(TrainConfig):
    # Defaults chosen on digits by validation accuracy, never test: `python -m benchmarks.tune ann` ranks nine settings
    # over three tuning seeds (benchmarks/tune_ann.md). Shared fields keep their meaning here and change only their
    # default.
    dataset: str = option("digits", "dataset", choices=tuple(DATASETS))
    batch_size: int = option(64, "examples per gradient step")
    patience: int = option(20, "epochs without validation improvement before stopping early")
    hidden_units: str = option("256,128", "width of each hidden layer, comma-separated (e.g. 64,32)")
    activation: str = option("relu", "activation of the hidden layers", choices=ACTIVATIONS)
    dropout: float = option(0.4, "fraction of hidden units dropped at each training step (0 turns dropout off)")

    def validate(self) -> None:
        super().validate()
        parse_int_list(self.hidden_units, "--hidden-units")
        require(0.0 <= self.dropout < 1.0, f"--dropout must be at least 0 and below 1 (got {self.dropout})")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(AnnConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    import keras

    from ann.model import build_model, end_to_end
    from common.distribute import make_strategy
    from common.evaluation import classical_baselines, evaluate_classification, evaluate_regression
    from common.inputs import describe_inputs
    from common.runs import finish_run, start_run
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: features (n, d), standardized on the training split; class indices or a target value
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: hidden Dense layers, then an output layer and a loss that fit the task
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(input_dim=dataset.input_shape[0], task=dataset.task, num_classes=dataset.num_classes,
                                hidden_units=parse_int_list(config.hidden_units, "--hidden-units"),
                                activation=config.activation, dropout_rate=config.dropout)
        if dataset.task == "regression":  # one linear unit: mean squared error, and the mean absolute error to read
            loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.MeanAbsoluteError(name="mae")]
        elif dataset.num_classes == 2:    # one sigmoid unit: p(class 1)
            loss, metrics = keras.losses.BinaryCrossentropy(), [keras.metrics.BinaryAccuracy(name="accuracy")]
        else:                             # softmax over the classes; labels stay class indices, hence "sparse"
            loss, metrics = keras.losses.SparseCategoricalCrossentropy(), \
                [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss, metrics=metrics,
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: early stopping on the validation loss keeps the best epoch's weights
    run_dir = start_run(config, "ann", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split, beside a baseline that learns nothing and beside what a practitioner would fit
    # first on the same split (scikit-learn: logistic regression and an SVM, or ridge regression)
    evaluate = evaluate_regression if dataset.task == "regression" else evaluate_classification
    evaluation = evaluate(model, dataset, run_dir)
    evaluation.baselines.update(classical_baselines(dataset, quick=config.quick))
    # ---- Saved: model.keras is the network with its preprocessing inside (raw rows in, the target's units out), and
    # inputs.json says what it reads, with a few raw test rows
    inputs = describe_inputs(dataset, raw_features(dataset, dataset.x_test[:16]), raw=True)
    result = finish_run(run_dir, end_to_end(model, dataset), history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
