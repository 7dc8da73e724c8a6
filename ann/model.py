"""A multi-layer perceptron: dense layers, each computing A = f(X W + b), then an output layer set by the task.

    from ann.model import build_model
    model = build_model(input_dim=64, task="classification", num_classes=10, hidden_units=(64, 32))

    features (64) -> Dense(64, relu) -> Dropout -> Dense(32, relu) -> Dropout -> Dense(10, softmax)
"""

from typing import Sequence

import keras
from keras import layers

from common.tasks import output_layer


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
