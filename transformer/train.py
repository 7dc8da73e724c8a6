"""Train a small GPT, a decoder-only transformer, on characters, and save a run folder.

    python -m transformer.train                         # Python's help texts, the corpus gru/ reads, on 2 CPU cores
    python -m transformer.train --positions none        # no positions: the model reads a bag of characters
    python -m transformer.train --heads 1 --layers 1    # one head in one block
    python -m transformer.train --corpus shakespeare    # downloaded once, then cached
    python -m transformer.train --quick                 # a few seconds, to check that everything works
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python transformer/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import TrainConfig
from common.console import quiet_tensorflow, setup_logging
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.sequences import parse_float_list
from transformer.dataset import DATASETS, load_dataset

POSITIONS = ("learned", "sinusoidal", "none")  # model.py's; it loads only after the flags are checked


@dataclasses.dataclass
class TransformerConfig(TrainConfig):
    # Shared fields keep their meaning here and change only their default. A first choice for 2 CPU cores, made on
    # the validation split at tuning seed 100 among five settings (benchmarks/transformer.md, lab record): a window
    # of 64 characters (twice the steps per epoch of 128, each cheaper), two blocks, batch 16 at learning rate 0.002,
    # dropout 0.1, ten epochs (under three minutes). Not yet searched by benchmarks.tune.
    dataset: str = option("text", "dataset", choices=tuple(DATASETS))
    epochs: int = option(10, "maximum number of passes over the training data (early stopping may end sooner)")
    batch_size: int = option(16, "examples per gradient step")
    learning_rate: float = option(0.002, "optimizer step size")
    patience: int = option(3, "epochs without validation improvement before stopping early")
    clip_norm: float = option(1.0, "scale each gradient step down to at most this norm (0: no clipping)")
    corpus: str = option("python-docs", "python-docs (embedded), shakespeare (downloaded) or a UTF-8 file")
    window: int = option(64, "characters the model reads per example: its context length")
    d_model: int = option(128, "width of every position's vector (embeddings, attention, residual stream)")
    heads: int = option(4, "attention heads per block (d_model must divide by it)")
    layers: int = option(2, "transformer blocks stacked on each other")
    ff_dim: int = option(512, "width of the feed-forward layer inside each block")
    dropout: float = option(0.1, "dropout on the embeddings and on every sub-layer's output (0 turns it off)")
    positions: str = option("learned", "how the model knows the order of its characters", choices=POSITIONS)
    prompt: str = option("The ", "the start of each generated sample")
    temperature: str = option("0.2,0.5,1.0", "sampling temperatures, comma-separated, each above 0")
    sample_length: int = option(400, "characters generated per temperature")

    def validate(self) -> None:
        super().validate()
        require(self.window >= 2, f"--window must be at least 2 (got {self.window})")
        require(self.d_model >= 1 and self.heads >= 1 and self.layers >= 1 and self.ff_dim >= 1,
                "--d-model, --heads, --layers and --ff-dim must be at least 1")
        require(self.d_model % self.heads == 0,
                f"--d-model {self.d_model} must be a multiple of --heads {self.heads} (each head gets d_model/heads)")
        require(0.0 <= self.dropout < 1.0, f"--dropout must be at least 0 and below 1 (got {self.dropout})")
        require(self.prompt != "", "--prompt must hold at least one character")
        parse_float_list(self.temperature, "--temperature")
        require(self.sample_length >= 1, f"--sample-length must be at least 1 (got {self.sample_length})")

    @property
    def temperatures(self) -> list[float]:
        return parse_float_list(self.temperature, "--temperature")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(TransformerConfig, argv, description=__doc__)
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
    from transformer.model import build_model
    from transformer.visualize import plot_attention_heads, plot_positions

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: text as character ids, x (n, window) and y the same shifted by one character
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: embeddings and positions, causal blocks, a softmax over the characters at every position
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with mixed_precision_scope(config.mixed_precision):  # --mixed-precision: float16 maths, float32 weights
            model = build_model(vocab_size=dataset.num_classes, context_length=config.window, d_model=config.d_model,
                              num_heads=config.heads, num_layers=config.layers, ff_dim=config.ff_dim,
                              dropout_rate=config.dropout, positions=config.positions)
        # Every position predicts the next character at once (the causal mask hides the answer): cross-entropy
        # over the characters at every position, as for gru/.
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=loss_for_task(dataset.task, dataset.num_classes),
                      metrics=metrics_for_task(dataset.task, dataset.num_classes),
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training: early stopping on the validation loss keeps the best epoch's weights
    run_dir = start_run(config, "transformer", dataset.name, model)
    start = time.perf_counter()
    history = model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: bits per character beside a unigram model, text sampled at each temperature, and pictures: each
    # head's attention over the first characters of the test text, and the position vectors
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)
    vocabulary = dataset.meta["vocabulary"]
    line = vocabulary.decode(dataset.x_test[0][: min(32, config.window)])
    plot_attention_heads(model, vocabulary, line, run_dir / "plots" / "attention_heads.png")
    plot_positions(model, run_dir / "plots" / "positions.png")  # none with --positions none
    saved, inputs = saved_model(model, dataset)  # model.keras reads character ids; inputs.json has the vocabulary
    result = finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
