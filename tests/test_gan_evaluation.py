"""gan/evaluation.py, the ruler of every GAN figure: the Fréchet distance against closed forms, the class spread, the
scorer (its layers, how it is trained, cached and replaced), its outputs batch by batch, the monitor's validation
scores and the evaluator's test and validation scores, each recomputed by hand.

    python -m pytest -q -n 0 tests/test_gan_evaluation.py
"""

import logging
import math

import keras
import numpy as np
import pytest
import scipy.linalg

from common.datasets import Dataset
from gan import evaluation
from gan.model import sample_noise


def tiny_digits(seed: int = 0, sizes=(40, 12, 16)) -> Dataset:
    """4x4 images in -1..1 of three classes (the brightness of a quarter of the image), with labels."""
    rng = np.random.default_rng(seed)

    def split(n):
        labels = rng.integers(0, 3, n)
        images = rng.uniform(-1, -0.5, (n, 4, 4, 1))
        for label, rows in zip(range(3), ((0, 2), (2, 4), (0, 4))):
            images[labels == label, rows[0]:rows[1], :2] = 0.9
        return images.astype("float32"), labels

    return Dataset("tiny", "classification", *split(sizes[0]), *split(sizes[1]), *split(sizes[2]),
                   class_names=["top", "bottom", "left"])


# ---------------------------------------------------------------------------------------------------------------
# The numbers

def test_frechet_distance_of_gaussians_matches_the_closed_form():
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.0])
    # Diagonal covariances commute: Tr(C_a + C_b - 2 (C_a C_b)^(1/2)) = sum_i (sigma_a,i - sigma_b,i)^2.
    variances_a, variances_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    expected = 1.0 + 4.0 + 0.0 + (1 - 2) ** 2 + 0 + (3 - 1) ** 2
    assert evaluation.frechet_distance_from_statistics(mean_a, np.diag(variances_a), mean_b,
                                                       np.diag(variances_b)) == pytest.approx(expected)
    # Full covariances that do not commute: against Tr((A^(1/2) B A^(1/2))^(1/2)), a symmetric form of the root.
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    cov_a, cov_b = a @ a.T + 0.1 * np.eye(4), b @ b.T + 0.1 * np.eye(4)
    root_a = scipy.linalg.sqrtm(cov_a).real
    eigenvalues = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    expected = np.trace(cov_a) + np.trace(cov_b) - 2 * np.sum(np.sqrt(eigenvalues))
    assert evaluation.frechet_distance_from_statistics(np.zeros(4), cov_a, np.zeros(4), cov_b) == \
        pytest.approx(expected, rel=1e-6)
    assert evaluation.frechet_distance_from_statistics(np.zeros(4), cov_b, np.zeros(4), cov_a) == \
        pytest.approx(expected, rel=1e-6)  # symmetric


def test_frechet_distance_of_one_feature_and_of_the_same_gaussian():
    # One feature: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2, with the variances given as plain numbers.
    assert evaluation.frechet_distance_from_statistics([1.0], 4.0, [3.0], 9.0) == pytest.approx(4.0 + 1.0)
    # A Gaussian against itself is 0, never a rounding error below it.
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    same = evaluation.frechet_distance_from_statistics([0.5, 0.5], cov, [0.5, 0.5], cov)
    assert same == 0.0 or 0.0 < same < 1e-9
    assert isinstance(same, float)


def test_a_square_root_with_a_large_imaginary_part_is_refused(monkeypatch):
    # (C_a C_b)^(1/2) of two covariances is real; rounding may leave an imaginary part below SQRTM_TOLERANCE
    # (dropped), anything larger means the statistics are not covariances and is an error, not a number.
    small = np.eye(2) + 1j * evaluation.SQRTM_TOLERANCE * np.eye(2)  # at the tolerance: still rounding
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda matrix: small)
    assert evaluation.frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)) == \
        pytest.approx(2 + 2 - 2 * 2)
    large = np.eye(2) + 0.5j * np.eye(2)
    monkeypatch.setattr(scipy.linalg, "sqrtm", lambda matrix: large)
    with pytest.raises(ValueError, match=r"^the matrix square root has an imaginary part of 0\.5$"):
        evaluation.frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2))


