"""Scoring a one-step forecast: the model's forecasts and the baselines', in the series' original units, on the same
test targets, and the forecast plot.

    evaluation = evaluate_forecast(model, data, run_dir)      # after model.fit: RMSE in passengers, beside baselines

The model's outputs are turned back into the original units (undoing scaling and differencing, common/forecasting.py)
and scored beside persistence, the seasonal naive forecast, the seasonal ARIMA "airline model" (statsmodels) for a
seasonal series, the training mean and, for generated data, the noise floor.

Keras, matplotlib and statsmodels load only inside the functions that need them.
"""

from pathlib import Path

import numpy as np

from common import metrics
from common.datasets import Dataset
from common.forecasting import untransform


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
    from common.evaluation import Evaluation

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
