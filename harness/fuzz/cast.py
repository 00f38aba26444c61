"""The cast of a generated journey: phones of named device profiles.

A world makes devices of the one profile under test; a generated journey
mixes profiles (an iPhone and an Android phone for one shopper), so found
scenarios make each phone by profile name, the same way in every cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..device.phone import EmulatedPhone
from ..errors import Unsupported
from ..profiles import DeviceProfile, find_profile, load_profiles

if TYPE_CHECKING:
    from ..apps import AppProfile
    from ..people import Shopper
    from ..world import World

__all__ = ["ORDER", "build", "legacy_build", "phone"]

# The order-shipped message's data, as the checklist sends it.
ORDER: dict[str, Any] = {"order_number": "1001", "items": "your order"}


def phone(world: World, owner: Shopper, profile: str) -> EmulatedPhone:
    """Return a new phone of device profile ``profile`` held by ``owner``.

    It is named like the world's own devices (``alice's ios-17-iphone``, then
    ``#2``) and joins ``owner``'s devices, so their timeline includes it.
    """
    chosen = find_profile(load_profiles(world.root / "device-profiles"), profile)
    return build(world, owner, chosen)


def build(world: World, owner: Shopper, chosen: DeviceProfile) -> EmulatedPhone:
    """Return a new phone of the loaded profile ``chosen``, as :func:`phone` does."""
    if chosen.platform not in ("ios", "android"):
        raise Unsupported(
            f"device profile {chosen.name!r} is a {chosen.platform} browser; the "
            "fuzz machine plays phones, so choose ios or android profiles"
        )
    made = world.device(owner, profile=chosen)
    assert isinstance(made, EmulatedPhone)  # an ios or android profile
    return made


def legacy_build(world: World) -> AppProfile:
    """Return the app under test's previous build, on the legacy SDK generation.

    Install it, then ``update_app(world.app)`` to move the phone in place to
    the build under test, as the checklist's update item does.
    """
    app = world.app
    legacy = app.sdk.model_copy(update={"generation": "legacy"})
    return app.model_copy(update={"build": app.build - 1, "sdk": legacy})
