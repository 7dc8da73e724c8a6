"""attention/model.py: every builder, saving, one decoder step as the README teaches it, greedy and beam decoding."""

import functools
import itertools

import keras
import numpy as np
import pytest
from keras import ops

from attention.model import (ATTENTIONS, DECODER_CELLS, ENCODER_CELLS, beam_search, build_model, encode,
                             greedy_decode)
from common.pairs import END_ID as END
from common.pairs import START_ID as START

SOURCE_VOCABULARY, TARGET_VOCABULARY, TARGET_LENGTH, UNITS = 12, 9, 6, 8


def to_numpy(tensor) -> np.ndarray:
    return ops.convert_to_numpy(tensor)


def random_sources(count=16, length=7, seed=0) -> np.ndarray:
    """Source ids (count, length) of tokens 4 .. vocabulary - 1, each row followed by 0 to 3 positions of padding."""
    rng = np.random.default_rng(seed)
    sources = rng.integers(4, SOURCE_VOCABULARY, size=(count, length)).astype("int32")
    for row in range(count):
        padding = row % 4
        if padding:
            sources[row, -padding:] = 0
    return sources


@functools.lru_cache(maxsize=None)
def peaked_model(attention: str, cell: str = "gru", bidirectional: bool = False,
                 attention_scale: float = 5.0) -> keras.Model:
    """An untrained model whose output and attention weights are scaled up, so that its choices differ from row to
    row, some rows stop at <end> at various steps and others run to the end (a model trained for an epoch or two
    writes the same tokens for every source, which would make the decoding tests weak)."""
    keras.utils.set_random_seed(0)
    model = build_model(SOURCE_VOCABULARY, TARGET_VOCABULARY, TARGET_LENGTH, attention=attention, cell=cell,
                        units=UNITS, embedding_dim=8, bidirectional_encoder=bidirectional)
    decoder = model.get_layer("decoder")
    decoder.output_layer.set_weights([5.0 * weight for weight in decoder.output_layer.get_weights()])
    if decoder.attention is not None:
        decoder.attention.set_weights([attention_scale * weight for weight in decoder.attention.get_weights()])
    return model


def produced(ids: np.ndarray) -> np.ndarray:
    """(n, T) True at the positions a decoder wrote: up to and including the first <end>, all when there is none."""
    is_end = ids == END
    return (np.cumsum(is_end, axis=1) - is_end) == 0


def teacher_forced_probabilities(model, source, ids) -> np.ndarray:
    """The training model's probabilities (n, T, vocabulary) when it reads <start> followed by the output ids."""
    decoder_input = np.concatenate([np.full((len(ids), 1), START), ids[:, :-1]], axis=1).astype("int32")
    return to_numpy(model([source, decoder_input]))


def log_probability(model, source, ids) -> np.ndarray:
    """Summed log p (n,) of each output's tokens up to its first <end> (included), by the teacher-forced model."""
    probabilities = teacher_forced_probabilities(model, source, ids).astype("float64")
    token = np.take_along_axis(probabilities, ids[..., None].astype("int64"), axis=-1)[..., 0]
    return np.where(produced(ids), np.log(token), 0.0).sum(axis=1)


# ---------------------------------------------------------------------------------------------------------------
# Building

@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("attention", ATTENTIONS)
def test_every_attention_cell_and_encoder_builds(attention, cell, bidirectional):
    model = build_model(SOURCE_VOCABULARY, TARGET_VOCABULARY, TARGET_LENGTH, attention=attention, cell=cell,
                        units=UNITS, embedding_dim=4, bidirectional_encoder=bidirectional)
    assert model.name == "seq2seq_" + attention.replace("-", "_")
    decoder = model.get_layer("decoder")
    assert decoder.units == (2 * UNITS if bidirectional else UNITS)
    assert (decoder.attention is None) == (attention == "none")
    source = random_sources(count=3)
    decoder_input = np.random.default_rng(1).integers(1, TARGET_VOCABULARY, (3, TARGET_LENGTH)).astype("int32")
    probabilities = to_numpy(model([source, decoder_input]))
    assert probabilities.shape == (3, TARGET_LENGTH, TARGET_VOCABULARY)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(probabilities > 0)
    # The source length may change between calls.
    assert to_numpy(model([source[:, :4], decoder_input])).shape == (3, TARGET_LENGTH, TARGET_VOCABULARY)


