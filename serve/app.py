"""The FastAPI application around one task: a page, a JSON API, and answers in one sentence when a request is wrong.

    app = create_app(load_task("runs/ann/digits-20261122-184501"))    # then: uvicorn.run(app, port=8000)

    GET  /            the page (serve/static/index.html, app.js, style.css: no build step, nothing from a CDN)
    GET  /health      {"status": "ok", "run": ..., "kind": ...}
    GET  /model       the run: data set, task, input, test metrics, an example body
    POST /predict     a JSON body (schemas.py) -> the answer (tasks.py, generative.py)

Every refusal is JSON {"detail": "<one sentence>"} with a 4xx status: 400 a body that is not JSON or is empty, or a
Host header this server does not answer to, 408 a body that does not arrive in time, 413 a body over the size limit
(refused before it is read), 431 headers over 16 KiB, 422 a body that is JSON but not a valid input, 404 an unknown
route, 405 a wrong method; and 503 with Retry-After when the model is too busy to take more work (serve/limits.py has
every limit). The server then goes on serving. The page's three files are read once, here, and served from memory
under fixed names: no path or file name from a request ever reaches the file system.
"""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from serve.limits import BodyLimits, HeaderSize, Limits, ModelQueue, QueueFull, TrustedHost
from serve.schemas import describe_errors, is_malformed

STATIC = Path(__file__).resolve().parent / "static"
# The page may load only what this server sends (its script, its style sheet) and draw uploaded images it was given.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:",
    "X-Content-Type-Options": "nosniff",
}
ROUTES = "GET /, GET /health, GET /model and POST /predict"


def read_page() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once: URL path -> (content, media type)."""
    files = {
        "/": ("index.html", "text/html; charset=utf-8"),
        "/app.js": ("app.js", "text/javascript; charset=utf-8"),
        "/style.css": ("style.css", "text/css; charset=utf-8"),
    }
    return {route: ((STATIC / name).read_bytes(), media_type) for route, (name, media_type) in files.items()}


def create_app(task, limits: Limits | None = None) -> FastAPI:
    """A FastAPI app that answers for `task` (a serve.tasks.Task) within `limits` (default: Limits(), which answers
    to loopback Host names only). One request at a time reaches the model, through a bounded queue: Keras layers are
    not promised to be safe to call from several threads at once, and a stateful text generator is not."""
    limits = limits or Limits()
    app = FastAPI(title=f"serve {task.run.name}", docs_url=None, redoc_url=None)  # /docs would load from a CDN
    app.add_middleware(BodyLimits, max_bytes=task.max_body_bytes, timeout=limits.body_timeout)
    app.add_middleware(TrustedHost, limits=limits)
    app.add_middleware(HeaderSize)  # added last, so it runs first
    queue = app.state.queue = ModelQueue(limits.max_queue, limits.max_wait, getattr(task, "seconds_per_unit", 0.0))
    page = read_page()
    Body = task.Body  # the pydantic model FastAPI validates POST /predict's body with (and shows in /openapi.json)

    def serve_file(route: str) -> Response:
        content, media_type = page[route]
        return Response(content, media_type=media_type, headers=PAGE_HEADERS)

    # `async def`: the page, /health and /model are answered on the event loop at once, never behind the model or
    # behind requests waiting for a worker thread.
    @app.get("/", response_class=HTMLResponse)
    async def index() -> Response:
        return serve_file("/")

    @app.get("/app.js")
    async def script() -> Response:
        return serve_file("/app.js")

    @app.get("/style.css")
    async def style() -> Response:
        return serve_file("/style.css")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "run": task.run.name, "kind": task.kind}

    description = task.describe()  # the same every time: made once, not per request

    @app.get("/model")
    async def describe() -> dict:
        return description

    # The model runs in a worker thread, one request at a time, in the order they came; a request that would wait
    # too long is answered 503 at once (serve/limits.py, ModelQueue).
    @app.post("/predict")
    async def predict(body: Body) -> dict:
        return await queue.run(task.work(body), task.answer, body)

    @app.exception_handler(QueueFull)
    def busy(request: Request, error: QueueFull) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, status_code=503, headers={"Retry-After": str(error.retry_after)})

    @app.exception_handler(RequestValidationError)
    def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        return JSONResponse({"detail": describe_errors(errors)}, status_code=400 if is_malformed(errors) else 422)

    @app.exception_handler(ValueError)
    def unusable_input(request: Request, error: ValueError) -> JSONResponse:  # a task's own check (tasks.py)
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, error: HTTPException) -> JSONResponse:
        method, path = request.method, request.url.path
        sentences = {
            404: f"there is no {path} on this server; it answers {ROUTES}",
            405: f"{method} is not allowed on {path}; this server answers {ROUTES}",
        }
        detail = sentences.get(error.status_code, str(error.detail))
        if detail == "There was an error parsing the body":  # FastAPI's words for JSON it could not decode at all
            detail = "the body could not be read as JSON (not UTF-8 text, or nested too deeply)"
        return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(Exception)
    def failure(request: Request, error: Exception) -> JSONResponse:  # a bug: 500, and its traceback in the log
        return JSONResponse(
            {"detail": f"the server failed on this request ({type(error).__name__}); its log says more"},
            status_code=500,
        )

    return app