def test_a_singular_product_gets_the_ridge_on_both_matrices(monkeypatch):
    roots = []
    real_sqrtm = scipy.linalg.sqrtm

    def first_fails(matrix):  # the first root is not finite, as for a singular product; the second is computed
        roots.append(matrix)
        return np.full_like(matrix, np.nan) if len(roots) == 1 else real_sqrtm(matrix)

    monkeypatch.setattr(scipy.linalg, "sqrtm", first_fails)
    cov_a, cov_b = np.diag([1.0, 0.0]), np.diag([4.0, 0.0])
    distance = evaluation.frechet_distance_from_statistics(np.zeros(2), cov_a, np.zeros(2), cov_b)
    ridge = 1e-6 * np.eye(2)
    np.testing.assert_allclose(roots[1], (cov_a + ridge) @ (cov_b + ridge), rtol=0, atol=1e-15)
    assert distance == pytest.approx((1 - 2) ** 2, abs=1e-5)


def test_frechet_distance_of_samples_is_zero_for_the_same_set_and_near_the_truth_for_large_samples():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(500, 8))
    assert evaluation.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)
    # N(0, I) against N(1, 4 I) in 3 dimensions: 3 * 1^2 + 3 * (1 - 2)^2 = 6.
    a, b = rng.normal(size=(200_000, 3)), 1.0 + 2.0 * rng.normal(size=(200_000, 3))
    assert evaluation.frechet_distance(a, b) == pytest.approx(6.0, rel=0.01)
    # Features that never fire (a dead ReLU unit: a column of zeros) leave the covariance singular, still finite.
    dead = np.column_stack([features[:, :4], np.zeros(500)])
    assert evaluation.frechet_distance(dead, dead[::-1] + 0.1) == pytest.approx(4 * 0.1 ** 2 + 0.1 ** 2, abs=1e-6)
    # Rows are samples and columns features: two features, the second shifted by 2, the first scaled by 3.
    x = rng.normal(size=(400, 2))
    by_hand = evaluation.frechet_distance_from_statistics(x.mean(0), np.cov(x.T), (x * [3, 1] + [0, 2]).mean(0),
                                                          np.cov((x * [3, 1] + [0, 2]).T))
    assert evaluation.frechet_distance(x, x * [3, 1] + [0, 2]) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(4.0 + (3 - 1) ** 2 * x[:, 0].var(ddof=1), rel=0.05)


def test_class_spread_of_hand_made_predictions():
    one_hot = np.eye(10)
    uniform = evaluation.class_spread(np.tile(one_hot, (3, 1)))          # every digit three times, fully confident
    assert uniform["min_class_fraction"] == pytest.approx(0.1)
    assert uniform["class_entropy"] == pytest.approx(math.log2(10)) and uniform["confidence"] == pytest.approx(1.0)
    # Half the samples are 3s, half 8s, each at probability 0.6: a collapse onto two modes.
    probabilities = np.full((10, 10), 0.4 / 9)
    probabilities[:5, 3], probabilities[5:, 8] = 0.6, 0.6
    collapsed = evaluation.class_spread(probabilities)
    assert collapsed["min_class_fraction"] == 0.0 and collapsed["class_entropy"] == pytest.approx(1.0)
    assert collapsed["confidence"] == pytest.approx(0.6)
    assert collapsed["class_fractions"] == [0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0]
    single = evaluation.class_spread(np.tile(one_hot[4], (7, 1)))
    assert single["class_entropy"] == 0.0 and single["min_class_fraction"] == 0.0
    assert str(single["class_entropy"]) == "0.0"  # not "-0.0" in metrics.json
    # Three classes seen 1, 1 and 2 times of 4: fractions, entropy 1.5 bits, the mean of the largest probability.
    uneven = evaluation.class_spread(np.array([[0.5, 0.3, 0.2], [0.1, 0.7, 0.2], [0.2, 0.2, 0.6], [0.0, 0.1, 0.9]]))
    assert uneven["class_fractions"] == [0.25, 0.25, 0.5] and uneven["min_class_fraction"] == 0.25
    assert uneven["class_entropy"] == pytest.approx(1.5) and uneven["confidence"] == pytest.approx(2.7 / 4)
    assert all(type(value) is float for value in uneven["class_fractions"])


