"""What becomes of a push on the phone: one scenario per outcome, across the matrix.

Each scenario sets up a shopper whose app is installed, logged in and in the
background, changes one thing about the phone, has the shop's backend send a
transactional push (fixtures/transactional/order-shipped.yaml) through the App
API, and checks the outcome the OS gave it and the metrics the SDK reported.
A failure prints the shopper's timeline, where every outcome is named.
"""

from __future__ import annotations

from typing import Any

from harness import World, scenario
from harness.people import Shopper


def ready(world: World, shopper: Shopper, **options: Any) -> Any:
    """Install the app (or open the site), log in and leave it in the background."""
    device = world.device(shopper)
    device.install(options.get("app", world.app))
    device.launch()
    device.log_in(shopper)
    device.background()
    return device


SHIPPED = "order-shipped"  # fixtures/transactional/order-shipped.yaml
ORDER = {"order_number": "1001", "items": "your order"}


def ship(world: World, shopper: Shopper, **options: Any) -> str:
    """Have the shop's backend send the order-shipped push; return the delivery id."""
    data = ORDER | options.pop("data", {})
    return world.send_push(shopper, SHIPPED, data=data, **options)


def sent_to(world: World, shopper: Shopper, delivery_id: str) -> list[str]:
    """Return the tokens a delivery went to."""
    found = [d for d in world.expect.deliveries(shopper) if d.id == delivery_id]
    return [token for d in found for token in d.tokens]


@scenario(needs=["receives_push"])
def push_is_shown_and_counted(world: World) -> None:
    """A push to a backgrounded app is shown; delivered and opened are counted once."""
    shopper = world.shopper()
    device = ready(world, shopper)

    delivery = ship(world, shopper)
    world.advance(world.profile.background.push_delay)  # an OEM saver may hold it
    item = world.expect.push_outcome(device, shopper, "shown", delivery_id=delivery)
    device.tap(item)
    world.advance(minutes=1)  # the SDK flushes its queue

    world.expect.metrics(shopper, delivery, delivered=1, opened=1)


@scenario(needs=["provisional_auth", "receives_push"])
def provisional_push_is_shown_quietly(world: World) -> None:
    """Provisional authorization: the push lands quietly in Notification Center.

    The iOS SDK reports push_enabled false for provisional, so a backend that
    only sends to enabled devices skips it; one that sends to the token anyway
    reaches Notification Center, and the extension reports delivered.
    """
    shopper = world.shopper()
    quiet_app = world.app.model_copy(update={"provisional_on_ios": True})
    phone = ready(world, shopper, app=quiet_app)

    world.expect.profile(shopper)  # the token is sent to on the person's profile
    skipped = ship(world, shopper)
    world.require(not sent_to(world, shopper, skipped), "push_enabled is false")
    delivery = ship(world, shopper, to=phone.token)
    world.expect.push_outcome(phone, shopper, "shown quietly", delivery_id=delivery)
    world.expect.metrics(shopper, delivery, delivered=1, opened=0)


@scenario(needs=["native_app", "receives_push"])
def notifications_turned_off_in_settings_drop_the_push(world: World) -> None:
    """Turned off in Settings while the app sleeps: sent anyway, dropped by the OS.

    The SDK hears of the change only when the app comes back, so push_enabled
    stays true. Android's SDK reports delivered on receipt, before the OS drops
    the notification; iOS runs no extension for a push it will not present.
    """
    shopper = world.shopper()
    phone = ready(world, shopper)
    phone.set_notifications(False)

    delivery = ship(world, shopper)
    world.advance(world.profile.background.push_delay)
    world.expect.push_outcome(phone, shopper, "dropped", delivery_id=delivery)
    on_receipt = 1 if world.profile.platform == "android" else 0
    world.expect.metrics(shopper, delivery, delivered=on_receipt, opened=0)


@scenario(needs=["native_app", "receives_push"])
def app_that_never_asks_depends_on_the_os(world: World) -> None:
    """An app that never asks for permission: shown on old Android, silent elsewhere.

    Android up to 12 turns notifications on at install; Android 13+ and iOS
    start with them off, so the SDK reports push_enabled false and the backend
    has no device to send to (field report FR-19).
    """
    shopper = world.shopper()
    silent_app = world.app.model_copy(update={"permission_prompt": "never"})
    phone = ready(world, shopper, app=silent_app)

    delivery = ship(world, shopper)
    world.advance(world.profile.background.push_delay)
    if world.profile.permission.initial == "granted":
        world.expect.push_outcome(phone, shopper, "shown", delivery_id=delivery)
    else:
        tokens = sent_to(world, shopper, delivery)
        world.require(not tokens, f"nothing should be sent, but went to {tokens}")
        world.expect.no_push(phone, shopper)


@scenario(needs=["notification_channels", "receives_push"])
def blocked_channel_drops_while_push_enabled_stays_true(world: World) -> None:
    """The SDK's notification channel is blocked: dropped, yet counted as delivered.

    The app-level switch stays on, so push_enabled stays true and the backend
    keeps sending to a phone that shows nothing.
    """
    shopper = world.shopper()
    phone = ready(world, shopper)
    phone.block_channel()

    delivery = ship(world, shopper)
    world.advance(world.profile.background.push_delay)
    world.expect.push_outcome(phone, shopper, "dropped", delivery_id=delivery)
    world.expect.metrics(shopper, delivery, delivered=1, opened=0)
    person = world.expect.profile(shopper)
    enabled = [d.push_enabled for d in world.workspace.devices.of(person)]
    world.require(enabled == [True], f"push_enabled should stay true, was {enabled}")


