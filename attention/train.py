"""Train an encoder-decoder with attention on a sequence-to-sequence task and save a run folder.

    python -m attention.train                                  # human-written dates -> ISO, Bahdanau attention
    python -m attention.train --attention luong-general        # Luong: look after the step, multiplicative score
    python -m attention.train --attention none                 # the plain encoder-decoder, one fixed context vector
    python -m attention.train --dataset reverse --max-length 30
    python -m attention.train --pairs fra.txt --tokens word    # your own source<TAB>target file
    python -m attention.train --beam-width 4                   # decode the test split with beam search
    python -m attention.train --quick                          # a few seconds, to check that everything works

Besides the usual run folder: predictions.txt (every test pair with the model's output) and plots/attention_<i>.png,
where the decoder looked while writing each output token.
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python attention/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from attention.dataset import DATASETS
from common.config import TrainConfig
from common.flags import DATA, exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging
from common.pairs import TOKEN_MODES

ATTENTIONS = ("none", "bahdanau", "luong-dot", "luong-general", "luong-concat")  # attention/model.py (needs Keras)
CELLS = ("gru", "lstm")


@dataclasses.dataclass
class AttentionConfig(TrainConfig):
    dataset: str = option("dates", "generated dataset (ignored with --pairs)", choices=tuple(DATASETS))
    epochs: int = option(20, "maximum number of passes over the training data (early stopping may end sooner)")
    batch_size: int = option(64, "examples per gradient step")
    learning_rate: float = option(3e-3, "optimizer step size")
    patience: int = option(5, "epochs without validation improvement before stopping early")
    reduce_lr_patience: int = option(2, "halve the learning rate after this many epochs without validation "
                                        "improvement (0: keep it fixed)")
    clip_norm: float = option(1.0, "scale each gradient step down to at most this norm: without it, long sources can "
                                   "throw training off in one step (0: no clipping)")
    pairs: str | None = option(None, "a UTF-8 file of source<TAB>target lines to train on instead (e.g. an Anki "
                                     "sentence list)", group=DATA)
    tokens: str = option("char", "--pairs: split each side into characters or whitespace-separated words",
                         choices=TOKEN_MODES, group=DATA)
    num_samples: int = option(10000, "dates, reverse: number of generated pairs", group="dates, reverse")
    min_length: int = option(5, "reverse: shortest string", group="reverse")
    max_length: int = option(15, "reverse: longest string", group="reverse")
    attention: str = option("bahdanau", "none (plain encoder-decoder), bahdanau (additive, before the decoder "
                                        "step) or luong-dot / luong-general / luong-concat (after the step)",
                            choices=ATTENTIONS)
    cell: str = option("gru", "recurrent cell of encoder and decoder", choices=CELLS)
    units: int = option(64, "units of the encoder (per direction) and of the decoder")
    embedding_dim: int = option(32, "length of the learned vector for each token")
    attention_units: int | None = option(None, "bahdanau, luong-concat: size of the score's hidden layer "
                                               "(default: --units)")
    bidirectional_encoder: bool = option(False, "read the source both ways (the decoder gets twice the units)")
    input_feeding: bool = option(False, "luong-*: feed the last attentional state h~_{t-1} into the next decoder "
                                        "step (Luong et al.'s input feeding)")
    beam_width: int = option(1, "decode the test split keeping this many candidates (1: greedy)")
    num_heatmaps: int = option(4, "attention pictures saved, one per test pair")

    def validate(self) -> None:
        super().validate()
        require(self.num_samples >= 10, f"--num-samples must be at least 10 (got {self.num_samples})")
        require(1 <= self.min_length <= self.max_length,
                f"--min-length must be at least 1 and at most --max-length (got {self.min_length} and "
                f"{self.max_length})")
        require(self.units >= 1, f"--units must be at least 1 (got {self.units})")
        require(self.embedding_dim >= 1, f"--embedding-dim must be at least 1 (got {self.embedding_dim})")
        require(self.attention_units is None or self.attention_units >= 1,
                f"--attention-units must be at least 1 (got {self.attention_units})")
        require(not self.input_feeding or self.attention.startswith("luong"),
                f"--input-feeding is part of Luong attention (got --attention {self.attention})")
        require(self.beam_width >= 1, f"--beam-width must be at least 1 (got {self.beam_width})")
        require(self.num_heatmaps >= 0, f"--num-heatmaps must be 0 or more (got {self.num_heatmaps})")
        require(self.pairs is not None or self.tokens == "char",
                "--tokens word needs --pairs; the generated datasets are character-level")


def train_model(config: AttentionConfig, dataset, group: str, strategy) -> dict:
    """Build, compile and fit the model the flags describe on dataset, decode the test split, save a run folder
    under output_dir/<group>/. Returns metrics.json's content plus run_dir, history and the summary line.

    strategy is common.distribute.make_strategy(config.distribute), made once per process before TensorFlow runs."""
    import keras

    from attention.evaluation import decode
    from attention.model import TokenAccuracy, build_model
    from common.runs import finish_run, start_run
    from common.seq2seq import seq2seq_evaluator
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)

    keras.utils.set_random_seed(config.seed)  # seeds Python, NumPy and the backend: same command, same numbers
    dataset, epochs = quick_settings(config, dataset)

    # ---- Model: encoder, then a decoder that attends over the encoder states at every output step
    # Settings that cannot fit together (luong-dot needs equal sizes) are bad input. --mixed-precision: float16
    # maths, float32 weights.
    with strategy.scope():  # --distribute: variables made here are mirrored on every replica
        with exit_on_bad_input(), mixed_precision_scope(config.mixed_precision):
            model = build_model(
                source_vocabulary_size=len(dataset.meta["source_vocabulary"]),
                target_vocabulary_size=dataset.num_classes, target_length=dataset.y_train.shape[1] - 1,
                attention=config.attention, cell=config.cell, units=config.units, embedding_dim=config.embedding_dim,
                bidirectional_encoder=config.bidirectional_encoder, attention_units=config.attention_units,
                input_feeding=config.input_feeding)
        # Cross-entropy over the target vocabulary at every output step; a shorter target is padded with <pad> (id 0)
        # after its <end>, and those positions are not scored.
        model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                      loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0),
                      metrics=[TokenAccuracy(name="accuracy")],
                      jit_compile=config.jit_compile or "auto", steps_per_execution=config.steps_per_execution)

    # ---- Training with teacher forcing: y rows are <start> y_1 .. y_T <end>; the decoder reads the true tokens up
    # to the last one (y[:, :-1]) and learns to write each next one (y[:, 1:]), whatever it would have written itself.
    run_dir = start_run(config, group, dataset.name, model)
    start = time.perf_counter()
    history = model.fit([dataset.x_train, dataset.y_train[:, :-1]], dataset.y_train[:, 1:],
                        validation_data=([dataset.x_val, dataset.y_val[:, :-1]], dataset.y_val[:, 1:]),
                        epochs=epochs, batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                        verbose=progress_verbosity())
    train_seconds = time.perf_counter() - start

    # ---- Evaluation: the test split decoded on its own (no teacher), word for word against the targets
    evaluation = seq2seq_evaluator(decode, config.beam_width, config.num_heatmaps)(model, dataset, run_dir)
    return finish_run(run_dir, model, history, evaluation, dataset, train_seconds)


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(AttentionConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    from attention.dataset import load_dataset
    from common.distribute import make_strategy

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    # ---- Data: source ids (n, S) and target ids (n, T + 2) of <start> target <end>, padded with <pad> = 0
    with exit_on_bad_input():
        dataset = load_dataset(config)

    # ---- Model, training and evaluation: train_model above (attention/compare.py trains its models the same way)
    result = train_model(config, dataset, group=f"attention/{config.attention}", strategy=strategy)
    for example in result["examples"]:
        print(f"  {example['source']!r} -> {example['output']!r} (target {example['target']!r})")
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
