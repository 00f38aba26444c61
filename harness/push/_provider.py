"""What every emulated push provider keeps: its installs, their deaths, verdicts.

Besides the shared bookkeeping, the base holds two things a test switches on
purpose: the offline store (see :mod:`._store`) and injected faults, the
answers a real service gives when it is overloaded or broken (``UNAVAILABLE``,
``503 ServiceUnavailable``), queued with :meth:`Provider.fail_next`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push._ledger import Ledger
from harness.push._store import Policy, Store
from harness.push.notification import Notification, PushEndpoint, Verdict


@dataclass
class Install:
    """A token a provider issued to an app install, and when the install went."""

    token: str
    endpoint: PushEndpoint
    gone_at: datetime | None = None
    lag: timedelta = timedelta(0)

    def dead_since(self, now: datetime) -> datetime | None:
        """Return when the install went, once the provider admits it (after lag)."""
        if self.gone_at is not None and now >= self.gone_at + self.lag:
            return self.gone_at
        return None


class Provider:
    """Clock, ids, verdict ledger, offline store and faults of one provider.

    ``foreign_tokens`` is the served-mode policy: accept well-formed tokens the
    provider never issued (real devices'), recording that nothing is observable.
    A subclass names the errors it can be told to give in ``known_faults`` and
    the error its set-up mistakes raise in ``setup_error``.
    """

    known_faults: tuple[str, ...] = ()
    setup_error: type[ValueError] = ValueError

    def __init__(
        self, label: str, clock: Clock, ids: Ids, journal: Journal, policy: Policy
    ) -> None:
        self._label = label
        self._clock = clock
        self._ids = ids
        self._ledger = Ledger(label, clock, journal)
        self._store = Store(policy)
        self._faults: deque[str] = deque()
        self.foreign_tokens = False

    @property
    def verdicts(self) -> list[Verdict]:
        """Return every verdict this provider gave, oldest first."""
        return self._ledger.verdicts

    def fail_next(self, reason: str, times: int = 1) -> None:
        """Answer the next ``times`` sends with ``reason`` instead of judging them.

        ``reason`` is the service's own error name, one of the provider's
        ``known_faults``; any other raises its ``setup_error`` naming them.
        """
        if reason not in self.known_faults:
            raise self.setup_error(
                f"{self._label} cannot be told to fail with {reason!r}; use one of "
                f"{', '.join(self.known_faults)}."
            )
        self._faults.extend([reason] * times)

    def reconnect(self, token: str) -> int:
        """Hand over what was stored for ``token`` while its device was offline."""
        return self._store.reconnect(token, self._clock.now())

    def waiting(self, token: str) -> list[Notification]:
        """Return the notifications stored for ``token``, oldest first."""
        return self._store.waiting(token)

    def _drop_stored(self, token: str, note: str) -> int:
        """Throw away what was stored for ``token``; the device hears of each."""
        return self._store.drop(token, note)

    def _next_fault(self) -> str | None:
        """Return the next injected fault, if one is queued."""
        return self._faults.popleft() if self._faults else None

    def _hand_over(self, notification: Notification, endpoint: PushEndpoint) -> None:
        """Deliver to ``endpoint`` now, or store while it is offline."""
        self._store.hand_over(notification, endpoint, self._clock.now())

    def _gone(self, install: Install, lag: timedelta) -> None:
        """Mark ``install`` uninstalled now; the provider admits it after ``lag``."""
        install.gone_at = self._clock.now()
        install.lag = lag
