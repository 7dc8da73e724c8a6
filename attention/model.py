"""A recurrent encoder-decoder with Bahdanau or Luong attention (or none), and how it translates step by step.

    from attention.model import build_model, greedy_decode, beam_search
    model = build_model(source_vocabulary_size=40, target_vocabulary_size=16, target_length=11,
                        attention="bahdanau")                   # trained with teacher forcing by common/training.py
    ids, weights = greedy_decode(model, x_test, max_length=11)  # ids (n, 11) after <start>, weights (n, 11, S)
    ids, weights = beam_search(model, x_test, max_length=11, beam_width=4)

Training (teacher forcing): the decoder reads the true previous token y_{t-1} at every step, so all steps of a
batch are scored at once: model([source ids, <start> y_1 .. y_T], ...) -> p(y_1 .. y_T <end>).
Inference: no true previous token exists; the decoder reads its own last choice, one step at a time, until <end>.

One decoder step, s the decoder state, h_1 .. h_S the encoder states (`Decoder.step`):

    none             s_t = cell(y_{t-1}, s_{t-1})                                p = softmax(W_o s_t)
    bahdanau         c_t = attention(s_{t-1}, h)   s_t = cell([y_{t-1}; c_t], s_{t-1})     p = softmax(W_o s_t)
    luong-<score>    s_t = cell(y_{t-1}, s_{t-1})   c_t = attention(s_t, h)
                     h~_t = tanh(W_c [c_t; s_t])                                 p = softmax(W_o h~_t)
    + input_feeding  s_t = cell([y_{t-1}; h~_{t-1}], s_{t-1}), h~_0 = 0: the step knows where it looked before

The decoder starts from the encoder's final state (both directions side by side with --bidirectional-encoder, so the
decoder has twice the units and luong-dot can compare its state with the encoder's directly).
"""

import keras
import numpy as np
from keras import layers, ops

from attention.layers import BahdanauAttention, LuongAttention
from common.pairs import END_ID, START_ID

ATTENTIONS = ("none", "bahdanau", "luong-dot", "luong-general", "luong-concat")
ENCODER_CELLS = {"gru": layers.GRU, "lstm": layers.LSTM}
DECODER_CELLS = {"gru": layers.GRUCell, "lstm": layers.LSTMCell}


@keras.saving.register_keras_serializable(package="attention")  # saved with the model's compile settings
class TokenAccuracy(keras.metrics.Mean):
    """Share of target tokens predicted right, padding (id 0) left out: the seq2seq accuracy while training.

    With teacher forcing each prediction is made after the true previous tokens, so this is kinder than decoding
    on its own; the test split is scored by decoding (exact match, token accuracy) in evaluation.py.
    """

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        y_pred = ops.reshape(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), (-1,))
        real = ops.cast(ops.not_equal(y_true, 0), self.dtype)
        super().update_state(ops.cast(ops.equal(y_true, y_pred), self.dtype), sample_weight=real)



def make_attention(attention: str, units: int) -> layers.Layer | None:
    """The attention layer named by --attention (None for the plain encoder-decoder)."""
    if attention not in ATTENTIONS:
        raise ValueError(f"--attention must be one of {', '.join(ATTENTIONS)} (got {attention!r})")
    if attention == "none":
        return None
    if attention == "bahdanau":
        return BahdanauAttention(units, name="attention")
    return LuongAttention(attention.removeprefix("luong-"), units=units, name="attention")


