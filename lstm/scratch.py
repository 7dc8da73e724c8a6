"""The LSTM cell from first principles, in NumPy only: input, forget and output gates, candidate and cell state.

    python -m lstm.scratch                                  # a random 12-step sequence through a 4-unit cell
    python -m lstm.scratch --units 8 --input-dim 3 --sequence-length 20 --seed 1

Weights are laid out exactly as Keras lays them out, so the list `keras.layers.LSTM(...).get_weights()` returns can be
passed in unchanged: kernel (input_dim, 4*units), recurrent_kernel (units, 4*units), bias (4*units,), each holding
the four gates side by side in Keras' order i, f, c, o (input gate, forget gate, candidate, output gate).
Activations are Keras 3's defaults: tanh for the candidate and the cell output, and for the gates the logistic
sigmoid 1 / (1 + exp(-z)) (not hard_sigmoid, which early Keras 2 releases used).
`tests/test_lstm_scratch.py` copies Keras `LSTM` weights into `lstm_forward` and asserts that the outputs and the
final states agree. There is no Keras or TensorFlow anywhere in this file.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python lstm/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import CellConfig
from common.flags import format_config, parse_config, require

GATES = ("i", "f", "c", "o")  # Keras' order of the four blocks in the kernel, the recurrent kernel and the bias
SHOWN_STEPS = 8  # the demo prints the gates of this many first steps
EQUATIONS = """\
  i_t  = sigmoid(x_t W_i + h_{t-1} U_i + b_i)   input gate: how much of the candidate to write
  f_t  = sigmoid(x_t W_f + h_{t-1} U_f + b_f)   forget gate: how much of the old cell state to keep
  c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c)      candidate: the new content proposed for the cell
  o_t  = sigmoid(x_t W_o + h_{t-1} U_o + b_o)   output gate: how much of the cell to show
  c_t  = f_t * c_{t-1} + i_t * c~_t             cell state (the long-term memory); * is elementwise
  h_t  = o_t * tanh(c_t)                        hidden state, the layer's output at step t"""

# ----------------------------------------------------------------------------------------------------------------
# Weights: Keras' packed layout, the named gate matrices inside it, and Keras' initialisation.


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), elementwise, into (0, 1); same shape and dtype as z."""
    # exp(-|z|) never overflows; the two branches are the same function written for z >= 0 and z < 0.
    exp_minus_abs = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + exp_minus_abs), exp_minus_abs / (1.0 + exp_minus_abs))


def check_lstm_weights(weights: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (kernel, recurrent_kernel, bias) as arrays, or raise ValueError if they do not fit together."""
    require(len(weights) == 3, f"weights must be [kernel, recurrent_kernel, bias] (got {len(weights)} arrays)")
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)
    require(kernel.ndim == 2 and kernel.shape[1] % 4 == 0 and kernel.shape[1] > 0,
            f"kernel must be (input_dim, 4*units) (got shape {kernel.shape})")
    units = kernel.shape[1] // 4
    require(recurrent_kernel.shape == (units, 4 * units),
            f"recurrent_kernel must be ({units}, {4 * units}) (got shape {recurrent_kernel.shape})")
    require(bias.shape == (4 * units,), f"bias must be ({4 * units},) (got shape {bias.shape})")
    return kernel, recurrent_kernel, bias


