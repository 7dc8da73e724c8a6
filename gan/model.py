"""A DCGAN: a generator that turns random noise into digit images and a discriminator that tells them from real ones.

    from gan.model import build_model
    gan = build_model(image_shape=(28, 28, 1), latent_dim=64)                   # gan.generator, gan.discriminator
    gan = build_model(image_shape=(28, 28, 1), latent_dim=64, num_classes=10)   # conditional: asks for a digit
    images = gan.generator.predict(noise)            # noise (n, 64) -> images (n, 28, 28, 1) in -1..1

    generator      z (latent_dim) - Dense(h/4 * w/4 * 64) - Reshape - BatchNorm - LeakyReLU
                   - Conv2DTranspose(32, 4x4, stride 2) - BatchNorm - LeakyReLU              7 -> 14
                   - Conv2DTranspose(1, 4x4, stride 2), tanh                               14 -> 28
    discriminator  image - Conv2D(32, 4x4, stride 2) - LeakyReLU - Conv2D(64, 4x4, stride 2) - LeakyReLU
                   - Flatten - Dropout - Dense(1): a logit, the log-odds that the image is real
    conditional    the generator also reads the digit it must draw, as an embedding joined to z; the discriminator
                   reads it as an extra image channel (an embedding of the label, one number per pixel)

The widths are kept small for CPUs: an epoch of mnist5k takes about 7 seconds on 2 shared cores, against 22 with every
width doubled. The discriminator has about a sixth of the generator's weights.

The game (Goodfellow et al. 2014). D(x) = sigmoid(discriminator(x)) is the probability that x is a real image, G(z)
the generator's image for noise z ~ N(0, I). D is trained to tell real from generated, G to be taken for real:

    min_G max_D  V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

    d_loss = -log D(x) - log(1 - D(G(z)))       binary cross-entropy: real images labelled 1, generated ones 0
    g_loss = -log D(G(z))                        the non-saturating generator loss (generated images labelled 1)

Minimising log(1 - D(G(z))), the minimax game's own term for G, barely moves G while D rejects its images with
confidence, which is exactly how training starts: its gradient with respect to D's logit is -D(G(z)), near 0. The
non-saturating loss -log D(G(z)) has the same fixed point and a gradient of -(1 - D(G(z))), near -1 there. At the game's
equilibrium the generated images are distributed like the real ones, D(x) = 1/2 everywhere, d_loss = 2 ln 2 = 1.386
and g_loss = ln 2 = 0.693.

The generator and discriminator are Functional models of Keras layers and `keras.ops`, so they run on any Keras 3
backend; `model.keras` of a run is the generator alone, its -1..1 mapped to pixels in the data's own range
(end_to_end: 0..255, or 0..16 for the 8x8 digits). The training step below (class GAN) is the one piece tied to
TensorFlow: it takes two gradients per batch with tf.GradientTape, the discriminator's and the generator's.
"""

from typing import Sequence

import keras
import numpy as np
from keras import layers, ops

from common.tasks import inference_copy

LEAKY_SLOPE = 0.2     # LeakyReLU's slope below 0 (DCGAN's): a unit never goes fully silent, so gradients keep flowing
BATCH_NORM_MOMENTUM = 0.9  # moving averages that follow the generator as it changes, for sampling after training


# ----------------------------------------------------------------------------------------------------------------
# The two networks


def check_image_shape(image_shape: Sequence[int]) -> None:
    """The generator doubles a small map twice and the discriminator halves the image twice: h and w divide by 4."""
    if len(image_shape) != 3 or image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(f"the DCGAN needs images (height, width, channels) with height and width divisible by 4 "
                         f"(got {tuple(image_shape)})")


def build_generator(image_shape: Sequence[int], latent_dim: int = 64, num_classes: int = 0,
                    filters: Sequence[int] = (64, 32)) -> keras.Model:
    """z (batch, latent_dim) [and labels (batch,)] -> images (batch, h, w, channels) in -1..1.

    A transposed convolution with stride 2 spreads each input value as a learnt 4x4 patch over a map twice as tall
    and wide; two of them grow an (h/4, w/4) map to the image. Batch normalisation after each keeps the activations
    of every layer on one scale while the generator's target keeps moving (D changes at every step); the last layer
    has none, and a tanh puts every pixel in -1..1, the range of the data.
    With num_classes > 0 the generator is conditional: a second input, the digit to draw, is embedded as a vector
    of latent_dim numbers and joined to z, so every later layer knows which digit it is drawing.
    """
    check_image_shape(image_shape)
    height, width = image_shape[0] // 4, image_shape[1] // 4
    noise = keras.Input(shape=(latent_dim,), name="noise")
    inputs, x = [noise], noise
    if num_classes:
        label = keras.Input(shape=(), dtype="int32", name="label")
        embedded = layers.Embedding(num_classes, latent_dim, name="label_embedding")(label)  # (batch, latent_dim)
        inputs, x = [noise, label], layers.Concatenate(name="noise_and_label")([noise, embedded])
    # No bias before a batch normalisation: it subtracts the mean, bias included, and adds its own offset (beta).
    x = layers.Dense(height * width * filters[0], use_bias=False, name="project")(x)
    x = layers.Reshape((height, width, filters[0]), name="feature_map")(x)       # (batch, h/4, w/4, filters[0])
    x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name="project_norm")(x)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="project_activation")(x)
    x = layers.Conv2DTranspose(filters[1], 4, strides=2, padding="same", use_bias=False,
                               name="upsample_1")(x)                                   # (batch, h/2, w/2, filters[1])
    x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name="upsample_1_norm")(x)
    x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name="upsample_1_activation")(x)
    # float32 also when the layers before compute in float16 (--mixed-precision), like every model's output.
    images = layers.Conv2DTranspose(image_shape[-1], 4, strides=2, padding="same", activation="tanh",
                                    dtype="float32", name="image")(x)                  # (batch, h, w, channels)
    return keras.Model(inputs if num_classes else noise, images, name="generator")


