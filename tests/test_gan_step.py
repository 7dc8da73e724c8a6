"""gan/model.py around the training step: what random_inputs feeds the generator, what compile keeps (two optimizers,
the loss, the four trackers fit resets every epoch, loss scaling under mixed precision), and how a trained
generator is sampled (sample_noise, generate in inference mode). (The step's losses and updates worked out by hand:
tests/test_loss_terms.py.)

    python -m pytest -q -n 0 tests/test_gan_step.py
"""

import keras
import numpy as np
import pytest

from gan.model import GAN, build_discriminator, build_generator, generate, sample_noise

SHAPE = (8, 8, 1)


def small_gan(num_classes: int = 0, seed: int | None = 3) -> GAN:
    keras.utils.set_random_seed(0)
    return GAN(build_generator(SHAPE, 6, num_classes), build_discriminator(SHAPE, num_classes), latent_dim=6,
               num_classes=num_classes, seed=seed)


def test_random_inputs_are_standard_normal_noise_and_every_digit():
    gan = small_gan(num_classes=10)
    noise, labels = gan.random_inputs(4000)
    noise, labels = keras.ops.convert_to_numpy(noise), keras.ops.convert_to_numpy(labels)
    assert noise.shape == (4000, 6) and labels.shape == (4000,) and labels.dtype == np.int32
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 1) < 0.02  # N(0, 1): 24,000 draws
    assert sorted(np.unique(labels).tolist()) == list(range(10))      # 0 .. 9, each about a tenth
    assert np.bincount(labels).min() > 330
    again = keras.ops.convert_to_numpy(gan.random_inputs(4000)[0])
    assert not np.allclose(again, noise)  # the seed generator moves on: fresh noise every step
    # the GAN's own seed decides its draws, noise and digits, whatever the global seed is by then
    same = small_gan(10)
    keras.utils.set_random_seed(99)
    same_noise, same_labels = same.random_inputs(4000)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(same_noise), noise)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(same_labels), labels)
    plain_noise, plain_labels = small_gan().random_inputs(3)
    assert plain_labels is None and tuple(plain_noise.shape) == (3, 6)


def test_with_labels_gives_a_conditional_network_both_inputs():
    assert small_gan(0).with_labels("images", "labels") == "images"
    assert small_gan(10).with_labels("images", "labels") == ["images", "labels"]
    assert small_gan(10).conditional and not small_gan(0).conditional


def test_compile_keeps_both_optimizers_the_loss_and_four_trackers():
    gan = small_gan()
    d_optimizer, g_optimizer = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(2e-3)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)
    gan.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, loss_fn=loss, jit_compile=False,
                steps_per_execution=3)
    assert gan.d_optimizer is d_optimizer and gan.g_optimizer is g_optimizer and gan.loss_fn is loss
    assert [metric.name for metric in gan.metrics] == ["d_loss", "g_loss", "d_real", "d_fake"]
    assert all(isinstance(metric, keras.metrics.Mean) for metric in gan.metrics)
    assert gan.jit_compile is False and gan.steps_per_execution == 3
    gan.compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, loss_fn=loss, jit_compile=True)
    assert gan.jit_compile is True  # XLA, as --jit-compile asks
    assert small_gan().metrics == []  # before compile: nothing to reset


def test_under_mixed_precision_each_optimizer_scales_its_own_loss():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = small_gan()
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert (gan.d_optimizer.name, gan.g_optimizer.name) == ("d_loss_scale_optimizer", "g_loss_scale_optimizer")
    plain = small_gan()
    plain.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                  loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    assert not isinstance(plain.d_optimizer, keras.optimizers.LossScaleOptimizer)


def test_calling_the_gan_is_calling_its_generator():
    gan = small_gan()
    z = sample_noise(3, 6, seed=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gan(z)),
                               keras.ops.convert_to_numpy(gan.generator(z, training=False)), atol=1e-6)


def test_sample_noise_is_numpys_standard_normal_of_its_seed():
    noise = sample_noise(5, 3, seed=7)
    assert noise.dtype == np.float32 and noise.shape == (5, 3)
    np.testing.assert_array_equal(noise, np.random.default_rng(7).standard_normal((5, 3)).astype("float32"))


