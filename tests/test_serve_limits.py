"""serve/limits.py's request checks, one ASGI call at a time with hand-made scopes (no server, no model): the Host
check, the header and body limits at their exact bounds, the body's deadline, what passes through untouched, and the
model queue's estimate and admission. (The same limits against a real server: tests/test_serve_abuse.py.)

    python -m pytest -q -n 0 tests/test_serve_limits.py
"""

import asyncio
import json

import pytest
from starlette.exceptions import HTTPException

from serve.limits import (MAX_HEADER_BYTES, BodyLimits, HeaderSize, Limits, ModelQueue, QueueFull, TrustedHost,
                          allowed_hosts, host_name)


class Recorder:
    """An inner ASGI app that records what it was called with, and reads the whole body through receive."""

    def __init__(self, read_body: bool = False):
        self.calls, self.read_body, self.messages = [], read_body, []

    async def __call__(self, scope, receive, send):
        self.calls.append((scope, receive, send))
        while self.read_body:
            message = await receive()
            self.messages.append(message)
            if not message.get("more_body", False):
                break


def http_scope(headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "method": "POST", "path": "/predict", "headers": headers}


def answer(middleware, scope, receive=None) -> tuple[int | None, dict, dict]:
    """(status, headers, JSON body) the middleware sent; status None when it sent nothing."""
    sent = []

    async def send(message):
        sent.append(message)

    async def nothing():
        return {"type": "http.request", "body": b"", "more_body": False}

    asyncio.run(middleware(scope, receive or nothing, send))
    if not sent:
        return None, {}, {}
    headers = {name.decode().lower(): value.decode() for name, value in sent[0]["headers"]}
    return sent[0]["status"], headers, json.loads(sent[1]["body"])


def test_what_is_not_an_http_request_passes_through_untouched():
    lifespan = {"type": "lifespan"}  # no headers at all
    for make in (HeaderSize, lambda app: TrustedHost(app, Limits()), lambda app: BodyLimits(app, 10, 1.0)):
        inner = Recorder()

        async def receive():
            return {"type": "lifespan.startup"}

        async def send(message):
            return None

        asyncio.run(make(inner)(lifespan, receive, send))
        assert inner.calls == [(lifespan, receive, send)]  # the very same objects


# ---------------------------------------------------------------------------------------------------------------
# The Host check

def test_allowed_hosts_from_the_bind_address_and_the_extra_names():
    assert allowed_hosts("127.0.0.1") == {"allowed_hosts": ("127.0.0.1", "localhost", "::1"), "any_address": False}
    named = allowed_hosts("MyBox.Local", [" [Example.ORG] ", "::1"])
    assert named == {"allowed_hosts": ("127.0.0.1", "localhost", "::1", "example.org", "mybox.local"),
                     "any_address": False}
    assert allowed_hosts("[2001:DB8::1]")["allowed_hosts"][-1] == "2001:db8::1"  # no brackets, lower case
    for everywhere in ("0.0.0.0", "::", "[::]"):  # every network: any IP address, no name added
        assert allowed_hosts(everywhere) == {"allowed_hosts": ("127.0.0.1", "localhost", "::1"), "any_address": True}


def test_host_names_from_host_headers():
    assert host_name("127.0.0.1:8000") == "127.0.0.1" and host_name(" LocalHost ") == "localhost"
    assert host_name("[::1]:8000") == "::1" and host_name("[::1]") == "::1" and host_name("::1") == "::1"


@pytest.mark.parametrize("host, any_address, detail", [
    (None, False, "the Host header is missing; this server answers to 127.0.0.1, localhost, ::1 only"),
    (b"evil.example:8000", False,
     "the Host header names 'evil.example:8000'; this server answers to 127.0.0.1, localhost, ::1 only"),
    (b"evil.example", True,
     "the Host header names 'evil.example'; this server answers to 127.0.0.1, localhost, ::1 or an IP address only"),
])
def test_a_host_that_is_not_allowed_is_refused_with_400(host, any_address, detail):
    inner = Recorder()
    limits = Limits(any_address=any_address)
    status, headers, body = answer(TrustedHost(inner, limits), http_scope([] if host is None else [(b"host", host)]))
    assert status == 400 and headers["connection"] == "close" and not inner.calls
    assert body == {"detail": f"{detail} (python -m serve --allowed-host NAME adds a name)"}


