"""Action maps: how a real app's screens carry out the shopper's actions.

``fixtures/apps/<app>.appium.yaml`` says, for each app action a scenario can
take (``log_in``, ``add_to_cart``, ...) and each platform (``android``,
``ios``, and ``fake`` for the harnessfake driver's shop UI), the locator steps
an Appium session plays::

    app: reference
    actions:
      log_in:
        android:
          - type: {by: id, value: "com.example.shop:id/email", text: "{email}"}
          - tap: {by: id, value: "com.example.shop:id/sign_in"}

A step is ``tap``, ``type``, ``wait_for`` (each with a locator: ``by`` and
``value``) or ``back``. Texts and values may hold placeholders filled from the
shopper and product of the call: ``{email}``, ``{password}``, ``{user_id}``,
``{first_name}``, ``{last_name}``, ``{sku}``, ``{qty}``; each action allows the
ones it knows of, as plain names only (:mod:`.placeholders`). An action listed
for a platform has at least one step, and a ``wait_for`` waits at most
``MAX_WAIT``. Loading reports every problem at once as ``file: key.path:
message``: steps that fail to parse and bad placeholders alike.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from ..errors import ConfigError, Problem
from ..files import (
    Duration,
    describe,
    format_duration,
    parse_model,
    read_yaml,
    rule_problems,
    shown,
)
from .placeholders import (
    PLACEHOLDERS,
    fields,
    placeholder_problems,
    render,
    scan_action_map,
)

if TYPE_CHECKING:
    from ..people import Product, Shopper

__all__ = [
    "ACTIONS",
    "MAX_WAIT",
    "SUFFIX",
    "ActionMap",
    "Back",
    "Locator",
    "Step",
    "Tap",
    "TypeText",
    "WaitFor",
    "action_map_path",
    "check_action_maps",
    "fill",
    "find_action_map",
    "load_action_map",
    "load_action_maps",
    "password_of",
]

SUFFIX = ".appium.yaml"
ActionName = Literal[
    "log_in", "create_account", "log_out", "view", "add_to_cart",
    "start_checkout", "complete_order", "open_order_tracking",
    "request_permission",
]  # fmt: skip
ACTIONS: tuple[str, ...] = (
    "log_in", "create_account", "log_out", "view", "add_to_cart",
    "start_checkout", "complete_order", "open_order_tracking",
    "request_permission",
)  # fmt: skip
MapPlatform = Literal["android", "ios", "fake"]
By = Literal[
    "id", "accessibility_id", "xpath", "class_name", "name", "css_selector",
    "android_uiautomator", "ios_predicate", "ios_class_chain",
]  # fmt: skip
# The locator strategies as the WebDriver protocol names them (AppiumBy's values).
STRATEGIES: dict[str, str] = {
    "id": "id",
    "accessibility_id": "accessibility id",
    "xpath": "xpath",
    "class_name": "class name",
    "name": "name",
    "css_selector": "css selector",
    "android_uiautomator": "-android uiautomator",
    "ios_predicate": "-ios predicate string",
    "ios_class_chain": "-ios class chain",
}
STEP_KINDS = ("tap", "type", "wait_for", "back")
# A wait holds the cell in real time; past two minutes the app is stuck.
MAX_WAIT = timedelta(seconds=120)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Locator(_Strict):
    """Where an element is: a strategy (``by``) and what it looks for."""

    by: By
    value: Annotated[str, Field(min_length=1)]

    @property
    def strategy(self) -> str:
        """Return the strategy as the WebDriver protocol names it."""
        return STRATEGIES[self.by]


class Tap(Locator):
    """Tap (click) the element."""

    kind: Literal["tap"] = "tap"


class TypeText(Locator):
    """Clear the field, then type ``text`` into it."""

    kind: Literal["type"] = "type"
    text: str


class WaitFor(Locator):
    """Wait until the element is there, at most ``timeout`` of real time."""

    kind: Literal["wait_for"] = "wait_for"
    timeout: Duration = timedelta(seconds=10)

    @field_validator("timeout")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a wait needs a timeout longer than 0s, like 10s")
        if value > MAX_WAIT:
            raise ValueError(
                f"a wait is at most {format_duration(MAX_WAIT)} of real time, not "
                f"{format_duration(value)}; the cell stands still while it waits, "
                "so give 2m or less"
            )
        return value


class Back(_Strict):
    """Press the system's back button (Android) or navigate back."""

    kind: Literal["back"] = "back"


