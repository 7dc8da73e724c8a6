"""The GRU cell from first principles, in NumPy only: update gate, reset gate and candidate, both Keras variants.

    python -m gru.scratch                                   # a random 12-step sequence through a 4-unit cell
    python -m gru.scratch --units 8 --input-dim 3 --sequence-length 20 --no-reset-after

Weights are laid out exactly as Keras lays them out, so the list `keras.layers.GRU(...).get_weights()` returns can be
passed in unchanged: kernel (input_dim, 3*units), recurrent_kernel (units, 3*units), each holding the blocks of the
update gate z, the reset gate r and the candidate h side by side in that order (z, r, h). The bias depends on
`reset_after`: with Keras' default reset_after=True it is (2, 3*units), row 0 the input bias and row 1 the recurrent
bias, and r multiplies h_{t-1} U_h after the product (the cuDNN form); with reset_after=False (Cho et al., 2014) it is
(3*units,) and r multiplies h_{t-1} before it. Activations are Keras 3's defaults: tanh for the candidate, the logistic
sigmoid 1 / (1 + exp(-z)) for the gates. `tests/test_gru_scratch.py` copies Keras `GRU` weights into `gru_forward`
and asserts that the outputs and the final state agree. There is no Keras or TensorFlow anywhere in this file.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python gru/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import CellConfig
from common.flags import format_config, option, parse_config, require

GATES = ("z", "r", "h")  # Keras' order of the three blocks in the kernel, the recurrent kernel and the bias
SHOWN_STEPS = 8  # the demo prints the gates of this many first steps
EQUATIONS = {  # * is the elementwise product; b_rz, b_rr, b_rh are the recurrent bias (row 1) of reset_after=True
    True: """\
  z_t  = sigmoid(x_t W_z + b_z + h_{t-1} U_z + b_rz)         update gate: how much of the old state to keep
  r_t  = sigmoid(x_t W_r + b_r + h_{t-1} U_r + b_rr)         reset gate: how much of the old state the candidate sees
  h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b_rh))    candidate, r applied after the product (reset_after=True)
  h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t                    new state: z = 1 keeps the old one, z = 0 takes h~""",
    False: """\
  z_t  = sigmoid(x_t W_z + h_{t-1} U_z + b_z)                update gate: how much of the old state to keep
  r_t  = sigmoid(x_t W_r + h_{t-1} U_r + b_r)                reset gate: how much of the old state the candidate sees
  h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)           candidate, r applied before the product (reset_after=False)
  h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t                    new state: z = 1 keeps the old one, z = 0 takes h~""",
}

# ----------------------------------------------------------------------------------------------------------------
# Weights: Keras' packed layout, the named gate matrices inside it, and Keras' initialisation.


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), elementwise, into (0, 1); same shape and dtype as z."""
    # exp(-|z|) never overflows; the two branches are the same function written for z >= 0 and z < 0.
    exp_minus_abs = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + exp_minus_abs), exp_minus_abs / (1.0 + exp_minus_abs))


