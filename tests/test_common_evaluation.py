"""common/evaluation.py: the evaluators against scores worked out by hand (a stand-in model with known answers), and the
classical baselines chosen on validation and scored once on test."""

import dataclasses
import logging

import numpy as np
import pytest

from common import evaluation, metrics
from common.datasets import Dataset


class Answers:
    """A stand-in for a Keras model whose outputs are its inputs: each example is the probabilities to answer."""

    def predict(self, x, verbose=0):
        return np.asarray(x, dtype="float32")


def classes_dataset(tagging: bool = False) -> Dataset:
    # test: true 0 1 2 2, answered 0 1 2 0; validation: true 1 1, answered 1 0; training labels 2 2 1 (majority 2)
    x_test = np.array([[.8, .1, .1], [.2, .7, .1], [.1, .2, .7], [.6, .3, .1]])
    x_val = np.array([[.1, .8, .1], [.9, .05, .05]])
    y_test, y_val, y_train = np.array([0, 1, 2, 2]), np.array([1, 1]), np.array([2, 2, 1])
    if tagging:  # the same labels as two test sequences of two steps (and one validation sequence)
        x_test, y_test, x_val, y_val = x_test.reshape(2, 2, 3), y_test.reshape(2, 2), x_val[None], y_val[None]
    return Dataset("toy", "classification", np.zeros((3, 3)), y_train, x_val, y_val, x_test, y_test,
                   class_names=["a", "b", "c"])


@pytest.mark.parametrize("tagging", [False, True])
def test_classification_scores_by_hand(tagging, tmp_path):
    scores = evaluation.evaluate_classification(Answers(), classes_dataset(tagging), tmp_path)
    assert scores.test["accuracy"] == 0.75 and scores.validation["accuracy"] == 0.5
    # always class 2 (the training majority): right on 2 of the 4 test labels
    assert scores.baselines == {"majority_class": metrics.classification_metrics(
        np.array([0, 1, 2, 2]), np.array([2, 2, 2, 2]), 3)}
    assert scores.baselines["majority_class"]["accuracy"] == 0.5
    assert scores.details["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [1, 0, 1]]
    assert scores.details["per_class"]["c"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3),
                                                "support": 2}
    assert scores.outputs.shape == ((2, 2, 3) if tagging else (4, 3))
    assert (tmp_path / "plots" / "confusion_matrix.png").stat().st_size > 0


def test_original_units_undo_the_recorded_scaling():
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(np.array([[90.0], [110.0]]))  # mean 100, spread 10
    dataset = Dataset("line", "regression", *[np.zeros((2, 1)), np.zeros(2)] * 3, meta={"target_scaler": scaler})
    assert evaluation.original_units(dataset)(np.array([-1.0, 0.0, 2.5])).tolist() == [90.0, 100.0, 125.0]
    plain = Dataset("line", "regression", *[np.zeros((2, 1)), np.zeros(2)] * 3)
    assert evaluation.original_units(plain)(np.array([-1.0, 2.5])).tolist() == [-1.0, 2.5]


def test_regression_scores_test_and_validation_by_hand(tmp_path):
    class Doubling:  # a model answering 2 x, shape (n, 1) as Keras' predict
        def predict(self, x, verbose=0):
            return 2 * x[:, :1]

    column = lambda *values: np.array(values, dtype="float32")[:, None]  # noqa: E731
    dataset = Dataset("line", "regression", column(1, 2), np.array([2.0, 4.0]), column(1, 2), np.array([1.0, 4.0]),
                      column(0, 3), np.array([0.0, 8.0]))
    scores = evaluation.evaluate_regression(Doubling(), dataset, tmp_path)
    # validation: predicted 2, 4 for 1, 4 (errors 1, 0); test: 0, 6 for 0, 8 (errors 0, 2); the mean baseline
    # predicts the training mean 3 for 0, 8 (errors 3, 5)
    assert scores.validation == {"mae": 0.5, "mse": 0.5, "rmse": pytest.approx(0.5 ** 0.5)}
    assert scores.test == {"mae": 1.0, "mse": 2.0, "rmse": pytest.approx(2 ** 0.5)}
    assert scores.baselines == {"mean": {"mae": 4.0, "mse": 17.0, "rmse": pytest.approx(17 ** 0.5)}}
    assert (tmp_path / "plots" / "predictions.png").stat().st_size > 0


def test_classical_baselines_choose_their_setting_on_validation_and_score_test(caplog):

    from sklearn.svm import SVC

    from ann.dataset import load_digits

    dataset = load_digits()
    baselines = evaluation.classical_baselines(dataset)
    assert set(baselines) == {"logistic_regression", "svm"}
    assert baselines["svm"]["accuracy"] > 0.97 and baselines["logistic_regression"]["accuracy"] > 0.94
    # The same choice made by hand: the C with the best validation accuracy, then scored once on test.
    fitted = {c: SVC(C=c, gamma="scale").fit(dataset.x_train, dataset.y_train) for c in (1.0, 10.0, 100.0)}
    best = max(fitted, key=lambda c: fitted[c].score(dataset.x_val, dataset.y_val))
    assert baselines["svm"]["accuracy"] == pytest.approx(fitted[best].score(dataset.x_test, dataset.y_test))
    # A --quick run fits the middle setting only (C=10 for the SVM).
    with caplog.at_level(logging.INFO, logger="common.evaluation"):
        caplog.clear()  # the full call above logs too when an earlier test left the logger at INFO
        quick = evaluation.classical_baselines(dataset, quick=True)
    assert quick["svm"]["accuracy"] == pytest.approx(fitted[10.0].score(dataset.x_test, dataset.y_test))
    assert caplog.messages == [  # the log says what was chosen
        "logistic_regression baseline: LogisticRegression(max_iter=2000) chosen on the validation split",
        "svm baseline: SVC(C=10.0) chosen on the validation split"]


def test_ridge_baseline_is_scored_in_the_original_units_and_large_sets_are_skipped(monkeypatch):
    from ann.dataset import load_diabetes

    dataset = load_diabetes()
    ridge = evaluation.classical_baselines(dataset)["ridge"]
    mean = metrics.mean_baseline(evaluation.original_units(dataset)(dataset.y_train),
                                 evaluation.original_units(dataset)(dataset.y_test))
    assert 45 < ridge["rmse"] < 0.8 * mean["rmse"]  # disease-progression units, not standardized ones
    big = dataclasses.replace(dataset, x_train=np.zeros((evaluation.CLASSICAL_LIMIT + 1, 10)))
    assert evaluation.classical_baselines(big) == {}
    monkeypatch.setattr(evaluation, "CLASSICAL_LIMIT", len(dataset.x_train))  # skipped above the limit, not at it
    assert set(evaluation.classical_baselines(dataset, quick=True)) == {"ridge"}
