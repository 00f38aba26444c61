"""The one clock every part of the harness reads, and the timers that hang off it.

Campaign delays, token invalidation lag, SDK flush intervals and metric timestamps
all read :class:`Clock`. Tests freeze it and move it forward with :meth:`advance`;
timers that fall due on the way run in time order, each with the clock set to its
own due time, so a 30-minute wait behaves as it would in real life without sleeping.

A served emulator uses a live clock instead (:meth:`Clock.live`): it follows the
wall clock plus an offset that :meth:`advance` grows, and the server calls
:meth:`run_due` a few times a second. The clock itself never sleeps.
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
LAST_YEAR = 9000
DEFAULT_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

Wall = Callable[[], datetime]


def system_wall() -> datetime:
    """Return the process's wall clock, in UTC."""
    return datetime.now(UTC)


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
        self._wall: Wall | None = None
        self._offset = timedelta(0)
        self._running = 0

    @classmethod
    def live(cls, wall: Wall = system_wall) -> Clock:
        """Return a clock that follows ``wall`` plus what :meth:`advance` adds.

        Time never goes back: if ``wall`` does, the clock waits for it. While a
        timer runs, the clock reads that timer's due time, as a frozen one does.
        """
        clock = cls(wall())
        clock._wall = wall
        return clock

    @property
    def is_live(self) -> bool:
        """Tell whether the clock follows the wall clock (a served emulator's)."""
        return self._wall is not None

    @property
    def offset(self) -> timedelta:
        """Return how far :meth:`advance` has moved a live clock past the wall."""
        return self._offset

    def now(self) -> datetime:
        """Return the current instant, in UTC."""
        if self._wall is not None and not self._running:
            self._now = self._walled()
        return self._now

    def _walled(self) -> datetime:
        """Return where a live clock's wall and offset say it is, never earlier."""
        assert self._wall is not None
        return max(self._now, self._wall() + self._offset)

    def timestamp(self) -> int:
        """Return the current instant as Unix seconds."""
        return int(self.now().timestamp())

    def call_at(
        self, when: datetime, callback: Callable[[], None], label: str
    ) -> Timer:
        """Run ``callback`` once the clock reaches ``when``."""
        timer = Timer(max(when, self.now()), next(self._seq), label, callback)
        heapq.heappush(self._timers, timer)
        return timer

    def call_later(
        self, delay: timedelta, callback: Callable[[], None], label: str
    ) -> Timer:
        """Run ``callback`` after ``delay`` of clock time."""
        return self.call_at(self.now() + delay, callback, label)

    def advance(self, delta: timedelta | None = None, /, **units: float) -> None:
        """Move the clock forward, running every timer that falls due on the way.

        Accepts a timedelta or the keywords of one: ``advance(minutes=30)``. A live
        clock keeps the step as an offset, so it stays ahead of the wall clock.
        """
        try:
            step = delta if delta is not None else timedelta(**units)
        except OverflowError:
            raise ValueError(
                f"Clock.advance({units}) is longer than the clock can count; advance "
                "by less than a thousand years"
            ) from None
        if step < timedelta(0):
            raise ValueError(
                f"Clock.advance({step}) would move time backwards; the clock only "
                "moves forward. Start a new clock for an earlier moment."
            )
        self.check_advance(step)
        if self._wall is not None:
            self._offset += step
            self.run_due()
            return
        self.run_until(self._now + step)

    def check_advance(self, step: timedelta) -> None:
        """Raise ValueError if advancing by ``step`` would pass the year 9000."""
        try:
            self._check_target(self.now() + step)
        except OverflowError:
            self._check_target(datetime.max.replace(tzinfo=UTC))

    def _check_target(self, target: datetime) -> None:
        if target.year > LAST_YEAR:
            raise ValueError(
                f"the clock would reach {target:%Y-%m-%d}, past {LAST_YEAR}; "
                "datetimes end at 9999. Advance by less, or start a new clock."
            )

    def run_until(self, target: datetime) -> None:
        """Run due timers in order up to ``target``, then stop the clock there.

        A timer that keeps scheduling itself for the same instant would never let
        time move; after ``RUNAWAY`` timers at one instant the clock raises.
        """
        self._running += 1
        try:
            self._run_until(target)
        finally:
            self._running -= 1

    def _run_until(self, target: datetime) -> None:
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
        """Run the timers already due at the current instant.

        A live clock runs them at their own due times, up to where the wall is.
        """
        self.run_until(self._now if self._wall is None else self._walled())

    def pending(self) -> list[Timer]:
        """Return the timers not yet run, earliest first."""
        return sorted(t for t in self._timers if not t.cancelled)

    def clear(self) -> None:
        """Cancel every pending timer (an emulator reset starts with none)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def _set(self, when: datetime) -> None:
        self._now = when
        if self._factory is not None:
            self._factory.move_to(when)

    def __enter__(self) -> Clock:
        if self._wall is not None:
            raise RuntimeError(
                "a live Clock follows the wall clock, so it cannot freeze the "
                "process's clock; use a frozen Clock() where time must stand still."
            )
        from freezegun import freeze_time

        self._freezer = freeze_time(self._now)
        self._factory = self._freezer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._freezer is not None:
            self._freezer.stop()
        self._freezer = self._factory = None
