"""Serving latency: POST /predict of `python -m serve` per task, alone and under 20 concurrent clients.

    python -m benchmarks.serve                  # every task: writes benchmarks/serve.md (about 4 min on 2 cores)
    python -m benchmarks.serve ann lstm         # the rows whose folder is named, into runs/benchmarks/serve.md

Each row serves one folder's default model. It is trained with --quick, which keeps the network of the default
command and shrinks only the data and the epochs: how long an answer takes depends on the network, not on how well it
has learned. The server runs in its own process (python -m serve RUN_DIR on a free loopback port), and the clients,
in this process, send the body of the run's GET /model example (text: 50 characters rather than 200):
    alone    one client, REQUESTS_ALONE requests one after another: the time one answer takes
    loaded   CLIENTS clients at once, each sending REQUESTS_PER_CLIENT requests one after another
A latency is measured at the client, from sending a request to having read the whole answer (each client's first
request includes opening its connection); p50 is the median,
p99 the value 99% of the requests stay below. The server lets one request at a time reach the model (serve/app.py),
so under load a request mostly waits for those ahead of it: loaded p50 is about CLIENTS / 2 answers' time.
"""

import argparse
import asyncio
import contextlib
import datetime
import importlib
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a file (python benchmarks/serve.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import REPO_ROOT
from common.flags import OneLineParser, fail
from common.console import quiet_tensorflow

PROG = "benchmarks/serve.py"
CLIENTS, REQUESTS_PER_CLIENT, REQUESTS_ALONE, WARM_UP = 20, 10, 30, 5
ROWS = [  # (run, train module, flags after --quick): each folder's default network, one row per kind of answer
    ("ann digits", "ann.train", []), ("ann breast_cancer", "ann.train", ["--dataset", "breast_cancer"]),
    ("cnn mnist5k", "cnn.train", []), ("rnn sine", "rnn.train", []), ("lstm airline", "lstm.train", []),
    ("gru text", "gru.train", []), ("deep_rnn mnist5k", "deep_rnn.train", []), ("birnn tagging", "birnn.train", []),
    ("attention dates", "attention.train", []), ("autoencoder mnist5k", "autoencoder.train", []),
    ("gan mnist5k", "gan.train", []),
]
BODY_CHANGES = {"text": {"length": 50}}  # 200 characters per request would make the loaded rows take minutes


def train_quick(module: str, flags: list[str], output_dir: str) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        result = importlib.import_module(module).main(["--quick", "--output-dir", output_dir, *flags])
    return Path(result["run_dir"])


@contextlib.contextmanager
def running_server(run_dir: Path, log_path: Path):
    """`python -m serve run_dir` on a free loopback port; yields its URL, stops it with Ctrl-C (SIGINT) after."""
    import httpx2 as httpx

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "serve", str(run_dir), "--port", str(port)],
                                   cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server for {run_dir} did not start: {log_path.read_text()[-500:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def load(url: str, body: dict, clients: int, per_client: int) -> tuple[list[float], float]:
    """(latency of every request in seconds, wall seconds of them all) for `clients` clients at once.

    The clients are made before the clock starts: making one takes tens of milliseconds of this process's time (it
    prepares TLS, unused here), which would otherwise be charged to the first requests of the others."""
    import httpx2 as httpx

    async def one_client(client) -> list[float]:
        latencies = []
        for _ in range(per_client):
            start = time.perf_counter()
            response = await client.post("/predict", json=body)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()
        return latencies

    sessions = [httpx.AsyncClient(base_url=url, timeout=600) for _ in range(clients)]
    try:
        start = time.perf_counter()
        batches = await asyncio.gather(*map(one_client, sessions))
        return [latency for batch in batches for latency in batch], time.perf_counter() - start
    finally:
        for session in sessions:
            await session.aclose()


def measure(run_dir: Path, work: Path) -> dict:
    import httpx2 as httpx

    with running_server(run_dir, work / f"{run_dir.name}.log") as url:
        described = httpx.get(f"{url}/model", timeout=60).json()
        body = {**described["example"], **BODY_CHANGES.get(described["kind"], {})}
        asyncio.run(load(url, body, 1, WARM_UP))
        alone, _ = asyncio.run(load(url, body, 1, REQUESTS_ALONE))
        loaded, wall = asyncio.run(load(url, body, CLIENTS, REQUESTS_PER_CLIENT))
    return {"kind": described["kind"], "params": described["params"], "alone_p50": np.percentile(alone, 50),
            "loaded_p50": np.percentile(loaded, 50), "loaded_p99": np.percentile(loaded, 99),
            "requests_per_second": len(loaded) / wall, "requests": len(loaded)}


def milliseconds(seconds: float) -> str:
    value = 1000 * seconds
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown(command: str, rows: list[dict], minutes: float, load_before: float) -> str:
    from benchmarks.run import machine_description

    cores = os.cpu_count()
    shared = (f"The machine's {cores} cores were shared with other work (load average {load_before:.1f} before "
              f"this command started), so the times are longer than on a quiet machine; the clients ran on the same "
              f"cores as the server." if load_before >= 0.5 else
              f"The machine was quiet before the command (load average {load_before:.1f}); the clients ran on the "
              f"same {cores} cores as the server.")
    lines = [
        "# Serving latency: POST /predict per task", "",
        f"Written by `{command}` on {datetime.date.today().isoformat()}, {machine_description()}; the whole command "
        f"took {minutes:.1f} minutes. {shared}", "",
        f"Each row: the folder's default network (trained with --quick: same network, less data), served by "
        f"`python -m serve RUN_DIR` in its own process, sent its GET /model example body (text: 50 characters). "
        f"alone: 1 client, {REQUESTS_ALONE} requests one after another. loaded: {CLIENTS} clients at once, "
        f"{REQUESTS_PER_CLIENT} requests each one after another ({CLIENTS * REQUESTS_PER_CLIENT} in all); the "
        f"server lets one request at a time reach the model, so a loaded request mostly waits for those ahead of "
        f"it. Latency from sending a request to reading its whole answer, at the client. See the docstring of "
        f"benchmarks/serve.py.", "",
        "| run | kind | params | alone p50 ms | loaded p50 ms | loaded p99 ms | loaded requests/s |",
        "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['run']} | {row['kind']} | {row['params']:,} | {milliseconds(row['alone_p50'])} | "
                     f"{milliseconds(row['loaded_p50'])} | {milliseconds(row['loaded_p99'])} | "
                     f"{row['requests_per_second']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> list[dict]:
    folders = sorted({module.split(".")[0] for _, module, _ in ROWS})
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", metavar="FOLDER",
                        help=f"only the rows of these folders ({', '.join(folders)}; default: all)")
    arguments = parser.parse_args(argv)
    unknown = [folder for folder in arguments.folders if folder not in folders]
    if unknown:  # (argparse's choices refuse an empty list of positional arguments)
        parser.error(f"unknown folder {unknown[0]!r}; choose from {', '.join(folders)}")
    load_before, start = os.getloadavg()[0], time.perf_counter()
    quiet_tensorflow(verbose=False)
    chosen = [row for row in ROWS if not arguments.folders or row[1].split(".")[0] in arguments.folders]
    rows = []
    with tempfile.TemporaryDirectory(prefix="serve-benchmark-") as work:
        for run, module, flags in chosen:
            try:
                run_dir = train_quick(module, flags, work)
                logging.getLogger("httpx2").setLevel(logging.WARNING)  # not a line per request (train set INFO)
                measured = measure(run_dir, Path(work))
            except Exception as error:  # one line, not a traceback, for a row that could not be measured
                fail(f"{run}: {type(error).__name__}: {error}", prog=PROG)
            rows.append({"run": run, **measured})
            print(f"{run}: alone p50 {milliseconds(measured['alone_p50'])} ms, loaded p50 "
                  f"{milliseconds(measured['loaded_p50'])} ms, p99 {milliseconds(measured['loaded_p99'])} ms",
                  flush=True)
    command = "python -m benchmarks.serve" + "".join(f" {folder}" for folder in arguments.folders)
    output = REPO_ROOT / ("benchmarks" if not arguments.folders else "runs/benchmarks") / "serve.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown(command, rows, (time.perf_counter() - start) / 60, load_before))
    print(f"table: {output}")
    return rows


if __name__ == "__main__":
    main()
