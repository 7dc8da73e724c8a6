"""Stacked recurrent networks: --layers N of one --cell (rnn, lstm or gru), optionally with residual connections.

    model = build_model("classification", cell="lstm", units=128, num_layers=2, input_shape=(28, 28), num_classes=10)

Depth in space, recurrence in time: layer l at step t reads h_t of layer l - 1 (the same time step) and its own
h_{t-1}. Every layer but the top one returns its whole sequence of states, so the next layer has a sequence to read.

    output                                 Dense(softmax) on the top layer's last state h_T^(3)
                                               ^
    layer 3   h^(3)_1 -> h^(3)_2 -> ... -> h^(3)_T
                 ^          ^                  ^
    layer 2   h^(2)_1 -> h^(2)_2 -> ... -> h^(2)_T      (+ residual: h^(2)_t + h^(1)_t)
                 ^          ^                  ^
    layer 1   h^(1)_1 -> h^(1)_2 -> ... -> h^(1)_T
                 ^          ^                  ^
    input        x_1        x_2               x_T      (an image: row 1, row 2, ..., row 28)
"""

import keras

from common.recurrent import build_recurrent_model, cell_layer


def build_model(task: str, cell: str = "lstm", units: int = 128, num_layers: int = 2, residual: bool = False,
                **options) -> keras.Model:
    """A stack of num_layers recurrent layers of one cell; options are those of
    common.recurrent.build_recurrent_model (input_shape, vocab_size, num_classes, many_to_many, dropout_rate, ...)."""
    return build_recurrent_model(cell_layer(cell), task, units, num_layers, residual=residual,
                                 name=f"deep_{cell}_{num_layers}_layers", **options)

