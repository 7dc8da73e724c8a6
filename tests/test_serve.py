"""serve/: every kind of run folder behind the JSON API (FastAPI's TestClient), whose answers equal what the loaded
model gives directly; refusals in one sentence; the command lines' bad input; exports that match Keras.

Run folders come from --quick runs with the smallest settings, made once per process (quick_run, which
test_serve_server.py and test_serve_browser.py share). Every kind of task runs by default: images (ann, cnn),
forecasts (lstm's airline, rnn's sine), text (gru), translation (attention), features (breast_cancer), tags per step
(birnn), reconstruction (autoencoder) and samples (gan); two variants of kinds already covered, a regression on
features and an image read row by row (deep_rnn), run with -m slow. serve.predict reads image files, a history, a CSV
of rows, a prompt and dates as the API does.
"""

import contextlib
import dataclasses
import importlib
import io
import json
import shutil
import socket
from pathlib import Path
from unittest import mock

import keras
import numpy as np
import pytest
from fastapi.testclient import TestClient

from serve import export, predict, tasks
from serve import __main__ as serve_main
from serve.app import create_app
from common.config import REPO_ROOT
from serve.loading import load_task

QUICK_RUNS = {  # name -> (train module, flags after --quick --epochs 1): the smallest run of each kind
    "ann": ("ann.train", "--hidden-units", "8"),                                        # digits 8x8: image
    "cnn": ("cnn.train", "--dataset", "digits", "--arch", "basic", "--no-augment"),    # image
    "lstm": ("lstm.train", "--units", "4"),                                              # airline: forecast
    "gru": ("gru.train", "--units", "8", "--window", "20", "--embedding-dim", "4"),     # text
    "transformer": ("transformer.train", "--d-model", "8", "--heads", "2", "--layers", "1", "--ff-dim", "16",
                    "--window", "16"),                                                   # text, no state
    "attention": ("attention.train", "--units", "8", "--embedding-dim", "4", "--num-samples", "200",
                  "--num-heatmaps", "0"),                                                # dates: translation
    "transformer_dates": ("transformer.train", "--dataset", "dates", "--num-samples", "200", "--d-model", "8",
                          "--heads", "2", "--layers", "1", "--ff-dim", "16"),            # translation, no recurrence
    "tabular": ("ann.train", "--dataset", "breast_cancer", "--hidden-units", "8"),      # features
    "regression": ("ann.train", "--dataset", "diabetes", "--hidden-units", "8"),        # features -> a value
    "rows": ("deep_rnn.train", "--dataset", "digits", "--units", "4", "--layers", "1"),  # image read row by row
    "tagging": ("birnn.train", "--units", "4"),                                          # sequence, a tag per step
    "sine": ("rnn.train", "--units", "4"),                                               # forecast, no transform
    "autoencoder": ("autoencoder.train", "--dataset", "digits", "--arch", "dense", "--code-size", "4"),
    "gan": ("gan.train", "--dataset", "digits", "--latent-dim", "8"),                   # samples
}
RUNS: dict[str, Path] = {}
TASKS: dict[str, object] = {}


def quick_run(tmp_path_factory, name: str) -> Path:
    """The run folder of QUICK_RUNS[name], trained once per process under the session's temporary folder."""
    if name not in RUNS:
        module, *flags = QUICK_RUNS[name]
        output = tmp_path_factory.getbasetemp() / "serve-runs"
        with contextlib.redirect_stdout(io.StringIO()):
            result = importlib.import_module(module).main(["--quick", "--epochs", "1", "--output-dir", str(output),
                                                           *flags])
        RUNS[name] = Path(result["run_dir"])
    return RUNS[name]


@contextlib.contextmanager
def no_training_data():
    """Within it, loading any folder's data set fails the test: serve answers from the run folder's files alone."""
    with contextlib.ExitStack() as stack:
        for train in sorted(REPO_ROOT.glob("*/train.py")):
            module = importlib.import_module(f"{train.parent.name}.dataset")
            refusal = AssertionError(f"serve loaded {train.parent.name}/'s data set")
            stack.enter_context(mock.patch.object(module, "load_dataset", side_effect=refusal))
        yield


def served(tmp_path_factory, name: str):
    """(task, TestClient) for a quick run, loaded once per process, without its data set (no_training_data)."""
    if name not in TASKS:
        run_dir = quick_run(tmp_path_factory, name)
        with no_training_data():
            TASKS[name] = load_task(run_dir)
    return TASKS[name], TestClient(create_app(TASKS[name]), base_url="http://localhost")  # a Host it answers to


