"""The tracking plan: which events an app may send, and what each must carry.

``fixtures/tracking-plan.yaml`` names the planned events and the properties each
requires, optionally with a type. The SDK's own events (:data:`BUILTIN_EVENTS`)
are always allowed, so a plan never lists them. :func:`audit` reads the events
an app really sent and reports what strays from the plan: names the plan does
not know, near-misses of a planned name, missing properties and wrong types.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .files import DOCUMENT, describe, load_model, problems_of, rule_problems, shown

__all__ = [
    "BUILTIN_EVENTS",
    "PLAN_FILE",
    "Finding",
    "Observed",
    "PlannedEvent",
    "Sent",
    "TrackingPlan",
    "audit",
    "load_plan",
]

logger = logging.getLogger(__name__)

PLAN_FILE = Path("fixtures/tracking-plan.yaml")
BUILTIN_EVENTS = frozenset(
    {
        "Application Installed",
        "Application Opened",
        "Application Backgrounded",
        "Device Created or Updated",
        "Device Deleted",
        "Report Delivery Event",
    }
)
NEAR = 0.85  # difflib ratio of the spelling-free keys; see _near

PropertyType = Literal[
    "string", "number", "integer", "boolean", "array", "object", "any"
]
Kind = Literal["unknown_event", "near_duplicate", "missing_property", "wrong_type"]

_WANTED = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORDS = re.compile(r"[a-z0-9]+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_blank(name: str) -> str:
    if not name.strip():
        raise ValueError("a property name is blank; name every property.")
    return name


_PropertyName = Annotated[str, AfterValidator(_not_blank)]


class PlannedEvent(_Strict):
    """One planned event: what it is for and the properties it requires.

    ``properties`` maps each required property to its type, or ``any``; a list
    of names requires them without typing them.
    """

    description: str = ""
    properties: dict[_PropertyName, PropertyType] = {}

    @field_validator("properties", mode="before")
    @classmethod
    def _names_only(cls, value: object) -> object:
        if isinstance(value, list):
            odd = [describe(n) for n in value if not isinstance(n, str)]
            if odd:
                raise ValueError(
                    f"property names are text, not {odd[0]}; write each in quotes."
                )
            repeated = sorted({str(n) for n in value if value.count(n) > 1})
            if repeated:
                raise ValueError(f"{', '.join(repeated)} listed twice; list each once.")
            return dict.fromkeys(value, "any")
        return value


class TrackingPlan(_Strict):
    """The events an app may send, beyond the SDK's own, by name."""

    events: dict[str, PlannedEvent]
    _source: str = PrivateAttr("the tracking plan")

    @field_validator("events", mode="before")
    @classmethod
    def _each_event(cls, value: object) -> object:
        # Each event is checked on its own so a problem's path starts at its
        # name and every event's problems are reported together.
        if not isinstance(value, dict):
            return value
        events: dict[str, PlannedEvent] = {}
        problems: list[tuple[str, str]] = []
        for name, body in value.items():
            problem = _name_problem(name)
            if problem:
                problems.append((str(name), problem))
                continue
            try:
                events[name] = PlannedEvent.model_validate({} if body is None else body)
            except ValidationError as error:
                problems += _under(name, error)
        if problems:
            raise rule_problems(problems)
        return events

    @model_validator(mode="after")
    def _remember_file(self, info: ValidationInfo) -> TrackingPlan:
        path = (info.context or {}).get("file")
        if isinstance(path, Path):
            self._source = f"the tracking plan ({shown(path)})"
        return self

    @property
    def source(self) -> str:
        """Return how findings name the plan: with its file, when loaded from one."""
        return self._source


class Observed(Protocol):
    """An event as sent: the workspace's event records and :class:`Sent` fit."""

    @property
    def name(self) -> str: ...

    @property
    def properties(self) -> Mapping[str, Any]: ...


class Sent(NamedTuple):
    """An event given by hand, for auditing events not read from a workspace."""

    name: str
    properties: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Finding:
    """One way the events sent stray from the plan.

    ``properties`` names the properties concerned: empty for an unknown or
    near-duplicate name, the missing ones, or the one of the wrong type.
    """

    kind: Kind
    event: str
    properties: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


def load_plan(root: Path) -> TrackingPlan | None:
    """Load ``fixtures/tracking-plan.yaml`` under ``root``; None when there is none.

    A broken file raises ConfigError with every problem, as other fixtures do.
    """
    path = root / PLAN_FILE
    if not path.exists():
        logger.debug("no tracking plan at %s; nothing to audit against", path)
        return None
    return load_model(path, TrackingPlan, "tracking plan")


