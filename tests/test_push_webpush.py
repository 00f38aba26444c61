"""Wire tests of the emulated web push services (RFC 8030), in process.

VAPID has its own module (test_push_webpush_vapid.py), pywebpush over real
sockets another (test_push_webpush_pywebpush.py); the rig here serves both.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
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
from harness.push.webpush import FAULTS, decrypt, served
from harness.transport import InProcessTransport

CHROME = "https://fcm.googleapis.com"
SAFARI = "https://web.push.apple.com"
FIREFOX = "https://updates.push.services.mozilla.com"
VENDORS = (CHROME, SAFARI, FIREFOX)
SUBJECT = "mailto:ops@example.com"
RECEIPT = "urn:ietf:params:push:receipt"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def point(key: ec.EllipticCurvePublicKey) -> str:
    return b64(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def origin_of(endpoint: str) -> str:
    url = httpx.URL(endpoint)
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


@dataclass
class Browser:
    """A stand-in browser: owns its key pair and decrypts what arrives."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))
    received: list[Notification] = field(default_factory=list)
    plaintexts: list[bytes] = field(default_factory=list)
    online: bool = True
    stored_notes: list[str] = field(default_factory=list)
    discarded_notes: list[str] = field(default_factory=list)

    @property
    def p256dh(self) -> str:
        return point(self.private_key.public_key())

    def deliver(self, notification: Notification) -> None:
        self.received.append(notification)
        if notification.raw:
            key, auth, forwarded = self.private_key, self.auth, notification.data
            self.plaintexts.append(decrypt(notification.raw, key, auth, forwarded))

    def reachable(self) -> bool:
        return self.online

    def stored(self, notification: Notification, note: str) -> None:
        self.stored_notes.append(note)

    def discarded(self, notification: Notification, note: str) -> None:
        self.discarded_notes.append(note)


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

    def vapid(self, endpoint: str, key: str | None = None, **claims: Any) -> str:
        exp = self.clock.timestamp() + 3600
        signed = {"aud": origin_of(endpoint), "exp": exp, "sub": SUBJECT}
        signed.update(claims)
        token = jwt.encode(signed, self.credentials.vapid_private_key_pem, "ES256")
        return f"vapid t={token}, k={key or self.credentials.vapid_public_key}"

    def encrypted(
        self, subscription: dict[str, Any], text: bytes, encoding: str = "aes128gcm"
    ) -> tuple[bytes, dict[str, str]]:
        """Encrypt ``text`` as pywebpush does; return the body and its headers."""
        encoded = WebPusher(subscription).encode(text, encoding)
        headers = {"content-encoding": encoding}
        if encoding == "aesgcm":
            headers["encryption"] = f"salt={encoded['salt'].decode()}"
            headers["crypto-key"] = f"dh={encoded['crypto_key'].decode()}"
        return encoded["body"], headers

    def post(
        self,
        endpoint: str,
        body: bytes = b"",
        lines: Sequence[tuple[str, str]] = (),
        **headers: str | bytes,
    ) -> httpx.Response:
        """POST to ``endpoint`` with valid headers; one given as "-" is left out."""
        sent: dict[str, str | bytes] = {
            "ttl": "60",
            "authorization": self.vapid(endpoint),
        }
        if body:
            sent["content-encoding"] = "aes128gcm"
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        pairs = [(k, v) for k, v in sent.items() if v != "-"]
        return self.http.post(endpoint, headers=[*pairs, *lines], content=body)

    def last_reason(self) -> str | None:
        return self.services.webpush.verdicts[-1].reason


@pytest.fixture
def rig() -> Rig:
    """Push services on a fixed clock, reachable in process, and a browser."""
    return make_rig()


def make_rig() -> Rig:
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


# -- accepted messages ---------------------------------------------------------------


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
        subscription["endpoint"],
        None,
    )
    plain = json.loads(rig.browser.plaintexts[0])
    assert (plain["title"], plain["body"]) == ("Sale", "Half off")
    assert plain["data"]["CIO-Delivery-ID"] == "dlv_1"
    assert plain["data"]["link"] == "https://shop.example/sale"


