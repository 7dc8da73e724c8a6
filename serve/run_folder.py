"""Open a run folder for serving: its config.json and metrics.json, its model.keras (in Keras' safe mode), and its
inputs.json, which says what the model reads and answers (common/inputs.py wrote it; serve/inputs.py checks it).

    config, metrics = check_run_folder("runs/ann/digits-20261122-184501")   # standard library only: fast
    run = open_run_folder("runs/ann/digits-20261122-184501")   # RunFolder: path, config, metrics, model, inputs

A run is served from its own files alone: no data set is loaded, so its training data may be gone (a cnn trained on
an image folder since deleted) or on another machine. config.json names the folder that trained it; serve imports
that folder's model.py (its own layers, registered for loading) and, for a model that needs a step outside it, its
use.py (serve/generative.py), and knows no folder by name. Nothing here writes a file.
"""

import dataclasses
import functools
import importlib
import json
from pathlib import Path

import numpy as np

from common.config import REPO_ROOT
from common.flags import require
from serve.inputs import check_inputs

RUN_FILES = ("config.json", "metrics.json", "model.keras", "inputs.json")


@dataclasses.dataclass
class RunFolder:
    """Everything a task needs to answer requests: the model and what training knew about its inputs."""

    path: Path
    config: dict  # config.json: "folder", "script" and every flag of the run
    metrics: dict  # metrics.json: "dataset", "task", "test", "baselines", "params", ...
    model: object  # the keras.Model of model.keras
    inputs: dict  # inputs.json, checked (serve/inputs.py): the kind of input, its facts and first test examples

    @property
    def folder(self) -> str:
        return self.config["folder"]

    @property
    def name(self) -> str:
        """'<folder>/<run folder's name>': what a page shows, without the server's own path."""
        return f"{self.folder}/{self.path.name}"

    @functools.cached_property
    def examples(self) -> np.ndarray:
        """The first test examples, as model.keras reads them (inputs.json's)."""
        return np.asarray(self.inputs["examples"], "float32")


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
    require(path.is_dir(), f"{path} is not a folder; give a run folder such as runs/<folder>/<dataset>-<time>")
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    require(
        missing in ([], ["inputs.json"]),
        f"{path} has no {' and no '.join(missing)}; is it a run folder written by a train script?",
    )
    require(
        not missing,
        f"{path} has no inputs.json: it was written before run folders described their model's input "
        f"(2026-12-07); train it again",
    )
    config, metrics = read_json(path / "config.json"), read_json(path / "metrics.json")
    folder = config.get("folder")
    require(
        isinstance(folder, str) and folder.isidentifier() and (REPO_ROOT / folder / "train.py").is_file(),
        f"{path / 'config.json'} names folder {json.dumps(folder)[:80]}, none of this repository's",
    )
    return config, metrics


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


def open_run_folder(run_dir: str | Path) -> RunFolder:
    """Check and load a run folder (see the module docstring); ValueError in one sentence for anything wrong."""
    path = Path(run_dir)
    config, metrics = check_run_folder(path)
    model = load_model(path / "model.keras", config["folder"])
    inputs = check_inputs(read_json(path / "inputs.json"), path / "inputs.json", model)
    return RunFolder(path, config, metrics, model, inputs)
