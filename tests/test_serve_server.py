"""serve/ as a real server: `python -m serve RUN_DIR` in a subprocess (uvicorn on a free loopback port) answers 200
requests from 20 concurrent clients correctly, refuses 20 malformed requests with a 4xx and a reason, a body sent in
chunks past the size limit with 413 and a foreign Host header with 400, is healthy after them, and stops cleanly on
Ctrl-C (SIGINT). tests/test_serve_abuse.py checks the other limits (serve/limits.py) on a server in a thread."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx2 as httpx
import numpy as np
import pytest

from common.config import REPO_ROOT
from test_serve import digit_images, direct, free_port, probabilities_of, served  # the run folders test_serve.py makes

CLIENTS, REQUESTS_PER_CLIENT = 20, 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(process, base URL, log file) of `python -m serve` on an ann digits run; killed at the end if still running."""
    task, _ = served(tmp_path_factory, "ann")
    port, log = free_port(), tmp_path_factory.mktemp("server") / "server.log"
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    with open(log, "w") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "serve", str(task.run.path), "--port", str(port),
                                    "--idle-timeout", "1"],  # the protocol's limits reach the real server
                                   cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # TensorFlow's import and the model's loading take seconds on a busy machine
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield process, url, log
    if process.poll() is None:
        process.kill()
        process.wait()


def test_200_requests_from_20_concurrent_clients_are_all_answered_correctly(server, tmp_path_factory):
    _, url, _ = server
    task, _ = served(tmp_path_factory, "ann")
    images = digit_images(task)[:CLIENTS * REQUESTS_PER_CLIENT]
    expected = direct(task.model, images.reshape(len(images), -1) * 16)  # model.keras reads raw 0..16 pixels

    async def one_client(indices: range) -> list:  # one connection, its requests one after another
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return [(i, await client.post("/predict", json={"pixels": images[i].tolist(), "top_k": 10}))
                    for i in indices]

    async def all_clients() -> list:
        batches = [range(c * REQUESTS_PER_CLIENT, (c + 1) * REQUESTS_PER_CLIENT) for c in range(CLIENTS)]
        return [pair for batch in await asyncio.gather(*map(one_client, batches)) for pair in batch]

    answers = asyncio.run(all_clients())
    assert len(answers) == 200 and all(response.status_code == 200 for _, response in answers)
    for i, response in answers:
        assert np.allclose(probabilities_of(response.json(), 10), expected[i], atol=1e-6), i


MALFORMED = [  # (method, path, body bytes or None, content type, status, words in the reason)
    ("POST", "/predict", b'{"pixels": [[0.5, 0.5]]}', "application/json", 422, "pixels must have 8 rows"),
    ("POST", "/predict", json.dumps({"pixels": [[0.5] * 9] * 8}).encode(), "application/json", 422, "must have 8"),
    ("POST", "/predict", b'{"pixels": "a picture"}', "application/json", 422, "pixels: Input should be a valid list"),
    ("POST", "/predict", b'{"pixels": [["white"]]}', "application/json", 422, "Input should be a valid number"),
    ("POST", "/predict", b'{"pixels": [[NaN]]}', "application/json", 422, "pixels[0][0]: Input should be a finite"),
    ("POST", "/predict", b'{"pixels": [[Infinity]]}', "application/json", 422, "Input should be a finite number"),
    ("POST", "/predict", b'{"pixels": [[-0.1]]}', "application/json", 422, "greater than or equal to 0"),
    ("POST", "/predict", b'{"pixels": [[0.5]], "top_k": "3"}', "application/json", 422, "top_k: Input should be"),
    ("POST", "/predict", b'{"pixels": [[0.5]], "model": "../x"}', "application/json", 422, "Extra inputs"),
    ("POST", "/predict", b"", "application/json", 400, "the body is empty"),
    ("POST", "/predict", b"{pixels:", "application/json", 400, "the body is not valid JSON"),
    ("POST", "/predict", b"[0.5, 0.5]", "application/json", 422, "the body must be a JSON object"),
    ("POST", "/predict", b'{"pixels": [[0.5]]}', "text/plain", 422, "sent as application/json"),
    ("POST", "/predict", b" " * 10_000_000, "application/json", 413, "larger than this server's limit"),
    ("GET", "/predict", None, None, 405, "GET is not allowed on /predict"),
    ("PUT", "/health", b"{}", "application/json", 405, "PUT is not allowed on /health"),
    ("DELETE", "/model", None, None, 405, "DELETE is not allowed on /model"),
    ("GET", "/predicts", None, None, 404, "there is no /predicts"),
    ("GET", "/model.keras", None, None, 404, "there is no /model.keras"),
    ("GET", "/static/../config.json", None, None, 404, "there is no"),
]


def test_20_malformed_requests_get_a_4xx_with_a_reason_and_the_server_stays_healthy(server):
    _, url, _ = server
    assert len(MALFORMED) == 20
    with httpx.Client(base_url=url, timeout=60) as client:
        for method, path, body, content_type, status, words in MALFORMED:
            headers = {"Content-Type": content_type} if content_type else {}
            response = client.request(method, path, content=body, headers=headers)
            detail = response.json()["detail"]
            assert response.status_code == status and words in detail and "\n" not in detail, (path, detail)
        assert client.get("/health").json()["status"] == "ok"
        answer = client.post("/predict", json=client.get("/model").json()["example"])
        assert answer.status_code == 200 and len(answer.json()["top"]) == 3


def test_a_chunked_body_past_the_limit_a_foreign_host_and_an_idle_connection_are_refused(server):
    _, url, _ = server
    port = int(url.rpartition(":")[2])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:  # --idle-timeout 1: closed in time
        assert idle.recv(1024) == b""

    def chunks():  # no Content-Length: httpx sends a generator's pieces as chunks
        for _ in range(40):
            yield b" " * 65536  # 2.5 MiB in all, more than the 1 MiB limit of a digits run

    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post("/predict", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and "Content-Length" not in response.request.headers
        assert response.json() == {"detail": "the request body is larger than this server's limit of 1,048,576 bytes"}
        response = client.get("/health", headers={"Host": "attacker.example"})
        assert response.status_code == 400 and "the Host header names 'attacker.example'" in response.json()["detail"]
        assert client.get("/health").json()["status"] == "ok"


def test_the_server_stops_cleanly_on_ctrl_c(server):
    process, url, log = server
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    text = log.read_text()
    assert text.startswith("serving ann/digits-") and "(image) at http://127.0.0.1:" in text.splitlines()[0]
    assert "Shutting down" in text and "Finished server process" in text and "Traceback" not in text
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)
