"""Test metrics through scikit-learn, and the naive baselines every metric is printed beside.

A number means little alone: 0.97 accuracy is good on ten balanced classes and poor on a 97/3 split. So each
evaluation also scores a baseline that learns nothing: the most frequent training class for classification, the
training mean for regression.
"""

import numpy as np
from sklearn import metrics as sk_metrics


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, float]:
    """Accuracy and macro-averaged precision, recall and F1 for class indices y_true, y_pred (shape (n,))."""
    labels = list(range(num_classes))
    precision, recall, f1, _ = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average="macro", zero_division=0
    )
    return {
        "accuracy": float(sk_metrics.accuracy_score(y_true, y_pred)),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
    }


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict[str, dict]:
    """{class name: {precision, recall, f1, support}} for every class, including ones never predicted."""
    precision, recall, f1, support = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(len(class_names))), zero_division=0
    )
    return {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for name, p, r, f, s in zip(class_names, precision, recall, f1, support)
    }


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts; row = true class, column = predicted class."""
    return sk_metrics.confusion_matrix(y_true, y_pred, labels=list(range(num_classes)))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Mean absolute error, mean squared error and its root, in the units of y."""
    mse = float(sk_metrics.mean_squared_error(y_true, y_pred))
    return {"mae": float(sk_metrics.mean_absolute_error(y_true, y_pred)), "mse": mse, "rmse": float(np.sqrt(mse))}


def majority_class_baseline(y_train: np.ndarray, y_test: np.ndarray, num_classes: int) -> dict[str, float]:
    """Scores of always predicting the class most frequent in the training split."""
    majority = np.bincount(y_train, minlength=num_classes).argmax()
    return classification_metrics(y_test, np.full_like(y_test, majority), num_classes)


def mean_baseline(y_train: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """Scores of always predicting the training mean."""
    return regression_metrics(y_test, np.full(y_test.shape, float(np.mean(y_train))))


def format_comparison(test: dict[str, float], baselines: dict[str, dict[str, float]]) -> str:
    """A small table: one row per metric, the model's score beside each baseline's."""
    names = list(baselines)
    widths = [max(18, len(name) + 2) for name in names]
    first = max([16] + [len(metric) + 2 for metric in test])
    header = f"{'metric':<{first}}{'model':>10}" + "".join(f"{name:>{width}}" for name, width in zip(names, widths))
    rows = [header]
    for metric, value in test.items():
        cells = "".join(
            f"{baselines[name].get(metric, float('nan')):>{width}.4f}" for name, width in zip(names, widths)
        )
        rows.append(f"{metric:<{first}}{value:>10.4f}{cells}")
    return "\n".join(rows)
