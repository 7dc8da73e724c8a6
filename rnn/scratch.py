"""The SimpleRNN cell and backpropagation through time from first principles, in NumPy only.

    python -m rnn.scratch                                  # gradient check, truncation, gradient norms over 50 steps
    python -m rnn.scratch --sequence-length 100 --units 32 --truncate 10 --recurrent-scales 0.5,1.0,2.0

It runs a numerical gradient check of full BPTT, compares truncated with full BPTT, and measures the vanishing
gradient. The cell is Keras' SimpleRNN, h_t = tanh(x_t W + h_{t-1} U + b), with W = `kernel` (features, units),
U = `recurrent_kernel` (units, units), b = `bias` (units,) and batch-first inputs x (batch, time, features).
The lesson's model reads the last hidden state with a linear Dense layer (many-to-one), y = h_T V + c, and is scored
with the mean squared error. Truncated BPTT with k steps cuts the gradient along the hidden-state chain k steps back
from the last step: only the last k steps add to the gradients of W, U and b, and the state before them is treated
as a constant input (so it equals full BPTT over the last k inputs started from that state). `tests/test_rnn_scratch.py`
copies Keras `SimpleRNN` and `Dense` weights in and checks outputs and gradients (TensorFlow's autodiff) against these
functions. There is no Keras or TensorFlow anywhere in this file.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python rnn/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import DEFAULT_OUTPUT_DIR, make_run_dir
from common.flags import exit_on_bad_input, format_config, option, parse_config, require

PARAMETER_NAMES = ("kernel", "recurrent_kernel", "bias", "readout_kernel", "readout_bias")
INPUT_FEATURES, BATCH_SIZE = 3, 8  # the demonstration's random sequences: (BATCH_SIZE, sequence_length, 3)
TABLE_DISTANCES = (0, 1, 2, 5, 10, 20, 30, 40)  # columns of the printed gradient-norm table (plus the last step)

# ----------------------------------------------------------------------------------------------------------------
# The cell, the many-to-one model and its loss.


def orthogonal(rows: int, columns: int, rng: np.random.Generator) -> np.ndarray:
    """A (rows, columns) matrix with orthonormal rows or columns (Q of a QR decomposition): Keras' recurrent default.

    Square, every eigenvalue and singular value has magnitude 1, so `scale * orthogonal(n, n, rng)` has spectral
    radius and largest singular value exactly `scale`.
    """
    q, r = np.linalg.qr(rng.normal(size=(max(rows, columns), min(rows, columns))))
    q *= np.sign(np.diag(r))  # QR is unique only up to signs; fixing them makes q uniformly distributed
    return q.T if rows < columns else q


def init_parameters(input_dim: int, units: int, outputs: int = 1, recurrent_scale: float = 1.0,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Weights in Keras' layout: kernel (input_dim, units) and readout_kernel (units, outputs) Glorot uniform,
    recurrent_kernel (units, units) orthogonal times recurrent_scale, small random biases (units,) and (outputs,)."""
    rng = np.random.default_rng(seed)
    glorot = lambda n_in, n_out: rng.uniform(-1, 1, size=(n_in, n_out)) * np.sqrt(6.0 / (n_in + n_out))  # noqa: E731
    return {"kernel": glorot(input_dim, units), "recurrent_kernel": recurrent_scale * orthogonal(units, units, rng),
            "bias": rng.normal(0.0, 0.1, size=units), "readout_kernel": glorot(units, outputs),
            "readout_bias": rng.normal(0.0, 0.1, size=outputs)}


