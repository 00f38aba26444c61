"""Errors of the served emulator.

Exception tree::

    HarnessError
    └── ServeError          harness serve cannot do what was asked
        ├── TlsError        the state folder's CA cannot be read or made
        ├── BindError       a port or address cannot be listened on
        └── ControlError    the control API answered a client with an error
"""

from __future__ import annotations

from ..errors import HarnessError


class ServeError(HarnessError):
    """Raised when the served emulator cannot start, run or answer as asked."""


class TlsError(ServeError):
    """Raised when the local CA in the state folder is incomplete or unreadable."""


class BindError(ServeError):
    """Raised when a port is taken or a listen address is not one of this host's."""


class ControlError(ServeError):
    """Raised when the control API answers :class:`ControlClient` with an error.

    ``status`` is the HTTP status, ``code`` the stable error code of the body.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code = status, code
        super().__init__(f"{status} {code}: {message}")