def training_data(task):
    """The run's data set, rebuilt here by the folder's own loader with the run's flags, for the expected answers:
    serve itself never loads it (served: no_training_data)."""
    if not hasattr(task, "training_data"):
        train = importlib.import_module(f"{task.run.folder}.train")
        [config_class] = [value for value in vars(train).values()
                          if dataclasses.is_dataclass(value) and value.__module__ == train.__name__]
        names = {field.name for field in dataclasses.fields(config_class)}
        config = config_class(**{key: value for key, value in task.run.config.items() if key in names})
        task.training_data = importlib.import_module(f"{task.run.folder}.dataset").load_dataset(config)
    return task.training_data


def free_port() -> int:
    """A TCP port nothing listens on now, on the loopback address."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def digit_images(task) -> np.ndarray:
    """The test split of an ann/ digits run as the 8x8 images a user sends, values in 0..1, from scikit-learn's data
    split as ann/dataset.py splits it: the raw rows the run's model.keras reads, divided by 16."""
    from sklearn.datasets import load_digits

    from common.datasets import split_three_ways

    bunch = load_digits()
    images = split_three_ways(bunch.images, bunch.target)[4] / 16.0
    assert np.allclose(task.run.examples, images[:16].reshape(16, -1) * 16, atol=1e-4)  # inputs.json's raw rows
    return images


def direct(model, x) -> np.ndarray:
    """What a loaded model gives for x, called directly."""
    return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype="float64")


def probabilities_of(answer: dict, count: int) -> np.ndarray:
    """The class probabilities of an answer with top_k = count, back in class order."""
    vector = np.zeros(count)
    for entry in answer["top"]:
        vector[entry["index"]] = entry["probability"]
    return vector


# ----------------------------------------------------------------------------------------------------------------
# The API of each kind: answers equal the model's own outputs


@pytest.mark.parametrize("name, kind", [("ann", "image"), ("cnn", "image"), ("lstm", "forecast"), ("gru", "text"),
                                        ("attention", "translation")])
def test_health_model_and_example_of_the_bar_runs(name, kind, tmp_path_factory):
    task, client = served(tmp_path_factory, name)
    assert client.get("/health").json() == {"status": "ok", "run": task.run.name, "kind": kind}
    described = client.get("/model").json()
    assert described["kind"] == kind and described["test_metrics"] == task.run.metrics["test"]
    assert client.post("/predict", json=described["example"]).status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/app.js">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert f"{kind}(form)" in client.get("/app.js").text  # the page has a form for this kind


@pytest.mark.parametrize("name", ["ann", "cnn", pytest.param("rows", marks=pytest.mark.slow)])
def test_image_answers_equal_the_model(name, tmp_path_factory):
    task, client = served(tmp_path_factory, name)
    dataset = training_data(task)  # x_test: what the model was tested on
    # The user sends pixels in 0..1; ann/ standardized scikit-learn's 0..16 values, the others divided them by 16.
    # model.keras scales inside (ann/ standardizes, cnn/ and deep_rnn/ divide by 16): the answers equal the trained
    # network inside on the test split it was scored on.
    images = digit_images(task) if name == "ann" else dataset.x_test.reshape(len(dataset.x_test), 8, 8)
    inside = [layer for layer in task.model.layers if isinstance(layer, keras.Model)]
    assert task.pixel_max == 16 and len(inside) == 1  # inputs.json: model.keras scales the pixels itself
    network = inside[0]  # the trained network inside (deep_rnn/'s reads the rows of 0..1 pixels)
    for i in range(3):
        answer = client.post("/predict", json={"pixels": images[i].tolist(), "top_k": 10}).json()
        expected = direct(network, dataset.x_test[i:i + 1])[0]
        assert np.allclose(probabilities_of(answer, 10), expected, atol=1e-6)
        assert answer["class"] == dataset.class_names[int(expected.argmax())]


def test_forecasts_equal_the_runs_own_test_forecasts(tmp_path_factory):
    from common.forecast_evaluation import forecast_in_original_units

    task, client = served(tmp_path_factory, "lstm")
    dataset = training_data(task)
    meta = dataset.meta
    network = task.model.get_layer("lstm_model")  # the trained network inside model.keras, reading windows
    indices, expected = forecast_in_original_units(network, dataset, dataset.x_test[:3], "test")
    assert task.needed == 3 + 12  # a 3-month window, and a year before it for the seasonal log difference
    for target, value in zip(indices, expected):
        history = meta["series"][target - task.needed:target].tolist()
        answer = client.post("/predict", json={"history": history, "steps": 2}).json()
        assert answer["forecast"][0] == pytest.approx(value, rel=1e-6)
        again = client.post("/predict", json={"history": history + answer["forecast"][:1]}).json()
        assert again["forecast"] == pytest.approx(answer["forecast"][1:], rel=1e-9)  # step 2 reads step 1 back
    assert answer["unit"] == "passengers (thousands)"