def check_gru_weights(weights: Sequence[np.ndarray],
                      reset_after: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (kernel, recurrent_kernel, input_bias, recurrent_bias), each bias (3*units,), or raise ValueError.

    With reset_after=False there is no recurrent bias: it is returned as zeros, which adds nothing.
    """
    require(len(weights) == 3, f"weights must be [kernel, recurrent_kernel, bias] (got {len(weights)} arrays)")
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)
    require(kernel.ndim == 2 and kernel.shape[1] % 3 == 0 and kernel.shape[1] > 0,
            f"kernel must be (input_dim, 3*units) (got shape {kernel.shape})")
    units = kernel.shape[1] // 3
    require(recurrent_kernel.shape == (units, 3 * units),
            f"recurrent_kernel must be ({units}, {3 * units}) (got shape {recurrent_kernel.shape})")
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    require(bias.shape == bias_shape,
            f"with reset_after={reset_after} the bias must be {bias_shape} (got shape {bias.shape})")
    if reset_after:
        return kernel, recurrent_kernel, bias[0], bias[1]
    return kernel, recurrent_kernel, bias, np.zeros_like(bias)


def split_gru_weights(weights: Sequence[np.ndarray], reset_after: bool = True) -> dict[str, np.ndarray]:
    """[kernel, recurrent_kernel, bias] -> {"W_z": (input_dim, units), "U_z": (units, units), "b_z": (units,), ...}.

    Column block k of each packed array belongs to gate GATES[k]: kernel = [W_z W_r W_h], likewise U and b.
    With reset_after=True the recurrent bias (row 1) adds b_rz, b_rr and b_rh.
    """
    kernel, recurrent_kernel, input_bias, recurrent_bias = check_gru_weights(weights, reset_after)
    blocks = zip(GATES, np.split(kernel, 3, axis=1), np.split(recurrent_kernel, 3, axis=1),
                 np.split(input_bias, 3), np.split(recurrent_bias, 3))
    parts = {}
    for gate, input_weights, recurrent_weights, gate_bias, gate_recurrent_bias in blocks:
        parts[f"W_{gate}"], parts[f"U_{gate}"], parts[f"b_{gate}"] = input_weights, recurrent_weights, gate_bias
        if reset_after:
            parts[f"b_r{gate}"] = gate_recurrent_bias
    return parts


def orthogonal(rows: int, columns: int, rng: np.random.Generator) -> np.ndarray:
    """A (rows, columns) matrix whose rows (if rows <= columns) or columns are orthonormal: Keras' recurrent default."""
    q, r = np.linalg.qr(rng.normal(size=(max(rows, columns), min(rows, columns))))
    q *= np.sign(np.diag(r))  # QR is unique only up to signs; fixing them makes q uniformly distributed
    return q.T if rows < columns else q


def initial_gru_weights(input_dim: int, units: int, rng: np.random.Generator,
                        reset_after: bool = True) -> list[np.ndarray]:
    """Weights drawn the way keras.layers.GRU draws them (not the same numbers): [kernel, recurrent_kernel, bias].

    kernel: glorot-uniform, U(-limit, limit) with limit = sqrt(6 / (input_dim + 3*units)); recurrent kernel:
    orthogonal; bias: zeros, (2, 3*units) with reset_after, else (3*units,).
    """
    limit = np.sqrt(6.0 / (input_dim + 3 * units))
    kernel = rng.uniform(-limit, limit, size=(input_dim, 3 * units))
    recurrent_kernel = orthogonal(units, 3 * units, rng)
    return [kernel, recurrent_kernel, np.zeros((2, 3 * units) if reset_after else 3 * units)]


def count_gru_parameters(input_dim: int, units: int, reset_after: bool = True) -> int:
    """3 * (units * (input_dim + units) + 2 * units) with reset_after, else 3 * (units * (input_dim + units) + units):
    per block W (input_dim x units), U (units x units) and one bias (units), or two with reset_after."""
    return 3 * (units * (input_dim + units) + (2 if reset_after else 1) * units)

# ----------------------------------------------------------------------------------------------------------------
# The cell, one step at a time, and over a whole sequence.


def gru_cell_step(x_t: np.ndarray, h: np.ndarray, weights: Sequence[np.ndarray],
                  reset_after: bool = True) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One time step: x_t (batch, input_dim), h (batch, units) -> (h_t (batch, units), gates).

    gates: {"z", "r", "candidate"}, each (batch, units); z and r lie in (0, 1), the candidate in (-1, 1).
    """
    kernel, recurrent_kernel, input_bias, recurrent_bias = check_gru_weights(weights, reset_after)
    require(x_t.shape[-1] == kernel.shape[0], f"x_t must have {kernel.shape[0]} features (got shape {x_t.shape})")
    units = kernel.shape[1] // 3
    # The input's share of all three blocks in one product: (batch, input_dim) @ (input_dim, 3*units) + (3*units,).
    x_z, x_r, x_h = np.split(x_t @ kernel + input_bias, 3, axis=-1)  # each (batch, units)
    # The old state's share of z and r: (batch, units) @ (units, 2*units) (+ the recurrent bias, zero without it).
    recurrent_z, recurrent_r = np.split(h @ recurrent_kernel[:, :2 * units] + recurrent_bias[:2 * units], 2, axis=-1)
    z, r = sigmoid(x_z + recurrent_z), sigmoid(x_r + recurrent_r)
    if reset_after:  # r scales the finished product h U_h + b_rh, so all three blocks of h can share one product
        recurrent_h = r * (h @ recurrent_kernel[:, 2 * units:] + recurrent_bias[2 * units:])
    else:  # r scales h itself, before U_h mixes the units: a second product that must wait for r
        recurrent_h = (r * h) @ recurrent_kernel[:, 2 * units:]
    candidate = np.tanh(x_h + recurrent_h)
    h = z * h + (1.0 - z) * candidate  # Keras' convention: z near 1 keeps the old state
    return h, {"z": z, "r": r, "candidate": candidate}


def gru_forward(x: np.ndarray, weights: Sequence[np.ndarray], initial_state: np.ndarray | None = None,
                reset_after: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """x (batch, time, input_dim) -> (every h (batch, time, units), last h (batch, units)).

    Keras' GRU returns the first with return_sequences=True, the second without (and again with return_state=True).
    initial_state: h_0 (batch, units); zeros when None, as in Keras.
    """
    kernel = check_gru_weights(weights, reset_after)[0]
    units = kernel.shape[1] // 3
    require(x.ndim == 3 and x.shape[1] >= 1 and x.shape[2] == kernel.shape[0],
            f"x must be (batch, time >= 1, {kernel.shape[0]}) (got shape {x.shape})")
    if initial_state is None:
        h = np.zeros((x.shape[0], units), dtype=np.result_type(x, kernel))
    else:
        h = np.asarray(initial_state)
        require(h.shape == (x.shape[0], units), f"initial_state must be ({x.shape[0]}, {units}) (got {h.shape})")
    outputs = []
    for t in range(x.shape[1]):  # the recurrence: step t needs h of step t - 1, so time cannot be vectorised
        h, _ = gru_cell_step(x[:, t], h, weights, reset_after)
        outputs.append(h)
    return np.stack(outputs, axis=1), h

# ----------------------------------------------------------------------------------------------------------------
# Command line: a random sequence through a freshly initialised cell, and the other variant beside it.


@dataclasses.dataclass
class ScratchConfig(CellConfig):
    """The shared cell flags (--units, --input-dim, --sequence-length, --seed) and the GRU's variant."""

    reset_after: bool = option(True, "apply the reset gate after the recurrent product (Keras' default) or, "
                                     "with --no-reset-after, before it (Cho et al., 2014)")


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse flags, print the gates over a random sequence, compare the variants, check the parameter count."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    units, input_dim, reset_after = config.units, config.input_dim, config.reset_after
    print(f"GRU cell, blocks in Keras' order (z, r, h), reset_after={reset_after}:")
    print(EQUATIONS[reset_after])

    rng = np.random.default_rng(config.seed)
    weights = initial_gru_weights(input_dim, units, rng, reset_after)
    parts = split_gru_weights(weights, reset_after)
    print("weights as keras.layers.GRU stores them, the three blocks side by side:")
    for name, array, letter in zip(("kernel", "recurrent_kernel"), weights, "WU"):
        blocks = " ".join(f"{letter}_{gate}" for gate in GATES)
        print(f"  {name:<16} {str(array.shape):<8} = [{blocks}], each {parts[f'{letter}_z'].shape}")
    bias_text = "[[b_z b_r b_h], [b_rz b_rr b_rh]] (input bias, recurrent bias)" if reset_after else "[b_z b_r b_h]"
    print(f"  {'bias':<16} {str(weights[2].shape):<8} = {bias_text}, each {parts['b_z'].shape}")
    print("initialised like Keras: glorot-uniform kernel, orthogonal recurrent kernel, zero bias")

    x = rng.normal(size=(1, config.sequence_length, input_dim))  # one sequence of standard-normal features
    h = np.zeros((1, units))
    hidden_states, update_means = [], []
    print(f"a random sequence of {config.sequence_length} steps, means over the {units} units:")
    print("  step  update z  reset r  candidate  hidden h")
    for t in range(config.sequence_length):
        h, gates = gru_cell_step(x[:, t], h, weights, reset_after)
        hidden_states.append(h)
        update_means.append(float(gates["z"].mean()))
        if t < SHOWN_STEPS:
            print(f"  {t + 1:>4}  {gates['z'].mean():8.3f}  {gates['r'].mean():7.3f}  {gates['candidate'].mean():9.3f}"
                  f"  {h.mean():8.3f}")
    if config.sequence_length > SHOWN_STEPS:
        print(f"  ... ({config.sequence_length - SHOWN_STEPS} more steps)")
    all_h, last_h = gru_forward(x, weights, reset_after=reset_after)
    matches = bool(np.allclose(all_h, np.stack(hidden_states, axis=1)))
    print(f"gru_forward gives the same h as the step-by-step loop: {'ok' if matches else 'MISMATCH'}")

    # The other variant with the same kernel, recurrent kernel and input bias: only where r acts (and, from
    # reset_after=True, the recurrent bias, zero here) differs.
    other_weights = weights[:2] + [weights[2][0] if reset_after else np.stack([weights[2], np.zeros(3 * units)])]
    other_h, _ = gru_forward(x, other_weights, reset_after=not reset_after)
    difference = float(np.abs(other_h - all_h).max())
    placements = {True: "r * (h U_h)", False: "(r * h) U_h"}  # where each variant applies the reset gate
    print(f"reset_after={not reset_after} with the same weights: largest difference in h {difference:.4f}, "
          f"{placements[not reset_after]} instead of {placements[reset_after]} "
          "(they agree when units = 1; b_rh is 0 here)")

    formula = count_gru_parameters(input_dim, units, reset_after)
    arrays = sum(w.size for w in weights)
    biases = "2 * units" if reset_after else "units"
    print(f"parameters: 3 * (units * (input_dim + units) + {biases}) = 3 * ({units} * ({input_dim} + {units}) + "
          f"{(2 if reset_after else 1) * units}) = {formula}; arrays {' + '.join(str(w.size) for w in weights)} = "
          f"{arrays}  {'ok' if formula == arrays else 'MISMATCH'}")
    print(f"  the other variant has {count_gru_parameters(input_dim, units, not reset_after)}; "
          f"an LSTM of the same size {4 * (units * (input_dim + units) + units)}")

    results = {
        "params_formula": formula, "params_arrays": arrays, "forward_matches_loop": int(matches),
        "mean_update_gate": float(np.mean(update_means)), "max_abs_hidden_state": float(np.abs(all_h).max()),
        "last_hidden_mean": float(last_h.mean()), "variant_max_difference": difference,
        "compute_seconds": time.perf_counter() - start,
    }
    print(" ".join(f"{key}={value:.4f}" if isinstance(value, float) else f"{key}={value}"
                   for key, value in results.items()))
    return results


if __name__ == "__main__":
    main()
