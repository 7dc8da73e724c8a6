"""LSTM models: many-to-one, many-to-many and token (embedding) inputs, from the shared recurrent builders.

    model = build_model(task="regression", units=32, input_shape=(20, 1))                     # next value
    model = build_model(task="regression", units=32, input_shape=(20, 1), many_to_many=True)  # a value per step
    model = build_model(task="generation", units=128, vocab_size=80, num_classes=80)          # next character

The cell, at every time step t, with the same weights at every step (parameter sharing):

    h_t = tanh(x_t W + h_{t-1} U + b)        W: (features, units)  U: (units, units)  b: (units,)
"""

import keras
from keras import layers

from common.recurrent import build_recurrent_model


def recurrent_layer(units: int, return_sequences: bool, name: str) -> layers.Layer:
    """One LSTM layer: every hidden state (batch, time, units) or only the last (batch, units)."""
    return layers.LSTM(units, return_sequences=return_sequences, name=name)


def build_model(task: str, units: int = 32, num_layers: int = 1, **options) -> keras.Model:
    """A LSTM network; options are those of common.recurrent.build_recurrent_model (input_shape, vocab_size,
    num_classes, many_to_many, embedding_dim, dropout_rate, mask_padding)."""
    return build_recurrent_model(recurrent_layer, task, units, num_layers, name="lstm_model", **options)
