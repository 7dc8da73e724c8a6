"""Every baseline a run reports is fitted and counted on the training split only (the validation split only where it
chooses a setting or stands in for real data), and scored on the test split like the model.

A baseline that peeks at the test split looks better than it is and makes the network's margin look smaller (or,
for a "real data" reference, larger) than it is. Each test below builds a tiny data set whose training, validation
and test splits differ, so that a baseline counted on the wrong split gives another number, calls the function that
computes the baseline, and asserts the value worked out by hand from the training split. Models are stand-ins
(their outputs do not enter a baseline); nothing is trained, except the few scikit-learn fits the classical
baselines are made of.
"""

import math

import numpy as np
import pytest

from common import forecast_evaluation, forecasting, metrics, text
from common.datasets import Dataset
from common.evaluation import classical_baselines, evaluate_classification, evaluate_regression
from common.sequences import evaluate_sequence_model


class ConstantModel:
    """Stands in for a Keras model: predict() answers the same output for every example, shaped per example."""

    def __init__(self, example_shape: tuple[int, ...], value: float = 0.0):
        self.example_shape, self.value = example_shape, value

    def predict(self, x, verbose=0, batch_size=None):
        return np.full((len(x), *self.example_shape), self.value, dtype="float32")


class IdentityModel:
    """An autoencoder that gives back what it reads."""

    def predict(self, x, verbose=0, batch_size=None):
        return np.asarray(x, dtype="float32")


def classification_by_hand(y_true: np.ndarray, guess: int, num_classes: int) -> dict[str, float]:
    """Accuracy and macro precision, recall and F1 of always guessing one class, counted here without scikit-learn."""
    y_true = np.asarray(y_true).ravel()
    precisions, recalls, f1s = [], [], []
    for label in range(num_classes):
        true_positives = float(np.sum((y_true == label) & (guess == label)))
        predicted = len(y_true) if label == guess else 0
        actual = float(np.sum(y_true == label))
        precision = true_positives / predicted if predicted else 0.0
        recall = true_positives / actual if actual else 0.0
        precisions.append(precision)
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {"accuracy": float(np.mean(y_true == guess)), "precision_macro": float(np.mean(precisions)),
            "recall_macro": float(np.mean(recalls)), "f1_macro": float(np.mean(f1s))}


def regression_by_hand(y_true: np.ndarray, guess) -> dict[str, float]:
    errors = np.asarray(y_true, "float64") - np.asarray(guess, "float64")
    mse = float(np.mean(errors ** 2))
    return {"mae": float(np.mean(np.abs(errors))), "mse": mse, "rmse": math.sqrt(mse)}


# ----------------------------------------------------------------------------------------------------------------
# common/metrics.py: the majority class and the training mean


def test_majority_class_baseline_counts_the_training_labels():
    # Training: class 0 most often; test: class 1 most often. Always guessing 0 gets 2 of 6 test labels.
    y_train, y_test = np.array([0, 0, 0, 1, 2]), np.array([1, 1, 1, 0, 0, 2])
    assert metrics.majority_class_baseline(y_train, y_test, 3) == pytest.approx(classification_by_hand(y_test, 0, 3))
    assert metrics.majority_class_baseline(y_train, y_test, 3)["accuracy"] == pytest.approx(2 / 6)  # 3/6 on test's


def test_mean_baseline_predicts_the_training_mean():
    # Training mean 2; test values 10 and 12: errors 8 and 10 (the test mean, 11, would be 1 off each).
    assert metrics.mean_baseline(np.array([1.0, 2.0, 3.0]), np.array([10.0, 12.0])) == pytest.approx(
        {"mae": 9.0, "mse": 82.0, "rmse": math.sqrt(82.0)})


# ----------------------------------------------------------------------------------------------------------------
# common/evaluation.py: the evaluators (ann, cnn; birnn, deep_rnn and rnn through evaluate_sequence_model)


