"""How a GAN is scored: a digit classifier looks at the generated images and at held-out real ones, and compares.

    scorer = load_or_train_scorer(dataset, output_dir)          # cached in <output-dir>/gan/scorer-<dataset>.keras
    evaluation = evaluate_generator(generator, dataset, scorer, latent_dim=64, conditional=False, run_dir=run_dir)

A picture of samples is not a number, and the GAN's losses are not one either: they score a game, and both players
keep changing. So a small CNN classifier, trained once on the real training split with a fixed seed (whatever
--seed), judges the samples. Each metric compares N generated images (N = the size of the validation split) with
held-out real digits:

fid                 the classifier's Fréchet distance: the penultimate-layer features (64 numbers per image) of the
                    generated images and of the real ones are each summarised by a mean and a covariance, and
                    ||mu_g - mu_r||^2 + Tr(C_g + C_r - 2 (C_g C_r)^(1/2)) compares the two Gaussians. Lower is better;
                    0 only for the same statistics. (Heusel et al. 2017 use Inception-v3's features on photographs;
                    digits get a digit classifier's, so these numbers compare only with each other.)
confidence          the mean of the classifier's largest softmax probability: high when a sample looks like one clear
                    digit, near 0.1 for an unreadable scrawl.
min_class_fraction  the share of the samples in the digit class the classifier sees least. 0.1 when the ten digits
                    come equally often, 0 when one never comes: mode collapse (the README's bar is 0.03).
class_entropy       the entropy in bits of the histogram of predicted digits: log2(10) = 3.32 for ten equal classes,
                    0 for a single one.
label_agreement     (--conditional only) how often the classifier sees the digit the generator was asked for.
Test metrics compare with the test split; "validation" compares other samples with the validation split, and is
what settings are chosen by. Baselines, scored the same way against the test split with as many images:
  real        the validation split's real digits: what a perfect generator would score (the floor of fid);
  noise       uniform random pixels in -1..1: a generator that learned nothing (the ceiling);
  mean_image  the training split's mean image plus a little Gaussian noise (standard deviation MEAN_IMAGE_NOISE,
              so that the features vary and their covariance is defined): one blurred average digit, every time.
"""

import logging
import warnings
from pathlib import Path

import keras
import numpy as np
import scipy.linalg
from keras import layers

from common.datasets import Dataset
from common.evaluation import Evaluation
from common.runs import shown_path
from gan import visualize
from gan.model import generate, sample_noise

log = logging.getLogger(__name__)

SCORER_SEED = 1234      # the classifier is the ruler: the same for every --seed, so that runs compare
SCORER_EPOCHS = 10      # 0.965 validation accuracy on mnist5k; a --quick run trains one epoch on its slice
FEATURES = 64           # units of the penultimate layer, the features the Fréchet distance compares
VAL_NOISE_SEED, TEST_NOISE_SEED, BASELINE_SEED = 11, 12, 13  # fixed: every run is scored on the same noise
MEAN_IMAGE_NOISE = 0.05  # in pixel units of -1..1
SQRTM_TOLERANCE = 1e-3  # the largest imaginary part of (C_g C_r)^(1/2) accepted as rounding error


# ----------------------------------------------------------------------------------------------------------------
# The scorer: a small digit classifier, trained once per data set and cached


