"""Attention and the Transformer block from first principles, in NumPy only, with the attention gradient by hand.

    python -m transformer.scratch                                     # 6 positions, d_model 8, 2 heads
    python -m transformer.scratch --sequence-length 10 --d-model 12 --num-heads 3 --seed 1

One head of scaled dot-product attention, with Q (time_q, d_k), K (time_k, d_k), V (time_k, d_v):
    S = Q K^T / sqrt(d_k)        scores; a masked (i, j) gets -1e9, so exp() makes it 0
    A = softmax(S)               row i: how much query i reads each key, summing to 1
    O = A V                      outputs (time_q, d_v)
Multi-head attention projects the inputs once per head (Q_h = X W_q[:, h] + b_q[h], the same for K and V), runs one
head each, and mixes the heads with W_o: out = sum_h O_h W_o[h] + b_o, the same as concat(O_1 .. O_H) W_o. The
weights have keras.layers.MultiHeadAttention's layout and order: W_q (d, heads, key_dim), b_q (heads, key_dim), ...,
W_o (heads, key_dim, d_out), b_o (d_out,). A pre-norm block is x + MHA(LN(x)), then x + FFN(LN(x)).

Backpropagation through one head, for a loss L with upstream gradient G = dL/dO:
    dA = G V^T,   dS = A * (dA - rowsum(dA * A)),   dQ = dS K / sqrt(d_k),   dK = dS^T Q / sqrt(d_k),   dV = A^T G
and, with Q = X W_q, dW_q = X^T dQ (dW_k, dW_v alike). The softmax line is the Jacobian of softmax,
dA_i/dS_j = A_i (delta_ij - A_j), applied to dA; a masked entry has A = 0 and so gets no gradient.
`tests/test_transformer_scratch.py` copies transformer/layers.py's and Keras' weights in and checks they agree.
"""

import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python transformer/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import format_config, option, parse_config, require

MASKED_SCORE = -1e9
LAYER_NORM_EPSILON = 1e-5  # transformer/layers.py's
BLOCK_PARTS = ("attention_norm", "self_attention", "ffn_norm", "ffn_hidden", "ffn_output")  # TransformerBlock's
GRADIENT_NAMES = ("queries", "query_kernel", "key_kernel", "value_kernel")

# ----------------------------------------------------------------------------------------------------------------
# Attention


def softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis; weight exactly 0 where mask (broadcast to scores) is False."""
    if mask is not None:
        scores = np.where(mask, scores, MASKED_SCORE)
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))  # minus the max: no overflow, same softmax
    weights = exp / exp.sum(axis=-1, keepdims=True)
    return weights if mask is None else np.where(mask, weights, 0.0)


def scaled_dot_product_attention(queries: np.ndarray, keys: np.ndarray, values: np.ndarray,
                                 mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(O = A V (..., time_q, d_v), A = softmax(Q K^T / sqrt(d_k)) (..., time_q, time_k)); mask True = may attend."""
    scores = queries @ np.swapaxes(keys, -1, -2) / math.sqrt(queries.shape[-1])
    weights = softmax(scores, mask)
    return weights @ values, weights


def causal_mask(length: int, offset: int = 0) -> np.ndarray:
    """(length, offset + length) boolean: query i (position offset + i) may see key j when j <= offset + i."""
    return np.arange(offset + length)[None, :] <= np.arange(length)[:, None] + offset


