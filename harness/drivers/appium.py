"""A phone driven through Appium, with the device protocol of the emulated phone.

:class:`AppiumPhone` has the method names and meanings of
:class:`~harness.device.phone.EmulatedPhone`, so a scenario runs unchanged on
it. Each step becomes the command its platform's Appium driver has (the table
is in docs/appium.md): lifecycle and permission steps are ``mobile:`` calls,
the shopper's actions are the locator steps of the app's action map
(``fixtures/apps/<app>.appium.yaml``). A step the platform cannot take raises
:class:`~harness.errors.Unsupported` with the reason, which skips the cell.

Three dialects: ``android`` (UiAutomator2), ``ios`` (XCUITest) and ``fake``
(the project's harnessfake driver, whose session is an emulated phone of the
World's served emulator). A ``fake`` phone keeps that emulated phone as its
``mirror``: what the OS saw (inbox, token, permission) is read from it, and the
few steps no Appium driver has (Doze, an OS upgrade, a reboot) go to it
directly, under the served rack's lock.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..apps import AppProfile
from ..errors import ScenarioError, Unsupported
from .actions import Back, Call, Tap, TypeText, WaitFor, fill
from .errors import AppiumError
from .handle import AppiumHandle, Dialect

if TYPE_CHECKING:
    from ..people import Product, Shopper

__all__ = ["AppiumPhone", "Dialect"]

logger = logging.getLogger(__name__)

POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
_POST_NOTIFICATIONS_API = 33
_IOS_NOTIFICATIONS = (
    "XCUITest cannot turn an app's notifications on or off: since XCUITest "
    "12.13 (appium-ios-simulator 10) setPermission has no notifications "
    "service, so they can only be answered at the system alert"
)


class AppiumPhone(AppiumHandle):
    """A phone behind an Appium session; see the module docs."""

    # -- lifecycle -------------------------------------------------------------

    def install(self, app: AppProfile, *, referrer: str | None = None) -> Any:
        """Install ``app``; a fake phone's ``referrer`` is the install referrer.

        On a real device the referrer (a deferred deep link) is opened as a
        deep link at the first launch, as the store would hand it over.
        """
        if self.dialect == "fake":
            self._command("installApp", {"app": self._app_name(app)})
            if referrer is not None:
                self._hand_referrer(referrer)
        else:
            build = getattr(self._map().builds, self.dialect)
            if build is None:
                raise ScenarioError(
                    f"{self._map_file()} has no builds.{self.dialect}; add the "
                    f"path or URL of {app.name}'s {self.dialect} build"
                )
            key = "appPath" if self.dialect == "android" else "app"
            self._command("installApp", {key: build})
            self._referrer = referrer
        self.app_profile = app
        return self.app

    def _hand_referrer(self, referrer: str) -> None:
        """Give the fresh install its store referrer (the deferred deep link).

        The store hands it over, not the phone's UI, so no Appium command
        does; the emulated app gets it directly.
        """
        phone = self._mirror("an install referrer")
        self._log("appium", "install referrer handed over by the store, not Appium")
        with self._lock():
            if phone.app is not None:
                phone.app.sandbox.set("install_referrer", referrer)

    def launch(self) -> None:
        """Start the app, or bring it back to the foreground."""
        self._command("activateApp", self._app_id())
        if self._referrer is not None:
            link, self._referrer = self._referrer, None
            self.open_link(link)
        self._answer_prompt()

    def background(self) -> None:
        """Send the app to the background and leave it there.

        As on the emulated phone, an app not in the foreground stays as it is.
        """
        if self.mirror is not None and self.mirror.state != "foreground":
            return
        self._command("backgroundApp", {"seconds": -1})

    def swipe_away(self) -> None:
        """Swipe the app from recents: its process ends.

        UiAutomator2's terminateApp is ``am force-stop``, which Android treats
        as Force stop; a swipe only ends the process, so Android backgrounds
        the app and kills it with ``am kill`` (needs adb_shell).
        """
        if self.dialect != "android":
            self._command("terminateApp", self._app_id())
            return
        self.background()
        self._shell("am", "kill", self._bundle())

    def force_stop(self) -> None:
        """Force-stop the app (Settings > Apps > Force stop); Android only."""
        if self.profile.platform != "android":
            raise Unsupported(
                f"{self.profile.name} is {self.profile.platform}; only Android can "
                "force-stop an app (swipe_away() is the closest on iOS)"
            )
        if self.dialect == "fake":
            self._on_mirror("force_stop")
            return
        self._command("terminateApp", self._app_id())

    def uninstall(self) -> None:
        """Remove the app."""
        self._command("removeApp", self._app_id())
        self.app_profile = None

    def reinstall(self, app: AppProfile | None = None) -> Any:
        """Uninstall and install again: new storage, new install."""
        profile = app or self._installed()
        self.uninstall()
        return self.install(profile)

    def clear_data(self) -> None:
        """Clear the app's data (``pm clear``); Android only."""
        if self.profile.platform != "android":
            raise Unsupported(
                f"{self.profile.name} is {self.profile.platform}, which has no Clear "
                "data for an app (XCUITest's clearApp works on Simulators only); "
                "uninstall() then install() is the closest step"
            )
        self._command("clearApp", self._app_id())

    # -- permission ------------------------------------------------------------

    def set_notifications(self, enabled: bool) -> None:
        """Turn the app's notifications on or off as Settings would."""
        if self.dialect == "ios":
            raise Unsupported(_IOS_NOTIFICATIONS)
        api = self.profile.api_level or 0
        if self.dialect == "android" and api < _POST_NOTIFICATIONS_API:
            raise Unsupported(
                f"{self.profile.name} is API level {api}: before Android 13 "
                "notifications are no runtime permission, so changePermissions "
                "cannot turn them off; only the Settings switch can"
            )
        if self.dialect == "android":
            self.background()  # the shopper leaves the app for Settings
        self._command(
            "changePermissions",
            {
                "permissions": POST_NOTIFICATIONS,
                "appPackage": self._bundle(),
                "action": "grant" if enabled else "revoke",
            },
        )

    def request_permission(self, *, provisional: bool = False) -> None:
        """Tap the app's allow button, then answer the OS prompt as told."""
        if provisional:
            raise Unsupported(
                "provisional authorization is asked for by the app's build, "
                "without a prompt; through Appium the harness can only tap the "
                "app's allow button"
            )
        if self.dialect == "fake" and self.answers_prompt != "dismiss":
            accept = self.answers_prompt == "allow"
            self._command("alert", {"action": "accept" if accept else "dismiss"})
        self._act("request_permission", Call.of())

    def _answer_prompt(self) -> None:
        """Answer a system prompt the real app may have shown, as told."""
        if self.dialect == "fake" or not self.profile.has_runtime_prompt:
            return
        if self.answers_prompt == "dismiss":
            if self.dialect == "ios":
                raise Unsupported(
                    "an iOS notification alert cannot be closed undecided; "
                    "answer it with allow or deny"
                )
            return  # Android: leaving the dialog alone is dismissing it
        accept = self.answers_prompt == "allow"
        if self.dialect == "ios":
            try:
                self.session.mobile(
                    "alert", {"action": "accept" if accept else "dismiss"}
                )
            except AppiumError as error:
                if "alert" not in error.answer.lower():
                    raise
            return
        self.session.answer_alert(accept)

    # -- the shopper's actions in the app --------------------------------------

    def log_in(self, shopper: Shopper) -> None:
        """Log in to the app."""
        self._act("log_in", Call.of(shopper))

    def create_account(self, shopper: Shopper) -> None:
        """Sign up in the app."""
        self._act("create_account", Call.of(shopper))

    def log_out(self) -> None:
        """Log out of the app."""
        self._act("log_out", Call.of())

    def view(self, product: Product) -> None:
        """Open a product in the app."""
        self._act("view", Call.of(product=product))

    def add_to_cart(self, product: Product, qty: int = 1) -> None:
        """Add a product to the cart in the app."""
        self._act("add_to_cart", Call.of(product=product, qty=qty))

    def start_checkout(self, product: Product, qty: int = 1) -> None:
        """Open the checkout in the app."""
        self._act("start_checkout", Call.of(product=product, qty=qty))

    def complete_order(self, product: Product, qty: int = 1) -> None:
        """Place the order in the app."""
        self._act("complete_order", Call.of(product=product, qty=qty))

    def open_order_tracking(self, shopper: Shopper) -> None:
        """Open order tracking in the app."""
        self._act("open_order_tracking", Call.of(shopper))

    def _act(self, action: str, call: Call) -> None:
        actions = self._map()
        steps = actions.steps(action, self.dialect)
        if steps is None:
            raise Unsupported(
                f"{self._map_file()} has no {self.dialect} steps for {action}; add "
                f"them under actions.{action}.{self.dialect}"
            )
        self._log("appium", f"{action} through Appium ({len(steps)} steps)")
        for step in steps:
            if isinstance(step, Back):
                self.session.back()
            elif isinstance(step, TypeText):
                value = fill(step.value, call)
                self.session.type(step, value, fill(step.text, call))
            elif isinstance(step, Tap):
                self.session.tap(step, fill(step.value, call))
            elif isinstance(step, WaitFor):
                timeout = step.timeout.total_seconds()
                self.session.find(step, fill(step.value, call), timeout)
        self._answer_prompt()
