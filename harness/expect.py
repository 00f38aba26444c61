"""Expectations on what people and devices ended up with, read as a user would.

Each check reads observations (a phone's inbox, a profile's events, devices and
deliveries) and, when it fails, raises ExpectationFailed with the claim, what was
seen instead, and the shopper's whole timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from .device.inbox import InboxItem, Outcome
from .errors import ExpectationFailed, ScenarioError
from .journal import short_token
from .tracking import audit, load_plan
from .workspace import Delivery, Device, Event, Person

if TYPE_CHECKING:
    from .people import Shopper
    from .world import World


class HasInbox(Protocol):
    """Anything that receives pushes: an emulated phone or browser."""

    name: str

    @property
    def inbox(self) -> object:
        """Return the device's inbox."""


class HasToken(Protocol):
    """A phone as the device checks see it: its name and its push tokens."""

    name: str
    token: str | None
    tokens_seen: list[str]


class HasSubscription(Protocol):
    """A browser as the subscription check sees it."""

    name: str

    @property
    def subscription(self) -> dict[str, Any] | None: ...


class HasSetting(HasToken, Protocol):
    """A phone as the opt-in check sees it: also its notification setting."""

    permission: str

    def why_off(self) -> str:
        """Say why the OS shows nothing for this app."""


class _App(Protocol):
    screen: str | None
    opened_links: list[str]
    prompts: list[str]


