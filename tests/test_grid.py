"""Scenarios through a Selenium Grid 4 relay in front of the project's Appium.

One Appium and one Grid (standalone, relaying to that Appium) serve the module.
A run aimed at the Grid's URL must play exactly as one aimed at Appium: the
harnessfake phones and the real Chromium both open their sessions on the Grid,
which hands them to Appium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.apps import load_apps
from harness.drivers.appium import AppiumPhone
from harness.drivers.appium_server import AppiumServer, NodeMissing
from harness.drivers.config import AppiumSetup, phone_capabilities
from harness.drivers.errors import AppiumError
from harness.drivers.grid import CHROMIUM, HARNESSFAKE, GridServer, JavaMissing
from harness.drivers.session import Session
from harness.errors import HarnessError
from harness.profiles import load_profiles
from harness.world import World
from tests.conftest import ROOT

PROFILES = load_profiles(ROOT / "device-profiles")
APP = load_apps(ROOT / "fixtures" / "apps")["reference"]
needs_java = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="no java on the PATH, which the Selenium Grid jar needs "
    "(apt-get install -y openjdk-17-jre-headless)",
)


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    """Start the project's Appium for the module's tests."""
    log = tmp_path_factory.mktemp("appium") / "appium.log"
    with AppiumServer(log=log) as server:
        yield server


@pytest.fixture(scope="module")
def grid(
    appium: AppiumServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GridServer]:
    """Start a Grid 4 standalone relay to the module's Appium."""
    log = tmp_path_factory.mktemp("grid") / "grid.log"
    with GridServer(appium.url, log=log) as server:
        yield server


def busy_sessions(grid: GridServer) -> list[str]:
    """Return the ids of the sessions the Grid's slots hold now."""
    status = httpx.get(f"{grid.url}/status", timeout=5.0).json()["value"]
    slots = [slot for node in status["nodes"] for slot in node["slots"]]
    return [slot["session"]["sessionId"] for slot in slots if slot["session"]]


def relayed(grid: GridServer, automation: str) -> int:
    """Return how many sessions of ``automation`` the Grid has created so far."""
    assert grid.log is not None
    lines = grid.log.read_text().splitlines()
    created = [line for line in lines if "Session created by the Node" in line]
    return sum(f"appium:automationName={automation}" in line for line in created)


# -- the relay's configuration ----------------------------------------------------


def test_config_relays_each_stereotype_to_the_appium_url() -> None:
    server = GridServer("http://127.0.0.1:4723/", port=4444)

    config = tomllib.loads(server.config())

    assert config["server"] == {"host": "127.0.0.1", "port": 4444}
    assert config["relay"]["url"] == "http://127.0.0.1:4723"
    assert config["relay"]["configs"] == [
        "4",
        '{"platformName": "Fake", "appium:automationName": "HarnessFake"}',
        "4",
        '{"platformName": "linux", "browserName": "chrome", '
        '"appium:automationName": "Chromium"}',
    ]
    assert config["node"]["max-sessions"] == 8
    assert config["distributor"]["reject-unsupported-caps"] is True


def test_stereotypes_match_what_the_harness_asks_for() -> None:
    from harness.drivers.chromium_tab import capabilities
    from harness.drivers.config import fake_capabilities

    fake = fake_capabilities("http://127.0.0.1:9/_harness", phone_id="phone-1")
    chromium = capabilities(Path("/tmp/profile"), chromedriver_port=9)

    assert HARNESSFAKE.items() <= fake.items()
    assert CHROMIUM.items() <= chromium.items()


def test_missing_java_names_the_package_to_install(tmp_path: Path) -> None:
    server = GridServer("http://127.0.0.1:4723", java="no-such-java-here")

    with pytest.raises(JavaMissing) as caught:
        server.command(tmp_path / "relay.toml")

    assert str(caught.value).startswith("'no-such-java-here' is not on the PATH")
    assert "apt-get install -y openjdk-17-jre-headless" in str(caught.value)


@needs_java
def test_missing_jar_says_to_run_npm_ci(tmp_path: Path) -> None:
    server = GridServer("http://127.0.0.1:4723", home=tmp_path)

    with pytest.raises(NodeMissing) as caught:
        server.start()

    assert str(caught.value).startswith(
        f"the Selenium Grid jar is not installed in {tmp_path}: run `npm ci` there"
    )


@needs_java
def test_grid_that_cannot_bind_its_port_says_it_exited(tmp_path: Path) -> None:
    log = tmp_path / "grid.log"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        server = GridServer("http://127.0.0.1:9", port=taken.getsockname()[1], log=log)
        with pytest.raises(HarnessError) as caught:
            server.start()

    assert str(caught.value) == (
        f"Selenium Grid exited with code 1 before it was ready on {server.url}; "
        f"see {log} for why."
    )
    assert "BindException" in log.read_text()


# -- sessions through the Grid ----------------------------------------------------


@needs_java
def test_harnessfake_phone_session_opens_through_the_grid(grid: GridServer) -> None:
    setup = AppiumSetup(grid.url, device="harnessfake")
    with World(PROFILES["android-14-pixel"], APP, root=ROOT, appium=setup) as world:
        phone = world.device(world.shopper())
        assert isinstance(phone, AppiumPhone)
        phone.install(world.app)
        phone.launch()
        session_id = phone.session.driver.session_id

        assert busy_sessions(grid) == [session_id]
        assert phone.session.driver.capabilities["harness:phoneId"] == "phone-1"
        assert phone.session.mobile("queryAppState") == 4  # in the foreground

    assert busy_sessions(grid) == []  # the World's quit reached the Grid


@needs_java
def test_grid_refuses_a_device_no_stereotype_offers_at_once(
    grid: GridServer,
) -> None:
    caps = phone_capabilities(PROFILES["android-14-pixel"], APP)

    with pytest.raises(AppiumError) as caught:
        Session.open("shopper's android-14-pixel", grid.url, caps)

    assert str(caught.value).startswith(
        "shopper's android-14-pixel: Appium refused a new UiAutomator2 session: "
        "Could not start a new session. No nodes support the capabilities"
    )
    assert busy_sessions(grid) == []


# -- harness run, aimed at the Grid -----------------------------------------------


@needs_java
def test_harness_run_through_the_grid_passes_unchanged(
    grid: GridServer, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    chosen = "anonymous_web_cart_reaches_the_app or push_is_shown_and_counted"
    argv = [
        *("run", "--appium", grid.url, "--appium-device", "harnessfake"),
        *("--profiles", "android-14-pixel", "-k", chosen),
        *("--junit", str(tmp_path / "junit.xml"), "-p", "no:cacheprovider"),
    ]
    code = "import sys; from harness.cli import main; sys.exit(main())"
    phones, browsers = relayed(grid, "HarnessFake"), relayed(grid, "Chromium")
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    assert f"harness: Appium at {grid.url}\n" in out
    assert "2 scenarios x 1 profile: 2 pass, 0 FAIL, 0 skip" in out
    assert relayed(grid, "HarnessFake") - phones == 2  # one phone per scenario
    assert relayed(grid, "Chromium") - browsers == 1  # the cart's web leg