def multi_head_attention(query: np.ndarray, value: np.ndarray, weights: Sequence[np.ndarray],
                         mask: np.ndarray | None = None, causal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """query (batch, time_q, d), value (batch, time_k, d_v), the keys from value -> (output (batch, time_q, d_out),
    weights (batch, heads, time_q, time_k)).

    weights: [W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o] as keras.layers.MultiHeadAttention(...).get_weights() gives
    them. mask: boolean (batch, time_q, time_k), True = may attend; causal adds causal_mask.
    """
    w_q, b_q, w_k, b_k, w_v, b_v, w_o, b_o = weights
    queries = np.einsum("btd,dhk->bhtk", query, w_q) + b_q[None, :, None, :]  # (batch, heads, time_q, key_dim)
    keys = np.einsum("btd,dhk->bhtk", value, w_k) + b_k[None, :, None, :]     # (batch, heads, time_k, key_dim)
    values = np.einsum("btd,dhk->bhtk", value, w_v) + b_v[None, :, None, :]   # (batch, heads, time_k, key_dim)
    full_mask = np.ones((1, 1, query.shape[1], value.shape[1]), dtype=bool)
    if mask is not None:
        full_mask = full_mask & mask[:, None]  # the same mask for every head
    if causal:
        full_mask = full_mask & causal_mask(query.shape[1], value.shape[1] - query.shape[1])
    outputs, attention = scaled_dot_product_attention(queries, keys, values, full_mask)
    return np.einsum("bhtk,hkd->btd", outputs, w_o) + b_o, attention  # concat(heads) W_o = sum_h O_h W_o[h]


def sinusoidal_positions(length: int, d_model: int, start: int = 0) -> np.ndarray:
    """(length, d_model): PE[pos, 2i] = sin(pos / 10000^(2i / d_model)), PE[pos, 2i + 1] = cos(the same), pos from
    start, written out one entry at a time."""
    table = np.zeros((length, d_model))
    for row in range(length):
        for column in range(d_model):
            angle = (start + row) / 10000.0 ** (2 * (column // 2) / d_model)
            table[row, column] = math.sin(angle) if column % 2 == 0 else math.cos(angle)
    return table

# ----------------------------------------------------------------------------------------------------------------
# The block


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, epsilon: float = LAYER_NORM_EPSILON) -> np.ndarray:
    """Each position's vector to mean 0 and variance 1 over its features, then scaled by gamma and shifted by beta."""
    mean, variance = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def activate(x: np.ndarray, activation: str) -> np.ndarray:
    """relu, or gelu(x) = x P(N(0, 1) <= x) = x (1 + erf(x / sqrt 2)) / 2 (exact, as Keras' "gelu")."""
    if activation == "relu":
        return np.maximum(x, 0.0)
    require(activation == "gelu", f"activation must be gelu or relu (got {activation!r})")
    return x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0))) / 2.0


def transformer_block(x: np.ndarray, params: dict[str, Sequence[np.ndarray]], causal: bool = True,
                      activation: str = "gelu") -> np.ndarray:
    """x (batch, time, d_model) -> x + MHA(LN_1(x)), then x + FFN(LN_2(x)) with FFN(h) = act(h W_1 + b_1) W_2 + b_2.

    params: BLOCK_PARTS -> that part's weights, as `getattr(block, part).get_weights()` of a TransformerBlock:
    [gamma, beta] for the norms, MultiHeadAttention's eight arrays, [kernel, bias] for the two Dense layers.
    """
    normed = layer_norm(x, *params["attention_norm"])
    x = x + multi_head_attention(normed, normed, params["self_attention"], causal=causal)[0]
    hidden = activate(layer_norm(x, *params["ffn_norm"]) @ params["ffn_hidden"][0] + params["ffn_hidden"][1],
                      activation)
    return x + hidden @ params["ffn_output"][0] + params["ffn_output"][1]


def random_block_params(d_model: int, num_heads: int, ff_dim: int, rng: np.random.Generator) -> dict[str, list]:
    """Random weights for transformer_block, in TransformerBlock's shapes (norms near gamma 1, beta 0)."""
    key_dim = d_model // num_heads
    normal = lambda *shape: rng.normal(0.0, 1.0 / math.sqrt(shape[0]), shape)  # noqa: E731
    norm = lambda: [1.0 + rng.normal(0, 0.1, d_model), rng.normal(0, 0.1, d_model)]  # noqa: E731
    attention = []
    for _ in range(3):  # query, key, value
        attention += [normal(d_model, num_heads, key_dim), rng.normal(0, 0.1, (num_heads, key_dim))]
    output_kernel = normal(num_heads * key_dim, d_model).reshape(num_heads, key_dim, d_model)
    attention += [output_kernel, rng.normal(0, 0.1, d_model)]
    return {"attention_norm": norm(), "self_attention": attention, "ffn_norm": norm(),
            "ffn_hidden": [normal(d_model, ff_dim), rng.normal(0, 0.1, ff_dim)],
            "ffn_output": [normal(ff_dim, d_model), rng.normal(0, 0.1, d_model)]}

