"""Open a run folder for serving: its config.json and metrics.json, its model.keras (in Keras' safe mode), and what
the model reads: inputs.json where the run wrote one, else the data set it was trained on, rebuilt by the folder's
own dataset.py.

    config, metrics = check_run_folder("runs/ann/digits-20261122-184501")   # standard library only: fast
    run = open_run_folder("runs/ann/digits-20261122-184501")   # RunFolder: path, config, metrics, model, inputs

A folder whose model.keras has its preprocessing inside (ann/, cnn/: model.py's end_to_end) writes inputs.json
(common/runs.py's describe_inputs): the kind of input, the class and feature names, the pixels' range and a few raw
test examples. Such a run is served from its own files alone: its training data may be gone, or on another machine.

Every other run folder keeps the trained network but not everything needed to feed it new inputs: a forecast's scaler
and transform, a text model's vocabulary, the class names. They are rebuilt here from config.json, by calling the
folder's own `load_dataset` with the flags the run was trained with: every default data set is embedded and
deterministic (fixed split seeds), so the server sees exactly what training saw. A data set that had to be downloaded
must still be in Keras' cache, and a --pairs file must still be where it was. Nothing here writes a file.
"""

import dataclasses
import functools
import importlib
import json
import math
import typing
from pathlib import Path

import numpy as np

from common.flags import require, value_type

# The folder a run came from (config.json's "folder") -> its config class in <folder>/train.py.
CONFIG_CLASSES = {
    "ann": "AnnConfig",
    "cnn": "CnnConfig",
    "rnn": "RnnConfig",
    "lstm": "LstmConfig",
    "gru": "GruConfig",
    "deep_rnn": "DeepRnnConfig",
    "birnn": "BirnnConfig",
    "attention": "AttentionConfig",
    "autoencoder": "AutoencoderConfig",
    "gan": "GanConfig",
}
RUN_FILES = ("config.json", "metrics.json", "model.keras")
# Flags that change how a run trained, not the data or the model a server reads: serving takes their defaults, so
# that a run trained with --distribute multi-worker is served without TF_CONFIG, and one whose --output-dir is gone
# is served all the same.
TRAINING_ONLY = (
    "distribute",
    "output_dir",
    "tensorboard",
    "verbose",
    "jit_compile",
    "steps_per_execution",
    "mixed_precision",
)


@dataclasses.dataclass
class RunFolder:
    """Everything a task needs to answer requests: the model and what training knew about its inputs."""

    path: Path
    config: dict  # config.json: "folder", "script" and every flag of the run
    metrics: dict  # metrics.json: "dataset", "task", "test", "baselines", "params", ...
    model: object  # the keras.Model of model.keras
    inputs: dict | None = None  # inputs.json (check_inputs), for a model that reads raw input; else None

    @property
    def folder(self) -> str:
        return self.config["folder"]

    @property
    def name(self) -> str:
        """'ann/digits-20261122-184501': what a page shows, without the server's own path."""
        return f"{self.folder}/{self.path.name}"

    @functools.cached_property
    def dataset(self):
        """The data set the run trained on (common.datasets.Dataset), rebuilt by the folder's own loader on first use:
        a run with inputs.json is served without it."""
        return rebuild_dataset(self.config, self.path)

    @functools.cached_property
    def examples(self) -> np.ndarray:
        """Test examples as model.keras reads them: inputs.json's first raw ones, or the data set's test split."""
        return np.asarray(self.inputs["examples"], "float32") if self.inputs else self.dataset.x_test


def read_json(path: Path) -> dict:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} cannot be read ({type(error).__name__}: {error})") from None
    except RecursionError:  # JSON nested deeper than Python's recursion limit (about 1,000 levels)
        raise ValueError(f"{path} cannot be read (its JSON is nested too deeply)") from None
    require(isinstance(content, dict), f"{path} is not a JSON object")
    return content