@pytest.mark.parametrize("num_classes", [0, 10])
def test_generate_draws_each_image_from_its_own_noise_in_inference_mode(num_classes):
    generator = small_gan(num_classes).generator
    noise = sample_noise(5, 6, seed=2)
    labels = [3, 1, 4, 1, 5] if num_classes else None
    together = generate(generator, noise, labels, batch_size=2)
    # batch normalisation with its moving averages: an image depends on its own noise (and digit) alone
    alone = np.concatenate([generate(generator, noise[i:i + 1], None if labels is None else labels[i:i + 1])
                            for i in range(5)])
    assert together.shape == (5, *SHAPE) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together, keras.ops.convert_to_numpy(
        generator(noise if labels is None else [noise, np.array(labels, "int32")], training=False)), atol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# One step through fit, on networks that record how they are called

class Seen(keras.layers.Layer):
    """Passes its input on, and notes the training flag of each call (at tracing, in a compiled step)."""

    def __init__(self, note, **kwargs):
        super().__init__(**kwargs)
        self.note = note  # a function: a list given to a layer would be copied into Keras' tracked list

    def call(self, x, training=None):
        self.note(training)
        return x


def recording_gan(log: dict) -> GAN:
    keras.utils.set_random_seed(0)
    noise = keras.Input((2,))
    pixels = keras.layers.Dense(4, activation="tanh")(noise)
    images = Seen(log["generator"].append)(keras.layers.Reshape((2, 2, 1))(pixels))
    image = keras.Input((2, 2, 1))
    logit = keras.layers.Dense(1)(keras.layers.Flatten()(Seen(log["discriminator"].append)(image)))
    gan = GAN(keras.Model(noise, images), keras.Model(image, logit), latent_dim=2, seed=1)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.1), g_optimizer=keras.optimizers.SGD(0.1),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    return gan


REAL = np.linspace(-1, 1, 20, dtype="float32").reshape(5, 2, 2, 1)  # a batch of 5 images of height 2


def test_every_network_call_of_the_step_is_in_training_mode_and_the_batch_is_the_first_axis():
    log = {"generator": [], "discriminator": []}
    gan = recording_gan(log)
    drawn = []
    real_random_inputs = gan.random_inputs
    gan.random_inputs = lambda batch_size: drawn.append(batch_size) or real_random_inputs(batch_size)
    log["generator"].clear(), log["discriminator"].clear()  # the calls that built the networks
    gan.fit(REAL, batch_size=5, epochs=1, verbose=0)
    # G twice (D's step, then G's), D three times (real, generated, then in G's step), each with training=True:
    # batch normalisation and dropout behave as in training
    assert log == {"generator": [True, True], "discriminator": [True, True, True]}
    assert [keras.ops.convert_to_numpy(size) for size in drawn] == [5, 5]  # as many fakes as real images, not 2


def test_with_several_replicas_the_reported_losses_are_the_whole_batchs(monkeypatch):
    """Under tf.distribute Keras' loss gives each replica its share (the loss divided by the replicas, so that the
    summed gradients are the whole batch's); the step multiplies the reported losses back: the same as on one device.
    Here the one device's strategy says it has two replicas."""
    import tensorflow as tf

    def one_step():  # called directly, as fit's compiled step calls it: the trackers then hold this step alone
        logs = recording_gan({"generator": [], "discriminator": []}).train_step(REAL)
        return {name: float(keras.ops.convert_to_numpy(value)) for name, value in logs.items()}

    single = one_step()
    real_get_strategy = tf.distribute.get_strategy

    class TwoReplicas:  # the default strategy, saying it has two replicas
        num_replicas_in_sync = 2

        def __getattr__(self, name):
            return getattr(real_get_strategy(), name)

    monkeypatch.setattr(tf.distribute, "get_strategy", TwoReplicas)
    doubled = one_step()  # each loss_fn value halved by Keras, doubled by the step
    for name in ("d_loss", "d_real", "d_fake"):  # measured before any weight moved
        assert doubled[name] == pytest.approx(single[name], rel=1e-6), name
    # G's loss comes after D's step, which moved half as far here (one replica's half-gradient, with no other
    # replica's half to add): near the one-device value, not a half or a quarter of it.
    assert doubled["g_loss"] == pytest.approx(single["g_loss"], rel=0.02)
    assert tf.distribute.get_strategy().num_replicas_in_sync == 2  # the loss did see two replicas
