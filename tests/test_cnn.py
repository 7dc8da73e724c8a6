"""cnn/: builders for every architecture, the image data sets (embedded, downloaded, a folder), quick runs, errors."""

import json
import tempfile
from pathlib import Path
from types import SimpleNamespace

import keras
import matplotlib.image
import numpy as np
import pytest

from cnn import dataset as cnn_dataset
from cnn.model import build_model, end_to_end
from cnn.train import ARCHITECTURES, CnnConfig, main

PLOTS = {"learning_curves.png", "confusion_matrix.png", "predictions_grid.png", "filters.png", "feature_maps.png"}


# ---------------------------------------------------------------------------------------------------------------
# model.py

@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("input_shape", [(28, 28, 1), (8, 8, 1), (32, 32, 3)])
def test_every_architecture_builds_for_every_input_size(arch, input_shape):
    model = build_model(input_shape, num_classes=10, arch=arch)
    assert model.output_shape == (None, 10)
    assert model.predict(np.zeros((2, *input_shape), dtype="float32"), verbose=0).shape == (2, 10)
    binary = build_model(input_shape, num_classes=2, arch=arch)
    assert binary.output_shape == (None, 1) and binary.layers[-1].get_config()["activation"] == "sigmoid"


def test_basic_parameter_count_by_hand():
    # conv1 3*3*1*32+32 = 320; 28 -> pool -> 14; conv2 3*3*32*64+64 = 18,496; 14 -> pool -> 7;
    # flatten 7*7*64 = 3,136; dense 3,136*64+64 = 200,768; output 64*10+10 = 650
    assert build_model((28, 28, 1), 10, arch="basic").count_params() == 320 + 18496 + 200768 + 650


def test_padding_strides_and_pooling_change_the_shapes():
    valid = build_model((28, 28, 1), 10, arch="basic", padding="valid")
    # valid: 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5
    assert valid.get_layer("conv1").output.shape[1:3] == (26, 26)
    assert valid.get_layer("flatten").output.shape[-1] == 5 * 5 * 64
    strided = build_model((28, 28, 1), 10, arch="basic", strides=2)
    assert strided.get_layer("conv1").output.shape[1:3] == (14, 14)  # same padding, stride 2: ceil(28 / 2)
    average = build_model((28, 28, 1), 10, arch="basic", pooling="average")
    assert isinstance(average.get_layer("pool1"), keras.layers.AveragePooling2D)


def test_deep_and_resnet_blocks_and_filters():
    deep = build_model((28, 28, 1), 10, arch="deep", blocks=2, filters=8)
    assert deep.get_layer("block2_conv2").output.shape[1:] == (14, 14, 16)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in deep.layers) == 4
    resnet = build_model((28, 28, 1), 10, arch="resnet", blocks=3, filters=8)
    assert resnet.get_layer("stage3_out").output.shape[1:] == (7, 7, 32)
    assert "stage1_projection" not in [layer.name for layer in resnet.layers]  # identity where shapes match
    assert "stage2_projection" in [layer.name for layer in resnet.layers]     # projection where they change


def test_a_residual_block_with_silenced_convolutions_passes_its_shortcut_through():
    """y = ReLU(F(x) + shortcut(x)): with F's convolutions zeroed, F(x) = 0 (batch normalization of zeros is zero
    before any training), so stage 1 must return its input (identity shortcut, x >= 0 after the stem's ReLU) and
    stage 2 the ReLU of its projection."""
    model = build_model((16, 16, 1), 10, arch="resnet", blocks=2, filters=8)
    for name in ("stage1_a", "stage1_b", "stage2_a", "stage2_b"):
        layer = model.get_layer(name)
        layer.set_weights([np.zeros_like(weight) for weight in layer.get_weights()])
    images = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 1)).astype("float32")
    probe = keras.Model(model.input, [model.get_layer(name).output for name in
                                      ("stem_relu", "stage1_out", "stage2_projection_bn", "stage2_out")])
    stem, stage1, projection, stage2 = [keras.ops.convert_to_numpy(x) for x in probe(images, training=False)]
    assert stem.max() > 0.1  # a real input reached the block
    np.testing.assert_allclose(stage1, stem, atol=1e-6)
    np.testing.assert_allclose(stage2, np.maximum(projection, 0), atol=1e-6)
    assert np.abs(stage2).max() > 0.01


def test_alexnet_has_five_convolutions_three_pools_and_two_1024_layers():
    model = build_model((32, 32, 3), 10, arch="alexnet")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 5 and kinds.count("MaxPooling2D") == 3
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [1024, 1024, 10]
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.5, 0.5]


