"""A GAN in one dimension, in NumPy: an affine generator learns a Gaussian by fooling a logistic discriminator.

    python -m gan.scratch                                     # learn N(4, 1.25^2), 2000 alternating steps
    python -m gan.scratch --target-mean -2 --target-std 0.5
    python -m gan.scratch --discriminator linear              # D sees x only: the mean is learnt, the spread is not

The generator turns noise z ~ N(0, 1) into x = a*z + b, so its samples are N(b, a^2): two numbers to learn. The
discriminator is a logistic regression on the features u and u^2, where u = (x - center) / scale puts x on a scale
of about 1 (center and scale: the mean and standard deviation of a first sample of real data, fixed from then on):

    D(x) = sigmoid(w2*u^2 + w1*u + c)                              the probability that x is real
    d_loss = -mean log D(x_real) - mean log(1 - D(G(z)))            D's binary cross-entropy, real 1, generated 0
    g_loss = -mean log D(G(z))                                      the non-saturating generator loss

Why u^2: the best possible discriminator between the data and the generator is D*(x) = p_data(x) / (p_data(x) +
p_G(x)), whose log-odds log p_data(x) - log p_G(x) is, for two Gaussians, a quadratic in x. So this D can be the best
one, and where the two distributions differ in spread it says so through w2. With u alone (--discriminator linear)
the log-odds is a straight line: D can tell "too far right" from "too far left", that is, the mean, but not "too
wide" from "too narrow". The generator then learns the mean and gets no honest signal about the spread, which
drifts (here it shrinks: a one-dimensional picture of mode collapse).

Every gradient is written out by the chain rule (see `discriminator_gradients` and `generator_gradients`), and
`tests/test_gan_scratch.py` checks each one against finite differences. There is no Keras or TensorFlow in this file.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python gan/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import exit_on_bad_input, format_config, option, parse_config, require

DISCRIMINATORS = ("quadratic", "linear")
QUICK_STEPS = 300
REFERENCE_SIZE = 10_000  # real samples that fix D's center and scale, and that score the final losses


# ----------------------------------------------------------------------------------------------------------------
# The two players


@dataclasses.dataclass
class Generator:
    """x = a*z + b for z ~ N(0, 1): samples from N(b, a^2). Starts as the standard normal itself."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.a * z + self.b


@dataclasses.dataclass
class Discriminator:
    """D(x) = sigmoid(w2*u^2 + w1*u + c) with u = (x - center) / scale; w2 stays 0 when quadratic is False.

    Starts at w2 = w1 = c = 0: D(x) = 1/2 everywhere, undecided.
    """

    center: float
    scale: float
    quadratic: bool = True
    w2: float = 0.0
    w1: float = 0.0
    c: float = 0.0

    def features(self, x: np.ndarray) -> np.ndarray:
        return (x - self.center) / self.scale

    def logit(self, x: np.ndarray) -> np.ndarray:
        u = self.features(x)
        return self.w2 * u ** 2 + self.w1 * u + self.c

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(x)))


# ----------------------------------------------------------------------------------------------------------------
# Losses and their gradients, by hand. log D = -log(1 + e^-s) and log(1 - D) = -log(1 + e^s) for the logit s, computed
# with logaddexp so that a confident D gives a large finite loss rather than log(0).


def discriminator_loss(discriminator: Discriminator, x_real: np.ndarray, x_fake: np.ndarray) -> float:
    """-mean log D(x_real) - mean log(1 - D(x_fake))."""
    return float(np.mean(np.logaddexp(0.0, -discriminator.logit(x_real)))
                 + np.mean(np.logaddexp(0.0, discriminator.logit(x_fake))))


def generator_loss(discriminator: Discriminator, generator: Generator, z: np.ndarray) -> float:
    """-mean log D(G(z)): small when D takes the generated samples for real."""
    return float(np.mean(np.logaddexp(0.0, -discriminator.logit(generator(z)))))


def discriminator_gradients(discriminator: Discriminator, x_real: np.ndarray,
                            x_fake: np.ndarray) -> dict[str, float]:
    """{"w2", "w1", "c"}: d d_loss / d weight. With s the logit, d(-log sigmoid(s))/ds = -(1 - D) for a real sample
    and d(-log(1 - sigmoid(s)))/ds = D for a generated one; ds/dw2 = u^2, ds/dw1 = u, ds/dc = 1."""
    grad_real = -(1.0 - discriminator(x_real)) / len(x_real)     # d d_loss / d s for each real sample
    grad_fake = discriminator(x_fake) / len(x_fake)              # ... and for each generated one
    u_real, u_fake = discriminator.features(x_real), discriminator.features(x_fake)
    return {"w2": float(grad_real @ u_real ** 2 + grad_fake @ u_fake ** 2) if discriminator.quadratic else 0.0,
            "w1": float(grad_real @ u_real + grad_fake @ u_fake),
            "c": float(grad_real.sum() + grad_fake.sum())}


def generator_gradients(discriminator: Discriminator, generator: Generator, z: np.ndarray) -> dict[str, float]:
    """{"a", "b"}: d g_loss / d parameter, through D into G. d(-log sigmoid(s))/ds = -(1 - D(x)),
    ds/dx = (2*w2*u + w1) / scale, and x = a*z + b gives dx/da = z, dx/db = 1."""
    x = generator(z)
    grad_x = -(1.0 - discriminator(x)) * (2.0 * discriminator.w2 * discriminator.features(x) + discriminator.w1) \
        / discriminator.scale / len(z)                           # d g_loss / d x for each sample
    return {"a": float(grad_x @ z), "b": float(grad_x.sum())}


# ----------------------------------------------------------------------------------------------------------------
# The game


