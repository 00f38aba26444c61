"""The emulated phone: the OS's side of permissions, tokens, app state and push.

The phone owns what the real OS owns: whether notifications may be shown, the
push token of each install, whether the app runs, is backgrounded or was
force-stopped, and what happened to every push that reached it (its inbox). The
app on it (see :mod:`.app`) drives the SDK; the SDK never decides what is shown.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..apps import AppProfile
from ..clock import Timer
from ..errors import ScenarioError, Unsupported
from ..journal import Entry, plural, short_token
from ..profiles import DeviceProfile
from ..push.notification import Notification
from .app import ShopApp
from .context import Context
from .inbox import Inbox, InboxItem
from .tray import Tray

if TYPE_CHECKING:
    from ..people import Product, Shopper

logger = logging.getLogger(__name__)

PROMPT_ANSWERS = ("allow", "deny", "dismiss")


class EmulatedPhone:
    """A phone running one app, modelled on a device profile."""

    def __init__(
        self,
        name: str,
        profile: DeviceProfile,
        context: Context,
        *,
        answers_prompt: str = "allow",
    ) -> None:
        if profile.platform not in ("ios", "android"):
            raise Unsupported(
                f"device profile {profile.name!r} is a {profile.platform} browser; "
                "use an emulated browser for it, not a phone"
            )
        if answers_prompt not in PROMPT_ANSWERS:
            raise ScenarioError(
                f"answers_prompt={answers_prompt!r}; use one of "
                f"{', '.join(PROMPT_ANSWERS)}"
            )
        self.name, self.profile, self.context = name, profile, context
        self.answers_prompt = answers_prompt
        self.online = True
        self.inbox = Inbox()
        self.tray = Tray(self)
        self.app: ShopApp | None = None
        self.permission = "not_determined"
        self.state = "not_installed"
        self.token: str | None = None
        self.tokens_seen: list[str] = []
        self.installs = 0
        self._saver: Timer | None = None
        self._device_id = context.ids.uuid4()
        self.clock_skew = timedelta(0)
        self.timezone = "America/New_York"

    # -- what the SDK asks the OS ----------------------------------------------

    def info(self) -> dict[str, Any]:
        """Return the facts the SDK reads from the OS for its context."""
        profile, app = self.profile, self._app().profile
        ios = profile.platform == "ios"
        return {
            "device_id": self._device_id.upper() if ios else self._device_id[:16],
            "model": profile.model,
            "manufacturer": profile.manufacturer,
            "os_name": "iOS" if ios else "Android",
            "os_version": profile.os_version,
            "api_level": profile.api_level,
            "app_version": app.version,
            "app_build": str(app.build),
            "bundle_id": app.bundle_id,
            "locale": "en-US",
            "timezone": self.timezone,
        }

    def now(self) -> datetime:
        """Return the time the phone's own clock shows (true time plus its skew)."""
        return self.context.clock.now() + self.clock_skew

    def push_enabled(self) -> bool:
        """Tell what the SDK reports: only full authorization counts on iOS."""
        return self.permission == "granted"

    def is_running(self) -> bool:
        """Tell whether the app's process is alive."""
        return self.state in ("foreground", "background")

    # -- lifecycle -------------------------------------------------------------

    def install(self, app: AppProfile, *, referrer: str | None = None) -> ShopApp:
        """Install the app; a deferred deep link may carry ``referrer``."""
        if self.app is not None:
            raise ScenarioError(
                f"{self.name} already has {app.name} installed; "
                "call reinstall() or uninstall() first"
            )
        self.installs += 1
        self.app = ShopApp(
            self, app, self.context, referrer=referrer, install=self.installs
        )
        self.permission = self.profile.permission.initial
        self.state = "not_running"
        self._log(
            "install",
            f"installed {app.name} {app.version}; notifications "
            f"{self.permission.replace('_', ' ')}",
        )
        return self.app

    def launch(self) -> None:
        """Start the app (cold start) or bring it to the foreground."""
        app = self._app()
        if self._saver is not None:
            self._saver.cancel()
            self._saver = None
        if self.state == "background":
            self.state = "foreground"
            self._log("launch", "app back in the foreground")
            app.foregrounded()
            return
        if self.state == "foreground":
            return
        self.state = "foreground"
        self._log("launch", "app launched (cold start)")
        app.started()
        if self.token is None or self.token not in self.tokens_seen:
            self.token = self._issue_token()
            self.tokens_seen.append(self.token)
        else:
            self._renew_if_expired(self.token)
        app.token_ready(self.token)

    def _renew_if_expired(self, token: str) -> None:
        current = self.context.app_active(self.profile, token)
        if current != token:
            self.token = current
            self.tokens_seen.append(current)
            self._log(
                "token",
                f"FCM expired idle token {short_token(token)} (270 days without "
                "the app); onNewToken gives a new one",
                token=current,
            )

    def background(self) -> None:
        """Send the app to the background (home button)."""
        if self.state == "foreground":
            self.state = "background"
            self._app().backgrounded()
            self._log("background", "app in the background")
            after = self.profile.background.kills_background_after
            if after is not None:
                self._saver = self.context.clock.call_later(
                    after, self._battery_kill, f"{self.name} battery saver"
                )

    def _end_process(self, state: str = "not_running") -> None:
        """End the app's process: in-memory state, timers and all."""
        self.state = state
        if self.app is not None:
            self.app.sdk.stop()

    def _battery_kill(self) -> None:
        if self.state == "background":
            self._end_process()
            self._log(
                "kill", "the OEM battery saver ended the backgrounded app's process"
            )

    def swipe_away(self) -> None:
        """Swipe the app from recents; some OEMs treat this as force-stop."""
        if not self.is_running():
            return
        app = self._app()
        app.backgrounded()
        queued = len(app.sdk.pending())
        if queued:
            self._log(
                "kill",
                f"{plural(queued, 'event')} still queued in the app's "
                "storage; they go out after the next launch",
            )
        if self.profile.background.swipe_away_force_stops:
            self._end_process("force_stopped")
            self._log("kill", "swiped away; this OEM force-stops the app")
        else:
            self._end_process()
            self._log("kill", "swiped away; the process ended")

    def force_stop(self) -> None:
        """Tap Settings > Apps > Force stop (``adb shell am force-stop``).

        Android then hands the app no push until the user opens it again; iOS
        has no such switch.
        """
        if self.profile.platform != "android":
            raise Unsupported(
                f"{self.profile.name} is {self.profile.platform}; only Android can "
                "force-stop an app (swipe_away() is the closest on iOS)"
            )
        self._app()
        self._end_process("force_stopped")
        self._log("kill", "force-stopped in Settings: no pushes until it is opened")

    def uninstall(self) -> None:
        """Remove the app: its storage goes, its token dies after the lag."""
        app = self._app()
        queued = len(app.sdk.pending())
        self._end_process()
        app.sandbox.wipe()
        if self.token is not None and self._rotates("reinstall"):
            self.context.unregister_token(self.profile, self.token)
            self.token = None
        lost = f"; {plural(queued, 'unsent event')} lost with it" if queued else ""
        self._log("uninstall", f"app uninstalled; storage wiped{lost}")
        self.app, self.state = None, "not_installed"

    def reinstall(self, app: AppProfile | None = None) -> ShopApp:
        """Uninstall and install again: new storage, new anonymous id, new token."""
        profile = app or self._app().profile
        self.uninstall()
        return self.install(profile)

    def rotate_token(self) -> str:
        """Have the push service replace this install's token while it runs.

        A running app hears of it (FCM's onNewToken, a new APNs registration) and,
        if its app profile registers rotated tokens, passes it to the SDK at once;
        otherwise the new token reaches the SDK at the next launch.
        """
        app = self._app()
        old = self.token
        if old is not None:
            self.context.unregister_token(self.profile, old)
        self.token = self._issue_token()
        self.tokens_seen.append(self.token)
        self._log(
            "token", f"token rotated from {short_token(old or '-')}", token=self.token
        )
        if self.is_running() and app.profile.register_rotated_token:
            app.token_ready(self.token)
        return self.token

    def _rotates(self, trigger: str) -> bool:
        return trigger in self.profile.token.rotates_on

    def go_offline(self) -> None:
        """Lose the network: uploads fail and pushes wait at the provider."""
        self.online = False
        self._log("network", "offline")

    def go_online(self) -> None:
        """Get the network back: stored pushes arrive, a running SDK flushes."""
        self.online = True
        self._log("network", "online again")
        if self.token is not None:
            arrived = self.context.reconnect(self.profile, self.token)
            if arrived:
                self._log("network", f"{plural(arrived, 'stored push')} arrived")
        if self.app is not None and self.is_running():
            self.app.sdk.flush()

    # -- the shopper's actions in the app --------------------------------------

    def log_in(self, shopper: Shopper) -> None:
        """Log in to the app."""
        self._running().log_in(shopper)

    def create_account(self, shopper: Shopper) -> None:
        """Sign up in the app."""
        self._running().create_account(shopper)

    def log_out(self) -> None:
        """Log out of the app."""
        self._running().log_out()

    def view(self, product: Product) -> None:
        """Open a product in the app."""
        self._running().view(product)

    def add_to_cart(self, product: Product, qty: int = 1) -> None:
        """Add a product to the cart in the app."""
        self._running().add_to_cart(product, qty)

    def start_checkout(self, product: Product, qty: int = 1) -> None:
        """Open the checkout in the app."""
        self._running().start_checkout(product, qty)

    def complete_order(self, product: Product, qty: int = 1) -> None:
        """Place the order in the app."""
        self._running().complete_order(product, qty)

    # -- permission ------------------------------------------------------------

    def request_permission(self, *, provisional: bool = False) -> None:
        """Handle the app asking for notification permission."""
        rules = self.profile.permission
        if provisional and rules.provisional and self.permission == "not_determined":
            self.permission = "provisional"
            self._log("permission", "provisional authorization granted (no prompt)")
        elif rules.prompt == "none":
            self._log(
                "permission",
                "no runtime prompt on this OS; notifications "
                f"{self.permission.replace('_', ' ')}",
            )
            return
        elif self.permission in ("not_determined", "provisional"):
            answer = self.answers_prompt
            if answer != "dismiss":
                self.permission = "granted" if answer == "allow" else "denied"
            self._log(
                "permission",
                f"permission prompt shown; the user chose "
                f"{answer!r}: notifications {self.permission.replace('_', ' ')}",
            )
        self._app().permission_changed()

    def set_notifications(self, enabled: bool) -> None:
        """Flip the app's notifications in the OS Settings app.

        The shopper leaves the app for Settings, so a foreground app goes to the
        background first; it learns of the change when it comes back.
        """
        self.background()
        self.permission = "granted" if enabled else "denied"
        self._log(
            "settings", f"notifications turned {'on' if enabled else 'off'} in Settings"
        )
        runtime = self.profile.permission.model == "android_runtime"
        if not enabled and runtime and self.is_running():
            self._end_process()
            self._log(
                "kill", "Android ends the app's process when a permission is revoked"
            )

    # -- push ------------------------------------------------------------------

    def reachable(self) -> bool:
        """Tell whether the phone holds a connection to its push service."""
        return self.online

    def stored(self, notification: Notification, note: str) -> None:
        """Hear that the provider holds a push until the phone is online."""
        self.tray.stored(notification, note)

    def discarded(self, notification: Notification, note: str) -> None:
        """Hear that the provider threw a push away before it arrived."""
        self.tray.discarded(notification, note)

    def deliver(self, notification: Notification) -> None:
        """Take a push the provider accepted; the OS decides what becomes of it."""
        self.tray.deliver(notification)

    def doze(self) -> None:
        """Leave the phone still, screen off and unplugged until Doze sets in.

        Normal-priority FCM messages then wait for a maintenance window. Phones
        without Doze (iOS, Android before 6) just lock their screen.
        """
        self.background()
        if self.tray.doze():
            self._log("doze", "the phone is idle: Doze is on")
        else:
            self._log("doze", "the phone is idle (this OS has no Doze)")

    def wake(self) -> None:
        """Pick the phone up: Doze ends and held messages arrive."""
        if self.tray.dozing:
            released = self.tray.wake()
            self._log("doze", f"Doze is off; {plural(released, 'held push')} arrive")

    def block_channel(self, channel: str | None = None) -> None:
        """Block one notification channel in Settings; the app's switch stays on.

        Without ``channel`` it blocks the one Customer.io's SDK draws on, named
        after the app's package.
        """
        name = channel or self._app().profile.bundle_id
        if self.profile.platform != "android":
            raise Unsupported(
                f"{self.profile.name} is {self.profile.platform}; notification "
                "channels exist on Android 8 and later only"
            )
        self.tray.block_channel(name)
        self._log("settings", f"notification channel {name!r} blocked in Settings")

    def tap(self, item: InboxItem) -> None:
        """Tap a notification: the app opens and reports the open."""
        if not item.outcome.visible:
            raise ScenarioError(
                f"cannot tap a notification that was {item.outcome.value}"
                f" ({item.reason})"
            )
        if item.tapped_at is not None:
            raise ScenarioError(
                f"notification {item.title!r} was already tapped; the OS removes a "
                "notification once it is opened"
            )
        if item.notification.token != self.token or self.app is None:
            raise ScenarioError(
                f"notification {item.title!r} belongs to an install that is gone"
            )
        item.tapped_at = self.context.clock.now()
        self._log(
            "tap", f"notification {item.title!r} tapped", delivery_id=item.delivery_id
        )
        self.launch()
        self._app().notification_opened(item)

    def why_off(self) -> str:
        """Say why the OS shows nothing for this app."""
        model = self.profile.permission.model
        if model == "android_runtime" and self.permission == "not_determined":
            return (
                "POST_NOTIFICATIONS not granted: Android 13+ installs start with "
                "notifications off"
            )
        if self.permission == "not_determined":
            return "the app never asked for permission, so notifications are off"
        return "notifications are turned off for this app"

    # -- helpers ---------------------------------------------------------------

    def _issue_token(self) -> str:
        token = self.context.issue_token(self.profile, self._app().profile, self)
        self._log("token", f"push token issued: {short_token(token)}", token=token)
        return token

    def _running(self) -> ShopApp:
        app = self._app()
        if not self.is_running():
            raise ScenarioError(
                f"{self.name}: the app is {self.state.replace('_', ' ')}; call "
                "launch() before using it"
            )
        return app

    def _app(self) -> ShopApp:
        if self.app is None:
            raise ScenarioError(
                f"{self.name} has no app installed; call install() first"
            )
        return self.app

    def _log(self, kind: str, text: str, **subjects: Any) -> None:
        self.context.journal.record(
            Entry(
                self.context.clock.now(),
                "phone",
                kind,
                f"{self.name}: {text}",
                device=self.name,
                token=subjects.get("token"),
                delivery_id=subjects.get("delivery_id"),
            )
        )
