"""Tests of common/forecasting.py, common/forecast_series.py, common/text.py and common/sequences.py: windows, time
splits, leakage, baselines, characters, data files.

    python -m pytest tests/test_common_sequences.py -q
"""

import math

import numpy as np
import pytest

from common import forecast_evaluation, forecast_series, forecasting, sequences, text
from common.datasets import DatasetUnavailableError


# ----------------------------------------------------------------------------------------------------------------
# Windows and splits


def test_make_windows_many_to_one_by_hand():
    x, y = forecasting.make_windows(np.arange(6.0), window=3)
    assert x.shape == (3, 3, 1) and y.shape == (3,)
    assert x[:, :, 0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert y.tolist() == [3, 4, 5]


def test_make_windows_many_to_many_is_the_input_shifted_by_one():
    x, y = forecasting.make_windows(np.arange(6.0), window=3, many_to_many=True)
    assert y.shape == (3, 3)
    assert y.tolist() == [[1, 2, 3], [2, 3, 4], [3, 4, 5]]
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:, 0])


def test_make_windows_only_the_chosen_targets():
    x, y = forecasting.make_windows(np.arange(10.0), window=2, target_indices=np.array([4, 7]))
    assert x[:, :, 0].tolist() == [[2, 3], [5, 6]] and y.tolist() == [4, 7]


@pytest.mark.parametrize("window", [0, -1, 6, 10])
def test_make_windows_rejects_a_window_that_cannot_fit(window):
    with pytest.raises(ValueError, match="--window"):
        forecasting.make_windows(np.arange(6.0), window=window)


def test_split_in_time_boundaries():
    split = forecasting.split_in_time(100, test_fraction=0.25, val_fraction=0.2)
    assert (split.val_start, split.test_start) == (60, 75)
    assert split.targets("train", first=5).tolist() == list(range(5, 60))
    assert split.targets("val", first=5).tolist() == list(range(60, 75))
    assert split.targets("test", first=5).tolist() == list(range(75, 100))


def test_a_validation_shift_moves_validation_and_the_end_of_training_earlier():
    split = forecasting.split_in_time(100, test_fraction=0.25, val_fraction=0.2, validation_shift=10)
    assert (split.val_start, split.val_stop, split.test_start) == (50, 65, 75)
    assert split.targets("train", first=5).tolist() == list(range(5, 50))
    assert split.targets("val", first=5).tolist() == list(range(50, 65))
    assert split.targets("test", first=5).tolist() == list(range(75, 100))  # the test part does not move
    for shift in (-1, 60):
        with pytest.raises(ValueError, match="--validation-shift"):
            forecasting.split_in_time(100, test_fraction=0.25, val_fraction=0.2, validation_shift=shift)


def test_transform_and_untransform_are_inverse():
    series = np.array([100.0, 110.0, 99.0, 120.0])
    for transform in forecasting.TRANSFORMS:
        lag = forecasting.transform_lag(transform, season=2)
        modelled = forecasting.transform_series(series, transform, season=2)
        assert np.isnan(modelled[:lag]).all() and not np.isnan(modelled[lag:]).any()
        restored = forecasting.untransform(modelled[lag:], series[:len(series) - lag], transform)
        np.testing.assert_allclose(restored, series[lag:])
    np.testing.assert_allclose(forecasting.transform_series(series, "difference")[1:], [10, -11, 21])
    np.testing.assert_allclose(forecasting.transform_series(series, "seasonal-log-difference", season=2)[2:],
                               [math.log(99 / 100), math.log(120 / 110)])
    with pytest.raises(ValueError, match="needs a seasonal series"):
        forecasting.transform_series(series, "seasonal-log-difference")
    with pytest.raises(ValueError, match="positive"):
        forecasting.transform_series(np.array([1.0, 0.0]), "log-difference")


