"""inputs.json: what a run's model.keras reads and answers, written beside it by common/runs.py's finish_run, so that
the model is served, exported or called without the data set it was trained on (serve/ reads nothing else).

    inputs = describe_inputs(dataset, raw_examples, raw=True)   # ann/, cnn/: the model scales raw pixels itself
    inputs = describe_inputs(dataset, dataset.x_test)           # the model reads the data set's arrays

Every kind has "kind", "dataset", "task" and "examples" (the first test examples, as model.keras reads them: at most
16, and fewer where they hold more than EXAMPLE_VALUES values), then its own facts:

    kind            data                                facts
    image           digit and other images              class_names, pixel_max (white, as the model reads it)
    features        rows of measurements                class_names, feature_names
    sequence        values per step                     class_names, per_step (a class per step)
    forecast        the last values of a series         window, lag, transform, unit, time_unit, history (its end)
    text            characters                          vocabulary (id i is character i; 0 any unseen one), window
    tokens          word ids (imdb)                     vocab_size (the words themselves are Keras' IMDB index)
    translation     token ids in, token ids out         max_source, tokens (char or word), example, target_examples
    reconstruction  images in, images out               pixel_max, class_names
    samples         noise (and a class) in, images out  latent_dim, conditional, class_names, height, width

The kind is the data's, found from the data set (a folder names it only where the data does not say: an
autoencoder's images are reconstructed, a GAN's are sampled); facts given by the caller override what is found.
"""

import numpy as np

from common.datasets import Dataset

EXAMPLE_VALUES = 50_000  # inputs.json keeps the first 16 test examples, fewer where they hold more values than this
HISTORY = 36  # a forecaster's inputs.json keeps the series' last values: at least three years of months


def kind_of(dataset: Dataset, examples: np.ndarray) -> str:
    """The kind of input the data set holds (see the module docstring)."""
    meta = dataset.meta
    if meta.get("forecast"):
        return "forecast"
    if dataset.task == "generation":
        return "text"
    if dataset.task == "seq2seq":
        return "translation"
    if "vocab_size" in meta:
        return "tokens"
    if "pixel_max" in meta:
        return "image"
    return "features" if examples.ndim == 2 else "sequence"


def first_examples(examples) -> np.ndarray:
    examples = np.asarray(examples)
    count = max(1, min(16, EXAMPLE_VALUES // max(1, examples[0].size)))
    return examples[:count]


def histories(dataset: Dataset, part: str = "test") -> np.ndarray:
    """(n, window + lag) float32: the raw values before each target of a forecast's part (train, val, test), as the
    saved forecaster reads them (common/forecast_model.py): its window, and `lag` values before it for the transform."""
    meta = dataset.meta
    needed = dataset.x_train.shape[1] + meta["lag"]
    return np.stack([meta["series"][t - needed : t] for t in meta["target_indices"][part]]).astype("float32")


def facts_of(kind: str, dataset: Dataset, examples: np.ndarray, raw: bool) -> dict:
    """What a kind's model needs beside its examples, from the data set (see the module docstring). raw: the model
    reads pixels in their own range (meta's pixel_max), not the data set's 0..1."""
    meta = dataset.meta
    if kind in ("image", "reconstruction"):
        return {"class_names": list(dataset.class_names), "pixel_max": meta["pixel_max"] if raw else 1.0}
    if kind == "features":
        return {"class_names": list(dataset.class_names), "feature_names": list(meta.get("feature_names", []))}
    if kind == "sequence":
        return {"class_names": list(dataset.class_names), "per_step": bool(meta.get("label_per_step"))}
    if kind == "forecast":
        return {
            "window": examples.shape[1] - meta["lag"],
            "lag": meta["lag"],
            "transform": meta["transform"],
            "unit": meta["unit"],
            "time_unit": meta["time_unit"],
            "history": [float(value) for value in meta["series"][-max(examples.shape[1], HISTORY) :]],
        }
    if kind == "text":
        return {"vocabulary": list(meta["vocabulary"].chars), "window": examples.shape[1]}
    if kind == "tokens":
        return {"vocab_size": meta["vocab_size"]}
    if kind == "translation":
        return {
            "max_source": examples.shape[1],
            "tokens": meta["tokens"],
            "example": meta["pairs"]["test"][0][0],
            "target_examples": first_examples(dataset.y_test[:, :-1]).tolist(),  # teacher forcing, as in training
        }
    return {"class_names": list(dataset.class_names)}


def describe_inputs(dataset: Dataset, examples, kind: str | None = None, raw: bool = False, **facts) -> dict:
    """inputs.json's content for a model.keras that reads `examples` (its first test examples, as it reads them):
    raw ones (raw=True: pixels in 0..pixel_max, features in their units) or the data set's arrays.

    kind and facts as in the module docstring; found from the data set where not given."""
    examples = np.asarray(examples)
    kind = kind or kind_of(dataset, examples)
    if kind == "forecast":  # the saved forecaster reads raw values (common/forecast_model.py), not the windows
        examples = histories(dataset)
    return {
        "kind": kind,
        "dataset": dataset.name,
        "task": dataset.task,
        **facts_of(kind, dataset, examples, raw),
        **facts,
        "examples": first_examples(examples).tolist(),
    }
