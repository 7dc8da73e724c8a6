"""serve/ under abuse: the promises of serve/README.md ("Serve a run", the refusals of "The JSON API", "Limits"),
each checked so that it fails when the promise breaks.

- A model file with a Lambda layer is refused by `python -m serve`, serve.predict and serve.export (one line, exit 2)
  and its code never runs (safe mode).
- A damaged run folder (config.json's "folder" a list, "epochs" a string, "learning_rate" null, JSON nested 100,000
  deep) and a PNG whose header claims 20,000 x 20,000 pixels are one line and exit status 2, nothing written; a run
  trained with --distribute multi-worker is served without TF_CONFIG.
- With real sockets on 127.0.0.1 (uvicorn in a thread, built by the same make_server as `python -m serve`): a body
  over the limit is answered 413 without being read whole, chunked or not; a body that never finishes, an idle
  connection, a slow (slowloris) one and an idle keep-alive one are closed within their timeouts; connections
  beyond the cap are answered 503 at once; a foreign Host header is refused with 400.
- A cheap request is not starved behind ten expensive ones: GET /health and GET /model are answered while the model
  is busy, and a POST /predict that would wait too long is answered 503 with Retry-After at once.
- An answer that is not finite is refused in one sentence, with no NumPy warning.

Every wait on a socket is bounded (5 seconds for a timeout of 0.5), every loop too.
"""

import asyncio
import contextlib
import json
import select
import shutil
import socket
import struct
import threading
import time
import warnings
import zlib
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from serve import __main__ as serve_main
from serve import export, predict
from serve.app import create_app
from serve.limits import Limits, ModelQueue, QueueFull, allowed_hosts, make_server
from test_serve import digit_images, free_port, quick_run, served  # the ann digits run test_serve.py trains

SOCKET_WAIT = 5.0  # seconds any read from the server may take: ten times the timeouts configured below
FAST = {"idle_timeout": 0.5, "body_timeout": 0.5}  # the time limits of the servers started here


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    return served(tmp_path_factory, "ann")[0]


# ----------------------------------------------------------------------------------------------------------------
# Run folders and input files: one line and exit status 2


COMMANDS = [(serve_main.main, "serve", lambda: ["--port", str(free_port())]),
            (predict.main, "serve/predict.py", lambda: ['{"pixels": [[0.5]]}']),
            (export.main, "serve/export.py", lambda: ["--format", "tflite"])]


@pytest.fixture
def no_server(monkeypatch):
    """`python -m serve` in-process, with uvicorn replaced by a recorder: a folder that wrongly loads is served to
    nobody, and the test sees it was."""
    served_apps = []
    monkeypatch.setattr(serve_main, "run_server", lambda app, arguments, limits: served_apps.append(app))
    return served_apps


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def assert_refused_by_every_command(folder: Path, words: str, run_main, served_apps: list) -> None:
    before = files_in(folder)
    for main, prog, flags in COMMANDS:
        result, _, err = run_main(main, [str(folder), *flags()])
        assert isinstance(result, SystemExit) and result.code == 2, (prog, result, err)
        assert len(err) == 1 and err[0].startswith(f"{prog}: error: ") and words in err[0], (prog, err)
    assert served_apps == [] and files_in(folder) == before  # nothing served, nothing written


def test_a_model_file_with_a_lambda_layer_is_refused_and_its_code_never_runs(task, tmp_path, run_main, no_server):
    import keras

    hostile, marker = tmp_path / "hostile", tmp_path / "the_model_file_ran_code.txt"
    shutil.copytree(task.run.path, hostile)
    inputs = keras.Input((64,))  # the digits run's own input, so that the file would load and serve if code ran
    writes = keras.layers.Lambda(lambda tensor, path=str(marker): (open(path, "w").write("ran"), tensor)[1])
    outputs = keras.layers.Dense(10, activation="softmax")(writes(inputs))
    keras.Model(inputs, outputs).save(hostile / "model.keras")
    marker.unlink()  # building the model ran the lambda once, here, in the test
    assert_refused_by_every_command(hostile, "holds Python code (a Lambda layer's function), which Keras' safe mode "
                                             "refuses to load", run_main, no_server)
    assert not marker.exists()


