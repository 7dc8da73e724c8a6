"""Bahdanau (additive) and Luong (multiplicative) attention as Keras 3 layers, one decoder step per call.

    from attention.layers import BahdanauAttention, LuongAttention
    context, weights = BahdanauAttention(units=32)([previous_state, encoder_states], mask=encoder_mask)
    context, weights = LuongAttention("general")([current_state, encoder_states], mask=encoder_mask)

Both take inputs=[query (batch, query_dim), values (batch, time, value_dim)] and return
(context (batch, value_dim), weights (batch, time)). The query is one decoder state: Bahdanau scores with the
previous state s_{t-1}, Luong with the current state h_t. The values are the encoder states h_1 .. h_T.

Masking: `mask` is the values' padding mask (batch, time), True where a real token is. It may also be the pair
[query_mask, values_mask] (the query's is ignored), which is what Keras passes on its own when the encoder states
carry a mask (Embedding(mask_zero=True) -> LSTM(return_sequences=True)). Padded positions get weight exactly 0.

Every weight is created with add_weight, no biases anywhere; attention/scratch.py computes the same numbers in
NumPy from these weights (tests/test_attention_layers.py checks it).
"""

import keras
from keras import layers, ops

SCORE_MODES = ("dot", "general", "concat")
MASKED_SCORE = -1e9  # exp(-1e9 - max) is exactly 0.0 in float32, so a padded position gets no weight


def masked_softmax(scores, mask=None):
    """Softmax over the last axis of scores (batch, time), with weight exactly 0 where mask (batch, time) is False.

    A row whose positions are all masked gets all-zero weights (and so a zero context), not NaN.
    """
    if mask is None:
        return ops.softmax(scores, axis=-1)
    mask = ops.cast(mask, "bool")
    scores = ops.where(mask, scores, ops.cast(MASKED_SCORE, scores.dtype))
    weights = ops.softmax(scores, axis=-1)
    return ops.where(mask, weights, ops.zeros_like(weights))  # exact zeros, also in an all-masked row


def values_mask(mask):
    """The values' mask out of what `call` received: None, a (batch, time) mask, or [query_mask, values_mask]."""
    if isinstance(mask, (list, tuple)):
        return mask[1]
    return mask


def attend(scores, values, mask=None):
    """(context (batch, value_dim), weights (batch, time)) from scores (batch, time) and values (batch, time, dim)."""
    weights = masked_softmax(scores, mask)
    context = ops.sum(ops.expand_dims(weights, -1) * values, axis=1)  # sum_j a_j h_j
    return context, weights


class _Attention(layers.Layer):
    """What both layers share: a mask that stops here (the outputs carry none) and output shapes."""

    def compute_mask(self, inputs, mask=None):
        return None  # the context has no time axis, so there is nothing left to mask

    def compute_output_shape(self, input_shape):
        query_shape, values_shape = input_shape
        return (query_shape[0], values_shape[-1]), (query_shape[0], values_shape[1])


@keras.saving.register_keras_serializable(package="attention")
class BahdanauAttention(_Attention):
    """Additive attention (Bahdanau et al., 2015): score_j = v^T tanh(W1 s_{t-1} + W2 h_j).

    Weights (all without bias): query_kernel W1 (query_dim, units), value_kernel W2 (value_dim, units),
    score_vector v (units,). Call with [query (batch, query_dim), values (batch, time, value_dim)] and an optional
    values mask (batch, time); returns (context (batch, value_dim), weights (batch, time)).
    """

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"BahdanauAttention needs units >= 1 (got {units})")
        self.units = int(units)

    def build(self, input_shape):
        query_shape, values_shape = input_shape
        self.query_kernel = self.add_weight(shape=(query_shape[-1], self.units), name="query_kernel")  # W1
        self.value_kernel = self.add_weight(shape=(values_shape[-1], self.units), name="value_kernel")  # W2
        self.score_vector = self.add_weight(shape=(self.units,), name="score_vector")                  # v

    def call(self, inputs, mask=None):
        query, values = inputs                                     # (batch, query_dim), (batch, time, value_dim)
        query_features = ops.matmul(query, self.query_kernel)      # (batch, units)
        value_features = ops.matmul(values, self.value_kernel)     # (batch, time, units)
        features = ops.tanh(ops.expand_dims(query_features, 1) + value_features)  # (batch, time, units)
        scores = ops.matmul(features, self.score_vector)           # (batch, time)
        return attend(scores, values, values_mask(mask))

    def flops_per_query(self, source_length: int) -> int:
        """Floating-point operations of one call for one example (a multiply-add is 2): W1 s once, then for each of
        the source_length states W2 h_j (recomputed at every decoder step), v . tanh(...) and a_j h_j. The cost
        grows with the source: attention reads every encoder state at every step (benchmarks/speed.py counts it)."""
        value_dim = self.value_kernel.shape[0]
        per_state = value_dim * self.units + self.units + value_dim
        return 2 * (self.query_kernel.shape[0] * self.units + source_length * per_state)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="attention")
