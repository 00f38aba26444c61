"""The push implementation checklist: one check per item, on any app profile.

Each check plays the smallest journey that shows whether the app meets the
item, says what it saw (``world.saw``) and fails through ``world.expect``, so
a failure names the item (the cell) and prints the shopper's timeline. The
first nine are the checklist's own items; the rest hold the app to the
invariants of shared/field-reports.md through the phone's lifecycle, so each
switchable field fault (harness/faults.py) fails at least one of them.
"""

from __future__ import annotations

from typing import cast

from harness import World, scenario
from harness.apps import AppProfile
from harness.device.app import ShopApp
from harness.device.phone import EmulatedPhone
from harness.device.sdk import VERSIONS
from harness.device.webapp import WebAppDevice
from harness.errors import ScenarioError, Unsupported
from harness.people import Product, Shopper

PUSH = ["native_app", "receives_push"]
SETTLE = {"minutes": 1}  # long enough for the SDK's 30-second flush
CART_WAIT = {"minutes": 45}  # past cart-recovery's 30-minute wait
INTERNAL = "internal-testers"  # the segment fixtures/broadcasts/ targets
ORDER = {"order_number": "1001", "items": "your order"}


def _phone(world: World, shopper: Shopper) -> EmulatedPhone:
    """Return a new phone of the profile under test for ``shopper``.

    Through Appium it is an AppiumPhone, which answers the same calls (on a
    harnessfake phone, what Appium has no command for goes to the emulated
    phone behind it; a real device raises Unsupported, a skip).
    """
    phone = world.device(shopper)
    if isinstance(phone, WebAppDevice):
        raise Unsupported(f"the checklist checks apps; {world.profile.name} is a site")
    return cast(EmulatedPhone, phone)


def _installed(phone: EmulatedPhone) -> ShopApp:
    """Return the app on ``phone``."""
    if phone.app is None:
        raise ScenarioError(f"{phone.name} has no app installed")
    return phone.app


def _signed_in(
    world: World, shopper: Shopper, app: AppProfile | None = None
) -> EmulatedPhone:
    """Install the app, open it and log in; the app stays in the foreground."""
    phone = _phone(world, shopper)
    phone.install(app or world.app)
    phone.launch()
    phone.log_in(shopper)
    world.advance(**SETTLE)
    return phone


def _held(world: World) -> None:
    """Wait out an OEM's push delay for a backgrounded app, if it has one."""
    world.advance(world.profile.background.push_delay)


# -- the checklist's items ------------------------------------------------------


@scenario(needs=PUSH)
def device_on_profile_after_token_capture(world: World) -> None:
    """The device shows on the profile once the token is captured and they log in."""
    shopper = world.shopper()
    phone = _phone(world, shopper)
    phone.install(world.app)
    phone.launch()  # the token arrives while the shopper is anonymous
    phone.view(world.catalog["bundle"])
    world.advance(minutes=2)
    phone.log_in(shopper)  # the app stays open: no relaunch to retry
    world.advance(**SETTLE)

    world.expect.device_on_profile(phone, shopper)
    world.saw("the current token is on the profile after login, without a relaunch")


@scenario(needs=["native_app"])
def identify_on_login_with_a_stable_id(world: World) -> None:
    """Logging in identifies the shopper, by a stable user id."""
    shopper = world.shopper()
    phone = _phone(world, shopper)
    phone.install(world.app)
    phone.launch()
    world.advance(minutes=1)
    phone.log_in(shopper)
    world.advance(**SETTLE)  # within the SDK's flush interval

    person = world.expect.identified_by_user_id(shopper)
    world.saw(f"profile id {person.id!r}, email {person.email!r}, right after login")


@scenario(needs=["native_app"])
def anonymous_activity_merged(world: World) -> None:
    """What the shopper did before logging in ends up on their profile."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = _phone(world, shopper)
    phone.install(world.app)
    phone.launch()
    anonymous_id = _installed(phone).sdk.anonymous_id
    phone.view(bundle)
    phone.add_to_cart(bundle)
    world.advance(minutes=5)  # uploaded while still anonymous
    phone.log_in(shopper)
    world.advance(**SETTLE)

    viewed = world.app.events.product_viewed.name
    world.expect.event_on_profile(shopper, viewed, anonymous_id=anonymous_id)
    world.saw(f"{viewed!r} captured while anonymous is on the profile")


@scenario(needs=["native_app"])
def core_events_follow_one_schema(world: World) -> None:
    """View, cart, checkout and purchase events follow the tracking plan."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = _signed_in(world, shopper)
    phone.view(bundle)
    phone.add_to_cart(bundle)
    phone.start_checkout(bundle)
    phone.complete_order(bundle)
    world.advance(**SETTLE)

    events = world.app.events
    names = [
        spec.name
        for spec in (
            events.product_viewed,
            events.add_to_cart,
            events.checkout_started,
            events.order_completed,
        )
    ]
    checked = world.expect.events_follow_plan(shopper, names)
    world.saw(f"{', '.join(checked)} on the profile, as the tracking plan asks")


