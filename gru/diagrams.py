"""The pictures of gru/README.md, drawn with common/diagrams.py.

    python -m common.diagrams gru        # writes gru/diagrams/gru_cell.svg and gru/diagrams/gru_stack.svg

gru_cell.svg is one step of the cell in Keras' convention (gru/model.py, keras.layers.GRU with reset_after=True): the
previous state h_{t-1} and the input x_t go into both gates and into the candidate; the update gate z_t keeps that
share of the old state, 1 - z_t takes the rest from the candidate:

    z_t  = sigmoid(x_t W_z + h_{t-1} U_z + b_z)
    r_t  = sigmoid(x_t W_r + h_{t-1} U_r + b_r)
    h~_t = tanh(x_t W_h + r_t * (h_{t-1} U_h + b_rh) + b_h)
    h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t

gru_stack.svg is a deep GRU (--layers 2) unrolled over three characters.
"""

from matplotlib.figure import Figure

from common.diagrams import arrow, box, circle, label, new_figure

STATE_LINE = "#047857"  # h_{t-1} and its paths: a darker shade of the palette's state green
INPUT_LINE = "#1d4ed8"  # x_t and its paths: a darker shade of the palette's input blue


def draw_cell() -> Figure:
    """One time step of the GRU cell: two gates, the candidate, and the mix that gives h_t."""
    figure, axis = new_figure(18.2, 11.4)
    top = 9.0  # the height of the state line, from h_{t-1} to h_t
    gate_y = 5.2
    update_x, reset_x, candidate_x = 4.4, 7.6, 12.9

    label(axis, 9.0, 10.75, "$h_t = z_t \\odot h_{t-1} + (1 - z_t) \\odot \\tilde{h}_t$     "
          "($\\odot$: elementwise)", size=12)

    # The previous state and the input.
    previous = box(axis, 1.3, top, "$h_{t-1}$", width=1.6, height=0.9, color="state", size=13)
    box(axis, 1.3, 1.0, "$x_t$", width=1.6, height=0.9, color="input", size=13)

    # The three blocks that read h_{t-1} and x_t.
    update = box(axis, update_x, gate_y, "update gate $z_t$\nsigmoid", width=2.8, height=1.3, color="gate")
    reset = box(axis, reset_x, gate_y, "reset gate $r_t$\nsigmoid", width=2.8, height=1.3, color="gate")
    candidate = box(axis, candidate_x, gate_y, "candidate $\\tilde{h}_t$\ntanh", width=2.8, height=1.3,
                    color="layer")

    # h_{t-1} runs down the left into its own bus, x_t along the bottom into another; each block reads both.
    h_bus, x_bus = 3.0, 1.0
    axis.plot([1.3, 1.3, candidate_x - 0.5], [previous[1], h_bus, h_bus], color=STATE_LINE, linewidth=1.4)
    axis.plot([2.1, candidate_x + 0.5], [x_bus, x_bus], color=INPUT_LINE, linewidth=1.4)
    label(axis, 2.3, h_bus + 0.3, "$h_{t-1}$", color=STATE_LINE, size=10)
    label(axis, 2.6, x_bus + 0.3, "$x_t$", color=INPUT_LINE, size=10)
    for x in (update_x, reset_x, candidate_x):
        arrow(axis, (x - 0.5, h_bus), (x - 0.5, gate_y - 0.65), color=STATE_LINE)
        arrow(axis, (x + 0.5, x_bus), (x + 0.5, gate_y - 0.65), color=INPUT_LINE)
    label(axis, candidate_x + 2.9, 2.0, "each block has its own\nW (for $x_t$) and U (for $h_{t-1}$)", size=9)

    # The reset gate scales the old state's part of the candidate.
    arrow(axis, (reset[2], gate_y), (candidate[0], gate_y))
    label(axis, (reset[2] + candidate[0]) / 2, gate_y + 0.45, "$r_t \\odot (h_{t-1} U_h + b_{rh})$", size=9)

    # The mix: z_t keeps that share of h_{t-1}; 1 - z_t takes the rest from the candidate.
    keep_x, mix_y = update_x, 7.3
    arrow(axis, (previous[2], top), (keep_x - 0.35, top), color=STATE_LINE)
    circle(axis, keep_x, top, "$\\times$", color="plain")
    arrow(axis, (update_x, update[3]), (keep_x, top - 0.35))
    circle(axis, 6.4, mix_y, "$1-$", color="plain", size=10)
    arrow(axis, (update[2] - 0.3, update[3]), (6.4 - 0.25, mix_y - 0.25))
    circle(axis, candidate_x, mix_y, "$\\times$", color="plain")
    arrow(axis, (6.4 + 0.35, mix_y), (candidate_x - 0.35, mix_y))
    label(axis, 9.5, mix_y + 0.35, "$1 - z_t$", size=10)
    arrow(axis, (candidate_x, candidate[3]), (candidate_x, mix_y - 0.35))
    plus_x = 15.0
    circle(axis, plus_x, top, "$+$", color="plain")
    arrow(axis, (keep_x + 0.35, top), (plus_x - 0.35, top))
    label(axis, 9.6, top + 0.35, "$z_t \\odot h_{t-1}$: the share of the old state kept", size=10)
    arrow(axis, (candidate_x + 0.25, mix_y + 0.25), (plus_x - 0.25, top - 0.25))
    label(axis, 14.45, mix_y + 0.1, "$(1 - z_t) \\odot \\tilde{h}_t$", size=10, align="left")
    current = box(axis, 17.0, top, "$h_t$", width=1.4, height=0.9, color="state", size=13)
    arrow(axis, (plus_x + 0.35, top), (current[0], top))
    label(axis, 17.0, top - 0.85, "to step t+1\nand upwards", size=9)
    return figure