def _step_shape(value: object) -> object:
    """Turn ``{tap: {by, value}}`` into ``{kind: tap, by, value}``; ``back`` too."""
    if value == "back":
        return {"kind": "back"}
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(
            f"a step is a mapping with one key of {', '.join(STEP_KINDS)}, got "
            f"{describe(value)}; write it like tap: {{by: id, value: sign_in}}"
        )
    [(kind, body)] = value.items()
    if kind not in STEP_KINDS:
        close = difflib.get_close_matches(str(kind), STEP_KINDS, n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(
            f"{kind!r} is not a step; use one of {', '.join(STEP_KINDS)}{guess}"
        )
    if body is None and kind == "back":
        body = {}
    if not isinstance(body, dict):
        raise ValueError(
            f"{kind} takes a mapping such as {{by: id, value: sign_in}}, got "
            f"{describe(body)}"
        )
    allowed = [key for key in _MODELS[kind].model_fields if key != "kind"]
    for key in body:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            guess = f" (did you mean {close[0]}?)" if close else ""
            keys = ", ".join(allowed) or "none"
            raise ValueError(
                f"{kind} has an unknown key {key!r}{guess}; allowed: {keys}"
            )
    return {"kind": kind, **body}


_MODELS: dict[str, type[BaseModel]] = {
    "tap": Tap, "type": TypeText, "wait_for": WaitFor, "back": Back,
}  # fmt: skip


def _kind(value: object) -> str | None:
    return value.get("kind") if isinstance(value, dict) else None


Step = Annotated[
    Annotated[Tap, Tag("tap")]
    | Annotated[TypeText, Tag("type")]
    | Annotated[WaitFor, Tag("wait_for")]
    | Annotated[Back, Tag("back")],
    Discriminator(_kind),
    BeforeValidator(_step_shape),
]


def _some(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    if not steps:
        raise ValueError(
            "an action needs at least one step; leave the platform out if the app "
            "has no such screen"
        )
    return steps


Steps = Annotated[tuple[Step, ...], AfterValidator(_some)]


class PlatformSteps(_Strict):
    """One action's steps on each platform; a platform left out cannot do it."""

    android: Steps | None = None
    ios: Steps | None = None
    fake: Steps | None = None


class Actions(_Strict):
    """The steps of each app action, by action name."""

    log_in: PlatformSteps | None = None
    create_account: PlatformSteps | None = None
    log_out: PlatformSteps | None = None
    view: PlatformSteps | None = None
    add_to_cart: PlatformSteps | None = None
    start_checkout: PlatformSteps | None = None
    complete_order: PlatformSteps | None = None
    open_order_tracking: PlatformSteps | None = None
    request_permission: PlatformSteps | None = None

    @field_validator("*")
    @classmethod
    def _placeholders_fit(
        cls, value: PlatformSteps | None, info: ValidationInfo
    ) -> PlatformSteps | None:
        action, broken = str(info.field_name), []
        for platform, listed in value or PlatformSteps():
            for index, step in enumerate(listed or ()):
                where = f"{platform}.{index}.{step.kind}"
                broken += _placeholder_problems(action, step, where)
        if broken:
            raise rule_problems(broken)
        return value


class Builds(_Strict):
    """What ``mobile: installApp`` installs on each real platform.

    A path on the Appium host or a URL it can fetch (an ``.apk`` for Android,
    an ``.app`` or ``.ipa`` for iOS). On ``fake`` the app profile's name is
    installed.
    """

    android: Annotated[str, Field(min_length=1)] | None = None
    ios: Annotated[str, Field(min_length=1)] | None = None


class ActionMap(_Strict):
    """One app's action map; see the module docs."""

    app: Annotated[str, Field(min_length=1)]
    builds: Builds = Builds()
    push_link: Annotated[str, Field(min_length=1)] | None = None
    actions: Actions

    @field_validator("app")
    @classmethod
    def _app_is_file_stem(cls, value: str, info: ValidationInfo) -> str:
        path = (info.context or {}).get("file")
        if isinstance(path, Path) and path.name != f"{value}{SUFFIX}":
            raise ValueError(
                f"app {value!r} differs from the file name {path.name}; an action "
                f"map is named after its app profile: {value}{SUFFIX}"
            )
        return value

    @field_validator("push_link")
    @classmethod
    def _push_link_has_payload(cls, value: str | None) -> str | None:
        if value is None:
            return value
        broken = placeholder_problems(value, ("payload",), "push_link")
        if not broken and fields(value) == ["payload"]:
            return value
        if any(name != "payload" for name in _names_or_none(value)):
            broken = []  # another name: the rule below says what to write
        raise ValueError(
            "; ".join(broken)
            or f"{value!r} must hold {{payload}} once and no other placeholder; "
            "the push's data is put there, URL-encoded"
        )

    def steps(self, action: str, platform: str) -> Steps | None:
        """Return the steps of ``action`` on ``platform``, or None if it has none."""
        listed: PlatformSteps | None = getattr(self.actions, action, None)
        return getattr(listed, platform, None) if listed is not None else None


def _names_or_none(text: str) -> list[str]:
    try:
        return fields(text)
    except ValueError:
        return []


def _placeholder_problems(
    action: str, step: object, where: str
) -> list[tuple[str, str]]:
    return [
        (f"{where}.{key}", message)
        for key in ("value", "text")
        if isinstance(text := getattr(step, key, None), str)
        for message in placeholder_problems(text, PLACEHOLDERS[action], action)
    ]


# -- filling steps from a call --------------------------------------------------


def password_of(shopper: Shopper) -> str:
    """Return the password the shopper's account has: made from the user id."""
    return f"Pw-{shopper.user_id}"


@dataclass(frozen=True)
class Call:
    """What one app action was called with: the values its placeholders take."""

    values: Mapping[str, str]

    @classmethod
    def of(
        cls,
        shopper: Shopper | None = None,
        product: Product | None = None,
        qty: int | None = None,
    ) -> Call:
        """Collect the placeholder values of a shopper, a product and a quantity."""
        values: dict[str, str] = {}
        if shopper is not None:
            values |= {
                "email": shopper.email,
                "password": password_of(shopper),
                "user_id": shopper.user_id,
                "first_name": shopper.first_name,
                "last_name": shopper.last_name,
            }
        if product is not None:
            values["sku"] = product.sku
        if qty is not None:
            values["qty"] = str(qty)
        return cls(values)


def fill(text: str, call: Call) -> str:
    """Return ``text`` with its placeholders replaced by the call's values."""
    return render(text, call.values)


# -- loading -------------------------------------------------------------------


def action_map_path(apps: Path, app: str) -> Path:
    """Return where the action map of app profile ``app`` lives in ``apps``."""
    return apps / f"{app}{SUFFIX}"


def _parse(path: Path) -> tuple[ActionMap | None, list[Problem]]:
    """Load one action map; return it, or every problem in it.

    A step that fails to parse stops pydantic before the placeholders are
    checked, so those are read off the raw document too and added.
    """
    loaded, problems = parse_model(path, ActionMap, "action map")
    if loaded is not None:
        return loaded, []
    data, unreadable = read_yaml(path)
    file, seen = shown(path), {str(problem) for problem in problems}
    for where, message in [] if unreadable else scan_action_map(data):
        problem = Problem(file, where, message)
        if str(problem) not in seen:
            problems.append(problem)
            seen.add(str(problem))
    return None, problems


def load_action_map(path: Path) -> ActionMap:
    """Load one action map, raising ConfigError with every problem in it."""
    loaded, problems = _parse(path)
    if loaded is None:
        raise ConfigError(problems)
    return loaded


def _read_maps(apps: Path) -> tuple[dict[str, ActionMap], list[Problem]]:
    loaded: dict[str, ActionMap] = {}
    problems: list[Problem] = []
    for path in sorted(apps.glob(f"*{SUFFIX}")):
        item, found = _parse(path)
        problems += found
        if item is not None:
            loaded[item.app] = item
    for path in sorted(apps.glob("*.appium.yml")):
        problems.append(
            Problem(shown(path), "(document)", f"action maps end in {SUFFIX}, so "
                    f"this one is skipped; rename it {path.name[:-4]}.yaml.")
        )  # fmt: skip
    return loaded, problems


def load_action_maps(apps: Path) -> dict[str, ActionMap]:
    """Load every ``*.appium.yaml`` in ``apps`` by app name, raising once for all."""
    loaded, problems = _read_maps(apps)
    if problems:
        raise ConfigError(problems)
    return loaded


def find_action_map(apps: Path, app: str) -> ActionMap | None:
    """Return the action map of app profile ``app``, or None if it has none."""
    path = action_map_path(apps, app)
    return load_action_map(path) if path.is_file() else None


def check_action_maps(apps: Path) -> dict[str, ActionMap]:
    """Load every action map in ``apps`` and check each names an app profile there.

    A map is named after its app (``<app>.appium.yaml``), so a map whose app
    profile ``<app>.yaml`` is missing is reported beside the map's other
    problems. Raises ConfigError listing every problem of every file at once.
    """
    maps, problems = _read_maps(apps)
    known = sorted(
        path.stem for path in apps.glob("*.yaml") if not path.name.endswith(SUFFIX)
    )
    for path in sorted(apps.glob(f"*{SUFFIX}")):
        name = path.name.removesuffix(SUFFIX)
        if name in known:
            continue
        problems.append(
            Problem(
                shown(path),
                "app",
                f"{name!r} has no app profile {name}.yaml beside it; known app "
                f"profiles: {', '.join(known) or 'none'}. Name one, or add it.",
            )
        )
    if problems:
        raise ConfigError(problems)
    return maps