def test_generated_text_equals_sampling_the_model(tmp_path_factory):
    from common.text import sample_characters, stateful_copy

    task, client = served(tmp_path_factory, "gru")
    body = {"prompt": "The ", "temperature": 0.7, "length": 40, "seed": 3}
    answer = client.post("/predict", json=body).json()
    generator, vocabulary = stateful_copy(task.model, batch_size=1), training_data(task).meta["vocabulary"]
    ids = sample_characters(lambda new: direct(generator, new)[:, -1, :], vocabulary.encode("The "), 40, [0.7], 3)[0]
    assert answer["generated"] == vocabulary.decode(ids) and len(answer["generated"]) == 40
    assert client.post("/predict", json=body).json() == answer  # the state is reset between requests
    assert client.post("/predict", json={**body, "prompt": "The \u263a"}).json()["unknown"] == ["\u263a"]


@pytest.mark.slow  # 17 s; tests/test_transformer_train.py checks the same writer serve calls on a quick run
def test_a_transformers_text_equals_sampling_its_last_window(tmp_path_factory):
    """A model without state (transformer/'s GPT): serve's writer reads the last `window` (16) characters again at
    every step, as inputs.json says."""
    from common.text import apply_temperature

    task, client = served(tmp_path_factory, "transformer")
    assert task.inputs["window"] == 16
    answer = client.post("/predict", json={"prompt": "The ", "temperature": 0.7, "length": 12, "seed": 3}).json()
    vocabulary = training_data(task).meta["vocabulary"]
    ids, rng = list(vocabulary.encode("The ")), np.random.default_rng(3)
    for _ in range(12):
        probabilities = direct(task.model, np.array([ids[-16:]], dtype="int32"))[0, -1]
        ids.append(int(rng.choice(len(probabilities), p=apply_temperature(probabilities, 0.7))))
    assert answer["generated"] == vocabulary.decode(ids[4:])


@pytest.mark.parametrize("name, decoder", [
    ("attention", "attention.evaluation"),
    # 21 s (a quick training of its own); tests/test_transformer_train.py checks the translate serve calls on its run
    pytest.param("transformer_dates", "transformer.use", marks=pytest.mark.slow)])
def test_translations_equal_decoding_the_test_sources(name, decoder, tmp_path_factory):
    """The answer is what the training folder's own decode writes for the source, attention weights included."""
    from common.seq2seq import output_tokens

    decode = importlib.import_module(decoder).decode
    task, client = served(tmp_path_factory, name)
    dataset = training_data(task)
    pairs = dataset.meta["pairs"]["test"]
    for i in range(3):
        answer = client.post("/predict", json={"text": pairs[i][0]}).json()
        ids, weights = decode(task.model, dataset.x_test[i:i + 1], task.model.inputs[1].shape[1])
        assert answer["output"] == "".join(output_tokens(ids[0], dataset.meta["target_vocabulary"]))
        assert answer["input_tokens"] == list(pairs[i][0])
        rows = np.asarray(answer["attention"])
        assert rows.shape == (len(answer["output_tokens"]), len(pairs[i][0]))
        assert np.allclose(rows, weights[0, :rows.shape[0], :rows.shape[1]], atol=1e-5)
        assert np.allclose(rows.sum(axis=1), 1.0, atol=1e-4)  # each output token's weights over the input


@pytest.mark.parametrize("name", ["tabular", pytest.param("regression", marks=pytest.mark.slow)])
def test_feature_answers_equal_the_model(name, tmp_path_factory):
    task, client = served(tmp_path_factory, name)
    features = task.raw_test[:3]  # the data set's own units: model.keras standardizes them itself
    from sklearn import datasets as sklearn_datasets

    bunch = getattr(sklearn_datasets, {"tabular": "load_breast_cancer", "regression": "load_diabetes"}[name])()
    assert task.feature_names == list(bunch.feature_names)
    assert np.isclose(features[:, None], bunch.data[None], rtol=1e-5).all(axis=-1).any(axis=-1).all()  # its rows
    network = task.model.get_layer("mlp")  # the trained network inside, which reads standardized features
    for i in range(3):
        answer = client.post("/predict", json={"features": features[i].tolist()}).json()
        output = direct(network, training_data(task).x_test[i:i + 1])[0]
        if name == "regression":  # in the target's units, as the network's output unscaled
            scaler = training_data(task).meta["target_scaler"]
            assert answer["value"] == pytest.approx(float(scaler.inverse_transform([output])[0, 0]), rel=1e-5)
        else:  # one sigmoid unit: p(benign)
            assert probabilities_of(answer, 2)[1] == pytest.approx(output[0], abs=1e-6)
            assert answer["class"] == ["malignant", "benign"][int(output[0] > 0.5)]


