"""The emulated App API: transactional push, broadcast triggers and lookups."""

from .errors import (
    AppApiError,
    BadRequest,
    NotFound,
    TooLarge,
    Unauthorized,
    Unprocessable,
)
from .routes import AppContext, Directory, create_app

__all__ = [
    "AppApiError",
    "AppContext",
    "BadRequest",
    "Directory",
    "NotFound",
    "TooLarge",
    "Unauthorized",
    "Unprocessable",
    "create_app",
]
