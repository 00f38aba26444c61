"""The phone rack behind the served emulator's control API, and hosting a World.

One ``harness serve`` per module (the project's profiles, apps and catalog) on
free loopback ports; each test makes its own workspace, so its people and
devices are its own. Phones are driven over real HTTP through ControlClient;
their SDKs reach the same emulator in process.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.apps import load_apps
from harness.clock import Clock
from harness.emulator import Emulator
from harness.ids import Ids
from harness.journal import Journal
from harness.profiles import load_profiles
from harness.serve import (
    ControlClient,
    ControlError,
    PhoneRack,
    ServeError,
    ServeOptions,
    Server,
    control,
    project_options,
)
from harness.serve.app import MAX_BODY, body_too_large, create_app
from harness.serve.phones import shopper_for
from harness.serve.tls import prepare
from harness.world import World

ORDER = {"order_number": "1001", "items": "your order"}
names = itertools.count(1)


@pytest.fixture(scope="module")
def server(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A served emulator of the project, for the whole module."""
    state = tmp_path_factory.mktemp("phones")
    with Server(project_options(root, port=0, http_port=0, state=state)) as served:
        yield served


@pytest.fixture
def control_api(server: Server) -> Iterator[ControlClient]:
    """A control client over the plain HTTP port."""
    assert server.http_url is not None
    with ControlClient(server.http_url) as client:
        yield client


@pytest.fixture
def workspace(control_api: ControlClient) -> str:
    """A workspace of this test's own."""
    name = f"phones-{next(names)}"
    control_api.create_workspace(name)
    return name


def ready(control_api: ControlClient, workspace: str, profile: str) -> str:
    """Return a phone with the reference app installed and launched."""
    phone = control_api.create_phone(profile, workspace=workspace)["id"]
    control_api.phone_command(phone, "install", app="reference")
    control_api.phone_command(phone, "launch")
    return str(phone)


