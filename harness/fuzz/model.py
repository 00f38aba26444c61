"""The reference model: what the workspace should show, kept as plain records.

It is the spec, not the app profile: logging in identifies the person, logging
out takes the phone off them, anonymous activity joins whoever logs in next on
that anonymous id, and every event belongs to the identity active when it was
captured. It never reads the SDK; the machine feeds it the OS's facts (the
phone's current token, whether the app runs) after each step.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..device.browser import EmulatedBrowser
from ..device.phone import EmulatedPhone

__all__ = ["Account", "BrowserState", "Capture", "Model", "PhoneState", "Tap"]


@dataclass
class PhoneState:
    """What the model expects of one phone's app.

    ``session`` stands for the SDK's anonymous id: made at the first start
    after an install, new at logout, the same after a restore of a started
    app. ``sdk_token`` is the token a correct app has handed its SDK;
    ``logged_out`` says the last account action was a logout, after which the
    token belongs to no one. ``displaced`` says a restored twin, still holding
    this phone's token from the backup, sent it for its own identity (or deleted
    it): the real SDKs do, so where the token sits is unknown until this phone
    registers it again at its next launch (docs/fuzz.md, "Restored twins").
    """

    var: str
    holder: str
    phone: EmulatedPhone
    installed: bool = False
    identity: str | None = None
    logged_out: bool = False
    session: int = 0
    sdk_token: str | None = None
    new_stack: bool = False
    started: bool = False
    asked: bool = False  # logged in on this install, so a correct app asked
    settings_off: bool = False  # the user last turned notifications off
    displaced: bool = False  # a restored twin sent this phone's token for someone

    @property
    def online(self) -> bool:
        """Tell whether the phone reaches the network."""
        return self.phone.online

    @property
    def live(self) -> bool:
        """Tell whether the SDK should hold the phone's current token."""
        token = self.phone.token
        return (
            self.installed
            and not self.displaced
            and token is not None
            and self.sdk_token == token
        )


@dataclass
class BrowserState:
    """What the model expects of one mobile browser: who is logged in there.

    ``session`` stands for the ``ajs_anonymous_id`` cookie: new when the
    browser opens and at logout (``analytics.reset()`` clears it).
    """

    var: str
    holder: str
    browser: EmulatedBrowser
    identity: str | None = None
    logged_out: bool = False
    session: int = 0
    asked: bool = False  # unused on the web: the shop asks in the app

    @property
    def online(self) -> bool:
        """Tell whether the browser reaches the network."""
        return self.browser.online


Account = PhoneState | BrowserState


@dataclass
class Capture:
    """One tracked event: on which phone, as whom, under which anonymous id.

    ``ambiguous`` marks an anonymous event captured under an anonymous id
    another phone (a restored twin) already logged in with: it may join that
    person or stay anonymous. ``lost_ok`` marks one still queued when its app
    was removed, which may never arrive.
    """

    name: str
    var: str
    identity: str | None
    session: int
    offline: bool
    ambiguous: bool = False
    lost_ok: bool = False
    at: datetime | None = None


@dataclass
class Tap:
    """One tap on a shown push."""

    delivery_id: str
    var: str
    lost_ok: bool = False