def test_requested_labels_ask_for_every_digit_in_turn():
    assert evaluation.requested_labels(12, 10).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert evaluation.requested_labels(5, 2).tolist() == [0, 1, 0, 1, 0]


# ---------------------------------------------------------------------------------------------------------------
# The scorer

def test_the_scorer_is_the_classifier_the_benchmark_measured():
    """The README's FID figures were measured with this ruler: a change of its layers changes every figure (and needs
    the benchmark rerun), so the layers are written out here."""
    scorer = evaluation.build_scorer((28, 28, 1), 10)
    described = [(layer.name, type(layer).__name__, layer.output.shape[1:]) for layer in scorer.layers]
    assert described == [("image", "InputLayer", (28, 28, 1)), ("conv_1", "Conv2D", (28, 28, 32)),
                         ("pool_1", "MaxPooling2D", (14, 14, 32)), ("conv_2", "Conv2D", (14, 14, 64)),
                         ("pool_2", "MaxPooling2D", (7, 7, 64)), ("flatten", "Flatten", (3136,)),
                         ("features", "Dense", (64,)), ("dropout", "Dropout", (64,)),
                         ("probabilities", "Dense", (10,))]
    config = {layer.name: layer.get_config() for layer in scorer.layers[1:]}
    assert [config[name]["kernel_size"] for name in ("conv_1", "conv_2")] == [(3, 3), (3, 3)]
    assert {config[name]["activation"] for name in ("conv_1", "conv_2", "features")} == {"relu"}
    assert config["probabilities"]["activation"] == "softmax" and config["dropout"]["rate"] == 0.3
    assert {config[name]["padding"] for name in ("conv_1", "conv_2")} == {"same"}
    assert scorer.count_params() == 320 + 18_496 + 3136 * 64 + 64 + 650
    assert scorer.name == "scorer"