@scenario(needs=PUSH)
def opt_in_and_opt_out_tracked_and_respected(world: World) -> None:
    """Granting and revoking notifications reach the profile and steer the sends."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = _signed_in(world, shopper)  # the prompt, if any, is allowed
    world.expect.push_enabled(phone, shopper, True)

    phone.set_notifications(False)  # in Settings
    phone.launch()  # back in the app: the SDK should notice
    world.advance(**SETTLE)
    world.expect.push_enabled(phone, shopper, False)

    phone.add_to_cart(bundle)
    phone.background()
    world.advance(**CART_WAIT)
    world.expect.no_push_sent(shopper)
    world.expect.email_sent(shopper, containing=bundle.name)
    world.saw("push_enabled true after the opt-in, false after the opt-out; the cart "
              "reminder went by email")  # fmt: skip


@scenario(needs=PUSH)
def push_deep_link_opens_the_right_screen(world: World) -> None:
    """Tapping the cart reminder opens the cart screen."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = _signed_in(world, shopper)
    phone.add_to_cart(bundle)
    phone.background()
    world.advance(**CART_WAIT)
    _held(world)

    item = world.expect.push_shown(phone, shopper, containing=bundle.name)
    phone.tap(item)
    world.expect.deep_link_opened(phone, shopper, "cart")
    world.saw(f"{item.notification.data.get('link')} opened the cart screen")


@scenario(needs=PUSH)
def internal_segment_receives_a_push(world: World) -> None:
    """A broadcast to the internal test segment reaches testers and no one else."""
    tester, shopper = world.shopper("tester"), world.shopper("shopper")
    tester_phone = _signed_in(world, tester)
    shopper_phone = _signed_in(world, shopper)
    tester_phone.background()
    shopper_phone.background()

    world.backend.add_to_segment(INTERNAL, [tester.user_id])
    world.backend.trigger_broadcast("internal-test")
    world.advance(**SETTLE)
    _held(world)

    item = world.expect.push_shown(tester_phone, tester)
    world.expect.no_push(shopper_phone, shopper)
    world.saw(f"{item.title!r} reached the tester only")


@scenario(needs=["native_app"])
def permission_prompt_not_on_first_launch(world: World) -> None:
    """The app asks for notification permission after a moment of value."""
    shopper = world.shopper()
    phone = _phone(world, shopper)
    phone.install(world.app)
    phone.launch()
    world.expect.prompt_not_at_first_launch(phone, shopper)
    phone.log_in(shopper)
    asked = ", ".join(_installed(phone).prompts) or "never (yet)"
    world.saw(f"no prompt on first launch; the app asked: {asked}")


