"""Forecasting one series: windows, time-ordered splits, transforms, the three series, scoring and the forecast plot.

    data = load_airline(window=3)                    # x_train (n, 3, 1): 3 months in, the next month out
    evaluation = evaluate_forecast(model, data, run_dir)      # after model.fit: RMSE in passengers, beside baselines

A forecast is only honest when nothing from the future leaks into training: the series is split in time order
(train, then validation, then test), every scaler is fitted on the training part alone, and a test value is never a
training target (test inputs may look back into earlier months, exactly as a real forecast would). Forecasts are one
step ahead, turned back into the original units (undoing scaling and differencing) and scored beside persistence,
the seasonal naive forecast, the seasonal ARIMA "airline model" (statsmodels) for a seasonal series, and, for
generated data, the noise floor.

Keras, matplotlib and statsmodels load only inside the functions that need them.
"""

import dataclasses
from pathlib import Path

import numpy as np

from common import metrics
from common.config import REPO_ROOT
from common.datasets import SPLIT_SEED, Dataset

SERIES = ("sine", "airline", "stock")
TRANSFORMS = ("none", "difference", "log-difference", "seasonal-log-difference")
# Each series' own window and transform: what --window and --transform mean when they are left out. (airline's
# three-month window is what `python -m benchmarks.tune lstm` chose by the mean validation RMSE over three
# rolling-origin blocks: benchmarks/tune_lstm.md)
DEFAULT_WINDOW = {"sine": 20, "airline": 3, "stock": 30}
DEFAULT_TRANSFORM = {"sine": "none", "airline": "seasonal-log-difference", "stock": "log-difference"}
AIRLINE_FILE = REPO_ROOT / "data" / "airline_passengers.csv"


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
# The three series, each split in time


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

    The standardizer is fitted on the training part only. meta keeps what evaluate_forecast needs to score in the
    original units: the raw series, the transform, the scaler, each split's target indices, the season and, for
    generated data, the noise-free series; and how the plot names time (time_unit) and the values (unit).
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


def load_sine(
    window: int = DEFAULT_WINDOW["sine"],
    many_to_many: bool = False,
    transform: str = DEFAULT_TRANSFORM["sine"],
    num_points: int = 1000,
    cycle_length: float = 50.0,
    noise: float = 0.1,
    validation_shift: int = 0,
) -> Dataset:
    """sin(2 pi t / cycle_length) plus Gaussian noise of standard deviation `noise`; split 75/25 in time.

    The target is the next *noisy* value, whose noise no model can predict: the noise-free sine scores the best
    RMSE possible (about `noise`), reported as the noise_floor baseline.
    """
    if num_points < 20:
        raise ValueError(f"--num-points must be at least 20 (got {num_points})")
    steps = np.arange(num_points)
    clean = np.sin(2 * np.pi * steps / cycle_length)
    noisy = clean + noise * np.random.default_rng(SPLIT_SEED).standard_normal(num_points)
    return forecasting_dataset(
        "sine",
        noisy,
        window,
        0.25,
        transform,
        many_to_many,
        clean=clean,
        validation_shift=validation_shift,
        source=f"generated: sine of period {cycle_length:g} + N(0, {noise:g}^2) noise",
    )


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


def load_airline(
    window: int = DEFAULT_WINDOW["airline"],
    many_to_many: bool = False,
    transform: str = DEFAULT_TRANSFORM["airline"],
    validation_shift: int = 0,
) -> Dataset:
    """Monthly international airline passengers 1949-1960 (Box & Jenkins), split 67/33 in time."""
    months, passengers = read_airline_passengers()
    return forecasting_dataset(
        "airline",
        passengers,
        window,
        0.33,
        transform,
        many_to_many,
        season=12,
        dates=months,
        time_unit="month",
        unit="passengers (thousands)",
        validation_shift=validation_shift,
        source="data/airline_passengers.csv (Box, Jenkins & Reinsel, series G)",
    )


def load_stock(
    window: int = DEFAULT_WINDOW["stock"],
    many_to_many: bool = False,
    transform: str = DEFAULT_TRANSFORM["stock"],
    validation_shift: int = 0,
) -> Dataset:
    """Google's daily closing price, 2004-08-19 to 2008-10-14 (1,047 trading days, matplotlib's goog.npz)."""
    import matplotlib  # the file ships with matplotlib; np.load with allow_pickle=False reads its structured array

    path = Path(matplotlib.get_data_path()) / "sample_data" / "goog.npz"
    with np.load(path, allow_pickle=False) as archive:
        prices = archive["price_data"]
    return forecasting_dataset(
        "stock",
        prices["close"],
        window,
        0.25,
        transform,
        many_to_many,
        dates=[str(day) for day in prices["date"]],
        time_unit="trading day",
        unit="closing price (US dollars)",
        validation_shift=validation_shift,
        source="matplotlib sample data goog.npz (Google daily prices, Yahoo! Finance)",
    )


# ----------------------------------------------------------------------------------------------------------------
# Scoring: the model's one-step forecasts and the naive ones, in the original units, on the same test targets


def persistence_forecast(series: np.ndarray, target_indices: np.ndarray) -> np.ndarray:
    """Tomorrow equals today: the value one step before each target."""
    return np.asarray(series, dtype="float64")[np.asarray(target_indices) - 1]


def seasonal_naive_forecast(series: np.ndarray, target_indices: np.ndarray, season: int) -> np.ndarray:
    """This month equals the same month last season: the value `season` steps before each target."""
    if np.min(target_indices) < season:
        raise ValueError(f"a seasonal naive forecast needs {season} earlier values before the first target")
    return np.asarray(series, dtype="float64")[np.asarray(target_indices) - season]


