"""The emulated phone: the OS's side of permissions, tokens, app state and push.

The phone owns what the real OS owns: whether notifications may be shown, the
push token of each install, whether the app runs, is backgrounded or was
force-stopped, and what happened to every push that reached it (its inbox). The
app on it (see :mod:`.app`) drives the SDK; the SDK never decides what is shown.

It also plays the app's whole life on the device: install, launch, update in
place, restore onto a new phone, clear data, uninstall, and the phone's own
reboots, OS upgrades, clock and time zone. A token is handed to the app at each
cold start; a first registration needs the network and, on Android, Google Play
services.
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
from .system import PhoneSystem
from .tray import Tray

if TYPE_CHECKING:
    from ..people import Product, Shopper

logger = logging.getLogger(__name__)

PROMPT_ANSWERS = ("allow", "deny", "dismiss")


class EmulatedPhone(PhoneSystem):
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
        self.restored_from: str | None = None
        self._saver: Timer | None = None
        self._device_id = context.ids.uuid4()
        self._installed_at = context.clock.now()
        self._new_stack = False
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
        self._installed_at = self.context.clock.now()
        self._log(
            "install",
            f"installed {app.name} {app.version}; notifications "
            f"{self.permission.replace('_', ' ')}",
        )
        return self.app

    def launch(self) -> None:
        """Start the app (cold start) or bring it to the foreground.

        A cold start hands the app its push token. A first registration needs
        the network (the token comes once the phone is online) and, on
        Android, Google Play services (without them it never comes).
        """
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
        self._hand_token(app)

    def _hand_token(self, app: ShopApp) -> None:
        """Give the running app its token, registering for a new one if due."""
        held = self.token
        if held is not None and not self._token_due():
            renewed = self.online and self._renew_if_expired(held)
            app.token_ready(self.token or held, generated=renewed)
            return
        if not self._can_register():
            return
        # A new push stack's library fetches the token the update left it;
        # no generation callback fires for it (field report FR-06).
        generated = not self._new_stack
        if self._new_stack and held is not None:
            self.context.unregister_token(self.profile, held)
        self._new_stack = False
        token = self.token = self._issue_token()
        self.tokens_seen.append(token)
        app.token_ready(token, generated=generated)

    def _token_due(self) -> bool:
        """Tell whether the next hand-over needs a registration with the service."""
        token = self.token
        return token is None or token not in self.tokens_seen or self._new_stack

    def _can_register(self) -> bool:
        """Tell whether the push service can register the app now; say why not."""
        if self.profile.platform == "android" and not self.profile.play_services:
            self._log(
                "token",
                "FirebaseMessaging.getToken() failed with SERVICE_NOT_AVAILABLE: "
                "this phone has no Google Play services, so FCM cannot register "
                "the app and it gets no push token",
            )
            return False
        if not self.online:
            service = "APNs" if self.profile.push.service == "apns" else "FCM"
            self._log(
                "token",
                f"no network: registering with {service} for a push token needs "
                "it; the token comes once the phone is online",
            )
            return False
        return True

    def _renew_if_expired(self, token: str) -> bool:
        current = self.context.app_active(self.profile, token)
        if current == token:
            return False
        self.token = current
        self.tokens_seen.append(current)
        self._log(
            "token",
            f"FCM expired idle token {short_token(token)} (270 days without "
            "the app); onNewToken gives a new one",
            token=current,
        )
        return True

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

    def _kill(self) -> None:
        """End the app's process, leaving a force-stopped app force-stopped."""
        stopped = self.state == "force_stopped"
        self._end_process("force_stopped" if stopped else "not_running")

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
        self.restored_from, self._new_stack = None, False

    def reinstall(self, app: AppProfile | None = None) -> ShopApp:
        """Uninstall and install again: new storage, new anonymous id, new token."""
        profile = app or self._app().profile
        self.uninstall()
        return self.install(profile)

    def update_app(
        self, profile: AppProfile | None = None, *, new_token: bool = False
    ) -> ShopApp:
        """Update the app in place to a new build; its storage stays.

        The OS ends a running app for the update, and the next launch runs the
        new build: ``profile`` (maybe a new SDK major), by default the same app
        one build on. The sandbox (the SDK's ids, queue and stored token) is
        kept. ``new_token`` is a build that moves to a new push stack: the next
        launch gets a new token, which the new library fetches rather than
        generates, and the old one dies after the profile's invalidation lag.
        """
        app = self._app()
        old = app.profile
        if profile is not None and not isinstance(profile, AppProfile):
            raise ScenarioError(
                f"update_app({profile!r}) takes an app profile, not "
                f"{type(profile).__name__}; load one with "
                "world.app_profile('reference')"
            )
        new = profile or old.model_copy(update={"build": old.build + 1})
        if new.build <= old.build:
            raise ScenarioError(
                f"{new.name} is build {new.build}, not newer than the installed "
                f"build {old.build}; Android refuses a downgrade "
                "(INSTALL_FAILED_VERSION_DOWNGRADE) and the App Store offers none, "
                "so uninstall() and install() the older build instead"
            )
        if new.bundle_id != old.bundle_id:
            raise ScenarioError(
                f"{new.name} is {new.bundle_id}, not {old.bundle_id}; an update "
                "keeps the app's bundle id, so uninstall() and install() it instead"
            )
        if self.is_running():
            self._end_process()
            self._log("kill", "the OS ended the running app to update it")
        app.update(new)
        self._new_stack = self._new_stack or new_token
        stack = "; the new build uses a new push stack" if new_token else ""
        self._log(
            "update",
            f"updated {old.name} in place from {old.version} ({old.build}) to "
            f"{new.version} ({new.build}); storage kept{stack}",
        )
        return app

    def restore_from(self, old: EmulatedPhone) -> ShopApp:
        """Set this phone up from ``old``'s backup: the app and its data, no token.

        An iOS device backup (iCloud or Finder) keeps the app's UserDefaults
        and Documents: the SDK's Segment suite ``com.segment.storage.<writeKey>``
        (userId, anonymousId, traits), ``pushDeviceToken`` in
        ``io.customer.sdk.<bundle>.shared`` and unsent batches under
        ``Documents/segment/<writeKey>/``. An APNs token belongs to one device,
        so none of it comes back. Android Auto Backup keeps SharedPreferences
        (``analytics-android-<writeKey>``, ``io.customer.sdk.<package>`` with
        ``device_token``) and the app's files; the Firebase installation lives
        in no-backup storage, so FCM has no token for the restored app either.
        Either way the SDK starts with the old install's ids, queue and cached
        token, and the first launch registers for a new token (the profile
        must list ``restore`` in ``token.rotates_on``). ``old`` keeps its app.

        Named policy: the notification permission comes back with the backup.
        """
        source = self._backup_source(old)
        self.installs += 1
        app = ShopApp(self, source.profile, self.context, install=self.installs)
        app.sandbox.restore(source.sandbox.backup())
        self.app, self.state = app, "not_running"
        self.permission = self._restored_permission(old.permission)
        self.token, self._new_stack, self.restored_from = None, False, old.name
        self._installed_at = self.context.clock.now()
        queued = len(app.sdk.pending())
        self._log(
            "restore",
            f"set up from {old.name}'s backup: {source.profile.name} installed with "
            f"its data ({plural(queued, 'unsent event')}); no push registration "
            f"comes with it; notifications {self.permission.replace('_', ' ')}",
        )
        return app

    def _backup_source(self, old: EmulatedPhone) -> ShopApp:
        if old is self:
            raise ScenarioError(
                f"{self.name} cannot restore from itself; pass the old phone"
            )
        if self.app is not None:
            raise ScenarioError(
                f"{self.name} already has {self.app.profile.name} installed; a "
                "restore sets up a phone with nothing on it, so uninstall() first"
            )
        if old.app is None:
            raise ScenarioError(
                f"{old.name} has no app installed, so its backup holds no app data; "
                "install() the app there first"
            )
        if old.profile.platform != self.profile.platform:
            raise Unsupported(
                f"{old.name} is {old.profile.platform} and {self.name} is "
                f"{self.profile.platform}; app data moves only between phones of "
                "one platform, so restore onto a phone of the same platform"
            )
        if not self._rotates("restore"):
            raise Unsupported(
                f"{self.profile.name} lacks restore in token.rotates_on, yet a push "
                "token belongs to one device; add restore to rotates_on"
            )
        return old.app

    def _restored_permission(self, permission: str) -> str:
        default_on = self.profile.permission.model == "android_default_on"
        return (
            "granted" if default_on and permission == "not_determined" else permission
        )

    def clear_data(self) -> None:
        """Clear the app's storage (Settings > Storage > Clear data, ``pm clear``).

        The process ends and the sandbox is wiped: ids, queue and cached token
        go. Where the profile rotates on ``clear_data`` the Firebase
        installation goes with them, so the old token dies after the
        invalidation lag and the next launch gets a new one. Android resets
        the app's runtime permissions with its data, so POST_NOTIFICATIONS is
        asked for again on Android 13 and later. Android only.
        """
        if self.profile.platform != "android":
            raise Unsupported(
                f"{self.profile.name} is {self.profile.platform}, which has no Clear "
                "data for an app; uninstall() then install() is the closest step "
                "(Offload App keeps the data)"
            )
        app = self._app()
        queued = len(app.sdk.pending())
        self._kill()
        app.sandbox.wipe()
        if self.profile.permission.model == "android_runtime":
            self.permission = self.profile.permission.initial
        note = ""
        if self.token is not None and self._rotates("clear_data"):
            self.context.unregister_token(self.profile, self.token)
            self.token, note = None, "; FCM instance id deleted"
        self._new_stack = False
        lost = f"; {plural(queued, 'unsent event')} lost" if queued else ""
        self._log("clear_data", f"app data cleared: storage wiped{lost}{note}")

    def rotate_token(self) -> str:
        """Have the push service replace this install's token while it runs.

        A running app hears of it (FCM's onNewToken, a new APNs registration) and,
        if its app profile registers rotated tokens, passes it to the SDK at once;
        otherwise the new token reaches the SDK at the next launch.
        """
        app = self._app()
        if self.profile.platform == "android" and not self.profile.play_services:
            raise Unsupported(
                f"{self.profile.name} has no Google Play services, so FCM holds no "
                "token to rotate; use a profile with play_services"
            )
        old = self.token
        if old is not None:
            self.context.unregister_token(self.profile, old)
        self.token = self._issue_token()
        self.tokens_seen.append(self.token)
        self._log(
            "token", f"token rotated from {short_token(old or '-')}", token=self.token
        )
        if self.is_running() and app.profile.register_rotated_token:
            app.token_ready(self.token, generated=True)
        return self.token

    def _rotates(self, trigger: str) -> bool:
        return trigger in self.profile.token.rotates_on

    def go_offline(self) -> None:
        """Lose the network: uploads fail and pushes wait at the provider."""
        self.online = False
        self._log("network", "offline")

    def go_online(self) -> None:
        """Get the network back: stored pushes arrive, a running SDK flushes.

        A running app still waiting for its first token (a cold start while
        offline) registers now and passes the token to the SDK.
        """
        self.online = True
        self._log("network", "online again")
        app = self.app
        if app is not None and self.is_running() and self._token_due():
            self._hand_token(app)
        if self.token is not None:
            arrived = self.context.reconnect(self.profile, self.token)
            if arrived:
                self._log("network", f"{plural(arrived, 'stored push')} arrived")
        if app is not None and self.is_running():
            app.sdk.flush()

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

    def open_order_tracking(self, shopper: Shopper) -> None:
        """Open order tracking in the app from the shipping email's link."""
        self._running().open_order_tracking(shopper)

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
