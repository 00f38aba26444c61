"""One Appium session: commands in, harness errors out.

A thin layer over appium-python-client 6 (``appium.webdriver.Remote``): every
lifecycle call is a ``mobile:`` extension, every element step a find and a
click or a send_keys. Appium's errors become :class:`AppiumError` naming the
device and the command, or :class:`~harness.errors.Unsupported` when the
driver has no such command at all.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    WebDriverException,
)
from urllib3.exceptions import HTTPError as TransportError

from ..errors import Unsupported
from .actions import Locator
from .config import options_for
from .errors import AppiumError, AppiumUnreachable

__all__ = ["Session"]

logger = logging.getLogger(__name__)

POLL = 0.2
# What Appium 3 answers for a command the driver lacks.
_MISSING = ("Unsupported execute method", "has not yet been implemented")
# How the harnessfake driver ends the message of a step the emulated phone's OS
# cannot take (the control API's 422 "unsupported" refusal).
_UNSUPPORTED = re.compile(r"\s*\[harness control API: 422 unsupported\]")


class Session:
    """An open Appium session for one device, named in every error."""

    def __init__(self, device: str, driver: Any, automation: str) -> None:
        self.device, self.driver, self.automation = device, driver, automation

    @classmethod
    def open(cls, device: str, url: str, caps: Mapping[str, object]) -> Session:
        """Open a session at ``url`` with ``caps``; raise AppiumError if refused."""
        from appium import webdriver

        automation = str(caps.get("appium:automationName", "?"))
        logger.info("%s: opening an Appium %s session at %s", device, automation, url)
        try:
            driver = webdriver.Remote(url, options=options_for(caps))
        except WebDriverException as error:
            raise AppiumError(
                device,
                f"a new {automation} session",
                _said(error),
                "check that the server has that driver and a free device that "
                "matches the profile's appium: capabilities",
            ) from None
        except (OSError, TransportError) as error:
            # Only the project's own Appium has the harnessfake driver.
            local = automation == "HarnessFake"
            raise AppiumUnreachable(
                f"{device}: no Appium server answers at {url} "
                f"({type(error).__name__}); start one there"
                + (", or run with --appium local" if local else "")
            ) from None
        return cls(device, driver, automation)

    def mobile(self, command: str, args: Mapping[str, object] | None = None) -> Any:
        """Run ``mobile: <command>`` with ``args`` and return its answer."""
        return self.execute(f"mobile: {command}", args)

    def execute(self, name: str, args: Mapping[str, object] | None = None) -> Any:
        """Run the driver's execute method ``name`` with ``args``."""
        logger.debug("%s: %s %s", self.device, name, args or {})
        try:
            return self.driver.execute_script(name, dict(args or {}))
        except WebDriverException as error:
            raise self._error(name, error) from None

    def find(self, locator: Locator, value: str, timeout: float = 0.0) -> Any:
        """Return the element ``locator`` finds (with ``value`` filled in).

        Waits up to ``timeout`` seconds of real time: the element belongs to
        another process, which draws it when it is ready.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.driver.find_element(locator.strategy, value)
            except NoSuchElementException:
                if time.monotonic() >= deadline:
                    raise AppiumError(
                        self.device,
                        f"find {locator.by}={value!r}",
                        "no such element on the screen",
                        "check the action map's locator against the app's "
                        "screen (page source: driver.page_source)",
                    ) from None
                time.sleep(POLL)  # waiting on another process's screen
            except WebDriverException as error:
                raise self._error(f"find {locator.by}={value!r}", error) from None

    def tap(self, locator: Locator, value: str) -> None:
        """Tap the element ``locator`` finds."""
        element = self.find(locator, value)
        try:
            element.click()
        except WebDriverException as error:
            raise self._error(f"tap {locator.by}={value!r}", error) from None

    def type(self, locator: Locator, value: str, text: str) -> None:
        """Clear the field ``locator`` finds and type ``text`` into it."""
        element = self.find(locator, value)
        try:
            element.clear()
            element.send_keys(text)
        except WebDriverException as error:
            raise self._error(f"type into {locator.by}={value!r}", error) from None

    def back(self) -> None:
        """Press back."""
        try:
            self.driver.back()
        except WebDriverException as error:
            raise self._error("back", error) from None

    def answer_alert(self, accept: bool) -> bool:
        """Accept or dismiss the system alert on screen; False if none is shown."""
        try:
            alert = self.driver.switch_to.alert
            alert.accept() if accept else alert.dismiss()
        except NoAlertPresentException:
            return False
        except WebDriverException as error:
            if "no such alert" in _said(error).lower():
                return False
            raise self._error("alert", error) from None
        return True

    def screenshot(self, path: Path) -> Path | None:
        """Save the screen as a PNG at ``path``; None when the driver cannot."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            saved = self.driver.get_screenshot_as_file(str(path))
        except WebDriverException:
            logger.debug("%s: no screenshot", self.device, exc_info=True)
            return None
        return path if saved else None

    def quit(self) -> None:
        """End the session; an error ending it is logged, not raised."""
        try:
            self.driver.quit()
        except (WebDriverException, OSError):
            logger.warning("%s: the Appium session did not end cleanly", self.device)

    def _error(self, command: str, error: WebDriverException) -> Exception:
        said = _said(error)
        marked = _UNSUPPORTED.search(said)
        if marked is not None:
            return Unsupported(said[: marked.start()].strip())
        if any(marker in said for marker in _MISSING):
            return Unsupported(
                f"the {self.automation} driver has no {command} ({said}); "
                "this platform cannot take the step through Appium"
            )
        return AppiumError(
            self.device, command, said, "see the Appium server's log for more"
        )


def _said(error: WebDriverException) -> str:
    """Return Appium's message without Selenium's stack trace."""
    text = (error.msg or str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__
