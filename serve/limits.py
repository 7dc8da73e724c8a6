"""What keeps one client, slow, greedy or hostile, from taking the server away from the others.

    limits = Limits(idle_timeout=5, body_timeout=20, max_connections=100, max_queue=32, max_wait=5)
    server = make_server(create_app(task, limits), "127.0.0.1", 8000, limits)   # then server.run()

- Time limits. A connection must send a whole request's headers within idle_timeout seconds of opening or of its
  previous answer (keep-alive included), and the body within body_timeout seconds of its headers: otherwise it is
  answered 408 and closed (or closed without a word when it sent nothing). A slow (slowloris) or idle connection
  cannot stay open. Headers over MAX_HEADER_BYTES are refused with 431 (uvicorn's parser, h11, refuses them with a
  400 only while they are still arriving).
- A cap on connections: beyond max_connections open at once, a new one is answered 503 and closed at once.
- A body size limit (the task's max_body_bytes): 413 before reading a body whose Content-Length is over it, and as
  soon as the bytes read pass it when the body comes in chunks without a length.
- A bounded queue for the model. One request at a time reaches it (ModelQueue); a POST /predict waits its turn
  only when the work ahead of it is expected to take at most max_wait seconds and fewer than max_queue requests
  are ahead; otherwise it is answered 503 with Retry-After at once. GET /health, GET /model and the page never wait
  for the model.
- A Host check (TrustedHost) against DNS rebinding: a web page on another site cannot reach this loopback API by
  pointing its own name at 127.0.0.1, because its requests name that site in their Host header.

The time limits and the connection cap live in the HTTP protocol (GuardedProtocol, a subclass of uvicorn's own),
because an ASGI application only hears of a request once its headers are complete; the rest are ASGI middleware.
"""

import asyncio
import collections
import dataclasses
import ipaddress
import json
import math
import statistics
import threading
import time

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
MAX_HEADER_BYTES = 16 * 1024  # a browser sends a few hundred bytes; h11's own bound on headers still arriving


@dataclasses.dataclass(frozen=True)
class Limits:
    """The settings of `python -m serve` that bound what a client can take (see the module docstring)."""

    idle_timeout: float = 5.0  # seconds to send a request's headers, from the connection's start or last answer
    body_timeout: float = 20.0  # seconds to send a request's body, from its headers
    max_connections: int = 100  # connections open at once
    max_queue: int = 32  # POST /predict requests admitted at once (the one at the model included)
    max_wait: float = 5.0  # seconds of work ahead beyond which a POST /predict is answered 503
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES  # the names a Host header may give
    any_address: bool = False  # also any IP address in the Host header (a server bound to 0.0.0.0 or ::)

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "body_timeout", "max_wait"):
            value = getattr(self, name)
            if not 0 < value <= 3600:
                raise ValueError(f"--{name.replace('_', '-')} must be above 0 and at most 3600 seconds (got {value})")
        for name, most in (("max_connections", 10_000), ("max_queue", 1_000)):
            value = getattr(self, name)
            if not 1 <= value <= most:
                raise ValueError(f"--{name.replace('_', '-')} must be between 1 and {most} (got {value})")


def allowed_hosts(bind_host: str, extra: list[str] | tuple[str, ...] = ()) -> dict:
    """Limits' allowed_hosts and any_address for a server listening on bind_host: the loopback names, the address
    it listens on, and the names given with --allowed-host; a server listening on every network (0.0.0.0, ::) also
    answers a Host header that is an IP address (a DNS rebinding attack needs a name of its own)."""
    names = dict.fromkeys([*LOOPBACK_NAMES, *(name.strip().lower().strip("[]") for name in extra)])
    every_network = is_ip_address(bind_host.strip("[]")) and ipaddress.ip_address(bind_host.strip("[]")).is_unspecified
    if not every_network:
        names[bind_host.lower().strip("[]")] = None
    return {"allowed_hosts": tuple(name for name in names if name), "any_address": every_network}