def send_push(server: Server, workspace: str, user_id: str) -> str:
    """Send the order-shipped push through the App API; return its delivery id."""
    assert server.emulator is not None and server.http_url is not None
    key = server.emulator.workspaces[workspace].keys.app_api_key
    response = httpx.post(
        f"{server.http_url}/v1/send/push",
        headers={"authorization": f"Bearer {key}"},
        json={
            "transactional_message_id": "order-shipped",
            "identifiers": {"id": user_id},
            "message_data": ORDER,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    delivery_id: str = response.json()["delivery_id"]
    return delivery_id


def refusal(call: Any, *args: Any, **kwargs: Any) -> ControlError:
    with pytest.raises(ControlError) as raised:
        call(*args, **kwargs)
    return raised.value


def device_of(control_api: ControlClient, workspace: str, token: str) -> Any:
    return next(d for d in control_api.devices(workspace) if d["token"] == token)


# -- creating phones ---------------------------------------------------------------


def test_a_new_phone_has_no_app_and_app_state_zero(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("android-14-pixel", workspace=workspace)

    assert phone["id"].startswith("phone-")
    assert (phone["platform"], phone["app"], phone["app_state"]) == ("android", None, 0)
    assert phone["notifications"] == "not_determined"
    assert control_api.phone(phone["id"]) == phone


def test_an_unknown_profile_is_refused_listing_the_known_ones(
    control_api: ControlClient,
) -> None:
    error = refusal(control_api.create_phone, "pixel-99")

    assert (error.status, error.code) == (404, "unknown_name")
    assert "unknown device profile 'pixel-99'" in str(error)
    assert "android-14-pixel" in str(error) and "ios-17-iphone" in str(error)


def test_a_browser_profile_is_refused_naming_the_phone_profiles(
    control_api: ControlClient,
) -> None:
    error = refusal(control_api.create_phone, "desktop-chrome")

    assert (error.status, error.code) == (422, "unsupported")
    assert "Chromium driver" in str(error) and "ios-17-iphone" in str(error)


def test_an_unknown_workspace_is_refused(control_api: ControlClient) -> None:
    error = refusal(control_api.create_phone, "ios-17-iphone", workspace="nowhere")

    assert (error.status, error.code) == (404, "unknown_workspace")


def test_two_phones_may_not_share_a_name_in_a_workspace(
    control_api: ControlClient, workspace: str
) -> None:
    control_api.create_phone("ios-17-iphone", workspace=workspace, name="Ada's")

    error = refusal(
        control_api.create_phone, "ios-17-iphone", workspace=workspace, name="Ada's"
    )

    assert (error.status, error.code) == (409, "conflict")


def test_a_phone_taken_off_the_rack_is_unknown_after(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("ios-17-iphone", workspace=workspace)["id"]

    assert control_api.remove_phone(phone)["removed"] is True
    error = refusal(control_api.phone, phone)
    assert (error.status, error.code) == (404, "unknown_phone")
    assert phone not in [p["id"] for p in control_api.phones()]


# -- lifecycle -----------------------------------------------------------------------


def test_launch_before_install_says_install_the_app_first(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("android-14-pixel", workspace=workspace)["id"]

    error = refusal(control_api.phone_command, phone, "launch")

    assert (error.status, error.code) == (409, "not_installed")
    assert "install the app first" in str(error)


def test_app_state_follows_install_launch_background_and_terminate(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("android-14-pixel", workspace=workspace)["id"]

    def state(command: str, **body: Any) -> int:
        return int(control_api.phone_command(phone, command, **body)["app_state"])

    assert state("install", app="reference") == 1
    assert state("launch") == 4
    assert state("background", seconds=5) == 4  # back at once: the clock stays
    assert state("background", seconds=-1) == 3
    assert state("launch") == 4
    assert control_api.phone_command(phone, "terminate")["was_running"] is True
    assert state("uninstall") == 0


def test_a_command_naming_another_bundle_id_is_refused(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_command, phone, "launch", bundle_id="com.other")

    assert error.code == "not_installed"
    assert "the app installed is com.example.shop" in str(error)


def test_ios_clear_is_refused_with_the_reason(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")

    error = refusal(control_api.phone_command, phone, "clear")

    assert (error.status, error.code) == (422, "unsupported")
    assert "iOS has no Clear data for an app" in str(error)
    assert "Remove the app and install it again" in str(error)


def test_android_clear_data_ends_the_app_and_resets_the_permission(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_action(phone, "request_permission")

    after = control_api.phone_command(phone, "clear")

    assert (after["app_state"], after["notifications"]) == (1, "not_determined")


def test_reinstall_resets_permission_and_issues_a_new_token(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    granted = control_api.phone_action(phone, "request_permission")

    control_api.phone_command(phone, "uninstall")
    control_api.phone_command(phone, "install", app="reference")
    after = control_api.phone_command(phone, "launch")

    assert granted["notifications"] == "granted"
    assert after["notifications"] == "not_determined"
    assert after["token"] not in (None, granted["token"])


def test_an_unknown_field_is_refused_naming_the_fields_taken(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_command, phone, "background", secs=3)

    assert (error.status, error.code) == (400, "invalid_request")
    assert 'background takes "seconds"' in str(error) and "'secs'" in str(error)


# -- shoppers and the app's screens ------------------------------------------------


def test_log_in_puts_the_device_on_a_shopper_made_from_the_email(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    expected = shopper_for("Ada.Lovelace@example.com ")

    after = control_api.phone_action(phone, "log_in", email="ada.lovelace@example.com")

    person = next(p for p in control_api.people(workspace) if p["id"])
    device = device_of(control_api, workspace, after["token"])
    assert expected.user_id == person["id"]
    assert device["attributes"]["push_enabled"] is True  # the prompt was allowed
    assert person["cio_id"] == device["owner"]


def test_shopper_ids_follow_from_the_email_alone() -> None:
    ada = shopper_for("ada.lovelace@example.com")

    assert ada == shopper_for(" ADA.Lovelace@Example.com")
    assert ada.user_id.startswith("u-") and len(ada.user_id) == 14
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert shopper_for("grace@example.com").user_id != ada.user_id


def test_actions_need_the_app_running(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("ios-17-iphone", workspace=workspace)["id"]
    control_api.phone_command(phone, "install", app="reference")

    error = refusal(control_api.phone_action, phone, "log_out")

    assert (error.status, error.code) == (409, "not_running")
    assert "launch it first" in str(error)


def test_checkout_and_order_use_the_cart(
    control_api: ControlClient, workspace: str, server: Server
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_action(phone, "log_in", email="cart@example.com")

    control_api.phone_action(phone, "add_to_cart", sku="SOCK-MERINO-3", qty=2)
    control_api.phone_action(phone, "start_checkout")
    control_api.phone_command(phone, "background", seconds=-1)  # flushes the queue

    assert server.emulator is not None
    events = server.emulator.workspaces[workspace].workspace.events
    checkout = [e for e in events if e.name == "checkout_started"]
    assert [(e.properties["sku"], e.properties["qty"]) for e in checkout] == [
        ("SOCK-MERINO-3", 2)
    ]


def test_checkout_with_an_empty_cart_is_refused(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_action, phone, "start_checkout")

    assert (error.status, error.code) == (400, "invalid_request")
    assert "the cart is empty" in str(error)


def test_an_unknown_sku_is_refused_listing_the_catalog(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_action, phone, "view", sku="NOPE")

    assert error.code == "unknown_name" and "JKT-RAIN-M" in str(error)


# -- permission, prompts, push ---------------------------------------------------


def test_revoke_then_relaunch_reports_push_enabled_false(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    token = control_api.phone_action(phone, "log_in", email="rev@example.com")["token"]

    revoked = control_api.phone_command(phone, "permission", notifications="revoke")
    control_api.phone_command(phone, "launch")
    control_api.advance(seconds=30)  # the SDK's flush interval

    assert revoked["app_state"] == 1  # Android ends the app on a revoke
    assert (
        device_of(control_api, workspace, token)["attributes"]["push_enabled"] is False
    )


def test_alert_dismiss_answers_the_next_prompt_with_deny(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")

    control_api.phone_command(phone, "alert", action="dismiss")
    after = control_api.phone_action(phone, "request_permission")

    assert after["notifications"] == "denied"


def test_a_transactional_push_shows_with_its_delivery_id_and_a_tap_opens_it(
    control_api: ControlClient, workspace: str, server: Server
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_action(phone, "log_in", email="push@example.com")
    control_api.phone_command(phone, "background", seconds=-1)

    delivery_id = send_push(server, workspace, shopper_for("push@example.com").user_id)
    shown = control_api.notifications(phone)
    tapped = control_api.phone_command(phone, "tap", notification=delivery_id)
    control_api.advance(seconds=30)

    [item] = shown
    assert item["notification"]["title"] == "Order 1001 has shipped"
    assert item["notification"]["extras"]["CIO-Delivery-ID"] == delivery_id
    assert item["isRemoved"] is False
    assert (tapped["tapped"], tapped["app_state"]) == (delivery_id, 4)
    assert control_api.notifications(phone)[0]["isRemoved"] is True
    [delivery] = control_api.deliveries(workspace)
    assert set(delivery["metrics"]) == {"delivered", "opened"}


def test_tapping_an_unknown_notification_lists_what_is_shown(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_command, phone, "tap", notification="nope")

    assert error.code == "unknown_name" and "it lists none now" in str(error)


def test_an_ios_push_payload_is_judged_by_the_phone_s_permission(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    payload = {"aps": {"alert": {"title": "Hi", "body": "there"}}, "link": "x://y"}

    before = control_api.phone_command(phone, "push", payload=payload)
    control_api.phone_command(phone, "permission", notifications="grant")
    after = control_api.phone_command(phone, "push", payload=payload)

    assert before["outcome"] == "dropped"
    assert after["outcome"] == "shown"
    [shown] = control_api.notifications(phone)
    assert shown["notification"]["title"] == "Hi"
    assert shown["notification"]["extras"]["link"] == "x://y"


def test_a_push_before_the_first_launch_says_launch_first(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("android-14-pixel", workspace=workspace)["id"]
    control_api.phone_command(phone, "install", app="reference")

    error = refusal(control_api.phone_command, phone, "push", payload={"data": {}})

    assert error.code == "not_running" and "no push token yet" in str(error)


def test_a_deep_link_opens_the_screen_the_app_routes_it_to(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")

    after = control_api.phone_command(phone, "deeplink", url="shop://cart")

    assert (after["route"], after["screen"]) == ("cart", "cart")
    assert after["opened_links"] == ["shop://cart"]


def test_offline_phone_keeps_its_state_and_comes_back(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")

    offline = control_api.phone_command(phone, "online", online=False)
    online = control_api.phone_command(phone, "online", online=True)

    assert (offline["online"], online["online"]) == (False, True)


# -- the control API around the rack -------------------------------------------------


def test_every_phone_route_is_in_the_openapi_document(
    control_api: ControlClient,
) -> None:
    document = control_api.http.get("/openapi.json").json()

    paths = document["paths"]
    assert "delete" in paths["/_harness/phones/{id}"]
    assert "post" in paths["/_harness/phones/{id}/actions/add_to_cart"]
    phone_routes = [e for e in control.ENDPOINTS if e.path.startswith("/phones")]
    assert len(phone_routes) == 5 + 12 + 9
    for endpoint in phone_routes:
        assert endpoint.method.lower() in paths[f"/_harness{endpoint.path}"]


def test_a_reset_takes_every_phone_off_the_rack(root: Path, tmp_path: Path) -> None:
    options = project_options(root, port=0, http_port=0, state=tmp_path)
    with Server(options) as served:
        assert served.http_url is not None
        client = ControlClient(served.http_url)
        client.create_phone("ios-17-iphone")

        client.reset()

        assert client.phones() == []


def test_with_a_token_the_phone_routes_want_it(root: Path, tmp_path: Path) -> None:
    options = project_options(root, port=0, http_port=0, state=tmp_path, token="s3cret")
    with Server(options) as served:
        assert served.http_url is not None
        bare = ControlClient(served.http_url)
        holder = ControlClient(served.http_url, token="s3cret")

        error = refusal(bare.create_phone, "ios-17-iphone")

        assert (error.status, error.code) == (401, "unauthorized")
        assert holder.create_phone("ios-17-iphone")["id"] == "phone-1"


def test_phone_commands_replay_after_a_restart_with_state(
    root: Path, tmp_path: Path
) -> None:
    options = project_options(root, port=0, http_port=0, state=tmp_path, persist=True)
    with Server(options) as first:
        assert first.http_url is not None
        client = ControlClient(first.http_url)
        phone = ready(client, "default", "android-14-pixel")
        client.phone_action(phone, "log_in", email="again@example.com")
        client.phone_command(phone, "background", seconds=-1)
        before, devices = client.phone(phone), client.devices()

    with Server(options) as second:
        assert second.http_url is not None
        client = ControlClient(second.http_url)

        assert (second.replayed, second.diverged) == (5, 0)
        assert client.phone(phone) == before
        assert client.devices() == devices


# -- bodies the rack refuses before anything changes ------------------------------

SURROGATE = "\\ud800"  # a lone surrogate as the JSON escape a client sends


def raw(control_api: ControlClient, path: str, body: str) -> httpx.Response:
    """POST ``body`` as it is, bytes a JSON encoder would never make."""
    headers = {"content-type": "application/json"}
    return control_api.http.post(path, content=body.encode(), headers=headers)


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, str(error["code"]), str(error["message"])


@pytest.mark.parametrize(
    ("command", "body", "named"),
    [
        ("deeplink", f'{{"url": "shop://{SURROGATE}"}}', 'deeplink: "url"'),
        (
            "actions/log_in",
            f'{{"email": "a{SURROGATE}@example.com"}}',
            'log_in: "email"',
        ),
        (
            "push",
            f'{{"payload": {{"aps": {{"alert": "{SURROGATE}"}}}}}}',
            'push: "payload.aps.alert"',
        ),
        (
            "push",
            f'{{"payload": {{"aps": {{}}, "{SURROGATE}": 1}}}}',
            'push: "payload.\\ud800"',
        ),
    ],
)
def test_a_lone_surrogate_in_any_field_is_refused_naming_it_and_nothing_is_kept(
    control_api: ControlClient, workspace: str, command: str, body: str, named: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    before = control_api.phone(phone)

    response = raw(control_api, f"/phones/{phone}/{command}", body)

    status, code, message = error_of(response)
    assert (status, code) == (400, "invalid_request")
    assert message.startswith(f"{named} is not valid Unicode text")
    assert control_api.phone(phone) == before
    assert control_api.http.get("/phones").status_code == 200


def test_a_phone_named_with_a_lone_surrogate_is_refused_and_listing_still_works(
    control_api: ControlClient, workspace: str
) -> None:
    body = f'{{"profile": "ios-17-iphone", "workspace": "{workspace}", '
    body += f'"name": "Ada{SURROGATE}"}}'

    response = raw(control_api, "/phones", body)

    status, code, message = error_of(response)
    assert (status, code) == (400, "invalid_request")
    assert '"name" is not valid Unicode text' in message
    assert control_api.phones(workspace) == []
    assert control_api.http.get("/phones").status_code == 200


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_number_that_is_not_finite_is_refused_naming_the_field(
    control_api: ControlClient, workspace: str, number: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    response = raw(
        control_api, f"/phones/{phone}/background", f'{{"seconds": {number}}}'
    )

    status, code, message = error_of(response)
    assert (status, code) == (400, "invalid_request")
    assert 'background: "seconds"' in message and "not a finite number" in message
    assert control_api.phone(phone)["app_state"] == 4


@pytest.mark.parametrize("url", ["http://[", "cart", "//shop/cart"])
def test_a_deep_link_that_is_not_a_url_is_refused_before_the_app_is_launched(
    control_api: ControlClient, workspace: str, url: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    control_api.phone_command(phone, "background", seconds=-1)

    error = refusal(control_api.phone_command, phone, "deeplink", url=url)

    assert (error.status, error.code) == (400, "invalid_request")
    assert "is not a URL the phone can open" in str(error)
    after = control_api.phone(phone)
    assert (after["app_state"], after["opened_links"]) == (3, [])


@pytest.mark.parametrize("email", ["   ", "ada.example.com", "ada@", "a b@example.com"])
@pytest.mark.parametrize("action", ["log_in", "create_account", "open_order_tracking"])
def test_an_email_without_a_name_an_at_and_a_domain_is_refused(
    control_api: ControlClient, workspace: str, action: str, email: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_action, phone, action, email=email)

    assert (error.status, error.code) == (400, "invalid_request")
    assert f'{action}: "email"' in str(error)
    assert "is not an email address" in str(error) and "ada@example.com" in str(error)
    assert control_api.people(workspace) == []


def test_an_email_with_spaces_around_it_signs_in_as_the_trimmed_address(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    control_api.phone_action(phone, "log_in", email="  trim@example.com ")

    [person] = [p for p in control_api.people(workspace) if p["id"]]
    assert person["id"] == shopper_for("trim@example.com").user_id


# -- installs ----------------------------------------------------------------------


def test_installing_an_older_build_over_the_app_is_a_version_downgrade(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_command, phone, "install", app="legacy-sdk")

    assert (error.status, error.code) == (409, "version_downgrade")
    assert "INSTALL_FAILED_VERSION_DOWNGRADE" in str(error)
    assert "Uninstall first" in str(error)
    assert control_api.phone(phone)["app"] == "reference"


def test_installing_the_same_build_again_says_it_was_installed_already(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("ios-17-iphone", workspace=workspace)["id"]

    first = control_api.phone_command(phone, "install", app="reference")
    again = control_api.phone_command(phone, "install", app="reference")

    assert (first["already_installed"], again["already_installed"]) == (False, True)
    assert again["installs"] == 1
    journal = control_api.snapshot()["workspaces"][workspace]["journal"]
    said = [e["text"] for e in journal if e["device"] == again["name"]]
    assert f"{again['name']}: reference build 240 is installed already" in said[-1]
    assert control_api.phone_command(phone, "launch")["app_state"] == 4


def test_a_newer_build_over_an_older_one_is_an_update_in_place(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("android-14-pixel", workspace=workspace)["id"]

    control_api.phone_command(phone, "install", app="legacy-sdk")
    updated = control_api.phone_command(phone, "install", app="reference")

    assert (updated["app"], updated["already_installed"]) == ("reference", False)
    assert updated["installs"] == 1  # an update in place, not a new install


def test_another_profile_of_the_same_build_is_refused_as_changing_nothing(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")

    error = refusal(control_api.phone_command, phone, "install", app="never-asks")

    assert (error.status, error.code) == (409, "conflict")
    assert "the same build" in str(error)


# -- push payloads -----------------------------------------------------------------


@pytest.mark.parametrize(
    "payload", [{"alert": "hi"}, {"aps": "hi"}, {"data": {"title": "t"}}]
)
def test_an_ios_payload_without_an_aps_object_is_refused_as_simctl_would(
    control_api: ControlClient, workspace: str, payload: dict[str, Any]
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")

    error = refusal(control_api.phone_command, phone, "push", payload=payload)

    assert (error.status, error.code) == (400, "invalid_request")
    assert 'needs "aps", an object' in str(error) and "simctl push" in str(error)
    assert control_api.notifications(phone) == []


def test_an_ios_background_push_reaches_the_app_and_is_not_shown(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    control_api.phone_command(phone, "permission", notifications="grant")
    payload = {"aps": {"content-available": 1}, "CIO-Delivery-ID": "d-1"}

    answer = control_api.phone_command(phone, "push", payload=payload)

    assert answer["outcome"] == "not shown"
    assert (
        "content-available" in answer["reason"] and "shows nothing" in answer["reason"]
    )
    assert (answer["shown"], control_api.notifications(phone)) == (0, [])
    error = refusal(control_api.phone_command, phone, "tap", notification="d-1")
    assert error.code == "unknown_name"


def test_a_customerio_data_message_without_a_title_is_still_drawn(
    control_api: ControlClient, workspace: str, server: Server
) -> None:
    # CustomerIOPushNotificationHandler draws any push carrying its delivery
    # id and token, with "" for a missing title and body.
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_action(phone, "log_in", email="quiet@example.com")
    delivery_id = send_push(server, workspace, shopper_for("quiet@example.com").user_id)
    token = control_api.phone(phone)["token"]
    data = {"CIO-Delivery-ID": delivery_id, "CIO-Delivery-Token": token}

    answer = control_api.phone_command(phone, "push", payload={"data": data})
    control_api.advance(seconds=30)

    assert answer["outcome"] != "not shown"
    [delivery] = control_api.deliveries(workspace)
    assert "delivered" in delivery["metrics"]  # Android's SDK reports on receipt


def test_a_data_message_that_is_not_customerios_is_not_shown(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_action(phone, "request_permission")
    before = len(control_api.notifications(phone))

    answer = control_api.phone_command(phone, "push", payload={"data": {"a": "b"}})

    assert answer["outcome"] == "not shown"
    assert "CIO-Delivery-ID" in answer["reason"]
    assert len(control_api.notifications(phone)) == before


def test_an_android_data_message_with_a_title_is_drawn_by_the_sdk(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_action(phone, "request_permission")

    answer = control_api.phone_command(
        phone, "push", payload={"data": {"title": "Drawn", "body": "by the SDK"}}
    )

    assert answer["outcome"] == "shown"
    assert control_api.notifications(phone)[0]["notification"]["title"] == "Drawn"


def test_a_delivery_id_that_is_not_a_string_is_no_delivery_id(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    control_api.phone_command(phone, "permission", notifications="grant")
    payload = {"aps": {"alert": "odd"}, "CIO-Delivery-ID": {"id": "d-9"}}

    control_api.phone_command(phone, "push", payload=payload)
    error = refusal(control_api.phone_command, phone, "tap", notification="nope")

    [shown] = control_api.notifications(phone)
    assert shown["harness"]["deliveryId"] is None
    assert "{" not in str(error).split("lists")[-1]


def test_tapping_a_push_whose_link_does_not_parse_opens_the_home_screen(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    control_api.phone_command(phone, "permission", notifications="grant")
    payload = {"aps": {"alert": "odd"}, "link": "http://[", "CIO-Delivery-ID": "d-1"}
    control_api.phone_command(phone, "push", payload=payload)

    tapped = control_api.phone_command(phone, "tap", notification="d-1")

    assert (tapped["tapped"], tapped["screen"]) == ("d-1", None)
    assert tapped["opened_links"] == ["http://["]


def test_a_refused_tap_lists_only_the_five_newest_shown_notifications(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "ios-17-iphone")
    control_api.phone_command(phone, "permission", notifications="grant")
    for number in range(1, 8):
        payload = {"aps": {"alert": f"n{number}"}, "CIO-Delivery-ID": f"d-{number}"}
        control_api.phone_command(phone, "push", payload=payload)

    error = refusal(control_api.phone_command, phone, "tap", notification="d-99")

    assert "newest first: 7 (d-7), 6 (d-6), 5 (d-5), 4 (d-4), 3 (d-3), ..." in str(
        error
    )
    assert "d-2" not in str(error)


# -- listing, ids and messages -----------------------------------------------------


def test_listing_with_a_workspace_shows_only_that_workspace_s_phones(
    control_api: ControlClient, workspace: str
) -> None:
    other = f"{workspace}-other"
    control_api.create_workspace(other)
    mine = control_api.create_phone("ios-17-iphone", workspace=workspace)["id"]
    control_api.create_phone("ios-17-iphone", workspace=other)

    listed = control_api.phones(workspace)

    assert [p["id"] for p in listed] == [mine]
    assert len(control_api.phones()) > 1


def test_listing_an_unknown_workspace_is_404_naming_the_known_ones(
    control_api: ControlClient, workspace: str
) -> None:
    error = refusal(control_api.phones, "nowhere")

    assert (error.status, error.code) == (404, "unknown_workspace")
    assert "'nowhere'" in str(error) and workspace in str(error)


@pytest.mark.parametrize("query", ["?workspac=default", "?workspace=a&workspace=b"])
def test_listing_refuses_a_query_it_does_not_take(
    control_api: ControlClient, query: str
) -> None:
    status, code, message = error_of(control_api.http.get(f"/phones{query}"))

    assert (status, code) == (400, "invalid_request")
    assert "takes one query parameter, workspace" in message


def test_a_refused_create_does_not_use_up_a_phone_id(
    control_api: ControlClient, workspace: str
) -> None:
    first = control_api.create_phone("ios-17-iphone", workspace=workspace, name="A")
    refusal(control_api.create_phone, "ios-17-iphone", workspace=workspace, name="A")
    refusal(control_api.create_phone, "pixel-99", workspace=workspace)

    second = control_api.create_phone("ios-17-iphone", workspace=workspace)

    number = int(first["id"].removeprefix("phone-"))
    assert second["id"] == f"phone-{number + 1}"


def test_a_long_unknown_phone_id_is_cut_short_in_the_message(
    control_api: ControlClient,
) -> None:
    error = refusal(control_api.phone, "x" * 5000)

    assert error.code == "unknown_phone"
    assert "(5000 characters)" in str(error) and len(str(error)) < 600


def test_a_long_unmatched_path_is_cut_short_in_the_message(
    control_api: ControlClient,
) -> None:
    status, code, message = error_of(control_api.http.get(f"/phone{'s' * 5000}"))

    assert (status, code) == (404, "no_route")
    assert "(5015 characters)" in message and len(message) < 800


def test_a_background_app_is_said_to_be_in_the_background(
    control_api: ControlClient, workspace: str
) -> None:
    phone = ready(control_api, workspace, "android-14-pixel")
    control_api.phone_command(phone, "background", seconds=-1)

    error = refusal(control_api.phone_command, phone, "background", seconds=-1)

    assert "the app is in the background, not in the foreground" in str(error)


def test_a_wrong_method_on_a_phone_route_names_the_methods_it_takes(
    control_api: ControlClient, workspace: str
) -> None:
    phone = control_api.create_phone("ios-17-iphone", workspace=workspace)["id"]

    response = control_api.http.put(f"/phones/{phone}")

    status, code, message = error_of(response)
    assert (status, code) == (405, "method_not_allowed")
    assert response.headers["allow"] == "DELETE, GET"
    assert "the route /_harness/phones/{id} exists but takes DELETE or GET" in message


# -- in process: a rack without fixtures, a failing one ----------------------------


@pytest.fixture
def in_process() -> Iterator[Any]:
    """Serve a rack in process: ``serve(rack)`` answers the control API's base."""
    emulator = Emulator(Clock(), Ids(0).child("emulator"), Journal())
    emulator.create_workspace("default")

    def serve(rack: PhoneRack) -> httpx.Client:
        app = create_app(emulator, https_port=8443, rack=rack)
        emulator.transport.mount("harness.test", app)
        return emulator.http

    yield emulator, serve
    emulator.close()


BASE = "https://harness.test/_harness"


def test_a_server_without_a_project_says_it_has_no_fixtures(
    in_process: Any, tmp_path: Path
) -> None:
    emulator, serve = in_process
    http = serve(PhoneRack.serving(emulator, tmp_path))

    response = http.post(f"{BASE}/phones", json={"profile": "ios-17-iphone"})

    status, code, message = error_of(response)
    assert (status, code) == (409, "no_fixtures")
    assert "has no device-profiles/" in message and "--root DIR" in message


def test_an_unexpected_failure_answers_internal_error_and_logs_the_traceback(
    in_process: Any, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator, serve = in_process

    def broken(workspace: str) -> Any:
        raise RuntimeError("the context factory broke")

    http = serve(PhoneRack(broken, profiles=load_profiles(root / "device-profiles")))
    with caplog.at_level("ERROR", logger="harness.serve"):
        response = http.post(f"{BASE}/phones", json={"profile": "ios-17-iphone"})

    status, code, message = error_of(response)
    assert (status, code) == (500, "internal_error")
    assert message.startswith("POST /_harness/phones failed inside the harness")
    assert "RuntimeError: the context factory broke" in message
    assert "harness bug" in message and "report it" in message
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info is not None
    assert http.get(f"{BASE}/phones").json() == {"phones": []}


# -- hosting a World's emulator ----------------------------------------------------


@pytest.fixture(scope="module")
def hosted_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state folder whose CA exists, as a hosting World's should."""
    state = tmp_path_factory.mktemp("hosted")
    prepare(state)
    return state


@pytest.fixture
def hosted(root: Path, hosted_state: Path) -> Iterator[tuple[World, PhoneRack, Server]]:
    """A World on android-14-pixel, served with a rack of its own."""
    profiles = load_profiles(root / "device-profiles")
    apps = load_apps(root / "fixtures" / "apps")
    world = World(profiles["android-14-pixel"], apps["reference"], root=root)
    rack = PhoneRack(
        lambda workspace: world.context,
        profiles=profiles,
        apps=apps,
        catalog=world.catalog,
    )
    server = Server.hosting(world.emulator, rack, ServeOptions(state=hosted_state))
    server.start()
    yield world, rack, server
    server.stop()
    world.emulator.close()


def test_a_hosted_world_s_phone_is_driven_over_http_on_the_world_s_clock(
    hosted: tuple[World, PhoneRack, Server],
) -> None:
    world, rack, server = hosted
    shopper = world.shopper()
    rack.register(shopper)
    device = world.device(shopper)
    phone = rack.add(device)
    assert server.http_url is not None
    client = ControlClient(server.http_url)
    start = world.clock.now()

    ready_phone = client.phone_command(phone, "install", app="reference")
    client.phone_command(phone, "launch")
    client.phone_action(phone, "log_in", email=shopper.email)
    with rack.locked():
        world.advance(minutes=5)

    assert ready_phone["name"] == device.name
    world.expect.device_on_profile(device, shopper)
    assert client.clock()["now"].startswith("2026-03-02T09:05:00")
    assert world.clock.now() - start == timedelta(minutes=5)


def test_a_hosted_server_refuses_an_oversized_body_in_the_api_s_own_shape(
    hosted: tuple[World, PhoneRack, Server],
) -> None:
    _, _, server = hosted
    assert server.http_url is not None
    big = b"{" + b" " * (MAX_BODY + 10) + b"}"

    answer = httpx.post(f"{server.http_url}/v1/batch", content=big, timeout=10)

    assert answer.status_code == 413
    [message] = answer.json()["meta"]["errors"]  # Pipelines' shape, not control's
    assert message == body_too_large("POST", "/v1/batch")


def test_a_hosted_rack_refuses_an_email_the_world_does_not_know(
    hosted: tuple[World, PhoneRack, Server],
) -> None:
    world, rack, server = hosted
    known = world.shopper()
    rack.register(known)
    phone = rack.add(world.device(known))
    assert server.http_url is not None
    client = ControlClient(server.http_url)
    client.phone_command(phone, "install", app="reference")
    client.phone_command(phone, "launch")

    error = refusal(client.phone_action, phone, "log_in", email="who@example.com")

    assert error.code == "unknown_name"
    assert known.email in str(error)


def test_a_hosted_request_waits_while_the_rack_is_locked(
    hosted: tuple[World, PhoneRack, Server],
) -> None:
    world, rack, server = hosted
    assert server.http_url is not None
    client = ControlClient(server.http_url)
    answered = threading.Event()

    def ask() -> None:
        client.phones()
        answered.set()

    with rack.locked():
        asking = threading.Thread(target=ask)
        asking.start()
        held = answered.wait(0.5)  # waiting on another thread's request
    asking.join(5)

    assert not held
    assert answered.is_set()


def test_stopping_a_hosted_server_leaves_the_world_s_emulator_open(
    hosted: tuple[World, PhoneRack, Server],
) -> None:
    world, rack, server = hosted

    server.stop()

    assert not world.emulator.http.is_closed


def test_a_world_entered_before_hosting_still_gets_its_server(
    root: Path, tmp_path: Path
) -> None:
    profiles = load_profiles(root / "device-profiles")
    apps = load_apps(root / "fixtures" / "apps")
    with World(profiles["ios-17-iphone"], apps["reference"], root=root) as world:
        rack = PhoneRack(lambda workspace: world.context, profiles=profiles)
        server = Server.hosting(world.emulator, rack, ServeOptions(state=tmp_path))
        server.start()  # freezegun freezes datetime here: a fresh state folder
        try:
            assert server.http_url is not None
            phone = ControlClient(server.http_url).create_phone("ios-17-iphone")
        finally:
            server.stop()

    assert phone["app_state"] == 0
    assert (tmp_path / "ca.pem").is_file()


def test_hosting_refuses_to_record(root: Path, tmp_path: Path) -> None:
    profiles = load_profiles(root / "device-profiles")
    apps = load_apps(root / "fixtures" / "apps")
    world = World(profiles["ios-17-iphone"], apps["reference"], root=root)
    rack = PhoneRack(lambda workspace: world.context)

    with pytest.raises(ServeError, match="not recorded"):
        Server.hosting(world.emulator, rack, ServeOptions(state=tmp_path, persist=True))
    world.emulator.close()


# -- any order of commands ---------------------------------------------------------

STEPS = [
    ("install", {"app": "reference"}),
    ("install", {"app": "legacy-sdk"}),
    ("uninstall", {}),
    ("launch", {}),
    ("terminate", {}),
    ("background", {"seconds": -1}),
    ("background", {"seconds": 0}),
    ("clear", {}),
    ("permission", {"notifications": "grant"}),
    ("permission", {"notifications": "revoke"}),
    ("alert", {"action": "dismiss"}),
    ("push", {"payload": {"data": {"title": "t", "body": "b"}}}),
    ("push", {"payload": {"aps": {"alert": "hi"}}}),
    ("online", {"online": False}),
    ("online", {"online": True}),
    ("deeplink", {"url": "shop://cart"}),
    ("tap", {"notification": 1}),
    ("actions/log_in", {"email": "any@example.com"}),
    ("actions/log_out", {}),
    ("actions/add_to_cart", {"sku": "bundle"}),
    ("actions/complete_order", {}),
    ("actions/request_permission", {}),
    ("actions/open_order_tracking", {"email": "any@example.com"}),
]


@pytest.mark.parametrize("profile", ["android-14-pixel", "ios-17-iphone"])
def test_no_order_of_commands_makes_a_server_error(root: Path, profile: str) -> None:
    """Seeded runs of up to 12 commands on one phone: refusals, never a 5xx."""

    @settings(
        max_examples=25,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(st.sampled_from(STEPS), max_size=12))
    def play(steps: list[tuple[str, dict[str, Any]]]) -> None:
        emulator = Emulator(Clock(), Ids(0).child("emulator"), Journal())
        emulator.create_workspace("default")
        rack = PhoneRack.serving(emulator, root)
        app = create_app(emulator, https_port=8443, rack=rack)
        emulator.transport.mount("harness.test", app)
        base = "https://harness.test/_harness/phones"
        try:
            made = emulator.http.post(base, json={"profile": profile})
            phone = made.json()["id"]
            for command, body in steps:
                answer = emulator.http.post(f"{base}/{phone}/{command}", json=body)
                assert answer.status_code < 500, (command, answer.text)
                assert "error" in answer.json() or answer.status_code == 200
        finally:
            emulator.close()

    play()
