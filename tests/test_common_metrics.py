"""common/metrics.py against values worked out by hand."""

import numpy as np
import pytest

from common import metrics


def test_classification_metrics_by_hand():
    # true 0 0 1 1 2 2 ; predicted 0 1 1 1 2 0
    # class 0: precision 1/2, recall 1/2; class 1: precision 2/3, recall 1; class 2: precision 1, recall 1/2
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    result = metrics.classification_metrics(y_true, y_pred, num_classes=3)
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["precision_macro"] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert result["recall_macro"] == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)
    f1 = [2 * p * r / (p + r) for p, r in ((1 / 2, 1 / 2), (2 / 3, 1), (1, 1 / 2))]
    assert result["f1_macro"] == pytest.approx(np.mean(f1))


def test_per_class_report_and_confusion_matrix():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    report = metrics.per_class_report(y_true, y_pred, ["a", "b", "c"])
    assert report["b"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8), "support": 2}
    matrix = metrics.confusion_matrix(y_true, y_pred, num_classes=4)  # a class absent from both still gets a row
    assert matrix.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]


def test_regression_metrics_by_hand():
    result = metrics.regression_metrics(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0]))
    # errors 1, 0, -2, 0 -> MAE 3/4, MSE 5/4
    assert result == {"mae": 0.75, "mse": 1.25, "rmse": pytest.approx(np.sqrt(1.25))}


def test_baselines_learn_nothing_but_the_training_split():
    majority = metrics.majority_class_baseline(np.array([2, 2, 2, 0, 1]), np.array([2, 0, 1, 2]), num_classes=3)
    assert majority["accuracy"] == 0.5  # always predicts 2
    mean = metrics.mean_baseline(np.array([1.0, 3.0]), np.array([2.0, 4.0]))  # always predicts 2
    assert mean == {"mae": 1.0, "mse": 2.0, "rmse": pytest.approx(np.sqrt(2.0))}


def test_format_comparison_puts_model_beside_each_baseline():
    table = metrics.format_comparison({"rmse": 1.5}, {"mean": {"rmse": 3.25}, "persistence": {"rmse": 2.0}})
    header, row = table.splitlines()
    assert header.split() == ["metric", "model", "mean", "persistence"]
    assert row.split() == ["rmse", "1.5000", "3.2500", "2.0000"]
