"""A transactional push's custom_payload reaches the provider, over the real wire."""

from __future__ import annotations

import json
from collections.abc import Callable

from harness.world import World
from tests.phones import ready, ship

MakeWorld = Callable[..., World]


def test_android_override_lowers_the_priority_and_keeps_token_and_keys(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    payload = {
        "android": {
            "message": {
                "token": "someone-else",
                "android": {"priority": "normal", "collapse_key": "orders"},
                "data": {"CIO-Delivery-ID": "forged", "extra": "1"},
            }
        }
    }

    delivery = ship(world, custom_payload=payload)

    [item] = phone.inbox.items
    sent = json.loads(item.notification.raw)
    assert item.notification.token == phone.token
    assert (item.notification.priority, item.notification.collapse_id) == (
        "normal",
        "orders",
    )
    assert item.notification.data["CIO-Delivery-ID"] == delivery
    assert item.notification.data["extra"] == "1"
    assert sent["token"] == phone.token


def test_ios_override_is_merged_into_the_apns_json(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)
    payload = {"ios": {"aps": {"sound": "chime.caf"}, "CIO-Delivery-ID": "forged"}}

    delivery = ship(world, custom_payload=payload)

    [item] = phone.inbox.items
    sent = json.loads(item.notification.raw)
    assert sent["aps"]["sound"] == "chime.caf"
    assert sent["aps"]["alert"]["title"] == "Order 1001 has shipped"
    assert sent["CIO-Delivery-ID"] == delivery


def test_the_other_platforms_part_is_ignored(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)
    payload = {"android": {"message": {"android": {"priority": "normal"}}}}

    ship(world, custom_payload=payload)

    assert phone.inbox.items[0].notification.priority == "high"