@scenario(needs=["native_app"])
def late_purchase_suppresses_the_cart_push(world: World) -> None:
    """An order placed before the reminder is due stops it, even offline."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = _signed_in(world, shopper)
    phone.add_to_cart(bundle)
    world.advance(minutes=10)
    phone.complete_order(bundle)
    phone.go_offline()  # into the subway right after paying
    phone.background()
    world.advance(hours=2)
    phone.go_online()
    world.advance(**SETTLE)

    world.expect.nothing_sent(shopper)
    world.saw("the order stopped the cart reminder although the phone was offline")


# -- the lifecycle: tokens, accounts, offline -----------------------------------


@scenario(needs=PUSH)
def rotated_token_replaces_the_old_one(world: World) -> None:
    """A token the push service rotates, running or not, replaces the old one."""
    shopper = world.shopper()
    phone = _signed_in(world, shopper)
    phone.rotate_token()  # while the app runs
    world.advance(**SETTLE)
    world.expect.device_on_profile(phone, shopper)

    phone.swipe_away()
    phone.rotate_token()  # while it is closed: the next launch hands it over
    phone.launch()
    world.advance(**SETTLE)
    world.expect.device_on_profile(phone, shopper)
    phone.background()
    world.send_push(shopper, "order-shipped", data=ORDER)
    _held(world)
    world.expect.push_shown(phone, shopper)
    world.saw("the current token is on the profile after two rotations; the push "
              "arrived")  # fmt: skip


@scenario(needs=PUSH)
def restore_onto_a_new_phone_reaches_the_new_phone(world: World) -> None:
    """After a restore onto a new phone, pushes reach the new phone."""
    shopper = world.shopper()
    old = _signed_in(world, shopper)
    old.background()
    new = _phone(world, shopper)
    new.restore_from(old)
    new.launch()
    world.advance(**SETTLE)

    world.expect.device_on_profile(new, shopper)
    new.background()
    world.send_push(shopper, "order-shipped", data=ORDER)
    _held(world)
    world.expect.push_shown(new, shopper)
    world.saw("the new phone's token is on the profile and the push reached it")


@scenario(needs=PUSH)
def update_in_place_keeps_one_current_device(world: World) -> None:
    """An update to a new SDK major and push stack leaves one current device."""
    shopper = world.shopper()
    app = world.app
    if app.sdk.generation == "legacy":
        raise Unsupported(
            f"{app.name} is on the legacy SDK, so there is no newer SDK to update "
            "to; run this item on an app profile on the current SDK"
        )
    legacy = app.sdk.model_copy(update={"generation": "legacy"})
    old_build = app.model_copy(update={"build": app.build - 1, "sdk": legacy})
    phone = _signed_in(world, shopper, old_build)
    phone.background()

    phone.update_app(app, new_token=True)
    phone.launch()
    phone.log_in(shopper)  # the updated app identifies the signed-in shopper
    world.advance(**SETTLE)
    world.expect.device_on_profile(phone, shopper)
    world.expect.one_device_per_install(phone, shopper)
    current = VERSIONS[world.profile.platform]
    world.expect.device_attribute(phone, shopper, "cio_sdk_version", current)
    phone.background()
    delivery = world.send_push(shopper, "order-shipped", data=ORDER)
    _held(world)
    item = world.expect.push_outcome(phone, shopper, "shown", delivery_id=delivery)
    world.expect.push_came_through(phone, shopper, item, token=phone.token)
    world.saw(f"one device record on SDK {current}; the push was shown once")


@scenario(needs=PUSH)
def logout_takes_the_device_off_the_person(world: World) -> None:
    """After logout and another login, the phone gets only the new person's pushes."""
    alice, bob = world.shopper("alice"), world.shopper("bob")
    phone = _signed_in(world, alice)
    phone.log_out()
    world.advance(**SETTLE)
    world.expect.device_off_profile(phone, alice)

    phone.log_in(bob)
    phone.background()
    world.advance(**SETTLE)
    world.expect.device_off_profile(phone, alice)
    world.expect.device_on_profile(phone, bob)
    world.send_push(bob, "order-shipped", data=ORDER)
    _held(world)
    world.expect.push_shown(phone, bob)
    world.saw("the phone left alice's profile at logout and is on bob's")


@scenario(needs=["native_app"])
def each_event_lands_on_the_person_who_did_it(world: World) -> None:
    """Events keep the identity of their moment through an account switch offline."""
    alice, bob = world.shopper("alice"), world.shopper("bob")
    bundle, other = world.catalog["bundle"], _other_product(world)
    phone = _signed_in(world, alice)
    phone.go_offline()
    phone.add_to_cart(bundle)  # alice's cart, queued
    phone.log_in(bob)  # the account switcher: no logout in between
    phone.view(other)  # right after the identify
    phone.go_online()
    world.advance(**SETTLE)

    cart, viewed = world.app.events.add_to_cart.name, world.app.events.product_viewed
    world.expect.event_count(alice, cart, 1)
    world.expect.event_count(bob, cart, 0)
    world.expect.event_count(bob, viewed.name, 1)
    world.expect.event_count(alice, viewed.name, 0)
    world.saw(f"alice's {cart!r} and bob's {viewed.name!r} each on their own profile")


@scenario(needs=["native_app"])
def events_captured_offline_arrive_once(world: World) -> None:
    """A cold start offline loses nothing: each event arrives once, back online."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = _signed_in(world, shopper)
    phone.swipe_away()
    phone.go_offline()
    phone.launch()  # cold start: the settings fetch fails
    phone.view(bundle)
    phone.add_to_cart(bundle)
    world.advance(minutes=5)
    phone.go_online()
    world.advance(minutes=10)  # past any SDK's retry pause

    events = world.app.events
    world.expect.event_count(shopper, events.product_viewed.name, 1)
    world.expect.event_count(shopper, events.add_to_cart.name, 1)
    world.saw("both events captured offline arrived once")


@scenario(needs=PUSH)
def push_metrics_counted_once(world: World) -> None:
    """A plain push (title and body only) is counted delivered and opened once."""
    shopper = world.shopper()
    phone = _signed_in(world, shopper)
    phone.background()
    delivery = world.send_push(shopper, "account-notice")
    _held(world)

    item = world.expect.push_outcome(phone, shopper, "shown", delivery_id=delivery)
    phone.tap(item)
    world.advance(**SETTLE)
    world.expect.metrics(shopper, delivery, delivered=1, opened=1)
    world.saw("the plain push was counted delivered once and opened once")


def _other_product(world: World) -> Product:
    """Return a product of the catalog other than the bundle."""
    return next(p for k, p in world.catalog.products.items() if k != "bundle")
