"""Phones through real Appium: capabilities, errors, and scenarios unchanged.

The harnessfake tests play scenarios of scenarios/ through the project's own
Appium (one per module) on emulated phones of each World's served emulator.
Real UiAutomator2 and XCUITest sessions cannot run here (no device, no
driver installed), so the real path is checked up to the session request.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.apps import load_apps
from harness.drivers.appium import AppiumPhone
from harness.drivers.appium_server import AppiumServer, node_home
from harness.drivers.config import (
    AppiumSetup,
    fake_capabilities,
    options_for,
    phone_capabilities,
    resolve_url,
)
from harness.drivers.errors import AppiumError, AppiumUnreachable
from harness.drivers.session import Session
from harness.errors import ConfigError, ExpectationFailed, ScenarioError, Unsupported
from harness.profiles import load_profile, load_profiles
from harness.scripts import Scenario, collect
from harness.world import World
from tests.conftest import ROOT

PROFILES = load_profiles(ROOT / "device-profiles")
APP = load_apps(ROOT / "fixtures" / "apps")["reference"]
NODE = (node_home() / "node_modules" / ".bin" / "appium").exists()
needs_node = pytest.mark.skipif(not NODE, reason="npm ci in node/ has not run")


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    """Start the project's Appium for the module's tests."""
    log = tmp_path_factory.mktemp("appium") / "appium.log"
    with AppiumServer(log=log) as server:
        yield server


# -- where Appium is --------------------------------------------------------------


def test_appium_url_comes_from_the_flag_then_the_environment() -> None:
    env = {"HARNESS_APPIUM_URL": "http://farm.test:4723/"}

    assert resolve_url("http://127.0.0.1:4723", env) == "http://127.0.0.1:4723"
    assert resolve_url(None, env) == "http://farm.test:4723"
    assert resolve_url(None, {}) == ""
    assert resolve_url("local", env) == "local"


def test_appium_url_that_is_not_one_names_its_source() -> None:
    with pytest.raises(ScenarioError) as caught:
        resolve_url(None, {"HARNESS_APPIUM_URL": "farm:4723"})

    assert str(caught.value).startswith(
        "HARNESS_APPIUM_URL 'farm:4723' is not an Appium URL (it does not start "
        "with http:// or https://); give http(s)://host:port"
    )


def test_appium_url_may_name_an_ipv6_host_or_carry_credentials() -> None:
    assert resolve_url("http://[::1]:4723", {}) == "http://[::1]:4723"
    assert resolve_url("https://u:key@hub.test/wd/hub/", {}) == (
        "https://u:key@hub.test/wd/hub"
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:99999", "'99999' is not a port from 1 to 65535"),
        ("http://127.0.0.1:0", "0 is not a port a server listens on"),
        ("http://[::1:4723", "Invalid IPv6 URL"),
        ("http://:4723", "it names no host"),
    ],
)
def test_appium_url_with_no_usable_host_or_port_is_refused(url: str, why: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        resolve_url(url, {}, flag="--harness-appium")

    assert str(caught.value).startswith(
        f"--harness-appium {url!r} is not an Appium URL ({why}); "
    )


# -- capabilities -----------------------------------------------------------------


def test_android_capabilities_take_the_profile_and_the_apps_package() -> None:
    caps = phone_capabilities(PROFILES["android-14-pixel"], APP)

    assert caps["platformName"] == "Android"
    assert caps["appium:automationName"] == "UiAutomator2"
    assert caps["appium:platformVersion"] == "14"
    assert caps["appium:appPackage"] == "com.example.shop"
    assert (caps["appium:autoLaunch"], caps["appium:noReset"]) == (False, True)


def test_ios_capabilities_name_the_bundle_and_build_xcuitest_options() -> None:
    caps = phone_capabilities(PROFILES["ios-17-iphone"], APP)
    options = options_for(caps).to_capabilities()

    assert caps["appium:bundleId"] == "com.example.shop"
    assert options["platformName"] == "iOS"
    assert options["appium:automationName"] == "XCUITest"
    assert options["appium:deviceName"] == "iPhone 15 Pro"


def test_appium_options_are_spread_out_under_the_harness_own_keys(
    tmp_path: Path,
) -> None:
    source = ROOT / "device-profiles" / "android-14-pixel.yaml"
    path = tmp_path / source.name
    path.write_text(source.read_text() + '  "appium:options": {udid: emulator-5556}\n')

    caps = phone_capabilities(load_profile(path), APP)

    assert "appium:options" not in caps
    assert caps["appium:udid"] == "emulator-5556"
    assert caps["appium:noReset"] is True


def test_harnessfake_capabilities_attach_to_a_rack_phone() -> None:
    caps = fake_capabilities("http://127.0.0.1:9/_harness", phone_id="phone-1")

    assert caps == {
        "platformName": "Fake",
        "appium:automationName": "HarnessFake",
        "harness:controlUrl": "http://127.0.0.1:9/_harness",
        "harness:phoneId": "phone-1",
    }


def test_a_browser_profile_has_no_phone_capabilities() -> None:
    with pytest.raises(ScenarioError, match="is a web browser"):
        phone_capabilities(PROFILES["desktop-chrome"], APP)


def profile_problems(tmp_path: Path, edit: dict[str, object]) -> list[str]:
    source = ROOT / "device-profiles" / "android-14-pixel.yaml"
    folder = tmp_path / "device-profiles"
    folder.mkdir()
    path = folder / source.name
    text = source.read_text()
    for key, value in edit.items():
        text += f'  "{key}": {value}\n'
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    return [p.message for p in caught.value.problems]


def test_profile_capability_without_prefix_is_refused(tmp_path: Path) -> None:
    [message] = profile_problems(tmp_path, {"udid": "emulator-5554"})

    assert message == (
        "'udid' is not a W3C capability, so it needs its vendor's prefix; "
        "write appium:udid."
    )


def test_profile_that_auto_grants_permissions_is_refused(tmp_path: Path) -> None:
    [message] = profile_problems(tmp_path, {"appium:autoGrantPermissions": "true"})

    assert "answers the notification prompt for every scenario" in message


def test_profile_capability_the_app_decides_is_refused(tmp_path: Path) -> None:
    [message] = profile_problems(tmp_path, {"appium:appPackage": "com.x"})

    assert message == (
        "'appium:appPackage' comes from the app profile's bundle_id at each "
        "session; remove it."
    )


def test_profile_automation_must_drive_its_platform(tmp_path: Path) -> None:
    source = ROOT / "device-profiles" / "android-14-pixel.yaml"
    path = tmp_path / source.name
    path.write_text(source.read_text().replace("UiAutomator2", "XCUITest"))

    with pytest.raises(ConfigError) as caught:
        load_profile(path)

    assert [str(p) for p in caught.value.problems] == [
        f"{path}: appium.appium:automationName: android phones are driven by "
        "UiAutomator2 or Espresso, not 'XCUITest'; set appium:automationName to "
        "UiAutomator2."
    ]


def test_profile_platform_version_must_match_the_os(tmp_path: Path) -> None:
    source = ROOT / "device-profiles" / "ios-17-iphone.yaml"
    path = tmp_path / source.name
    path.write_text(
        source.read_text().replace(
            '"17.5"\n  "appium:deviceName"', '"17.4"\n  "appium:deviceName"'
        )
    )

    with pytest.raises(ConfigError) as caught:
        load_profile(path)

    assert [p.path for p in caught.value.problems] == ["appium.appium:platformVersion"]


# -- real sessions: refused here, with the reason -----------------------------


@needs_node
def test_real_android_session_names_the_missing_driver(appium: AppiumServer) -> None:
    caps = phone_capabilities(PROFILES["android-14-pixel"], APP)

    with pytest.raises(AppiumError) as caught:
        Session.open("shopper's android-14-pixel", appium.url, caps)

    message = str(caught.value)
    assert message.startswith(
        "shopper's android-14-pixel: Appium refused a new UiAutomator2 session: "
        "Could not find a driver for automationName 'UiAutomator2'"
    )
    assert message.endswith("matches the profile's appium: capabilities")


def test_no_server_at_the_url_is_unreachable_not_a_hang() -> None:
    caps = fake_capabilities("http://127.0.0.1:9/_harness", phone_id="phone-1")

    with pytest.raises(AppiumUnreachable, match="no Appium server answers") as caught:
        Session.open("phone", "http://127.0.0.1:9", caps)

    assert str(caught.value).endswith("start one there, or run with --appium local")


def test_no_server_for_a_real_phone_does_not_suggest_local_appium() -> None:
    caps = phone_capabilities(PROFILES["android-14-pixel"], APP)

    with pytest.raises(AppiumUnreachable) as caught:
        Session.open("phone", "http://127.0.0.1:9", caps)

    assert str(caught.value).endswith("(MaxRetryError); start one there")


def test_setup_defaults_to_real_devices() -> None:
    assert AppiumSetup("http://127.0.0.1:4723").device == "real"


# -- scenarios through Appium on emulated phones (harnessfake) --------------------


def scenarios_of(file: str) -> dict[str, Scenario]:
    return {s.name: s for s in collect(ROOT / "scenarios" / file)}


CART = scenarios_of("cart_recovery.py")
OUTCOMES = scenarios_of("push_outcomes.py")


def play(
    appium: AppiumServer, scenario: Scenario, profile: str, tmp_path: Path
) -> World:
    """Play ``scenario`` on ``profile`` with its phones behind harnessfake."""
    setup = AppiumSetup(appium.url, device="harnessfake", screenshots=tmp_path)
    with World(PROFILES[profile], APP, root=ROOT, appium=setup) as world:
        scenario.func(world)
        assert world.appium is not None
        assert all(p.dialect == "fake" for p in world.appium.phones)
        return world


@needs_node
@pytest.mark.parametrize("profile", ["android-14-pixel", "ios-17-iphone"])
def test_seed_journey_passes_with_the_app_leg_through_appium(
    appium: AppiumServer, profile: str, tmp_path: Path
) -> None:
    world = play(appium, CART["anonymous_web_cart_reaches_the_app"], profile, tmp_path)

    [shopper] = world._shoppers.values()
    [browser, phone] = world._devices[shopper.role]
    assert isinstance(phone, AppiumPhone)
    assert type(browser).__name__ == "ChromiumBrowser"  # the real browser leg
    assert "appium" in world.timeline(shopper)


@needs_node
@pytest.mark.parametrize(
    "name",
    [
        "push_is_shown_and_counted",
        "notifications_turned_off_in_settings_drop_the_push",
        "uninstalled_app_never_sees_the_push",
    ],
)
def test_push_outcome_scenarios_pass_through_appium(
    appium: AppiumServer, name: str, tmp_path: Path
) -> None:
    play(appium, OUTCOMES[name], "android-14-pixel", tmp_path)


@needs_node
def test_a_failed_expectation_through_appium_still_fails(
    appium: AppiumServer, tmp_path: Path
) -> None:
    # Without the install referrer the web cart never reaches the app's person.
    def forgetful(world: World) -> None:
        shopper = world.shopper()
        phone = world.device(shopper)
        phone.install(world.app)
        phone.launch()
        phone.log_in(shopper)
        phone.background()
        world.advance(minutes=45)
        world.expect.push_shown(phone, shopper)

    setup = AppiumSetup(appium.url, device="harnessfake")
    with (
        World(PROFILES["android-14-pixel"], APP, root=ROOT, appium=setup) as world,
        pytest.raises(ExpectationFailed, match="should have shown a push"),
    ):
        forgetful(world)


@needs_node
def test_ios_clear_data_through_appium_is_unsupported_with_the_reason(
    appium: AppiumServer,
) -> None:
    setup = AppiumSetup(appium.url, device="harnessfake")
    with World(PROFILES["ios-17-iphone"], APP, root=ROOT, appium=setup) as world:
        phone = world.device(world.shopper())
        assert isinstance(phone, AppiumPhone)
        phone.install(world.app)
        with pytest.raises(Unsupported, match="no Clear data for an app"):
            phone.clear_data()
        # The driver's own refusal (the control API's 422) is Unsupported too.
        with pytest.raises(Unsupported, match="iOS has no Clear data"):
            phone.session.mobile("clearApp", {"appId": APP.bundle_id})


@needs_node
def test_an_appium_refusal_names_the_phone_and_the_command(
    appium: AppiumServer,
) -> None:
    setup = AppiumSetup(appium.url, device="harnessfake")
    with World(PROFILES["android-14-pixel"], APP, root=ROOT, appium=setup) as world:
        phone = world.device(world.shopper())
        assert isinstance(phone, AppiumPhone)
        with pytest.raises(AppiumError) as caught:
            phone.session.mobile("activateApp", {"appId": APP.bundle_id})

    message = str(caught.value)
    assert message.startswith(
        "shopper's android-14-pixel: Appium refused mobile: activateApp: "
    )
    assert "install the app first" in message


@needs_node
def test_a_failed_cell_saves_the_phones_screens(
    appium: AppiumServer, tmp_path: Path
) -> None:
    setup = AppiumSetup(appium.url, device="harnessfake")
    with World(PROFILES["android-14-pixel"], APP, root=ROOT, appium=setup) as world:
        world.device(world.shopper())
        saved = world.screenshots(tmp_path / "shots")

    assert [p.name for p in saved] == ["shopper_s_android-14-pixel.png"]
    assert saved[0].read_bytes()[:4] == b"\x89PNG"


SCENARIOS = """
from harness import World, scenario


