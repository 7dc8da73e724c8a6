"""Data sets for sequence-to-sequence attention: human dates to ISO dates, reversed strings, your own text pairs.

    from attention.dataset import load_dataset
    from attention.train import AttentionConfig
    data = load_dataset(AttentionConfig())    # dates: x_train (8000, 28) source ids, y_train (8000, 12) target ids
    data = load_dataset(AttentionConfig(pairs="fra.txt", tokens="word"))    # any source<TAB>target file

dates (default, generated): "tuesday, march 3 2015", "3/3/15", "the 3rd of march 2015" ... -> "2015-03-03". The
model has to find the day, month and year wherever each format puts them, which is what attention is for.
reverse (generated): "hello" -> "olleh"; the first output character depends on the last input one.

Ids: 0 <pad>, 1 <start>, 2 <end>, 3 <unk>, then the tokens seen in the training pairs, sorted. x rows are source ids
padded with 0 at the end; y rows are <start> target <end>, padded with 0. meta["pairs"] keeps the raw text of every
split so an evaluator can print source, expected and predicted side by side.
"""

import datetime
import random
from pathlib import Path

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
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

# Each template is filled by format_date; the comment shows 2015-03-03. Two-digit years ({yy}) read as 20YY when
# YY < 50 and 19YY otherwise, and since every date lies in 1950-2049 each source names exactly one date.
DATE_FORMATS = {
    "weekday_month_day_year": "{weekday}, {month} {d} {yyyy}",  # tuesday, march 3 2015
    "us_slashes": "{m}/{d}/{yy}",                                # 3/3/15
    "day_mon_year_upper": "{dd} {MON} {yyyy}",                   # 03 MAR 2015
    "month_ordinal_year": "{Month} {dth}, {yyyy}",               # March 3rd, 2015
    "day_month_year": "{d} {month} {yyyy}",                      # 3 march 2015
    "year_dots": "{yyyy}.{mm}.{dd}",                             # 2015.03.03
    "european_dots": "{dd}.{mm}.{yyyy}",                         # 03.03.2015
    "weekday_abbreviated": "{Wkd} {d} {Mon} {yyyy}",             # Tue 3 Mar 2015
    "month_upper": "{MONTH} {d}, {yyyy}",                        # MARCH 3, 2015
    "the_ordinal_of_month": "the {dth} of {month} {yyyy}",       # the 3rd of march 2015
    "mon_day_short_year": "{mon} {d} '{yy}",                     # mar 3 '15
    "compact": "{yyyy}{mm}{dd}",                                 # 20150303
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
        "weekday": weekday, "Wkd": weekday[:3].title(),
        "month": month, "Month": month.title(), "MONTH": month.upper(),
        "mon": month[:3], "Mon": month[:3].title(), "MON": month[:3].upper(),
        "d": date.day, "dd": f"{date.day:02d}", "dth": ordinal(date.day),
        "m": date.month, "mm": f"{date.month:02d}", "yyyy": f"{date.year:04d}", "yy": f"{date.year % 100:02d}",
    }
    return DATE_FORMATS[format_name].format(**fields)


def make_dates(num_samples: int, seed: int = SPLIT_SEED) -> list[tuple[str, str]]:
    """num_samples (source, target) pairs: a uniform random date in 1950-2049 in a random format -> "YYYY-MM-DD"."""
    rng = random.Random(seed)
    names = list(DATE_FORMATS)
    pairs = []
    for _ in range(num_samples):
        date = datetime.date.fromordinal(rng.randint(FIRST_DATE.toordinal(), LAST_DATE.toordinal()))
        pairs.append((format_date(date, rng.choice(names)), date.isoformat()))
    return pairs


def make_reverse(num_samples: int, min_length: int, max_length: int, seed: int = SPLIT_SEED) -> list[tuple[str, str]]:
    """num_samples (source, target) pairs: random a-z strings of min_length..max_length letters -> reversed."""
    if min_length < 1:
        raise ValueError(f"--min-length must be at least 1 (got {min_length})")
    if max_length < min_length:
        raise ValueError(f"--max-length must be at least --min-length (got {max_length} < {min_length})")
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    sources = ["".join(rng.choices(letters, k=rng.randint(min_length, max_length))) for _ in range(num_samples)]
    return [(source, source[::-1]) for source in sources]


