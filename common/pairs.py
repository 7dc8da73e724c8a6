"""Text pairs for sequence-to-sequence models: tokens, vocabularies, padded id arrays, and the generated "dates" task.

    from common.pairs import load_dates, seq2seq_dataset
    data = load_dates(num_samples=10000)     # x_train (8000, 28) source ids, y_train (8000, 12) target ids
    data = seq2seq_dataset("mine", [("hello", "olleh"), ...], "char", "my pairs")    # any (source, target) text

dates (generated): "tuesday, march 3 2015", "3/3/15", "the 3rd of march 2015" ... -> "2015-03-03". A model has to
find the day, month and year wherever each of 12 formats puts them.

Ids: 0 <pad>, 1 <start>, 2 <end>, 3 <unk>, then the tokens seen in the training pairs, sorted. x rows are source ids
padded with 0 at the end; y rows are <start> target <end>, padded with 0. meta["pairs"] keeps the raw text of every
split so an evaluator can print source, expected and predicted side by side (common/seq2seq.py scores them).
NumPy only: no Keras import, so the data is ready before TensorFlow starts.
"""

import datetime
import random

import numpy as np

from common.datasets import SPLIT_SEED, Dataset

PAD, START, END, UNKNOWN = "<pad>", "<start>", "<end>", "<unk>"
SPECIAL_TOKENS = [PAD, START, END, UNKNOWN]  # ids 0, 1, 2, 3
PAD_ID, START_ID, END_ID, UNKNOWN_ID = (SPECIAL_TOKENS.index(token) for token in SPECIAL_TOKENS)
TOKEN_MODES = ("char", "word")
MIN_SAMPLES = 10  # the smallest data set that still gives 8 / 1 / 1 pairs


# ---------------------------------------------------------------------------------------------------------------
# Tokens and vocabulary


def tokenize(text: str, tokens: str = "char") -> list[str]:
    """Split text into characters ("char") or whitespace-separated words ("word")."""
    if tokens not in TOKEN_MODES:
        raise ValueError(f"--tokens must be one of {', '.join(TOKEN_MODES)} (got {tokens!r})")
    return list(text) if tokens == "char" else text.split()


def join(tokens: list[str], mode: str = "char") -> str:
    """The inverse of tokenize: characters joined with "", words with " "."""
    if mode not in TOKEN_MODES:
        raise ValueError(f"--tokens must be one of {', '.join(TOKEN_MODES)} (got {mode!r})")
    return ("" if mode == "char" else " ").join(tokens)


class TokenVocabulary:
    """Tokens <-> integer ids: the four special tokens (ids 0-3) first, then the given tokens, sorted."""

    def __init__(self, tokens: list[str]):
        self.tokens = SPECIAL_TOKENS + sorted(set(tokens) - set(SPECIAL_TOKENS))
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @classmethod
    def from_sequences(cls, sequences: list[list[str]]) -> "TokenVocabulary":
        return cls([token for sequence in sequences for token in sequence])

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"TokenVocabulary({len(self)} tokens)"

    def encode(self, tokens: list[str]) -> list[int]:
        """Ids of the tokens; a token not in the vocabulary becomes 3 (<unk>), and so does a word that spells a special
        token ("<pad>" or "<end>" in a pairs file), which would otherwise be masked out or end the sequence early."""
        return [UNKNOWN_ID if token in SPECIAL_TOKENS else self.index.get(token, UNKNOWN_ID) for token in tokens]

    def decode(self, ids) -> list[str]:
        """Tokens of the ids up to the first <end>, skipping <pad> and <start>; ids may be a list or a 1-D array."""
        tokens = []
        for token_id in ids:
            token = self.tokens[int(token_id)]
            if token == END:
                break
            if token not in (PAD, START):
                tokens.append(token)
        return tokens


# ---------------------------------------------------------------------------------------------------------------
# Generated pairs

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]  # date.weekday() order
MONTHS = "january february march april may june july august september october november december".split()
FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

# Each template is filled by format_date; the comment shows 2015-03-03. Two-digit years ({yy}) read as 20YY when
# YY < 50 and 19YY otherwise, and since every date lies in 1950-2049 each source names exactly one date.
DATE_FORMATS = {
    "weekday_month_day_year": "{weekday}, {month} {d} {yyyy}",  # tuesday, march 3 2015
    "us_slashes": "{m}/{d}/{yy}",  # 3/3/15
    "day_mon_year_upper": "{dd} {MON} {yyyy}",  # 03 MAR 2015
    "month_ordinal_year": "{Month} {dth}, {yyyy}",  # March 3rd, 2015
    "day_month_year": "{d} {month} {yyyy}",  # 3 march 2015
    "year_dots": "{yyyy}.{mm}.{dd}",  # 2015.03.03
    "european_dots": "{dd}.{mm}.{yyyy}",  # 03.03.2015
    "weekday_abbreviated": "{Wkd} {d} {Mon} {yyyy}",  # Tue 3 Mar 2015
    "month_upper": "{MONTH} {d}, {yyyy}",  # MARCH 3, 2015
    "the_ordinal_of_month": "the {dth} of {month} {yyyy}",  # the 3rd of march 2015
    "mon_day_short_year": "{mon} {d} '{yy}",  # mar 3 '15
    "compact": "{yyyy}{mm}{dd}",  # 20150303
}


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd"."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}" + {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def format_date(date: datetime.date, format_name: str) -> str:
    """The date written in one of DATE_FORMATS, with English names that do not depend on the machine's locale."""
    weekday, month = WEEKDAYS[date.weekday()], MONTHS[date.month - 1]
    fields = {
        "weekday": weekday,
        "Wkd": weekday[:3].title(),
        "month": month,
        "Month": month.title(),
        "MONTH": month.upper(),
        "mon": month[:3],
        "Mon": month[:3].title(),
        "MON": month[:3].upper(),
        "d": date.day,
        "dd": f"{date.day:02d}",
        "dth": ordinal(date.day),
        "m": date.month,
        "mm": f"{date.month:02d}",
        "yyyy": f"{date.year:04d}",
        "yy": f"{date.year % 100:02d}",
    }
    return DATE_FORMATS[format_name].format(**fields)


