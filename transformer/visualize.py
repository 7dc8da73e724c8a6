"""Pictures of what a trained transformer does: each head's attention over a line of text (or, for dates, over the
source while writing the answer), and its position vectors.

    plot_attention_heads(model, vocabulary, "def f(x):\n    return x", run_dir / "plots" / "attention_heads.png")
    plot_positions(model, run_dir / "plots" / "positions.png")
    plot_cross_attention_heads(model, dataset, run_dir / "plots" / "cross_attention_heads.png")    # a dates run

attention_heads.png: one heatmap per block and head, row i the character at position i, column j a character it may
read (j <= i; above the diagonal the causal mask leaves 0). positions.png: the table added to the embeddings, a row
per position (learned, or the sinusoids), beside how alike the positions' vectors are (cosine similarity): neighbours
alike, far positions not, is what lets attention read "how far back". cross_attention_heads.png: for the first test
date, one heatmap per decoder block and head, row t the character written, column j a source character it read.
"""

from pathlib import Path

import numpy as np

from common import plots  # also selects the file-only Agg backend before any figure is drawn
from transformer.layers import PositionLayer
from transformer.model import attention_weights, cross_attention_weights, greedy_decode

plt = plots.plt


def visible(text: str) -> list[str]:
    """Characters as tick labels: a space as ␣, a line break as ⏎."""
    return ["␣" if char == " " else "⏎" if char == "\n" else char for char in text]


def plot_attention_heads(model, vocabulary, text: str, path: Path) -> Path:
    """A heatmap per (block, head) of the attention weights over `text` (at most the model's window)."""
    weights = attention_weights(model, vocabulary.encode(text))  # [(heads, time, time)] per block
    blocks, heads = len(weights), weights[0].shape[0]
    size = max(2.4, 0.16 * len(text))
    figure, axes = plt.subplots(blocks, heads, figsize=(size * heads, size * blocks), squeeze=False)
    labels = visible(text)
    for block, block_weights in enumerate(weights):
        for head in range(heads):
            axis = axes[block][head]
            axis.imshow(block_weights[head], cmap="viridis", vmin=0.0, vmax=1.0)
            axis.set_xticks(np.arange(len(text)), labels, fontsize=6)
            axis.set_yticks(np.arange(len(text)), labels, fontsize=6)
            axis.set_title(f"block {block + 1}, head {head + 1}", fontsize=9)
    figure.suptitle("attention weights: row = the position reading, column = the position read")
    return plots.save_figure(figure, path)


def plot_positions(model, path: Path) -> Path | None:
    """The position table (positions x d_model) and the cosine similarity of every pair of positions; None for a
    model without positions (--positions none)."""
    layers = [layer for layer in model.layers if isinstance(layer, PositionLayer)]
    if not layers:
        return None
    table = np.asarray(layers[0].table(), dtype="float64")  # (max_length, d_model)
    unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    image = left.imshow(table, aspect="auto", cmap="coolwarm")
    figure.colorbar(image, ax=left, fraction=0.046)
    left.set_xlabel("feature (d_model)")
    left.set_ylabel("position")
    left.set_title(f"{type(layers[0]).__name__}: the vector added at each position")
    image = right.imshow(unit @ unit.T, cmap="viridis", vmin=-1, vmax=1)
    figure.colorbar(image, ax=right, fraction=0.046)
    right.set_xlabel("position")
    right.set_ylabel("position")
    right.set_title("cosine similarity of two positions' vectors")
    return plots.save_figure(figure, path)


def plot_cross_attention_heads(model, dataset, path: Path) -> Path:
    """A heatmap per (decoder block, head) of the cross-attention while the model decodes the first test source of a
    dates dataset (common/pairs.py) on its own: rows the characters it wrote (and <end>), columns the source's."""
    from common.pairs import END, END_ID, START_ID

    source_vocabulary, target_vocabulary = dataset.meta["source_vocabulary"], dataset.meta["target_vocabulary"]
    source = dataset.x_test[:1]
    source_text = source_vocabulary.decode(source[0])  # tokens, padding left out
    ids, _ = greedy_decode(model, source, dataset.y_test.shape[1] - 1, start_id=START_ID, end_id=END_ID)
    written = [target_vocabulary.tokens[i] for i in ids[0]]
    rows = written.index(END) + 1 if END in written else len(written)
    decoder_input = np.concatenate([[START_ID], ids[0][: model.inputs[1].shape[1] - 1]])[None]
    weights = cross_attention_weights(model, source, decoder_input)  # [(1, heads, target, source)] per block
    blocks, heads = len(weights), weights[0].shape[1]
    figure, axes = plt.subplots(blocks, heads, figsize=(3.2 * heads, 2.6 * blocks), squeeze=False)
    for block, block_weights in enumerate(weights):
        for head in range(heads):
            axis = axes[block][head]
            axis.imshow(block_weights[0, head, :rows, : len(source_text)], cmap="viridis", vmin=0.0, vmax=1.0)
            axis.set_xticks(np.arange(len(source_text)), visible("".join(source_text)), fontsize=6)
            axis.set_yticks(np.arange(rows), written[:rows], fontsize=6)
            axis.set_title(f"decoder block {block + 1}, head {head + 1}", fontsize=9)
    figure.suptitle(f"cross-attention writing {''.join(written[: rows - 1])!r}: row = character written, column = "
                    "source character read")
    return plots.save_figure(figure, path)
