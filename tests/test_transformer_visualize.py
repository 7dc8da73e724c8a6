"""transformer/model.py's attention_weights and transformer/visualize.py's pictures, on a small untrained GPT."""

import matplotlib.image
import numpy as np
import pytest


@pytest.fixture(scope="module")
def small_gpt():
    import keras

    from common.text import CharVocabulary
    from transformer.model import build_model

    keras.utils.set_random_seed(0)
    vocabulary = CharVocabulary.from_text("def return(x): \n")
    return build_model(len(vocabulary), context_length=24, d_model=16, num_heads=2, num_layers=2, ff_dim=32,
                       dropout_rate=0.0), vocabulary


def test_attention_weights_are_causal_rows_that_sum_to_one(small_gpt):
    from transformer.model import attention_weights

    model, vocabulary = small_gpt
    text = "def f(x): return x"
    weights = attention_weights(model, vocabulary.encode(text))
    assert len(weights) == 2 and all(w.shape == (2, len(text), len(text)) for w in weights)
    for block in weights:
        np.testing.assert_allclose(block.sum(axis=-1), 1.0, atol=1e-5)
        assert np.all(np.triu(block, k=1) == 0)  # nothing after the reading position
    # The first block's weights are those its own attention layer gives on the embedded, positioned input.
    x = model.get_layer("positions")(model.get_layer("token_embedding")(vocabulary.encode(text)[None, :]))
    block = model.get_layer("block_1")
    normed = block.attention_norm(x)
    _, expected = block.self_attention(normed, normed, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(weights[0], np.asarray(expected)[0], atol=1e-6)


def test_the_pictures_are_drawn(small_gpt, tmp_path):
    from transformer.visualize import plot_attention_heads, plot_positions

    model, vocabulary = small_gpt
    for path in (plot_attention_heads(model, vocabulary, "def f(x):\n return x", tmp_path / "heads.png"),
                 plot_positions(model, tmp_path / "positions.png")):
        picture = matplotlib.image.imread(path)
        assert picture.shape[0] > 200 and picture.shape[1] > 200 and picture.std() > 0.01, path.name
