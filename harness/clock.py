"""The one clock every part of the harness reads, and the timers that hang off it.

Campaign delays, token invalidation lag, SDK flush intervals and metric timestamps
all read :class:`Clock`. Tests freeze it and move it forward with :meth:`advance`;
timers that fall due on the way run in time order, each with the clock set to its
own due time, so a 30-minute wait behaves as it would in real life without sleeping.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)

RUNAWAY = 10_000
DEFAULT_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(order=True)
class Timer:
    """A callback due at a moment of the clock; cancel it to skip it."""

    when: datetime
    seq: int
    label: str = field(compare=False)
    callback: Callable[[], None] = field(compare=False, repr=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Skip this timer when it falls due."""
        self.cancelled = True


class Clock:
    """Tell the time and run timers as the time is advanced.

    While the clock is entered as a context manager it also freezes the process's
    wall clock with freezegun, so third-party code that calls ``time.time()`` (JWT
    signing, say) sees the same instant as the harness.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError(
                f"Clock start {start!r} has no time zone; pass an aware datetime "
                "such as datetime(2026, 3, 2, tzinfo=UTC)."
            )
        self._now = start.astimezone(UTC)
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._freezer: Any = None
        self._factory: Any = None

    def now(self) -> datetime:
        """Return the current instant, in UTC."""
        return self._now

    def timestamp(self) -> int:
        """Return the current instant as Unix seconds."""
        return int(self._now.timestamp())

    def call_at(
        self, when: datetime, callback: Callable[[], None], label: str
    ) -> Timer:
        """Run ``callback`` once the clock reaches ``when``."""
        timer = Timer(max(when, self._now), next(self._seq), label, callback)
        heapq.heappush(self._timers, timer)
        return timer

    def call_later(
        self, delay: timedelta, callback: Callable[[], None], label: str
    ) -> Timer:
        """Run ``callback`` after ``delay`` of clock time."""
        return self.call_at(self._now + delay, callback, label)

    def advance(self, delta: timedelta | None = None, /, **units: float) -> None:
        """Move the clock forward, running every timer that falls due on the way.

        Accepts a timedelta or the keywords of one: ``advance(minutes=30)``.
        """
        step = delta if delta is not None else timedelta(**units)
        if step < timedelta(0):
            raise ValueError(
                f"Clock.advance({step}) would move time backwards; the clock only "
                "moves forward. Start a new clock for an earlier moment."
            )
        self.run_until(self._now + step)

    def run_until(self, target: datetime) -> None:
        """Run due timers in order up to ``target``, then stop the clock there.

        A timer that keeps scheduling itself for the same instant would never let
        time move; after ``RUNAWAY`` timers at one instant the clock raises.
        """
        same_instant = 0
        while self._timers and self._timers[0].when <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            same_instant = same_instant + 1 if timer.when <= self._now else 0
            if same_instant > RUNAWAY:
                raise RuntimeError(
                    f"timer {timer.label!r} keeps falling due at {self._now}; "
                    "something reschedules itself with no delay. Give it a delay "
                    "longer than zero."
                )
            self._set(max(timer.when, self._now))
            logger.debug("timer %s due at %s", timer.label, timer.when)
            timer.callback()
        self._set(max(target, self._now))

    def run_due(self) -> None:
        """Run the timers already due at the current instant."""
        self.run_until(self._now)

    def pending(self) -> list[Timer]:
        """Return the timers not yet run, earliest first."""
        return sorted(t for t in self._timers if not t.cancelled)

    def _set(self, when: datetime) -> None:
        self._now = when
        if self._factory is not None:
            self._factory.move_to(when)

    def __enter__(self) -> Clock:
        from freezegun import freeze_time

        self._freezer = freeze_time(self._now)
        self._factory = self._freezer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._freezer is not None:
            self._freezer.stop()
        self._freezer = self._factory = None
