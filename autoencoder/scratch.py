"""A linear autoencoder in NumPy, trained by gradient descent, ends up spanning the same subspace as PCA.

    python -m autoencoder.scratch                          # digits, an 8-number code, 3000 gradient steps
    python -m autoencoder.scratch --code-size 2 --steps 6000
    python -m autoencoder.scratch --dataset mnist5k --code-size 16 --steps 1000

The images are centred on the training mean, then all divided by one number (the root mean squared length of a
centred training image), so that one learning rate suits both data sets; neither step changes which directions PCA
finds. With an encoder matrix W_enc (d, k) and a decoder matrix W_dec (k, d), no biases and no activation:

    code = x W_enc          x_hat = code W_dec          L = 1/n sum_i ||x_hat_i - x_i||^2

Gradient descent on L, from small random weights, reaches the best rank-k reconstruction, which PCA gives in closed
form (Eckart-Young; Baldi and Hornik 1989): the rows of W_dec span the subspace of the first k principal
components. The weights themselves are not the components (any invertible k x k matrix A gives the same x_hat with
W_enc A and A^-1 W_dec), so what is compared is the subspace, by its principal angles: zero when the two coincide.
`tests/test_autoencoder_scratch.py` copies these weights into a Keras model and asserts that outputs and gradients
agree. There is no Keras or TensorFlow anywhere in this file.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from threadpoolctl import threadpool_limits  # installed with scikit-learn

if __package__ in (None, ""):  # run as a file (python autoencoder/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config, require

DATASETS = ("digits", "mnist5k")  # autoencoder.dataset's embedded images
QUICK_STEPS = 300


# ----------------------------------------------------------------------------------------------------------------
# Data: flat, centred, one common scale


def flatten(images: np.ndarray) -> np.ndarray:
    """(n, h, w, 1) images -> (n, h*w) float64 rows."""
    return images.reshape(len(images), -1).astype("float64")


@dataclasses.dataclass
class Centring:
    """x -> (x - mean) / scale with the training split's mean image and one scale for all pixels, and back."""

    mean: np.ndarray
    scale: float

    @classmethod
    def fit(cls, x_train: np.ndarray) -> "Centring":
        mean = x_train.mean(axis=0)
        return cls(mean, float(np.sqrt(np.mean(np.sum((x_train - mean) ** 2, axis=1)))))

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.scale

    def undo(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale + self.mean


# ----------------------------------------------------------------------------------------------------------------
# The linear autoencoder


class LinearAutoencoder:
    """code = x W_enc, x_hat = code W_dec: x (n, d) -> code (n, k) -> x_hat (n, d). No biases: x is centred."""

    def __init__(self, input_dim: int, code_size: int, seed: int = 0, init_scale: float = 0.1):
        rng = np.random.default_rng(seed)
        # Small random weights: all zeros would be a saddle point where every gradient is zero.
        self.W_enc = rng.normal(0.0, init_scale, size=(input_dim, code_size))
        self.W_dec = rng.normal(0.0, init_scale, size=(code_size, input_dim))

    def encode(self, x: np.ndarray) -> np.ndarray:
        return x @ self.W_enc                                   # (n, k)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.encode(x) @ self.W_dec                      # (n, d)

    def loss(self, x: np.ndarray) -> float:
        """1/n sum_i ||x_hat_i - x_i||^2: squared error summed over the features, averaged over the examples."""
        return float(np.mean(np.sum((self.forward(x) - x) ** 2, axis=1)))

    def gradients(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dL/dW_enc (d, k), dL/dW_dec (k, d)) by the chain rule, with the residual R = x_hat - x (n, d):

        dL/dx_hat = 2 R / n,   dL/dW_dec = code^T (2 R / n),   dL/dW_enc = x^T (2 R / n) W_dec^T
        """
        code = self.encode(x)
        grad_output = 2.0 * (code @ self.W_dec - x) / len(x)   # (n, d)
        return x.T @ (grad_output @ self.W_dec.T), code.T @ grad_output

    def step(self, x: np.ndarray, learning_rate: float) -> None:
        """One step of (full-batch) gradient descent: every weight moves against its gradient."""
        grad_enc, grad_dec = self.gradients(x)
        self.W_enc -= learning_rate * grad_enc
        self.W_dec -= learning_rate * grad_dec

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """[W_enc, W_dec] as Keras stores two Dense(use_bias=False) kernels, (d, k) and (k, d)."""
        self.W_enc, self.W_dec = (np.asarray(w, dtype="float64").copy() for w in weights)

    def count_parameters(self) -> int:
        return self.W_enc.size + self.W_dec.size


# ----------------------------------------------------------------------------------------------------------------
# PCA and principal angles, in NumPy


def principal_components(x: np.ndarray, k: int) -> np.ndarray:
    """The first k principal directions (k, d) of centred rows x (n, d): the top right-singular vectors of x."""
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return vt[:k]


def pca_reconstruct(x: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Centred rows x (n, d) projected onto the orthonormal components (k, d) and back: the best rank-k fit."""
    return (x @ components.T) @ components


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles in degrees, smallest first, between the subspaces spanned by the columns of a (d, k) and b (d, m).

    With orthonormal bases Q_a and Q_b (QR decompositions), the singular values of Q_a^T Q_b are the cosines of the
    principal angles: all 1 (angles 0) when the subspaces coincide, 0 (angle 90) for a direction of one that is
    orthogonal to all of the other.
    """
    q_a, _ = np.linalg.qr(a)
    q_b, _ = np.linalg.qr(b)
    cosines = np.linalg.svd(q_a.T @ q_b, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))


def axis_angle(u: np.ndarray, v: np.ndarray) -> float:
    """The angle in degrees between two directions, ignoring sign (0 to 90)."""
    cosine = abs(float(u @ v)) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arccos(min(cosine, 1.0))))


def train(model: LinearAutoencoder, x: np.ndarray, learning_rate: float, steps: int,
          components: np.ndarray | None = None, log_every: int = 0) -> list[float]:
    """Full-batch gradient descent for `steps` steps; returns the loss before each step. With components given,
    the log lines also show the largest principal angle between the decoder's rows and them. ValueError when the
    loss overflows (a learning rate too large for the data)."""
    losses = []
    # These matrix products are small: split over several BLAS threads, the threads spend their time waiting for
    # each other (forty times slower on a busy 2-core machine), so NumPy's BLAS keeps to one thread here.
    # An overflow is reported below with what to do about it, rather than as NumPy's warnings.
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, steps + 1):
            losses.append(model.loss(x))
            if not np.isfinite(losses[-1]):
                raise ValueError(f"the loss overflowed at step {step}: the steps are too long for these data, try a "
                                 f"smaller --learning-rate (got {learning_rate})")
            model.step(x, learning_rate)
            if log_every and (step % log_every == 0 or step == 1):
                angle = "" if components is None else \
                    f", largest angle to PCA {principal_angles(model.W_dec.T, components.T).max():.3f} degrees"
                print(f"step {step:5d}: loss {model.loss(x):.5f}{angle}")
    return losses


# ----------------------------------------------------------------------------------------------------------------
# The command line


@dataclasses.dataclass
class ScratchConfig:
    """Settings of the from-scratch run (its own small set: no optimizer, patience or run folder here)."""

    dataset: str = option("digits", "images to compress", choices=DATASETS)
    code_size: int = option(8, "numbers in the code (k), and principal components PCA keeps")
    learning_rate: float = option(1.0, "gradient-descent step size (the images are scaled so that one fits all)")
    steps: int = option(3000, "full-batch gradient-descent steps")
    seed: int = option(0, "random seed for the initial weights (data splits are fixed)")
    quick: bool = option(False, f"at most {QUICK_STEPS} steps, for tests and a first look")

    def __post_init__(self) -> None:
        require(self.dataset in DATASETS, f"--dataset must be one of {', '.join(DATASETS)} (got {self.dataset!r})")
        require(self.code_size >= 1, f"--code-size must be at least 1 (got {self.code_size})")
        require(0 < self.learning_rate < 10, f"--learning-rate must be between 0 and 10 (got {self.learning_rate})")
        require(self.steps >= 1, f"--steps must be at least 1 (got {self.steps})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the linear autoencoder, compare its subspace and its test error with PCA's; return the summary values."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))

    # Here, not at the top: a bad flag is answered before scikit-learn and the data load.
    from autoencoder.dataset import DATASETS as LOADERS

    data = LOADERS[config.dataset]()
    x_train, x_test = flatten(data.x_train), flatten(data.x_test)
    with exit_on_bad_input():
        require(config.code_size < x_train.shape[1],
                f"--code-size must be below the {x_train.shape[1]} pixels of a {config.dataset} image "
                f"(got {config.code_size})")
    centring = Centring.fit(x_train)
    train_x, test_x = centring.apply(x_train), centring.apply(x_test)
    steps = min(config.steps, QUICK_STEPS) if config.quick else config.steps
    print(f"data: {config.dataset}, {len(x_train)} train / {len(x_test)} test images of {x_train.shape[1]} pixels, "
          f"centred, divided by {centring.scale:.3f}")

    components = principal_components(train_x, config.code_size)        # (k, d), fitted on the training split
    model = LinearAutoencoder(x_train.shape[1], config.code_size, seed=config.seed)
    print(f"linear autoencoder {x_train.shape[1]} -> {config.code_size} -> {x_train.shape[1]} "
          f"({model.count_parameters()} parameters), learning rate {config.learning_rate}, {steps} steps")
    start = time.perf_counter()
    with exit_on_bad_input():
        train(model, train_x, config.learning_rate, steps, components, log_every=max(1, steps // 6))
    train_seconds = time.perf_counter() - start

    # Errors in pixel units (0..1), per pixel, as autoencoder/train.py reports them.
    def test_mse(reconstruction: np.ndarray) -> float:
        return float(np.mean((centring.undo(reconstruction) - x_test) ** 2))

    angles = principal_angles(model.W_dec.T, components.T)
    results = {
        "test_mse": test_mse(model.forward(test_x)),
        "pca_test_mse": test_mse(pca_reconstruct(test_x, components)),
        "max_angle_degrees": float(angles.max()),
        # The first decoder row against the first principal component: the subspace matches, the axes need not.
        "first_axis_angle_degrees": axis_angle(model.W_dec[0], components[0]),
        "params": model.count_parameters(),
        "train_seconds": train_seconds,
    }
    print(f"principal angles between the decoder's rows and PCA's {config.code_size} components (degrees): "
          + " ".join(f"{angle:.3f}" for angle in angles))
    print(f"the first decoder row is {results['first_axis_angle_degrees']:.1f} degrees from the first component: "
          f"the same subspace, other axes")
    print(f"test_mse={results['test_mse']:.5f} pca_test_mse={results['pca_test_mse']:.5f} "
          f"max_angle_degrees={results['max_angle_degrees']:.4f} "
          f"first_axis_angle_degrees={results['first_axis_angle_degrees']:.1f} "
          f"params={results['params']} train_seconds={train_seconds:.1f}")
    return results


if __name__ == "__main__":
    main()
