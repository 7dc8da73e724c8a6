"""The drawn pictures of lstm/README.md: the default network unrolled over its three months, and the cell built up
gate by gate in three figures, as the README's equations introduce it.

    python -m common.diagrams lstm          # writes lstm/diagrams/<name>.svg
    python -m common.diagrams --check lstm  # fails when a committed picture is not what this code draws

The cell figures share one layout, so that each adds to the one before: the cell state line c along the top with its
pointwise multiply (x) and add (+), the gates in a row below it, and under them the line that carries the previous
hidden state h_{t-1} and the input x_t into every gate. The part that a step adds is drawn in red. The symbols are the
README's and scratch.py's: i_t, f_t, o_t for the gates, c~_t (drawn with a tilde) for the candidate.
"""

from matplotlib.figure import Figure

from common.diagrams import COLORS, arrow, box, circle, label, new_figure

# The cell figures: horizontal positions of the parts, and the heights of the lines and rows.
CELL_WIDTH, CELL_HEIGHT = 17.0, 9.6
CELL_LINE_Y = 7.3          # the cell state c runs along this line
INPUT_LINE_Y = 2.4         # h_{t-1} and x_t run along this line, under the gates
GATE_Y = 4.1               # the row of gates
PRODUCT_Y = 5.8            # the multiply of the input gate and the candidate
FORGET_X, INPUT_X, CANDIDATE_X, OUTPUT_X = 4.0, 6.4, 8.6, 11.0
ADD_X = 7.5                # the add on the cell state line, above the product of i_t and c~_t
READOUT_X = 13.0           # where the cell state is read out: tanh(c_t), then times o_t
INPUT_X_POSITION = 2.9     # where x_t joins the line from below
GATE_WIDTH, GATE_HEIGHT = 1.3, 0.8
OPERATION_RADIUS = 0.32

STEP_TITLES = {
    1: "Step 1: the cell state line and the forget gate",
    2: "Step 2: add the input gate and the candidate",
    3: "Step 3: add the output gate and the hidden state",
}


def part_color(new: bool) -> str:
    """Red for the parts a step adds, dark grey for the parts drawn before."""
    return "accent" if new else "line"


def gate(axis, x: float, activation: str, name: str, new: bool) -> None:
    """A gate box on the gate row, fed from below by the line that carries h_{t-1} and x_t, its name under the line."""
    box(axis, x, GATE_Y, activation, width=GATE_WIDTH, height=GATE_HEIGHT, color="gate", size=12)
    label(axis, x, INPUT_LINE_Y - 0.4, name, size=9, color=COLORS["line"])
    arrow(axis, (x, INPUT_LINE_Y), (x, GATE_Y - GATE_HEIGHT / 2), color=part_color(new))
    circle(axis, x, INPUT_LINE_Y, radius=0.07, color=COLORS["line"])  # the branch point on the input line


def operation(axis, x: float, y: float, symbol: str) -> None:
    """A pointwise operation: a small circle with x (elementwise product) or + (sum)."""
    circle(axis, x, y, symbol, radius=OPERATION_RADIUS, color="state", size=13)


