"""Train a small GPT, a decoder-only transformer, on characters (or an encoder-decoder on dates) and save a run folder.

    python -m transformer.train                         # Python's help texts, the corpus gru/ reads, on 2 CPU cores
    python -m transformer.train --dataset dates         # "march 3rd, 2015" -> "2015-03-03", beside attention/
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
# The settings that differ between the two tasks, used where the flag is left out (record: benchmarks/transformer.md).
TASK_DEFAULTS = {
    "text": {"epochs": 10, "batch_size": 16, "learning_rate": 0.002, "reduce_lr_patience": 0, "d_model": 128,
             "ff_dim": 512, "dropout": 0.1},
    "dates": {"epochs": 12, "batch_size": 64, "learning_rate": 0.004, "reduce_lr_patience": 2, "d_model": 64,
              "ff_dim": 128, "dropout": 0.0},
}


@dataclasses.dataclass
class TransformerConfig(TrainConfig):
    # Shared fields keep their meaning here and change only their default. A first choice for 2 CPU cores, made on
    # the validation split at tuning seed 100 (benchmarks/transformer.md, lab record): for text a window of 64
    # characters (twice the steps per epoch of 128, each cheaper), two blocks, batch 16 at learning rate 0.002,
    # dropout 0.1, ten epochs; for dates a narrower model (d_model 64) at batch 64, no dropout, the learning rate
    # halved after two epochs without progress, twelve epochs. A None default is the task's (TASK_DEFAULTS), filled
    # in by validate. Not yet searched by benchmarks.tune.
    dataset: str = option("text", "text (a character model, decoder only) or dates (an encoder-decoder)",
                          choices=tuple(DATASETS))
    epochs: int | None = option(None, "maximum number of passes over the training data (early stopping may end "
                                      "sooner; default: 10 for text, 12 for dates)")
    batch_size: int | None = option(None, "examples per gradient step (default: 16 for text, 64 for dates)")
    learning_rate: float | None = option(None, "optimizer step size (default: 0.002 for text, 0.004 for dates)")
    reduce_lr_patience: int | None = option(None, "halve the learning rate after this many epochs without "
                                                  "validation improvement (0: keep it fixed; default: 0 for text, "
                                                  "2 for dates)")
    patience: int = option(3, "epochs without validation improvement before stopping early")
    clip_norm: float = option(1.0, "scale each gradient step down to at most this norm (0: no clipping)")
    corpus: str = option("python-docs", "text: python-docs (embedded), shakespeare (downloaded) or a UTF-8 file")
    window: int = option(64, "text: characters the model reads per example, its context length")
    num_samples: int = option(10000, "dates: number of generated pairs")
    d_model: int | None = option(None, "width of every position's vector (embeddings, attention, residual stream; "
                                       "default: 128 for text, 64 for dates)")
    heads: int = option(4, "attention heads per block (d_model must divide by it)")
    layers: int = option(2, "transformer blocks stacked on each other (in the encoder and in the decoder for dates)")
    ff_dim: int | None = option(None, "width of the feed-forward layer inside each block (default: 512 for text, "
                                      "128 for dates)")
    dropout: float | None = option(None, "dropout on the embeddings and on every sub-layer's output (0 turns it off; "
                                         "default: 0.1 for text, 0 for dates)")
    positions: str = option("learned", "text: how the model knows the order of its characters", choices=POSITIONS)
    prompt: str = option("The ", "text: the start of each generated sample")
    temperature: str = option("0.2,0.5,1.0", "text: sampling temperatures, comma-separated, each above 0")
    sample_length: int = option(400, "text: characters generated per temperature")

    def validate(self) -> None:
        for name, value in TASK_DEFAULTS.get(self.dataset, {}).items():  # a flag left out takes its task's default
            if getattr(self, name) is None:
                setattr(self, name, value)
        super().validate()
        require(self.window >= 2, f"--window must be at least 2 (got {self.window})")
        require(self.num_samples >= 10, f"--num-samples must be at least 10 (got {self.num_samples})")
        require(self.dataset == "text" or self.positions == "learned",
                f"--positions {self.positions} is for --dataset text; dates learns its positions")
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
    from common.training import quick_settings

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: text as character ids, x (n, window) and y the same shifted by one character; or dates as source ids
    # (n, S) and target ids (n, T + 2) of <start> target <end>, padded with <pad> = 0
    with exit_on_bad_input():
        dataset = load_dataset(config)
    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model, training and evaluation: one function per task, below
    train = train_encoder_decoder if dataset.task == "seq2seq" else train_gpt
    result = train(config, dataset, epochs, strategy)
    for example in result.get("examples", []):
        print(f"  {example['source']!r} -> {example['output']!r} (target {example['target']!r})")
    print(result["summary"])
    return result


def train_gpt(config: TransformerConfig, dataset, epochs: int, strategy) -> dict:
    """--dataset text: a decoder-only model learns every next character of a window at once; run folder, metrics."""
    from common.runs import finish_run, start_run
    from common.sequences import evaluate_sequence_model, saved_model
    from common.tasks import loss_for_task, metrics_for_task
    from common.training import make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity
    from transformer.model import build_model
    from transformer.visualize import plot_attention_heads, plot_positions

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
    return finish_run(run_dir, saved, history, evaluation, dataset, train_seconds, inputs)


def train_encoder_decoder(config: TransformerConfig, dataset, epochs: int, strategy) -> dict:
    """--dataset dates: an encoder reads the source, a decoder writes the target, as attention/'s recurrent model
    does on the same pairs; run folder, metrics (exact match of the greedily decoded test split)."""
    import keras

    from common.pairs import PAD_ID
    from common.runs import finish_run, start_run
    from common.seq2seq import seq2seq_evaluator
    from common.training import make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity
    from transformer.model import build_encoder_decoder
    from transformer.use import decode
    from transformer.visualize import plot_cross_attention_heads

    # ---- Model: encoder blocks over the source, decoder blocks (causal, with cross-attention) over the target
    with strategy.scope():
        with mixed_precision_scope(config.mixed_precision):
            model = build_encoder_decoder(
                source_vocab_size=len(dataset.meta["source_vocabulary"]), target_vocab_size=dataset.num_classes,
                source_length=dataset.x_train.shape[1], target_length=dataset.y_train.shape[1] - 1,
                d_model=config.d_model, num_heads=config.heads, num_layers=config.layers, ff_dim=config.ff_dim,
                dropout_rate=config.dropout)
        # Cross-entropy over the target characters at every output step. A shorter target is padded with <pad> after
        # its <end>: those positions weigh 0, in the loss (ignore_class) and in the accuracy (sample_weight below).
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=PAD_ID),
                      weighted_metrics=["accuracy"],
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training with teacher forcing: y rows are <start> y_1 .. y_T <end>; the decoder reads the true tokens up
    # to the last one (y[:, :-1]) and learns to write each next one (y[:, 1:]), all positions at once.
    def real(y):  # 1 where a target token is scored, 0 at the padding
        return (y[:, 1:] != PAD_ID).astype("float32")

    run_dir = start_run(config, "transformer", dataset.name, model)
    start = time.perf_counter()
    history = model.fit([dataset.x_train, dataset.y_train[:, :-1]], dataset.y_train[:, 1:],
                        sample_weight=real(dataset.y_train),
                        validation_data=([dataset.x_val, dataset.y_val[:, :-1]], dataset.y_val[:, 1:],
                                         real(dataset.y_val)),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split decoded on its own (no teacher), one character at a time, against the targets;
    # plots/attention_<i>.png (the heads' mean) and each head's cross-attention for the first test date
    evaluation = seq2seq_evaluator(decode, num_heatmaps=4)(model, dataset, run_dir)
    plot_cross_attention_heads(model, dataset, run_dir / "plots" / "cross_attention_heads.png")
    return finish_run(run_dir, model, history, evaluation, dataset, train_seconds)


if __name__ == "__main__":
    main()
