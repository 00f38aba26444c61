"""Errors of the served emulator.

Exception tree::

    HarnessError
    └── ServeError          harness serve cannot do what was asked
        ├── TlsError        the state folder's CA cannot be read or made
        ├── BindError       a port or address cannot be listened on
        ├── StateError      a state folder's recorded run cannot go on or be read
        ├── ControlError    the control API answered a client with an error
        └── PhoneRefused    a phone on the rack cannot do what a command asks
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import HarnessError


class ServeError(HarnessError):
    """Raised when the served emulator cannot start, run or answer as asked."""


class TlsError(ServeError):
    """Raised when the local CA in the state folder is incomplete or unreadable."""


class BindError(ServeError):
    """Raised when a port is taken or a listen address is not one of this host's."""


class StateError(ServeError):
    """Raised when a state folder's recorded run cannot be continued or read.

    The options differ from those the run was recorded with, another server
    records into the folder, or the file is not a harness state file.
    """


class ControlError(ServeError):
    """Raised when the control API answers :class:`ControlClient` with an error.

    ``status`` is the HTTP status, ``code`` the stable error code of the body,
    ``problems`` each problem of a refused seed (empty for other errors).
    """

    def __init__(
        self, status: int, code: str, message: str, problems: Sequence[str] = ()
    ) -> None:
        self.status, self.code, self.problems = status, code, list(problems)
        super().__init__(f"{status} {code}: {message}")


class PhoneRefused(ServeError):
    """Raised when a phone on the rack cannot carry out a command as given.

    ``code`` is the stable reason (``unknown_phone``, ``not_installed``,
    ``not_running``, ``unsupported``, ``invalid_request``, ``conflict``,
    ``version_downgrade``, ``unknown_name``, ``no_fixtures``); the control API
    maps it to a status.
    """

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)
