"""Set-up steps that tests of the emulated phone share."""

from __future__ import annotations

from typing import Any

from harness.device.phone import EmulatedPhone
from harness.world import World

ORDER = {"order_number": "1001", "items": "your order"}


def ready(world: World) -> EmulatedPhone:
    """Install, launch, log in (granting the prompt) and background the app."""
    phone = world.device(world.shopper())
    assert isinstance(phone, EmulatedPhone)
    phone.install(world.app)
    phone.launch()
    phone.log_in(world.shopper())
    phone.background()
    return phone


def ship(world: World, **options: Any) -> str:
    """Send the order-shipped transactional push to the shopper; its delivery id."""
    return world.send_push(world.shopper(), "order-shipped", data=ORDER, **options)