def check_run_folder(run_dir: str | Path) -> tuple[dict, dict]:
    """(config, metrics) of a run folder, or a ValueError in one sentence. Standard library only, so that a wrong
    path is answered before TensorFlow's slow import."""
    path = Path(run_dir)
    require(path.is_dir(), f"{path} is not a folder; give a run folder such as runs/ann/digits-<time>")
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    require(not missing, f"{path} has no {' and no '.join(missing)}; is it a run folder written by a train script?")
    config, metrics = read_json(path / "config.json"), read_json(path / "metrics.json")
    folder = config.get("folder")
    require(
        isinstance(folder, str) and folder in CONFIG_CLASSES,  # a list is not hashable: checked first
        f"{path / 'config.json'} names folder {folder!r}, none that serve knows ({', '.join(CONFIG_CLASSES)})",
    )
    return config, metrics


TYPE_WORDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def has_type(value, hint) -> bool:
    """True when a config.json value fits a config field's type: int, float (an int too), str, bool, or None where
    the field allows it. JSON's true is not a number here, though Python's bool is an int."""
    if value is None:
        return type(None) in typing.get_args(hint)
    kind = value_type(hint)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def rebuild_config(config: dict, where: str = "config.json"):
    """The run's config dataclass (an AnnConfig, ...) from config.json: its flags, type-checked and validated again,
    with the training-only flags (TRAINING_ONLY) at their defaults. ValueError in one sentence for a value of the
    wrong type ("epochs": "ten") or one that no longer holds (an --image-dir that was removed)."""
    config_class, fields = checked_flags(config, where)
    try:
        return config_class(**fields)
    except TypeError as error:  # a check of validate() that the types above did not foresee
        raise ValueError(f"{where} does not describe a run serve can rebuild ({error})") from None


def checked_flags(config: dict, where: str = "config.json") -> tuple[type, dict]:
    """(the run's config class, its flags from config.json), each flag's type checked, the training-only ones left
    out; ValueError in one sentence for a value of the wrong type. A run served from inputs.json stops here: its
    flags describe how it trained, and need not hold any more (its --image-dir may be gone)."""
    module = importlib.import_module(f"{config['folder']}.train")
    config_class = getattr(module, CONFIG_CLASSES[config["folder"]])
    hints = typing.get_type_hints(config_class)
    fields = {}
    for field in dataclasses.fields(config_class):
        if field.name not in config or field.name in TRAINING_ONLY:
            continue
        value, kind = config[field.name], value_type(hints[field.name])
        expected = TYPE_WORDS.get(kind, kind.__name__)
        require(
            has_type(value, hints[field.name]),
            f"{where} gives {field.name!r} as {json.dumps(value)[:60]}, not "
            f"{expected}; the file is damaged or was not written by a train "
            f"script",
        )
        fields[field.name] = value
    return config_class, fields


def load_model(path: Path, folder: str):
    """model.keras in Keras' safe mode (no Python code from the file runs), without its training settings.

    The folder's model.py is imported first: it registers the folder's own layers (attention's decoder, the VAE's
    sampling layer) under the names the file refers to. Any failure is a ValueError in one sentence.
    """
    import keras

    importlib.import_module(f"{folder}.model")
    try:
        # safe_mode=True, said here rather than left to the default: an explicit True also overrides a global
        # keras.config.enable_unsafe_deserialization() made elsewhere in the process.
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # a damaged zip, a foreign file, an unknown layer: one line, whatever Keras raised
        message = " ".join(str(error).split())
        if ("Lambda" in message and "unsafe" in message.lower()) or "safe_mode" in message:
            raise ValueError(
                f"{path} holds Python code (a Lambda layer's function), which Keras' safe mode refuses "
                f"to load: serve never runs code from a model file"
            ) from None
        raise ValueError(f"{path} cannot be loaded ({type(error).__name__}: {message[:300]})") from None


