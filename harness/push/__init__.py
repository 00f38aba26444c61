"""Emulated push providers (APNs, FCM, web push) and the clients that send to them.

The providers answer on their real host names through the in-process transport;
each keeps its verdicts apart from what the device does with a notification.
"""

from harness.push.clients import ApnsClient, FcmClient, OutboundPush, WebPushClient
from harness.push.notification import Notification, PushEndpoint, Verdict
from harness.push.services import Credentials, PushServices

__all__ = [
    "ApnsClient",
    "Credentials",
    "FcmClient",
    "Notification",
    "OutboundPush",
    "PushEndpoint",
    "PushServices",
    "Verdict",
    "WebPushClient",
]
