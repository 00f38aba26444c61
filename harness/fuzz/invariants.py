"""The invariants of shared/field-reports.md as checks a found scenario can call.

Each check takes concrete values (a phone, a shopper, a count), reads the
workspace and the phones the way :mod:`harness.expect` does, and raises
ExpectationFailed naming the invariant, the claim and what it saw, followed by
the shopper's timeline. The machine computes the expected values from its
model and calls these same functions, so a scenario written from a failed
run ends with the very call that failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..device.phone import EmulatedPhone
from ..errors import ExpectationFailed
from ..journal import short_token
from ..workspace import Delivery, Device, Person

if TYPE_CHECKING:
    from ..people import Shopper
    from ..world import World

__all__ = [
    "delivered_counts",
    "events_between",
    "push_enabled_is",
    "reaches",
    "registered",
    "token_not_on",
]


def registered(world: World, phone: EmulatedPhone, owner: Shopper) -> None:
    """I1: check the phone's current token is on ``owner``'s profile, once."""
    rule = "I1 registration"
    person = _profile(world, owner, rule)
    devices = world.workspace.devices.of(person)
    token = (phone.token or "").lower()
    same = [d for d in devices if d.token.lower() == token]
    if phone.token is None or len(same) != 1:
        _fail(
            world,
            owner,
            rule,
            f"{phone.name} is logged in as {owner.role}, so its current token "
            f"{short_token(phone.token or '-')} should be on {person.label}'s "
            "profile exactly once",
            _devices(devices),
        )


def token_not_on(world: World, phone: EmulatedPhone, owner: Shopper) -> None:
    """I2: check the phone's current token is not on ``owner``'s profile."""
    person = world.profile_of(owner)
    if person is None or phone.token is None:
        return
    token = phone.token.lower()
    held = [d for d in world.workspace.devices.of(person) if d.token.lower() == token]
    if held:
        _fail(
            world,
            owner,
            "I2 single owner",
            f"{phone.name}'s current token {short_token(phone.token)} should not "
            f"be on the profile found for {owner.role} ({_found_by(owner, person)}"
            f"): {owner.role} is not logged in there",
            _devices(held),
        )


def _found_by(owner: Shopper, person: Person) -> str:
    """Name a profile and how it was found for ``owner``: by user id or email."""
    how = "user id" if person.id == owner.user_id else "email"
    return f"{person.label}, by {how}"


def events_between(
    world: World,
    owner: Shopper,
    name: str,
    low: int,
    high: int,
    rule: str = "I3 attribution at capture",
) -> None:
    """I3, I4, I8: check ``owner``'s profile holds ``name`` ``low``..``high`` times.

    Without a profile the count is zero.
    """
    person = world.profile_of(owner)
    events = world.workspace.events_of(person) if person else []
    got = sum(e.name == name for e in events)
    if not low <= got <= high:
        want = f"{low}" if low == high else f"{low} to {high}"
        label = person.label if person else f"{owner.role} (no profile)"
        _fail(
            world,
            owner,
            rule,
            f"{label} should hold {name!r} {want} time(s), as captured on the phones",
            f"{got} time(s); events: {', '.join(e.name for e in events) or 'none'}",
        )


def push_enabled_is(
    world: World, phone: EmulatedPhone, owner: Shopper, enabled: bool
) -> None:
    """I5: check the phone's device record says push_enabled ``enabled``."""
    person = _profile(world, owner, "I5 freshness")
    token = (phone.token or "").lower()
    records = [
        d for d in world.workspace.devices.of(person) if d.token.lower() == token
    ]
    if not records or any(d.push_enabled != enabled for d in records):
        _fail(
            world,
            owner,
            "I5 freshness",
            f"{phone.name} is in the foreground with notifications "
            f"{phone.permission.replace('_', ' ')}, so its device record should say "
            f"push_enabled={str(enabled).lower()}",
            _devices(records),
        )


def reaches(
    world: World,
    owner: Shopper,
    delivery_id: str,
    phones: Sequence[EmulatedPhone],
    others: Sequence[EmulatedPhone] = (),
) -> None:
    """I6: check a send to ``owner`` targeted all of ``phones``, none of ``others``.

    ``phones`` are the phones logged in as ``owner`` with notifications on;
    ``others`` are phones logged in as someone else, or logged out.
    """
    rule = "I6 reachability"
    delivery = _delivery(world, owner, delivery_id, rule)
    missed = [p.name for p in phones if p.token not in delivery.tokens]
    stray = [p.name for p in others if p.token in delivery.tokens]
    if missed or stray:
        claim = f"delivery {delivery_id} to {owner.role} should target " + (
            ", ".join(p.name for p in phones) or "no phone"
        )
        seen = "; ".join(
            [f"missed {', '.join(missed)}"] * bool(missed)
            + [f"also targeted {', '.join(stray)}"] * bool(stray)
        )
        _fail(world, owner, rule, claim, f"{seen}; tokens {_tokens(delivery)}")


def delivered_counts(
    world: World,
    owner: Shopper,
    delivery_id: str,
    delivered: tuple[int, int],
    opened: tuple[int, int],
) -> None:
    """I7: check a delivery's delivered and opened counts fall in their ranges.

    ``delivered`` spans the pushes shown (iOS reports those) to the pushes that
    reached an Android app (Android reports on receipt); ``opened`` is the taps.
    """
    rule = "I7 metrics"
    delivery = _delivery(world, owner, delivery_id, rule)
    got = {k: len(delivery.metrics.get(k, [])) for k in ("delivered", "opened")}
    want = {"delivered": delivered, "opened": opened}
    wrong = [k for k, (lo, hi) in want.items() if not lo <= got[k] <= hi]
    if wrong:
        claim = ", ".join(f"{k} {_span(want[k])}" for k in wrong)
        _fail(
            world,
            owner,
            rule,
            f"delivery {delivery_id} ({delivery.subject!r}) should be counted {claim}",
            ", ".join(f"{k}={got[k]}" for k in wrong),
        )


def _span(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return f"{low} time(s)" if low == high else f"{low} to {high} times"


def _profile(world: World, owner: Shopper, rule: str) -> Person:
    person = world.profile_of(owner)
    if person is None:
        _fail(
            world,
            owner,
            rule,
            f"a profile should exist for {owner.role} ({owner.user_id}): they "
            "logged in on a phone",
            "no profile: the app never identified them",
        )
        raise AssertionError  # unreachable: _fail raises
    return person


def _delivery(world: World, owner: Shopper, delivery_id: str, rule: str) -> Delivery:
    for person in world.workspace.people.values():
        for delivery in world.workspace.deliveries_of(person):
            if delivery.id == delivery_id:
                return delivery
    _fail(world, owner, rule, f"delivery {delivery_id} should exist", "no such id")
    raise AssertionError  # unreachable: _fail raises


def _devices(devices: Sequence[Device]) -> str:
    return (
        "; ".join(
            f"{short_token(d.token)} (push_enabled="
            f"{d.attributes.get('push_enabled')!r})"
            for d in devices
        )
        or "no matching device on the profile"
    )


def _tokens(delivery: Delivery) -> str:
    return ", ".join(short_token(t) for t in delivery.tokens) or "none"


def _fail(world: World, owner: Shopper, rule: str, claim: str, seen: str) -> None:
    timeline = world.timeline(owner, closing=f"failed: {rule}: {claim}")
    raise ExpectationFailed(f"{rule}: {claim}\n  saw: {seen}\n\n{timeline}")
