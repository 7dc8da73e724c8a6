"""The drawn pictures of ann/README.md: one neuron with the worked example's numbers, and the default dense network.

    python -m common.diagrams ann      # writes ann/diagrams/neuron.svg and ann/diagrams/dense_network.svg

Drawn with the vocabulary of common/diagrams.py (boxes, circles, arrows, labels); no Keras import, so the pictures
can be redrawn on a machine without TensorFlow.
"""

import math

from matplotlib.figure import Figure
from matplotlib.patches import Circle

from common.diagrams import COLORS, arrow, box, circle, label, new_figure


def edge_point(center: tuple[float, float], toward: tuple[float, float], radius: float) -> tuple[float, float]:
    """The point on a circle of `radius` around `center` that faces `toward` (where a line to `toward` leaves it)."""
    delta_x, delta_y = toward[0] - center[0], toward[1] - center[1]
    distance = math.hypot(delta_x, delta_y)
    return center[0] + radius * delta_x / distance, center[1] + radius * delta_y / distance


def draw_neuron() -> Figure:
    """One neuron: two inputs, a weight on each, a bias, the sum z, the sigmoid, the output a (worked_example())."""
    figure, axis = new_figure(15.0, 7.0)
    label(axis, 7.5, 6.4, "z = w1·x1 + w2·x2 + b = 0.4·2 + 0.3·5 + 0.2 = 2.5", size=12)

    _, _, input_right, _ = box(axis, 1.6, 4.6, "x1 = 2\nhours studied", width=2.6, height=1.1, color="input")
    box(axis, 1.6, 2.0, "x2 = 5\nhours slept", width=2.6, height=1.1, color="input")
    sum_center, sum_radius = (7.0, 3.3), 0.55
    circle(axis, *sum_center, "Σ", radius=sum_radius, color="layer", size=16)
    arrow(axis, (input_right, 4.6), edge_point(sum_center, (input_right, 4.6), sum_radius), "w1 = 0.4")
    arrow(axis, (input_right, 2.0), edge_point(sum_center, (input_right, 2.0), sum_radius), "w2 = 0.3")
    _, _, _, bias_top = box(axis, 7.0, 1.0, "bias b = 0.2", width=2.4, height=0.7, color="plain")
    arrow(axis, (7.0, bias_top), (7.0, sum_center[1] - sum_radius))

    activation_left, _, activation_right, _ = box(axis, 10.3, 3.3, "sigmoid", width=1.8, height=0.9, color="gate")
    arrow(axis, (sum_center[0] + sum_radius, 3.3), (activation_left, 3.3), "z = 2.5", size=10)
    output_left, _, _, _ = box(axis, 13.4, 3.3, "a ≈ 0.924\np(pass)", width=2.0, height=1.1, color="output")
    arrow(axis, (activation_right, 3.3), (output_left, 3.3))

    grey = COLORS["line"]
    label(axis, 1.6, 0.9, "inputs\n(like dendrites)", size=9, color=grey, style="italic")
    label(axis, 9.6, 1.6, "weighted sum and\nthreshold-like activation\n(like the cell body)", size=9, color=grey,
          style="italic", align="left")
    label(axis, 13.4, 1.9, "output\n(like the axon)", size=9, color=grey, style="italic")
    return figure


def neuron_column(axis, x: float, count: int, middle: float, spacing: float, radius: float, color: str,
                  texts: list[str] | None = None, dropped: tuple[int, ...] = (),
                  dots_after: int | None = None) -> list[tuple[float, float, bool]]:
    """A column of `count` neurons centred on height `middle`; `dropped` ones are greyed and crossed (dropout), and
    vertical dots after position `dots_after` stand for the neurons not drawn. Returns (x, y, dropped) of each."""
    slots = count + (dots_after is not None)
    y = middle + spacing * (slots - 1) / 2
    neurons = []
    for index in range(count):
        is_dropped = index in dropped
        circle(axis, x, y, "" if texts is None else texts[index], radius=radius,
               color="plain" if is_dropped else color, size=8)
        if is_dropped:
            offset = radius * 0.6
            for sign in (1, -1):
                axis.plot([x - offset, x + offset], [y - sign * offset, y + sign * offset], color=COLORS["accent"],
                          linewidth=1.4)
        neurons.append((x, y, is_dropped))
        y -= spacing
        if dots_after is not None and index == dots_after:
            label(axis, x, y, "⋮", size=14)
            y -= spacing
    return neurons


