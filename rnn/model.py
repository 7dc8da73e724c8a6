"""SimpleRNN models: many-to-one, many-to-many and token (embedding) inputs.

    model = build_model(task="regression", units=32, input_shape=(20, 1))                     # next value
    model = build_model(task="regression", units=32, input_shape=(20, 1), many_to_many=True)  # a value per step
    model = build_model(task="generation", units=128, vocab_size=80, num_classes=80)          # next character
    model = build_model(task="regression", units=32, input_shape=(20, 1), truncate=5)         # truncated BPTT

The cell, at every time step t, with the same weights at every step (parameter sharing):

    h_t = tanh(x_t W + h_{t-1} U + b)        W: (features, units)  U: (units, units)  b: (units,)

Keras calls W the kernel and U the recurrent_kernel; h_0 = 0.

Truncated backpropagation through time (truncate=k): the layer reads the window in chunks of k steps and hands
its last state to the next chunk, so the forward pass and the predictions are exactly the full ones. Between two
chunks ops.stop_gradient cuts the chain dL/dh_{t-1} = dL/dh_t * dh_t/dh_{t-1}: a loss at step t reaches back only
to the start of t's chunk, at most k steps. Chunks are counted back from the last step, so the many-to-one loss at
h_T sees exactly the last k steps (rnn/scratch.py's bptt(..., truncate=k) computes the same gradients by hand).
"""

import keras
from keras import layers, ops

from common.tasks import output_layer


def build_model(task: str, units: int = 32, num_layers: int = 1, input_shape: tuple[int, ...] | None = None,
                num_classes: int = 0, many_to_many: bool = False, vocab_size: int | None = None,
                embedding_dim: int = 32, dropout_rate: float = 0.0, mask_padding: bool = False,
                truncate: int = 0) -> keras.Model:
    """Input (+ Embedding) -> num_layers SimpleRNN layers of `units` -> the task's output layer.

    input_shape (time, features) for real values, or vocab_size for token ids (batch, time) that an Embedding turns
    into embedding_dim vectors (mask_padding: the RNN skips id 0, the padding). many_to_many puts an output at every
    step; generation (next character) always does. The time axis is None, so the model reads any length.
    Output: (batch, num_classes) or (batch, 1), or (batch, time, ...) many-to-many ((batch, time) for a value).
    """
    if units < 1 or num_layers < 1:
        raise ValueError(f"--units and --layers must be at least 1 (got {units} and {num_layers})")
    if truncate < 0 or (truncate and vocab_size):
        raise ValueError(f"--truncate must be 0 or more, and applies to real-valued sequences (got {truncate})")
    many_to_many = many_to_many or task == "generation"
    if vocab_size:
        inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        x = layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_padding, name="embedding")(inputs)
    else:
        inputs = keras.Input(shape=(input_shape[0] if truncate else None, input_shape[-1]), name="sequence")
        x = inputs
    for index in range(num_layers):
        # Every layer but the last hands its whole sequence of states to the next; the last returns every state
        # (many-to-many) or only h_T. Dropout sits between layers and before the output, not inside the recurrence.
        returns_sequences = many_to_many or index < num_layers - 1
        recurrent = layers.SimpleRNN(units, return_sequences=returns_sequences, return_state=bool(truncate),
                                     name=f"recurrent_{index + 1}")
        x = truncated_bptt(recurrent, x, truncate) if truncate else recurrent(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    outputs = output_layer(task, num_classes)(x)
    if task == "regression" and many_to_many:  # (batch, time, 1) -> (batch, time), the shape of the targets
        outputs = layers.Reshape((-1,), dtype="float32", name="per_step_value")(outputs)  # float32 as the output
    return keras.Model(inputs, outputs, name="simple_rnn_model")


def truncated_bptt(recurrent: layers.SimpleRNN, x, truncate: int):
    """Run `recurrent` (built with return_state=True) over x (batch, T, features) in chunks of `truncate` steps,
    the state carried forward and its gradient cut between chunks; the same outputs as recurrent(x) without it."""
    steps = x.shape[1]
    first = steps % truncate or truncate  # a shorter chunk first, so that the last chunk is a whole k steps
    bounds = [0, *range(first, steps + 1, truncate)]
    outputs, state = [], None
    for start, end in zip(bounds[:-1], bounds[1:]):
        if state is not None:
            state = ops.stop_gradient(state)  # the forward value passes, its gradient does not: the truncation
        output, state = recurrent(x[:, start:end], initial_state=state)
        outputs.append(output)
    return ops.concatenate(outputs, axis=1) if recurrent.return_sequences else output
