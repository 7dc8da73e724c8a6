"""Tests of transformer/scratch.py: one head, several heads, the mask, the positions and a block against the Keras
layers with the same weights, the hand-written attention gradient against central differences, and the CLI.

    python -m pytest tests/test_transformer_scratch.py -q
"""


import numpy as np
import pytest

from transformer import scratch

BATCH, TIME, WIDTH = 2, 5, 8


def numpy(keras, x):
    return keras.ops.convert_to_numpy(x)


def test_one_head_equals_the_model(keras, transformer):
    rng = np.random.default_rng(0)
    queries, keys = rng.normal(size=(BATCH, TIME, 4)), rng.normal(size=(BATCH, 7, 4))
    values = rng.normal(size=(BATCH, 7, 3))
    mask = np.ones((BATCH, TIME, 7), dtype=bool)
    mask[0, :, 4:] = False
    for given in (None, mask):
        expected_output, expected_weights = (numpy(keras, x) for x in transformer.scaled_dot_product_attention(
            queries.astype("float32"), keys.astype("float32"), values.astype("float32"), given))
        output, weights = scratch.scaled_dot_product_attention(queries, keys, values, given)
        assert output.shape == (BATCH, TIME, 3) and weights.shape == (BATCH, TIME, 7)
        np.testing.assert_allclose(weights, expected_weights, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(output, expected_output, rtol=1e-5, atol=1e-6)
    assert np.all(weights[0, :, 4:] == 0.0)


@pytest.mark.parametrize("case", ["self", "self causal", "cross padding"])
def test_several_heads_equal_keras_multi_head_attention(case, keras):
    rng = np.random.default_rng(1)
    query = rng.normal(size=(BATCH, TIME, WIDTH)).astype("float32")
    value = query if "self" in case else rng.normal(size=(BATCH, 7, 6)).astype("float32")
    mask = None
    if "padding" in case:
        mask = np.ones((BATCH, TIME, value.shape[1]), dtype=bool)
        mask[1, :, -3:] = False
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    expected, expected_weights = (numpy(keras, x) for x in layer(query, value, attention_mask=mask,
                                                                 use_causal_mask="causal" in case,
                                                                 return_attention_scores=True))
    weights = [w.astype("float64") for w in layer.get_weights()]
    output, attention = scratch.multi_head_attention(query.astype("float64"), value.astype("float64"), weights,
                                                     mask=mask, causal="causal" in case)
    assert output.shape == (BATCH, TIME, WIDTH) and attention.shape == (BATCH, 2, TIME, value.shape[1])
    np.testing.assert_allclose(attention, expected_weights, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)


def test_causal_mask_equals_the_model(keras, transformer):
    for length, offset in ((1, 0), (5, 0), (3, 4)):
        np.testing.assert_array_equal(scratch.causal_mask(length, offset),
                                      numpy(keras, transformer.causal_mask(length, offset)))
    np.testing.assert_array_equal(scratch.causal_mask(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]])


@pytest.mark.parametrize("d_model", [8, 7])
def test_sinusoidal_positions_equal_the_keras_layer(d_model, keras, transformer):
    layer = transformer.SinusoidalPositionalEncoding(max_length=40)
    zeros = np.zeros((1, 9, d_model), dtype="float32")
    for start in (0, 30):
        expected = numpy(keras, layer(zeros, start=start))[0]
        np.testing.assert_allclose(scratch.sinusoidal_positions(9, d_model, start), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scratch.sinusoidal_positions(40, d_model), transformer.sinusoidal_table(40, d_model),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_block_equals_the_keras_transformer_block(activation, keras, transformer):
    keras.utils.set_random_seed(2)
    x = np.random.default_rng(2).normal(size=(BATCH, TIME, WIDTH)).astype("float32")
    block = transformer.TransformerBlock(num_heads=2, ff_dim=16, causal=True, activation=activation)
    block(x)  # builds it
    rng = np.random.default_rng(3)  # biases, gamma and beta away from their 0 and 1, so that copying them is tested
    block.set_weights([w + rng.normal(0, 0.1, w.shape).astype("float32") for w in block.get_weights()])
    expected = numpy(keras, block(x))
    params = {part: [w.astype("float64") for w in getattr(block, part).get_weights()] for part in scratch.BLOCK_PARTS}
    assert sum(len(weights) for weights in params.values()) == len(block.get_weights())  # every weight is copied
    output = scratch.transformer_block(x.astype("float64"), params, causal=True, activation=activation)
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_hand_written_attention_gradient_equals_central_differences(seed):
    errors = scratch.gradient_check(seed=seed)
    assert set(errors) == set(scratch.GRADIENT_NAMES)
    assert max(errors.values()) < 1e-6


def test_scaling_table_shows_the_variance_grow_with_d_k():
    table = scratch.scaling_table(d_values=(4, 64), samples=500)
    for d_k, row in table.items():
        assert row["variance"] == pytest.approx(d_k, rel=0.2)
        assert row["largest_scaled"] < 0.3 < row["largest_unscaled"]
    assert table[64]["slope_unscaled"] < 0.5 * table[64]["slope_scaled"]


def test_main_prints_its_checks(run_main):
    result, out, _ = run_main(scratch.main, ["--sequence-length", "4", "--d-model", "6", "--num-heads", "3"])
    assert result["max_future_weight"] == 0.0 and result["max_earlier_change"] == 0.0
    assert result["gradient_check_max_rel_error"] < 1e-6
    assert result["weights"].shape == (1, 3, 4, 4)
    assert out[out.index("causal attention weights of head 1 (row: query position, column: key position):") + 2] \
        .split() == ["1", "1.000", "0.000", "0.000", "0.000"]
    assert any(line.split()[:1] == ["256"] for line in out)  # a row of the scaling table
    assert out[-1].startswith("max_future_weight=0 gradient_check_max_rel_error=")


def test_bad_flag_is_one_line_exit_2(run_main):
    result, _, err = run_main(scratch.main, ["--d-model", "10", "--num-heads", "4"])
    assert isinstance(result, SystemExit) and result.code == 2 and len(err) == 1 and "multiple of" in err[0]
    assert err[0].startswith("transformer/scratch.py: error: ")


def test_numpy_only(assert_numpy_only):
    assert_numpy_only("transformer.scratch")
