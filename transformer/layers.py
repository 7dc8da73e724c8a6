"""The Transformer's parts (Vaswani et al., 2017) as Keras 3 layers: attention, positions and the block.

    from transformer.layers import MultiHeadAttention, TransformerBlock
    outputs = MultiHeadAttention(num_heads=4, key_dim=32)(x, x, use_causal_mask=True)     # (batch, time, 128)
    outputs = TransformerBlock(num_heads=4, ff_dim=512, causal=True)(x)                    # the same shape

Attention lets every position read every other position in one step, each weighted by how well the two match:

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V

Q (time_q, d_k) holds a query per position, K (time_k, d_k) a key per position and V (time_k, d_v) a value per
position; M is 0 where a query may look and -inf where it may not (the causal mask: no looking ahead). Multi-head
attention runs h such attentions side by side, each on its own learned projections of the inputs (d_k = d_model / h),
and mixes their outputs back to d_model:

    head_i = Attention(X W_q^i + b_q^i, X W_k^i + b_k^i, X W_v^i + b_v^i)
    MultiHead(X) = concat(head_1, ..., head_h) W_o + b_o

Attention alone does not know the order of its inputs (permute them and its outputs permute alike), so a position
signal is added to each token's embedding: a fixed sinusoid or a learned vector per position. A pre-norm block (as in
GPT-2) then adds two sub-layers, each to its own input (a residual connection):

    x = x + MultiHead(LayerNorm(x))                                   positions exchange information
    x = x + FFN(LayerNorm(x)),   FFN(x) = act(x W_1 + b_1) W_2 + b_2    each position is transformed on its own

transformer/model.py builds the models from them; transformer/scratch.py computes the same numbers in NumPy.
"""

import math

import keras
import numpy as np
from keras import layers, ops

MASKED_SCORE = -1e9  # exp(-1e9 - max) is exactly 0.0 in float32, so a masked position gets no weight
LAYER_NORM_EPSILON = 1e-5  # GPT-2's; transformer/scratch.py uses the same

# ----------------------------------------------------------------------------------------------------------------
# Attention


def scaled_dot_product_attention(queries, keys, values, mask=None):
    """softmax(Q K^T / sqrt(d_k) + M) V -> (output (..., time_q, d_v), weights (..., time_q, time_k)).

    queries (..., time_q, d_k), keys (..., time_k, d_k), values (..., time_k, d_v); leading axes (batch, heads) are
    carried along. mask: boolean, broadcastable to (..., time_q, time_k), True where query i may attend to key j.
    Where it is False the score becomes MASKED_SCORE (the -inf of M) and the weight is then set to exactly 0, so a row
    with nothing to attend to gets zero weights and a zero output, not NaN.

    Why divide by sqrt(d_k): if the entries of q and k are independent with mean 0 and variance 1, their dot product,
    a sum of d_k such products, has mean 0 and variance d_k. With d_k = 64 the scores spread over +-8 and more, the
    softmax gives nearly all the weight to the largest one, and its gradient da_i/ds_j = a_i (delta_ij - a_j) is then
    close to 0 everywhere: the queries and keys stop learning. Dividing by sqrt(d_k) brings the variance back to 1.
    """
    d_k = queries.shape[-1]
    scores = ops.matmul(queries, ops.swapaxes(keys, -1, -2)) / math.sqrt(d_k)  # (..., time_q, time_k)
    if mask is not None:
        mask = ops.cast(mask, "bool")
        scores = ops.where(mask, scores, ops.cast(MASKED_SCORE, scores.dtype))
    # The softmax over the keys, written out: ops.softmax warns when there is one key only (a first step).
    weights = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))  # minus the max: no overflow, same softmax
    weights = weights / ops.sum(weights, axis=-1, keepdims=True)
    if mask is not None:
        weights = ops.where(mask, weights, ops.zeros_like(weights))  # exact zeros, also in a fully masked row
    return ops.matmul(weights, values), weights


def causal_mask(length, offset=0):
    """(length, offset + length) boolean: query i, the (offset + i)-th position, may see key j when j <= offset + i.

    With offset 0 it is square and lower-triangular: each position sees itself and the positions before it, never the
    ones after, so a model trained on every next character at once cannot read the answer. offset > 0 is for a decoder
    with a key/value cache: the new queries come after the `offset` positions already cached.
    """
    rows = ops.expand_dims(ops.arange(length) + offset, 1)      # (length, 1): the queries' positions
    columns = ops.expand_dims(ops.arange(offset + length), 0)   # (1, offset + length): the keys' positions
    return ops.greater_equal(rows, columns)


