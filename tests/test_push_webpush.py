"""Wire tests of the emulated web push services, through the in-process transport."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPusher

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import (
    Credentials,
    Notification,
    OutboundPush,
    PushServices,
    WebPushClient,
)
from harness.push.webpush import decrypt
from harness.transport import InProcessTransport

CHROME = "https://fcm.googleapis.com"
SAFARI = "https://web.push.apple.com"
FIREFOX = "https://updates.push.services.mozilla.com"
SUBJECT = "mailto:ops@example.com"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def point(key: ec.EllipticCurvePublicKey) -> str:
    return b64(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


@dataclass
class Browser:
    """A stand-in browser: owns its key pair and decrypts what arrives."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    received: list[Notification] = field(default_factory=list)
    plaintexts: list[bytes] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        return point(self.private_key.public_key())

    online: bool = True

    def deliver(self, notification: Notification) -> None:
        self.received.append(notification)
        self.plaintexts.append(decrypt(notification.raw, self.private_key, self.auth))

    def reachable(self) -> bool:
        return self.online

    def stored(self, notification: Notification, note: str) -> None:
        pass

    def discarded(self, notification: Notification, note: str) -> None:
        pass


@dataclass
class Rig:
    clock: Clock
    journal: Journal
    services: PushServices
    credentials: Credentials
    http: httpx.Client
    browser: Browser

    def subscribe(self, origin: str = CHROME, browser: Browser | None = None) -> Any:
        browser = browser or self.browser
        return self.services.webpush.subscribe(
            origin,
            self.credentials.vapid_public_key,
            browser.p256dh,
            b64(browser.auth),
            browser,
        )

    def client(self) -> WebPushClient:
        key = self.credentials.vapid_private_key_pem
        return WebPushClient(self.http, key, SUBJECT, self.clock)

    def vapid(self, key: str | None = None, **claims: Any) -> str:
        signed = {"aud": CHROME, "exp": self.clock.timestamp() + 3600, "sub": SUBJECT}
        signed.update(claims)
        token = jwt.encode(signed, self.credentials.vapid_private_key_pem, "ES256")
        return f"vapid t={token}, k={key or self.credentials.vapid_public_key}"

    def post(
        self, endpoint: str, body: bytes = b"", **headers: str | bytes
    ) -> httpx.Response:
        sent: dict[str, str | bytes] = {"ttl": "60", "authorization": self.vapid()}
        if body:
            sent["content-encoding"] = "aes128gcm"
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        sent = {k: v for k, v in sent.items() if v != "-"}
        return self.http.post(endpoint, headers=sent, content=body)


@pytest.fixture
def rig() -> Rig:
    clock, ids, journal = Clock(), Ids(3), Journal()
    services = PushServices(clock, ids, journal)
    credentials = Credentials.generate(ids)
    services.provision(credentials)
    http = httpx.Client(transport=InProcessTransport(services.hosts()))
    return Rig(clock, journal, services, credentials, http, Browser())


def push(subscription: dict[str, Any]) -> OutboundPush:
    return OutboundPush(
        "dlv_1", subscription["endpoint"], "web", "Sale", "Half off",
        link="https://shop.example/sale", web_keys=subscription["keys"],
    )  # fmt: skip


def test_subscription_has_the_to_json_shape(rig: Rig) -> None:
    subscription = rig.subscribe()

    assert set(subscription) == {"endpoint", "expirationTime", "keys"}
    assert subscription["endpoint"].startswith(f"{CHROME}/wp/")
    assert subscription["expirationTime"] is None
    assert subscription["keys"]["p256dh"] == rig.browser.p256dh


