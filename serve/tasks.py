"""What a served run does with a request: one class per kind of run, turning a JSON body into the model's input and
its output into an answer in the data's own terms (class names, original units).

    task = load_task("runs/ann/digits-20261122-184501")       # serve/loading.py: an ImageClassifier
    task.predict(ImageBody(pixels=...))                       # {"class": "7", "probability": 0.98, "top": [...]}
    task.describe()                                           # what GET /model shows, with an example body

    kind            the data                                    input -> answer
    image           digit and other images                      pixels in 0..1 -> top-k classes
    features        rows of measurements                        raw feature values -> top-k classes, or a value
    sequence        values per step (tagging, adding problem)   values per step -> classes (per step), or a value
    forecast        a series                                    the series so far -> the next values
    text, translation, reconstruction, samples                  serve/generative.py

The kind is inputs.json's (common/inputs.py wrote it from the data, serve/inputs.py checked it), with the facts a
task reads: class names, the pixels' range, how many values a forecast needs. No data set is loaded.

A task raises ValueError, in one sentence, for an input its run cannot take (a wrong size, too short a history); the
server answers that with 422; Task.answer is predict with a check that the answer is finite numbers. The model is
called with predict_on_batch (Task.call_model): a compiled graph, without model.predict's per-call set-up, and the
same numbers.
"""

import json
import math

import numpy as np

from common.flags import require
from serve.run_folder import RunFolder
from serve.schemas import Body, FeaturesBody, ForecastBody, ImageBody, SequenceBody

# The side of the square a hand-drawn digit is fitted into before it is sent, as the data sets were made: MNIST
# digits fill a 20 x 20 box centred in 28 x 28, scikit-learn's digits the whole 8 x 8.
DIGIT_BOX = {"digits": 8, "mnist5k": 20, "mnist": 20}
MEBIBYTE = 1024 * 1024


class Task:
    """What every kind shares: the run, the body model of POST /predict, GET /model's description."""

    kind = ""
    Body = Body

    def __init__(self, run: RunFolder):
        self.run, self.model, self.inputs = run, run.model, run.inputs  # inputs.json: serve/inputs.py

    # seconds of model time per unit of work(), measured on the example at start-up (load_task): the queue's seed
    seconds_per_unit = 0.0

    def predict(self, body) -> dict:
        raise NotImplementedError

    def work(self, body) -> float:
        """How much model work a body asks for, in units whose time is about the same (serve/limits.py's queue
        estimates a wait from it): 1 call of the model, unless a kind says otherwise."""
        return 1.0

    def answer(self, body) -> dict:
        """predict(body), refused with ValueError in one sentence when the answer is not finite numbers, with no
        NumPy warnings on the way: an input far outside what the model was trained on can overflow (the schemas'
        bounds keep every kind finite on the data sets here; this is the net under them)."""
        with np.errstate(all="ignore"):
            result = self.predict(body)
        try:
            json.dumps(result, allow_nan=False)
        except ValueError:
            raise ValueError(
                "the model's answer to this input is not a finite number; its values may lie far "
                "outside those the model was trained on"
            ) from None
        return result

    def input_description(self) -> dict:
        return {}

    def example(self) -> dict:
        """A body POST /predict accepts, made from the first test example: the page starts from it."""
        raise NotImplementedError

    def test_inputs(self, count: int) -> list[np.ndarray]:
        """The model's own inputs for the first `count` test examples (serve/export.py checks exports on them)."""
        return [self.run.examples[:count]]

    @property
    def max_body_bytes(self) -> int:
        """The largest request body the server reads: 1 MiB, far more than any input here needs."""
        return MEBIBYTE

    def describe(self) -> dict:
        metrics = self.run.metrics
        return {
            "run": self.run.name,
            "folder": self.run.folder,
            "dataset": metrics.get("dataset"),
            "task": metrics.get("task"),
            "kind": self.kind,
            "input": self.input_description(),
            "test_metrics": metrics.get("test", {}),
            "baselines": metrics.get("baselines", {}),
            "params": metrics.get("params"),
            "max_body_bytes": self.max_body_bytes,
            "example": self.example(),
        }

    def call_model(self, inputs) -> np.ndarray:
        """The model's outputs for one batch, as float64. predict_on_batch runs the forward pass as a compiled graph
        (traced once per input shape): 5 to 80 times faster here than calling the model eagerly, whose recurrent
        layers step through time in Python."""
        return np.asarray(self.model.predict_on_batch(inputs), dtype="float64")


