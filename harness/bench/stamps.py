"""A pytest plugin that notes when the matrix's cells ran, for the scaling figure.

``harness run -p harness.bench.stamps`` with ``HARNESS_BENCH_STAMPS=PATH``
writes, at the end of the session, the cells played (passed or failed), the
cells skipped, and the first start and last end of any cell phase, in epoch
seconds. Under xdist the controller sees every worker's reports, so the span
covers all workers from the first cell to the last, leaving out the start of
the interpreters and the collection.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

__all__ = ["ENV", "Stamps"]

ENV = "HARNESS_BENCH_STAMPS"


def pytest_configure(config: pytest.Config) -> None:
    """Note the cells on the controller (or a run without workers) only."""
    path = os.environ.get(ENV)
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(Stamps(Path(path)), "harness-bench-stamps")


class Stamps:
    """Count the cells and the span they ran in; write both at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.played = self.skipped = 0
        self.start: float | None = None
        self.stop: float | None = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Count the cell once it is reported, and widen the span to its phase."""
        if report.when == "call":
            self.played += 1
        elif report.when == "setup" and report.skipped:
            self.skipped += 1
        start: float | None = getattr(report, "start", None)
        stop: float | None = getattr(report, "stop", None)
        if start is not None and (self.start is None or start < self.start):
            self.start = start
        if stop is not None and (self.stop is None or stop > self.stop):
            self.stop = stop

    def pytest_sessionfinish(self) -> None:
        """Write what was seen as JSON."""
        seen = {
            "played": self.played,
            "skipped": self.skipped,
            "start": self.start,
            "stop": self.stop,
        }
        self.path.write_text(json.dumps(seen), encoding="utf-8")