def three_class_dataset(per_step: bool = False) -> Dataset:
    """Majority class 0 in training, 2 in validation, 1 in test; per_step: a tag at each of 3 steps (birnn)."""
    y_train, y_val, y_test = np.array([0, 0, 0, 1, 2]), np.array([2, 2, 2, 0]), np.array([1, 1, 1, 0, 0, 2])
    if per_step:  # the same counts over every step of every sequence
        y_train, y_val, y_test = (np.repeat(y[:, None], 3, axis=1) for y in (y_train, y_val, y_test))
    x = lambda y: np.zeros((len(y), 3, 2), "float32")
    return Dataset("toy", "classification", x(y_train), y_train, x(y_val), y_val, x(y_test), y_test,
                   class_names=["zero", "one", "two"], meta={"label_per_step": per_step})


@pytest.mark.parametrize("per_step", [False, True], ids=["one label (ann, cnn, deep_rnn)", "a tag per step (birnn)"])
def test_majority_class_of_an_evaluation_is_the_training_majority(per_step, tmp_path):
    dataset = three_class_dataset(per_step)
    model = ConstantModel((3, 3) if per_step else (3,), 1 / 3)
    evaluation = evaluate_classification(model, dataset, tmp_path)
    # Guessing 0 (training's majority) gets 2 of 6; guessing 1 (test's) would get 3 of 6, 2 (validation's) 1 of 6.
    assert evaluation.baselines["majority_class"] == pytest.approx(classification_by_hand(dataset.y_test, 0, 3))
    assert evaluation.baselines["majority_class"]["accuracy"] == pytest.approx(2 / 6)
    # The folders with sequences (birnn, deep_rnn's digits) reach the same evaluator through evaluate_sequence_model.
    routed = evaluate_sequence_model(model, dataset, tmp_path, config=None)
    assert routed.baselines == evaluation.baselines


def value_dataset(scaled: bool) -> Dataset:
    """Targets with mean 1 in training, 0.5 in validation, 1.5 in test (scaled: standardized with the training
    split's mean and deviation, as ann's diabetes data keeps its scaler in meta["target_scaler"])."""
    from sklearn.preprocessing import StandardScaler

    y_train, y_val, y_test = np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.5]), np.array([1.0, 2.0])
    meta = {}
    if scaled:
        scaler = StandardScaler().fit(y_train.reshape(-1, 1))
        y_train, y_val, y_test = (scaler.transform(y.reshape(-1, 1)).ravel() for y in (y_train, y_val, y_test))
        meta["target_scaler"] = scaler
    x = lambda y: np.zeros((len(y), 4, 2), "float32")
    return Dataset("toy", "regression", x(y_train), y_train, x(y_val), y_val, x(y_test), y_test, meta=meta)


@pytest.mark.parametrize("scaled", [False, True], ids=["values as they are (rnn adding)", "standardized (ann)"])
def test_mean_baseline_of_an_evaluation_is_the_training_mean_in_original_units(scaled, tmp_path):
    dataset = value_dataset(scaled)
    evaluation = evaluate_regression(ConstantModel((1,)), dataset, tmp_path)
    # The training mean, 1, against the test targets 1 and 2 (the test mean, 1.5, would be 0.5 off each).
    assert evaluation.baselines["mean"] == pytest.approx({"mae": 0.5, "mse": 0.5, "rmse": math.sqrt(0.5)})
    routed = evaluate_sequence_model(ConstantModel((1,)), dataset, tmp_path, config=None)  # rnn, deep_rnn adding
    assert routed.baselines["mean"] == pytest.approx(evaluation.baselines["mean"])


# ----------------------------------------------------------------------------------------------------------------
# common/evaluation.py: logistic regression, the SVM and ridge, fitted on training and chosen on validation