class LuongAttention(_Attention):
    """Multiplicative attention (Luong et al., 2015) with the current decoder state h_t as the query.

    score_mode "dot":     score_s = h_t . h_s                  no weights; needs query_dim == value_dim
    score_mode "general": score_s = h_t^T W_a h_s              kernel W_a (query_dim, value_dim), computed as
                                                               (h_t W_a) . h_s
    score_mode "concat":  score_s = v^T tanh(W_a [h_t; h_s])   kernel W_a (query_dim + value_dim, units), query rows
                                                               first; score_vector v (units,); needs units
    No biases. Call and outputs as BahdanauAttention.
    """

    def __init__(self, score_mode: str = "general", units: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in SCORE_MODES:
            raise ValueError(f"LuongAttention score_mode must be one of {', '.join(SCORE_MODES)} (got {score_mode!r})")
        if score_mode == "concat" and (units is None or int(units) < 1):
            raise ValueError(f"LuongAttention score_mode 'concat' needs units >= 1 (got {units})")
        self.score_mode = score_mode
        self.units = None if units is None else int(units)

    def build(self, input_shape):
        query_shape, values_shape = input_shape
        query_dim, value_dim = query_shape[-1], values_shape[-1]
        if self.score_mode == "dot" and query_dim != value_dim:
            raise ValueError(f"LuongAttention score_mode 'dot' needs the query and the values to have the same size "
                             f"(got query_dim={query_dim}, value_dim={value_dim}); use 'general' or 'concat'")
        if self.score_mode == "general":
            self.kernel = self.add_weight(shape=(query_dim, value_dim), name="kernel")                    # W_a
        if self.score_mode == "concat":
            self.kernel = self.add_weight(shape=(query_dim + value_dim, self.units), name="kernel")       # W_a
            self.score_vector = self.add_weight(shape=(self.units,), name="score_vector")                # v

    def call(self, inputs, mask=None):
        query, values = inputs                                     # (batch, query_dim), (batch, time, value_dim)
        if self.score_mode == "concat":
            # W_a [h_t; h_s] = W_q h_t + W_v h_s with W_a split by rows, so h_t need not be copied T times.
            query_dim = ops.shape(query)[-1]
            query_features = ops.matmul(query, self.kernel[:query_dim])     # (batch, units)
            value_features = ops.matmul(values, self.kernel[query_dim:])    # (batch, time, units)
            features = ops.tanh(ops.expand_dims(query_features, 1) + value_features)
            scores = ops.matmul(features, self.score_vector)               # (batch, time)
        else:
            if self.score_mode == "general":
                query = ops.matmul(query, self.kernel)                     # (batch, value_dim)
            scores = ops.sum(ops.expand_dims(query, 1) * values, axis=-1)  # (batch, time)
        return attend(scores, values, values_mask(mask))

    def flops_per_query(self, source_length: int) -> int:
        """Floating-point operations of one call for one example, as BahdanauAttention's: "general" h_t W_a once,
        then per state h_t . h_s and a_s h_s; "dot" counts 0 (no weights to read the state size from); "concat" as
        Bahdanau with the whole W_a at every state (an over-count by its query rows)."""
        if self.score_mode == "concat":
            rows = self.kernel.shape[0]  # query_dim + value_dim
            return 2 * (rows * self.units + source_length * (rows * self.units + self.units + rows))
        if self.score_mode == "dot":
            return 0
        query_dim, value_dim = self.kernel.shape
        return 2 * (query_dim * value_dim + source_length * 2 * value_dim)

    def get_config(self):
        return {**super().get_config(), "score_mode": self.score_mode, "units": self.units}
