"""Serve a trained run folder: a web page to try the model and a JSON API, on this machine only unless you ask.

    python -m serve runs/ann/digits-20261122-184501             # then open http://127.0.0.1:8000
    python -m serve runs/lstm/airline-20261122-190210 --port 8080
    python -m serve RUN_DIR --host 0.0.0.0                      # reachable from other machines (see serve/README.md)

RUN_DIR is a folder a train script wrote (config.json, metrics.json, model.keras, inputs.json). The model is loaded
once, in Keras' safe mode; what else it needs (class names, a scaler, a vocabulary, examples) is in inputs.json: the
training data is not read. A folder that is missing or damaged is one line on stderr and exit status 2. Ctrl-C stops
the server.

The server bounds what a client can take (serve/limits.py): time limits on a request's headers and body, a cap on
open connections, a queue for the model that answers 503 with Retry-After when too much work is waiting, and a Host
check against DNS rebinding (it answers to 127.0.0.1, localhost, ::1, the --host address and each --allowed-host).
"""

import argparse
import ipaddress
import socket
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python serve/__main__.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.flags import OneLineParser, exit_on_bad_input, require
from common.console import quiet_tensorflow
from serve.limits import Limits, allowed_hosts
from serve.run_folder import check_run_folder

PROG = "serve"  # errors start with it: `serve: error: ...`


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a run folder written by a train script")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0: every network)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up messages")
    defaults = Limits()
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=defaults.idle_timeout,
        metavar="S",
        help="seconds a connection may take to send a request's headers, from its start or its "
        f"previous answer; then it is closed (default: {defaults.idle_timeout:g})",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=defaults.body_timeout,
        metavar="S",
        help=f"seconds a request's body may take to arrive; then 408 (default: {defaults.body_timeout:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=defaults.max_connections,
        metavar="N",
        help=f"connections open at once; the next gets 503 (default: {defaults.max_connections})",
    )
    parser.add_argument(
        "--max-queue",
        type=int,
        default=defaults.max_queue,
        metavar="N",
        help=f"prediction requests admitted at once; the next gets 503 (default: {defaults.max_queue})",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=defaults.max_wait,
        metavar="S",
        help="seconds of model work a prediction request may find ahead of it; with more it gets "
        f"503 and Retry-After (default: {defaults.max_wait:g})",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name the Host header may give besides 127.0.0.1, localhost, ::1 and --host (this "
        "machine's name, a proxy's); repeat it for several",
    )
    return parser.parse_args(argv)


def make_limits(arguments: argparse.Namespace) -> Limits:
    """The server's Limits from the flags; ValueError in one sentence for a value out of range."""
    return Limits(
        idle_timeout=arguments.idle_timeout,
        body_timeout=arguments.body_timeout,
        max_connections=arguments.max_connections,
        max_queue=arguments.max_queue,
        max_wait=arguments.max_wait,
        **allowed_hosts(arguments.host, arguments.allowed_host),
    )


def run_server(app, arguments: argparse.Namespace, limits: Limits) -> None:
    """Serve app until Ctrl-C (uvicorn, with serve/limits.py's protocol)."""
    from serve.limits import make_server

    server = make_server(app, arguments.host, arguments.port, limits)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn raises the Ctrl-C it caught again once it has shut down: a clean exit
        pass
    if not server.started:  # as uvicorn.run: the port was taken between the check and now
        raise SystemExit(3)


def check_address(host: str, port: int) -> None:
    """ValueError unless the port is free on host: said at once, in one line, rather than by uvicorn after loading."""
    require(1 <= port <= 65535, f"--port must be between 1 and 65535 (got {port})")
    try:
        with socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET):
            pass
    except OSError as error:
        raise ValueError(f"cannot listen on {host}:{port} ({error.strerror or error})") from None


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost: addresses only this machine can reach."""
    return ipaddress.ip_address(host if ":" in host else socket.gethostbyname(host)).is_loopback


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    with exit_on_bad_input(PROG):
        limits = make_limits(arguments)
        check_run_folder(arguments.run_dir)
        check_address(arguments.host, arguments.port)

    quiet_tensorflow(arguments.verbose)  # TensorFlow loads only now, after the cheap checks
    from serve.app import create_app
    from serve.loading import load_task

    with exit_on_bad_input(PROG):
        task = load_task(arguments.run_dir)
    url_host = f"[{arguments.host}]" if ":" in arguments.host else arguments.host
    print(f"serving {task.run.name} ({task.kind}) at http://{url_host}:{arguments.port}/ (Ctrl-C stops)", flush=True)
    if not is_loopback(arguments.host):
        print(f"note: --host {arguments.host} lets other machines reach this server; the API has no login", flush=True)
    run_server(create_app(task, limits), arguments, limits)


if __name__ == "__main__":
    main()
