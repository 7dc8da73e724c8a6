"""How an autoencoder is scored: its reconstruction error beside PCA's and the mean image's, or how well that error
finds a digit it never saw (anomaly detection).

    evaluation = evaluate_reconstruction(model, dataset, run_dir, code_size=32, val_inputs=x_val, test_inputs=x_test)
    evaluation = evaluate_anomaly(model, dataset, run_dir, code_size=32)

mse   mean over every pixel of every image of (reconstruction - clean image)^2, pixels in 0..1.
psnr  peak signal-to-noise ratio of that mse, 10 * log10(1 / mse) in dB (the peak, white, is 1): higher is better,
      and +3 dB means about half the squared error. For the denoiser the input is a noisy copy and the error is
      measured against the clean image.
Baselines, scored the same way on the same split:
  pca          scikit-learn PCA with as many components as the code, fitted on the training split: the best a
               linear encoder and decoder can do (reconstructions clipped to 0..1, the range of a pixel);
  mean_image   the training split's mean image, whatever the input: a model that learned nothing about the input;
  noisy_input  (denoising only) the noisy input itself, unchanged: what the denoiser has to improve on.
Anomaly detection: each test image's own mse is its anomaly score (the held-out digit should reconstruct worse);
roc_auc and average_precision (scikit-learn) with the held-out digit as the positive class, beside the same scores
from PCA's reconstruction error and from the distance to the mean image.
"""

from pathlib import Path

import keras
import numpy as np
from sklearn import metrics as sk_metrics
from sklearn.decomposition import PCA

from autoencoder import visualize
from common.datasets import Dataset
from common.evaluation import Evaluation

NUM_SHOWN = 10  # test images in plots/reconstructions.png


# ----------------------------------------------------------------------------------------------------------------
# Scores


def per_image_error(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Mean squared error of each image (n,) over its pixels: the anomaly score."""
    difference = np.asarray(reconstructions, "float64") - np.asarray(images, "float64")
    return np.mean(difference.reshape(len(images), -1) ** 2, axis=1)


def reconstruction_scores(images: np.ndarray, reconstructions: np.ndarray) -> dict[str, float]:
    """{"mse", "psnr"} of reconstructions against the clean images (both (n, h, w, 1) in 0..1)."""
    mse = float(np.mean(per_image_error(images, reconstructions)))  # every image has as many pixels
    return {"mse": mse, "psnr": float(10.0 * np.log10(1.0 / max(mse, 1e-12)))}


def anomaly_scores(is_anomaly: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC-AUC and average precision of scores (higher = more anomalous) for 0/1 labels is_anomaly."""
    return {"roc_auc": float(sk_metrics.roc_auc_score(is_anomaly, scores)),
            "average_precision": float(sk_metrics.average_precision_score(is_anomaly, scores))}


def fit_pca(x_train: np.ndarray, code_size: int) -> PCA:
    """PCA with code_size components on the flattened training images. The full SVD is exact and deterministic
    (the default randomized solver would change the baseline a little from run to run)."""
    return PCA(n_components=code_size, svd_solver="full").fit(x_train.reshape(len(x_train), -1))


def pca_reconstruct(pca: PCA, images: np.ndarray) -> np.ndarray:
    """Project images onto the principal subspace and back: (n, h, w, 1) -> (n, h, w, 1), clipped to 0..1."""
    flat = images.reshape(len(images), -1)
    return np.clip(pca.inverse_transform(pca.transform(flat)), 0.0, 1.0).reshape(images.shape)


def reconstruct(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0))


# ----------------------------------------------------------------------------------------------------------------
# Evaluators


