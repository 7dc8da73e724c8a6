"""Train a gated recurrent unit network (GRU), one layer or a stack of them (--layers), and save a run folder.

    python -m gru.train                        # characters of Python's help texts, about three minutes on 2 CPU cores
    python -m gru.train --layers 2 --units 128 # a deep GRU: two stacked layers
    python -m gru.train --corpus shakespeare --prompt "ROMEO:"            # downloaded once, then cached
    python -m gru.train --dataset airline --units 16 --batch-size 8 --epochs 300 --patience 30 \\
        --learning-rate 0.001 --dropout 0      # forecasting wants smaller sizes and no dropout
    python -m gru.train --quick                # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python gru/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config
from common.console import quiet_tensorflow, setup_logging
from common.sequences import SequenceConfig
from gru.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class GruConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    # Defaults for python-docs: six epochs of a 256-unit GRU at a high learning rate, with dropout 0.2, the setting
    # `python -m benchmarks.tune gru` ranked first of five by validation bits per character over the three tuning seeds
    # (benchmarks/tune_gru.md).
    dataset: str = option("text", "dataset", choices=tuple(DATASETS))
    epochs: int = option(6, "maximum number of passes over the training data (early stopping may end sooner)")
    learning_rate: float = option(0.005, "optimizer step size")
    units: int = option(256, "hidden units of each recurrent layer")
    dropout: float = option(0.2, "dropout between recurrent layers and before the output (0 turns it off)")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(GruConfig, argv, description=__doc__)
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
    from gru.model import build_model

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: text as character ids, x (n, window) and y the same shifted by one character
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: Embedding, GRU layers, and a softmax over the characters at every step
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
    run_dir = start_run(config, "gru", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: bits per character beside a unigram model, and text sampled at each temperature
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
    saved, inputs = saved_model(model, dataset)  # what model.keras reads (raw pixels, the series' values)
    result = finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
