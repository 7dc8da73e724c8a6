"""Tests of transformer/layers.py and model.py: attention against keras.layers.MultiHeadAttention, masks, the
1/sqrt(d_k) scaling, positions, the block's causality and caches, the GPT's shapes and saving, cached generation
against uncached.

    python -m pytest tests/test_transformer_model.py -q
"""

import math

import numpy as np
import pytest

VOCAB, CONTEXT = 20, 8  # the tiny GPTs below: 20 ids, windows of 8
BATCH, TIME, WIDTH, HEADS, KEY_DIM = 2, 5, 6, 2, 3


def numpy(keras, x):
    return keras.ops.convert_to_numpy(x)


def padding_mask(query_length, key_length):
    """(BATCH, query_length, key_length): example 1 may not attend to its last two keys; no row is fully masked."""
    mask = np.ones((BATCH, query_length, key_length), dtype=bool)
    mask[1, :, -2:] = False
    return mask


@pytest.fixture(scope="module")
def gpts(gpt, keras, transformer):
    """A tiny GPT for each kind of positions, with dropout (which generation must leave off)."""
    keras.utils.set_random_seed(0)
    return {positions: gpt.build_model(VOCAB, CONTEXT, d_model=16, num_heads=2, num_layers=2, ff_dim=32,
                                             dropout_rate=0.1, positions=positions)
            for positions in ("learned", "sinusoidal", "none")}

# ----------------------------------------------------------------------------------------------------------------
# Attention


@pytest.mark.parametrize("case", ["self", "self causal", "cross padding", "self padding causal"])
def test_multi_head_attention_equals_keras_with_the_same_weights(case, keras, transformer):
    rng = np.random.default_rng(0)
    query = rng.normal(size=(BATCH, TIME, WIDTH)).astype("float32")
    value = query if "self" in case else rng.normal(size=(BATCH, 7, 4)).astype("float32")
    kwargs = {"use_causal_mask": "causal" in case}
    if "padding" in case:
        kwargs["attention_mask"] = padding_mask(TIME, value.shape[1])
    theirs = keras.layers.MultiHeadAttention(HEADS, KEY_DIM)
    expected, expected_weights = (numpy(keras, x) for x in theirs(query, value, return_attention_scores=True,
                                                                  **kwargs))
    ours = transformer.MultiHeadAttention(HEADS, KEY_DIM)
    ours(query, value)  # builds it
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert [tuple(w.shape) for w in ours.weights[:2]] == [(WIDTH, HEADS, KEY_DIM), (HEADS, KEY_DIM)]
    ours.set_weights(theirs.get_weights())
    output, weights = (numpy(keras, x) for x in ours(query, value, return_attention_scores=True, **kwargs))
    assert output.shape == (BATCH, TIME, WIDTH) and weights.shape == (BATCH, HEADS, TIME, value.shape[1])
    np.testing.assert_allclose(output, expected, atol=1e-5)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-5)
    # Keras takes another road (a fused kernel) without the scores: the same outputs.
    np.testing.assert_allclose(numpy(keras, ours(query, value, **kwargs)), numpy(keras, theirs(query, value, **kwargs)),
                               atol=1e-5)
    if "causal" in case:
        assert np.all(weights[..., ~np.tril(np.ones((TIME, TIME), bool))] == 0.0)
    if "padding" in case:
        assert np.all(weights[1, ..., -2:] == 0.0)
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)


def test_causal_mask_is_lower_triangular(keras, transformer):
    mask = numpy(keras, transformer.causal_mask(4))
    assert mask.dtype == bool and mask.shape == (4, 4)
    np.testing.assert_array_equal(mask, np.tril(np.ones((4, 4), bool)))
    after_three = numpy(keras, transformer.causal_mask(2, offset=3))  # two new queries after three cached keys
    np.testing.assert_array_equal(after_three, [[True, True, True, True, False], [True, True, True, True, True]])