@scenario(needs=["force_stop", "receives_push"])
def force_stopped_app_gets_nothing_until_opened(world: World) -> None:
    """Force-stopped: the provider accepts, the phone gets nothing until a launch."""
    shopper = world.shopper()
    phone = ready(world, shopper)
    phone.force_stop()

    lost = ship(world, shopper)
    world.expect.push_outcome(phone, shopper, "not delivered", delivery_id=lost)
    world.expect.metrics(shopper, lost, delivered=0)

    phone.launch()
    phone.background()
    after = ship(world, shopper)
    world.advance(world.profile.background.push_delay)
    world.expect.push_outcome(phone, shopper, "shown", delivery_id=after)


@scenario(needs=["delays_push", "receives_push"])
def oem_battery_saver_delays_the_push(world: World) -> None:
    """The OEM battery saver holds a backgrounded app's push for the profile's delay."""
    shopper = world.shopper()
    phone = ready(world, shopper)

    delivery = ship(world, shopper)
    world.expect.push_outcome(phone, shopper, "delayed", delivery_id=delivery)
    world.expect.metrics(shopper, delivery, delivered=0)

    world.advance(world.profile.background.push_delay)
    world.expect.push_outcome(
        phone, shopper, "shown", delivery_id=delivery, went_through="delayed"
    )
    world.expect.metrics(shopper, delivery, delivered=1)


@scenario(needs=["doze", "receives_push"])
def doze_holds_normal_priority_until_a_maintenance_window(world: World) -> None:
    """Doze: a normal-priority push waits for a maintenance window, high does not.

    Customer.io sends Android pushes at high priority; a custom payload that
    lowers it lets Doze hold the message until the phone's next window.
    """
    shopper = world.shopper()
    phone = ready(world, shopper)
    phone.doze()

    normal = {"android": {"message": {"android": {"priority": "normal"}}}}
    held = ship(world, shopper, custom_payload=normal)
    world.expect.push_outcome(phone, shopper, "delayed", delivery_id=held)
    urgent = ship(world, shopper, data={"order_number": "1002"})
    world.advance(world.profile.background.push_delay)
    world.expect.push_outcome(phone, shopper, "shown", delivery_id=urgent)

    world.advance(hours=1)
    world.expect.push_outcome(
        phone, shopper, "shown", delivery_id=held, went_through="delayed"
    )
    world.expect.metrics(shopper, held, delivered=1)


@scenario(needs=["receives_push"])
def offline_device_gets_what_its_provider_stored(world: World) -> None:
    """Two pushes while offline: APNs keeps only the newer, FCM and Web Push both."""
    shopper = world.shopper()
    device = ready(world, shopper)
    device.go_offline()

    first = ship(world, shopper, data={"order_number": "1001"})
    world.advance(minutes=5)
    second = ship(world, shopper, data={"order_number": "1002"})
    world.expect.push_outcome(
        device, shopper, "stored until online", delivery_id=second
    )

    world.advance(minutes=30)
    device.go_online()
    world.advance(world.profile.background.push_delay)
    stored = "stored until online"
    world.expect.push_outcome(
        device, shopper, "shown", delivery_id=second, went_through=stored
    )
    if world.profile.push.service == "apns":
        world.expect.push_outcome(device, shopper, "never", delivery_id=first)
    else:
        world.expect.push_outcome(
            device, shopper, "shown", delivery_id=first, went_through=stored
        )


@scenario(needs=["native_app", "receives_push"])
def uninstalled_app_never_sees_the_push(world: World) -> None:
    """Uninstalled: accepted for a while, shown never; then unregistered and pruned.

    The provider keeps answering success for the profile's invalidation lag;
    the first send after it is refused as unregistered and the workspace drops
    the token (field reports FR-14 and FR-15).
    """
    shopper = world.shopper()
    phone = ready(world, shopper)
    phone.uninstall()

    accepted = ship(world, shopper)
    world.expect.push_outcome(phone, shopper, "never", delivery_id=accepted)
    world.expect.metrics(shopper, accepted, delivered=0)

    world.advance(world.profile.token.invalidation_lag)
    ship(world, shopper)
    person = world.expect.profile(shopper)
    left = [d.token for d in world.workspace.devices.of(person)]
    world.require(not left, f"the dead token should be pruned, found {left}")


@scenario(needs=["web_push"])
def blocked_site_notifications_kill_the_subscription(world: World) -> None:
    """Notifications blocked for the site: the subscription dies and is pruned.

    The browser deactivates the subscription and the web SDK reports
    push_enabled false, so an ordinary send skips it; a send to the old
    endpoint is refused as gone and the workspace drops it.
    """
    shopper = world.shopper()
    browser = ready(world, shopper)
    endpoint = world.expect.subscribed(browser, shopper)  # the app asked, they allowed
    world.expect.profile(shopper)  # the endpoint is sent to on the person's profile
    browser.set_notifications(False)

    skipped = ship(world, shopper)
    world.require(not sent_to(world, shopper, skipped), "push_enabled is false")
    ship(world, shopper, to=endpoint)
    world.expect.no_push(browser, shopper)
    person = world.expect.profile(shopper)
    left = [d.token for d in world.workspace.devices.of(person)]
    world.require(endpoint not in left, "the dead subscription should be pruned")
