"""serve/'s API fuzzed from its own schema: schemathesis reads the app's /openapi.json and sends generated bodies to
POST /predict, GET /model and GET /health of a served ann, lstm, gru and attention run; the promise checked is that
every answer is a 2xx or a 4xx whose body is {"detail": "<one sentence>"}, never a 5xx, and that the server is as
healthy afterwards as before (GET /health answers, the run's example gets the same answer).

Three fuzzes per kind, each bounded (EXAMPLES bodies, derandomized, so a failure is the same on every run):
- valid bodies of the schema as served (types and ranges that hold for every run: mostly refused by the run's own
  checks, a wrong image size or too short a history, with a 422);
- invalid bodies (schemathesis' negative mode: wrong types, out-of-range values, unknown fields, bodies that are not
  JSON): each refused with a 4xx;
- valid bodies of the schema narrowed by the run's own input (GET /model's "input": 8 x 8 pixels, at least 15
  values of history, none below float32's smallest positive one, a date of at most 26 characters), integers sent as
  ints: they reach the model, and each is answered 200 (the strict types refuse 2.0 for an integer, which JSON
  Schema and schemathesis count as one: the fuzz of the served schema sees those 422s).
Requests go through schemathesis' ASGI transport to http://localhost, a Host the app answers to: the narrowed fuzz's
200s show that the requests reached the routes rather than the Host check's 400.

The four run folders are the --quick runs test_serve.py trains once per process (served()).
"""

import collections
import copy

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from test_serve import served  # the run folders test_serve.py makes

from serve.app import create_app
from serve.loading import make_task

KINDS = ["ann", "lstm", "gru", "attention"]
BASE_URL = "http://localhost"  # the app refuses a Host it does not answer to (schemathesis' own is "testserver")
EXAMPLES = 25  # bodies per operation, kind and mode
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                HealthCheck.filter_too_much])
INTEGER_FIELDS = ("top_k", "steps", "length", "seed", "beam_width")


class Fuzzed:
    """A served run, a fresh app around it, and the app's own OpenAPI schema as schemathesis loaded it."""

    def __init__(self, tmp_path_factory, name: str):
        self.task, _ = served(tmp_path_factory, name)
        self.app = create_app(self.task)
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", self.app, headers={"Host": "localhost"})
        self.example = self.task.example()
        fresh = make_task(self.task.run)  # a new task on the same run: nothing a request could have left in it
        self.expected = fresh.answer(fresh.Body.model_validate(self.example))

    def fuzz(self, operation, mode: GenerationMode) -> collections.Counter:
        """Send EXAMPLES generated cases of `operation` to the app; check each answer; count them by status."""
        statuses = collections.Counter()

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def send(case):
            response = case.call(base_url=BASE_URL, app=self.app)
            case.validate_response(response, checks=[not_a_server_error])
            assert 200 <= response.status_code < 500, (response.status_code, response.text)
            assert response.headers["content-type"] == ["application/json"]  # schemathesis' Response: lists
            if response.status_code >= 400:
                assert_one_sentence(response.json())
            statuses[response.status_code] += 1

        send()
        return statuses

    def assert_healthy(self):
        """GET /health answers ok, and the run's example gets the answer a freshly made task gives (a text model's
        state, for one, is reset between requests)."""
        operation = self.schema["/health"]["GET"]
        health = operation.Case().call(base_url=BASE_URL, app=self.app)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "run": self.task.run.name, "kind": self.task.kind}
        again = self.schema["/predict"]["POST"].Case(body=self.example).call(base_url=BASE_URL, app=self.app)
        assert again.status_code == 200 and again.json() == self.expected


def assert_one_sentence(body: dict):
    """The app's refusal: {"detail": "<one sentence>"}, one line of printable text, no traceback."""
    assert list(body) == ["detail"], body
    detail = body["detail"]
    assert isinstance(detail, str) and detail == detail.strip() and detail, body
    assert detail.isprintable() and "Traceback" not in detail, body  # isprintable: no line break, no control
    assert not detail.startswith("the server failed"), body  # the 500 handler's words


def whole_numbers(case):
    """The case with an integer field written as a float (2.0: an integer to JSON Schema, which schemathesis sends)
    turned into an int: the strict types refuse 2.0 with a 422 (the fuzz of the served schema sees those), and the
    narrowed fuzz is for bodies that reach the model."""
    for field in INTEGER_FIELDS:
        if isinstance(case.body.get(field), float):
            case.body[field] = int(case.body[field])
    return case


