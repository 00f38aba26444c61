"""Setting a person's attributes: removal, ordering, limits and preferences.

- An attribute set to null or "" is removed (the rule Customer.io documents for
  objects, applied to people too).
- An update older, by its timestamp (``_timestamp`` in v1, ``timestamp`` in
  v2), than an attribute's last update leaves that attribute alone; an update
  without one counts as made on arrival.
- ``unsubscribed`` reads true in any case, 1 and "1" as true, anything else as
  false, as documented.
- Keys such as ``cio_subscription_preferences.topics.topic_1`` update one topic
  and keep the others.
- A profile holds at most 300 attributes; new ones past that are not set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .records import Person

ATTRIBUTE_LIMIT = 300
PREFERENCES = "cio_subscription_preferences"


@dataclass
class Applied:
    """What an update did: attributes changed, left stale, or over the limit."""

    changed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    over: list[str] = field(default_factory=list)


def apply_attributes(
    person: Person, attributes: dict[str, Any], when: datetime
) -> Applied:
    """Set ``attributes`` on ``person`` as of ``when``."""
    applied = Applied()
    for name, value in attributes.items():
        top = name.split(".", 1)[0] if name.startswith(PREFERENCES) else name
        last = person.attribute_times.get(name)
        if last is not None and when < last:
            applied.stale.append(name)
            continue
        full = len(person.attributes) >= ATTRIBUTE_LIMIT
        if full and top not in person.attributes and not empty(value):
            applied.over.append(name)
            continue
        if top != name:
            _set_path(person.attributes, name.split("."), value)
        elif empty(value):
            person.attributes.pop(name, None)
        elif name == "unsubscribed":
            person.attributes[name] = unsubscribed(value)
        else:
            person.attributes[name] = value
        person.attribute_times[name] = when
        applied.changed.append(name)
    return applied


def empty(value: Any) -> bool:
    """Tell whether ``value`` removes an attribute (null or "")."""
    return value is None or value == ""


def unsubscribed(value: Any) -> bool:
    """Read an ``unsubscribed`` value the way Customer.io documents."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("true", "1")


def _set_path(target: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        inner = target.get(key)
        if not isinstance(inner, dict):
            inner = target[key] = {}
        target = inner
    if empty(value):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
