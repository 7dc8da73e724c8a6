"""common/forecast_evaluation.py: forecasts turned back into original units and scored beside honest baselines.

A stand-in model that returns the true scaled targets (an oracle) must score zero error once its outputs are taken
back through the scaler and the transform: any slip in that way back (the wrong lag, the wrong scaler) shows as a
large error. The baselines are pinned to values recomputed here from the raw series.
"""

import numpy as np
import pytest

from common.forecast_evaluation import (evaluate_forecast, forecast_in_original_units, sarima_forecast,
                                        seasonal_naive_forecast)
from common.forecast_series import load_airline, load_sine, load_stock
from common.forecasting import untransform


class Oracle:
    """A "model" whose predict(x) returns the dataset's own targets for x: a perfect forecaster."""

    def __init__(self, dataset):
        self.targets = {x.tobytes(): y for x, y in ((dataset.x_train, dataset.y_train), (dataset.x_val, dataset.y_val),
                                                    (dataset.x_test, dataset.y_test))}

    def predict(self, x, verbose=0):
        return self.targets[np.asarray(x).tobytes()]


FORECASTS = {  # name: (loader, transform whose inverse is under test)
    "airline": lambda many_to_many: load_airline(many_to_many=many_to_many),   # seasonal-log-difference, lag 12
    "stock": lambda many_to_many: load_stock(many_to_many=many_to_many),       # log-difference, lag 1
    "sine-difference": lambda many_to_many: load_sine(many_to_many=many_to_many, transform="difference"),
    "sine": lambda many_to_many: load_sine(many_to_many=many_to_many),         # none
}


@pytest.mark.parametrize("many_to_many", [False, True])
@pytest.mark.parametrize("name", FORECASTS)
def test_a_perfect_forecast_comes_back_as_the_series_itself(name, many_to_many):
    dataset = FORECASTS[name](many_to_many)
    series = dataset.meta["series"]
    for part, x in (("train", dataset.x_train), ("validation", dataset.x_val), ("test", dataset.x_test)):
        indices, predicted = forecast_in_original_units(Oracle(dataset), dataset, x, part)
        np.testing.assert_allclose(predicted, series[indices], rtol=1e-5, atol=1e-5)


def test_untransform_needs_the_value_a_season_back():
    """The airline model predicts log(y_t / y_{t-12}); only the value 12 months back turns it into passengers."""
    dataset = load_airline()
    series, indices = dataset.meta["series"], dataset.meta["target_indices"]["test"]
    assert dataset.meta["lag"] == 12
    change = np.log(series[indices] / series[indices - 12])
    back = untransform(change, series[indices - 12], "seasonal-log-difference")
    np.testing.assert_allclose(back, series[indices])
    wrong = untransform(change, series[indices - 1], "seasonal-log-difference")  # last month as the partner
    assert np.sqrt(np.mean((wrong - series[indices]) ** 2)) > 20  # thousands of passengers off


def test_airline_scores_and_baselines_in_passengers(tmp_path):
    dataset = load_airline()
    evaluation = evaluate_forecast(Oracle(dataset), dataset, tmp_path)
    assert evaluation.test["rmse"] == pytest.approx(0.0, abs=1e-3)
    assert evaluation.validation["rmse"] == pytest.approx(0.0, abs=1e-3)  # scored in passengers, like test
    series, indices = dataset.meta["series"], dataset.meta["target_indices"]
    truth = series[indices["test"]]
    assert len(indices["val"]) == 14 and dataset.meta["dates"][indices["val"][0]] == "1955-11"
    assert len(truth) == 48 and dataset.meta["dates"][indices["test"][0]] == "1957-01"
    rmse = lambda guess: float(np.sqrt(np.mean((truth - guess) ** 2)))
    # The mean baseline predicts the mean of the training months: an honest forecaster cannot know the test months'.
    train_mean = series[indices["train"]].mean()
    assert evaluation.baselines["mean"]["rmse"] == pytest.approx(rmse(train_mean), rel=1e-9)
    assert evaluation.baselines["mean"]["rmse"] == pytest.approx(216.5, abs=0.1)  # 77.7 with the test months' mean
    assert evaluation.baselines["persistence"]["rmse"] == pytest.approx(48.04, abs=0.01)
    assert evaluation.baselines["persistence"]["rmse"] == pytest.approx(rmse(series[indices["test"] - 1]))
    assert evaluation.baselines["seasonal_naive"]["rmse"] == pytest.approx(41.85, abs=0.01)
    assert evaluation.baselines["seasonal_naive"]["rmse"] == pytest.approx(rmse(series[indices["test"] - 12]))
    # The Box-Jenkins airline model, fitted on the 96 months before the test part: about 13.7 thousand passengers,
    # better than every network in this repository's benchmark.
    assert evaluation.baselines["sarima"]["rmse"] == pytest.approx(13.74, abs=0.05)
    assert (tmp_path / "plots" / "forecast.png").stat().st_size > 10_000
    # metrics.json's record of what was forecast, and the outputs the folder's own pictures reuse
    assert evaluation.details == {"forecast": {"transform": "seasonal-log-difference", "test_targets": 48,
                                               "first_test_index": 96, "first_test_date": "1957-01"}}
    np.testing.assert_allclose(evaluation.outputs, truth, rtol=1e-5)
    with pytest.raises(ValueError, match="a seasonal naive forecast needs 12 earlier values before the first target"):
        seasonal_naive_forecast(series, np.array([11, 30]), 12)


