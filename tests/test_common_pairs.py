"""common/pairs.py: date formats checked by an independent parser, vocabulary, tokens, the 80/10/10 split and padding
of any text pairs, the dates data set."""

import datetime
import re

import numpy as np
import pytest

from common.pairs import (DATE_FORMATS, END_ID, PAD_ID, SPECIAL_TOKENS, START_ID, UNKNOWN_ID, TokenVocabulary,
                          check_num_samples, format_date, join, load_dates, make_dates, ordinal, pad, seq2seq_dataset,
                          tokenize)

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def parse_human_date(source: str) -> datetime.date:
    """An independent reading of a generated source, using the rule YY < 50 -> 20YY, else 19YY."""
    text = source.lower().replace(",", " ")
    if re.fullmatch(r"\d{8}", text):
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if "/" in text:
        month, day, year = (int(part) for part in text.split("/"))
        return datetime.date(2000 + year if year < 50 else 1900 + year, month, day)
    if "." in text:
        first, middle, last = text.split(".")
        year, day = (first, last) if len(first) == 4 else (last, first)
        return datetime.date(int(year), int(middle), int(day))
    words = text.split()
    # A month is named by its first three letters ("mar", "march"); no weekday, "the" or "of" starts like one.
    months = [MONTHS.index(word[:3]) + 1 for word in words if word[:3] in MONTHS]
    assert len(months) == 1, source
    numbers = [word for word in words if re.fullmatch(r"'?\d+(st|nd|rd|th)?", word)]
    assert len(numbers) == 2, source
    day_text, year_text = numbers
    day = int(re.match(r"\d+", day_text).group())
    if year_text.startswith("'"):
        short = int(year_text[1:])
        year = 2000 + short if short < 50 else 1900 + short
    else:
        year = int(year_text)
    return datetime.date(year, months[0], day)


# ---------------------------------------------------------------------------------------------------------------
# Dates

@pytest.mark.parametrize("number, expected", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                              (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
                                              (31, "31st")])
def test_ordinal_suffixes(number, expected):
    assert ordinal(number) == expected


@pytest.mark.parametrize("date, format_name, expected", [
    (datetime.date(2015, 3, 3), "weekday_month_day_year", "tuesday, march 3 2015"),
    (datetime.date(2015, 3, 3), "us_slashes", "3/3/15"),
    (datetime.date(1999, 12, 31), "us_slashes", "12/31/99"),
    (datetime.date(2015, 3, 3), "day_mon_year_upper", "03 MAR 2015"),
    (datetime.date(2001, 6, 22), "month_ordinal_year", "June 22nd, 2001"),
    (datetime.date(1950, 1, 1), "weekday_abbreviated", "Sun 1 Jan 1950"),
    (datetime.date(2049, 12, 31), "the_ordinal_of_month", "the 31st of december 2049"),
    (datetime.date(2007, 8, 9), "year_dots", "2007.08.09"),
    (datetime.date(2007, 8, 9), "european_dots", "09.08.2007"),
    (datetime.date(1962, 11, 13), "month_upper", "NOVEMBER 13, 1962"),
    (datetime.date(2000, 2, 29), "mon_day_short_year", "feb 29 '00"),
    (datetime.date(1987, 4, 5), "compact", "19870405"),
    (datetime.date(2023, 5, 12), "day_month_year", "12 may 2023"),
])
def test_hand_checked_formats(date, format_name, expected):
    assert format_date(date, format_name) == expected
    assert parse_human_date(expected) == date


def test_dates_targets_are_iso_in_range_and_sources_denote_them():
    pairs = make_dates(500)
    for source, target in pairs:
        date = datetime.date.fromisoformat(target)
        assert datetime.date(1950, 1, 1) <= date <= datetime.date(2049, 12, 31)
        assert parse_human_date(source) == date, (source, target)


def test_every_format_appears_and_seed_fixes_the_data():
    pairs = make_dates(2000)
    seen = set()
    for source, target in pairs:
        date = datetime.date.fromisoformat(target)
        seen |= {name for name in DATE_FORMATS if format_date(date, name) == source}
    assert seen == set(DATE_FORMATS)
    assert make_dates(50) == make_dates(50)
    assert make_dates(50, seed=1) != make_dates(50, seed=2)


# ---------------------------------------------------------------------------------------------------------------
# Vocabulary and tokens

def test_vocabulary_specials_round_trip_and_unknown():
    vocabulary = TokenVocabulary.from_sequences([list("cab"), list("abba")])
    assert vocabulary.tokens == ["<pad>", "<start>", "<end>", "<unk>", "a", "b", "c"]
    ids = vocabulary.encode(list("cabz"))
    assert ids == [6, 4, 5, 3]
    assert vocabulary.decode(vocabulary.encode(list("abc"))) == list("abc")
    assert vocabulary.decode(np.array([1, 4, 5, 2, 6, 0])) == ["a", "b"]
    assert vocabulary.decode([1, 4, 0, 5, 3, 2]) == ["a", "b", "<unk>"]


def test_tokenize_and_join():
    assert tokenize("ab c", "char") == ["a", "b", " ", "c"]
    assert tokenize(" hello  world ", "word") == ["hello", "world"]
    assert join(["hello", "world"], "word") == "hello world" and join(list("abc"), "char") == "abc"
    with pytest.raises(ValueError, match="--tokens"):
        tokenize("x", "byte")


# ---------------------------------------------------------------------------------------------------------------
# Pairs -> Dataset