@scenario(needs=["receives_push"])
def shipped_push_is_shown(world: World) -> None:
    shopper = world.shopper()
    phone = world.device(shopper)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    phone.background()
    delivery = world.send_push(shopper, "order-shipped", data={"order_number": "1"})
    world.expect.push_outcome(phone, shopper, "shown", delivery_id=delivery)


@scenario(needs=["native_app"])
def asks_provisionally(world: World) -> None:
    phone = world.device(world.shopper())
    phone.install(world.app)
    phone.launch()
    phone.request_permission(provisional=True)
"""


@needs_node
def test_harness_run_through_local_appium_end_to_end(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "through_appium.py").write_text(SCENARIOS)
    profiles = ("--profiles", "android-14-pixel,ios-17-iphone")
    done = harness_run(tmp_path, "--scenarios", str(folder), *profiles)

    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    assert "phones through Appium (harnessfake)" in out
    assert "harness: Appium at http://127.0.0.1:" in out
    assert "2 scenarios x 2 profiles: 2 pass, 0 FAIL, 2 skip" in out
    assert "provisional authorization is asked for by the app's build" in out


def harness_run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``harness run --appium local --appium-device harnessfake ...``."""
    fake = ("--appium", "local", "--appium-device", "harnessfake")
    return harness_cli(tmp_path, *fake, "-p", "no:cacheprovider", *argv)


