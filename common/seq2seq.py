"""How any encoder-decoder is scored and used, given its folder's own decode function: it decodes on its own, and is
compared token for token.

    evaluation = seq2seq_evaluator(decode, beam_width=1, num_heatmaps=4)(model, dataset, run_dir)   # after model.fit
    translate(model, read_vocabularies(run_dir), ["march 3rd, 2015"], decode)[0]["output"]          # '2015-03-03'

decode(model, sources, max_length, beam_width) -> (ids, weights) is the folder's own decoding loop, which cannot be a
layer (each token written is fed back in as the next step's input): sources (n, S) int source ids, ids (n, max_length)
the tokens written, weights (n, max_length, S) where each step looked (all zeros for a model that has no attention).

exact_match: share of test sources whose whole output equals the target.
token_accuracy: share of target positions (each token and the final <end>) where the output has the same token at the
same place; an output that stops early or runs on loses the positions it gets wrong.
Baseline: positional_majority, which writes at every position the token most often found there in the training
targets (for dates "19..-..-.." style guesses); it needs no input at all, so any model worth training beats it.

Files: predictions.txt (source, target, output, ok for every test pair), plots/attention_<i>.png for the first test
pairs (not for a model without attention weights), vocabulary.json (to turn text into ids for a saved model; read back
by read_vocabularies). Keras and matplotlib load only inside the functions that need them, so that a script's flags
are checked before TensorFlow starts.
"""

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from common.datasets import Dataset
from common.flags import require
from common.pairs import END, END_ID, TokenVocabulary, join, pad, tokenize

if TYPE_CHECKING:
    from common.evaluation import Evaluator

# decode(model, sources (n, S), max_length, beam_width) -> (ids (n, max_length), weights (n, max_length, S))
Decode = Callable[..., tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------------------------------------------
# Scores


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


def output_tokens(ids, vocabulary: TokenVocabulary) -> list[str]:
    """The tokens a decoder wrote, up to its <end>. Unlike vocabulary.decode nothing is skipped: a <pad> or <start>
    the model wrote counts against it, and each token lines up with its row of attention weights."""
    tokens = [vocabulary.tokens[int(token_id)] for token_id in ids]
    return tokens[: tokens.index(END)] if END in tokens else tokens


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
    """exact_match and token_accuracy for each source length found in the test split (for a length study)."""
    rows = []
    for length in sorted({len(source) for source in sources}):
        chosen = [i for i, source in enumerate(sources) if len(source) == length]
        scores = score_outputs([outputs[i] for i in chosen], [targets[i] for i in chosen])
        rows.append({"source_length": length, "count": len(chosen), **scores})
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Files: heatmaps and predictions


def plot_attention(
    weights: np.ndarray, source_tokens: list[str], written_tokens: list[str], path: Path, title: str = ""
) -> Path:
    """Attention weights (outputs, sources) as a heatmap: input tokens across, output tokens down.

    Row t shows where the decoder looked while writing output token t; each row sums to 1 over the real inputs.
    """
    from common import plots  # also selects the file-only Agg backend before any figure is drawn

    weights = np.asarray(weights)[: len(written_tokens), : len(source_tokens)]
    figure, axis = plots.plt.subplots(
        figsize=(max(4.0, 0.32 * len(source_tokens) + 2), max(3.0, 0.32 * len(written_tokens) + 1.5))
    )
    image = axis.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    figure.colorbar(image, ax=axis, fraction=0.046, label="attention weight")

    def visible(tokens):  # a space is shown as ␣
        return ["␣" if token == " " else token for token in tokens]  # nosec B105

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


def write_predictions(
    path: Path, sources: list[str], targets: list[str], outputs: list[str], correct: list[bool]
) -> None:
    """predictions.txt: a header, then source, target, output and yes/NO per line, separated by tabs."""
    lines = ["source\ttarget\toutput\tok"]
    lines += [
        f"{source}\t{target}\t{output}\t{'yes' if right else 'NO'}"
        for source, target, output, right in zip(sources, targets, outputs, correct)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------
# The evaluator a train script calls after model.fit


def seq2seq_evaluator(decode: Decode, beam_width: int = 1, num_heatmaps: int = 4, batch_size: int = 512) -> "Evaluator":
    """evaluate(model, dataset, run_dir) -> Evaluation, decoding with decode and beam_width (see the module
    docstring), batch_size sources at a time."""
    from common.evaluation import Evaluation
    from common.runs import write_json

    def evaluate(model, dataset: Dataset, run_dir: Path) -> Evaluation:
        meta = dataset.meta
        source_vocabulary, target_vocabulary = meta["source_vocabulary"], meta["target_vocabulary"]
        mode = meta["tokens"]
        max_length = dataset.y_test.shape[1] - 1  # every target token and <end>

        def decode_split(sources: np.ndarray):
            parts = [
                decode(model, sources[i : i + batch_size], max_length, beam_width)
                for i in range(0, len(sources), batch_size)
            ]
            return np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])

        ids, weights = decode_split(dataset.x_test)
        outputs = [output_tokens(row, target_vocabulary) for row in ids]
        # The validation split is decoded the same way: its scores are the ones a setting may be chosen by.
        validation_ids, _ = decode_split(dataset.x_val)
        validation = score_outputs(
            [output_tokens(row, target_vocabulary) for row in validation_ids],
            [target_vocabulary.decode(row) for row in dataset.y_val],
        )
        targets = [target_vocabulary.decode(row) for row in dataset.y_test]
        sources = [source_vocabulary.decode(row) for row in dataset.x_test]
        train_targets = [target_vocabulary.decode(row) for row in dataset.y_train]
        guess = positional_majority(train_targets)

        # The raw test text: unknown tokens shown as they were written, not as <unk>.
        text_pairs = meta["pairs"]["test"][: len(outputs)]
        write_predictions(
            run_dir / "predictions.txt",
            [pair[0] for pair in text_pairs],
            [pair[1] for pair in text_pairs],
            [join(output, mode) for output in outputs],
            [output == target for output, target in zip(outputs, targets)],
        )
        write_json(
            run_dir / "vocabulary.json",
            {"tokens": mode, "source": source_vocabulary.tokens, "target": target_vocabulary.tokens},
        )
        attentive = bool(weights.any())
        for i in range(min(num_heatmaps, len(outputs)) if attentive else 0):
            title = f"output {join(outputs[i], mode)!r}, target {join(targets[i], mode)!r}"
            save_heatmap(
                run_dir / "plots" / f"attention_{i}.png", weights[i], sources[i], ids[i], target_vocabulary, title
            )
        return Evaluation(
            test=score_outputs(outputs, targets),
            validation=validation,
            baselines={"positional_majority": score_outputs([guess] * len(targets), targets)},
            details={
                "decoding": "greedy" if beam_width == 1 else f"beam search, width {beam_width}",
                "by_source_length": by_source_length(sources, outputs, targets),
                "examples": [
                    {"source": pair[0], "target": pair[1], "output": join(output, mode)}
                    for pair, output in zip(text_pairs[:5], outputs[:5])
                ],
            },
            outputs=ids,
        )

    return evaluate


