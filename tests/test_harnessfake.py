"""Appium's harnessfake driver: real Appium sessions on phones of a served emulator.

One ``harness serve`` (the project's profiles, apps and catalog) and one Appium
with the project's drivers per module; each test opens its own session, which
creates its own phone. appium-python-client 6 drives it as it would a real
device: the lifecycle helpers, ``mobile:`` calls and the shop UI's locators.
"""

from __future__ import annotations

import contextlib
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from appium import webdriver
from appium.options.common import AppiumOptions
from appium.webdriver.common.appiumby import AppiumBy
from selenium.common.exceptions import (
    InvalidArgumentException,
    InvalidElementStateException,
    WebDriverException,
)

from harness.drivers.appium_server import AppiumServer, NodeMissing, node_home
from harness.people import load_catalog
from harness.serve import ControlClient, Server, project_options
from harness.serve.phones import shopper_for

BUNDLE = "com.example.shop"
SHOP_XML = node_home() / "drivers" / "harness-fake" / "app" / "shop.xml"
Driver = Any  # appium's WebDriver; the package ships no type hints

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="Node is not installed"
)


@pytest.fixture(scope="module")
def server(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A served emulator of the project, for the whole module."""
    state = tmp_path_factory.mktemp("harnessfake")
    with Server(project_options(root, port=0, http_port=0, state=state)) as served:
        yield served


@pytest.fixture(scope="module")
def appium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppiumServer]:
    """The project's Appium on a free loopback port, for the whole module."""
    log = tmp_path_factory.mktemp("appium") / "appium.log"
    try:
        with AppiumServer(log=log) as started:
            yield started
    except NodeMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture
def control_api(server: Server) -> Iterator[ControlClient]:
    """A control client over the plain HTTP port."""
    assert server.http_url is not None
    with ControlClient(server.http_url) as client:
        yield client


@pytest.fixture
def session(server: Server, appium: AppiumServer) -> Iterator[Callable[..., Driver]]:
    """Open harnessfake sessions; each is closed after the test."""
    opened: list[Driver] = []

    def open_session(profile: str = "android-14-pixel", **caps: Any) -> Driver:
        options = AppiumOptions().load_capabilities(
            {
                "platformName": "Fake",
                "appium:automationName": "HarnessFake",
                "harness:controlUrl": f"{server.http_url}/_harness",
                "harness:deviceProfile": profile,
                **caps,
            }
        )
        driver = webdriver.Remote(appium.url, options=options)
        opened.append(driver)
        return driver

    yield open_session
    for driver in opened:
        with contextlib.suppress(WebDriverException):  # a test may have quit it
            driver.quit()


def phone_of(driver: Driver) -> str:
    phone: str = driver.capabilities["harness:phoneId"]
    return phone


def sign_in(driver: Driver, email: str) -> None:
    """Install, launch and sign in through the shop UI's locators."""
    driver.install_app("reference")
    driver.activate_app(BUNDLE)
    driver.find_element(AppiumBy.ID, "email").send_keys(email)
    driver.find_element(AppiumBy.ID, "password").send_keys("secret")
    driver.find_element(AppiumBy.ID, "sign_in").click()


def device(control_api: ControlClient, token: str) -> Any:
    return next(d for d in control_api.devices() if d["token"] == token)


def error_of(call: Callable[[], object]) -> str:
    with pytest.raises(WebDriverException) as raised:
        call()
    return str(raised.value.msg)


# -- the shop UI ---------------------------------------------------------------------


def test_the_shop_ui_has_a_view_and_add_button_for_every_catalog_product(
    root: Path,
) -> None:
    ui = ET.parse(SHOP_XML).getroot()
    actions = {e.get("id"): e.get("action") for e in ui.iter() if e.get("id")}
    catalog = load_catalog(root / "fixtures" / "catalog.yaml")

    for product in catalog.products.values():
        assert actions[f"product_{product.sku}"] == "view"
        assert actions[f"add_to_cart_{product.sku}"] == "add_to_cart"
    for button in ("sign_in", "sign_up", "log_out", "allow_notifications"):
        assert actions[button]
    assert {"email", "password", "qty"} <= {
        e.get("id") for e in ui.iter("MockInputField")
    }


# -- sessions ------------------------------------------------------------------------


def test_install_and_sign_in_through_the_ui_puts_the_device_on_the_profile(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    driver = session("android-14-pixel")

    sign_in(driver, "ui.login@example.com")

    phone = control_api.phone(phone_of(driver))
    owner = device(control_api, phone["token"])["owner"]
    person = next(p for p in control_api.people() if p["cio_id"] == owner)
    assert person["id"] == shopper_for("ui.login@example.com").user_id
    assert (phone["profile"], phone["app_state"]) == ("android-14-pixel", 4)
    assert phone["notifications"] == "granted"  # the reference app asks after login


def test_query_app_state_follows_the_lifecycle(
    session: Callable[..., Driver],
) -> None:
    driver = session("ios-17-iphone")
    seen = [driver.query_app_state(BUNDLE)]

    driver.install_app("reference")
    seen.append(driver.query_app_state(BUNDLE))
    driver.activate_app(BUNDLE)
    seen.append(driver.query_app_state(BUNDLE))
    driver.background_app(-1)
    seen.append(driver.query_app_state(BUNDLE))
    assert driver.terminate_app(BUNDLE) is True
    seen.append(driver.query_app_state(BUNDLE))
    installed = driver.is_app_installed(BUNDLE), driver.is_app_installed("com.x")
    driver.remove_app(BUNDLE)

    assert seen == [0, 1, 4, 3, 1]
    assert installed == (True, False)
    assert driver.query_app_state(BUNDLE) == 0


def test_revoked_permission_reports_push_enabled_false_after_the_next_launch(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    driver = session("android-14-pixel")
    sign_in(driver, "revoke@example.com")
    token = control_api.phone(phone_of(driver))["token"]
    before = device(control_api, token)["attributes"]["push_enabled"]

    driver.execute_script(
        "mobile: changePermissions",
        {
            "permissions": "android.permission.POST_NOTIFICATIONS",
            "appPackage": BUNDLE,
            "action": "revoke",
        },
    )
    killed = driver.query_app_state(BUNDLE)
    driver.activate_app(BUNDLE)
    control_api.advance(seconds=30)  # the SDK's flush interval

    assert (before, killed) == (True, 1)
    assert device(control_api, token)["attributes"]["push_enabled"] is False
    granted = driver.execute_script("mobile: getPermissions", {"type": "granted"})
    assert granted == []


def test_a_transactional_push_shows_in_get_notifications_and_a_tap_reports_opened(
    session: Callable[..., Driver], control_api: ControlClient, server: Server
) -> None:
    driver = session("android-14-pixel")
    sign_in(driver, "shipped@example.com")
    driver.background_app(-1)
    key = control_api.workspaces()[0]["app_api_key"]
    sent = httpx.post(
        f"{server.http_url}/v1/send/push",
        headers={"authorization": f"Bearer {key}"},
        json={
            "transactional_message_id": "order-shipped",
            "identifiers": {"id": shopper_for("shipped@example.com").user_id},
            "message_data": {"order_number": "7", "items": "socks"},
        },
        timeout=10,
    )
    delivery_id = sent.json()["delivery_id"]

    shown = driver.execute_script("mobile: getNotifications")["statusBarNotifications"]
    driver.execute_script("harness: tapNotification", {"notification": delivery_id})
    control_api.advance(seconds=30)

    [item] = shown
    assert item["packageName"] == BUNDLE
    assert item["notification"]["title"] == "Order 7 has shipped"
    assert item["notification"]["extras"]["CIO-Delivery-ID"] == delivery_id
    delivery = next(d for d in control_api.deliveries() if d["id"] == delivery_id)
    assert set(delivery["metrics"]) == {"delivered", "opened"}
    assert driver.query_app_state(BUNDLE) == 4


def test_reinstall_resets_the_notification_permission(
    session: Callable[..., Driver],
) -> None:
    driver = session("android-14-pixel")
    sign_in(driver, "reinstall@example.com")
    granted = driver.execute_script("mobile: getPermissions", {"type": "granted"})

    driver.remove_app(BUNDLE)
    driver.install_app("reference")
    after = driver.execute_script("mobile: getPermissions", {"type": "granted"})

    assert granted == ["android.permission.POST_NOTIFICATIONS"]
    assert after == []


def test_ios_clear_app_is_refused_with_the_reason(
    session: Callable[..., Driver],
) -> None:
    driver = session("ios-17-iphone")
    driver.install_app("reference")

    message = error_of(lambda: driver.execute_script("mobile: clearApp", {}))

    assert "iOS has no Clear data for an app" in message
    assert "[harness control API: 422 unsupported]" in message


def test_an_unknown_profile_refuses_the_session_listing_the_known_ones(
    session: Callable[..., Driver],
) -> None:
    message = error_of(lambda: session("pixel-99"))

    assert "unknown device profile 'pixel-99'" in message
    assert "android-14-pixel" in message


def test_a_command_s_error_carries_the_control_api_s_message(
    session: Callable[..., Driver],
) -> None:
    driver = session("android-14-pixel")

    message = error_of(lambda: driver.activate_app(BUNDLE))

    assert "has no app installed; install the app first" in message
    assert "409 not_installed" in message


def test_a_session_attaches_to_a_phone_on_the_rack_by_its_id(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    phone = control_api.create_phone("ios-17-iphone", name="shared iPhone")["id"]
    control_api.phone_command(phone, "install", app="reference")

    driver = session(**{"harness:phoneId": phone})
    driver.activate_app(BUNDLE)

    assert phone_of(driver) == phone
    assert control_api.phone(phone)["app_state"] == 4


def test_install_app_takes_a_path_as_the_app_profile_s_name(
    session: Callable[..., Driver], control_api: ControlClient, root: Path
) -> None:
    driver = session("android-14-pixel")

    driver.install_app(str(root / "fixtures" / "apps" / "reference.yaml"))

    assert control_api.phone(phone_of(driver))["app"] == "reference"


def test_alert_dismiss_denies_the_prompt_the_allow_button_raises(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    driver = session("ios-17-iphone")
    driver.install_app("reference")
    driver.activate_app(BUNDLE)

    driver.execute_script("mobile: alert", {"action": "dismiss"})
    driver.find_element(AppiumBy.ID, "allow_notifications").click()

    assert control_api.phone(phone_of(driver))["notifications"] == "denied"
    answer = driver.execute_script(
        "mobile: getPermission", {"service": "notifications"}
    )
    assert answer == "no"


def test_a_simulator_push_payload_reaches_the_phone(
    session: Callable[..., Driver],
) -> None:
    driver = session("ios-17-iphone")
    driver.install_app("reference")
    driver.activate_app(BUNDLE)
    driver.execute_script("mobile: setPermission", {"access": {"notifications": "yes"}})

    driver.execute_script(
        "mobile: pushNotification",
        {"bundleId": BUNDLE, "payload": {"aps": {"alert": "Back in stock"}}},
    )

    shown = driver.execute_script("mobile: getNotifications")["statusBarNotifications"]
    assert [n["notification"]["text"] for n in shown] == ["Back in stock"]


def test_the_cart_buttons_send_the_typed_quantity(
    session: Callable[..., Driver], server: Server
) -> None:
    driver = session("android-14-pixel")
    sign_in(driver, "cart.ui@example.com")

    driver.find_element(AppiumBy.ID, "qty").send_keys("3")
    driver.find_element(AppiumBy.ID, "add_to_cart_JKT-RAIN-M").click()
    driver.find_element(AppiumBy.ID, "checkout").click()
    driver.background_app(-1)  # the app flushes its queue

    assert server.emulator is not None
    events = server.emulator.workspaces["default"].workspace.events
    checkout = [e.properties for e in events if e.name == "checkout_started"]
    assert [(p["sku"], p["qty"]) for p in checkout] == [("JKT-RAIN-M", 3)]


# -- capabilities, arguments and the control API's refusals ----------------------------


def test_an_empty_workspace_capability_refuses_the_session_naming_it(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    before = len(control_api.phones())

    message = error_of(lambda: session(**{"harness:workspace": ""}))

    assert 'the harness:workspace capability is ""' in message
    assert "a workspace name, such as default" in message
    assert len(control_api.phones()) == before


def test_a_keep_phone_capability_that_is_not_a_boolean_refuses_the_session(
    session: Callable[..., Driver],
) -> None:
    message = error_of(lambda: session(**{"harness:keepPhone": "yes"}))

    assert 'the harness:keepPhone capability is "yes"' in message


def test_harness_action_with_fields_that_are_not_an_object_names_fields(
    session: Callable[..., Driver],
) -> None:
    driver = session()

    with pytest.raises(InvalidArgumentException) as raised:
        driver.execute_script("harness: action", {"name": "log_in", "fields": "x"})

    assert 'harness: action\'s "fields" is an object' in str(raised.value.msg)


def test_install_app_with_an_object_names_app(session: Callable[..., Driver]) -> None:
    driver = session()

    with pytest.raises(InvalidArgumentException) as raised:
        driver.execute_script("mobile: installApp", {"app": {"name": "reference"}})

    message = str(raised.value.msg)
    assert 'mobile: installApp needs "app", a string' in message
    assert '{"name":"reference"}' in message


def test_get_permissions_with_an_unknown_type_lists_the_types(
    session: Callable[..., Driver],
) -> None:
    driver = session()

    message = error_of(
        lambda: driver.execute_script("mobile: getPermissions", {"type": "all"})
    )

    assert 'takes "type" granted, denied, requested' in message
    assert '"all"' in message


def test_a_phone_in_the_wrong_state_is_an_invalid_element_state_error(
    session: Callable[..., Driver],
) -> None:
    driver = session()

    with pytest.raises(InvalidElementStateException) as raised:
        driver.activate_app(BUNDLE)

    assert "409 not_installed" in str(raised.value.msg)


def test_a_wrong_control_token_says_so_naming_the_capability(
    appium: AppiumServer, root: Path, tmp_path: Path
) -> None:
    options = project_options(root, port=0, http_port=0, state=tmp_path, token="s3")
    with Server(options) as guarded:
        caps = AppiumOptions().load_capabilities(
            {
                "platformName": "Fake",
                "appium:automationName": "HarnessFake",
                "harness:controlUrl": f"{guarded.http_url}/_harness",
                "harness:controlToken": "wrong",
                "harness:deviceProfile": "ios-17-iphone",
            }
        )

        message = error_of(lambda: webdriver.Remote(appium.url, options=caps))

    assert "the control token is missing or wrong" in message
    assert "harness:controlToken" in message and "401 unauthorized" in message


# -- ending a session ------------------------------------------------------------------


def test_ending_a_session_takes_the_phone_it_made_off_the_rack(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    driver = session()
    phone = phone_of(driver)

    driver.quit()

    assert phone not in [p["id"] for p in control_api.phones()]


def test_keep_phone_keeps_the_phone_on_the_rack_after_the_session(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    driver = session(**{"harness:keepPhone": True})
    driver.install_app("reference")
    phone = phone_of(driver)

    driver.quit()

    assert control_api.phone(phone)["app"] == "reference"


def test_ending_a_session_that_attached_leaves_the_phone(
    session: Callable[..., Driver], control_api: ControlClient
) -> None:
    phone = control_api.create_phone("android-14-pixel")["id"]
    driver = session(**{"harness:phoneId": phone})

    driver.quit()

    assert control_api.phone(phone)["id"] == phone