def deeply_nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("file, change, words", [
    ("config.json", {"folder": ["ann"]}, 'names folder ["ann"], none of this repository\'s'),
    ("config.json", {"folder": "os"}, 'names folder "os", none of this repository\'s'),  # a module, not a folder
    ("config.json", {"folder": "common"}, 'names folder "common", none of this repository\'s'),  # no train.py
    ("config.json", {"folder": "../ann"}, 'names folder "../ann", none of this repository\'s'),
    ("config.json", deeply_nested(100_000), "config.json cannot be read (its JSON is nested too deeply)"),
    ("metrics.json", deeply_nested(100_000), "metrics.json cannot be read (its JSON is nested too deeply)"),
])
def test_a_damaged_config_is_one_line_and_exit_2_in_every_command(file, change, words, task, tmp_path, run_main,
                                                                   no_server):
    folder = tmp_path / "damaged"
    shutil.copytree(task.run.path, folder)
    if isinstance(change, dict):
        content = json.loads((folder / file).read_text())
        (folder / file).write_text(json.dumps({**content, **change}))
    else:
        (folder / file).write_text(change)
    assert_refused_by_every_command(folder, words, run_main, no_server)


def test_a_multi_worker_run_is_served_without_tf_config(task, tmp_path, run_main, no_server, monkeypatch):
    folder = tmp_path / "multi-worker"
    shutil.copytree(task.run.path, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "distribute": "multi-worker"}))
    monkeypatch.delenv("TF_CONFIG", raising=False)
    body = {"pixels": digit_images(task)[0].tolist(), "top_k": 1}
    answers, out, err = run_main(predict.main, [str(folder), json.dumps(body)])
    assert err == [] and answers == [task.answer(task.Body.model_validate(body))] and len(out) == 1
    result, _, err = run_main(serve_main.main, [str(folder), "--port", str(free_port())])
    assert result is None and err == [] and len(no_server) == 1


def test_a_json_input_nested_too_deeply_is_one_line_and_exit_2(task, run_main):
    text = '{"pixels": ' + deeply_nested(100_000) + "}"  # an INPUT that is a body, as POST /predict takes
    result, _, err = run_main(predict.main, [str(task.run.path), text])
    assert isinstance(result, SystemExit) and result.code == 2
    assert err == [f"serve/predict.py: error: {text[:40]!r} is JSON nested too deeply to be read"]


