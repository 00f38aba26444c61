"""The phone OS's side of each push: Doze, channels, message kinds, storage, metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from harness.device.inbox import Outcome
from harness.device.phone import EmulatedPhone
from harness.device.tray import DOZE_WINDOW
from harness.errors import Unsupported
from harness.world import World
from tests.phones import ready, ship

MakeWorld = Callable[..., World]


def fcm_send(world: World, phone: EmulatedPhone, **message: Any) -> int:
    """Send a raw FCM v1 message to the phone, as any backend could."""
    credentials = world.env.push_credentials
    body = {"message": {"token": phone.token, **message}}
    response = world.emulator.http.post(
        f"https://fcm.googleapis.com/v1/projects/{credentials.fcm_project_id}"
        "/messages:send",
        content=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {credentials.fcm_access_token}"},
    )
    return response.status_code


def delivered(world: World) -> list[str]:
    return [
        d.id for d in world.workspace.deliveries.values() if d.metrics.get("delivered")
    ]


DATA = {"title": "Hi", "body": "There", "CIO-Delivery-ID": "d-1"}


def test_doze_holds_a_normal_priority_message_until_the_maintenance_window(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.doze()

    assert fcm_send(world, phone, data=DATA, android={"priority": "NORMAL"}) == 200
    [item] = phone.inbox.items
    assert item.outcome is Outcome.DELAYED
    assert "Doze" in item.reason

    world.advance(DOZE_WINDOW)

    assert item.outcome is Outcome.SHOWN
    assert "maintenance window" in item.reason
    assert [h.split(" ", 1)[1] for h in item.history] == ["delayed", "shown"]


def test_doze_lets_a_high_priority_message_through_at_once(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.doze()

    fcm_send(world, phone, data=DATA, android={"priority": "HIGH"})

    assert phone.inbox.outcomes() == [Outcome.SHOWN]


def test_waking_the_phone_releases_what_doze_held(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.doze()
    fcm_send(world, phone, data=DATA, android={"priority": "NORMAL"})

    phone.wake()

    assert phone.inbox.outcomes() == [Outcome.SHOWN]
    assert "woke up" in phone.inbox.items[0].reason


def test_ios_has_no_doze_so_normal_priority_arrives_at_once(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)

    phone.doze()

    assert not phone.tray.dozing


def test_a_blocked_channel_drops_data_messages_the_sdk_draws(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.block_channel()

    fcm_send(world, phone, data=DATA)

    [item] = phone.inbox.items
    assert item.outcome is Outcome.DROPPED
    assert repr(world.app.bundle_id) in item.reason
    assert phone.push_enabled()


def test_a_blocked_channel_leaves_other_channels_alone(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.block_channel("promotions")

    fcm_send(world, phone, data=DATA)

    assert phone.inbox.outcomes() == [Outcome.SHOWN]


def test_a_notification_message_in_the_background_is_drawn_by_the_system(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)

    fcm_send(world, phone, notification={"title": "Sale", "body": "Now"}, data=DATA)

    [item] = phone.inbox.items
    assert item.outcome is Outcome.SHOWN
    assert "system tray" in item.reason


def test_a_notification_message_on_a_blocked_channel_is_dropped(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.block_channel("sales")

    fcm_send(
        world,
        phone,
        notification={"title": "Sale", "body": "Now"},
        android={"notification": {"channel_id": "sales"}},
    )

    assert phone.inbox.outcomes() == [Outcome.DROPPED]


def test_channels_exist_only_on_android(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)

    with pytest.raises(Unsupported, match="channels exist on Android"):
        phone.block_channel()


def test_force_stop_exists_only_on_android(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)

    with pytest.raises(Unsupported, match="only Android can force-stop"):
        phone.force_stop()


def test_android_reports_delivered_for_a_push_the_os_drops(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.set_notifications(False)

    delivery = ship(world)

    assert phone.inbox.outcomes() == [Outcome.DROPPED]
    assert delivered(world) == [delivery]


def test_ios_reports_no_delivered_for_a_push_the_os_drops(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)
    phone.set_notifications(False)

    ship(world)

    assert phone.inbox.outcomes() == [Outcome.DROPPED]
    assert delivered(world) == []


def test_a_push_stored_past_its_ttl_never_arrives(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.go_offline()
    fcm_send(world, phone, data=DATA, android={"ttl": "60s"})
    world.advance(minutes=5)

    phone.go_online()

    [item] = phone.inbox.items
    assert item.outcome is Outcome.NEVER
    assert "expired at FCM" in item.reason
    assert [h.split(" ", 1)[1] for h in item.history] == [
        "stored until online",
        "never",
    ]


def test_ttl_zero_to_an_offline_phone_is_never_stored(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.go_offline()

    fcm_send(world, phone, data=DATA, android={"ttl": "0s"})

    [item] = phone.inbox.items
    assert item.outcome is Outcome.NEVER
    assert "does not store" in item.reason


def test_a_collapse_key_replaces_the_stored_message(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.go_offline()
    fcm_send(world, phone, data={**DATA, "title": "old"}, android={"collapse_key": "c"})
    world.advance(minutes=1)
    fcm_send(world, phone, data={**DATA, "title": "new"}, android={"collapse_key": "c"})

    phone.go_online()

    outcomes = [(i.title, i.outcome) for i in phone.inbox.items]
    assert outcomes == [("old", Outcome.NEVER), ("new", Outcome.SHOWN)]


def test_timeline_names_each_outcome_a_push_went_through(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.go_offline()
    ship(world)
    world.advance(timedelta(minutes=10))
    phone.go_online()

    timeline = world.timeline(world.shopper())

    assert "stored until online: stored by FCM" in timeline
    assert "has shipped' shown: notifications allowed" in timeline


def test_a_launch_after_270_idle_days_gets_a_new_fcm_token(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.swipe_away()
    old = phone.token
    world.advance(days=271)

    phone.launch()
    world.advance(minutes=1)

    assert phone.token != old
    person = world.profile_of(world.shopper())
    assert person is not None
    assert phone.token in [d.token for d in world.workspace.devices.of(person)]
    assert "270 days" in world.timeline(world.shopper())
