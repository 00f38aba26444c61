"""All emulated push services of one run, and the hosts they answer on.

fcm.googleapis.com serves both the FCM v1 API and Chrome's web push
endpoints (``/wp/<id>``), so it gets one app that routes both.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import _b64, apns, fcm, webpush
from harness.push.apns import ApnsService
from harness.push.fcm import FcmService
from harness.push.webpush import WebPushService
from harness.transport import ASGIApp

_KEY_ID_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Credentials:
    """The push credentials of one workspace: an APNs key, an FCM project, VAPID.

    Build them with :meth:`generate`. The ids come from the seeded stream, but
    the key pairs do not: ``cryptography`` cannot generate keys from a seed, so
    two runs with one seed share every id and differ in their keys.
    """

    apns_key_id: str
    apns_team_id: str
    apns_private_key_pem: str
    apns_public_key_pem: str
    fcm_project_id: str
    fcm_sender_id: str
    fcm_access_token: str
    vapid_private_key_pem: str
    vapid_public_key: str

    @classmethod
    def generate(cls, ids: Ids, workspace: str = "workspace") -> Credentials:
        """Make fresh credentials for ``workspace``, with ids drawn from ``ids``."""
        stream = ids.child(f"credentials/{workspace}")
        apns_key = ec.generate_private_key(ec.SECP256R1())
        vapid_key = ec.generate_private_key(ec.SECP256R1())
        return cls(
            apns_key_id=stream.choice(_KEY_ID_ALPHABET, 10),
            apns_team_id=stream.choice(_KEY_ID_ALPHABET, 10),
            apns_private_key_pem=_private_pem(apns_key),
            apns_public_key_pem=_public_pem(apns_key),
            fcm_project_id=f"{workspace}-{stream.hex(3)}",
            fcm_sender_id=stream.choice(string.digits[1:], 1)
            + stream.choice(string.digits, 11),
            fcm_access_token=f"ya29.{stream.b64url(96)}",
            vapid_private_key_pem=_private_pem(vapid_key),
            vapid_public_key=_b64.public_point(vapid_key.public_key()),
        )


class PushServices:
    """Build APNs, FCM and web push on one clock, one id stream and one journal."""

    def __init__(
        self, clock: Clock, ids: Ids, journal: Journal, *, foreign_tokens: bool = False
    ) -> None:
        self.apns = ApnsService(clock, ids.child("apns"), journal)
        self.fcm = FcmService(clock, ids.child("fcm"), journal)
        self.apns.foreign_tokens = self.fcm.foreign_tokens = foreign_tokens
        self.webpush = WebPushService(clock, ids.child("webpush"), journal)

    def provision(self, credentials: Credentials) -> None:
        """Trust a workspace's APNs key (both environments) and create its project.

        The VAPID key needs no registration: each browser names it when it
        subscribes.
        """
        self.apns.register_key(
            credentials.apns_key_id,
            credentials.apns_team_id,
            credentials.apns_public_key_pem,
            "both",
        )
        self.fcm.register_project(
            credentials.fcm_project_id,
            credentials.fcm_sender_id,
            credentials.fcm_access_token,
        )

    def hosts(self) -> dict[str, ASGIApp]:
        """Return an ASGI app for every push host, for the in-process transport."""
        chrome = webpush.routes(self.webpush, "https://fcm.googleapis.com")
        served: dict[str, ASGIApp] = {
            host: apns.app(self.apns, environment)
            for host, environment in apns.HOSTS.items()
        }
        served[fcm.HOST] = fcm.app(self.fcm, chrome)
        for host, origin in webpush.HOSTS.items():
            if host != fcm.HOST:
                served[host] = webpush.app(self.webpush, origin)
        return served


def _private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
