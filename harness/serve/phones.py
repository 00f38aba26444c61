"""The phone rack: emulated phones that live in a served emulator.

Each phone on the rack is an :class:`~harness.device.phone.EmulatedPhone`
under an id (``phone-1``, ``phone-2``, ... in the order they join; a refused
create takes none), in one workspace, driven through a
:class:`~harness.device.context.Context` of that workspace, so its SDK's
traffic is real HTTP to the same emulator, in process. The control API's
``/_harness/phones`` routes (:mod:`.phone_routes`) and, through them,
Appium's ``harnessfake`` driver drive it.

Phone ids are global: one rack serves every workspace, and ``phone-3`` may be
another client's phone in another workspace. A client sharing the server
(a test worker with its own workspace) should name its workspace when it
creates a phone and list with ``GET /_harness/phones?workspace=NAME``, and
keep to the ids it was given.

Two ways to have one:

``harness serve`` makes its own with :meth:`PhoneRack.serving`: device
profiles from the project's ``device-profiles/``, app profiles from
``fixtures/apps/``, products from ``fixtures/catalog.yaml`` (each read when
first needed), a fresh id stream per phone. A shopper named by an email it
has not seen is made from the email (:func:`shopper_for`): user id ``u-``
and the first 12 hex digits of the SHA-256 of the lower-cased, trimmed
email, names from the part before the ``@``.

A World serves its own emulator with a rack it builds (the hosting API)::

    rack = PhoneRack(
        lambda workspace: world.context,       # every phone on the World's
        shoppers=lookup,                       # email -> Shopper | None
        profiles=load_profiles(root / "device-profiles"),
        apps=load_apps(root / "fixtures" / "apps"),
        catalog=world.catalog,
    )
    phone_id = rack.add(world.device(shopper))  # an EmulatedPhone; its id
    rack.register(shopper)                      # or let ``lookup`` find them
    server = Server.hosting(world.emulator, rack, ServeOptions(state=tmp))
    server.start()                              # serves on loopback
    control_url = f"{server.http_url}/_harness" # harness:controlUrl
    with rack.locked():                         # the server waits meanwhile
        world.advance(minutes=30)
    server.stop()                               # the World closes its emulator

There an unknown email is refused, naming the shoppers the rack knows.
``profiles``, ``apps`` and ``catalog`` may be left out for ``project=root``
(read from its files); a mapping given is read at each use, so adding to it
later (an app profile under a new name) is seen. The hosted server's clock is
the World's frozen one: no wall clock moves it, only ``world.advance``. Its
CA is made in ``state`` unless there already; freezegun's datetime (an
entered World) breaks making one, so make it before entering
(``harness.serve.tls.prepare(state)``) or reuse a folder a server has used.

Thread safety: every command runs under the rack's one re-entrant lock, and a
hosted server takes it for every request it serves; :meth:`PhoneRack.locked`
takes the same lock, so a test thread that moves the World's clock or reads
its workspace while the server thread may run a command holds it meanwhile.
Never hold it around an Appium call: the server would wait for the lock while
Appium waits for the server.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..apps import AppProfile, load_apps
from ..device.context import Context
from ..device.phone import PROMPT_ANSWERS, EmulatedPhone
from ..errors import ConfigError
from ..people import Catalog, Product, Shopper, load_catalog
from ..profiles import DeviceProfile, load_profiles
from .echo import listing, quoted
from .errors import PhoneRefused
from .handset import Handset

if TYPE_CHECKING:
    from ..emulator import Emulator

logger = logging.getLogger(__name__)

ContextFactory = Callable[[str], Context]
START = (
    "start harness serve inside a project (the folder with device-profiles/ and "
    "fixtures/) or pass --root DIR."
)
_WHAT = {"device-profiles": "device profiles", "fixtures/apps": "app profiles"}
ShopperLookup = Callable[[str], Shopper | None]
_T = TypeVar("_T")


@dataclass
class _Fixtures:
    """The project's profiles, apps and catalog, read once when first needed."""

    project: Path | None
    given_profiles: Mapping[str, DeviceProfile] | None = None
    given_apps: Mapping[str, AppProfile] | None = None
    given_catalog: Catalog | None = None

    @cached_property
    def profiles(self) -> Mapping[str, DeviceProfile]:
        return self._load(self.given_profiles, "device-profiles", load_profiles)

    @cached_property
    def apps(self) -> Mapping[str, AppProfile]:
        folder = "fixtures/apps"
        return self._load(self.given_apps, folder, load_apps)

    @cached_property
    def catalog(self) -> Catalog:
        if self.given_catalog is not None:
            return self.given_catalog
        path = self._folder("fixtures/catalog.yaml", "products")
        if not path.is_file():
            return Catalog(products={})
        return self._read(lambda: load_catalog(path))

    def _load(
        self,
        given: Mapping[str, _T] | None,
        folder: str,
        load: Callable[[Path], Mapping[str, _T]],
    ) -> Mapping[str, _T]:
        if given is not None:
            return given
        path = self._folder(folder, folder)
        if not path.is_dir():
            raise PhoneRefused(
                "no_fixtures",
                f"this server's project folder {self.project} has no {folder}/, so "
                f"it has no {_WHAT[folder]}; {START}",
            )
        return self._read(lambda: load(path))

    def _folder(self, relative: str, what: str) -> Path:
        if self.project is None:
            raise PhoneRefused(
                "no_fixtures",
                f"this server was started without a project folder, so it has no "
                f"{what}; {START}",
            )
        return self.project / relative

    def _read(self, load: Callable[[], _T]) -> _T:
        try:
            return load()
        except ConfigError as error:
            raise PhoneRefused(
                "no_fixtures",
                f"the project's files have problems, so phones cannot use them: "
                f"{'; '.join(map(str, error.problems))}. Fix them (harness "
                "validate lists them) and restart the server.",
            ) from None


