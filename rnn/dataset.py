"""Data sets for the SimpleRNN folder: the shared sequence data sets, with the noisy sine as the default.

    from rnn.dataset import load_dataset
    from rnn.train import RnnConfig
    data = load_dataset(RnnConfig(window=20))   # sine: x_train (n, 20, 1) scaled values, y_train (n,) the next one

sine, airline, stock, adding and text (python-docs) work offline; imdb and text shakespeare are downloaded. The
series and their windows are made in common/forecast_series.py, the text in common/text.py, adding and imdb in
common/sequences.py. A plain RNN is at its best on short memories like the sine's; the adding problem shows where it
fails.
"""

from common.datasets import Dataset
from common.sequences import SequenceConfig, load_sequence_dataset

DATASETS = ("sine", "airline", "stock", "adding", "imdb", "text")


def load_dataset(config: SequenceConfig) -> Dataset:
    """The data set config.dataset names, shaped by its flags (--window, --transform, --sequence-length, ...)."""
    return load_sequence_dataset(config)
