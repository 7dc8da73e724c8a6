"""Use a trained model on your own text: load a run folder, decode each input, optionally save where it looked.

    python -m attention.translate runs/attention/bahdanau/dates-20261123-011206 "march 3rd, 2015" "3/3/15"
    python -m attention.translate RUN_DIR --file my_dates.txt --beam-width 4
    python -m attention.translate RUN_DIR "the 9th of july 1969" --heatmaps

RUN_DIR is a folder written by attention/train.py: its model.keras holds the network (the attention layers load with
it), its vocabulary.json the tokens. Each input is split as in training (characters or words); a token the model never
saw in training becomes <unk> and is reported. --heatmaps saves one picture per input in a new folder
RUN_DIR/translate/heatmaps-<time>/. Prints `input -> output` per line. The decoding is attention/use.py's translate.
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python attention/translate.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from attention.use import read_vocabularies, translate
from common.config import make_run_dir
from common.flags import OneLineParser, exit_on_bad_input, fail, require
from common.console import quiet_tensorflow
from common.pairs import UNKNOWN

PROG = "attention/translate.py"  # errors start with it, as every script's do


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a run folder of attention/train.py (with model.keras and vocabulary.json)")
    parser.add_argument("texts", nargs="*", help="inputs to decode, each one argument (quote it if it has spaces)")
    parser.add_argument("--file", help="a UTF-8 file with one input per line (empty lines are skipped)")
    parser.add_argument("--beam-width", type=int, default=1, help="candidates kept while decoding (default: 1, greedy)")
    parser.add_argument("--heatmaps", action="store_true", help="save an attention picture per input")
    return parser.parse_args(argv)


def read_inputs(arguments: argparse.Namespace) -> list[str]:
    """The texts given on the command line, then the lines of --file; ValueError when there is none or one is blank."""
    texts = list(arguments.texts)
    if arguments.file:
        path = Path(arguments.file)
        require(path.is_file(), f"--file {path}: no such file")
        try:
            texts += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except UnicodeDecodeError:
            raise ValueError(f"--file {path}: not UTF-8 text") from None
    require(len(texts) > 0, "give at least one input, as an argument or with --file")
    require(all(text.strip() for text in texts), "an input is empty")
    return texts


def main(argv: list[str] | None = None) -> dict:
    arguments = parse_arguments(argv)
    run_dir = Path(arguments.run_dir)
    with exit_on_bad_input(PROG):
        require(arguments.beam_width >= 1, f"--beam-width must be at least 1 (got {arguments.beam_width})")
        require((run_dir / "model.keras").is_file(), f"{run_dir}: no model.keras; is this a run folder of "
                                                     f"attention/train.py?")
        texts = read_inputs(arguments)
        source_vocabulary, target_vocabulary, mode = read_vocabularies(run_dir)

    quiet_tensorflow(verbose=False)
    import keras

    import attention.model  # noqa: F401  (registers the attention layers model.keras is made of)
    from common.seq2seq import plot_attention

    try:
        # Safe mode, said rather than left to the default: no Python code from the file (a Lambda layer's) runs.
        model = keras.models.load_model(run_dir / "model.keras", safe_mode=True, compile=False)  # for decoding only
    except Exception as error:  # a damaged or foreign file: say so in one line, whatever Keras raised
        message = " ".join(str(error).split())[:300]
        fail(f"{run_dir / 'model.keras'} cannot be loaded ({type(error).__name__}: {message})", prog=PROG)

    answers = translate(model, (source_vocabulary, target_vocabulary, mode), texts, arguments.beam_width)
    unknown = sorted({token for answer in answers for token in answer["unknown"]})
    if unknown:
        print(f"not seen in training, read as {UNKNOWN}: {' '.join(repr(token) for token in unknown)}")
    for text, answer in zip(texts, answers):
        print(f"{text!r} -> {answer['output']!r}")

    heatmap_dir = None
    if arguments.heatmaps and answers[0]["attention"] is not None:
        with exit_on_bad_input(PROG):
            heatmap_dir = make_run_dir(run_dir, "translate", "heatmaps")
        for i, (text, answer) in enumerate(zip(texts, answers)):
            plot_attention(answer["attention"], answer["input_tokens"], answer["output_tokens"],
                           heatmap_dir / f"attention_{i}.png", title=f"{text!r} -> {answer['output']!r}")
        print(f"heatmaps: {heatmap_dir}")
    elif arguments.heatmaps:
        print("no heatmaps: this model has no attention")
    return {"outputs": [answer["output"] for answer in answers], "ids": np.stack([answer["ids"] for answer in answers]),
            "unknown": unknown, "heatmap_dir": None if heatmap_dir is None else str(heatmap_dir)}

if __name__ == "__main__":
    main()