def test_augmentation_acts_only_in_training():
    model = build_model((28, 28, 1), 10, arch="basic", augment=True, flip=True)
    augmentation = model.get_layer("augmentation")
    assert [type(layer).__name__ for layer in augmentation.layers] == [
        "RandomRotation", "RandomTranslation", "RandomZoom", "RandomFlip"]
    image = np.random.default_rng(0).random((1, 28, 28, 1)).astype("float32")
    assert np.allclose(augmentation(image, training=False), image)
    assert not np.allclose(augmentation(image, training=True), image)
    no_flip = build_model((28, 28, 1), 10, arch="basic", augment=True, flip=False)
    assert "RandomFlip" not in [type(layer).__name__ for layer in no_flip.get_layer("augmentation").layers]


def test_the_saved_end_to_end_model_reads_raw_pixels(tmp_path):
    """end_to_end(network) on raw 0..16 digits equals the network on the images divided by 16, once saved and loaded
    in safe mode, augmentation and all; the file holds no optimizer state."""
    keras.utils.set_random_seed(0)
    data = cnn_dataset.load_dataset(CnnConfig(dataset="digits"))
    assert data.meta["pixel_max"] == 16.0
    network = build_model(data.input_shape, 10, arch="basic", augment=True)
    network.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    network.fit(data.x_train[:64], data.y_train[:64], epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    end_to_end(network, data).save(path)
    model = keras.saving.load_model(path, safe_mode=True)
    raw = cnn_dataset.raw_features(data, data.x_test[:50])
    assert raw.max() == 16.0 and np.allclose(raw, np.round(raw))  # scikit-learn's whole pixel counts
    # training=False said each time: Keras' random image layers default to training when a model is called directly
    answers = np.asarray(model(raw.astype("float32"), training=False))
    assert np.allclose(answers, np.asarray(network(data.x_test[:50], training=False)), atol=1e-6)
    assert [layer.name for layer in model.layers] == ["raw_image", "rescale", "cnn_basic"]
    assert not hasattr(model.layers[2], "optimizer") or model.layers[2].optimizer is None


def test_impossible_shapes_are_explained():
    with pytest.raises(ValueError, match="only 1x1 when it reaches pool2"):
        build_model((8, 8, 1), 10, arch="alexnet", padding="valid")
    with pytest.raises(ValueError, match="resnet needs --padding same"):
        build_model((28, 28, 1), 10, arch="resnet", padding="valid")


# ---------------------------------------------------------------------------------------------------------------
# dataset.py

def test_embedded_image_datasets():
    mnist = cnn_dataset.load_dataset(CnnConfig(dataset="mnist5k"))
    assert mnist.x_train.shape == (3250, 28, 28, 1) and mnist.x_test.shape == (1000, 28, 28, 1)
    assert mnist.x_train.min() == 0.0 and mnist.x_train.max() == 1.0 and not mnist.meta["flip_ok"]
    digits = cnn_dataset.load_dataset(CnnConfig(dataset="digits"))
    assert digits.input_shape == (8, 8, 1) and digits.x_train.max() == 1.0 and digits.num_classes == 10


def write_image_folder(root: Path, per_class: int = 8, size: int = 12) -> Path:
    """Two classes of generated PNGs: bright squares and dark squares."""
    rng = np.random.default_rng(0)
    for name, level in (("bright", 0.8), ("dark", 0.2)):
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            pixels = np.clip(level + 0.1 * rng.standard_normal((size, size, 3)), 0, 1)
            matplotlib.image.imsave(root / name / f"{index}.png", pixels)
    return root


def test_image_folder_is_loaded_resized_and_split(tmp_path):
    folder = write_image_folder(tmp_path / "squares")
    data = cnn_dataset.load_dataset(CnnConfig(image_dir=str(folder), image_size=16))
    assert data.name == "squares" and data.class_names == ["bright", "dark"] and data.meta["flip_ok"]
    assert data.input_shape == (16, 16, 3)
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 16
    bright = data.x_train[data.y_train == 0].mean()
    assert bright > 0.6 > 0.4 > data.x_train[data.y_train == 1].mean()  # labels match the folders


def test_image_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        cnn_dataset.load_dataset(SimpleNamespace(image_dir=tmp_path / "missing", image_size=16, stream=False))
    (tmp_path / "only_one" / "cats").mkdir(parents=True)
    with pytest.raises(ValueError, match="at least two sub-folders"):
        cnn_dataset.load_dataset(SimpleNamespace(image_dir=tmp_path / "only_one", image_size=16, stream=True))


def test_streamed_folder_has_the_same_split_and_pixels_as_the_loaded_one(tmp_path):
    folder = write_image_folder(tmp_path / "squares", per_class=10)
    loaded = cnn_dataset.load_dataset(CnnConfig(image_dir=str(folder), image_size=16))
    streamed = cnn_dataset.load_dataset(CnnConfig(image_dir=str(folder), image_size=16, stream=True))
    assert streamed.input_shape == (16, 16, 3) and streamed.x_test.dtype.kind == "U"  # file paths, one shape
    assert streamed.class_names == loaded.class_names and streamed.sizes() == loaded.sizes()
    for split in ("train", "val", "test"):  # the same files in the same order, decoded to the same pixels
        y = getattr(streamed, f"y_{split}")
        batches = list(cnn_dataset.image_pipeline(getattr(streamed, f"x_{split}"), y, 16, batch_size=4))
        images = np.concatenate([images.numpy() for images, _ in batches])
        np.testing.assert_array_equal(np.concatenate([labels.numpy() for _, labels in batches]), y)
        np.testing.assert_array_equal(y, getattr(loaded, f"y_{split}"))
        np.testing.assert_allclose(images, getattr(loaded, f"x_{split}"), atol=1e-6)


def test_streamed_training_order_is_shuffled_every_epoch_and_set_by_the_seed(tmp_path):
    images = write_image_folder(tmp_path / "squares", per_class=10)
    paths = np.array([str(path) for path in sorted(images.rglob("*.png"))])
    labels = np.arange(len(paths))  # each image's own number, to follow the order
    def epochs(seed, count=2):
        pipeline = cnn_dataset.image_pipeline(paths, labels, 8, batch_size=5, shuffle_seed=seed,
                                              cache_file=str(tmp_path / f"cache-{seed}"))
        return [np.concatenate([batch.numpy() for _, batch in pipeline]) for _ in range(count)]

    first, second = epochs(seed=3)
    assert sorted(first) == sorted(second) == list(range(20))  # every image once per epoch
    assert list(first) != list(second) and list(first) != list(range(20))  # a new order every epoch
    np.testing.assert_array_equal(epochs(seed=3, count=1)[0], first)  # the same seed, the same order
    assert (tmp_path / "cache-3.index").exists()  # the decoded images were cached to the file


def test_downloaded_cifar10_keeps_keras_test_split(monkeypatch):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (5020, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, (5020, 1)))
    test = (rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, (30, 1)))
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: (train, test))
    data = cnn_dataset.load_dataset(CnnConfig(dataset="cifar10"))
    assert data.x_train.shape == (20, 32, 32, 3) and data.x_val.shape == (5000, 32, 32, 3)
    assert data.y_test.shape == (30,) and data.class_names[3] == "cat" and data.meta["flip_ok"]
    assert 0.0 <= data.x_test.min() and data.x_test.max() <= 1.0


