"""Data sets for the GRU folder: the shared sequence data sets, with character-level text as the default.

    from gru.dataset import load_dataset
    data = load_dataset("text", corpus="python-docs", window=100)   # x_train (n, 100) ids, y_train shifted by one

sine, airline, stock, adding and text (python-docs) work offline; imdb and text shakespeare are downloaded.
Gated cells keep information for many steps, which the adding problem and text need and a plain RNN lacks.
"""

from common.datasets import Dataset, look_up
from common.sequence_datasets import LOADERS

DATASETS = {name: LOADERS[name] for name in ("sine", "airline", "stock", "adding", "imdb", "text")}


def load_dataset(name: str = "text", **options) -> Dataset:
    """Load one of DATASETS by name with its loader's options (window, many_to_many, ...); ValueError if unknown."""
    return look_up(DATASETS, name)(**options)
