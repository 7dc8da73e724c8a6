"""The pictures of cnn/README.md: a kernel sliding over an image, and the default network as a row of blocks.

    python -m common.diagrams cnn            # writes cnn/diagrams/cnn_convolution.svg and cnn/diagrams/cnn_network.svg

The convolution is the one of cnn/scratch.py (`conv2d_loops`), out[y, x] = sum over i, j of
image[y + i, x + j] * kernel[i, j] (+ bias, 0 here), computed below with NumPy, so the numbers in the picture are
the ones the code gives. The network is `build_model(arch="deep")` of cnn/model.py with its default flags on 28x28x1
digits. Drawn with the vocabulary of common/diagrams.py; no Keras here.
"""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from common.diagrams import COLORS, arrow, box, label, new_figure

SMALL = 9
GREY = "#6b7280"

# A digit "1" in 6x6 pixels (a bright stroke two pixels wide) and the vertical-edge kernel of cnn/scratch.py.
IMAGE = np.array([[0, 0, 10, 10, 0, 0]] * 5 + [[0, 0, 0, 0, 0, 0]])
KERNEL = np.array([[1, 0, -1]] * 3)


def feature_map(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The valid convolution (stride 1, no padding, no bias): one output per position where the kernel fits."""
    size = kernel.shape[0]
    rows, columns = image.shape[0] - size + 1, image.shape[1] - size + 1
    return np.array([[np.sum(image[y:y + size, x:x + size] * kernel) for x in range(columns)] for y in range(rows)])


def grid(axis, left: float, top: float, values: np.ndarray, color, size: float = 11) -> None:
    """A grid of unit squares with a number in each; `color(value)` fills the square."""
    for row, line in enumerate(values):
        for column, value in enumerate(line):
            axis.add_patch(Rectangle((left + column, top - row - 1), 1, 1, facecolor=color(value),
                                     edgecolor=COLORS["line"], linewidth=0.8))
            label(axis, left + column + 0.5, top - row - 0.5, f"{value:g}", size=size)


def window(axis, left: float, top: float, size: int, faint: bool = False) -> None:
    """The outline of the kernel's window: red and solid where it is now, grey and dashed at its next position."""
    axis.add_patch(Rectangle((left, top - size), size, size, fill=False,
                             edgecolor=GREY if faint else COLORS["accent"], linewidth=2.0 if faint else 3.0,
                             linestyle="--" if faint else "-", alpha=0.8 if faint else 1.0))


def convolution() -> Figure:
    """A 6x6 image, the 3x3 vertical-edge kernel at one position (and faintly at the next), and the 4x4 feature map:
    an arrow from the window to the one number it makes."""
    output = feature_map(IMAGE, KERNEL)
    figure, axis = new_figure(19.0, 10.6)
    image_left, map_left, top = 0.5, 14.0, 7.0
    kernel_left, kernel_top = 8.25, 4.6
    position, next_position = (0, 2), (0, 3)  # (row, column) of the window's top-left pixel

    grid(axis, image_left, top, IMAGE, lambda value: "#e5e7eb" if value else "white")
    grid(axis, kernel_left, kernel_top, KERNEL, lambda value: COLORS["layer"])
    grid(axis, map_left, top, output, lambda value: COLORS["state"] if value > 0 else "#fee2e2" if value < 0
         else "white")
    window(axis, image_left + next_position[1], top - next_position[0], 3, faint=True)
    window(axis, image_left + position[1], top - position[0], 3)
    axis.add_patch(Rectangle((map_left + next_position[1], top - next_position[0] - 1), 1, 1, fill=False,
                             edgecolor=GREY, linewidth=2.0, linestyle="--", alpha=0.8))
    axis.add_patch(Rectangle((map_left + position[1], top - position[0] - 1), 1, 1, fill=False,
                             edgecolor=COLORS["accent"], linewidth=3.0))

    # The window's sum goes to its cell of the feature map (red); the next position to the next cell (dashed).
    start = (image_left + position[1] + 1.5, top)
    end = (map_left + position[1] + 0.5, top)
    arrow(axis, (start[0] + 1.0, top), (end[0] + 1.0, top), color=GREY, bend=-0.28, width=1.0, alpha=0.6)
    arrow(axis, start, end, color="accent", bend=-0.3, width=1.8)
    value = output[position]
    label(axis, (start[0] + end[0]) / 2, top + 2.5,
          f"10·1 + 10·0 + 0·(−1) on each of the 3 rows = {value:g}", size=SMALL + 1, color=COLORS["accent"],
          background="white")

    label(axis, image_left + 3.0, 0.55, "image (6 × 6 pixels)", size=SMALL + 1)
    label(axis, image_left + 3.0, -0.15, "red: the window now; dashed: its next step (stride 1)", size=SMALL,
          color=GREY)
    label(axis, kernel_left + 1.5, kernel_top - 3.55, "kernel: 3 × 3 weights,", size=SMALL + 1)
    label(axis, kernel_left + 1.5, kernel_top - 4.2, "the same at every position", size=SMALL + 1)
    label(axis, map_left + 2.0, top - 4.75, "feature map (4 × 4)", size=SMALL + 1)
    label(axis, map_left + 2.0, top - 5.45, "one number per position:", size=SMALL, color=GREY)
    label(axis, map_left + 2.0, top - 6.05, "large where the image looks", size=SMALL, color=GREY)
    label(axis, map_left + 2.0, top - 6.65, "like the kernel", size=SMALL, color=GREY)
    axis.set_ylim(-0.6, 10.0)  # the captions reach below y = 0
    return figure


def tensor(axis, x: float, y: float, side: float, layers: int, shape: str,
           color: str = "state") -> tuple[float, float]:
    """A tensor as a stack of `layers` squares of side `side` (its height and width), its shape below; returns the
    x of its left and right edges."""
    step = 0.18
    depth = step * (layers - 1)
    for index in range(layers):
        offset = step * index
        axis.add_patch(Rectangle((x - (side + depth) / 2 + offset, y - (side + depth) / 2 + offset), side, side,
                                 facecolor=COLORS[color], edgecolor=COLORS["line"], linewidth=0.9))
    label(axis, x, y - 2.05, shape, size=SMALL)
    return x - (side + depth) / 2, x + (side + depth) / 2


def network() -> Figure:
    """The default network (--arch deep, 3 blocks, 32 filters) on one digit: the tensor after each block, with its
    shape (batch axis left out), and the layers between them with their parameter counts."""
    figure, axis = new_figure(27.5, 7.0, scale=0.45)
    y = 4.0
    tensors = [  # (x, side, squares in the stack, shape)
        (2.0, 2.2, 1, "image 28 × 28 × 1"),
        (6.6, 2.2, 4, "28 × 28 × 32"),
        (10.6, 1.5, 5, "14 × 14 × 64"),
        (14.2, 1.0, 6, "7 × 7 × 128"),
        (17.4, 0.6, 6, "3 × 3 × 128"),
    ]
    edges = [tensor(axis, x, y, side, layers, shape, "input" if index == 0 else "state")
             for index, (x, side, layers, shape) in enumerate(tensors)]
    steps = [
        ("augment*\nblock 1", "9,760"),
        ("pool\nblock 2", "55,808"),
        ("pool\nblock 3", "222,208"),
        ("pool", "0"),
    ]
    for (left_edges, right_edges), (text, parameters) in zip(zip(edges, edges[1:]), steps):
        start, end = left_edges[1] + 0.15, right_edges[0] - 0.15
        arrow(axis, (start, y), (end, y))
        label(axis, (start + end) / 2, y + 1.35, text, size=SMALL)
        label(axis, (start + end) / 2, y - 0.45, parameters, size=SMALL - 1, color=GREY)

    # The classifier: flatten, dropout, two dense layers, drawn as vectors (tall thin boxes).
    vectors = [(21.0, 3.2, "1,152", "flatten,\ndropout 0.3", "0"),
               (23.6, 2.0, "128", "dense,\nReLU", "147,584"),
               (26.0, 1.0, "10", "dense,\nsoftmax", "1,290")]
    previous_right = edges[-1][1]
    for x, height, size, text, parameters in vectors:
        left, bottom, right, top = box(axis, x, y, "", width=0.45, height=height,
                                       color="output" if size == "10" else "state", rounded=False)
        arrow(axis, (previous_right + 0.15, y), (left - 0.15, y))
        middle = (previous_right + left) / 2
        label(axis, middle, y + 1.35 if height < 2.5 else y + 2.0, text, size=SMALL)
        label(axis, middle, y - 0.45, parameters, size=SMALL - 1, color=GREY)
        label(axis, x, y - 2.05, size if size != "10" else "10 probabilities", size=SMALL)
        previous_right = right
    label(axis, 14.0, 0.75, "block = [Conv 3×3 – BN – ReLU] twice;  pool = max-pool 2×2;  "
                            "*augmentation in training only;  grey: parameters (436,650 in all)",
          size=SMALL, color=GREY)
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"cnn_convolution.svg": convolution(), "cnn_network.svg": network()}