# ---------------------------------------------------------------------------------------------------------------
# train.py

def check_run(result, tmp_path, dataset, assert_scores_recomputed):
    """The run folder of a --quick run on dataset; its scores recomputed from its model.keras, which reads raw pixels
    (0..255, or 0..16 for digits). Returns metrics."""
    run_dir = Path(result["run_dir"])
    assert run_dir.parent == tmp_path / "cnn" and run_dir.name.startswith(dataset.name)
    assert PLOTS <= {p.name for p in (run_dir / "plots").iterdir()}
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs_run"] == 2 and metrics["test"]["accuracy"] == result["test"]["accuracy"]
    data = dataset.quick_slice()
    assert_scores_recomputed(run_dir, data, raw=lambda x: cnn_dataset.raw_features(data, x))
    return metrics


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_quick_run_for_each_architecture(arch, tmp_path, run_main, assert_scores_recomputed):
    result, out, _ = run_main(main, ["--dataset", "digits", "--arch", arch, "--quick", "--output-dir", str(tmp_path)])
    check_run(result, tmp_path, cnn_dataset.load_dataset(CnnConfig(dataset="digits")), assert_scores_recomputed)
    # The folder and the --arch flag side by side in config.json, neither hiding the other.
    config = json.loads((Path(result["run_dir"]) / "config.json").read_text())
    assert (config["folder"], config["script"], config["arch"]) == ("cnn", "cnn/train.py", arch)
    assert out[-1].startswith("test_accuracy=") and f"params={result['params']}" in out[-1]


