"""Tests of attention/layers.py against attention/scratch.py: Bahdanau and Luong scores, masking, saving."""

import math

import numpy as np
import pytest

from attention import scratch

BATCH, TIME, QUERY_DIM, VALUE_DIM, UNITS = 3, 7, 5, 6, 4


@pytest.fixture(scope="module")
def attention_layers(keras):
    from attention import layers

    return layers


def random_example(query_dim=QUERY_DIM, value_dim=VALUE_DIM, seed=0):
    """query (3, q), values (3, 7, d), mask (3, 7) with the last two positions of row 1 padded."""
    rng = np.random.default_rng(seed)
    query = rng.normal(0, 1, (BATCH, query_dim)).astype("float32")
    values = rng.normal(0, 1, (BATCH, TIME, value_dim)).astype("float32")
    mask = np.ones((BATCH, TIME), dtype=bool)
    mask[1, -2:] = False
    return query, values, mask


def to_numpy(keras, outputs):
    return [keras.ops.convert_to_numpy(x) for x in outputs]


def scratch_outputs(layer, query, values, mask):
    """What attention/scratch.py computes from the layer's own weights."""
    weights = {w.name: w.numpy() for w in layer.weights}  # query_kernel, kernel, ...
    if layer.__class__.__name__ == "BahdanauAttention":
        scores = scratch.bahdanau_scores(query, values, weights["query_kernel"], weights["value_kernel"],
                                         weights["score_vector"])
    else:
        scores = scratch.luong_scores(query, values, layer.score_mode, weights.get("kernel"),
                                      weights.get("score_vector"))
    return scratch.attend(scores, values, mask)


def make_layer(attention_layers, mechanism):
    if mechanism == "bahdanau":
        return attention_layers.BahdanauAttention(UNITS)
    score_mode = mechanism.removeprefix("luong_")
    return attention_layers.LuongAttention(score_mode, units=UNITS if score_mode == "concat" else None)


MECHANISMS = ["bahdanau", "luong_dot", "luong_general", "luong_concat"]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_layer_matches_scratch(mechanism, keras, attention_layers):
    value_dim = QUERY_DIM if mechanism == "luong_dot" else VALUE_DIM
    query, values, mask = random_example(value_dim=value_dim)
    layer = make_layer(attention_layers, mechanism)
    context, weights = to_numpy(keras, layer([query, values], mask=mask))
    assert context.shape == (BATCH, value_dim) and weights.shape == (BATCH, TIME)
    expected_context, expected_weights = scratch_outputs(layer, query, values, mask)
    np.testing.assert_allclose(weights, expected_weights, atol=1e-5)
    np.testing.assert_allclose(context, expected_context, atol=1e-5)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_padded_positions_get_exactly_zero_and_the_rest_sums_to_one(mechanism, keras, attention_layers):
    value_dim = QUERY_DIM if mechanism == "luong_dot" else VALUE_DIM
    query, values, mask = random_example(value_dim=value_dim, seed=1)
    layer = make_layer(attention_layers, mechanism)
    _, weights = to_numpy(keras, layer([query, values], mask=[None, mask]))  # the pair form Keras passes
    assert weights.dtype == np.float32
    assert np.all(weights[~mask] == 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-6)
    # Changing a padded encoder state changes nothing.
    changed = values.copy()
    changed[1, -2:] += 100.0
    np.testing.assert_allclose(to_numpy(keras, layer([query, changed], mask=mask))[0],
                               to_numpy(keras, layer([query, values], mask=mask))[0], atol=1e-6)


def test_masked_softmax_of_an_all_masked_row_is_zero(keras, attention_layers):
    scores = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    mask = np.array([[True, False], [False, False]])
    weights = keras.ops.convert_to_numpy(attention_layers.masked_softmax(scores, mask))
    assert weights.tolist() == [[1.0, 0.0], [0.0, 0.0]]
    np.testing.assert_allclose(scratch.masked_softmax(scores, mask), weights)