def test_masked_weights_are_exactly_zero_also_in_a_fully_masked_row(keras, transformer):
    rng = np.random.default_rng(1)
    queries, keys, values = (rng.normal(size=(4, 3)).astype("float32") for _ in range(3))  # 4 queries, 4 keys
    mask = np.array([[True, False, True, False], [False] * 4, [True] * 4, [False, False, False, True]])
    output, weights = (numpy(keras, x) for x in transformer.scaled_dot_product_attention(queries, keys, values, mask))
    assert np.all(weights[~mask] == 0.0) and np.all(np.isfinite(output))
    np.testing.assert_array_equal(weights[1], 0.0)
    np.testing.assert_array_equal(output[1], 0.0)  # nothing to attend to: no output, not NaN
    np.testing.assert_allclose(weights[[0, 2]].sum(axis=-1), 1.0, atol=1e-6)
    assert weights[3].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_scores_are_divided_by_the_square_root_of_d_k(keras, transformer):
    """q . k_1 = 4 with d_k = 4: the score is 4 / sqrt(4) = 2; q . k_2 = 0. Unscaled, the weights would be e^4 : 1."""
    queries = np.array([[1.0, 1.0, 1.0, 1.0]], dtype="float32")
    keys = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]], dtype="float32")
    values = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    output, weights = (numpy(keras, x) for x in transformer.scaled_dot_product_attention(queries, keys, values))
    expected = [math.exp(2) / (math.exp(2) + 1), 1 / (math.exp(2) + 1)]
    np.testing.assert_allclose(weights[0], expected, rtol=1e-6)
    np.testing.assert_allclose(output[0], expected, rtol=1e-6)  # the values are one-hot: the output is the weights
    assert abs(weights[0, 0] - math.exp(4) / (math.exp(4) + 1)) > 0.1

# ----------------------------------------------------------------------------------------------------------------
# Positions


@pytest.mark.parametrize("d_model", [6, 5])
def test_sinusoidal_encoding_follows_the_formula(d_model, keras, transformer):
    layer = transformer.SinusoidalPositionalEncoding(max_length=50)
    inputs = np.random.default_rng(2).normal(size=(2, 8, d_model)).astype("float32")
    for start in (0, 7):
        added = numpy(keras, layer(inputs, start=start)) - inputs
        for pos in range(8):
            for column in range(d_model):
                angle = (start + pos) / 10000 ** ((column - column % 2) / d_model)  # 2i = column - column % 2
                expected = math.sin(angle) if column % 2 == 0 else math.cos(angle)
                assert added[0, pos, column] == pytest.approx(expected, abs=2e-6)
                assert added[1, pos, column] == pytest.approx(expected, abs=2e-6)
    np.testing.assert_allclose(transformer.sinusoidal_table(3, 4)[2], [math.sin(2), math.cos(2), math.sin(0.02),
                                                                         math.cos(0.02)])


def test_learned_positions_add_one_row_per_position(keras, transformer):
    layer = transformer.LearnedPositionalEmbedding(max_length=12)
    inputs = np.ones((2, 5, 4), dtype="float32")
    layer(inputs)
    table = numpy(keras, layer.position_embedding.embeddings)
    assert table.shape == (12, 4) and len(layer.trainable_weights) == 1
    for start in (0, 3, 7):
        expected = np.broadcast_to(1.0 + table[start:start + 5], (2, 5, 4))  # the same rows for every example
        np.testing.assert_allclose(numpy(keras, layer(inputs, start=start)), expected, rtol=1e-6)

# ----------------------------------------------------------------------------------------------------------------
# The block


def test_causal_block_keeps_its_shape_and_never_looks_ahead(keras, transformer):
    keras.utils.set_random_seed(3)
    x = np.random.default_rng(3).normal(size=(BATCH, TIME, 8)).astype("float32")
    changed = x.copy()
    changed[:, 3] = np.random.default_rng(4).normal(size=(BATCH, 8))  # position 3 changes
    for causal in (True, False):
        block = transformer.TransformerBlock(num_heads=2, ff_dim=16, causal=causal, activation="relu")
        before, after = numpy(keras, block(x)), numpy(keras, block(changed))
        assert before.shape == (BATCH, TIME, 8)
        assert np.abs(after[:, 3:] - before[:, 3:]).max() > 1e-3  # itself and the ones after it see the change
        if causal:
            np.testing.assert_array_equal(after[:, :3], before[:, :3])
        else:
            assert np.abs(after[:, :3] - before[:, :3]).max() > 1e-3  # without the mask, everything does


