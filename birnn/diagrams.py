"""The picture of birnn/README.md: two recurrent layers read the same values, one each way, merged at every step.

    python -m common.diagrams birnn      # writes birnn/diagrams/bidirectional_tagging.svg

The forward RNN reads x_1 .. x_T left to right (states f_t), the backward RNN reads x_T .. x_1 right to left
(states b_t); at every step the two states are concatenated into m_t = [f_t; b_t], and the same Dense softmax turns
each m_t into that step's tag. The values and tags are the README's worked example of the tagging task.
"""

import matplotlib.pyplot as plt
from matplotlib.patheffects import withStroke

from common.diagrams import COLORS, arrow, box, label, new_figure

VALUES = ("0.3", "0.8", "0.5", "0.1", "0.6")
TAGS = ("0", "2", "1", "0", "1")  # how many of its neighbours each value is above
COLUMN_CENTRES = (5.0, 8.2, 11.4, 14.6, 17.8)
INPUT_Y, FORWARD_Y, BACKWARD_Y, MERGE_Y, DENSE_Y, TAG_Y = 1.0, 3.3, 5.6, 7.9, 9.6, 11.2
STATE_WIDTH, STATE_HEIGHT = 1.1, 0.8
BRIDGE = [withStroke(linewidth=5, foreground="white")]  # a white edge where an arrow passes over another


def draw_bidirectional() -> plt.Figure:
    figure, axis = new_figure(20.2, 12.9)
    half_width, half_height = STATE_WIDTH / 2, STATE_HEIGHT / 2

    # ---- Names of the rows, on the left
    for y, text in ((INPUT_Y, "input: one value\nper step, $x_t$"), (FORWARD_Y, "forward RNN\nreads left to right"),
                    (BACKWARD_Y, "backward RNN\nreads right to left"), (MERGE_Y, "merge (concat)"),
                    (DENSE_Y, "Dense softmax,\nthe same at every step"), (TAG_Y, "tag: neighbours\nit is above")):
        label(axis, 0.3, y, text, size=10, align="left")

    # ---- The two chains of states: forward arrows point right, backward arrows point left
    for index, centre in enumerate(COLUMN_CENTRES):
        step = index + 1
        box(axis, centre, FORWARD_Y, f"$f_{{{step}}}$", width=STATE_WIDTH, height=STATE_HEIGHT, color="state")
        box(axis, centre, BACKWARD_Y, f"$b_{{{step}}}$", width=STATE_WIDTH, height=STATE_HEIGHT, color="state")
    for left, right in zip(COLUMN_CENTRES[:-1], COLUMN_CENTRES[1:]):
        arrow(axis, (left + half_width, FORWARD_Y), (right - half_width, FORWARD_Y))
        arrow(axis, (right - half_width, BACKWARD_Y), (left + half_width, BACKWARD_Y))
    first, last = COLUMN_CENTRES[0], COLUMN_CENTRES[-1]
    label(axis, first - half_width - 0.9, FORWARD_Y, "$0$", size=10)
    arrow(axis, (first - half_width - 0.65, FORWARD_Y), (first - half_width, FORWARD_Y))
    label(axis, last + half_width + 0.9, BACKWARD_Y, "$0$", size=10)
    arrow(axis, (last + half_width + 0.65, BACKWARD_Y), (last + half_width, BACKWARD_Y))

    # ---- Each value feeds both chains; each step's two states are merged, then tagged
    for index, centre in enumerate(COLUMN_CENTRES):
        step = index + 1
        box(axis, centre, INPUT_Y, VALUES[index], width=1.3, height=STATE_HEIGHT, color="input")
        arrow(axis, (centre, INPUT_Y + half_height), (centre, FORWARD_Y - half_height))
        # to the backward state: round the right side of f_t, over the forward arrow
        arrow(axis, (centre + 0.4, INPUT_Y + half_height), (centre + 0.4, BACKWARD_Y - half_height), bend=0.45)
        axis.patches[-1].set_path_effects(BRIDGE)
        box(axis, centre, MERGE_Y, f"$[f_{{{step}}};\\, b_{{{step}}}]$", width=1.9, height=STATE_HEIGHT,
            color="state")
        arrow(axis, (centre, BACKWARD_Y + half_height), (centre, MERGE_Y - half_height))
        # from the forward state: round the left side of b_t, over the backward arrow
        arrow(axis, (centre - 0.4, FORWARD_Y + half_height), (centre - 0.4, MERGE_Y - half_height), bend=-0.45)
        axis.patches[-1].set_path_effects(BRIDGE)
        box(axis, centre, DENSE_Y, "softmax", width=1.9, height=STATE_HEIGHT, color="layer", size=10)
        arrow(axis, (centre, MERGE_Y + half_height), (centre, DENSE_Y - half_height))
        box(axis, centre, TAG_Y, TAGS[index], width=1.1, height=STATE_HEIGHT, color="output")
        arrow(axis, (centre, DENSE_Y + half_height), (centre, TAG_Y - half_height))
    label(axis, (COLUMN_CENTRES[0] + COLUMN_CENTRES[-1]) / 2, TAG_Y + 1.0,
          "0.8 is above both neighbours: tag 2, a peak; the forward RNN alone has not yet seen the 0.5 after it",
          size=9.5, color=COLORS["line"], style="italic")
    return figure


def draw() -> dict[str, plt.Figure]:
    """{file name: figure} for python -m common.diagrams birnn."""
    return {"bidirectional_tagging.svg": draw_bidirectional()}
