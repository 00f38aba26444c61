"""The emulated web push services of Chrome, Safari and Firefox."""

from harness.push.webpush.errors import (
    BadSetup,
    Rejected,
    UnknownSubscription,
    WebPushError,
)
from harness.push.webpush.model import (
    FAULTS,
    ORIGINS,
    SERVED_PREFIX,
    Receipt,
    WebPushRequest,
    WebPushService,
)
from harness.push.webpush.routes import HOSTS, app, routes, served
from harness.push.webpush.wire import decrypt

__all__ = [
    "BadSetup",
    "FAULTS",
    "HOSTS",
    "ORIGINS",
    "Receipt",
    "Rejected",
    "SERVED_PREFIX",
    "UnknownSubscription",
    "WebPushError",
    "WebPushRequest",
    "WebPushService",
    "app",
    "decrypt",
    "routes",
    "served",
]
