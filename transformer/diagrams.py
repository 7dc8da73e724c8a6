"""The pictures of transformer/README.md, drawn with common/diagrams.py.

    python -m common.diagrams transformer    # writes transformer/diagrams/gpt_block.svg, causal_attention.svg and
                                             # recurrent_vs_attention.svg

gpt_block.svg is transformer/model.py's build_model on the left (token embedding plus positions, N causal blocks, a
final LayerNorm, a softmax over the characters at every position) and one of its pre-norm blocks opened up on the
right (transformer/layers.py's TransformerBlock without cross-attention):

    x = x + MultiHead(LayerNorm_1(x))        masked self-attention: positions exchange information
    x = x + FFN(LayerNorm_2(x))              feed-forward: each position on its own

causal_attention.svg is scaled_dot_product_attention, softmax(Q K^T / sqrt(d_k) + M) V, step by step on the left,
and the causal mask M over the characters of "The cat" on the right: a filled cell (i, j) is a key j that query i may
read, j <= i; an empty one is masked (score -inf, weight 0), and the character each row is trained to predict is
written beside it. recurrent_vs_attention.svg sets a recurrent pass, whose states follow one another, beside one
causal self-attention layer, whose positions are all computed at once.
"""

from matplotlib.figure import Figure

from common.diagrams import COLORS, arrow, box, circle, label, new_figure

RESIDUAL_LINE = "#047857"  # the residual stream: a darker shade of the palette's state green
MASKED = "#9ca3af"  # a masked cell of the causal mask (grey)
TEXT = "The cat"  # the characters of the mask picture; each row predicts the next one
SPACE = "\u2423"  # the open box that stands for a space character


def shown(character: str) -> str:
    """A character as the mask picture writes it: a space as an open box, so that it can be seen."""
    return SPACE if character == " " else character


