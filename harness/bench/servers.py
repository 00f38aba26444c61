"""The servers the benchmarks measure, each started on 127.0.0.1 and a free port.

``harness serve`` itself, the bare uvicorn baseline, moto's server mode and the
npm package web-push-testing each run in a child process of their own, so the
load generator and the server never share an interpreter.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..drivers.appium_server import free_port, node_home
from .errors import BenchError
from .processes import Child, answers_get, python_command

__all__ = [
    "Served",
    "bare_uvicorn",
    "harness_serve",
    "moto_server",
    "web_push_testing",
    "web_push_testing_dir",
]

LOOPBACK = "127.0.0.1"
ENV_TIMEOUT = 30.0

# web-push-testing's own start script listens on every address and hands out
# endpoints on "localhost"; this starts the same server and model on loopback.
_WPT_LAUNCHER = """
const path = require('path');
const http = require('http');
const [pkg, port] = process.argv.slice(1);
const Server = require(path.join(pkg, 'src', 'server.js'));
const {PushApiModel} = require(path.join(pkg, 'src', 'PushApiModel.js'));
const model = new PushApiModel();
const server = new Server(model, Number(port));
model.notifyUrl = 'http://127.0.0.1:' + port + '/notify/';
server._app.listen = (p, done) =>
  http.createServer(server._app).listen(p, '127.0.0.1', done);
server.startServer();
"""


@dataclass(frozen=True)
class Served:
    """A started server: its plain HTTP base URL and what it printed for clients."""

    url: str
    port: int
    env: dict[str, str]


@contextmanager
def harness_serve(root: Path, folder: Path) -> Iterator[Served]:
    """Run ``harness serve`` for the project at ``root``, state in memory.

    ``folder`` holds its CA (``.harness/``), log and env file; the yielded
    ``env`` is what ``--env-file`` wrote (keys, URLs).
    """
    env_file = folder / "harness.env"
    env_file.unlink(missing_ok=True)
    command = python_command(
        "-c",
        "import sys; from harness.cli import main; sys.exit(main())",
        "--root",
        str(root),
        "serve",
        "--port",
        "0",
        "--http-port",
        "0",
        "--env-file",
        str(env_file),
    )
    log = folder / "harness-serve.log"
    child = Child("harness serve", command, log, env_file.exists, cwd=folder)
    with child:
        env = _read_env(env_file)
        url = env["HARNESS_HTTP_URL"]
        yield Served(url, httpx.URL(url).port or 80, env)


def _read_env(path: Path) -> dict[str, str]:
    deadline = time.monotonic() + ENV_TIMEOUT
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8")
        if text.endswith("\n"):
            break
        time.sleep(0.05)
    values: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export":
            key, _, value = words[1].partition("=")
            values[key] = value
    if "HARNESS_HTTP_URL" not in values:
        raise BenchError(f"{path} names no HARNESS_HTTP_URL; harness serve changed")
    return values


@contextmanager
def bare_uvicorn(folder: Path) -> Iterator[Served]:
    """Run the baseline: one Starlette GET on uvicorn (httptools, uvloop)."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = python_command("-m", "harness.bench.bare", str(port))
    with Child("uvicorn baseline", command, folder / "uvicorn.log", answers_get(url)):
        yield Served(url, port, {})


@contextmanager
def moto_server(folder: Path) -> Iterator[Served]:
    """Run ``moto_server`` (moto's server mode) on loopback."""
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = python_command("-m", "moto.server", "-H", LOOPBACK, "-p", str(port))
    ready = answers_get(f"{url}/moto-api/data.json")
    with Child("moto server", command, folder / "moto.log", ready):
        yield Served(url, port, {})


def web_push_testing_dir() -> Path:
    """Return the installed web-push-testing package; raise BenchError if none."""
    package = node_home() / "node_modules" / "web-push-testing"
    if not (package / "package.json").is_file():
        raise BenchError(
            f"web-push-testing is not installed under {package.parent}; run "
            "`npm ci` in node/ to install the project's Node pieces."
        )
    return package


def web_push_testing_version() -> str:
    """Return the installed web-push-testing's version, or ``not installed``."""
    try:
        package = web_push_testing_dir() / "package.json"
    except BenchError:
        return "not installed"
    return str(json.loads(package.read_text(encoding="utf-8"))["version"])


@contextmanager
def web_push_testing(folder: Path) -> Iterator[Served]:
    """Run the npm package web-push-testing's server on loopback."""
    package = web_push_testing_dir()
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    command = ["node", "-e", _WPT_LAUNCHER, str(package), str(port)]

    def ready() -> bool:
        return httpx.post(f"{url}/status", timeout=1.0).status_code == 200

    with Child("web-push-testing", command, folder / "web-push-testing.log", ready):
        yield Served(url, port, {})