def test_baselines_by_hand():
    series = np.arange(30.0) * 2
    targets = np.array([12, 20, 29])
    assert forecast_evaluation.persistence_forecast(series, targets).tolist() == [22, 38, 56]
    assert forecast_evaluation.seasonal_naive_forecast(series, targets, season=12).tolist() == [0, 16, 34]
    with pytest.raises(ValueError):
        forecast_evaluation.seasonal_naive_forecast(series, np.array([5]), season=12)


# ----------------------------------------------------------------------------------------------------------------
# Forecasting data sets: no test value is fitted on or trained on


def test_forecasting_split_never_trains_on_later_values():
    series = np.linspace(1.0, 200.0, 200) + np.sin(np.arange(200))
    dataset = forecasting.forecasting_dataset("toy", series, window=5, test_fraction=0.25, transform="none",
                                       many_to_many=True, source="test")
    split, indices = dataset.meta["split"], dataset.meta["target_indices"]
    assert indices["train"].max() < split.val_start <= indices["val"].min()
    assert indices["val"].max() < split.test_start == indices["test"].min() == 150
    # The scaler saw the training part only: its mean is that of values 0 .. val_start - 1.
    assert dataset.meta["target_scaler"].mean == pytest.approx(series[:split.val_start].mean())
    # Every training target (all steps of the many-to-many windows) lies before the validation part.
    restored = dataset.meta["target_scaler"].inverse_transform(dataset.y_train)
    assert restored.max() <= series[split.val_start - 1] + 1e-6
    assert dataset.x_test.shape == (50, 5, 1) and dataset.y_test.shape == (50, 5)


def test_forecasting_dataset_records_what_scoring_needs_and_refuses_a_window_longer_than_training():
    series = np.linspace(1.0, 40.0, 40)  # test from 30; validation from 30 - round(30 * 0.15) = 26
    dataset = forecasting.forecasting_dataset("toy", series, 3, 0.25, "none", False, "made here")
    assert dataset.name == "toy" and dataset.meta["split"] == forecasting.TimeSplit(26, 30, 30, 40)  # no shift
    assert {key: dataset.meta[key] for key in ("source", "many_to_many", "forecast")} == {
        "source": "made here", "many_to_many": False, "forecast": True}
    # "difference" has no value at index 0, so the training part holds 25 usable values: a window of 24 is the longest
    assert len(forecasting.forecasting_dataset("toy", series, 24, 0.25, "difference", False, "").y_train) == 1
    with pytest.raises(ValueError) as error:
        forecasting.forecasting_dataset("toy", series, 25, 0.25, "difference", False, "")
    assert str(error.value) == "--window 25 is too long: the training part of toy has only 26 values"


def test_no_targets_make_empty_windows_of_the_right_shape():
    none = np.array([], dtype=int)
    x, y = forecasting.make_windows(np.arange(10.0), 3, target_indices=none)
    assert (x.shape, x.dtype, y.shape) == ((0, 3, 1), np.float32, (0,))
    x, y = forecasting.make_windows(np.arange(10.0), 3, many_to_many=True, target_indices=none)
    assert (x.shape, y.shape, y.dtype) == ((0, 3, 1), (0, 3), np.float32)


def test_split_and_transform_refusals_in_words():
    for fraction in (0, 1, 1.5):
        with pytest.raises(ValueError) as error:
            forecasting.split_in_time(100, fraction)
        assert str(error.value) == f"test fraction must be between 0 and 1 (got {fraction})"
    assert forecasting.split_in_time(10, 0.5, val_fraction=0.01) == forecasting.TimeSplit(4, 5, 5, 10)  # at least 1
    with pytest.raises(ValueError) as error:
        forecasting.transform_lag("square-root")
    assert str(error.value) == ("--transform must be one of none, difference, log-difference, "
                                "seasonal-log-difference (got 'square-root')")
    with pytest.raises(ValueError) as error:
        forecasting.transform_lag("seasonal-log-difference", season=None)
    assert str(error.value) == "--transform seasonal-log-difference needs a seasonal series (airline: 12 months)"