# ----------------------------------------------------------------------------------------------------------------
# The gradient of one head, by hand and by central differences


def head_loss(params: dict[str, np.ndarray], x: np.ndarray, upstream: np.ndarray, mask: np.ndarray) -> float:
    """L = sum(G * O) for one causal head on x (time, d): its gradient dL/dO is the upstream G (time, d_v).

    params: query_kernel, key_kernel, value_kernel (d, d_k), and `queries` (time, d_k) when given, used in place
    of x W_q (to check dL/dQ on its own)."""
    queries = params["queries"] if "queries" in params else x @ params["query_kernel"]
    outputs, _ = scaled_dot_product_attention(queries, x @ params["key_kernel"], x @ params["value_kernel"], mask)
    return float(np.sum(upstream * outputs))


def head_gradients(params: dict[str, np.ndarray], x: np.ndarray, upstream: np.ndarray,
                   mask: np.ndarray) -> dict[str, np.ndarray]:
    """dL/dQ and dL/dW_q, dL/dW_k, dL/dW_v of head_loss, by backpropagation through the softmax."""
    queries, keys, values = x @ params["query_kernel"], x @ params["key_kernel"], x @ params["value_kernel"]
    scale = 1.0 / math.sqrt(queries.shape[-1])
    _, weights = scaled_dot_product_attention(queries, keys, values, mask)       # A (time, time)
    d_weights = upstream @ values.T                                              # dA = G V^T
    d_scores = weights * (d_weights - np.sum(d_weights * weights, axis=-1, keepdims=True))  # softmax backward
    d_queries = d_scores @ keys * scale                                          # dQ = dS K / sqrt(d_k)
    d_keys = d_scores.T @ queries * scale                                        # dK = dS^T Q / sqrt(d_k)
    d_values = weights.T @ upstream                                              # dV = A^T G
    return {"queries": d_queries, "query_kernel": x.T @ d_queries, "key_kernel": x.T @ d_keys,
            "value_kernel": x.T @ d_values}


