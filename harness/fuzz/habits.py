"""Checks beyond the field reports: SDK version, prompts, the plan, reminders.

These catch what an app does wrong that no device or event count shows: a
device record left on the old SDK after an update (I5, as field-reports.md
counts the SDK version as a device attribute), a permission prompt on first
launch, events off the tracking plan, a person who would allow notifications
left without them, and a cart reminder for what was already bought. Like
:mod:`.invariants`, each takes concrete values and raises ExpectationFailed
naming the rule, so a found scenario ends with the call that failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..device.phone import EmulatedPhone
from ..device.sdk import VERSIONS
from ..journal import short_token
from ..tracking import audit, load_plan
from .invariants import _devices, _fail, _profile

if TYPE_CHECKING:
    from ..people import Shopper
    from ..world import World

__all__ = [
    "CART_CAMPAIGN",
    "events_fit_plan",
    "no_cart_reminder",
    "no_first_launch_prompt",
    "notifications_on",
    "sdk_is_current",
]

CART_CAMPAIGN = "cart-recovery"


def sdk_is_current(world: World, phone: EmulatedPhone, owner: Shopper) -> None:
    """I5: check the phone's device records carry the app's current SDK version."""
    rule = "I5 freshness"
    person = _profile(world, owner, rule)
    token = (phone.token or "").lower()
    records = [
        d for d in world.workspace.devices.of(person) if d.token.lower() == token
    ]
    want = VERSIONS[phone.profile.platform]
    stale = [d for d in records if d.attributes.get("cio_sdk_version") != want]
    if stale:
        got = ", ".join(
            f"{short_token(d.token)} on {d.attributes.get('cio_sdk_version')!r}"
            for d in stale
        )
        _fail(
            world,
            owner,
            rule,
            f"{phone.name} runs SDK {want}, so its device record should say "
            f"cio_sdk_version={want!r}",
            got,
        )


def no_first_launch_prompt(world: World, phone: EmulatedPhone, owner: Shopper) -> None:
    """I9: check the phone's app did not ask for notifications on first launch."""
    app = phone.app
    if app is not None and "first launch" in app.prompts:
        _fail(
            world,
            owner,
            "I9 prompt timing",
            f"{phone.name}'s app should ask for notification permission after a "
            "moment of value, not on its first launch",
            f"prompts: {', '.join(app.prompts)}",
        )


def events_fit_plan(world: World, owner: Shopper) -> None:
    """I10: check every event on ``owner``'s profile fits the tracking plan."""
    plan = load_plan(world.root)
    person = world.profile_of(owner)
    if plan is None or person is None:
        return
    findings = audit(plan, world.workspace.events_of(person))
    if findings:
        _fail(
            world,
            owner,
            "I10 tracking plan",
            f"every event on {person.label}'s profile should fit {plan.source}",
            "; ".join(f.text for f in findings),
        )


def notifications_on(world: World, phone: EmulatedPhone, owner: Shopper) -> None:
    """I11: check a logged-in phone whose user allows them has notifications on."""
    if phone.permission != "granted":
        person = world.profile_of(owner)
        records = (
            [d for d in world.workspace.devices.of(person) if d.token == phone.token]
            if person
            else []
        )
        _fail(
            world,
            owner,
            "I11 permission asked",
            f"{phone.name} is logged in as {owner.role}, who allows notifications "
            "when asked, and never turned them off, so they should be on",
            f"notifications {phone.permission.replace('_', ' ')} "
            f"({phone.why_off()}); {_devices(records)}",
        )


def no_cart_reminder(world: World, owner: Shopper) -> None:
    """I12: check no cart reminder went to ``owner``, who ordered within its wait."""
    sent = [d for d in world.expect.deliveries(owner) if d.campaign == CART_CAMPAIGN]
    if sent:
        _fail(
            world,
            owner,
            "I12 cart reminder",
            f"{owner.role} placed an order within {CART_CAMPAIGN}'s wait after each "
            "add to cart, so no cart reminder should go out",
            "; ".join(
                f"{d.channel} {d.subject!r} at {d.created_at:%H:%M}" for d in sent
            ),
        )