@pytest.mark.parametrize("origin", VENDORS)
def test_each_browsers_push_service_answers_on_its_own_host(
    rig: Rig, origin: str
) -> None:
    subscription = rig.subscribe(origin)

    verdict = rig.client().send(push(subscription))

    assert subscription["endpoint"].startswith(origin + "/")
    assert verdict.status == 201
    assert len(rig.browser.plaintexts) == 1


@pytest.mark.parametrize(
    ("origin", "longest"),
    [(CHROME, 2_419_200), (SAFARI, 2_419_200), (FIREFOX, 5_184_000)],
)
def test_201_names_the_message_and_the_ttl_each_service_applies(
    rig: Rig, origin: str, longest: int
) -> None:
    endpoint = rig.subscribe(origin)["endpoint"]

    short, long = rig.post(endpoint, ttl="60"), rig.post(endpoint, ttl="9" * 5000)

    assert (short.status_code, short.headers["ttl"]) == (201, "60")
    assert short.headers["location"].startswith(f"{origin}/m/")
    assert (long.status_code, long.headers["ttl"]) == (201, str(longest))


@pytest.mark.parametrize("encoding", ["aes128gcm", "aesgcm"])
def test_both_content_encodings_reach_the_browser_readable(
    rig: Rig, encoding: str
) -> None:
    subscription = rig.subscribe(FIREFOX)
    body, headers = rig.encrypted(subscription, b'{"title": "Hi"}', encoding)

    response = rig.post(subscription["endpoint"], body, **headers)

    assert response.status_code == 201
    assert rig.browser.plaintexts == [b'{"title": "Hi"}']


def test_a_body_of_4096_bytes_is_accepted_and_one_byte_more_is_413(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    taken = rig.post(endpoint, b"\x00" * 4096)
    refused = rig.post(endpoint, b"\x00" * 4097)

    assert (taken.status_code, refused.status_code) == (201, 413)
    assert rig.last_reason() == "PayloadTooLarge"


def test_a_browser_that_raises_keeps_the_201_and_journals_the_error(
    rig: Rig,
) -> None:
    subscription = rig.subscribe(browser=BrokenBrowser())

    verdict = rig.client().send(push(subscription))

    assert (verdict.accepted, verdict.status) == (True, 201)
    [error] = rig.services.webpush.handoff_errors
    assert str(error) == "the service worker crashed"
    [entry] = [e for e in rig.journal if e.kind == "handoff-error"]
    assert entry.layer == "provider"
    assert entry.token == subscription["endpoint"]
    assert entry.text.endswith("raised RuntimeError: the service worker crashed")


@dataclass
class BrokenBrowser(Browser):
    """A browser whose push handling fails, as a bug in its emulator would."""

    def deliver(self, notification: Notification) -> None:
        raise RuntimeError("the service worker crashed")


def test_verdicts_are_journaled_under_the_provider_layer(rig: Rig) -> None:
    subscription = rig.subscribe()
    rig.client().send(push(subscription))

    [entry] = [e for e in rig.journal if e.layer == "provider"]
    assert entry.kind == "verdict"
    assert entry.text.startswith("Web Push 201 accepted for token fcm.googleapis.com/")
    assert entry.token == subscription["endpoint"]


# -- malformed messages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"ttl": "soon"}, "BadTtl"),
        ({"ttl": "-1"}, "BadTtl"),
        ({"urgency": "urgent"}, "BadUrgency"),
        ({"urgency": "low, high"}, "BadUrgency"),
        ({"topic": "x" * 33}, "BadTopic"),
        ({"topic": "not/base64"}, "BadTopic"),
        ({"content_encoding": "-"}, "BadContentEncoding"),
        ({"content_encoding": "gzip"}, "BadContentEncoding"),
        ({"encryption": "salt=AAAA"}, "BadEncryptionHeaders"),
        ({"crypto_key": "dh=AAAA"}, "BadEncryptionHeaders"),
        (
            {"content_encoding": "aesgcm", "crypto_key": "dh=AAAA"},
            "BadEncryptionHeaders",
        ),
        (
            {"content_encoding": "aesgcm", "encryption": "salt=A"},
            "BadEncryptionHeaders",
        ),
    ],
)
def test_malformed_push_headers_are_400(
    rig: Rig, headers: dict[str, str], reason: str
) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, b"\x00" * 120, **headers)

    assert (response.status_code, rig.last_reason()) == (400, reason)
    assert rig.browser.received == []


