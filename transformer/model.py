"""A small GPT that writes one character at a time: the blocks of transformer/layers.py, causal, stacked.

    from transformer.model import build_model, generate
    model = build_model(vocab_size=80, context_length=64)       # ids (batch, time) -> probabilities (batch, time, 80)
    new_ids = generate(model, prompt_ids, length=200, temperature=0.8, seed=0)

    ids (batch, time) - Embedding(vocab, d_model) - + positions - num_layers x TransformerBlock(causal=True)
        - LayerNorm - Dense(vocab, softmax)                           the next character's probabilities, every position

The GPT (Radford et al., 2018) learns to predict every next character of a window at once: the causal mask keeps
position i from reading i + 1 onwards, so one pass scores all of them. generate samples after a prompt with a
key/value cache (each step computes only the new position's keys and values).
"""

import keras
import numpy as np
from keras import layers, ops

from common.pairs import END_ID, PAD_ID, START_ID
from common.tasks import output_layer
from common.text import NextCharacter, apply_temperature
from transformer.layers import (LAYER_NORM_EPSILON, LearnedPositionalEmbedding, PositionLayer,
                                SinusoidalPositionalEncoding, TransformerBlock)

POSITIONS = ("learned", "sinusoidal", "none")


# ----------------------------------------------------------------------------------------------------------------
# The GPT and its sampler


def build_model(vocab_size: int, context_length: int, d_model: int = 128, num_heads: int = 4, num_layers: int = 3,
              ff_dim: int = 512, dropout_rate: float = 0.1, positions: str = "learned",
              activation: str = "gelu") -> keras.Model:
    """A decoder-only character model: Embedding -> positions -> num_layers causal blocks -> LayerNorm -> softmax.

    Input: token ids (batch, time), time <= context_length (the longest window the positions cover). Output: the
    probability of every next character at every position, (batch, time, vocab_size), in float32 (the "generation"
    task's output layer, trained with sparse categorical cross-entropy). positions: "learned", "sinusoidal" or "none"
    (the causal mask alone leaks some order: position i averages over i + 1 tokens).
    """
    # Default sizes: small enough to train in minutes on 2 CPU cores; benchmarks/ chooses the final ones.
    if positions not in POSITIONS:
        raise ValueError(f"positions must be one of {', '.join(POSITIONS)} (got {positions!r})")
    if min(vocab_size, context_length, d_model, num_heads, num_layers, ff_dim) < 1:
        raise ValueError("vocab_size, context_length, d_model, num_heads, num_layers and ff_dim must be at least 1")
    if d_model % num_heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of num_heads ({num_heads})")
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, d_model, name="token_embedding")(token_ids)      # (batch, time, d_model)
    if positions == "learned":
        x = LearnedPositionalEmbedding(context_length, name="positions")(x)
    elif positions == "sinusoidal":
        x = SinusoidalPositionalEncoding(context_length, name="positions")(x)
    if dropout_rate:
        x = layers.Dropout(dropout_rate, name="embedding_dropout")(x)
    for index in range(num_layers):
        x = TransformerBlock(num_heads, ff_dim, dropout_rate, activation, causal=True, name=f"block_{index + 1}")(x)
    x = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="final_norm")(x)  # the residual sum, normalised
    outputs = output_layer("generation", vocab_size)(x)                               # (batch, time, vocab_size)
    return keras.Model(token_ids, outputs, name="gpt")


