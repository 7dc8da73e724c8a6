"""Autoencoders: an encoder squeezes an image into a short code, a decoder rebuilds the image from the code alone.

    from autoencoder.model import build_model
    model = build_model(input_shape=(28, 28, 1), arch="conv", code_size=32)
    codes = model.get_layer("encoder").predict(images)           # (n, 32); for the VAE a list [z_mean, z_log_var]
    saved = end_to_end(model, pixel_max=255.0)                   # model.keras: raw pixels in, raw pixels out

    dense      encoder: Flatten - Dense(256) - Dense(128) - Dense(code)
               decoder: Dense(128) - Dense(256) - Dense(h*w, sigmoid) - Reshape(h, w, 1)
    conv       encoder: Conv(32, stride 2) - Conv(64, stride 2) - Flatten - Dense(code)           28 -> 14 -> 7
               decoder: Dense(7*7*64) - Reshape - ConvTranspose(64, stride 2) - ConvTranspose(32, stride 2)
                        - Conv(1, sigmoid)                                                      7 -> 14 -> 28
    denoising  GaussianNoise (training only) - clip to 0..1 - conv's encoder - conv's decoder
    vae        conv's encoder with two heads, z_mean and z_log_var - KLDivergence (adds the KL term to the loss)
               - Sampling (z = z_mean + exp(z_log_var / 2) * eps) - conv's decoder

Every model maps (batch, h, w, 1) images in 0..1 to (batch, h, w, 1) reconstructions in 0..1 (a sigmoid output).
The encoder and decoder are sub-models named "encoder" and "decoder", so that the codes and the decoding of any
code are one call away. A run saves end_to_end's wrap of the trained model, which reads and answers pixels in their
own range (0..255, or 0..16 for the 8x8 digits). The VAE's two layers, Sampling and KLDivergence, are written here
with keras.ops only, so they run on every Keras 3 backend.
"""

from typing import Sequence

import keras
import numpy as np
from keras import layers, ops

from common.tasks import inference_copy

ARCHITECTURES = ("dense", "conv", "denoising", "vae")


# ----------------------------------------------------------------------------------------------------------------
# The VAE's two layers: the lesson of --arch vae, so they are written out rather than taken from a library


@keras.saving.register_keras_serializable(package="autoencoder")
class Sampling(layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * eps, eps ~ N(0, I): the reparameterization trick. (batch, k) -> (batch, k).

    The randomness sits in eps, off the path from the weights to z, so gradients flow through z_mean and z_log_var
    as through any layer. While training each call draws a fresh eps; at inference z = z_mean, the most likely code,
    so an image's reconstruction is the same every time (and a saved model gives exactly the same outputs).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        if not training:
            return z_mean
        # In the layer's compute dtype: float32, or float16 with --mixed-precision (the dtype of z_mean).
        epsilon = keras.random.normal(ops.shape(z_mean), dtype=self.compute_dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="autoencoder")
class KLDivergence(layers.Layer):
    """Adds weight * KL(q(z|x) || N(0, I)), averaged over the batch, to the model's loss; passes (z_mean, z_log_var)
    through unchanged.

    For a diagonal Gaussian q = N(mu, sigma^2) against the standard normal prior the KL has a closed form, summed
    over the k code units:  KL = -1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2).
    add_loss hands the term to Keras, which adds it to the loss given to compile(): fit's own training step then
    differentiates reconstruction + KL together, on whichever backend runs it.
    """

    def __init__(self, weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight

    def call(self, inputs):
        z_mean, z_log_var = inputs                                       # (batch, k) each
        kl = -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)   # (batch,)
        self.add_loss(self.weight * ops.mean(kl))
        return z_mean, z_log_var

    def get_config(self) -> dict:
        return {**super().get_config(), "weight": self.weight}


# ----------------------------------------------------------------------------------------------------------------
# Encoders and decoders


def dense_encoder(input_shape: Sequence[int], code_size: int,
                  hidden_units: Sequence[int] = (256, 128)) -> keras.Model:
    """(batch, h, w, 1) -> (batch, code_size): the pixels as one vector, narrowed layer by layer to the code."""
    images = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Flatten(name="flatten")(images)                                 # (batch, h*w)
    for index, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, activation="relu", name=f"encoder_dense_{index}")(x)
    # No activation on the code: it may take any value, as PCA's coordinates do.
    code = layers.Dense(code_size, name="code")(x)                           # (batch, code_size)
    return keras.Model(images, code, name="encoder")