@needs_node
def test_the_checklist_passes_through_appium_and_a_fault_fails_it(
    tmp_path: Path,
) -> None:
    profiles = ("--profiles", "android-14-pixel")
    passed = harness_run(tmp_path, "--suite", "checklist", *profiles)
    assert passed.returncode == 0, passed.stdout[-3000:] + passed.stderr[-2000:]
    assert "16 scenarios x 1 profile: 16 pass, 0 FAIL, 0 skip" in passed.stdout

    fault = ("--fault", "logout_leaves_device_on_previous_person")
    failed = harness_run(tmp_path, "--suite", "checklist", *profiles, *fault)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "logout_takes_the_device_off_the_person" in failed.stdout
    assert "1 FAIL" in failed.stdout


ONE = ("--profiles", "android-14-pixel")


def test_local_appium_without_harnessfake_is_refused_up_front(tmp_path: Path) -> None:
    done = harness_cli(tmp_path, "--appium", "local", *ONE)
    assert done.returncode == 2
    assert "add --appium-device harnessfake" in done.stderr


def test_a_url_that_is_not_appium_is_refused_up_front(tmp_path: Path) -> None:
    with socketserver.TCPServer(("127.0.0.1", 0), _NotFound) as http:
        threading.Thread(target=http.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{http.server_address[1]}/wd/hub"
        done = harness_cli(
            tmp_path, "--appium", url, "--appium-device", "harnessfake", *ONE
        )
        http.shutdown()
    assert done.returncode == 2
    assert "/wd/hub/status answered 404" in done.stderr
    assert "drop /wd/hub" in done.stderr


def test_a_broken_action_map_stops_the_run_before_any_cell(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for folder in ("device-profiles", "fixtures", "scenarios"):
        shutil.copytree(ROOT / folder, project / folder)
    actions = project / "fixtures" / "apps" / "reference.appium.yaml"
    actions.write_text(actions.read_text().replace("actions:", "actionz:", 1))
    fake = ("--appium", "local", "--appium-device", "harnessfake")
    done = harness_cli(tmp_path, *fake, *ONE, root=project)
    assert done.returncode == 2
    assert "actionz: unknown key; did you mean actions?" in done.stderr
    assert "ERROR" not in done.stdout


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the handler's own name)
        self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


def harness_cli(
    tmp_path: Path, *argv: str, root: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``harness --root root run`` with ``argv`` in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    code = "import sys; from harness.cli import main; sys.exit(main())"
    return subprocess.run(
        [
            *(sys.executable, "-c", code, "--root", str(root), "run", *argv),
            *("--junit", str(tmp_path / "j.xml")),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
