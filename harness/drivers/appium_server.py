"""A local Appium 3 server: the project's own install, started on loopback.

The project keeps Appium, its drivers (the fake, Chromium and harnessfake
drivers) and the browser SDK in ``node/`` with a lockfile; ``npm ci`` there
installs them, and that folder is Appium's home (``APPIUM_HOME``). Set explicitly,
because Appium otherwise guesses its home from the working directory's
``package.json`` and then finds no drivers.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from pathlib import Path

from ..errors import HarnessError
from .child import end, wait_ready

__all__ = ["AppiumServer", "NodeMissing", "find_appium", "free_port", "node_home"]

logger = logging.getLogger(__name__)

DRIVERS = ("harnessfake", "chromium")
START_TIMEOUT = 30.0
LOOPBACK = "127.0.0.1"


class NodeMissing(HarnessError):
    """Raised when the project's Node pieces (Appium, drivers) are not installed."""


def node_home() -> Path:
    """Return the folder holding the Node pieces: ``$HARNESS_NODE`` or ``node/``."""
    given = os.environ.get("HARNESS_NODE")
    if given:
        return Path(given)
    return Path(__file__).resolve().parents[2] / "node"


def find_appium(home: Path | None = None) -> Path:
    """Return the Appium command in ``home`` (default: :func:`node_home`).

    Raises NodeMissing, saying how to install it, when it is not there.
    """
    home = home or node_home()
    appium = home / "node_modules" / ".bin" / "appium"
    if not appium.exists():
        where = (
            "run `npm ci` there (it installs Appium 3 and the drivers from the "
            "lockfile)"
            if (home / "package-lock.json").is_file()
            else "it holds no package-lock.json: point HARNESS_NODE at the "
            "project's node/ folder, or unset it"
        )
        raise NodeMissing(
            f"Appium is not installed in {home}: {where}; HARNESS_NODE names a "
            "folder where `npm ci` ran."
        )
    return appium


def free_port() -> int:
    """Return a TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class AppiumServer:
    """Start the project's Appium on 127.0.0.1 and stop it by its process.

    Usable as a context manager; :attr:`url` is the server's base URL. The log
    goes to ``log`` (a file), which a failing test can print.
    """

    def __init__(
        self,
        *,
        home: Path | None = None,
        port: int = 0,
        log: Path | None = None,
        drivers: tuple[str, ...] = DRIVERS,
    ) -> None:
        self.home = home or node_home()
        self.port = port or free_port()
        self.log = log
        self.drivers = drivers
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the server's base URL, such as ``http://127.0.0.1:4723``."""
        return f"http://{LOOPBACK}:{self.port}"

    def executable(self) -> Path:
        """Return the Appium command of the project's install, or say how to get it."""
        return find_appium(self.home)

    def start(self, timeout: float = START_TIMEOUT) -> AppiumServer:
        """Start the server and return once its /status says ready."""
        command = [
            str(self.executable()),
            "server",
            "--address",
            LOOPBACK,
            "--port",
            str(self.port),
            "--use-drivers",
            ",".join(self.drivers),
            "--log-no-colors",
            "--log-timestamp",
        ]
        if self.log is not None:
            command += ["--log", str(self.log)]
        env = os.environ | {"APPIUM_HOME": str(self.home)}
        logger.info("starting Appium on %s (home %s)", self.url, self.home)
        self._process = subprocess.Popen(
            command,
            cwd=self.home,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait(timeout)
        return self

    def _wait(self, timeout: float) -> None:
        assert self._process is not None
        try:
            code = wait_ready(self.url, self._process, timeout)
        except TimeoutError:
            self.stop()
            raise HarnessError(
                f"Appium did not answer {self.url}/status within {timeout:.0f} s."
            ) from None
        if code is not None:
            self._process = None
            raise HarnessError(
                f"Appium exited with code {code} before it was ready on "
                f"{self.url}; run it by hand with APPIUM_HOME={self.home} to "
                "see why."
            )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); safe to call twice."""
        process, self._process = self._process, None
        end(process)

    def __enter__(self) -> AppiumServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