def dense_decoder(output_shape: Sequence[int], code_size: int,
                  hidden_units: Sequence[int] = (256, 128)) -> keras.Model:
    """(batch, code_size) -> (batch, h, w, 1): the encoder's layers in reverse, ending in one sigmoid per pixel."""
    code = keras.Input(shape=(code_size,), name="code")
    x = code
    for index, units in enumerate(reversed(hidden_units), start=1):
        x = layers.Dense(units, activation="relu", name=f"decoder_dense_{index}")(x)
    # A sigmoid keeps every pixel in 0..1, the range of the images. The output is float32 also when the layers
    # before it compute in float16 (--mixed-precision), and so is the loss computed from it.
    x = layers.Dense(int(np.prod(output_shape)), activation="sigmoid", dtype="float32", name="pixels")(x)
    return keras.Model(code, layers.Reshape(tuple(output_shape), dtype="float32", name="image")(x), name="decoder")


def check_conv_shape(input_shape: Sequence[int]) -> None:
    """Two stride-2 convolutions halve the image twice and the decoder doubles it back: h and w must divide by 4."""
    height, width = input_shape[0], input_shape[1]
    if height % 4 or width % 4:
        raise ValueError(f"the convolutional autoencoder needs a height and width divisible by 4 "
                         f"(got {height}x{width})")


def conv_encoder(input_shape: Sequence[int], code_size: int, filters: Sequence[int] = (32, 64),
                 variational: bool = False) -> keras.Model:
    """(batch, h, w, 1) -> (batch, code_size), or [z_mean, z_log_var] (batch, code_size) each when variational.

    Each convolution has stride 2: it halves height and width while it looks for local patterns (28 -> 14 -> 7),
    doing the job of pooling with weights of its own.
    """
    check_conv_shape(input_shape)
    images = keras.Input(shape=tuple(input_shape), name="image")
    x = images
    for index, count in enumerate(filters, start=1):
        x = layers.Conv2D(count, 3, strides=2, padding="same", activation="relu", name=f"encoder_conv_{index}")(x)
    x = layers.Flatten(name="flatten")(x)                                      # (batch, h/4 * w/4 * filters[-1])
    if not variational:
        return keras.Model(images, layers.Dense(code_size, name="code")(x), name="encoder")
    # The VAE's encoder describes a distribution over codes, not one code: a mean and a log-variance per unit (the
    # log keeps the variance positive without a constraint on the layer).
    z_mean = layers.Dense(code_size, name="z_mean")(x)
    z_log_var = layers.Dense(code_size, name="z_log_var")(x)
    return keras.Model(images, [z_mean, z_log_var], name="encoder")


def conv_decoder(output_shape: Sequence[int], code_size: int, filters: Sequence[int] = (32, 64)) -> keras.Model:
    """(batch, code_size) -> (batch, h, w, 1): a small feature map grown back by transposed convolutions.

    A transposed convolution with stride 2 is the convolution's mirror: each input value spreads a learnt 3x3 patch
    over a map twice as tall and wide (7 -> 14 -> 28).
    """
    check_conv_shape(output_shape)
    height, width = output_shape[0] // 4, output_shape[1] // 4
    code = keras.Input(shape=(code_size,), name="code")
    x = layers.Dense(height * width * filters[-1], activation="relu", name="decoder_dense")(code)
    x = layers.Reshape((height, width, filters[-1]), name="feature_map")(x)   # (batch, h/4, w/4, filters[-1])
    for index, count in enumerate(reversed(filters), start=1):
        x = layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu",
                                   name=f"decoder_deconv_{index}")(x)
    image = layers.Conv2D(output_shape[-1], 3, padding="same", activation="sigmoid", dtype="float32",
                          name="pixels")(x)                                   # float32, as in dense_decoder
    return keras.Model(code, image, name="decoder")