def rebuild_dataset(config: dict, path: Path):
    """The data set of config.json's run, by the folder's own load_dataset with the run's flags."""
    loader = importlib.import_module(f"{config['folder']}.dataset").load_dataset
    return loader(rebuild_config(config, path / "config.json"))


def check_inputs(inputs: dict, where: Path, model) -> dict:
    """inputs.json, checked against the model it describes; ValueError in one sentence when it does not fit."""
    kinds = ("image", "features")
    require(inputs.get("kind") in kinds, f"{where} gives kind {inputs.get('kind')!r}, not one of {', '.join(kinds)}")
    require(
        isinstance(inputs.get("dataset"), str) and inputs.get("task") in ("classification", "regression"),
        f"{where} does not name its data set and its task (classification or regression)",
    )
    for key in ("class_names", *(("feature_names",) if inputs["kind"] == "features" else ())):
        names = inputs.get(key)
        require(
            isinstance(names, list) and all(isinstance(name, str) for name in names),
            f"{where} has no list of {key.replace('_', ' ')}",
        )
    outputs = model.outputs[0].shape[-1]  # one sigmoid unit answers for two classes
    require(
        inputs["task"] != "classification" or len(inputs["class_names"]) == max(2, outputs),
        f"{where} names {len(inputs['class_names'])} classes for a model.keras with {outputs} outputs",
    )
    if inputs["kind"] == "image":
        pixel_max = inputs.get("pixel_max")
        require(
            isinstance(pixel_max, (int, float)) and not isinstance(pixel_max, bool) and 0 < pixel_max < math.inf,
            f"{where} gives no pixel range (pixel_max) above 0",
        )
    try:
        examples = np.asarray(inputs.get("examples"), dtype="float32")
    except (TypeError, ValueError):
        examples = np.zeros(0)
    expected = tuple(model.inputs[0].shape[1:])
    require(
        examples.ndim == len(expected) + 1
        and len(examples) > 0
        and examples.shape[1:] == expected
        and np.isfinite(examples).all(),
        f"{where} holds no examples of the shape {expected} that model.keras reads",
    )
    if inputs["kind"] == "features":
        require(
            len(inputs["feature_names"]) == expected[0],
            f"{where} names {len(inputs['feature_names'])} features for a model that reads {expected[0]}",
        )
    return inputs


def open_run_folder(run_dir: str | Path) -> RunFolder:
    """Check and load a run folder (see the module docstring); ValueError in one sentence for anything wrong."""
    path = Path(run_dir)
    config, metrics = check_run_folder(path)
    folder = config["folder"]
    if not (path / "inputs.json").is_file():
        require(
            not hasattr(importlib.import_module(f"{folder}.dataset"), "raw_features"),
            f"{path} has no inputs.json: it was trained before {folder}/ saved models that read raw input "
            f"(2026-12-07); train it again",
        )
        run = RunFolder(path, config, metrics, None)
        run.dataset  # rebuilt now, so that a missing download or file is found at start-up  # noqa: B018
        run.model = load_model(path / "model.keras", folder)
        check_model_fits_data(run)
        return run
    checked_flags(config, path / "config.json")
    model = load_model(path / "model.keras", folder)
    inputs = check_inputs(read_json(path / "inputs.json"), path / "inputs.json", model)
    return RunFolder(path, config, metrics, model, inputs)


def check_model_fits_data(run: RunFolder) -> None:
    """ValueError when model.keras cannot read the data config.json describes: the files do not belong together."""
    if run.folder == "gan":  # the generator reads noise, not images
        return
    expected = tuple(run.model.inputs[0].shape[1:])
    given = tuple(run.dataset.x_train.shape[1:])
    fits = len(expected) == len(given) and all(e is None or e == g for e, g in zip(expected, given))
    require(
        fits,
        f"{run.path / 'model.keras'} reads inputs of shape {expected} but config.json describes "
        f"{run.dataset.name} examples of shape {given}; the files do not come from the same run",
    )
