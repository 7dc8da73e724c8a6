"""Tests of birnn/scratch.py: the NumPy bidirectional pass against keras.layers.Bidirectional(SimpleRNN)."""

import numpy as np
import pytest

from birnn import scratch


@pytest.mark.parametrize("merge_mode", scratch.MERGE_MODES)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_matches_keras_bidirectional_simple_rnn(merge_mode, return_sequences, keras):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (4, 7, 3)).astype("float32")
    layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(5, return_sequences=return_sequences),
                                       merge_mode=merge_mode)
    layer(x)  # builds the weights
    weights = [rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)  # forward kernel, recurrent kernel, bias, then the backward ones
    expected = keras.ops.convert_to_numpy(layer(x))
    ours = scratch.bidirectional_forward(x, weights[:3], weights[3:], merge_mode, return_sequences)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_merge_modes_by_hand():
    forward, backward = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]])
    assert scratch.merge(forward, backward, "concat").tolist() == [[1, 2, 3, -1]]
    assert scratch.merge(forward, backward, "sum").tolist() == [[4, 1]]
    assert scratch.merge(forward, backward, "ave").tolist() == [[2, 0.5]]
    assert scratch.merge(forward, backward, "mul").tolist() == [[3, -2]]
    with pytest.raises(ValueError, match="--merge-mode"):
        scratch.merge(forward, backward, "max")


def test_main_shows_that_only_the_backward_direction_sees_the_last_input(run_main):
    result, out, _ = run_main(scratch.main, ["--units", "3", "--sequence-length", "5"])
    assert result["forward_change_at_step_1"] == 0.0 and result["backward_change_at_step_1"] > 1e-3
    assert result["shapes"]["concat"] == (1, 5, 6) and result["shapes"]["sum"] == (1, 5, 3)
    assert out[-1].startswith("forward_change_at_step_1=0.0e+00")


def test_bad_flag_is_one_line_exit_2(run_main):
    result, _, err = run_main(scratch.main, ["--merge-mode", "max"])
    assert isinstance(result, SystemExit) and result.code == 2 and len(err) == 1


def test_numpy_only(assert_numpy_only):
    assert_numpy_only("birnn.scratch")
