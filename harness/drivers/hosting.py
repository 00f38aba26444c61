"""The Appium side of one World: its sessions and the emulator it serves them.

A World run with Appium (``harness run --appium URL``) hands its phones out
through :class:`AppiumDevices`. It serves the World's own emulator on loopback
(with the World's frozen clock, see :mod:`harness.serve.phones`), so what an
app's SDK sends and what the World's expectations read are one workspace, and
opens one Appium session per phone:

- ``harnessfake``: the phone is an emulated phone on the World's context, put on
  the served rack under an id; the session attaches to it by that id
  (``harness:phoneId``). Its name is the name the World gave it, so
  timelines and expectations read it as they read an embedded phone.
- ``real``: the session asks the farm for a device matching the profile's
  ``appium:`` capabilities; the app's debug build must be pointed at the
  served emulator (README, "Running on real devices and farms").
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from ..apps import load_apps
from ..device.phone import EmulatedPhone
from .actions import ActionMap, find_action_map
from .appium import AppiumPhone, Dialect
from .config import AppiumSetup, fake_capabilities, phone_capabilities
from .session import Session

if TYPE_CHECKING:
    from ..apps import AppProfile
    from ..device.context import Context
    from ..emulator import Emulator
    from ..people import Catalog, Shopper
    from ..profiles import DeviceProfile
    from ..serve import Server
    from ..serve.phones import PhoneRack
    from .chromium import ChromiumBrowser

__all__ = ["AppiumDevices"]

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class AppiumDevices:
    """Phones of one World reached through Appium; close() ends them all."""

    def __init__(
        self,
        setup: AppiumSetup,
        emulator: Emulator,
        context: Context,
        app: AppProfile,
        *,
        root: Path,
        catalog: Catalog,
        shoppers: Callable[[str], Shopper | None],
    ) -> None:
        self.setup, self.emulator, self.context, self.app = (
            setup,
            emulator,
            context,
            app,
        )
        self.root, self.catalog, self.shoppers = root, catalog, shoppers
        self.phones: list[AppiumPhone] = []
        self.browsers: list[ChromiumBrowser] = []
        self._actions: ActionMap | None = None
        self._actions_read = False
        self._rack: PhoneRack | None = None
        self._server: Server | None = None
        self._apps: dict[str, AppProfile] = {}
        self._temporary = setup.device != "real"
        # A real device trusts one CA once: keep it in the project's .harness/.
        self.state = (
            Path(tempfile.mkdtemp(prefix="harness-world-"))
            if self._temporary
            else root / ".harness" / "appium"
        )
        # Made now, before the World enters its clock: the CA's and the
        # certificate's dates would meet a frozen datetime otherwise.
        from ..serve.tls import prepare

        prepare(self.state, (LOOPBACK,))

    @property
    def actions(self) -> ActionMap | None:
        """Return the app's action map, read once; None if it has none."""
        if not self._actions_read:
            apps = self.root / "fixtures" / "apps"
            self._actions, self._actions_read = (
                find_action_map(apps, self.app.name),
                True,
            )
        return self._actions

    def phone(
        self, name: str, profile: DeviceProfile, *, answers_prompt: str
    ) -> AppiumPhone:
        """Return a new phone called ``name`` of ``profile``, behind a session."""
        server, rack = self.serve()
        mirror: EmulatedPhone | None = None
        dialect: Dialect
        if self.setup.device == "harnessfake":
            mirror = EmulatedPhone(
                name, profile, self.context, answers_prompt=answers_prompt
            )
            phone_id = rack.add(mirror)
            control = f"{server.http_url}/_harness"
            caps = fake_capabilities(control, phone_id=phone_id, token=server.token)
            dialect = "fake"
        else:
            caps = phone_capabilities(profile, self.app)
            dialect = "android" if profile.platform == "android" else "ios"
        session = Session.open(name, self.setup.url, caps)
        phone = AppiumPhone(
            name,
            profile,
            session,
            self.context,
            app=self.app,
            dialect=dialect,
            actions=self.actions,
            answers_prompt=answers_prompt,
            mirror=mirror,
            lock=rack.locked,
            app_name=self.app_name,
        )
        self.phones.append(phone)
        return phone

    def browser(self, name: str, *, answers_prompt: str = "allow") -> ChromiumBrowser:
        """Return a real Chromium on the served storefront, called ``name``.

        It needs Appium's Chromium driver beside harnessfake, as the
        project's own Appium (``--appium local``) has.
        """
        from ..serve.storefront import page_url
        from .chromium import ChromiumBrowser

        server, _ = self.serve()
        assert server.http_url is not None
        browser = ChromiumBrowser(
            name,
            appium_url=self.setup.url,
            shop_url=page_url(server.http_url, "default"),
            journal=self.context.journal,
            clock=self.context.clock,
            answers_prompt=answers_prompt,
        )
        self.browsers.append(browser)
        return browser

    def serve(self) -> tuple[Server, PhoneRack]:
        """Serve the World's emulator on loopback (once) and return it and its rack."""
        if self._server is not None and self._rack is not None:
            return self._server, self._rack
        from ..serve import ServeOptions, Server
        from ..serve.phones import PhoneRack

        context = self.context
        self._apps.update(load_apps(self.root / "fixtures" / "apps"))
        self._apps[self.app.name] = self.app
        rack = PhoneRack(
            lambda workspace: context,
            shoppers=self.shoppers,
            apps=self._apps,
            catalog=self.catalog,
            project=self.root,
        )
        options = ServeOptions(
            port=self.setup.serve_port,
            http_port=0,
            state=self.state,
            project=self.root,
        )
        server = Server.hosting(self.emulator, rack, options)
        server.start()
        logger.info(
            "the World's emulator is served at %s (SDK apiHost %s, write key %s)",
            server.https_url,
            server.api_host,
            context.write_key,
        )
        self._server, self._rack = server, rack
        return server, rack

    def app_name(self, app: AppProfile) -> str:
        """Return the name the rack knows ``app`` by, adding it if it is new.

        A scenario may install a changed copy of a profile (the World's app
        with one setting flipped); the rack then knows it under a name of
        its own, so installApp installs exactly that copy.
        """
        known = self._apps.get(app.name)
        if known is None or known == app:
            self._apps.setdefault(app.name, app)
            return app.name
        for name, held in self._apps.items():
            if held == app:
                return name
        alias = f"{app.name}~{len(self._apps)}"
        self._apps[alias] = app
        return alias

    def locked(self) -> AbstractContextManager[object]:
        """Hold the served rack's lock (no phone command runs meanwhile)."""
        return self._rack.locked() if self._rack is not None else nullcontext()

    @contextmanager
    def closing(self) -> Iterator[AppiumDevices]:
        """Close everything on leaving, even after a failure."""
        try:
            yield self
        finally:
            self.close()

    def screenshots(self, folder: Path) -> list[Path]:
        """Save each phone's screen into ``folder``; return the files written."""
        saved = (phone.screenshot(folder) for phone in self.phones)
        return [path for path in saved if path is not None]

    def close(self) -> None:
        """End every session and stop serving; safe to call twice."""
        phones, self.phones = self.phones, []
        for phone in phones:
            phone.close()
        browsers, self.browsers = self.browsers, []
        for browser in browsers:
            browser.quit()
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        if self._temporary:
            shutil.rmtree(self.state, ignore_errors=True)
