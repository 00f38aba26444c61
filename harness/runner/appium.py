"""The run's Appium, for the pytest plugin: where it is, and screens of failures.

``--harness-appium local`` starts the project's own Appium once per run: the
controller starts it and pytest-xdist workers, spawned afterwards, find its URL
in the environment they inherit.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..drivers.appium_server import AppiumServer
from ..drivers.config import LOCAL, AppiumSetup, resolve_url
from ..files import shown

if TYPE_CHECKING:
    from ..world import World

__all__ = ["appium_setup", "save_screenshots", "stop_local"]

logger = logging.getLogger(__name__)

LOCAL_URL = "HARNESS_APPIUM_LOCAL_URL"  # a local Appium's URL, for xdist workers


def appium_setup(
    config: pytest.Config,
) -> tuple[AppiumSetup | None, AppiumServer | None]:
    """Return the run's Appium setup and the local server started for it, if any."""
    url = resolve_url(config.getoption("harness_appium"))
    if not url:
        return None, None
    server = None
    if url == LOCAL:
        inherited = os.environ.get(LOCAL_URL)
        if inherited and hasattr(config, "workerinput"):
            url = inherited
        else:
            log = config.rootpath / "reports" / "appium.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            server = AppiumServer(log=log).start()
            url = os.environ[LOCAL_URL] = server.url
    setup = AppiumSetup(
        url,
        device=config.getoption("harness_appium_device"),
        screenshots=config.rootpath / "reports" / "screenshots",
        serve_port=config.getoption("harness_appium_serve_port"),
    )
    return setup, server


def stop_local(server: AppiumServer | None) -> None:
    """Stop a local Appium this run started, and forget its URL."""
    if server is not None:
        server.stop()
        os.environ.pop(LOCAL_URL, None)


def save_screenshots(setup: AppiumSetup | None, world: World, nodeid: str) -> str:
    """Save a failed cell's Appium screens; return the files, one a line."""
    if setup is None or setup.screenshots is None:
        return ""
    folder = setup.screenshots / _safe(nodeid)
    try:
        saved = world.screenshots(folder)
    except Exception:  # the failure matters more than its pictures
        logger.debug("no screenshots of %s", nodeid, exc_info=True)
        return ""
    return "\n".join(shown(Path(path)) for path in saved)


def _safe(nodeid: str) -> str:
    """Return a node id as a folder name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in nodeid)
