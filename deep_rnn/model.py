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
from keras import layers

from common.tasks import output_layer

CELLS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}  # --cell


def build_model(task: str, cell: str = "gru", units: int = 128, num_layers: int = 2, residual: bool = False,
                input_shape: tuple[int, ...] | None = None, num_classes: int = 0, many_to_many: bool = False,
                vocab_size: int | None = None, embedding_dim: int = 32, dropout_rate: float = 0.0,
                mask_padding: bool = False) -> keras.Model:
    """Input (+ Embedding) -> num_layers recurrent layers of one cell (rnn, lstm or gru) -> the task's output layer.

    With residual, every layer after the first adds its input to its output (they have the same width): the layer
    learns a correction to what it is given, and the gradient reaches the lower layers through the sum undiminished.
    input_shape (time, features) for real values, or vocab_size for token ids; many_to_many puts an output at every
    step. Output: (batch, num_classes) or (batch, 1), or per step with many_to_many.
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
        # Every layer but the top one returns its whole sequence of states, so the next layer has a sequence to read.
        returns_sequences = many_to_many or index < num_layers - 1
        output = CELLS[cell](units, return_sequences=returns_sequences, name=f"recurrent_{index + 1}")(x)
        if residual and index > 0:
            shortcut = x if returns_sequences else x[:, -1, :]  # a last state is added to the last input step
            output = layers.Add(name=f"residual_{index + 1}")([shortcut, output])
        x = output
        if dropout_rate:  # between layers and before the output, never inside the recurrence
            x = layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    outputs = output_layer(task, num_classes)(x)
    if task == "regression" and many_to_many:  # (batch, time, 1) -> (batch, time), the shape of the targets
        outputs = layers.Reshape((-1,), dtype="float32", name="per_step_value")(outputs)  # float32 as the output
    return keras.Model(inputs, outputs, name=f"deep_{cell}_{num_layers}_layers")
