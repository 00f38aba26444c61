"""Errors shared by the emulated push services.

Exception tree::

    NotJson   a request body is not JSON a push service can read

Each service's wire layer catches it and answers in its own error format.
"""

from __future__ import annotations

from harness.errors import HarnessError


class NotJson(HarnessError, ValueError):
    """Raised when a request body is not UTF-8 JSON that a push service reads.

    The message says why: a syntax error, bytes that are not UTF-8, nesting
    deeper than the limit, or a string no UTF-8 text can carry.
    """
