"""Bidirectional recurrent networks: one RNN reads left to right, another right to left, their states are merged.

    model = build_model("classification", cell="gru", units=32, input_shape=(50, 1), num_classes=3,
                        many_to_many=True)                        # a label for every step
    model = build_model(..., bidirectional=False)                 # the matching one-directional model

    merged_t = merge(forward h_t, backward h_t)        forward h_t  has read x_1 .. x_t
                                                        backward h_t has read x_T .. x_t
         concat: [forward; backward] (2 x units)   sum: forward + backward   ave: their mean   mul: elementwise product

keras.layers.Bidirectional runs a copy of the layer with go_backwards=True and turns its output sequence back into
time order before merging, so step t of the result has seen the whole sequence.
"""

import keras
from keras import layers

from common.recurrent import CELLS, RecurrentLayer, build_recurrent_model, cell_layer


def bidirectional_layer(cell: str, merge_mode: str) -> RecurrentLayer:
    """A RecurrentLayer wrapping cell (rnn, lstm, gru) in keras.layers.Bidirectional with merge_mode."""
    return lambda units, return_sequences, name: layers.Bidirectional(
        CELLS[cell](units, return_sequences=return_sequences), merge_mode=merge_mode, name=name)


def build_model(task: str, cell: str = "gru", units: int = 32, num_layers: int = 1, merge_mode: str = "concat",
                bidirectional: bool = True, **options) -> keras.Model:
    """A (stacked) bidirectional network, or with bidirectional=False the same stack reading forward only.

    options are those of common.recurrent.build_recurrent_model (input_shape, vocab_size, num_classes, many_to_many,
    embedding_dim, dropout_rate, mask_padding).
    """
    layer = bidirectional_layer(cell, merge_mode) if bidirectional else cell_layer(cell)
    name = f"{'bidirectional' if bidirectional else 'forward'}_{cell}"
    return build_recurrent_model(layer, task, units, num_layers, name=name, **options)