def classical_dataset(task: str) -> Dataset:
    """30 examples a split, 6 features; the first feature decides the label (or the value) up to noise.

    Seed 6 gives splits on which the setting validation prefers is not the one test would prefer, and those two
    give different test scores, for each of the three models (checked in the test itself)."""
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(6)
    splits = []
    for _ in range(3):
        x = rng.normal(size=(30, 6))
        signal = x[:, 0] + 0.8 * rng.normal(size=30)
        splits += [x.reshape(30, 2, 3).astype("float32"), (signal > 0).astype("int64") if task == "classification"
                   else 100.0 + 20.0 * signal]
    meta = {}
    if task == "regression":
        scaler = StandardScaler().fit(splits[1].reshape(-1, 1))
        splits[1::2] = [scaler.transform(y.reshape(-1, 1)).ravel() for y in splits[1::2]]
        meta["target_scaler"] = scaler
    return Dataset("toy", task, *splits, class_names=["no", "yes"] if task == "classification" else [], meta=meta)


def classical_by_hand(dataset: Dataset, make_model, settings, chosen_on: str) -> dict[str, float]:
    """Each setting fitted on the training split, the best on `chosen_on` ("val" or "test") scored on test."""
    flat = {part: getattr(dataset, f"x_{part}").reshape(30, -1) for part in ("train", "val", "test")}
    targets = {part: getattr(dataset, f"y_{part}") for part in ("train", "val", "test")}
    regression = dataset.task == "regression"
    scaler = dataset.meta.get("target_scaler")
    original = lambda y: scaler.inverse_transform(np.asarray(y, "float64").reshape(-1, 1)).ravel()

    def score(model, part):  # higher is better: accuracy, or minus the squared error in original units
        predicted = model.predict(flat[part])
        if regression:
            return -float(np.mean((original(predicted) - original(targets[part])) ** 2))
        return float(np.mean(predicted == targets[part]))

    models = [make_model(setting).fit(flat["train"], targets["train"]) for setting in settings]
    best = models[int(np.argmax([score(model, chosen_on) for model in models]))]  # the first of equals, as max()
    predicted = best.predict(flat["test"])
    if regression:
        return regression_by_hand(original(targets["test"]), original(predicted))
    return {"accuracy": float(np.mean(predicted == targets["test"]))}


def test_classical_baselines_are_fitted_on_training_and_chosen_on_validation():
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.svm import SVC

    cases = {"classification": {"logistic_regression": (lambda c: LogisticRegression(C=c, max_iter=2000),
                                                         (0.1, 1.0, 10.0)),
                                "svm": (lambda c: SVC(C=c, kernel="rbf", gamma="scale"), (1.0, 10.0, 100.0))},
             "regression": {"ridge": (lambda alpha: Ridge(alpha=alpha), (0.1, 1.0, 10.0))}}
    for task, models in cases.items():
        dataset = classical_dataset(task)
        baselines = classical_baselines(dataset)
        assert set(baselines) == set(models)
        for name, (make_model, settings) in models.items():
            expected = classical_by_hand(dataset, make_model, settings, chosen_on="val")
            peeking = classical_by_hand(dataset, make_model, settings, chosen_on="test")
            key = "rmse" if task == "regression" else "accuracy"
            assert peeking[key] != pytest.approx(expected[key]), f"{name}: the data cannot tell the two apart"
            assert {metric: baselines[name][metric] for metric in expected} == pytest.approx(expected), name


