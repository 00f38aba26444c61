"""What the OS did with each push that reached the phone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ..journal import Entry
from ..push.notification import Notification


class Outcome(StrEnum):
    """The phone's side of a delivery, apart from the provider's verdict."""

    SHOWN = "shown"
    SHOWN_QUIETLY = "shown quietly"
    DROPPED = "dropped"
    NOT_DELIVERED = "not delivered"
    DELAYED = "delayed"
    STORED = "stored until online"
    NEVER = "never"

    @property
    def visible(self) -> bool:
        """Tell whether the person could see the notification."""
        return self in (Outcome.SHOWN, Outcome.SHOWN_QUIETLY)


@dataclass
class InboxItem:
    """One notification as the OS handled it.

    ``notification`` is the push as the person saw it (rendered, decrypted);
    ``received`` is the object the provider handed over, stored or discarded,
    by which a later step of the same push finds this item.
    """

    notification: Notification
    outcome: Outcome
    reason: str
    at: datetime
    tapped_at: datetime | None = None
    history: list[str] = field(default_factory=list)
    received: Notification | None = None

    @property
    def title(self) -> str:
        """Return the title the person saw (empty for data-only pushes)."""
        return self.notification.title or ""

    @property
    def body(self) -> str:
        """Return the body text the person saw."""
        return self.notification.body or ""

    @property
    def delivery_id(self) -> str | None:
        """Return the Customer.io delivery id the push carried."""
        return self.notification.delivery_id

    def settle(self, outcome: Outcome, reason: str, at: datetime) -> None:
        """Move the item on (a stored or delayed push reached its end)."""
        self.outcome, self.reason = outcome, reason
        self.history.append(f"{at:%H:%M:%S} {outcome.value}")

    def entry(self, at: datetime, layer: str, device: str) -> Entry:
        """Return the timeline line saying what ``device`` did with this push."""
        return Entry(
            at,
            layer,
            "outcome",
            f"{device}: push {self.title!r} {self.outcome.value}: {self.reason}",
            token=self.notification.token,
            delivery_id=self.delivery_id,
            device=device,
        )


class Inbox:
    """Every push that reached the phone, with what the OS did with it."""

    def __init__(self) -> None:
        self.items: list[InboxItem] = []

    def add(self, item: InboxItem) -> None:
        """Record an item."""
        self.items.append(item)

    def record(
        self,
        received: Notification,
        shown: Notification,
        outcome: Outcome,
        reason: str,
        at: datetime,
    ) -> InboxItem:
        """Move the item still waiting for ``received`` on, or add a new one.

        A push the provider stored, or the OS delayed, keeps one item from
        first step to last; its history lists every outcome it went through.
        """
        item = self.waiting(received)
        if item is None:
            item = InboxItem(shown, outcome, reason, at, received=received)
            item.history.append(f"{at:%H:%M:%S} {outcome.value}")
            self.add(item)
        else:
            item.notification = shown
            item.settle(outcome, reason, at)
        return item

    def waiting(self, received: Notification) -> InboxItem | None:
        """Return the stored or delayed item for ``received``, if any."""
        pending = (Outcome.STORED, Outcome.DELAYED)
        return next(
            (i for i in self.items if i.received is received and i.outcome in pending),
            None,
        )

    def outcomes(self) -> list[Outcome]:
        """Return each item's outcome, oldest first."""
        return [item.outcome for item in self.items]

    def shown(self) -> list[InboxItem]:
        """Return the items the person could see."""
        return [i for i in self.items if i.outcome.visible]

    def __len__(self) -> int:
        return len(self.items)
