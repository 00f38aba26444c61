"""Expectations: they check what a user would see and misuse is a ScenarioError."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from harness.device.phone import EmulatedPhone
from harness.errors import ExpectationFailed, ScenarioError
from harness.world import World

MakeWorld = Callable[..., World]


def order_after_cart(world: World) -> EmulatedPhone:
    """Log in, fill the cart, then order ten minutes later, inside the wait."""
    shopper, bundle = world.shopper(), world.catalog["bundle"]
    phone = world.device(shopper)
    assert isinstance(phone, EmulatedPhone)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    phone.add_to_cart(bundle)
    world.advance(minutes=10)
    phone.complete_order(bundle)
    phone.background()
    world.advance(minutes=60)
    return phone


def test_push_shown_within_without_after_raises_scenario_error(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = world.device(world.shopper())
    window = (timedelta(minutes=30), timedelta(hours=1))

    with pytest.raises(ScenarioError, match="after="):
        world.expect.push_shown(phone, world.shopper(), within=window)


def test_campaign_exited_passes_when_the_order_follows_the_cart(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    order_after_cart(world)

    world.expect.campaign_exited(world.shopper(), "cart-recovery", on="order_completed")


def test_campaign_exited_fails_when_the_app_never_identifies(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone", "never-identifies")
    order_after_cart(world)

    with pytest.raises(ExpectationFailed, match="no profile"):
        world.expect.campaign_exited(
            world.shopper(), "cart-recovery", on="order_completed"
        )
