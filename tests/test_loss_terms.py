"""Every loss term of the VAE and the GAN, pinned by a value worked out by hand in NumPy on a tiny input.

The promises (autoencoder/README.md, gan/README.md and the two model.py files):
- VAE: z = mu + exp(log_var / 2) * eps; KL = -1/2 * sum_units (1 + log_var - mu^2 - exp(log_var)), averaged over the
  batch; the loss train.py compiles is the negative ELBO per pixel,
  loss = 1/D * [sum_pixels BCE(x, x_hat) + beta * KL] = mean_pixels BCE + (beta / D) * KL.
- GAN: d_loss = BCE(1 - s, D(x)) + BCE(0, D(G(z))) (real images labelled 1, or 1 - s with one-sided smoothing s;
  generated ones 0), then g_loss = BCE(1, D(G(z))) = -log D(G(z)) on fresh noise against the updated D (the
  non-saturating loss: its gradient with respect to D's logit is -(1 - D(G(z)))); a conditional GAN gives both
  networks the label, the generator as an embedding joined after z, the discriminator as one more image channel.

Each number is computed here from the formula, not by the code under test, so that a flipped label, smoothing on
the wrong side, a changed KL sign or weight, or another reconstruction loss changes the answer and fails a test.

    python -m pytest -q -n 0 tests/test_loss_terms.py
"""

import math

import keras
import numpy as np
import pytest
from keras import layers

from autoencoder.model import KLDivergence, Sampling
from gan.model import GAN, build_discriminator, build_generator


class Captured(Exception):
    """Raised in place of start_run: carries the model a train.py built and compiled, before anything is written."""

    def __init__(self, model):
        super().__init__("captured")
        self.model = model


def compiled_model_of(main, argv: list[str], extra_patches: dict | None = None):
    """The model main(argv) builds and compiles, caught as it reaches start_run (no run folder, no training)."""

    def stop(config, group, dataset_name, model, *more, **options):
        raise Captured(model)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("common.runs.start_run", stop)  # train.py imports it inside main, so it finds this one
        for target, value in (extra_patches or {}).items():
            patch.setattr(target, value)
        with pytest.raises(Captured) as caught:
            main(argv)
    return caught.value.model


def sigmoid(logit):
    return 1.0 / (1.0 + np.exp(-logit))


# ---------------------------------------------------------------------------------------------------------------
# The VAE

def test_sampling_draws_mean_plus_standard_deviation_times_the_noise():
    """z = mu + exp(log_var / 2) * eps, with the very eps drawn: a second layer of the same seed, asked for
    mu = 0 and log_var = 0 (sigma 1), returns that eps itself."""
    mu = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], dtype="float32")
    log_var = np.array([[math.log(4.0), 0.0, math.log(0.25)], [math.log(9.0), -2.0, 1.0]], dtype="float32")
    z = np.asarray(Sampling(seed=7)([mu, log_var], training=True))
    epsilon = np.asarray(Sampling(seed=7)([np.zeros_like(mu), np.zeros_like(log_var)], training=True))
    assert np.abs(epsilon).max() > 0.1  # real noise, not zeros
    sigma = np.exp(log_var / 2)         # standard deviations: 2, 1, 0.5 / 3, e^-1, e^0.5
    np.testing.assert_allclose(z, mu + sigma * epsilon, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(Sampling(seed=7)([mu, log_var], training=False)), mu)  # inference


def test_kl_layer_adds_weight_times_the_batch_mean_of_the_closed_form():
    """Two examples with different KLs, three units each, weight 0.25: sum over units, mean over the batch."""
    mu = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, 0.0]], dtype="float32")
    log_var = np.array([[math.log(4.0), 0.0, 0.0], [0.0, math.log(0.5), 0.0]], dtype="float32")
    layer = KLDivergence(weight=0.25)
    passed_mu, passed_log_var = layer([mu, log_var])
    np.testing.assert_array_equal(np.asarray(passed_mu), mu)
    np.testing.assert_array_equal(np.asarray(passed_log_var), log_var)
    # Per unit: KL = (sigma^2 + mu^2 - 1 - log sigma^2) / 2, which is 0 for the prior itself (mu 0, sigma 1).
    first = (4 + 1 - 1 - math.log(4)) / 2 + (1 + 4 - 1 - 0) / 2 + 0.0            # 3.3069
    second = (1 + 0.25 - 1 - 0) / 2 + (0.5 + 0 - 1 - math.log(0.5)) / 2 + 0.0    # 0.2483
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(0.25 * (first + second) / 2, rel=1e-6)


