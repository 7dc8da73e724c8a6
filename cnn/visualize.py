"""Pictures of what a CNN sees: test predictions, the first layer's filters, and feature maps of one image.

    plots/predictions_grid.png   test images with predicted class and confidence; wrong ones in red
    plots/filters.png            each first-layer 3x3 kernel as a small image (what it responds to)
    plots/feature_maps.png       one test image after each of the first convolutions: where each filter fired
"""

from pathlib import Path

import keras
import numpy as np

from common.plots import plt, save_figure


def show_image(axis, image: np.ndarray) -> None:
    """An (h, w, 1) image in gray, an (h, w, 3) image in colour; no axes."""
    if image.shape[-1] == 1:
        axis.imshow(image[..., 0], cmap="gray")
    else:
        axis.imshow(np.clip(image, 0, 1))
    axis.set_xticks([])
    axis.set_yticks([])


def plot_prediction_grid(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray,
                         class_names: list[str], path: Path, max_images: int = 25) -> Path:
    """A grid of the first test images (n, h, w, c), each titled `predicted (confidence)`; mistakes in red."""
    count = min(max_images, len(images))
    columns = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.8 * rows), squeeze=False)
    for index, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if index >= count:
            continue
        show_image(axis, images[index])
        wrong = y_pred[index] != y_true[index]
        title = f"{class_names[y_pred[index]]} ({confidence[index]:.0%})"
        if wrong:
            title += f"\ntrue: {class_names[y_true[index]]}"
        axis.set_title(title, fontsize=8, color="red" if wrong else "black")
    figure.suptitle("test images: predicted class (confidence); mistakes in red", fontsize=9)
    return save_figure(figure, path)


def first_conv_layer(model: keras.Model) -> keras.layers.Conv2D:
    return next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))


def plot_filters(model: keras.Model, path: Path, max_filters: int = 32) -> Path:
    """The first convolution's kernels (kh, kw, in, out), one small image per output channel (its mean over input
    channels), scaled to its own range: light where the filter weighs a pixel positively, dark where negatively."""
    kernel = np.asarray(first_conv_layer(model).kernel)  # (kh, kw, in_channels, filters)
    count = min(max_filters, kernel.shape[-1])
    columns = 8
    rows = int(np.ceil(count / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9 + 0.4), squeeze=False)
    for index, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if index < count:
            axis.imshow(kernel[:, :, :, index].mean(axis=-1), cmap="gray")
    figure.suptitle(f"first-layer filters ({kernel.shape[0]}x{kernel.shape[1]})", fontsize=9)
    return save_figure(figure, path)


def plot_feature_maps(model: keras.Model, image: np.ndarray, path: Path, max_layers: int = 4,
                      max_channels: int = 8) -> Path:
    """One image (h, w, c) and, row by row, the first channels of each of the first convolution outputs."""
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)][:max_layers]
    # model.input, one tensor like the one image predict is given: with model.inputs (a list of one) Keras' JAX
    # backend warns that the structure of the inputs does not match.
    probe = keras.Model(model.input, [layer.output for layer in convolutions])
    maps = probe.predict(image[None], verbose=0)
    maps = maps if isinstance(maps, list) else [maps]
    figure, axes = plt.subplots(len(maps), max_channels + 1, figsize=(1.3 * (max_channels + 1), 1.4 * len(maps)),
                                squeeze=False)
    for row, (layer, feature_map) in enumerate(zip(convolutions, maps)):
        show_image(axes[row, 0], image)
        axes[row, 0].set_ylabel(f"{layer.name}\n{feature_map.shape[1]}x{feature_map.shape[2]}", fontsize=7)
        for channel in range(max_channels):
            axis = axes[row, channel + 1]
            axis.axis("off")
            if channel < feature_map.shape[-1]:
                axis.imshow(feature_map[0, :, :, channel], cmap="viridis")
    figure.suptitle("feature maps of one test image (input on the left)", fontsize=9)
    return save_figure(figure, path)
