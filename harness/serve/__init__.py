"""The served emulator: every API over HTTPS and HTTP on loopback, and its control.

``harness serve`` runs :class:`Server`; tests and users' own suites start one in a
background thread and drive it through :class:`ControlClient`.
"""

from .client import ControlClient
from .errors import BindError, ControlError, ServeError, TlsError
from .server import ServeOptions, Server, project_options

__all__ = [
    "BindError",
    "ControlClient",
    "ControlError",
    "ServeError",
    "ServeOptions",
    "Server",
    "TlsError",
    "project_options",
]