def build_discriminator(image_shape: Sequence[int], num_classes: int = 0, filters: Sequence[int] = (32, 64),
                        dropout_rate: float = 0.3) -> keras.Model:
    """images (batch, h, w, channels) [and labels (batch,)] -> logits (batch, 1): log-odds that each image is real.

    A plain convolutional classifier with two classes, real and generated. Stride-2 convolutions halve the image
    twice (no pooling: as in DCGAN, the network learns its own down-sampling); LeakyReLU rather than ReLU so that the
    generator receives a gradient through every unit. No batch normalisation: a batch of real images and a batch of
    generated ones would be normalised separately, and D could tell them apart by their batch statistics alone.
    The output is a logit, not a probability: the loss applies the sigmoid itself, which is numerically safer.
    With num_classes > 0, the label becomes one more channel of the image (an embedding of h*w numbers, reshaped),
    so D judges "is this a real image of this digit?", and a good 3 sold as a 7 is caught.
    """
    check_image_shape(image_shape)
    image = keras.Input(shape=tuple(image_shape), name="image")
    inputs, x = [image], image
    if num_classes:
        label = keras.Input(shape=(), dtype="int32", name="label")
        plane = layers.Embedding(num_classes, image_shape[0] * image_shape[1], name="label_embedding")(label)
        plane = layers.Reshape((image_shape[0], image_shape[1], 1), name="label_plane")(plane)  # (batch, h, w, 1)
        inputs, x = [image, label], layers.Concatenate(name="image_and_label")([image, plane])
    for index, count in enumerate(filters, start=1):
        x = layers.Conv2D(count, 4, strides=2, padding="same", name=f"downsample_{index}")(x)
        x = layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"downsample_{index}_activation")(x)
    x = layers.Flatten(name="flatten")(x)                                     # (batch, h/4 * w/4 * filters[-1])
    x = layers.Dropout(dropout_rate, name="dropout")(x)
    logit = layers.Dense(1, dtype="float32", name="logit")(x)     # (batch, 1); float32 for the loss, as in G
    return keras.Model(inputs if num_classes else image, logit, name="discriminator")


# ----------------------------------------------------------------------------------------------------------------
# The game: two networks, two optimizers, one training step that updates D and then G


