"""Train a simple recurrent network (SimpleRNN) and save a run folder.

    python -m rnn.train                                   # noisy sine, next value, under a minute on 2 CPU cores
    python -m rnn.train --task many-to-many               # a prediction at every step of the window
    python -m rnn.train --dataset adding --sequence-length 100   # where a plain RNN's memory runs out
    python -m rnn.train --truncate 5                      # train with truncated backpropagation through time
    python -m rnn.train --quick                           # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python rnn/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging
from common.sequences import SequenceConfig
from rnn.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class RnnConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    dataset: str = option("sine", "dataset", choices=tuple(DATASETS))
    units: int = option(32, "hidden units of each recurrent layer")
    truncate: int = option(0, "truncated backpropagation through time: gradients reach back at most this many "
                              "steps (0: through the whole window); sine, airline, stock, adding")

    def validate(self) -> None:
        super().validate()
        require(self.truncate >= 0, f"--truncate must be 0 or more (got {self.truncate})")
        require(not self.truncate or self.dataset not in ("imdb", "text"),
                f"--truncate applies to sine, airline, stock and adding, not to {self.dataset} (its tokens go "
                f"through an Embedding)")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(RnnConfig, argv, description=__doc__)
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
    from rnn.model import build_model

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: windows (n, window, 1) of a series split in time order, or sequences and texts
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: SimpleRNN layers, then a Dense output (at every step for many-to-many and text)
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(task=dataset.task, units=config.units, num_layers=config.layers,
                                input_shape=dataset.input_shape, num_classes=dataset.num_classes,
                                many_to_many=config.many_to_many, vocab_size=dataset.meta.get("vocab_size"),
                                embedding_dim=config.embedding_dim, dropout_rate=config.dropout,
                                mask_padding=dataset.name == "imdb", truncate=config.truncate)
        # The loss follows the data (common/tasks.py): mean squared error for a value, cross-entropy over the classes
        # for a label, and over the characters at every step for text (next-character classification).
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss_for_task(dataset.task, dataset.num_classes),
                      metrics=metrics_for_task(dataset.task, dataset.num_classes),
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: early stopping on the validation loss keeps the best epoch's weights
    run_dir = start_run(config, "rnn", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: forecasts in the original units beside persistence, accuracy or bits per character
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
    saved, inputs = saved_model(model, dataset)  # what model.keras reads (raw pixels, the series' values)
    result = finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
