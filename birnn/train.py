"""Train a bidirectional recurrent network and save a run folder; --compare also trains the one-directional twin.

    python -m birnn.train                                 # tagging: a label per step that needs both directions
    python -m birnn.train --compare                       # and the forward-only model, same data, seed and budget
    python -m birnn.train --no-bidirectional              # the forward-only model alone
    python -m birnn.train --merge-mode sum --cell lstm    # how the two directions are combined, which cell
    python -m birnn.train --dataset mnist5k --units 64    # digits read row by row (top-down and bottom-up)
    python -m birnn.train --quick                         # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python birnn/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from birnn.dataset import DATASETS, load_dataset
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging
from common.sequences import CELL_NAMES, SequenceConfig

MERGE_MODES = ("concat", "sum", "ave", "mul")


@dataclasses.dataclass
class BirnnConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    dataset: str = option("tagging", "dataset", choices=tuple(DATASETS))
    epochs: int = option(60, "maximum number of passes over the training data (early stopping may end sooner)")
    batch_size: int = option(64, "examples per gradient step")
    learning_rate: float = option(3e-3, "optimizer step size")
    patience: int = option(8, "epochs without validation improvement before stopping early")
    sequence_length: int = option(20, "adding, tagging: time steps per sequence")
    num_samples: int = option(5000, "adding, tagging: number of generated sequences")
    cell: str = option("gru", "recurrent cell read in each direction: SimpleRNN, LSTM or GRU", choices=CELL_NAMES)
    merge_mode: str = option("concat", "how the two directions' states are combined", choices=MERGE_MODES)
    bidirectional: bool = option(True, "read the sequence both ways; --no-bidirectional trains the forward-only "
                                       "model alone")
    compare: bool = option(False, "also train the forward-only model on the same data, seed and budget")

    def validate(self) -> None:
        super().validate()
        # Reading backwards needs the whole sequence at prediction time: a forecast made at every step would see
        # the very values it is asked to predict.
        require(self.task == "many-to-one" or not self.bidirectional,
                "--task many-to-many is not allowed for a bidirectional forecast: the backward direction would read "
                "the future values it has to predict")


def train_model(config: BirnnConfig, full_dataset, bidirectional: bool, strategy) -> dict:
    """Build, compile, fit and score one model, bidirectional or forward-only, and save its run folder (the same seed
    for both, so that only the direction differs). Returns metrics.json's content plus run_dir, history and the
    summary line. strategy is common.distribute.make_strategy(config.distribute), made once before TensorFlow runs."""
    import keras

    from birnn.model import build_model
    from common.runs import finish_run, start_run
    from common.sequences import evaluate_sequence_model, saved_model
    from common.tasks import loss_for_task, metrics_for_task
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)

    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, full_dataset)

    # ---- Model: Bidirectional(cell) reads the sequence both ways; the forward-only model reads it one way
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(cell=config.cell, merge_mode=config.merge_mode, bidirectional=bidirectional,
                                task=dataset.task, units=config.units, num_layers=config.layers,
                                input_shape=dataset.input_shape, num_classes=dataset.num_classes,
                                many_to_many=config.many_to_many or bool(dataset.meta.get("label_per_step")),
                                vocab_size=dataset.meta.get("vocab_size"), embedding_dim=config.embedding_dim,
                                dropout_rate=config.dropout, mask_padding=dataset.name == "imdb")
        # The loss follows the data (common/tasks.py): cross-entropy over the tags, at every step.
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss_for_task(dataset.task, dataset.num_classes),
                      metrics=metrics_for_task(dataset.task, dataset.num_classes),
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: early stopping on the validation loss keeps the best epoch's weights
    run_dir = start_run(config, "birnn" if bidirectional else "birnn/forward_only", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split beside its baselines (every step of every sequence counts)
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
    saved, inputs = saved_model(model, dataset)  # what model.keras reads (raw pixels, the series' values)
    return finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(BirnnConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    from common.distribute import make_strategy
    from common.runs import write_json

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: by default sequences (n, time, 1) with a label for every step that depends on both neighbours
    with exit_on_bad_input():
        full_dataset = load_dataset(config)

    # ---- Models: train_model above, once, or both ways with --compare
    result = train_model(config, full_dataset, config.bidirectional, strategy)
    if config.compare and config.bidirectional:
        forward = train_model(config, full_dataset, bidirectional=False, strategy=strategy)
        result["forward_only"] = {key: forward[key] for key in ("test", "params", "train_seconds", "run_dir")}
        saved = {key: value for key, value in result.items() if key not in ("run_dir", "history", "summary")}
        write_json(Path(result["run_dir"]) / "metrics.json", saved)  # the comparison stays with the run
        print(f"forward-only: {forward['summary']}")
    print(result["summary"])
    return result

if __name__ == "__main__":
    main()
