"""Convolutional networks, from the classic first CNN to residual blocks, chosen with `arch`.

    from cnn.model import build_model
    model = build_model(input_shape=(28, 28, 1), num_classes=10, arch="deep", blocks=3, augment=True)

    basic    Conv(32) - MaxPool - Conv(64) - MaxPool - Flatten - Dense(64) - output
    deep     N x [Conv - BN - ReLU - Conv - BN - ReLU - Pool], filters F, 2F, 4F, ... - Flatten - Dense(128) - output
    alexnet  Conv(64) - Pool - Conv(128) - Pool - Conv(256) - Conv(256) - Conv(128) - Pool
             - Dense(1024) - Dropout(0.5) - Dense(1024) - Dropout(0.5) - output          (a mini-AlexNet)
    resnet   Conv(F) stem - N stages of a residual block (filters F, 2F, ...; the first of each later stage
             halves the size with stride 2 and a 1x1 projection shortcut) - GlobalAveragePooling - output

Every convolution is 3x3 with ReLU. The output layer follows the task (common/tasks.py): softmax over the classes,
or one sigmoid unit for two. The network trains on pixels in 0..1; the model a run saves, end_to_end(network,
dataset), divides raw pixels (0..255) itself.
"""

from typing import Sequence

import keras
from keras import layers

from common.tasks import inference_copy, output_layer


# ----------------------------------------------------------------------------------------------------------------
# Building blocks


def augmentation(flip: bool) -> keras.Sequential:
    """Random changes to each training image (none at test time): small rotations, shifts and zooms, and mirror
    images where a mirrored example still belongs to its class. The network sees a new variant every epoch."""
    steps = [layers.RandomRotation(0.05), layers.RandomTranslation(0.1, 0.1), layers.RandomZoom(0.1)]
    if flip:
        steps.append(layers.RandomFlip("horizontal"))
    return keras.Sequential(steps, name="augmentation")


def require_size(x, minimum: int, name: str) -> None:
    """A clear ValueError when the image has shrunk below what the next layer needs."""
    height, width = x.shape[1], x.shape[2]
    if height < minimum or width < minimum:
        raise ValueError(f"the image is only {height}x{width} when it reaches {name}, which needs at least "
                         f"{minimum}x{minimum}: use --padding same, fewer --blocks, a smaller --strides or a larger "
                         f"image")


def batch_norm(name: str) -> layers.BatchNormalization:
    # momentum 0.9 (Keras' default is 0.99): with a few dozen steps per epoch on small data sets, the running mean
    # and variance used at test time then settle within the first epoch instead of after several.
    return layers.BatchNormalization(momentum=0.9, name=name)


def conv_block(x, filters: int, strides: int = 1, padding: str = "same", batchnorm: bool = False, name: str = "conv"):
    """Conv2D(3x3) [-> BatchNormalization] -> ReLU: (batch, h, w, c) -> (batch, h', w', filters)."""
    if padding == "valid":
        require_size(x, 3, name)
    # With batch normalization right after, a bias would be cancelled by its mean subtraction, so it is left out.
    x = layers.Conv2D(filters, 3, strides=strides, padding=padding, use_bias=not batchnorm, name=name)(x)
    if batchnorm:
        x = batch_norm(f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def pool(x, pooling: str, name: str):
    """2x2 pooling with stride 2 halves height and width: the max (or mean) of each 2x2 window."""
    require_size(x, 2, name)
    if pooling == "max":
        return layers.MaxPooling2D(2, name=name)(x)
    return layers.AveragePooling2D(2, name=name)(x)


def residual_block(x, filters: int, strides: int = 1, name: str = "res"):
    """y = ReLU(F(x) + shortcut(x)), F being two 3x3 convolutions with batch normalization.

    The shortcut is x itself (identity) when the shapes match, else a strided 1x1 convolution (projection). The
    identity path lets the gradient reach early layers undiminished, which is what makes deep networks trainable.
    """
    shortcut = x
    y = conv_block(x, filters, strides=strides, batchnorm=True, name=f"{name}_a")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_b")(y)
    y = batch_norm(f"{name}_b_bn")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False, name=f"{name}_projection")(x)
        shortcut = batch_norm(f"{name}_projection_bn")(shortcut)
    return layers.Activation("relu", name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))


# ----------------------------------------------------------------------------------------------------------------
# The architectures: each maps an image tensor to a feature tensor; build_model adds input and output.


