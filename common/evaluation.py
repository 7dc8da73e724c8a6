"""How the test split is scored, always beside baselines: the evaluators of classification and regression, and the
classical models a practitioner would fit first.

    evaluation = evaluate_classification(model, dataset, run_dir)      # after model.fit: test metrics, baselines
    evaluation.baselines.update(classical_baselines(dataset))           # logistic regression, SVM or ridge

An evaluator, `evaluate(model, dataset, run_dir) -> Evaluation`, scores the test split beside its baselines and saves
the task's own plots: classification and regression are here, forecasts in common/forecast_evaluation.py, text in
common/text.py; a folder with another task writes its own. common/runs.py's finish_run writes the Evaluation into
metrics.json.
"""

import dataclasses
import logging
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from common import metrics, plots
from common.datasets import Dataset
from common.tasks import predicted_classes

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Evaluation:
    """Test metrics, the same metrics for each baseline, and anything else worth keeping in metrics.json.

    validation holds the same metrics on the validation split: what settings are chosen by (benchmarks/tune.py),
    never the test split. outputs holds the model's raw test-split outputs (not saved), so a folder's own pictures
    need no second predict.
    """

    test: dict[str, float]
    baselines: dict[str, dict[str, float]]
    details: dict = dataclasses.field(default_factory=dict)
    outputs: np.ndarray | None = None
    validation: dict[str, float] = dataclasses.field(default_factory=dict)


Evaluator = Callable[[keras.Model, Dataset, Path], Evaluation]


# ----------------------------------------------------------------------------------------------------------------
# Evaluators: how the test split is scored for each task


def evaluate_classification(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
    """Accuracy and macro precision/recall/F1 beside the majority-class baseline; confusion matrix plot.

    A label per time step (tagging: y of shape (n, time)) is scored over every step of every test sequence.
    """

    def classes(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:  # (outputs, n predicted classes)
        outputs = model.predict(x, verbose=0)
        return outputs, predicted_classes(outputs.reshape(n, -1))  # (n, k) or (n * time, k) class probabilities

    y_test, y_train, y_val = dataset.y_test.reshape(-1), dataset.y_train.reshape(-1), dataset.y_val.reshape(-1)
    outputs, y_pred = classes(dataset.x_test, len(y_test))
    matrix = metrics.confusion_matrix(y_test, y_pred, dataset.num_classes)
    plots.plot_confusion_matrix(matrix, dataset.class_names, run_dir / "plots" / "confusion_matrix.png")
    return Evaluation(
        test=metrics.classification_metrics(y_test, y_pred, dataset.num_classes),
        validation=metrics.classification_metrics(y_val, classes(dataset.x_val, len(y_val))[1], dataset.num_classes),
        baselines={"majority_class": metrics.majority_class_baseline(y_train, y_test, dataset.num_classes)},
        details={
            "per_class": metrics.per_class_report(y_test, y_pred, dataset.class_names),
            "confusion_matrix": matrix.tolist(),
        },
        outputs=outputs,
    )


def evaluate_regression(model: keras.Model, dataset: Dataset, run_dir: Path) -> Evaluation:
    """MAE/MSE/RMSE in the target's original units beside the predict-the-training-mean baseline."""
    to_original = original_units(dataset)

    def predict(x: np.ndarray) -> np.ndarray:
        return to_original(model.predict(x, verbose=0).reshape(len(x), -1)[:, 0])

    y_pred = predict(dataset.x_test)
    y_test, y_train = to_original(dataset.y_test), to_original(dataset.y_train)
    plots.plot_predictions(y_test, y_pred, run_dir / "plots" / "predictions.png")
    return Evaluation(
        test=metrics.regression_metrics(y_test, y_pred),
        validation=metrics.regression_metrics(to_original(dataset.y_val), predict(dataset.x_val)),
        baselines={"mean": metrics.mean_baseline(y_train, y_test)},
    )


def original_units(dataset: Dataset) -> Callable[[np.ndarray], np.ndarray]:
    """A function undoing the target scaling recorded in dataset.meta["target_scaler"] (identity if none)."""
    scaler = dataset.meta.get("target_scaler")
    if scaler is None:
        return lambda values: np.asarray(values, dtype="float64").ravel()
    return lambda values: scaler.inverse_transform(np.asarray(values, dtype="float64").reshape(-1, 1)).ravel()


EVALUATORS: dict[str, Evaluator] = {"classification": evaluate_classification, "regression": evaluate_regression}


# ----------------------------------------------------------------------------------------------------------------
# Classical baselines: what a practitioner would fit first, on the same split

CLASSICAL_LIMIT = 10_000  # training examples above which the classical baselines are skipped (an SVM is O(n^2))


def classical_baselines(dataset: Dataset, quick: bool = False) -> dict[str, dict[str, float]]:
    """What a practitioner would fit first, on the same split, scored like the network: logistic regression and an
    RBF support-vector machine for classes, ridge regression for a value (in the target's original units).

    Inputs are flattened (an image becomes its pixels). Each model's one setting (C, or ridge's alpha) is chosen on
    the validation split, never on test; with quick (a --quick run, which checks that everything works) only the
    middle setting is fitted. Empty when the training split holds more than CLASSICAL_LIMIT examples.
    """
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.svm import SVC

    if len(dataset.x_train) > CLASSICAL_LIMIT:
        return {}
    flat = [x.reshape(len(x), -1) for x in (dataset.x_train, dataset.x_val, dataset.x_test)]
    if dataset.task == "regression":
        to_original = original_units(dataset)
        candidates = {"ridge": [Ridge(alpha=alpha) for alpha in (0.1, 1.0, 10.0)]}

        def score(model, x, y):  # higher is better: minus the mse in the data's original units
            return -metrics.regression_metrics(to_original(y), to_original(model.predict(x)))["mse"]

    else:
        candidates = {
            "logistic_regression": [LogisticRegression(C=c, max_iter=2000) for c in (0.1, 1.0, 10.0)],
            "svm": [SVC(C=c, kernel="rbf", gamma="scale") for c in (1.0, 10.0, 100.0)],
        }

        def score(model, x, y):  # the accuracy
            return float(np.mean(model.predict(x) == y))

    if quick:
        candidates = {name: models[1:2] for name, models in candidates.items()}
    baselines = {}
    for name, models in candidates.items():
        best = max(
            (model.fit(flat[0], dataset.y_train) for model in models),
            key=lambda model: score(model, flat[1], dataset.y_val),
        )  # chosen on validation
        predicted = best.predict(flat[2])
        if dataset.task == "regression":
            baselines[name] = metrics.regression_metrics(to_original(dataset.y_test), to_original(predicted))
        else:
            baselines[name] = metrics.classification_metrics(dataset.y_test, predicted, dataset.num_classes)
        log.info("%s baseline: %s chosen on the validation split", name, best)
    return baselines