def evaluate_reconstruction(model: keras.Model, dataset: Dataset, run_dir: Path, code_size: int,
                            val_inputs: np.ndarray, test_inputs: np.ndarray) -> Evaluation:
    """mse and psnr on the test split (and on validation) beside PCA, the mean image and, when the inputs are noisy
    copies of the images, the noisy input itself; saves plots/reconstructions.png.

    val_inputs and test_inputs are what the model reads (dataset.x_val and x_test, or noisy copies of them); the
    reconstructions are always compared with the clean images.
    """
    noisy = test_inputs is not dataset.x_test
    reconstructions = reconstruct(model, test_inputs)
    pca = fit_pca(dataset.x_train, code_size)
    pca_reconstructions = pca_reconstruct(pca, test_inputs)
    mean_image = dataset.x_train.mean(axis=0)
    baselines = {
        "pca": reconstruction_scores(dataset.x_test, pca_reconstructions),
        "mean_image": reconstruction_scores(dataset.x_test, np.broadcast_to(mean_image, dataset.x_test.shape)),
    }
    if noisy:
        baselines["noisy_input"] = reconstruction_scores(dataset.x_test, test_inputs)
    rows = {"input": dataset.x_test, **({"noisy input": test_inputs} if noisy else {}),
            "autoencoder": reconstructions, f"PCA-{code_size}": pca_reconstructions}
    visualize.plot_reconstructions({name: images[:NUM_SHOWN] for name, images in rows.items()},
                                   run_dir / "plots" / "reconstructions.png")
    return Evaluation(
        test=reconstruction_scores(dataset.x_test, reconstructions),
        validation=reconstruction_scores(dataset.x_val, reconstruct(model, val_inputs)),
        baselines=baselines,
        # metrics.json's "task": common's Dataset knows only supervised tasks, and these images keep their labels
        # for the pictures, so the evaluation names what was scored (details are written after the dataset's own).
        details={"task": "reconstruction", "code_size": code_size},
        outputs=reconstructions,
    )


def evaluate_anomaly(model: keras.Model, dataset: Dataset, run_dir: Path, code_size: int) -> Evaluation:
    """roc_auc and average_precision of the reconstruction error as an anomaly score, the held-out digit positive;
    beside PCA's reconstruction error and the distance to the mean image. Saves plots/roc_curve.png,
    plots/anomaly_scores.png and plots/reconstructions.png.

    dataset comes from leave_out_class: its validation split holds no anomaly, so the validation scores add the
    validation examples of the held-out digit that were kept aside (meta["val_anomalies"]).
    """
    digit = dataset.meta["anomaly_class"]
    pca, mean_image = fit_pca(dataset.x_train, code_size), dataset.x_train.mean(axis=0)
    x_val = np.concatenate([dataset.x_val, dataset.meta["val_anomalies"]])
    val_is_anomaly = np.arange(len(x_val)) >= len(dataset.x_val)
    test_is_anomaly = dataset.y_test == digit

    # The anomaly score of each test image, for the model and the baselines; the reconstructions are kept for the
    # picture below.
    test_reconstructions = reconstruct(model, dataset.x_test)
    test_pca_reconstructions = pca_reconstruct(pca, dataset.x_test)
    test_scores = {"autoencoder": per_image_error(dataset.x_test, test_reconstructions),
                   "pca": per_image_error(dataset.x_test, test_pca_reconstructions),
                   "mean_image": per_image_error(dataset.x_test, np.broadcast_to(mean_image, dataset.x_test.shape))}
    visualize.plot_roc_curves(test_is_anomaly, test_scores, digit, run_dir / "plots" / "roc_curve.png")
    visualize.plot_score_histograms(test_is_anomaly, test_scores["autoencoder"], digit,
                                    run_dir / "plots" / "anomaly_scores.png")
    # The first test images with their reconstructions: the held-out digit should come back as some other digit.
    shown = np.concatenate([np.flatnonzero(test_is_anomaly)[:NUM_SHOWN // 2],
                            np.flatnonzero(~test_is_anomaly)[:NUM_SHOWN - NUM_SHOWN // 2]])
    visualize.plot_reconstructions({"input": dataset.x_test[shown], "autoencoder": test_reconstructions[shown],
                                    f"PCA-{code_size}": test_pca_reconstructions[shown]},
                                   run_dir / "plots" / "reconstructions.png")
    normal_error = float(test_scores["autoencoder"][~test_is_anomaly].mean())
    anomaly_error = float(test_scores["autoencoder"][test_is_anomaly].mean())
    return Evaluation(
        test=anomaly_scores(test_is_anomaly, test_scores["autoencoder"]),
        validation=anomaly_scores(val_is_anomaly, per_image_error(x_val, reconstruct(model, x_val))),
        baselines={name: anomaly_scores(test_is_anomaly, values) for name, values in test_scores.items()
                   if name != "autoencoder"},
        details={"task": "anomaly", "anomaly_class": int(digit), "code_size": code_size,
                 # Average precision of a score that knows nothing: the share of anomalies among the test images.
                 "anomaly_share": float(test_is_anomaly.mean()),
                 "test_mse_normal": normal_error, "test_mse_anomaly": anomaly_error},
        outputs=test_scores["autoencoder"],
    )
