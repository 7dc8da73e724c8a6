"""Pictures of a GAN at work: a grid of samples from the same fixed noise after every epoch (and an animation of
them), the two players' curves, and how the samples spread over the ten digits.

    grid = SampleGrid(latent_dim=64, conditional=False, plots_dir=run_dir / "plots")   # a callback for fit
    gan.fit(x_train, epochs=20, callbacks=[grid])             # plots/samples_epoch_001.png ... and samples.gif
    grid.draw(gan.generator, run_dir / "plots" / "samples.png", "after training")
    plot_gan_curves(history.history, run_dir / "plots" / "learning_curves.png")

matplotlib draws with the file-only Agg backend (selected by common/plots.py); every figure is saved, never shown.
The animation is written with Pillow, which matplotlib itself depends on.
"""

import math
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from common import plots  # also selects the file-only Agg backend before any figure is drawn
from gan.dataset import to_unit_range
from gan.model import generate, sample_noise

GRID_NOISE_SEED = 7   # the grid's noise: the same z in every epoch's picture, and in every run
GRID_SIZE = 10        # a 10 x 10 grid; a conditional GAN's has one row per digit
GIF_WIDTH = 280       # pixels (at least) of one animation frame: 8x8 digits are scaled up, 28x28 ones are not
MODE_COLLAPSE_BAR = 0.03  # min_class_fraction under this: some digit has all but disappeared


