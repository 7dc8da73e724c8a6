"""common/forecast_model.py: the saved forecaster reads the raw values before a target and answers what the
evaluation scored, in the series' own units, for every transform, and loads back in safe mode."""

import keras
import numpy as np
import pytest

from common.forecast_evaluation import forecast_in_original_units
from common.forecast_model import end_to_end_forecaster
from common.forecast_series import load_airline, load_sine
from common.inputs import histories
from lstm.model import build_model

CASES = {
    "seasonal-log-difference": lambda: load_airline(window=3, transform="seasonal-log-difference"),
    "log-difference": lambda: load_airline(window=4, transform="log-difference"),
    "difference": lambda: load_airline(window=5, transform="difference"),
    "none": lambda: load_sine(),
}


@pytest.mark.parametrize("transform, many_to_many", [("seasonal-log-difference", False), ("log-difference", True),
                                                     ("difference", False), ("none", True)])
def test_the_forecaster_answers_the_scored_forecasts_from_raw_values(transform, many_to_many, tmp_path):
    data = CASES[transform]()
    keras.utils.set_random_seed(0)
    network = build_model(task="regression", units=4, num_layers=1, input_shape=data.input_shape,
                          many_to_many=many_to_many)
    indices, expected = forecast_in_original_units(network, data, data.x_test, "test")  # the evaluation's path
    model = end_to_end_forecaster(network, data)
    history = histories(data, "test")
    assert model.inputs[0].shape[1] == history.shape[1] == data.x_test.shape[1] + data.meta["lag"]
    assert np.array_equal(history[:, -1], data.meta["series"][indices - 1].astype("float32"))  # just before each
    answered = np.asarray(model.predict(history, verbose=0), dtype="float64")
    assert answered.shape == (len(indices), 1)
    assert answered[:, 0] == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert model.count_params() == network.count_params()  # the transform and scaler are constants, not weights
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert np.array_equal(np.asarray(loaded.predict(history, verbose=0)), np.asarray(answered, dtype="float32"))


def test_a_log_transform_reads_the_values_as_they_are_and_a_difference_from_the_last_one():
    """Two forecasts from made-up histories, worked by hand: with an untrained network whose output is pinned."""
    data = load_airline(window=3, transform="difference")
    inputs = keras.Input((3, 1))
    pinned = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="ones")(
        keras.layers.Flatten()(inputs)))  # always 1 (standardized)
    model = end_to_end_forecaster(pinned, data)
    scaler = data.meta["target_scaler"]
    answer = model.predict(np.array([[100.0, 110.0, 120.0, 130.0]], "float32"), verbose=0)[0, 0]
    assert answer == pytest.approx(130.0 + (1.0 * scaler.std + scaler.mean), rel=1e-6)  # the last value + the change
