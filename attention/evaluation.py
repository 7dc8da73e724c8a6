"""How a sequence-to-sequence model is scored on the test split (and the validation split): it decodes on its own, and
is compared word for word.

    evaluation = seq2seq_evaluator(beam_width=1, num_heatmaps=4)(model, dataset, run_dir)   # after model.fit

exact_match: share of test sources whose whole output equals the target.
token_accuracy: share of target positions (each token and the final <end>) where the output has the same token at the
same place; an output that stops early or runs on loses the positions it gets wrong.
Baseline: positional_majority, which writes at every position the token most often found there in the training
targets (for dates "19..-..-.." style guesses); it needs no input at all, so any model worth training beats it.
The real comparison, the same network without attention, is `python -m attention.compare`.

Files: predictions.txt (source, target, output, ok for every test pair), plots/attention_<i>.png for the first test
pairs (not for --attention none, which has no weights), vocabulary.json (to turn text into ids for a saved model).
"""

from collections import Counter
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

from attention.dataset import END, END_ID, join
from attention.model import beam_search, greedy_decode
from common import plots  # also selects the file-only Agg backend before any figure is drawn
from common.datasets import Dataset
from common.evaluation import Evaluation, Evaluator
from common.runs import write_json


def score_outputs(outputs: list[list[str]], targets: list[list[str]]) -> dict[str, float]:
    """exact_match and token_accuracy of output token lists against target token lists (both without <end>)."""
    if len(outputs) != len(targets) or not targets:
        raise ValueError(f"need as many outputs as targets, at least one (got {len(outputs)} and {len(targets)})")
    exact = sum(output == target for output, target in zip(outputs, targets))
    right = total = 0
    for output, target in zip(outputs, targets):
        output, target = output + [END], target + [END]  # stopping at the right place counts as a token
        right += sum(i < len(output) and output[i] == token for i, token in enumerate(target))
        total += len(target)
    return {"exact_match": exact / len(targets), "token_accuracy": right / total}


def output_tokens(ids, vocabulary) -> list[str]:
    """The tokens a decoder wrote, up to its <end>. Unlike vocabulary.decode nothing is skipped: a <pad> or <start>
    the model wrote counts against it, and each token lines up with its row of attention weights."""
    tokens = [vocabulary.tokens[int(token_id)] for token_id in ids]
    return tokens[:tokens.index(END)] if END in tokens else tokens


def plot_attention(weights: np.ndarray, source_tokens: list[str], written_tokens: list[str], path: Path,
                   title: str = "") -> Path:
    """Attention weights (outputs, sources) as a heatmap: input tokens across, output tokens down.

    Row t shows where the decoder looked while writing output token t; each row sums to 1 over the real inputs.
    """
    weights = np.asarray(weights)[:len(written_tokens), :len(source_tokens)]
    figure, axis = plt.subplots(figsize=(max(4.0, 0.32 * len(source_tokens) + 2),
                                         max(3.0, 0.32 * len(written_tokens) + 1.5)))
    image = axis.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    figure.colorbar(image, ax=axis, fraction=0.046, label="attention weight")

    def visible(tokens):  # a space is shown as ␣
        return ["␣" if token == " " else token for token in tokens]

    shown = visible(source_tokens)
    axis.set_xticks(np.arange(len(source_tokens)), shown, rotation=90 if max(map(len, shown), default=1) > 2 else 0)
    axis.set_yticks(np.arange(len(written_tokens)), visible(written_tokens))
    axis.set_xlabel("input tokens")
    axis.set_ylabel("output tokens")
    axis.set_title(title)
    return plots.save_figure(figure, path)


def save_heatmap(path: Path, weights: np.ndarray, source_tokens: list[str], ids, vocabulary, title: str) -> Path:
    """plots/attention_<i>.png for one decoded row: a row of weights per token written, <end> included if written."""
    tokens = output_tokens(ids, vocabulary)
    if END_ID in list(ids):
        tokens = tokens + [END]  # the step that wrote <end> looked somewhere too
    return plot_attention(weights, source_tokens, tokens, path, title=title)


