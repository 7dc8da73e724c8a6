"""Train a simple recurrent network (SimpleRNN) and save a run folder.

    python -m rnn.train                                   # noisy sine, next value, under a minute on 2 CPU cores
    python -m rnn.train --task many-to-many               # a prediction at every step of the window
    python -m rnn.train --dataset adding --sequence-length 100   # where a plain RNN's memory runs out
    python -m rnn.train --quick                           # a few seconds, to check that everything works
"""

import dataclasses
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python rnn/train.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import exit_on_bad_input, format_config, option, parse_config, quiet_tensorflow, setup_logging
from common.sequence_config import SequenceConfig, dataset_options, evaluator_options, model_options
from rnn.dataset import DATASETS, load_dataset


@dataclasses.dataclass
class RnnConfig(SequenceConfig):
    # Shared fields keep their meaning here and change only their default.
    dataset: str = option("sine", "dataset", choices=tuple(DATASETS))
    units: int = option(32, "hidden units of each recurrent layer")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(RnnConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))

    # TensorFlow loads only now, after the flags were checked, so that a mistyped flag is answered at once.
    quiet_tensorflow(config.verbose)
    from common.sequence_evaluation import sequence_evaluator
    from common.training import train_and_evaluate
    from rnn.model import build_model

    with exit_on_bad_input():
        dataset = load_dataset(config.dataset, **dataset_options(config))

    result = train_and_evaluate(config, dataset, lambda: build_model(**model_options(config, dataset)), arch="rnn",
                                evaluate=sequence_evaluator(dataset, **evaluator_options(config)))
    print(result["summary"])
    return result


if __name__ == "__main__":
    main()