def host_name(header: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1', 'LocalHost' -> 'localhost'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def refusal(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    """The JSON answer of a refused request, after which the connection is closed."""
    return JSONResponse({"detail": detail}, status_code=status, headers={**(headers or {}), "Connection": "close"})


# ----------------------------------------------------------------------------------------------------------------
# ASGI middleware: the Host check, the body's size and time


class HeaderSize:
    """Refuse with 431 a request whose headers are over MAX_HEADER_BYTES (h11 lets a header block through whole when
    it comes in one read, however large)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        size = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))  # "name: value\r\n"
        if scope["type"] == "http" and size > MAX_HEADER_BYTES:
            response = refusal(
                431, f"the request's headers are larger than this server's limit of {MAX_HEADER_BYTES:,} bytes"
            )
            return await response(scope, receive, send)
        await self.app(scope, receive, send)


class TrustedHost:
    """Refuse with 400 a request whose Host header is none of the allowed names (against DNS rebinding)."""

    def __init__(self, app, limits: Limits):
        self.app, self.limits = app, limits

    def allows(self, name: str) -> bool:
        return name in self.limits.allowed_hosts or (self.limits.any_address and is_ip_address(name))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if not self.allows(host_name(header)):
            names = ", ".join(self.limits.allowed_hosts) + (" or an IP address" if self.limits.any_address else "")
            given = f"names {header!r}" if header else "is missing"
            response = refusal(
                400,
                f"the Host header {given}; this server answers to {names} only (python -m "
                f"serve --allowed-host NAME adds a name)",
            )
            return await response(scope, receive, send)
        await self.app(scope, receive, send)


class BodyLimits:
    """ASGI middleware: refuse a request body over max_bytes with 413, before reading it when its Content-Length
    says so, and as soon as the bytes read pass the limit otherwise (a body sent in chunks has no length); refuse
    with 408 a body that has not arrived whole within timeout seconds of the request's headers."""

    def __init__(self, app, max_bytes: int, timeout: float):
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await refusal(413, self.too_large())(scope, receive, send)
        deadline = time.monotonic() + self.timeout
        received, whole = 0, False

        async def limited_receive():
            nonlocal received, whole
            if whole:  # after the body, receive() only waits for the client to leave: no deadline then
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(deadline - time.monotonic(), 0))
            except TimeoutError:  # FastAPI passes an HTTPException from reading the body on to its handler
                raise HTTPException(
                    status_code=408,
                    headers={"Connection": "close"},
                    detail=f"the request body did not arrive within {self.timeout:g} seconds",
                ) from None
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(status_code=413, detail=self.too_large(), headers={"Connection": "close"})
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)

    def too_large(self) -> str:
        return f"the request body is larger than this server's limit of {self.max_bytes:,} bytes"


# ----------------------------------------------------------------------------------------------------------------
# The model's queue


class QueueFull(Exception):
    """POST /predict answered 503: too much work is already waiting for the model."""

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.detail, self.retry_after = detail, retry_after


