"""Data sets for the LSTM folder: the shared sequence data sets, with the airline passengers as the default.

    from lstm.dataset import load_dataset
    data = load_dataset("airline")        # x_train (n, 3, 1): 3 months of scaled log growth on a year ago

sine, airline, stock, adding and text (python-docs) work offline; imdb and text shakespeare are downloaded.
Gated cells keep information for many steps, which the adding problem and text need and a plain RNN lacks.
"""

from common.datasets import Dataset, look_up
from common.sequence_datasets import LOADERS

DATASETS = {name: LOADERS[name] for name in ("sine", "airline", "stock", "adding", "imdb", "text")}


def load_dataset(name: str = "airline", **options) -> Dataset:
    """Load one of DATASETS by name with its loader's options (window, many_to_many, ...); ValueError if unknown."""
    return look_up(DATASETS, name)(**options)
