"""Data sets for the GRU folder: the shared sequence data sets, with character-level text as the default.

    from gru.dataset import load_dataset
    from gru.train import GruConfig
    data = load_dataset(GruConfig())      # text (python-docs): x_train (n, 100) ids, y_train the same shifted by one

sine, airline, stock, adding and text (python-docs) work offline; imdb and text shakespeare are downloaded. The
series and their windows are made in common/forecast_series.py, the text in common/text.py, adding and imdb in
common/sequences.py. Gated cells keep information for many steps, which the adding problem and text need and a plain
RNN lacks.
"""

from common.datasets import Dataset
from common.sequences import SequenceConfig, load_sequence_dataset

DATASETS = ("sine", "airline", "stock", "adding", "imdb", "text")


def load_dataset(config: SequenceConfig) -> Dataset:
    """The data set config.dataset names, shaped by its flags (--window, --transform, --sequence-length, ...)."""
    return load_sequence_dataset(config)