def test_urgency_sent_on_two_lines_is_400(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, lines=[("urgency", "low"), ("urgency", "low")])

    assert (response.status_code, rig.last_reason()) == (400, "BadUrgency")
    assert "2 values" in response.text


@pytest.mark.parametrize("urgency", ["very-low", "low", "normal", "high"])
def test_every_rfc_urgency_is_accepted(rig: Rig, urgency: str) -> None:
    endpoint = rig.subscribe()["endpoint"]

    assert rig.post(endpoint, urgency=urgency).status_code == 201


def test_a_topic_of_32_base64url_characters_is_accepted(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    assert rig.post(endpoint, topic="a-B_9" * 6 + "xy").status_code == 201


def test_ttl_with_a_non_ascii_digit_is_400_naming_the_value(rig: Rig) -> None:
    endpoint = rig.subscribe(SAFARI)["endpoint"]

    # 0xB2 reads as "²" in latin-1, the header encoding; "²".isdigit() is True.
    response = rig.post(endpoint, ttl=b"\xb2")

    assert (response.status_code, response.json()) == (400, {"reason": "BadTtl"})
    [verdict] = [e for e in rig.journal if e.kind == "verdict"]
    assert "TTL header '²'" in str(verdict.data["detail"])


# -- each vendor's words -------------------------------------------------------------


def test_chrome_answers_a_missing_ttl_in_one_line_of_text(rig: Rig) -> None:
    endpoint = rig.subscribe(CHROME)["endpoint"]

    response = rig.post(endpoint, ttl="-")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("the TTL header is missing")
    assert response.text.endswith("\n")


def test_firefox_answers_a_missing_ttl_with_autopush_errno_111(rig: Rig) -> None:
    endpoint = rig.subscribe(FIREFOX)["endpoint"]

    response = rig.post(endpoint, ttl="-")

    body = response.json()
    assert set(body) == {"code", "errno", "error", "message", "more_info"}
    assert (body["code"], body["errno"], body["error"]) == (400, 111, "Bad Request")
    assert body["message"].startswith("the TTL header is missing")


def test_safari_answers_a_missing_ttl_with_a_reason_only(rig: Rig) -> None:
    endpoint = rig.subscribe(SAFARI)["endpoint"]

    response = rig.post(endpoint, ttl="-")

    assert (response.status_code, response.json()) == (400, {"reason": "BadTtl"})


@pytest.mark.parametrize(
    ("origin", "body"),
    [
        (CHROME, None),
        (FIREFOX, {"code": 410, "errno": 106, "error": "Gone"}),
        (SAFARI, {"reason": "Unregistered"}),
    ],
)
def test_an_unsubscribed_endpoint_is_410_in_each_vendors_words(
    rig: Rig, origin: str, body: dict[str, object] | None
) -> None:
    subscription = rig.subscribe(origin)
    gone = rig.clock.now()
    rig.services.webpush.unsubscribe(subscription["endpoint"])

    response = rig.post(subscription["endpoint"])

    assert response.status_code == 410
    if body is None:
        assert response.text.startswith("the subscription was unsubscribed at")
    else:
        assert body.items() <= response.json().items()
    [verdict] = rig.services.webpush.verdicts
    assert (verdict.reason, verdict.token_dead, verdict.dead_since) == (
        "Unsubscribed",
        True,
        gone,
    )
    assert rig.browser.received == []


def test_firefox_lets_a_410_be_cached_for_a_day(rig: Rig) -> None:
    endpoint = rig.subscribe(FIREFOX)["endpoint"]
    rig.services.webpush.unsubscribe(endpoint)

    assert rig.post(endpoint).headers["cache-control"] == "max-age=86400"


def test_the_rfc_option_answers_a_dead_subscription_404(rig: Rig) -> None:
    rig.services.webpush.expired_as_not_found = True
    subscription = rig.subscribe()
    rig.services.webpush.unsubscribe(subscription["endpoint"])

    verdict = rig.client().send(push(subscription))

    assert (verdict.status, verdict.token_dead) == (404, True)


def test_an_unknown_subscription_is_404_with_autopush_errno_102(rig: Rig) -> None:
    response = rig.post(f"{FIREFOX}/wpush/v2/gAAAAABnothere")

    assert response.status_code == 404
    assert response.json()["errno"] == 102


def test_a_subscription_posted_to_another_vendors_host_is_404(rig: Rig) -> None:
    subscription = rig.subscribe(SAFARI)["endpoint"].rsplit("/", 1)[-1]

    response = rig.post(f"{FIREFOX}/wpush/v2/{subscription}")

    assert (response.status_code, rig.last_reason()) == (404, "NotFound")


def test_an_unknown_path_names_the_nearest_routes(rig: Rig) -> None:
    response = rig.post(f"{FIREFOX}/wpush/v1/abc")

    assert response.status_code == 404
    message = response.json()["message"]
    assert "POST /wpush/v1/abc" in message
    assert "POST /wpush/v2/{subscription}" in message


# -- receipts, rate limits and faults ------------------------------------------------


def test_respond_async_with_a_receipt_link_is_202_and_the_receipt_is_kept(
    rig: Rig,
) -> None:
    endpoint = rig.subscribe()["endpoint"]
    receipts = "https://push.example/receipts/r1"
    rig.browser.online = False
    link = f'<{receipts}>; rel="{RECEIPT}"'

    response = rig.post(endpoint, ttl="600", prefer="respond-async", link=link)
    before = rig.services.webpush.receipts(receipts)
    rig.clock.advance(minutes=5)
    rig.browser.online = True
    rig.services.webpush.reconnect(endpoint)

    assert response.status_code == 202
    assert response.headers["link"] == link
    assert before == []
    [receipt] = rig.services.webpush.receipts(receipts)
    assert receipt.location == response.headers["location"]
    assert receipt.delivered_at == rig.clock.now()


def test_respond_async_without_a_receipt_subscription_is_answered_201(
    rig: Rig,
) -> None:
    endpoint = rig.subscribe()["endpoint"]

    response = rig.post(endpoint, prefer="respond-async")

    assert (response.status_code, "link" in response.headers) == (201, False)


def test_too_many_messages_to_one_subscription_is_429_until_the_window_passes(
    rig: Rig,
) -> None:
    rig.services.webpush.rate_limit = 3
    endpoint, other = rig.subscribe()["endpoint"], rig.subscribe()["endpoint"]
    taken = [rig.post(endpoint).status_code for _ in range(3)]
    rig.clock.advance(seconds=20)

    refused = rig.post(endpoint)
    elsewhere = rig.post(other)
    rig.clock.advance(seconds=40)
    again = rig.post(endpoint)

    assert taken == [201, 201, 201]
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "40")
    assert (elsewhere.status_code, again.status_code) == (201, 201)


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [
        ("TooManyRequests", 429, "120"),
        ("InternalServerError", 500, None),
        ("ServiceUnavailable", 503, "120"),
    ],
)
def test_an_injected_fault_answers_the_next_sends_then_stops(
    rig: Rig, fault: str, status: int, retry_after: str | None
) -> None:
    endpoint = rig.subscribe(SAFARI)["endpoint"]
    rig.services.webpush.fail_next(fault, times=2)

    first, second, third = (rig.post(endpoint) for _ in range(3))

    assert [r.status_code for r in (first, second, third)] == [status, status, 201]
    assert first.json() == {"reason": fault}
    assert first.headers.get("retry-after") == retry_after
    assert len(rig.browser.received) == 1