def class_probabilities(output: np.ndarray) -> np.ndarray:
    """(k,) probabilities from one example's output: a softmax as it is; one sigmoid unit p as [1 - p, p]."""
    output = np.asarray(output, dtype="float64").ravel()
    return np.array([1.0 - output[0], output[0]]) if output.size == 1 else output


def ranked(probabilities: np.ndarray, class_names: list[str], top_k: int) -> dict:
    """The top_k classes, likeliest first: {"class", "index", "probability", "top": [{"class", "index", ...}]}."""
    order = np.argsort(-probabilities, kind="stable")[:top_k]
    top = [{"class": class_names[i], "index": int(i), "probability": float(probabilities[i])} for i in order]
    return {"class": top[0]["class"], "index": top[0]["index"], "probability": top[0]["probability"], "top": top}


class ImageClassifier(Task):
    """A digit (or any image) classifier: ann/ reads the pixels as one vector, cnn/ as an image, deep_rnn/ and birnn/
    as a sequence of rows; the body is the same image for all of them."""

    kind = "image"
    Body = ImageBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        shape = self.model_shape = run.examples.shape[1:]
        # A flat model (ann/) reads the h * w pixels of a square gray image as one row; cnn/ reads (h, w, channels)
        # images; deep_rnn/ and birnn/ (rows, columns), read row by row.
        side = math.isqrt(shape[0]) if len(shape) == 1 else 0
        self.shape = (side, side, 1) if side else tuple(shape) if len(shape) == 3 else (*shape, 1)
        # A model that scales its pixels itself (ann/, cnn/) reads them in their raw range (pixel_max: 16 for the
        # 8x8 digits, 255 for MNIST); deep_rnn/ and birnn/ in 0..1, as their data set holds them.
        self.pixel_max, self.class_names = run.inputs["pixel_max"], list(run.inputs["class_names"])
        self.dataset_name = run.inputs["dataset"]
        self.first_test_image = run.examples[0].reshape(self.shape) / self.pixel_max

    @property
    def max_body_bytes(self) -> int:
        return max(MEBIBYTE, 24 * int(np.prod(self.shape)))  # about 24 characters per value of JSON

    def input_description(self) -> dict:
        height, width, channels = self.shape
        return {
            "height": height,
            "width": width,
            "channels": channels,
            "values": "0 (black) to 1 (white)",
            "digit_box": DIGIT_BOX.get(self.dataset_name) if channels == 1 else None,
            "classes": list(self.class_names),
        }

    def example(self) -> dict:
        image = self.first_test_image.round(4)
        return {"pixels": image[..., 0].tolist()} if self.shape[2] == 1 else {"rgb": image.tolist()}

    def image(self, body) -> np.ndarray:
        """The body's image as an array (h, w, channels), checked against the size the model was trained on."""
        height, width, channels = self.shape
        field, values = ("pixels", body.pixels) if channels == 1 else ("rgb", body.rgb)
        other = "rgb" if channels == 1 else "pixels"
        require(
            values is not None,
            f"this model reads {'gray' if channels == 1 else 'colour'} images: send "
            f"{field} ({height} rows of {width} {'values' if channels == 1 else '[r, g, b]'})"
            + (f", not {other}" if getattr(body, other) is not None else ""),
        )
        require(len(values) == height, f"{field} must have {height} rows (got {len(values)})")
        for row, line in enumerate(values):
            require(len(line) == width, f"{field}[{row}] must have {width} values (got {len(line)})")
        return np.asarray(values, dtype="float32").reshape(self.shape)

    def model_input(self, image: np.ndarray) -> np.ndarray:
        """(1, ...) what this run's model reads, from an image (h, w, channels) in 0..1."""
        return (image * self.pixel_max).reshape(1, *self.model_shape).astype("float32")

    def predict(self, body: ImageBody) -> dict:
        probabilities = class_probabilities(self.call_model(self.model_input(self.image(body)))[0])
        return ranked(probabilities, self.class_names, body.top_k)


