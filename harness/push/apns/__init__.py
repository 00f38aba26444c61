"""The emulated Apple Push Notification service (token-based provider API)."""

from harness.push.apns.errors import ApnsError, BadSetup, Rejected, UnknownToken
from harness.push.apns.model import ApnsRequest, ApnsService
from harness.push.apns.routes import HOSTS, app

__all__ = [
    "ApnsError",
    "ApnsRequest",
    "ApnsService",
    "BadSetup",
    "HOSTS",
    "Rejected",
    "UnknownToken",
    "app",
]
