"""What the recurrent folders share besides forecasting and text: their command line, sequence data, evaluation.

    @dataclasses.dataclass
    class RnnConfig(SequenceConfig):                   # rnn/train.py changes defaults only
        dataset: str = option("sine", "dataset", choices=DATASETS)

    dataset = load_sequence_dataset(config)            # the data set --dataset names, shaped by the other flags
    evaluation = evaluate_sequence_model(model, dataset, run_dir, config)     # after model.fit
    saved, inputs = saved_model(model, dataset)        # raw pixels or the series' own values in, and inputs.json

A --window or --transform left out takes the data set's own value (common/forecast_series.py, common/text.py), shown
in the resolved config the run prints. The series (sine, airline, stock) live in common/forecast_series.py, the text in
common/text.py; the independent sequences (adding, imdb, digit images read row by row) here, split at random like any
other examples.
"""

import dataclasses
from pathlib import Path

import numpy as np

from common import forecast_evaluation, forecast_series, text
from common.config import TrainConfig
from common.flags import option, require
from common.datasets import (
    DIGIT_NAMES,
    DIGITS_SOURCE,
    MNIST5K_SOURCE,
    SPLIT_SEED,
    Dataset,
    download_keras_dataset,
    image_classification_dataset,
    load_mnist5k,
    split_three_ways,
)
from common.forecast_series import DEFAULT_TRANSFORM, DEFAULT_WINDOW, SERIES
from common.forecasting import TRANSFORMS

TASKS = ("many-to-one", "many-to-many")
CELL_NAMES = ("rnn", "lstm", "gru")  # SimpleRNN, LSTM, GRU (the CELLS of deep_rnn/ and birnn/ model.py)
QUICK_SAMPLE_LENGTH = 40  # characters sampled per temperature in a --quick run
# --help headings of the flags only some data sets read, listed after --dataset (common/config.py's build_parser)
FORECASTING, WINDOWS = f"{', '.join(SERIES)} (forecasting)", f"{', '.join(SERIES)}, text (windows)"
SINE, ADDING, IMDB, TEXT = "sine", "adding, tagging", "imdb", "text"


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
    task: str = option(
        "many-to-one",
        "forecasting: predict the next value from the last state (many-to-one) or at every step (many-to-many)",
        choices=TASKS,
        group=FORECASTING,
    )
    window: int | None = option(
        None,
        "time steps the network reads per example (default per dataset: "
        + ", ".join(f"{name} {window}" for name, window in {**DEFAULT_WINDOW, "text": text.DEFAULT_WINDOW}.items())
        + ")",
        group=WINDOWS,
    )
    transform: str | None = option(
        None,
        "forecasting: model the values, their changes, or changes of their log "
        "since the last step or the same month last year (default: "
        + ", ".join(f"{transform} for {name}" for name, transform in DEFAULT_TRANSFORM.items())
        + ")",
        choices=TRANSFORMS,
        group=FORECASTING,
    )
    validation_shift: int = option(
        0,
        "forecasting: move the validation part this many steps earlier and train only "
        "on what comes before it (rolling-origin validation; test stays put)",
        group=FORECASTING,
    )
    num_points: int = option(1000, "sine: length of the generated series", group=SINE)
    cycle_length: float = option(50.0, "sine: time steps per period", group=SINE)
    noise: float = option(0.1, "sine: standard deviation of the added Gaussian noise", group=SINE)
    sequence_length: int = option(50, "adding, tagging: time steps per sequence", group=ADDING)
    num_samples: int = option(10000, "adding, tagging: number of generated sequences", group=ADDING)
    vocab_size: int = option(10000, "imdb: keep the most frequent words; the rest become one unknown id", group=IMDB)
    max_length: int = option(200, "imdb: words kept per review (the last ones; shorter reviews are padded)", group=IMDB)
    corpus: str = option(
        "python-docs", "text: python-docs (embedded), shakespeare (downloaded) or a UTF-8 file", group=TEXT
    )
    prompt: str = option("The ", "text: the start of each generated sample", group=TEXT)
    temperature: str = option("0.2,0.5,1.0", "text: sampling temperatures, comma-separated, each above 0", group=TEXT)
    sample_length: int = option(400, "text: characters generated per temperature", group=TEXT)
    units: int = option(32, "hidden units of each recurrent layer")
    layers: int = option(1, "recurrent layers stacked on each other")
    dropout: float = option(0.0, "dropout between recurrent layers and before the output (0 turns it off)")
    embedding_dim: int = option(32, "imdb and text: length of the learned vector for each token")

    def validate(self) -> None:
        if self.window is None and self.dataset in SERIES:
            self.window = DEFAULT_WINDOW[self.dataset]
        if self.window is None and self.dataset == "text":
            self.window = text.DEFAULT_WINDOW
        if self.transform is None and self.dataset in SERIES:
            self.transform = DEFAULT_TRANSFORM[self.dataset]
        super().validate()
        require(self.window is None or self.window >= 1, f"--window must be at least 1 (got {self.window})")
        require(
            self.task == "many-to-one" or self.dataset in SERIES,
            f"--task many-to-many applies to {', '.join(SERIES)}; {self.dataset} is "
            f"{'always many-to-many' if self.dataset == 'text' else 'many-to-one'}",
        )
        require(self.validation_shift >= 0, f"--validation-shift must be 0 or more (got {self.validation_shift})")
        require(
            self.validation_shift == 0 or self.dataset in SERIES,
            f"--validation-shift applies to {', '.join(SERIES)}, the series split in time",
        )
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


