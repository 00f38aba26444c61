"""A WebDriver server in a child process: waiting for it, and ending it.

Appium and the Selenium Grid both say they are up by ``value.ready`` in
``GET /status``. Waiting on another process is the one place the drivers
poll with real time; the harness's own clock never sleeps.
"""

from __future__ import annotations

import subprocess
import time

import httpx

__all__ = ["end", "wait_ready"]

POLL = 0.05
STOP_GRACE = 5.0


def wait_ready(
    url: str, process: subprocess.Popen[bytes], timeout: float
) -> int | None:
    """Wait until ``url``/status says ready; return the exit code if it died.

    Raises TimeoutError if neither happens within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return code
        try:
            reply = httpx.get(f"{url}/status", timeout=1.0)
            if reply.json().get("value", {}).get("ready"):
                return None
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(POLL)  # waiting on another process, not on harness time
    raise TimeoutError(url)


def end(process: subprocess.Popen[bytes] | None) -> None:
    """Stop ``process``: SIGTERM, then SIGKILL after a grace period."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
