"""The sending side: what a workspace uses to hand pushes to APNs, FCM and web push.

Each client makes real HTTP requests, in each provider's wire format, through
the ``httpx.Client`` it is given, so the same code talks to the in-process
emulator, a served emulator or the real providers. Each maps the answer to a
:class:`Verdict`; a request that never got an answer becomes a verdict with
status 0 and the transport error as its reason. :func:`retryable` tells the
verdicts a sender should try again later (throttled, or the service failing)
from those it should not.

Randomness the seed does not cover: web push encryption draws a fresh salt and
an ephemeral key per message, as RFC 8291 requires.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import http_ece
import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.clock import Clock
from harness.push import _b64
from harness.push.notification import Verdict

logger = logging.getLogger(__name__)

APNS_HOSTS = {
    "production": "api.push.apple.com",
    "sandbox": "api.sandbox.push.apple.com",
}
FCM_URL = "https://fcm.googleapis.com/v1/projects/{project}/messages:send"
# Apple: refresh no more than once every 20 minutes, no less than once an hour.
PROVIDER_TOKEN_REFRESH = timedelta(minutes=50)
RETRYABLE_STATUSES = (429, 500, 503)
VAPID_LIFETIME = timedelta(hours=12)
DEFAULT_WEB_TTL = 2_419_200


@dataclass(frozen=True)
class OutboundPush:
    """One push a workspace sends to one device.

    ``platform`` is ``ios``, ``android`` or ``web``; for web, ``token`` is the
    subscription's endpoint URL and ``web_keys`` its ``p256dh`` and ``auth``.
    ``custom_payload`` is Customer.io's override for this platform: APNs JSON
    merged into the payload for iOS, an FCM ``message`` (or its fields)
    merged into the message for Android. The token and the delivery keys the
    SDKs look for always survive the merge.
    """

    delivery_id: str
    token: str
    platform: str
    title: str
    body: str
    link: str | None = None
    image_url: str | None = None
    custom_data: dict[str, str] = field(default_factory=dict)
    web_keys: dict[str, str] | None = None
    custom_payload: dict[str, Any] = field(default_factory=dict)

    def cio_data(self) -> dict[str, str]:
        """Return the delivery keys the Customer.io SDKs look for."""
        return {"CIO-Delivery-ID": self.delivery_id, "CIO-Delivery-Token": self.token}


class ApnsClient:
    """Send alert pushes to APNs with a token-based (JWT) connection.

    It behaves as Apple asks of a provider: it signs one provider token and
    reuses it for :data:`PROVIDER_TOKEN_REFRESH`, so it never updates the token
    more often than every 20 minutes, and signs afresh at once only when APNs
    calls the token expired.
    """

    def __init__(
        self,
        http: httpx.Client,
        key_id: str,
        team_id: str,
        private_key_pem: str,
        topic: str,
        environment: str,
        clock: Clock,
    ) -> None:
        self._http = http
        self._key_id = key_id
        self._team_id = team_id
        self._key = _ec_key(private_key_pem, "APNs")
        self._topic = topic
        self._host = APNS_HOSTS[environment]
        self._clock = clock
        self._jwt: tuple[datetime, str] | None = None

    def send(self, push: OutboundPush) -> Verdict:
        """Send ``push`` and return APNs's verdict."""
        url = f"https://{self._host}/3/device/{push.token}"
        headers = {
            "authorization": f"bearer {self._provider_token()}",
            "apns-topic": self._topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
        }
        response = _post(self._http, "apns", push.token, url, headers, _apns_body(push))
        if isinstance(response, Verdict):
            return response
        if response.status_code == 200:
            apns_id = response.headers.get("apns-id")
            return Verdict("apns", push.token, True, 200, None, False, None, apns_id)
        document = _json(response)
        reason = _str(document.get("reason"))
        if reason == "ExpiredProviderToken":
            self._jwt = None  # APNs's clock says it is over an hour old
        gone = _instant(document.get("timestamp"))
        dead = response.status_code == 410
        status = response.status_code
        return Verdict("apns", push.token, False, status, reason, dead, gone, None)

    def _provider_token(self) -> str:
        now = self._clock.now()
        if self._jwt is None or now - self._jwt[0] >= PROVIDER_TOKEN_REFRESH:
            claims = {"iss": self._team_id, "iat": self._clock.timestamp()}
            headers = {"kid": self._key_id}
            token = jwt.encode(claims, self._key, algorithm="ES256", headers=headers)
            self._jwt = (now, token)
        return self._jwt[1]


class FcmClient:
    """Send data messages to Android devices through the FCM HTTP v1 API."""

    def __init__(self, http: httpx.Client, project_id: str, access_token: str) -> None:
        self._http = http
        self._url = FCM_URL.format(project=project_id)
        self._access_token = access_token

    def send(self, push: OutboundPush) -> Verdict:
        """Send ``push`` as Customer.io does for Android and return FCM's verdict."""
        data = {"title": push.title, "body": push.body, **_links(push)}
        data.update({**push.cio_data(), **push.custom_data})
        message: dict[str, Any] = {
            "token": push.token,
            "data": data,
            "android": {"priority": "HIGH"},
        }
        override = push.custom_payload.get("message", push.custom_payload)
        if isinstance(override, dict):
            message = _merged(message, override)
        message["token"] = push.token
        message["data"] = {**message.get("data", {}), **push.cio_data()}
        body = json.dumps({"message": message}).encode()
        headers = {
            "authorization": f"Bearer {self._access_token}",
            "content-type": "application/json",
        }
        response = _post(self._http, "fcm", push.token, self._url, headers, body)
        if isinstance(response, Verdict):
            return response
        document = _json(response)
        if response.status_code == 200:
            name = _str(document.get("name"))
            return Verdict("fcm", push.token, True, 200, None, False, None, name)
        error = document.get("error")
        error = error if isinstance(error, dict) else {}
        codes = [
            d.get("errorCode") for d in error.get("details", []) if isinstance(d, dict)
        ]
        reason = next((c for c in codes if c), None) or _str(error.get("status"))
        # Google: delete the token on UNREGISTERED, and on INVALID_ARGUMENT
        # when the token itself is what is invalid.
        dead = reason == "UNREGISTERED" or _bad_token(error)
        status = response.status_code
        return Verdict("fcm", push.token, False, status, reason, dead, None, None)