def check_rnn_weights(weights: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (kernel, recurrent_kernel, bias) as arrays, or raise ValueError if they do not fit together."""
    require(len(weights) == 3, f"weights must be [kernel, recurrent_kernel, bias] (got {len(weights)} arrays)")
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)
    require(kernel.ndim == 2, f"kernel must be (input_dim, units) (got shape {kernel.shape})")
    units = kernel.shape[1]
    require(recurrent_kernel.shape == (units, units),
            f"recurrent_kernel must be ({units}, {units}) (got shape {recurrent_kernel.shape})")
    require(bias.shape == (units,), f"bias must be ({units},) (got shape {bias.shape})")
    return kernel, recurrent_kernel, bias


def rnn_cell_step(x_t: np.ndarray, h: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
    """One time step: x_t (batch, input_dim), h_{t-1} (batch, units) -> h_t = tanh(x_t W + h_{t-1} U + b)."""
    kernel, recurrent_kernel, bias = weights
    return np.tanh(x_t @ kernel + h @ recurrent_kernel + bias)


def rnn_forward(x: np.ndarray, weights: Sequence[np.ndarray],
                initial_state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x (batch, time, input_dim) -> (every h (batch, time, units), last h (batch, units)).

    weights: [kernel, recurrent_kernel, bias], e.g. keras.layers.SimpleRNN(...).get_weights(). Keras' SimpleRNN
    returns the first with return_sequences=True, the second without. initial_state: h_0 (batch, units); zeros when
    None, as in Keras.
    """
    kernel, recurrent_kernel, bias = check_rnn_weights(weights)
    require(x.ndim == 3 and x.shape[1] >= 1 and x.shape[2] == kernel.shape[0],
            f"x must be (batch, time >= 1, {kernel.shape[0]}) (got shape {x.shape})")
    h = np.zeros((x.shape[0], kernel.shape[1]), dtype=np.result_type(x, kernel)) if initial_state is None \
        else np.asarray(initial_state)
    require(h.shape == (x.shape[0], kernel.shape[1]),
            f"initial_state must be ({x.shape[0]}, {kernel.shape[1]}) (got {h.shape})")
    outputs = []
    for t in range(x.shape[1]):  # the same W, U and b at every step; step t needs h_{t-1}, so time is a loop
        h = rnn_cell_step(x[:, t], h, (kernel, recurrent_kernel, bias))
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def predict(params: dict[str, np.ndarray], x: np.ndarray,
            initial_state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x (batch, time, features) -> predictions (batch, outputs) read from the last state, and every state
    (batch, time, units)."""
    states, last = rnn_forward(x, [params[name] for name in PARAMETER_NAMES[:3]], initial_state)
    return last @ params["readout_kernel"] + params["readout_bias"], states


def mse_loss(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
             initial_state: np.ndarray | None = None) -> float:
    """Mean squared error of the predictions against targets y (batch, outputs), averaged over every entry."""
    return float(np.mean((predict(params, x, initial_state)[0] - y) ** 2))

# ----------------------------------------------------------------------------------------------------------------
# Backpropagation through time.


def bptt(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, truncate: int | None = None,
         initial_state: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Gradients of mse_loss for every parameter (same names and shapes), and dL/dh_t (batch, time, units).

    Steps are counted t = 1 .. T, h_T being the last state. truncate=None is full BPTT. truncate=k walks back only
    through the last k steps, t = T-k+1 .. T: the chain dL/dh_{t-1} = (dL/dh_t * (1 - h_t^2)) U^T is cut there, so
    h_{T-k} acts as a constant input and dL/dh_t stays 0 for earlier steps (k >= T is full BPTT). The readout's
    gradients do not depend on k.
    """
    prediction, states = predict(params, x, initial_state)
    batch, steps, units = states.shape
    start = np.zeros((batch, 1, units)) if initial_state is None else initial_state[:, None]
    previous = np.concatenate([start, states[:, :-1]], axis=1)  # h_{t-1} for every t, (batch, time, units)
    grad_prediction = 2.0 * (prediction - y) / prediction.size  # dL/dy (batch, outputs)
    grads = {name: np.zeros_like(params[name], dtype=np.result_type(params[name], x)) for name in PARAMETER_NAMES}
    grads["readout_kernel"] = states[:, -1].T @ grad_prediction  # (units, outputs)
    grads["readout_bias"] = grad_prediction.sum(axis=0)
    hidden_gradients = np.zeros_like(states)
    grad_h = grad_prediction @ params["readout_kernel"].T  # dL/dh_T, the last state (batch, units)
    for t in range(steps - 1, max(steps - (truncate or steps), 0) - 1, -1):
        hidden_gradients[:, t] = grad_h
        grad_z = grad_h * (1.0 - states[:, t] ** 2)  # through tanh: dL/dz_t, z_t = x_t W + h_{t-1} U + b
        grads["kernel"] += x[:, t].T @ grad_z  # step t's contribution to the shared weights
        grads["recurrent_kernel"] += previous[:, t].T @ grad_z
        grads["bias"] += grad_z.sum(axis=0)
        grad_h = grad_z @ params["recurrent_kernel"].T  # one step further back along the chain: dL/dh_{t-1}
    return grads, hidden_gradients


def numerical_gradients(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                        epsilon: float = 1e-5) -> dict[str, np.ndarray]:
    """dL/dp for every entry of every parameter by central differences, (L(p + eps) - L(p - eps)) / (2 eps)."""
    gradients = {}
    for name in PARAMETER_NAMES:
        parameter, gradient = params[name], np.zeros_like(params[name])
        for index in np.ndindex(parameter.shape):
            original = parameter[index]
            parameter[index] = original + epsilon
            loss_plus = mse_loss(params, x, y)
            parameter[index] = original - epsilon
            loss_minus = mse_loss(params, x, y)
            parameter[index] = original
            gradient[index] = (loss_plus - loss_minus) / (2 * epsilon)
        gradients[name] = gradient
    return gradients


def relative_errors(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> dict[str, float]:
    """||a - b|| / max(||a|| + ||b||, tiny) per parameter, with Euclidean norms of whole arrays (as ann.scratch)."""
    tiny = np.finfo(np.float64).tiny
    return {name: float(np.linalg.norm(first[name] - second[name])
                        / max(np.linalg.norm(first[name]) + np.linalg.norm(second[name]), tiny))
            for name in PARAMETER_NAMES}


def make_problem(sequence_length: int, units: int, recurrent_scale: float = 1.0, batch_size: int = BATCH_SIZE,
                 seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """float64 parameters, random inputs x (batch, time, INPUT_FEATURES) ~ N(0, 1) and targets y (batch, 1)."""
    rng = np.random.default_rng(seed + 1000)  # not the weights' stream, so the data stay put when a scale changes
    x, y = rng.normal(size=(batch_size, sequence_length, INPUT_FEATURES)), rng.normal(size=(batch_size, 1))
    return init_parameters(INPUT_FEATURES, units, 1, recurrent_scale, seed), x, y


def gradient_check(sequence_length: int = 10, units: int = 5, seed: int = 0) -> dict[str, float]:
    """Relative error of full BPTT against central differences per parameter, on a small float64 problem
    (every weight costs two forward passes); 1e-10 or less when BPTT is right, 1e-2 or more when it is not."""
    params, x, y = make_problem(sequence_length, units, batch_size=3, seed=seed)
    return relative_errors(bptt(params, x, y)[0], numerical_gradients(params, x, y))


def compare_truncation(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                       truncate: int) -> dict[str, dict[str, float]]:
    """||truncated - full|| / ||full|| per parameter (the usual relative difference, with the full gradient as the
    reference; 0 where both are 0), for k = the sequence length and for k = truncate."""
    full = bptt(params, x, y)[0]
    tiny = np.finfo(np.float64).tiny
    return {f"k={k}": {name: float(np.linalg.norm(truncated[name] - full[name]) / max(np.linalg.norm(full[name]), tiny))
                       for name in full}
            for k, truncated in ((k, bptt(params, x, y, truncate=k)[0]) for k in (x.shape[1], truncate))}

# ----------------------------------------------------------------------------------------------------------------
# The vanishing gradient: how much of the loss's gradient reaches step t.


def gradient_norms(sequence_length: int, units: int, scales: Sequence[float], seed: int = 0) -> dict[str, np.ndarray]:
    """{scale: ||dL/dh_t|| (Frobenius norm over batch and units) indexed by distance T - t from the last step}.

    The same inputs and weights for every scale except U = scale * orthogonal. Each step back multiplies dL/dh by
    diag(1 - h_t^2) U^T, whose norm is at most scale, so ||dL/dh_t|| <= scale^(T - t) * ||dL/dh_T||.
    """
    norms = {}
    for scale in scales:
        params, x, y = make_problem(sequence_length, units, scale, seed=seed)
        hidden_gradients = bptt(params, x, y)[1]  # (batch, time, units)
        norms[f"{scale:g}"] = np.linalg.norm(hidden_gradients, axis=(0, 2))[::-1]  # index = distance from the loss
    return norms


def plot_gradient_norms(norms: dict[str, np.ndarray], path: Path) -> Path:
    """||dL/dh_t|| against distance from the loss on a log scale, one line per recurrent scale."""
    from common.plots import plt, save_figure  # here: matplotlib loads only once the flags are known to be good

    figure, axis = plt.subplots(figsize=(6.5, 4.2))
    for scale, values in norms.items():
        distances = np.arange(len(values))
        line, = axis.semilogy(distances, values, label=f"U = {scale} x orthogonal")
        # The bound scale^(T - t) * ||dL/dh_T||: tanh' <= 1 can only pull the real curve below it.
        axis.semilogy(distances, values[0] * float(scale) ** distances, "--", color=line.get_color(), linewidth=0.8)
    everything = np.concatenate(list(norms.values()))
    axis.set_ylim(everything[everything > 0].min() / 10, everything.max() * 10)  # a growing bound would swamp the rest
    axis.plot([], [], "--", color="gray", linewidth=0.8, label="bound scale^(T - t) x ||dL/dh_T||")
    axis.set_xlabel("distance from the loss, T - t (steps)")
    axis.set_ylabel("||dL/dh_t||")
    axis.set_title("gradient reaching each hidden state (SimpleRNN, tanh)")
    axis.grid(alpha=0.3, which="both")
    axis.legend()
    return save_figure(figure, path)

# ----------------------------------------------------------------------------------------------------------------
# Command line.


def parse_scales(text: str) -> list[float]:
    """'0.5,0.9,1.5' -> [0.5, 0.9, 1.5]; each must be a positive number."""
    try:
        scales = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--recurrent-scales must be comma-separated numbers such as 0.5,0.9,1.5 (got {text!r})") \
            from None
    require(len(scales) > 0 and all(0 < scale <= 10 for scale in scales),
            f"--recurrent-scales needs one or more numbers between 0 and 10 (got {text!r})")
    return scales


@dataclasses.dataclass
class ScratchConfig:
    """Settings of the from-scratch demonstration (its own small set: nothing is trained here)."""

    sequence_length: int = option(50, "time steps of the demonstration's sequences")
    units: int = option(16, "hidden units of the recurrent cell")
    truncate: int = option(5, "k of truncated BPTT, compared with full BPTT")
    recurrent_scales: str = option("0.5,0.9,1.5", "spectral radii of the recurrent kernel in the gradient-norm plot")
    seed: int = option(0, "random seed for weights and the random sequences")
    output_dir: str = option(str(DEFAULT_OUTPUT_DIR), "folder under which a new rnn/scratch-<time> folder is written")

    def __post_init__(self) -> None:
        require(1 <= self.sequence_length <= 1000,
                f"--sequence-length must be between 1 and 1000 (got {self.sequence_length})")
        require(1 <= self.units <= 256, f"--units must be between 1 and 256 (got {self.units})")
        require(self.truncate >= 1, f"--truncate must be at least 1 (got {self.truncate})")
        parse_scales(self.recurrent_scales)
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")
        output = Path(self.output_dir)
        require(not output.exists() or output.is_dir(), f"--output-dir {output} exists and is not a folder")


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse flags, check BPTT numerically, compare truncation, measure and plot the gradient norms; return them."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    start = time.perf_counter()
    errors = gradient_check(seed=config.seed)
    print("gradient check, full BPTT against central differences (float64, 3 sequences of 10 steps, 5 units), "
          "relative error:\n  " + "  ".join(f"{name} {error:.1e}" for name, error in errors.items()))

    params, x, y = make_problem(config.sequence_length, config.units, seed=config.seed)
    truncation = compare_truncation(params, x, y, config.truncate)
    print(f"truncated BPTT against full BPTT ({config.sequence_length} steps, {config.units} units, "
          f"U = orthogonal), relative difference ||truncated - full|| / ||full||:")
    for label, differences in truncation.items():
        print(f"  {label:<6} " + "  ".join(f"{name} {value:.1e}" for name, value in differences.items()))

    scales = parse_scales(config.recurrent_scales)
    norms = gradient_norms(config.sequence_length, config.units, scales, seed=config.seed)
    distances = sorted({d for d in TABLE_DISTANCES if d < config.sequence_length} | {config.sequence_length - 1})
    print("||dL/dh_t|| by distance T - t from the loss:\n  scale " + "".join(f"{d:>9}" for d in distances))
    for scale, values in norms.items():
        print(f"  {scale:>5} " + "".join(f"{values[d]:9.1e}" for d in distances))

    with exit_on_bad_input():  # an unwritable --output-dir is bad input, not a bug
        run_dir = make_run_dir(config.output_dir, "rnn", "scratch")
    plot = plot_gradient_norms(norms, run_dir / "gradient_norms.png")
    results = {
        "gradient_check": errors, "gradient_check_max_rel_error": max(errors.values()),
        "truncation": truncation, "gradient_norms": {scale: values.tolist() for scale, values in norms.items()},
        "plot": str(plot), "compute_seconds": time.perf_counter() - start,
    }
    print(f"gradient_check_max_rel_error={results['gradient_check_max_rel_error']:.1e} "
          f"truncated_recurrent_kernel_difference={truncation[f'k={config.truncate}']['recurrent_kernel']:.1e} "
          f"compute_seconds={results['compute_seconds']:.2f} run_dir={run_dir}")
    return results


if __name__ == "__main__":
    main()
