"""Data for the transformer: characters of a text, the same corpus and split that gru/ reads, so the two compare.

    from transformer.dataset import load_dataset
    from transformer.train import TransformerConfig
    data = load_dataset(TransformerConfig())   # python-docs: x_train (n, 128) ids, y_train the same shifted by one

python-docs (the default) is embedded in every Python; shakespeare is downloaded once and cached; any UTF-8 file works
too (--corpus path). The text is cut in order: the last 10% is test, the 10% before it validation; the vocabulary
comes from the training part (common/text.py).
"""

from common.datasets import Dataset, look_up
from common.text import load_text

DATASETS = {"text": lambda config: load_text(corpus=config.corpus, window=config.window)}


def load_dataset(config) -> Dataset:
    """The data set config.dataset names (config: a TransformerConfig); ValueError for a name it does not know."""
    return look_up(DATASETS, config.dataset)(config)
