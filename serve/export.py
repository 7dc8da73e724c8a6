"""Export a run folder's model for other servers: a TensorFlow SavedModel (what TF Serving loads) or a TensorFlow
Lite file (phones, small boards), written inside the run folder and checked against the Keras model.

    python -m serve.export runs/ann/digits-20261122-184501 --format savedmodel   # RUN_DIR/export/savedmodel-<time>/
    python -m serve.export runs/lstm/airline-20261122-190210 --format tflite     # RUN_DIR/export/tflite-<time>/

Both come from Keras' own model.export: format="tf_saved_model" (a `serve` function taking the model's inputs, batch
of any size) and format="litert" (the TensorFlow Lite converter). The Lite file reads one example at a time with
every length fixed (a window of 3 months, a source of 28 characters): recurrent layers then become TensorFlow Lite's
own operations, where a batch or a length left open needs TensorFlow's operations inside the Lite interpreter
(the "Flex" delegate), which the tensorflow package's interpreter cannot run.

The check: the first test examples kept in the run's inputs.json (as model.keras reads them: ann/'s raw rows) go
through the Keras model and through the export, which is loaded back from its file, and the largest absolute
difference of their outputs (probabilities, scaled values, pixels, or a value in the target's units) must be within
TOLERANCE times the largest output (at least 1); the command says how large it was.
Each export goes to a new folder: nothing is overwritten. A bad run folder is one line and exit status 2; an export
that differs from Keras beyond the tolerance, exit status 1.
"""

import argparse
import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python serve/export.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from common.config import make_run_dir
from common.flags import OneLineParser, exit_on_bad_input
from common.console import quiet_tensorflow
from serve.run_folder import check_run_folder

PROG = "serve/export.py"
FORMATS = ("savedmodel", "tflite")
# The largest difference allowed between an export's outputs and Keras', per unit of the largest output (at least 1):
# the SavedModel runs the same TensorFlow kernels (we see 0); TensorFlow Lite its own float32 kernels, which add and
# multiply in another order (about 1e-7 on probabilities; 6e-5 on diabetes' answers, about 150).
TOLERANCE = {"savedmodel": 1e-5, "tflite": 1e-4}
CHECKED_EXAMPLES = 16


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a run folder written by a train script")
    parser.add_argument("--format", required=True, choices=FORMATS, help="savedmodel (TF Serving) or tflite")
    return parser.parse_args(argv)


def model_argument(inputs: list[np.ndarray]):
    """What the model (and its SavedModel) is called with: the array, or the list of arrays of a model with several
    inputs (attention's source and decoder input, a conditional generator's noise and digit)."""
    return inputs[0] if len(inputs) == 1 else inputs


def export_savedmodel(model, folder: Path, inputs: list[np.ndarray]) -> np.ndarray:
    """Write the SavedModel into folder, load it back, and return its outputs for inputs."""
    import tensorflow as tf

    model.export(str(folder), format="tf_saved_model", verbose=False)
    loaded = tf.saved_model.load(str(folder))
    return np.asarray(loaded.serve(model_argument(inputs)))


def export_tflite(model, path: Path, inputs: list[np.ndarray]) -> np.ndarray:
    """Write a TensorFlow Lite file for one example of the inputs' lengths, load it back into an interpreter, and
    return its outputs for inputs, one example at a time."""
    import keras
    import tensorflow as tf

    signature = [keras.InputSpec(shape=(1, *x.shape[1:]), dtype=x.dtype.name) for x in inputs]
    model.export(
        str(path), format="litert", verbose=False, input_signature=signature if len(signature) == 1 else [signature]
    )
    with warnings.catch_warnings():  # "tf.lite.Interpreter is deprecated": LiteRT's is a separate package
        warnings.simplefilter("ignore")
        runner = tf.lite.Interpreter(model_path=str(path)).get_signature_runner()
    names = list(runner.get_input_details())  # args_0, args_0_1, ...: the model's inputs in order
    outputs = []
    for i in range(len(inputs[0])):
        answer = runner(**{name: x[i : i + 1] for name, x in zip(names, inputs)})
        outputs.append(next(iter(answer.values())))
    return np.concatenate(outputs)


def allowed_difference(format_name: str, expected: np.ndarray) -> float:
    """TOLERANCE[format_name] per unit of the largest Keras output, at least 1: probabilities and scaled values keep
    the plain tolerance, an answer in the target's units (a disease score near 150) a tolerance 150 times larger."""
    return TOLERANCE[format_name] * max(1.0, float(np.max(np.abs(expected))))


def main(argv: list[str] | None = None) -> dict:
    arguments = parse_arguments(argv)
    run_dir = Path(arguments.run_dir)
    with exit_on_bad_input(PROG):
        check_run_folder(run_dir)

    quiet_tensorflow(verbose=False)  # TensorFlow loads only now, after the cheap checks
    import keras

    from serve.run_folder import open_run_folder
    from serve.loading import make_task

    with exit_on_bad_input(PROG):
        task = make_task(open_run_folder(run_dir))
        folder = make_run_dir(run_dir, "export", arguments.format)
    # The model's own inputs for the first test examples, in the dtypes its inputs declare.
    inputs = [
        np.asarray(x).astype(spec.dtype) for x, spec in zip(task.test_inputs(CHECKED_EXAMPLES), task.model.inputs)
    ]
    expected = np.asarray(keras.ops.convert_to_numpy(task.model(model_argument(inputs), training=False)))
    if arguments.format == "savedmodel":
        path, exported = folder, export_savedmodel(task.model, folder, inputs)
    else:
        path = folder / "model.tflite"
        exported = export_tflite(task.model, path, inputs)
    difference = float(np.max(np.abs(exported - expected)))
    tolerance = allowed_difference(arguments.format, expected)
    print(f"{arguments.format}: {path}")
    print(
        f"largest |keras - {arguments.format}| on {len(expected)} test examples: {difference:.2e} "
        f"(tolerance {tolerance:.1e})"
    )
    result = {
        "format": arguments.format,
        "path": str(path),
        "examples": len(expected),
        "max_difference": difference,
        "tolerance": tolerance,
        "matches": difference <= tolerance,
    }
    if not result["matches"]:
        print(f"{PROG}: the export differs from the Keras model by more than {tolerance:.1e}", file=sys.stderr)
        raise SystemExit(1)
    return result


if __name__ == "__main__":
    main()