def test_luong_dot_by_hand(keras, attention_layers):
    query = np.array([[1.0, 0.0]], dtype="float32")
    values = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], dtype="float32")  # scores 1, 0, 1
    total = 2 * math.exp(1) + math.exp(0)
    expected_weights = [math.exp(1) / total, 1 / total, math.exp(1) / total]
    expected_context = [2 * math.exp(1) / total, (1 + math.exp(1)) / total]  # sum_j a_j h_j
    context, weights = to_numpy(keras, attention_layers.LuongAttention("dot")([query, values]))
    np.testing.assert_allclose(weights[0], expected_weights, atol=1e-6)
    np.testing.assert_allclose(context[0], expected_context, atol=1e-6)
    np.testing.assert_allclose(scratch.attend(scratch.luong_scores(query, values, "dot"), values)[1][0],
                               expected_weights, atol=1e-6)


def test_luong_general_by_hand_with_a_square_unsymmetric_kernel(keras, attention_layers):
    """score_s = h_t^T W_a h_s with query and values of one size, as the models use them: W_a and its transpose
    give other scores, so a layer (or scratch.py) that used W_a^T would fail here."""
    kernel = np.array([[0.0, 2.0], [0.0, 0.0]], dtype="float32")  # h_t^T W_a h_s = 2 * h_t[0] * h_s[1]
    query = np.array([[1.0, 0.0]], dtype="float32")
    values = np.array([[[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]], dtype="float32")  # scores 2, 0, 0 (W_a^T: 0, 0, 0)
    layer = attention_layers.LuongAttention("general")
    layer.build([query.shape, values.shape])
    layer.set_weights([kernel])
    total = math.exp(2) + 2
    expected_weights = [math.exp(2) / total, 1 / total, 1 / total]
    context, weights = to_numpy(keras, layer([query, values]))
    np.testing.assert_allclose(weights[0], expected_weights, atol=1e-6)
    np.testing.assert_allclose(context[0], [1 / total, math.exp(2) / total], atol=1e-6)
    np.testing.assert_allclose(scratch.luong_scores(query, values, "general", kernel)[0], [2.0, 0.0, 0.0])


@pytest.mark.parametrize("mechanism", ["bahdanau", "luong_general", "luong_concat"])
def test_save_and_load_in_a_functional_model(mechanism, keras, attention_layers, tmp_path):
    query, values, mask = random_example()
    query_input = keras.Input((QUERY_DIM,), name="query")
    values_input = keras.Input((TIME, VALUE_DIM), name="values")
    mask_input = keras.Input((TIME,), dtype="bool", name="values_mask")
    context, weights = make_layer(attention_layers, mechanism)([query_input, values_input], mask=mask_input)
    model = keras.Model([query_input, values_input, mask_input], [keras.layers.Dense(2)(context), weights])
    path = tmp_path / "attention.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode: the layers are registered, nothing is unpickled
    before, after = model.predict([query, values, mask], verbose=0), loaded.predict([query, values, mask], verbose=0)
    for expected, got in zip(before, after):
        np.testing.assert_array_equal(got, expected)
    assert np.all(after[1][~mask] == 0.0)


def test_mask_from_embedding_flows_in_on_its_own(keras, attention_layers):
    tokens = keras.Input((TIME,), dtype="int32")
    states = keras.layers.LSTM(VALUE_DIM, return_sequences=True)(keras.layers.Embedding(10, 3, mask_zero=True)(tokens))
    query_input = keras.Input((QUERY_DIM,))
    _, weights = attention_layers.BahdanauAttention(UNITS)([query_input, states])
    model = keras.Model([tokens, query_input], weights)
    ids = np.array([[1, 2, 3, 4, 5, 0, 0]] * BATCH, dtype="int32")
    got = model.predict([ids, random_example()[0]], verbose=0)
    assert np.all(got[:, -2:] == 0.0) and np.all(got[:, :-2] > 0)


def test_bad_arguments_raise_clear_errors(attention_layers):
    with pytest.raises(ValueError, match="score_mode must be one of dot, general, concat"):
        attention_layers.LuongAttention("cosine")
    with pytest.raises(ValueError, match="'concat' needs units"):
        attention_layers.LuongAttention("concat")
    query, values, _ = random_example()
    with pytest.raises(ValueError, match="same size"):
        attention_layers.LuongAttention("dot")([query, values])
    with pytest.raises(ValueError, match="score_mode must be one of"):
        scratch.luong_scores(query, values, "cosine")
    with pytest.raises(ValueError, match="same size"):
        scratch.luong_scores(query, values, "dot")


def test_get_config_round_trip(attention_layers):
    layer = attention_layers.LuongAttention("concat", units=7, name="luong")
    clone = attention_layers.LuongAttention.from_config(layer.get_config())
    assert (clone.score_mode, clone.units, clone.name) == ("concat", 7, "luong")
    assert attention_layers.BahdanauAttention.from_config(attention_layers.BahdanauAttention(9).get_config()).units == 9


def test_main_shows_zero_weight_on_padding(run_main):
    result, out, _ = run_main(scratch.main, ["--time-steps", "5", "--units", "3"])
    assert result["max_padded_weight"] == 0.0 and result["max_sum_error"] < 1e-12
    assert set(result["weights"]) == {"bahdanau", "luong_dot", "luong_general", "luong_concat"}
    assert all(weights.shape == (1, 5) for weights in result["weights"].values())
    assert out[-1].startswith("max_padded_weight=0 max_sum_error=")


def test_bad_flag_is_one_line_exit_2(run_main):
    result, _, err = run_main(scratch.main, ["--time-steps", "2"])
    assert isinstance(result, SystemExit) and result.code == 2 and len(err) == 1 and "--time-steps" in err[0]


def test_numpy_only(assert_numpy_only):
    assert_numpy_only("attention.scratch")


def test_flops_per_query_counted_by_hand():
    """One call for one example, a multiply-add counted as 2 (benchmarks/speed.py's FLOP column for attention/):
    query size 3, value size 5, 7 source states, 4 units."""
    from attention import layers as attention_layers

    shapes = [(None, 3), (None, 7, 5)]
    bahdanau = attention_layers.BahdanauAttention(4)
    bahdanau.build(shapes)
    # W1 s: 3 x 4 once; per state W2 h_j (5 x 4), v . tanh (4), a_j h_j (5): 2 (12 + 7 (20 + 4 + 5)) = 430
    assert bahdanau.flops_per_query(7) == 430 and bahdanau.flops_per_query(1) == 2 * (12 + 29)
    general = attention_layers.LuongAttention("general")
    general.build(shapes)
    # h_t W_a: 3 x 5 once; per state h_t W_a . h_s (5) and a_s h_s (5): 2 (15 + 7 x 10) = 170
    assert general.flops_per_query(7) == 170
    concat = attention_layers.LuongAttention("concat", units=4)
    concat.build(shapes)
    # W_a [h_t; h_s] (8 x 4) once and per state, v . tanh (4), a_s h_s counted on the 8 rows: 2 (32 + 7 (32 + 4 + 8))
    assert concat.flops_per_query(7) == 680
    dot = attention_layers.LuongAttention("dot")
    dot.build([(None, 5), (None, 7, 5)])
    assert dot.flops_per_query(7) == 0


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_without_a_mask_each_row_is_its_own_softmax(mechanism, keras, attention_layers):
    """No mask (every position real): the same weights and context as a mask that keeps everything, each row of
    weights a softmax of its own scores, summing to 1."""
    value_dim = QUERY_DIM if mechanism == "luong_dot" else VALUE_DIM
    query, values, _ = random_example(value_dim=value_dim)
    layer = make_layer(attention_layers, mechanism)
    context, weights = to_numpy(keras, layer([query, values]))
    kept_context, kept_weights = to_numpy(keras, layer([query, values], mask=np.ones((BATCH, TIME), bool)))
    np.testing.assert_allclose(weights, kept_weights, atol=1e-6)
    np.testing.assert_allclose(context, kept_context, atol=1e-6)
    np.testing.assert_allclose(weights.sum(axis=1), np.ones(BATCH), atol=1e-6)


def test_output_shapes_are_the_context_and_the_weights(attention_layers):
    layer = attention_layers.BahdanauAttention(UNITS)
    assert layer.compute_output_shape([(3, 5), (3, 7, 6)]) == ((3, 6), (3, 7))
    assert layer.compute_output_shape([(None, 5), (None, 9, 2)]) == ((None, 2), (None, 9))
