"""The pictures of rnn/README.md: a recurrent network unrolled in time, and many-to-one beside many-to-many.

    python -m common.diagrams rnn            # writes rnn/diagrams/rnn_unrolled.svg and rnn/diagrams/rnn_tasks.svg

The cell is the one of rnn/model.py and rnn/scratch.py, h_t = tanh(x_t W + h_{t-1} U + b), with W = `kernel`,
U = `recurrent_kernel` and b = `bias`. Drawn with the vocabulary of common/diagrams.py; no Keras here.
"""

from matplotlib.figure import Figure

from common.diagrams import arrow, box, label, new_figure

CELL_WIDTH, CELL_HEIGHT = 1.9, 1.2
SMALL = 9


def cell(axis, x: float, y: float, step: str) -> tuple[float, float, float, float]:
    """One copy of the recurrent cell: the same weights W, U, b in every copy; `step` names its time step."""
    edges = box(axis, x, y, "", width=CELL_WIDTH, height=CELL_HEIGHT, color="layer")
    label(axis, x, y + 0.25, "tanh")
    label(axis, x, y - 0.25, "$W,\\ U,\\ b$", size=SMALL)
    if step:
        label(axis, x + CELL_WIDTH / 2 - 0.05, y + CELL_HEIGHT / 2 + 0.22, step, size=SMALL, align="right",
              color="#6b7280")
    return edges


def unrolled() -> Figure:
    """The folded cell with its loop, '=', and the same cell copied over t = 1 .. T, h_t handed to the right."""
    figure, axis = new_figure(20.0, 7.6)
    middle, input_y, output_y = 3.9, 1.5, 6.3

    # The folded network: one cell, a loop that hands its state back to itself at the next step.
    x = 2.2
    left, bottom, right, top = cell(axis, x, middle, "")
    box(axis, x, input_y, "$x_t$", width=1.0, height=0.7, color="input")
    box(axis, x, output_y, "$y_t$", width=1.0, height=0.7, color="output")
    arrow(axis, (x, input_y + 0.35), (x, bottom))
    arrow(axis, (x, top), (x, output_y - 0.35))
    arrow(axis, (right, middle - 0.3), (right, middle + 0.3), bend=2.8, color="accent", width=1.5)
    label(axis, right + 0.55, middle + 0.95, "$h_{t-1}$", color="#dc2626")
    label(axis, x, 0.45, "folded: one cell,\na loop in time", size=SMALL, color="#6b7280")

    label(axis, 5.0, middle, "=", size=26)

    # The unrolled network: one copy of the cell per time step, each handing h_t to the next.
    state_x, columns = 6.6, {"t = 1": 9.0, "t = 2": 12.2, "t = T": 16.6}
    box(axis, state_x, middle, "$h_0 = 0$", width=1.3, height=0.7, color="state", size=SMALL + 1)
    inputs = {"t = 1": "$x_1$", "t = 2": "$x_2$", "t = T": "$x_T$"}
    outputs = {"t = 1": "$y_1$", "t = 2": "$y_2$", "t = T": "$y_T$"}
    edges = {}
    for step, column in columns.items():
        edges[step] = cell(axis, column, middle, step)
        box(axis, column, input_y, inputs[step], width=1.0, height=0.7, color="input")
        box(axis, column, output_y, outputs[step], width=1.0, height=0.7, color="output")
        arrow(axis, (column, input_y + 0.35), (column, edges[step][1]))
        arrow(axis, (column, edges[step][3]), (column, output_y - 0.35))
    dots_x = (columns["t = 2"] + columns["t = T"]) / 2
    label(axis, dots_x, middle, ". . .", size=14)
    arrow(axis, (state_x + 0.65, middle), (edges["t = 1"][0], middle), color="accent", width=1.5)
    arrow(axis, (edges["t = 1"][2], middle), (edges["t = 2"][0], middle), color="accent", width=1.5)
    label(axis, (edges["t = 1"][2] + edges["t = 2"][0]) / 2, middle + 0.32, "$h_1$", color="#dc2626")
    arrow(axis, (edges["t = 2"][2], middle), (dots_x - 0.55, middle), color="accent", width=1.5)
    label(axis, (edges["t = 2"][2] + dots_x - 0.55) / 2, middle + 0.32, "$h_2$", color="#dc2626")
    arrow(axis, (dots_x + 0.55, middle), (edges["t = T"][0], middle), color="accent", width=1.5)
    label(axis, (edges["t = T"][0] + dots_x + 0.55) / 2, middle + 0.32, "$h_{T-1}$", color="#dc2626")
    box(axis, 19.1, middle, "$h_T$", width=1.0, height=0.7, color="state")
    arrow(axis, (edges["t = T"][2], middle), (18.6, middle), color="accent", width=1.5)
    label(axis, 12.8, 0.45, "the same weights W (kernel), U (recurrent_kernel) and b (bias) in every copy:  "
                            "$h_t = \\tanh(x_t W + h_{t-1} U + b)$", size=SMALL + 1)
    return figure


def tasks() -> Figure:
    """Many-to-one (only h_T reaches the output layer) beside many-to-many (every h_t does)."""
    figure, axis = new_figure(19.4, 6.6)
    middle, input_y, output_y = 3.2, 1.6, 4.8
    panels = ((0.0, "many-to-one (--task many-to-one, the default)", "one output, after the last step", False),
              (10.2, "many-to-many (--task many-to-many)", "an output after every step", True))
    for offset, title, caption, every_step in panels:
        label(axis, offset + 4.7, 6.2, title, size=SMALL + 1)
        label(axis, offset + 4.7, 0.5, caption, size=SMALL, color="#6b7280")
        columns = {"1": offset + 1.2, "2": offset + 3.8, "T": offset + 8.2}
        edges = {}
        for step, column in columns.items():
            edges[step] = box(axis, column, middle, "cell", width=1.5, height=1.0, color="layer")
            box(axis, column, input_y, f"$x_{step}$", width=0.9, height=0.6, color="input")
            arrow(axis, (column, input_y + 0.3), (column, edges[step][1]))
            if every_step or step == "T":
                box(axis, column, output_y, f"$y_{step}$", width=0.9, height=0.6, color="output")
                arrow(axis, (column, edges[step][3]), (column, output_y - 0.3))
        dots_x = (edges["2"][2] + edges["T"][0]) / 2
        arrow(axis, (edges["1"][2], middle), (edges["2"][0], middle), color="accent", width=1.5)
        arrow(axis, (edges["2"][2], middle), (dots_x - 0.45, middle), color="accent", width=1.5)
        label(axis, dots_x, middle, ". . .", size=SMALL + 2)
        arrow(axis, (dots_x + 0.45, middle), (edges["T"][0], middle), color="accent", width=1.5)
    axis.plot([9.7, 9.7], [0.9, 5.9], color="#d1d5db", linewidth=1.0)
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"rnn_unrolled.svg": unrolled(), "rnn_tasks.svg": tasks()}
