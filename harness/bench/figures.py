"""Figures, their targets and the medians of repeated runs.

A :class:`Figure` holds every run of one measurement and reports the median;
its :class:`Target` says what the issue asks of it and, when missed, by how
much. Families of benchmarks return :class:`Section` objects, which
:mod:`.table` prints.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Figure", "Section", "Target", "median", "timed_rate"]


@dataclass(frozen=True)
class Target:
    """A bound a figure must reach: at least ``least`` or at most ``most``.

    ``text`` is how the table shows it, such as ``>= 100,000/s``.
    """

    text: str
    least: float | None = None
    most: float | None = None

    def met(self, value: float) -> bool:
        """Tell whether ``value`` is within the bound."""
        if self.least is not None and value < self.least:
            return False
        return self.most is None or value <= self.most

    def verdict(self, value: float) -> str:
        """Say ``met``, or how far ``value`` is from the bound."""
        if self.met(value):
            return "met"
        if self.least is not None:
            short = 1 - value / self.least
            return f"missed by {short:.0%} ({self.least / max(value, 1e-9):.1f}x short)"
        assert self.most is not None
        return f"missed by {value / self.most - 1:.0%} over"


@dataclass
class Figure:
    """One measured quantity: every run's value, shown as their median.

    ``unit`` follows the number (``/s``, ``ms``, ``x``, ``MB``); ``note`` says
    what the figure measured when the label cannot. A figure with no runs
    failed to measure and says why in ``note``.
    """

    label: str
    unit: str
    runs: list[float] = field(default_factory=list)
    target: Target | None = None
    note: str = ""
    digits: int = 0

    @property
    def value(self) -> float | None:
        """Return the median of the runs, or None when nothing was measured."""
        return median(self.runs) if self.runs else None

    @property
    def verdict(self) -> str:
        """Say whether the target is met, or by how much it is missed."""
        value = self.value
        if value is None:
            return "not measured"
        return self.target.verdict(value) if self.target else ""


@dataclass
class Section:
    """A numbered group of figures, as the issue lists them."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    failure: str | None = None

    def add(self, figure: Figure) -> Figure:
        """Append ``figure`` and return it, so runs can be added as they come."""
        self.figures.append(figure)
        return figure


def median(values: Sequence[float]) -> float:
    """Return the median of ``values``; the mean of the middle two if even."""
    return float(statistics.median(values))


def timed_rate(count: int, work: Callable[[], object]) -> float:
    """Run ``work`` once and return ``count`` divided by the seconds it took."""
    started = time.perf_counter()
    work()
    return count / max(time.perf_counter() - started, 1e-9)
