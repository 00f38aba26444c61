"""The served emulator: every API over HTTPS and HTTP on loopback, and its control.

``harness serve`` runs :class:`Server`; tests and users' own suites start one in a
background thread and drive it through :class:`ControlClient`. With
``--state DIR`` the run is kept in SQLite and replayed on the next start
(:mod:`.state`, :mod:`.replay`); ``harness inspect`` reads it back
(:mod:`.readback`).
"""

from .client import ControlClient
from .errors import BindError, ControlError, ServeError, StateError, TlsError
from .server import ServeOptions, Server, project_options

__all__ = [
    "BindError",
    "ControlClient",
    "ControlError",
    "ServeError",
    "ServeOptions",
    "Server",
    "StateError",
    "TlsError",
    "project_options",
]
