"""A bidirectional pass from the SimpleRNN cell, in NumPy only: forward over x, backward over reversed x, merged.

    python -m birnn.scratch                               # a short sequence, both directions and every merge mode
    python -m birnn.scratch --units 3 --sequence-length 6 --merge-mode sum

The forward RNN reads x_1 .. x_T; the backward RNN, a second SimpleRNN with its own weights, reads x_T .. x_1. Its
states come out in reading order (h_T first), so they are reversed once more to line up with time: at step t the
merged state holds a forward state that has read x_1 .. x_t and a backward state that has read x_T .. x_t. The cell
is the SimpleRNN's, `rnn_forward` below. `tests/test_birnn_scratch.py` copies the weights of
`keras.layers.Bidirectional(SimpleRNN(...))` (forward weights first, then backward) into these functions and checks
every merge mode, with and without return_sequences.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python birnn/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import CellConfig
from common.flags import format_config, option, parse_config, require

MERGE_MODES = ("concat", "sum", "ave", "mul")


def rnn_forward(x: np.ndarray, weights: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One direction: x (batch, time, input_dim) -> (every h (batch, time, units), last h (batch, units)).

    h_t = tanh(x_t W + h_{t-1} U + b) from h_0 = 0, with weights [W, U, b] as keras.layers.SimpleRNN(...).get_weights()
    returns them (rnn/scratch.py teaches this cell step by step; a copy here keeps the folder standalone).
    """
    kernel, recurrent_kernel, bias = (np.asarray(weight) for weight in weights)
    h = np.zeros((x.shape[0], kernel.shape[1]), dtype=np.result_type(x, kernel))
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    return np.stack(states, axis=1), h


def merge(forward: np.ndarray, backward: np.ndarray, merge_mode: str) -> np.ndarray:
    """Combine the two directions' states (..., units): concat gives (..., 2 x units), the others (..., units)."""
    require(merge_mode in MERGE_MODES, f"--merge-mode must be one of {', '.join(MERGE_MODES)} (got {merge_mode!r})")
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "ave":
        return (forward + backward) / 2
    return forward * backward


def bidirectional_states(x: np.ndarray, forward_weights: Sequence[np.ndarray],
                         backward_weights: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(forward states, backward states), both (batch, time, units) and in time order.

    forward[:, t] has read x_1 .. x_t; backward[:, t] has read x_T .. x_t.
    """
    forward, _ = rnn_forward(x, forward_weights)
    backward_in_reading_order, _ = rnn_forward(x[:, ::-1], backward_weights)  # reads x_T first
    return forward, backward_in_reading_order[:, ::-1]                        # back into time order


def bidirectional_forward(x: np.ndarray, forward_weights: Sequence[np.ndarray], backward_weights: Sequence[np.ndarray],
                          merge_mode: str = "concat", return_sequences: bool = True) -> np.ndarray:
    """What Bidirectional(SimpleRNN(units, return_sequences=...), merge_mode=...) returns for x (batch, time, in).

    return_sequences=True: the merged states at every step (batch, time, units or 2 x units). False: the forward
    RNN's last state (after x_T) merged with the backward RNN's last state (after reading back to x_1).
    """
    forward, backward = bidirectional_states(x, forward_weights, backward_weights)
    if return_sequences:
        return merge(forward, backward, merge_mode)
    return merge(forward[:, -1], backward[:, 0], merge_mode)


def random_weights(input_dim: int, units: int, rng: np.random.Generator) -> list[np.ndarray]:
    """[kernel (input_dim, units), recurrent_kernel (units, units), bias (units,)], small random values."""
    return [rng.normal(0, 0.5, (input_dim, units)), rng.normal(0, 0.5, (units, units)), rng.normal(0, 0.1, units)]


@dataclasses.dataclass
class ScratchConfig(CellConfig):
    """The shared cell flags (--units, --input-dim, --sequence-length, --seed) and the merge mode."""

    merge_mode: str = option("concat", "how the two directions are combined", choices=MERGE_MODES)


def main(argv: Sequence[str] | None = None) -> dict:
    """Run a random sequence both ways, show what each direction has seen, and merge the two in every mode."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    x = rng.uniform(-1, 1, (1, config.sequence_length, config.input_dim))
    forward_weights = random_weights(config.input_dim, config.units, rng)
    backward_weights = random_weights(config.input_dim, config.units, rng)
    forward, backward = bidirectional_states(x, forward_weights, backward_weights)

    # What each direction knows at step 1: change the last input and see which states move.
    changed = x.copy()
    changed[:, -1] += 1.0
    forward_changed, backward_changed = bidirectional_states(changed, forward_weights, backward_weights)
    forward_moves = float(np.abs(forward_changed[:, 0] - forward[:, 0]).max())
    backward_moves = float(np.abs(backward_changed[:, 0] - backward[:, 0]).max())
    print(f"changing x_T moves the states at step 1 by: forward {forward_moves:.1e} (it has not read x_T yet), "
          f"backward {backward_moves:.1e} (it read x_T first)")

    print("first unit of each direction's state, by step:")
    print("  step  " + " ".join(f"{t + 1:>7}" for t in range(config.sequence_length)))
    print("  fwd   " + " ".join(f"{value:>7.3f}" for value in forward[0, :, 0]))
    print("  bwd   " + " ".join(f"{value:>7.3f}" for value in backward[0, :, 0]))
    shapes = {mode: bidirectional_forward(x, forward_weights, backward_weights, mode).shape for mode in MERGE_MODES}
    for mode, shape in shapes.items():
        print(f"  merge {mode:<7} -> output {shape}")
    merged = bidirectional_forward(x, forward_weights, backward_weights, config.merge_mode)
    seconds = time.perf_counter() - start
    print(f"forward_change_at_step_1={forward_moves:.1e} backward_change_at_step_1={backward_moves:.1e} "
          f"merged_shape={'x'.join(map(str, merged.shape))} compute_seconds={seconds:.3f}")
    return {"forward_change_at_step_1": forward_moves, "backward_change_at_step_1": backward_moves,
            "merged": merged, "shapes": shapes}


if __name__ == "__main__":
    main()
