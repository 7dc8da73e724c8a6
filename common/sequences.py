"""Sequence helpers the recurrent folders share: windows, time-ordered splits, scaling, baselines, characters.

    series = np.sin(np.arange(200) / 8)
    x, y = make_windows(series, window=20)            # x (180, 20, 1): 20 past values; y (180,): the next one

A forecast is only honest when nothing from the future leaks into training: the series is split in time order
(train, then validation, then test), every scaler is fitted on the training part alone, and a test value is never a
training target (test inputs may look back into earlier months, exactly as a real forecast would).

NumPy only: no Keras, so these are quick to import and test.
"""

import dataclasses
import math

import numpy as np

from common.sequence_config import TRANSFORMS  # the flag's choices; that module is standard library only


# ----------------------------------------------------------------------------------------------------------------
# Windows and splits


def make_windows(values: np.ndarray, window: int, many_to_many: bool = False,
                 target_indices: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Slide a window over values (time,) or (time, features): inputs are `window` steps, the target comes next.

    For a target at index t the input is values[t - window : t]. Targets are column 0 of values.
    many_to_one:  x (n, window, features), y (n,)         y[i] = values[t]
    many_to_many: x (n, window, features), y (n, window)  y[i] = values[t - window + 1 : t + 1], one step ahead of x
    target_indices (default: every t from window to the end) chooses which targets to make.
    """
    values = np.asarray(values, dtype="float32")
    if values.ndim == 1:
        values = values[:, None]
    if window < 1:
        raise ValueError(f"--window must be at least 1 (got {window})")
    if window >= len(values):
        raise ValueError(f"--window {window} is too long for a series of {len(values)} values")
    if target_indices is None:
        target_indices = np.arange(window, len(values))
    x = np.stack([values[t - window:t] for t in target_indices]) if len(target_indices) else \
        np.zeros((0, window, values.shape[1]), "float32")
    if many_to_many:
        y = np.stack([values[t - window + 1:t + 1, 0] for t in target_indices]) if len(target_indices) else \
            np.zeros((0, window), "float32")
    else:
        y = values[target_indices, 0]
    return x, y


@dataclasses.dataclass(frozen=True)
class TimeSplit:
    """Where the validation and test parts of a series begin: train is [0, val_start), test is [test_start, n)."""

    val_start: int
    test_start: int
    length: int

    def targets(self, part: str, first: int) -> np.ndarray:
        """Indices of the targets in part ("train", "val" or "test"), starting no earlier than `first`."""
        start, stop = {"train": (0, self.val_start), "val": (self.val_start, self.test_start),
                       "test": (self.test_start, self.length)}[part]
        return np.arange(max(start, first), stop)


def split_in_time(length: int, test_fraction: float, val_fraction: float = 0.15) -> TimeSplit:
    """The last test_fraction of the series is test; the last val_fraction of what remains is validation."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test fraction must be between 0 and 1 (got {test_fraction})")
    test_start = int(round(length * (1 - test_fraction)))
    val_start = test_start - max(1, int(round(test_start * val_fraction)))
    return TimeSplit(val_start, test_start, length)


# ----------------------------------------------------------------------------------------------------------------
# Transforms and scaling: what the network sees, and the way back to the original units


def transform_lag(transform: str, season: int | None = None) -> int:
    """How many steps back the value lies that a transform compares with: 0 (none), 1, or the season."""
    if transform not in TRANSFORMS:
        raise ValueError(f"--transform must be one of {', '.join(TRANSFORMS)} (got {transform!r})")
    if transform == "seasonal-log-difference":
        if not season:
            raise ValueError("--transform seasonal-log-difference needs a seasonal series (airline: 12 months)")
        return season
    return 0 if transform == "none" else 1


def transform_series(series: np.ndarray, transform: str, season: int | None = None) -> np.ndarray:
    """The series the network models: as it is, its change since the last step, or the change of its logarithm
    since the last step or since the same month a season ago.

    Differencing removes a trend a network trained on the past cannot extrapolate (a test value above every training
    value); the log turns growth in proportion, like airline traffic, into changes of constant size; the seasonal
    difference takes away the pattern that repeats every year. The first `lag` values have no partner and are NaN.
    """
    series = np.asarray(series, dtype="float64")
    lag = transform_lag(transform, season)
    if lag == 0:
        return series.copy()
    if transform != "difference" and np.any(series <= 0):
        raise ValueError(f"--transform {transform} needs a series of positive values")
    values = series if transform == "difference" else np.log(series)
    return np.concatenate([np.full(lag, np.nan), values[lag:] - values[:-lag]])


def untransform(predicted: np.ndarray, earlier: np.ndarray, transform: str) -> np.ndarray:
    """Predictions of the transformed series back in original units, given the true value `lag` steps before each."""
    predicted = np.asarray(predicted, dtype="float64")
    if transform == "none":
        return predicted
    if transform == "difference":
        return earlier + predicted
    return earlier * np.exp(predicted)


