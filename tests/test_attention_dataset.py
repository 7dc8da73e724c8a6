"""attention/dataset.py: reversal, pairs files, the data sets --dataset and --pairs name (the dates, vocabulary and
padding are common/pairs.py's, tested in tests/test_common_pairs.py)."""

import re
from types import SimpleNamespace

import numpy as np
import pytest

from attention.dataset import DATASETS, load_dataset, load_pairs, make_reverse, read_pairs
from attention.train import AttentionConfig
from common.pairs import load_dates

# ---------------------------------------------------------------------------------------------------------------
# Reverse

def test_reverse_targets_and_lengths():
    pairs = make_reverse(300, 3, 7)
    assert {len(source) for source, _ in pairs} == set(range(3, 8))
    for source, target in pairs:
        assert target == source[::-1] and re.fullmatch("[a-z]+", source)
    assert make_reverse(20, 3, 7) == make_reverse(20, 3, 7)


@pytest.mark.parametrize("min_length, max_length, words", [(0, 5, "--min-length"), (6, 5, "--max-length")])
def test_reverse_bad_lengths(min_length, max_length, words):
    with pytest.raises(ValueError, match=words):
        make_reverse(10, min_length, max_length)


# ---------------------------------------------------------------------------------------------------------------
# read_pairs

def write(tmp_path, content, name="pairs.txt"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_read_pairs_ignores_extra_columns_and_blank_lines(tmp_path):
    path = write(tmp_path, "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org\n\nHi.\tSalut !\n")
    assert read_pairs(path) == [("Go.", "Va !"), ("Hi.", "Salut !")]


@pytest.mark.parametrize("content, words", [
    ("a\tb\nc\td\ne\tf\ng\th\ni\tj\nk\tl\nno tab here\n", "line 7: expected source<TAB>target, found no tab"),
    ("a\tb\nc\t \n", "line 2: empty target"),
    ("a\tb\n\tc\n", "line 2: empty source"),
    (b"a\tb\nc\t\xff\n", "line 2: not UTF-8"),
    ("", "no source<TAB>target pairs"),
    ("\n  \n", "no source<TAB>target pairs"),
])
def test_read_pairs_errors(tmp_path, content, words):
    path = write(tmp_path, content)
    with pytest.raises(ValueError, match=re.escape(words)) as error:
        read_pairs(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_read_pairs_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_pairs(tmp_path / "missing.txt")


# ---------------------------------------------------------------------------------------------------------------
# Datasets

def test_the_default_dataset_is_the_dates_of_common_pairs():
    data, dates = load_dataset(AttentionConfig(num_samples=200)), load_dates(num_samples=200)
    assert data.name == "dates" and data.sizes() == "160 train / 20 val / 20 test"
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(data, name), getattr(dates, name))
    assert data.meta["pairs"] == dates.meta["pairs"] and data.class_names == dates.class_names


def test_vocabularies_come_from_training_pairs_only(tmp_path):
    # Every pair has its own digit in the source and its own capital in the target, so whichever pairs land in
    # validation and test carry tokens that training never saw.
    lines = [f"ab{digit}\txy{letter}" for digit, letter in zip("0123456789", "ABCDEFGHIJ")]
    data = load_pairs(write(tmp_path, "\n".join(lines) + "\n", name="tiny.txt"))
    assert data.name == "tiny" and data.sizes() == "8 train / 1 val / 1 test"
    (test_source, test_target), = data.meta["pairs"]["test"]
    assert test_source[-1] not in data.meta["source_vocabulary"].tokens
    assert list(data.x_test[0]) == data.meta["source_vocabulary"].encode(list("ab")) + [3]
    assert data.y_test[0][3] == 3 and test_target[-1] not in data.class_names


def test_word_level_pairs(tmp_path):
    lines = [f"the cat number {i}\tle chat numéro {i}" for i in range(20)]
    data = load_dataset(AttentionConfig(pairs=str(write(tmp_path, "\n".join(lines))), tokens="word"))
    assert data.meta["tokens"] == "word"
    assert data.x_train.shape == (16, 4) and data.y_train.shape == (16, 6)
    assert "chat" in data.class_names and "numéro" in data.class_names


def test_reverse_dataset_and_loader_errors():
    data = load_dataset(AttentionConfig(dataset="reverse", num_samples=100, min_length=2, max_length=4))
    assert data.x_train.shape == (80, 4) and data.y_train.shape == (80, 6)
    assert set(DATASETS) == {"dates", "reverse"}
    with pytest.raises(ValueError, match="--num-samples"):
        load_dates(num_samples=5)
    # Past the flag checks (a config built in Python without them): the loader still refuses.
    unchecked = dict(pairs=None, tokens="char", dataset="dates", num_samples=100, min_length=2, max_length=4)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset(SimpleNamespace(**{**unchecked, "dataset": "nope"}))
    with pytest.raises(ValueError, match="--tokens word needs --pairs"):
        load_dataset(SimpleNamespace(**{**unchecked, "tokens": "word"}))


def test_module_is_numpy_only(assert_numpy_only):
    assert_numpy_only("attention.dataset")
