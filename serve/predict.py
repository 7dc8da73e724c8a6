"""Predictions from the terminal or a script: the inputs, checks and answers of POST /predict, one line per result.

    python -m serve.predict runs/cnn/mnist5k-20261122-190012 digit.png seven.jpg          # image files
    python -m serve.predict runs/ann/breast_cancer-20261122-191000 patients.csv          # a CSV of rows
    python -m serve.predict runs/lstm/airline-20261122-190210 history.csv --steps 3      # or "112,118,132,..."
    python -m serve.predict runs/gru/text-20261123-101500 "The " --temperature 0.8 --length 300
    python -m serve.predict runs/attention/bahdanau/dates-20261123-011206 "march 3rd, 2015" "3/3/15"
    python -m serve.predict runs/gan/dcgan/mnist5k-20261123-120000 0 1 2 --count 4     # seeds
    python -m serve.predict RUN_DIR '{"pixels": [[0, 0.5, ...], ...]}'     # any body POST /predict takes

What an INPUT is depends on the run: an image file (read as gray, or RGB for a colour model, scaled to 0..1; a gray
one is inverted when its background is light, since the digits were written light on dark, and a digit is cropped,
fitted and centred as the page does, as MNIST's were); a CSV
file of feature rows, or of the steps of a sequence (a first line that is not numbers is a header); a history, as a
file or as numbers separated by commas; a prompt; a text to translate; a seed. Reconstructions and samples are saved
as PNG files in a new folder RUN_DIR/predict/<kind>-<time>/. Every input is answered before the first line is
printed: a bad one is one line on stderr, exit status 2, and no other output.
"""

import argparse
import csv
import functools
import json
import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python serve/predict.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import make_run_dir
from common.flags import OneLineParser, exit_on_bad_input, require
from common.console import quiet_tensorflow
from serve.run_folder import check_run_folder