def test_cross_attention_reads_the_encoder_but_not_its_padding(keras, transformer):
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    x, encoder = rng.normal(size=(BATCH, TIME, 8)).astype("float32"), rng.normal(size=(BATCH, 7, 4)).astype("float32")
    encoder_mask = np.ones((BATCH, 7), dtype=bool)
    encoder_mask[:, -2:] = False
    block = transformer.TransformerBlock(2, 16, causal=True, cross_attention=True)
    outputs = numpy(keras, block(x, encoder_outputs=encoder, encoder_mask=encoder_mask))
    assert outputs.shape == (BATCH, TIME, 8)
    padded, real = encoder.copy(), encoder.copy()
    padded[:, -2:] += 10.0
    real[:, 0] += 10.0
    np.testing.assert_allclose(numpy(keras, block(x, encoder_outputs=padded, encoder_mask=encoder_mask)), outputs,
                               atol=1e-6)
    assert np.abs(numpy(keras, block(x, encoder_outputs=real, encoder_mask=encoder_mask)) - outputs).max() > 1e-3
    with pytest.raises(ValueError, match="needs encoder_outputs"):
        transformer.TransformerBlock(2, 16, cross_attention=True)(x)


def test_feeding_one_position_at_a_time_with_a_cache_equals_one_causal_call(keras, transformer):
    keras.utils.set_random_seed(6)
    x = np.random.default_rng(6).normal(size=(BATCH, TIME, 8)).astype("float32")
    attention = transformer.MultiHeadAttention(HEADS, 4)
    block = transformer.TransformerBlock(HEADS, 16, causal=True)
    for layer, full in ((attention, attention(x, x, use_causal_mask=True)), (block, block(x))):
        cache, steps = layer.empty_cache(BATCH), []
        for t in range(TIME):
            step = x[:, t:t + 1]  # (batch, 1, 8): one new position
            if layer is attention:
                output, cache = layer(step, step, use_causal_mask=True, cache=cache)
            else:
                output, cache = layer(step, cache=cache)
            assert tuple(cache[0].shape) == tuple(cache[1].shape) == (BATCH, HEADS, t + 1, 4)
            steps.append(numpy(keras, output))
        np.testing.assert_allclose(np.concatenate(steps, axis=1), numpy(keras, full), atol=1e-5)

# ----------------------------------------------------------------------------------------------------------------
# The GPT


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "none"])
def test_gpt_gives_next_id_probabilities_at_every_position(positions, gpts, keras):
    model = gpts[positions]
    ids = np.random.default_rng(7).integers(0, VOCAB, (3, CONTEXT))
    probabilities = numpy(keras, model(ids))
    assert model.input_shape == (None, None) and model.output_shape == (None, None, VOCAB)
    assert probabilities.shape == (3, CONTEXT, VOCAB) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    assert len([layer for layer in model.layers if layer.name.startswith("block_")]) == 2
    shorter = numpy(keras, model(ids[:, :5]))  # any window up to the context; causal, so the same first 5 rows
    np.testing.assert_allclose(shorter, probabilities[:, :5], atol=1e-6)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
def test_save_and_load_in_safe_mode_gives_identical_outputs(gpt, positions, gpts, keras, tmp_path):
    model = gpts[positions]
    path = tmp_path / "gpt.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)  # the layers are registered: nothing is unpickled
    ids = np.random.default_rng(8).integers(0, VOCAB, (2, CONTEXT))
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))
    assert [layer.__class__.__name__ for layer in loaded.layers] == [layer.__class__.__name__ for layer in model.layers]


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "none"])
def test_generation_with_the_cache_gives_the_same_ids_as_without(gpt, positions, gpts, transformer):
    model, prompt = gpts[positions], [1, 2, 3]
    length = CONTEXT - 2  # the last step reads the whole window: 3 + 5 ids
    for temperature in (0, 0.7, 1.5):
        cached = gpt.generate(model, prompt, length, temperature, seed=4, context_length=CONTEXT)
        uncached = gpt.generate(model, prompt, length, temperature, seed=4, use_cache=False,
                                        context_length=CONTEXT)
        assert cached.shape == (length,) and cached.min() >= 0 and cached.max() < VOCAB
        np.testing.assert_array_equal(cached, uncached)
    long_prompt = np.arange(CONTEXT + 5) % VOCAB  # clipped to the window in both
    np.testing.assert_array_equal(gpt.generate(model, long_prompt, 1, 0, context_length=CONTEXT),
                                  gpt.generate(model, long_prompt, 1, 0, use_cache=False,
                                                       context_length=CONTEXT))