def test_fail_next_refuses_a_fault_it_cannot_give_naming_the_ones_it_can(
    rig: Rig,
) -> None:
    with pytest.raises(ValueError) as caught:
        rig.services.webpush.fail_next("Unavailable")

    assert "'Unavailable'" in str(caught.value)
    assert all(name in str(caught.value) for name in FAULTS)


# -- storing for an offline browser --------------------------------------------------


def test_ttl_0_to_an_offline_browser_is_discarded_and_a_longer_one_stored(
    rig: Rig,
) -> None:
    endpoint = rig.subscribe()["endpoint"]
    rig.browser.online = False

    now_or_never = rig.post(endpoint, ttl="0")
    kept = rig.post(endpoint, ttl="600")
    rig.browser.online = True
    arrived = rig.services.webpush.reconnect(endpoint)

    assert (now_or_never.status_code, kept.status_code, arrived) == (201, 201, 1)
    assert "does not store" in rig.browser.discarded_notes[0]
    assert len(rig.browser.received) == 1


def test_a_newer_message_of_one_topic_replaces_the_stored_one(rig: Rig) -> None:
    subscription = rig.subscribe()
    rig.browser.online = False
    for text in (b"first", b"second"):
        body, headers = rig.encrypted(subscription, text)
        rig.post(subscription["endpoint"], body, topic="cart", **headers)

    rig.browser.online = True
    rig.services.webpush.reconnect(subscription["endpoint"])

    assert rig.browser.plaintexts == [b"second"]
    assert "Topic cart replaced it" in rig.browser.discarded_notes[0]