def draw_gpt_block() -> Figure:
    """The GPT stack (left) and one pre-norm block of it (right), with the shapes of model.py."""
    figure, axis = new_figure(18.0, 14.4)

    # The stack, bottom to top.
    stack_x = 4.6
    box(axis, stack_x, 0.8, "token ids (batch, time)", width=4.4, height=0.8, color="input", size=10)
    embedding = box(axis, stack_x, 2.3, "token embedding\nEmbedding(vocab, $d_{model}$)", width=4.4, height=1.1,
                    size=10)
    arrow(axis, (stack_x, 1.2), (stack_x, embedding[1]))
    circle(axis, stack_x, 3.8, "$+$", radius=0.32, color="plain")
    arrow(axis, (stack_x, embedding[3]), (stack_x, 3.48))
    positions = box(axis, 1.2, 3.8, "positions\nlearned or\nsinusoidal", width=2.0, height=1.4, color="plain",
                    size=9)
    arrow(axis, (positions[2], 3.8), (stack_x - 0.32, 3.8))
    blocks = box(axis, stack_x, 6.1, "$N$ blocks\n(causal, pre-norm)\n--layers N", width=4.4, height=2.2,
                 color="layer", size=10)
    arrow(axis, (stack_x, 4.12), (stack_x, blocks[1]))
    label(axis, stack_x, 4.6, "(batch, time, $d_{model}$)", size=9, background="white")
    final_norm = box(axis, stack_x, 8.7, "LayerNorm", width=4.4, height=0.8, color="gate", size=10)
    arrow(axis, (stack_x, blocks[3]), (stack_x, final_norm[1]))
    output = box(axis, stack_x, 10.2, "Dense(vocab), softmax", width=4.4, height=0.8, size=10)
    arrow(axis, (stack_x, final_norm[3]), (stack_x, output[1]))
    probabilities = box(axis, stack_x, 11.9, "p(next character)\nat every position\n(batch, time, vocab)",
                        width=4.4, height=1.5, color="output", size=10)
    arrow(axis, (stack_x, output[3]), (stack_x, probabilities[1]))

    # One block, opened up: the residual stream runs straight up on the right, each sub-layer branches off it.
    stream_x, branch_x = 16.0, 11.9
    frame = box(axis, 13.4, 6.9, "", width=8.6, height=11.4, color="none")
    axis.patches[-1].set_linestyle("--")
    label(axis, frame[0] + 0.2, frame[3] - 0.4, "one block", size=10, align="left", color=COLORS["line"])
    for corner_y, block_y in ((frame[3], blocks[3]), (frame[1], blocks[1])):
        arrow(axis, (blocks[2], block_y), (frame[0], corner_y), color=MASKED, width=0.8, head=False)

    box(axis, stream_x, 0.4, "$x$", width=1.0, height=0.6, color="state", size=11)
    plus_y = {"attention": 6.1, "ffn": 11.4}
    axis.plot([stream_x, stream_x], [0.7, plus_y["attention"] - 0.32], color=RESIDUAL_LINE, linewidth=2.0)
    axis.plot([stream_x, stream_x], [plus_y["attention"] + 0.32, plus_y["ffn"] - 0.32], color=RESIDUAL_LINE,
              linewidth=2.0)
    label(axis, stream_x + 0.35, 3.1, "residual\nstream", size=9, align="left", color=RESIDUAL_LINE, rotation=90)
    sublayers = {"attention": (1.5, "LayerNorm$_1$", "masked multi-head\nself-attention\n(--heads h)"),
                 "ffn": (6.8, "LayerNorm$_2$", "feed-forward\nDense(ff_dim, gelu)\nDense($d_{model}$)")}
    for name, (start_y, norm_text, layer_text) in sublayers.items():
        arrow(axis, (stream_x, start_y), (branch_x, start_y), color=RESIDUAL_LINE, head=False)
        norm = box(axis, branch_x, start_y + 1.1, norm_text, width=2.6, height=0.8, color="gate", size=10)
        arrow(axis, (branch_x, start_y), (branch_x, norm[1]))
        layer = box(axis, branch_x, start_y + 2.85, layer_text, width=3.4, height=1.6, size=10)
        arrow(axis, (branch_x, norm[3]), (branch_x, layer[1]))
        circle(axis, stream_x, plus_y[name], "$+$", radius=0.32, color="plain")
        arrow(axis, (branch_x, layer[3]), (branch_x, plus_y[name]), head=False)
        arrow(axis, (branch_x, plus_y[name]), (stream_x - 0.32, plus_y[name]), text="dropout", size=9)
    arrow(axis, (stream_x, plus_y["ffn"] + 0.32), (stream_x, 12.6), color=RESIDUAL_LINE, width=2.0)
    label(axis, stream_x, 12.9, "to the next block", size=9)
    label(axis, 13.4, 13.85, "$x = x + \\mathrm{MultiHead}(\\mathrm{LN}_1(x))$,   "
          "$x = x + \\mathrm{FFN}(\\mathrm{LN}_2(x))$", size=11)
    return figure


