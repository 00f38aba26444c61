"""The phone itself, apart from the app: reboots, OS upgrades, clock and time zone.

A mixin of :class:`~harness.device.phone.EmulatedPhone`: what a person does in
the phone's Settings or what the OS does to the whole device, which touches the
app only through the process it ends and the permission an upgrade decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..clock import Timer
from ..errors import ConfigError, ScenarioError
from ..files import format_duration
from ..journal import plural
from ..profiles import DeviceProfile
from .context import Context
from .inbox import Inbox
from .tray import Tray

if TYPE_CHECKING:
    from datetime import datetime

    from .app import ShopApp

__all__ = ["MAX_SKEW", "PhoneSystem"]

MAX_SKEW = timedelta(days=365 * 100)


class PhoneSystem:
    """Reboot, OS upgrade, clock and time zone of an emulated phone."""

    name: str
    profile: DeviceProfile
    context: Context
    app: ShopApp | None
    token: str | None
    permission: str
    state: str
    tray: Tray
    inbox: Inbox
    clock_skew: timedelta
    timezone: str
    _saver: Timer | None
    _installed_at: datetime
    is_running: Callable[[], bool]
    _end_process: Callable[..., None]
    _rotates: Callable[[str], bool]
    _log: Callable[..., None]

    def reboot(self) -> None:
        """Restart the phone: every process ends and Doze ends.

        Pushes still reach an app that merely is not running; a force-stopped
        app stays stopped until the user opens it, as a reboot does not clear
        Android's stopped state.
        """
        self._restart("rebooted")

    def upgrade_os(self, version: str, api_level: int | None = None) -> None:
        """Install an OS update and reboot into ``version`` (Android: ``api_level``).

        The device profile is replaced by its upgraded copy, re-validated, so
        an impossible upgrade (older, unknown API level, api_level on iOS) is
        refused. From Android 12 or older to 13: an app that already showed
        notifications keeps them (POST_NOTIFICATIONS pre-granted), one that
        never did starts with them off until it asks, and one the user turned
        off stays off. The token changes where the profile rotates on
        ``os_upgrade``.
        """
        old = self.profile
        try:
            new = old.upgraded(version, api_level)
        except ConfigError as error:
            problems = "; ".join(f"{p.path}: {p.message}" for p in error.problems)
            raise ScenarioError(
                f"{self.name} cannot upgrade to {old.os_name} {version}: {problems}"
            ) from None
        self.profile = new
        self._restart(
            f"upgraded from {old.os_name} {old.os_version} to {new.os_version} and "
            "rebooted"
        )
        if self.app is None:
            return
        if old.permission.model != new.permission.model:
            self._meet_post_notifications()
        if self.token is not None and self._rotates("os_upgrade"):
            self.context.unregister_token(self.profile, self.token)
            self.token = None
            self._log("token", "the upgrade reset the push registration")

    def _restart(self, what: str) -> None:
        if self._saver is not None:
            self._saver.cancel()
            self._saver = None
        running = self.is_running()
        if running:
            self._end_process()
        notes = ["the app's process ended"] if running else []
        if self.tray.dozing:
            held = self.tray.wake()
            notes.append(f"Doze is off; {plural(held, 'held push')} arrive")
        if self.state == "force_stopped":
            notes.append("the app stays force-stopped until it is opened")
        self._log("reboot", "; ".join([what, *notes]))

    def _meet_post_notifications(self) -> None:
        """Give an installed app its POST_NOTIFICATIONS state on Android 13."""
        if self.permission != "granted":
            self._log("permission", "notifications stay off: the user turned them off")
        elif self._showed_notifications():
            self._log(
                "permission",
                "POST_NOTIFICATIONS pre-granted: the app showed notifications "
                "before the upgrade",
            )
        else:
            self.permission = "not_determined"
            self._log(
                "permission",
                "the app never showed a notification, so it starts Android "
                f"{self.profile.os_version} with notifications off until it asks",
            )

    def _showed_notifications(self) -> bool:
        return any(
            item.outcome.visible and item.at >= self._installed_at
            for item in self.inbox.items
        )

    def set_clock(self, skew: timedelta) -> None:
        """Set the phone's clock ``skew`` ahead of true time (negative: behind).

        The SDK stamps each event, and each batch's ``sentAt``, with the
        phone's time; the Pipelines API corrects the skew from the two.
        """
        if abs(skew) > MAX_SKEW:
            raise ScenarioError(
                f"set_clock({skew}) puts {self.name}'s clock more than "
                f"{MAX_SKEW.days // 365} years off; a phone's clock stays within "
                "that, so pass a smaller skew"
            )
        self.clock_skew = skew
        if not skew:
            told = "to the right time"
        else:
            way = "ahead" if skew > timedelta(0) else "behind"
            told = f"{format_duration(abs(skew))} {way}"
        self._log("settings", f"clock set {told}")

    def set_timezone(self, name: str) -> None:
        """Move the phone to the IANA time zone ``name`` (Settings > Date & time).

        Events carry it in ``context.timezone`` from now on; the iOS SDK's
        device attributes carry it too, so the profile learns it when the
        device is next re-sent (each cold start registers the token again).
        """
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScenarioError(
                f"{name!r} is not an IANA time zone; pass a name like "
                "'Europe/Berlin' or 'America/New_York'"
            ) from None
        old, self.timezone = self.timezone, name
        self._log("settings", f"time zone changed from {old} to {name}")