def test_airline_with_a_validation_shift_scales_and_trains_on_the_earlier_months_only():
    plain, shifted = forecast_series.load_airline(), forecast_series.load_airline(validation_shift=12)
    before, after = plain.meta["target_indices"], shifted.meta["target_indices"]
    np.testing.assert_array_equal(after["val"], before["val"] - 12)
    np.testing.assert_array_equal(after["test"], before["test"])
    assert after["train"].max() < after["val"].min() and len(after["train"]) == len(before["train"]) - 12
    assert shifted.meta["target_scaler"].mean != plain.meta["target_scaler"].mean  # fitted on fewer months
    assert shifted.x_val.shape == plain.x_val.shape and shifted.x_test.shape == plain.x_test.shape


def test_airline_file_holds_the_box_jenkins_series():
    months, passengers = forecast_series.read_airline_passengers()
    assert len(passengers) == 144 and months[0] == "1949-01" and months[-1] == "1960-12"
    assert (passengers[0], passengers[-1], passengers.min(), passengers.max()) == (112, 432, 104, 622)
    assert passengers.sum() == 40363


def test_airline_dataset_splits_67_33_in_time_and_scores_against_the_right_months():
    dataset = forecast_series.load_airline(window=12, transform="log-difference")
    test_indices = dataset.meta["target_indices"]["test"]
    assert test_indices[0] == 96 and test_indices[-1] == 143 and len(dataset.x_test) == 48  # 1957-01 .. 1960-12
    assert dataset.meta["dates"][96] == "1957-01"
    # The last input of the first test window is the log change into December 1956, scaled.
    scaler = dataset.meta["target_scaler"]
    series = dataset.meta["series"]
    assert scaler.inverse_transform(dataset.x_test[0, -1, 0]) == pytest.approx(math.log(series[95] / series[94]),
                                                                               abs=1e-6)
    # The default models the log growth on the same month a year before (three months of it per window).
    seasonal = forecast_series.load_airline()
    assert seasonal.meta["lag"] == 12 and seasonal.x_train.shape[1:] == (3, 1)
    assert seasonal.meta["target_indices"]["train"][0] == 15  # 12 months for the first growth, 3 for the window
    assert seasonal.meta["target_scaler"].inverse_transform(seasonal.y_test[0]) == pytest.approx(
        math.log(series[96] / series[84]), abs=1e-6)


def test_sine_noise_floor_is_the_noise():
    dataset = forecast_series.load_sine(window=10, num_points=4000, noise=0.2)
    clean, noisy = dataset.meta["clean"], dataset.meta["series"]
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)
    assert len(dataset.x_test) == 1000  # the last quarter


def test_stock_prices_from_matplotlib():
    dataset = forecast_series.load_stock(window=30)
    assert len(dataset.meta["series"]) == 1047
    assert dataset.meta["dates"][0] == "2004-08-19" and dataset.meta["dates"][-1] == "2008-10-14"
    assert dataset.meta["series"][0] == pytest.approx(100.34)


def test_adding_problem_targets_match_their_definition():
    x, y = sequences.make_adding_problem(num_samples=200, sequence_length=20)
    assert x.shape == (200, 20, 2)
    markers = x[:, :, 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :10].sum(axis=1) == 1) and np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[:, :, 0] * markers).sum(axis=1), rtol=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# Text


def test_char_vocabulary_round_trip_and_unknown_characters():
    vocabulary = text.CharVocabulary.from_text("hello world")
    assert vocabulary.decode(vocabulary.encode("hello")) == "hello"
    assert vocabulary.encode("z").tolist() == [0]
    assert len(vocabulary) == len(set("hello world")) + 1


def test_unigram_bits_per_char_by_hand():
    # Training counts a:3 b:1, plus one each (Laplace) -> p(a) = 4/6, p(b) = 2/6.
    bits = text.unigram_bits_per_char(np.array([0, 0, 0, 1]), np.array([0, 1]), vocab_size=2)
    assert bits == pytest.approx(-(math.log2(4 / 6) + math.log2(2 / 6)) / 2)
    # a third character, never in training, still gets its one: counts 3+1, 1+1, 0+1 -> p(a) = 4/7
    assert text.unigram_bits_per_char(np.array([0, 0, 0, 1]), np.array([0]), vocab_size=3) == pytest.approx(
        -math.log2(4 / 7))