def test_generation_is_seeded_and_runs_past_the_window(gpt, gpts, transformer):
    model = gpts["learned"]
    first, again = (gpt.generate(model, [5], 6, 1.0, seed=1) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, gpt.generate(model, [5], 6, 1.0, seed=2))
    np.testing.assert_array_equal(gpt.generate(model, [5], 3, 0, seed=1),
                                  gpt.generate(model, [5], 3, 0, seed=2))  # greedy: no randomness
    longer = gpt.generate(model, [5], CONTEXT + 4, 1.0, seed=1)  # past the window: the cache restarts once
    assert longer.shape == (CONTEXT + 4,) and longer.min() >= 0 and longer.max() < VOCAB
    np.testing.assert_array_equal(longer[:6], first)  # the same seed: the same start


def test_bad_arguments_raise_clear_errors(gpt, gpts, transformer):
    with pytest.raises(ValueError, match="positions must be one of learned, sinusoidal, none"):
        gpt.build_model(VOCAB, CONTEXT, positions="rotary")
    with pytest.raises(ValueError, match="multiple of num_heads"):
        gpt.build_model(VOCAB, CONTEXT, d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="prompt of at least one id"):
        gpt.generate(gpts["learned"], [], 3)
    with pytest.raises(ValueError, match="temperature >= 0"):
        gpt.generate(gpts["learned"], [1], 3, temperature=-1)
    with pytest.raises(ValueError, match="pass context_length"):
        gpt.generate(gpts["none"], [1], 3)


def test_get_config_round_trip(transformer):
    block = transformer.TransformerBlock(4, 64, 0.2, "relu", causal=True, cross_attention=True, name="decoder_block")
    clone = transformer.TransformerBlock.from_config(block.get_config())
    assert (clone.num_heads, clone.ff_dim, clone.dropout_rate, clone.activation, clone.causal, clone.cross_attention,
            clone.name) == (4, 64, 0.2, "relu", True, True, "decoder_block")
    attention = transformer.MultiHeadAttention.from_config(transformer.MultiHeadAttention(3, 5, 7).get_config())
    assert (attention.num_heads, attention.key_dim, attention.output_dim) == (3, 5, 7)
    for kind in (transformer.SinusoidalPositionalEncoding, transformer.LearnedPositionalEmbedding):
        assert kind.from_config(kind(33).get_config()).max_length == 33

# ----------------------------------------------------------------------------------------------------------------
# The encoder-decoder (--dataset dates)

SOURCE_VOCAB, TARGET_VOCAB, SOURCE_LENGTH, TARGET_LENGTH = 12, 9, 7, 5


@pytest.fixture(scope="module")
def encoder_decoder(gpt, keras):
    """A tiny untrained encoder-decoder with two blocks a side, dropout on (which decoding must leave off)."""
    keras.utils.set_random_seed(1)
    return gpt.build_encoder_decoder(SOURCE_VOCAB, TARGET_VOCAB, SOURCE_LENGTH, TARGET_LENGTH, d_model=16,
                                     num_heads=2, num_layers=2, ff_dim=32, dropout_rate=0.1)


def sources_with_padding():
    """(3, SOURCE_LENGTH) ids: the first row full, the others ending in padding (0)."""
    sources = np.random.default_rng(4).integers(4, SOURCE_VOCAB, size=(3, SOURCE_LENGTH)).astype("int32")
    sources[1, 5:] = 0
    sources[2, 2:] = 0
    return sources