def draw_cell(step: int) -> Figure:
    """The LSTM cell as far as `step` (1: forget gate, 2: + input gate and candidate, 3: + output gate and h_t)."""
    figure, axis = new_figure(CELL_WIDTH, CELL_HEIGHT)
    label(axis, CELL_WIDTH / 2, 9.15, STEP_TITLES[step], size=13)
    # The cell: a grey frame around everything one time step computes.
    box(axis, 8.5, 4.85, width=12.4, height=6.3, color="plain")

    # The cell state line c_{t-1} -> (x f_t) -> (+ i_t c~_t) -> c_t, thick, along the top.
    right_end = CELL_WIDTH - 0.6
    arrow(axis, (0.6, CELL_LINE_Y), (FORGET_X - OPERATION_RADIUS, CELL_LINE_Y), width=2.4, head=False)
    after_forget_end = (ADD_X - OPERATION_RADIUS) if step >= 2 else right_end
    arrow(axis, (FORGET_X + OPERATION_RADIUS, CELL_LINE_Y), (after_forget_end, CELL_LINE_Y), width=2.4)
    if step >= 2:
        arrow(axis, (ADD_X + OPERATION_RADIUS, CELL_LINE_Y), (right_end, CELL_LINE_Y), width=2.4)
    label(axis, 0.7, CELL_LINE_Y + 0.45, "$c_{t-1}$", align="left", size=13)
    label(axis, right_end, CELL_LINE_Y + 0.45, "$c_t$", align="right", size=13)
    operation(axis, FORGET_X, CELL_LINE_Y, r"$\times$")

    # The input line: h_{t-1} from the left, x_t joining it from below; every gate branches off it.
    last_gate_x = {1: FORGET_X, 2: CANDIDATE_X, 3: OUTPUT_X}[step]
    arrow(axis, (0.6, INPUT_LINE_Y), (last_gate_x, INPUT_LINE_Y), width=1.6, head=False)
    arrow(axis, (INPUT_X_POSITION, 0.35), (INPUT_X_POSITION, INPUT_LINE_Y), width=1.6)
    circle(axis, INPUT_X_POSITION, INPUT_LINE_Y, radius=0.07, color=COLORS["line"])
    label(axis, 0.7, INPUT_LINE_Y + 0.4, "$h_{t-1}$", align="left", size=13)
    label(axis, INPUT_X_POSITION + 0.25, 0.55, "$x_t$", align="left", size=13)

    # Step 1: the forget gate scales the old cell state.
    gate(axis, FORGET_X, r"$\sigma$", "forget", new=step == 1)
    arrow(axis, (FORGET_X, GATE_Y + GATE_HEIGHT / 2), (FORGET_X, CELL_LINE_Y - OPERATION_RADIUS),
          color=part_color(step == 1))
    label(axis, FORGET_X - 0.2, PRODUCT_Y, "$f_t$", align="right", size=13)

    if step >= 2:  # the input gate and the candidate: their product is added to the cell state
        new = step == 2
        gate(axis, INPUT_X, r"$\sigma$", "input", new=new)
        gate(axis, CANDIDATE_X, "tanh", "candidate", new=new)
        operation(axis, ADD_X, PRODUCT_Y, r"$\times$")
        operation(axis, ADD_X, CELL_LINE_Y, "+")
        arrow(axis, (INPUT_X, GATE_Y + GATE_HEIGHT / 2), (ADD_X - OPERATION_RADIUS, PRODUCT_Y),
              color=part_color(new), bend=-0.3)
        arrow(axis, (CANDIDATE_X, GATE_Y + GATE_HEIGHT / 2), (ADD_X + OPERATION_RADIUS, PRODUCT_Y),
              color=part_color(new), bend=0.3)
        arrow(axis, (ADD_X, PRODUCT_Y + OPERATION_RADIUS), (ADD_X, CELL_LINE_Y - OPERATION_RADIUS),
              color=part_color(new))
        label(axis, INPUT_X - 0.15, 5.05, "$i_t$", align="right", size=13)
        label(axis, CANDIDATE_X + 0.15, 5.05, r"$\tilde{c}_t$", align="left", size=13)

    if step >= 3:  # the output gate chooses how much of tanh(c_t) becomes the hidden state h_t
        gate(axis, OUTPUT_X, r"$\sigma$", "output", new=True)
        readout_y = 5.75
        circle(axis, READOUT_X, CELL_LINE_Y, radius=0.07, color=COLORS["line"])  # c_t branches off here
        arrow(axis, (READOUT_X, CELL_LINE_Y), (READOUT_X, readout_y + 0.35), color="accent")
        box(axis, READOUT_X, readout_y, "tanh", width=1.3, height=0.7, color="gate", size=12)
        operation(axis, READOUT_X, GATE_Y, r"$\times$")
        arrow(axis, (READOUT_X, readout_y - 0.35), (READOUT_X, GATE_Y + OPERATION_RADIUS), color="accent")
        arrow(axis, (OUTPUT_X + GATE_WIDTH / 2, GATE_Y), (READOUT_X - OPERATION_RADIUS, GATE_Y), color="accent")
        label(axis, (OUTPUT_X + READOUT_X) / 2 - 0.05, GATE_Y + 0.35, "$o_t$", size=13)
        arrow(axis, (READOUT_X + OPERATION_RADIUS, GATE_Y), (right_end, GATE_Y), color="accent", width=1.6)
        label(axis, right_end, GATE_Y + 0.4, "$h_t$", align="right", size=13)
    return figure


