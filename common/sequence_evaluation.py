"""How the recurrent folders score their test splits: forecasts in original units, and text in bits per character.

    evaluate = sequence_evaluator(dataset, prompt="def ", temperatures=[0.2, 0.5, 1.0], sample_length=400)
    evaluation = evaluate(model, dataset, run_dir)               # after model.fit; then finish_run(...)

Forecasts are one step ahead: each test prediction sees the true values before it. They are turned back into the
original units (undoing scaling and differencing) and scored beside persistence, the seasonal naive forecast and, for
generated data, the noise floor. Text is scored by bits per character beside a unigram model, and sampled.
"""

import math
from pathlib import Path

import keras
import numpy as np

from common import metrics, plots
from common.datasets import Dataset
from common.sequences import (bits_per_char, persistence_forecast, sample_characters, seasonal_naive_forecast,
                              unigram_bits_per_char, untransform)
from common.training import EVALUATORS, Evaluation, Evaluator


def forecast_in_original_units(model: keras.Model, dataset: Dataset, x: np.ndarray, part: str) -> tuple:
    """(target indices, predictions in original units) of one part; many-to-many models are read at the last step,
    which predicts the same next value as a many-to-one model does."""
    meta = dataset.meta
    indices = meta["target_indices"]["val" if part == "validation" else part][:len(x)]
    outputs = model.predict(x, verbose=0)
    scaled = outputs.reshape(len(x), -1)[:, -1]
    series = meta["series"]
    predicted = untransform(meta["target_scaler"].inverse_transform(scaled), series[indices - meta["lag"]],
                            meta["transform"])
    return indices, predicted


def evaluate_forecast(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
    """MAE/MSE/RMSE of the one-step test forecasts in original units, beside the naive forecasts; forecast.png."""
    meta, series = dataset.meta, dataset.meta["series"]
    indices, predicted = forecast_in_original_units(model, dataset, dataset.x_test, "test")
    truth = series[indices]
    baselines = {"persistence": metrics.regression_metrics(truth, persistence_forecast(series, indices))}
    if meta.get("season"):
        baselines["seasonal_naive"] = metrics.regression_metrics(
            truth, seasonal_naive_forecast(series, indices, meta["season"]))
    if meta.get("clean") is not None:  # the noise-free signal: the best any forecast of noisy values can do
        baselines["noise_floor"] = metrics.regression_metrics(truth, meta["clean"][indices])
    baselines["mean"] = metrics.mean_baseline(series[meta["target_indices"]["train"]], truth)

    shown = {part: forecast_in_original_units(model, dataset, x, part)
             for part, x in (("train", dataset.x_train), ("validation", dataset.x_val))}
    plots.plot_forecast(series, {**shown, "test": (indices, predicted)},
                        meta["split"].test_start, run_dir / "plots" / "forecast.png",
                        title=f"{dataset.name}: one-step-ahead forecast (test part right of the dashed line)",
                        ylabel=meta["unit"], dates=meta["dates"], xlabel=meta["time_unit"])
    details = {"forecast": {"transform": meta["transform"], "test_targets": len(indices),
                            "first_test_index": int(indices[0]) if len(indices) else None}}
    if meta.get("dates"):
        details["forecast"]["first_test_date"] = meta["dates"][int(indices[0])]
    return Evaluation(test=metrics.regression_metrics(truth, predicted), baselines=baselines, details=details,
                      outputs=predicted)


def make_generation_evaluator(prompt: str, temperatures: list[float], sample_length: int, seed: int = 0) -> Evaluator:
    """An evaluator for character language models: bits per character on the test text, and samples.txt."""

    def evaluate_generation(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
        vocabulary = dataset.meta["vocabulary"]
        probabilities = model.predict(dataset.x_test, verbose=0)  # (n, window, vocabulary)
        bits = bits_per_char(probabilities, dataset.y_test)
        unigram = unigram_bits_per_char(dataset.y_train, dataset.y_test, len(vocabulary))
        predicted = probabilities.argmax(axis=-1)
        test = {"loss": bits * math.log(2), "bits_per_char": bits,
                "accuracy": float(np.mean(predicted == dataset.y_test))}
        most_frequent = np.bincount(dataset.y_train.ravel(), minlength=len(vocabulary)).argmax()
        baselines = {"unigram": {"loss": unigram * math.log(2), "bits_per_char": unigram,
                                 "accuracy": float(np.mean(dataset.y_test == most_frequent))}}
        write_samples(model, vocabulary, prompt, temperatures, sample_length, seed, run_dir / "samples.txt")
        return Evaluation(test=test, baselines=baselines, outputs=probabilities)

    return evaluate_generation


def stateful_copy(model: keras.Model, batch_size: int) -> keras.Model:
    """The same network with stateful recurrent layers for a fixed batch size, sharing nothing but copied weights.

    A stateful layer keeps its last state between calls, so generation feeds one new character per step instead of
    running the whole text so far through the network again: each step costs one time step, not hundreds.
    """
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            layer["config"]["batch_shape"] = [batch_size, *layer["config"]["batch_shape"][1:]]
        elif layer["class_name"] in ("SimpleRNN", "LSTM", "GRU"):
            layer["config"]["stateful"] = True  # a stateful layer needs the batch size in its input shape
            layer["build_config"]["input_shape"] = [batch_size, *layer["build_config"]["input_shape"][1:]]
    copy = keras.Model.from_config(config)
    copy.set_weights(model.get_weights())
    return copy


def write_samples(model: keras.Model, vocabulary, prompt: str, temperatures: list[float], length: int, seed: int,
                  path: Path) -> Path:
    """Text generated after `prompt` at each temperature, written as one block per temperature."""
    generator = stateful_copy(model, batch_size=len(temperatures))

    def predict_next(new_ids: np.ndarray) -> np.ndarray:  # calling the model directly is much faster than predict()
        return keras.ops.convert_to_numpy(generator(new_ids, training=False))[:, -1, :]

    generated = sample_characters(predict_next, vocabulary.encode(prompt), length, temperatures, seed)
    blocks = [f"--- temperature {temperature:g} ---\n{prompt}{vocabulary.decode(ids)}\n"
              for temperature, ids in zip(temperatures, generated)]
    path.write_text("\n".join(blocks))
    return path


def sequence_evaluator(dataset: Dataset, prompt: str = "", temperatures: list[float] | None = None,
                       sample_length: int = 400, seed: int = 0) -> Evaluator:
    """The evaluator for a sequence data set: forecast, generation, or the plain one of its task."""
    if dataset.meta.get("forecast"):
        return evaluate_forecast
    if dataset.task == "generation":
        return make_generation_evaluator(prompt, temperatures or [0.2, 0.5, 1.0], sample_length, seed)
    return EVALUATORS[dataset.task]