def tile(images: np.ndarray, rows: int) -> np.ndarray:
    """images (rows * columns, h, w, 1) in -1..1 -> one (rows * (h + 1) - 1, columns * (w + 1) - 1) array in 0..1,
    the images in reading order with a one-pixel grey line between them."""
    columns = math.ceil(len(images) / rows)
    height, width = images.shape[1:3]
    sheet = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), 0.5, dtype="float32")
    for index, image in enumerate(to_unit_range(images)[..., 0]):
        top, left = (index // columns) * (height + 1), (index % columns) * (width + 1)
        sheet[top:top + height, left:left + width] = image
    return sheet


class SampleGrid(keras.callbacks.Callback):
    """After every epoch, the generator's images for the same fixed noise: plots/samples_epoch_NNN.png, and at the
    end of training plots/samples.gif with every epoch as a frame.

    A conditional GAN's grid asks for digit r in row r, and column c uses the same noise z_c in every row: what the
    noise holds (thickness, slant) then shows as a style shared along each column.
    """

    def __init__(self, latent_dim: int, conditional: bool, plots_dir: Path, num_classes: int = 10):
        super().__init__()
        self.plots_dir, self.frames = Path(plots_dir), []
        if conditional:
            self.noise = np.tile(sample_noise(GRID_SIZE, latent_dim, GRID_NOISE_SEED), (num_classes, 1))
            self.labels = np.repeat(np.arange(num_classes), GRID_SIZE)       # row r: digit r, GRID_SIZE times
            self.rows = num_classes
        else:
            self.noise, self.labels = sample_noise(GRID_SIZE * GRID_SIZE, latent_dim, GRID_NOISE_SEED), None
            self.rows = GRID_SIZE

    def draw(self, generator: keras.Model, path: Path, title: str) -> np.ndarray:
        """Save the grid of generator's images as a PNG; returns the tiled sheet (0..1)."""
        sheet = tile(generate(generator, self.noise, self.labels), self.rows)
        figure, axis = plt.subplots(figsize=(5.2, 5.4))
        axis.imshow(sheet, cmap="gray", vmin=0.0, vmax=1.0)
        axis.set_xticks([])
        if self.labels is None:
            axis.set_yticks([])
        else:  # one row per digit: label the rows
            step = sheet.shape[0] / self.rows
            axis.set_yticks((np.arange(self.rows) + 0.5) * step - 0.5, [str(digit) for digit in range(self.rows)])
            axis.set_ylabel("digit asked for")
        axis.set_title(title, fontsize=10)
        plots.save_figure(figure, path)
        return sheet

    def on_epoch_end(self, epoch, logs=None):
        sheet = self.draw(self.model.generator, self.plots_dir / f"samples_epoch_{epoch + 1:03d}.png",
                          f"epoch {epoch + 1}: samples from fixed noise")
        self.frames.append(sheet)

    def on_train_end(self, logs=None):
        if self.frames:
            write_gif(self.frames, self.plots_dir / "samples.gif")


def write_gif(sheets: list[np.ndarray], path: Path, frame_ms: int = 250) -> Path:
    """An animated GIF of gray sheets (0..1), scaled up by whole pixels to at least GIF_WIDTH; the last frame stays
    on screen four times longer, and the animation loops."""
    scale = max(1, math.ceil(GIF_WIDTH / sheets[0].shape[1]))
    frames = [Image.fromarray(np.kron(np.round(sheet * 255).astype("uint8"), np.ones((scale, scale), "uint8")))
              for sheet in sheets]
    durations = [frame_ms] * (len(frames) - 1) + [4 * frame_ms]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return path


def plot_gan_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Per epoch: the two losses, D's mean outputs on real and generated images, and the validation fid and
    min_class_fraction (when the run measured them); the equilibrium values are drawn dashed."""
    epochs = np.arange(1, len(history["d_loss"]) + 1)
    figure, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = [
        (axes[0, 0], {"d_loss": "discriminator", "g_loss": "generator"}, "losses",
         {2 * math.log(2): "2 ln 2", math.log(2): "ln 2"}),
        (axes[0, 1], {"d_real": "D(real image)", "d_fake": "D(generated image)"}, "discriminator's mean output",
         {0.5: "1/2"}),
        (axes[1, 0], {"val_fid": "validation fid"}, "classifier fid (lower is better)", {}),
        (axes[1, 1], {"val_min_class_fraction": "rarest digit's share"}, "mode coverage (validation samples)",
         {0.1: "every digit equally", MODE_COLLAPSE_BAR: "bar: 0.03"}),
    ]
    for axis, names, title, levels in panels:
        for name, label in names.items():
            if name in history:
                axis.plot(epochs, history[name], marker="." if len(epochs) < 30 else None, label=label)
        for value, label in levels.items():
            axis.axhline(value, color="gray", linestyle="--", linewidth=1)
            axis.annotate(label, (epochs[0], value), fontsize=8, color="gray", va="bottom")
        axis.set_xlabel("epoch")
        axis.set_title(title, fontsize=10)
        axis.grid(alpha=0.3)
        if any(name in history for name in names):
            axis.legend(fontsize=8)
    return plots.save_figure(figure, path)


def plot_class_spread(fractions: dict[str, list[float]], path: Path) -> Path:
    """Bars of the share of each digit, as the classifier reads it, for each set of images (name -> 10 shares)."""
    figure, axis = plt.subplots(figsize=(7.0, 3.8))
    count, width = len(next(iter(fractions.values()))), 0.8 / len(fractions)
    for index, (name, shares) in enumerate(fractions.items()):
        axis.bar(np.arange(count) + (index - (len(fractions) - 1) / 2) * width, shares, width, label=name)
    axis.axhline(1 / count, color="gray", linestyle="--", linewidth=1, label="every digit equally")
    axis.axhline(MODE_COLLAPSE_BAR, color="red", linestyle=":", linewidth=1, label="mode-collapse bar (0.03)")
    axis.set_xticks(np.arange(count))
    axis.set_xlabel("digit the classifier sees")
    axis.set_ylabel("share of the images")
    axis.set_title("which digits come out (test samples)", fontsize=10)
    axis.set_ylim(0, 1.5 * max(1 / count, *(max(shares) for shares in fractions.values())))  # room for the legend
    axis.legend(fontsize=8, loc="upper center", ncol=2)
    axis.grid(alpha=0.3, axis="y")
    return plots.save_figure(figure, path)