@pytest.fixture(scope="module")
def vae(tmp_path_factory):
    """The VAE autoencoder/train.py compiles for --beta 3 on digits (D = 8 * 8 = 64 pixels), with weights set by hand:
    z_mean = (1, -2) and z_log_var = (ln 4, 0) for every image, and every pixel of the reconstruction
    sigmoid(ln 3) = 0.75 whatever the code (the last layers' kernels are zero, so only their biases speak)."""
    from autoencoder.train import main

    model = compiled_model_of(main, ["--arch", "vae", "--dataset", "digits", "--code-size", "2", "--beta", "3",
                                     "--quick", "--output-dir", str(tmp_path_factory.mktemp("vae"))])
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    for name, bias in (("z_mean", [1.0, -2.0]), ("z_log_var", [math.log(4.0), 0.0])):
        kernel = encoder.get_layer(name).get_weights()[0]
        encoder.get_layer(name).set_weights([np.zeros_like(kernel), np.array(bias, dtype="float32")])
    kernel = decoder.get_layer("pixels").get_weights()[0]
    decoder.get_layer("pixels").set_weights([np.zeros_like(kernel), np.array([math.log(3.0)], dtype="float32")])
    return model


# Two 8x8 images whose pixels run from 0 to 1 squared: their mean is about 1/3, not 1/2, where swapping x and 1 - x
# in the cross-entropy would go unseen.
VAE_IMAGES = (np.linspace(0.0, 1.0, 128) ** 2).reshape(2, 8, 8, 1).astype("float32")


def vae_loss_by_hand(images: np.ndarray, beta: float) -> dict[str, float]:
    x, x_hat = images.astype("float64"), 0.75                 # every reconstructed pixel is 0.75
    pixels = x[0].size                                        # D = 64
    reconstruction = np.mean(-(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)))  # BCE, a mean over pixels
    mu, log_var = np.array([1.0, -2.0]), np.array([math.log(4.0), 0.0])
    kl = -0.5 * np.sum(1 + log_var - mu ** 2 - np.exp(log_var))   # 4 - ln 2 = 3.3069, the same for both images
    return {"reconstruction": reconstruction, "kl": kl, "loss": reconstruction + beta / pixels * kl,
            "mse": np.mean((x - x_hat) ** 2)}


def test_vae_loss_is_the_negative_elbo_per_pixel(vae):
    """evaluate's loss = mean BCE over pixels + beta / D * KL (the README's formula), with beta 3 and D = 64."""
    expected = vae_loss_by_hand(VAE_IMAGES, beta=3.0)
    assert expected["kl"] == pytest.approx(4 - math.log(2))
    assert vae.get_layer("kl_divergence").weight == pytest.approx(3.0 / 64)
    # On probabilities, as the sigmoid output gives them. (Keras' TensorFlow backend would quietly recover the
    # logits from a sigmoid output if this said from_logits=True, so the value alone would not show it.)
    assert vae.loss.get_config()["from_logits"] is False
    scores = vae.evaluate(VAE_IMAGES, VAE_IMAGES, batch_size=2, verbose=0, return_dict=True)
    assert scores["reconstruction"] == pytest.approx(expected["reconstruction"], rel=1e-5)
    assert scores["mse"] == pytest.approx(expected["mse"], rel=1e-5)
    assert scores["loss"] == pytest.approx(expected["loss"], rel=1e-5)


