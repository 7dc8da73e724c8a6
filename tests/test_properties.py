"""Property-based tests (hypothesis) of the data invariants every sequence folder relies on, for any input allowed:

- a transform and its inverse: a series taken through transform_series and back through untransform, with the value
  the transform's documented lag back, is the series again; the standardizer's inverse undoes it;
- windows: every window's target is the value right after its inputs (many-to-many: the inputs shifted by one);
- time splits: train, validation and test are in time order, disjoint, cover the series, and test comes last; a
  training window never reads a later part, and the scaler and the training windows do not change when the later
  values do;
- the character vocabulary: decode(encode(text)) is the text, a character unseen in training is id 0 and comes back as
  the replacement character, and only the training part of a corpus makes the vocabulary; the character windows are
  the text cut in order, the target the input shifted by one;
- padding and masks (common/pairs.py): a padded row keeps its sequence, and the mask (id != 0) marks exactly its real
  tokens, unknown tokens included; the pairs split 80/10/10 without loss or overlap;
- the adding problem: one marker in each half, and the target is the sum of the two marked values.

Each test fails when its invariant breaks: an off-by-one window, a split that leaks, an inverse that forgets a step.
Examples are bounded and no example database is kept, so the file runs in a few seconds.

    python -m pytest tests/test_properties.py -q -n 0
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from common import forecasting, sequences, text
from common import pairs as pairs_data

BOUNDED = settings(max_examples=40, deadline=None, database=None)
# The documented lag of each transform: how many steps back lies the value it compares with.
DOCUMENTED_LAG = {"none": 0, "difference": 1, "log-difference": 1}


def lag_of(transform: str, season: int) -> int:
    return season if transform == "seasonal-log-difference" else DOCUMENTED_LAG[transform]


positive_values = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
any_values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# ----------------------------------------------------------------------------------------------------------------
# Transforms and their inverse


@BOUNDED
@given(transform=st.sampled_from(forecasting.TRANSFORMS), season=st.integers(2, 12), data=st.data())
def test_untransform_undoes_transform_series_with_the_value_a_lag_back(transform, season, data):
    values = positive_values if "log" in transform else any_values
    series = np.array(data.draw(st.lists(values, min_size=season + 1, max_size=60)))
    lag = lag_of(transform, season)
    assert forecasting.transform_lag(transform, season) == lag
    modelled = forecasting.transform_series(series, transform, season)
    assert modelled.shape == series.shape
    assert np.isnan(modelled[:lag]).all() and np.isfinite(modelled[lag:]).all()
    restored = forecasting.untransform(modelled[lag:], series[:len(series) - lag], transform)
    np.testing.assert_allclose(restored, series[lag:], rtol=1e-9, atol=1e-9 * np.abs(series).max())


@BOUNDED
@given(transform=st.sampled_from(["log-difference", "seasonal-log-difference"]),
       series=st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=13, max_size=40), position=st.integers(0, 12))
def test_a_log_transform_refuses_a_series_that_is_not_positive(transform, series, position):
    series[position] = -abs(series[position])  # zero or below
    with pytest.raises(ValueError, match="positive values"):
        forecasting.transform_series(np.array(series), transform, season=12)


@BOUNDED
@given(values=st.lists(any_values, min_size=1, max_size=60))
def test_the_standardizer_inverse_undoes_its_transform_and_centres_what_it_was_fitted_on(values):
    values = np.array(values)
    scaler = forecasting.Standardizer.fit(values)
    scaled = scaler.transform(values)
    np.testing.assert_allclose(scaler.inverse_transform(scaled), values, rtol=1e-9,
                               atol=1e-9 * (1 + np.abs(values).max()))
    spread = values.std()
    assume(spread == 0 or spread > 1e-6 * (1 + np.abs(values).max()))  # beyond rounding error
    assert scaled.mean() == pytest.approx(0, abs=1e-6)
    assert scaled.std() == pytest.approx(1 if spread > 0 else 0, abs=1e-6)
    if spread == 0:  # a constant training part is only centred: a later value one above it scales to 1, not to 1e9
        np.testing.assert_allclose(scaler.transform(values + 1), 1)


# ----------------------------------------------------------------------------------------------------------------
# Windows and time splits


@BOUNDED
@given(length=st.integers(2, 40), features=st.integers(1, 3), many_to_many=st.booleans(), data=st.data())
def test_every_window_target_is_the_value_right_after_its_inputs(length, features, many_to_many, data):
    values = np.arange(length * features, dtype="float32").reshape(length, features)  # every value tells its place
    window = data.draw(st.integers(1, length - 1))
    chosen = data.draw(st.none() | st.lists(st.integers(window, length - 1), max_size=10))
    indices = None if chosen is None else np.array(chosen, dtype="int64")
    x, y = forecasting.make_windows(values, window, many_to_many, indices)
    targets = np.arange(window, length) if indices is None else indices
    assert x.shape == (len(targets), window, features)
    assert y.shape == ((len(targets), window) if many_to_many else (len(targets),))
    for row, t in enumerate(targets):
        np.testing.assert_array_equal(x[row], values[t - window:t])
        if many_to_many:  # one step ahead of the inputs at every position, ending with the target
            np.testing.assert_array_equal(y[row], values[t - window + 1:t + 1, 0])
        else:
            assert y[row] == values[t, 0]


@BOUNDED
@given(length=st.integers(2, 40), excess=st.integers(0, 5))
def test_a_window_as_long_as_the_series_is_refused(length, excess):
    with pytest.raises(ValueError, match="too long"):
        forecasting.make_windows(np.zeros(length), length + excess)


@BOUNDED
@given(length=st.integers(20, 2000), test_fraction=st.floats(0.05, 0.5), val_fraction=st.floats(0.05, 0.5),
       data=st.data())
def test_time_splits_are_in_order_disjoint_cover_the_series_and_end_with_test(length, test_fraction, val_fraction,
                                                                               data):
    unshifted = forecasting.split_in_time(length, test_fraction, val_fraction)
    shift = data.draw(st.integers(0, unshifted.val_start - 1))
    split = forecasting.split_in_time(length, test_fraction, val_fraction, validation_shift=shift)
    train, val, test = (split.targets(part, first=0) for part in ("train", "val", "test"))
    assert split.length == length and len(train) > 0 and len(val) > 0 and len(test) > 0
    assert abs(len(test) - length * test_fraction) <= 0.5 + 1e-9  # the last test_fraction of the series
    np.testing.assert_array_equal(test, np.arange(length - len(test), length))  # test comes last, and stays put
    np.testing.assert_array_equal(test, unshifted.targets("test", first=0))
    assert len(val) == len(unshifted.targets("val", first=0))  # a shift moves validation, it does not resize it
    gap = np.arange(val[-1] + 1, test[0])  # used by neither: the steps a validation shift leaves out
    assert len(gap) == shift
    # In time order, disjoint, and together the whole series: train | val | (gap) | test.
    np.testing.assert_array_equal(np.concatenate([train, val, gap, test]), np.arange(length))
    first = data.draw(st.integers(0, length))
    for part, indices in (("train", train), ("val", val), ("test", test)):
        np.testing.assert_array_equal(split.targets(part, first), indices[indices >= first])


@BOUNDED
@given(length=st.integers(20, 200), excess=st.integers(0, 50))
def test_a_validation_shift_into_the_start_of_the_series_is_refused(length, excess):
    val_start = forecasting.split_in_time(length, 0.25).val_start
    with pytest.raises(ValueError, match="--validation-shift"):
        forecasting.split_in_time(length, 0.25, validation_shift=val_start + excess)


forecast_settings = st.fixed_dictionaries({
    "length": st.integers(40, 120), "window": st.integers(1, 6), "transform": st.sampled_from(forecasting.TRANSFORMS),
    "season": st.integers(2, 12), "many_to_many": st.booleans(), "shift": st.integers(0, 8),
    "test_fraction": st.sampled_from([0.25, 0.33])})


def forecast_dataset(series, options):
    return forecasting.forecasting_dataset("property", series, options["window"], options["test_fraction"],
                                           options["transform"], options["many_to_many"], source="hypothesis",
                                           season=options["season"], validation_shift=options["shift"])


def fits(options) -> bool:
    """Whether the window and the shift fit the training part (the loader refuses them otherwise)."""
    split = forecasting.split_in_time(options["length"], options["test_fraction"])
    lag = lag_of(options["transform"], options["season"])
    return options["shift"] < split.val_start and options["window"] < split.val_start - options["shift"] - lag


@BOUNDED
@given(options=forecast_settings, data=st.data())
def test_forecast_windows_read_the_steps_before_their_target_and_train_never_reads_a_later_part(options, data):
    assume(fits(options))
    series = np.array(data.draw(st.lists(positive_values, min_size=options["length"], max_size=options["length"])))
    dataset = forecast_dataset(series, options)
    split, indices, lag, window = dataset.meta["split"], dataset.meta["target_indices"], dataset.meta["lag"], \
        options["window"]
    assert lag == lag_of(options["transform"], options["season"])
    # Every target in its own part; the training windows, inputs and target, lie wholly before validation.
    np.testing.assert_array_equal(indices["train"], np.arange(lag + window, split.val_start))
    np.testing.assert_array_equal(indices["val"], np.arange(split.val_start, split.val_stop))
    np.testing.assert_array_equal(indices["test"], np.arange(split.test_start, len(series)))
    assert split.val_start <= split.val_stop <= split.test_start

    def original_units(scaled, targets):  # what the dataset holds, taken back through the scaler and the transform
        change = dataset.meta["target_scaler"].inverse_transform(scaled)
        return forecasting.untransform(change, series[targets - lag], options["transform"])

    atol = 1e-5 * series.max()  # the windows are float32: a difference is exact to about 1e-7 of its size

    for part, x, y in (("train", dataset.x_train, dataset.y_train), ("val", dataset.x_val, dataset.y_val),
                       ("test", dataset.x_test, dataset.y_test)):
        targets = indices[part]
        assert len(x) == len(y) == len(targets)
        for offset in range(window):  # input `offset` of each window is the value window - offset steps before
            steps = targets - window + offset
            np.testing.assert_allclose(original_units(x[:, offset, 0], steps), series[steps], rtol=1e-4, atol=atol)
        last = y[:, -1] if options["many_to_many"] else y
        np.testing.assert_allclose(original_units(last, targets), series[targets], rtol=1e-4, atol=atol)
        if options["many_to_many"]:  # every step one ahead of the inputs
            np.testing.assert_array_equal(y[:, :-1], x[:, 1:, 0])


@BOUNDED
@given(options=forecast_settings, data=st.data())
def test_later_values_change_neither_the_scaler_nor_the_training_windows(options, data):
    assume(fits(options))
    length = options["length"]
    series = np.array(data.draw(st.lists(positive_values, min_size=length, max_size=length)))
    before = forecast_dataset(series, options)
    split = before.meta["split"]
    changed = series.copy()
    start = data.draw(st.integers(split.val_start, length - 1))  # anything from the validation part on
    changed[start:] = data.draw(st.lists(positive_values, min_size=length - start, max_size=length - start))
    after = forecast_dataset(changed, options)
    assert after.meta["target_scaler"] == before.meta["target_scaler"]  # fitted on the training part only
    np.testing.assert_array_equal(after.x_train, before.x_train)
    np.testing.assert_array_equal(after.y_train, before.y_train)
    if start >= split.test_start:  # a test value is never a validation input or target either
        np.testing.assert_array_equal(after.x_val, before.x_val)
        np.testing.assert_array_equal(after.y_val, before.y_val)


# ----------------------------------------------------------------------------------------------------------------
# Characters: the vocabulary, the windows and the corpus split


# Any characters, with a few common ones and the unknown mark itself drawn often, so that texts share characters.
# (A list joined: st.text would merge the two alphabets and draw the few from the whole of Unicode.)
some_text = st.lists(st.sampled_from(["a", "b", " ", "\n", text.CharVocabulary.UNKNOWN]) | st.characters(),
                     max_size=80).map("".join)


@BOUNDED
@given(training=some_text, other=some_text)
def test_the_character_vocabulary_round_trips_and_maps_unseen_characters_to_id_0(training, other):
    vocabulary = text.CharVocabulary.from_text(training)
    unknown = text.CharVocabulary.UNKNOWN
    assert vocabulary.chars[0] == unknown and len(vocabulary) == len(set(training) - {unknown}) + 1
    assert vocabulary.chars[1:] == sorted(set(training) - {unknown})  # each character once, in a fixed order
    ids = vocabulary.encode(training)
    assert ids.dtype == np.int32 and ids.shape == (len(training),)
    assert vocabulary.decode(ids) == training
    assert all((i == 0) == (char == unknown) for i, char in zip(ids, training))  # only the unknown mark is id 0
    other_ids = vocabulary.encode(other)
    seen = set(training)
    assert [int(i) == 0 for i in other_ids] == [char not in seen or char == unknown for char in other]
    assert vocabulary.decode(other_ids) == "".join(char if char in seen else unknown for char in other)


@BOUNDED
@given(ids=st.lists(st.integers(0, 50), min_size=2, max_size=200), data=st.data())
def test_character_windows_cut_the_text_in_order_with_targets_shifted_by_one(ids, data):
    window = data.draw(st.integers(1, len(ids) - 1))
    ids = np.array(ids, dtype="int32")
    x, y = text.chunk_text(ids, window)
    count = (len(ids) - 1) // window
    assert x.shape == y.shape == (count, window)
    np.testing.assert_array_equal(x.ravel(), ids[:count * window])  # pieces in order, none overlapping
    np.testing.assert_array_equal(y.ravel(), ids[1:count * window + 1])  # each the next character


corpus_text = st.text(alphabet="abcdefgh ,.\n\N{REPLACEMENT CHARACTER}é", min_size=40, max_size=300)


@BOUNDED
@given(corpus=corpus_text, window=st.integers(1, 8), data=st.data())
def test_a_corpus_splits_in_order_and_only_its_training_part_makes_the_vocabulary(corpus, window, data,
                                                                                    tmp_path_factory):
    val_start, test_start = int(len(corpus) * 0.8), int(len(corpus) * 0.9)
    assume(corpus.strip() and min(val_start, test_start - val_start, len(corpus) - test_start) > window)
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "corpus.txt"
    path.write_text(corpus, encoding="utf-8", newline="")
    dataset = text.load_text(str(path), window)
    vocabulary = dataset.meta["vocabulary"]
    assert vocabulary.chars == text.CharVocabulary.from_text(corpus[:val_start]).chars
    for x, y, part in ((dataset.x_train, dataset.y_train, corpus[:val_start]),
                       (dataset.x_val, dataset.y_val, corpus[val_start:test_start]),
                       (dataset.x_test, dataset.y_test, corpus[test_start:])):
        used = x.size  # the pieces of each part in order, each target the next character
        np.testing.assert_array_equal(x.ravel(), vocabulary.encode(part[:used]))
        np.testing.assert_array_equal(y.ravel(), vocabulary.encode(part[1:used + 1]))
    # New characters after the training part leave the vocabulary and the training windows as they were.
    later = data.draw(st.text(alphabet="xyz0123", min_size=len(corpus) - val_start, max_size=len(corpus) - val_start))
    path.write_text(corpus[:val_start] + later, encoding="utf-8", newline="")
    changed = text.load_text(str(path), window)
    assert changed.meta["vocabulary"].chars == vocabulary.chars
    np.testing.assert_array_equal(changed.x_train, dataset.x_train)
    np.testing.assert_array_equal(changed.y_train, dataset.y_train)
    assert (changed.x_test == 0).all()  # every test character is new: id 0, the unknown character


# ----------------------------------------------------------------------------------------------------------------
# Padding and masks of the sequence-to-sequence pairs


# Word-level tokens, among them words that spell a special token (a pairs file may hold "<end>"): still real tokens.
token_lists = st.lists(st.sampled_from(list("abcdef") + ["<end>", "<pad>", "word", "z"]), max_size=12)


@BOUNDED
@given(training=st.lists(token_lists, min_size=1, max_size=8),
       token_sequences=st.lists(token_lists, min_size=1, max_size=8), room=st.integers(0, 4))
def test_padding_keeps_each_sequence_and_the_mask_marks_exactly_its_tokens(training, token_sequences, room):
    vocabulary = pairs_data.TokenVocabulary.from_sequences(training)
    assert vocabulary.tokens[:4] == pairs_data.SPECIAL_TOKENS
    known = set(vocabulary.tokens[4:])
    encoded = [vocabulary.encode(tokens) for tokens in token_sequences]
    length = max(len(ids) for ids in encoded) + room
    padded = pairs_data.pad(encoded, length)
    assert padded.shape == (len(token_sequences), length) and padded.dtype == np.int32
    mask = padded != pairs_data.PAD_ID  # what the encoder masks: ops.not_equal(source, 0)
    for row, tokens in enumerate(token_sequences):
        assert mask[row].tolist() == [True] * len(tokens) + [False] * (length - len(tokens))
        assert padded[row, :len(tokens)].tolist() == encoded[row]
        expected = [token if token in known else pairs_data.UNKNOWN for token in tokens]
        assert vocabulary.decode(padded[row]) == expected  # padding decodes to nothing
        # A target row, <start> tokens <end>: decoding skips <start> and stops at <end>, whatever follows it.
        target = [pairs_data.START_ID] + encoded[row] + [pairs_data.END_ID] + encoded[row]
        assert vocabulary.decode(pairs_data.pad([target], len(target) + room)[0]) == expected


@BOUNDED
@given(pairs=st.lists(st.tuples(st.text(alphabet="abcde", min_size=1, max_size=6),
                                st.text(alphabet="vwxyz", min_size=1, max_size=6)), min_size=10, max_size=40))
def test_pairs_split_80_10_10_without_loss_or_overlap_and_pad_with_masks(pairs):
    # Each pair ends with a character of its own, so that every validation and test pair holds one training never saw.
    pairs = [(source + chr(0x100 + i), target + chr(0x200 + i)) for i, (source, target) in enumerate(pairs)]
    dataset = pairs_data.seq2seq_dataset("property", pairs, "char", "hypothesis")
    split_pairs = dataset.meta["pairs"]
    held_out = len(pairs) // 10
    assert [len(split_pairs[part]) for part in ("train", "val", "test")] == \
        [len(pairs) - 2 * held_out, held_out, held_out]
    assert sorted(split_pairs["train"] + split_pairs["val"] + split_pairs["test"]) == sorted(pairs)
    source_vocabulary, target_vocabulary = dataset.meta["source_vocabulary"], dataset.meta["target_vocabulary"]
    assert set(source_vocabulary.tokens[4:]) == {char for source, _ in split_pairs["train"] for char in source}
    assert set(target_vocabulary.tokens[4:]) == {char for _, target in split_pairs["train"] for char in target}
    for part in ("train", "val", "test"):
        x, y = getattr(dataset, f"x_{part}"), getattr(dataset, f"y_{part}")
        for row, (source, target) in enumerate(split_pairs[part]):
            assert (x[row] != pairs_data.PAD_ID).tolist() == [True] * len(source) + [False] * (x.shape[1] - len(source))
            assert source_vocabulary.decode(x[row]) == [char if char in source_vocabulary.index else
                                                        pairs_data.UNKNOWN for char in source]
            real = y[row] != pairs_data.PAD_ID  # <start> target <end>, then padding
            assert real.tolist() == [True] * (len(target) + 2) + [False] * (y.shape[1] - len(target) - 2)
            assert y[row, 0] == pairs_data.START_ID and y[row, len(target) + 1] == pairs_data.END_ID
            assert target_vocabulary.decode(y[row]) == [char if char in target_vocabulary.index else
                                                        pairs_data.UNKNOWN for char in target]


@BOUNDED
@given(words=st.lists(st.text(alphabet="ab\N{REPLACEMENT CHARACTER}<>", min_size=1, max_size=5), max_size=8),
       characters=st.text(max_size=40))
def test_join_undoes_tokenize(words, characters):
    assert pairs_data.join(pairs_data.tokenize(characters, "char"), "char") == characters
    sentence = " ".join(words)
    assert pairs_data.tokenize(sentence, "word") == words
    assert pairs_data.join(pairs_data.tokenize(sentence, "word"), "word") == sentence


# ----------------------------------------------------------------------------------------------------------------
# The adding problem


@BOUNDED
@given(num_samples=st.integers(1, 60), sequence_length=st.integers(2, 30), seed=st.integers(0, 2**32 - 1))
def test_the_adding_problem_marks_one_value_in_each_half_and_sums_them(num_samples, sequence_length, seed):
    x, y = sequences.make_adding_problem(num_samples, sequence_length, seed)
    assert x.shape == (num_samples, sequence_length, 2) and y.shape == (num_samples,)
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) <= {0.0, 1.0}
    half = sequence_length // 2
    assert (markers[:, :half].sum(axis=1) == 1).all() and (markers[:, half:].sum(axis=1) == 1).all()
    first, second = markers[:, :half].argmax(axis=1), half + markers[:, half:].argmax(axis=1)
    rows = np.arange(num_samples)
    np.testing.assert_allclose(y, values[rows, first] + values[rows, second], rtol=1e-6)
