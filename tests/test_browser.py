"""The emulated browser: web SDK identity and what it does with Web Push."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import jwt
import pytest

from harness.campaigns import Rendered
from harness.device.inbox import Outcome
from harness.device.webapp import WebAppDevice
from harness.errors import Unsupported
from harness.workspace import Delivery
from harness.world import World

MakeWorld = Callable[..., World]
CHROME = "desktop-chrome"
ORIGIN = "https://fcm.googleapis.com"


def subscribed(world: World) -> WebAppDevice:
    """Open the site, log in and allow notifications (the app asks after login)."""
    browser = world.device(world.shopper())
    assert isinstance(browser, WebAppDevice)
    browser.install(world.app)
    browser.launch()
    browser.log_in(world.shopper())
    assert browser.subscription is not None
    return browser


def post_raw(world: World, browser: WebAppDevice, body: bytes) -> httpx.Response:
    """Send a VAPID-signed push whose body the sender chose, readable or not."""
    assert browser.subscription is not None
    claims = {
        "aud": ORIGIN,
        "exp": world.clock.timestamp() + 3600,
        "sub": "mailto:ops@example.com",
    }
    key = world.env.push_credentials.vapid_private_key_pem
    token = jwt.encode(claims, key, "ES256")
    headers = {
        "TTL": "60",
        "Authorization": f"vapid t={token}, k={world.env.keys.vapid_public_key}",
    }
    if body:
        headers["Content-Encoding"] = "aes128gcm"
    return world.emulator.http.post(
        browser.subscription["endpoint"], headers=headers, content=body
    )


def send(world: World) -> Delivery:
    person = world.profile_of(world.shopper())
    assert person is not None
    message = Rendered("Sale", "Half off", "https://shop.example/sale")
    devices = world.workspace.devices.of(person)
    return world.env.messenger.push(person, devices, message, "manual")


# -- web push ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"", "without a payload"), (b"\x00" * 120, "could not be decrypted")],
    ids=["empty", "undecryptable"],
)
def test_unreadable_push_is_accepted_and_dropped_with_a_reason(
    make_world: MakeWorld, body: bytes, reason: str
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)

    response = post_raw(world, browser, body)

    assert response.status_code == 201
    [item] = browser.inbox.items
    assert item.outcome is Outcome.DROPPED
    assert reason in item.reason


def test_shown_push_carries_the_delivery_id_and_records_delivered(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)

    delivery = send(world)

    [item] = browser.inbox.items
    assert item.outcome is Outcome.SHOWN
    assert item.delivery_id == delivery.id
    assert item.title == "Sale"
    assert len(delivery.metrics.get("delivered", [])) == 1


def test_clicking_a_shown_push_records_opened(make_world: MakeWorld) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    delivery = send(world)
    [item] = browser.inbox.items

    browser.tap(item)

    assert len(delivery.metrics.get("opened", [])) == 1


def test_log_out_takes_the_subscription_off_the_person(make_world: MakeWorld) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    person = world.profile_of(world.shopper())
    assert person is not None
    assert len(world.workspace.devices.of(person)) == 1

    browser.log_out()

    assert world.workspace.devices.of(person) == []


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ("swipe_away", "no app process"),
        ("rotate_token", "does not rotate"),
    ],
)
def test_phone_only_steps_on_a_browser_are_unsupported_with_a_reason(
    make_world: MakeWorld, step: str, reason: str
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)

    with pytest.raises(Unsupported) as caught:
        getattr(browser, step)()

    assert CHROME in str(caught.value)
    assert reason in str(caught.value)


# -- mobile browsers -----------------------------------------------------------------


def test_two_mobile_browsers_have_their_own_anonymous_ids_and_all_events_land(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    first, second = world.mobile_browser(shopper), world.mobile_browser(shopper)

    first.add_to_cart(bundle)
    second.add_to_cart(bundle)

    assert first.anonymous_id != second.anonymous_id
    assert first.name != second.name
    for browser in (first, second):
        held = world.workspace.anonymous_events(browser.anonymous_id)
        assert [e.name for e in held] == ["added_to_cart"]