def test_classical_baselines_never_fit_the_test_split():
    """Test labels are the training rule turned round: a model fitted on training gets most of them wrong, one fitted
    on test most of them right."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    dataset = classical_dataset("classification")
    flipped = Dataset("toy", "classification", dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val,
                      dataset.x_test, 1 - dataset.y_test, class_names=dataset.class_names)
    baselines = classical_baselines(flipped, quick=True)  # the middle setting only: no choice to make
    middle = {"logistic_regression": LogisticRegression(C=1.0, max_iter=2000),
              "svm": SVC(C=10.0, kernel="rbf", gamma="scale")}
    for name, model in middle.items():
        fitted = model.fit(flipped.x_train.reshape(30, -1), flipped.y_train)
        expected = float(np.mean(fitted.predict(flipped.x_test.reshape(30, -1)) == flipped.y_test))
        assert expected < 0.4
        assert baselines[name]["accuracy"] == pytest.approx(expected), name


# ----------------------------------------------------------------------------------------------------------------
# common/forecast_evaluation.py: persistence, seasonal naive, SARIMA, noise floor and mean (the recurrent folders)


@pytest.fixture(scope="module")
def seasonal_series() -> tuple[np.ndarray, np.ndarray]:
    """(series, clean): 120 positive months, a trend and a yearly pattern, plus noise; the last third climbs away
    from the first two (a test part unlike the training part)."""
    rng = np.random.default_rng(3)
    months = np.arange(120)
    clean = 100.0 + 0.5 * months + 15.0 * np.sin(2 * np.pi * months / 12)
    clean[80:] += 3.0 * (months[80:] - 79)
    return clean + 2.0 * rng.standard_normal(120), clean


@pytest.fixture
def sarima_fits(monkeypatch) -> list[int]:
    """The number of months each SARIMA fit reads. The fit (seconds of optimizing) is replaced by fixed parameters,
    MA terms -0.4 and -0.6 and noise variance 0.01; the filter that makes the forecasts is statsmodels' own."""
    import types

    from statsmodels.tsa.statespace import sarimax

    lengths = []

    class RecordingSarimax(sarimax.SARIMAX):
        def fit(self, *args, **kwargs):
            lengths.append(self.nobs)
            return types.SimpleNamespace(params=np.array([-0.4, -0.6, 0.01]))

    monkeypatch.setattr(sarimax, "SARIMAX", RecordingSarimax)
    return lengths


def test_forecast_baselines_by_hand(seasonal_series, sarima_fits, tmp_path, monkeypatch):
    series, clean = seasonal_series
    dataset = forecasting.forecasting_dataset("toy", series, window=3, test_fraction=0.33, transform="none",
                                              many_to_many=False, source="test", season=12, clean=clean)
    split, indices = dataset.meta["split"], dataset.meta["target_indices"]
    assert split.test_start == 80 and indices["test"][0] == 80 and indices["train"][-1] < split.val_start
    fit_ends = []
    real_sarima = forecast_evaluation.sarima_forecast

    def recording_sarima(series_, targets, fit_end, season):
        fit_ends.append(fit_end)
        return real_sarima(series_, targets, fit_end, season)

    monkeypatch.setattr(forecast_evaluation, "sarima_forecast", recording_sarima)
    baselines = forecast_evaluation.evaluate_forecast(ConstantModel((1,)), dataset, tmp_path).baselines
    truth = series[80:]
    # The mean of the training targets (months 3 .. val_start - 1), never of validation or test months.
    train_mean = series[indices["train"]].mean()
    assert baselines["mean"] == pytest.approx(regression_by_hand(truth, train_mean))
    assert baselines["mean"]["rmse"] > 2 * regression_by_hand(truth, truth.mean())["rmse"]  # a test mean is far
    # Persistence and the seasonal naive forecast read the true value 1 and 12 months before each target.
    assert baselines["persistence"] == pytest.approx(regression_by_hand(truth, series[79:119]))
    assert baselines["seasonal_naive"] == pytest.approx(regression_by_hand(truth, series[68:108]))
    # The noise floor is the noise-free signal at each target: about the noise's standard deviation, 2.
    assert baselines["noise_floor"] == pytest.approx(regression_by_hand(truth, clean[80:]))
    # SARIMA's parameters are fitted on the months before the test part, nothing after.
    assert fit_ends == [80]
    assert baselines["sarima"] == pytest.approx(regression_by_hand(truth, real_sarima(series, np.arange(80, 120),
                                                                                      80, 12)))


def test_sarima_parameters_are_fitted_on_the_months_before_fit_end_only(seasonal_series, sarima_fits):
    """The fit reads months 0 .. fit_end - 1; the forecasts then read every true month before their target. (The
    parameters' independence of later months, with a real fit, is test_common_forecasting's airline test.)"""
    series, _ = seasonal_series
    forecast = forecast_evaluation.sarima_forecast(series, np.arange(80, 120), fit_end=80, season=12)
    assert sarima_fits == [80]
    assert forecast.shape == (40,) and np.all(np.abs(forecast / series[80:] - 1) < 0.25)


