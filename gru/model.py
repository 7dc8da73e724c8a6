"""GRU models: many-to-one, many-to-many and token (embedding) inputs.

    model = build_model(task="regression", units=32, input_shape=(20, 1))                     # next value
    model = build_model(task="regression", units=32, input_shape=(20, 1), many_to_many=True)  # a value per step
    model = build_model(task="generation", units=128, vocab_size=80, num_classes=80)          # next character

The cell (Cho et al. 2014), at every time step t with the same weights at every step: two gates and no separate
cell state, so it has three sets of weights where the LSTM has four.

    z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)                    update gate: how much of the old state to keep
    r_t = sigmoid(x_t W_r + h_{t-1} U_r + b_r)                    reset gate: how much of it the candidate sees
    g_t = tanh(x_t W_h + r_t * (h_{t-1} U_h + b'_h) + b_h)        candidate state (* elementwise)
    h_t = z_t * h_{t-1} + (1 - z_t) * g_t

Keras keeps the W in one kernel (features, 3 units) and the U in one recurrent_kernel (units, 3 units), in the order
z, r, h. It applies the reset gate after the product h_{t-1} U_h (reset_after=True, the default, as above), which
gives every gate a second bias added to h_{t-1} U (written out only in g_t, where it acts apart: b'_h); the original
paper applies the gate before the product, U_h (r_t * h_{t-1}). gru/scratch.py computes both forms.
"""

import keras
from keras import layers

from common.tasks import output_layer


def build_model(task: str, units: int = 32, num_layers: int = 1, input_shape: tuple[int, ...] | None = None,
                num_classes: int = 0, many_to_many: bool = False, vocab_size: int | None = None,
                embedding_dim: int = 32, dropout_rate: float = 0.0, mask_padding: bool = False) -> keras.Model:
    """Input (+ Embedding) -> num_layers GRU layers of `units` -> the task's output layer.

    input_shape (time, features) for real values, or vocab_size for token ids (batch, time) that an Embedding turns
    into embedding_dim vectors (mask_padding: the GRU skips id 0, the padding). many_to_many puts an output at every
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
        x = layers.GRU(units, return_sequences=returns_sequences, name=f"recurrent_{index + 1}")(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    outputs = output_layer(task, num_classes)(x)
    if task == "regression" and many_to_many:  # (batch, time, 1) -> (batch, time), the shape of the targets
        outputs = layers.Reshape((-1,), dtype="float32", name="per_step_value")(outputs)  # float32 as the output
    return keras.Model(inputs, outputs, name="gru_model")