def png_claiming(width: int, height: int) -> bytes:
    """A PNG file of a few dozen bytes whose header claims width x height gray pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("side, words", [(20_000, "not an image this program can read (Image size (400000000 "
                                                  "pixels) exceeds limit"),
                                         (10_000, "its header claims 10,000 x 10,000 pixels, more than the "
                                                  "50,000,000 this program reads")])
def test_a_png_claiming_huge_sides_is_one_line_and_exit_2(side, words, task, tmp_path, run_main):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming(side, side))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PIL's DecompressionBombWarning (above 89 million pixels) must not escape
        result, out, err = run_main(predict.main, [str(task.run.path), str(bomb)])
    assert isinstance(result, SystemExit) and result.code == 2 and not [line for line in out if str(bomb) in line]
    assert len(err) == 1 and err[0].startswith(f"serve/predict.py: error: {bomb}: ") and words in err[0]


def test_an_answer_that_is_not_finite_is_refused_in_one_sentence_without_numpy_warnings(task, monkeypatch):
    def overflowing(body):  # what an input far outside the training data could do inside a model
        return {"value": float(np.float32(1e30) * np.float32(1e30))}

    monkeypatch.setattr(task, "predict", overflowing)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="^the model's answer to this input is not a finite number; its values "
                                             "may lie far outside those the model was trained on$"):
            task.answer(task.Body.model_validate(task.example()))
    assert caught == []


# ----------------------------------------------------------------------------------------------------------------
# The schemas' numeric bounds, the Host check, JSON nested too deeply: through the ASGI app


@pytest.mark.parametrize("body_class, body, words", [
    ("TextBody", {"prompt": "The", "temperature": 5e-324}, "temperature: Input should be greater than or equal "
                                                           "to 0.01"),
    ("TextBody", {"prompt": "The", "temperature": 1e-300}, "temperature: Input should be greater than or equal to "
                                                           "0.01"),
    ("FeaturesBody", {"features": [1e308]}, "features[0]: Input should be less than or equal to 1000000000"),
    ("FeaturesBody", {"features": [-1e10]}, "features[0]: Input should be greater than or equal to -1000000000"),
    ("ForecastBody", {"history": [1.0, 1e300]}, "history[1]: Input should be less than or equal to 1000000000"),
    ("SequenceBody", {"values": [[0.5], [3e38]]}, "values[1][0]: Input should be less than or equal to 1000000000"),
])
def test_the_schemas_keep_every_number_where_the_maths_stays_finite(body_class, body, words):
    from pydantic import ValidationError

    from serve import schemas

    with pytest.raises(ValidationError) as refused:
        getattr(schemas, body_class).model_validate(body)
    assert schemas.describe_errors(refused.value.errors()) == words


@pytest.mark.parametrize("bind, extra, host, status", [
    ("127.0.0.1", [], "127.0.0.1:8000", 200), ("127.0.0.1", [], "localhost", 200), ("127.0.0.1", [], "[::1]:80", 200),
    ("127.0.0.1", [], "LOCALHOST:8000", 200), ("127.0.0.1", [], "evil.example", 400),
    ("127.0.0.1", [], "localhost.evil.example:8000", 400), ("127.0.0.1", [], "10.0.0.7", 400),
    ("127.0.0.1", ["lab-pc"], "lab-pc:8000", 200), ("192.168.1.5", [], "192.168.1.5:8000", 200),
    ("192.168.1.5", [], "evil.example", 400), ("0.0.0.0", [], "192.168.1.5:8000", 200),
    ("0.0.0.0", [], "evil.example:8000", 400), ("0.0.0.0", ["lab-pc"], "lab-pc", 200),
])
def test_the_host_header_must_name_this_server(bind, extra, host, status, task):
    arguments = serve_main.parse_arguments(["RUN_DIR", "--host", bind, *[f"--allowed-host={name}" for name in extra]])
    client = TestClient(create_app(task, serve_main.make_limits(arguments)), base_url=f"http://{host}")
    response = client.get("/health")
    assert response.status_code == status
    if status == 400:
        assert response.json()["detail"].startswith(f"the Host header names {host!r}; this server answers to "
                                                    f"127.0.0.1, localhost, ::1")


def test_json_nested_too_deeply_is_a_400_in_one_sentence(task):
    client = TestClient(create_app(task), base_url="http://127.0.0.1")
    response = client.post("/predict", content=deeply_nested(100_000), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"detail": "the body could not be read as JSON (not UTF-8 text, or nested too deeply)"}
    assert client.get("/health").status_code == 200


def test_the_queue_admits_by_the_work_ahead_and_its_count():
    queue = ModelQueue(max_queue=3, max_wait=2.0, seconds_per_unit=0.5)
    queue.admit(100.0)  # nothing ahead: admitted, however long
    with pytest.raises(QueueFull) as full:
        queue.admit(1.0)
    assert full.value.retry_after == 50 and "expected to take 50.0 seconds, more than this server's limit of 2" in \
        full.value.detail
    queue.admitted = [1.0, 2.0]  # 1.5 seconds of work ahead: admitted
    queue.admit(1.0)
    with pytest.raises(QueueFull, match="3 requests are waiting for it, this server's limit; try again in 2 seconds"):
        queue.admit(0.0)
    queue.learn(seconds=30.0, work=10.0)  # 3 seconds a unit: the median of 0.5 and 3
    assert queue.seconds_per_unit == pytest.approx(1.75)
    for _ in range(2):
        queue.learn(seconds=0.2, work=1.0)
    queue.learn(seconds=100.0, work=1.0)  # one slow call (a graph traced anew) hardly moves the median
    assert queue.seconds_per_unit == pytest.approx(0.5)  # of 0.5, 3, 0.2, 0.2 and 100
    for _ in range(ModelQueue.RECENT):
        queue.learn(seconds=0.1, work=1.0)  # only the last RECENT requests count
    assert queue.seconds_per_unit == pytest.approx(0.1)


# ----------------------------------------------------------------------------------------------------------------
# Real sockets on 127.0.0.1


@contextlib.contextmanager
def live_server(task, **changes):
    """(port, limits) of uvicorn serving task in a thread, built as `python -m serve` builds it, with FAST limits."""
    limits = Limits(**{**FAST, **changes})
    port = free_port()
    server = make_server(create_app(task, limits), "127.0.0.1", port, limits, log_level="warning")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):  # at most 20 seconds
        if server.started:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the server did not start")
    try:
        yield port, limits
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=SOCKET_WAIT)


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection; socket.timeout (a failed test) after
    SOCKET_WAIT seconds of silence."""
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def parse(answer: bytes) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of one HTTP answer; a body that is not JSON as {"text": ...}."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    is_json = headers.get("content-type", "").startswith("application/json")
    return int(lines[0].split()[1]), headers, json.loads(body) if is_json else {"text": body.decode("latin-1")}