def generate(model: keras.Model, prompt_ids, length: int, temperature: float = 1.0, seed: int = 0,
             use_cache: bool = True, context_length: int | None = None) -> np.ndarray:
    """Sample `length` new ids (length,) one at a time after prompt_ids (a 1-D sequence) from a build_model model.

    temperature 0 takes the likeliest id (greedy); T > 0 samples from p^(1/T), renormalised, with a NumPy generator
    seeded by `seed`. use_cache=False runs the whole window of the last context_length ids through the model at every
    step. use_cache=True runs the prompt once, then only the newest id, its blocks keeping the keys and values of the
    earlier positions: the same ids while the text fits the window, with a fraction of the arithmetic (on a CPU at
    these sizes most of the time goes to calling the layers one by one, so the clock gains less). Past the window the
    positions would all shift, so the cache restarts from the last context_length // 2 ids (a window that slides in
    jumps, where use_cache=False slides one id at a time). context_length: the model's positions table if left out.
    """
    tokens = [int(i) for i in np.asarray(prompt_ids).reshape(-1)]
    if not tokens or length < 0 or temperature < 0:
        raise ValueError(f"generate needs a prompt of at least one id, length >= 0 and temperature >= 0 "
                         f"(got {len(tokens)} ids, {length}, {temperature})")
    position_layers = [layer for layer in model.layers if isinstance(layer, PositionLayer)]
    if context_length is None and not position_layers:
        raise ValueError("this model has no position table to read its context length from: pass context_length")
    context_length = position_layers[0].max_length if context_length is None else int(context_length)
    if context_length < 1:
        raise ValueError(f"context_length must be at least 1 (got {context_length})")
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerBlock)]
    rng = np.random.default_rng(seed)
    caches, start = None, 0  # start: the position of the next id fed, = how many the caches hold
    # Without the cache: common/text.py's NextCharacter, which serve/ and samples.txt use too. It reads the last
    # context_length ids, padded after the text to one input shape (the causal mask keeps the padding out).
    reader = None if use_cache else NextCharacter(model, batch_size=1, window=context_length)
    for step in range(length):
        if not use_cache:
            new_ids = tokens if step == 0 else tokens[-1:]  # the prompt first, then each id as it is drawn
            probabilities = reader(np.array([new_ids], dtype="int32"))[0]
        else:
            if caches is None or start >= context_length:  # the first step, or the window is full: start again
                keep = context_length if caches is None else max(context_length // 2, 1)
                new_ids, start, caches = tokens[-keep:], 0, [block.empty_cache(1) for block in blocks]
            else:
                new_ids = tokens[-1:]
            probabilities, caches = forward_with_cache(model, new_ids, start, caches)
            start += len(new_ids)
        if temperature == 0:
            tokens.append(int(np.argmax(probabilities)))
        else:
            p = apply_temperature(probabilities, temperature)
            tokens.append(int(rng.choice(len(p), p=p)))
    return np.array(tokens[len(tokens) - length:], dtype="int32")


def forward_with_cache(model: keras.Model, new_ids: list[int], start: int, caches: list) -> tuple[np.ndarray, list]:
    """Run new_ids, at positions start, start + 1, ..., through the model's layers in order, each block with its cache.

    Returns (the next-id probabilities after the last new id (vocab,), the blocks' new caches). Dropout layers do
    nothing here (training is off), the embedding, final norm and output layer run as in model(...).
    """
    x, new_caches = np.array([new_ids], dtype="int32"), []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, TransformerBlock):
            x, cache = layer(x, cache=caches[len(new_caches)])
            new_caches.append(cache)
        elif isinstance(layer, PositionLayer):
            x = layer(x, start=start)
        else:
            x = layer(x)
    return ops.convert_to_numpy(x)[0, -1], new_caches


def attention_weights(model: keras.Model, ids) -> list[np.ndarray]:
    """Each block's self-attention weights for one text, a list of (heads, time, time) arrays: row i of head h is how
    much position i reads each position j <= i (zeros after i, the causal mask). ids: a 1-D sequence, at most the
    context length. Runs the model's layers in order as model(...) does, reading each block's attention on the way."""
    x, weights = np.array([np.asarray(ids).reshape(-1)], dtype="int32"), []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, TransformerBlock):
            x, scores, _ = layer(x, return_attention_scores=True)
            weights.append(ops.convert_to_numpy(scores)[0])
        else:
            x = layer(x)
    return weights


# ----------------------------------------------------------------------------------------------------------------
# The encoder-decoder (the original Transformer's shape), for attention/'s dates: "march 3rd, 2015" -> "2015-03-03"


