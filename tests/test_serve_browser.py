"""serve/'s page in a real browser: headless Chromium (Debian's chromium package, driven by playwright) draws a
digit on the canvas and types a date, submits, and must show the answer the API gives for the same request body.

The screenshots go to a temporary folder, or to the folder SERVE_SCREENSHOTS names: serve/README.md's pictures were
taken by this test, from trained runs named in SERVE_BROWSER_RUNS (see serve/README.md). Without /usr/bin/chromium
the tests here are skipped, with that reason.
"""

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

from test_serve import free_port, served  # the run folders test_serve.py makes

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches for the network on its own: CI machines have none.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason="no /usr/bin/chromium: install Debian's chromium "
                                                               "package to run the browser test")


@contextmanager
def live_server(task):
    """The app of `task` served by uvicorn in a thread of this process, on a free loopback port; yields its URL."""
    import uvicorn

    from serve.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(task), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def load(tmp_path_factory, name: str, position: int):
    """The task of the run folder SERVE_BROWSER_RUNS names at position, else of test_serve.py's --quick run."""
    from serve.loading import load_task

    named = os.environ.get("SERVE_BROWSER_RUNS", "").split(",")
    return load_task(named[position]) if len(named) > position and named[position] else \
        served(tmp_path_factory, name)[0]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


def submit(page) -> dict:
    """Click the form's button; returns the JSON body the page sent to POST /predict, once the answer is shown."""
    with page.expect_request("**/predict") as sent:
        page.click("#submit")
    page.wait_for_selector("body[data-answered='1']")  # (the page's policy forbids wait_for_function's eval)
    assert page.inner_text("#error") == ""
    return sent.value.post_data_json


def screenshot(page, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SERVE_SCREENSHOTS") or tmp_path)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_digit_drawn_on_the_canvas_gets_the_apis_answer(browser, tmp_path_factory, tmp_path):
    task = load(tmp_path_factory, "ann", 0)
    with live_server(task) as url:
        page = browser.new_page(viewport={"width": 1000, "height": 760})
        page.goto(url)
        page.wait_for_selector("body[data-ready=yes]")
        box = page.locator("#pad").bounding_box()
        points = [(0.28, 0.22), (0.72, 0.22), (0.62, 0.45), (0.45, 0.82)]  # a 7: the bar, then down to the left
        page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()
        body = submit(page)
        size = task.input_description()["height"]
        assert len(body["pixels"]) == size and max(map(max, body["pixels"])) > 0.5  # the stroke reached the model
        expected = httpx.post(f"{url}/predict", json=body).json()
        shown_class, shown_percent = page.inner_text("#answer").rsplit(" (", 1)
        assert shown_class == expected["class"]
        assert float(shown_percent.rstrip("%)")) == pytest.approx(100 * expected["probability"], abs=0.051)
        assert page.locator(".bar").count() == len(expected["top"])
        path = screenshot(page, "page_digit.png", tmp_path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_typed_date_gets_the_apis_translation_and_heatmap(browser, tmp_path_factory, tmp_path):
    task = load(tmp_path_factory, "attention", 1)
    with live_server(task) as url:
        page = browser.new_page(viewport={"width": 1000, "height": 760})
        page.goto(url)
        page.wait_for_selector("body[data-ready=yes]")
        page.fill("#text", "march 3rd, 2015")
        body = submit(page)
        assert body == {"text": "march 3rd, 2015"}
        expected = httpx.post(f"{url}/predict", json=body).json()
        assert page.inner_text("#answer") == expected["output"]
        rows = page.locator("#heatmap tr")
        assert rows.count() == 1 + len(expected["output_tokens"])  # a header of input tokens, a row per output
        assert page.locator("#heatmap tr").first.locator("th").count() == 1 + len("march 3rd, 2015")
        path = screenshot(page, "page_date.png", tmp_path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