POST_HEAD = "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def test_a_body_or_headers_over_the_limit_are_refused_before_they_are_read_whole(task):
    limit = task.max_body_bytes
    with live_server(task) as (port, _):
        with connect(port) as connection:  # chunks without a length: refused once the bytes pass the limit
            connection.sendall(f"{POST_HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
            for _ in range(limit // 65536):
                connection.sendall(b"10000\r\n" + b" " * 65536 + b"\r\n")
            connection.sendall(b"1\r\n \r\n")  # one byte over; the last chunk (0) that ends a body never comes
            status, headers, body = parse(read_until_closed(connection))
        assert (status, headers["connection"]) == (413, "close")
        assert body == {"detail": f"the request body is larger than this server's limit of {limit:,} bytes"}
        with connect(port) as connection:  # a length over the limit: refused before a byte of the body is sent
            connection.sendall(f"{POST_HEAD}Content-Length: {10 * limit}\r\n\r\n".encode())
            status, _, body = parse(read_until_closed(connection))
        assert status == 413 and "larger than this server's limit" in body["detail"]
        with connect(port) as connection:  # headers over 16 KiB, sent at once
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 20_000 + b"\r\n\r\n")
            status, _, body = parse(read_until_closed(connection))
        assert (status, body) == (431, {"detail": "the request's headers are larger than this server's limit of "
                                                  "16,384 bytes"})


def slowloris(connection: socket.socket) -> tuple[int, dict]:
    """Send a request's header lines one every 0.1 seconds, never the blank line that ends them, until the server
    answers (at most 5 seconds); (status, JSON body) of its answer."""
    connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for line in range(50):
        if select.select([connection], [], [], 0.1)[0]:
            break
        try:
            connection.sendall(f"X-Line-{line}: slow\r\n".encode())
        except OSError:  # closed by the server between the check and the line: its answer is read below
            break
    status, _, body = parse(read_until_closed(connection))
    return status, body


def test_slow_and_idle_connections_are_closed_within_their_timeouts(task):
    with live_server(task) as (port, limits):
        assert (limits.idle_timeout, limits.body_timeout) == (0.5, 0.5)
        with connect(port) as connection:  # a body that never finishes
            connection.sendall(f'{POST_HEAD}Content-Length: 100\r\n\r\n{{"pixels": [[0.5'.encode())
            status, _, body = parse(read_until_closed(connection))
        assert (status, body) == (408, {"detail": "the request body did not arrive within 0.5 seconds"})
        with connect(port) as connection:  # chunks that never end
            connection.sendall(f"{POST_HEAD}Transfer-Encoding: chunked\r\n\r\n5\r\n[[0.5\r\n".encode())
            assert parse(read_until_closed(connection))[0] == 408
        with connect(port) as connection:  # a connection that never sends a byte: closed without a word
            assert read_until_closed(connection) == b""
        with connect(port) as connection:  # slowloris on a new connection
            assert slowloris(connection) == (408, {"detail": "the request's headers did not arrive within 0.5 seconds"})
        with connect(port) as connection:  # keep-alive: an answer, then silence, then closed without a word
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, headers, body = parse(read_until_closed(connection))
        assert status == 200 and body["status"] == "ok" and headers.get("connection") != "close"
        with connect(port) as connection:  # slowloris after an answer (uvicorn's own keep-alive timer gives way)
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while b'"status":"ok"' not in answer:
                answer += connection.recv(65536) or pytest.fail("closed before its answer")
            assert slowloris(connection)[0] == 408
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=SOCKET_WAIT).status_code == 200


def test_connections_beyond_the_cap_are_answered_503_at_once_and_a_foreign_host_400(task):
    with live_server(task, idle_timeout=30, max_connections=4) as (port, _):
        held = [connect(port) for _ in range(3)]
        with connect(port) as connection:  # the fourth: the cap itself is served
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert parse(read_until_closed(connection))[0] == 200
        held.append(connect(port))  # four held (the one above may still be counted: the next is refused either way)
        with connect(port) as connection:
            status, headers, body = parse(read_until_closed(connection))
        assert status == 503 and int(headers["retry-after"]) >= 1
        assert body == {"detail": "this server has 4 connections open, its limit; try again in a few seconds"}
        for connection in held:
            connection.close()
        for _ in range(50):  # at most 5 seconds for the server to see them go
            with connect(port) as connection:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: evil.example\r\n\r\n")
                status, _, body = parse(read_until_closed(connection))
            if status != 503:
                break
            time.sleep(0.1)
        assert status == 400 and body["detail"].startswith("the Host header names 'evil.example'; this server "
                                                           "answers to 127.0.0.1, localhost, ::1 only")