def evaluate_sequence_model(model, dataset: Dataset, run_dir: Path, config: SequenceConfig):
    """Score the test split the way its data asks: a forecast in original units beside the naive forecasts, text in
    bits per character beside a unigram model (and samples.txt), anything else as classification or regression."""
    from common.evaluation import evaluate_classification, evaluate_regression

    if dataset.meta.get("forecast"):
        return forecast_evaluation.evaluate_forecast(model, dataset, run_dir)
    if dataset.task == "generation":
        length = min(config.sample_length, QUICK_SAMPLE_LENGTH) if config.quick else config.sample_length
        return text.evaluate_text(model, dataset, run_dir, config.prompt, config.temperatures, length, config.seed)
    if dataset.task == "regression":
        return evaluate_regression(model, dataset, run_dir)
    return evaluate_classification(model, dataset, run_dir)


def saved_model(model, dataset: Dataset) -> tuple:
    """(the model a run saves as model.keras, its inputs.json): a model that reads the data as a user has it.

    - a series: the forecaster of common/forecast_model.py, the last values in their own units in, the next one out;
    - digit images read row by row: Rescaling(1 / pixel_max) before the network, raw pixels (0..255 or 0..16) in;
    - anything else (values per step, character or word ids): the trained model as it is.
    Training read the arrays dataset.py made once, so the scores are the network's own."""
    from common.inputs import describe_inputs

    if dataset.meta.get("forecast"):
        from common.forecast_model import end_to_end_forecaster

        return end_to_end_forecaster(model, dataset), describe_inputs(dataset, dataset.x_test)
    if "pixel_max" in dataset.meta:
        import keras

        from common.tasks import inference_copy

        raw = keras.Input(shape=model.input_shape[1:], name="raw_image")
        scaled = keras.layers.Rescaling(1.0 / dataset.meta["pixel_max"], name="rescale")(raw)
        saved = keras.Model(raw, inference_copy(model)(scaled), name=f"{model.name}_end_to_end")
        return saved, describe_inputs(dataset, dataset.x_test[:16] * dataset.meta["pixel_max"], raw=True)
    return model, describe_inputs(dataset, dataset.x_test)


# ----------------------------------------------------------------------------------------------------------------
# Independent sequences, split at random


