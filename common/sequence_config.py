"""The command line the recurrent folders share: which sequence data set, how it is cut, how big the network is.

    @dataclasses.dataclass
    class RnnConfig(SequenceConfig):                   # rnn/train.py changes defaults only
        dataset: str = option("sine", "dataset", choices=SEQUENCE_DATASETS)

A flag left at its default of None takes the data set's own value (the window of sine is 20 steps, of text
100 characters), shown in the resolved config the run prints. Standard library only, like common/config.py.
"""

import dataclasses

from common.config import TrainConfig, option, require

SEQUENCE_DATASETS = ("sine", "airline", "stock", "adding", "imdb", "text")
FORECASTING = ("sine", "airline", "stock")
TASKS = ("many-to-one", "many-to-many")
CELL_NAMES = ("rnn", "lstm", "gru")  # SimpleRNN, LSTM, GRU (the CELLS of deep_rnn/ and birnn/ model.py)
TRANSFORMS = ("none", "difference", "log-difference", "seasonal-log-difference")
DEFAULT_WINDOW = {"sine": 20, "airline": 3, "stock": 30, "text": 100}
DEFAULT_TRANSFORM = {"sine": "none", "airline": "seasonal-log-difference", "stock": "log-difference"}


def parse_float_list(text: str, flag: str) -> list[float]:
    """'0.2,0.5,1' -> [0.2, 0.5, 1.0]; every entry must be a number above 0."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"{flag} must be comma-separated numbers such as 0.2,0.5,1.0 (got {text!r})") from None
    require(len(values) > 0 and all(v > 0 for v in values), f"{flag} values must be above 0 (got {text!r})")
    return values


@dataclasses.dataclass
class SequenceConfig(TrainConfig):
    task: str = option("many-to-one", "forecasting: predict the next value from the last state (many-to-one) or at "
                                      "every step (many-to-many)", choices=TASKS)
    window: int | None = option(None, "time steps the network reads per example (default per dataset: sine 20, "
                                      "airline 3, stock 30, text 100)")
    transform: str | None = option(None, "forecasting: model the values, their changes, or changes of their log "
                                         "since the last step or the same month last year (default: none for "
                                         "sine, seasonal-log-difference for airline, log-difference for stock)",
                                   choices=TRANSFORMS)
    num_points: int = option(1000, "sine: length of the generated series")
    cycle_length: float = option(50.0, "sine: time steps per period")
    noise: float = option(0.1, "sine: standard deviation of the added Gaussian noise")
    sequence_length: int = option(50, "adding, tagging: time steps per sequence")
    num_samples: int = option(10000, "adding, tagging: number of generated sequences")
    vocab_size: int = option(10000, "imdb: keep the most frequent words; the rest become one unknown id")
    max_length: int = option(200, "imdb: words kept per review (the last ones; shorter reviews are padded)")
    corpus: str = option("python-docs", "text: python-docs (embedded), shakespeare (downloaded) or a UTF-8 file")
    prompt: str = option("The ", "text: the start of each generated sample")
    temperature: str = option("0.2,0.5,1.0", "text: sampling temperatures, comma-separated, each above 0")
    sample_length: int = option(400, "text: characters generated per temperature")
    units: int = option(32, "hidden units of each recurrent layer")
    layers: int = option(1, "recurrent layers stacked on each other")
    dropout: float = option(0.0, "dropout between recurrent layers and before the output (0 turns it off)")
    embedding_dim: int = option(32, "imdb and text: length of the learned vector for each token")

    def validate(self) -> None:
        if self.window is None and self.dataset in DEFAULT_WINDOW:
            self.window = DEFAULT_WINDOW[self.dataset]
        if self.transform is None and self.dataset in DEFAULT_TRANSFORM:
            self.transform = DEFAULT_TRANSFORM[self.dataset]
        super().validate()
        require(self.window is None or self.window >= 1, f"--window must be at least 1 (got {self.window})")
        require(self.task == "many-to-one" or self.dataset in FORECASTING,
                f"--task many-to-many applies to {', '.join(FORECASTING)}; {self.dataset} is "
                f"{'always many-to-many' if self.dataset == 'text' else 'many-to-one'}")
        require(self.num_points >= 20, f"--num-points must be at least 20 (got {self.num_points})")
        require(self.cycle_length > 0, f"--cycle-length must be above 0 (got {self.cycle_length})")
        require(self.noise >= 0, f"--noise must be 0 or more (got {self.noise})")
        require(self.sequence_length >= 2, f"--sequence-length must be at least 2 (got {self.sequence_length})")
        require(self.num_samples >= 100, f"--num-samples must be at least 100 (got {self.num_samples})")
        require(self.vocab_size >= 10, f"--vocab-size must be at least 10 (got {self.vocab_size})")
        require(self.max_length >= 1, f"--max-length must be at least 1 (got {self.max_length})")
        require(self.prompt != "", "--prompt must hold at least one character")
        parse_float_list(self.temperature, "--temperature")
        require(self.sample_length >= 1, f"--sample-length must be at least 1 (got {self.sample_length})")
        require(self.units >= 1, f"--units must be at least 1 (got {self.units})")
        require(self.layers >= 1, f"--layers must be at least 1 (got {self.layers})")
        require(0.0 <= self.dropout < 1.0, f"--dropout must be at least 0 and below 1 (got {self.dropout})")
        require(self.embedding_dim >= 1, f"--embedding-dim must be at least 1 (got {self.embedding_dim})")

    @property
    def temperatures(self) -> list[float]:
        return parse_float_list(self.temperature, "--temperature")

    @property
    def many_to_many(self) -> bool:
        return self.task == "many-to-many"


def dataset_options(config: SequenceConfig) -> dict:
    """The keyword arguments of config.dataset's loader (common/sequence_datasets.py), taken from the flags."""
    forecasting = {"window": config.window, "many_to_many": config.many_to_many, "transform": config.transform}
    return {
        "sine": {**forecasting, "num_points": config.num_points, "cycle_length": config.cycle_length,
                 "noise": config.noise},
        "airline": forecasting,
        "stock": forecasting,
        "adding": {"sequence_length": config.sequence_length, "num_samples": config.num_samples},
        "tagging": {"sequence_length": config.sequence_length, "num_samples": config.num_samples},
        "imdb": {"vocab_size": config.vocab_size, "max_length": config.max_length},
        "text": {"corpus": config.corpus, "window": config.window},
    }.get(config.dataset, {})  # a folder's own data sets (images as rows, say) take no options


def model_options(config: SequenceConfig, dataset) -> dict:
    """The keyword arguments of a folder's build_model that come from the flags and the data set."""
    return {"task": dataset.task, "units": config.units, "num_layers": config.layers,
            "input_shape": dataset.input_shape, "num_classes": dataset.num_classes,
            "many_to_many": config.many_to_many or bool(dataset.meta.get("label_per_step")),
            "vocab_size": dataset.meta.get("vocab_size"),
            "embedding_dim": config.embedding_dim, "dropout_rate": config.dropout,
            "mask_padding": dataset.name == "imdb"}


QUICK_SAMPLE_LENGTH = 40


def evaluator_options(config: SequenceConfig) -> dict:
    """The keyword arguments of common.sequence_evaluation.sequence_evaluator (sampling text)."""
    return {"prompt": config.prompt, "temperatures": config.temperatures, "seed": config.seed,
            "sample_length": min(config.sample_length, QUICK_SAMPLE_LENGTH) if config.quick else config.sample_length}