def test_a_regression_answers_in_the_targets_units_from_inputs_json_alone(tmp_path):
    """A FeatureModel of an ann diabetes model (untrained, built here: no run needed) answers the model's own output,
    which end_to_end put in the target's units; the example is inputs.json's first raw row."""
    from ann.dataset import load_diabetes, raw_features
    from ann.model import build_model, end_to_end
    from common.evaluation import original_units
    from common.inputs import describe_inputs
    from serve import run_folder
    from serve.inputs import check_inputs

    keras.utils.set_random_seed(0)
    data = load_diabetes()
    network = build_model(10, "regression", hidden_units=(8,))
    model = end_to_end(network, data)
    inputs = describe_inputs(data, raw_features(data, data.x_test[:16]), raw=True)
    run = run_folder.RunFolder(tmp_path, {"folder": "ann"}, {}, model,
                               check_inputs(inputs, tmp_path / "inputs.json", model))
    task = tasks.FeatureModel(run)
    assert task.example()["features"] == pytest.approx(raw_features(data, data.x_test[:1])[0], rel=1e-6)
    for i in range(3):
        answer = task.answer(task.Body.model_validate({"features": task.raw_test[i].tolist()}))
        expected = original_units(data)(direct(network, data.x_test[i:i + 1]))[0]  # the network, unscaled
        assert answer == {"value": pytest.approx(expected, rel=1e-5)}


def test_reconstructions_equal_the_model(tmp_path_factory):
    task, client = served(tmp_path_factory, "autoencoder")
    image = training_data(task).x_test[:1]
    answer = client.post("/predict", json={"pixels": image[0, ..., 0].tolist()}).json()
    expected = direct(task.model, image * 16.0)[0, ..., 0] / 16.0  # model.keras reads and answers raw 0..16 pixels
    assert task.inputs["pixel_max"] == 16.0 and np.allclose(answer["reconstruction"], expected, atol=1e-6)
    assert answer["mse"] == pytest.approx(float(np.mean((expected - image[0, ..., 0]) ** 2)), rel=1e-5)


