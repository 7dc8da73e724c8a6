"""Data sets for bidirectional networks: a tagging task whose labels need both directions, digits, reviews, sequences.

    from birnn.dataset import load_dataset
    from birnn.train import BirnnConfig
    data = load_dataset(BirnnConfig())   # tagging: x_train (3250, 20, 1) values, y_train (3250, 20) a tag per step

tagging (default, generated): each step's label compares its value with both neighbours, so a network reading
only left to right has not yet seen half of what decides it. mnist5k and digits read images row by row; imdb, sine,
airline, stock and adding are the shared sequence data sets (common/sequences.py, common/forecast_series.py). Text
generation is not offered: a model that writes the next character has no future to read backwards.
"""

import numpy as np

from common.datasets import SPLIT_SEED, Dataset, split_three_ways
from common.sequences import SequenceConfig, load_sequence_dataset

TAG_NAMES = ["below both", "above one", "above both"]  # how many neighbours the value is larger than: 0, 1, 2


def make_tagging_task(num_samples: int, sequence_length: int, seed: int = SPLIT_SEED) -> tuple[np.ndarray, ...]:
    """x (n, T, 1) uniform in [0, 1); y (n, T) = how many of x_t's neighbours (x_{t-1}, x_{t+1}) are smaller than x_t.

    0 means a local minimum (below both), 2 a local peak (above both); at the ends, where one neighbour is missing,
    only the existing one counts (0 or 1). The label at t depends on x_{t+1}, one step in the future.
    """
    if sequence_length < 2:
        raise ValueError(f"--sequence-length must be at least 2 (got {sequence_length})")
    values = np.random.default_rng(seed).uniform(0.0, 1.0, size=(num_samples, sequence_length))
    above_previous = np.zeros(values.shape, dtype="int64")
    above_previous[:, 1:] = values[:, 1:] > values[:, :-1]
    above_next = np.zeros(values.shape, dtype="int64")
    above_next[:, :-1] = values[:, :-1] > values[:, 1:]
    return values[..., None].astype("float32"), above_previous + above_next


def load_tagging(sequence_length: int = 20, num_samples: int = 5000) -> Dataset:
    if num_samples < 100:
        raise ValueError(f"--num-samples must be at least 100 (got {num_samples})")
    x, y = make_tagging_task(num_samples, sequence_length)
    return Dataset("tagging", "classification", *split_three_ways(x, y, stratify=False), class_names=TAG_NAMES,
                   meta={"source": f"generated: neighbour comparison tags, T = {sequence_length}",
                         "label_per_step": True})


DATASETS = ("tagging", "mnist5k", "digits", "imdb", "sine", "airline", "stock", "adding")


def load_dataset(config: SequenceConfig) -> Dataset:
    """The data set config.dataset names: tagging is this folder's own, the others are shared (common/)."""
    if config.dataset == "tagging":
        return load_tagging(sequence_length=config.sequence_length, num_samples=config.num_samples)
    return load_sequence_dataset(config)
