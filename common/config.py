"""The settings every train script shares, as one dataclass a folder subclasses with its own fields.

    from common.config import TrainConfig
    from common.flags import option, parse_config
    class AnnConfig(TrainConfig):
        hidden: str = option("64,32", "sizes of the hidden layers")
    config = parse_config(AnnConfig, ["--epochs", "5"])

`__post_init__` validates (common/flags.py's require), so a bad value raises `ValueError` whether the config comes
from the command line or from Python; common/flags.py turns the fields into flags and that error into one line and
exit status 2.
Also here: the scratch scripts' CellConfig and make_run_dir (the run folder, for the NumPy-only scripts too). The
TF_CONFIG of --distribute multi-worker is read by common/distribute.py. This module imports only the standard
library: flags are checked before TensorFlow's slow import starts.
"""

import dataclasses
import datetime
import os
from pathlib import Path

from common.flags import DATA, SPEED, TRAINING, flag_name, option, require

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "runs"
OPTIMIZERS = ("adam", "sgd", "rmsprop")
DISTRIBUTE = ("none", "mirrored", "multi-worker")


@dataclasses.dataclass
class TrainConfig:
    """Settings every train script accepts. A folder subclasses it to add its own fields."""

    dataset: str = option("", "dataset to train on", group=DATA)
    epochs: int = option(
        100, "maximum number of passes over the training data (early stopping may end sooner)", group=TRAINING
    )
    batch_size: int = option(32, "examples per gradient step", group=TRAINING)
    learning_rate: float = option(1e-3, "optimizer step size", group=TRAINING)
    optimizer: str = option("adam", "optimizer", choices=OPTIMIZERS, group=TRAINING)
    seed: int = option(0, "random seed for weights, shuffling and dropout (data splits are fixed)", group=TRAINING)
    patience: int = option(10, "epochs without validation improvement before stopping early", group=TRAINING)
    reduce_lr_patience: int = option(
        0,
        "halve the learning rate after this many epochs without validation improvement (0: keep it fixed)",
        group=TRAINING,
    )
    clip_norm: float = option(
        0.0,
        "scale each gradient step down to at most this norm, against the sudden "
        "jumps recurrent networks can take (0: no clipping)",
        group=TRAINING,
    )
    output_dir: str = option(
        str(DEFAULT_OUTPUT_DIR), "folder under which each run writes a new run folder", group=TRAINING
    )
    quick: bool = option(
        False, "seconds-long run on a small slice of the data, for tests and a first look", group=TRAINING
    )
    verbose: bool = option(False, "show TensorFlow's start-up messages and debug logging", group=TRAINING)
    # Faster and bigger (issue #15): what each flag changes is written in the folder's own model.compile(...) call,
    # or beside its build_model(...). None of them is expected to speed up a run on a small CPU.
    jit_compile: bool = option(
        False,
        "compile the training step with XLA (model.compile(jit_compile=True)): the "
        "first epoch pays for compiling it; on a CPU expect little gain (off: Keras "
        "decides, XLA on a GPU where the model allows it, never on a CPU alone)",
        group=SPEED,
    )
    steps_per_execution: int = option(
        1,
        "training steps run per call into the compiled step (model.compile("
        "steps_per_execution=N)): less Python overhead per step; batch-level "
        "callbacks then see every Nth batch only",
        group=SPEED,
    )
    mixed_precision: bool = option(
        False,
        "compute in float16 while keeping the weights, the output layer and the "
        "loss in float32 (Keras' mixed_float16 policy, with loss scaling): "
        "faster on GPUs with float16 units, usually slower on a CPU, which "
        "emulates float16",
        group=SPEED,
    )
    tensorboard: bool = option(
        False,
        "also write TensorBoard logs to RUN_DIR/tensorboard (view them with tensorboard --logdir RUN_DIR/tensorboard)",
        group=SPEED,
    )
    distribute: str = option(
        "none",
        "train on several devices with tf.distribute: mirrored copies the model to "
        "every local GPU (on a CPU alone: two logical CPU devices), multi-worker to "
        "every machine in the TF_CONFIG environment variable; --batch-size stays the "
        "global batch, split between the copies",
        choices=DISTRIBUTE,
        group=SPEED,
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError, in words a student understands, for any value that cannot work."""
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and value is not None and value not in choices:
                raise ValueError(f"{flag_name(field.name)} must be one of {', '.join(choices)} (got {value!r})")
        require(self.epochs >= 1, f"--epochs must be at least 1 (got {self.epochs})")
        require(self.batch_size >= 1, f"--batch-size must be at least 1 (got {self.batch_size})")
        require(0 < self.learning_rate < 10, f"--learning-rate must be between 0 and 10 (got {self.learning_rate})")
        require(self.patience >= 0, f"--patience must be 0 or more (got {self.patience})")
        require(self.reduce_lr_patience >= 0, f"--reduce-lr-patience must be 0 or more (got {self.reduce_lr_patience})")
        require(self.clip_norm >= 0, f"--clip-norm must be 0 or more (got {self.clip_norm})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")
        require(
            self.steps_per_execution >= 1, f"--steps-per-execution must be at least 1 (got {self.steps_per_execution})"
        )
        output = Path(self.output_dir)
        require(not output.exists() or output.is_dir(), f"--output-dir {output} exists and is not a folder")
        if self.distribute != "none":
            require(
                keras_backend() == "tensorflow",
                f"--distribute {self.distribute} uses tf.distribute, which needs the TensorFlow backend "
                f"(KERAS_BACKEND is {keras_backend()!r})",
            )
        if self.distribute == "multi-worker":
            # Imported here because common/distribute.py builds on this module; it too imports only the standard
            # library at the top, so TF_CONFIG is still checked before TensorFlow loads.
            from common.distribute import read_tf_config

            read_tf_config()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class CellConfig:
    """Flags of the NumPy cell demonstrations (lstm/scratch.py, gru/scratch.py): a cell and a random sequence."""

    units: int = option(4, "size of the hidden state h (and of the LSTM's cell state c)")
    input_dim: int = option(3, "features per time step of the random input sequence")
    sequence_length: int = option(12, "time steps of the random input sequence")
    seed: int = option(0, "random seed for the weights and the input sequence")

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        require(1 <= self.units <= 1024, f"--units must be between 1 and 1024 (got {self.units})")
        require(1 <= self.input_dim <= 1024, f"--input-dim must be between 1 and 1024 (got {self.input_dim})")
        require(
            1 <= self.sequence_length <= 10_000,
            f"--sequence-length must be between 1 and 10000 (got {self.sequence_length})",
        )
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def keras_backend() -> str:
    """The backend Keras will load (the KERAS_BACKEND environment variable, else TensorFlow), read without importing
    Keras, so that a config can refuse a backend before the slow import."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def make_run_dir(output_dir: str | Path, arch: str, dataset_name: str) -> Path:
    """A new folder output_dir/arch/<dataset>-<timestamp>[-n]; an existing folder is never reused.

    Here rather than in common/runs.py so that the NumPy-only scratch scripts can make run folders too.
    """
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(output_dir) / arch / f"{dataset_name}-{stamp}"
    candidate, number = base, 1
    while True:
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            number += 1
            candidate = base.with_name(f"{base.name}-{number}")


def parse_int_list(text: str, flag: str) -> list[int]:
    """'64,32' -> [64, 32]; every entry must be a positive integer."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"{flag} must be comma-separated whole numbers such as 64,32 (got {text!r})") from None
    require(len(values) > 0 and all(v >= 1 for v in values), f"{flag} needs one or more sizes >= 1 (got {text!r})")
    return values