class GAN(keras.Model):
    """A generator and a discriminator trained against each other by `fit`; `gan(z)` is `generator(z)`.

        gan.compile(d_optimizer=..., g_optimizer=..., loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
        gan.fit(x_train, epochs=...)              # conditional: gan.fit(x_train, y_train, ...)

    Why a train_step and not a hand-written loop: `fit` then gives the progress bar, the callbacks (the sample grid
    after every epoch, the CSV history, early stopping) and the History every other folder has, and only the step
    itself, the one part a GAN does differently, is written here. It is TensorFlow-only: the two gradients are taken
    with tf.GradientTape (JAX and PyTorch would need their own versions of these few lines); everything it calls,
    the two networks, the loss and keras.random, is backend-neutral.

    Each step logs d_loss and g_loss (see the module docstring), and d_real and d_fake: D's mean probability that
    the real images, and the generated ones, are real (1/2 for both at the equilibrium).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int, num_classes: int = 0,
                 label_smoothing: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.num_classes, self.label_smoothing = latent_dim, num_classes, label_smoothing
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True  # both networks are built: the GAN itself has no weights of its own

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                loss_fn: keras.losses.Loss, jit_compile="auto", steps_per_execution: int = 1) -> None:
        """Two optimizers, one per network: each keeps its own moments for its own weights only.

        jit_compile and steps_per_execution mean what they mean in keras.Model.compile. A GAN built under the
        mixed_float16 policy gets its two optimizers wrapped in loss-scaling ones, as Model.compile does with the
        one optimizer it is given; train_step scales each loss with its own optimizer.
        """
        super().compile(jit_compile=jit_compile, steps_per_execution=steps_per_execution)
        if self.dtype_policy.name == "mixed_float16":
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer, name="d_loss_scale_optimizer")
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer, name="g_loss_scale_optimizer")
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("d_loss", "g_loss", "d_real", "d_fake")}

    @property
    def metrics(self) -> list:
        # Listed here so that fit resets them at the start of every epoch: each epoch logs its own mean.
        return list(getattr(self, "trackers", {}).values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def with_labels(self, images, labels):
        """What a network reads: the images alone, or [images, labels] for a conditional GAN."""
        return [images, labels] if self.conditional else images

    def random_inputs(self, batch_size):
        """(z (batch, latent_dim) ~ N(0, I), random digits (batch,) or None): what the generator is fed."""
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        labels = keras.random.randint((batch_size,), 0, self.num_classes, seed=self.seed_generator,
                                      dtype="int32") if self.conditional else None
        return noise, labels

    def train_step(self, data):
        import tensorflow as tf  # the one TensorFlow line in this folder (see the class docstring)

        real_images, real_labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        batch_size = ops.shape(real_images)[0]
        if self.conditional:
            real_labels = ops.cast(real_labels, "int32")

        # 1. The discriminator: real images should score 1, generated ones 0. One-sided label smoothing (a target of
        #    1 - smoothing for real images, 0 for generated ones) keeps D from growing over-confident on the real
        #    images, which would leave G with vanishing gradients. G's weights do not move in this step.
        noise, fake_labels = self.random_inputs(batch_size)
        fake_images = self.generator(self.with_labels(noise, fake_labels), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(self.with_labels(real_images, real_labels), training=True)
            fake_logits = self.discriminator(self.with_labels(fake_images, fake_labels), training=True)
            d_loss = (self.loss_fn(ops.full_like(real_logits, 1.0 - self.label_smoothing), real_logits)
                      + self.loss_fn(ops.zeros_like(fake_logits), fake_logits))
            scaled_loss = self.d_optimizer.scale_loss(d_loss)  # d_loss itself, unless mixed precision scales it
        gradients = tape.gradient(scaled_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(gradients, self.discriminator.trainable_weights))

        # 2. The generator: fresh noise, and the non-saturating loss -log D(G(z)), i.e. generated images labelled
        #    real. The gradient flows through D into G, but only G's weights are updated.
        noise, fake_labels = self.random_inputs(batch_size)
        with tf.GradientTape() as tape:
            generated = self.generator(self.with_labels(noise, fake_labels), training=True)
            logits = self.discriminator(self.with_labels(generated, fake_labels), training=True)
            g_loss = self.loss_fn(ops.ones_like(logits), logits)
            scaled_loss = self.g_optimizer.scale_loss(g_loss)
        gradients = tape.gradient(scaled_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(gradients, self.generator.trainable_weights))

        # With --distribute each replica's loss_fn gives its share of the global batch's loss (divided by the number
        # of replicas, so that the replicas' summed gradients are the global batch's): the trackers show the whole.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for name, value in (("d_loss", d_loss * replicas), ("g_loss", g_loss * replicas),
                            ("d_real", ops.mean(ops.sigmoid(real_logits))),
                            ("d_fake", ops.mean(ops.sigmoid(fake_logits)))):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def build_model(image_shape: Sequence[int], latent_dim: int = 64, num_classes: int = 0,
                label_smoothing: float = 0.0) -> GAN:
    """The GAN of a generator and a discriminator for images of image_shape (h and w divisible by 4).

    num_classes > 0 makes both networks conditional on a digit label (0 .. num_classes - 1).
    """
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be at least 1 (got {latent_dim})")
    generator = build_generator(image_shape, latent_dim, num_classes)
    discriminator = build_discriminator(image_shape, num_classes)
    return GAN(generator, discriminator, latent_dim, num_classes, label_smoothing, name="gan")


# ----------------------------------------------------------------------------------------------------------------
# Sampling from a trained generator (a saved model.keras too)


def sample_noise(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """(count, latent_dim) float32 draws of z ~ N(0, I) from NumPy's generator seeded with seed: the same every run."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")


def end_to_end(generator: keras.Model, pixel_max: float) -> keras.Model:
    """The trained generator with its tanh's -1..1 mapped to pixels 0..pixel_max (x * pixel_max/2 + pixel_max/2): noise
    (and a digit) in, images in the data's own range out. What train.py saves as model.keras; training, the scores
    and the pictures use the generator's own -1..1."""
    copy = inference_copy(generator)
    pixels = layers.Rescaling(pixel_max / 2, offset=pixel_max / 2, name="to_pixel_range")(copy.outputs[0])
    return keras.Model(copy.input, pixels, name=f"{generator.name}_end_to_end")  # copy.input: z, or [z, digit]


def generate(generator: keras.Model, noise: np.ndarray, labels: np.ndarray | None = None,
             batch_size: int = 256) -> np.ndarray:
    """Images (n, h, w, channels) for noise (n, latent_dim) [and digits (n,) for a conditional generator]: in -1..1
    from a trained generator, in 0..pixel_max from a saved one (end_to_end).

    Inference mode: batch normalisation uses its moving averages, so an image depends on its own z alone.
    """
    inputs = noise if labels is None else [noise, np.asarray(labels, dtype="int32")]
    return np.asarray(generator.predict(inputs, batch_size=batch_size, verbose=0))
