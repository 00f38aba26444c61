"""The emulated Customer.io workspace model."""

from .calls import Alias, Call, Caller, Group, Identify, Track
from .errors import InvalidCall, UnknownPerson, WorkspaceError
from .model import Listener, Workspace
from .records import Delivery, Device, Event, Person

__all__ = [
    "Alias",
    "Call",
    "Caller",
    "Delivery",
    "Device",
    "Event",
    "Group",
    "Identify",
    "InvalidCall",
    "Listener",
    "Person",
    "Track",
    "UnknownPerson",
    "Workspace",
    "WorkspaceError",
]
