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

from common.tasks import output_layer

CELLS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}  # --cell


def build_model(task: str, cell: str = "gru", units: int = 32, num_layers: int = 1, merge_mode: str = "concat",
                bidirectional: bool = True, input_shape: tuple[int, ...] | None = None, num_classes: int = 0,
                many_to_many: bool = False, vocab_size: int | None = None, embedding_dim: int = 32,
                dropout_rate: float = 0.0, mask_padding: bool = False) -> keras.Model:
    """A (stacked) bidirectional network, or with bidirectional=False the same stack reading forward only.

    Input (+ Embedding) -> num_layers layers of Bidirectional(cell) -> the task's output layer; with concat each
    step's state has 2 x units numbers. input_shape (time, features) for real values, or vocab_size for token ids;
    many_to_many puts an output at every step (a tag per step). Output: (batch, num_classes), or per step.
    """
    if cell not in CELLS:
        raise ValueError(f"--cell must be one of {', '.join(CELLS)} (got {cell!r})")
    if units < 1 or num_layers < 1:
        raise ValueError(f"--units and --layers must be at least 1 (got {units} and {num_layers})")
    many_to_many = many_to_many or task == "generation"
    if vocab_size:
        inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        x = layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_padding, name="embedding")(inputs)
    else:
        inputs = keras.Input(shape=(None, input_shape[-1]), name="sequence")
        x = inputs
    for index in range(num_layers):
        returns_sequences = many_to_many or index < num_layers - 1
        name = f"recurrent_{index + 1}"
        if bidirectional:  # a forward copy of the layer, a backward copy (go_backwards=True), merged step by step
            x = layers.Bidirectional(CELLS[cell](units, return_sequences=returns_sequences), merge_mode=merge_mode,
                                     name=name)(x)
        else:
            x = CELLS[cell](units, return_sequences=returns_sequences, name=name)(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    outputs = output_layer(task, num_classes)(x)
    if task == "regression" and many_to_many:  # (batch, time, 1) -> (batch, time), the shape of the targets
        outputs = layers.Reshape((-1,), dtype="float32", name="per_step_value")(outputs)  # float32 as the output
    return keras.Model(inputs, outputs, name=f"{'bidirectional' if bidirectional else 'forward'}_{cell}")
