"""Bahdanau and Luong attention for one decoder step, in NumPy only: scores, a masked softmax, the context.

    python -m attention.scratch                          # 8 encoder states, the last two padded
    python -m attention.scratch --time-steps 5 --units 3 --seed 1

An attention step turns one decoder state (the query) and the encoder states h_1 .. h_T (the values) into
scores e_j, weights a = softmax(e) over j, and a context c = sum_j a_j h_j. The mechanisms differ in the score:
    Bahdanau (additive, query = previous state s_{t-1}):  e_j = v^T tanh(W1 s_{t-1} + W2 h_j)
    Luong dot      (query = current state h_t):           e_s = h_t . h_s
    Luong general:                                        e_s = h_t^T W_a h_s
    Luong concat:                                         e_s = v^T tanh(W_a [h_t; h_s])
Padded encoder positions (mask False) get weight exactly 0. `tests/test_attention_layers.py` copies the weights of
attention/layers.py's BahdanauAttention and LuongAttention into these functions and checks they agree.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python attention/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import format_config, option, parse_config, require

SCORE_MODES = ("dot", "general", "concat")
MASKED_SCORE = -1e9


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis of scores (batch, time); weight exactly 0 where mask (batch, time) is False."""
    if mask is not None:
        scores = np.where(mask, scores, MASKED_SCORE)
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))  # minus the max: no overflow, same softmax
    weights = exp / exp.sum(axis=-1, keepdims=True)
    return weights if mask is None else np.where(mask, weights, 0.0)


def bahdanau_scores(query: np.ndarray, values: np.ndarray, W1: np.ndarray, W2: np.ndarray, v: np.ndarray,
                    b: np.ndarray | None = None) -> np.ndarray:
    """e_j = v^T tanh(W1 s + W2 h_j [+ b]): query s (batch, q), values h (batch, time, d) -> scores (batch, time).

    W1 (q, units), W2 (d, units), v (units,), optional bias b (units,) (the Keras layer has none).
    """
    features = (query @ W1)[:, None, :] + values @ W2   # (batch, 1, units) + (batch, time, units)
    if b is not None:
        features = features + b
    return np.tanh(features) @ v                          # (batch, time)


def luong_scores(query: np.ndarray, values: np.ndarray, score_mode: str, W_a: np.ndarray | None = None,
                 v: np.ndarray | None = None) -> np.ndarray:
    """Luong's scores of query h_t (batch, q) against values h_s (batch, time, d) -> (batch, time).

    dot: h_t . h_s (q == d). general: (h_t W_a) . h_s with W_a (q, d). concat: v^T tanh(W_a [h_t; h_s]) with
    W_a (q + d, units), query rows first, and v (units,).
    """
    require(score_mode in SCORE_MODES, f"score_mode must be one of {', '.join(SCORE_MODES)} (got {score_mode!r})")
    if score_mode == "concat":
        time_steps = values.shape[1]
        repeated = np.repeat(query[:, None, :], time_steps, axis=1)      # (batch, time, q)
        joined = np.concatenate([repeated, values], axis=-1)              # (batch, time, q + d) = [h_t; h_s]
        return np.tanh(joined @ W_a) @ v
    if score_mode == "general":
        query = query @ W_a                                               # (batch, d)
    require(query.shape[-1] == values.shape[-1],
            f"dot scores need the query and the values to have the same size "
            f"(got {query.shape[-1]} and {values.shape[-1]})")
    return np.einsum("bd,btd->bt", query, values)


def attend(scores: np.ndarray, values: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(context (batch, d), weights (batch, time)): weights = masked softmax of scores, context = sum_j a_j h_j."""
    weights = masked_softmax(scores, mask)
    return np.einsum("bt,btd->bd", weights, values), weights


@dataclasses.dataclass
class ScratchConfig:
    """Flags of the demonstration: how many encoder states, the attention size, the seed."""

    time_steps: int = option(8, "encoder states to attend over (the last two are padding)")
    units: int = option(4, "size of the attention layer (Bahdanau and Luong concat)")
    seed: int = option(0, "random seed for the weights and the states")

    def __post_init__(self) -> None:
        require(3 <= self.time_steps <= 1000, f"--time-steps must be between 3 and 1000 (got {self.time_steps})")
        require(1 <= self.units <= 1024, f"--units must be between 1 and 1024 (got {self.units})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def main(argv: Sequence[str] | None = None) -> dict:
    """Score one random query against random encoder states with every mechanism; padding gets weight 0."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    dim, units, steps = 4, config.units, config.time_steps  # query and values share a size, so "dot" works
    query = rng.normal(0, 1, (1, dim))
    values = rng.normal(0, 1, (1, steps, dim))
    mask = np.arange(steps)[None, :] < steps - 2  # (1, time): the last two positions are padding
    scores = {
        "bahdanau": bahdanau_scores(query, values, rng.normal(0, 0.5, (dim, units)), rng.normal(0, 0.5, (dim, units)),
                                    rng.normal(0, 0.5, units)),
        "luong_dot": luong_scores(query, values, "dot"),
        "luong_general": luong_scores(query, values, "general", W_a=rng.normal(0, 0.5, (dim, dim))),
        "luong_concat": luong_scores(query, values, "concat", W_a=rng.normal(0, 0.5, (2 * dim, units)),
                                     v=rng.normal(0, 0.5, units)),
    }
    weights = {name: attend(score, values, mask)[1] for name, score in scores.items()}

    print("attention weights by encoder position (the last two are padding):")
    print(" " * 15 + " ".join(f"{j + 1:>6}" for j in range(steps)) + "     sum")
    for name, weight in weights.items():
        print(f"  {name:<13}" + " ".join(f"{a:>6.3f}" for a in weight[0]) + f"  {weight[0].sum():.4f}")
    max_padded_weight = float(max(np.abs(weight[~mask]).max() for weight in weights.values()))
    max_sum_error = float(max(np.abs(weight.sum(axis=-1) - 1).max() for weight in weights.values()))
    seconds = time.perf_counter() - start
    print(f"max_padded_weight={max_padded_weight:g} max_sum_error={max_sum_error:.1e} "
          f"mechanisms={len(weights)} compute_seconds={seconds:.3f}")
    return {"weights": weights, "max_padded_weight": max_padded_weight, "max_sum_error": max_sum_error}


if __name__ == "__main__":
    main()