@dataclass
class Model:
    """Phones, anonymous ids and what was captured, sent and tapped."""

    phones: dict[str, PhoneState] = field(default_factory=dict)
    browsers: dict[str, BrowserState] = field(default_factory=dict)
    sessions: dict[int, str | None] = field(default_factory=dict)
    captures: list[Capture] = field(default_factory=list)
    taps: list[Tap] = field(default_factory=list)
    sends: dict[str, str] = field(default_factory=dict)  # delivery id -> role
    shared: set[int] = field(default_factory=set)  # ids a restore copied
    claimants: dict[int, set[str]] = field(default_factory=dict)

    def new_session(self) -> int:
        """Return a fresh anonymous id, joined to no one."""
        session = len(self.sessions) + 1
        self.sessions[session] = None
        return session

    # -- account actions -------------------------------------------------------

    def install(self, state: PhoneState) -> None:
        """A fresh install: anonymous, new anonymous id, no token handed over."""
        state.installed, state.identity, state.logged_out = True, None, False
        self.wipe(state)

    def wipe(self, state: PhoneState) -> None:
        """The app's storage is new: no ids, no token, not started yet."""
        state.identity, state.logged_out = None, False
        state.session, state.sdk_token = self.new_session(), None
        state.new_stack = state.started = state.asked = state.displaced = False

    def log_in(self, state: Account, role: str) -> None:
        """Log in: the anonymous id's events join ``role`` if no one has it yet."""
        if state.identity is None:
            self.claimants.setdefault(state.session, set()).add(role)
        if state.identity is None and self.sessions.get(state.session) is None:
            self.sessions[state.session] = role
        state.identity, state.logged_out, state.asked = role, False, True

    def log_out(self, state: Account) -> None:
        """Log out: the phone leaves the person and gets a new anonymous id."""
        state.identity, state.logged_out = None, True
        state.session = self.new_session()

    def restore(self, state: PhoneState, source: PhoneState) -> None:
        """Set a phone up from ``source``'s backup: its ids and cached token."""
        state.installed, state.identity = True, source.identity
        state.logged_out, state.started = source.logged_out, source.started
        # An app never started has no anonymous id yet to back up.
        state.session = source.session if source.started else self.new_session()
        if source.started:
            self.shared.add(source.session)
        state.sdk_token, state.new_stack = source.sdk_token, False
        state.asked, state.settings_off = False, source.settings_off

    def displace(self, twin: PhoneState) -> None:
        """``twin`` used its cached token: other phones whose token it is lose it.

        A restored twin's SDK sends the token it restored on identify, and
        deletes it on logout or once it gets a token of its own.
        """
        cached = twin.sdk_token
        if cached is None or twin.phone.token == cached:
            return
        for state in self.phones.values():
            if state is not twin and state.phone.token == cached:
                state.displaced = True

    def capture(self, state: Account, name: str, at: datetime | None = None) -> None:
        """Record an event captured now on the phone."""
        owner = self.sessions.get(state.session)
        ambiguous = state.identity is None and owner is not None
        self.captures.append(
            Capture(
                name,
                state.var,
                state.identity,
                state.session,
                offline=not state.online,
                ambiguous=ambiguous,
                at=at,
            )
        )

    def removed(self, state: PhoneState, queued: Counter[str]) -> None:
        """The app's storage went with ``queued`` events (by name) still in it.

        An identify among them never reaches the workspace, so the anonymous
        events it would have joined to the person may stay anonymous.
        """
        if queued["identify"] > 0:
            for capture in self.captures:
                if capture.session == state.session and capture.identity is None:
                    capture.ambiguous = True
        for capture in reversed(self.captures):
            if capture.var == state.var and queued[capture.name] > 0:
                queued[capture.name] -= 1
                capture.lost_ok = True
        for tap in reversed(self.taps):
            if tap.var == state.var and queued["opened"] > 0:
                queued["opened"] -= 1
                tap.lost_ok = True

    # -- what the workspace should show ---------------------------------------

    def owner(self, capture: Capture) -> str | None:
        """Return whose event this is at rest: the identity, or the id's person."""
        return capture.identity or self.sessions.get(capture.session)

    def may_hold(self, role: str, name: str) -> int:
        """Return how many ``name`` events may be on ``role``'s profile now.

        Counts their own, and anonymous ones whose id nobody has logged in
        with yet (they may still join anyone).
        """
        return sum(
            c.name == name
            and (
                c.identity == role
                or c.identity is None
                and (self.contested(c) or self.owner(c) in (None, role))
            )
            for c in self.captures
        )

    def should_hold(self, role: str, name: str) -> tuple[int, int]:
        """Return the least and most ``name`` events on ``role``'s profile at rest.

        An anonymous event under an id restored twins share joins whichever of
        the people who logged in with it reached the workspace first, so it
        counts only towards the most, for each of them.
        """
        named = [c for c in self.captures if c.name == name]
        mine = [c for c in named if self.owner(c) == role and not self.contested(c)]
        maybe = [
            c for c in named
            if self.contested(c) and role in self.claimants.get(c.session, ())
        ]  # fmt: skip
        sure = sum(not (c.lost_ok or c.ambiguous) for c in mine)
        return sure, len(mine) + len(maybe)

    def shares_with(self, state: PhoneState, role: str) -> bool:
        """Tell whether an anonymous phone's id is one restored twins share and
        ``role`` logged in with, so the phone's device reaches them by it."""
        session = state.session
        return (
            state.identity is None
            and session in self.shared
            and role in self.claimants.get(session, ())
        )

    def contested(self, capture: Capture) -> bool:
        """Tell whether an anonymous event's id is shared by restored twins."""
        return capture.identity is None and capture.session in self.shared

    def ordered_in_time(
        self, role: str, cart: str, order: str, wait: timedelta
    ) -> bool:
        """Tell whether ``role`` carted, and ordered within ``wait`` after each add.

        Only adds and orders captured while ``role`` was logged in count; an
        anonymous add (which may join them later) makes the answer False.
        """
        adds = [c for c in self.captures if c.name == cart and self.owner(c) == role]
        orders = [c.at for c in self.captures if c.name == order and c.identity == role]
        return bool(adds) and all(
            add.identity == role
            and add.at is not None
            and any(o is not None and add.at <= o < add.at + wait for o in orders)
            for add in adds
        )

    def names(self) -> list[str]:
        """Return the event names captured, in first-seen order."""
        return list(dict.fromkeys(c.name for c in self.captures))
