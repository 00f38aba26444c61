"""Errors of ``harness bench``."""

from __future__ import annotations

from ..errors import HarnessError

__all__ = ["BenchError"]


class BenchError(HarnessError):
    """Raised when a benchmark cannot run: a server that never came up, a tool
    that is not installed, or an answer that shows the work was not done."""
