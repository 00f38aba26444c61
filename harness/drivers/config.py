"""Where a run's Appium is, and the capabilities each of its phones asks for.

A run reaches Appium at one URL: ``harness run --appium URL`` or the
environment's ``HARNESS_APPIUM_URL``; ``local`` starts the project's own Appium
(:class:`~harness.drivers.appium_server.AppiumServer`) for the run. The URL may
be a plain Appium server, an Appium with the device-farm plugin, a Selenium
Grid 4 hub or a cloud's endpoint: the harness only opens W3C sessions there.

Each phone is one of two kinds (``--appium-device``):

- ``real``: the device profile's ``appium:`` capabilities, plus the app's id
  from the app profile, open a session on a real device, emulator or
  simulator (UiAutomator2 on Android, XCUITest on iOS).
- ``harnessfake``: the phone is an emulated phone of the World's own emulator,
  served on loopback, reached through the project's harnessfake driver; this
  is how CI plays scenarios through Appium without any device.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from ..apps import AppProfile
from ..errors import ScenarioError
from ..profiles import DeviceProfile
from .capabilities import promote_options

__all__ = [
    "DEVICE_KINDS",
    "ENV",
    "LOCAL",
    "AppiumSetup",
    "DeviceKind",
    "fake_capabilities",
    "options_for",
    "phone_capabilities",
    "resolve_url",
]

ENV = "HARNESS_APPIUM_URL"
LOCAL = "local"
DeviceKind = Literal["real", "harnessfake"]
DEVICE_KINDS: tuple[DeviceKind, ...] = ("real", "harnessfake")


@dataclass(frozen=True)
class AppiumSetup:
    """A run's Appium: the server URL, the kind of phone, where screenshots go.

    ``serve_port`` is the HTTPS port each World serves its emulator on (0: a
    free one); a real app's debug build is pointed at a fixed one.
    """

    url: str
    device: DeviceKind = "real"
    screenshots: Path | None = None
    serve_port: int = 0


def resolve_url(
    given: str | None,
    environ: Mapping[str, str] = os.environ,
    *,
    flag: str = "--appium",
) -> str:
    """Return the Appium URL to use: ``given``, else the environment's, else "".

    ``local`` is passed through for the caller to start a server. A URL that
    is not http(s)://host[:port][/path] (an IPv6 host in brackets, a port
    from 1 to 65535) raises ScenarioError naming the source: ``flag`` or the
    environment variable.
    """
    source, url = flag, (given or "").strip()
    if not url:
        source, url = ENV, environ.get(ENV, "").strip()
    if not url or url == LOCAL:
        return url
    problem = _url_problem(url)
    if problem:
        raise ScenarioError(
            f"{source} {url!r} is not an Appium URL ({problem}); give "
            "http(s)://host:port with the path your server serves sessions under "
            "(a Grid 4 hub: http://hub:4444; Appium 1 style servers: .../wd/hub), "
            "or local to start the project's own Appium."
        )
    return url.rstrip("/")


def _url_problem(url: str) -> str:
    """Say what keeps ``url`` from being an Appium URL; empty if nothing does."""
    if any(c.isspace() for c in url):
        return "it has whitespace"
    try:
        parts = urlsplit(url)
    except ValueError as error:  # an unclosed [ of an IPv6 host
        return str(error)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "it does not start with http:// or https://"
    if parts.query or parts.fragment:
        return "a query or fragment has no place in it"
    try:
        port = parts.port
    except ValueError:
        return f"{parts.netloc.rpartition(':')[2]!r} is not a port from 1 to 65535"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "0 is not a port a server listens on"
    return ""


def phone_capabilities(
    profile: DeviceProfile, app: AppProfile, extra: Mapping[str, object] = {}
) -> dict[str, object]:
    """Return the session capabilities of a real phone of ``profile``.

    The profile's ``appium:`` section (``appium:options`` spread out, as
    Appium would), plus the app under test (its package or bundle id from the
    app profile). The harness installs and starts the app itself, so the
    session neither launches nor resets it.
    """
    if profile.platform not in ("android", "ios"):
        raise ScenarioError(
            f"device profile {profile.name!r} is a {profile.platform} browser; "
            "its Appium session is a browser's, not a phone's"
        )
    if not profile.appium:
        raise ScenarioError(
            f"device profile {profile.name!r} has no appium: section, so no farm "
            "can pick a device for it; add platformName, appium:automationName, "
            "appium:platformVersion and appium:deviceName"
        )
    key = "appium:appPackage" if profile.platform == "android" else "appium:bundleId"
    return {
        **promote_options(profile.appium),
        key: app.bundle_id,
        "appium:autoLaunch": False,
        "appium:noReset": True,
        **extra,
    }


def fake_capabilities(
    control_url: str,
    *,
    phone_id: str | None = None,
    profile: DeviceProfile | None = None,
    name: str | None = None,
    workspace: str = "default",
    token: str | None = None,
) -> dict[str, object]:
    """Return the capabilities of a harnessfake session on a served emulator.

    With ``phone_id`` the session attaches to a phone already in the rack;
    otherwise it creates one of ``profile`` called ``name`` in ``workspace``.
    """
    caps: dict[str, object] = {
        "platformName": "Fake",
        "appium:automationName": "HarnessFake",
        "harness:controlUrl": control_url,
    }
    if token:
        caps["harness:controlToken"] = token
    if phone_id is not None:
        return caps | {"harness:phoneId": phone_id}
    if profile is None or name is None:
        raise ScenarioError(
            "a harnessfake session needs either phone_id or both profile and name"
        )
    return caps | {
        "harness:deviceProfile": profile.name,
        "harness:deviceName": name,
        "harness:workspace": workspace,
    }


def options_for(caps: Mapping[str, object]) -> Any:
    """Return the appium-python-client options object for ``caps``.

    UiAutomator2Options, EspressoOptions or XCUITestOptions by the automation
    name, so each adds its driver's defaults; AppiumOptions for the rest.
    """
    from appium.options.android import EspressoOptions, UiAutomator2Options
    from appium.options.common import AppiumOptions
    from appium.options.ios import XCUITestOptions

    classes = {
        "uiautomator2": UiAutomator2Options,
        "espresso": EspressoOptions,
        "xcuitest": XCUITestOptions,
    }
    automation = str(caps.get("appium:automationName", "")).lower()
    return classes.get(automation, AppiumOptions)().load_capabilities(dict(caps))
