"""The emulated Firebase Cloud Messaging HTTP v1 API."""

from harness.push.fcm.errors import (
    BadCondition,
    BadJson,
    BadSetup,
    FcmError,
    Rejected,
    UnknownToken,
)
from harness.push.fcm.model import FAULTS, FcmService
from harness.push.fcm.quota import DeviceQuota
from harness.push.fcm.routes import HOST, app, routes
from harness.push.fcm.targets import FcmRequest

__all__ = [
    "BadCondition",
    "BadJson",
    "BadSetup",
    "DeviceQuota",
    "FAULTS",
    "FcmError",
    "FcmRequest",
    "FcmService",
    "HOST",
    "Rejected",
    "UnknownToken",
    "app",
    "routes",
]
