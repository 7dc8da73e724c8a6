"""inputs.json, the run folder's description of what model.keras reads (written by common/inputs.py), checked before
serve trusts it: one pydantic model per kind, and the fit between the file and the model.

    inputs = check_inputs(read_json(path / "inputs.json"), path / "inputs.json", model)   # a dict, or ValueError

A file that is damaged, hand-edited or belongs to another model is refused in one sentence naming the file: a wrong
kind, a missing or mistyped fact, class names that do not match the model's outputs, examples of another shape.
"""

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.flags import require
from serve.schemas import describe_errors

Count = Annotated[int, Field(ge=1, le=10**7)]
Names = Annotated[list[str], Field(max_length=100_000)]


class Described(BaseModel):
    """What every kind has: its data set and task, and its first test examples as model.keras reads them."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore")
    kind: str
    dataset: str
    task: Literal["classification", "regression", "generation", "seq2seq"]
    examples: list


class Image(Described):
    kind: Literal["image", "reconstruction"]
    class_names: Names
    pixel_max: Annotated[float, Field(gt=0)]  # white, as model.keras reads it


class Features(Described):
    kind: Literal["features"]
    class_names: Names
    feature_names: Names


class Sequence(Described):
    kind: Literal["sequence"]
    class_names: Names
    per_step: bool


class Forecast(Described):
    kind: Literal["forecast"]
    window: Count
    lag: Annotated[int, Field(ge=0, le=10**4)]
    transform: Literal["none", "difference", "log-difference", "seasonal-log-difference"]  # common/forecasting.py
    unit: str
    time_unit: str
    history: Annotated[list[float], Field(min_length=1)]


class Text(Described):
    kind: Literal["text"]
    vocabulary: Annotated[list[Annotated[str, Field(min_length=1, max_length=1)]], Field(min_length=2)]
    window: Count


class Tokens(Described):
    kind: Literal["tokens"]
    vocab_size: Count


class Translation(Described):
    kind: Literal["translation"]
    max_source: Count
    tokens: Literal["char", "word"]
    example: Annotated[str, Field(min_length=1)]
    target_examples: list


class Samples(Described):
    kind: Literal["samples"]
    latent_dim: Count
    conditional: bool
    class_names: Names
    height: Count
    width: Count
    pixel_max: Annotated[float, Field(gt=0)]  # white, as model.keras answers it


KINDS = {
    kind: model
    for model in (Image, Features, Sequence, Forecast, Text, Tokens, Translation, Samples)
    for kind in model.model_fields["kind"].annotation.__args__
}


def check_inputs(content: dict, where, model) -> dict:
    """inputs.json's content checked against its kind's schema and the model it describes (see the module
    docstring); ValueError in one sentence when it does not fit."""
    kind = content.get("kind")
    require(kind in KINDS, f"{where} gives kind {kind!r}, not one of {', '.join(KINDS)}")
    try:
        KINDS[kind].model_validate(content)
    except ValidationError as error:
        problem = describe_errors(error.errors())
        raise ValueError(f"{where} does not describe a model of kind {kind}: {problem}") from None
    if content["task"] == "classification" and kind in ("image", "features", "sequence"):  # classes out
        outputs = model.outputs[0].shape[-1]  # one sigmoid unit answers for two classes
        require(
            len(content["class_names"]) == max(2, outputs),
            f"{where} names {len(content['class_names'])} classes for a model.keras with {outputs} outputs",
        )
    for examples, model_input in zip((content["examples"], content.get("target_examples")), model.inputs):
        if examples is None:
            continue
        try:
            examples = np.asarray(examples, dtype="float32")
        except (TypeError, ValueError):
            examples = np.zeros(0)
        expected = tuple(model_input.shape[1:])
        require(
            examples.ndim == len(expected) + 1
            and len(examples) > 0
            and all(e is None or e == g for e, g in zip(expected, examples.shape[1:]))
            and np.isfinite(examples).all(),
            f"{where} holds no examples of the shape {expected} that model.keras reads",
        )
    if kind == "features":
        require(
            len(content["feature_names"]) == model.inputs[0].shape[1],
            f"{where} names {len(content['feature_names'])} features for a model that reads {model.inputs[0].shape[1]}",
        )
    return content