PROG = "serve/predict.py"
# The most pixels an image file may have: a phone photo has about 12 million; a PNG of a few bytes can claim
# 20,000 x 20,000 (400 million) and take gigabytes to decode. PIL's own guard warns only above 89 million.
MAX_IMAGE_PIXELS = 50_000_000


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a run folder written by a train script")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="what to predict for (see above)")
    parser.add_argument("--top-k", type=int, default=3, help="classes shown per input (default: 3)")
    parser.add_argument("--steps", type=int, default=1, help="forecast: values ahead (default: 1)")
    parser.add_argument("--temperature", type=float, default=0.5, help="text: sampling temperature (default: 0.5)")
    parser.add_argument("--length", type=int, default=200, help="text: characters to generate (default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="text: random seed (default: 0)")
    parser.add_argument("--beam-width", type=int, default=1, help="translation: beam width (default: 1, greedy)")
    parser.add_argument("--count", type=int, default=1, help="samples: images per seed (default: 1)")
    parser.add_argument("--digit", type=int, default=None, help="samples: the digit a conditional GAN draws")
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------------------------------------------
# Reading inputs into bodies


def read_numbers_csv(path: Path) -> list[list[float]]:
    """The rows of a CSV file of numbers; a first line that is not all numbers is a header and is skipped."""
    require(path.is_file(), f"{path}: no such file")
    try:
        lines = [row for row in csv.reader(path.read_text(encoding="utf-8").splitlines()) if row]
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            rows.append([float(cell) for cell in line])
        except ValueError:
            require(number == 1, f"{path} line {number}: {','.join(line)!r} is not a row of numbers")
    require(rows, f"{path}: no rows of numbers")
    return rows


def resized(image, height: int, width: int):
    """A gray image (rows of values in 0..1) resized to height x width."""
    import numpy as np
    from PIL import Image

    picture = Image.fromarray(np.uint8(np.round(255 * image))).resize((width, height), Image.LANCZOS)
    return np.asarray(picture, dtype="float64") / 255.0


def fitted_digit(image, height: int, width: int, box: int):
    """A digit prepared as MNIST's were (and as the page does): cropped to its ink, scaled to fit a box x box
    square, and placed so that its centre of mass is in the middle of a height x width black image."""
    import numpy as np

    rows, columns = np.nonzero(image > 0.12)
    if len(rows) == 0:  # no ink at all: the whole image, resized
        return resized(image, height, width)
    crop = image[rows.min() : rows.max() + 1, columns.min() : columns.max() + 1]
    scale = box / max(crop.shape)
    digit = resized(crop, max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale)))
    mass = digit.sum() or 1.0
    mass_row = (digit.sum(axis=1) * (np.arange(digit.shape[0]) + 0.5)).sum() / mass
    mass_column = (digit.sum(axis=0) * (np.arange(digit.shape[1]) + 0.5)).sum() / mass
    top = int(np.clip(round(height / 2 - mass_row), 0, height - digit.shape[0]))
    left = int(np.clip(round(width / 2 - mass_column), 0, width - digit.shape[1]))
    fitted = np.zeros((height, width))
    fitted[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return fitted


def read_image(path: Path, shape: dict) -> list:
    """An image file as the rows of values in 0..1 a model of this input shape (GET /model's "input") reads: gray
    (inverted when its background is light) or [r, g, b]; a digit fitted as the data set's were."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    require(path.is_file(), f"{path}: no such file")
    height, width, channels = shape["height"], shape["width"], shape["channels"]
    try:
        with warnings.catch_warnings():  # PIL warns above 89 million pixels: the size is checked here instead
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(path)  # reads the header only: the size is known before any pixel is decoded
        with picture:
            columns, rows = picture.size
            require(
                columns * rows <= MAX_IMAGE_PIXELS,
                f"{path}: its header claims {columns:,} x {rows:,} pixels, "
                f"more than the {MAX_IMAGE_PIXELS:,} this program reads",
            )
            picture = picture.convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path}: not an image this program can read ({error})") from None
    if channels == 3:
        return (np.asarray(picture.resize((width, height), Image.LANCZOS), dtype="float64") / 255.0).round(4).tolist()
    image = np.asarray(picture, dtype="float64") / 255.0
    if image.mean() > 0.5:  # dark ink on light paper: turn it into light ink on dark, as the digits were written
        image = 1.0 - image
    box = shape.get("digit_box")
    image = fitted_digit(image, height, width, box) if box else resized(image, height, width)
    return image.round(4).tolist()


def bodies_for(task, text: str, arguments) -> list[tuple[str, dict]]:
    """(label, body) pairs for one INPUT, in the shape POST /predict takes for this task's kind."""
    if text.lstrip().startswith("{"):
        try:
            return [(text[:40], json.loads(text))]
        except json.JSONDecodeError as error:
            raise ValueError(f"{text[:40]!r} is not valid JSON ({error.msg})") from None
        except RecursionError:  # nested deeper than Python's recursion limit
            raise ValueError(f"{text[:40]!r} is JSON nested too deeply to be read") from None
    kind, path = task.kind, Path(text)
    if kind in ("image", "reconstruction"):
        shape = task.input_description()
        rows = read_image(path, shape)
        body = {"pixels": rows} if shape["channels"] == 1 else {"rgb": rows}
        return [(text, body if kind == "reconstruction" else {**body, "top_k": arguments.top_k})]
    if kind == "features":
        return [
            (f"{text} row {i}", {"features": row, "top_k": arguments.top_k})
            for i, row in enumerate(read_numbers_csv(path), start=1)
        ]
    if kind == "sequence":
        return [(text, {"values": read_numbers_csv(path), "top_k": arguments.top_k})]
    if kind == "forecast":
        if path.is_file():
            history = [value for row in read_numbers_csv(path) for value in row]
        else:
            try:
                history = [float(part) for part in text.replace(";", ",").split(",") if part.strip()]
            except ValueError:
                raise ValueError(f"{text[:40]!r} is neither a file nor numbers separated by commas") from None
        return [(text if path.is_file() else "history", {"history": history, "steps": arguments.steps})]
    if kind == "text":
        return [
            (
                text,
                {
                    "prompt": text,
                    "temperature": arguments.temperature,
                    "length": arguments.length,
                    "seed": arguments.seed,
                },
            )
        ]
    if kind == "translation":
        return [(text, {"text": text, "beam_width": arguments.beam_width})]
    require(text.isdigit(), f"{text!r} is not a seed (a whole number 0 or more)")
    body = {"count": arguments.count, "seed": int(text)}
    return [(f"seed {text}", body if arguments.digit is None else {**body, "digit": arguments.digit})]


def checked(task, label: str, body: dict):
    """The body as the task's pydantic model, or a ValueError with the same sentence the API would answer."""
    from pydantic import ValidationError

    from serve.schemas import describe_errors

    try:
        return task.Body.model_validate(body)
    except ValidationError as error:
        raise ValueError(f"{label}: {describe_errors(error.errors())}") from None


# ----------------------------------------------------------------------------------------------------------------
# Answers as lines


def save_images(folder: Path, images: list, names: list[str]) -> list[Path]:
    """Gray images (rows of values in 0..1) as PNG files folder/<name>.png."""
    import numpy as np
    from PIL import Image

    paths = []
    for image, name in zip(images, names):
        paths.append(folder / f"{name}.png")
        Image.fromarray(np.uint8(np.round(255 * np.clip(image, 0, 1)))).save(paths[-1])
    return paths


def answer_line(label: str, answer: dict, index: int, output_folder) -> str:
    """The line printed for one answer; output_folder() is where pictures go (made at the first call)."""
    if "top" in answer:
        return f"{label}: " + ", ".join(f"{entry['class']} ({entry['probability']:.3f})" for entry in answer["top"])
    if "value" in answer:
        return f"{label}: {answer['value']:.4f}"
    if "classes" in answer:  # a class per step
        return f"{label}: " + ", ".join(answer["classes"])
    if "forecast" in answer:
        return f"{label}: " + ", ".join(f"{value:.4f}" for value in answer["forecast"])
    if "generated" in answer:
        return f"{answer['prompt']!r} -> {answer['prompt'] + answer['generated']!r}"
    if "output" in answer:
        return f"{label!r} -> {answer['output']!r}"
    if "reconstruction" in answer:
        path = save_images(output_folder(), [answer["reconstruction"]], [f"reconstruction_{index}"])[0]
        return f"{label}: mse {answer['mse']:.4f}, {path}"
    names = [f"{label.replace(' ', '_')}_{i}" for i in range(len(answer["images"]))]
    return f"{label}: " + " ".join(map(str, save_images(output_folder(), answer["images"], names)))


def main(argv: list[str] | None = None) -> list[dict]:
    arguments = parse_arguments(argv)
    run_dir = Path(arguments.run_dir)
    with exit_on_bad_input(PROG):
        check_run_folder(run_dir)

    quiet_tensorflow(verbose=False)  # TensorFlow loads only now, after the cheap checks
    from serve.loading import load_task

    with exit_on_bad_input(PROG):
        task = load_task(run_dir)
        bodies = [
            (label, checked(task, label, body))
            for text in arguments.inputs
            for label, body in bodies_for(task, text, arguments)
        ]

    @functools.cache
    def output_folder() -> Path:  # one new folder per command, only if there are pictures to save
        with exit_on_bad_input(PROG):
            return make_run_dir(run_dir, "predict", task.kind)

    answers = []
    with exit_on_bad_input(PROG):
        for label, body in bodies:  # every answer before the first line: a bad input leaves no partial output
            try:
                answers.append(task.answer(body))
            except ValueError as error:  # the task's own checks (a wrong size, too short a history)
                raise ValueError(f"{label}: {error}") from None
    for index, ((label, _), answer) in enumerate(zip(bodies, answers)):
        print(answer_line(label, answer, index, output_folder), flush=True)
    return answers


if __name__ == "__main__":
    main()