def basic_features(x, padding="same", strides=1, pooling="max", batchnorm=False, dropout_rate=0.0, **_):
    x = conv_block(x, 32, strides, padding, batchnorm, name="conv1")
    x = pool(x, pooling, "pool1")
    x = conv_block(x, 64, strides, padding, batchnorm, name="conv2")
    x = pool(x, pooling, "pool2")
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(64, activation="relu", name="dense")(x)
    return layers.Dropout(dropout_rate, name="dropout")(x) if dropout_rate > 0 else x


def deep_features(x, padding="same", strides=1, pooling="max", dropout_rate=0.0, blocks=3, filters=32, **_):
    base_filters = filters
    for block in range(1, blocks + 1):
        filters = base_filters * 2 ** (block - 1)
        x = conv_block(x, filters, strides, padding, batchnorm=True, name=f"block{block}_conv1")
        x = conv_block(x, filters, 1, padding, batchnorm=True, name=f"block{block}_conv2")
        x = pool(x, pooling, f"block{block}_pool")
    x = layers.Flatten(name="flatten")(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="dropout")(x)
    return layers.Dense(128, activation="relu", name="dense")(x)


def alexnet_features(x, padding="same", strides=1, pooling="max", batchnorm=False, dropout_rate=0.5, **_):
    for index, filters in enumerate((64, 128, 256, 256, 128), start=1):
        x = conv_block(x, filters, strides if index == 1 else 1, padding, batchnorm, name=f"conv{index}")
        if index in (1, 2, 5):  # three pooling layers, after the first, second and fifth convolutions
            x = pool(x, pooling, f"pool{index}")
    x = layers.Flatten(name="flatten")(x)
    for index in (1, 2):
        x = layers.Dense(1024, activation="relu", name=f"fc{index}")(x)
        x = layers.Dropout(dropout_rate, name=f"fc{index}_dropout")(x)
    return x


def resnet_features(x, padding="same", strides=1, dropout_rate=0.0, blocks=3, filters=32, **_):
    if padding != "same":
        raise ValueError("--arch resnet needs --padding same: a residual block adds its input to its output, "
                         "so both must keep the same height and width")
    x = conv_block(x, filters, strides, "same", batchnorm=True, name="stem")
    for stage in range(1, blocks + 1):
        x = residual_block(x, filters * 2 ** (stage - 1), strides=1 if stage == 1 else 2, name=f"stage{stage}")
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    return layers.Dropout(dropout_rate, name="dropout")(x) if dropout_rate > 0 else x


FEATURES = {"basic": basic_features, "deep": deep_features, "alexnet": alexnet_features, "resnet": resnet_features}


def build_model(input_shape: Sequence[int], num_classes: int, arch: str = "deep", padding: str = "same",
                strides: int = 1, pooling: str = "max", batchnorm: bool = False, dropout_rate: float | None = None,
                blocks: int = 3, filters: int = 32, augment: bool = False, flip: bool = False,
                name: str | None = None) -> keras.Model:
    """A CNN classifier: (batch, height, width, channels) -> (batch, num_classes) probabilities (or (batch, 1)).

    dropout_rate None means the architecture's own default: 0.5 for alexnet, 0.3 for deep (chosen on the validation
    split: benchmarks/tune_cnn.md), none for basic and resnet. batchnorm switches batch normalization on for basic
    and alexnet; deep and resnet always use it. strides applies to the first convolution (of each block, for deep).
    filters is the width of the first block or stage of deep and resnet; each later one doubles it. augment adds
    random rotations, shifts and zooms (and mirror images, with flip) that act only while training.
    """
    if arch not in FEATURES:
        raise ValueError(f"arch must be one of {', '.join(FEATURES)} (got {arch!r})")
    if dropout_rate is None:
        dropout_rate = {"alexnet": 0.5, "deep": 0.3}.get(arch, 0.0)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = augmentation(flip)(inputs) if augment else inputs
    features = FEATURES[arch](x, padding=padding, strides=strides, pooling=pooling, batchnorm=batchnorm,
                              dropout_rate=dropout_rate, blocks=blocks, filters=filters)
    outputs = output_layer("classification", num_classes)(features)
    return keras.Model(inputs, outputs, name=name or f"cnn_{arch}")


def end_to_end(network: keras.Model, dataset) -> keras.Model:
    """The trained network behind Rescaling(1 / pixel_max): raw images in (0..255, or 0..16 for the 8x8 digits),
    class probabilities out. What train.py saves as model.keras. Training reads the images dataset.py divided once,
    so the results are those of the network alone."""
    raw = keras.Input(shape=network.input_shape[1:], name="raw_image")
    x = layers.Rescaling(1.0 / dataset.meta["pixel_max"], name="rescale")(raw)
    return keras.Model(raw, inference_copy(network)(x), name=f"{network.name}_end_to_end")
