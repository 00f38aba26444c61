"""The shop's web app on a browser profile: the device under test for Web Push.

On desktop browsers "installing" means opening the site. On iOS 16.4+ a site gets
the Push API only once added to the Home Screen, so install() does that, and a
browser profile that requires it without it refuses to subscribe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..apps import AppProfile
from ..errors import ScenarioError, Unsupported
from ..profiles import DeviceProfile
from .browser import EmulatedBrowser
from .context import Context

if TYPE_CHECKING:
    from ..people import Shopper


class WebAppDevice(EmulatedBrowser):
    """A browser profile running the shop site, with the app profile's habits."""

    def __init__(
        self,
        name: str,
        profile: DeviceProfile,
        context: Context,
        *,
        vapid_public_key: str,
        answers_prompt: str = "allow",
    ) -> None:
        origin = profile.push.endpoint_origin or "https://fcm.googleapis.com"
        super().__init__(
            name,
            context,
            origin=origin,
            answers_prompt=answers_prompt,
            vapid_public_key=vapid_public_key,
            user_agent=f"Mozilla/5.0 ({profile.title})",
        )
        self.profile = profile
        self.app_profile: AppProfile | None = None
        self.on_home_screen = False

    def install(self, app: AppProfile, *, referrer: str | None = None) -> None:
        """Open the site, adding it to the Home Screen where push needs that."""
        self.app_profile = app
        if self.profile.permission.requires_home_screen:
            self.on_home_screen = True
            self._log("install", "added the site to the Home Screen")
        self.visit("/")

    def launch(self) -> None:
        """Open the site (a new tab or the Home Screen icon)."""
        app = self._app()
        self.visit("/")
        if app.permission_prompt == "first_launch":
            self.enable_push()

    def background(self) -> None:
        """Leave the tab; the browser still receives pushes."""

    def log_in(self, shopper: Shopper) -> None:
        """Log in, then ask for notifications if the app profile does so then."""
        app = self._app()
        if app.identify is not None:
            super().log_in(shopper)
        if app.permission_prompt == "after_login":
            self.enable_push()

    def enable_push(self) -> None:
        """Ask for permission, refusing where the OS hides the Push API."""
        if self.profile.permission.requires_home_screen and not self.on_home_screen:
            self._log(
                "permission",
                "Push API unavailable: add the site to the Home Screen first",
            )
            return
        super().enable_push()

    def uninstall(self) -> None:
        """Clear the site's data (and take it off the Home Screen, where it was).

        The subscription and cookies go; the notification permission stays.
        """
        self.clear_site_data()
        if self.on_home_screen:
            self.on_home_screen = False
            self._log("uninstall", "removed the site from the Home Screen")

    def reinstall(self, app: AppProfile | None = None) -> None:
        """Clear site data and open the site again: a new anonymous id and no
        subscription until the shopper allows notifications again."""
        profile = app or self._app()
        self.uninstall()
        self.install(profile)

    def create_account(self, shopper: Shopper) -> None:
        """Sign up on the site: the web app identifies as on login."""
        self.log_in(shopper)

    def swipe_away(self) -> None:
        """Refuse: a browser tab has no app process to swipe away."""
        raise Unsupported(
            f"{self.profile.name} is a browser: a tab has no app "
            "process to swipe away or force-stop"
        )

    def rotate_token(self) -> str:
        """Refuse: Web Push subscriptions do not rotate like device tokens."""
        raise Unsupported(
            f"{self.profile.name} is a browser: a Web Push "
            "subscription does not rotate; revoke permission or "
            "uninstall() to end it"
        )

    def _app(self) -> AppProfile:
        if self.app_profile is None:
            raise ScenarioError(f"{self.name}: call install() before using the site")
        return self.app_profile
