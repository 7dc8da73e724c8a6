"""Pictures a run saves: learning curves, confusion matrix, predicted against true values (forecasts:
common/forecast_evaluation.py).

matplotlib draws with the Agg backend (files only, no window), so runs work on servers and in CI; figures are
saved as PNG and closed, never shown.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend has to be chosen before pyplot loads)
import numpy as np  # noqa: E402


def save_figure(figure: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_learning_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Training and validation curves per epoch, one panel per metric (loss, accuracy, ...)."""
    metrics = [
        name for name in history if not name.startswith("val_") and name not in ("learning_rate", "epoch_seconds")
    ]
    figure, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False)
    for axis, name in zip(axes[0], metrics):
        epochs = np.arange(1, len(history[name]) + 1)
        axis.plot(epochs, history[name], label="train")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.grid(alpha=0.3)
        axis.legend()
    return save_figure(figure, path)


def plot_confusion_matrix(matrix: np.ndarray, class_names: list[str], path: Path) -> Path:
    """Counts with true classes down and predicted classes across; the diagonal holds the correct answers."""
    size = max(4.0, 0.5 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size, size * 0.85))
    image = axis.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axis, fraction=0.046)
    ticks = np.arange(len(class_names))
    axis.set_xticks(ticks, class_names, rotation=45 if max(map(len, class_names)) > 3 else 0)
    axis.set_yticks(ticks, class_names)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            axis.text(
                column,
                row,
                int(matrix[row, column]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if matrix[row, column] > threshold else "black",
            )
    axis.set_title("confusion matrix (test split)")
    return save_figure(figure, path)


def plot_predictions(y_true: np.ndarray, y_pred: np.ndarray, path: Path) -> Path:
    """Predicted against true values; a perfect model puts every point on the diagonal."""
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.scatter(y_true, y_pred, s=14, alpha=0.7)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    axis.plot([low, high], [low, high], color="gray", linestyle="--", label="perfect prediction")
    axis.set_xlabel("true value")
    axis.set_ylabel("predicted value")
    axis.set_title("predictions (test split)")
    axis.legend()
    axis.grid(alpha=0.3)
    return save_figure(figure, path)