@keras.saving.register_keras_serializable(package="transformer")
class MultiHeadAttention(layers.Layer):
    """num_heads heads of scaled dot-product attention on learned projections, concatenated and projected back.

    Weights, in the shapes and order of keras.layers.MultiHeadAttention's (ours.set_weights(theirs.get_weights())
    gives the same layer); a kernel (d, heads, key_dim) is a Dense kernel (d, heads * key_dim), its columns in heads:
        query_kernel (d_query, heads, key_dim)    query_bias (heads, key_dim)
        key_kernel   (d_key, heads, key_dim)      key_bias   (heads, key_dim)     d_key = d_value unless key is given
        value_kernel (d_value, heads, key_dim)    value_bias (heads, key_dim)     value heads are key_dim wide too
        output_kernel (heads, key_dim, d_out)     output_bias (d_out,)            d_out = output_dim or d_query

    call(query (batch, time_q, d_query), value (batch, time_k, d_value), key=None (the value), attention_mask=None,
         use_causal_mask=False, return_attention_scores=False, cache=None) returns the output (batch, time_q, d_out),
    then, if asked, the weights (batch, heads, time_q, time_k), then, if a cache was given, the new cache.
    attention_mask is boolean (batch, time_q, time_k) or anything that broadcasts to it ((batch, 1, time_k) for
    padding), True = may attend; use_causal_mask adds causal_mask. (It is not called `mask`: Keras fills an argument of
    that name on its own with the query's padding mask (batch, time_q), which is not an attention mask.)

    The key/value cache, for a decoder that feeds one new token per step: cache = (keys, values), each
    (batch, heads, past, key_dim), the projected keys and values of the `past` positions fed before (empty_cache for
    none). The call appends its own and returns them, (batch, heads, past + time_q, key_dim), so each step projects
    only its new token and still attends to all the earlier ones; the causal mask places the new queries after them.
    """

    def __init__(self, num_heads: int, key_dim: int, output_dim: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if int(num_heads) < 1 or int(key_dim) < 1:
            raise ValueError(f"MultiHeadAttention needs num_heads >= 1 and key_dim >= 1 (got {num_heads}, {key_dim})")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.output_dim = None if output_dim is None else int(output_dim)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        heads = (self.num_heads, self.key_dim)
        self.query_kernel = self.add_weight(shape=(query_shape[-1], *heads), name="query_kernel")   # W_q
        self.query_bias = self.add_weight(shape=heads, initializer="zeros", name="query_bias")      # b_q
        self.key_kernel = self.add_weight(shape=(key_shape[-1], *heads), name="key_kernel")         # W_k
        self.key_bias = self.add_weight(shape=heads, initializer="zeros", name="key_bias")          # b_k
        self.value_kernel = self.add_weight(shape=(value_shape[-1], *heads), name="value_kernel")   # W_v
        self.value_bias = self.add_weight(shape=heads, initializer="zeros", name="value_bias")      # b_v
        output_dim = self.output_dim or query_shape[-1]
        self.output_kernel = self.add_weight(shape=(*heads, output_dim), name="output_kernel")          # W_o
        self.output_bias = self.add_weight(shape=(output_dim,), initializer="zeros", name="output_bias")  # b_o

    def project_and_split(self, x, kernel, bias):
        """x (batch, time, d) -> x W + b (batch, time, heads * key_dim), split into heads (batch, heads, time, key_dim).

        A reshape cuts the last axis into heads; a transpose brings the heads forward, so that each head's
        (time, key_dim) matrix is a separate batch entry for scaled_dot_product_attention."""
        batch, time = ops.shape(x)[0], ops.shape(x)[1]
        width = self.num_heads * self.key_dim
        projected = ops.matmul(x, ops.reshape(kernel, (-1, width))) + ops.reshape(bias, (width,))  # (batch, time, h*k)
        return ops.transpose(ops.reshape(projected, (batch, time, self.num_heads, self.key_dim)), (0, 2, 1, 3))

    def empty_cache(self, batch_size: int = 1):
        """A cache of no positions yet: (keys, values), each (batch_size, heads, 0, key_dim)."""
        empty = ops.zeros((batch_size, self.num_heads, 0, self.key_dim), dtype=self.compute_dtype)
        return empty, empty

    def call(self, query, value, key=None, attention_mask=None, use_causal_mask=False, return_attention_scores=False,
             cache=None):
        key = value if key is None else key
        queries = self.project_and_split(query, self.query_kernel, self.query_bias)  # (batch, heads, time_q, key_dim)
        keys = self.project_and_split(key, self.key_kernel, self.key_bias)           # (batch, heads, time_k, key_dim)
        values = self.project_and_split(value, self.value_kernel, self.value_bias)   # (batch, heads, time_k, key_dim)
        if cache is not None:  # the earlier positions first: (batch, heads, past + time_k, key_dim)
            keys = ops.concatenate([cache[0], keys], axis=2)
            values = ops.concatenate([cache[1], values], axis=2)
        mask = None if attention_mask is None else ops.cast(attention_mask, "bool")
        if mask is not None and len(mask.shape) == 3:
            mask = ops.expand_dims(mask, 1)  # (batch, 1, time_q, time_k): the same mask for every head
        if use_causal_mask:
            time_q, time_k = ops.shape(queries)[2], ops.shape(keys)[2]
            causal = causal_mask(time_q, offset=time_k - time_q)  # offset = past with a cache, else 0
            mask = causal if mask is None else ops.logical_and(mask, causal)
        outputs, weights = scaled_dot_product_attention(queries, keys, values, mask)
        batch, time_q = ops.shape(query)[0], ops.shape(query)[1]
        # Concatenate the heads: (batch, heads, time_q, key_dim) -> (batch, time_q, heads * key_dim), then W_o.
        outputs = ops.reshape(ops.transpose(outputs, (0, 2, 1, 3)), (batch, time_q, self.num_heads * self.key_dim))
        outputs = ops.matmul(outputs, ops.reshape(self.output_kernel, (self.num_heads * self.key_dim, -1)))
        outputs = outputs + self.output_bias
        results = [outputs]
        if return_attention_scores:
            results.append(weights)
        if cache is not None:
            results.append((keys, values))
        return results[0] if len(results) == 1 else tuple(results)

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "output_dim": self.output_dim}