def test_the_sarima_forecasts_are_one_step_ahead_and_fitted_before_the_test_part():
    series = load_airline().meta["series"]
    targets = np.arange(96, 144)
    forecast = sarima_forecast(series, targets, fit_end=96, season=12)
    later = series.copy()
    later[120:] *= 1.5  # the future changes from month 120 on
    changed = sarima_forecast(later, targets, fit_end=96, season=12)
    np.testing.assert_allclose(changed[:120 - 96 + 1], forecast[:120 - 96 + 1], rtol=1e-9)  # up to 120: reads 119
    assert np.all(np.abs(changed[120 - 96 + 1:] - forecast[120 - 96 + 1:]) > 1)  # after: reads the changed months
    assert np.all(np.abs(forecast / series[targets] - 1) < 0.15)  # every month within 15%


def test_sine_baselines_use_the_training_mean_and_the_clean_signal(tmp_path):
    dataset = load_sine()
    evaluation = evaluate_forecast(Oracle(dataset), dataset, tmp_path)
    series, indices = dataset.meta["series"], dataset.meta["target_indices"]
    truth = series[indices["test"]]
    expected_mean = np.sqrt(np.mean((truth - series[indices["train"]].mean()) ** 2))
    assert evaluation.baselines["mean"]["rmse"] == pytest.approx(expected_mean, rel=1e-9)
    expected_floor = np.sqrt(np.mean((truth - dataset.meta["clean"][indices["test"]]) ** 2))
    assert evaluation.baselines["noise_floor"]["rmse"] == pytest.approx(expected_floor, rel=1e-9)
    assert evaluation.test["rmse"] == pytest.approx(0.0, abs=1e-4)
    first = int(indices["test"][0])  # no dates: no first_test_date
    assert evaluation.details == {"forecast": {"transform": dataset.meta["transform"],
                                               "test_targets": len(truth), "first_test_index": first}}


@pytest.mark.parametrize("name, time_unit, first_tick, unit", [
    ("airline", "month", "1949-01", "passengers (thousands)"),
    ("stock", "trading day", "2004-08-19", "closing price (US dollars)"),
    ("sine", "time step", "0", "value"),
])
def test_the_forecast_plot_names_its_time_axis_in_the_data_units(name, time_unit, first_tick, unit, tmp_path,
                                                                   monkeypatch):
    from common import plots

    drawn = {}
    save_figure = plots.save_figure

    def remember_axes(figure, path):
        axis = figure.axes[0]
        drawn.update(xlabel=axis.get_xlabel(), ylabel=axis.get_ylabel(),
                     ticks=[label.get_text() for label in axis.get_xticklabels()])
        return save_figure(figure, path)

    monkeypatch.setattr(plots, "save_figure", remember_axes)
    dataset = {"airline": load_airline, "stock": load_stock, "sine": load_sine}[name]()
    evaluate_forecast(Oracle(dataset), dataset, tmp_path)
    assert drawn["xlabel"] == time_unit and drawn["ylabel"] == unit
    assert first_tick in drawn["ticks"]
    if dataset.meta["dates"]:
        assert drawn["ticks"][-1] == dataset.meta["dates"][-1]
