"""FCM's per-device message rate, counted in sliding windows.

FCM's "throttling and quotas" page says one Android device takes up to 240
messages a minute and 5,000 an hour; a send beyond that answers
``QUOTA_EXCEEDED``. Named policy: the windows slide (a message counts for the
minute and the hour after FCM accepted it), only accepted messages count, and
only Android tokens are counted (for iOS FCM defers to APNs' own limits, which
Apple does not publish).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class DeviceQuota:
    """How many messages FCM accepts for one Android device a minute and an hour."""

    per_minute: int = 240
    per_hour: int = 5000


class DeviceRate:
    """Keep when FCM accepted each device's messages, over the last hour."""

    def __init__(self) -> None:
        self._sent: dict[str, list[datetime]] = {}

    def exceeded(self, token: str, quota: DeviceQuota, now: datetime) -> str | None:
        """Return the limit one more message to ``token`` would break, or None."""
        sent = self._sent.get(token, [])
        del sent[: bisect.bisect_right(sent, now - HOUR)]
        if len(sent) - bisect.bisect_right(sent, now - MINUTE) >= quota.per_minute:
            return f"at most {quota.per_minute} messages a minute"
        if len(sent) >= quota.per_hour:
            return f"at most {quota.per_hour} messages an hour"
        return None

    def record(self, token: str, now: datetime) -> None:
        """Count a message FCM accepted for ``token`` at ``now``."""
        self._sent.setdefault(token, []).append(now)
