"""common/datasets.py: the Dataset type, splits, the embedded MNIST subset and the offline download error."""

import numpy as np
import pytest

from common import datasets


def toy_dataset(num_examples=40):
    x = np.arange(num_examples * 3, dtype="float32").reshape(num_examples, 3)
    y = np.arange(num_examples) % 2
    parts = datasets.split_three_ways(x, y)
    return datasets.Dataset("toy", "classification", *parts, class_names=["even", "odd"])


def test_split_three_ways_sizes_stratification_and_no_overlap():
    x = np.arange(1000).reshape(-1, 1)
    y = np.repeat([0, 1, 2, 3], 250)
    x_train, y_train, x_val, y_val, x_test, y_test = datasets.split_three_ways(x, y, val_fraction=0.15,
                                                                              test_fraction=0.2)
    assert (len(x_train), len(x_val), len(x_test)) == (650, 150, 200)
    assert np.bincount(y_test).tolist() == [50, 50, 50, 50]  # stratified: class proportions kept
    everything = np.concatenate([x_train, x_val, x_test]).ravel()
    assert sorted(everything.tolist()) == list(range(1000))  # each example in exactly one split
    again = datasets.split_three_ways(x, y)
    assert np.array_equal(again[4], x_test)  # the split is fixed


def test_dataset_properties_and_quick_slice():
    data = toy_dataset()
    assert data.input_shape == (3,) and data.num_classes == 2
    assert data.sizes() == "26 train / 6 val / 8 test"
    small = data.quick_slice(num_train=5, num_eval=2)
    assert (len(small.x_train), len(small.y_val), len(small.x_test)) == (5, 2, 2)
    assert np.array_equal(small.x_train, data.x_train[:5]) and small.class_names == data.class_names
    with pytest.raises(ValueError, match="unknown task"):
        datasets.Dataset("toy", "clustering", *([np.zeros(1)] * 6))


def test_mnist5k_is_the_real_embedded_subset():
    images, labels = datasets.load_mnist5k()
    assert images.shape == (5000, 28, 28) and images.dtype == np.float32
    assert images.min() == 0 and images.max() == 255
    assert np.bincount(labels).tolist() == [500] * 10


def test_look_up_names_the_choices():
    registry = {"a": lambda: "A", "b": lambda: "B"}
    assert datasets.look_up(registry, "b")() == "B"
    with pytest.raises(ValueError, match="unknown dataset 'c'; choose one of a, b"):
        datasets.look_up(registry, "c")


def test_failed_download_is_one_clear_error(monkeypatch):
    import keras

    def no_network():
        raise Exception("URL fetch failure: [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(datasets.DatasetUnavailableError) as error:
        datasets.download_keras_dataset("mnist", alternative="mnist5k")
    message = str(error.value)
    assert "'mnist'" in message and "datasets" in message and "--dataset mnist5k" in message
    assert "\n" not in message


def test_successful_download_is_passed_through(monkeypatch):
    import keras

    arrays = ((np.zeros((2, 28, 28)), np.zeros(2)), (np.ones((1, 28, 28)), np.ones(1)))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: arrays)
    assert datasets.download_keras_dataset("mnist", alternative="mnist5k") is arrays