def test_unsubscribing_discards_what_waited_for_the_subscription(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    rig.browser.online = False
    rig.post(endpoint)

    rig.services.webpush.unsubscribe(endpoint)

    assert rig.services.webpush.waiting(endpoint) == []
    assert "with the subscription" in rig.browser.discarded_notes[0]


# -- served ------------------------------------------------------------------------


def test_served_endpoints_live_under_the_served_base_and_are_answered_there(
    rig: Rig,
) -> None:
    service = rig.services.webpush
    service.served_at = "https://harness.test:8443"
    http = httpx.Client(
        transport=InProcessTransport({"harness.test": served(lambda: service)})
    )
    rig.http = http
    endpoint = rig.subscribe(SAFARI)["endpoint"]

    response = rig.post(endpoint)
    unknown = http.post("https://harness.test:8443/webpush/nowhere.example/x")

    assert endpoint.startswith("https://harness.test:8443/webpush/web.push.apple.com/")
    assert response.status_code == 201
    assert response.headers["location"].startswith(
        "https://harness.test:8443/webpush/web.push.apple.com/m/"
    )
    assert unknown.status_code == 404
    assert "POST /webpush/nowhere.example/x" in unknown.json()["message"]


def test_py_vapid_signs_what_the_service_accepts(rig: Rig) -> None:
    subscription = rig.subscribe()
    vapid = Vapid.from_pem(rig.credentials.vapid_private_key_pem.encode())

    with rig.clock:
        headers = vapid.sign({"aud": CHROME, "sub": SUBJECT})
    response = rig.post(
        subscription["endpoint"], authorization=headers["Authorization"]
    )

    assert response.status_code == 201


def test_urgency_high_reaches_the_browser_as_high_priority(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]

    rig.post(endpoint, urgency="high")
    rig.clock.advance(timedelta(seconds=1))
    rig.post(endpoint, urgency="very-low")

    assert [n.priority for n in rig.browser.received] == ["high", "normal"]
