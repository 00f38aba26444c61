"""What a device profile's ``appium:`` section may hold, checked key by key.

The section is the W3C capabilities a farm matches a device by. Each key is a
standard W3C name (``platformName``) or an extension name, ``vendor:name``
(``appium:udid``, ``df:udids``); ``appium:options`` holds Appium's own
capabilities without their prefix, and Appium promotes them to the top level,
so they are checked as if written there. Where Appium's schema knows a key
(its base driver's constraints, the W3C table, the browsers' option objects)
its value's type is checked too. Refused, with the reason: keys the app
profile or the action map decides at each session, keys the harness sets,
and auto-accepting the notification prompt. For a phone the section must
also name the phone the profile models: its platform, driver and OS version.

Every problem is returned as ``(key.path, message)``, one per key, so loading
reports them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ..files import describe

__all__ = ["OPTIONS", "W3C", "promote_options", "section_problems"]

# The W3C table of standard capabilities, with userAgent, which Appium counts.
W3C = frozenset({
    "browserName", "browserVersion", "platformName", "acceptInsecureCerts",
    "pageLoadStrategy", "proxy", "setWindowRect", "timeouts",
    "strictFileInteractability", "unhandledPromptBehavior", "userAgent",
    "webSocketUrl",
})  # fmt: skip
OPTIONS = "appium:options"
_EXTENSION = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.$-]+")
_FROM_APP = {
    "app": "the action map's builds",
    "appPackage": "the app profile's bundle_id",
    "bundleId": "the app profile's bundle_id",
}
_ANSWERS_PROMPT = (
    "answers the notification prompt for every scenario, so none could deny it; "
    "remove it (world.device(answers_prompt=...) answers it)"
)
_AUTO = ("autoGrantPermissions", "autoAcceptAlerts", "autoDismissAlerts")
_AUTOMATION = {"android": ("UiAutomator2", "Espresso"), "ios": ("XCUITest",)}
_PLATFORM_NAME = {"android": "Android", "ios": "iOS"}

_Check = tuple[Callable[[object], bool], str]
_TEXT: _Check = (lambda v: isinstance(v, str), "text (in quotes)")
_BOOL: _Check = (lambda v: isinstance(v, bool), "true or false")
_NUMBER: _Check = (
    lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "a number",
)
_MAPPING: _Check = (lambda v: isinstance(v, dict), "a mapping of keys")
# Appium 3's base driver constraints (@appium/types BASE_DESIRED_CAP_CONSTRAINTS)
# plus deviceName, which UiAutomator2 and XCUITest both take as text.
_APPIUM_TYPES: dict[str, _Check] = {
    "app": _TEXT, "platformVersion": _TEXT, "webSocketUrl": _BOOL,
    "newCommandTimeout": _NUMBER, "automationName": _TEXT, "autoLaunch": _BOOL,
    "udid": _TEXT, "deviceName": _TEXT, "autoWebview": _BOOL, "noReset": _BOOL,
    "fullReset": _BOOL, "language": _TEXT, "locale": _TEXT, "eventTimings": _BOOL,
    "printPageSourceOnFindFailure": _BOOL, "options": _MAPPING,
    "orientation": (lambda v: v in ("LANDSCAPE", "PORTRAIT"), "LANDSCAPE or PORTRAIT"),
}  # fmt: skip
_W3C_TYPES: dict[str, _Check] = {
    "browserName": _TEXT, "browserVersion": _TEXT, "platformName": _TEXT,
    "acceptInsecureCerts": _BOOL, "proxy": _MAPPING, "setWindowRect": _BOOL,
    "timeouts": _MAPPING, "strictFileInteractability": _BOOL,
    "unhandledPromptBehavior": _TEXT, "userAgent": _TEXT, "webSocketUrl": _BOOL,
    "pageLoadStrategy": (lambda v: v in ("none", "eager", "normal"),
                         "none, eager or normal"),
}  # fmt: skip
# The browsers' option objects, as their drivers define them.
_VENDOR_TYPES: dict[str, _Check] = {
    "goog:chromeOptions": _MAPPING, "goog:loggingPrefs": _MAPPING,
    "ms:edgeOptions": _MAPPING, "moz:firefoxOptions": _MAPPING,
    "se:options": _MAPPING,
}  # fmt: skip
_APPIUM_NAMES = {name.lower(): name for name in (*_APPIUM_TYPES, *_FROM_APP, *_AUTO)}
_W3C_NAMES = {name.lower(): name for name in W3C}


def promote_options(caps: Mapping[str, object]) -> dict[str, object]:
    """Return ``caps`` with ``appium:options`` spread out, as Appium does."""
    options = caps.get(OPTIONS)
    if not isinstance(options, dict):
        return dict(caps)
    promoted = {k: v for k, v in caps.items() if k != OPTIONS}
    for key, value in options.items():
        name = str(key)
        promoted[name if name.startswith("appium:") else f"appium:{name}"] = value
    return promoted


def section_problems(
    caps: Mapping[str, object], platform: str | None, os_version: str | None
) -> list[tuple[str, str]]:
    """Return every problem of an ``appium:`` section as ``(key.path, message)``.

    ``platform`` and ``os_version`` are the profile's, or None where those
    fields are broken themselves; then the rules tying the section to them
    are skipped.
    """
    problems: list[tuple[str, str]] = []
    for key, value in caps.items():
        problems += [(key, message) for message in _key_problems(key, value)]
    options = caps.get(OPTIONS)
    if isinstance(options, dict):
        problems += _options_problems(caps, options)
    wanted = _PLATFORM_NAME.get(platform or "")
    if caps and wanted is not None and platform is not None:
        problems += _phone_problems(caps, platform, wanted, os_version)
    return problems


def _key_problems(key: str, value: object) -> list[str]:
    if re.search(r"\s", key):
        return [
            f"{key!r} has whitespace in it; capability names have none, like "
            "appium:deviceName"
        ]
    if ":" not in key:
        return _standard_problems(key, value)
    vendor, _, name = key.partition(":")
    if not _EXTENSION.fullmatch(key):
        return [
            f"{key!r} is not a capability name; an extension capability is "
            "vendor:name with both parts, like appium:udid or df:udids"
        ]
    if vendor == "harness":
        return [f"{key!r} is set by the harness per session; remove it."]
    if vendor == "appium":
        return _appium_problems(key, name, value)
    return _typed(key, value, _VENDOR_TYPES.get(key))


def _standard_problems(key: str, value: object) -> list[str]:
    if key in W3C:
        return _typed(key, value, _W3C_TYPES.get(key))
    close = _W3C_NAMES.get(key.lower())
    if close is not None:
        return [
            f"{key!r} is not a W3C capability; names are case-sensitive, so write "
            f"{close} (did you mean {close}?)."
        ]
    return [
        f"{key!r} is not a W3C capability, so it needs its vendor's prefix; "
        f"write appium:{key}."
    ]


def _appium_problems(key: str, name: str, value: object) -> list[str]:
    known = _APPIUM_NAMES.get(name.lower())
    if name.lower() in _W3C_NAMES:
        standard = _W3C_NAMES[name.lower()]
        return [f"{standard} is a W3C capability; write {standard}, with no prefix."]
    if known in _FROM_APP:
        return [f"{key!r} comes from {_FROM_APP[known]} at each session; remove it."]
    if known in _AUTO:
        return [f"{key!r} {_ANSWERS_PROMPT}."]
    if known is not None and known != name:
        return [
            f"{key!r} is not an Appium capability; names are case-sensitive "
            f"(did you mean appium:{known}?)."
        ]
    return _typed(key, value, _APPIUM_TYPES.get(name))


def _typed(key: str, value: object, check: _Check | None) -> list[str]:
    if value is None:
        return [f"{key!r} is null; give it a value or remove it."]
    if check is None or check[0](value):
        return []
    return [f"{key!r} takes {check[1]}, not {describe(value)}."]


def _options_problems(
    caps: Mapping[str, object], options: dict[object, object]
) -> list[tuple[str, str]]:
    """Check what ``appium:options`` holds as Appium would promote it."""
    problems: list[tuple[str, str]] = []
    for inner, value in options.items():
        where, name = f"{OPTIONS}.{inner}", str(inner)
        bare = name.removeprefix("appium:")
        if ":" in bare:
            problems.append((where, (
                f"{name!r} is another vendor's capability; {OPTIONS} holds "
                f"Appium's own only, so put {name} beside it."
            )))  # fmt: skip
            continue
        if bare.lower() in _W3C_NAMES:
            standard = _W3C_NAMES[bare.lower()]
            problems.append((where, (
                f"{standard} is a W3C capability and Appium refuses it inside "
                f"{OPTIONS}; put it beside {OPTIONS}."
            )))  # fmt: skip
            continue
        key = f"appium:{bare}"
        problems += [(where, m) for m in _key_problems(key, value)]
        if key in caps:
            problems.append((where, (
                f"{key} is set both here and beside {OPTIONS}; Appium takes "
                "this one, so keep one of them."
            )))  # fmt: skip
    return problems


def _phone_problems(
    caps: Mapping[str, object], platform: str, wanted: str, os_version: str | None
) -> list[tuple[str, str]]:
    """Check that a phone's capabilities describe the phone its profile models."""
    flat = promote_options(caps)
    folded = {str(key).lower() for key in flat}
    problems: list[tuple[str, str]] = []

    def rule(key: str, broken: bool, message: str) -> None:
        misspelt = key not in flat and key.lower() in folded
        if broken and not misspelt:  # a misspelt key is reported on its own
            problems.append((_where(caps, key), message))

    name = flat.get("platformName")
    rule(
        "platformName",
        str(name).lower() != wanted.lower(),
        f"a {platform} phone is platformName {wanted}, not {name!r}; set it.",
    )
    automation, drivers = flat.get("appium:automationName"), _AUTOMATION[platform]
    rule(
        "appium:automationName",
        automation not in drivers,
        f"{platform} phones are driven by {' or '.join(drivers)}, not "
        f"{automation!r}; set appium:automationName to {drivers[0]}.",
    )
    version = flat.get("appium:platformVersion")
    rule(
        "appium:platformVersion",
        os_version is not None and version is not None and str(version) != os_version,
        f"{version!r} differs from os_version {os_version!r}; a farm would "
        "hand out another OS than the profile models, so make them equal.",
    )
    return problems


def _where(caps: Mapping[str, object], key: str) -> str:
    """Return the key path a capability was taken from: options win, as in Appium."""
    options = caps.get(OPTIONS)
    if isinstance(options, dict):
        for inner in (key, key.removeprefix("appium:")):
            if inner in options:
                return f"{OPTIONS}.{inner}"
    return key
