"""The picture of deep_rnn/README.md: a stack of two recurrent layers unrolled over the rows of a digit.

    python -m common.diagrams deep_rnn      # writes deep_rnn/diagrams/stacked_rnn.svg

Layer 1 reads the pixel rows x_1 .. x_T, one per step; its whole sequence of states h(1)_1 .. h(1)_T is what layer 2
reads; only the last state of layer 2 goes to the Dense softmax that names the digit. The dashed red arrow is the
residual connection of --residual: a layer's input added to its output.
"""

import matplotlib.pyplot as plt

from common.diagrams import COLORS, arrow, box, circle, label, new_figure

COLUMN_CENTRES = (5.2, 7.8, 10.4, 14.4)  # steps 1, 2, 3 and T; the gap between 3 and T stands for the steps left out
STEP_NAMES = ("1", "2", "3", "T")
ROW_NAMES = ("row 1", "row 2", "row 3", "row 28")
INPUT_Y, LAYER_1_Y, LAYER_2_Y, ADD_Y, DENSE_Y, OUTPUT_Y = 1.0, 3.4, 5.8, 7.6, 8.9, 10.4
STATE_WIDTH, STATE_HEIGHT = 1.5, 0.8


def draw_layer(axis: plt.Axes, layer: int, y: float) -> None:
    """One recurrent layer unrolled in time: a state per step, each handed to the next step by the same weights."""
    for centre, step in zip(COLUMN_CENTRES, STEP_NAMES):
        box(axis, centre, y, f"$h^{{({layer})}}_{{{step}}}$", width=STATE_WIDTH, height=STATE_HEIGHT, color="state")
    half = STATE_WIDTH / 2
    label(axis, COLUMN_CENTRES[0] - half - 0.85, y, "$0$", size=10)
    arrow(axis, (COLUMN_CENTRES[0] - half - 0.6, y), (COLUMN_CENTRES[0] - half, y))  # the state before step 1 is 0
    for left, right in zip(COLUMN_CENTRES[:2], COLUMN_CENTRES[1:3]):
        arrow(axis, (left + half, y), (right - half, y))
    arrow(axis, (COLUMN_CENTRES[2] + half, y), (COLUMN_CENTRES[2] + half + 0.8, y))  # on to the steps left out ...
    label(axis, (COLUMN_CENTRES[2] + COLUMN_CENTRES[3]) / 2, y, "...", size=13)
    arrow(axis, (COLUMN_CENTRES[3] - half - 0.8, y), (COLUMN_CENTRES[3] - half, y))  # ... and back in at step T


def draw_stack() -> plt.Figure:
    figure, axis = new_figure(19.2, 11.4)
    half_height = STATE_HEIGHT / 2

    # ---- Names of the rows, on the left
    for y, text in ((INPUT_Y, "input: pixel rows"), (LAYER_1_Y, "layer 1\n(recurrent_1)"),
                    (LAYER_2_Y, "layer 2\n(recurrent_2)"), (DENSE_Y, "output layer"), (OUTPUT_Y, "prediction")):
        label(axis, 0.3, y, text, size=10.5, align="left")

    # ---- The input: one row of 28 pixels per step
    for centre, step, row in zip(COLUMN_CENTRES, STEP_NAMES, ROW_NAMES):
        box(axis, centre, INPUT_Y, f"$x_{{{step}}}$: {row}", width=2.0, height=STATE_HEIGHT, color="input", size=10)
        arrow(axis, (centre, INPUT_Y + half_height), (centre, LAYER_1_Y - half_height))

    # ---- Two recurrent layers; layer 1 hands its whole sequence of states up (return_sequences=True)
    draw_layer(axis, 1, LAYER_1_Y)
    draw_layer(axis, 2, LAYER_2_Y)
    for centre in COLUMN_CENTRES:
        arrow(axis, (centre, LAYER_1_Y + half_height), (centre, LAYER_2_Y - half_height))
    label(axis, (COLUMN_CENTRES[2] + COLUMN_CENTRES[3]) / 2, (LAYER_1_Y + LAYER_2_Y) / 2, "every state\ngoes up",
          size=9.5, color=COLORS["line"], style="italic")

    # ---- Only the top layer's last state reaches the Dense softmax
    top = COLUMN_CENTRES[3]
    circle(axis, top, ADD_Y, "+", radius=0.3, color="plain")
    axis.patches[-1].set_edgecolor(COLORS["accent"])  # the sum is there only with --residual
    arrow(axis, (top, LAYER_2_Y + half_height), (top, ADD_Y - 0.3))
    box(axis, top, DENSE_Y, "Dense(10, softmax)", width=3.4, height=STATE_HEIGHT, color="layer", size=10)
    arrow(axis, (top, ADD_Y + 0.3), (top, DENSE_Y - half_height))
    box(axis, top, OUTPUT_Y, "10 probabilities, one per digit", width=4.6, height=STATE_HEIGHT, color="output", size=10)
    arrow(axis, (top, DENSE_Y + half_height), (top, OUTPUT_Y - half_height))
    label(axis, top - 0.6, ADD_Y + 0.1, "only the top layer's last state goes on:\nby then it has read all 28 rows",
          size=9.5, color=COLORS["line"], style="italic", align="right")

    # ---- --residual: layer 2's input (layer 1's state) is added to layer 2's output, around the layer
    start = (top + STATE_WIDTH / 2, LAYER_1_Y + 0.15)
    end = (top + 0.3, ADD_Y)
    arrow(axis, start, end, color="accent", bend=0.35)
    axis.patches[-1].set_linestyle((0, (4, 3)))
    label(axis, 16.4, LAYER_2_Y, "--residual:\nadd the layer's\ninput to its\noutput", size=9.5,
          color=COLORS["accent"], align="left")
    return figure


def draw() -> dict[str, plt.Figure]:
    """{file name: figure} for python -m common.diagrams deep_rnn."""
    return {"stacked_rnn.svg": draw_stack()}
