"""Errors of the drivers that reach real clients through Appium.

Exception tree (beside the harness's own, see :mod:`harness.errors`)::

    HarnessError
    ├── AppiumError          Appium refused or failed a command
    └── AppiumUnreachable    no Appium server answers at the configured URL

A command the platform cannot do at all raises :class:`harness.errors.Unsupported`
instead, so the matrix shows the cell as skipped with the reason.
"""

from __future__ import annotations

from ..errors import HarnessError

__all__ = ["AppiumError", "AppiumUnreachable"]


class AppiumError(HarnessError):
    """Raised when Appium answers a command with an error.

    The message names the device, the command, what Appium said and what to
    check; ``command`` and ``answer`` hold the first two for callers.
    """

    def __init__(self, device: str, command: str, answer: str, fix: str) -> None:
        self.device, self.command, self.answer = device, command, answer
        super().__init__(f"{device}: Appium refused {command}: {answer}; {fix}")


class AppiumUnreachable(HarnessError):
    """Raised when no Appium server answers at the URL a run was given."""
