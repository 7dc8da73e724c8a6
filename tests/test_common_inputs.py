"""common/inputs.py: inputs.json describes each kind of data from the data set alone, with its first examples."""

import json

import numpy as np
import pytest

from common.datasets import Dataset
from common.inputs import EXAMPLE_VALUES, HISTORY, describe_inputs


def facts(described: dict) -> dict:
    return {key: value for key, value in described.items() if key not in ("examples", "kind", "dataset", "task")}


def test_raw_images_and_rows_keep_their_names_range_and_a_few_examples():
    """The kind, names and pixel range from meta, and the first test examples, at most 16 and no more than
    EXAMPLE_VALUES values (4 images of 64x64x3); JSON as it is."""
    rng = np.random.default_rng(0)
    images = Dataset("squares", "classification", *(rng.uniform(size=(20, 64, 64, 3)), np.zeros(20, "int64")) * 3,
                     class_names=["bright", "dark"], meta={"pixel_max": 255.0, "flip_ok": True})
    described = describe_inputs(images, images.x_test * 255, raw=True)
    assert {key: value for key, value in described.items() if key != "examples"} == {
        "kind": "image", "dataset": "squares", "task": "classification", "class_names": ["bright", "dark"],
        "pixel_max": 255.0}
    assert np.asarray(described["examples"]).shape == (4, 64, 64, 3) == (EXAMPLE_VALUES // (64 * 64 * 3), 64, 64, 3)
    assert np.allclose(described["examples"], images.x_test[:4] * 255, atol=1e-4)
    assert describe_inputs(images, images.x_test)["pixel_max"] == 1.0  # a model reading the data set's 0..1
    rows = Dataset("table", "regression", *(rng.uniform(size=(30, 3)), rng.uniform(size=30)) * 3,
                   meta={"feature_names": ["a", "b", "c"]})
    described = describe_inputs(rows, rows.x_test)
    assert described["kind"] == "features" and described["feature_names"] == ["a", "b", "c"]
    assert "pixel_max" not in described
    assert len(described["examples"]) == 16 and json.loads(json.dumps(described)) == described


def test_a_forecast_keeps_its_window_transform_the_series_end_and_raw_histories():
    """The saved forecaster reads raw values (common/forecast_model.py): its examples are the 15 months before each
    test target, whatever windows the data set holds."""
    from common.forecast_series import load_airline

    data = load_airline(window=3, transform="seasonal-log-difference")
    described = describe_inputs(data, data.x_test)
    assert facts(described) == {
        "window": 3, "lag": 12, "transform": "seasonal-log-difference", "unit": data.meta["unit"],
        "time_unit": data.meta["time_unit"], "history": data.meta["series"][-HISTORY:].tolist()}
    first = data.meta["target_indices"]["test"][0]
    assert described["kind"] == "forecast" and len(described["examples"]) == 16
    assert np.allclose(described["examples"][0], data.meta["series"][first - 15:first])
    assert json.loads(json.dumps(described)) == described


def test_text_translation_tags_and_generated_kinds():
    from birnn.dataset import load_tagging
    from common.pairs import load_dates
    from common.text import load_text

    text = load_text(window=20)
    described = describe_inputs(text, text.x_test)
    assert described["kind"] == "text" and facts(described) == {"vocabulary": text.meta["vocabulary"].chars,
                                                                "window": 20}
    dates = load_dates(num_samples=300)
    described = describe_inputs(dates, dates.x_test)
    assert described["kind"] == "translation" and described["example"] == dates.meta["pairs"]["test"][0][0]
    assert described["max_source"] == dates.x_test.shape[1] and described["tokens"] == "char"
    assert np.array_equal(described["target_examples"], dates.y_test[:16, :-1])  # the decoder's input
    tags = load_tagging(num_samples=200)
    described = describe_inputs(tags, tags.x_test)
    assert described["kind"] == "sequence" and facts(described) == {"class_names": list(tags.class_names),
                                                                    "per_step": True}
    # a folder names the kind the data does not say: an autoencoder's images are rebuilt, not classified
    assert describe_inputs(tags, tags.x_test, kind="reconstruction", pixel_max=2.0)["pixel_max"] == 2.0


def test_word_ids_are_their_own_kind():
    reviews = Dataset("imdb", "classification", *(np.ones((20, 5), "int32"), np.zeros(20, "int64")) * 3,
                      class_names=["negative", "positive"], meta={"vocab_size": 100})
    assert describe_inputs(reviews, reviews.x_test)["kind"] == "tokens"
    with pytest.raises(KeyError):  # a forecast's facts cannot be made up from a data set without them
        describe_inputs(reviews, reviews.x_test, kind="forecast")
