"""The browser's side of Web Push: permission, site data, offline, each outcome."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
from pywebpush import WebPusher

from harness.device.inbox import Outcome
from harness.device.webapp import WebAppDevice
from harness.world import World
from tests.test_browser import CHROME, ORIGIN, MakeWorld, send, subscribed


def post(
    world: World,
    endpoint: str,
    text: bytes = b"",
    subscription: dict[str, Any] | None = None,
    encoding: str = "aes128gcm",
    **headers: str,
) -> httpx.Response:
    """Send a VAPID-signed push, encrypted to ``subscription`` when ``text`` is."""
    claims = {"aud": ORIGIN, "exp": world.clock.timestamp() + 3600}
    claims["sub"] = "mailto:ops@example.com"
    key = world.env.push_credentials.vapid_private_key_pem
    token = jwt.encode(claims, key, "ES256")
    vapid = world.env.keys.vapid_public_key
    sent = {"TTL": "60", "Authorization": f"vapid t={token}, k={vapid}"}
    body = b""
    if text and subscription is not None:
        encoded = WebPusher(subscription).encode(text, encoding)
        body = encoded["body"]
        sent["Content-Encoding"] = encoding
        if encoding == "aesgcm":
            sent["Encryption"] = f"salt={encoded['salt'].decode()}"
            sent["Crypto-Key"] = f"dh={encoded['crypto_key'].decode()}"
    sent.update(headers)
    return world.emulator.http.post(endpoint, headers=sent, content=body)


def readable(title: str) -> bytes:
    return json.dumps({"title": title, "body": "", "data": {}}).encode()


def endpoint_of(browser: WebAppDevice) -> str:
    assert browser.subscription is not None
    return str(browser.subscription["endpoint"])


def journal_texts(world: World, kind: str) -> list[str]:
    return [e.text for e in world.emulator.journal if e.kind == kind]


# -- permission and site data --------------------------------------------------------


def test_revoking_permission_ends_the_subscription_and_the_sender_gets_410(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    endpoint = endpoint_of(browser)

    browser.set_notifications(False)
    response = post(world, endpoint)

    assert (browser.permission, browser.subscription) == ("denied", None)
    assert response.status_code == 410
    [fired] = journal_texts(world, "pushsubscriptionchange")
    assert "no new subscription" in fired


def test_the_web_sdk_reports_push_disabled_when_the_subscription_changes(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    person = world.profile_of(world.shopper())
    assert person is not None

    browser.set_notifications(False)

    [device] = world.workspace.devices.of(person)
    assert device.push_enabled is False


def test_clearing_site_data_keeps_the_permission_and_resubscribes_silently(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    old, prompts = endpoint_of(browser), len(journal_texts(world, "permission"))

    browser.clear_site_data()
    dead = post(world, old)
    browser.log_in(world.shopper())

    assert (browser.permission, dead.status_code) == ("granted", 410)
    assert endpoint_of(browser) != old
    assert len(journal_texts(world, "permission")) == prompts
    person = world.profile_of(world.shopper())
    assert person is not None
    tokens = {d.token for d in world.workspace.devices.of(person)}
    assert endpoint_of(browser) in tokens


def test_clearing_site_data_forgets_the_web_sdks_ids(make_world: MakeWorld) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    anonymous = browser.anonymous_id

    browser.clear_site_data()

    assert browser.user_id is None
    assert browser.anonymous_id != anonymous


# -- offline, closed and back --------------------------------------------------------


def test_a_push_to_an_offline_browser_is_stored_then_shown_when_back(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    browser.go_offline()

    delivery = send(world)
    [waiting] = browser.inbox.items
    offline = (waiting.outcome, waiting.delivery_id, delivery.metrics.get("delivered"))
    world.advance(minutes=5)
    browser.go_online()

    assert offline == (Outcome.STORED, delivery.id, None)
    [item] = browser.inbox.items
    assert item is waiting
    assert (item.outcome, item.title) == (Outcome.SHOWN, "Sale")
    assert [h.split(" ", 1)[1] for h in item.history] == [
        "stored until online",
        "shown",
    ]
    assert len(delivery.metrics.get("delivered", [])) == 1
    assert "1 stored push arrived" in journal_texts(world, "network")[-1]


def test_ttl_0_to_an_offline_browser_never_arrives(make_world: MakeWorld) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    browser.go_offline()

    endpoint, subscription = endpoint_of(browser), browser.subscription
    response = post(world, endpoint, readable("Now"), subscription, TTL="0")
    browser.go_online()

    assert response.status_code == 201
    [item] = browser.inbox.items
    assert (item.outcome, item.title) == (Outcome.NEVER, "Now")
    assert "does not store" in item.reason


def test_a_push_that_expires_while_offline_never_arrives(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    browser.go_offline()
    post(world, endpoint_of(browser), readable("Brief"), browser.subscription)

    world.advance(minutes=2)
    browser.go_online()

    [item] = browser.inbox.items
    assert item.outcome is Outcome.NEVER
    assert "expired" in item.reason


def test_a_closed_browser_gets_only_the_newest_push_of_a_topic_on_reopening(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    endpoint, subscription = endpoint_of(browser), browser.subscription
    browser.close()

    for title in ("Old price", "New price"):
        post(world, endpoint, readable(title), subscription, Topic="price")
    browser.reopen()

    outcomes = {i.title: i.outcome for i in browser.inbox.items}
    assert outcomes == {"Old price": Outcome.NEVER, "New price": Outcome.SHOWN}


def test_revoking_while_offline_settles_what_waited_as_never(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    browser.go_offline()
    post(world, endpoint_of(browser), readable("Held"), browser.subscription)

    browser.set_notifications(False)

    [item] = browser.inbox.items
    assert item.outcome is Outcome.NEVER
    assert "with the subscription" in item.reason


def test_web_sdk_calls_made_offline_go_out_when_back_online(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    person = world.profile_of(world.shopper())
    assert person is not None
    browser.go_offline()

    browser.add_to_cart(world.catalog["bundle"])
    held = [e.name for e in world.workspace.events_of(person)]
    browser.go_online()

    assert "added_to_cart" not in held
    assert "added_to_cart" in [e.name for e in world.workspace.events_of(person)]


# -- what the browser reads ----------------------------------------------------------


def test_an_aesgcm_push_is_decrypted_and_shown(make_world: MakeWorld) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)

    response = post(
        world,
        endpoint_of(browser),
        readable("Legacy"),
        browser.subscription,
        encoding="aesgcm",
    )

    assert response.status_code == 201
    [item] = browser.inbox.items
    assert (item.outcome, item.title) == (Outcome.SHOWN, "Legacy")


def test_each_outcome_lands_in_the_journal_under_the_browser(
    make_world: MakeWorld,
) -> None:
    world = make_world(CHROME)
    browser = subscribed(world)
    browser.go_offline()
    post(world, endpoint_of(browser), readable("Held"), browser.subscription)
    browser.go_online()

    lines = [e.text for e in world.emulator.journal if e.kind == "outcome"]

    assert lines[-2].startswith(f"{browser.name}: push 'Held' stored until online: ")
    assert lines[-1] == f"{browser.name}: push 'Held' shown: permission granted"