def test_encoder_decoder_ignores_source_padding_and_never_looks_ahead_in_the_target(encoder_decoder, keras):
    sources = sources_with_padding()
    targets = np.random.default_rng(5).integers(1, TARGET_VOCAB, size=(3, TARGET_LENGTH)).astype("int32")
    probabilities = numpy(keras, encoder_decoder([sources, targets]))
    assert probabilities.shape == (3, TARGET_LENGTH, TARGET_VOCAB)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    # The padding is not read: row 2 without its five padding ids gives the same probabilities.
    np.testing.assert_allclose(numpy(keras, encoder_decoder([sources[2:, :2], targets[2:]])), probabilities[2:],
                               atol=1e-5)
    # Changing a real source id does change them (the decoder does read the source).
    changed = sources.copy()
    changed[2, 1] = 4 if sources[2, 1] != 4 else 5
    assert np.abs(numpy(keras, encoder_decoder([changed, targets]))[2] - probabilities[2]).max() > 1e-4
    # Causal: changing the decoder input at position 3 leaves positions 0-2 as they were and moves position 3.
    later = targets.copy()
    later[:, 3] = (later[:, 3] % (TARGET_VOCAB - 1)) + 1
    moved = numpy(keras, encoder_decoder([sources, later]))
    np.testing.assert_allclose(moved[:, :3], probabilities[:, :3], atol=1e-6)
    assert np.abs(moved[:, 3] - probabilities[:, 3]).max() > 1e-4


def test_greedy_decoding_feeds_each_choice_back_and_reads_real_source_positions(encoder_decoder, gpt, keras):
    sources = sources_with_padding()
    ids, weights = gpt.greedy_decode(encoder_decoder, sources, TARGET_LENGTH, start_id=1, end_id=2)
    assert ids.shape == (3, TARGET_LENGTH) and weights.shape == (3, TARGET_LENGTH, SOURCE_LENGTH)
    # By hand: at each step the whole model on <start> and the ids chosen so far, the argmax at the step's position.
    for row in range(3):
        written = [1]
        for t in range(TARGET_LENGTH):
            decoder_input = np.zeros((1, TARGET_LENGTH), "int32")
            decoder_input[0, :len(written)] = written
            step = numpy(keras, encoder_decoder([sources[row:row + 1], decoder_input]))[0, t]
            written.append(int(step.argmax()))
            if written[-1] == 2:
                break
        assert ids[row, :len(written) - 1].tolist() == written[1:]
    # Cross-attention weights: each row sums to 1 over the real source characters, 0 at the padding.
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert weights[1, :, 5:].max() == 0 and weights[2, :, 2:].max() == 0
    with pytest.raises(ValueError, match="max_length must be 1 to 5"):
        gpt.greedy_decode(encoder_decoder, sources, TARGET_LENGTH + 1)


def test_cross_attention_weights_are_the_decoder_blocks_own(encoder_decoder, gpt, keras):
    """Block 1's weights, recomputed from its parts by hand: the encoder's memory, the decoder's first sub-layer, the
    cross-attention's own scores."""
    sources = sources_with_padding()
    targets = np.random.default_rng(6).integers(1, TARGET_VOCAB, size=(3, TARGET_LENGTH)).astype("int32")
    weights = gpt.cross_attention_weights(encoder_decoder, sources, targets)
    assert [w.shape for w in weights] == [(3, 2, TARGET_LENGTH, SOURCE_LENGTH)] * 2
    layer = encoder_decoder.get_layer
    mask = sources != 0
    x = layer("source_positions")(layer("source_embedding")(sources))
    for name in ("encoder_block_1", "encoder_block_2"):
        x = layer(name)(x, attention_mask=mask[:, None, :])
    memory = layer("encoder_norm")(x)
    y = layer("target_positions")(layer("target_embedding")(targets))
    block = layer("decoder_block_1")
    normed = block.attention_norm(y)
    y = y + block.self_attention(normed, normed, use_causal_mask=True)
    _, expected = block.encoder_attention(block.encoder_attention_norm(y), memory, attention_mask=mask[:, None, :],
                                          return_attention_scores=True)
    np.testing.assert_allclose(weights[0], numpy(keras, expected), atol=1e-6)


def test_encoder_decoder_saves_and_loads_with_the_same_outputs(encoder_decoder, gpt, keras, tmp_path):
    sources = sources_with_padding()
    path = tmp_path / "model.keras"
    encoder_decoder.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(gpt.greedy_decode(loaded, sources, TARGET_LENGTH)[0],
                                  gpt.greedy_decode(encoder_decoder, sources, TARGET_LENGTH)[0])
    with pytest.raises(ValueError, match="multiple of num_heads"):
        gpt.build_encoder_decoder(10, 10, 5, 5, d_model=10, num_heads=4)