# ---------------------------------------------------------------------------------------------------------------
# A trained model on new text


def read_vocabularies(run_dir: str | Path) -> tuple[TokenVocabulary, TokenVocabulary, str]:
    """(source vocabulary, target vocabulary, token mode) from run_dir/vocabulary.json, exactly as in training."""
    run_dir = Path(run_dir)
    path = run_dir / "vocabulary.json"
    require(path.is_file(), f"{run_dir}: no vocabulary.json; is this a run folder of a sequence-to-sequence model?")
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        vocabularies = [TokenVocabulary(saved[side][4:]) for side in ("source", "target")]  # after the 4 specials
        mode = saved["tokens"]
    except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ValueError(f"{path}: not a vocabulary file written by a sequence-to-sequence evaluation") from None
    for vocabulary, side in zip(vocabularies, ("source", "target")):
        require(vocabulary.tokens == saved[side], f"{path}: the {side} tokens are not in the order training used")
    return vocabularies[0], vocabularies[1], mode


def translate(
    model, vocabularies: tuple, texts: list[str], decode: Decode, beam_width: int = 1, max_tokens: int | None = None
) -> list[dict]:
    """Each text decoded by model.keras with decode, greedily (beam_width 1) or with a beam, split into tokens as in
    training; model.inputs[1] is the decoder's input, as long as the longest target trained on plus <end>.

    One dict per text: "output" (the text written), "input_tokens", "output_tokens" (those written, and <end> when it
    was written: that step looked too), "attention" ((output tokens, input tokens) weights, or None for a model
    without attention), "ids" (the decoder's output ids) and "unknown" (input tokens never seen in training, read as
    <unk>). ValueError for a blank text, or one of more than max_tokens tokens."""
    source_vocabulary, target_vocabulary, mode = vocabularies
    sources = [tokenize(text.strip(), mode) for text in texts]
    require(all(sources), "text is blank")
    longest = max(map(len, sources))
    unit = {"char": "characters", "word": "words"}[mode]
    require(
        max_tokens is None or longest <= max_tokens,
        f"text has {longest} {unit}; this model was trained on sources of at most {max_tokens}",
    )
    ids = pad([source_vocabulary.encode(tokens) for tokens in sources], longest)
    max_length = model.inputs[1].shape[1]  # the decoder input's length: the longest target trained on, + <end>
    output_ids, weights = decode(model, ids, max_length, beam_width)
    answers = []
    for tokens, row, row_weights in zip(sources, output_ids, weights):
        written = output_tokens(row, target_vocabulary)
        rows = written + [END] if END_ID in list(row) else written
        answers.append(
            {
                "output": join(written, mode),
                "input_tokens": tokens,
                "output_tokens": rows,
                "attention": row_weights[: len(rows), : len(tokens)].astype("float64") if weights.any() else None,
                "ids": np.asarray(row),
                "unknown": sorted({token for token in tokens if token not in source_vocabulary.index}),
            }
        )
    return answers