def test_webpush_endpoint_decrypts_payload(rig: Rig) -> None:
    subscription = rig.subscribe()

    verdict = rig.client().send(push(subscription))

    assert (verdict.accepted, verdict.status) == (True, 201)
    assert verdict.message_id and verdict.message_id.startswith(f"{CHROME}/m/")
    [got] = rig.browser.received
    assert (got.service, got.token, got.title) == (
        "webpush",
        push(subscription).token,
        None,
    )
    plain = json.loads(rig.browser.plaintexts[0])
    assert (plain["title"], plain["body"]) == ("Sale", "Half off")
    assert plain["data"]["CIO-Delivery-ID"] == "dlv_1"
    assert plain["data"]["link"] == "https://shop.example/sale"


@pytest.mark.parametrize("origin", [CHROME, SAFARI, FIREFOX])
def test_each_browsers_push_service_answers_on_its_own_host(
    rig: Rig, origin: str
) -> None:
    subscription = rig.subscribe(origin)

    verdict = rig.client().send(push(subscription))

    assert subscription["endpoint"].startswith(origin + "/")
    assert verdict.status == 201
    assert len(rig.browser.plaintexts) == 1


def test_webpush_missing_ttl_is_400(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, ttl="-")

    assert response.status_code == 400
    assert response.json()["reason"] == "BadTtl"
    assert "the TTL header is missing" in response.json()["message"]
    assert rig.browser.received == []


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"ttl": "soon"}, "BadTtl"),
        ({"urgency": "urgent"}, "BadUrgency"),
        ({"urgency": "low, high"}, "BadUrgency"),
        ({"topic": "x" * 33}, "BadTopic"),
        ({"topic": "not/base64"}, "BadTopic"),
        ({"content_encoding": "aesgcm"}, "BadContentEncoding"),
    ],
)
def test_malformed_push_headers_are_400(
    rig: Rig, headers: dict[str, str], reason: str
) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, b"\x00" * 120, **headers)

    assert (response.status_code, response.json()["reason"]) == (400, reason)


def test_body_over_4096_bytes_is_413(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, b"\x00" * 4097)

    assert response.status_code == 413


def test_webpush_missing_authorization_is_401(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, authorization="-")

    assert (response.status_code, response.json()["reason"]) == (
        401,
        "MissingAuthorization",
    )


def test_webpush_vapid_wrong_audience_is_403(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, authorization=rig.vapid(aud=FIREFOX))

    assert response.status_code == 403
    assert "aud" in response.json()["message"]
    assert rig.browser.received == []


@pytest.mark.parametrize("offset", [-1, 24 * 3600 + 1, "tomorrow"])
def test_vapid_exp_past_beyond_24_hours_or_malformed_is_403(
    rig: Rig, offset: int | str
) -> None:
    endpoint = rig.subscribe()["endpoint"]

    exp = offset if isinstance(offset, str) else rig.clock.timestamp() + offset
    response = rig.post(endpoint, authorization=rig.vapid(exp=exp))

    assert response.status_code == 403
    assert "exp" in response.json()["message"]