# ----------------------------------------------------------------------------------------------------------------
# common/text.py: the unigram model (rnn, lstm, gru, deep_rnn on text)


def test_unigram_bits_per_char_counts_the_training_text():
    # Training ids 0 0 0 1 (vocabulary 2): counts + 1 = 4 and 2, so p(1) = 1/3 and each test "1" costs log2(3) bits.
    # Counted on the test ids (1 1) it would be p(1) = 3/5.
    assert text.unigram_bits_per_char(np.array([0, 0, 0, 1]), np.array([1, 1]), 2) == pytest.approx(math.log2(3))


def test_unigram_baseline_of_a_text_evaluation(tmp_path, monkeypatch):
    vocabulary = text.CharVocabulary.from_text("ab")  # ids: 0 unknown, 1 "a", 2 "b"
    y_train = np.array([[1, 1, 1, 2], [1, 1, 2, 0]])  # "a" most often (5 of 8)
    y_val = np.array([[0, 0, 0, 0]])                  # only the unknown character
    y_test = np.array([[2, 2, 2, 1], [2, 2, 0, 0]])  # "b" most often
    dataset = Dataset("text", "generation", y_train, y_train, y_val, y_val, y_test, y_test,
                      class_names=vocabulary.chars, meta={"vocabulary": vocabulary})
    monkeypatch.setattr(text, "write_samples", lambda *args, **kwargs: None)  # samples need a real model
    evaluation = text.evaluate_text(ConstantModel((4, 3), 1 / 3), dataset, tmp_path, prompt="a", temperatures=[1.0])
    # Training counts 1, 5, 2 plus one each: p = 2/11, 6/11, 3/11; the test holds 2 unknowns, 1 "a" and 5 "b".
    probability = np.array([2, 6, 3]) / 11
    bits = -(2 * math.log2(probability[0]) + math.log2(probability[1]) + 5 * math.log2(probability[2])) / 8
    unigram = evaluation.baselines["unigram"]
    assert unigram["bits_per_char"] == pytest.approx(bits)
    assert unigram["loss"] == pytest.approx(bits * math.log(2))
    assert unigram["accuracy"] == pytest.approx(1 / 8)  # guessing "a", training's commonest; "b" would get 5 of 8


# ----------------------------------------------------------------------------------------------------------------
# common/seq2seq.py (attention/'s evaluator): the positional majority


def test_positional_majority_of_an_evaluation_is_learned_from_the_training_targets(tmp_path):
    from common.pairs import END_ID, START_ID, TokenVocabulary, pad
    from common.seq2seq import seq2seq_evaluator

    train, val, test = ["ab", "ab", "ab", "cd"], ["ef", "ef"], ["cd", "cd", "cd", "ab"]
    source_vocabulary = TokenVocabulary.from_sequences([list("xy")])
    target_vocabulary = TokenVocabulary.from_sequences([list(target) for target in train])  # e, f: <unk>

    def arrays(targets):
        sources = pad([source_vocabulary.encode(list("xy")) for _ in targets], 2)
        return sources, pad([[START_ID, *target_vocabulary.encode(list(target)), END_ID] for target in targets], 4)

    dataset = Dataset("pairs", "seq2seq", *arrays(train), *arrays(val), *arrays(test),
                      class_names=list(target_vocabulary.tokens),
                      meta={"source_vocabulary": source_vocabulary, "target_vocabulary": target_vocabulary,
                            "tokens": "char", "pairs": {part: [("xy", target) for target in targets] for part, targets
                                                        in (("train", train), ("val", val), ("test", test))}})

    def decode_nothing(model, sources, max_length, beam_width=1):  # a model that writes <end> at once
        return np.full((len(sources), max_length), END_ID), np.zeros((len(sources), max_length, sources.shape[1]))

    evaluation = seq2seq_evaluator(decode_nothing)(None, dataset, tmp_path)
    # The training targets' guess is "ab": right for the one test "ab" (3 of 3 tokens with <end>), and the <end> of
    # each "cd": 6 of 12. The test targets' guess, "cd", would score 10 of 12; validation's, <unk><unk>, 4 of 12.
    assert evaluation.baselines["positional_majority"] == pytest.approx({"exact_match": 0.25, "token_accuracy": 0.5})


