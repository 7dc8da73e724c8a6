"""autoencoder/evaluation.py's anomaly evaluator and what its Evaluation carries, computed by hand on 2x2 images with
a model that always answers the same image (so that every test image has its own error): the mean image per pixel,
the errors of the normal and the held-out images, the details metrics.json keeps and the outputs. (The baselines'
fitting on the training split: tests/test_baselines.py.)

    python -m pytest -q -n 0 tests/test_autoencoder_evaluation.py
"""

import numpy as np
import pytest

from autoencoder import evaluation, visualize
from autoencoder.dataset import leave_out_class
from common.datasets import Dataset
from test_baselines import images  # 2x2 images from rows of 4 pixels, as the baselines' tests make them


class ConstantModel:
    """An autoencoder that answers the same image whatever it reads (as a model that learned nothing of its input)."""

    def __init__(self, image):
        self.image = np.asarray(image, "float32").reshape(2, 2, 1)

    def predict(self, x, verbose=0, batch_size=None):
        return np.broadcast_to(self.image, np.shape(x)).copy()


@pytest.fixture
def shown(monkeypatch):
    """What each picture was given, instead of drawing it."""
    given = {}
    for name in ("plot_reconstructions", "plot_roc_curves", "plot_score_histograms"):
        monkeypatch.setattr(visualize, name, lambda *args, name=name: given.setdefault(name, args))
    return given


def test_anomaly_details_and_outputs_by_hand(tmp_path, shown):
    # Training: a left-to-right ramp and its mirror (mean image 0.5 0.5 0.5 0.5 per pixel, not one number: the two
    # rows below differ) and a 9 that leave_out_class removes. Test: two normal images, two 9s.
    x_train = images([[0.2, 0.8, 0.2, 0.8], [0.8, 0.2, 0.8, 0.2], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    y_train = np.array([0, 0, 3, 9])
    x_test = images([[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.9], [1.0, 1.0, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0]])
    y_test = np.array([0, 3, 9, 9])
    x_val = images([[0.4, 0.6, 0.4, 0.6], [0.9, 0.9, 0.9, 0.9]])
    full = Dataset("toy", "classification", x_train, y_train, x_val, np.array([0, 9]), x_test, y_test,
                   class_names=[str(digit) for digit in range(10)])
    dataset = leave_out_class(full, 9)
    model = ConstantModel([0.5, 0.5, 0.5, 0.5])
    result = evaluation.evaluate_anomaly(model, dataset, tmp_path, code_size=1)
    # Each test image's error against 0.5 everywhere: 0, 0.16 / 4, (0.25 + 0.25) / 4, 1 / 4.
    errors = np.array([0.0, 0.04, 0.125, 0.25])
    np.testing.assert_allclose(result.outputs, errors, rtol=1e-6, atol=1e-12)
    assert result.details == {"task": "anomaly", "anomaly_class": 9, "code_size": 1, "anomaly_share": 0.5,
                              "test_mse_normal": pytest.approx(0.02), "test_mse_anomaly": pytest.approx(0.1875)}
    assert result.test == {"roc_auc": 1.0, "average_precision": 1.0}
    # the mean training image (of the normal images 0.2 0.8 0.2 0.8, 0.8 0.2 0.8 0.2 and 0 0 1 1) per pixel:
    mean_image = np.array([1.0, 1.0, 2.0, 2.0]) / 3
    mean_scores = ((x_test.reshape(4, 4) - mean_image) ** 2).mean(axis=1)
    assert result.baselines["mean_image"] == evaluation.anomaly_scores(y_test == 9, mean_scores)
    # the pictures: ROC and histograms of the test scores with the held-out digit; normal and held-out images shown
    labels, scores, digit, path = shown["plot_roc_curves"]
    np.testing.assert_allclose(scores["mean_image"], mean_scores, rtol=1e-6)  # not the distance to 0.5 everywhere
    assert labels.tolist() == [False, False, True, True] and digit == 9 and path == tmp_path / "plots" / "roc_curve.png"
    np.testing.assert_allclose(scores["autoencoder"], errors, rtol=1e-6, atol=1e-12)
    assert shown["plot_score_histograms"][2] == 9
    rows = shown["plot_reconstructions"][0]
    assert list(rows) == ["input", "autoencoder", "PCA-1"]
    np.testing.assert_array_equal(rows["input"], x_test[[2, 3, 0, 1]])  # the held-out digits first, then the rest


def test_reconstruction_outputs_are_the_models_reconstructions_of_the_inputs_it_read(tmp_path, shown):
    x = images([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], [0.5, 0.5, 0.5, 0.5]])
    dataset = Dataset("toy", "classification", x, np.zeros(3, "int64"), x, np.zeros(3, "int64"), x,
                      np.zeros(3, "int64"), class_names=["0"])

    class Doubling:
        def predict(self, images, verbose=0, batch_size=None):
            return 2 * np.asarray(images)

    noisy = np.clip(x + 0.05, 0, 1)
    result = evaluation.evaluate_reconstruction(Doubling(), dataset, tmp_path, code_size=1, val_inputs=x,
                                                test_inputs=noisy)
    np.testing.assert_allclose(result.outputs, 2 * noisy)
    assert result.details == {"task": "reconstruction", "code_size": 1}
    rows = shown["plot_reconstructions"][0]
    assert list(rows) == ["input", "noisy input", "autoencoder", "PCA-1"]
    np.testing.assert_array_equal(rows["noisy input"], noisy)
    clean = evaluation.evaluate_reconstruction(Doubling(), dataset, tmp_path, code_size=1, val_inputs=x,
                                               test_inputs=dataset.x_test)
    assert "noisy_input" not in clean.baselines
