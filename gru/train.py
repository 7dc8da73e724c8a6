"""Train a gated recurrent unit network (GRU), one layer or a stack of them (--layers), and save a run folder.

    python -m gru.train                        # characters of Python's help texts, about two minutes on 2 CPU cores
    python -m gru.train --layers 2 --units 128 # a deep GRU: two stacked layers
    python -m gru.train --corpus shakespeare --prompt "ROMEO:"            # downloaded once, then cached
    python -m gru.train --dataset airline --units 16 --batch-size 8 --epochs 300 --patience 30 --learning-rate 0.001
    python -m gru.train --quick                # a few seconds, to check that everything works
"""

import dataclasses
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python gru/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import exit_on_bad_input, format_config, option, parse_config, quiet_tensorflow, setup_logging
from common.sequence_config import SequenceConfig, dataset_options, evaluator_options, model_options
from gru.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class GruConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    # Defaults for python-docs: six epochs of a 256-unit GRU at a high learning rate reach about 1.9 bits per
    # character in under two minutes on 2 CPU cores; validation loss stops improving after about five.
    dataset: str = option("text", "dataset", choices=tuple(DATASETS))
    epochs: int = option(6, "maximum number of passes over the training data (early stopping may end sooner)")
    learning_rate: float = option(0.005, "optimizer step size")
    units: int = option(256, "hidden units of each recurrent layer")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(GruConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    from common.sequence_evaluation import sequence_evaluator
    from common.training import train_and_evaluate
    from gru.model import build_model

    with exit_on_bad_input():
        dataset = load_dataset(config.dataset, **dataset_options(config))

    result = train_and_evaluate(config, dataset, lambda: build_model(**model_options(config, dataset)), arch="gru",
                                evaluate=sequence_evaluator(dataset, **evaluator_options(config)))
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