def make_dates(num_samples: int, seed: int = SPLIT_SEED) -> list[tuple[str, str]]:
    """num_samples (source, target) pairs: a uniform random date in 1950-2049 in a random format -> "YYYY-MM-DD"."""
    rng = random.Random(seed)  # nosec B311
    names = list(DATE_FORMATS)
    pairs = []
    for _ in range(num_samples):
        date = datetime.date.fromordinal(rng.randint(FIRST_DATE.toordinal(), LAST_DATE.toordinal()))
        pairs.append((format_date(date, rng.choice(names)), date.isoformat()))
    return pairs


# ---------------------------------------------------------------------------------------------------------------
# Pairs -> Dataset


def pad(sequences: list[list[int]], length: int) -> np.ndarray:
    """(n, length) int32 array, each row a sequence followed by 0 (<pad>)."""
    padded = np.zeros((len(sequences), length), dtype="int32")
    for row, sequence in enumerate(sequences):
        padded[row, : len(sequence)] = sequence
    return padded


def seq2seq_dataset(name: str, pairs: list[tuple[str, str]], tokens: str, source: str) -> Dataset:
    """Tokenize, split 80/10/10 at random (SPLIT_SEED), build both vocabularies from the training pairs, pad.

    x_* (n, S) source ids followed by 0s; y_* (n, T + 2) ids of <start> target <end> followed by 0s, where S and T
    are the longest source and target over ALL splits, so that validation and test rows fit too. Tokens seen only
    in validation or test pairs become 3 (<unk>). meta: source_vocabulary, target_vocabulary, tokens, source and
    pairs {"train", "val", "test"} of raw (source, target) text. class_names are the target vocabulary's tokens.
    """
    if len(pairs) < MIN_SAMPLES:
        raise ValueError(f"{name}: needs at least {MIN_SAMPLES} pairs to split 80/10/10 (got {len(pairs)})")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(pairs))
    num_held_out = len(pairs) // 10
    parts = {
        "test": order[:num_held_out],
        "val": order[num_held_out : 2 * num_held_out],
        "train": order[2 * num_held_out :],
    }
    split_pairs = {split: [pairs[i] for i in indices] for split, indices in parts.items()}
    sources = [tokenize(pair[0], tokens) for pair in pairs]
    targets = [tokenize(pair[1], tokens) for pair in pairs]
    source_vocabulary = TokenVocabulary.from_sequences([sources[i] for i in parts["train"]])
    target_vocabulary = TokenVocabulary.from_sequences([targets[i] for i in parts["train"]])
    source_length = max(len(sequence) for sequence in sources)
    target_length = max(len(sequence) for sequence in targets) + 2  # room for <start> and <end>

    arrays = {}
    for split, indices in parts.items():
        arrays[f"x_{split}"] = pad([source_vocabulary.encode(sources[i]) for i in indices], source_length)
        arrays[f"y_{split}"] = pad(
            [[START_ID] + target_vocabulary.encode(targets[i]) + [END_ID] for i in indices], target_length
        )
    return Dataset(
        name,
        "seq2seq",
        **arrays,
        class_names=list(target_vocabulary.tokens),
        meta={
            "source": source,
            "tokens": tokens,
            "source_vocabulary": source_vocabulary,
            "target_vocabulary": target_vocabulary,
            "pairs": {split: split_pairs[split] for split in ("train", "val", "test")},
        },
    )


def check_num_samples(num_samples: int) -> None:
    """ValueError unless num_samples is enough for an 80/10/10 split (a generated data set's --num-samples)."""
    if num_samples < MIN_SAMPLES:
        raise ValueError(f"--num-samples must be at least {MIN_SAMPLES} (got {num_samples})")


def load_dates(num_samples: int = 10000) -> Dataset:
    """num_samples generated dates (make_dates), split 80/10/10 and character-level, as a seq2seq Dataset."""
    check_num_samples(num_samples)
    return seq2seq_dataset(
        "dates",
        make_dates(num_samples),
        "char",
        f"generated: dates 1950-2049 in {len(DATE_FORMATS)} human formats -> YYYY-MM-DD",
    )
