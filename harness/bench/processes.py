"""Servers the benchmarks start: one child process each, on loopback.

:class:`Child` starts a command whose log goes to a file, waits until its URL
answers, and stops it by its own process id. Waiting on another process is
the one place the benchmarks poll with real time.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from .errors import BenchError

__all__ = ["Child", "answers_get", "python_command"]

logger = logging.getLogger(__name__)

START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
POLL = 0.05


def python_command(*args: str) -> list[str]:
    """Return a command that runs this Python (the project's venv) with ``args``."""
    return [sys.executable, *args]


class Child:
    """A server in a child process, stopped when the ``with`` block ends.

    ``ready`` is polled until it returns True (or the process exits, or
    :data:`START_TIMEOUT` passes); its log, written to ``log``, is quoted in
    the error that says why it never came up.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        log: Path,
        ready: Callable[[], bool],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name, self.command, self.log = name, list(command), log
        self.ready, self.cwd = ready, cwd
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Child:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """Return the child's process id."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start the process and wait until it answers."""
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd,
                env=self.env,
            )
        logger.info("%s started (pid %d)", self.name, self.process.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._answers():
                return
            time.sleep(POLL)
        status = self.process.poll()
        self.stop()
        why = (
            f"exited with status {status}"
            if status is not None
            else f"did not answer within {START_TIMEOUT:.0f} s"
        )
        raise BenchError(
            f"{self.name} {why}; its log ({self.log}) ends: {self.tail()}. "
            f"Run `{' '.join(self.command)}` by hand to see why."
        )

    def _answers(self) -> bool:
        try:
            return self.ready()
        except (httpx.HTTPError, OSError, ValueError):
            return False

    def stop(self) -> None:
        """Stop the process: SIGTERM, then SIGKILL if it lingers."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM; killing pid %d", self.name, self.pid)
            process.kill()
            process.wait(STOP_TIMEOUT)

    def tail(self, lines: int = 5) -> str:
        """Return the last lines of the child's log, on one line."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        kept = [line.strip() for line in text.splitlines() if line.strip()]
        return " | ".join(kept[-lines:]) or "(empty)"


def answers_get(url: str, *, status: int = 200) -> Callable[[], bool]:
    """Return a readiness check: a GET of ``url`` answers ``status``."""

    def check() -> bool:
        return httpx.get(url, timeout=1.0, trust_env=False).status_code == status

    return check