class ModelQueue:
    """One request at a time at the model, in the order they came, and no more waiting than max_wait seconds.

    Each request brings its work (Task.work: characters to write, steps to forecast, else 1). The queue estimates
    the model's seconds per unit of work as the median over the last RECENT requests (the task's own example at
    start-up first): a median, so that one slow call (a graph traced for a new input length) does not make the
    server refuse work for a while. It admits a request when nothing is ahead of it, or when fewer than max_queue are
    ahead and their work is expected to take at most max_wait seconds. Waiting happens on the
    event loop (an asyncio lock, first come first served), so waiting requests hold no thread; the model itself runs
    in a worker thread, also behind a threading lock, so that two calls never overlap even if a waiting request is
    cancelled.
    """

    RECENT = 9

    def __init__(self, max_queue: int, max_wait: float, seconds_per_unit: float = 0.0):
        self.max_queue, self.max_wait = max_queue, max_wait
        self.rates = collections.deque([seconds_per_unit] if seconds_per_unit > 0 else [], maxlen=self.RECENT)
        self.admitted: list[float] = []  # the work of each request admitted and not yet answered
        self.turn = asyncio.Lock()  # FIFO: asyncio wakes waiters in the order they began to wait
        self.model_lock = threading.Lock()

    @property
    def seconds_per_unit(self) -> float:
        return statistics.median(self.rates) if self.rates else 0.0

    def expected_wait(self) -> float:
        return sum(self.admitted) * self.seconds_per_unit

    def admit(self, work: float) -> None:
        """Count the request in, or raise QueueFull."""
        ahead, wait = len(self.admitted), self.expected_wait()
        if ahead and (ahead >= self.max_queue or wait > self.max_wait):
            retry_after = max(1, math.ceil(wait))
            reason = (
                f"{ahead} requests are waiting for it, this server's limit"
                if ahead >= self.max_queue
                else f"the requests waiting for it are expected to take {wait:.1f} seconds, more than this server's "
                f"limit of {self.max_wait:g}"
            )
            raise QueueFull(f"the model is busy: {reason}; try again in {retry_after} seconds", retry_after)
        self.admitted.append(work)

    async def run(self, work: float, function, *arguments):
        """function(*arguments) in a worker thread when this request's turn comes; QueueFull when it cannot wait."""
        self.admit(work)
        try:
            async with self.turn:
                start = time.monotonic()
                result = await run_in_threadpool(self.call, function, *arguments)
                self.learn(time.monotonic() - start, work)
                return result
        finally:
            self.admitted.remove(work)

    def call(self, function, *arguments):
        with self.model_lock:
            return function(*arguments)

    def learn(self, seconds: float, work: float) -> None:
        self.rates.append(seconds / max(work, 1e-9))


# ----------------------------------------------------------------------------------------------------------------
# The HTTP protocol: time limits before a request reaches the application, and the connection cap


def raw_answer(status: str, detail: str, extra_headers: str = "") -> bytes:
    """A whole HTTP/1.1 answer with a JSON detail, for a connection the application never sees."""
    body = json.dumps({"detail": detail}).encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"{extra_headers}connection: close\r\n\r\n"
    ).encode() + body


def guarded_protocol(limits: Limits) -> type:
    """uvicorn's HTTP/1.1 protocol (h11) with the idle/headers deadline and the connection cap of `limits`."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedProtocol(H11Protocol):
        """A deadline runs while the connection waits for a request's headers: from its start, and again after each
        answer. It is not put off by bytes that trickle in, as uvicorn's own keep-alive timer is."""

        request_deadline = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:  # this one included
                transport.write(
                    raw_answer(
                        "503 Service Unavailable",
                        f"this server has {limits.max_connections} "
                        f"connections open, its limit; try again in a few seconds",
                        f"retry-after: {math.ceil(limits.idle_timeout)}\r\n",
                    )
                )
                transport.close()
                return
            self.wait_for_request()

        def wait_for_request(self) -> None:
            self.stop_waiting()
            self.request_deadline = self.loop.call_later(limits.idle_timeout, self.request_timed_out)

        def stop_waiting(self) -> None:
            if self.request_deadline is not None:
                self.request_deadline.cancel()
                self.request_deadline = None

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:  # the headers are in: the body's own limit takes over
                self.stop_waiting()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.transport.is_closing():
                return
            if self.conn.their_state is h11.SEND_BODY:  # answered before its body came in whole (413, 408): close
                self.transport.close()
            elif self.conn.their_state is h11.IDLE:  # keep-alive: the next request's headers are due in time
                self.wait_for_request()

        def connection_lost(self, exc) -> None:
            self.stop_waiting()
            super().connection_lost(exc)

        def request_timed_out(self) -> None:
            self.request_deadline = None
            if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
                return
            if self.conn.trailing_data[0]:  # part of a request came: say why it is closed
                self.transport.write(
                    raw_answer(
                        "408 Request Timeout",
                        f"the request's headers did not arrive within {limits.idle_timeout:g} seconds",
                    )
                )
            self.transport.close()

    return GuardedProtocol


def make_server(app, host: str, port: int, limits: Limits, log_level: str = "info"):
    """A uvicorn.Server for app with the protocol of `limits` (its .run() serves until Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=guarded_protocol(limits),
        timeout_keep_alive=limits.idle_timeout,
    )
    return uvicorn.Server(config)
