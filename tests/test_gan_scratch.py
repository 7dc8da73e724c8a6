"""Tests of gan/scratch.py: the hand-written gradients, the one-dimensional GAN learning its Gaussian, and the linear
discriminator that cannot see the spread.

    python -m pytest -q -n 0 tests/test_gan_scratch.py
"""

import math
from pathlib import Path

import numpy as np
import pytest

from gan import scratch

REPO_ROOT = Path(__file__).resolve().parents[1]


def numerical_gradient(loss, owner, name: str, step: float = 1e-6) -> float:
    """Central finite difference of loss() with respect to the attribute owner.name."""
    saved = getattr(owner, name)
    setattr(owner, name, saved + step)
    plus = loss()
    setattr(owner, name, saved - step)
    minus = loss()
    setattr(owner, name, saved)
    return (plus - minus) / (2 * step)


@pytest.fixture
def players():
    """A generator and a discriminator away from the equilibrium, and a batch of real data, noise and fakes."""
    rng = np.random.default_rng(3)
    generator = scratch.Generator(a=0.7, b=1.5)
    discriminator = scratch.Discriminator(center=4.0, scale=1.3, w2=-0.4, w1=0.9, c=0.2)
    x_real, z = 4.0 + 1.25 * rng.standard_normal(50), rng.standard_normal(40)
    return generator, discriminator, x_real, z


# ----------------------------------------------------------------------------------------------------------------
# The pieces


def test_discriminator_gradients_match_finite_differences(players):
    generator, discriminator, x_real, z = players
    x_fake = generator(z)
    gradients = scratch.discriminator_gradients(discriminator, x_real, x_fake)
    assert set(gradients) == {"w2", "w1", "c"}
    for name, value in gradients.items():
        numerical = numerical_gradient(lambda: scratch.discriminator_loss(discriminator, x_real, x_fake),
                                       discriminator, name)
        assert value == pytest.approx(numerical, rel=1e-6, abs=1e-9), name
        assert abs(value) > 1e-3, name  # a real check: away from the equilibrium every gradient is non-zero


def test_generator_gradients_flow_through_the_discriminator_and_match_finite_differences(players):
    generator, discriminator, _, z = players
    gradients = scratch.generator_gradients(discriminator, generator, z)
    assert set(gradients) == {"a", "b"}
    for name, value in gradients.items():
        numerical = numerical_gradient(lambda: scratch.generator_loss(discriminator, generator, z), generator, name)
        assert value == pytest.approx(numerical, rel=1e-6, abs=1e-9), name
        assert abs(value) > 1e-3, name


def test_linear_discriminator_has_no_square_gradient_and_an_undecided_one_gives_the_equilibrium_losses(players):
    generator, discriminator, x_real, z = players
    discriminator.quadratic, discriminator.w2 = False, 0.0
    assert scratch.discriminator_gradients(discriminator, x_real, generator(z))["w2"] == 0.0
    undecided = scratch.Discriminator(center=0.0, scale=1.0)       # w2 = w1 = c = 0: D(x) = 1/2 everywhere
    np.testing.assert_allclose(undecided(x_real), 0.5)
    assert scratch.discriminator_loss(undecided, x_real, generator(z)) == pytest.approx(2 * math.log(2))
    assert scratch.generator_loss(undecided, generator, z) == pytest.approx(math.log(2))


def test_losses_stay_finite_for_a_confident_discriminator():
    confident = scratch.Discriminator(center=0.0, scale=1.0, w1=1000.0)
    x = np.array([-5.0, 5.0])
    # D(-5) underflows to 0 in float64: log(0) would be -inf; logaddexp gives the exact large loss instead.
    assert scratch.discriminator_loss(confident, x, x) == pytest.approx((5000.0 + 5000.0) / 2)


# ----------------------------------------------------------------------------------------------------------------
# The lesson: the generator learns the target, but only if D can see the spread


def test_the_generator_learns_the_target_mean_and_spread(run_main):
    results, out, _ = run_main(scratch.main, [])
    # Measured over seeds 0-5: mean 3.99 to 4.01, spread 1.23 to 1.27 after 2000 steps; 0.1 leaves a margin.
    assert results["generated_mean"] == pytest.approx(4.0, abs=0.1)
    assert results["generated_std"] == pytest.approx(1.25, abs=0.1)
    # D is undecided at the end: the losses sit at their equilibrium values 2 ln 2 and ln 2.
    assert results["d_loss"] == pytest.approx(2 * math.log(2), abs=0.01)
    assert results["g_loss"] == pytest.approx(math.log(2), abs=0.02)
    pairs = dict(pair.split("=") for pair in out[-1].split())
    assert out[-1].startswith("generated_mean=") and set(pairs) == set(results)
    assert float(pairs["generated_std"]) == pytest.approx(results["generated_std"], abs=1e-4)


@pytest.mark.parametrize("seed", [1, 2])
def test_other_targets_and_seeds(seed, run_main):
    results, _, _ = run_main(scratch.main, ["--target-mean", "-2", "--target-std", "0.5", "--seed", str(seed)])
    assert results["generated_mean"] == pytest.approx(-2.0, abs=0.1)
    assert results["generated_std"] == pytest.approx(0.5, abs=0.1)


def test_a_linear_discriminator_gets_the_mean_but_not_the_spread(run_main):
    results, _, _ = run_main(scratch.main, ["--discriminator", "linear"])
    assert results["generated_mean"] == pytest.approx(4.0, abs=0.1)
    # The spread shrinks (0.23 measured for seeds 0-2), far from 1.25, while D is fooled all the same.
    assert results["generated_std"] < 0.6
    assert results["d_loss"] == pytest.approx(2 * math.log(2), abs=0.01)


# ----------------------------------------------------------------------------------------------------------------
# The command line and the NumPy-only contract


@pytest.mark.parametrize("argv, words", [(["--target-std", "0"], "--target-std must be above 0"),
                                         (["--target-std", "-1"], "--target-std must be above 0"),
                                         (["--steps", "0"], "--steps must be at least 1"),
                                         (["--batch-size", "1"], "--batch-size must be at least 2"),
                                         (["--learning-rate", "0"], "--learning-rate must be between 0 and 10"),
                                         (["--discriminator", "cubic"], "invalid choice: 'cubic'"),
                                         (["--learning-rate", "9", "--steps", "500"],
                                          "try a smaller --learning-rate")])
def test_bad_flags_exit_2_with_one_line(argv, words, run_main):
    result, _, err = run_main(scratch.main, argv)
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and words in err[0] and err[0].startswith("gan/scratch.py: error: ")


@pytest.mark.parametrize("command, folder", [(["-m", "gan.scratch", "--quick"], REPO_ROOT),
                                             (["scratch.py", "--quick"], REPO_ROOT / "gan")])
def test_runs_as_module_and_from_inside_the_folder(command, folder, run_script):
    completed = run_script(command, cwd=folder)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().splitlines()[-1].startswith("generated_mean=")


def test_scratch_imports_neither_keras_nor_tensorflow(assert_numpy_only):
    assert_numpy_only("gan.scratch")
