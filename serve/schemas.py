"""The JSON bodies POST /predict accepts, one pydantic model per kind of run, and how a refused body is put in words.

    ImageBody(pixels=[[0.0, 0.5, ...], ...], top_k=3)        # a gray image, rows of values in 0..1
    describe_errors(error.errors())                          # 'pixels[3][5]: Input should be less than or equal to 1'

Each model checks what holds for every run of its kind: types (strict: "0.5" is not a number), ranges (pixels in
0..1, a temperature from 0.01 to 5, any other value within +-1e9), finite numbers (NaN and Infinity are refused), no
unknown fields, and upper bounds on every list and string, so that no request can ask for unbounded work and the
maths stays finite (a temperature of 5e-324 would divide logarithms into infinities; a feature of 1e308 overflows
float32). What depends on the run (28 x 28 pixels, 30 features, a date of at most 28 characters) is checked by its
task in serve/tasks.py, in the same kind of sentence.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_SIDE = 512  # rows, or values per row, of an image (cnn/'s --image-size goes up to 512)
MAX_VALUES = 10_000  # features of a row, steps of a sequence or of a history
MAX_TEXT = 1_000  # characters of a prompt or of a text to translate
MAX_GENERATED = 1_000  # characters a text model may be asked to write
MAX_STEPS = 60  # values a forecast may run ahead
MAX_SAMPLES = 64  # images a generator may be asked for at once
MAX_MAGNITUDE = 10**9  # a feature, step or history value, either sign (the data sets here stay far below)
MIN_TEMPERATURE = 0.01  # sampling below it is greedy anyway; near 0 the logits divided by it overflow

Pixel = Annotated[float, Field(ge=0.0, le=1.0)]
Value = Annotated[float, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="random seed: the same seed gives the same answer")]
TopK = Annotated[int, Field(ge=1, le=1000, description="how many of the likeliest classes to return")]


class Body(BaseModel):
    """What every body shares: strict types, no NaN or Infinity, no fields the model does not know."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")


class ImageBody(Body):
    """An image classifier's input: a gray image (pixels) or a colour one (rgb), values in 0..1, 0 black."""

    pixels: list[Annotated[list[Pixel], Field(max_length=MAX_SIDE)]] | None = Field(
        None, max_length=MAX_SIDE, description="gray image: rows of values in 0..1"
    )
    rgb: (
        list[Annotated[list[Annotated[list[Pixel], Field(min_length=3, max_length=3)]], Field(max_length=MAX_SIDE)]]
        | None
    ) = Field(None, max_length=MAX_SIDE, description="colour image: rows of [red, green, blue] in 0..1")
    top_k: TopK = 3


class FeaturesBody(Body):
    """A tabular model's input: one value per feature, in the data's original units."""

    features: list[Value] = Field(min_length=1, max_length=MAX_VALUES)
    top_k: TopK = 3


class SequenceBody(Body):
    """A sequence model's input: one row of feature values per time step."""

    values: list[Annotated[list[Value], Field(min_length=1, max_length=MAX_VALUES)]] = Field(
        min_length=1, max_length=MAX_VALUES
    )
    top_k: TopK = 3


class ForecastBody(Body):
    """A forecaster's input: the series so far, in its original units, oldest first."""

    history: list[Value] = Field(min_length=1, max_length=MAX_VALUES)
    steps: int = Field(1, ge=1, le=MAX_STEPS, description="values to forecast, each read back as history")


class TextBody(Body):
    """A character model's input: the start of the text and how to sample what follows."""

    prompt: str = Field(min_length=1, max_length=MAX_TEXT)
    temperature: float = Field(0.5, ge=MIN_TEMPERATURE, le=5.0, description="below 1 safer, above 1 more surprising")
    length: int = Field(200, ge=1, le=MAX_GENERATED, description="characters to generate")
    seed: Seed = 0


class TranslationBody(Body):
    """A sequence-to-sequence model's input: the text to turn into its output (for dates: any written date)."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    beam_width: int = Field(1, ge=1, le=8, description="candidates kept while decoding (1: greedy)")


class ReconstructionBody(Body):
    """An autoencoder's input: a gray image, values in 0..1."""

    pixels: list[Annotated[list[Pixel], Field(min_length=1, max_length=MAX_SIDE)]] = Field(
        min_length=1, max_length=MAX_SIDE
    )


class SamplesBody(Body):
    """A generator's input: how many images, drawn from which seed (and, when conditional, which digit)."""

    count: int = Field(8, ge=1, le=MAX_SAMPLES)
    seed: Seed = 0
    digit: int | None = Field(None, ge=0, le=9999, description="conditional generators only: the class to draw")


MAX_NAME = 40  # characters of a client's unknown field name repeated in a refusal


def field_name(part) -> str:
    """A field name as a refusal shows it: as sent when it is a short printable name, else quoted (repr escapes line
    breaks and control characters) and cut to MAX_NAME characters. An unknown field's name is the client's own text:
    the fuzz (tests/test_serve_fuzz.py) sent one with control characters, which came back inside the one-line
    refusal, and an empty one, which read as 'the body must be a JSON object'."""
    name = str(part)
    if name.isprintable() and name == name.strip() and 0 < len(name) <= MAX_NAME:
        return name
    return repr(name[:MAX_NAME]) + ("..." if len(name) > MAX_NAME else "")


def location(loc) -> str:
    """('body', 'pixels', 3, 5) -> 'pixels[3][5]': where in the body a problem is. Only FastAPI's leading 'body' is
    dropped: an unknown field a client named "body" is named too."""
    parts = list(loc[1:] if tuple(loc[:1]) == ("body",) else loc)
    if not parts:
        return ""
    return field_name(parts[0]) + "".join(f"[{field_name(part)}]" for part in parts[1:])


def describe_errors(errors: list[dict]) -> str:
    """The first problem pydantic (or FastAPI's JSON decoding) found, as one sentence, and how many more there are."""
    error = errors[0]
    where = location(error.get("loc", ()))
    if error.get("type") == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be decoded')})"
    if error.get("type") == "missing" and where == "":
        return "the body is empty; send a JSON object (GET /model shows an example)"
    if where == "":
        return f"the body must be a JSON object sent as application/json ({error['msg']}); GET /model shows one"
    sentence = f"{where}: {error['msg']}" if where else error["msg"]
    more = len(errors) - 1
    return sentence + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def is_malformed(errors: list[dict]) -> bool:
    """True when the body could not be read at all (not JSON, or empty): a 400 rather than a 422."""
    first = errors[0]
    return first.get("type") == "json_invalid" or (first.get("type") == "missing" and location(first["loc"]) == "")
