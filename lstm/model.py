"""LSTM models: many-to-one, many-to-many and token (embedding) inputs.

    model = build_model(task="regression", units=32, input_shape=(20, 1))                     # next value
    model = build_model(task="regression", units=32, input_shape=(20, 1), many_to_many=True)  # a value per step
    model = build_model(task="generation", units=128, vocab_size=80, num_classes=80)          # next character

The cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers, Schmidhuber & Cummins 2000), at every time
step t with the same weights at every step. Besides the hidden state h it carries a cell state c, which the gates
write to, keep and read from:

    i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i)          input gate: how much of the candidate to write
    f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f)          forget gate: how much of the old cell state to keep
    g_t = tanh(x_t W_c + h_{t-1} U_c + b_c)             candidate values
    o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o)          output gate: how much of the cell state to show
    c_t = f_t * c_{t-1} + i_t * g_t                     (* elementwise)
    h_t = o_t * tanh(c_t)

Keras keeps the four W in one kernel (features, 4 units) and the four U in one recurrent_kernel (units, 4 units), in
the order i, f, c, o; the forget gate's bias starts at 1 (unit_forget_bias), so that the cell keeps what it holds
until it has learned what to forget.
"""

import keras
from keras import layers

from common.tasks import output_layer


def build_model(task: str, units: int = 32, num_layers: int = 1, input_shape: tuple[int, ...] | None = None,
                num_classes: int = 0, many_to_many: bool = False, vocab_size: int | None = None,
                embedding_dim: int = 32, dropout_rate: float = 0.0, mask_padding: bool = False) -> keras.Model:
    """Input (+ Embedding) -> num_layers LSTM layers of `units` -> the task's output layer.

    input_shape (time, features) for real values, or vocab_size for token ids (batch, time) that an Embedding turns
    into embedding_dim vectors (mask_padding: the LSTM skips id 0, the padding). many_to_many puts an output at every
    step; generation (next character) always does. The time axis is None, so the model reads any length.
    Output: (batch, num_classes) or (batch, 1), or (batch, time, ...) many-to-many ((batch, time) for a value).
    """
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
        # Every layer but the last hands its whole sequence of states to the next; the last returns every state
        # (many-to-many) or only h_T. Dropout sits between layers and before the output, not inside the recurrence.
        returns_sequences = many_to_many or index < num_layers - 1
        x = layers.LSTM(units, return_sequences=returns_sequences, name=f"recurrent_{index + 1}")(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    outputs = output_layer(task, num_classes)(x)
    if task == "regression" and many_to_many:  # (batch, time, 1) -> (batch, time), the shape of the targets
        outputs = layers.Reshape((-1,), dtype="float32", name="per_step_value")(outputs)  # float32 as the output
    return keras.Model(inputs, outputs, name="lstm_model")
