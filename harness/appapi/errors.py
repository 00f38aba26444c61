"""Errors of the App API's wire layer, each carrying the status it answers with.

Exception tree::

    AppApiError          a request the App API refuses (status, message)
    ├── Unauthorized     401: no bearer key, or one no workspace holds
    ├── BadRequest       400: a body, field or query parameter is wrong
    ├── NotFound         404: the person, message or delivery does not exist
    ├── TooLarge         413: the body is over the documented size
    └── Unprocessable    422: a broadcast trigger's keys or values are wrong

Domain errors from the workspace, the transactional model and the broadcaster
are mapped onto statuses by :mod:`harness.appapi.routes`, and nowhere else.
"""

from __future__ import annotations

from ..errors import HarnessError


class AppApiError(HarnessError):
    """Raised when the App API refuses a request; ``status`` is the HTTP answer."""

    status = 400


class Unauthorized(AppApiError):
    """Raised when the bearer key is missing or names no workspace."""

    status = 401


class BadRequest(AppApiError):
    """Raised when a body, field or query parameter breaks the API's rules."""

    status = 400


class NotFound(AppApiError):
    """Raised when a lookup names a person or delivery the workspace lacks."""

    status = 404


class TooLarge(AppApiError):
    """Raised when a request body is over the App API's 1 MB limit."""

    status = 413


class Unprocessable(AppApiError):
    """Raised when a broadcast trigger mistypes a key or value, or mixes audiences."""

    status = 422
