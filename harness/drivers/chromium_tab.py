"""One Chromium tab on the storefront page, through an Appium session.

:class:`ShopTab` is what :class:`~harness.drivers.chromium.ChromiumBrowser`'s
steps are made of: the Appium session on a profile folder, the Chrome DevTools
and W3C permission routes the Chromium driver passes on to chromedriver, and
the storefront page's own state (``window.shop``), which tells when the SDK
has finished its calls and when the served emulator has answered them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from appium import webdriver
from appium.options.common import AppiumOptions
from selenium.common.exceptions import WebDriverException

from ..errors import HarnessError
from .appium_server import free_port

__all__ = ["CHROMEDRIVER", "CHROMIUM", "ShopTab", "capabilities"]

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
SETTLED = (
    "const done = arguments[arguments.length - 1];"
    "if (!window.shop) { done(null); return; }"
    "window.shop.settled(arguments[0], arguments[1]).then(done);"
)
STATE = "return window.shop ? window.shop.state() : null;"


def capabilities(
    profile: Path,
    *,
    chromium: str = CHROMIUM,
    chromedriver: str = CHROMEDRIVER,
    chromedriver_port: int | None = None,
) -> dict[str, Any]:
    """Return the Appium capabilities of a headless Chromium on ``profile``.

    The chromedriver port is a free one (the driver's default, 9515, would
    make parallel sessions collide); nothing is downloaded.
    """
    return {
        "platformName": "linux",
        "browserName": "chrome",
        "appium:automationName": "Chromium",
        "appium:executable": chromedriver,
        "appium:autodownloadEnabled": False,
        "appium:chromedriverPort": chromedriver_port or free_port(),
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [*FLAGS, f"--user-data-dir={profile}"],
        },
    }


class ShopTab:
    """An Appium Chromium session showing the storefront at ``shop_url``.

    The session starts on first use and keeps ``profile`` as Chromium's user
    data folder, so a new session after :meth:`quit` finds the same cookies,
    storage and permissions. ``wait`` bounds, in seconds, every wait for the
    page.
    """

    def __init__(
        self,
        name: str,
        appium_url: str,
        shop_url: str,
        profile: Path,
        *,
        chromium: str = CHROMIUM,
        chromedriver: str = CHROMEDRIVER,
        wait: float,
    ) -> None:
        self.name, self.appium_url, self.shop_url = name, appium_url, shop_url
        self.profile, self.wait = profile, wait
        self.chromium, self.chromedriver = chromium, chromedriver
        self.online = True
        self._permission: str | None = None
        self._driver: Any = None

    # -- the session -----------------------------------------------------------

    @property
    def started(self) -> bool:
        """Tell whether a session is running."""
        return self._driver is not None

    def driver(self) -> Any:
        """Return the session's WebDriver, starting Chromium if none runs."""
        if self._driver is None:
            self._driver = self._start()
            self.network(self.online)
            if self._permission is not None:
                # Set through the driver, a permission lasts one session, while
                # a browser keeps it across restarts: set it again, for the
                # shop's origin since no page is open yet.
                self.cdp(
                    "Browser.setPermission",
                    permission={"name": "notifications"},
                    setting=self._permission,
                    origin=self.origin(),
                )
        return self._driver

    def _start(self) -> Any:
        caps = capabilities(
            self.profile, chromium=self.chromium, chromedriver=self.chromedriver
        )
        logger.info("starting Chromium for %s through %s", self.name, self.appium_url)
        try:
            driver = webdriver.Remote(
                self.appium_url, options=AppiumOptions().load_capabilities(caps)
            )
        except WebDriverException as error:
            raise HarnessError(
                f"Appium at {self.appium_url} could not start Chromium for "
                f"{self.name}: {error.msg}. Check that {self.chromium} and "
                f"{self.chromedriver} are installed and of the same version."
            ) from None
        executor: Any = driver.command_executor
        executor.add_command(
            "setPermissions", "POST", "/session/$sessionId/permissions"
        )
        executor.add_command("cdp", "POST", "/session/$sessionId/goog/cdp/execute")
        driver.set_script_timeout(self.wait + 5)
        return driver

    def quit(self) -> None:
        """End the session (Chromium exits); safe to call twice."""
        driver, self._driver = self._driver, None
        if driver is None:
            return
        try:
            driver.quit()
        except WebDriverException as error:
            logger.warning("%s: ending the session failed: %s", self.name, error.msg)

    def cdp(self, command: str, **params: Any) -> dict[str, Any]:
        """Run a Chrome DevTools command; return its result."""
        answer = self.driver().execute("cdp", {"cmd": command, "params": params})
        return dict(answer["value"])

    def network(self, online: bool) -> None:
        """Take the tab off the network, or put it back (``navigator.onLine``)."""
        self.online = online
        if self._driver is None:
            return  # applied when the session starts
        self.cdp("Network.enable")
        self.cdp(
            "Network.emulateNetworkConditions",
            offline=not online,
            latency=0,
            downloadThroughput=-1,
            uploadThroughput=-1,
        )

    def set_permission(self, state: str) -> None:
        """Set the open page's notification permission: granted, denied or prompt.

        The W3C route sets it for the origin of the page the tab shows.
        """
        body = {"descriptor": {"name": "notifications"}, "state": state}
        self._permission = state
        self.driver().execute("setPermissions", body)

    def clear_site_data(self) -> None:
        """Leave the page and clear the shop origin's cookies and storage."""
        self.blank()
        self.cdp("Storage.clearDataForOrigin", origin=self.origin(), storageTypes="all")

    def cookie(self, name: str) -> str | None:
        """Return one of the shop's cookies, read through the browser."""
        for cookie in self.cdp("Network.getCookies", urls=[self.url("/")])["cookies"]:
            if cookie["name"] == name:
                return unquote(str(cookie["value"]))
        return None

    # -- the page ----------------------------------------------------------------

    def url(self, path: str) -> str:
        """Return the shop's address for ``path``, keeping the workspace query."""
        parts = urlsplit(self.shop_url)
        base = parts.path.rstrip("/")
        return urlunsplit((parts.scheme, parts.netloc, base + path, parts.query, ""))

    def origin(self) -> str:
        """Return the shop's origin, such as ``http://127.0.0.1:8080``."""
        parts = urlsplit(self.shop_url)
        return f"{parts.scheme}://{parts.netloc}"

    def load(self, path: str) -> None:
        """Load the shop at ``path`` (the page then sends its page call)."""
        self.driver().get(self.url(path))

    def blank(self) -> None:
        """Leave the shop for a blank page; the SDK keeps what it holds."""
        self.driver().get("about:blank")

    def page_open(self) -> bool:
        """Tell whether the tab shows the storefront page."""
        if self._driver is None:
            return False
        return bool(self._driver.execute_script("return Boolean(window.shop);"))

    def go(self, path: str) -> None:
        """Route the open page to ``path``, as its links do."""
        self.driver().execute_script("window.shop.go(arguments[0]);", path)

    def find(self, selector: str) -> Any:
        """Return the page's element at a css selector."""
        return self.driver().find_element("css selector", selector)

    def type(self, selector: str, text: str) -> None:
        """Replace the text of the field at ``selector``, key by key."""
        field = self.find(selector)
        field.clear()
        field.send_keys(text)

    def state(self) -> dict[str, Any]:
        """Return the page's ``window.shop.state()``: ids, permission, new calls."""
        state = self.driver().execute_script(STATE)
        if state is None:
            raise self._elsewhere()
        return dict(state)

    def settle(self) -> dict[str, Any]:
        """Wait until the SDK's calls finished and, online, were answered.

        Returns the page's state once settled; raises HarnessError if the
        page failed or did not settle within :attr:`wait`.
        """
        driver = self.driver()
        state = driver.execute_async_script(SETTLED, self.online, self.wait * 1000)
        if state is None:
            raise self._elsewhere()
        if state["error"]:
            raise HarnessError(
                f"{self.name}: the storefront page failed: {state['error']}"
            )
        waiting = state["busy"] or (self.online and state["pending"])
        if not state["ready"] or waiting:
            raise HarnessError(
                f"{self.name}: the SDK's calls did not land within {self.wait:.0f} s "
                f"({state['busy']} running, {state['pending']} unanswered); check "
                "that the served emulator is up, or give a longer wait."
            )
        return dict(state)

    def _elsewhere(self) -> HarnessError:
        return HarnessError(
            f"{self.name}: {self._driver.current_url} is not the storefront page; "
            f"open {self.shop_url} (harness serve serves it under /shop/)."
        )