@pytest.mark.parametrize("arguments, words", [
    ({"attention": "foo"}, "--attention must be one of"),
    ({"cell": "rnn"}, "--cell must be one of"),
    ({"units": 0}, "--units must be at least 1"),
    ({"embedding_dim": 0}, "--embedding-dim must be at least 1"),
])
def test_bad_builder_arguments_raise_value_error(arguments, words):
    with pytest.raises(ValueError, match=words):
        build_model(SOURCE_VOCABULARY, TARGET_VOCABULARY, TARGET_LENGTH, **arguments)


def test_the_command_line_offers_exactly_the_models_choices():
    """train.py keeps its own copy of the names (it answers --help before Keras loads); they must not drift apart."""
    from attention import compare, train

    assert train.ATTENTIONS == ATTENTIONS
    assert train.CELLS == tuple(ENCODER_CELLS) == tuple(DECODER_CELLS)
    assert compare.parse_models(",".join(ATTENTIONS)) == list(ATTENTIONS)


def test_beam_width_0_raises_value_error():
    with pytest.raises(ValueError, match="--beam-width must be at least 1"):
        beam_search(peaked_model("bahdanau"), random_sources(count=2), TARGET_LENGTH, beam_width=0)


# ---------------------------------------------------------------------------------------------------------------
# Saving

@pytest.mark.parametrize("attention, cell, bidirectional", [
    ("bahdanau", "gru", False), ("luong-concat", "lstm", True), ("none", "gru", False)])
def test_saved_model_predicts_and_decodes_the_same(attention, cell, bidirectional, tmp_path):
    model = peaked_model(attention, cell, bidirectional)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")  # safe mode; the layers are registered
    source = random_sources()
    decoder_input = np.random.default_rng(2).integers(1, TARGET_VOCABULARY, (16, TARGET_LENGTH)).astype("int32")
    np.testing.assert_array_equal(loaded.predict([source, decoder_input], verbose=0),
                                  model.predict([source, decoder_input], verbose=0))
    for original, reloaded in zip(greedy_decode(model, source, TARGET_LENGTH),
                                  greedy_decode(loaded, source, TARGET_LENGTH)):
        np.testing.assert_array_equal(reloaded, original)
    assert loaded.get_layer("decoder").get_config()["attention"] == attention
    assert loaded.get_layer("encoder").get_config()["bidirectional"] == bidirectional


# ---------------------------------------------------------------------------------------------------------------
# One decoder step (what the README's table says)

def two_steps(model, source, second_ids):
    """Encoder outputs, the state after one step from <start>, and the second step's (probabilities, states,
    weights) reading second_ids, so that the previous state is not simply the encoder's final state."""
    decoder = model.get_layer("decoder")
    encoder_states, states, mask = encode(model, source)
    _, states, _ = decoder.step(np.full(len(source), START, dtype="int32"), states, encoder_states, mask)
    return encoder_states, mask, states, decoder.step(second_ids, states, encoder_states, mask)


