"""The emulated App API: transactional push and the lookups assertions use."""

from .errors import AppApiError, BadRequest, NotFound, TooLarge, Unauthorized
from .routes import AppContext, Directory, create_app

__all__ = [
    "AppApiError",
    "AppContext",
    "BadRequest",
    "Directory",
    "NotFound",
    "TooLarge",
    "Unauthorized",
    "create_app",
]
