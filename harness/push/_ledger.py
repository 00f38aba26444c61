"""The verdicts a push service model gives, and the handoffs that fail, journaled."""

from __future__ import annotations

import logging

from harness.clock import Clock
from harness.journal import Entry, Journal, short_token
from harness.push.notification import Notification, Verdict

logger = logging.getLogger(__name__)


class Ledger:
    """Keep every verdict one push service gave, and journal each one."""

    def __init__(self, label: str, clock: Clock, journal: Journal) -> None:
        self.label = label
        self.verdicts: list[Verdict] = []
        self.handoff_errors: list[Exception] = []
        self._clock = clock
        self._journal = journal

    def record(
        self,
        verdict: Verdict,
        *,
        delivery_id: str | None,
        detail: str | None = None,
        note: str | None = None,
    ) -> None:
        """Append ``verdict`` and journal it under the provider layer.

        ``detail`` explains a rejection; ``note`` qualifies an acceptance, such
        as a notification that will never reach the device.
        """
        self.verdicts.append(verdict)
        outcome = "accepted" if verdict.accepted else verdict.reason
        text = f"{self.label} {verdict.status} {outcome} for token "
        text += short_token(verdict.token)
        if note:
            text += f" ({note})"
        self._journal.record(
            Entry(
                at=self._clock.now(),
                layer="provider",
                kind="verdict",
                text=text,
                token=verdict.token,
                delivery_id=delivery_id,
                data={
                    "status": verdict.status,
                    "reason": verdict.reason,
                    "detail": detail,
                    "message_id": verdict.message_id,
                },
            )
        )
        logger.debug("%s: %s", text, detail or "")

    def record_handoff_error(
        self, notification: Notification, error: Exception
    ) -> None:
        """Keep, journal and log what a device raised while taking an accepted push.

        The provider's answer to the sender stands; this entry makes the device's
        failure visible in the timeline instead.
        """
        self.handoff_errors.append(error)
        text = f"{self.label} handed the push for {short_token(notification.token)} "
        text += f"to the device, which raised {type(error).__name__}: {error}"
        self._journal.record(
            Entry(
                at=self._clock.now(),
                layer="provider",
                kind="handoff-error",
                text=text,
                token=notification.token,
                delivery_id=notification.delivery_id,
                data={"error": type(error).__name__, "message": str(error)},
            )
        )
        logger.warning("%s; the acceptance stands", text)
        logger.debug("%s handoff traceback", self.label, exc_info=error)
