"""What the task decides about a model: its output layer, its loss and the metrics Keras tracks while training.

    task            output layer                     loss
    2 classes       Dense(1, sigmoid)                binary cross-entropy
    k > 2 classes   Dense(k, softmax)                (sparse) categorical cross-entropy
    regression      Dense(1), linear                 mean squared error
    generation      Dense(vocabulary, softmax)       sparse categorical cross-entropy, at every time step

Labels stay class indices (0, 1, ..., k-1), so the "sparse" cross-entropy is used and no one-hot encoding is needed.
inference_copy gives a trained network's copy for the end-to-end model a run saves (ann/, cnn/: model.py's end_to_end).
"""

import keras
import numpy as np
from keras import layers


def output_layer(task: str, num_classes: int = 0, name: str = "output") -> layers.Dense:
    """The last layer for a task: sigmoid for two classes, softmax for more, linear for regression.

    It always computes in float32, also when the layers before it compute in float16 (--mixed-precision): a softmax
    and a cross-entropy of float16 numbers lose the small probabilities, and large values overflow float16.
    """
    if task == "classification":
        if num_classes < 2:
            raise ValueError(f"classification needs at least 2 classes (got {num_classes})")
        if num_classes == 2:
            return layers.Dense(1, activation="sigmoid", dtype="float32", name=name)
        return layers.Dense(num_classes, activation="softmax", dtype="float32", name=name)
    if task == "regression":
        return layers.Dense(1, dtype="float32", name=name)
    if task == "generation":  # next-token probabilities; on a sequence, Dense acts on every time step alike
        return layers.Dense(num_classes, activation="softmax", dtype="float32", name=name)
    raise ValueError(f"no standard output layer for task {task!r}")


def loss_for_task(task: str, num_classes: int = 0) -> keras.losses.Loss:
    if task == "classification":
        return keras.losses.BinaryCrossentropy() if num_classes == 2 else keras.losses.SparseCategoricalCrossentropy()
    if task == "generation":
        return keras.losses.SparseCategoricalCrossentropy()
    if task == "regression":
        return keras.losses.MeanSquaredError()
    raise ValueError(f"no standard loss for task {task!r}")


def metrics_for_task(task: str, num_classes: int = 0) -> list:
    """Metrics Keras reports per epoch (the test split is scored separately, with scikit-learn)."""
    if task == "classification":
        return [
            keras.metrics.BinaryAccuracy(name="accuracy")
            if num_classes == 2
            else keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        ]
    if task == "generation":
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if task == "regression":
        return [keras.metrics.MeanAbsoluteError(name="mae")]
    return []


def predicted_confidence(probabilities: np.ndarray) -> np.ndarray:
    """The probability (n,) the classifier gave the class it chose; for one sigmoid unit p or 1 - p."""
    probabilities = np.asarray(probabilities)
    if probabilities.ndim == 2 and probabilities.shape[1] == 1:
        return np.maximum(probabilities[:, 0], 1.0 - probabilities[:, 0])
    return probabilities.max(axis=-1)


def predicted_classes(probabilities: np.ndarray) -> np.ndarray:
    """Class indices (n,) from a classifier's output (n, 1) or (n, k): one sigmoid unit is thresholded at 0.5."""
    probabilities = np.asarray(probabilities)
    if probabilities.ndim == 2 and probabilities.shape[1] == 1:
        return (probabilities[:, 0] > 0.5).astype("int64")
    return probabilities.argmax(axis=-1).astype("int64")


def inference_copy(network: keras.Model) -> keras.Model:
    """The network's layers and weights, rebuilt from its config: an uncompiled copy without the optimizer's state.
    A folder's end_to_end wraps it with its preprocessing for model.keras; the compiled network itself, nested there,
    would carry its optimizer's slots (twice the weights again, for Adam) into the file."""
    copy = keras.Model.from_config(network.get_config())
    copy.set_weights(network.get_weights())
    return copy