def test_vapid_key_other_than_the_subscriptions_is_403(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    other = ec.generate_private_key(ec.SECP256R1())
    claims = {"aud": CHROME, "exp": rig.clock.timestamp() + 60, "sub": SUBJECT}
    token = jwt.encode(claims, other, "ES256")
    key = point(other.public_key())

    response = rig.post(endpoint, authorization=f"vapid t={token}, k={key}")

    assert response.status_code == 403
    assert "applicationServerKey" in response.json()["message"]


def test_safari_requires_a_mailto_or_https_subject(rig: Rig) -> None:
    endpoint = rig.subscribe(SAFARI)["endpoint"]

    response = rig.post(endpoint, authorization=rig.vapid(aud=SAFARI, sub="ops"))

    assert (response.status_code, response.json()["reason"]) == (403, "BadJwtToken")


def test_webpush_unsubscribed_is_410(rig: Rig) -> None:
    subscription = rig.subscribe()
    gone = rig.clock.now()
    rig.services.webpush.unsubscribe(subscription["endpoint"])

    verdict = rig.client().send(push(subscription))

    assert (verdict.status, verdict.token_dead) == (410, True)
    [recorded] = rig.services.webpush.verdicts
    assert (recorded.reason, recorded.dead_since) == ("Unsubscribed", gone)
    assert rig.browser.received == []


def test_unknown_subscription_is_404(rig: Rig) -> None:
    response = rig.post(f"{FIREFOX}/wpush/v2/gAAAAABnothere")

    assert (response.status_code, response.json()["reason"]) == (404, "NotFound")


def test_unknown_path_names_nearest_routes(rig: Rig) -> None:
    response = rig.post(f"{FIREFOX}/wpush/v1/abc")

    assert response.status_code == 404
    message = response.json()["message"]
    assert "POST /wpush/v1/abc" in message
    assert "POST /wpush/v2/{subscription}" in message


def test_verdicts_are_journaled_under_the_provider_layer(rig: Rig) -> None:
    subscription = rig.subscribe()
    rig.client().send(push(subscription))

    [entry] = [e for e in rig.journal if e.layer == "provider"]
    assert entry.kind == "verdict"
    assert entry.text.startswith("Web Push 201 accepted for token fcm.googleapis.com/")
    assert entry.token == subscription["endpoint"]


def test_pywebpush_and_py_vapid_messages_are_accepted_and_readable(
    rig: Rig,
) -> None:
    subscription = rig.subscribe()
    vapid = Vapid.from_pem(rig.credentials.vapid_private_key_pem.encode())

    with rig.clock:
        encoded = WebPusher(subscription).encode(b'{"title": "Hi"}', "aes128gcm")
        headers = vapid.sign({"aud": CHROME, "sub": SUBJECT})
    headers.update({"TTL": "60", "Content-Encoding": "aes128gcm"})
    response = rig.http.post(
        subscription["endpoint"], headers=headers, content=encoded["body"]
    )

    assert response.status_code == 201
    assert response.headers["location"].startswith(f"{CHROME}/m/")
    assert rig.browser.plaintexts == [b'{"title": "Hi"}']


@dataclass
class BrokenBrowser(Browser):
    """A browser whose push handling fails, as a bug in its emulator would."""

    def deliver(self, notification: Notification) -> None:
        raise RuntimeError("the service worker crashed")


def test_ttl_with_a_non_ascii_digit_is_400_naming_the_value(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    # 0xB2 reads as "²" in latin-1, the header encoding; "²".isdigit() is True.
    response = rig.post(endpoint, ttl=b"\xb2")

    assert (response.status_code, response.json()["reason"]) == (400, "BadTtl")
    assert "TTL header '²'" in response.json()["message"]


def test_ttl_of_any_length_is_cut_to_four_weeks(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, ttl="9" * 5000)

    assert (response.status_code, response.headers["ttl"]) == (201, "2419200")


@pytest.mark.parametrize("exp", [10**20, -(10**20), 1e308])
def test_vapid_exp_beyond_any_date_is_403_naming_it(rig: Rig, exp: float) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, authorization=rig.vapid(exp=exp))

    assert (response.status_code, response.json()["reason"]) == (403, "BadJwtToken")
    assert f"exp {exp!r}" in response.json()["message"]


def test_vapid_exp_that_is_not_a_number_is_named_as_sent(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, authorization=rig.vapid(exp="soon"))

    assert response.status_code == 403
    assert response.json()["message"].startswith("exp 'soon' is not a Unix time")


def test_browser_that_raises_keeps_the_201_and_journals_the_error(rig: Rig) -> None:
    subscription = rig.subscribe(browser=BrokenBrowser())

    verdict = rig.client().send(push(subscription))

    assert (verdict.accepted, verdict.status) == (True, 201)
    [error] = rig.services.webpush.handoff_errors
    assert str(error) == "the service worker crashed"
    [entry] = [e for e in rig.journal if e.kind == "handoff-error"]
    assert entry.layer == "provider"
    assert entry.token == subscription["endpoint"]
    assert entry.text.endswith("raised RuntimeError: the service worker crashed")
