"""The state machine: shoppers, their phones and the steps they take, generated.

:class:`Journeys` is a Hypothesis rule-based state machine over two or three
shoppers and a few phones of the chosen device profiles. Each rule is one
thing a person or their phone does, played on the public API and written to
the replay script as it is played; the reference model (:mod:`.model`)
follows along. After every step no event may sit on the wrong person (I3);
at rest (every phone online and open, queues flushed) the machine checks I1
to I8 through :mod:`.invariants`.

Hooks for a subclass: add ``@rule`` methods that call :meth:`Journeys.act`
with the line they play, and extend :meth:`Journeys.check_step` (after every
step) or :meth:`Journeys.check_at_rest` (at the end), calling
:meth:`Journeys.check` so a failed check becomes the found scenario's last
line. :func:`machine_for` binds a subclass to a run's profiles and app.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ..apps import AppProfile
from ..device.inbox import Outcome
from ..errors import ScenarioError, Unsupported
from ..people import Shopper
from ..profiles import DeviceProfile
from ..world import World
from . import habits, invariants, states
from .browsers import BrowserSteps
from .cast import ORDER, build, legacy_build
from .model import Model, PhoneState, Tap
from .replay import Script
from .strategies import messages, minutes, picks, switches, tracked
from .system import SystemSteps

logger = logging.getLogger(__name__)

__all__ = ["FuzzConfig", "Journeys", "Tally", "machine_for"]

ROLES = ("alice", "bob", "carol")
SETTLE = 5  # minutes at rest: past the SDK's 30-second flush and its retries
CART_WAIT = timedelta(minutes=30)  # fixtures/campaigns/cart-recovery.yaml's wait


@dataclass(frozen=True)
class FuzzConfig:
    """What one fuzz run plays on: the project, device profiles, app, people."""

    root: Path
    profiles: tuple[DeviceProfile, ...]
    app: AppProfile
    people: int = 2
    phones: int = 4  # phones in all, restored ones included


@dataclass
class Tally:
    """How a run went: examples played, and the example that first failed."""

    runs: int = 0
    found_at: int | None = None
    last: Journeys | None = None
    failures: list[str] = field(default_factory=list)


class Journeys(SystemSteps, BrowserSteps, RuleBasedStateMachine):
    """People with phones doing things in any order, checked against the model."""

    config: ClassVar[FuzzConfig]
    tally: ClassVar[Tally]

    def __init__(self) -> None:
        super().__init__()
        config = self.config
        self.tally.runs += 1
        self.tally.last = self
        # Not entered: the world's own clock drives everything the harness
        # does, and the process's wall clock stays real for Hypothesis.
        self.world = World(config.profiles[0], config.app, root=config.root)
        roles = ROLES[: config.people]
        self.people: dict[str, Shopper] = {r: self.world.shopper(r) for r in roles}
        self.model = Model()
        self.script = Script(roles)
        self.deliveries: dict[str, str] = {}  # delivery id -> replay variable
        self.broken = False

    # -- hooks -----------------------------------------------------------------

    def act(self, line: str, step: Callable[[], Any]) -> tuple[bool, Any]:
        """Play ``step``, recording ``line``; a refused step is a no-op.

        Returns whether the step ran, and what it returned. A ScenarioError or
        Unsupported from the device is recorded as a tolerated no-op; any
        other exception fails the run with the step as the last line.
        """
        try:
            result = step()
        except (ScenarioError, Unsupported) as error:
            logger.debug("no-op %s: %s", line, error)
            self.script.skipped(line, str(error))
            return False, None
        except BaseException:
            self.script.add(line)
            self._failed("error")
            raise
        self.script.add(line)
        return True, result

    def check(self, line: str, check: Callable[..., None], *args: Any) -> None:
        """Run an invariant check; if it fails, ``line`` ends the found scenario."""
        try:
            check(self.world, *args)
        except AssertionError as failure:  # ExpectationFailed or a plain assert
            self.script.check = line
            self.script.uses(check)
            self._failed(str(failure).split("\n", 1)[0] or check.__name__)
            raise

    def check_step(self) -> None:
        """Check what must hold after every step: no event on the wrong person."""
        for role, shopper in self.people.items():
            if self.world.profile_of(shopper) is None:
                continue
            for name in self.model.names():
                most = self.model.may_hold(role, name)
                self.check(
                    f'events_between(world, {role}, "{name}", 0, {most})',
                    invariants.events_between,
                    shopper,
                    name,
                    0,
                    most,
                )

    def check_at_rest(self) -> None:
        """Check I1 to I8 once every phone is online and open and queues flushed."""
        self._check_devices()
        self._check_events()
        self._probe()
        self._check_metrics()
        self._check_habits()

    # -- cast ------------------------------------------------------------------

    @initialize(legacy=switches, new_token=switches)
    def first_phones(self, legacy: bool, new_token: bool) -> None:
        """Give each person a phone (the profiles in turn) with the app open.

        With ``legacy`` the first person's phone starts on the previous build
        on the legacy SDK and is updated in place (see :meth:`update_from_legacy`).
        """
        profiles = self.config.profiles
        for n, role in enumerate(self.people):
            state = self._new(role, profiles[n % len(profiles)])
            if n == 0 and legacy and self.world.app.sdk.generation != "legacy":
                self._from_legacy(state, new_token)
                continue
            self._install(state)
            self._launch(state)

    @precondition(lambda self: len(self.model.phones) < self.config.phones)
    @rule(who=picks, which=picks)
    def new_phone(self, who: int, which: int) -> None:
        """A person gets a new phone of one of the run's profiles."""
        role = list(self.people)[who % len(self.people)]
        self._new(role, self.config.profiles[which % len(self.config.profiles)])

    @precondition(lambda self: self._any(lambda s: not s.installed))
    @rule(pick=picks)
    def install(self, pick: int) -> None:
        """Install the app."""
        self._install(self._pick(lambda s: not s.installed, pick))

    @precondition(lambda self: self._any(states.closed_or_back))
    @rule(pick=picks)
    def launch(self, pick: int) -> None:
        """Open the app: a cold start, or back to the foreground."""
        self._launch(self._pick(states.closed_or_back, pick))

    @precondition(lambda self: self._any(states.is_open))
    @rule(pick=picks)
    def background(self, pick: int) -> None:
        """Press home."""
        state = self._pick(states.is_open, pick)
        self.act(f"{state.var}.background()", state.phone.background)

    @precondition(lambda self: self._any(states.running))
    @rule(pick=picks)
    def swipe_away(self, pick: int) -> None:
        """Swipe the app away from recents."""
        state = self._pick(states.running, pick)
        self.act(f"{state.var}.swipe_away()", state.phone.swipe_away)

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks, enabled=switches)
    def set_notifications(self, pick: int, enabled: bool) -> None:
        """Grant or revoke notifications in Settings."""
        self._settings(self._pick(states.installed, pick), enabled)

    @precondition(lambda self: self._any(states.allowed_and_in))
    @rule(pick=picks)
    def revoke_in_settings(self, pick: int) -> None:
        """Turn notifications off in Settings on a logged-in phone that had them."""
        self._settings(self._pick(states.allowed_and_in, pick), False)

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks)
    def rotate_token(self, pick: int) -> None:
        """The push service replaces the install's token."""
        state = self._pick(states.installed, pick)
        phone = state.phone
        ran, _ = self.act(f"{state.var}.rotate_token()", phone.rotate_token)
        if ran and phone.is_running() and self.world.app.register_rotated_token:
            state.sdk_token = phone.token

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks)
    def reinstall(self, pick: int) -> None:
        """Uninstall the app and install it again."""
        state = self._pick(states.installed, pick)
        queued = states.queued(state.phone)
        ran, _ = self.act(f"{state.var}.reinstall()", state.phone.reinstall)
        if ran:
            self.model.removed(state, queued)
            self.model.install(state)

    @precondition(
        lambda self: (
            len(self.model.phones) < self.config.phones and self._any(states.installed)
        )
    )
    @rule(pick=picks)
    def restore(self, pick: int) -> None:
        """Set a new phone of the same profile up from a phone's backup."""
        old = self._pick(states.installed, pick)
        new = self._new(old.holder, old.phone.profile)
        ran, _ = self.act(
            f"{new.var}.restore_from({old.var})",
            lambda: new.phone.restore_from(old.phone),
        )
        if ran:
            self.model.restore(new, old)

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks, new_token=switches)
    def update_app(self, pick: int, new_token: bool) -> None:
        """Update the app in place, maybe to a build on a new push stack."""
        state = self._pick(states.installed, pick)
        ran, _ = self.act(
            f"{state.var}.update_app(new_token={new_token})",
            lambda: state.phone.update_app(new_token=new_token),
        )
        if ran:
            state.new_stack = state.new_stack or new_token

    @precondition(lambda self: self._any(lambda s: not s.installed))
    @rule(pick=picks, new_token=switches)
    def update_from_legacy(self, pick: int, new_token: bool) -> None:
        """Sign in on the previous build on the legacy SDK, then update in place."""
        if self.world.app.sdk.generation == "legacy":
            return  # the app under test is the legacy build: nothing newer
        self._from_legacy(self._pick(lambda s: not s.installed, pick), new_token)

    def _from_legacy(self, state: PhoneState, new_token: bool) -> None:
        phone, shopper = state.phone, self.people[state.holder]
        ran, _ = self.act(
            f"{state.var}.install(legacy_build(world))",
            lambda: phone.install(legacy_build(self.world)),
        )
        if not ran:
            return
        self.model.install(state)
        self._launch(state)
        ran, _ = self.act(
            f"{state.var}.log_in({state.holder})", lambda: phone.log_in(shopper)
        )
        if ran:
            self.model.log_in(state, state.holder)
        self.act(f"{state.var}.background()", phone.background)
        ran, _ = self.act(
            f"{state.var}.update_app(world.app, new_token={new_token})",
            lambda: phone.update_app(self.world.app, new_token=new_token),
        )
        if ran:
            state.new_stack = state.new_stack or new_token
        self._launch(state)

    @precondition(lambda self: self._any(states.android))
    @rule(pick=picks)
    def clear_data(self, pick: int) -> None:
        """Clear the app's storage in Android's Settings."""
        state = self._pick(states.android, pick)
        queued = states.queued(state.phone)
        ran, _ = self.act(f"{state.var}.clear_data()", state.phone.clear_data)
        if ran:
            self.model.removed(state, queued)
            self.model.wipe(state)

    # -- the shopper's actions -------------------------------------------------

    @precondition(lambda self: self._any(states.is_open))
    @rule(pick=picks, who=picks)
    def log_in(self, pick: int, who: int) -> None:
        """Log in as one of the people: the holder, or someone else."""
        state = self._pick(states.is_open, pick)
        role = list(self.people)[who % len(self.people)]
        ran, _ = self.act(
            f"{state.var}.log_in({role})",
            lambda: state.phone.log_in(self.people[role]),
        )
        if ran:
            self.model.log_in(state, role)
            self.model.displace(state)

    @precondition(lambda self: self._any(states.is_open))
    @rule(pick=picks)
    def log_out(self, pick: int) -> None:
        """Log out."""
        state = self._pick(states.is_open, pick)
        ran, _ = self.act(f"{state.var}.log_out()", state.phone.log_out)
        if ran:
            self.model.log_out(state)
            self.model.displace(state)

    @precondition(lambda self: self._any(states.is_open))
    @rule(pick=picks, action=tracked, product=picks)
    def track(self, pick: int, action: str, product: int) -> None:
        """View a product or add it to the cart."""
        self._track(self._pick(states.is_open, pick), action, product)

    @precondition(lambda self: self._any(states.closed))
    @rule(pick=picks, product=picks)
    def offline_cold_start(self, pick: int, product: int) -> None:
        """Open the app from closed with no network and view a product."""
        state = self._pick(states.closed, pick)
        if state.phone.online:
            self.act(f"{state.var}.go_offline()", state.phone.go_offline)
        self._launch(state)
        if state.phone.state == "foreground":
            self._track(state, "view", product)

    @precondition(lambda self: self._any(states.open_as_someone))
    @rule(pick=picks, product=picks, offline=switches)
    def buy(self, pick: int, product: int, offline: bool) -> None:
        """Add to the cart, order ten minutes later, maybe go offline right after."""
        state = self._pick(states.open_as_someone, pick)
        self._track(state, "add_to_cart", product)
        self.act("world.advance(minutes=10)", lambda: self.world.advance(minutes=10))
        if state.phone.state != "foreground":
            return
        self._track(state, "complete_order", product)
        if offline:
            phone = state.phone
            if phone.online:
                self.act(f"{state.var}.go_offline()", phone.go_offline)
            self.act(f"{state.var}.background()", phone.background)
            self.act(
                "world.advance(minutes=90)", lambda: self.world.advance(minutes=90)
            )

    @precondition(lambda self: self._any(lambda s: s.phone.online))
    @rule(pick=picks)
    def go_offline(self, pick: int) -> None:
        """Lose the network."""
        state = self._pick(lambda s: s.phone.online, pick)
        self.act(f"{state.var}.go_offline()", state.phone.go_offline)

    @precondition(lambda self: self._any(lambda s: not s.phone.online))
    @rule(pick=picks)
    def go_online(self, pick: int) -> None:
        """Get the network back."""
        self._online(self._pick(lambda s: not s.phone.online, pick))

    @rule(by=minutes)
    def advance(self, by: int) -> None:
        """Let time pass."""
        self.act(f"world.advance(minutes={by})", lambda: self.world.advance(minutes=by))

    @precondition(lambda self: bool(self.model.phones))
    @rule(who=picks, message=messages)
    def send_push(self, who: int, message: str) -> None:
        """The shop's backend sends a transactional push to one person."""
        role = list(self.people)[who % len(self.people)]
        data = ", data=ORDER" if message == "order-shipped" else ""
        var = f"d{len(self.deliveries) + 1}"
        ran, delivery = self.act(
            f'{var} = world.send_push({role}, "{message}"{data})',
            lambda: self.world.send_push(
                self.people[role], message, data=dict(ORDER) if data else None
            ),
        )
        if ran:
            self.deliveries[delivery] = var
            self.model.sends[delivery] = role

    @precondition(lambda self: self._any(lambda s: bool(states.tappable(s))))
    @rule(pick=picks, which=picks)
    def tap(self, pick: int, which: int) -> None:
        """Tap a shown notification."""
        state = self._pick(lambda s: bool(states.tappable(s)), pick)
        index = states.tappable(state)[which % len(states.tappable(state))]
        item = state.phone.inbox.items[index]
        ran, _ = self.act(
            f"{state.var}.tap({state.var}.inbox.items[{index}])",
            lambda: state.phone.tap(item),
        )
        if ran and item.delivery_id:
            self.model.taps.append(Tap(item.delivery_id, state.var))

    # -- checks ----------------------------------------------------------------

    @invariant()
    def after_step(self) -> None:
        """Run the per-step checks (see :meth:`check_step`)."""
        if not self.broken:
            self.check_step()

    def teardown(self) -> None:
        """Bring every phone to rest and check the invariants; end the world."""
        try:
            if not self.broken:
                self._settle()
                self.check_at_rest()
        finally:
            self.world.__exit__(None, None, None)

    def _settle(self) -> None:
        self.script.add("# at rest: every phone online and open, queues flushed")
        for state in self.model.phones.values():
            if state.installed and state.phone.tray.dozing:
                self.act(f"{state.var}.wake()", state.phone.wake)
            if state.installed and not state.phone.online:
                self._online(state)
            if state.installed and state.phone.state != "foreground":
                self._launch(state)
        self._advance_past_delays(SETTLE)

    def _advance_past_delays(self, base: int) -> None:
        delays = [
            s.phone.profile.background.push_delay for s in self.model.phones.values()
        ]
        extra = max(delays, default=timedelta(0)) // timedelta(minutes=1)
        by = base + int(extra)
        self.act(f"world.advance(minutes={by})", lambda: self.world.advance(minutes=by))

    def _check_devices(self) -> None:
        for state in self._live():
            if state.identity is not None:
                self.check(
                    f"registered(world, {state.var}, {state.identity})",
                    invariants.registered,
                    state.phone,
                    self.people[state.identity],
                )
                self.check(
                    f"sdk_is_current(world, {state.var}, {state.identity})",
                    habits.sdk_is_current,
                    state.phone,
                    self.people[state.identity],
                )
            if state.identity is None and not state.logged_out:
                continue
            for role, shopper in self.people.items():
                if role != state.identity and not self.model.shares_with(state, role):
                    self.check(
                        f"token_not_on(world, {state.var}, {role})",
                        invariants.token_not_on,
                        state.phone,
                        shopper,
                    )
        for state in self._live():
            if state.identity is not None:
                enabled = state.phone.permission == "granted"
                self.check(
                    f"push_enabled_is(world, {state.var}, {state.identity}, {enabled})",
                    invariants.push_enabled_is,
                    state.phone,
                    self.people[state.identity],
                    enabled,
                )

    def _check_events(self) -> None:
        for role, shopper in self.people.items():
            for name in self.model.names():
                low, high = self.model.should_hold(role, name)
                rule_name = self._event_rule(role, name, low, high)
                self.check(
                    f'events_between(world, {role}, "{name}", {low}, {high}, '
                    f'"{rule_name}")',
                    invariants.events_between,
                    shopper,
                    name,
                    low,
                    high,
                    rule_name,
                )

    def _event_rule(self, role: str, name: str, low: int, high: int) -> str:
        person = self.world.profile_of(self.people[role])
        events = self.world.workspace.events_of(person) if person else []
        got = sum(e.name == name for e in events)
        if got >= low:
            return "I3 attribution at capture"
        mine = [
            c for c in self.model.captures
            if c.name == name and self.model.owner(c) == role
        ]  # fmt: skip
        if any(c.identity is None for c in mine):
            return "I4 stitching"
        if any(c.offline for c in mine):
            return "I8 durability"
        return "I3 attribution at capture"

    def _probe(self) -> None:
        """I6: send each reachable person a plain push; it must reach exactly them."""
        live = self._live()
        for role, shopper in self.people.items():
            mine = [
                s for s in live
                if s.identity == role and s.phone.permission == "granted"
            ]  # fmt: skip
            if not mine:
                continue
            others = [
                s for s in live
                if (s.identity not in (None, role) or s.logged_out)
                and not self.model.shares_with(s, role)
            ]  # fmt: skip
            var = f"d{len(self.deliveries) + 1}"
            ran, delivery = self.act(
                f'{var} = world.send_push({role}, "account-notice")',
                partial(self.world.send_push, shopper, "account-notice"),
            )
            if not ran:
                continue
            self.deliveries[delivery] = var
            self.model.sends[delivery] = role
            self._advance_past_delays(1)
            to, rest = states.variables(mine), states.variables(others)
            self.check(
                f"reaches(world, {role}, {var}, [{to}], [{rest}])",
                invariants.reaches,
                shopper,
                delivery,
                [s.phone for s in mine],
                [s.phone for s in others],
            )

    def _check_metrics(self) -> None:
        """I7: each shown push counted delivered once, each tap opened once."""
        for delivery_id, role in self.model.sends.items():
            self._check_delivery(delivery_id, role)
        for person in self.world.workspace.people.values():
            for delivery in self.world.workspace.deliveries_of(person):
                owner = self._role_of(delivery.person)
                if delivery.id not in self.model.sends and owner is not None:
                    self._check_delivery(delivery.id, owner)

    def _check_delivery(self, delivery_id: str, role: str) -> None:
        shown = dropped = 0
        for state in self.model.phones.values():
            for item in state.phone.inbox.items:
                if item.delivery_id != delivery_id:
                    continue
                shown += item.outcome.visible
                android = state.phone.profile.platform == "android"
                dropped += android and item.outcome is Outcome.DROPPED
        taps = [t for t in self.model.taps if t.delivery_id == delivery_id]
        opened = (sum(not t.lost_ok for t in taps), len(taps))
        var = self.deliveries.get(delivery_id, repr(delivery_id))
        self.check(
            f"delivered_counts(world, {role}, {var}, ({shown}, {shown + dropped}), "
            f"{opened})",
            invariants.delivered_counts,
            self.people[role],
            delivery_id,
            (shown, shown + dropped),
            opened,
        )

    def _check_habits(self) -> None:
        """I5 SDK version, I9 to I12: prompts, the plan, permission, reminders."""
        for state in self.model.phones.values():
            if state.installed:
                self.check(
                    f"no_first_launch_prompt(world, {state.var}, {state.holder})",
                    habits.no_first_launch_prompt,
                    state.phone,
                    self.people[state.holder],
                )
        for role, shopper in self.people.items():
            self.check(
                f"events_fit_plan(world, {role})", habits.events_fit_plan, shopper
            )
        for state in self.model.phones.values():
            if states.would_allow(state):
                assert state.identity is not None
                self.check(
                    f"notifications_on(world, {state.var}, {state.identity})",
                    habits.notifications_on,
                    state.phone,
                    self.people[state.identity],
                )
        events = self.world.app.events
        cart, order = events.add_to_cart.name, events.order_completed.name
        for role, shopper in self.people.items():
            if self.model.ordered_in_time(role, cart, order, CART_WAIT):
                self.check(
                    f"no_cart_reminder(world, {role})", habits.no_cart_reminder, shopper
                )

    # -- helpers ---------------------------------------------------------------

    def _track(self, state: PhoneState, action: str, product: int) -> None:
        keys = sorted(self.world.catalog.products)
        key = keys[product % len(keys)]
        item = self.world.catalog[key]
        events = self.world.app.events
        spec = {
            "view": events.product_viewed,
            "add_to_cart": events.add_to_cart,
            "complete_order": events.order_completed,
        }[action]
        ran, _ = self.act(
            f'{state.var}.{action}(world.catalog["{key}"])',
            lambda: getattr(state.phone, action)(item),
        )
        if ran:
            self.model.capture(state, spec.name, self.world.clock.now())

    def _settings(self, state: PhoneState, enabled: bool) -> None:
        ran, _ = self.act(
            f"{state.var}.set_notifications({enabled})",
            lambda: state.phone.set_notifications(enabled),
        )
        if ran:
            state.settings_off = not enabled

    def _new(self, role: str, profile: DeviceProfile) -> PhoneState:
        base = f"{role}_{profile.platform}"
        var, n = base, 1
        while var in self.model.phones:
            n += 1
            var = f"{base}_{n}"
        _, made = self.act(
            f'{var} = phone(world, {role}, "{profile.name}")',
            lambda: build(self.world, self.people[role], profile),
        )
        state = PhoneState(var, role, made)
        self.model.phones[var] = state
        return state

    def _install(self, state: PhoneState) -> None:
        ran, _ = self.act(
            f"{state.var}.install(world.app)",
            lambda: state.phone.install(self.world.app),
        )
        if ran:
            self.model.install(state)

    def _launch(self, state: PhoneState) -> None:
        phone = state.phone
        cold = not phone.is_running()
        ran, _ = self.act(f"{state.var}.launch()", phone.launch)
        if not (ran and cold):
            return
        state.started = True
        registers = phone.online and (
            phone.profile.platform != "android" or phone.profile.play_services
        )
        if state.new_stack and not registers:
            return
        if phone.token is not None:
            self.model.displace(state)
            state.sdk_token, state.new_stack = phone.token, False
            state.displaced = state.displaced and not registers

    def _online(self, state: PhoneState) -> None:
        phone = state.phone
        ran, _ = self.act(f"{state.var}.go_online()", phone.go_online)
        due = state.sdk_token is None or state.new_stack
        if ran and state.installed and phone.is_running() and phone.token:
            self.model.displace(state)
        if ran and state.installed and phone.is_running() and due and phone.token:
            state.sdk_token, state.new_stack = phone.token, False

    def _live(self) -> list[PhoneState]:
        return [s for s in self.model.phones.values() if s.live]

    def _role_of(self, cio_id: str) -> str | None:
        for role, shopper in self.people.items():
            person = self.world.profile_of(shopper)
            if person is not None and person.cio_id == cio_id:
                return role
        return None

    def _any(self, test: Callable[[PhoneState], bool]) -> bool:
        return any(test(s) for s in self.model.phones.values())

    def _pick(self, test: Callable[[PhoneState], bool], pick: int) -> PhoneState:
        eligible = [s for s in self.model.phones.values() if test(s)]
        return eligible[pick % len(eligible)]

    def _failed(self, what: str) -> None:
        self.broken = True
        if self.tally.found_at is None:
            self.tally.found_at = self.tally.runs
        self.tally.failures.append(what)


def machine_for(config: FuzzConfig, base: type[Journeys] = Journeys) -> type[Journeys]:
    """Return a subclass of ``base`` bound to ``config``, with its own tally.

    Its name carries a digest of the run's axes, so Hypothesis keeps each
    combination's examples apart in its database.
    """
    axes = (
        f"{[p.name for p in config.profiles]}{config.app.name}"
        f"{config.app.faults}{config.people}{config.phones}"
    )
    digest = hashlib.sha256(axes.encode()).hexdigest()[:8]
    return type(
        f"{base.__name__}_{digest}",
        (base,),
        {"config": config, "tally": Tally()},
    )
