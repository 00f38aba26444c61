"""The Appium side of a phone: its session, the steps outside the app's screens.

:class:`AppiumHandle` holds what :class:`~harness.drivers.appium.AppiumPhone`
builds on: the session, the action map, the emulated phone a ``fake`` phone
mirrors, and the steps that come from outside the app's screens (pushes,
links, the network, notification taps) or that no Appium driver has (taken on
the mirror, under the served rack's lock). See docs/appium.md for the table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from ..apps import AppProfile
from ..errors import ScenarioError, Unsupported
from ..journal import Entry
from ..profiles import DeviceProfile
from .actions import SUFFIX, ActionMap, Locator
from .errors import AppiumError
from .notifications import read_inbox
from .placeholders import render
from .session import Session

if TYPE_CHECKING:
    from ..device.context import Context
    from ..device.inbox import Inbox, InboxItem
    from ..device.phone import EmulatedPhone

__all__ = ["MIRROR_ONLY", "AppiumHandle", "Dialect"]

logger = logging.getLogger(__name__)

Dialect = Literal["android", "ios", "fake"]
# Steps no Appium driver has; a fake phone takes them on its mirror.
MIRROR_ONLY = (
    "doze", "wake", "block_channel", "rotate_token", "upgrade_os", "reboot",
    "set_clock", "set_timezone", "update_app", "restore_from",
)  # fmt: skip


class AppiumHandle:
    """A phone's session, action map and mirror; the steps outside its screens."""

    def __init__(
        self,
        name: str,
        profile: DeviceProfile,
        session: Session,
        context: Context,
        *,
        app: AppProfile,
        dialect: Dialect,
        actions: ActionMap | None,
        answers_prompt: str = "allow",
        mirror: EmulatedPhone | None = None,
        lock: Callable[[], AbstractContextManager[object]] | None = None,
        app_name: Callable[[AppProfile], str] | None = None,
    ) -> None:
        self.name, self.profile, self.session = name, profile, session
        self.context, self.dialect, self.actions = context, dialect, actions
        self.answers_prompt, self.mirror = answers_prompt, mirror
        self._lock = lock or nullcontext
        self._app_name = app_name or (lambda app: app.name)
        self.app_profile: AppProfile | None = None
        self._under_test = app
        self._referrer: str | None = None

    # -- what the OS saw ---------------------------------------------------------

    @property
    def inbox(self) -> Inbox:
        """Return what the phone did with each push it got.

        A fake phone's is its mirror's; an Android device's is read from its
        notification shade (``mobile: getNotifications``), shown items only.
        """
        if self.mirror is not None:
            return self.mirror.inbox
        if self.dialect == "ios":
            raise Unsupported(
                "XCUITest cannot read the notifications an iPhone shows (there is "
                "no getNotifications on iOS); check pushes on Android or on the "
                "harnessfake path"
            )
        answer = self.session.mobile("getNotifications")
        return read_inbox(answer, self.context.clock.now())

    @property
    def token(self) -> str | None:
        """Return the push token of the current install, where the harness knows it.

        A real device's token lives in its app; the harness learns it only
        from the workspace, so it is None here.
        """
        return self.mirror.token if self.mirror is not None else None

    @property
    def tokens_seen(self) -> list[str]:
        """Return every token the phone's installs held, oldest first."""
        return self.mirror.tokens_seen if self.mirror is not None else []

    @property
    def permission(self) -> str:
        """Return the OS's notification setting for the app."""
        return self._mirror("permission").permission

    @property
    def app(self) -> Any:
        """Return the emulated app behind a fake phone (for the app checks)."""
        return self.mirror.app if self.mirror is not None else None

    def why_off(self) -> str:
        """Say why the OS shows nothing for this app."""
        return self._mirror("why_off").why_off()

    # -- push, links, network ------------------------------------------------------

    def tap(self, item: InboxItem) -> None:
        """Tap a notification the phone shows; the app opens at its link."""
        if self.dialect == "ios":
            raise Unsupported(
                "XCUITest has no notification shade command, so the harness "
                "cannot tap an iPhone's notification; tap it on Android or on "
                "the harnessfake path"
            )
        if self.dialect == "fake":
            phone = self._mirror("tap")
            number = next(
                (n for n, i in enumerate(phone.inbox.items, 1) if i is item), None
            )
            reference = item.delivery_id or number
            self._log("appium", f"harness: tapNotification {reference}")
            self.session.execute(
                "harness: tapNotification", {"notification": reference}
            )
            return
        self._command("openNotifications")
        title = f"//*[@text={json.dumps(item.title)}]"
        self.session.tap(Locator(by="xpath", value=title), title)

    def open_link(self, url: str) -> None:
        """Open ``url`` in the app, as a tapped link or a store referrer would."""
        key = "bundleId" if self.dialect == "ios" else "package"
        self._command("deepLink", {"url": url, key: self._bundle()})

    def push(self, payload: dict[str, Any]) -> None:
        """Hand the app a push as if its provider delivered it.

        iOS Simulators take it through ``mobile: pushNotification``; Android
        has no such command, so the debug build's ``push_link`` deep link
        carries the payload to the app's message handler.
        """
        if self.dialect != "android":
            self._command(
                "pushNotification", {"bundleId": self._bundle(), "payload": payload}
            )
            return
        link = self._map().push_link
        if link is None:
            raise Unsupported(
                f"Android has no Appium push command and {self._map_file()} has "
                "no push_link for the debug build's push hook; add one"
            )
        self.open_link(render(link, {"payload": quote(json.dumps(payload))}))

    def go_offline(self) -> None:
        """Lose the network."""
        self._connectivity(False)

    def go_online(self) -> None:
        """Get the network back."""
        self._connectivity(True)

    def _connectivity(self, online: bool) -> None:
        if self.dialect == "ios":
            raise Unsupported(
                "XCUITest cannot switch a device's network; use airplane mode "
                "by hand, or play this on Android or the harnessfake path"
            )
        if self.dialect == "fake":
            self._on_mirror("go_online" if online else "go_offline")
            return
        self._command("setConnectivity", {"wifi": online, "data": online})

    # -- steps with no Appium command ------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name not in MIRROR_ONLY:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

        def step(*args: Any, **kwargs: Any) -> Any:
            return self._on_mirror(name, *args, **kwargs)

        return step

    def _on_mirror(self, method: str, *args: Any, **kwargs: Any) -> Any:
        phone = self._mirror(method)
        unwrapped = [a.mirror if isinstance(a, AppiumHandle) else a for a in args]
        self._log("appium", f"{method}: no Appium command; taken on the emulated phone")
        with self._lock():
            result = getattr(phone, method)(*unwrapped, **kwargs)
        if phone.app is not None:  # a restore or an update installs a build
            self.app_profile = phone.app.profile
        return result

    def _mirror(self, what: str) -> EmulatedPhone:
        if self.mirror is None:
            raise Unsupported(
                f"{what} has no Appium command on {self.dialect} "
                f"({self.session.automation}); the harness can only take it on an "
                "emulated phone (--appium-device harnessfake)"
            )
        return self.mirror

    # -- reports ---------------------------------------------------------------

    def screenshot(self, folder: Path) -> Path | None:
        """Save the screen into ``folder``, named after the phone."""
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.name)
        return self.session.screenshot(folder / f"{stem}.png")

    def close(self) -> None:
        """End the Appium session."""
        self.session.quit()

    # -- helpers ---------------------------------------------------------------

    def _command(self, command: str, args: dict[str, object] | None = None) -> Any:
        self._log("appium", f"mobile: {command} {json.dumps(args or {})}")
        return self.session.mobile(command, args)

    def _shell(self, command: str, *args: str) -> None:
        try:
            self._command("shell", {"command": command, "args": list(args)})
        except AppiumError as error:
            if "insecure feature" not in error.answer.lower():
                raise
            raise Unsupported(
                f"{command} {' '.join(args)} needs adb shell, which this Appium "
                "refuses; start it with --allow-insecure uiautomator2:adb_shell"
            ) from None

    def _installed(self) -> AppProfile:
        if self.app_profile is None:
            raise ScenarioError(
                f"{self.name} has no app installed; call install() first"
            )
        return self.app_profile

    def _bundle(self) -> str:
        return self._installed().bundle_id

    def _app_id(self) -> dict[str, object]:
        key = {"android": "appId", "ios": "bundleId", "fake": "appId"}[self.dialect]
        return {key: self._bundle()}

    def _map(self) -> ActionMap:
        if self.actions is None:
            raise Unsupported(
                f"{self._map_file()} does not exist, so Appium has no steps for "
                f"{self._under_test.name}'s screens; write it (docs/appium.md)"
            )
        return self.actions

    def _map_file(self) -> str:
        return f"fixtures/apps/{self._under_test.name}{SUFFIX}"

    def _log(self, kind: str, text: str) -> None:
        clock = self.context.clock
        self.context.journal.record(
            Entry(clock.now(), "appium", kind, f"{self.name}: {text}", device=self.name)
        )
