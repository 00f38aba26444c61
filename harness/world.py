"""A world for one scenario cell: clock, emulator, workspace and devices.

Scenarios receive a :class:`World`. It knows the device profile under test and
the app profile, hands out shoppers and their devices, moves the clock, and reads
the workspace the way assertions should: by the shopper's ids, as a user would
look them up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .apps import AppProfile, find_app, load_apps
from .backend import ShopBackend
from .campaigns import Campaign
from .campaigns.broadcast import load_broadcasts
from .clock import DEFAULT_START, Clock
from .device.browser import EmulatedBrowser
from .device.context import Context
from .device.phone import EmulatedPhone
from .device.webapp import WebAppDevice
from .drivers.appium import AppiumPhone
from .drivers.chromium import ChromiumBrowser
from .drivers.config import AppiumSetup
from .drivers.hosting import AppiumDevices
from .emulator import Emulator
from .errors import ScenarioError
from .expect import Expect
from .files import load_directory
from .ids import Ids
from .journal import Entry, Journal, Subjects, plural
from .people import Catalog, Shopper, load_catalog
from .profiles import DeviceProfile
from .timeline import offset, render
from .transactional import load_transactional
from .workspace import Person, Workspace

logger = logging.getLogger(__name__)

Device = EmulatedPhone | WebAppDevice | AppiumPhone
UNITS = {"weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds"}


class World:
    """Everything one scenario cell plays in, seeded and on one frozen clock."""

    def __init__(
        self,
        profile: DeviceProfile,
        app: AppProfile,
        *,
        root: Path,
        seed: int | str = 0,
        start: datetime = DEFAULT_START,
        appium: AppiumSetup | None = None,
    ) -> None:
        self.profile, self.app, self.root, self.seed = profile, app, root, seed
        self.clock, self.ids, self.journal = Clock(start), Ids(seed), Journal()
        self.start = start
        campaigns = list(
            load_directory(root / "fixtures" / "campaigns", Campaign).values()
        )
        self.catalog: Catalog = load_catalog(root / "fixtures" / "catalog.yaml")
        messages = root / "fixtures" / "transactional"
        broadcasts = root / "fixtures" / "broadcasts"
        self.emulator = Emulator(
            self.clock,
            self.ids.child("emulator"),
            self.journal,
            transactional=load_transactional(messages) if messages.is_dir() else (),
            broadcasts=load_broadcasts(broadcasts) if broadcasts.is_dir() else (),
        )
        self.env = self.emulator.create_workspace(
            "default", campaigns, ios_topic=app.bundle_id
        )
        self.context = Context.for_workspace(
            self.emulator, "default", self.ids, self.journal
        )
        self.backend: ShopBackend = self.context.backend
        self.expect = Expect(self)
        self.observations: list[str] = []
        self._shoppers: dict[str, Shopper] = {}
        self._devices: dict[str, list[Any]] = {}
        self.appium = (
            None
            if appium is None
            else AppiumDevices(
                appium,
                self.emulator,
                self.context,
                app,
                root=root,
                catalog=self.catalog,
                shoppers=self._shopper_by_email,
            )
        )

    def __enter__(self) -> World:
        self.clock.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.appium is not None:
                self.appium.close()
        finally:
            self.clock.__exit__(*exc)
            self.emulator.close()

    def app_profile(self, name: str) -> AppProfile:
        """Return another app profile of the project, by name (to update to it)."""
        return find_app(load_apps(self.root / "fixtures" / "apps"), name)

    @property
    def workspace(self) -> Workspace:
        """Return the workspace the scenario's apps send to."""
        return self.env.workspace

    # -- cast ------------------------------------------------------------------

    def shopper(self, role: str = "shopper") -> Shopper:
        """Return the shopper playing ``role``, made from the seed on first use.

        The same role always gives the same person; a second person needs a
        second role: ``alice, bob = world.shopper("alice"), world.shopper("bob")``.
        """
        if role not in self._shoppers:
            self._shoppers[role] = Shopper.generate(role, self.ids)
            self._devices[role] = []
        return self._shoppers[role]

    def device(
        self,
        owner: Shopper,
        *,
        answers_prompt: str = "allow",
        profile: DeviceProfile | None = None,
    ) -> Device:
        """Return a new device held by ``owner``: of the profile under test, or
        of ``profile`` for a journey that mixes phones (an iPhone and an
        Android phone for one shopper)."""
        chosen = profile or self.profile
        count = 1 + sum(
            (
                not isinstance(d, EmulatedBrowser | ChromiumBrowser)
                or isinstance(d, WebAppDevice)
            )
            and d.profile.name == chosen.name
            for d in self._devices[owner.role]
        )
        name = f"{owner.role}'s {chosen.name}" + (f" #{count}" if count > 1 else "")
        device: Device
        if self.appium is not None and chosen.platform != "web":
            device = self.appium.phone(name, chosen, answers_prompt=answers_prompt)
        elif chosen.platform == "web":
            device = WebAppDevice(
                name,
                chosen,
                self.context,
                vapid_public_key=self.env.keys.vapid_public_key,
                answers_prompt=answers_prompt,
            )
        else:
            device = EmulatedPhone(
                name, chosen, self.context, answers_prompt=answers_prompt
            )
        self._devices[owner.role].append(device)
        return device

    def _shopper_by_email(self, email: str) -> Shopper | None:
        wanted = email.strip().lower()
        return next((s for s in self._shoppers.values() if s.email == wanted), None)

    def screenshots(self, folder: Path) -> list[Path]:
        """Save the screen of every phone reached through Appium into ``folder``."""
        return self.appium.screenshots(folder) if self.appium is not None else []

    def mobile_browser(self, owner: Shopper) -> EmulatedBrowser | ChromiumBrowser:
        """Return the shopper's mobile browser, a second client beside the device.

        On the harnessfake path it is a real Chromium on the served
        storefront, driven through Appium's Chromium driver.
        """
        count = 1 + sum(
            type(d) in (EmulatedBrowser, ChromiumBrowser)
            for d in self._devices[owner.role]
        )
        name = f"{owner.role}'s mobile browser" + (f" #{count}" if count > 1 else "")
        browser: EmulatedBrowser | ChromiumBrowser
        if self.appium is not None and self.appium.setup.device == "harnessfake":
            browser = self.appium.browser(name)
        else:
            browser = EmulatedBrowser(
                name, self.context, vapid_public_key=self.env.keys.vapid_public_key
            )
        self._devices[owner.role].append(browser)
        return browser

    # -- the shop's backend ----------------------------------------------------

    def send_push(
        self,
        owner: Shopper,
        message: str,
        *,
        data: dict[str, Any] | None = None,
        custom_payload: dict[str, Any] | None = None,
        to: str | None = None,
    ) -> str:
        """Have the shop's backend send a transactional push; return its delivery id.

        ``message`` names a message in fixtures/transactional/ (its name or
        id); ``data`` is its ``message_data``, ``trigger`` in the templates. It
        goes through the App API (``POST /v1/send/push``) as a backend's call
        would; ``custom_payload`` is Customer.io's per-platform override, such
        as ``{"android": {"message": {"android": {"priority": "normal"}}}}``.
        ``to`` names one token, which is sent to even with push disabled;
        without it every push-enabled device of the person gets it.
        """
        return self.backend.send_push(
            owner.user_id, message, data=data, custom_payload=custom_payload, to=to
        )

    # -- time ------------------------------------------------------------------

    def advance(self, delta: timedelta | None = None, /, **units: float) -> None:
        """Move the clock forward (``minutes=30``), running whatever falls due."""
        unknown = sorted(set(units) - UNITS)
        if unknown:
            raise ScenarioError(
                f"world.advance({', '.join(unknown)}=...) is not a unit of time; use "
                f"{', '.join(sorted(UNITS))}, e.g. world.advance(minutes=30)"
            )
        if self.appium is None:
            self.clock.advance(delta, **units)
            return
        with self.appium.locked():  # the served phones wait meanwhile
            self.clock.advance(delta, **units)

    def offset(self, moment: datetime) -> str:
        """Return ``moment`` as time since the scenario started."""
        minutes = (moment - self.start).total_seconds() / 60
        return f"+{minutes:.0f}m"

    # -- observations ----------------------------------------------------------

    def profile_of(self, owner: Shopper) -> Person | None:
        """Look the shopper's profile up by user id, then by email."""
        return self.workspace.find(owner.user_id) or self.workspace.find(owner.email)

    def timeline(self, owner: Shopper, *, closing: str | None = None) -> str:
        """Return everything that happened to the shopper, their devices and ids.

        ``closing`` is added as the last line, stamped now (the failed check).
        """
        subjects = self._subjects(owner)
        person = self.profile_of(owner)
        faults = f" (faults: {', '.join(self.app.faults)})" if self.app.faults else ""
        header = [
            f"timeline of {owner.role} (user id {owner.user_id}, "
            f"{owner.email}) on {self.profile.name} with app {self.app.name}"
            f"{faults}:"
        ]
        if person is None:
            header.append(
                "  no profile exists for them: the workspace never learned who they are"
            )
        else:
            devices = self.workspace.devices.of(person)
            header.append(
                f"  profile {person.label} (cio_{person.cio_id}): "
                f"{plural(len(self.workspace.events_of(person)), 'event')}, "
                f"{plural(len(devices), 'device')}, "
                f"{plural(len(self.workspace.deliveries_of(person)), 'delivery')}"
            )
        by_email = self.workspace.find(owner.email)
        if person is not None and by_email is not None and by_email is not person:
            header.append(
                f"  split: {owner.email} is a second profile "
                f"(cio_{by_email.cio_id}) with "
                f"{plural(len(self.workspace.events_of(by_email)), 'event')}; "
                "the app and the backend identify this person differently"
            )
        for anonymous_id in sorted(subjects.anonymous_ids):
            held = self.workspace.anonymous_events(anonymous_id)
            if held:
                names = ", ".join(e.name for e in held)
                header.append(
                    f"  never stitched: anonymous {anonymous_id} still holds "
                    f"{plural(len(held), 'event')}: {names}"
                )
        text = render(self.journal.about(subjects), self.start, header)
        if closing:
            text += f"\n  {offset(self.clock.now(), self.start)}  check     {closing}"
        return text

    def report(self, leaving_out: str = "") -> str:
        """Return the timeline of every shopper whose header ``leaving_out`` lacks.

        A failed check's message holds its shopper's timeline already, so the
        runner passes it here to print only the others.
        """
        timelines = (self.timeline(s) for s in self._shoppers.values())
        return "\n\n".join(
            t for t in timelines if t.split("\n", 1)[0] not in leaving_out
        )

    def _subjects(self, owner: Shopper) -> Subjects:
        subjects = Subjects()
        for device in self._devices.get(owner.role, []):
            subjects.devices.add(device.name)
            subjects.tokens.update(getattr(device, "tokens_seen", []))
        for entry in self.journal:
            if entry.data.get("shopper") == owner.role and entry.device:
                subjects.devices.add(entry.device)
        for entry in self.journal:
            if entry.device in subjects.devices:
                if entry.anonymous_id:
                    subjects.anonymous_ids.add(entry.anonymous_id)
                if entry.token:
                    subjects.tokens.add(entry.token)
        person = self.profile_of(owner)
        if person is not None:
            subjects.people.add(person.cio_id)
            subjects.anonymous_ids.update(person.anonymous_ids)
            subjects.deliveries.update(
                d.id for d in self.workspace.deliveries_of(person)
            )
        return subjects

    def saw(self, text: str) -> None:
        """Note what a check saw; the run prints it beside the cell's outcome."""
        self.observations.append(text)
        self.journal.record(Entry(self.clock.now(), "check", "saw", text))

    def require(self, condition: bool, message: str) -> None:
        """Stop the scenario with a usage error if ``condition`` is false."""
        if not condition:
            raise ScenarioError(message)
