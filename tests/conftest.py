"""Fixtures shared by the suite: the shipped profiles, apps and a world maker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from harness.apps import AppProfile, load_apps
from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.profiles import DeviceProfile, load_profiles
from harness.workspace import Workspace
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]

# Skip reasons of the real-client tests (Appium, Chromium, the Grid) when a
# machine lacks their pieces. Locally that is a skip; under CI (CI set), whose
# set-up installs them, it is a failure, so a green CI run never hides them.
REAL_CLIENT_SKIPS = ("npm ci", "chromium", "java", "Node is not installed")

MakeWorld = Callable[..., World]


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root, where device-profiles/, fixtures/ and scenarios/ live."""
    return ROOT


@pytest.fixture(scope="session")
def profiles(root: Path) -> dict[str, DeviceProfile]:
    """The shipped device profiles, by name."""
    return load_profiles(root / "device-profiles")


@pytest.fixture(scope="session")
def apps(root: Path) -> dict[str, AppProfile]:
    """The shipped app profiles, by name."""
    return load_apps(root / "fixtures" / "apps")


@pytest.fixture
def make_world(
    root: Path, profiles: dict[str, DeviceProfile], apps: dict[str, AppProfile]
) -> Iterator[MakeWorld]:
    """Build a World for a profile and an app; its emulator closes after the test.

    Each may be given by name (a shipped file) or as a loaded profile, so a test
    can pass a variant made with ``model_copy(update=...)``.

    The world is not entered, so the process's wall clock stays real: a world
    entered here would stay frozen until teardown and pytest would time the test
    by the frozen clock. The world's own clock drives everything the harness does.
    Tests that need the frozen wall clock enter ``with World(...)`` themselves.
    """
    with ExitStack() as stack:

        def make(
            profile: str | DeviceProfile,
            app: str | AppProfile = "reference",
            seed: int = 0,
        ) -> World:
            device = profiles[profile] if isinstance(profile, str) else profile
            shop = apps[app] if isinstance(app, str) else app
            world = World(device, shop, root=root, seed=seed)
            stack.callback(world.emulator.close)
            return world

        yield make


@pytest.fixture
def clock() -> Clock:
    """A clock at the harness's default start, not entered."""
    return Clock()


@pytest.fixture
def workspace(clock: Clock) -> Workspace:
    """An empty workspace on ``clock``, with no campaigns."""
    return Workspace("test", clock, Ids(0).child("workspace"), Journal())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None]:
    """Under CI, fail a real-client test that skipped for a missing piece."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not (os.environ.get("CI") and report.skipped):
        return
    reason = str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else "")
    if any(key.lower() in reason.lower() for key in REAL_CLIENT_SKIPS):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} skipped under CI ({reason}); CI's set-up installs "
            "Chromium, Java and node/ (npm ci), so a missing piece is a failure"
        )