def test_the_scorer_is_trained_on_the_training_split_with_its_own_seed_then_loaded(tmp_path, monkeypatch, caplog):
    dataset = tiny_digits()
    seeds, fits = [], []
    monkeypatch.setattr(keras.utils, "set_random_seed", lambda seed: seeds.append(seed))
    real_fit = keras.Model.fit

    def recording_fit(self, x, y, **kwargs):
        fits.append(kwargs)
        return real_fit(self, x, y, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", recording_fit)
    with caplog.at_level(logging.INFO, logger="gan.evaluation"):
        scorer, info = evaluation.load_or_train_scorer(dataset, tmp_path, quick=True)
    path = tmp_path / "gan" / "scorer-tiny-quick.keras"
    assert seeds == [evaluation.SCORER_SEED] and fits == [{"epochs": 1, "batch_size": 64, "verbose": 0}]
    assert info["trained_now"] and info["path"] == str(path) and path.is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == ["scorer-tiny-quick.keras"]  # no partial file left
    assert scorer.loss == "sparse_categorical_crossentropy"
    assert isinstance(scorer.optimizer, keras.optimizers.Adam)
    assert float(scorer.optimizer.learning_rate) == pytest.approx(1e-3)
    accuracy = float(np.mean(scorer.predict(dataset.x_val, verbose=0).argmax(axis=1) == dataset.y_val))
    assert info["validation_accuracy"] == accuracy
    assert caplog.messages == [f"scorer: trained a digit classifier on 40 training images, saved to {path} "
                               f"(validation accuracy {accuracy:.4f})"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gan.evaluation"):
        loaded, again = evaluation.load_or_train_scorer(dataset, tmp_path, quick=True)
    assert not again["trained_now"] and len(fits) == 1 and again["validation_accuracy"] == accuracy
    assert caplog.messages == [f"scorer: loaded a digit classifier from {path} (validation accuracy {accuracy:.4f})"]
    np.testing.assert_array_equal(loaded.predict(dataset.x_test, verbose=0), scorer.predict(dataset.x_test, verbose=0))


def test_a_full_run_trains_the_scorer_for_its_epochs_under_its_own_name(tmp_path, monkeypatch):
    fits = []
    monkeypatch.setattr(keras.Model, "fit", lambda self, x, y, **kwargs: fits.append(kwargs))
    _, info = evaluation.load_or_train_scorer(tiny_digits(), tmp_path)
    assert fits == [{"epochs": evaluation.SCORER_EPOCHS, "batch_size": 64, "verbose": 0}]
    assert info["path"] == str(tmp_path / "gan" / "scorer-tiny.keras")


def test_a_scorer_file_that_does_not_load_is_replaced(tmp_path, caplog):
    path = tmp_path / "gan" / "scorer-tiny-quick.keras"
    path.parent.mkdir()
    path.write_bytes(b"half a file")
    with caplog.at_level(logging.INFO, logger="gan.evaluation"):
        scorer, info = evaluation.load_or_train_scorer(tiny_digits(), tmp_path, quick=True)
    assert info["trained_now"] and caplog.messages[0].startswith(f"scorer: could not load {path} (")
    assert keras.saving.load_model(path).count_params() == scorer.count_params()


def test_a_scorer_file_with_code_in_it_is_never_run_but_replaced(tmp_path, caplog):
    """The cached scorer is loaded in Keras' safe mode: a file whose Lambda layer carries code does not load (so the
    code never runs), and a new scorer is trained in its place."""
    ran = []
    images = keras.Input((4, 4, 1))
    planted = keras.Model(images, keras.layers.Lambda(lambda x: ran.append(1) or x)(images))
    path = tmp_path / "deep" / "runs" / "gan" / "scorer-tiny-quick.keras"  # folders that do not exist yet
    path.parent.mkdir(parents=True)
    planted.save(path)
    ran.clear()
    with caplog.at_level(logging.INFO, logger="gan.evaluation"):
        _, info = evaluation.load_or_train_scorer(tiny_digits(), tmp_path / "deep" / "runs", quick=True)
    assert info["trained_now"] and ran == []
    assert caplog.messages[0].startswith(f"scorer: could not load {path} (")
    assert "Lambda" in caplog.messages[0] and "(None)" not in caplog.messages[0]  # Keras' reason, in the log


def test_the_scorer_is_saved_under_folders_made_for_it(tmp_path, monkeypatch):
    monkeypatch.setattr(keras.Model, "fit", lambda self, x, y, **kwargs: None)
    _, info = evaluation.load_or_train_scorer(tiny_digits(), tmp_path / "new" / "runs", quick=True)
    assert info["path"] == str(tmp_path / "new" / "runs" / "gan" / "scorer-tiny-quick.keras")
    assert (tmp_path / "new" / "runs" / "gan" / "scorer-tiny-quick.keras").is_file()


def test_scorer_outputs_are_the_features_and_probabilities_batch_by_batch():
    keras.utils.set_random_seed(0)
    scorer = evaluation.build_scorer((4, 4, 1), 3)
    images = tiny_digits(sizes=(300, 1, 1)).x_train  # more than one batch of 256
    features, probabilities = evaluation.scorer_outputs(scorer, images)
    by_predict = keras.Model(scorer.input, scorer.get_layer("features").output).predict(images, verbose=0)
    assert features.dtype == probabilities.dtype == np.float64
    assert features.shape == (300, 64) and probabilities.shape == (300, 3)
    np.testing.assert_allclose(features, by_predict, rtol=1e-5, atol=1e-6)
    # training=False: dropout is off, so the probabilities are the scorer's own
    np.testing.assert_allclose(probabilities, scorer.predict(images, verbose=0), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------------------------------
# The monitor and the evaluator, with a stand-in scorer (features: the pixels; class: the brightest quarter)

SCORER, GENERATOR = object(), object()  # what the evaluator is given; the stand-ins check they get these


def stand_in_outputs(scorer, images):
    assert scorer is SCORER
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    quarters = np.stack([flat[:, [0, 1, 4, 5]].mean(1), flat[:, [8, 9, 12, 13]].mean(1), flat[:, [2, 3]].mean(1)], 1)
    exp = np.exp(4 * quarters)
    return flat, exp / exp.sum(axis=1, keepdims=True)


def stand_in_generate(generator, noise, labels=None):
    assert generator is GENERATOR
    shift = 0.0 if labels is None else 0.1 * np.asarray(labels)[:, None]
    return np.tanh(noise[:, :16] + shift).reshape(-1, 4, 4, 1).astype("float32")


@pytest.fixture
def stand_ins(monkeypatch):
    monkeypatch.setattr(evaluation, "scorer_outputs", stand_in_outputs)
    monkeypatch.setattr(evaluation, "generate", stand_in_generate)


def by_hand(images, reference, labels=None):
    features, probabilities = stand_in_outputs(SCORER, images)
    scores = {"fid": evaluation.frechet_distance(features, stand_in_outputs(SCORER, reference)[0]),
              **evaluation.class_spread(probabilities)}
    if labels is not None:
        scores["label_agreement"] = float(np.mean(probabilities.argmax(axis=1) == labels))
    return scores


@pytest.mark.parametrize("conditional", [False, True])
def test_the_monitor_scores_the_fixed_validation_noise_against_the_validation_split(conditional, stand_ins):
    dataset = tiny_digits()

    class Holder:
        generator = GENERATOR

    monitor = evaluation.FidMonitor(SCORER, dataset, latent_dim=20, conditional=conditional)
    monitor.set_model(Holder())
    logs = {"d_loss": 1.0}
    monitor.on_epoch_end(0, logs)
    labels = evaluation.requested_labels(12, 3) if conditional else None
    expected = by_hand(stand_in_generate(GENERATOR, sample_noise(12, 20, evaluation.VAL_NOISE_SEED), labels),
                       dataset.x_val)
    assert logs == {"d_loss": 1.0, "val_fid": pytest.approx(expected["fid"]),
                    "val_min_class_fraction": pytest.approx(expected["min_class_fraction"])}
    monitor.on_epoch_end(1, None)  # Keras may call it without logs


@pytest.mark.parametrize("conditional", [False, True])
def test_the_evaluator_scores_test_noise_against_test_and_validation_noise_against_validation(conditional, stand_ins,
                                                                                                tmp_path, monkeypatch):
    dataset = tiny_digits()
    shown = {}
    monkeypatch.setattr(evaluation.visualize, "plot_class_spread", lambda fractions, path: shown.update(
        fractions, path=path))
    result = evaluation.evaluate_generator(GENERATOR, dataset, SCORER, latent_dim=20, conditional=conditional,
                                           run_dir=tmp_path)
    labels = evaluation.requested_labels(12, 3) if conditional else None
    samples = stand_in_generate(GENERATOR, sample_noise(12, 20, evaluation.TEST_NOISE_SEED), labels)
    test = by_hand(samples, dataset.x_test, labels)
    validation = by_hand(stand_in_generate(GENERATOR, sample_noise(12, 20, evaluation.VAL_NOISE_SEED), labels),
                         dataset.x_val, labels)
    fractions = test.pop("class_fractions")
    validation.pop("class_fractions")
    assert result.test == pytest.approx(test) and result.validation == pytest.approx(validation)
    np.testing.assert_array_equal(result.outputs, samples)
    assert result.details == {"task": "generation", "conditional": conditional, "latent_dim": 20,
                              "num_generated": 12, "class_fractions": fractions}
    assert shown["generated"] == fractions and shown["path"] == tmp_path / "plots" / "class_spread.png"
    assert set(result.baselines) == {"real", "noise", "mean_image"}
    assert all("class_fractions" not in scores for scores in result.baselines.values())
    real = by_hand(dataset.x_val, dataset.x_test, dataset.y_val if conditional else None)
    assert shown["real (validation split)"] == real.pop("class_fractions")
    assert result.baselines["real"] == pytest.approx(real)
    assert ("label_agreement" in result.baselines["noise"]) is False


def test_the_mean_image_baseline_stays_in_the_pixel_range():
    """Digits have a black (-1) background: the mean image there is -1, and its noise is clipped back to -1..1."""
    x_train = np.full((6, 4, 4, 1), -1.0, "float32")
    x_train[:, :2] = 1.0  # the top half white in every image: the mean is 1 there
    dataset = Dataset("edges", "classification", x_train, np.zeros(6, "int64"), x_train[:3], np.zeros(3, "int64"),
                      x_train[:3], np.zeros(3, "int64"), class_names=["0"])
    mean_image = evaluation.baseline_images(dataset, 200)["mean_image"]
    assert mean_image.dtype == np.float32
    assert mean_image.min() == -1.0 and mean_image.max() == 1.0  # clipped on both sides, about half the pixels
    assert 0.3 < np.mean(np.abs(mean_image) == 1.0) < 0.7
