"""Forecasting one series: windows, time-ordered splits, transforms and scaling, turned into a Dataset.

    x, y = make_windows(passengers, window=3)          # x (n, 3, 1): 3 months in; y (n,): the next month
    dataset = forecasting_dataset("airline", passengers, 3, 0.33, "seasonal-log-difference", False, source, 12)

A forecast is only honest when nothing from the future leaks into training: the series is split in time order
(train, then validation, then test), every scaler is fitted on the training part alone, and a test value is never a
training target (test inputs may look back into earlier months, exactly as a real forecast would). Forecasts are one
step ahead. The three series are in common/forecast_series.py; turning forecasts back into the original units and
scoring them beside persistence, the seasonal naive forecast and seasonal ARIMA is common/forecast_evaluation.py.
"""

import dataclasses

import numpy as np

from common.datasets import Dataset

TRANSFORMS = ("none", "difference", "log-difference", "seasonal-log-difference")


# ----------------------------------------------------------------------------------------------------------------
# Windows and splits


def make_windows(
    values: np.ndarray, window: int, many_to_many: bool = False, target_indices: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
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
    x = (
        np.stack([values[t - window : t] for t in target_indices])
        if len(target_indices)
        else np.zeros((0, window, values.shape[1]), "float32")
    )
    if many_to_many:
        y = (
            np.stack([values[t - window + 1 : t + 1, 0] for t in target_indices])
            if len(target_indices)
            else np.zeros((0, window), "float32")
        )
    else:
        y = values[target_indices, 0]
    return x, y


@dataclasses.dataclass(frozen=True)
class TimeSplit:
    """Where the parts of a series lie: train is [0, val_start), validation [val_start, val_stop), test
    [test_start, length). val_stop is test_start unless the validation part was moved earlier (validation_shift)."""

    val_start: int
    val_stop: int
    test_start: int
    length: int

    def targets(self, part: str, first: int) -> np.ndarray:
        """Indices of the targets in part ("train", "val" or "test"), starting no earlier than `first`."""
        start, stop = {
            "train": (0, self.val_start),
            "val": (self.val_start, self.val_stop),
            "test": (self.test_start, self.length),
        }[part]
        return np.arange(max(start, first), stop)


def split_in_time(
    length: int, test_fraction: float, val_fraction: float = 0.15, validation_shift: int = 0
) -> TimeSplit:
    """The last test_fraction of the series is test; the last val_fraction of what remains is validation.

    validation_shift > 0 moves the validation part that many steps earlier and ends training before it; the test part
    stays where it is, and the steps between validation and test are used by neither. Scoring one setting with
    several shifts is rolling-origin validation: each validation block is forecast by a model trained only on what
    came before it, as the test block is, so a choice rests on several stretches of time instead of one.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test fraction must be between 0 and 1 (got {test_fraction})")
    test_start = int(round(length * (1 - test_fraction)))
    val_start = test_start - max(1, int(round(test_start * val_fraction)))
    if not 0 <= validation_shift < val_start:
        raise ValueError(
            f"--validation-shift must be at least 0 and below {val_start}, the length of the training "
            f"part (got {validation_shift})"
        )
    return TimeSplit(val_start - validation_shift, test_start - validation_shift, test_start, length)


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
# A series as a data set: windows over its transformed, standardized values, split in time


def forecasting_dataset(
    name: str,
    series: np.ndarray,
    window: int,
    test_fraction: float,
    transform: str,
    many_to_many: bool,
    source: str,
    season: int | None = None,
    clean: np.ndarray | None = None,
    dates: list[str] | None = None,
    time_unit: str = "time step",
    unit: str = "value",
    validation_shift: int = 0,
) -> Dataset:
    """Windows over a (transformed, standardized) series, split train | val | test in time order.

    The standardizer is fitted on the training part only. meta keeps what common/forecast_evaluation.py needs to
    score in the original units: the raw series, the transform, the scaler, each split's target indices, the season
    and, for generated data, the noise-free series; and how the plot names time (time_unit) and the values (unit).
    validation_shift moves the validation part earlier (see split_in_time).
    """
    series = np.asarray(series, dtype="float64")
    split = split_in_time(len(series), test_fraction, validation_shift=validation_shift)
    first = transform_lag(transform, season)  # the first index the transformed series has a value at
    if window >= split.val_start - first:
        raise ValueError(
            f"--window {window} is too long: the training part of {name} has only {split.val_start} values"
        )
    modelled = transform_series(series, transform, season)
    scaler = Standardizer.fit(modelled[first : split.val_start])  # training part only: nothing of val or test
    scaled = scaler.transform(np.nan_to_num(modelled))
    indices = {part: split.targets(part, first=first + window) for part in ("train", "val", "test")}
    arrays = [
        array
        for part in ("train", "val", "test")
        for array in make_windows(scaled, window, many_to_many, indices[part])
    ]
    meta = {
        "source": source,
        "series": series,
        "transform": transform,
        "lag": first,
        "target_scaler": scaler,
        "target_indices": indices,
        "split": split,
        "season": season,
        "clean": clean,
        "dates": dates,
        "time_unit": time_unit,
        "unit": unit,
        "many_to_many": many_to_many,
        "forecast": True,
    }
    return Dataset(name, "regression", *arrays, meta=meta)
