"""The world a scenario plays in: its cast, devices and clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from harness.errors import ScenarioError
from harness.world import World

MakeWorld = Callable[..., World]


def test_advance_with_an_unknown_unit_raises_scenario_error_naming_minutes(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    before = world.clock.now()

    with pytest.raises(ScenarioError, match="minutes") as caught:
        world.advance(mins=3)

    assert "mins" in str(caught.value)
    assert world.clock.now() == before


def test_advance_with_known_units_moves_the_clock(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    before = world.clock.now()

    world.advance(minutes=3)

    assert world.clock.now() - before == timedelta(minutes=3)


def test_second_mobile_browser_gets_its_own_name(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    shopper = world.shopper()

    first, second = world.mobile_browser(shopper), world.mobile_browser(shopper)

    assert (first.name, second.name) == (
        "shopper's mobile browser",
        "shopper's mobile browser #2",
    )
