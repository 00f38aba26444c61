"""A stand-in push endpoint for provider tests: it records what the service does.

Real devices (the emulated phone and browser) decide outcomes; these tests look
at the provider alone, so the stand-in only keeps what it is handed, stored or
told was discarded, and goes offline when a test says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.push.notification import Notification


@dataclass
class Receiver:
    """Keep every notification a push service hands over, stores or discards."""

    received: list[Notification] = field(default_factory=list)
    online: bool = True
    stored_notes: list[tuple[Notification, str]] = field(default_factory=list)
    discarded_notes: list[tuple[Notification, str]] = field(default_factory=list)

    def deliver(self, notification: Notification) -> None:
        self.received.append(notification)

    def reachable(self) -> bool:
        return self.online

    def stored(self, notification: Notification, note: str) -> None:
        self.stored_notes.append((notification, note))

    def discarded(self, notification: Notification, note: str) -> None:
        self.discarded_notes.append((notification, note))
