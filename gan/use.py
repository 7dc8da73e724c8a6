"""Use a trained generator (a gan/ run's model.keras): images from a seed, of a chosen digit for a conditional one.
Drawing the noise is the step outside the model (seeded here, so that a seed always gives the same images); serve/
and a student call this.

    import keras
    from gan.use import sample_images

    generator = keras.models.load_model("runs/gan/dcgan/mnist5k-20261124-101500/model.keras", compile=False)
    images, digits = sample_images(generator, count=8, seed=0)   # (8, 28, 28, 1) in 0..255 (0 black); digits None
"""

import numpy as np

from common.flags import require
from gan.evaluation import requested_labels
from gan.model import generate, sample_noise


def class_count(generator) -> int:
    """How many classes a conditional generator draws (its label embedding's rows); 0 for an unconditional one."""
    if len(generator.inputs) == 1:
        return 0
    return int(generator.get_layer("label_embedding").input_dim)


def generator_inputs(generator, count: int, seed: int, digit: int | None = None) -> list[np.ndarray]:
    """What the generator reads for `count` images: noise drawn from seed, and for a conditional generator the digit
    asked for, or 0, 1, 2, ... in turn. ValueError for a digit it cannot draw."""
    classes = class_count(generator)
    require(digit is None or classes > 0, "this generator is not conditional: leave out digit")
    require(digit is None or 0 <= digit < classes, f"digit must be from 0 to {classes - 1} (got {digit})")
    noise = sample_noise(count, generator.inputs[0].shape[1], seed)
    if not classes:
        return [noise]
    labels = requested_labels(count, classes) if digit is None else np.full(count, digit)
    return [noise, labels.astype("int32")]


def sample_images(generator, count: int, seed: int, digit: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(images (count, h, w, channels) in the saved generator's pixel range, 0..255 for mnist5k and 0..16 for digits,
    the digit of each or None): generator_inputs's noise and digits through the generator. ValueError for a digit it
    cannot draw."""
    inputs = generator_inputs(generator, count, seed, digit)
    labels = inputs[1] if len(inputs) > 1 else None
    return generate(generator, inputs[0], labels), labels