class WebPushClient:
    """Send encrypted web push messages with VAPID (RFC 8291, RFC 8292)."""

    def __init__(
        self, http: httpx.Client, vapid_private_key_pem: str, subject: str, clock: Clock
    ) -> None:
        key = _ec_key(vapid_private_key_pem, "VAPID")
        self._http = http
        self._key = key
        self._public = _b64.public_point(key.public_key())
        self._subject = subject
        self._clock = clock

    def send(self, push: OutboundPush, ttl: int = DEFAULT_WEB_TTL) -> Verdict:
        """Encrypt ``push`` to the subscription's keys, send it, return the verdict."""
        if push.web_keys is None:
            raise ValueError(
                f"web push {push.delivery_id} has no web_keys; pass the "
                "subscription's keys {'p256dh': ..., 'auth': ...}."
            )
        data = {**_links(push), **push.cio_data(), **push.custom_data}
        payload = {"title": push.title, "body": push.body, "data": data}
        body = self._encrypt(json.dumps(payload).encode(), push.web_keys)
        headers = {
            "authorization": self._vapid(push.token),
            "ttl": str(ttl),
            "urgency": "normal",
            "content-encoding": "aes128gcm",
            "content-type": "application/octet-stream",
        }
        response = _post(self._http, "webpush", push.token, push.token, headers, body)
        if isinstance(response, Verdict):
            return response
        status = response.status_code
        if status == 201:
            location = response.headers.get("location")
            return Verdict(
                "webpush", push.token, True, 201, None, False, None, location
            )
        reason = _str(_json(response).get("reason")) or response.reason_phrase
        dead = status in (404, 410)
        return Verdict("webpush", push.token, False, status, reason, dead, None, None)

    def _vapid(self, endpoint: str) -> str:
        url = httpx.URL(endpoint)
        port = f":{url.port}" if url.port else ""
        claims = {
            "aud": f"{url.scheme}://{url.host}{port}",
            "exp": self._clock.timestamp() + int(VAPID_LIFETIME.total_seconds()),
            "sub": self._subject,
        }
        token = jwt.encode(claims, self._key, algorithm="ES256")
        return f"vapid t={token}, k={self._public}"

    def _encrypt(self, plaintext: bytes, keys: dict[str, str]) -> bytes:
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        encrypted: bytes = http_ece.encrypt(
            plaintext,
            private_key=ephemeral,
            dh=_b64.decode(keys["p256dh"]),
            auth_secret=_b64.decode(keys["auth"]),
            version="aes128gcm",
        )
        return encrypted


def retryable(verdict: Verdict) -> bool:
    """Tell whether ``verdict`` asks the sender to send the same push again later.

    That is a throttle (429) or a failing service (500, 503), such as APNs's
    ``TooManyRequests``, ``InternalServerError``, ``ServiceUnavailable`` and
    ``Shutdown``. APNs's ``TooManyProviderTokenUpdates`` is a 429 too, but
    sending again fails the same way until the sender stops re-signing its
    token, so it is not retryable; nor is a request that got no answer
    (status 0), which may have been applied.
    """
    if verdict.accepted or verdict.status not in RETRYABLE_STATUSES:
        return False
    return verdict.reason != "TooManyProviderTokenUpdates"


def _ec_key(pem: str, purpose: str) -> ec.EllipticCurvePrivateKey:
    key = load_pem_private_key(pem.encode(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"the {purpose} key is not a P-256 private key; sign ES256.")
    return key


def _apns_body(push: OutboundPush) -> bytes:
    alert = {"title": push.title, "body": push.body}
    aps = {"alert": alert, "sound": "default", "mutable-content": 1}
    payload: dict[str, Any] = {
        "aps": aps,
        "CIO": {"push": _links(push)},
        **push.cio_data(),
    }
    payload.update(push.custom_data)
    payload = _merged(payload, push.custom_payload)
    payload.update(push.cio_data())
    return json.dumps(payload).encode()


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` laid over it, objects merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _bad_token(error: dict[str, Any]) -> bool:
    """Tell whether an FCM error's BadRequest names ``message.token``."""
    fields = [
        violation.get("field")
        for detail in error.get("details", [])
        if isinstance(detail, dict)
        for violation in detail.get("fieldViolations", [])
        if isinstance(violation, dict)
    ]
    return "message.token" in fields


def _links(push: OutboundPush) -> dict[str, str]:
    links = {"link": push.link, "image": push.image_url}
    return {k: v for k, v in links.items() if v is not None}


def _post(
    http: httpx.Client,
    service: str,
    token: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
) -> httpx.Response | Verdict:
    try:
        response = http.post(url, headers=headers, content=body)
    except httpx.TransportError as error:
        logger.debug("POST %s failed: %s", url, error)
        reason = f"{type(error).__name__}: {error}"
        return Verdict(service, token, False, 0, reason, False, None, None)
    logger.debug("POST %s -> %s (%d bytes)", url, response.status_code, len(body))
    return response


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _instant(milliseconds: object) -> datetime | None:
    if not isinstance(milliseconds, int) or isinstance(milliseconds, bool):
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC)