@keras.saving.register_keras_serializable(package="attention")
class Encoder(layers.Layer):
    """source ids (batch, S) -> [encoder states h_1 .. h_S (batch, S, d), final state(s) of the decoder's size].

    Padding (id 0) is masked: the recurrent layer skips it, so the final state is the one after the last real token.
    GRU gives one final state, LSTM two (h and c); a bidirectional encoder puts each direction's side by side.
    """

    def __init__(self, vocabulary_size: int, embedding_dim: int, units: int, cell: str = "gru",
                 bidirectional: bool = False, **kwargs):
        super().__init__(**kwargs)
        if cell not in ENCODER_CELLS:
            raise ValueError(f"--cell must be one of {', '.join(ENCODER_CELLS)} (got {cell!r})")
        self.vocabulary_size, self.embedding_dim, self.units = vocabulary_size, embedding_dim, units
        self.cell, self.bidirectional = cell, bidirectional
        self.embedding = layers.Embedding(vocabulary_size, embedding_dim, name="embedding")
        recurrent = ENCODER_CELLS[cell](units, return_sequences=True, return_state=True, name=cell)
        self.recurrent = layers.Bidirectional(recurrent, name=f"bidirectional_{cell}") if bidirectional else recurrent

    def build(self, source_shape):  # build the parts now, so that a loaded model can take its saved weights at once
        self.embedding.build(source_shape)
        self.recurrent.build((*source_shape, self.embedding_dim))

    def call(self, source):
        mask = ops.not_equal(source, 0)
        states, *final = self.recurrent(self.embedding(source), mask=mask)
        if self.bidirectional:  # [forward states..., backward states...] -> each forward beside its backward
            half = len(final) // 2
            final = [ops.concatenate([forward, backward], axis=-1)
                     for forward, backward in zip(final[:half], final[half:])]
        return [states, *final]

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "embedding_dim": self.embedding_dim,
                "units": self.units, "cell": self.cell, "bidirectional": self.bidirectional}


@keras.saving.register_keras_serializable(package="attention")
class Decoder(layers.Layer):
    """Predicts the target one token at a time; `step` is one time step, `call` runs it over a whole target.

    call(decoder_input (batch, T), encoder_states (batch, S, d), source_mask (batch, S), initial_states)
    -> next-token probabilities (batch, T, vocabulary). The loop is unrolled over the T steps.
    """

    def __init__(self, vocabulary_size: int, embedding_dim: int, units: int, cell: str = "gru",
                 attention: str = "bahdanau", attention_units: int | None = None, input_feeding: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if cell not in DECODER_CELLS:
            raise ValueError(f"--cell must be one of {', '.join(DECODER_CELLS)} (got {cell!r})")
        if input_feeding and not attention.startswith("luong"):
            raise ValueError(f"--input-feeding is part of Luong attention (got --attention {attention})")
        self.input_feeding = input_feeding
        self.vocabulary_size, self.embedding_dim, self.units = vocabulary_size, embedding_dim, units
        self.cell_name, self.attention_name = cell, attention
        self.attention_units = attention_units or units
        self.embedding = layers.Embedding(vocabulary_size, embedding_dim, name="embedding")
        self.cell = DECODER_CELLS[cell](units, name=f"{cell}_cell")
        self.attention = make_attention(attention, self.attention_units)
        if attention.startswith("luong"):
            self.combine = layers.Dense(units, activation="tanh", use_bias=False, name="combine")  # W_c
        # Over the tokens; in float32 also with --mixed-precision, so that small probabilities do not round to 0.
        self.output_layer = layers.Dense(vocabulary_size, activation="softmax", dtype="float32", name="output")

    def build(self, decoder_input_shape, encoder_states_shape, source_mask_shape=None, initial_states_shape=None):
        batch, value_dim = decoder_input_shape[0], encoder_states_shape[-1]
        self.embedding.build((batch,))
        cell_input_dim = self.embedding_dim + (value_dim if self.attention_name == "bahdanau" else 0)
        cell_input_dim += self.units if self.input_feeding else 0
        self.cell.build((batch, cell_input_dim))
        if self.attention is not None:
            self.attention.build([(batch, self.units), encoder_states_shape])
        if self.attention_name.startswith("luong"):
            self.combine.build((batch, value_dim + self.units))
        self.output_layer.build((batch, self.units))

    def initial_state(self, encoder_final_states) -> list:
        """The states of step 1: the encoder's final state(s), and h~_0 = 0 with input feeding."""
        states = list(encoder_final_states)
        return states + [ops.zeros_like(states[0])] if self.input_feeding else states

    def step(self, previous_ids, states, encoder_states, source_mask):
        """One step: (probabilities (batch, vocabulary), new states, attention weights (batch, S) or None)."""
        inputs = self.embedding(previous_ids)                      # y_{t-1}: (batch, embedding_dim)
        weights = None
        if self.input_feeding:                                     # the last state is h~_{t-1}, not the cell's
            *states, previous_attentional = states
            inputs = ops.concatenate([inputs, previous_attentional], axis=-1)  # [y_{t-1}; h~_{t-1}]
        if self.attention_name == "bahdanau":                      # look before stepping, with s_{t-1}
            context, weights = self.attention([states[0], encoder_states], mask=source_mask)
            inputs = ops.concatenate([inputs, context], axis=-1)   # [y_{t-1}; c_t]
        output, states = self.cell(inputs, states)
        if self.attention_name.startswith("luong"):                # look after stepping, with s_t
            context, weights = self.attention([output, encoder_states], mask=source_mask)
            output = self.combine(ops.concatenate([context, output], axis=-1))  # h~_t = tanh(W_c [c_t; s_t])
        states = list(states) + ([output] if self.input_feeding else [])
        return self.output_layer(output), states, weights

    def call(self, decoder_input, encoder_states, source_mask, initial_states):
        states, probabilities = self.initial_state(initial_states), []
        for t in range(decoder_input.shape[1]):
            step_probabilities, states, _ = self.step(decoder_input[:, t], states, encoder_states, source_mask)
            probabilities.append(step_probabilities)
        return ops.stack(probabilities, axis=1)

    def compute_mask(self, *args, **kwargs):
        return None

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "embedding_dim": self.embedding_dim,
                "units": self.units, "cell": self.cell_name, "attention": self.attention_name,
                "attention_units": self.attention_units, "input_feeding": self.input_feeding}


