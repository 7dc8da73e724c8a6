"""Data sets for the LSTM folder: the shared sequence data sets, with the airline passengers as the default.

    from lstm.dataset import load_dataset
    from lstm.train import LstmConfig
    data = load_dataset(LstmConfig())     # airline, x_train (n, 3, 1): 3 months of scaled log growth on a year ago

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