def connect(axis, left: list[tuple[float, float, bool]], right: list[tuple[float, float, bool]],
            radius_left: float, radius_right: float) -> None:
    """Every neuron of the left column to every neuron of the right one: what "fully connected" means. A neuron
    dropped by dropout sends nothing on, so no line leaves it."""
    for start_x, start_y, start_dropped in left:
        if start_dropped:
            continue
        for end_x, end_y, _ in right:
            start, end = (start_x, start_y), (end_x, end_y)
            axis.plot(*zip(edge_point(start, end, radius_left), edge_point(end, start, radius_right)),
                      color=COLORS["line"], linewidth=0.5, alpha=0.35)


def draw_dense_network() -> Figure:
    """The default network for digits: 64 features, Dense(256, relu), Dense(128, relu), Dense(10, softmax)."""
    figure, axis = new_figure(22.0, 11.0)
    label(axis, 11.0, 10.4, "the default network for digits: 64 → 256 → 128 → 10, 50,826 parameters", size=12)
    radius, middle, output_radius = 0.32, 6.3, 0.28
    features = neuron_column(axis, 2.5, 4, middle, 1.1, radius, "input", ["x1", "x2", "x3", "x64"], dots_after=2)
    hidden_1 = neuron_column(axis, 8.0, 6, middle, 0.85, radius, "layer", dropped=(1, 4), dots_after=4)
    hidden_2 = neuron_column(axis, 13.0, 5, middle, 0.85, radius, "layer", dropped=(2,), dots_after=3)
    outputs = neuron_column(axis, 18.0, 10, middle, 0.72, output_radius, "output",
                            [str(digit) for digit in range(10)])
    connect(axis, features, hidden_1, radius, radius)
    connect(axis, hidden_1, hidden_2, radius, radius)
    connect(axis, hidden_2, outputs, radius, output_radius)
    answer_x, answer_y, _ = outputs[3]
    axis.add_patch(Circle((answer_x, answer_y), output_radius + 0.08, fill=False, edgecolor=COLORS["accent"],
                          linewidth=1.6))
    label(axis, 18.55, answer_y, "← largest probability:\n    the answer", size=9, align="left",
          color=COLORS["accent"])

    captions = [
        (2.5, "features\n64 standardized pixels\n(batch, 64)\nno parameters"),
        (8.0, "hidden_1: Dense(256, relu)\nthen dropout_1: Dropout(0.4)\n(batch, 256)\n"
              "64·256 + 256 = 16,640 parameters"),
        (13.0, "hidden_2: Dense(128, relu)\nthen dropout_2: Dropout(0.4)\n(batch, 128)\n"
               "256·128 + 128 = 32,896 parameters"),
        (18.0, "output: Dense(10, softmax)\nten probabilities, sum 1\n(batch, 10)\n128·10 + 10 = 1,290 parameters"),
    ]
    for x, text in captions:
        label(axis, x, 1.75, text, size=9.5, linespacing=1.5)
    legend_x, legend_y, legend_radius = 6.2, 0.35, 0.22
    circle(axis, legend_x, legend_y, "", radius=legend_radius, color="plain")
    offset = legend_radius * 0.6
    for sign in (1, -1):
        axis.plot([legend_x - offset, legend_x + offset], [legend_y - sign * offset, legend_y + sign * offset],
                  color=COLORS["accent"], linewidth=1.2)
    label(axis, legend_x + 0.45, legend_y, "dropped at this training step by dropout: it sends nothing on "
          "(never at test time)", size=9, align="left")
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"neuron.svg": draw_neuron(), "dense_network.svg": draw_dense_network()}
