"""Cart recovery: the journey QA asks about first, and its three classic variants.

Each scenario plays what a shopper does; the app profile decides how the app
wires the SDK, and the device profile how the phone behaves. The campaign is
fixtures/campaigns/cart-recovery.yaml: wait 30 minutes after added_to_cart, exit
on order_completed, push to a reachable device or else email.
"""

from __future__ import annotations

from datetime import timedelta

from harness import World, scenario

HALF_HOUR, HOUR = timedelta(minutes=30), timedelta(minutes=60)


@scenario(needs=["native_app", "receives_push"])
def anonymous_web_cart_reaches_the_app(world: World) -> None:
    """A cart filled anonymously in the mobile browser comes back as an app push."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    browser = world.mobile_browser(shopper)
    browser.view(bundle)
    browser.add_to_cart(bundle)
    cart_at = world.clock.now()

    world.advance(minutes=3)
    phone = world.device(shopper)
    phone.install(world.app, referrer=browser.app_link())
    phone.launch()
    world.advance(minutes=2)
    phone.log_in(shopper)  # to check shipping
    phone.background()

    world.advance(minutes=60)
    world.expect.event_on_profile(
        shopper, "added_to_cart", anonymous_id=browser.anonymous_id
    )
    world.expect.push_shown(
        phone, shopper, containing=bundle.name, after=cart_at, within=(HALF_HOUR, HOUR)
    )


@scenario
def denied_notifications_fall_back_to_email(world: World) -> None:
    """Notifications denied: the campaign emails instead and no push is sent."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    device = world.device(shopper, answers_prompt="deny")
    device.install(world.app)
    device.launch()
    device.log_in(shopper)
    if not world.profile.has_runtime_prompt:
        # No runtime prompt on this OS: the shopper turns them off in Settings.
        device.set_notifications(False)
        device.launch()
    device.add_to_cart(bundle)
    device.background()

    world.advance(minutes=45)
    world.expect.email_sent(shopper, containing=bundle.name)
    world.expect.no_push_sent(shopper)
    world.expect.no_push(device, shopper)


@scenario
def order_completed_stops_the_reminder(world: World) -> None:
    """The order arrives 10 minutes after the cart: nothing is sent at all."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    device = world.device(shopper)
    device.install(world.app)
    device.launch()
    device.log_in(shopper)
    device.add_to_cart(bundle)
    world.advance(minutes=10)
    device.complete_order(bundle)
    device.background()

    world.advance(minutes=60)
    world.expect.campaign_exited(shopper, "cart-recovery", on="order_completed")
    world.expect.nothing_sent(shopper)
    world.expect.no_push(device, shopper)


@scenario(needs=["native_app", "receives_push"])
def reinstall_before_the_send_reaches_the_new_install(world: World) -> None:
    """Reinstalled before the send: the push reaches the phone through the new token."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = world.device(shopper)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    phone.add_to_cart(bundle)
    old_token = phone.token
    world.advance(minutes=10)

    phone.reinstall()
    phone.launch()
    phone.log_in(shopper)
    phone.background()
    world.require(phone.token != old_token, "a reinstall should issue a new token")

    world.advance(minutes=50)
    item = world.expect.push_shown(phone, shopper, containing=bundle.name)
    world.expect.push_came_through(phone, shopper, item, token=phone.token)