@dataclasses.dataclass
class Standardizer:
    """(value - mean) / std with mean and std of the values it was fitted on (the training part only)."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> "Standardizer":
        values = np.asarray(values, dtype="float64")
        return cls(float(values.mean()), float(values.std()) or 1.0)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype="float64") - self.mean) / self.std

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="float64") * self.std + self.mean


# ----------------------------------------------------------------------------------------------------------------
# Forecasting baselines, scored in the original units on the same test targets as the model


def persistence_forecast(series: np.ndarray, target_indices: np.ndarray) -> np.ndarray:
    """Tomorrow equals today: the value one step before each target."""
    return np.asarray(series, dtype="float64")[np.asarray(target_indices) - 1]


def seasonal_naive_forecast(series: np.ndarray, target_indices: np.ndarray, season: int) -> np.ndarray:
    """This month equals the same month last season: the value `season` steps before each target."""
    if np.min(target_indices) < season:
        raise ValueError(f"a seasonal naive forecast needs {season} earlier values before the first target")
    return np.asarray(series, dtype="float64")[np.asarray(target_indices) - season]


# ----------------------------------------------------------------------------------------------------------------
# Characters: vocabulary, bits per character, temperature sampling


@dataclasses.dataclass
class CharVocabulary:
    """Characters <-> integer ids. Id 0 stands for any character not seen in the training text."""

    chars: list[str]

    UNKNOWN = "\N{REPLACEMENT CHARACTER}"

    @classmethod
    def from_text(cls, text: str) -> "CharVocabulary":
        return cls([cls.UNKNOWN] + sorted(set(text) - {cls.UNKNOWN}))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {char: i for i, char in enumerate(self.chars)}
        return np.array([index.get(char, 0) for char in text], dtype="int32")

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def unigram_bits_per_char(train_ids: np.ndarray, test_ids: np.ndarray, vocab_size: int) -> float:
    """Bits per character of a model that knows only how often each character occurs in the training text.

    Counts get one added (Laplace smoothing), so a test character never seen in training still has a probability.
    """
    counts = np.bincount(np.asarray(train_ids).ravel(), minlength=vocab_size) + 1.0
    probabilities = counts / counts.sum()
    return float(-np.mean(np.log2(probabilities[np.asarray(test_ids).ravel()])))


def bits_per_char(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """Mean of -log2 p(true next character): probabilities (..., vocab), targets (...) of ids."""
    probabilities = np.asarray(probabilities, dtype="float64").reshape(-1, probabilities.shape[-1])
    chosen = probabilities[np.arange(len(probabilities)), np.asarray(targets).ravel()]
    return float(-np.mean(np.log2(np.clip(chosen, 1e-12, 1.0))))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """p_i^(1/T), renormalised: T < 1 sharpens towards the likeliest character, T > 1 flattens towards uniform."""
    if temperature <= 0:
        raise ValueError(f"temperature must be above 0 (got {temperature})")
    logits = np.log(np.clip(np.asarray(probabilities, dtype="float64"), 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def sample_characters(predict_next, prompt_ids: np.ndarray, length: int, temperatures: list[float],
                      seed: int = 0) -> list[np.ndarray]:
    """Generate `length` ids after the prompt at each temperature, one batch row per temperature.

    predict_next(new_ids (batch, time)) -> probabilities (batch, vocab) of the next character given everything fed
    so far: a stateful model, which keeps what it has read. It gets the prompt first, then one sampled id per row.
    Returns the generated ids of each temperature.
    """
    rng = np.random.default_rng(seed)
    new_ids = np.repeat(np.asarray(prompt_ids, dtype="int32")[None, :], len(temperatures), axis=0)
    generated = np.zeros((len(temperatures), length), dtype="int32")
    for step in range(length):
        probabilities = predict_next(new_ids)
        for row, temperature in enumerate(temperatures):
            p = apply_temperature(probabilities[row], temperature)
            generated[row, step] = rng.choice(len(p), p=p)
        new_ids = generated[:, step:step + 1]
    return list(generated)


def chunk_text(ids: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ids into non-overlapping pieces of window + 1: x = the first window ids, y = the same shifted by one.

    Every position of every piece is a training example of "predict the next character" (many-to-many).
    """
    count = (len(ids) - 1) // window
    if count < 1:
        raise ValueError(f"a text of {len(ids)} characters is too short for --window {window}")
    x = np.stack([ids[i * window:(i + 1) * window] for i in range(count)])
    y = np.stack([ids[i * window + 1:(i + 1) * window + 1] for i in range(count)])
    return x.astype("int32"), y.astype("int32")


def nats_to_bits(nats: float) -> float:
    return nats / math.log(2)