def test_bits_per_char_of_a_uniform_model_is_log2_of_the_vocabulary():
    probabilities = np.full((3, 4, 8), 1 / 8)
    assert text.bits_per_char(probabilities, np.zeros((3, 4), int)) == pytest.approx(3.0)
    certain_and_wrong = np.array([[0.0, 1.0], [1.0, 0.0]])  # p(true) = 0, then 1: clipped at 1e-12, not infinite
    assert text.bits_per_char(certain_and_wrong, np.array([0, 0])) == pytest.approx(-math.log2(1e-12) / 2)


def test_temperature_sharpens_and_flattens():
    p = np.array([0.6, 0.3, 0.1])
    cold, hot = text.apply_temperature(p, 0.2), text.apply_temperature(p, 5.0)
    np.testing.assert_allclose(text.apply_temperature(p, 1.0), p)
    assert cold[0] > 0.95 and np.ptp(hot) < np.ptp(p)
    with pytest.raises(ValueError, match="above 0"):
        text.apply_temperature(p, 0.0)
    rows = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])  # each row its own distribution: p^2 / sum(p^2) at T = 0.5
    np.testing.assert_allclose(text.apply_temperature(rows, 0.5), rows ** 2 / (rows ** 2).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(text.apply_temperature(p, 0.001), [1.0, 0.0, 0.0], atol=1e-12)  # the likeliest only


def test_sample_characters_follows_the_predicted_distribution():
    def always_two(ids):  # a "model" certain that the next id is 2
        return np.tile([0.0, 0.0, 1.0], (len(ids), 1))

    fed = []

    def always_two_after_recording(new_ids):
        fed.append(new_ids.tolist())
        return always_two(new_ids)

    samples = text.sample_characters(always_two_after_recording, np.array([1, 4]), length=3,
                                          temperatures=[0.5, 1.0])
    assert [s.tolist() for s in samples] == [[2] * 3, [2] * 3] and samples[0].dtype == np.int32
    uniform = lambda ids: np.full((len(ids), 5), 0.2)  # noqa: E731
    first = text.sample_characters(uniform, np.array([1]), length=20, temperatures=[1.0])
    assert np.array_equal(first[0], text.sample_characters(uniform, np.array([1]), 20, [1.0], seed=0)[0])
    assert not np.array_equal(first[0], text.sample_characters(uniform, np.array([1]), 20, [1.0], seed=1)[0])
    # The prompt goes in once, then only each row's newest character: the model keeps its own state.
    assert fed == [[[1, 4], [1, 4]], [[2], [2]], [[2], [2]]]


def test_text_dataset_python_docs_split_and_baseline():
    from pydoc_data.topics import topics

    dataset = text.load_text(window=100)  # python-docs, the default
    vocabulary = dataset.meta["vocabulary"]
    assert dataset.meta["characters"] > 400_000
    assert dataset.meta["characters"] == sum(len(topic) for topic in topics.values())  # the topics, nothing between
    assert (dataset.name, dataset.class_names, dataset.x_train.dtype) == ("text", vocabulary.chars, np.int32)
    assert {key: dataset.meta[key] for key in ("corpus", "source", "vocab_size")} == {
        "corpus": "python-docs", "source": "Python's pydoc_data.topics (help topic texts)",
        "vocab_size": len(vocabulary)}
    assert dataset.x_train.shape[1:] == (100,) and dataset.task == "generation"
    np.testing.assert_array_equal(dataset.y_train[:, :-1], dataset.x_train[:, 1:])
    assert len(dataset.x_test) == pytest.approx(len(dataset.x_train) / 8, rel=0.02)  # 10% against 80%
    bits = text.unigram_bits_per_char(dataset.y_train, dataset.y_test, len(vocabulary))
    assert 4.4 < bits < 5.0  # about 4.69 bits per character


def test_text_corpus_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match="empty"):
        text.load_text(str(empty))
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(ValueError, match="UTF-8"):
        text.load_text(str(binary))
    with pytest.raises(ValueError) as error:
        text.load_text(str(tmp_path / "missing.txt"))
    assert str(error.value) == (f"--corpus must be python-docs or shakespeare or a text file; "
                                f"{str(tmp_path / 'missing.txt')!r} is neither")
    with pytest.raises(ValueError, match="a text of 5 characters is too short for --window 10"):
        text.chunk_text(np.arange(5), 10)
    short = tmp_path / "short.txt"
    short.write_text("abcdefghij" * 10)
    with pytest.raises(ValueError, match="too long"):
        text.load_text(str(short), window=50)


