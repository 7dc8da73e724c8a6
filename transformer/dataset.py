"""Data for the transformer: characters of a text (the corpus and split gru/ reads), or attention/'s dates task.

    from transformer.dataset import load_dataset
    from transformer.train import TransformerConfig
    data = load_dataset(TransformerConfig())                  # text: x_train (n, 64) ids, y_train shifted by one
    data = load_dataset(TransformerConfig(dataset="dates"))   # x_train (8000, 28) source ids, y_train (8000, 12)

text: python-docs (the default) is embedded in every Python; shakespeare is downloaded once and cached; any UTF-8
file works too (--corpus path). The text is cut in order: the last 10% is test, the 10% before it validation; the
vocabulary comes from the training part (common/text.py). dates: "tuesday, march 3 2015", "3/3/15", "the 3rd of march
2015" ... -> "2015-03-03", generated, split 80/10/10 as attention/ splits them (common/pairs.py), so the two compare.
"""

from common.datasets import Dataset, look_up
from common.pairs import load_dates
from common.text import load_text

DATASETS = {
    "text": lambda config: load_text(corpus=config.corpus, window=config.window),
    "dates": lambda config: load_dates(num_samples=config.num_samples),
}


def load_dataset(config) -> Dataset:
    """The data set config.dataset names (config: a TransformerConfig); ValueError for a name it does not know."""
    return look_up(DATASETS, config.dataset)(config)