def train(generator: Generator, discriminator: Discriminator, sample_real, rng: np.random.Generator, steps: int,
          batch_size: int, learning_rate: float, log_every: int = 0) -> list[tuple[float, float]]:
    """Alternating gradient steps, one for D then one for G, each on a fresh batch; returns (b, |a|) after each step.

    sample_real(count) draws real data. ValueError when the parameters stop being finite (a step too long).
    """
    path = []
    for step in range(1, steps + 1):
        x_real, x_fake = sample_real(batch_size), generator(rng.standard_normal(batch_size))
        for name, gradient in discriminator_gradients(discriminator, x_real, x_fake).items():
            setattr(discriminator, name, getattr(discriminator, name) - learning_rate * gradient)
        z = rng.standard_normal(batch_size)
        for name, gradient in generator_gradients(discriminator, generator, z).items():
            setattr(generator, name, getattr(generator, name) - learning_rate * gradient)
        if not np.isfinite([generator.a, generator.b, discriminator.w2, discriminator.w1, discriminator.c]).all():
            raise ValueError(f"the parameters overflowed at step {step}: try a smaller --learning-rate "
                             f"(got {learning_rate})")
        path.append((generator.b, abs(generator.a)))
        if log_every and (step % log_every == 0 or step == 1):
            print(f"step {step:5d}: generated mean {generator.b:7.3f}  spread {abs(generator.a):6.3f}   "
                  f"D: w2 {discriminator.w2:7.3f}  w1 {discriminator.w1:7.3f}  c {discriminator.c:7.3f}")
    return path


# ----------------------------------------------------------------------------------------------------------------
# The command line


@dataclasses.dataclass
class ScratchConfig:
    """Settings of the from-scratch run (its own small set: no optimizer, patience or run folder here)."""

    target_mean: float = option(4.0, "mean of the real data, a Gaussian")
    target_std: float = option(1.25, "standard deviation of the real data")
    discriminator: str = option("quadratic", "features of the logistic discriminator: quadratic (u and u^2) or "
                                             "linear (u alone, which cannot see the spread)", choices=DISCRIMINATORS)
    learning_rate: float = option(0.05, "gradient-descent step size of both players")
    batch_size: int = option(128, "real samples (and as many generated ones) per step")
    steps: int = option(2000, "alternating steps (one for D, then one for G)")
    seed: int = option(0, "random seed for the data and the noise")
    quick: bool = option(False, f"at most {QUICK_STEPS} steps, for tests and a first look")

    def __post_init__(self) -> None:
        require(self.discriminator in DISCRIMINATORS,
                f"--discriminator must be one of {', '.join(DISCRIMINATORS)} (got {self.discriminator!r})")
        require(abs(self.target_mean) <= 100, f"--target-mean must be between -100 and 100 (got {self.target_mean})")
        require(0 < self.target_std <= 100, f"--target-std must be above 0 and at most 100 (got {self.target_std})")
        require(0 < self.learning_rate < 10, f"--learning-rate must be between 0 and 10 (got {self.learning_rate})")
        require(self.batch_size >= 2, f"--batch-size must be at least 2 (got {self.batch_size})")
        require(self.steps >= 1, f"--steps must be at least 1 (got {self.steps})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the one-dimensional GAN; return the learnt mean and spread beside the target's, and the final losses."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    rng = np.random.default_rng(config.seed)

    def sample_real(count: int) -> np.ndarray:
        return config.target_mean + config.target_std * rng.standard_normal(count)

    reference = sample_real(REFERENCE_SIZE)
    generator = Generator()
    discriminator = Discriminator(float(reference.mean()), float(reference.std()),
                                  quadratic=config.discriminator == "quadratic")
    steps = min(config.steps, QUICK_STEPS) if config.quick else config.steps
    print(f"real data N({config.target_mean}, {config.target_std}^2); generator x = a*z + b from a = 1, b = 0; "
          f"{config.discriminator} discriminator; {steps} steps of batch {config.batch_size}, "
          f"learning rate {config.learning_rate}")
    start = time.perf_counter()
    with exit_on_bad_input(), np.errstate(over="ignore", invalid="ignore"):
        train(generator, discriminator, sample_real, rng, steps, config.batch_size, config.learning_rate,
              log_every=max(1, steps // 8))
    train_seconds = time.perf_counter() - start

    z = rng.standard_normal(REFERENCE_SIZE)
    results = {
        "generated_mean": float(generator.b), "generated_std": float(abs(generator.a)),  # x = a*z + b is N(b, a^2)
        "target_mean": config.target_mean, "target_std": config.target_std,
        # At the equilibrium D = 1/2 everywhere: d_loss = 2 ln 2 = 1.386 and g_loss = ln 2 = 0.693.
        "d_loss": discriminator_loss(discriminator, reference, generator(z)),
        "g_loss": generator_loss(discriminator, generator, z),
        "params": 5,  # a, b for G; w2, w1, c for D
        "train_seconds": train_seconds,
    }
    print(f"generated N({results['generated_mean']:.3f}, {results['generated_std']:.3f}^2) against the target "
          f"N({config.target_mean}, {config.target_std}^2); D at the end: w2 {discriminator.w2:.3f}, "
          f"w1 {discriminator.w1:.3f}, c {discriminator.c:.3f}")
    print(f"generated_mean={results['generated_mean']:.4f} generated_std={results['generated_std']:.4f} "
          f"target_mean={config.target_mean} target_std={config.target_std} d_loss={results['d_loss']:.4f} "
          f"g_loss={results['g_loss']:.4f} params={results['params']} train_seconds={train_seconds:.1f}")
    return results


if __name__ == "__main__":
    main()
