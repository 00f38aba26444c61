"""The emulated phone: permissions, tokens and what the OS does with each push."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from harness.apps import AppProfile
from harness.campaigns import Rendered
from harness.device.inbox import InboxItem, Outcome
from harness.device.phone import EmulatedPhone
from harness.errors import ScenarioError
from harness.profiles import DeviceProfile
from harness.workspace import Delivery, Device
from harness.world import World

MakeWorld = Callable[..., World]
LINK = "shop://cart?sku=B-1"


def phone_on(world: World, **answers: str) -> EmulatedPhone:
    phone = world.device(world.shopper(), **answers)
    assert isinstance(phone, EmulatedPhone)
    return phone


def logged_in(world: World, **answers: str) -> EmulatedPhone:
    """Install, launch and log in, with the SDK's queue flushed."""
    phone = phone_on(world, **answers)
    phone.install(world.app)
    phone.launch()
    phone.log_in(world.shopper())
    return phone


def devices(world: World) -> list[Device]:
    person = world.profile_of(world.shopper())
    assert person is not None
    return world.workspace.devices.of(person)


def send(world: World, targets: list[Device] | None = None) -> Delivery:
    """Push to the shopper's devices directly, as a transactional send would."""
    person = world.profile_of(world.shopper())
    assert person is not None
    message = Rendered("Your cart", "Trail Bundle is waiting", LINK)
    chosen = devices(world) if targets is None else targets
    return world.env.messenger.push(person, chosen, message, "manual")


def item_of(phone: EmulatedPhone, delivery: Delivery) -> InboxItem:
    [item] = [i for i in phone.inbox.items if i.delivery_id == delivery.id]
    return item