class FeatureModel(Task):
    """A model of tabular data: one value per feature, in the data set's own units, as model.keras reads them (it
    standardizes them itself); a regression answers in the target's units."""

    kind = "features"
    Body = FeaturesBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        self.feature_names, self.class_names = run.inputs["feature_names"], run.inputs["class_names"]
        self.raw_test = run.examples

    def input_description(self) -> dict:
        return {"features": self.feature_names, "classes": list(self.class_names)}

    def example(self) -> dict:
        return {"features": [float(f"{value:.7g}") for value in self.raw_test[0]]}  # float32's digits

    def predict(self, body: FeaturesBody) -> dict:
        count = len(self.feature_names)
        require(
            len(body.features) == count,
            f"features must hold {count} values, one per feature (got {len(body.features)}); GET /model lists them",
        )
        output = self.call_model(np.asarray([body.features], dtype="float32"))[0]
        if self.run.inputs["task"] == "regression":  # model.keras answers in the target's units
            return {"value": float(output[0])}
        return ranked(class_probabilities(output), self.class_names, body.top_k)


class SequenceModel(Task):
    """A recurrent model on sequences of values: a class per step (tagging), one class, or one value (adding)."""

    kind = "sequence"
    Body = SequenceBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        self.length, self.features = run.examples.shape[1:]
        self.fixed_length = run.model.inputs[0].shape[1] is not None
        self.class_names, self.per_step = self.inputs["class_names"], self.inputs["per_step"]

    def input_description(self) -> dict:
        return {
            "steps": self.length,
            "features": self.features,
            "any_length": not self.fixed_length,
            "classes": list(self.class_names),
            "per_step": self.per_step,
        }

    def example(self) -> dict:
        return {"values": self.run.examples[0].round(4).tolist()}

    def predict(self, body: SequenceBody) -> dict:
        require(
            not self.fixed_length or len(body.values) == self.length,
            f"values must have {self.length} steps (got {len(body.values)})",
        )
        for step, row in enumerate(body.values):
            require(len(row) == self.features, f"values[{step}] must have {self.features} numbers (got {len(row)})")
        output = self.call_model(np.asarray(body.values, dtype="float32")[None])[0]
        if self.inputs["task"] == "regression":
            return {"value": float(output[0])}
        if self.per_step:  # (steps, classes)
            steps = [ranked(class_probabilities(row), self.class_names, body.top_k) for row in output]
            return {"classes": [step["class"] for step in steps], "steps": steps}
        return ranked(class_probabilities(output), self.class_names, body.top_k)


class Forecaster(Task):
    """A one-step forecaster of a series: model.keras reads the last values in their own units and answers the next
    one (common/forecast_model.py: the run's transform and scaler are layers inside it). Several steps feed each
    forecast back in as the newest value."""

    kind = "forecast"
    Body = ForecastBody

    def __init__(self, run: RunFolder):
        super().__init__(run)
        self.window, self.lag, self.transform = self.inputs["window"], self.inputs["lag"], self.inputs["transform"]
        self.needed = self.window + self.lag  # the window, and `lag` values before it for the transform
        # A log transform needs values above 0 that float32, the model's numbers, does not round to 0.
        self.minimum = float(np.finfo("float32").tiny) if self.transform not in ("none", "difference") else None

    def input_description(self) -> dict:
        return {
            "needed": self.needed,
            "window": self.window,
            "transform": self.transform,
            "unit": self.inputs["unit"],
            "time_unit": self.inputs["time_unit"],
            "positive": self.minimum is not None,
            "minimum": self.minimum,
        }

    def example(self) -> dict:
        """The end of the series: enough for a forecast, and a few seasons to look at."""
        return {"history": [round(value, 4) for value in self.inputs["history"]], "steps": 6}

    def next_value(self, history: np.ndarray) -> float:
        return float(self.call_model(history[None, -self.needed :].astype("float32"))[0, 0])

    def work(self, body: ForecastBody) -> float:
        return float(body.steps)  # a model call per step

    def predict(self, body: ForecastBody) -> dict:
        history = np.asarray(body.history, dtype="float64")
        require(
            len(history) >= self.needed,
            f"history must hold at least {self.needed} values ({self.window} for the window"
            + (f" and {self.lag} before it for the {self.transform} transform" if self.lag else "")
            + f"; got {len(history)})",
        )
        if self.minimum is not None:
            require(
                np.all(history >= self.minimum),
                f"history values must be above 0 (at least {self.minimum:.4g}, float32's smallest): the "
                f"{self.transform} transform takes their logarithm",
            )
        forecast = []
        for _ in range(body.steps):
            forecast.append(self.next_value(history))
            history = np.append(history, forecast[-1])
        return {"forecast": forecast, "unit": self.inputs["unit"]}
