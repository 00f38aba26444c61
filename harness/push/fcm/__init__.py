"""The emulated Firebase Cloud Messaging HTTP v1 API."""

from harness.push.fcm.errors import BadSetup, FcmError, Rejected, UnknownToken
from harness.push.fcm.model import FcmRequest, FcmService
from harness.push.fcm.routes import HOST, app, routes

__all__ = [
    "BadSetup",
    "FcmError",
    "FcmRequest",
    "FcmService",
    "HOST",
    "Rejected",
    "UnknownToken",
    "app",
    "routes",
]