def test_quick_run_on_mnist5k_learns(tmp_path, run_main, assert_scores_recomputed, readme_snippet):
    result, _, _ = run_main(main, ["--quick", "--arch", "basic", "--no-augment", "--learning-rate", "0.003",
                                   "--output-dir", str(tmp_path)])
    metrics = check_run(result, tmp_path, cnn_dataset.load_dataset(CnnConfig(dataset="mnist5k")),
                        assert_scores_recomputed)
    assert metrics["test"]["accuracy"] > 3 * metrics["baselines"]["majority_class"]["accuracy"]
    assert set(metrics["baselines"]) == {"majority_class", "logistic_regression", "svm"}
    # The README's "Use your trained model" on this run: raw 0..255 images in, the digits of the network inside out
    from common.datasets import load_mnist5k

    printed = readme_snippet("cnn", result["run_dir"])[-1]
    predicted, true = ([int(d) for d in part.split()] for part in printed.strip("[]").split("] ["))
    images, labels = load_mnist5k()
    network = keras.saving.load_model(Path(result["run_dir"]) / "model.keras").get_layer("cnn_basic")
    assert true == list(labels[:5])
    assert predicted == list(np.asarray(network(images[:5, ..., None] / 255.0, training=False)).argmax(axis=1))


def test_quick_run_on_an_image_folder(tmp_path, run_main, assert_scores_recomputed):
    folder = write_image_folder(tmp_path / "squares")
    output = tmp_path / "runs"
    result, _, _ = run_main(main, ["--image-dir", str(folder), "--image-size", "16", "--arch", "basic", "--quick",
                                   "--output-dir", str(output)])
    check_run(result, output, cnn_dataset.load_dataset(CnnConfig(image_dir=str(folder), image_size=16)),
              assert_scores_recomputed)
    assert result["params"] == build_model((16, 16, 3), 2, arch="basic").count_params()


def test_quick_streamed_run_scores_like_the_loaded_images(tmp_path, run_main, assert_scores_recomputed, monkeypatch):
    folder = write_image_folder(tmp_path / "squares", per_class=10)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temporary"))  # where the pipeline's cache goes
    (tmp_path / "temporary").mkdir()
    output = tmp_path / "runs"
    result, _, _ = run_main(main, ["--image-dir", str(folder), "--stream", "--image-size", "16", "--arch", "basic",
                                   "--quick", "--output-dir", str(output)])
    # The same split and pixels in memory: the saved model's scores recomputed from them match metrics.json.
    metrics = check_run(result, output, cnn_dataset.load_dataset(CnnConfig(image_dir=str(folder), image_size=16)),
                        assert_scores_recomputed)
    assert set(metrics["baselines"]) == {"majority_class"}  # the pixel baselines need every image in memory
    assert metrics["train_examples"] == 13
    assert json.loads((Path(result["run_dir"]) / "config.json").read_text())["stream"]
    # The pipeline's cache is gone (TensorFlow's autograph may leave the source of a function it converted, in a
    # process that had not converted one before: not ours)
    left = [path for path in (tmp_path / "temporary").iterdir() if not path.name.startswith("__autograph_generated")]
    assert left == []
    # inputs.json holds the first test images decoded from their files, in raw 0..255 pixels, as the loaded data set
    # has them; serve/ answers them from the run folder alone
    from serve.loading import load_task

    inputs = json.loads((Path(result["run_dir"]) / "inputs.json").read_text())
    loaded = cnn_dataset.load_dataset(CnnConfig(image_dir=str(folder), image_size=16))
    count = len(loaded.x_test[:16])
    assert np.allclose(inputs["examples"], loaded.x_test[:count] * 255, atol=1e-3)
    task = load_task(result["run_dir"])
    assert task.describe()["input"]["classes"] == ["bright", "dark"] and task.pixel_max == 255.0


@pytest.mark.parametrize("argv, words", [
    (["--strides", "0"], "--strides must be between 1 and 4"),
    (["--blocks", "-1"], "--blocks must be between 1 and 6"),
    (["--image-dir", "/no/such/folder"], "--image-dir /no/such/folder is not a folder"),
    (["--stream"], "--stream reads an --image-dir"),
    (["--arch", "vgg"], "invalid choice: 'vgg'"),
    (["--dataset", "digits", "--arch", "alexnet", "--padding", "valid"], "only 1x1 when it reaches pool2"),
])
def test_bad_flags_are_one_line_exit_2_and_write_nothing(argv, words, tmp_path, run_main):
    result, _, err = run_main(main, argv + ["--quick", "--output-dir", str(tmp_path)])
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and words in err[0]
    assert list(tmp_path.iterdir()) == []


def test_offline_cifar10_is_one_line_exit_2(tmp_path, run_main, monkeypatch):
    def no_network():
        raise Exception("URL fetch failure on https://example.invalid/cifar-10-python.tar.gz")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", no_network)
    result, _, err = run_main(main, ["--dataset", "cifar10", "--output-dir", str(tmp_path)])
    assert isinstance(result, SystemExit) and result.code == 2
    assert len(err) == 1 and "'cifar10'" in err[0] and "--dataset mnist5k" in err[0]
    assert list(tmp_path.iterdir()) == []