def build_model(source_vocabulary_size: int, target_vocabulary_size: int, target_length: int,
                attention: str = "bahdanau", cell: str = "gru", units: int = 64, embedding_dim: int = 32,
                bidirectional_encoder: bool = False, attention_units: int | None = None,
                input_feeding: bool = False) -> keras.Model:
    """The teacher-forced training model: [source ids (batch, S), decoder input (batch, target_length)] ->
    probabilities (batch, target_length, target vocabulary). The source length S may vary between calls.

    The parts stay reachable for step-by-step decoding: model.get_layer("encoder"), model.get_layer("decoder").
    """
    for name, value in (("units", units), ("embedding_dim", embedding_dim), ("target_length", target_length)):
        if value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1 (got {value})")
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    decoder_input = keras.Input(shape=(target_length,), dtype="int32", name="decoder_input")
    encoder = Encoder(source_vocabulary_size, embedding_dim, units, cell, bidirectional_encoder, name="encoder")
    encoder_states, *final_states = encoder(source)
    decoder_units = 2 * units if bidirectional_encoder else units
    decoder = Decoder(target_vocabulary_size, embedding_dim, decoder_units, cell, attention,
                      attention_units or units, input_feeding, name="decoder")
    source_mask = ops.not_equal(source, 0)
    probabilities = decoder(decoder_input, encoder_states, source_mask, final_states)
    name = f"seq2seq_{attention.replace('-', '_')}"
    return keras.Model([source, decoder_input], probabilities, name=name)


# ---------------------------------------------------------------------------------------------------------------
# Inference: the decoder feeds on its own choices, one step at a time


def encode(model: keras.Model, source: np.ndarray):
    """(encoder states, the decoder's first states, source mask) of source ids (n, S), from a trained model."""
    source = np.asarray(source, dtype="int32")
    encoder_states, *final_states = model.get_layer("encoder")(source)
    return encoder_states, model.get_layer("decoder").initial_state(final_states), source != 0