def build_scorer(image_shape, num_classes: int) -> keras.Model:
    """images (batch, h, w, 1) in -1..1 -> class probabilities (batch, num_classes); layer "features" (batch, 64)."""
    images = keras.Input(shape=tuple(image_shape), name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_1")(images)
    x = layers.MaxPooling2D(name="pool_1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_2")(x)
    x = layers.MaxPooling2D(name="pool_2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(FEATURES, activation="relu", name="features")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    probabilities = layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(images, probabilities, name="scorer")


def scorer_path(output_dir: str | Path, dataset_name: str, quick: bool) -> Path:
    """<output_dir>/gan/scorer-<dataset>.keras; a --quick run's file ends in -quick: it never scores a real run."""
    return Path(output_dir) / "gan" / f"scorer-{dataset_name}{'-quick' if quick else ''}.keras"


def load_or_train_scorer(dataset: Dataset, output_dir: str | Path, quick: bool = False) -> tuple[keras.Model, dict]:
    """(scorer, {"path", "trained_now", "validation_accuracy"}): the cached classifier, or a new one trained now.

    It is trained on the training split with SCORER_SEED, then saved; later runs on the same data load it (Keras'
    safe mode), so every run of a data set is scored by the same classifier. A file that does not load is replaced.
    This resets the global random seed: call it before keras.utils.set_random_seed(config.seed).
    """
    path = scorer_path(output_dir, dataset.name, quick)
    scorer, trained_now = None, False
    if path.is_file():
        try:
            scorer = keras.saving.load_model(path, safe_mode=True)
        except Exception as error:  # a half-written or foreign file: train a fresh one in its place
            log.info("scorer: could not load %s (%s); training a new one", shown_path(path), error)
    if scorer is None:
        keras.utils.set_random_seed(SCORER_SEED)
        scorer = build_scorer(dataset.input_shape, dataset.num_classes)
        scorer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        scorer.fit(dataset.x_train, dataset.y_train, epochs=1 if quick else SCORER_EPOCHS, batch_size=64, verbose=0)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}-partial.keras")  # renamed when complete: no half file under the name
        scorer.save(partial)
        partial.replace(path)
        trained_now = True
    accuracy = float(np.mean(scorer.predict(dataset.x_val, verbose=0).argmax(axis=1) == dataset.y_val))
    log.info("scorer: %s a digit classifier %s (validation accuracy %.4f)", "trained" if trained_now else "loaded",
             f"on {len(dataset.x_train)} training images, saved to {shown_path(path)}" if trained_now
             else f"from {shown_path(path)}", accuracy)
    return scorer, {"path": str(path), "trained_now": trained_now, "validation_accuracy": accuracy}


def scorer_outputs(scorer: keras.Model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, 64), probabilities (n, num_classes)) for images (n, h, w, 1) in -1..1, as float64."""
    both = keras.Model(scorer.input, [scorer.get_layer("features").output, scorer.output])
    # Called directly, batch by batch, rather than through predict, which would trace a new graph for this new
    # two-output model on every call (after every epoch, for FidMonitor).
    outputs = [both(images[start:start + 256], training=False) for start in range(0, len(images), 256)]
    return tuple(np.concatenate([keras.ops.convert_to_numpy(batch[part]) for batch in outputs]).astype("float64")
                 for part in (0, 1))


# ----------------------------------------------------------------------------------------------------------------
# The numbers


def frechet_distance_from_statistics(mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray,
                                     cov_b: np.ndarray) -> float:
    """||mean_a - mean_b||^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2)): the Fréchet (2-Wasserstein) distance
    between the Gaussians N(mean_a, cov_a) and N(mean_b, cov_b), squared.

    The product of two covariance matrices has real, non-negative eigenvalues, so its square root is real; rounding
    can still leave tiny imaginary parts (dropped when below SQRTM_TOLERANCE) or, for a singular product, values
    that are not finite (then both matrices get a tiny ridge added to their diagonals, as pytorch-fid does).
    """
    mean_a, mean_b = np.asarray(mean_a, "float64"), np.asarray(mean_b, "float64")
    cov_a, cov_b = np.atleast_2d(cov_a).astype("float64"), np.atleast_2d(cov_b).astype("float64")
    with warnings.catch_warnings():  # features that never fire make the product singular: handled below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(root)):
            ridge = 1e-6 * np.eye(len(cov_a))
            root = scipy.linalg.sqrtm((cov_a + ridge) @ (cov_b + ridge))
    if np.iscomplexobj(root):
        if np.max(np.abs(root.imag)) > SQRTM_TOLERANCE:
            raise ValueError(f"the matrix square root has an imaginary part of {np.max(np.abs(root.imag)):.2g}")
        root = root.real
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root)
    return float(max(distance, 0.0))  # rounding can leave -1e-12 where the distance is 0


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """The Fréchet distance between the Gaussians fitted to two sets of feature rows (n_a, d) and (n_b, d)."""
    return frechet_distance_from_statistics(features_a.mean(axis=0), np.cov(features_a, rowvar=False),
                                            features_b.mean(axis=0), np.cov(features_b, rowvar=False))


def class_spread(probabilities: np.ndarray) -> dict[str, float | list[float]]:
    """confidence, min_class_fraction, class_entropy (bits) and class_fractions of class probabilities (n, k)."""
    predicted = probabilities.argmax(axis=1)
    fractions = np.bincount(predicted, minlength=probabilities.shape[1]) / len(predicted)
    present = fractions[fractions > 0]
    return {"confidence": float(probabilities.max(axis=1).mean()), "min_class_fraction": float(fractions.min()),
            "class_entropy": float(-np.sum(present * np.log2(present)) + 0.0),  # + 0.0: no "-0.0" for one class
            "class_fractions": [float(fraction) for fraction in fractions]}


def image_scores(scorer: keras.Model, images: np.ndarray, reference_features: np.ndarray,
                 labels: np.ndarray | None = None) -> dict:
    """fid against reference_features, the class spread, and with labels (asked-for digits) label_agreement."""
    features, probabilities = scorer_outputs(scorer, images)
    scores = {"fid": frechet_distance(features, reference_features), **class_spread(probabilities)}
    if labels is not None:
        scores["label_agreement"] = float(np.mean(probabilities.argmax(axis=1) == labels))
    return scores


def requested_labels(count: int, num_classes: int) -> np.ndarray:
    """0, 1, ..., 9, 0, 1, ...: the digits a conditional generator is asked for, every digit as often."""
    return np.arange(count) % num_classes


class FidMonitor(keras.callbacks.Callback):
    """After every epoch, adds val_fid and val_min_class_fraction to the epoch's logs (so to the progress line,
    history.csv and EarlyStopping): the samples of the same fixed validation noise against the validation split."""

    def __init__(self, scorer: keras.Model, dataset: Dataset, latent_dim: int, conditional: bool):
        super().__init__()
        self.scorer, self.reference = scorer, scorer_outputs(scorer, dataset.x_val)[0]
        self.noise = sample_noise(len(dataset.x_val), latent_dim, VAL_NOISE_SEED)
        self.labels = requested_labels(len(self.noise), dataset.num_classes) if conditional else None

    def on_epoch_end(self, epoch, logs=None):
        scores = image_scores(self.scorer, generate(self.model.generator, self.noise, self.labels), self.reference)
        if logs is not None:
            logs["val_fid"], logs["val_min_class_fraction"] = scores["fid"], scores["min_class_fraction"]


# ----------------------------------------------------------------------------------------------------------------
# The evaluator


def baseline_images(dataset: Dataset, count: int) -> dict[str, np.ndarray]:
    """{"real", "noise", "mean_image"}: count images each, (count, h, w, 1) in -1..1 (see the module docstring)."""
    rng = np.random.default_rng(BASELINE_SEED)
    shape = (count, *dataset.input_shape)
    mean_image = dataset.x_train.mean(axis=0)
    return {"real": dataset.x_val[:count],
            "noise": rng.uniform(-1.0, 1.0, shape).astype("float32"),
            "mean_image": np.clip(mean_image + MEAN_IMAGE_NOISE * rng.standard_normal(shape), -1, 1).astype("float32")}


def evaluate_generator(generator: keras.Model, dataset: Dataset, scorer: keras.Model, latent_dim: int,
                       conditional: bool, run_dir: Path) -> Evaluation:
    """The generator's fid, confidence, class spread (and label agreement) on the test split, beside the three
    baselines; the same against the validation split. Saves plots/class_spread.png."""
    count = len(dataset.x_val)
    labels = requested_labels(count, dataset.num_classes) if conditional else None
    test_reference = scorer_outputs(scorer, dataset.x_test)[0]
    samples = generate(generator, sample_noise(count, latent_dim, TEST_NOISE_SEED), labels)
    test = image_scores(scorer, samples, test_reference, labels)
    validation = image_scores(scorer, generate(generator, sample_noise(count, latent_dim, VAL_NOISE_SEED), labels),
                              scorer_outputs(scorer, dataset.x_val)[0], labels)
    baselines = {name: image_scores(scorer, images, test_reference) for name, images in
                 baseline_images(dataset, count).items()}
    if conditional:  # the real digits' "agreement" is the classifier's own accuracy: the most a generator can reach
        baselines["real"] = image_scores(scorer, dataset.x_val[:count], test_reference, dataset.y_val[:count])
    fractions = {"generated": test.pop("class_fractions"), "real (validation split)":
                 baselines["real"]["class_fractions"]}
    for scores in (validation, *baselines.values()):
        scores.pop("class_fractions")
    visualize.plot_class_spread(fractions, run_dir / "plots" / "class_spread.png")
    return Evaluation(test=test, validation=validation, baselines=baselines,
                      details={"task": "generation", "conditional": conditional, "latent_dim": latent_dim,
                               "num_generated": count, "class_fractions": fractions["generated"]},
                      outputs=samples)