def draw_causal_attention() -> Figure:
    """softmax(Q K^T / sqrt(d_k) + M) V as a flow (left) and the causal mask M over "The cat" (right)."""
    figure, axis = new_figure(20.6, 11.0)

    # The flow, bottom to top.
    flow_x = 4.2
    for x, name, shape in ((1.8, "Q", "queries"), (4.2, "K", "keys"), (6.6, "V", "values")):
        box(axis, x, 0.8, f"${name}$  {shape}\n(time, $d_k$)", width=2.1, height=1.0, color="input", size=9)
    scores = box(axis, flow_x, 3.0, "scores  $Q K^T / \\sqrt{d_k}$\n(time, time)", width=4.0, height=1.0,
                 size=10)
    arrow(axis, (1.8, 1.3), (flow_x - 0.8, scores[1]))
    arrow(axis, (4.2, 1.3), (flow_x, scores[1]))
    masked = box(axis, flow_x, 5.0, "$+\\,M$: $-\\infty$ where $j > i$\n(the causal mask)", width=4.0, height=1.0,
                 color="gate", size=10)
    arrow(axis, (flow_x, scores[3]), (flow_x, masked[1]))
    softmax = box(axis, flow_x, 7.0, "softmax over each row\nweights $A$, rows sum to 1", width=4.0, height=1.0,
                  color="gate", size=10)
    arrow(axis, (flow_x, masked[3]), (flow_x, softmax[1]))
    mix = box(axis, flow_x, 9.0, "weighted sum  $A\\,V$\noutputs (time, $d_k$)", width=4.0, height=1.0,
              color="output", size=10)
    arrow(axis, (flow_x, softmax[3]), (flow_x, mix[1]))
    axis.plot([6.6, 6.6, 7.0, 7.0], [1.3, 1.7, 1.7, 9.0], color=COLORS["line"], linewidth=1.2)
    arrow(axis, (7.0, 9.0), (mix[2], 9.0))
    label(axis, 7.35, 5.0, "$V$", size=10)
    label(axis, flow_x, 10.4, "Attention$(Q, K, V) = \\mathrm{softmax}(Q K^T / \\sqrt{d_k} + M)\\, V$", size=11)

    # The mask: row i is the query at position i, column j the key at position j.
    cell, left, top = 0.95, 11.0, 8.6
    characters = list(TEXT)
    label(axis, left + cell * len(characters) / 2, top + 1.2, "keys $j$: the characters it may read", size=10)
    label(axis, left - 1.3, top - cell * len(characters) / 2, "queries $i$", size=10, rotation=90)
    label(axis, left + cell * len(characters) + 1.0, top + 0.45, "trained\nto predict", size=9)
    for j, character in enumerate(characters):
        label(axis, left + cell * (j + 0.5), top + 0.45, shown(character),
              size=11)
    for i, character in enumerate(characters):
        y = top - cell * (i + 0.5)
        label(axis, left - 0.45, y, shown(character), size=11)
        for j in range(len(characters)):
            color = COLORS["state"] if j <= i else "white"
            box(axis, left + cell * (j + 0.5), y, "", width=cell, height=cell, color=color, rounded=False)
            if j > i:
                label(axis, left + cell * (j + 0.5), y, "$\\times$", size=10, color=MASKED)
        following = TEXT[i + 1] if i + 1 < len(TEXT) else "?"
        label(axis, left + cell * len(characters) + 1.0, y, shown(following),
              size=11, color=COLORS["accent"])
    bottom = top - cell * len(characters)
    box(axis, left + 0.3, bottom - 0.9, "", width=0.5, height=0.5, color="state", rounded=False)
    label(axis, left + 0.75, bottom - 0.9, "may read: $j \\leq i$", size=9, align="left")
    box(axis, left + 4.3, bottom - 0.9, "", width=0.5, height=0.5, color="white", rounded=False)
    label(axis, left + 4.3, bottom - 0.9, "$\\times$", size=9, color=MASKED)
    label(axis, left + 4.75, bottom - 0.9, "masked: weight 0", size=9, align="left")
    return figure


def draw_recurrent_vs_attention() -> Figure:
    """A recurrent pass (states one after another) beside causal self-attention (every position at once)."""
    figure, axis = new_figure(17.0, 9.6)
    xs = [3.6 + 2.4 * index for index in range(5)]

    # A recurrent layer: h_t needs h_{t-1}, so the five states are five steps in a row.
    label(axis, 0.2, 8.6, "recurrent (rnn/, gru/): one step after another", size=11, align="left")
    for index, x in enumerate(xs, start=1):
        box(axis, x, 5.6, f"$x_{index}$", width=1.0, height=0.7, color="input", size=10)
        box(axis, x, 7.2, f"$h_{index}$", width=1.0, height=0.8, color="state", size=10)
        arrow(axis, (x, 5.95), (x, 6.8))
        label(axis, x, 8.0, f"step {index}", size=9, color=COLORS["accent"])
        if index > 1:
            arrow(axis, (x - 2.4 + 0.5, 7.2), (x - 0.5, 7.2), color=RESIDUAL_LINE, width=1.6)

    # Causal self-attention: every output reads its inputs directly; all five come out of one matrix product.
    label(axis, 0.2, 4.4, "causal self-attention: all positions in one step", size=11, align="left")
    for index, x in enumerate(xs, start=1):
        box(axis, x, 0.7, f"$x_{index}$", width=1.0, height=0.7, color="input", size=10)
        box(axis, x, 3.3, f"$y_{index}$", width=1.0, height=0.8, color="output", size=10)
        for source in xs[:index]:
            arrow(axis, (source, 1.05), (x, 2.9), color=COLORS["accent"], width=0.9, alpha=0.55,
                  head=source == x)
    label(axis, xs[-1] + 1.0, 2.0, "step 1 for all five:\n$Q K^T$ and $A V$ are\nmatrix products", size=9,
          align="left", color=COLORS["accent"])
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"gpt_block.svg": draw_gpt_block(), "causal_attention.svg": draw_causal_attention(),
            "recurrent_vs_attention.svg": draw_recurrent_vs_attention()}