def draw_network() -> Figure:
    """The default airline network unrolled: the same LSTM cell reads three months, then a Dense layer predicts."""
    figure, axis = new_figure(20.0, 8.4)
    cells_x = (4.2, 8.7, 13.2)
    months = ("$z_{t-3}$", "$z_{t-2}$", "$z_{t-1}$")
    cell_y, cell_width, cell_height = 4.6, 2.6, 2.0
    cell_state_y, hidden_y = cell_y + 0.5, cell_y - 0.5
    # The zero states the first step starts from.
    box(axis, 1.1, cell_state_y, "$c_0 = 0$", width=1.6, height=0.6, color="state", size=10)
    box(axis, 1.1, hidden_y, "$h_0 = 0$", width=1.6, height=0.6, color="state", size=10)
    previous_right = 1.9
    for step, (x, month) in enumerate(zip(cells_x, months), start=1):
        box(axis, x, cell_y, "LSTM cell\n16 units", width=cell_width, height=cell_height, color="layer", size=11)
        left = x - cell_width / 2
        arrow(axis, (previous_right, cell_state_y), (left, cell_state_y), width=1.6)
        arrow(axis, (previous_right, hidden_y), (left, hidden_y), width=1.6)
        if step > 1:
            label(axis, (previous_right + left) / 2, cell_state_y + 0.32, f"$c_{step - 1}$", size=11)
            label(axis, (previous_right + left) / 2, hidden_y - 0.32, f"$h_{step - 1}$", size=11)
        box(axis, x, 1.0, month, width=1.7, height=0.7, color="input", size=12)
        arrow(axis, (x, 1.35), (x, cell_y - cell_height / 2))
        label(axis, x + 0.2, 2.5, "(batch, 1)", align="left", size=9, color=COLORS["line"])
        previous_right = x + cell_width / 2
    # Only the last hidden state goes on (return_sequences=False); the last cell state is dropped.
    last_right = previous_right
    label(axis, last_right + 0.15, cell_state_y + 0.05, "$c_3$ unused", align="left", size=10,
          color=COLORS["line"])
    box(axis, 17.9, hidden_y, "Dense(1)", width=1.8, height=0.8, color="layer", size=11)
    arrow(axis, (last_right, hidden_y), (17.0, hidden_y), width=1.6)
    label(axis, (last_right + 17.0) / 2, hidden_y - 0.35, "$h_3$ (batch, 16)", size=10)
    box(axis, 17.9, 6.9, "predicted $z_t$", width=2.6, height=0.7, color="output", size=11)
    arrow(axis, (17.9, hidden_y + 0.4), (17.9, 6.55))
    label(axis, 18.05, 5.6, "(batch, 1)", align="left", size=9, color=COLORS["line"])
    # The weights: one set, used at all three steps.
    label(axis, cells_x[1], 7.35, "the same weights at every step: 1,152 parameters", size=11)
    label(axis, cells_x[1], 6.75, "Dense: 16 + 1 = 17 parameters;  1,169 in all", size=10, color=COLORS["line"])
    return figure


def draw() -> dict[str, Figure]:
    """The README's pictures: file name -> figure."""
    return {
        "lstm_network.svg": draw_network(),
        "lstm_cell_1_forget.svg": draw_cell(1),
        "lstm_cell_2_input.svg": draw_cell(2),
        "lstm_cell_3_output.svg": draw_cell(3),
    }