@pytest.mark.parametrize("host, any_address", [(b"localhost:8000", False), (b"[::1]:80", False),
                                               (b"192.168.1.9:8000", True)])
def test_an_allowed_host_reaches_the_app(host, any_address):
    inner = Recorder()
    scope = http_scope([(b"host", host)])
    assert answer(TrustedHost(inner, Limits(any_address=any_address)), scope)[0] is None
    assert len(inner.calls) == 1 and inner.calls[0][0] is scope


# ---------------------------------------------------------------------------------------------------------------
# Headers and body at their limits

def padded_headers(size: int) -> list[tuple[bytes, bytes]]:
    """Headers of exactly size bytes as the limit counts them ("name: value\\r\\n")."""
    return [(b"host", b"localhost"), (b"x-pad", b"a" * (size - (4 + 9 + 4) - (5 + 4)))]


def test_headers_up_to_the_limit_pass_and_one_byte_more_is_431():
    inner = Recorder()
    assert answer(HeaderSize(inner), http_scope(padded_headers(MAX_HEADER_BYTES)))[0] is None and inner.calls
    status, headers, body = answer(HeaderSize(Recorder()), http_scope(padded_headers(MAX_HEADER_BYTES + 1)))
    assert status == 431 and headers["connection"] == "close"
    assert body == {"detail": "the request's headers are larger than this server's limit of 16,384 bytes"}


def body_messages(*chunks: bytes, explicit_end: bool = True):
    """A receive() giving the chunks in turn, then a disconnect; the last chunk says more_body False, or (not
    explicit_end) leaves the key out, as ASGI allows."""
    queue = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    if not explicit_end:
        del queue[-1]["more_body"]
    else:
        queue[-1]["more_body"] = False
    queue.append({"type": "http.disconnect"})

    async def receive():
        return queue.pop(0)

    return receive


@pytest.mark.parametrize("declared, allowed", [(b"100", True), (b"101", False), (b"1e3", False), (b"-1", False)])
def test_a_declared_length_over_the_limit_is_413_before_reading(declared, allowed):
    inner = Recorder(read_body=True)
    status, headers, body = answer(BodyLimits(inner, 100, 5.0), http_scope([(b"content-length", declared)]),
                                   body_messages(b"x" * 100))
    assert (status is None) == allowed and bool(inner.calls) == allowed
    if not allowed:
        assert status == 413 and headers["connection"] == "close"
        assert body == {"detail": "the request body is larger than this server's limit of 100 bytes"}


def test_a_chunked_body_may_reach_the_limit_and_not_pass_it():
    inner = Recorder(read_body=True)
    answer(BodyLimits(inner, 100, 5.0), http_scope([]), body_messages(b"x" * 60, b"x" * 40))
    assert [len(message["body"]) for message in inner.messages] == [60, 40]
    inner = Recorder(read_body=True)
    with pytest.raises(HTTPException) as refused:
        answer(BodyLimits(inner, 100, 5.0), http_scope([]), body_messages(b"x" * 60, b"x" * 41))
    assert refused.value.status_code == 413 and len(inner.messages) == 1
    assert refused.value.detail == "the request body is larger than this server's limit of 100 bytes"
    assert {name.lower(): value.lower() for name, value in refused.value.headers.items()} == {"connection": "close"}


def test_a_body_late_past_its_deadline_is_408():
    async def slow():
        await asyncio.sleep(0.3)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    with pytest.raises(HTTPException) as refused:
        answer(BodyLimits(Recorder(read_body=True), 100, 0.1), http_scope([]), slow)
    assert refused.value.status_code == 408
    assert refused.value.detail == "the request body did not arrive within 0.1 seconds"
    assert {name.lower(): value.lower() for name, value in refused.value.headers.items()} == {"connection": "close"}


