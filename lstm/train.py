"""Train a long short-term memory network (LSTM) and save a run folder.

    python -m lstm.train                  # airline passengers, next month, seconds on 2 CPU cores
    python -m lstm.train --dataset imdb --units 64 --batch-size 64 --epochs 5      # sentiment (downloaded)
    python -m lstm.train --dataset text --units 128 --dropout 0.2 --batch-size 32 --learning-rate 0.005 --epochs 6
    python -m lstm.train --dataset adding --sequence-length 100 --batch-size 64    # a long memory
    python -m lstm.train --quick          # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python lstm/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config
from common.console import quiet_tensorflow, setup_logging
from common.sequences import SequenceConfig
from lstm.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class LstmConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    # Defaults chosen on airline by validation RMSE, never test: `python -m benchmarks.tune lstm` ranks ten settings
    # over three tuning seeds and three validation blocks (benchmarks/tune_lstm.md; it chose airline's window of three
    # months, written beside its loader in common/forecast_series.py).
    # Other data sets want other sizes: the README lists them.
    dataset: str = option("airline", "dataset", choices=tuple(DATASETS))
    epochs: int = option(300, "maximum number of passes over the training data (early stopping may end sooner)")
    batch_size: int = option(8, "examples per gradient step")
    patience: int = option(30, "epochs without validation improvement before stopping early")
    units: int = option(16, "hidden units of each recurrent layer")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(LstmConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    import keras

    from common.distribute import make_strategy
    from common.runs import finish_run, start_run
    from common.sequences import evaluate_sequence_model, saved_model
    from common.tasks import loss_for_task, metrics_for_task
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)
    from lstm.model import build_model

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: windows (n, window, 1) of a series split in time order, or sequences and texts
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: LSTM layers, then a Dense output (at every step for many-to-many and text)
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(task=dataset.task, units=config.units, num_layers=config.layers,
                                input_shape=dataset.input_shape, num_classes=dataset.num_classes,
                                many_to_many=config.many_to_many, vocab_size=dataset.meta.get("vocab_size"),
                                embedding_dim=config.embedding_dim, dropout_rate=config.dropout,
                                mask_padding=dataset.name == "imdb")
        # The loss follows the data (common/tasks.py): mean squared error for a value, cross-entropy over the classes
        # for a label, and over the characters at every step for text (next-character classification).
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss_for_task(dataset.task, dataset.num_classes),
                      metrics=metrics_for_task(dataset.task, dataset.num_classes),
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: early stopping on the validation loss keeps the best epoch's weights
    run_dir = start_run(config, "lstm", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: forecasts in the original units beside the naive forecasts, accuracy or bits per character
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
    saved, inputs = saved_model(model, dataset)  # what model.keras reads (raw pixels, the series' values)
    result = finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