def audit(plan: TrackingPlan, events: Iterable[Observed]) -> list[Finding]:
    """Check events against the plan and return what strays, first seen first.

    Pass what an app sent: a profile's events straight from the workspace
    (``world.workspace.events_of(person)``) or :class:`Sent` values. Records
    whose ``kind`` is not ``track`` (screen and page views) are skipped. A name
    off the plan close to a planned one (``add_to_cart`` for ``added_to_cart``)
    is a ``near_duplicate``, any other an ``unknown_event``; a planned event
    lacking required properties (null counts as missing) is a
    ``missing_property``, and one whose property has another type a
    ``wrong_type``. Each (kind, event, properties) is reported once, so an
    expectation can fail with ``"\\n".join(f.text for f in findings)``.
    """
    found: dict[tuple[str, str, tuple[str, ...]], Finding] = {}
    for event in events:
        if getattr(event, "kind", "track") != "track":
            continue
        for finding in _check(plan, event.name, event.properties):
            found.setdefault((finding.kind, finding.event, finding.properties), finding)
    logger.debug("tracking plan audit: %d finding(s)", len(found))
    return list(found.values())


# -- checking one event --------------------------------------------------------


def _check(
    plan: TrackingPlan, name: str, properties: Mapping[str, Any]
) -> list[Finding]:
    if name in BUILTIN_EVENTS:
        return []
    planned = plan.events.get(name)
    if planned is None:
        return [_off_plan(plan, name)]
    required = planned.properties
    missing = tuple(p for p in required if properties.get(p) is None)
    findings = [_missing(plan, name, missing, tuple(required))] if missing else []
    for prop, wanted in required.items():
        value = properties.get(prop)
        if value is not None and not _fits(value, wanted):
            findings.append(_wrong_type(plan, name, prop, value, wanted))
    return findings


def _off_plan(plan: TrackingPlan, name: str) -> Finding:
    close = _near(name, [*plan.events, *sorted(BUILTIN_EVENTS)])
    if close is None:
        return Finding(
            "unknown_event",
            name,
            (),
            f"{name} is not in {plan.source}; add it to the plan, or stop sending it.",
        )
    return Finding(
        "near_duplicate",
        name,
        (),
        f"{name} is not in {plan.source} but is close to {close}; send {close} "
        f"instead, or add {name} to the plan if it is a different event.",
    )


def _missing(
    plan: TrackingPlan, name: str, missing: tuple[str, ...], required: tuple[str, ...]
) -> Finding:
    them = "it" if len(missing) == 1 else "them"
    return Finding(
        "missing_property",
        name,
        missing,
        f"{name} lacks {_and(missing)}; {plan.source} requires "
        f"{', '.join(required)}: send {them} on every {name}.",
    )


def _wrong_type(
    plan: TrackingPlan, name: str, prop: str, value: object, wanted: str
) -> Finding:
    return Finding(
        "wrong_type",
        name,
        (prop,),
        f"{name}'s {prop} is {describe(value)}, not {_WANTED[wanted]}; "
        f"{plan.source} types {prop} as {wanted}: send {_WANTED[wanted]}.",
    )


def _fits(value: object, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted in ("boolean", "any")
    match wanted:
        case "string":
            return isinstance(value, str)
        case "number":
            return isinstance(value, int | float)
        case "integer":
            # JSON has one number type, so 2.0 from a JavaScript app is whole.
            return isinstance(value, int) or (
                isinstance(value, float) and value.is_integer()
            )
        case "boolean":
            return False
        case "array":
            return isinstance(value, list | tuple)
        case "object":
            return isinstance(value, Mapping)
    return True


# -- spelling ------------------------------------------------------------------


def _near(name: str, known: list[str]) -> str | None:
    """Return the known name ``name`` most likely misspells, if any is close.

    Case, separators and word order are ignored; what is left must be nearly
    the same text (``addtocart`` against ``addedtocart``), so distinct events
    such as ``order_created`` and ``order_completed`` stay apart.
    """
    words = _words(name)
    for candidate in known:
        if sorted(_words(candidate)) == sorted(words):
            return candidate
    keys = {"".join(_words(k)): k for k in known}
    close = difflib.get_close_matches("".join(words), list(keys), n=1, cutoff=NEAR)
    return keys[close[0]] if close else None


def _words(name: str) -> list[str]:
    return _WORDS.findall(_CAMEL.sub(" ", name).lower())


def _and(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


# -- loading -------------------------------------------------------------------


def _name_problem(name: object) -> str | None:
    if not isinstance(name, str):
        return f"event names are text, not {describe(name)}; put the name in quotes."
    if not name.strip():
        return "an event name is blank; name the event."
    if name != name.strip():
        return f"{name!r} has spaces at its ends; remove them."
    if name in BUILTIN_EVENTS:
        return (
            f"{name!r} is one of the SDK's own events, which every plan allows; "
            "remove it from the plan."
        )
    return None


def _under(name: str, error: ValidationError) -> list[tuple[str, str]]:
    rows = problems_of(error, "", PlannedEvent)
    return [
        (
            name
            if row.path == DOCUMENT
            else f"{name}.{row.path}".replace(".[key]", ""),
            row.message,
        )
        for row in rows
    ]