# ----------------------------------------------------------------------------------------------------------------
# Positions


def sinusoidal_table(length: int, d_model: int) -> np.ndarray:
    """PE (length, d_model), float64: PE[pos, 2i] = sin(pos / 10000^(2i / d)), PE[pos, 2i + 1] = cos(the same).

    Each pair of columns is a clock hand turning at its own speed, from one turn per 2 pi positions (i = 0) to one
    per 10000 * 2 pi; PE[pos + k] is a rotation of PE[pos] that depends only on k, so relative offsets are easy to read.
    """
    pairs = 2 * (np.arange(d_model) // 2)                          # 2i for columns 2i and 2i + 1
    angles = np.arange(length)[:, None] / 10000.0 ** (pairs / d_model)
    return np.where(np.arange(d_model) % 2 == 0, np.sin(angles), np.cos(angles))


class PositionLayer(layers.Layer):
    """Adds a vector per position to the inputs (batch, time, d_model); the positions are start, start + 1, ...

    Both kinds hold a table (max_length, d_model), one computed, one learned; start > 0 is for cached generation,
    where one new token at position `start` is fed at a time. Positions must stay below max_length.
    """

    def __init__(self, max_length: int, **kwargs):
        super().__init__(**kwargs)
        if int(max_length) < 1:
            raise ValueError(f"{type(self).__name__} needs max_length >= 1 (got {max_length})")
        self.max_length = int(max_length)

    def call(self, inputs, start=0):
        positions = ops.arange(ops.shape(inputs)[1]) + start    # (time,)
        vectors = ops.take(self.table(), positions, axis=0)      # (time, d_model)
        return inputs + ops.cast(ops.expand_dims(vectors, 0), inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "max_length": self.max_length}


@keras.saving.register_keras_serializable(package="transformer")
class SinusoidalPositionalEncoding(PositionLayer):
    """x + PE[start : start + time] with PE = sinusoidal_table (Vaswani et al., 2017): no weights to learn, and the
    formula itself works at any position (the table is only max_length long)."""

    def build(self, input_shape):
        self.sinusoids = sinusoidal_table(self.max_length, input_shape[-1]).astype("float32")  # cast in call

    def table(self):
        return ops.convert_to_tensor(self.sinusoids)


@keras.saving.register_keras_serializable(package="transformer")
class LearnedPositionalEmbedding(PositionLayer):
    """x + P[start : start + time], where P (max_length, d_model) is an Embedding over the positions 0 .. max_length-1,
    learned like the token embedding (GPT-2's choice). It knows no position it was not trained on."""

    def build(self, input_shape):
        self.position_embedding = layers.Embedding(self.max_length, input_shape[-1], name="position_embedding")
        self.position_embedding.build((self.max_length,))

    def table(self):
        return self.position_embedding.embeddings

# ----------------------------------------------------------------------------------------------------------------
# The block


@keras.saving.register_keras_serializable(package="transformer")
class TransformerBlock(layers.Layer):
    """One pre-norm Transformer block, each sub-layer added to its input (d_model from the inputs, key_dim = d / heads):

        x = x + Dropout(MultiHead(LN_1(x)))                              self-attention, causal if `causal`
        x = x + Dropout(MultiHead(LN_2(x), encoder_outputs))             cross-attention, if `cross_attention`
        x = x + Dropout(act(LN_3(x) W_1 + b_1) W_2 + b_2)                feed-forward, ff_dim wide in the middle

    Normalising before each sub-layer (GPT-2) rather than after the sum (Vaswani's post-norm) keeps a clean path from
    the output back to the input through the additions, so deep stacks train without a learning-rate warm-up.
    Cross-attention is the decoder's half of an encoder-decoder: its queries come from the decoder, its keys and
    values from encoder_outputs (batch, time_enc, d_enc), whose padding encoder_mask (batch, time_enc) hides.

    call(inputs (batch, time, d_model), encoder_outputs=None, encoder_mask=None, attention_mask=None, cache=None)
    -> (batch, time, d_model), and with a cache (the self-attention's, see MultiHeadAttention) also the new cache.
    return_attention_scores=True adds the weights (batch, heads, time, time_k) of the self- and the cross-attention
    (None without it): (outputs, self_weights, cross_weights).
    """

    def __init__(self, num_heads: int, ff_dim: int, dropout_rate: float = 0.0, activation: str = "gelu",
                 causal: bool = False, cross_attention: bool = False, **kwargs):
        super().__init__(**kwargs)
        if int(num_heads) < 1 or int(ff_dim) < 1 or not 0 <= dropout_rate < 1:
            raise ValueError(f"TransformerBlock needs num_heads >= 1, ff_dim >= 1 and 0 <= dropout_rate < 1 "
                             f"(got {num_heads}, {ff_dim}, {dropout_rate})")
        self.num_heads, self.ff_dim, self.dropout_rate = int(num_heads), int(ff_dim), float(dropout_rate)
        self.activation, self.causal, self.cross_attention = activation, bool(causal), bool(cross_attention)

    def build(self, inputs_shape, encoder_outputs_shape=None):
        d_model = inputs_shape[-1]
        if d_model % self.num_heads:
            raise ValueError(f"d_model ({d_model}) must be a multiple of num_heads ({self.num_heads})")
        if self.cross_attention and encoder_outputs_shape is None:
            raise ValueError("a TransformerBlock with cross_attention=True needs encoder_outputs")
        key_dim = d_model // self.num_heads
        self.attention_norm = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="attention_norm")
        self.self_attention = MultiHeadAttention(self.num_heads, key_dim, name="self_attention")
        self.attention_norm.build(inputs_shape)
        self.self_attention.build(inputs_shape, inputs_shape)
        if self.cross_attention:
            self.encoder_attention_norm = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON,
                                                                    name="encoder_attention_norm")
            self.encoder_attention = MultiHeadAttention(self.num_heads, key_dim, name="encoder_attention")
            self.encoder_attention_norm.build(inputs_shape)
            self.encoder_attention.build(inputs_shape, encoder_outputs_shape)
        self.ffn_norm = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="ffn_norm")
        self.ffn_hidden = layers.Dense(self.ff_dim, activation=self.activation, name="ffn_hidden")
        self.ffn_output = layers.Dense(d_model, name="ffn_output")
        self.dropout = layers.Dropout(self.dropout_rate)
        self.ffn_norm.build(inputs_shape)
        self.ffn_hidden.build(inputs_shape)
        self.ffn_output.build((*inputs_shape[:-1], self.ff_dim))

    def empty_cache(self, batch_size: int = 1):
        return self.self_attention.empty_cache(batch_size)

    def call(self, inputs, encoder_outputs=None, encoder_mask=None, attention_mask=None, cache=None, training=None,
             return_attention_scores=False):
        normed = self.attention_norm(inputs)
        attended = self.self_attention(normed, normed, attention_mask=attention_mask, use_causal_mask=self.causal,
                                       cache=cache, return_attention_scores=return_attention_scores)
        self_scores = cross_scores = None
        if return_attention_scores:
            attended, self_scores, *cache = attended
            cache = cache[0] if cache else None
        elif cache is not None:
            attended, cache = attended
        x = inputs + self.dropout(attended, training=training)
        if self.cross_attention:
            padding = None if encoder_mask is None else ops.expand_dims(ops.cast(encoder_mask, "bool"), 1)
            normed = self.encoder_attention_norm(x)
            attended = self.encoder_attention(normed, encoder_outputs, attention_mask=padding,  # (batch, 1, time_enc)
                                              return_attention_scores=return_attention_scores)
            if return_attention_scores:
                attended, cross_scores = attended
            x = x + self.dropout(attended, training=training)
        transformed = self.ffn_output(self.ffn_hidden(self.ffn_norm(x)))
        x = x + self.dropout(transformed, training=training)
        outputs = x if cache is None else (x, cache)
        return (outputs, self_scores, cross_scores) if return_attention_scores else outputs

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "ff_dim": self.ff_dim,
                "dropout_rate": self.dropout_rate, "activation": self.activation, "causal": self.causal,
                "cross_attention": self.cross_attention}