# ----------------------------------------------------------------------------------------------------------------
# The four architectures


def build_model(input_shape: Sequence[int], arch: str = "conv", code_size: int = 32, noise_stddev: float = 0.3,
                kl_weight: float = 1.0, hidden_units: Sequence[int] = (256, 128),
                filters: Sequence[int] = (32, 64)) -> keras.Model:
    """An autoencoder: (batch, h, w, 1) images -> (batch, h, w, 1) reconstructions.

    arch is dense, conv, denoising (conv trained on inputs with Gaussian noise of standard deviation noise_stddev
    added, at training time only) or vae (kl_weight multiplies the KL term it adds to the loss). hidden_units are
    the dense encoder's layer widths; filters the conv encoder's convolution widths (the decoders mirror them).
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {', '.join(ARCHITECTURES)} (got {arch!r})")
    if code_size < 1:
        raise ValueError(f"code_size must be at least 1 (got {code_size})")
    images = keras.Input(shape=tuple(input_shape), name="image")
    if arch == "dense":
        encoder, decoder = dense_encoder(input_shape, code_size, hidden_units), \
            dense_decoder(input_shape, code_size, hidden_units)
        return keras.Model(images, decoder(encoder(images)), name="autoencoder_dense")
    if arch == "vae":
        z_mean, z_log_var = conv_encoder(input_shape, code_size, filters, variational=True)(images)
        # In float32 also with --mixed-precision: exp(z_log_var) overflows float16 early, and the term joins the
        # float32 reconstruction loss.
        z_mean, z_log_var = KLDivergence(kl_weight, dtype="float32", name="kl_divergence")([z_mean, z_log_var])
        z = Sampling(name="sampling")([z_mean, z_log_var])                    # (batch, code_size)
        return keras.Model(images, conv_decoder(input_shape, code_size, filters)(z), name="autoencoder_vae")
    encoder, decoder = conv_encoder(input_shape, code_size, filters), conv_decoder(input_shape, code_size, filters)
    x = images
    if arch == "denoising":
        # Fresh noise on every training batch (the layer is a no-op at inference, where the inputs come noisy
        # already), so the network cannot memorise the noise and has to learn what a clean digit looks like.
        x = layers.GaussianNoise(noise_stddev, name="noise")(x)
        x = layers.ReLU(max_value=1.0, name="clip_to_pixel_range")(x)        # min(max(x, 0), 1): still an image
    return keras.Model(images, decoder(encoder(x)), name=f"autoencoder_{arch}")


def end_to_end(autoencoder: keras.Model, pixel_max: float) -> keras.Model:
    """The trained autoencoder between two Rescaling layers: raw images (batch, h, w, 1) in 0..pixel_max in, their
    reconstructions in the same range out. What train.py saves as model.keras; training and scoring read the 0..1
    images dataset.py made, so the results are the network's own."""
    raw = keras.Input(shape=autoencoder.input_shape[1:], name="raw_image")
    x = layers.Rescaling(1.0 / pixel_max, name="rescale")(raw)                # 0..1, as the network learnt
    x = inference_copy(autoencoder)(x)
    x = layers.Rescaling(pixel_max, name="to_pixel_range")(x)                # back to 0..pixel_max
    return keras.Model(raw, x, name=f"{autoencoder.name}_end_to_end")


def encode(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The codes (n, code_size) of images (n, h, w, 1): the encoder's output, or the VAE's z_mean."""
    codes = model.get_layer("encoder").predict(images, batch_size=batch_size, verbose=0)
    return np.asarray(codes[0] if isinstance(codes, (list, tuple)) else codes)