class SlowTask:
    """The digits task, whose answers to bodies with top_k 10 (the expensive ones) wait until `release` is set."""

    def __init__(self, task, release: threading.Event):
        self.task, self.release = task, release

    def __getattr__(self, name):
        return getattr(self.task, name)

    def answer(self, body):
        if body.top_k == 10:
            self.release.wait(timeout=60)
        return self.task.answer(body)


async def starve(port: int, task, release: threading.Event) -> tuple[list, list, httpx.Response, httpx.Response,
                                                                        httpx.Response]:
    """Ten expensive requests at once; once those refused have their answer, /health, /model and a cheap predict
    while the admitted ones still wait; then release them. (admitted answers, refused answers, health, model,
    cheap answer)."""
    image = digit_images(task)[0].tolist()
    try:
        return await starve_with(port, image, release)
    finally:
        release.set()  # also when a request failed: the server thread must not stay blocked


async def starve_with(port: int, image: list, release: threading.Event):
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=SOCKET_WAIT * 6) as client:
        expensive = [asyncio.create_task(client.post("/predict", json={"pixels": image, "top_k": 10}))
                     for _ in range(10)]
        done, pending = set(), set(expensive)
        for _ in range(100):  # at most 10 seconds for the refusals
            done, pending = await asyncio.wait(expensive, timeout=0.1)
            if len(done) == 10 - 4 or not pending:
                break
        quick = httpx.Timeout(SOCKET_WAIT)
        health = await client.get("/health", timeout=quick)
        model = await client.get("/model", timeout=quick)
        cheap = await client.post("/predict", json={"pixels": image, "top_k": 3}, timeout=quick)
        still_waiting = all(not request.done() for request in pending)
        release.set()
        admitted = await asyncio.gather(*pending)
    assert still_waiting
    return admitted, [request.result() for request in done], health, model, cheap


@pytest.mark.parametrize("limits, refusal", [
    ({"max_queue": 4}, "4 requests are waiting for it, this server's limit"),
    ({"max_queue": 32, "max_wait": 1.0}, "expected to take 1.2 seconds, more than this server's limit of 1"),
])
def test_a_cheap_request_is_not_starved_behind_ten_expensive_ones(limits, refusal, task, monkeypatch):
    release = threading.Event()
    slow = SlowTask(task, release)
    if "max_wait" in limits:  # 0.3 s a request: 4 are admitted (0.9 s of work ahead of the 4th), not 5 (1.2 s)
        monkeypatch.setattr(task, "seconds_per_unit", 0.3)
    try:
        with live_server(slow, **limits) as (port, _):
            admitted, refused, health, model, cheap = asyncio.run(starve(port, task, release))
    finally:
        release.set()
    assert health.status_code == 200 and model.status_code == 200 and model.json()["kind"] == "image"
    assert cheap.status_code == 503 and int(cheap.headers["retry-after"]) >= 1 and refusal in cheap.json()["detail"]
    assert len(refused) == 6 and all(answer.status_code == 503 and refusal in answer.json()["detail"]
                                     and int(answer.headers["retry-after"]) >= 1 for answer in refused)
    assert len(admitted) == 4 and all(answer.status_code == 200 and len(answer.json()["top"]) == 10
                                      for answer in admitted)


def test_the_command_line_builds_the_limits_it_documents(run_main, tmp_path_factory):
    arguments = serve_main.parse_arguments(["RUN_DIR", "--idle-timeout", "2", "--body-timeout", "3",
                                            "--max-connections", "7", "--max-queue", "5", "--max-wait", "1.5"])
    assert serve_main.make_limits(arguments) == Limits(idle_timeout=2, body_timeout=3, max_connections=7,
                                                       max_queue=5, max_wait=1.5, **allowed_hosts("127.0.0.1"))
    result, _, err = run_main(serve_main.main, [str(quick_run(tmp_path_factory, "ann")), "--idle-timeout", "0"])
    assert result.code == 2 and err == ["serve: error: --idle-timeout must be above 0 and at most 3600 seconds "
                                        "(got 0.0)"]