def test_tags_samples_and_a_sine_forecast_equal_the_model(tmp_path_factory):
    from gan.model import sample_noise

    task, client = served(tmp_path_factory, "tagging")
    dataset = training_data(task)
    answer = client.post("/predict", json={"values": dataset.x_test[0].tolist()}).json()
    expected = direct(task.model, dataset.x_test[:1])[0]  # (steps, 3 tags)
    assert answer["classes"] == [dataset.class_names[i] for i in expected.argmax(axis=1)]
    task, client = served(tmp_path_factory, "gan")
    answer = client.post("/predict", json={"count": 3, "seed": 5}).json()
    expected = direct(task.model, sample_noise(3, 8, 5))[..., 0] / 16.0  # model.keras answers 0..16 pixels
    assert np.allclose(answer["images"], np.clip(expected, 0, 1), atol=1e-6) and answer["digits"] is None
    task, client = served(tmp_path_factory, "sine")
    dataset = training_data(task)
    series, target = dataset.meta["series"], dataset.meta["target_indices"]["test"][0]
    answer = client.post("/predict", json={"history": series[target - 20:target].tolist()}).json()
    scaler = dataset.meta["target_scaler"]  # sine: no transform, only the scaling
    network = task.model.get_layer("simple_rnn_model")
    expected = scaler.inverse_transform(direct(network, dataset.x_test[:1]).reshape(-1)[-1:])[0]
    assert answer["forecast"][0] == pytest.approx(expected, rel=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# What each kind refuses, in one sentence, and keeps serving


@pytest.mark.parametrize("name, body, status, words", [
    ("ann", {"pixels": [[0.5] * 8] * 5}, 422, "pixels must have 8 rows (got 5)"),
    ("ann", {"pixels": [[0.5] * 7] * 8}, 422, "pixels[0] must have 8 values (got 7)"),
    ("ann", {"rgb": [[[0.5] * 3] * 8] * 8}, 422, "this model reads gray images"),
    ("cnn", {"pixels": [[1.5] * 8] * 8}, 422, "pixels[0][0]: Input should be less than or equal to 1"),
    ("cnn", {"pixels": [[-0.1] * 8] * 8}, 422, "pixels[0][0]: Input should be greater than or equal to 0"),
    ("cnn", {"pixels": [[0.5] * 8] * 8, "top_k": 0}, 422, "top_k: Input should be greater than or equal to 1"),
    ("lstm", {"history": [100.0] * 14}, 422, "history must hold at least 15 values"),
    ("lstm", {"history": [100.0] * 14 + [-1.0]}, 422, "history values must be above 0"),
    ("lstm", {"history": [100.0] * 20, "steps": 61}, 422, "steps: Input should be less than or equal to 60"),
    ("gru", {"prompt": "x" * 1001}, 422, "prompt: String should have at most 1000 characters"),
    ("gru", {"prompt": "The", "temperature": 0}, 422, "temperature: Input should be greater than or equal to 0.01"),
    ("gru", {"prompt": "The", "temperature": 5e-324}, 422, "temperature: Input should be greater than or equal to"),
    ("lstm", {"history": [100.0] * 19 + [1e308]}, 422, "history[19]: Input should be less than or equal to 1000000000"),
    ("attention", {"text": "3" * 40}, 422, "text has 40 characters; this model was trained on sources of at most"),
    ("attention", {"text": "   "}, 422, "text is blank"),
    ("attention", {"text": 20150303}, 422, "text: Input should be a valid string"),
    # strict types: a number sent as a string, a whole number as 2.0, is refused rather than converted
    ("ann", {"pixels": [["0.5"] * 8] * 8}, 422, "pixels[0][0]: Input should be a valid number"),
    ("gru", {"prompt": "The", "temperature": "0.5"}, 422, "temperature: Input should be a valid number"),
    ("lstm", {"history": [100.0] * 20, "steps": 2.0}, 422, "steps: Input should be a valid integer"),
])
def test_each_kind_refuses_what_its_model_cannot_take(name, body, status, words, tmp_path_factory):
    _, client = served(tmp_path_factory, name)
    response = client.post("/predict", json=body)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert words in detail and "\n" not in detail
    assert client.get("/health").status_code == 200


def test_a_generator_refuses_a_digit_it_cannot_draw(tmp_path_factory):
    """The folder's sample_images (gan/use.py) refuses, and serve answers 422 in its sentence (tests/test_gan.py tests
    a conditional generator's refusals)."""
    _, client = served(tmp_path_factory, "gan")
    response = client.post("/predict", json={"count": 1, "digit": 3})
    assert response.status_code == 422
    assert response.json()["detail"] == "this generator is not conditional: leave out digit"


@pytest.mark.parametrize("content, status, words", [
    (b"{not json", 400, "the body is not valid JSON"),  # unreadable: 400
    (b"", 400, "the body is empty"),
    (b"[1, 2]", 422, "the body must be a JSON object"),  # read, but not what the model takes: 422
    (b"{}", 422, "send pixels (8 rows of 8 values)"),
])
def test_an_unreadable_body_is_a_400_and_a_wrong_one_a_422(content, status, words, tmp_path_factory):
    _, client = served(tmp_path_factory, "ann")
    response = client.post("/predict", content=content, headers={"content-type": "application/json"})
    assert (response.status_code, words in response.json()["detail"]) == (status, True), response.json()


# ----------------------------------------------------------------------------------------------------------------
# The command lines: python -m serve, serve.predict, serve.export


def damaged_copies(run: Path, tmp_path: Path) -> dict[str, Path]:
    names = ("no_model", "damaged_model", "damaged_config", "foreign", "no_inputs", "damaged_inputs", "wrong_kind",
             "no_task", "few_classes", "short_examples")
    folders = {name: tmp_path / name for name in names}
    for folder in folders.values():
        shutil.copytree(run, folder)
    (folders["no_model"] / "model.keras").unlink()
    (folders["damaged_model"] / "model.keras").write_bytes(b"not a zip file")
    (folders["damaged_config"] / "config.json").write_text("{")
    (folders["no_inputs"] / "inputs.json").unlink()  # as a run saved before model.keras read raw input
    (folders["damaged_inputs"] / "inputs.json").write_text("[")
    inputs = json.loads((run / "inputs.json").read_text())
    (folders["wrong_kind"] / "inputs.json").write_text(json.dumps({**inputs, "kind": "sound"}))
    (folders["no_task"] / "inputs.json").write_text(json.dumps({key: inputs[key] for key in inputs if key != "task"}))
    (folders["few_classes"] / "inputs.json").write_text(json.dumps({**inputs, "class_names": ["0", "1", "2"]}))
    short = [row[:-1] for row in inputs["examples"]]  # the right rank, one pixel short: 63 values for a 64-pixel model
    (folders["short_examples"] / "inputs.json").write_text(json.dumps({**inputs, "examples": short}))
    shutil.copy(RUNS["cnn"] / "model.keras", folders["foreign"] / "model.keras")  # a model of other data
    return {**folders, "missing": tmp_path / "missing"}


@pytest.mark.parametrize("case, words", [
    ("missing", "missing is not a folder"), ("no_model", "has no model.keras"),
    ("damaged_model", "model.keras cannot be loaded"), ("damaged_config", "config.json cannot be read"),
    ("foreign", "inputs.json holds no examples of the shape (8, 8, 1) that model.keras reads"),
    ("no_inputs", "has no inputs.json: it was written before run folders described their model's input"),
    ("damaged_inputs", "inputs.json cannot be read"), ("wrong_kind", "inputs.json gives kind 'sound', not one of"),
    ("no_task", "inputs.json does not describe a model of kind image: task: Field required"),
    ("few_classes", "inputs.json names 3 classes for a model.keras with 10 outputs"),
    ("short_examples", "inputs.json holds no examples of the shape (64,) that model.keras reads"),
])
def test_a_bad_run_folder_is_one_line_and_exit_2(case, words, tmp_path_factory, tmp_path, run_main):
    quick_run(tmp_path_factory, "cnn")
    folder = damaged_copies(quick_run(tmp_path_factory, "ann"), tmp_path)[case]
    for main, prog, flags in ((serve_main.main, "serve", ["--port", str(free_port())]),
                              (predict.main, "serve/predict.py", ["x"]),
                              (export.main, "serve/export.py", ["--format", "tflite"])):
        result, _, err = run_main(main, [str(folder), *flags])
        assert isinstance(result, SystemExit) and result.code == 2
        assert len(err) == 1 and err[0].startswith(f"{prog}: error: ") and words in err[0], err


def test_serve_refuses_a_bad_or_busy_port_before_loading(tmp_path_factory, run_main):
    run = quick_run(tmp_path_factory, "ann")
    result, _, err = run_main(serve_main.main, [str(run), "--port", "0"])
    assert result.code == 2 and err == ["serve: error: --port must be between 1 and 65535 (got 0)"]
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result, _, err = run_main(serve_main.main, [str(run), "--port", str(port)])
    assert result.code == 2 and len(err) == 1 and err[0].startswith(f"serve: error: cannot listen on 127.0.0.1:{port}")


def test_a_digit_file_is_fitted_and_centred_as_mnist_digits_were():
    image = np.zeros((100, 60))
    image[10:50, 30:40] = 1.0  # a bar 40 pixels tall and 10 wide, far from the middle
    fitted = predict.fitted_digit(image, 28, 28, 20)
    rows, columns = np.nonzero(fitted > 0.5)
    assert rows.max() - rows.min() + 1 == 20 and columns.max() - columns.min() + 1 == 5  # the long side fills the box
    mass = fitted.sum()
    assert (fitted.sum(axis=1) * (np.arange(28) + 0.5)).sum() / mass == pytest.approx(14, abs=0.5)
    assert (fitted.sum(axis=0) * (np.arange(28) + 0.5)).sum() / mass == pytest.approx(14, abs=0.5)


def test_predict_answers_image_files_and_a_history_like_the_api(tmp_path_factory, tmp_path, run_main):
    from PIL import Image

    task, client = served(tmp_path_factory, "cnn")
    digit, paper = tmp_path / "digit.png", tmp_path / "paper.png"
    first = training_data(task).x_test[0, ..., 0]
    Image.fromarray(np.uint8(np.round(255 * first))).save(digit)
    Image.fromarray(np.uint8(np.round(255 * (1 - first)))).save(paper)  # dark on light
    pixels = predict.read_image(digit, task.input_description())
    assert np.allclose(predict.read_image(paper, task.input_description()), pixels, atol=0.01)
    # light ink on dark, as the data set's own: read back as it was (refitted into the same box, so close, not equal)
    assert np.abs(np.array(pixels) - first).mean() < 0.05
    answers, out, err = run_main(predict.main, [str(task.run.path), str(digit), str(paper), "--top-k", "2"])
    expected = client.post("/predict", json={"pixels": pixels, "top_k": 2}).json()
    assert answers[0] == expected and err == []
    assert out[-2] == f"{digit}: " + ", ".join(f"{e['class']} ({e['probability']:.3f})" for e in expected["top"])
    lstm = quick_run(tmp_path_factory, "lstm")
    answers, out, _ = run_main(predict.main, [str(lstm), ",".join(["120"] * 15), "--steps", "2"])
    assert len(answers[0]["forecast"]) == 2 and out[-1].startswith("history: ")
    result, _, err = run_main(predict.main, [str(lstm), "120,130"])
    assert result.code == 2 and err == ["serve/predict.py: error: history: history must hold at least 15 values "
                                        "(3 for the window and 12 before it for the seasonal-log-difference "
                                        "transform; got 2)"]


def test_predict_answers_a_csv_a_prompt_and_dates_like_the_api(tmp_path_factory, tmp_path, run_main):
    task, client = served(tmp_path_factory, "tabular")
    rows = tmp_path / "patients.csv"
    rows.write_text("\n".join([",".join(f"feature_{i}" for i in range(task.raw_test.shape[1]))]  # a header line
                              + [",".join(f"{value:.6g}" for value in row) for row in task.raw_test[:2]]) + "\n")
    answers, out, err = run_main(predict.main, [str(task.run.path), str(rows), "--top-k", "1"])
    for i, row in enumerate(rows.read_text().splitlines()[1:]):
        features = [float(value) for value in row.split(",")]
        assert answers[i] == client.post("/predict", json={"features": features, "top_k": 1}).json()
    assert err == [] and out[-2].startswith(f"{rows} row 1: ") and out[-1].startswith(f"{rows} row 2: ")
    rows.write_text("1,2\nnan,x\n")
    result, out, err = run_main(predict.main, [str(task.run.path), str(rows)])
    assert result.code == 2 and err == [f"serve/predict.py: error: {rows} line 2: 'nan,x' is not a row of numbers"]
    assert not [line for line in out if str(rows) in line]  # no answer printed (the lines above are httpx's log)

    task, client = served(tmp_path_factory, "gru")
    answers, out, err = run_main(predict.main, [str(task.run.path), "The ", "--temperature", "0.7", "--length", "30",
                                                "--seed", "3"])
    body = {"prompt": "The ", "temperature": 0.7, "length": 30, "seed": 3}
    assert answers == [client.post("/predict", json=body).json()] and err == []
    assert out[-1] == f"'The ' -> {'The ' + answers[0]['generated']!r}"
    result, _, err = run_main(predict.main, [str(task.run.path), "The ", "--temperature", "5e-324"])  # no warnings
    assert result.code == 2 and err == ["serve/predict.py: error: The : temperature: Input should be greater than or "
                                        "equal to 0.01"]

    task, client = served(tmp_path_factory, "attention")
    dates = [pair[0] for pair in training_data(task).meta["pairs"]["test"][:2]]
    answers, out, err = run_main(predict.main, [str(task.run.path), *dates])
    assert answers == [client.post("/predict", json={"text": date, "beam_width": 1}).json() for date in dates]
    assert out[-2:] == [f"{date!r} -> {answer['output']!r}" for date, answer in zip(dates, answers)] and err == []


@pytest.mark.parametrize("name, kind", [("ann", "savedmodel"), ("ann", "tflite"), ("lstm", "tflite"),
                                        pytest.param("attention", "savedmodel", marks=pytest.mark.slow),
                                        pytest.param("attention", "tflite", marks=pytest.mark.slow),
                                        pytest.param("gru", "tflite", marks=pytest.mark.slow)])
def test_exports_give_the_keras_outputs(name, kind, tmp_path_factory, run_main):
    run = quick_run(tmp_path_factory, name)
    result, out, _ = run_main(export.main, [str(run), "--format", kind])
    assert result["matches"] and result["max_difference"] <= result["tolerance"] and result["examples"] == 16
    # The tolerance grows with the largest output: probabilities (ann), logits and ids, or lstm's passengers (below
    # 1,000 thousand: model.keras answers in the series' own units)
    largest = {"ann": 1, "lstm": 1000}.get(name, 10)
    assert export.TOLERANCE[kind] <= result["tolerance"] <= export.TOLERANCE[kind] * largest
    path = Path(result["path"])
    assert path.is_relative_to(run / "export") and path.exists()
    assert out[-2] == f"{kind}: {path}"
    assert out[-1].startswith(f"largest |keras - {kind}| on 16 test examples: ")


def test_the_export_tolerance_grows_with_the_outputs_and_a_miss_is_exit_1(tmp_path_factory, run_main, monkeypatch):
    assert export.allowed_difference("tflite", np.array([0.2, -0.9])) == export.TOLERANCE["tflite"]
    assert export.allowed_difference("tflite", np.array([[150.0], [-300.0]])) == pytest.approx(
        300 * export.TOLERANCE["tflite"])
    # An export whose outputs are off by twice the tolerance: one line on stderr and exit status 1
    real = export.export_savedmodel
    monkeypatch.setattr(export, "export_savedmodel", lambda model, folder, inputs: real(model, folder, inputs)
                        + 2 * export.TOLERANCE["savedmodel"])
    result, _, err = run_main(export.main, [str(quick_run(tmp_path_factory, "ann")), "--format", "savedmodel"])
    assert result.code == 1 and err == ["serve/export.py: the export differs from the Keras model by more than 1.0e-05"]


def test_a_copied_ann_run_and_its_tflite_export_read_raw_pixel_rows(tmp_path_factory, tmp_path, run_main,
                                                                    monkeypatch):
    """An ann digits run folder copied elsewhere: its model.keras, loaded with Keras alone, gives raw 0..16 pixel rows
    the classes the trained network gives the standardized test split; so does its TensorFlow Lite export."""
    import tensorflow as tf


    task, _ = served(tmp_path_factory, "ann")
    copy = shutil.copytree(quick_run(tmp_path_factory, "ann"), tmp_path / "elsewhere" / "digits-run")
    rows = (digit_images(task) * 16).reshape(-1, 64).astype("float32")  # scikit-learn's own pixel counts
    expected = direct(task.model.get_layer("mlp"), training_data(task).x_test).argmax(axis=1)
    model = keras.saving.load_model(copy / "model.keras", safe_mode=True)
    assert np.array_equal(np.asarray(model.predict(rows, verbose=0)).argmax(axis=1), expected)
    # serve/ answers from the copy's files alone: inputs.json, no data set loaded
    with no_training_data():
        client = TestClient(create_app(load_task(copy)), base_url="http://localhost")
    for i in range(3):
        answer = client.post("/predict", json={"pixels": (rows[i].reshape(8, 8) / 16).tolist()}).json()
        assert answer["index"] == expected[i]
    result, _, _ = run_main(export.main, [str(copy), "--format", "tflite"])
    runner = tf.lite.Interpreter(model_path=result["path"]).get_signature_runner()
    (name,) = runner.get_input_details()
    lite = np.concatenate([next(iter(runner(**{name: row[None]}).values())) for row in rows[:40]])
    assert np.array_equal(lite.argmax(axis=1), expected[:40])


def test_a_cnn_run_on_an_image_folder_serves_after_the_folder_is_deleted(tmp_path, run_main):
    """A cnn run trained with --image-dir serves from its own files once the images are gone: the API and
    serve.predict answer with the model's probabilities for the raw pixels, and no data set is rebuilt."""
    from PIL import Image

    import cnn.train
    from test_cnn import write_image_folder  # two classes of generated squares, bright and dark

    images = write_image_folder(tmp_path / "squares")
    with contextlib.redirect_stdout(io.StringIO()):
        result = cnn.train.main(["--image-dir", str(images), "--image-size", "16", "--arch", "basic", "--quick",
                                 "--epochs", "1", "--output-dir", str(tmp_path / "runs")])
    shutil.rmtree(images)
    run_dir = Path(result["run_dir"])
    with no_training_data():
        task = load_task(run_dir)
    client = TestClient(create_app(task), base_url="http://localhost")
    assert task.describe()["input"]["classes"] == ["bright", "dark"] and task.describe()["input"]["channels"] == 3
    picture = tmp_path / "bright.png"
    Image.fromarray(np.full((16, 16, 3), 220, dtype=np.uint8)).save(picture)
    answers, out, err = run_main(predict.main, [str(run_dir), str(picture), "--top-k", "2"])
    rgb = predict.read_image(picture, task.input_description())  # 220 / 255 in each channel, to 4 decimals
    assert np.allclose(rgb, 220 / 255, atol=1e-4)
    assert answers[0] == client.post("/predict", json={"rgb": rgb, "top_k": 2}).json() and err == []
    expected = direct(task.model, np.asarray(rgb)[None] * 255.0)[0]  # model.keras on the raw 0..255 pixels
    assert probabilities_of(answers[0], 2) == pytest.approx(tasks.class_probabilities(expected), abs=1e-6)


def test_serve_names_no_folder_outside_its_docstrings():
    """serve/ asks a run's folder through config.json and inputs.json: no import of a folder, and no folder's module
    or path in a string of its code (the docstrings' usage examples aside)."""
    import ast
    import re

    folders = sorted(path.parent.name for path in REPO_ROOT.glob("*/train.py"))
    assert len(folders) >= 10
    named = re.compile(rf"\b({'|'.join(folders)})[./]")
    found = []
    for path in sorted((REPO_ROOT / "serve").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node)}
        for node in ast.walk(tree):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: import {module}" for module in modules if module.split(".")[0] in folders]
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                found += [f"{path.name}: {node.value[:60]!r}"] if named.search(node.value) else []
    assert found == []


def test_no_module_of_serve_imports_itself_back():
    """serve/'s modules import one another in one direction (loading -> tasks, generative; no circle)."""
    import ast

    imports = {}
    for path in (REPO_ROOT / "serve").glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "serve":
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("serve."):
                names.add(node.module.removeprefix("serve."))
        imports[path.stem] = names

    def reaches(start, goal, seen=()):
        return any(name == goal or (name not in seen and reaches(name, goal, (*seen, name)))
                   for name in imports.get(start, ()))

    assert imports["loading"] >= {"tasks", "generative"}
    assert [module for module in imports if reaches(module, module)] == []
