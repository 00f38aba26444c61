"""The clock tells the harness's time, runs timers in order and freezes the process."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from harness.clock import DEFAULT_START, Clock


def test_advance_runs_due_timers_in_due_order_at_their_own_time(clock: Clock) -> None:
    seen: list[tuple[str, datetime]] = []
    for label, minutes in [("third", 30), ("first", 5), ("second", 10)]:
        clock.call_later(
            timedelta(minutes=minutes),
            lambda label=label: seen.append((label, clock.now())),
            label,
        )

    clock.advance(hours=1)

    assert seen == [
        ("first", DEFAULT_START + timedelta(minutes=5)),
        ("second", DEFAULT_START + timedelta(minutes=10)),
        ("third", DEFAULT_START + timedelta(minutes=30)),
    ]
    assert clock.now() == DEFAULT_START + timedelta(hours=1)


def test_timers_due_at_one_moment_run_in_scheduling_order(clock: Clock) -> None:
    seen: list[str] = []
    for label in ["a", "b", "c"]:
        clock.call_later(timedelta(minutes=1), lambda x=label: seen.append(x), label)

    clock.advance(minutes=1)

    assert seen == ["a", "b", "c"]


def test_timers_beyond_the_advance_stay_pending(clock: Clock) -> None:
    seen: list[str] = []
    clock.call_later(timedelta(minutes=20), lambda: seen.append("late"), "late")

    clock.advance(minutes=19)

    assert seen == []
    assert [t.label for t in clock.pending()] == ["late"]


def test_timer_scheduled_by_a_timer_runs_if_due_within_the_same_advance(
    clock: Clock,
) -> None:
    seen: list[tuple[str, datetime]] = []

    def outer() -> None:
        seen.append(("outer", clock.now()))
        clock.call_later(
            timedelta(minutes=10), lambda: seen.append(("inner", clock.now())), "inner"
        )

    clock.call_later(timedelta(minutes=5), outer, "outer")

    clock.advance(minutes=30)

    assert seen == [
        ("outer", DEFAULT_START + timedelta(minutes=5)),
        ("inner", DEFAULT_START + timedelta(minutes=15)),
    ]


def test_timer_scheduled_by_a_timer_past_the_advance_waits(clock: Clock) -> None:
    seen: list[str] = []
    clock.call_later(
        timedelta(minutes=5),
        lambda: clock.call_later(
            timedelta(hours=1), lambda: seen.append("inner"), "inner"
        ),
        "outer",
    )

    clock.advance(minutes=30)

    assert seen == []
    assert [t.label for t in clock.pending()] == ["inner"]


def test_cancelled_timer_is_skipped(clock: Clock) -> None:
    seen: list[str] = []
    timer = clock.call_later(timedelta(minutes=1), lambda: seen.append("x"), "x")
    timer.cancel()

    clock.advance(minutes=5)

    assert seen == []
    assert clock.pending() == []


def test_advancing_backwards_raises_value_error_naming_the_fix(clock: Clock) -> None:
    with pytest.raises(ValueError, match="backwards") as caught:
        clock.advance(minutes=-1)

    assert "Start a new clock" in str(caught.value)
    assert clock.now() == DEFAULT_START


def test_naive_start_raises_value_error_naming_the_fix() -> None:
    with pytest.raises(ValueError, match="no time zone") as caught:
        Clock(datetime(2026, 3, 2, 9, 0))

    assert "tzinfo=UTC" in str(caught.value)


def test_advance_accepts_a_timedelta_or_its_keywords(clock: Clock) -> None:
    clock.advance(timedelta(minutes=2))
    clock.advance(seconds=30)

    assert clock.now() == DEFAULT_START + timedelta(minutes=2, seconds=30)


def test_entered_clock_freezes_time_and_datetime_now(clock: Clock) -> None:
    with clock:
        assert time.time() == clock.now().timestamp()
        assert datetime.now(UTC) == clock.now()


def test_entered_clock_moves_the_wall_clock_with_advance(clock: Clock) -> None:
    with clock:
        clock.advance(hours=2)

        assert time.time() == clock.now().timestamp()
        assert datetime.now(UTC) == DEFAULT_START + timedelta(hours=2)


def test_wall_clock_inside_a_timer_reads_the_timer_time(clock: Clock) -> None:
    seen: list[float] = []
    clock.call_later(timedelta(minutes=5), lambda: seen.append(time.time()), "t")

    with clock:
        clock.advance(hours=1)

    assert seen == [(DEFAULT_START + timedelta(minutes=5)).timestamp()]


def test_leaving_the_clock_unfreezes_the_wall_clock(clock: Clock) -> None:
    with clock:
        pass

    assert datetime.now(UTC) != clock.now()
    assert time.time() != clock.now().timestamp()


def test_timer_rescheduling_itself_with_no_delay_raises_naming_it(
    clock: Clock,
) -> None:
    runs = 0

    def spin() -> None:
        nonlocal runs
        runs += 1
        if runs > 100_000:  # the guard did not trip: stop rather than hang
            raise AssertionError("the clock ran a zero-delay timer 100000 times")
        clock.call_later(timedelta(0), spin, "spinner")

    clock.call_later(timedelta(0), spin, "spinner")

    with pytest.raises(RuntimeError, match="'spinner'"):
        clock.advance(minutes=1)


def test_advance_past_the_year_9000_is_refused_and_time_stays() -> None:
    clock = Clock()
    before = clock.now()

    with pytest.raises(ValueError, match="past 9000"):
        clock.advance(days=365 * 8000)
    with pytest.raises(ValueError):
        clock.advance(days=10**12)

    assert clock.now() == before
