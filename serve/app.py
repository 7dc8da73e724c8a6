"""The FastAPI application around one task: a page, a JSON API, and answers in one sentence when a request is wrong.

    app = create_app(load_task("runs/ann/digits-20261122-184501"))    # then: uvicorn.run(app, port=8000)

    GET  /            the page (serve/static/index.html, app.js, style.css: no build step, nothing from a CDN)
    GET  /health      {"status": "ok", "run": ..., "kind": ...}
    GET  /model       the run: data set, task, input, test metrics, an example body
    POST /predict     a JSON body (schemas.py) -> the answer (tasks.py, generative.py)

Every refusal is JSON {"detail": "<one sentence>"} with a 4xx status: 400 a body that is not JSON or is empty, 413 a
body over the size limit (refused before it is read), 422 a body that is JSON but not a valid input, 404 an unknown
route, 405 a wrong method. The server then goes on serving. The page's three files are read once, here, and served
from memory under fixed names: no path or file name from a request ever reaches the file system.
"""

import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from serve.schemas import describe_errors, is_malformed

STATIC = Path(__file__).resolve().parent / "static"
# The page may load only what this server sends (its script, its style sheet) and draw uploaded images it was given.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:",
                "X-Content-Type-Options": "nosniff"}
ROUTES = "GET /, GET /health, GET /model and POST /predict"


class BodySizeLimit:
    """ASGI middleware: refuse a request body over max_bytes with 413, before reading it when its Content-Length
    says so, and as soon as the bytes read pass the limit otherwise (a body sent in chunks has no length)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            response = JSONResponse({"detail": self.too_large()}, status_code=413, headers={"Connection": "close"})
            return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # FastAPI passes an HTTPException from reading the body on to its handler
                raise HTTPException(status_code=413, detail=self.too_large())
            return message

        await self.app(scope, limited_receive, send)

    def too_large(self) -> str:
        return f"the request body is larger than this server's limit of {self.max_bytes:,} bytes"


def read_page() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once: URL path -> (content, media type)."""
    files = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
             "/style.css": ("style.css", "text/css; charset=utf-8")}
    return {route: ((STATIC / name).read_bytes(), media_type) for route, (name, media_type) in files.items()}


def create_app(task) -> FastAPI:
    """A FastAPI app that answers for `task` (a serve.tasks.Task). One request at a time reaches the model: Keras
    layers are not promised to be safe to call from several threads at once, and a stateful text generator is not."""
    app = FastAPI(title=f"serve {task.run.name}", docs_url=None, redoc_url=None)  # /docs would load from a CDN
    app.add_middleware(BodySizeLimit, max_bytes=task.max_body_bytes)
    lock = threading.Lock()
    page = read_page()
    Body = task.Body  # the pydantic model FastAPI validates POST /predict's body with (and shows in /openapi.json)

    def serve_file(route: str) -> Response:
        content, media_type = page[route]
        return Response(content, media_type=media_type, headers=PAGE_HEADERS)

    @app.get("/", response_class=HTMLResponse)
    def index() -> Response:
        return serve_file("/")

    @app.get("/app.js")
    def script() -> Response:
        return serve_file("/app.js")

    @app.get("/style.css")
    def style() -> Response:
        return serve_file("/style.css")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "run": task.run.name, "kind": task.kind}

    @app.get("/model")
    def describe() -> dict:
        return task.describe()

    # A plain `def`: FastAPI runs it in a worker thread, so a slow model call does not stop the server from
    # accepting other connections (they wait for the lock).
    @app.post("/predict")
    def predict(body: Body) -> dict:
        with lock:
            return task.predict(body)

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
        sentences = {404: f"there is no {path} on this server; it answers {ROUTES}",
                     405: f"{method} is not allowed on {path}; this server answers {ROUTES}"}
        detail = sentences.get(error.status_code, str(error.detail))
        return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(Exception)
    def failure(request: Request, error: Exception) -> JSONResponse:  # a bug: 500, and its traceback in the log
        return JSONResponse({"detail": f"the server failed on this request ({type(error).__name__}); its log "
                                       f"says more"}, status_code=500)

    return app