class PhoneRack:
    """Emulated phones under ids, their shoppers, and the lock they run under.

    ``context_factory`` gives the Context a new phone of a workspace is built
    on (it may raise UnknownName for a workspace that does not exist).
    ``shoppers`` looks a shopper up by email; with ``invent_shoppers`` an email
    nobody registered makes one (:func:`shopper_for`). ``profiles``, ``apps``
    and ``catalog`` default to the files of ``project``, read when first
    needed.
    """

    def __init__(
        self,
        context_factory: ContextFactory,
        *,
        shoppers: ShopperLookup | None = None,
        profiles: Mapping[str, DeviceProfile] | None = None,
        apps: Mapping[str, AppProfile] | None = None,
        catalog: Catalog | None = None,
        project: Path | None = None,
        invent_shoppers: bool = False,
    ) -> None:
        self.context_factory = context_factory
        self.invent_shoppers = invent_shoppers
        self._lookup = shoppers
        self._fixtures = _Fixtures(project, profiles, apps, catalog)
        self._handsets: dict[str, Handset] = {}
        self._shoppers: dict[str, Shopper] = {}
        self._joined = 0
        self._lock = threading.RLock()

    @classmethod
    def serving(cls, emulator: Emulator, project: Path | None) -> PhoneRack:
        """Return the rack ``harness serve`` runs: phones on ``emulator``.

        Each phone gets its own id stream, drawn from the emulator's seed in
        the order phones join, so a replayed run builds the same phones.
        """
        made = 0

        def context(workspace: str) -> Context:
            nonlocal made
            made += 1
            ids = emulator.ids.child(f"rack/{workspace}/{made}")
            return Context.for_workspace(emulator, workspace, ids)

        return cls(context, project=project, invent_shoppers=True)

    # -- the lock --------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the rack's lock: no phone command or hosted request runs meanwhile."""
        with self._lock:
            yield

    # -- phones ----------------------------------------------------------------

    def create(
        self,
        profile: str,
        *,
        workspace: str = "default",
        name: str | None = None,
        answers_prompt: str = "allow",
    ) -> Handset:
        """Make a phone of device profile ``profile`` and put it on the rack."""
        with self._lock:
            chosen = self.profile(profile)
            if chosen.platform not in ("ios", "android"):
                raise PhoneRefused(
                    "unsupported",
                    f"device profile {profile!r} is a {chosen.platform} browser, "
                    "and the rack holds native phones (ios, android); drive a "
                    "browser through Appium's Chromium driver instead, or pick a "
                    f"phone profile: {', '.join(self._phone_profiles())}.",
                )
            if answers_prompt not in PROMPT_ANSWERS:
                raise PhoneRefused(
                    "invalid_request",
                    f'"answers_prompt" {answers_prompt!r} is not an answer; give '
                    f"one of {', '.join(PROMPT_ANSWERS)}.",
                )
            phone_id = self._free_id()
            shown = name or f"{chosen.name} {phone_id}"
            self._check_name(shown, workspace)
            context = self.context_factory(workspace)
            phone = EmulatedPhone(shown, chosen, context, answers_prompt=answers_prompt)
            self._joined = int(phone_id.removeprefix("phone-"))
            return self._put(phone_id, workspace, phone)

    def add(
        self,
        phone: EmulatedPhone,
        *,
        workspace: str = "default",
        phone_id: str | None = None,
    ) -> str:
        """Put a phone built elsewhere (a World's) on the rack; return its id."""
        with self._lock:
            chosen = phone_id or self._free_id()
            if chosen in self._handsets:
                raise PhoneRefused(
                    "conflict",
                    f"a phone with id {chosen!r} is on the rack already; give "
                    "another id, or none for the next free one.",
                )
            self._check_name(phone.name, workspace)
            if phone_id is None:
                self._joined = int(chosen.removeprefix("phone-"))
            self._put(chosen, workspace, phone)
            return chosen

    def get(self, phone_id: str) -> Handset:
        """Return the phone under ``phone_id``."""
        handset = self._handsets.get(phone_id)
        if handset is None:
            known = listing(list(self._handsets)) or "none yet"
            raise PhoneRefused(
                "unknown_phone",
                f"no phone {quoted(phone_id)} is on the rack (phones: {known}); create "
                "one with POST /_harness/phones, or list them with GET.",
            )
        return handset

    def remove(self, phone_id: str) -> Handset:
        """Take a phone off the rack; it stays as it was, unreachable."""
        with self._lock:
            handset = self.get(phone_id)
            del self._handsets[phone_id]
            logger.info("phone %s left the rack", phone_id)
            return handset

    def phones(self) -> list[Handset]:
        """Return the phones on the rack, in the order they joined."""
        return list(self._handsets.values())

    def clear(self) -> None:
        """Take every phone off the rack (an emulator reset does so)."""
        with self._lock:
            self._handsets.clear()

    # -- what commands name ----------------------------------------------------

    def profile(self, name: str) -> DeviceProfile:
        """Return the device profile called ``name``."""
        profiles = self._fixtures.profiles
        if name not in profiles:
            raise PhoneRefused(
                "unknown_name",
                f"unknown device profile {quoted(name)}; known device profiles: "
                f"{', '.join(sorted(profiles)) or 'none'}. Name one of these "
                '("profile", or harness:deviceProfile in Appium).',
            )
        return profiles[name]

    def app(self, name: str) -> AppProfile:
        """Return the app profile called ``name``."""
        apps = self._fixtures.apps
        if name not in apps:
            raise PhoneRefused(
                "unknown_name",
                f"unknown app profile {quoted(name)}; known app profiles: "
                f"{', '.join(sorted(apps)) or 'none'}. Install one of these by "
                "name (fixtures/apps/<name>.yaml).",
            )
        return apps[name]

    def product(self, sku: str) -> Product:
        """Return the product whose SKU (or catalog key) is ``sku``."""
        products = self._fixtures.catalog.products
        if sku in products:
            return products[sku]
        found = next((p for p in products.values() if p.sku == sku), None)
        if found is None:
            skus = ", ".join(p.sku for p in products.values()) or "none"
            raise PhoneRefused(
                "unknown_name",
                f"no product with SKU {quoted(sku)} in fixtures/catalog.yaml; "
                f"its SKUs: {skus}.",
            )
        return found

    def register(self, shopper: Shopper) -> None:
        """Let actions name ``shopper`` by email."""
        with self._lock:
            self._shoppers[shopper.email.strip().lower()] = shopper

    def shopper(self, email: str) -> Shopper:
        """Return the shopper with ``email``: registered, looked up, or made."""
        key = email.strip().lower()
        found = self._shoppers.get(key)
        if found is None and self._lookup is not None:
            found = self._lookup(email)
        if found is None and self.invent_shoppers:
            found = shopper_for(email)
        if found is None:
            known = ", ".join(sorted(self._shoppers)) or "none registered"
            raise PhoneRefused(
                "unknown_name",
                f"no shopper has email {quoted(email)} here (known: {known}); sign in "
                "with the email of one of the World's shoppers.",
            )
        self._shoppers.setdefault(key, found)
        return found

    # -- inside ----------------------------------------------------------------

    def _free_id(self) -> str:
        """Return the next free id; it is taken only when the phone joins."""
        number = self._joined + 1
        while f"phone-{number}" in self._handsets:
            number += 1
        return f"phone-{number}"

    def _put(self, phone_id: str, workspace: str, phone: EmulatedPhone) -> Handset:
        handset = Handset(phone_id, workspace, phone)
        self._handsets[phone_id] = handset
        logger.info("phone %s joined the rack: %s", phone_id, phone.name)
        return handset

    def _check_name(self, name: str, workspace: str) -> None:
        taken = any(
            h.phone.name == name and h.workspace == workspace
            for h in self._handsets.values()
        )
        if taken:
            raise PhoneRefused(
                "conflict",
                f"a phone named {name!r} is on the rack in workspace "
                f"{workspace!r} already; names tell phones apart in timelines, "
                "so give this one another.",
            )

    def _phone_profiles(self) -> list[str]:
        profiles = self._fixtures.profiles
        return sorted(n for n, p in profiles.items() if p.platform != "web")


def shopper_for(email: str) -> Shopper:
    """Return the shopper a served rack makes for an email nobody registered.

    The user id is ``u-`` and the first 12 hex digits of the SHA-256 of the
    trimmed, lower-cased email; the names come from the part before ``@``
    (``ada.lovelace@example.com`` is Ada Lovelace).
    """
    key = email.strip().lower()
    digest = hashlib.sha256(key.encode()).hexdigest()
    words = [w for w in key.partition("@")[0].replace("_", ".").split(".") if w]
    first = words[0].capitalize() if words else "Shopper"
    last = words[1].capitalize() if len(words) > 1 else ""
    return Shopper(key, f"u-{digest[:12]}", key, first, last)


__all__ = ["ContextFactory", "PhoneRack", "ShopperLookup", "shopper_for"]