def test_vae_training_step_minimises_the_same_loss(vae):
    """fit's step differentiates the same sum: the loss it reports (before its update) is the hand-made one too. The
    reconstruction does not depend on the sampled code here, so the noise of training changes nothing."""
    expected = vae_loss_by_hand(VAE_IMAGES, beta=3.0)
    weights = vae.get_weights()
    scores = vae.train_on_batch(VAE_IMAGES, VAE_IMAGES, return_dict=True)
    vae.set_weights(weights)  # the step moved them: back to the hand-set ones for any test that runs after this one
    assert scores["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert scores["reconstruction"] == pytest.approx(expected["reconstruction"], rel=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# The GAN's training step, on networks small enough to follow by hand
#
#   G(z) = tanh(z W + c [+ U[label]])      (2 numbers of noise -> a 2x2 image, flattened to 4 pixels)
#   D's logit(x) = x . w + b [+ v[label]]  (4 pixels -> 1 logit)
#
# Both are trained by GAN.train_step through fit, with plain SGD (w <- w - lr * gradient) so that one step can be
# followed by hand too, and with the noise and generated labels fixed (random_inputs replaced).

LATENT, PIXELS, CLASSES, LEARNING_RATE = 2, 4, 3, 0.5
HAND_WEIGHTS = {
    "W": np.array([[0.5, -0.25, 0.1, 0.3], [-0.4, 0.2, 0.6, -0.1]]),
    "c": np.array([0.1, 0.0, -0.2, 0.05]),
    "U": np.array([[0.3, -0.2, 0.0, 0.1], [-0.5, 0.4, 0.2, 0.0], [0.1, 0.1, -0.3, 0.6]]),  # conditional only
    "w": np.array([0.8, -0.6, 0.5, -0.3]),
    "b": np.array(0.1),
    "v": np.array([0.4, -0.7, 0.2]),                                                      # conditional only
}
REAL_IMAGES = np.array([[0.5, -0.5, 1.0, 0.0], [-1.0, 0.25, 0.75, -0.25]]).reshape(2, 2, 2, 1)
REAL_LABELS = np.array([2, 0])
NOISE = (np.array([[1.0, -0.5], [0.3, 2.0]]), np.array([[-1.0, 0.5], [0.7, -1.2]]))   # D's step, then G's
FAKE_LABELS = (np.array([1, 2]), np.array([0, 1]))


def tiny_networks(conditional: bool):
    """The generator and discriminator above as Keras models, with HAND_WEIGHTS."""
    noise, image = keras.Input((LATENT,), name="noise"), keras.Input((2, 2, 1), name="image")
    pre_activation = layers.Dense(PIXELS, name="W_c")(noise)
    logit = layers.Dense(1, name="w_b")(layers.Flatten()(image))
    if conditional:
        g_label, d_label = keras.Input((), dtype="int32", name="label"), keras.Input((), dtype="int32", name="label")
        pre_activation = layers.Add()([pre_activation, layers.Embedding(CLASSES, PIXELS, name="U")(g_label)])
        logit = layers.Add()([logit, layers.Embedding(CLASSES, 1, name="v")(d_label)])
    images = layers.Reshape((2, 2, 1))(layers.Activation("tanh")(pre_activation))
    generator = keras.Model([noise, g_label] if conditional else noise, images)
    discriminator = keras.Model([image, d_label] if conditional else image, logit)
    generator.get_layer("W_c").set_weights([HAND_WEIGHTS["W"], HAND_WEIGHTS["c"]])
    discriminator.get_layer("w_b").set_weights([HAND_WEIGHTS["w"][:, None], HAND_WEIGHTS["b"][None]])
    if conditional:
        generator.get_layer("U").set_weights([HAND_WEIGHTS["U"]])
        discriminator.get_layer("v").set_weights([HAND_WEIGHTS["v"][:, None]])
    return generator, discriminator


def bce_with_logits(target: float, logit: np.ndarray) -> float:
    """-[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))], averaged over the batch."""
    return float(np.mean(-(target * np.log(sigmoid(logit)) + (1 - target) * np.log(1 - sigmoid(logit)))))


def gan_step_by_hand(smoothing: float, conditional: bool) -> tuple[dict, dict]:
    """The reported numbers of one train_step and the weights after it, worked out with the formulas above."""
    p = {name: value.astype("float64").copy() for name, value in HAND_WEIGHTS.items()}
    if not conditional:   # no label terms: U and v are zero, and stay zero
        p["U"], p["v"] = np.zeros_like(p["U"]), np.zeros_like(p["v"])
    n = len(REAL_IMAGES)
    x_real = REAL_IMAGES.reshape(n, PIXELS)
    real_labels = REAL_LABELS if conditional else np.zeros(n, int)
    fake_labels = FAKE_LABELS if conditional else (np.zeros(n, int), np.zeros(n, int))

    def generate(z, labels):
        return np.tanh(z @ p["W"] + p["c"] + p["U"][labels])

    def logit(x, labels):
        return x @ p["w"] + p["b"] + p["v"][labels]

    # 1. D's step: real images labelled 1 - s, generated ones 0.
    fake = generate(NOISE[0], fake_labels[0])
    real_logit, fake_logit = logit(x_real, real_labels), logit(fake, fake_labels[0])
    reported = {"d_loss": bce_with_logits(1 - smoothing, real_logit) + bce_with_logits(0.0, fake_logit),
                "d_real": float(np.mean(sigmoid(real_logit))), "d_fake": float(np.mean(sigmoid(fake_logit)))}
    # The gradient of a batch-mean BCE with respect to each logit is (sigmoid(l) - target) / n.
    g_real, g_fake = (sigmoid(real_logit) - (1 - smoothing)) / n, (sigmoid(fake_logit) - 0.0) / n
    grad_w, grad_b = x_real.T @ g_real + fake.T @ g_fake, g_real.sum() + g_fake.sum()
    grad_v = np.zeros_like(p["v"])
    np.add.at(grad_v, real_labels, g_real)
    np.add.at(grad_v, fake_labels[0], g_fake)
    p["w"], p["b"] = p["w"] - LEARNING_RATE * grad_w, p["b"] - LEARNING_RATE * grad_b
    if conditional:
        p["v"] = p["v"] - LEARNING_RATE * grad_v

    # 2. G's step: fresh noise, generated images labelled 1, judged by the D just updated.
    generated = generate(NOISE[1], fake_labels[1])
    generated_logit = logit(generated, fake_labels[1])
    reported["g_loss"] = bce_with_logits(1.0, generated_logit)          # -log D(G(z))
    # The README's gradient: d[-log D(G(z))] / d logit = -(1 - D(G(z))), per image (divided by n for the mean).
    g_logit = -(1 - sigmoid(generated_logit)) / n
    g_pre = g_logit[:, None] * p["w"][None, :] * (1 - generated ** 2)    # back through x . w and tanh
    grad_u = np.zeros_like(p["U"])
    np.add.at(grad_u, fake_labels[1], g_pre)
    p["W"], p["c"] = p["W"] - LEARNING_RATE * NOISE[1].T @ g_pre, p["c"] - LEARNING_RATE * g_pre.sum(0)
    if conditional:
        p["U"] = p["U"] - LEARNING_RATE * grad_u
    return reported, p


@pytest.fixture(scope="module")
def train_py_gan(tmp_path_factory):
    """The GAN gan/train.py compiles for --label-smoothing 0.2 (the scorer, trained before it, is skipped)."""
    from gan.train import main

    return compiled_model_of(main, ["--dataset", "digits", "--label-smoothing", "0.2", "--quick",
                                    "--output-dir", str(tmp_path_factory.mktemp("gan"))],
                             {"gan.evaluation.load_or_train_scorer": lambda *args, **kwargs: (None, {})})


def test_train_py_gives_the_gan_its_smoothing_and_a_cross_entropy_on_logits(train_py_gan):
    assert train_py_gan.label_smoothing == pytest.approx(0.2)
    loss_fn = train_py_gan.loss_fn
    # On logits: BCE(1, 0) = ln 2 and BCE(1, 3) = ln(1 + e^-3) = 0.0486 (on probabilities 3 would be out of range).
    assert float(loss_fn(np.ones((1, 1)), np.zeros((1, 1)))) == pytest.approx(math.log(2), rel=1e-6)
    assert float(loss_fn(np.ones((1, 1)), np.full((1, 1), 3.0))) == pytest.approx(math.log1p(math.exp(-3)), rel=1e-5)
    # And without Keras' own (two-sided) smoothing: a target of 0 stays 0. BCE(0, 3) = ln(1 + e^3) = 3.0486.
    assert float(loss_fn(np.zeros((1, 1)), np.full((1, 1), 3.0))) == pytest.approx(math.log1p(math.exp(3)), rel=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("conditional", [False, True], ids=["dcgan", "conditional"])
def test_one_training_step_reports_and_applies_the_losses_worked_out_by_hand(conditional, smoothing, train_py_gan):
    generator, discriminator = tiny_networks(conditional)
    gan = GAN(generator, discriminator, LATENT, num_classes=CLASSES if conditional else 0, label_smoothing=smoothing)
    draws = [(keras.ops.convert_to_tensor(NOISE[step], "float32"),
              keras.ops.convert_to_tensor(FAKE_LABELS[step], "int32") if conditional else None) for step in (0, 1)]
    calls = []

    def fixed_inputs(batch_size):  # D's step draws first, G's second (again in that order if fit traces twice)
        calls.append(batch_size)
        return draws[(len(calls) - 1) % 2]

    gan.random_inputs = fixed_inputs
    gan.compile(d_optimizer=keras.optimizers.SGD(LEARNING_RATE), g_optimizer=keras.optimizers.SGD(LEARNING_RATE),
                loss_fn=train_py_gan.loss_fn)  # the loss train.py gives its GAN
    real = REAL_IMAGES.astype("float32")
    history = (gan.fit(real, REAL_LABELS.astype("int32"), batch_size=2, epochs=1, shuffle=False, verbose=0)
               if conditional else gan.fit(real, batch_size=2, epochs=1, shuffle=False, verbose=0)).history
    reported, after = gan_step_by_hand(smoothing, conditional)
    assert len(calls) % 2 == 0
    for name in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert history[name][0] == pytest.approx(reported[name], rel=1e-5), name
    # The weights after the step: D moved down its gradient first, then G down -(1 - D(G(z))) through that new D.
    d_kernel, d_bias = discriminator.get_layer("w_b").get_weights()
    np.testing.assert_allclose(d_kernel[:, 0], after["w"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d_bias, [after["b"]], rtol=1e-5, atol=1e-6)
    g_kernel, g_bias = generator.get_layer("W_c").get_weights()
    np.testing.assert_allclose(g_kernel, after["W"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g_bias, after["c"], rtol=1e-5, atol=1e-6)
    if conditional:
        np.testing.assert_allclose(discriminator.get_layer("v").get_weights()[0][:, 0], after["v"], rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(generator.get_layer("U").get_weights()[0], after["U"], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# The conditional networks of gan/model.py: what each one reads

def test_the_conditional_generator_reads_the_noise_followed_by_the_labels_embedding():
    generator = build_generator((4, 4, 1), latent_dim=2, num_classes=3)
    table = np.array([[10.0, 11.0], [20.0, 21.0], [30.0, 31.0]], dtype="float32")  # one row per digit
    generator.get_layer("label_embedding").set_weights([table])
    joined = keras.Model(generator.inputs, generator.get_layer("noise_and_label").output)
    noise, labels = np.array([[0.5, -1.0], [2.0, 0.25]], dtype="float32"), np.array([2, 0], dtype="int32")
    np.testing.assert_array_equal(np.asarray(joined([noise, labels])),
                                  [[0.5, -1.0, 30.0, 31.0], [2.0, 0.25, 10.0, 11.0]])


def test_the_conditional_discriminator_reads_the_labels_embedding_as_a_last_image_channel():
    discriminator = build_discriminator((4, 4, 1), num_classes=3)
    table = np.arange(3 * 16, dtype="float32").reshape(3, 16) + 100  # digit k's plane: 100 + 16k .. 115 + 16k
    discriminator.get_layer("label_embedding").set_weights([table])
    joined = keras.Model(discriminator.inputs, discriminator.get_layer("image_and_label").output)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 4, 4, 1)).astype("float32")
    labels = np.array([1, 2], dtype="int32")
    channels = np.asarray(joined([images, labels]))
    assert channels.shape == (2, 4, 4, 2)
    np.testing.assert_array_equal(channels[..., 0], images[..., 0])
    np.testing.assert_array_equal(channels[..., 1], table[labels].reshape(2, 4, 4))  # row by row, as Reshape lays it
