"""Errors the harness raises to its users.

Exception tree::

    HarnessError
    ├── ConfigError          a profile, app profile, campaign or scenario file is wrong
    ├── Unsupported          a step this device or driver cannot perform
    ├── UnknownName          a profile, app or scenario name that does not exist
    └── ScenarioError        a scenario used the harness wrongly

Assertion failures are :class:`ExpectationFailed`, a subclass of AssertionError so
pytest reports them as failures, not errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class HarnessError(Exception):
    """Raised for every harness problem that is not a failed expectation."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file, located by its key path."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class ConfigError(HarnessError):
    """Raised when a file fails validation; lists every problem at once."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownName(HarnessError):
    """Raised when a profile, app profile or scenario name is not known."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind, self.name = kind, name
        choices = ", ".join(sorted(known)) or "none"
        super().__init__(f"unknown {kind} {name!r}; known {kind}s: {choices}.")


class NotApplicable(UnknownName):
    """Raised when a known name does not apply here (a fault the app's SDK lacks)."""

    def __init__(self, kind: str, name: str, reason: str) -> None:
        self.kind, self.name = kind, name
        HarnessError.__init__(self, f"{kind} {name!r} does not apply: {reason}")


class Unsupported(HarnessError):
    """Raised when a device or driver cannot perform a step; the cell is skipped."""


class ScenarioError(HarnessError):
    """Raised when a scenario calls the harness in a way it cannot honour."""


class ExpectationFailed(AssertionError):
    """Raised when an expectation on the workspace, a device or a delivery fails."""