def sarima_forecast(series: np.ndarray, target_indices: np.ndarray, fit_end: int, season: int) -> np.ndarray:
    """One-step forecasts of the Box-Jenkins "airline model": seasonal ARIMA (0,1,1)(0,1,1)_season of log(series).

    Its three parameters (two moving-average terms and the noise variance) are fitted on series[:fit_end], everything
    before the test part, and then held fixed while each forecast reads the true values before its target, exactly
    as the network's forecasts do. exp() of the log forecast is the median forecast in the original units.
    """
    import warnings

    from statsmodels.tsa.statespace.sarimax import SARIMAX

    log_series = np.log(np.asarray(series, dtype="float64"))
    shape = {"order": (0, 1, 1), "seasonal_order": (0, 1, 1, season)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the optimizer's start-up and convergence notices; the fit itself is tested
        parameters = SARIMAX(log_series[:fit_end], **shape).fit(disp=False).params
        filtered = SARIMAX(log_series, **shape).filter(parameters)
    target_indices = np.asarray(target_indices)
    first, last = int(target_indices.min()), int(target_indices.max())
    predicted = np.asarray(filtered.get_prediction(start=first, end=last).predicted_mean)
    return np.exp(predicted[target_indices - first])


def forecast_in_original_units(model, dataset: Dataset, x: np.ndarray, part: str) -> tuple:
    """(target indices, predictions in original units) of one part; many-to-many models are read at the last step,
    which predicts the same next value as a many-to-one model does."""
    meta = dataset.meta
    indices = meta["target_indices"]["val" if part == "validation" else part][: len(x)]
    outputs = model.predict(x, verbose=0)
    scaled = outputs.reshape(len(x), -1)[:, -1]
    series = meta["series"]
    predicted = untransform(
        meta["target_scaler"].inverse_transform(scaled), series[indices - meta["lag"]], meta["transform"]
    )
    return indices, predicted


def evaluate_forecast(model, dataset: Dataset, run_dir: Path):
    """MAE/MSE/RMSE of the one-step test forecasts in original units, beside the naive forecasts; forecast.png."""
    from common.training import Evaluation

    meta, series = dataset.meta, dataset.meta["series"]
    indices, predicted = forecast_in_original_units(model, dataset, dataset.x_test, "test")
    truth = series[indices]
    baselines = {"persistence": metrics.regression_metrics(truth, persistence_forecast(series, indices))}
    if meta.get("season"):
        baselines["seasonal_naive"] = metrics.regression_metrics(
            truth, seasonal_naive_forecast(series, indices, meta["season"])
        )
        if np.all(series > 0):  # what a statistician would fit first: the airline model, on the log of the series
            baselines["sarima"] = metrics.regression_metrics(
                truth, sarima_forecast(series, indices, meta["split"].test_start, meta["season"])
            )
    if meta.get("clean") is not None:  # the noise-free signal: the best any forecast of noisy values can do
        baselines["noise_floor"] = metrics.regression_metrics(truth, meta["clean"][indices])
    baselines["mean"] = metrics.mean_baseline(series[meta["target_indices"]["train"]], truth)

    shown = {
        part: forecast_in_original_units(model, dataset, x, part)
        for part, x in (("train", dataset.x_train), ("validation", dataset.x_val))
    }
    plot_forecast(
        series,
        {**shown, "test": (indices, predicted)},
        meta["split"].test_start,
        run_dir / "plots" / "forecast.png",
        title=f"{dataset.name}: one-step-ahead forecast (test part right of the dashed line)",
        ylabel=meta["unit"],
        dates=meta["dates"],
        xlabel=meta["time_unit"],
    )
    details = {
        "forecast": {
            "transform": meta["transform"],
            "test_targets": len(indices),
            "first_test_index": int(indices[0]) if len(indices) else None,
        }
    }
    if meta.get("dates"):
        details["forecast"]["first_test_date"] = meta["dates"][int(indices[0])]
    val_indices, val_predicted = shown["validation"]
    return Evaluation(
        test=metrics.regression_metrics(truth, predicted),
        baselines=baselines,
        details=details,
        outputs=predicted,
        validation=metrics.regression_metrics(series[val_indices], val_predicted),
    )


def plot_forecast(
    series: np.ndarray,
    predictions: dict[str, tuple[np.ndarray, np.ndarray]],
    test_start: int,
    path: Path,
    title: str = "one-step-ahead forecast",
    ylabel: str = "value",
    dates: list[str] | None = None,
    xlabel: str = "time step",
) -> Path:
    """The true series over time, each part's one-step predictions on top, and a line where the test part begins.

    predictions maps a label ("train", "test", ...) to (time indices, predicted values), both in original units.
    dates (one per value of the series, such as "1949-01") label the time axis instead of the step numbers.
    """
    from common.plots import plt, save_figure

    figure, axis = plt.subplots(figsize=(10, 4))
    axis.plot(np.arange(len(series)), series, color="black", linewidth=1.2, label="truth")
    for label, (indices, values) in predictions.items():
        axis.plot(indices, values, linewidth=1.2, alpha=0.85, label=f"prediction ({label})")
    axis.axvline(test_start - 0.5, color="gray", linestyle="--", label="test begins")
    if dates is not None:
        ticks = np.linspace(0, len(series) - 1, 8).round().astype(int)
        axis.set_xticks(ticks, [dates[i] for i in ticks], rotation=30)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left")
    return save_figure(figure, path)
