"""Errors shared by the emulated push services.

Exception tree::

    NotJson   a request body is not JSON a push service can read

Each service's wire layer catches it and answers in its own error format.
"""

from __future__ import annotations

from harness.wire.body import NotJson

__all__ = ["NotJson"]
