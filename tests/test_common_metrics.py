"""common/metrics.py against values worked out by hand."""

import warnings

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


def test_a_class_absent_from_the_split_counts_zero_in_the_macro_averages_without_a_warning():
    # true 0 0 1 1 ; predicted 0 0 0 1 ; class 2 neither present nor predicted (a rare class missing from a small test
    # split): it counts as 0 in each macro average, as sklearn's zero_division=0, and no warning is printed.
    # class 0: precision 2/3, recall 1, f1 0.8; class 1: precision 1, recall 1/2, f1 2/3; class 2: 0, 0, 0
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = metrics.classification_metrics(y_true, y_pred, num_classes=3)
        report = metrics.per_class_report(y_true, y_pred, ["a", "b", "c"])
    assert result["precision_macro"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert result["recall_macro"] == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert result["f1_macro"] == pytest.approx((0.8 + 2 / 3 + 0) / 3)
    assert report["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["a"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "f1": pytest.approx(0.8), "support": 2}


def test_format_comparison_layout_by_hand():
    # columns: the metric names 2 wider than the longest (at least 16), the model 10, each baseline 2 wider than its
    # name (at least 18); a metric a baseline does not report shows nan
    table = metrics.format_comparison(
        {"accuracy": 0.95, "precision_macro": 0.9},
        {"majority class": {"accuracy": 0.1}, "nearest centroid (train)": {"accuracy": 0.93, "precision_macro": 0.92}},
    )
    assert table.splitlines() == [
        "metric" + " " * 11 + " " * 5 + "model" + " " * 4 + "majority class" + " " * 2 + "nearest centroid (train)",
        "accuracy" + " " * 9 + " " * 4 + "0.9500" + " " * 12 + "0.1000" + " " * 20 + "0.9300",
        "precision_macro" + " " * 2 + " " * 4 + "0.9000" + " " * 15 + "nan" + " " * 20 + "0.9200",
    ]
    # with short names only, the first column keeps its least width, 16
    assert metrics.format_comparison({"rmse": 1.5}, {"mean": {"rmse": 3.25}}).splitlines() == [
        "metric" + " " * 10 + " " * 5 + "model" + " " * 14 + "mean",
        "rmse" + " " * 12 + " " * 4 + "1.5000" + " " * 12 + "3.2500",
    ]