def test_bahdanau_step_attends_with_the_previous_state_then_feeds_the_context_to_the_cell():
    model = peaked_model("bahdanau", attention_scale=50.0)  # weights far from uniform: s_{t-1} and s_t differ
    decoder = model.get_layer("decoder")
    source = random_sources()
    second_ids = np.arange(16, dtype="int32") % TARGET_VOCABULARY
    encoder_states, mask, previous, (probabilities, states, weights) = two_steps(model, source, second_ids)

    context, expected = decoder.attention([previous[0], encoder_states], mask=mask)  # c_t = att(s_{t-1}, h)
    np.testing.assert_allclose(to_numpy(weights), to_numpy(expected), atol=1e-6)
    _, with_new_state = decoder.attention([states[0], encoder_states], mask=mask)
    assert np.abs(to_numpy(weights) - to_numpy(with_new_state)).max() > 1e-3  # the test can tell the two apart

    cell_input = ops.concatenate([decoder.embedding(second_ids), context], axis=-1)  # [y_{t-1}; c_t]
    output, expected_states = decoder.cell(cell_input, previous)
    np.testing.assert_allclose(to_numpy(states[0]), to_numpy(expected_states[0]), atol=1e-6)
    np.testing.assert_allclose(to_numpy(probabilities), to_numpy(decoder.output_layer(output)), atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_luong_general_step_attends_with_the_new_state_then_combines(cell):
    model = peaked_model("luong-general", cell, attention_scale=50.0)
    decoder = model.get_layer("decoder")
    source = random_sources()
    second_ids = np.arange(16, dtype="int32") % TARGET_VOCABULARY
    encoder_states, mask, previous, (probabilities, states, weights) = two_steps(model, source, second_ids)

    output, expected_states = decoder.cell(decoder.embedding(second_ids), previous)  # s_t = cell(y_{t-1}, s_{t-1})
    for state, expected_state in zip(states, expected_states):
        np.testing.assert_allclose(to_numpy(state), to_numpy(expected_state), atol=1e-6)
    context, expected = decoder.attention([states[0], encoder_states], mask=mask)  # c_t = att(s_t, h)
    np.testing.assert_allclose(to_numpy(weights), to_numpy(expected), atol=1e-6)
    _, with_previous_state = decoder.attention([previous[0], encoder_states], mask=mask)
    assert np.abs(to_numpy(weights) - to_numpy(with_previous_state)).max() > 1e-3

    combined = decoder.combine(ops.concatenate([context, output], axis=-1))  # h~_t = tanh(W_c [c_t; s_t])
    np.testing.assert_allclose(to_numpy(probabilities), to_numpy(decoder.output_layer(combined)), atol=1e-6)


def test_input_feeding_feeds_the_last_attentional_state_into_the_next_step(tmp_path):
    """Luong's input feeding: s_t = cell([y_{t-1}; h~_{t-1}], s_{t-1}) with h~_0 = 0, carried as the last state."""
    keras.utils.set_random_seed(1)
    model = build_model(SOURCE_VOCABULARY, TARGET_VOCABULARY, TARGET_LENGTH, attention="luong-general", units=UNITS,
                        embedding_dim=8, input_feeding=True)
    decoder = model.get_layer("decoder")
    decoder.output_layer.set_weights([5.0 * weight for weight in decoder.output_layer.get_weights()])
    source = random_sources()
    encoder_states, states, mask = encode(model, source)
    assert len(states) == 2 and not to_numpy(states[1]).any()  # the GRU state and h~_0 = 0
    first_ids = np.full(16, START, dtype="int32")
    _, first_states, _ = decoder.step(first_ids, states, encoder_states, mask)
    assert to_numpy(first_states[1]).any()  # h~_1

    second_ids = np.arange(16, dtype="int32") % TARGET_VOCABULARY
    probabilities, second_states, weights = decoder.step(second_ids, first_states, encoder_states, mask)
    inputs = ops.concatenate([decoder.embedding(second_ids), first_states[1]], axis=-1)  # [y_1; h~_1]
    output, _ = decoder.cell(inputs, [first_states[0]])
    np.testing.assert_allclose(to_numpy(second_states[0]), to_numpy(output), atol=1e-6)
    context, expected = decoder.attention([output, encoder_states], mask=mask)
    np.testing.assert_allclose(to_numpy(weights), to_numpy(expected), atol=1e-6)
    attentional = decoder.combine(ops.concatenate([context, output], axis=-1))
    np.testing.assert_allclose(to_numpy(second_states[1]), to_numpy(attentional), atol=1e-6)
    np.testing.assert_allclose(to_numpy(probabilities), to_numpy(decoder.output_layer(attentional)), atol=1e-6)

    ids, weights = greedy_decode(model, source, TARGET_LENGTH)
    beam_ids, beam_weights = beam_search(model, source, TARGET_LENGTH, beam_width=1)
    np.testing.assert_array_equal(beam_ids, ids)
    np.testing.assert_array_equal(beam_weights, weights)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert loaded.get_layer("decoder").input_feeding
    np.testing.assert_array_equal(greedy_decode(loaded, source, TARGET_LENGTH)[0], ids)
    with pytest.raises(ValueError, match="--input-feeding is part of Luong attention"):
        build_model(SOURCE_VOCABULARY, TARGET_VOCABULARY, TARGET_LENGTH, attention="bahdanau", input_feeding=True)


def test_the_plain_step_returns_no_weights_and_the_decoder_starts_from_the_encoder_state():
    model = peaked_model("none", "lstm", bidirectional=True)
    decoder = model.get_layer("decoder")
    source = random_sources()
    encoder_states, states, mask = encode(model, source)
    assert len(states) == 2 and to_numpy(states[0]).shape == (16, 2 * UNITS)  # h and c, both directions
    probabilities, new_states, weights = decoder.step(np.full(16, START, dtype="int32"), states, encoder_states, mask)
    assert weights is None
    output, _ = decoder.cell(decoder.embedding(np.full(16, START, dtype="int32")), states)
    np.testing.assert_allclose(to_numpy(probabilities), to_numpy(decoder.output_layer(output)), atol=1e-6)


@pytest.mark.parametrize("attention, cell, bidirectional", [
    ("bahdanau", "gru", False), ("luong-dot", "lstm", True), ("none", "gru", True)])
def test_more_padding_after_the_source_changes_nothing(attention, cell, bidirectional):
    model = peaked_model(attention, cell, bidirectional)
    source = random_sources()
    longer = np.pad(source, ((0, 0), (0, 3)))
    ids, weights = greedy_decode(model, source, TARGET_LENGTH)
    longer_ids, longer_weights = greedy_decode(model, longer, TARGET_LENGTH)
    np.testing.assert_array_equal(longer_ids, ids)
    np.testing.assert_allclose(longer_weights[..., :source.shape[1]], weights, atol=1e-6)
    assert not longer_weights[..., source.shape[1]:].any()


# ---------------------------------------------------------------------------------------------------------------
# Decoding

@pytest.mark.parametrize("attention", ATTENTIONS)
def test_greedy_decoding_is_beam_search_of_width_1(attention):
    model = peaked_model(attention)
    source = random_sources(count=24)
    ids, weights = greedy_decode(model, source, TARGET_LENGTH)
    assert len({tuple(row) for row in ids}) > 3  # the outputs differ from source to source
    beam_ids, beam_weights = beam_search(model, source, TARGET_LENGTH, beam_width=1)
    np.testing.assert_array_equal(beam_ids, ids)
    np.testing.assert_array_equal(beam_weights, weights)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_greedy_output_is_the_teacher_forced_models_best_token_at_every_step(attention):
    model = peaked_model(attention)
    source = random_sources(count=24)
    ids, _ = greedy_decode(model, source, TARGET_LENGTH)
    best = teacher_forced_probabilities(model, source, ids).argmax(axis=-1)
    np.testing.assert_array_equal(best[produced(ids)], ids[produced(ids)])


@pytest.mark.parametrize("beam_width", [1, 3])
@pytest.mark.parametrize("attention", ["bahdanau", "luong-dot", "luong-general", "luong-concat"])
def test_decoding_stops_at_end_and_weights_cover_the_real_source(attention, beam_width):
    model = peaked_model(attention)
    source = random_sources(count=24)
    ids, weights = beam_search(model, source, TARGET_LENGTH, beam_width) if beam_width > 1 else \
        greedy_decode(model, source, TARGET_LENGTH)
    assert ids.shape == (24, TARGET_LENGTH) and weights.shape == (24, TARGET_LENGTH, source.shape[1])
    assert ids.min() >= 0 and ids.max() < TARGET_VOCABULARY
    written = produced(ids)
    stopped = (ids == END).any(axis=1)
    assert stopped.any()  # the test sees rows that stop early ...
    assert (ids[:, -1] != 0).any()  # ... and rows that run to the end
    assert not ids[~written].any()  # 0 after the first <end>
    assert not weights[~written].any()
    real = source != 0
    rows = np.broadcast_to(real[:, None, :], weights.shape)
    assert not weights[~rows].any()  # padded source positions get exactly 0
    np.testing.assert_allclose(weights.sum(axis=-1)[written], 1.0, atol=1e-5)


def test_without_attention_the_weights_are_all_zero():
    model = peaked_model("none")
    ids, weights = greedy_decode(model, random_sources(), TARGET_LENGTH)
    assert ids.any() and not weights.any()
    assert not beam_search(model, random_sources(), TARGET_LENGTH, beam_width=2)[1].any()


@pytest.mark.parametrize("attention", ["none", "bahdanau", "luong-general"])
def test_wide_beam_search_finds_the_most_probable_output(attention):
    # With 5 target tokens and outputs of 3, a beam of 5 ** 2 = 25 never drops a prefix before the last step,
    # so the search is exhaustive: its output must be the best of all outputs scored one by one.
    vocabulary, length = 5, 3
    keras.utils.set_random_seed(1)
    model = build_model(SOURCE_VOCABULARY, vocabulary, length, attention=attention, units=4, embedding_dim=4)
    decoder = model.get_layer("decoder")
    kernel, bias = decoder.output_layer.get_weights()
    bias[END] -= 2.7  # <end> less likely: some best outputs stop at <end>, others are 3 tokens long
    decoder.output_layer.set_weights([3.0 * kernel, bias])
    source = random_sources(count=8)
    # Every output: all id sequences, cut after their first <end> (duplicates removed).
    outputs = {tuple(np.where(produced(np.array([ids]))[0], ids, 0)) for ids in
               itertools.product(range(vocabulary), repeat=length)}
    outputs = np.array(sorted(outputs), dtype="int32")
    ids, _ = beam_search(model, source, length, beam_width=vocabulary ** (length - 1))
    greedy_ids, _ = greedy_decode(model, source, length)
    for row in range(len(source)):
        scores = log_probability(model, np.repeat(source[row:row + 1], len(outputs), axis=0), outputs)
        found = log_probability(model, source[row:row + 1], ids[row:row + 1])[0]
        assert np.isfinite(found)
        np.testing.assert_array_equal(ids[row], outputs[np.argmax(scores)])
        assert found == pytest.approx(scores.max(), abs=1e-5)
        assert found >= log_probability(model, source[row:row + 1], greedy_ids[row:row + 1])[0] - 1e-5
    stopped = (ids == END).any(axis=1)
    assert stopped.any() and not stopped.all()  # finished and unfinished outputs competed
    assert (ids != greedy_ids).any()  # and the search found better outputs than greedy decoding did


@pytest.mark.parametrize("attention", ["bahdanau", "luong-concat"])
def test_beam_search_output_is_a_valid_finite_probability_output(attention):
    model = peaked_model(attention)
    source = random_sources(count=24)
    ids, _ = beam_search(model, source, TARGET_LENGTH, beam_width=4)
    assert ids.min() >= 0 and ids.max() < TARGET_VOCABULARY
    assert not ids[~produced(ids)].any()
    assert np.all(np.isfinite(log_probability(model, source, ids)))
