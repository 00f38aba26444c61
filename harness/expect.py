"""Expectations on what people and devices ended up with, read as a user would.

Each check reads observations (a phone's inbox, a profile's events, devices and
deliveries) and, when it fails, raises ExpectationFailed with the claim, what was
seen instead, and the shopper's whole timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from .device.inbox import InboxItem, Outcome
from .errors import ExpectationFailed, ScenarioError
from .journal import short_token
from .workspace import Delivery, Person

if TYPE_CHECKING:
    from .people import Shopper
    from .world import World


class HasInbox(Protocol):
    """Anything that receives pushes: an emulated phone or browser."""

    name: str

    @property
    def inbox(self) -> object:
        """Return the device's inbox."""


class Expect:
    """Checks bound to one world; each returns what it found for further use."""

    def __init__(self, world: World) -> None:
        self.world = world

    def push_shown(
        self,
        device: HasInbox,
        owner: Shopper,
        *,
        containing: str | None = None,
        after: datetime | None = None,
        within: tuple[timedelta, timedelta] | None = None,
    ) -> InboxItem:
        """Check that ``device`` showed a push, optionally naming ``containing``."""
        if within is not None and after is None:
            raise ScenarioError(
                "push_shown(within=...) measures from a moment: pass after=, e.g. "
                "after=cart_at where cart_at = world.clock.now()"
            )
        items = _items(device)
        shown = [i for i in items if i.outcome.visible]
        if containing is not None:
            shown = [i for i in shown if containing in i.title + " " + i.body]
        if within is not None and after is not None:
            low, high = after + within[0], after + within[1]
            shown = [i for i in shown if low <= i.at <= high]
        if shown:
            return shown[0]
        what = "a push" + (f" containing {containing!r}" if containing else "")
        if within is not None:
            what += f" between {within[0]} and {within[1]} after the trigger"
        seen = (
            "; ".join(
                f"{i.title!r} {i.outcome.value} ({i.reason}) at "
                f"{self.world.offset(i.at)}"
                for i in items
            )
            or "no push at all"
        )
        self._fail(owner, f"{device.name} should have shown {what}", seen)
        raise AssertionError  # unreachable: _fail raises

    def push_came_through(
        self, device: HasInbox, owner: Shopper, item: InboxItem, *, token: str | None
    ) -> None:
        """Check the push reached ``device`` once, and only through ``token``."""
        same = [
            i
            for i in _items(device)
            if i.outcome.visible and i.delivery_id == item.delivery_id
        ]
        tokens = sorted({short_token(i.notification.token) for i in same})
        if len(same) != 1 or token is None or same[0].notification.token != token:
            self._fail(
                owner,
                f"{device.name} should have shown delivery "
                f"{item.delivery_id} once, through token {short_token(str(token))}",
                f"shown {len(same)} time(s) through {', '.join(tokens)}",
            )

    def no_push(self, device: HasInbox, owner: Shopper) -> None:
        """Check that ``device`` showed no push."""
        shown = [i for i in _items(device) if i.outcome.visible]
        if shown:
            seen = "; ".join(f"{i.title!r} {i.outcome.value}" for i in shown)
            self._fail(owner, f"{device.name} should have shown no push", seen)

    def push_outcome(
        self,
        device: HasInbox,
        owner: Shopper,
        outcome: str,
        *,
        delivery_id: str | None = None,
        went_through: str | None = None,
    ) -> InboxItem:
        """Check a push to ``device`` ended as ``outcome`` ("dropped", "never"...).

        ``delivery_id`` picks one delivery; ``went_through`` also asks that the
        push passed through an earlier outcome ("stored until online",
        "delayed") on its way.
        """
        wanted = _outcome(outcome)
        passed = _outcome(went_through) if went_through is not None else None
        items = _items(device)
        if delivery_id is not None:
            items = [i for i in items if i.delivery_id == delivery_id]
        found = [
            i
            for i in items
            if i.outcome is wanted
            and (passed is None or any(passed.value in h for h in i.history))
        ]
        if found:
            return found[0]
        what = f"a push{f' of delivery {delivery_id}' if delivery_id else ''}"
        via = f" by way of {passed.value!r}" if passed else ""
        seen = (
            "; ".join(
                f"{i.title!r} {i.outcome.value} ({i.reason}), went "
                f"{' -> '.join(i.history)}"
                for i in _items(device)
            )
            or "no push reached the device or its provider's store"
        )
        self._fail(
            owner, f"{device.name} should show {what} as {wanted.value!r}{via}", seen
        )
        raise AssertionError  # unreachable: _fail raises

    def metrics(self, owner: Shopper, delivery_id: str, **counts: int) -> None:
        """Check how often each metric was reported for a delivery (``opened=1``)."""
        delivery = next(
            (d for d in self.deliveries(owner) if d.id == delivery_id), None
        )
        if delivery is None:
            self._fail(
                owner,
                f"delivery {delivery_id} should be on {owner.role}'s profile",
                self._deliveries_seen(owner),
            )
            raise AssertionError
        got = {name: len(delivery.metrics.get(name, [])) for name in counts}
        if got != counts:
            want = ", ".join(f"{k}={v}" for k, v in counts.items())
            seen = ", ".join(f"{k}={v}" for k, v in got.items())
            self._fail(owner, f"delivery {delivery_id} should have {want}", seen)

    def email_sent(self, owner: Shopper, *, containing: str | None = None) -> Delivery:
        """Check that the shopper's profile got an email."""
        emails = [d for d in self.deliveries(owner) if d.channel == "email"]
        if containing is not None:
            emails = [d for d in emails if containing in d.subject + " " + d.body]
        if not emails:
            self._fail(
                owner,
                f"{owner.role} should have been sent an email"
                + (f" containing {containing!r}" if containing else ""),
                self._deliveries_seen(owner),
            )
        return emails[0]

    def nothing_sent(self, owner: Shopper) -> None:
        """Check that no message of any channel went to the shopper."""
        if self.deliveries(owner):
            self._fail(
                owner,
                f"nothing should have been sent to {owner.role}",
                self._deliveries_seen(owner),
            )

    def no_push_sent(self, owner: Shopper) -> None:
        """Check that no push delivery was made to the shopper's profile."""
        pushes = [d for d in self.deliveries(owner) if d.channel == "push"]
        if pushes:
            self._fail(
                owner,
                f"no push should have been sent to {owner.role}",
                self._deliveries_seen(owner),
            )

    def pushes_only_to(self, owner: Shopper, tokens: list[str]) -> None:
        """Check that every push to the shopper targeted only ``tokens``."""
        pushes = [d for d in self.deliveries(owner) if d.channel == "push"]
        stray = sorted({t for d in pushes for t in d.tokens if t not in tokens})
        if not pushes or stray:
            seen = (
                f"sent to stray tokens {', '.join(short_token(t) for t in stray)}"
                if stray
                else "no push was sent"
            )
            self._fail(
                owner, f"pushes should target only {len(tokens)} live token(s)", seen
            )

    def event_on_profile(
        self, owner: Shopper, name: str, *, anonymous_id: str | None = None
    ) -> None:
        """Check the profile holds event ``name``, captured under ``anonymous_id``."""
        person = self.profile(owner)
        events = self.world.workspace.events_of(person)
        matching = [e for e in events if e.name == name]
        if anonymous_id is not None:
            matching = [e for e in matching if e.anonymous_id == anonymous_id]
        if not matching:
            where = f" from anonymous id {anonymous_id}" if anonymous_id else ""
            held = self.world.workspace.anonymous_events(anonymous_id or "")
            seen = (
                f"profile has {', '.join(sorted({e.name for e in events})) or 'no'}"
                f" events; still anonymous: {len(held)} event(s)"
            )
            self._fail(
                owner, f"{person.label}'s profile should hold {name!r}{where}", seen
            )

    def campaign_exited(self, owner: Shopper, campaign: str, *, on: str) -> None:
        """Check the shopper entered ``campaign`` and left it because of ``on``."""
        person = self.profile(owner)
        journeys = [
            j
            for j in self.world.env.engine.journeys
            if j.person is person and j.campaign.name == campaign
        ]
        reason = f"{on!r} arrived after the trigger"
        if not any(any(reason in line for line in j.log) for j in journeys):
            seen = "; ".join(j.log[-1] for j in journeys) or f"never entered {campaign}"
            self._fail(
                owner, f"{person.label} should have left {campaign!r} on {on!r}", seen
            )

    def profile(self, owner: Shopper) -> Person:
        """Return the shopper's profile, failing if the workspace has none."""
        person = self.world.profile_of(owner)
        if person is None:
            self._fail(
                owner,
                f"a profile should exist for {owner.role} "
                f"({owner.user_id} / {owner.email})",
                "no profile: the app never identified them",
            )
            raise AssertionError
        return person

    def deliveries(self, owner: Shopper) -> list[Delivery]:
        """Return the deliveries sent to the shopper's profile."""
        person = self.world.profile_of(owner)
        return self.world.workspace.deliveries_of(person) if person else []

    def _deliveries_seen(self, owner: Shopper) -> str:
        found = self.deliveries(owner)
        return "; ".join(f"{d.channel} {d.subject!r}" for d in found) or "no deliveries"

    def _fail(self, owner: Shopper, claim: str, seen: str) -> None:
        timeline = self.world.timeline(owner, closing=f"failed: {claim}")
        raise ExpectationFailed(f"{claim}\n  saw: {seen}\n\n{timeline}")


def _outcome(name: str) -> Outcome:
    try:
        return Outcome(name)
    except ValueError:
        known = ", ".join(repr(o.value) for o in Outcome)
        raise ScenarioError(
            f"{name!r} is not a push outcome; use one of {known}"
        ) from None


def _items(device: HasInbox) -> list[InboxItem]:
    return list(getattr(device.inbox, "items", []))