def narrowed(schema: dict, name: str, described: dict) -> dict:
    """The app's OpenAPI schema with POST /predict's body narrowed to what this run takes (GET /model's "input")."""
    schema = copy.deepcopy(schema)
    components = schema["components"]["schemas"]
    if name == "ann":  # a gray image of the run's size; rgb left out (this model reads gray images)
        body = components["ImageBody"]
        row = {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1},
               "minItems": described["width"], "maxItems": described["width"]}
        body["properties"]["pixels"] = {"type": "array", "items": row, "minItems": described["height"],
                                        "maxItems": described["height"]}
        del body["properties"]["rgb"]
        body["required"] = ["pixels"]
    elif name == "lstm":  # enough history for the window and the transform; positive for a logarithm
        history = components["ForecastBody"]["properties"]["history"]
        history["minItems"] = described["needed"]
        if described["positive"]:  # above 0, and not below float32's smallest (the model's numbers)
            history["items"] = {**history["items"], "minimum": described["minimum"]}
    elif name == "attention":  # at most the longest source of training, in characters, not blank
        assert described["tokens"] == "char"
        text = components["TranslationBody"]["properties"]["text"]
        text["maxLength"], text["pattern"] = described["max_tokens"], r"\S"
    elif name == "gru":  # every prompt, temperature and seed of the schema is one this run takes
        length = components["TextBody"]["properties"]["length"]
        length["maximum"] = 250  # bounded for time only: the fuzz of the served schema asks for up to 1,000
    return schema


@pytest.fixture(scope="module", params=KINDS)
def fuzzed(request, tmp_path_factory) -> Fuzzed:
    return Fuzzed(tmp_path_factory, request.param)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_predict_fuzzed_from_the_served_schema(fuzzed, mode):
    statuses = fuzzed.fuzz(fuzzed.schema["/predict"]["POST"], mode)
    assert sum(statuses.values()) >= EXAMPLES // 2  # the bodies were sent, not filtered away
    if mode == GenerationMode.NEGATIVE:  # an invalid body is refused, whatever it is
        assert all(400 <= status < 500 for status in statuses), statuses
        assert statuses[422] and statuses[400]  # not JSON, and JSON that is not a valid input, both tried
    fuzzed.assert_healthy()


def test_get_model_and_health_fuzzed(fuzzed):
    for path in ("/model", "/health"):
        assert fuzzed.fuzz(fuzzed.schema[path]["GET"], GenerationMode.POSITIVE) == {200: 1}  # no inputs: one case
    fuzzed.assert_healthy()


def test_predict_fuzzed_with_the_runs_own_input(fuzzed):
    """Valid bodies for this run reach the model and are answered 200 (the Host check let them through)."""
    described = fuzzed.task.describe()["input"]
    schema = schemathesis.openapi.from_dict(narrowed(fuzzed.schema.raw_schema, fuzzed.task.run.folder, described))
    answered = []

    @FUZZ_SETTINGS
    @given(case=schema["/predict"]["POST"].as_strategy(generation_mode=GenerationMode.POSITIVE).map(whole_numbers))
    def send(case):
        response = case.call(base_url=BASE_URL, app=fuzzed.app)
        case.validate_response(response, checks=[not_a_server_error])
        assert response.status_code == 200, (case.body, response.text)
        assert "detail" not in response.json()
        answered.append(case.body)

    send()
    assert len(answered) >= EXAMPLES // 2  # the bodies were sent, not filtered away
    fuzzed.assert_healthy()


# ----------------------------------------------------------------------------------------------------------------
# What the fuzz found, written out


@pytest.mark.parametrize("field, named", [
    ("e\x0f\U000987fc\x7f\u00bfo\x84\u00e9", "'e\\x0f\\U000987fc\\x7f\u00bfo\\x84\u00e9'"),  # the fuzz's own key
    ("a\nb", "'a\\nb'"),                   # a line break came back inside the one-line refusal
    ("", "''"),                            # read as 'the body must be a JSON object'
    ("x" * 2_000, "'" + "x" * 40 + "'..."),  # the whole name came back, however long
    ("body", "body"),                      # dropped with FastAPI's own 'body' prefix
    ("model", "model"),                    # a short printable name, as sent
])
def test_an_unknown_field_is_named_in_one_printable_line(field, named, tmp_path_factory):
    _, client = served(tmp_path_factory, "gru")
    response = client.post("/predict", json={"prompt": "The", field: 1})
    assert response.status_code == 422
    assert response.json() == {"detail": f"{named}: Extra inputs are not permitted"}
    assert_one_sentence(response.json())