def numerical_gradient(loss, array: np.ndarray, epsilon: float = 1e-6) -> np.ndarray:
    """dloss/darray by central differences, (loss(a + eps) - loss(a - eps)) / (2 eps), one entry at a time."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + epsilon
        plus = loss()
        array[index] = saved - epsilon
        minus = loss()
        array[index] = saved
        gradient[index] = (plus - minus) / (2 * epsilon)
    return gradient


def gradient_check(time_steps: int = 5, d_model: int = 6, key_dim: int = 4, seed: int = 0) -> dict[str, float]:
    """||by hand - numerical|| / (||by hand|| + ||numerical||) for each of GRADIENT_NAMES, one causal head, float64."""
    rng = np.random.default_rng(seed)
    x, upstream = rng.normal(size=(time_steps, d_model)), rng.normal(size=(time_steps, key_dim))
    params = {name: rng.normal(0, 0.5, (d_model, key_dim)) for name in GRADIENT_NAMES[1:]}
    mask = causal_mask(time_steps)
    by_hand = head_gradients(params, x, upstream, mask)
    with_queries = {**params, "queries": x @ params["query_kernel"]}
    numerical = {"queries": numerical_gradient(lambda: head_loss(with_queries, x, upstream, mask),
                                               with_queries["queries"])}
    for name in GRADIENT_NAMES[1:]:
        numerical[name] = numerical_gradient(lambda: head_loss(params, x, upstream, mask), params[name])
    return {name: float(np.linalg.norm(by_hand[name] - numerical[name])
                        / max(np.linalg.norm(by_hand[name]) + np.linalg.norm(numerical[name]), np.finfo(float).tiny))
            for name in GRADIENT_NAMES}


def scaling_table(d_values: Sequence[int] = (4, 16, 64, 256), num_keys: int = 16, samples: int = 1000,
                  seed: int = 0) -> dict[int, dict[str, float]]:
    """For random unit-variance q and k of each size d_k: the variance of q . k (about d_k), and the mean largest
    softmax weight over num_keys keys and the softmax's mean slope sum_i a_i (1 - a_i) (the trace of its Jacobian),
    unscaled and divided by sqrt(d_k). Unscaled, the weights go one-hot and the slope, so the gradient, to 0."""
    rng, table = np.random.default_rng(seed), {}
    for d_k in d_values:
        dots = np.einsum("sd,skd->sk", rng.normal(size=(samples, d_k)), rng.normal(size=(samples, num_keys, d_k)))
        row = {"variance": float(dots.var())}
        for label, scores in (("unscaled", dots), ("scaled", dots / math.sqrt(d_k))):
            weights = softmax(scores)
            row[f"largest_{label}"] = float(weights.max(axis=-1).mean())
            row[f"slope_{label}"] = float(np.sum(weights * (1 - weights), axis=-1).mean())
        table[d_k] = row
    return table

# ----------------------------------------------------------------------------------------------------------------
# The demonstration


@dataclasses.dataclass
class ScratchConfig:
    """Flags of the demonstration: sequence length, model width, heads, seed."""

    sequence_length: int = option(6, "positions in the random sequence")
    d_model: int = option(8, "width of each position's vector")
    num_heads: int = option(2, "attention heads (d_model must be a multiple)")
    seed: int = option(0, "random seed for the weights and the inputs")

    def __post_init__(self) -> None:
        require(2 <= self.sequence_length <= 200, f"--sequence-length must be between 2 and 200 "
                f"(got {self.sequence_length})")
        require(1 <= self.num_heads <= self.d_model <= 512, f"--d-model must be between --num-heads and 512 "
                f"(got --d-model {self.d_model}, --num-heads {self.num_heads})")
        require(self.d_model % self.num_heads == 0, f"--d-model ({self.d_model}) must be a multiple of "
                f"--num-heads ({self.num_heads})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def main(argv: Sequence[str] | None = None) -> dict:
    """Show causal weights, the sqrt(d_k) scaling, the gradient check and a block's causality; return the numbers."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    steps, d_model = config.sequence_length, config.d_model
    params = random_block_params(d_model, config.num_heads, 4 * d_model, rng)
    x = rng.normal(size=(1, steps, d_model))
    _, weights = multi_head_attention(x, x, params["self_attention"], causal=True)  # (1, heads, time, time)
    print("causal attention weights of head 1 (row: query position, column: key position):")
    print("     " + "".join(f"{j + 1:>7}" for j in range(steps)))
    for i in range(steps):
        print(f"  {i + 1:>3}" + "".join(f"{a:>7.3f}" for a in weights[0, 0, i]))
    max_future_weight = float(np.abs(weights[..., ~causal_mask(steps)]).max())

    scaling = scaling_table(seed=config.seed)
    print("random q, k with unit-variance entries, 16 keys: var(q . k) grows as d_k; unscaled, the softmax saturates")
    print(f"  {'d_k':>5} {'var(q.k)':>9} {'largest weight':>15} {'(scaled)':>9} {'softmax slope':>14} {'(scaled)':>9}")
    for d_k, row in scaling.items():
        print(f"  {d_k:>5} {row['variance']:>9.1f} {row['largest_unscaled']:>15.3f} {row['largest_scaled']:>9.3f} "
              f"{row['slope_unscaled']:>14.3f} {row['slope_scaled']:>9.3f}")

    errors = gradient_check(seed=config.seed)
    print("gradient of one causal head by hand against central differences (float64), relative error:\n  "
          + "  ".join(f"{name} {error:.1e}" for name, error in errors.items()))

    changed = x.copy()
    changed[0, -1] = rng.normal(size=d_model)  # a different last token (not a shift, which layer norm would undo)
    difference = np.abs(transformer_block(changed, params) - transformer_block(x, params))[0].max(axis=-1)
    max_earlier_change = float(difference[:-1].max())
    print(f"pre-norm causal block: changing the last position changes its output by {difference[-1]:.3f} "
          f"and the earlier ones by at most {max_earlier_change:g}")
    seconds = time.perf_counter() - start
    print(f"max_future_weight={max_future_weight:g} gradient_check_max_rel_error={max(errors.values()):.1e} "
          f"max_earlier_change={max_earlier_change:g} compute_seconds={seconds:.3f}")
    return {"weights": weights, "max_future_weight": max_future_weight, "scaling": scaling, "gradient_check": errors,
            "gradient_check_max_rel_error": max(errors.values()), "max_earlier_change": max_earlier_change,
            "compute_seconds": seconds}


if __name__ == "__main__":
    main()
