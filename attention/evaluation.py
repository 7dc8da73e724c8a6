"""How attention/ decodes: its own decode function, handed to common/seq2seq.py, which scores and uses any
encoder-decoder with it.

    from attention.evaluation import decode
    from common.seq2seq import seq2seq_evaluator
    evaluation = seq2seq_evaluator(decode, beam_width=1, num_heatmaps=4)(model, dataset, run_dir)   # after model.fit

The test split (and the validation split) is decoded on its own, without the teacher, and compared word for word:
exact_match is the share of whole outputs equal to their target, token_accuracy the share of target tokens (and the
final <end>) written at the right place. Baseline: positional_majority, the most frequent token of each position in
the training targets; it needs no input at all, so any model worth training beats it. The real comparison, the same
network without attention, is `python -m attention.compare`.

Files (common/seq2seq.py's): predictions.txt (source, target, output, ok for every test pair),
plots/attention_<i>.png for the first test pairs (not for --attention none, which has no weights), vocabulary.json.
"""

import keras
import numpy as np

from attention.model import beam_search, greedy_decode


def decode(model: keras.Model, source: np.ndarray, max_length: int, beam_width: int = 1):
    """(ids (n, max_length), attention weights (n, max_length, S)): greedy for width 1, else beam search."""
    if beam_width == 1:
        return greedy_decode(model, source, max_length)
    return beam_search(model, source, max_length, beam_width)