def split_lstm_weights(weights: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """[kernel, recurrent_kernel, bias] -> {"W_i": (input_dim, units), "U_i": (units, units), "b_i": (units,), ...}.

    Column block k of each packed array belongs to gate GATES[k]: kernel = [W_i W_f W_c W_o], likewise U and b.
    """
    kernel, recurrent_kernel, bias = check_lstm_weights(weights)
    blocks = zip(GATES, np.split(kernel, 4, axis=1), np.split(recurrent_kernel, 4, axis=1), np.split(bias, 4))
    parts = {}
    for gate, input_weights, recurrent_weights, gate_bias in blocks:
        parts[f"W_{gate}"], parts[f"U_{gate}"], parts[f"b_{gate}"] = input_weights, recurrent_weights, gate_bias
    return parts


def orthogonal(rows: int, columns: int, rng: np.random.Generator) -> np.ndarray:
    """A (rows, columns) matrix whose rows (if rows <= columns) or columns are orthonormal: Keras' recurrent default."""
    q, r = np.linalg.qr(rng.normal(size=(max(rows, columns), min(rows, columns))))
    q *= np.sign(np.diag(r))  # QR is unique only up to signs; fixing them makes q uniformly distributed
    return q.T if rows < columns else q


def initial_lstm_weights(input_dim: int, units: int, rng: np.random.Generator,
                         unit_forget_bias: bool = True) -> list[np.ndarray]:
    """Weights drawn the way keras.layers.LSTM draws them (not the same numbers): [kernel, recurrent_kernel, bias].

    kernel: glorot-uniform, U(-limit, limit) with limit = sqrt(6 / (input_dim + 4*units)); recurrent kernel:
    orthogonal; bias: zeros, except b_f = 1 with unit_forget_bias (Keras' default), so that at the start of training
    f_t is about sigmoid(1) = 0.73 and the cell keeps most of its memory instead of halving it every step.
    """
    limit = np.sqrt(6.0 / (input_dim + 4 * units))
    kernel = rng.uniform(-limit, limit, size=(input_dim, 4 * units))
    recurrent_kernel = orthogonal(units, 4 * units, rng)
    bias = np.zeros(4 * units)
    if unit_forget_bias:
        bias[units:2 * units] = 1.0  # the second block is the forget gate's
    return [kernel, recurrent_kernel, bias]


def count_lstm_parameters(input_dim: int, units: int) -> int:
    """4 * (units * (input_dim + units) + units): per gate, W (input_dim x units), U (units x units), b (units)."""
    return 4 * (units * (input_dim + units) + units)

# ----------------------------------------------------------------------------------------------------------------
# The cell, one step at a time, and over a whole sequence.


def lstm_cell_step(x_t: np.ndarray, h: np.ndarray, c: np.ndarray,
                   weights: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One time step: x_t (batch, input_dim), h and c (batch, units) -> (h_t, c_t, gates), h_t and c_t (batch, units).

    gates: {"i", "f", "candidate", "o"}, each (batch, units); i, f and o lie in (0, 1), the candidate in (-1, 1).
    """
    kernel, recurrent_kernel, bias = check_lstm_weights(weights)
    require(x_t.shape[-1] == kernel.shape[0], f"x_t must have {kernel.shape[0]} features (got shape {x_t.shape})")
    # All four gates in one product, as Keras computes them: (batch, input_dim) @ (input_dim, 4*units)
    # + (batch, units) @ (units, 4*units) + (4*units,) -> (batch, 4*units), then cut into four (batch, units) blocks.
    z = x_t @ kernel + h @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    gates = {"i": sigmoid(z_i), "f": sigmoid(z_f), "candidate": np.tanh(z_c), "o": sigmoid(z_o)}
    c = gates["f"] * c + gates["i"] * gates["candidate"]  # keep part of the old memory, write part of the new
    h = gates["o"] * np.tanh(c)
    return h, c, gates


def lstm_forward(x: np.ndarray, weights: Sequence[np.ndarray],
                 initial_state: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (batch, time, input_dim) -> (every h (batch, time, units), last h (batch, units), last c (batch, units)).

    Keras' LSTM returns the first with return_sequences=True, the second without; return_state=True adds the last
    h and c. initial_state: (h_0, c_0), each (batch, units); zeros when None, as in Keras.
    """
    kernel, _, _ = check_lstm_weights(weights)
    units = kernel.shape[1] // 4
    require(x.ndim == 3 and x.shape[1] >= 1 and x.shape[2] == kernel.shape[0],
            f"x must be (batch, time >= 1, {kernel.shape[0]}) (got shape {x.shape})")
    if initial_state is None:
        h = c = np.zeros((x.shape[0], units), dtype=np.result_type(x, kernel))
    else:
        h, c = (np.asarray(state) for state in initial_state)
        require(h.shape == c.shape == (x.shape[0], units),
                f"initial_state must be (h_0, c_0), each ({x.shape[0]}, {units}) (got {h.shape} and {c.shape})")
    outputs = []
    for t in range(x.shape[1]):  # the recurrence: step t needs h and c of step t - 1, so time cannot be vectorised
        h, c, _ = lstm_cell_step(x[:, t], h, c, weights)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c

# ----------------------------------------------------------------------------------------------------------------
# Command line: a random sequence through a freshly initialised cell.


@dataclasses.dataclass
class ScratchConfig(CellConfig):
    """The shared cell flags (--units, --input-dim, --sequence-length, --seed; common/config.py), as this script's
    own: its --help and errors name lstm/scratch.py."""


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse flags, run a random sequence through the cell printing its gates, check the parameter count."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    units, input_dim = config.units, config.input_dim
    print("LSTM cell, gates in Keras' order (i, f, c, o):")
    print(EQUATIONS)

    rng = np.random.default_rng(config.seed)
    weights = initial_lstm_weights(input_dim, units, rng)
    parts = split_lstm_weights(weights)
    print("weights as keras.layers.LSTM stores them, the four gates' blocks side by side:")
    for name, array, letter in zip(("kernel", "recurrent_kernel", "bias"), weights, "WUb"):
        print(f"  {name:<16} {str(array.shape):<8} = [{' '.join(f'{letter}_{gate}' for gate in GATES)}], "
              f"each {parts[f'{letter}_i'].shape}")
    print("initialised like Keras: glorot-uniform kernel, orthogonal recurrent kernel, zero bias except "
          "b_f = 1 (unit_forget_bias)")

    x = rng.normal(size=(1, config.sequence_length, input_dim))  # one sequence of standard-normal features
    h, c = np.zeros((1, units)), np.zeros((1, units))
    hidden_states, cell_states, forget_means = [], [], []
    print(f"a random sequence of {config.sequence_length} steps, means over the {units} units:")
    print("  step  input i  forget f  candidate  output o   cell c  hidden h")
    for t in range(config.sequence_length):
        h, c, gates = lstm_cell_step(x[:, t], h, c, weights)
        hidden_states.append(h)
        cell_states.append(c)
        forget_means.append(float(gates["f"].mean()))
        if t < SHOWN_STEPS:
            print(f"  {t + 1:>4}  {gates['i'].mean():7.3f}  {gates['f'].mean():8.3f}  {gates['candidate'].mean():9.3f}"
                  f"  {gates['o'].mean():8.3f}  {c.mean():7.3f}  {h.mean():8.3f}")
    if config.sequence_length > SHOWN_STEPS:
        print(f"  ... ({config.sequence_length - SHOWN_STEPS} more steps)")
    all_h, last_h, last_c = lstm_forward(x, weights)
    matches = np.allclose(all_h, np.stack(hidden_states, axis=1)) and np.allclose(last_c, c)
    print(f"lstm_forward gives the same h and c as the step-by-step loop: {'ok' if matches else 'MISMATCH'}")

    formula = count_lstm_parameters(input_dim, units)
    arrays = sum(w.size for w in weights)
    print(f"parameters: 4 * (units * (input_dim + units) + units) = 4 * ({units} * ({input_dim} + {units}) + {units}) "
          f"= {formula}; arrays {' + '.join(str(w.size) for w in weights)} = {arrays}  "
          f"{'ok' if formula == arrays else 'MISMATCH'}")

    results = {
        "params_formula": formula, "params_arrays": arrays, "forward_matches_loop": int(matches),
        "mean_forget_gate": float(np.mean(forget_means)),
        "max_abs_cell_state": float(np.abs(cell_states).max()), "max_abs_hidden_state": float(np.abs(all_h).max()),
        "last_hidden_mean": float(last_h.mean()), "compute_seconds": time.perf_counter() - start,
    }
    print(" ".join(f"{key}={value:.4f}" if isinstance(value, float) else f"{key}={value}"
                   for key, value in results.items()))
    return results


if __name__ == "__main__":
    main()
