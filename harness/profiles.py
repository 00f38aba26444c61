"""Device profiles: what an OS and its hardware do to push, read from YAML.

Each ``device-profiles/<name>.yaml`` describes one phone, tablet or browser: its
platform and OS version, push service, notification permission model, when its
token rotates, how its OEM treats background apps, and how Appium reaches a real
one. Loading checks every field and the rules between them, and reports every
problem of every file at once as ``file: key.path: message``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .drivers.capabilities import OPTIONS, section_problems
from .errors import ConfigError, Problem, UnknownName
from .files import (
    Duration,
    format_duration,
    load_directory,
    load_model,
    parse_duration,
    problems_of,
    rule_problems,
)

__all__ = [
    "BackgroundPolicy",
    "Capability",
    "DeviceProfile",
    "PermissionModel",
    "PermissionSettings",
    "Platform",
    "PushSettings",
    "Quirk",
    "RotationTrigger",
    "TokenPolicy",
    "find_profile",
    "format_duration",
    "load_profile",
    "load_profiles",
    "parse_duration",
]

logger = logging.getLogger(__name__)

Platform = Literal["ios", "android", "web"]
Capability = Literal[
    "native_app", "web_push", "home_screen_install", "provisional_auth",
    "runtime_permission", "force_stop", "doze", "notification_channels",
    "delays_push", "receives_push",
]  # fmt: skip
PermissionModel = Literal[
    "ios_authorization", "android_runtime", "android_default_on", "web_notification"
]
RotationTrigger = Literal[
    "reinstall", "restore", "clear_data", "os_upgrade", "inactivity"
]

_CAPABILITIES: tuple[str, ...] = get_args(Capability)
_DOZE_API = 23
_CHANNELS_API = 26
_DOCUMENT = "(document)"
_RULES = "profile_rules"
_STEM = "file_stem"
_T = TypeVar("_T")

_SERVICE_FOR = {"ios": "apns", "android": "fcm", "web": "webpush"}
_PUSH_ID = {
    "apns": "an APNs token",
    "fcm": "an FCM token",
    "webpush": "a push subscription",
}
# Android release -> API levels; 12L shipped as API 32 with release "12".
_ANDROID_API = {
    8: (26, 27), 9: (28,), 10: (29,), 11: (30,), 12: (31, 32), 13: (33,),
    14: (34,), 15: (35,), 16: (36,),
}  # fmt: skip
_POST_NOTIFICATIONS_API = 33
_PROVISIONAL = "permission.provisional"
_HOME_SCREEN = "permission.requires_home_screen"


def _matching(pattern: str, what: str) -> AfterValidator:
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}.")
        return value

    return AfterValidator(check)


def _unique(values: tuple[_T, ...]) -> tuple[_T, ...]:
    for index, value in enumerate(values):
        if value in values[:index]:
            raise ValueError(f"{value!r} is listed twice; list each value once.")
    return values


def _positive(value: timedelta) -> timedelta:
    if not value:
        raise ValueError(
            "0s would kill the app the moment it leaves the foreground; "
            "use null for never, or a positive duration."
        )
    return value


_Duration = Duration
_KillDelay = Annotated[_Duration, AfterValidator(_positive)]
_Text = Annotated[str, Field(min_length=1)]
_ProfileName = Annotated[
    str,
    _matching(
        r"[a-z0-9]+(-[a-z0-9]+)*",
        "a profile name; use lowercase letters, digits and hyphens, like ios-17-iphone",
    ),
]
_Version = Annotated[
    str,
    _matching(
        r"\d+(\.\d+)*", 'a version; write dotted digits in quotes, like "17.5" or "14"'
    ),
]
_Origin = Annotated[
    str,
    _matching(
        r"https://[A-Za-z0-9.-]+(:\d+)?",
        "an https origin; give only scheme and host, like https://fcm.googleapis.com",
    ),
]
_SnakeName = Annotated[
    str,
    _matching(
        r"[a-z][a-z0-9]*(_[a-z0-9]+)*",
        "a snake_case name; use lowercase and underscores, like miui_autostart_off",
    ),
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PushSettings(_Section):
    """The push service a device registers with, and where its sends go.

    ``play_services: false`` marks an Android phone sold without Google Play
    services (Huawei since 2019): FCM cannot register an app on it, so it
    never gets a push token. Unset means the platform's usual: present on
    Android, not applicable elsewhere.
    """

    service: Literal["apns", "fcm", "webpush"]
    environment: Literal["sandbox", "production"] | None = None
    endpoint_origin: _Origin | None = None
    play_services: bool | None = None


class PermissionSettings(_Section):
    """How the OS asks for, and starts out with, notification permission."""

    model: PermissionModel
    initial: Literal["not_determined", "granted", "denied"]
    provisional: bool = False
    prompt: Literal["in_app", "none"]
    requires_home_screen: bool = False


class TokenPolicy(_Section):
    """When the push token changes and how long a dead one still looks alive."""

    rotates_on: Annotated[tuple[RotationTrigger, ...], AfterValidator(_unique)]
    invalidation_lag: _Duration


class BackgroundPolicy(_Section):
    """What the OS or OEM does to an app that is not in the foreground."""

    swipe_away_force_stops: bool = False
    battery_saver: Literal["none", "moderate", "aggressive"] = "none"
    push_delay: _Duration = timedelta(0)
    kills_background_after: _KillDelay | None = None


class Quirk(_Section):
    """One named OEM or OS behaviour the emulator and reports can refer to."""

    name: _SnakeName
    note: _Text


def _unique_quirks(quirks: tuple[Quirk, ...]) -> tuple[Quirk, ...]:
    _unique(tuple(quirk.name for quirk in quirks))
    return quirks


class DeviceProfile(_Section):
    """One device as the emulator and the drivers see it; see the module docs."""

    name: _ProfileName
    title: _Text
    platform: Platform
    os_version: _Version
    api_level: int | None = None
    model: _Text
    manufacturer: _Text
    kind: Literal["phone", "tablet", "desktop"]
    push: PushSettings
    permission: PermissionSettings
    token: TokenPolicy
    background: BackgroundPolicy = BackgroundPolicy()
    quirks: Annotated[tuple[Quirk, ...], AfterValidator(_unique_quirks)] = ()
    capabilities: Annotated[tuple[Capability, ...], AfterValidator(_unique)]
    appium: dict[str, object] = Field(default_factory=dict)

    @field_validator("appium")
    @classmethod
    def _appium_fits(
        cls, caps: dict[str, object], info: ValidationInfo
    ) -> dict[str, object]:
        # Checked here, not with the rules below, so the section's problems
        # show up even when another field is broken.
        platform, version = info.data.get("platform"), info.data.get("os_version")
        broken = section_problems(caps, platform, version)
        if broken:
            raise rule_problems(broken)
        return caps

    @model_validator(mode="after")
    def _follow_rules(self, info: ValidationInfo) -> Self:
        context = info.context if isinstance(info.context, dict) else {}
        broken = _broken_rules(self, context.get(_STEM))
        if broken:
            raise rule_problems(broken)
        return self

    def __hash__(self) -> int:
        # The appium dict is unhashable; the name is unique within a directory.
        return hash(self.name)

    @property
    def os_name(self) -> str:
        """Return the OS as people name it: iOS, iPadOS, Android or the platform."""
        if self.platform == "ios":
            return "iPadOS" if self.kind == "tablet" else "iOS"
        return "Android" if self.platform == "android" else self.platform

    @property
    def major_version(self) -> int:
        """Return the first number of the OS version: 17 for ``17.5``."""
        return int(self.os_version.split(".")[0])

    @property
    def play_services(self) -> bool:
        """Tell whether the phone has Google Play services, which FCM needs."""
        return self.platform == "android" and self.push.play_services is not False

    @property
    def has_runtime_prompt(self) -> bool:
        """Tell whether the app can show a notification permission prompt."""
        return self.permission.prompt == "in_app"

    def upgraded(self, os_version: str, api_level: int | None = None) -> DeviceProfile:
        """Return this device after an OS upgrade to ``os_version``, re-validated.

        What the version decides moves with it: the API level (when the
        release has only one), the permission model (Android 13 brings
        POST_NOTIFICATIONS, so android_default_on becomes android_runtime),
        the capabilities, the Appium platformVersion and the version named in
        the title. Raises ConfigError naming the upgrade when the result
        breaks a rule or the version is not newer than the current one.
        """
        return _upgrade(self, os_version, api_level)

    def lacks(self, capability: str) -> str:
        """Say why the profile lacks ``capability`` (empty if it has it)."""
        if self.supports(capability):
            return ""
        reasons = [why for name, on, why in _implied(self) if name == capability]
        return reasons[0] if reasons else f"{self.name} does not list it"

    def supports(self, capability: str) -> bool:
        """Tell whether the profile lists ``capability``; a typo raises ValueError."""
        if capability not in _CAPABILITIES:
            raise ValueError(
                f"{capability!r} is not a capability; use one of "
                f"{', '.join(_CAPABILITIES)}."
            )
        return capability in self.capabilities


_Rule = Callable[[bool, str, str], None]


def _broken_rules(p: DeviceProfile, stem: object) -> list[tuple[str, str]]:
    broken: list[tuple[str, str]] = []

    def rule(violated: bool, path: str, message: str) -> None:
        if violated:
            broken.append((path, message))

    rule(
        isinstance(stem, str) and p.name != stem,
        "name",
        f"{p.name!r} differs from the file name {stem}.yaml; a profile's name "
        "must equal its file stem, so rename one of them.",
    )
    rule(
        p.kind == "desktop" and p.platform != "web",
        "kind",
        f"{p.platform} profiles describe phones and tablets; set kind to phone "
        "or tablet.",
    )
    for check in (
        _push_rules, _android_rules, _permission_rules, _capability_rules,
        _background_rules,
    ):  # fmt: skip
        check(p, rule)
    return broken


def _push_rules(p: DeviceProfile, rule: _Rule) -> None:
    # The platform decides the service, so the rules below follow it, not a typo.
    service, wanted = p.push.service, _SERVICE_FOR[p.platform]
    apns, webpush = wanted == "apns", wanted == "webpush"
    rule(
        service != wanted,
        "push.service",
        f"{p.platform} devices receive push through {wanted}, not {service}; "
        f"set service to {wanted}.",
    )
    rule(
        apns and p.push.environment is None,
        "push.environment",
        "apns tokens belong to one environment; set environment to sandbox or "
        "production.",
    )
    rule(
        not apns and p.push.environment is not None,
        "push.environment",
        f"only apns has environments and {p.platform} uses {wanted}; remove it.",
    )
    rule(
        webpush and p.push.endpoint_origin is None,
        "push.endpoint_origin",
        "webpush needs the origin of the browser's push service, like "
        "https://fcm.googleapis.com for Chrome; add endpoint_origin.",
    )
    rule(
        not webpush and p.push.endpoint_origin is not None,
        "push.endpoint_origin",
        f"only webpush has an endpoint origin and {p.platform} uses {wanted}; "
        "remove it.",
    )
    rule(
        p.push.play_services is not None and p.platform != "android",
        "push.play_services",
        f"only android phones have Google Play services and {p.platform} uses "
        f"{wanted}; remove play_services.",
    )


def _android_rules(p: DeviceProfile, rule: _Rule) -> None:
    android, api = p.platform == "android", p.api_level
    rule(
        not android and api is not None,
        "api_level",
        f"api_level applies only to android, not {p.platform}; remove it.",
    )
    rule(
        android and api is None,
        "api_level",
        "android profiles need the API level of their release, like 34 for "
        "Android 14; add api_level.",
    )
    levels = _api_levels(p)
    rule(
        android and api is not None and api not in levels,
        "api_level",
        f"Android {p.os_version} is API level "
        f"{' or '.join(str(level) for level in levels)}, not {api}; fix api_level "
        "or os_version.",
    )


def _permission_rules(p: DeviceProfile, rule: _Rule) -> None:
    perm, (wanted, reason) = p.permission, _permission_model(p)
    model = wanted or perm.model  # judge the rest by the model the device has
    default_on = model == "android_default_on"
    rule(
        wanted is not None and perm.model != wanted,
        "permission.model",
        f"{reason} the {wanted} model, not {perm.model}; set model to {wanted}.",
    )
    rule(
        default_on and perm.initial != "granted",
        "permission.initial",
        "android_default_on devices start with notifications on; set initial "
        f"to granted, not {perm.initial}.",
    )
    rule(
        default_on and perm.prompt != "none",
        "permission.prompt",
        "android_default_on has no notification permission prompt; set prompt to none.",
    )
    rule(
        not default_on and perm.prompt == "none",
        "permission.prompt",
        f"{model} lets the app ask for notification permission; set prompt to in_app.",
    )
    rule(
        perm.provisional and not _provisional_allowed(p),
        "permission.provisional",
        "provisional authorization exists only on ios 12 and later, not "
        f"{p.platform} {p.os_version}; set provisional to false.",
    )
    rule(
        perm.requires_home_screen and p.platform != "web",
        "permission.requires_home_screen",
        "only web profiles can require a Home Screen install, not "
        f"{p.platform}; set requires_home_screen to false.",
    )


def _api_levels(p: DeviceProfile) -> tuple[int | None, ...]:
    return _ANDROID_API.get(p.major_version, (p.api_level,))


def _permission_model(p: DeviceProfile) -> tuple[PermissionModel | None, str]:
    if p.platform == "ios":
        return "ios_authorization", "ios profiles use"
    if p.platform == "web":
        return "web_notification", "web profiles use"
    if p.api_level is None or p.api_level not in _api_levels(p):
        return None, ""  # the api_level rule speaks first
    if p.api_level >= _POST_NOTIFICATIONS_API:
        return (
            "android_runtime",
            f"API level {p.api_level} has POST_NOTIFICATIONS, so uses",
        )
    return (
        "android_default_on",
        f"API level {p.api_level} predates POST_NOTIFICATIONS (API 33), so uses",
    )


def _capability_rules(p: DeviceProfile, rule: _Rule) -> None:
    for capability, wanted, reason in _implied(p):
        listed = capability in p.capabilities
        rule(
            wanted and not listed,
            "capabilities",
            f"lacks {capability}, yet {reason}; add it.",
        )
        rule(
            listed and not wanted,
            "capabilities",
            f"lists {capability}, yet {reason}; remove it.",
        )


def _implied(p: DeviceProfile) -> list[tuple[str, bool, str]]:
    """Return each capability the other fields decide: wanted or not, and why."""
    # Capabilities follow what the other rules allow, so advice never conflicts.
    native, service = p.platform != "web", _SERVICE_FOR[p.platform]
    model = _permission_model(p)[0] or p.permission.model
    runtime = model in ("ios_authorization", "android_runtime")
    provisional = p.permission.provisional and _provisional_allowed(p)
    app = f"{p.platform} profiles run {'a' if native else 'no'} native app"
    prompt = f"{model} has {'an' if runtime else 'no'} OS prompt"
    quiet = f"{_PROVISIONAL} is {str(provisional).lower()}"
    implied = [
        ("native_app", native, app),
        ("web_push", not native, f"{p.platform} profiles receive {service}"),
        ("runtime_permission", runtime, prompt),
        ("provisional_auth", provisional, quiet),
        _receives_push(p, service),
    ]
    android, api = p.platform == "android", p.api_level or 0
    level = f"{p.platform} API level {api}" if android else p.platform
    delay = p.background.push_delay
    implied += [
        ("force_stop", android, f"{p.platform} {'has' if android else 'lacks'} "
         "Settings > Force stop"),
        ("doze", android and api >= _DOZE_API, f"{level} (Doze came with API 23)"),
        ("notification_channels", android and api >= _CHANNELS_API,
         f"{level} (channels came with API 26)"),
        ("delays_push", delay > timedelta(0), f"background.push_delay is {delay}"),
    ]  # fmt: skip
    if native:
        implied.append(("home_screen_install", False, f"{p.platform} has no web app"))
    elif p.permission.requires_home_screen:
        implied.append(("home_screen_install", True, f"{_HOME_SCREEN} is true"))
    return implied


def _receives_push(p: DeviceProfile, service: str) -> tuple[str, bool, str]:
    if p.platform == "android" and p.push.play_services is False:
        return (
            "receives_push",
            False,
            "push.play_services is false, so FCM can issue no token",
        )
    return "receives_push", True, f"{p.platform} profiles get {_PUSH_ID[service]}"


def _provisional_allowed(p: DeviceProfile) -> bool:
    return p.platform == "ios" and p.major_version >= 12


def _background_rules(p: DeviceProfile, rule: _Rule) -> None:
    policy, saver = p.background, p.background.battery_saver
    rule(
        saver == "none" and bool(policy.push_delay),
        "background.push_delay",
        "a push delay comes from an OEM battery saver and battery_saver is none; "
        "set battery_saver to moderate or aggressive, or push_delay to 0s.",
    )
    rule(
        saver == "none" and policy.kills_background_after is not None,
        "background.kills_background_after",
        "background kills come from an OEM battery saver and battery_saver is "
        "none; set battery_saver, or kills_background_after to null.",
    )


_FRESH_PERMISSION = {
    "android_runtime": {"initial": "not_determined", "prompt": "in_app"},
    "android_default_on": {"initial": "granted", "prompt": "none"},
}


def _upgrade(p: DeviceProfile, version: str, api_level: int | None) -> DeviceProfile:
    label = f"{p.name} upgraded to {p.os_name} {version}"
    problems = _upgrade_problems(p, version, label)
    if api_level is None and p.platform == "android" and not problems:
        api_level = _only_api_level(version)
        if api_level is None and not problems:
            problems.append(
                Problem(
                    label,
                    "api_level",
                    f"Android {version} has more than one API level; pass "
                    "api_level to name the one the phone gets.",
                )
            )
    if problems:
        raise ConfigError(problems)
    draft = p.model_copy(update={"os_version": version, "api_level": api_level})
    data = draft.model_dump(mode="json")
    wanted = _permission_model(draft)[0]
    if wanted is not None and wanted != p.permission.model:
        data["permission"] |= {"model": wanted, **_FRESH_PERMISSION.get(wanted, {})}
    decided = {capability: on for capability, on, _ in _implied(draft)}
    kept = [c for c in p.capabilities if decided.get(c, True)]
    data["capabilities"] = kept + [
        c for c in _CAPABILITIES if decided.get(c) and c not in kept
    ]
    data["title"] = re.sub(
        rf"\b({p.os_name}) {re.escape(p.os_version)}\b", rf"\1 {version}", p.title
    )
    options = data["appium"].get(OPTIONS)
    for section in (data["appium"], options if isinstance(options, dict) else {}):
        for key in ("appium:platformVersion", "platformVersion"):
            if key in section:
                section[key] = version
    try:
        return DeviceProfile.model_validate(data)
    except ValidationError as error:
        raise ConfigError(problems_of(error, label, DeviceProfile)) from None


def _upgrade_problems(p: DeviceProfile, version: str, label: str) -> list[Problem]:
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", version):
        return [
            Problem(
                label,
                "os_version",
                f"{version!r} is not a version; pass dotted digits like "
                '"17.5" or "14".',
            )
        ]
    if _version_key(version) > _version_key(p.os_version):
        return []
    return [
        Problem(
            label,
            "os_version",
            f"{p.os_name} {version} is not newer than the {p.os_version} the "
            "phone runs; an OS upgrade only moves forward, so pass a later "
            "version (or use another profile for an older OS).",
        )
    ]


def _version_key(version: str) -> tuple[int, ...]:
    parts = version.split(".")
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(
            f"{version!r} is not a version; write numbers and dots, like 13 or 17.4"
        )
    return tuple(int(part) for part in parts)


def _only_api_level(version: str) -> int | None:
    levels = _ANDROID_API.get(_version_key(version)[0], ())
    return levels[0] if len(levels) == 1 else None


def load_profile(path: Path) -> DeviceProfile:
    """Load one device profile, raising ConfigError with every problem in it.

    The rules between fields (service per platform, permission model per API
    level and so on) are checked once every field is valid on its own.
    """
    return load_model(path, DeviceProfile, "device profile")


def load_profiles(directory: Path) -> dict[str, DeviceProfile]:
    """Load every ``*.yaml`` profile in ``directory``, ordered by name.

    Every file is read even after a bad one, so the one ConfigError raised lists
    every problem of every file.
    """
    profiles = load_directory(directory, DeviceProfile, "device profile")
    logger.debug("loaded %d device profiles from %s", len(profiles), directory)
    return profiles


def find_profile(profiles: Mapping[str, DeviceProfile], name: str) -> DeviceProfile:
    """Return the profile called ``name``, or raise UnknownName listing the rest."""
    try:
        return profiles[name]
    except KeyError:
        raise UnknownName("device profile", name, profiles) from None
