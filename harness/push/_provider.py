"""What every emulated push provider keeps: its installs, their deaths, verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push._ledger import Ledger
from harness.push.notification import PushEndpoint, Verdict


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
    """Clock, ids and verdict ledger of one emulated provider.

    ``foreign_tokens`` is the served-mode policy: accept well-formed tokens the
    provider never issued (real devices'), recording that nothing is observable.
    """

    def __init__(self, label: str, clock: Clock, ids: Ids, journal: Journal) -> None:
        self._label = label
        self._clock = clock
        self._ids = ids
        self._ledger = Ledger(label, clock, journal)
        self.foreign_tokens = False

    @property
    def verdicts(self) -> list[Verdict]:
        """Return every verdict this provider gave, oldest first."""
        return self._ledger.verdicts

    def _gone(self, install: Install, lag: timedelta) -> None:
        """Mark ``install`` uninstalled now; the provider admits it after ``lag``."""
        install.gone_at = self._clock.now()
        install.lag = lag
