"""Typed calls into the workspace, as the wire layers parse them.

The model takes these and nothing else: no JSON, no HTTP. ``properties`` and
``traits`` are plain Python values already decoded by the wire layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Caller:
    """Who made a call: the identities on the envelope and where it came from."""

    user_id: str | None
    anonymous_id: str | None
    message_id: str | None
    timestamp: datetime
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Identify:
    """Make ``user_id`` known, with traits, and stitch the anonymous id to it."""

    caller: Caller
    traits: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Track:
    """Record an event (``kind`` is track, page or screen)."""

    caller: Caller
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    kind: str = "track"


@dataclass(frozen=True)
class Alias:
    """Merge ``previous_id``'s activity into ``caller.user_id``."""

    caller: Caller
    previous_id: str


@dataclass(frozen=True)
class Group:
    """Attach the person to an object (recorded, not modelled further)."""

    caller: Caller
    group_id: str
    traits: dict[str, Any] = field(default_factory=dict)


Call = Identify | Track | Alias | Group