def make_adding_problem(num_samples: int, sequence_length: int, seed: int = SPLIT_SEED) -> tuple[np.ndarray, ...]:
    """The adding problem (Hochreiter & Schmidhuber 1997): x (n, T, 2) of (value, marker) pairs, y (n,).

    Values are uniform in [0, 1); exactly two markers are 1, one in each half of the sequence, and the target is the
    sum of the two marked values. The network must carry the first marked value across up to T steps.
    """
    if sequence_length < 2:
        raise ValueError(f"--sequence-length must be at least 2 (got {sequence_length})")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(num_samples, sequence_length))
    half = sequence_length // 2
    first = rng.integers(0, half, size=num_samples)
    second = rng.integers(half, sequence_length, size=num_samples)
    markers = np.zeros_like(values)
    markers[np.arange(num_samples), first] = 1.0
    markers[np.arange(num_samples), second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values * markers).sum(axis=1).astype("float32")
    return x, y


def load_adding(sequence_length: int = 50, num_samples: int = 10000) -> Dataset:
    if num_samples < 100:
        raise ValueError(f"--num-samples must be at least 100 (got {num_samples})")
    x, y = make_adding_problem(num_samples, sequence_length)
    return Dataset(
        "adding",
        "regression",
        *split_three_ways(x, y, stratify=False),
        meta={"source": f"generated: adding problem, T = {sequence_length}"},
    )


def load_imdb(vocab_size: int = 10000, max_length: int = 200, alternative: str = "text") -> Dataset:
    """IMDB movie reviews (downloaded by Keras): word ids padded/cut to max_length, positive (1) or negative (0).

    Keras' 25,000 test reviews stay the test split; the last 5,000 training reviews become validation.
    """
    import keras

    (x_train, y_train), (x_test, y_test) = download_keras_dataset("imdb", alternative, num_words=vocab_size)

    def pad(reviews):  # cut or pad each review at its start, so that its last words, nearest the verdict, stay
        return keras.utils.pad_sequences(reviews, maxlen=max_length, padding="pre", truncating="pre")

    x_train, x_test = pad(x_train), pad(x_test)
    return Dataset(
        "imdb",
        "classification",
        x_train[:-5000],
        y_train[:-5000].astype("int64"),
        x_train[-5000:],
        y_train[-5000:].astype("int64"),
        x_test,
        y_test.astype("int64"),
        class_names=["negative", "positive"],
        meta={"source": "keras.datasets.imdb (Maas et al. 2011)", "vocab_size": vocab_size},
    )


def load_mnist5k_rows() -> Dataset:
    """Each 28x28 digit as a sequence of 28 rows of 28 pixels (0..1): the network reads the image top to bottom."""
    images, labels = load_mnist5k()
    return image_classification_dataset("mnist5k", images, labels, DIGIT_NAMES, 255.0, MNIST5K_SOURCE)


def load_digits_rows() -> Dataset:
    """scikit-learn's 8x8 digits as sequences of 8 rows of 8 pixels (values 0..16, divided into 0..1)."""
    from sklearn import datasets as sklearn_datasets

    bunch = sklearn_datasets.load_digits()
    return image_classification_dataset("digits", bunch.images, bunch.target, DIGIT_NAMES, 16.0, DIGITS_SOURCE)


def load_sequence_dataset(config: SequenceConfig) -> Dataset:
    """The shared data set config.dataset names, shaped by the flags that apply to it; ValueError if unknown."""
    name = config.dataset
    if name == "sine":
        return forecast_series.load_sine(
            window=config.window,
            many_to_many=config.many_to_many,
            transform=config.transform,
            num_points=config.num_points,
            cycle_length=config.cycle_length,
            noise=config.noise,
            validation_shift=config.validation_shift,
        )
    if name == "airline":
        return forecast_series.load_airline(
            window=config.window,
            many_to_many=config.many_to_many,
            transform=config.transform,
            validation_shift=config.validation_shift,
        )
    if name == "stock":
        return forecast_series.load_stock(
            window=config.window,
            many_to_many=config.many_to_many,
            transform=config.transform,
            validation_shift=config.validation_shift,
        )
    if name == "text":
        return text.load_text(corpus=config.corpus, window=config.window)
    if name == "adding":
        return load_adding(sequence_length=config.sequence_length, num_samples=config.num_samples)
    if name == "imdb":
        return load_imdb(vocab_size=config.vocab_size, max_length=config.max_length)
    if name == "mnist5k":
        return load_mnist5k_rows()
    if name == "digits":
        return load_digits_rows()
    raise ValueError(f"unknown dataset {name!r}")