class HasApp(Protocol):
    """A phone as the app checks see it: its name and the app on it."""

    name: str

    @property
    def app(self) -> _App | None:
        """Return the app installed on the device, if any."""


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
        seen = "; ".join(
            f"{i.title!r} {i.outcome.value} ({i.reason}) at {self.world.offset(i.at)}"
            for i in items
        ) or (
            "no push reached the device; sent to "
            f"{owner.role}: {self._deliveries_seen(owner)}"
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

    def device_on_profile(self, device: HasToken, owner: Shopper) -> Device:
        """Check the device's current token is on the shopper's profile, once."""
        person = self.profile(owner)
        devices = self.world.workspace.devices.of(person)
        token = device.token
        found = [d for d in devices if token is not None and d.token == token]
        if not found:
            now = f"token {short_token(token)}" if token else "no token at all"
            self._fail(
                owner,
                f"{device.name}'s current push token should be on {person.label}'s "
                f"profile (the phone has {now})",
                _devices_seen(devices),
            )
        return found[0]

    def one_device_per_install(self, device: HasToken, owner: Shopper) -> None:
        """Check the profile holds the device's current token in one record only.

        Tokens are compared without case, as APNs compares hex tokens, so a
        second record of the same install in another spelling counts too.
        """
        person = self.profile(owner)
        devices = self.world.workspace.devices.of(person)
        token = _normal(device.token or "")
        same = [d for d in devices if _normal(d.token) == token]
        if len(same) != 1:
            self._fail(
                owner,
                f"{person.label}'s profile should hold {device.name}'s current "
                f"token {short_token(device.token or '-')} in one device record",
                _devices_seen(devices),
            )

    def device_off_profile(self, device: HasToken, owner: Shopper) -> None:
        """Check none of the device's tokens is on the shopper's profile."""
        person = self.world.profile_of(owner)
        if person is None:
            return
        devices = self.world.workspace.devices.of(person)
        stale = [d for d in devices if d.token in device.tokens_seen]
        if stale:
            self._fail(
                owner,
                f"{device.name} should no longer be on {person.label}'s profile",
                _devices_seen(stale),
            )

    def push_enabled(self, device: HasSetting, owner: Shopper, enabled: bool) -> None:
        """Check the profile's record of the device says push_enabled ``enabled``."""
        record = self.device_on_profile(device, owner)
        if record.push_enabled != enabled:
            value = record.attributes.get("push_enabled")
            state = device.permission.replace("_", " ")
            if device.permission != "granted":
                state += f" ({device.why_off()})"
            self._fail(
                owner,
                f"{device.name} should be push_enabled={str(enabled).lower()} on the "
                "profile",
                f"push_enabled={value!r}, last reported at "
                f"{self.world.offset(record.registered_at)}; the phone's "
                f"notifications are {state}",
            )

    def device_attribute(
        self, device: HasToken, owner: Shopper, name: str, value: object
    ) -> None:
        """Check the device record on the profile has ``name`` set to ``value``."""
        record = self.device_on_profile(device, owner)
        if record.attributes.get(name) != value:
            self._fail(
                owner,
                f"{device.name}'s device record should say {name}={value!r}",
                f"{name}={record.attributes.get(name)!r}, last reported at "
                f"{self.world.offset(record.registered_at)}",
            )

    def identified_by_user_id(self, owner: Shopper) -> Person:
        """Check the shopper's profile is keyed by their stable user id."""
        person = self.profile(owner)
        if person.id != owner.user_id:
            self._fail(
                owner,
                f"{owner.role}'s profile should have the stable user id "
                f"{owner.user_id!r} as its id; an email changes, so send it as the "
                "email trait instead",
                f"profile id {person.id!r}, email {person.email!r}",
            )
        return person

    def event_count(self, owner: Shopper, name: str, count: int) -> None:
        """Check the shopper's profile holds event ``name`` exactly ``count`` times."""
        person = self.profile(owner)
        events = self.world.workspace.events_of(person)
        got = sum(e.name == name for e in events)
        if got != count:
            self._fail(
                owner,
                f"{person.label}'s profile should hold {name!r} {_times(count)}",
                f"{_times(got)}; events: {_names(events)}",
            )

    def events_follow_plan(self, owner: Shopper, names: list[str]) -> list[str]:
        """Check the profile holds each of ``names`` and every event fits the plan.

        The plan is the project's fixtures/tracking-plan.yaml; findings
        (unknown names, near-duplicates, missing properties, wrong types) fail
        the check, each in the plan's words. Returns the names checked.
        """
        plan = load_plan(self.world.root)
        if plan is None:
            raise ScenarioError(
                "no tracking plan to check the events against; add "
                "fixtures/tracking-plan.yaml (see docs/tracking-plan.md)"
            )
        person = self.profile(owner)
        events = self.world.workspace.events_of(person)
        absent = [n for n in names if not any(e.name == n for e in events)]
        findings = [f.text for f in audit(plan, events)]
        if absent or findings:
            elsewhere = self._elsewhere(owner, person)
            problems = [
                f"{n!r} is not on the profile"
                + (f" (it is on {elsewhere.label})" if elsewhere else "")
                for n in absent
            ] + findings
            self._fail(
                owner,
                f"{person.label}'s events should follow {plan.source}",
                "\n    ".join(problems),
            )
        return names

    def deep_link_opened(self, device: HasApp, owner: Shopper, route: str) -> str:
        """Check the last push tapped on ``device`` opened the app at ``route``."""
        app = device.app
        screen = app.screen if app is not None else None
        if screen != route:
            links = ", ".join(app.opened_links) if app is not None else "none"
            self._fail(
                owner,
                f"the push's deep link should open the {route!r} screen on "
                f"{device.name}",
                f"screen {screen!r}; links opened: {links or 'none'}",
            )
        return route

    def subscribed(self, browser: HasSubscription, owner: Shopper) -> str:
        """Check the browser holds a Web Push subscription; return its endpoint.

        The site subscribes once it asked for notifications and the user
        allowed them; an app that never asks leaves the browser without one.
        """
        subscription = browser.subscription
        if subscription is None:
            self._fail(
                owner,
                f"{browser.name} should hold a push subscription for the site",
                "no subscription: the site never asked, or the user did not allow",
            )
        return str(subscription["endpoint"])

    def prompt_not_at_first_launch(self, device: HasApp, owner: Shopper) -> None:
        """Check the app did not ask for notification permission on first launch."""
        app = device.app
        asked = [m for m in (app.prompts if app else []) if m == "first launch"]
        if asked:
            self._fail(
                owner,
                f"{device.name}'s app should ask for notification permission after a "
                "moment of value, not on first launch",
                "the app asked on first launch, before the shopper did anything",
            )

    def _elsewhere(self, owner: Shopper, person: Person) -> Person | None:
        """Return a second profile the shopper is split onto (by email), if any."""
        other = self.world.workspace.find(owner.email)
        return other if other is not None and other is not person else None

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

    def _fail(self, owner: Shopper, claim: str, seen: str) -> NoReturn:
        timeline = self.world.timeline(owner, closing=f"failed: {claim}")
        raise ExpectationFailed(f"{claim}\n  saw: {seen}\n\n{timeline}")


def _devices_seen(devices: list[Device]) -> str:
    return (
        "; ".join(
            f"{short_token(d.token)} ({d.platform}, push_enabled="
            f"{d.attributes.get('push_enabled')!r}, "
            f"cio_sdk_version={d.attributes.get('cio_sdk_version')!r})"
            for d in devices
        )
        or "no devices on the profile"
    )


def _normal(token: str) -> str:
    return token.lower()


def _times(count: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(count, f"{count} times")


def _names(events: list[Event]) -> str:
    return ", ".join(e.name for e in events) or "none"


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