# ----------------------------------------------------------------------------------------------------------------
# autoencoder/evaluation.py: PCA, the mean image, the noisy input


def images(rows) -> np.ndarray:
    """2x2 one-channel images from rows of 4 pixels."""
    return np.asarray(rows, "float32").reshape(-1, 2, 2, 1)


U, V = np.array([1.0, -1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0, -1.0])  # two orthogonal directions in pixel space


@pytest.fixture
def quiet_autoencoder_plots(monkeypatch):
    from autoencoder import visualize

    for name in ("plot_reconstructions", "plot_roc_curves", "plot_score_histograms"):
        monkeypatch.setattr(visualize, name, lambda *args, **kwargs: None)


def reconstruction_dataset() -> Dataset:
    """Training images vary along U around 0.5; test images along V around 0.6; validation images are flat 0.2."""
    x_train = images([0.5 + a * U for a in (-0.2, -0.1, 0.1, 0.2)])
    x_val = images([np.full(4, 0.2)] * 2)
    x_test = images([0.6 + b * V for b in (-0.2, 0.2)])
    labels = lambda x: np.zeros(len(x), "int64")
    return Dataset("toy", "classification", x_train, labels(x_train), x_val, labels(x_val), x_test, labels(x_test),
                   class_names=["0"])


def test_pca_and_mean_image_baselines_are_fitted_on_the_training_images(tmp_path, quiet_autoencoder_plots):
    from autoencoder.evaluation import evaluate_reconstruction

    dataset = reconstruction_dataset()
    evaluation = evaluate_reconstruction(IdentityModel(), dataset, tmp_path, code_size=1, val_inputs=dataset.x_val,
                                         test_inputs=dataset.x_test)
    # PCA with one component, fitted on training, is the line 0.5 + t U. A test image 0.6 + b V projects onto 0.5
    # everywhere: errors 0.1, 0.1, 0.1 + b, 0.1 - b, so mse = (0.01 + 0.01 + 0.09 + 0.01) / 4 = 0.03. The mean
    # training image, 0.5, makes the same errors. Fitted on test, PCA would be exact (mse 0) and the mean image
    # (0.6) off by 0.2 on half the pixels (mse 0.02); on validation, both would be off by about 0.4.
    expected = {"mse": 0.03, "psnr": 10 * math.log10(1 / 0.03)}
    assert evaluation.baselines["pca"] == pytest.approx(expected, rel=1e-5)
    assert evaluation.baselines["mean_image"] == pytest.approx(expected, rel=1e-5)
    assert "noisy_input" not in evaluation.baselines


def test_noisy_input_baseline_compares_the_noisy_test_inputs_with_the_clean_test_images(tmp_path,
                                                                                     quiet_autoencoder_plots):
    from autoencoder.evaluation import evaluate_reconstruction

    dataset = reconstruction_dataset()
    test_inputs = dataset.x_test + images([[0.1, -0.1, 0.1, -0.1], [0.2, 0.0, 0.0, 0.0]])
    evaluation = evaluate_reconstruction(IdentityModel(), dataset, tmp_path, code_size=1,
                                         val_inputs=dataset.x_val + 0.3, test_inputs=test_inputs)
    # (4 * 0.01 + 0.04) / 8 pixels = 0.01. The validation inputs are 0.3 off everywhere: mse 0.09 if they were read.
    assert evaluation.baselines["noisy_input"] == pytest.approx({"mse": 0.01, "psnr": 20.0}, rel=1e-5)
    # PCA (fitted on training: the line 0.5 + t U) reads the noisy inputs 0.7 0.5 0.5 0.7 and 0.8 0.6 0.8 0.4; both
    # project onto 0.6 0.4 0.5 0.5, compared with the clean 0.6 0.6 0.4 0.8 and 0.6 0.6 0.8 0.4: squared errors
    # 0.14 and 0.14 over 8 pixels. (Fitted on the clean test images it would come within 0.02.)
    assert evaluation.baselines["pca"]["mse"] == pytest.approx(0.28 / 8, rel=1e-5)