def positional_majority(train_targets: list[list[str]]) -> list[str]:
    """The most frequent token at each position of the training targets (<end> included), up to the first <end>."""
    padded = [target + [END] for target in train_targets]
    guess = []
    for position in range(max(map(len, padded))):
        token = Counter(target[position] for target in padded if position < len(target)).most_common(1)[0][0]
        if token == END:
            break
        guess.append(token)
    return guess


def by_source_length(sources: list[list[str]], outputs: list[list[str]], targets: list[list[str]]) -> list[dict]:
    """exact_match and token_accuracy for each source length found in the test split (for compare.py)."""
    rows = []
    for length in sorted({len(source) for source in sources}):
        chosen = [i for i, source in enumerate(sources) if len(source) == length]
        scores = score_outputs([outputs[i] for i in chosen], [targets[i] for i in chosen])
        rows.append({"source_length": length, "count": len(chosen), **scores})
    return rows


def decode(model: keras.Model, source: np.ndarray, max_length: int, beam_width: int = 1):
    """(ids (n, max_length), attention weights (n, max_length, S)): greedy for width 1, else beam search."""
    if beam_width == 1:
        return greedy_decode(model, source, max_length)
    return beam_search(model, source, max_length, beam_width)


def write_predictions(path: Path, sources: list[str], targets: list[str], outputs: list[str],
                      correct: list[bool]) -> None:
    lines = ["source\ttarget\toutput\tok"]
    lines += [f"{source}\t{target}\t{output}\t{'yes' if right else 'NO'}"
              for source, target, output, right in zip(sources, targets, outputs, correct)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def seq2seq_evaluator(beam_width: int = 1, num_heatmaps: int = 4, batch_size: int = 512) -> Evaluator:
    """evaluate(model, dataset, run_dir) -> Evaluation, decoding with beam_width (see the module docstring)."""

    def evaluate(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
        meta = dataset.meta
        source_vocabulary, target_vocabulary = meta["source_vocabulary"], meta["target_vocabulary"]
        mode = meta["tokens"]
        max_length = dataset.y_test.shape[1] - 1  # every target token and <end>

        def decode_split(sources: np.ndarray):
            parts = [decode(model, sources[i:i + batch_size], max_length, beam_width)
                     for i in range(0, len(sources), batch_size)]
            return np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])

        ids, weights = decode_split(dataset.x_test)
        outputs = [output_tokens(row, target_vocabulary) for row in ids]
        # The validation split is decoded the same way: its scores are the ones a setting may be chosen by.
        validation_ids, _ = decode_split(dataset.x_val)
        validation = score_outputs([output_tokens(row, target_vocabulary) for row in validation_ids],
                                   [target_vocabulary.decode(row) for row in dataset.y_val])
        targets = [target_vocabulary.decode(row) for row in dataset.y_test]
        sources = [source_vocabulary.decode(row) for row in dataset.x_test]
        train_targets = [target_vocabulary.decode(row) for row in dataset.y_train]
        guess = positional_majority(train_targets)

        # The raw test text: unknown tokens shown as they were written, not as <unk>.
        text_pairs = meta["pairs"]["test"][:len(outputs)]
        write_predictions(run_dir / "predictions.txt", [pair[0] for pair in text_pairs],
                          [pair[1] for pair in text_pairs], [join(output, mode) for output in outputs],
                          [output == target for output, target in zip(outputs, targets)])
        write_json(run_dir / "vocabulary.json", {"tokens": mode, "source": source_vocabulary.tokens,
                                                 "target": target_vocabulary.tokens})
        attentive = bool(weights.any())
        for i in range(min(num_heatmaps, len(outputs)) if attentive else 0):
            save_heatmap(run_dir / "plots" / f"attention_{i}.png", weights[i], sources[i], ids[i], target_vocabulary,
                         title=f"output {join(outputs[i], mode)!r}, target {join(targets[i], mode)!r}")
        return Evaluation(
            test=score_outputs(outputs, targets),
            validation=validation,
            baselines={"positional_majority": score_outputs([guess] * len(targets), targets)},
            details={"decoding": "greedy" if beam_width == 1 else f"beam search, width {beam_width}",
                     "by_source_length": by_source_length(sources, outputs, targets),
                     "examples": [{"source": pair[0], "target": pair[1], "output": join(output, mode)}
                                  for pair, output in zip(text_pairs[:5], outputs[:5])]},
            outputs=ids)

    return evaluate
