"""A multi-layer perceptron: dense layers, each computing A = f(X W + b), then an output layer set by the task.

    from ann.model import build_model
    model = build_model(input_dim=64, task="classification", num_classes=10, hidden_units=(64, 32))

    features (64) -> Dense(64, relu) -> Dropout -> Dense(32, relu) -> Dropout -> Dense(10, softmax)

The network trains on standardized features (ann/dataset.py); the model a run saves wraps it with that preprocessing,
so that model.keras reads raw rows (pixels 0..16, a tumour's 30 measurements) and answers in the target's units:

    model = end_to_end(network, dataset)       # raw rows -> Normalization -> network (-> target units)
"""

from typing import Sequence

import keras
from keras import layers

from common.tasks import inference_copy, output_layer


def build_model(input_dim: int, task: str, num_classes: int = 0, hidden_units: Sequence[int] = (64, 32),
                activation: str = "relu", dropout_rate: float = 0.0, name: str = "mlp") -> keras.Model:
    """A fully connected network: (batch, input_dim) -> (batch, outputs).

    activation is any Keras activation name (the command line offers relu, leaky_relu, tanh and sigmoid).
    hidden_units gives the width of each hidden layer, in order; dropout_rate > 0 adds a Dropout after each of
    them. The output layer and its activation follow from the task (see common/tasks.py): softmax over
    num_classes, one sigmoid unit for two classes, or one linear unit for regression.
    """
    if not 0.0 <= dropout_rate < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1) (got {dropout_rate})")

    inputs = keras.Input(shape=(input_dim,), name="features")
    x = inputs
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, activation=activation, name=f"hidden_{index}")(x)  # (batch, units)
        if dropout_rate > 0:
            # Dropout zeroes a random fraction of the units at each training step (and none at test time), so
            # the network cannot lean on any single unit: a cheap guard against overfitting.
            x = layers.Dropout(dropout_rate, name=f"dropout_{index}")(x)
    outputs = output_layer(task, num_classes)(x)
    return keras.Model(inputs, outputs, name=name)


def end_to_end(network: keras.Model, dataset) -> keras.Model:
    """The trained network with its preprocessing inside: what train.py saves as model.keras.

    raw rows -> Normalization (the feature scaler's mean and variance, fitted on the training split) or
    Rescaling(1 / pixel_max) -> network -> for regression, Normalization(invert=True) back to the target's units.

    Training itself reads the arrays dataset.py standardized once, as Keras' preprocessing guide advises for speed;
    the layers here are set from the same fitted scaler rather than adapted again, so the saved model computes
    exactly what training saw. (A feature constant on the training split has a variance of 0: the scaler divides it
    by 1, as its scale_ says, where an adapted layer would divide by a tiny epsilon.)
    """
    raw = keras.Input(shape=network.input_shape[1:], name="raw_features")
    scaler = dataset.meta.get("feature_scaler")
    if scaler is not None:
        x = layers.Normalization(mean=scaler.mean_, variance=scaler.scale_**2, name="standardize")(raw)
    else:
        x = layers.Rescaling(1.0 / dataset.meta["pixel_max"], name="rescale")(raw)
    outputs = inference_copy(network)(x)  # the same layers and weights, without the optimizer's state
    target = dataset.meta.get("target_scaler")
    if target is not None:
        outputs = layers.Normalization(mean=target.mean_, variance=target.scale_**2, invert=True,
                                       name="to_target_units")(outputs)
    return keras.Model(raw, outputs, name=f"{network.name}_end_to_end")
