"""The pictures of attention/README.md: one decoder step with attention, and the plain encoder-decoder for contrast.

    python -m common.diagrams attention          # writes attention/diagrams/attention_step.svg and fixed_context.svg

attention_step.svg: the encoder's states h_1 .. h_6 over the characters of the date "3/3/15", one decoder step t
above them writing the "1" of "2015", and a line from every encoder state to the context vector c_t whose width and
darkness follow the attention weight alpha_{t,j}. The weights are fixed numbers chosen to illustrate (the decoder
looks mostly at the source's "1"), not the output of a trained model. fixed_context.svg: the same encoder without
attention, where the decoder sees the source only through the encoder's last state.
"""

import math

from common.diagrams import COLORS, arrow, box, circle, label, new_figure

SOURCE_CHARACTERS = ["3", "/", "3", "/", "1", "5"]
ILLUSTRATIVE_WEIGHTS = [0.04, 0.02, 0.06, 0.08, 0.70, 0.10]  # alpha_{t,j} while writing the "1" of 2015; sum 1
ENCODER_LEFT, ENCODER_SPACING = 2.6, 1.7
STATE_WIDTH, STATE_HEIGHT = 1.1, 0.8


def encoder_row(axis, state_y: float, character_y: float, characters: list[str]) -> list[float]:
    """The input characters and the encoder states above them, chained left to right; returns the states' x."""
    xs = [ENCODER_LEFT + ENCODER_SPACING * index for index in range(len(characters))]
    for index, (x, character) in enumerate(zip(xs, characters), start=1):
        box(axis, x, character_y, f'"{character}"', width=0.8, height=0.7, color="input", size=10)
        arrow(axis, (x, character_y + 0.35), (x, state_y - STATE_HEIGHT / 2))
        box(axis, x, state_y, f"$h_{index}$", width=STATE_WIDTH, height=STATE_HEIGHT, color="state")
        if index > 1:
            arrow(axis, (x - ENCODER_SPACING + STATE_WIDTH / 2, state_y), (x - STATE_WIDTH / 2, state_y))
    label(axis, 0.9, character_y, "input", size=10, color=COLORS["line"])
    label(axis, 0.9, state_y, "encoder", size=10, color=COLORS["line"])
    return xs


def attention_step():
    """One Bahdanau decoder step: weighted lines from every encoder state to the context, the context into the step."""
    figure, axis = new_figure(16.8, 11.6)
    state_y, character_y = 2.4, 0.7
    xs = encoder_row(axis, state_y, character_y, SOURCE_CHARACTERS)

    context_x, context_y, radius = (xs[0] + xs[-1]) / 2, 5.7, 0.45
    heaviest = max(ILLUSTRATIVE_WEIGHTS)
    for x, weight in zip(xs, ILLUSTRATIVE_WEIGHTS):
        start = (x, state_y + STATE_HEIGHT / 2)
        dx, dy = context_x - start[0], context_y - start[1]
        length = math.hypot(dx, dy)
        end = (context_x - dx / length * radius, context_y - dy / length * radius)
        arrow(axis, start, end, color="accent", width=0.6 + 7 * weight, alpha=0.25 + 0.75 * weight / heaviest,
              head=False)
        label(axis, start[0] + 0.42 * dx, start[1] + 0.42 * dy, f"{weight:.2f}", size=9, background="white")
    label(axis, xs[0] - 0.9, 4.1, "weights $\\alpha_{t,j}$\n(illustrative)", size=10, align="left",
          color=COLORS["accent"])
    circle(axis, context_x, context_y, "$c_t$", radius=radius, color="output")
    label(axis, 3.2, context_y + 0.1, r"context $c_t = \sum_j \alpha_{t,j}\, h_j$", size=10)

    # The decoder, one step: s_{t-1} and the previous token in, s_t and a character out.
    step_x, step_y = 13.3, 8.9
    box(axis, context_x, step_y, "$s_{t-1}$", width=STATE_WIDTH, height=STATE_HEIGHT, color="state")
    label(axis, context_x - 1.0, step_y, "decoder", size=10, align="right", color=COLORS["line"])
    left, bottom, right, top = box(axis, step_x, step_y, "decoder step\nGRUCell", width=2.4, height=1.2, size=10)
    arrow(axis, (context_x + STATE_WIDTH / 2, step_y), (left, step_y))
    arrow(axis, (context_x, step_y - STATE_HEIGHT / 2), (context_x, context_y + radius), color="line", width=1.0,
          alpha=0.8)
    axis.patches[-1].set_linestyle("--")  # the query only sets the weights: it is not added into c_t
    label(axis, context_x - 0.2, 7.45, "query: scores\nevery $h_j$", size=9, align="right")
    arrow(axis, (context_x + radius * 0.8, context_y + radius * 0.6), (left + 0.3, bottom), text="$c_t$", size=10)
    box(axis, step_x + 0.5, 6.2, '"0"', width=0.8, height=0.7, color="input", size=10)
    label(axis, step_x + 1.3, 6.2, "$y_{t-1}$", size=10, align="left")
    arrow(axis, (step_x + 0.5, 6.55), (step_x + 0.5, bottom))
    arrow(axis, (right, step_y), (16.6, step_y), text="$s_t$", size=10)
    box(axis, step_x, 10.9, '"1"', width=0.8, height=0.7, color="output", size=10)
    arrow(axis, (step_x, top), (step_x, 10.55))
    label(axis, step_x + 0.5, 10.05, "Dense, softmax", size=9, align="left")
    return figure


def fixed_context():
    """The plain encoder-decoder: the decoder starts from the encoder's last state and never sees the source again."""
    figure, axis = new_figure(17.6, 6.8)
    state_y, character_y = 2.4, 0.7
    xs = encoder_row(axis, state_y, character_y, SOURCE_CHARACTERS)
    last = xs[-1]
    box(axis, last, state_y, "", width=STATE_WIDTH + 0.2, height=STATE_HEIGHT + 0.2, color="none")
    axis.patches[-1].set_edgecolor(COLORS["accent"])
    axis.patches[-1].set_linewidth(2.0)

    decoder_y, decoder_xs = 4.6, [13.2 + 1.2 * index for index in range(4)]
    arrow(axis, (last + STATE_WIDTH / 2 + 0.1, state_y + 0.2), (decoder_xs[0] - 0.5, decoder_y - 0.2),
          color="accent", width=2.0)
    label(axis, 12.5, 2.2, "the only link:\n64 numbers", size=9, align="left", color=COLORS["accent"])
    for index, (x, character) in enumerate(zip(decoder_xs, "2015"), start=1):
        box(axis, x, decoder_y, f"$s_{index}$", width=0.9, height=STATE_HEIGHT, color="state")
        box(axis, x, 6.1, f'"{character}"', width=0.7, height=0.6, color="output", size=10)
        arrow(axis, (x, decoder_y + STATE_HEIGHT / 2), (x, 5.8))
        if index > 1:
            arrow(axis, (x - 1.2 + 0.45, decoder_y), (x - 0.45, decoder_y))
    label(axis, decoder_xs[0] - 1.0, decoder_y + 0.3, "decoder", size=10, align="right", color=COLORS["line"])
    return figure


def draw() -> dict:
    """{file name: figure} for every picture of attention/README.md."""
    return {"attention_step.svg": attention_step(), "fixed_context.svg": fixed_context()}
