"""Set-up steps that tests of the emulated phone share."""

from __future__ import annotations

from harness.device.phone import EmulatedPhone
from harness.world import World


def ready(world: World) -> EmulatedPhone:
    """Install, launch, log in (granting the prompt) and background the app."""
    phone = world.device(world.shopper())
    assert isinstance(phone, EmulatedPhone)
    phone.install(world.app)
    phone.launch()
    phone.log_in(world.shopper())
    phone.background()
    return phone
