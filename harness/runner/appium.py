"""The run's Appium, for the pytest plugin: where it is, and screens of failures.

``--harness-appium local`` starts the project's own Appium once per run: the
controller starts it and pytest-xdist workers, spawned afterwards, find its URL
in the environment they inherit. The controller checks the options first
(:mod:`.preflight`), naming them as the user typed them: ``--appium`` under
``harness run``, ``--harness-appium`` under plain pytest.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..drivers.appium_server import AppiumServer
from ..drivers.config import LOCAL, AppiumSetup
from ..files import shown
from .preflight import (
    CLI,
    PYTEST,
    Flags,
    RunGuard,
    check_options,
    check_reachable,
    check_workers,
)

if TYPE_CHECKING:
    from ..world import World

__all__ = ["appium_setup", "flags_of", "save_screenshots", "stop_local"]

logger = logging.getLogger(__name__)

LOCAL_URL = "HARNESS_APPIUM_LOCAL_URL"  # a local Appium's URL, for xdist workers


def flags_of(config: pytest.Config) -> Flags:
    """Return how the user spelt the Appium options: harness run's or pytest's."""
    guarded = any(isinstance(p, RunGuard) for p in config.pluginmanager.get_plugins())
    return CLI if guarded else PYTEST


def appium_setup(
    config: pytest.Config,
) -> tuple[AppiumSetup | None, AppiumServer | None]:
    """Return the run's Appium setup and the local server started for it, if any.

    Raises RunRefused (options that cannot work, no Appium answering) or
    HarnessError (the local Appium failed to start).
    """
    flags = flags_of(config)
    serve_port = config.getoption("harness_appium_serve_port")
    choice = check_options(
        config.getoption("harness_appium"),
        config.getoption("harness_appium_device"),
        serve_port,
        flags,
    )
    url = choice.url
    if not url:
        return None, None
    controller = not hasattr(config, "workerinput")
    if controller:
        check_workers(choice, _workers(config), flags)
        if flags is PYTEST:  # harness run's guard asked already
            check_reachable(choice, flags)
    server = None
    if url == LOCAL:
        inherited = os.environ.get(LOCAL_URL)
        if inherited and not controller:
            url = inherited
        else:
            server = AppiumServer()
            # Named by port: two runs at once each keep their own log.
            log = config.rootpath / "reports" / f"appium-{server.port}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            server.log = log
            server.start()
            url = os.environ[LOCAL_URL] = server.url
    setup = AppiumSetup(
        url,
        device=choice.device,
        screenshots=config.rootpath / "reports" / "screenshots",
        serve_port=serve_port or 0,
    )
    return setup, server


def _workers(config: pytest.Config) -> int:
    """Return how many xdist workers the run has (0 without xdist)."""
    if config.getoption("dist", "no") == "no":
        return 0
    return len(config.getoption("tx", None) or [])


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
