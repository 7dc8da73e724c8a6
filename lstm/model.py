"""LSTM models: many-to-one, many-to-many and token (embedding) inputs, from the shared recurrent builders.

    model = build_model(task="regression", units=32, input_shape=(20, 1))                     # next value
    model = build_model(task="regression", units=32, input_shape=(20, 1), many_to_many=True)  # a value per step
    model = build_model(task="generation", units=128, vocab_size=80, num_classes=80)          # next character

The cell, at every time step t, with the same weights at every step (parameter sharing):

    h_t = tanh(x_t W + h_{t-1} U + b)        W: (features, units)  U: (units, units)  b: (units,)
"""

import keras

from common.recurrent import build_recurrent_model, cell_layer


def build_model(task: str, units: int = 32, num_layers: int = 1, **options) -> keras.Model:
    """A network of num_layers keras.layers.LSTM layers of `units` each.

    options are those of common.recurrent.build_recurrent_model (input_shape, vocab_size, num_classes, many_to_many,
    embedding_dim, dropout_rate, mask_padding).
    """
    return build_recurrent_model(cell_layer("lstm"), task, units, num_layers, name="lstm_model", **options)