def test_special_ids_and_padding_by_hand():
    assert SPECIAL_TOKENS == ["<pad>", "<start>", "<end>", "<unk>"]
    assert (PAD_ID, START_ID, END_ID, UNKNOWN_ID) == (0, 1, 2, 3)
    padded = pad([[5, 6], [7], []], 3)
    assert padded.dtype == np.int32 and padded.tolist() == [[5, 6, 0], [7, 0, 0], [0, 0, 0]]


def test_a_word_that_spells_a_special_token_is_unknown():
    vocabulary = TokenVocabulary(["<end>", "go", "<pad>"])
    assert vocabulary.tokens == ["<pad>", "<start>", "<end>", "<unk>", "go"]
    assert vocabulary.encode(["go", "<end>", "<pad>", "stop"]) == [4, 3, 3, 3]


def test_seq2seq_dataset_splits_80_10_10_and_learns_tokens_from_training_only():
    # Every pair has its own digit in the source and its own capital in the target, so whichever pairs land in
    # validation and test carry tokens that training never saw.
    pairs = [(f"ab{digit}", f"xy{letter}") for digit, letter in zip("0123456789", "ABCDEFGHIJ")]
    data = seq2seq_dataset("tiny", pairs, "char", "by hand")
    assert data.name == "tiny" and data.task == "seq2seq" and data.sizes() == "8 train / 1 val / 1 test"
    assert data.meta["source"] == "by hand" and data.meta["tokens"] == "char"
    split_pairs = data.meta["pairs"]
    assert sorted(split_pairs["train"] + split_pairs["val"] + split_pairs["test"]) == pairs
    (test_source, test_target), = split_pairs["test"]
    source_vocabulary, target_vocabulary = data.meta["source_vocabulary"], data.meta["target_vocabulary"]
    assert source_vocabulary.tokens == SPECIAL_TOKENS + sorted({"a", "b"} | {source[-1] for source, _ in
                                                                             split_pairs["train"]})
    assert test_source[-1] not in source_vocabulary.tokens and test_target[-1] not in data.class_names
    assert data.class_names == target_vocabulary.tokens
    assert data.x_test.tolist() == [source_vocabulary.encode(list("ab")) + [UNKNOWN_ID]]
    # <start> x y <unk> <end>: the target's length 3, plus <start> and <end>
    assert data.y_test.tolist() == [[START_ID, *target_vocabulary.encode(list("xy")), UNKNOWN_ID, END_ID]]


def test_seq2seq_dataset_pads_to_the_longest_pair_of_any_split():
    pairs = [("the cat", "le chat")] * 9 + [("a very long cat indeed", "un chat")]
    data = seq2seq_dataset("words", pairs, "word", "by hand")
    # 5 words: "a very long cat indeed", in whichever split it landed; targets 2 words, <start> and <end>
    assert [getattr(data, f"x_{split}").shape[1] for split in ("train", "val", "test")] == [5, 5, 5]
    assert [getattr(data, f"y_{split}").shape[1] for split in ("train", "val", "test")] == [4, 4, 4]
    the_cat = data.meta["source_vocabulary"].encode(["the", "cat"]) + [PAD_ID] * 3
    le_chat = [START_ID, *data.meta["target_vocabulary"].encode(["le", "chat"]), END_ID]
    for split in ("train", "val", "test"):
        rows = zip(getattr(data, f"x_{split}"), getattr(data, f"y_{split}"), data.meta["pairs"][split])
        for x, y, (source, _) in rows:
            if source == "the cat":
                assert x.tolist() == the_cat and y.tolist() == le_chat
    with pytest.raises(ValueError, match="words: needs at least 10 pairs to split 80/10/10 \\(got 9\\)"):
        seq2seq_dataset("words", pairs[:9], "word", "by hand")


def test_dates_dataset_shapes_and_padding():
    data = load_dates(num_samples=200)
    assert data.task == "seq2seq" and data.sizes() == "160 train / 20 val / 20 test"
    assert data.meta["source"] == "generated: dates 1950-2049 in 12 human formats -> YYYY-MM-DD"
    all_pairs = [pair for split in ("train", "val", "test") for pair in data.meta["pairs"][split]]
    assert sorted(all_pairs) == sorted(make_dates(200))
    assert data.x_train.shape[1] == data.x_test.shape[1] == max(len(source) for source, _ in all_pairs)
    assert data.y_train.shape[1] == 10 + 2
    target_vocabulary = data.meta["target_vocabulary"]
    assert data.class_names == target_vocabulary.tokens
    for y, (_, target) in zip(data.y_val, data.meta["pairs"]["val"]):
        assert y[0] == 1 and np.sum(y == 2) == 1
        end = int(np.argmax(y == 2))
        assert np.all(y[end + 1:] == 0) and np.all(y[1:end] > 3)
        assert "".join(target_vocabulary.decode(y)) == target
    for x, (source, _) in zip(data.x_train, data.meta["pairs"]["train"]):
        assert "".join(data.meta["source_vocabulary"].decode(x)) == source
        assert np.all(x[len(source):] == 0)


def test_too_few_samples_are_refused_with_the_flag_named():
    check_num_samples(10)
    for call in (lambda: check_num_samples(9), lambda: load_dates(num_samples=5)):
        with pytest.raises(ValueError, match="--num-samples must be at least 10"):
            call()


# ---------------------------------------------------------------------------------------------------------------
# The module itself

def test_module_is_numpy_only(assert_numpy_only):
    assert_numpy_only("common.pairs")