def greedy_decode(model: keras.Model, source: np.ndarray, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Pick the most probable token at every step. Returns ids (n, max_length) of the tokens after <start>
    (0 after a row's <end>) and the attention weights (n, max_length, S) (zeros without attention).

    Stops early once every row has produced <end>.
    """
    decoder = model.get_layer("decoder")
    encoder_states, states, source_mask = encode(model, source)
    count, source_length = source_mask.shape
    ids = np.zeros((count, max_length), dtype="int32")
    weights = np.zeros((count, max_length, source_length), dtype="float32")
    previous = np.full(count, START_ID, dtype="int32")
    finished = np.zeros(count, dtype=bool)
    for t in range(max_length):
        probabilities, states, step_weights = decoder.step(previous, states, encoder_states, source_mask)
        previous = np.argmax(ops.convert_to_numpy(probabilities), axis=-1).astype("int32")
        ids[:, t] = np.where(finished, 0, previous)
        if step_weights is not None:
            weights[:, t] = np.where(finished[:, None], 0.0, ops.convert_to_numpy(step_weights))
        finished |= previous == END_ID
        if finished.all():
            break
    return ids, weights


def beam_search(model: keras.Model, source: np.ndarray, max_length: int,
                beam_width: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Keep the beam_width most probable partial outputs (by summed log-probability) at every step, and return
    the most probable finished one per row: ids (n, max_length) and attention weights (n, max_length, S), as
    greedy_decode. With beam_width 1 this is greedy decoding.

    The n rows' beams run as one batch of n * beam_width; a finished beam is carried on unchanged (it may only
    add <pad> at no cost), so finished and unfinished outputs compete on their total log-probability.
    """
    if beam_width < 1:
        raise ValueError(f"--beam-width must be at least 1 (got {beam_width})")
    decoder = model.get_layer("decoder")
    encoder_states, states, source_mask = encode(model, source)
    count, source_length = source_mask.shape
    k = beam_width
    # Every row's encoder output repeated k times: row i's beams are rows i*k .. i*k + k - 1.
    encoder_states = ops.repeat(encoder_states, k, axis=0)
    states = [ops.repeat(state, k, axis=0) for state in states]
    source_mask = np.repeat(source_mask, k, axis=0)
    scores = np.full((count, k), -np.inf)
    scores[:, 0] = 0.0  # one live beam to start from; the others join at the first step
    ids = np.zeros((count, k, max_length), dtype="int32")
    weights = np.zeros((count, k, max_length, source_length), dtype="float32")
    previous = np.full(count * k, START_ID, dtype="int32")
    finished = np.zeros((count, k), dtype=bool)
    rows = np.arange(count)[:, None]
    for t in range(max_length):
        probabilities, states, step_weights = decoder.step(previous, states, encoder_states, source_mask)
        with np.errstate(divide="ignore"):
            log_p = np.log(ops.convert_to_numpy(probabilities).astype("float64")).reshape(count, k, -1)
        vocabulary = log_p.shape[-1]
        # A finished beam continues only with <pad>, which costs nothing.
        log_p[finished] = -np.inf
        log_p[finished, 0] = 0.0
        total = (scores[:, :, None] + log_p).reshape(count, k * vocabulary)
        best = np.argsort(-total, axis=1, kind="stable")[:, :k]        # (count, k) indices into beam * vocabulary
        beam, token = best // vocabulary, (best % vocabulary).astype("int32")
        scores = np.take_along_axis(total, best, axis=1)
        ids, weights, finished = ids[rows, beam], weights[rows, beam], finished[rows, beam]
        ids[:, :, t] = token
        if step_weights is not None:
            step_weights = ops.convert_to_numpy(step_weights).reshape(count, k, source_length)[rows, beam]
            weights[:, :, t] = np.where(finished[:, :, None], 0.0, step_weights)
        finished = finished | (token == END_ID)
        # Carry each beam's recurrent state along with it.
        flat = (rows * k + beam).reshape(-1)
        states = [ops.take(state, flat, axis=0) for state in states]
        previous = token.reshape(-1)
        if finished.all():
            break
    top = np.argmax(scores, axis=1)
    return ids[np.arange(count), top], weights[np.arange(count), top]