def draw_stack() -> Figure:
    """A deep GRU (--layers 2) unrolled over three characters: each layer reads the states of the one below."""
    figure, axis = new_figure(14.0, 8.2)
    columns = (4.0, 7.5, 11.0)
    rows = {"inputs": 0.9, "layer 1": 3.2, "layer 2": 5.3, "outputs": 7.4}
    for step, x in enumerate(columns, start=1):
        box(axis, x, rows["inputs"], f"$x_{step}$", width=1.6, height=0.8, color="input")
        box(axis, x, rows["layer 1"], "GRU 1", width=1.8, height=0.9, color="layer")
        box(axis, x, rows["layer 2"], "GRU 2", width=1.8, height=0.9, color="layer")
        box(axis, x, rows["outputs"], f"$y_{step}$", width=1.6, height=0.8, color="output")
        arrow(axis, (x, rows["inputs"] + 0.4), (x, rows["layer 1"] - 0.45))
        arrow(axis, (x, rows["layer 1"] + 0.45), (x, rows["layer 2"] - 0.45))
        arrow(axis, (x, rows["layer 2"] + 0.45), (x, rows["outputs"] - 0.4))
    for left, right in zip(columns, columns[1:]):
        for row in ("layer 1", "layer 2"):
            arrow(axis, (left + 0.9, rows[row]), (right - 0.9, rows[row]), color=STATE_LINE)
    label(axis, 1.4, rows["inputs"], "the characters'\nembeddings", size=9)
    label(axis, 1.4, rows["layer 1"], "reads the\nembeddings", size=9)
    label(axis, 1.4, rows["layer 2"], "reads layer 1's\nstates $h_t$", size=9)
    label(axis, 1.4, rows["outputs"], "softmax over the\ncharacters", size=9)
    label(axis, 12.9, (rows["layer 1"] + rows["layer 2"]) / 2, "each layer's\nstate through\ntime", size=9,
          color=STATE_LINE)
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"gru_cell.svg": draw_cell(), "gru_stack.svg": draw_stack()}