def test_anomaly_baselines_are_fitted_on_the_normal_training_images(tmp_path, quiet_autoencoder_plots):
    from autoencoder.dataset import leave_out_class
    from autoencoder.evaluation import evaluate_anomaly

    # Training: four normal images along U around 0.5 and one 9 (removed by leave_out_class). Test: one normal image
    # on the training line, three 9s along V. Fitted on training, PCA reconstructs the normal image exactly and the
    # 9s with an error, and the 9s lie farther from the mean image: both rank every 9 above the normal image.
    # Fitted on the test images (mostly 9s), both would rank the normal image as the most anomalous.
    x_train = images([0.5 + a * U for a in (-0.1, -0.05, 0.05, 0.1)] + [np.full(4, 0.9)])
    x_test = images([0.5 + 0.1 * U] + [0.5 + b * V for b in (0.3, 0.35, 0.4)])
    x_val = images([0.5 + 0.05 * U, 0.5 + 0.3 * V])
    full = Dataset("toy", "classification", x_train, np.array([0, 0, 0, 0, 9]), x_val, np.array([0, 9]), x_test,
                   np.array([0, 9, 9, 9]), class_names=[str(digit) for digit in range(10)])
    evaluation = evaluate_anomaly(IdentityModel(), leave_out_class(full, 9), tmp_path, code_size=1)
    assert evaluation.baselines == {"pca": {"roc_auc": 1.0, "average_precision": 1.0},
                                    "mean_image": {"roc_auc": 1.0, "average_precision": 1.0}}


# ----------------------------------------------------------------------------------------------------------------
# gan/evaluation.py: real digits (validation), noise, the mean training image; the scorer


def gan_dataset() -> Dataset:
    """2x2 images in -1..1: training around -0.3, validation around 0.2 (mostly class 0), test around 0.6 (mostly
    class 1). Classes are read by the stand-in scorer below from the first pixel."""
    rng = np.random.default_rng(5)
    make = lambda centre, n: np.clip(centre + 0.2 * rng.standard_normal((n, 2, 2, 1)), -1, 1).astype("float32")
    x_train, x_val, x_test = make(-0.3, 40), make(0.2, 12), make(0.6, 16)
    classes = lambda x: (x[:, 0, 0, 0] > 0.4).astype("int64")
    return Dataset("toy", "classification", x_train, classes(x_train), x_val, classes(x_val), x_test, classes(x_test),
                   class_names=["low", "high"])


def stand_in_scorer_outputs(scorer, images):
    """(features, probabilities) of a scorer whose features are the pixels and whose class is first pixel > 0.4."""
    flat = np.asarray(images, "float64").reshape(len(images), -1)
    high = (flat[:, 0] > 0.4).astype("float64")
    return flat, np.stack([0.9 - 0.8 * high, 0.1 + 0.8 * high], axis=1)