def test_android_13_fresh_install_starts_with_notifications_off(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-13-xiaomi")
    phone = phone_on(world)

    phone.install(world.app)

    assert phone.permission == "not_determined"
    assert not phone.push_enabled()


def test_android_13_push_accepted_while_off_is_dropped_naming_post_notifications(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-13-xiaomi")
    phone = logged_in(world, answers_prompt="dismiss")

    delivery = send(world)

    assert [v.accepted for v in delivery.verdicts] == [True]
    item = item_of(phone, delivery)
    assert item.outcome is Outcome.DROPPED
    assert "POST_NOTIFICATIONS" in item.reason


def test_android_12_starts_with_notifications_granted(make_world: MakeWorld) -> None:
    world = make_world("android-12-samsung")
    phone = logged_in(world, answers_prompt="deny")

    delivery = send(world)

    assert phone.permission == "granted"
    assert item_of(phone, delivery).outcome is Outcome.SHOWN


def test_ios_provisional_authorization_shows_the_push_quietly(
    make_world: MakeWorld,
    apps: dict[str, AppProfile],
) -> None:
    world = make_world("ios-17-iphone")
    world.app = apps["reference"].model_copy(update={"provisional_on_ios": True})
    phone = logged_in(world, answers_prompt="deny")

    delivery = send(world)

    assert phone.permission == "provisional"
    assert item_of(phone, delivery).outcome is Outcome.SHOWN_QUIETLY


def test_notifications_turned_off_in_settings_drop_the_push(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = logged_in(world)
    targets = devices(world)

    phone.set_notifications(False)
    delivery = send(world, targets)

    item = item_of(phone, delivery)
    assert item.outcome is Outcome.DROPPED
    assert "turned off" in item.reason


@pytest.mark.parametrize("profile", ["ios-17-iphone", "android-14-pixel"])
def test_reinstall_issues_a_new_token_and_anonymous_id_and_wipes_storage(
    make_world: MakeWorld,
    profile: str,
) -> None:
    world = make_world(profile)
    phone = logged_in(world)
    assert phone.app is not None
    old_token, old_anonymous = phone.token, phone.app.sdk.anonymous_id

    app = phone.reinstall()

    assert "user_id" not in app.sandbox and "anonymous_id" not in app.sandbox
    assert app.sdk.pending() == []
    phone.launch()
    assert phone.token not in (None, old_token)
    assert app.sdk.anonymous_id != old_anonymous
    assert app.sdk.user_id is None


def test_push_to_the_pre_reinstall_token_is_not_shown(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    phone = logged_in(world)
    stale = devices(world)

    phone.reinstall()
    phone.launch()
    delivery = send(world, stale)

    assert all(
        not i.outcome.visible for i in phone.inbox.items if i.delivery_id == delivery.id
    )
    assert phone.inbox.shown() == []


def test_tapping_a_shown_push_records_opened_and_follows_the_deep_link(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = logged_in(world)
    phone.background()
    delivery = send(world)
    item = item_of(phone, delivery)
    assert item.outcome is Outcome.SHOWN

    phone.tap(item)
    world.advance(seconds=30)

    assert len(delivery.metrics.get("opened", [])) == 1
    assert phone.app is not None
    assert phone.app.opened_links == [LINK]
    assert phone.state == "foreground"


def test_shown_push_records_delivered_once(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    logged_in(world)

    delivery = send(world)
    world.advance(minutes=1)

    assert len(delivery.metrics.get("delivered", [])) == 1


def test_tapping_a_dropped_push_raises_scenario_error(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = logged_in(world, answers_prompt="deny")
    delivery = send(world)
    item = item_of(phone, delivery)

    with pytest.raises(ScenarioError, match="dropped"):
        phone.tap(item)


def test_xiaomi_holds_a_background_push_for_its_push_delay(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-13-xiaomi")
    phone = logged_in(world)
    phone.background()
    delay = world.profile.background.push_delay
    assert delay == timedelta(minutes=15)

    delivery = send(world)
    item = item_of(phone, delivery)
    assert item.outcome is Outcome.DELAYED

    world.clock.advance(delay - timedelta(seconds=1))
    assert item.outcome is Outcome.DELAYED

    world.advance(seconds=1)
    assert item.outcome is Outcome.SHOWN
    assert phone.inbox.shown() == [item]


def test_xiaomi_shows_a_foreground_push_at_once(make_world: MakeWorld) -> None:
    world = make_world("android-13-xiaomi")
    phone = logged_in(world)

    delivery = send(world)

    assert item_of(phone, delivery).outcome is Outcome.SHOWN


# -- lifecycle, tokens, taps and the network --------------------------------------


def test_uninstall_journals_how_many_unsent_events_were_lost(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = phone_on(world)
    phone.install(world.app)
    phone.launch()
    assert phone.app is not None
    queued = len(phone.app.sdk.pending())
    assert queued > 1

    phone.uninstall()

    [line] = [e.text for e in world.journal if e.kind == "uninstall"]
    assert f"{queued} unsent events lost" in line


def test_acting_in_the_app_before_launch_raises_scenario_error(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = phone_on(world)
    phone.install(world.app)

    with pytest.raises(ScenarioError, match=r"call launch\(\)"):
        phone.add_to_cart(world.catalog["bundle"])


def test_rotated_token_is_registered_at_once_when_the_app_does_so(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = logged_in(world)

    new = phone.rotate_token()
    world.advance(minutes=1)

    assert [d.token for d in devices(world)] == [new]


def test_rotated_token_waits_for_the_next_launch_when_the_app_does_not_register_it(
    make_world: MakeWorld, apps: dict[str, AppProfile]
) -> None:
    lazy = apps["reference"].model_copy(update={"register_rotated_token": False})
    world = make_world("android-14-pixel", lazy)
    phone = logged_in(world)
    old = phone.token

    new = phone.rotate_token()
    world.advance(minutes=1)
    assert [d.token for d in devices(world)] == [old]

    phone.swipe_away()
    phone.launch()
    world.advance(minutes=1)
    assert new in [d.token for d in devices(world)]


def test_reinstall_keeps_the_token_where_the_os_does_not_rotate_on_reinstall(
    make_world: MakeWorld, profiles: dict[str, DeviceProfile]
) -> None:
    ios = profiles["ios-17-iphone"]
    steady = ios.model_copy(
        update={"token": ios.token.model_copy(update={"rotates_on": ("restore",)})}
    )
    world = make_world(steady)
    phone = logged_in(world)
    old = phone.token

    phone.reinstall()
    phone.launch()

    assert phone.token == old


def test_tapping_the_same_push_twice_raises_scenario_error(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = logged_in(world)
    item = item_of(phone, send(world))
    phone.tap(item)

    with pytest.raises(ScenarioError, match="already tapped"):
        phone.tap(item)


@pytest.mark.parametrize(
    ("profile", "shown"),
    [("ios-17-iphone", ["second"]), ("android-14-pixel", ["first", "second"])],
    ids=["apns-keeps-the-last", "fcm-keeps-all"],
)
def test_pushes_to_an_offline_phone_are_held_until_it_is_online(
    make_world: MakeWorld, profile: str, shown: list[str]
) -> None:
    world = make_world(profile)
    phone = logged_in(world)
    person = world.profile_of(world.shopper())
    assert person is not None
    phone.go_offline()
    for title in ["first", "second"]:
        world.env.messenger.push(
            person, devices(world), Rendered(title, "b", LINK), "manual"
        )
    assert phone.inbox.shown() == []

    phone.go_online()

    assert [i.title for i in phone.inbox.shown()] == shown