def test_shakespeare_offline_is_a_dataset_error(monkeypatch, tmp_path):
    import keras

    def no_network(*args, **kwargs):
        raise OSError("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(DatasetUnavailableError) as error:
        text.load_text("shakespeare")
    assert str(error.value).startswith("could not download the shakespeare corpus")
    assert "no network" in str(error.value)
    assert str(error.value).endswith("use --corpus python-docs or --corpus PATH to a UTF-8 text file")


def test_shakespeare_uses_the_cached_copy(monkeypatch, tmp_path):
    import keras

    cached = tmp_path / "shakespeare.txt"
    cached.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n" * 200)
    asked = []
    monkeypatch.setattr(keras.utils, "get_file", lambda name, origin, **kwargs: asked.append((name, origin)) or cached)
    dataset = text.load_text("shakespeare", window=20)
    assert dataset.meta["vocabulary"].decode(dataset.x_train[0][:5]) == "First"
    assert asked == [("shakespeare.txt", text.SHAKESPEARE_URL)]  # one file in Keras' cache, downloaded once
    assert dataset.meta["source"] == f"Tiny Shakespeare ({text.SHAKESPEARE_URL})"


def test_the_character_vocabulary_comes_from_the_training_part_only(tmp_path):
    # 'Z' appears only in the last tenth (the test part): it must not be in the vocabulary, and reads as id 0 there
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\n" * 90 + "ZZZZ the cat\n" * 10, encoding="utf-8")
    dataset = text.load_text(str(corpus), window=8)
    vocabulary = dataset.meta["vocabulary"]
    assert dataset.meta["source"] == str(corpus)
    assert "Z" not in vocabulary.chars and set(vocabulary.chars) >= set("the cat sat on mat\n")
    assert (dataset.x_test == 0).sum() > 0 and (dataset.x_train == 0).sum() == 0 and (dataset.x_val == 0).sum() == 0


# ----------------------------------------------------------------------------------------------------------------
# Generation: the stateful copy reads one character per step as the model reads the whole text so far


def tiny_character_model(kind: str, vocabulary_size: int = 5):
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    states = getattr(layers, kind)(6, return_sequences=True)(layers.Embedding(vocabulary_size, 4)(inputs))
    return keras.Model(inputs, layers.Dense(vocabulary_size, activation="softmax")(states))


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_the_stateful_copy_reads_one_step_at_a_time_as_the_model_reads_the_whole_text(kind):
    import keras

    model = tiny_character_model(kind)
    ids = np.array([[1, 2, 3, 4, 0, 2], [4, 4, 1, 0, 3, 3]], dtype="int32")
    whole = model.predict(ids, verbose=0)  # (2, 6, 5): every step's next-character probabilities
    copy = text.stateful_copy(model, batch_size=2)
    assert [layer.stateful for layer in copy.layers if isinstance(layer, getattr(keras.layers, kind))] == [True]
    prompt = keras.ops.convert_to_numpy(copy(ids[:, :3], training=False))  # the prompt, then one id per call
    steps = [keras.ops.convert_to_numpy(copy(ids[:, t:t + 1], training=False))[:, -1] for t in range(3, 6)]
    np.testing.assert_allclose(prompt, whole[:, :3], atol=1e-5)
    np.testing.assert_allclose(np.stack(steps, axis=1), whole[:, 3:], atol=1e-5)


def test_write_samples_writes_what_sampling_the_whole_model_gives(tmp_path):
    model = tiny_character_model("GRU")
    vocabulary = text.CharVocabulary.from_text("abcd")  # ids 1-4, 0 unknown: the model's 5 outputs
    path = text.write_samples(model, vocabulary, "ab", [0.5, 1.0], length=8, seed=3, path=tmp_path / "samples.txt")
    fed = []  # the prompt, then one sampled id per row and step

    def predict_next(new_ids):  # the full model over everything fed so far: slower, and the same numbers
        fed.append(new_ids)
        return model.predict(np.concatenate(fed, axis=1), verbose=0)[:, -1, :]

    expected = text.sample_characters(predict_next, vocabulary.encode("ab"), 8, [0.5, 1.0], seed=3)
    assert path.read_text() == (f"--- temperature 0.5 ---\nab{vocabulary.decode(expected[0])}\n\n"
                                f"--- temperature 1 ---\nab{vocabulary.decode(expected[1])}\n")


def test_the_text_writer_of_a_run_folder_writes_what_sampling_the_whole_model_gives(tmp_path):
    """TextWriter.from_run: model.keras and inputs.json's vocabulary; each text starts from a fresh state, and the
    same seed gives the same text."""
    import json

    model = tiny_character_model("LSTM")
    vocabulary = text.CharVocabulary.from_text("abcd")
    model.save(tmp_path / "model.keras")
    (tmp_path / "inputs.json").write_text(json.dumps({"vocabulary": vocabulary.chars}))
    writer = text.TextWriter.from_run(tmp_path)
    fed = []

    def predict_next(new_ids):
        fed.append(new_ids)
        return model.predict(np.concatenate(fed, axis=1), verbose=0)[:, -1, :]

    expected = vocabulary.decode(text.sample_characters(predict_next, vocabulary.encode("ab"), 10, [0.8], 7)[0])
    assert writer.write("ab", length=10, temperature=0.8, seed=7) == expected and len(expected) == 10
    assert writer.write("ab", length=10, temperature=0.8, seed=7) == expected  # the state was reset
    assert writer.write("ab", length=10, temperature=0.8, seed=8) != expected


def test_a_network_without_state_reads_its_last_window_again_at_every_step(tmp_path):
    """A model with no recurrent layer (a causal convolution over 6 ids; a transformer) keeps nothing between calls:
    NextCharacter feeds it the last `window` ids each step, and TextWriter.from_run takes the window from
    inputs.json."""
    import json

    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Conv1D(6, 6, padding="causal", activation="relu")(layers.Embedding(5, 4)(inputs))  # sees 6 ids
    model = keras.Model(inputs, layers.Dense(5, activation="softmax")(x))
    vocabulary = text.CharVocabulary.from_text("abcd")
    model.save(tmp_path / "model.keras")
    (tmp_path / "inputs.json").write_text(json.dumps({"vocabulary": vocabulary.chars, "window": 4}))
    writer = text.TextWriter.from_run(tmp_path)
    assert not writer.next_character.recurrent and writer.next_character.window == 4
    fed = []

    def predict_next(new_ids):  # the model over the last four ids fed so far
        fed.append(new_ids)
        return model.predict(np.concatenate(fed, axis=1)[:, -4:], verbose=0)[:, -1, :]

    expected = vocabulary.decode(text.sample_characters(predict_next, vocabulary.encode("abcab"), 12, [0.9], 2)[0])
    assert writer.write("abcab", length=12, temperature=0.9, seed=2) == expected
    assert writer.write("abcab", length=12, temperature=0.9, seed=2) == expected  # what it read was forgotten
    # A window that starts with a whole prompt: the first step reads the prompt's last four characters only.
    reader = text.NextCharacter(model, batch_size=1, window=4)
    first = reader(vocabulary.encode("dabcab")[None, :])
    np.testing.assert_allclose(first, model.predict(vocabulary.encode("bcab")[None, :], verbose=0)[:, -1], atol=1e-6)


def test_evaluate_text_scores_by_hand_and_writes_the_samples(tmp_path):
    from common.datasets import Dataset

    model = tiny_character_model("GRU")
    vocabulary = text.CharVocabulary.from_text("abcd")
    rng = np.random.default_rng(0)
    x_train, x_val, x_test, y_val, y_test = (rng.integers(0, 5, size=(3, 6)).astype("int32") for _ in range(5))
    y_train = np.array([[1, 1, 2, 1, 3, 1]] * 3, dtype="int32")  # 'a' (id 1) the most frequent training character
    dataset = Dataset("text", "generation", x_train, y_train, x_val, y_val, x_test, y_test,
                      class_names=vocabulary.chars, meta={"vocabulary": vocabulary})
    scores = text.evaluate_text(model, dataset, tmp_path, "ab", [0.5, 1.0], sample_length=30, seed=4)

    def expected(x, y):  # -log2 of the probability given to each true next character, and the likeliest one's hits
        probabilities = model.predict(x, verbose=0)
        bits = -np.mean(np.log2(np.take_along_axis(probabilities, y[..., None], axis=-1)))
        return {"loss": pytest.approx(bits * math.log(2)), "bits_per_char": pytest.approx(bits),
                "accuracy": pytest.approx(np.mean(probabilities.argmax(axis=-1) == y))}

    assert scores.test == expected(x_test, y_test) and scores.validation == expected(x_val, y_val)
    unigram = text.unigram_bits_per_char(y_train, y_test, 5)
    assert scores.baselines == {"unigram": {"loss": pytest.approx(unigram * math.log(2)), "bits_per_char": unigram,
                                            "accuracy": pytest.approx(np.mean(y_test == 1))}}
    again = text.write_samples(model, vocabulary, "ab", [0.5, 1.0], 30, 4, tmp_path / "again.txt")
    samples = (tmp_path / "samples.txt").read_text()
    assert samples == again.read_text() and len(samples.split("\n\n")[0]) == len("--- temperature 0.5 ---\nab") + 30


def test_temperature_keeps_each_row_its_own_even_at_a_tiny_temperature():
    # A certain row beside a uniform one: at T = 0.001 the uniform row's logits are about -1,100 below the certain
    # row's, so a maximum taken over both rows (not per row) would leave exp() nothing but zeros there.
    rows = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(text.apply_temperature(rows, 0.001), [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])


def test_a_corpus_needs_more_than_one_window_in_each_tenth(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abcdefghij" * 10, encoding="utf-8")  # 100 characters: parts of 80, 10 and 10
    with pytest.raises(ValueError, match=r"^--window 10 is too long for a corpus of 100 characters "):
        text.load_text(str(corpus), window=10)  # a tenth of exactly one window has no next character to predict
    assert len(text.load_text(str(corpus), window=9).x_test) == 1


def test_samples_are_drawn_from_the_model_in_inference_mode(tmp_path):
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    states = layers.GRU(6, return_sequences=True)(layers.Embedding(5, 4)(inputs))
    sharp = keras.initializers.RandomNormal(stddev=20.0, seed=1)  # outputs far from uniform: dropout would show
    outputs = layers.Dense(5, activation="softmax", kernel_initializer=sharp)(layers.Dropout(0.7)(states))
    model = keras.Model(inputs, outputs)
    vocabulary = text.CharVocabulary.from_text("abcd")
    path = text.write_samples(model, vocabulary, "ab", [1.0, 2.0], length=12, seed=5, path=tmp_path / "samples.txt")
    fed = []

    def predict_next(new_ids):
        fed.append(new_ids)
        return model.predict(np.concatenate(fed, axis=1), verbose=0)[:, -1, :]

    expected = text.sample_characters(predict_next, vocabulary.encode("ab"), 12, [1.0, 2.0], seed=5)
    assert path.read_text() == (f"--- temperature 1 ---\nab{vocabulary.decode(expected[0])}\n\n"
                                f"--- temperature 2 ---\nab{vocabulary.decode(expected[1])}\n")
