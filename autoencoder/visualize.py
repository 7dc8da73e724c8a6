"""Pictures of what an autoencoder learned: reconstructions, the codes in two dimensions, the VAE's latent sweep, and
the ROC curve of anomaly detection.

    plot_reconstructions({"input": images, "autoencoder": outputs}, run_dir / "plots" / "reconstructions.png")
    plot_latent_space(codes, labels, run_dir / "plots" / "latent_space.png")
    plot_latent_sweep(decoder, codes, run_dir / "plots" / "latent_sweep.png")          # --arch vae

matplotlib draws with the file-only Agg backend (selected by common/plots.py); every figure is saved, never shown.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn import metrics as sk_metrics
from sklearn.decomposition import PCA

from common import plots  # also selects the file-only Agg backend before any figure is drawn

SWEEP_STEPS = 15      # the latent sweep is a SWEEP_STEPS x SWEEP_STEPS grid of decoded codes
SWEEP_RANGE = 2.0     # from -2 to +2 along each swept unit: the prior N(0, 1) puts 95% of its mass there


def plot_reconstructions(rows: dict[str, np.ndarray], path: Path) -> Path:
    """One row of images per entry (name -> (n, h, w, 1) in 0..1), the same n test images in every column."""
    count = len(next(iter(rows.values())))
    figure, axes = plt.subplots(len(rows), count, figsize=(1.1 * count + 1.2, 1.2 * len(rows)), squeeze=False)
    for row, (name, images) in zip(axes, rows.items()):
        for axis, image in zip(row, images):
            axis.imshow(image[..., 0], cmap="gray", vmin=0.0, vmax=1.0)
            axis.set_xticks([])
            axis.set_yticks([])
        row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    figure.suptitle("first test images and their reconstructions", fontsize=10)
    return plots.save_figure(figure, path)


def project_to_2d(codes: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(codes (n, 2), axis names): the codes themselves when they have two units, else their first two principal
    components (a PCA of these codes; one unit is drawn against zero)."""
    if codes.shape[1] == 2:
        return codes, ["code unit 1", "code unit 2"]
    if codes.shape[1] == 1:
        return np.column_stack([codes[:, 0], np.zeros(len(codes))]), ["code unit 1", ""]
    return PCA(n_components=2, svd_solver="full").fit_transform(codes), ["principal component 1 of the codes",
                                                                         "principal component 2 of the codes"]


def plot_latent_space(codes: np.ndarray, labels: np.ndarray, path: Path, title: str = "test codes") -> Path:
    """The codes (n, code_size) as points in two dimensions, coloured by the digit each image shows."""
    points, names = project_to_2d(codes)
    figure, axis = plt.subplots(figsize=(6.4, 5.4))
    colours = plt.get_cmap("tab10")
    for digit in range(10):
        chosen = labels == digit
        if chosen.any():
            axis.scatter(points[chosen, 0], points[chosen, 1], s=9, alpha=0.7, color=colours(digit), label=str(digit))
    axis.set_xlabel(names[0])
    axis.set_ylabel(names[1])
    axis.set_title(f"{title} ({codes.shape[1]} numbers each), coloured by digit")
    axis.legend(title="digit", markerscale=2, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    axis.grid(alpha=0.3)
    return plots.save_figure(figure, path)


def sweep_units(codes: np.ndarray) -> tuple[int, int]:
    """The two code units whose z_mean varies most over the test images: the ones the VAE uses most (units the KL
    term has pushed back to the prior carry almost no information and would decode to one blurred digit)."""
    order = np.argsort(codes.var(axis=0))[::-1]
    return (int(order[0]), int(order[1])) if len(order) > 1 else (0, 0)


def sweep_codes(code_size: int, units: tuple[int, int], steps: int = SWEEP_STEPS,
                limit: float = SWEEP_RANGE) -> np.ndarray:
    """(steps * steps, code_size) codes: units[0] from -limit to limit across, units[1] from limit to -limit down,
    every other unit at 0, the prior's mean."""
    values = np.linspace(-limit, limit, steps)
    codes = np.zeros((steps, steps, code_size), dtype="float32")
    for row, down in enumerate(values[::-1]):
        for column, across in enumerate(values):
            codes[row, column, units[0]] = across
            if code_size > 1:
                codes[row, column, units[1]] = down
    return codes.reshape(steps * steps, code_size)


def plot_latent_sweep(decoder, codes: np.ndarray, path: Path, steps: int = SWEEP_STEPS) -> Path:
    """The decoder's image for every code of a grid over two units of the latent space (codes: the test z_means,
    which choose the two units)."""
    units = sweep_units(codes)
    images = np.asarray(decoder.predict(sweep_codes(codes.shape[1], units, steps), verbose=0))
    height, width = images.shape[1:3]
    grid = images[..., 0].reshape(steps, steps, height, width).transpose(0, 2, 1, 3).reshape(steps * height,
                                                                                            steps * width)
    figure, axis = plt.subplots(figsize=(6.4, 6.4))
    axis.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, extent=(-SWEEP_RANGE, SWEEP_RANGE, -SWEEP_RANGE, SWEEP_RANGE))
    axis.set_xlabel(f"code unit {units[0] + 1}")
    axis.set_ylabel(f"code unit {units[1] + 1}")
    axis.set_title("decoded from a grid of codes (other units at 0)", fontsize=10)
    return plots.save_figure(figure, path)


def plot_roc_curves(is_anomaly: np.ndarray, scores: dict[str, np.ndarray], digit: int, path: Path) -> Path:
    """One ROC curve per scorer (name -> anomaly score per test image), the held-out digit as the positive class."""
    figure, axis = plt.subplots(figsize=(5.2, 5.0))
    for name, values in scores.items():
        false_positive, true_positive, _ = sk_metrics.roc_curve(is_anomaly, values)
        auc = sk_metrics.roc_auc_score(is_anomaly, values)
        axis.plot(false_positive, true_positive, label=f"{name} (AUC {auc:.3f})")
    axis.plot([0, 1], [0, 1], color="gray", linestyle="--", label="chance (AUC 0.5)")
    axis.set_xlabel("false positive rate (normal digits flagged)")
    axis.set_ylabel(f"true positive rate ({digit}s found)")
    axis.set_title(f"digit {digit} as the anomaly (test split)")
    axis.legend(fontsize=8, loc="lower right")
    axis.grid(alpha=0.3)
    return plots.save_figure(figure, path)


def plot_score_histograms(is_anomaly: np.ndarray, scores: np.ndarray, digit: int, path: Path) -> Path:
    """Histograms of the reconstruction error of the normal test digits and of the held-out digit."""
    figure, axis = plt.subplots(figsize=(6.0, 3.8))
    bins = np.linspace(scores.min(), scores.max(), 40)
    axis.hist(scores[~is_anomaly], bins=bins, alpha=0.6, density=True, label="other digits (normal)")
    axis.hist(scores[is_anomaly], bins=bins, alpha=0.6, density=True, label=f"digit {digit} (anomaly)")
    axis.set_xlabel("reconstruction error of a test image (its mse)")
    axis.set_ylabel("density")
    axis.legend()
    axis.grid(alpha=0.3)
    return plots.save_figure(figure, path)
