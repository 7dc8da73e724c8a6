"""Data sets for the SimpleRNN folder: the shared sequence data sets, with the noisy sine as the default.

    from rnn.dataset import load_dataset
    data = load_dataset("sine", window=20)       # x_train (n, 20, 1) scaled values, y_train (n,) the next value

sine, airline, stock, adding and text (python-docs) work offline; imdb and text shakespeare are downloaded.
A plain RNN is at its best on short memories like the sine's; the adding problem shows where it fails.
"""

from common.datasets import Dataset, look_up
from common.sequence_datasets import LOADERS

DATASETS = {name: LOADERS[name] for name in ("sine", "airline", "stock", "adding", "imdb", "text")}


def load_dataset(name: str = "sine", **options) -> Dataset:
    """Load one of DATASETS by name with its loader's options (window, many_to_many, ...); ValueError if unknown."""
    return look_up(DATASETS, name)(**options)