@pytest.mark.parametrize("explicit_end", [True, False])
def test_after_the_whole_body_receive_has_no_deadline(explicit_end):
    """Once the body is whole, receive() only waits for the client to leave (a streaming answer listens for it):
    that wait is not the body's, and may go past the body's deadline."""
    messages = body_messages(b"{}", explicit_end=explicit_end)
    heard = []

    async def app(scope, receive, send):
        heard.append(await receive())
        await asyncio.sleep(0.2)  # past the deadline below
        heard.append(await receive())

    answer(BodyLimits(app, 100, 0.1), http_scope([]), messages)
    assert [message["type"] for message in heard] == ["http.request", "http.disconnect"]


# ---------------------------------------------------------------------------------------------------------------
# The model's queue

def test_the_queue_estimates_seconds_per_unit_by_the_median_of_the_last_nine():
    assert ModelQueue(1, 5.0).seconds_per_unit == 0.0  # nothing known yet: no wait expected
    queue = ModelQueue(1, 5.0)
    queue.learn(2.0, 1)
    assert queue.seconds_per_unit == 2.0  # no made-up first rate beside it
    queue.learn(1.0, 0.5)
    assert list(queue.rates) == [2.0, 2.0]  # seconds per unit: 1 s for half a unit
    queue = ModelQueue(1, 5.0, seconds_per_unit=5.0)
    for seconds in (1, 1, 1, 1, 10, 10, 10, 10, 10):
        queue.learn(seconds, 1)
    assert queue.seconds_per_unit == 10  # the start-up 5.0 has left the nine most recent


def test_the_queue_admits_up_to_its_wait_and_its_length():
    queue = ModelQueue(max_queue=5, max_wait=2.0, seconds_per_unit=1.0)
    queue.admit(2)  # nothing ahead: always admitted
    queue.admit(1)  # 2 seconds ahead, exactly the limit
    with pytest.raises(QueueFull) as full:
        queue.admit(1)  # 3 seconds ahead
    assert full.value.retry_after == 3
    assert full.value.detail == ("the model is busy: the requests waiting for it are expected to take 3.0 seconds, "
                                 "more than this server's limit of 2; try again in 3 seconds")
    short = ModelQueue(max_queue=1, max_wait=2.0, seconds_per_unit=0.1)
    short.admit(2)
    with pytest.raises(QueueFull) as full:
        short.admit(1)
    assert full.value.retry_after == 1  # 0.2 seconds ahead, rounded up to a whole second
    assert full.value.detail == "the model is busy: 1 requests are waiting for it, this server's limit; try again " \
                                "in 1 seconds"


def test_the_queue_runs_the_model_under_its_lock_and_learns_its_time():
    queue = ModelQueue(max_queue=2, max_wait=5.0)
    held = []

    def model(x):
        held.append(queue.model_lock.locked())
        return 2 * x

    assert asyncio.run(queue.run(4, model, 21)) == 42
    assert held == [True] and queue.admitted == []
    assert 0 <= queue.seconds_per_unit < 0.5  # a fast call: well under a second per unit


def test_start_up_times_the_warm_answer_for_the_queues_first_estimate(monkeypatch):
    """load_task answers the example twice: the first call traces the model's graph (slow, once), the second is what
    a request takes, and only it is timed, per unit of work."""
    import time

    from serve import loading

    class SlowFirstTask:
        class Body:
            model_validate = staticmethod(lambda example: example)

        calls = 0

        def example(self):
            return {"steps": 2}

        def work(self, example):
            return example["steps"]

        def answer(self, example):
            self.calls += 1
            time.sleep(0.6 if self.calls == 1 else 0.05)

    task = SlowFirstTask()
    monkeypatch.setattr(loading, "open_run_folder", lambda run_dir: run_dir)
    monkeypatch.setattr(loading, "make_task", lambda run: task)
    assert loading.load_task("runs/x") is task and task.calls == 2
    assert 0.025 <= task.seconds_per_unit < 0.2  # 0.05 s for 2 units; the traced call alone would be 0.3 per unit