# ---------------------------------------------------------------------------------------------------------------
# Pairs from a file

def read_pairs(path) -> list[tuple[str, str]]:
    """(source, target) pairs from a UTF-8 file with one source<TAB>target per line.

    Columns after the second (such as the attribution in Anki's sentence lists) are ignored, blank lines skipped,
    spaces around each column stripped. Any problem is a one-line ValueError naming the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file (expected source<TAB>target lines)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # -sig also accepts the byte-order mark some editors write
    except UnicodeDecodeError as error:
        line_number = raw[:error.start].count(b"\n") + 1
        raise ValueError(f"{path}: line {line_number}: not UTF-8 text (byte {raw[error.start]:#04x})") from None
    pairs = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise ValueError(f"{path}: line {line_number}: expected source<TAB>target, found no tab")
        source, target = (column.strip() for column in line.split("\t")[:2])
        if not source or not target:
            raise ValueError(f"{path}: line {line_number}: empty {'source' if not source else 'target'}")
        pairs.append((source, target))
    if not pairs:
        raise ValueError(f"{path}: no source<TAB>target pairs found (the file is empty or blank)")
    return pairs


# ---------------------------------------------------------------------------------------------------------------
# Pairs -> Dataset

def pad(sequences: list[list[int]], length: int) -> np.ndarray:
    """(n, length) int32 array, each row a sequence followed by 0 (<pad>)."""
    padded = np.zeros((len(sequences), length), dtype="int32")
    for row, sequence in enumerate(sequences):
        padded[row, :len(sequence)] = sequence
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
    parts = {"test": order[:num_held_out], "val": order[num_held_out:2 * num_held_out],
             "train": order[2 * num_held_out:]}
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
        arrays[f"y_{split}"] = pad([[START_ID] + target_vocabulary.encode(targets[i]) + [END_ID] for i in indices],
                                     target_length)
    return Dataset(name, "seq2seq", **arrays, class_names=list(target_vocabulary.tokens),
                   meta={"source": source, "tokens": tokens, "source_vocabulary": source_vocabulary,
                         "target_vocabulary": target_vocabulary,
                         "pairs": {split: split_pairs[split] for split in ("train", "val", "test")}})


def check_num_samples(num_samples: int) -> None:
    if num_samples < MIN_SAMPLES:
        raise ValueError(f"--num-samples must be at least {MIN_SAMPLES} (got {num_samples})")


def load_dates(num_samples: int = 10000) -> Dataset:
    check_num_samples(num_samples)
    return seq2seq_dataset("dates", make_dates(num_samples), "char",
                           f"generated: dates 1950-2049 in {len(DATE_FORMATS)} human formats -> YYYY-MM-DD")


def load_reverse(num_samples: int = 10000, min_length: int = 5, max_length: int = 15) -> Dataset:
    check_num_samples(num_samples)
    return seq2seq_dataset("reverse", make_reverse(num_samples, min_length, max_length), "char",
                           f"generated: a-z strings of {min_length}-{max_length} letters -> reversed")


def load_pairs(path, tokens: str = "char") -> Dataset:
    """A source<TAB>target file (see read_pairs) as a Dataset named after the file's stem."""
    path = Path(path)
    return seq2seq_dataset(path.stem, read_pairs(path), tokens, f"file: {path}")


DATASETS = ("dates", "reverse")  # generated; --pairs reads a file instead


def load_dataset(config) -> Dataset:
    """The pairs file config.pairs if one is given, else the generated data set config.dataset, sized by its flags.

    config: an AttentionConfig (attention/train.py). ValueError for an unknown name; the generated data sets are
    character-level only.
    """
    if config.pairs is not None:
        return load_pairs(config.pairs, tokens=config.tokens)
    if config.tokens != "char":
        raise ValueError(f"--tokens {config.tokens} needs --pairs; the generated data sets are character-level")
    if config.dataset == "dates":
        return load_dates(num_samples=config.num_samples)
    if config.dataset == "reverse":
        return load_reverse(num_samples=config.num_samples, min_length=config.min_length,
                            max_length=config.max_length)
    raise ValueError(f"unknown dataset {config.dataset!r}; choose one of {', '.join(DATASETS)}")
