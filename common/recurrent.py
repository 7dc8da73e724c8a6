"""The few functions every recurrent model here is built from; a folder passes in its own recurrent layer.

    def recurrent_layer(units, return_sequences, name):             # what cell_layer("rnn") returns
        return layers.SimpleRNN(units, return_sequences=return_sequences, name=name)
    model = build_recurrent_model(recurrent_layer, input_shape=(20, 1), task="regression", units=32)

    many-to-one    x_1 .. x_T -> RNN -> h_T -> Dense                  (next value, sentiment, the adding problem)
    many-to-many   x_1 .. x_T -> RNN -> h_1 .. h_T -> Dense at each t (next value at every step, next character)
    embedding      token ids -> Embedding -> either of the above        (words of a review, characters of a text)
"""

from typing import Callable

import keras
from keras import layers

from common.tasks import output_layer

RecurrentLayer = Callable[[int, bool, str], layers.Layer]  # (units, return_sequences, name) -> layer
CELLS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def cell_layer(cell: str) -> RecurrentLayer:
    """The RecurrentLayer of a cell named rnn, lstm or gru (for the folders whose --cell chooses it)."""
    if cell not in CELLS:
        raise ValueError(f"--cell must be one of {', '.join(CELLS)} (got {cell!r})")
    return lambda units, return_sequences, name: CELLS[cell](units, return_sequences=return_sequences, name=name)


def sequence_input(input_shape: tuple[int, ...] | None, vocab_size: int | None, embedding_dim: int,
                   mask_padding: bool = False) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """(model input, what the first recurrent layer reads).

    Real-valued sequences come in as (batch, time, features). Token ids (batch, time) go through an Embedding that
    learns an embedding_dim vector per id; mask_padding makes recurrent layers skip id 0, the padding.
    The time axis is None, so a trained model also reads sequences of other lengths (a prompt, a longer series).
    """
    if vocab_size:
        inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        return inputs, layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_padding, name="embedding")(inputs)
    inputs = keras.Input(shape=(None, input_shape[-1]), name="sequence")
    return inputs, inputs


def recurrent_stack(x: keras.KerasTensor, recurrent_layer: RecurrentLayer, units: int, num_layers: int,
                    many_to_many: bool, dropout_rate: float = 0.0, residual: bool = False) -> keras.KerasTensor:
    """num_layers recurrent layers; each but the last hands its whole sequence of states to the next one.

    The last returns every state (many-to-many) or only the final one (many-to-one). Dropout sits between layers
    and before the output, never inside the recurrence. With residual, every layer after the first adds its input
    to its output (they have the same width): the layer learns a correction to what it is given, and the gradient
    reaches the lower layers through the sum undiminished.
    """
    for index in range(num_layers):
        returns_sequences = many_to_many or index < num_layers - 1
        output = recurrent_layer(units, returns_sequences, f"recurrent_{index + 1}")(x)
        if residual and index > 0:
            shortcut = x if returns_sequences else x[:, -1, :]  # a last state is added to the last input step
            output = layers.Add(name=f"residual_{index + 1}")([shortcut, output])
        x = output
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"dropout_{index + 1}")(x)
    return x


def build_recurrent_model(recurrent_layer: RecurrentLayer, task: str, units: int, num_layers: int = 1,
                          input_shape: tuple[int, ...] | None = None, num_classes: int = 0,
                          many_to_many: bool = False, vocab_size: int | None = None, embedding_dim: int = 32,
                          dropout_rate: float = 0.0, mask_padding: bool = False, residual: bool = False,
                          name: str = "recurrent") -> keras.Model:
    """Input (+ Embedding) -> num_layers recurrent layers -> the task's output layer (at every step if many-to-many).

    input_shape (time, features) for real values, or vocab_size for token ids. Generation (next character) is
    always many-to-many.
    """
    if units < 1 or num_layers < 1:
        raise ValueError(f"--units and --layers must be at least 1 (got {units} and {num_layers})")
    many_to_many = many_to_many or task == "generation"
    inputs, x = sequence_input(input_shape, vocab_size, embedding_dim, mask_padding)
    x = recurrent_stack(x, recurrent_layer, units, num_layers, many_to_many, dropout_rate, residual)
    outputs = output_layer(task, num_classes)(x)
    if task == "regression" and many_to_many:  # (batch, time, 1) -> (batch, time), the shape of the targets
        outputs = layers.Reshape((-1,), name="per_step_value")(outputs)
    return keras.Model(inputs, outputs, name=name)