def build_encoder_decoder(source_vocab_size: int, target_vocab_size: int, source_length: int, target_length: int,
                          d_model: int = 64, num_heads: int = 4, num_layers: int = 2, ff_dim: int = 256,
                          dropout_rate: float = 0.1, activation: str = "gelu") -> keras.Model:
    """The teacher-forced training model: [source ids (batch, S), decoder input (batch, target_length)] ->
    probabilities (batch, target_length, target_vocab_size), S at most source_length (the encoder's positions).

        source ids     - Embedding - + positions - num_layers x TransformerBlock         - LayerNorm   = the memory
        <start> y_1 .. - Embedding - + positions - num_layers x TransformerBlock(causal,
                                                       cross-attention to the memory)    - LayerNorm - softmax

    The encoder reads the whole source at once, every character seeing every other (no causal mask; the padding,
    id 0, is masked out). The decoder is the GPT above with a third sub-layer in each block, cross-attention: its
    queries come from the decoder's positions, its keys and values from the memory. It replaces attention/'s
    Bahdanau step, and, as there, the decoder reads the true previous tokens in training (teacher forcing) and its
    own in greedy_decode. Every layer has a name, so that cross_attention_weights can run the parts again.
    """
    if min(source_vocab_size, target_vocab_size, source_length, target_length, d_model, num_heads, num_layers,
           ff_dim) < 1:
        raise ValueError("vocabulary sizes, lengths, d_model, num_heads, num_layers and ff_dim must be at least 1")
    if d_model % num_heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of num_heads ({num_heads})")
    source = keras.Input(shape=(None,), dtype="int32", name="source")
    decoder_input = keras.Input(shape=(target_length,), dtype="int32", name="decoder_input")
    source_mask = ops.not_equal(source, PAD_ID)                             # (batch, S): False at the padding

    # The encoder: self-attention over the whole source, each query reading only the real characters
    x = layers.Embedding(source_vocab_size, d_model, name="source_embedding")(source)
    x = LearnedPositionalEmbedding(source_length, name="source_positions")(x)
    x = layers.Dropout(dropout_rate, name="source_dropout")(x)
    padding = ops.expand_dims(source_mask, 1)                               # (batch, 1, S): the same for every query
    for index in range(num_layers):
        x = TransformerBlock(num_heads, ff_dim, dropout_rate, activation,
                             name=f"encoder_block_{index + 1}")(x, attention_mask=padding)
    memory = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="encoder_norm")(x)  # (batch, S, d_model)

    # The decoder: causal self-attention over what it has written, cross-attention over the memory
    y = layers.Embedding(target_vocab_size, d_model, name="target_embedding")(decoder_input)
    y = LearnedPositionalEmbedding(target_length, name="target_positions")(y)
    y = layers.Dropout(dropout_rate, name="target_dropout")(y)
    for index in range(num_layers):
        y = TransformerBlock(num_heads, ff_dim, dropout_rate, activation, causal=True, cross_attention=True,
                             name=f"decoder_block_{index + 1}")(y, encoder_outputs=memory, encoder_mask=source_mask)
    y = layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="decoder_norm")(y)
    outputs = output_layer("generation", target_vocab_size)(y)               # (batch, target_length, vocab)
    return keras.Model([source, decoder_input], outputs, name="transformer")


def greedy_decode(model: keras.Model, sources, max_length: int, start_id: int = START_ID,
                  end_id: int = END_ID):
    """Decode sources (n, S) on the model's own: (ids (n, max_length), cross-attention weights (n, max_length, S)).

    The decoder input starts as <start> followed by padding; step t runs the whole model and takes the likeliest
    token at position t, which becomes the input at t + 1 (the causal mask keeps the padding after t out of the
    answer at t). Stops early when every row has written <end>. The weights are the last decoder block's
    cross-attention, averaged over its heads: row t is where the decoder looked while writing token t.
    """
    sources = np.asarray(sources, dtype="int32")
    decoder_length = model.inputs[1].shape[1]
    if not 1 <= max_length <= decoder_length:
        raise ValueError(f"max_length must be 1 to {decoder_length}, the decoder's length (got {max_length})")
    decoder_input = np.zeros((len(sources), decoder_length), dtype="int32")
    decoder_input[:, 0] = start_id
    ids = np.zeros((len(sources), max_length), dtype="int32")
    for t in range(max_length):
        probabilities = ops.convert_to_numpy(model([sources, decoder_input], training=False))
        ids[:, t] = probabilities[:, t].argmax(axis=-1)
        if t + 1 < decoder_length:
            decoder_input[:, t + 1] = ids[:, t]
        if (ids[:, : t + 1] == end_id).any(axis=1).all():
            break  # later positions stay 0 (<pad>), after every row's <end>
    weights = cross_attention_weights(model, sources, decoder_input)[-1].mean(axis=1)  # (n, decoder_length, S)
    return ids, weights[:, :max_length]


def cross_attention_weights(model: keras.Model, sources, decoder_input) -> list[np.ndarray]:
    """Each decoder block's cross-attention weights, a list of (n, heads, target_length, S) arrays: row t of head h is
    how much the decoder, writing token t, reads each source position (0 at the padding). Runs the named layers of
    build_encoder_decoder in the same order as the model does (dropout is off outside training)."""
    sources, decoder_input = np.asarray(sources, "int32"), np.asarray(decoder_input, "int32")
    source_mask = sources != PAD_ID
    names = [layer.name for layer in model.layers]
    x = model.get_layer("source_dropout")(model.get_layer("source_positions")(
        model.get_layer("source_embedding")(sources)))
    for name in (name for name in names if name.startswith("encoder_block_")):
        x = model.get_layer(name)(x, attention_mask=source_mask[:, None, :])
    memory = model.get_layer("encoder_norm")(x)
    y = model.get_layer("target_dropout")(model.get_layer("target_positions")(
        model.get_layer("target_embedding")(decoder_input)))
    weights = []
    for name in (name for name in names if name.startswith("decoder_block_")):
        y, _, cross = model.get_layer(name)(y, encoder_outputs=memory, encoder_mask=source_mask,
                                            return_attention_scores=True)
        weights.append(ops.convert_to_numpy(cross))
    return weights