@pytest.mark.parametrize("conditional", [False, True])
def test_gan_baselines_real_noise_and_mean_image_by_hand(conditional, tmp_path, monkeypatch):
    from gan import evaluation as gan_evaluation

    dataset = gan_dataset()
    shown = {}
    monkeypatch.setattr(gan_evaluation, "scorer_outputs", stand_in_scorer_outputs)
    monkeypatch.setattr(gan_evaluation, "generate", lambda generator, noise, labels=None:
                        np.tanh(noise[:, :4]).reshape(-1, 2, 2, 1).astype("float32"))
    monkeypatch.setattr(gan_evaluation.visualize, "plot_class_spread",
                        lambda fractions, path: shown.update(fractions))
    evaluation = gan_evaluation.evaluate_generator(None, dataset, None, latent_dim=4, conditional=conditional,
                                                   run_dir=tmp_path)
    count = len(dataset.x_val)
    reference = stand_in_scorer_outputs(None, dataset.x_test)[0]  # every score compares with the test split
    # The images of each baseline, made here: the validation split's real digits, uniform noise, and the mean
    # training image plus noise (the same generator, drawn in the same order).
    rng = np.random.default_rng(gan_evaluation.BASELINE_SEED)
    noise = rng.uniform(-1.0, 1.0, (count, 2, 2, 1))
    mean_image = np.clip(dataset.x_train.mean(axis=0) + gan_evaluation.MEAN_IMAGE_NOISE * rng.standard_normal(
        (count, 2, 2, 1)), -1, 1)
    by_hand = {"real": dataset.x_val[:count], "noise": noise, "mean_image": mean_image}
    for name, baseline_images in by_hand.items():
        features, probabilities = stand_in_scorer_outputs(None, baseline_images.astype("float32"))
        spread = gan_evaluation.class_spread(probabilities)
        assert evaluation.baselines[name]["fid"] == pytest.approx(
            gan_evaluation.frechet_distance(features, reference), rel=1e-5), name
        assert evaluation.baselines[name]["min_class_fraction"] == pytest.approx(spread["min_class_fraction"]), name
    # The real digits are the validation split's: 1 of 12 "high" here, 11 of 16 in the test split.
    real_fractions = gan_evaluation.class_spread(stand_in_scorer_outputs(None, dataset.x_val)[1])["class_fractions"]
    assert shown["real (validation split)"] == pytest.approx(real_fractions)
    assert evaluation.baselines["real"]["fid"] > 0.1  # the test split against itself would be 0
    if conditional:  # the classifier's own accuracy on the validation digits and their labels: 1 by construction
        assert evaluation.baselines["real"]["label_agreement"] == 1.0


def test_gan_mean_image_is_the_training_mean(monkeypatch):
    from gan.evaluation import MEAN_IMAGE_NOISE, baseline_images

    dataset = gan_dataset()
    made = baseline_images(dataset, 400)
    np.testing.assert_array_equal(made["real"], dataset.x_val)  # the validation split's real digits, all 12
    # 400 draws of the training mean plus N(0, 0.05^2): their mean is within 0.02 of the training mean (-0.3), far
    # from the validation (0.2) and test (0.6) means.
    np.testing.assert_allclose(made["mean_image"].mean(axis=0), dataset.x_train.mean(axis=0),
                               atol=4 * MEAN_IMAGE_NOISE / math.sqrt(400) + 1e-3)
    assert made["noise"].min() >= -1 and made["noise"].max() <= 1 and abs(float(made["noise"].mean())) < 0.05


def test_gan_scorer_learns_from_the_training_split_only(tmp_path, monkeypatch):
    """The classifier that judges generated and real digits is the ruler of every score: it is fitted on the
    training images and labels, never on validation or test."""
    import keras

    from gan import evaluation as gan_evaluation

    rng = np.random.default_rng(1)
    splits = [(rng.uniform(-1, 1, (n, 8, 8, 1)).astype("float32"), rng.integers(0, 2, n)) for n in (6, 4, 5)]
    dataset = Dataset("toy", "classification", *[array for split in splits for array in split],
                      class_names=["a", "b"])
    fitted_on = []
    monkeypatch.setattr(keras.Model, "fit", lambda self, x, y, **kwargs: fitted_on.append((x, y)))
    _, info = gan_evaluation.load_or_train_scorer(dataset, tmp_path, quick=True)
    assert info["trained_now"] and len(fitted_on) == 1
    np.testing.assert_array_equal(fitted_on[0][0], dataset.x_train)
    np.testing.assert_array_equal(fitted_on[0][1], dataset.y_train)
