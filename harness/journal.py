"""The record every layer writes to, from which a person's timeline is cut.

Each layer (SDK, workspace, campaign, provider, phone) appends an :class:`Entry`
carrying whichever subjects it knows: a person's cio_id, an anonymous id, a device
token, a delivery id. A timeline is the entries that touch any of a person's
subjects, so a push outcome recorded by the phone, which only knows its token,
still lands on the right person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

LAYERS = ("app", "sdk", "workspace", "campaign", "provider", "phone", "browser")


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing that happened, stamped with the clock and its subjects."""

    at: datetime
    layer: str
    kind: str
    text: str
    person: str | None = None
    anonymous_id: str | None = None
    token: str | None = None
    delivery_id: str | None = None
    device: str | None = None
    data: dict[str, object] = field(default_factory=dict, compare=False)


@dataclass
class Subjects:
    """The identities, tokens and deliveries that make up one person's story."""

    people: set[str] = field(default_factory=set)
    anonymous_ids: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    deliveries: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)

    def touches(self, entry: Entry) -> bool:
        """Tell whether ``entry`` concerns any of these subjects."""
        return (
            (entry.person is not None and entry.person in self.people)
            or (
                entry.anonymous_id is not None
                and entry.anonymous_id in self.anonymous_ids
            )
            or (entry.token is not None and entry.token in self.tokens)
            or (entry.delivery_id is not None and entry.delivery_id in self.deliveries)
            or (entry.device is not None and entry.device in self.devices)
        )


def plural(count: int, noun: str) -> str:
    """Return ``1 event`` or ``2 events`` (``delivery`` becomes ``deliveries``)."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def short_token(token: str) -> str:
    """Shorten a token or Web Push endpoint the same way in every timeline line."""
    if token.startswith("https://"):
        host, _, rest = token[len("https://") :].partition("/")
        return f"{host}/…{rest.rsplit('/', 1)[-1][:6]}…"
    return f"{token[:12]}…" if len(token) > 12 else token


class Journal:
    """Keep every entry in the order it happened."""

    def __init__(self) -> None:
        self._entries: list[Entry] = []

    def record(self, entry: Entry) -> None:
        """Append ``entry``."""
        self._entries.append(entry)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def about(self, subjects: Subjects) -> list[Entry]:
        """Return the entries that touch ``subjects``, in order."""
        return [e for e in self._entries if subjects.touches(e)]
