"""The served emulator: every API over HTTPS and HTTP on loopback, and its control.

``harness serve`` runs :class:`Server`; tests and users' own suites start one in a
background thread and drive it through :class:`ControlClient`. With
``--state DIR`` the run is kept in SQLite and replayed on the next start
(:mod:`.state`, :mod:`.replay`); ``harness inspect`` reads it back
(:mod:`.readback`). Emulated phones live on its :class:`PhoneRack`
(:mod:`.phones`), driven through ``/_harness/phones``; a World serves its own
emulator with :meth:`Server.hosting`.
"""

from .client import ControlClient
from .errors import (
    BindError,
    ControlError,
    PhoneRefused,
    ServeError,
    StateError,
    TlsError,
)
from .phones import PhoneRack
from .server import ServeOptions, Server, project_options

__all__ = [
    "BindError",
    "ControlClient",
    "ControlError",
    "PhoneRack",
    "PhoneRefused",
    "ServeError",
    "ServeOptions",
    "Server",
    "StateError",
    "TlsError",
    "project_options",
]
