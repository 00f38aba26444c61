"""The harness_world fixture: worlds for users' own tests."""

from __future__ import annotations

from datetime import timedelta

pytest_plugins = ["pytester"]


def test_harness_world_plays_a_journey_in_a_users_test(harness_world) -> None:  # type: ignore[no-untyped-def]
    world = harness_world("android-14-pixel")
    shopper, socks = world.shopper(), world.catalog["socks"]
    phone = world.device(shopper)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    phone.add_to_cart(socks)
    phone.background()
    world.advance(timedelta(minutes=31))
    item = world.expect.push_shown(phone, shopper, containing=socks.name)
    assert item.notification.service == "fcm"


def test_harness_world_names_an_unknown_profile(harness_world) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from harness import UnknownName

    with pytest.raises(UnknownName, match="known device profiles: android-10-huawei"):
        harness_world("pixel-99")
