"""Wire tests of the emulated APNs, through httpx and the in-process transport."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.push import (
    ApnsClient,
    Credentials,
    OutboundPush,
    PushServices,
)
from harness.push.apns import BadSetup, UnknownToken
from harness.push.clients import retryable
from harness.transport import InProcessTransport
from tests.endpoints import Receiver

BUNDLE = "com.example.shop"
PRODUCTION = "https://api.push.apple.com"
SANDBOX = "https://api.sandbox.push.apple.com"


@dataclass
class Phone(Receiver):
    """A stand-in device that keeps what APNs hands it."""


@dataclass
class Rig:
    clock: Clock
    journal: Journal
    services: PushServices
    credentials: Credentials
    http: httpx.Client
    phone: Phone
    token: str

    def client(self, environment: str = "production") -> ApnsClient:
        c = self.credentials
        return ApnsClient(
            self.http,
            c.apns_key_id,
            c.apns_team_id,
            c.apns_private_key_pem,
            BUNDLE,
            environment,
            self.clock,
        )

    def provider_token(self, iat: int | None = None, **header: str) -> str:
        c = self.credentials
        claims = {"iss": c.apns_team_id, "iat": iat or self.clock.timestamp()}
        headers = {"kid": c.apns_key_id, **header}
        return jwt.encode(claims, c.apns_private_key_pem, "ES256", headers=headers)

    def post(
        self,
        token: str | None = None,
        host: str = PRODUCTION,
        content: bytes | None = None,
        **headers: str,
    ) -> httpx.Response:
        sent = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": BUNDLE,
        }
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        sent = {k: v for k, v in sent.items() if v != "-"}
        body = json.dumps({"aps": {"alert": {"title": "Hi", "body": "There"}}})
        url = f"{host}/3/device/{token or self.token}"
        return self.http.post(url, headers=sent, content=content or body.encode())


@pytest.fixture
def rig() -> Rig:
    clock, ids, journal = Clock(), Ids(7), Journal()
    services = PushServices(clock, ids, journal)
    credentials = Credentials.generate(ids)
    services.provision(credentials)
    http = httpx.Client(transport=InProcessTransport(services.hosts()))
    phone = Phone()
    token = services.apns.issue_token(BUNDLE, "production", phone)
    return Rig(clock, journal, services, credentials, http, phone, token)


def push(token: str, **extra: object) -> OutboundPush:
    fields: dict[str, object] = {"delivery_id": "dlv_1", "token": token}
    fields.update(platform="ios", title="Sale", body="Half off", link="shop://sale")
    fields.update(extra)
    return OutboundPush(**fields)  # type: ignore[arg-type]


def test_accepted_push_reaches_the_device_with_its_delivery_id(rig: Rig) -> None:
    verdict = rig.client().send(push(rig.token, custom_data={"k": "v"}))

    assert (verdict.accepted, verdict.status, verdict.reason) == (True, 200, None)
    assert verdict.message_id and len(verdict.message_id) == 36
    [shown] = rig.phone.received
    assert (shown.title, shown.body, shown.delivery_id) == ("Sale", "Half off", "dlv_1")
    assert shown.data["link"] == "shop://sale"
    assert shown.data["CIO-Delivery-Token"] == rig.token
    assert shown.data["k"] == "v"
    assert (shown.priority, shown.push_type) == ("high", "alert")


def test_sandbox_token_to_production_is_bad_device_token(rig: Rig) -> None:
    sandbox_token = rig.services.apns.issue_token(BUNDLE, "sandbox", rig.phone)

    verdict = rig.client("production").send(push(sandbox_token))

    assert (verdict.status, verdict.reason) == (400, "BadDeviceToken")
    assert not verdict.token_dead
    assert rig.phone.received == []
    assert rig.client("sandbox").send(push(sandbox_token)).accepted


def test_uninstalled_token_answers_200_until_lag_then_410_with_timestamp(
    rig: Rig,
) -> None:
    uninstalled = rig.clock.now()
    rig.services.apns.unregister(rig.token, lag=timedelta(days=3))
    rig.clock.advance(days=2)

    early = rig.client().send(push(rig.token))
    rig.clock.advance(days=1)
    response = rig.post()
    late = rig.client().send(push(rig.token))

    assert (early.accepted, early.status) == (True, 200)
    # The phone gets the early one and judges it: the install is gone.
    assert [n.token for n in rig.phone.received] == [rig.token]
    assert response.status_code == 410
    timestamp = int(uninstalled.timestamp() * 1000)
    assert response.json() == {"reason": "Unregistered", "timestamp": timestamp}
    assert (late.status, late.reason, late.token_dead) == (410, "Unregistered", True)
    assert late.dead_since == uninstalled


def test_expired_provider_token_is_403(rig: Rig) -> None:
    stale = rig.provider_token(iat=rig.clock.timestamp() - 3601)

    response = rig.post(authorization=f"bearer {stale}")

    assert response.status_code == 403
    assert response.json() == {"reason": "ExpiredProviderToken"}


def test_client_signs_a_new_provider_token_after_50_minutes(rig: Rig) -> None:
    client = rig.client()
    for _ in range(3):
        assert client.send(push(rig.token)).accepted
        rig.clock.advance(minutes=55)

    assert len(rig.phone.received) == 3


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "MissingProviderToken"),
        ("bearer not-a-jwt", "InvalidProviderToken"),
        ("unknown-kid", "InvalidProviderToken"),
        ("other-key", "InvalidProviderToken"),
    ],
)
def test_bad_provider_tokens_are_403(
    rig: Rig, authorization: str | None, reason: str
) -> None:
    headers = {"apns-topic": BUNDLE}
    if authorization == "unknown-kid":
        authorization = f"bearer {rig.provider_token(kid='ZZZZZZZZZZ')}"
    elif authorization == "other-key":
        other = ec.generate_private_key(ec.SECP256R1())
        claims = {"iss": rig.credentials.apns_team_id, "iat": rig.clock.timestamp()}
        signed = jwt.encode(
            claims, other, "ES256", {"kid": rig.credentials.apns_key_id}
        )
        authorization = f"bearer {signed}"
    if authorization:
        headers["authorization"] = authorization

    url = f"{PRODUCTION}/3/device/{rig.token}"
    response = rig.http.post(url, headers=headers, content=b'{"aps":{}}')

    assert (response.status_code, response.json()) == (403, {"reason": reason})


def test_provider_token_of_another_team_is_invalid(rig: Rig) -> None:
    c = rig.credentials
    claims = {"iss": "OTHERTEAM0", "iat": rig.clock.timestamp()}
    signed = jwt.encode(claims, c.apns_private_key_pem, "ES256", {"kid": c.apns_key_id})

    response = rig.post(authorization=f"bearer {signed}")

    assert response.json() == {"reason": "InvalidProviderToken"}


def test_provider_token_with_a_non_numeric_iat_is_invalid(rig: Rig) -> None:
    c = rig.credentials
    claims = {"iss": c.apns_team_id, "iat": "now"}
    signed = jwt.encode(claims, c.apns_private_key_pem, "ES256", {"kid": c.apns_key_id})

    response = rig.post(authorization=f"bearer {signed}")

    assert response.json() == {"reason": "InvalidProviderToken"}


def test_key_restricted_to_sandbox_cannot_sign_for_production(rig: Rig) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    team = rig.credentials.apns_team_id
    rig.services.apns.register_key("SANDBOXKEY", team, pem.decode(), "sandbox")
    claims = {"iss": team, "iat": rig.clock.timestamp()}
    signed = jwt.encode(claims, key, "ES256", {"kid": "SANDBOXKEY"})

    response = rig.post(authorization=f"bearer {signed}")

    assert (response.status_code, response.json()["reason"]) == (
        403,
        "BadEnvironmentKeyInToken",
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"apns_id": "not-a-uuid", "apns_topic": ""}, "BadMessageId"),
        ({"apns_topic": "", "apns_priority": "7"}, "MissingTopic"),
        ({"apns_collapse_id": "x" * 65, "apns_priority": "7"}, "BadCollapseId"),
        ({"apns_priority": "7", "apns_push_type": "nope"}, "BadPriority"),
        ({"apns_push_type": "nope"}, "InvalidPushType"),
        ({"apns_push_type": "background", "apns_priority": "10"}, "BadPriority"),
        ({"apns_expiration": "soon"}, "BadExpirationDate"),
    ],
)
def test_header_checks_run_in_pushys_order(
    rig: Rig, headers: dict[str, str], reason: str
) -> None:
    response = rig.post("zz-not-hex", **headers)

    assert (response.status_code, response.json()) == (400, {"reason": reason})
    assert len(response.headers["apns-id"]) == 36


def test_malformed_token_is_bad_device_token(rig: Rig) -> None:
    response = rig.post("zz-not-hex")

    assert response.json() == {"reason": "BadDeviceToken"}


def test_token_of_another_app_is_not_for_topic(rig: Rig) -> None:
    other = rig.services.apns.issue_token("com.example.other", "production", Phone())

    response = rig.post(other)

    assert response.json() == {"reason": "DeviceTokenNotForTopic"}


def test_voip_topic_suffix_matches_the_bundle(rig: Rig) -> None:
    response = rig.post(apns_topic=f"{BUNDLE}.voip", apns_push_type="voip")

    assert response.status_code == 200
    assert response.headers["apns-id"]


def test_apns_id_is_echoed(rig: Rig) -> None:
    apns_id = "123e4567-e89b-12d3-a456-4266554400a0"

    response = rig.post(apns_id=apns_id)

    assert response.headers["apns-id"] == apns_id


@pytest.mark.parametrize(
    ("push_type", "size", "status"),
    [("alert", 4096, 200), ("alert", 4097, 413), ("voip", 5120, 200)],
)
def test_payload_limit_is_4096_bytes_or_5120_for_voip(
    rig: Rig, push_type: str, size: int, status: int
) -> None:
    topic = BUNDLE + (".voip" if push_type == "voip" else "")
    headers = {
        "authorization": f"bearer {rig.provider_token()}",
        "apns-topic": topic,
        "apns-push-type": push_type,
    }
    body = b'{"aps":{},"pad":"' + b"x" * (size - 19) + b'"}'
    assert len(body) == size

    url = f"{PRODUCTION}/3/device/{rig.token}"
    response = rig.http.post(url, headers=headers, content=body)

    assert response.status_code == status


def test_empty_payload_is_payload_empty(rig: Rig) -> None:
    headers = {"authorization": f"bearer {rig.provider_token()}", "apns-topic": BUNDLE}

    response = rig.http.post(f"{PRODUCTION}/3/device/{rig.token}", headers=headers)

    assert (response.status_code, response.json()) == (400, {"reason": "PayloadEmpty"})


def test_unknown_path_names_nearest_routes(rig: Rig) -> None:
    response = rig.http.post(f"{PRODUCTION}/3/devices/{rig.token}", content=b"{}")

    assert (response.status_code, response.json()) == (404, {"reason": "BadPath"})
    message = response.headers["x-harness-detail"]
    assert f"POST /3/devices/{rig.token}" in message
    assert "POST /3/device/{token}" in message


def test_wrong_method_is_method_not_allowed(rig: Rig) -> None:
    response = rig.http.get(f"{SANDBOX}/3/device/{rig.token}")

    assert response.status_code == 405
    assert response.json() == {"reason": "MethodNotAllowed"}
    assert "GET /3/device/" in response.headers["x-harness-detail"]
    assert len(response.headers["apns-id"]) == 36


def test_every_verdict_is_journaled_under_the_provider_layer(rig: Rig) -> None:
    rig.client().send(push(rig.token))
    rig.services.apns.unregister(rig.token)
    rig.client().send(push(rig.token))

    entries = [e for e in rig.journal if e.layer == "provider"]
    assert [e.kind for e in entries] == ["verdict", "verdict"]
    assert entries[0].text == f"APNs 200 accepted for token {rig.token[:12]}…"
    assert entries[1].text == f"APNs 410 Unregistered for token {rig.token[:12]}…"
    assert {e.token for e in entries} == {rig.token}
    assert {e.delivery_id for e in entries} == {"dlv_1"}
    assert [v.status for v in rig.services.apns.verdicts] == [200, 410]


def test_transport_failure_becomes_a_status_0_verdict(rig: Rig) -> None:
    c = rig.credentials
    offline = httpx.Client(transport=InProcessTransport({}))
    client = ApnsClient(
        offline,
        c.apns_key_id,
        c.apns_team_id,
        c.apns_private_key_pem,
        BUNDLE,
        "production",
        rig.clock,
    )

    verdict = client.send(push(rig.token))

    assert (verdict.accepted, verdict.status) == (False, 0)
    assert verdict.reason and verdict.reason.startswith("ConnectError: ")


DEEP = b'{"aps":{"alert":' + b"[" * 1000 + b"]" * 1000 + b"}}"


def test_deeply_nested_payload_is_accepted_without_content(rig: Rig) -> None:
    response = rig.post(content=DEEP)

    assert response.status_code == 200
    [shown] = rig.phone.received
    assert (shown.title, shown.body, shown.data) == (None, None, {})
    assert shown.raw == DEEP


def test_deeply_nested_payload_still_answers_auth_first(rig: Rig) -> None:
    response = rig.post(content=DEEP, authorization="-")

    assert (response.status_code, response.json()) == (
        403,
        {"reason": "MissingProviderToken"},
    )


@pytest.mark.parametrize("ahead", [10**20, 6 * 60])
def test_provider_token_issued_in_the_future_is_invalid(rig: Rig, ahead: int) -> None:
    iat = ahead if ahead > 10**10 else rig.clock.timestamp() + ahead

    response = rig.post(authorization=f"bearer {rig.provider_token(iat=iat)}")

    assert (response.status_code, response.json()) == (
        403,
        {"reason": "InvalidProviderToken"},
    )
    [verdict] = rig.services.apns.verdicts
    assert (verdict.reason, rig.phone.received) == ("InvalidProviderToken", [])


def test_provider_token_a_minute_ahead_is_within_tolerance(rig: Rig) -> None:
    iat = rig.clock.timestamp() + 60

    response = rig.post(authorization=f"bearer {rig.provider_token(iat=iat)}")

    assert response.status_code == 200


@pytest.mark.parametrize("expiration", ["253402300800", "9" * 5000, "-1", "1_0"])
def test_expiration_past_year_9999_or_not_digits_is_bad_expiration_date(
    rig: Rig, expiration: str
) -> None:
    response = rig.post(apns_expiration=expiration)

    assert (response.status_code, response.json()) == (
        400,
        {"reason": "BadExpirationDate"},
    )


def test_expiration_at_the_end_of_year_9999_is_accepted(rig: Rig) -> None:
    response = rig.post(apns_expiration="253402300799")

    assert response.status_code == 200
    [shown] = rig.phone.received
    assert shown.expires_at is not None and shown.expires_at.year == 9999


@pytest.mark.parametrize("priority", ["1_0", "+10", " 1 0", "10.0"])
def test_priority_must_be_plain_ascii_digits(rig: Rig, priority: str) -> None:
    response = rig.post(apns_priority=priority)

    assert (response.status_code, response.json()) == (400, {"reason": "BadPriority"})


@pytest.mark.parametrize("name", ["apns-topic", "apns-priority", "authorization"])
def test_header_sent_twice_is_duplicate_headers(rig: Rig, name: str) -> None:
    headers = [
        ("authorization", f"bearer {rig.provider_token()}"),
        ("apns-topic", BUNDLE),
        ("apns-priority", "10"),
    ]
    headers += [(n, v) for n, v in headers if n == name]
    url = f"{PRODUCTION}/3/device/{rig.token}"

    response = rig.http.post(url, headers=headers, content=b'{"aps":{}}')

    assert (response.status_code, response.json()) == (
        400,
        {"reason": "DuplicateHeaders"},
    )
    assert rig.phone.received == []


def test_payload_limit_counts_utf8_bytes_not_characters(rig: Rig) -> None:
    fits = '{"aps":{"alert":"' + "é" * 2030 + '"}}'
    too_big = '{"aps":{"alert":"' + "é" * 2050 + '"}}'

    accepted = rig.post(content=fits.encode())
    refused = rig.post(content=too_big.encode())

    assert len(fits) < len(fits.encode()) <= 4096 < len(too_big.encode())
    assert (accepted.status_code, refused.status_code) == (200, 413)
    assert rig.phone.received[0].body == "é" * 2030


# -- the rest of Apple's status table ------------------------------------------------


def test_expired_token_is_410_with_the_moment_it_expired(rig: Rig) -> None:
    expired = rig.clock.now()
    rig.services.apns.expire_token(rig.token)
    rig.clock.advance(hours=2)

    response = rig.post()
    verdict = rig.client().send(push(rig.token))

    timestamp = int(expired.timestamp() * 1000)
    assert response.status_code == 410
    assert response.json() == {"reason": "ExpiredToken", "timestamp": timestamp}
    assert (verdict.reason, verdict.token_dead, verdict.dead_since) == (
        "ExpiredToken",
        True,
        expired,
    )
    assert not retryable(verdict)


def test_expiring_a_token_apns_never_issued_names_the_fix(rig: Rig) -> None:
    with pytest.raises(UnknownToken, match="use a token returned by"):
        rig.services.apns.expire_token("ab" * 32)


def test_too_many_pushes_to_one_token_is_429_until_the_window_passes(
    rig: Rig,
) -> None:
    rig.services.apns.device_burst = 3
    client = rig.client()
    first = [client.send(push(rig.token)).status for _ in range(4)]
    other = rig.services.apns.issue_token(BUNDLE, "production", Phone())
    elsewhere = client.send(push(other)).status
    rig.clock.advance(minutes=1)
    later = client.send(push(rig.token))

    assert first == [200, 200, 200, 429]
    assert (elsewhere, later.status) == (200, 200)
    [throttled] = [v for v in rig.services.apns.verdicts if v.status == 429]
    assert (throttled.reason, throttled.token_dead) == ("TooManyRequests", False)
    assert retryable(throttled)
    assert len(rig.phone.received) == 4


def test_the_default_burst_takes_100_pushes_a_minute_to_one_token(rig: Rig) -> None:
    client = rig.client()

    statuses = [client.send(push(rig.token)).status for _ in range(101)]

    assert statuses == [200] * 100 + [429]


@pytest.mark.parametrize(
    ("topic", "push_type"),
    [(f"{BUNDLE}.voip", "alert"), (BUNDLE, "voip"), (f"{BUNDLE}.voip", "pushtotalk")],
)
def test_suffix_that_does_not_fit_the_push_type_is_topic_disallowed(
    rig: Rig, topic: str, push_type: str
) -> None:
    response = rig.post(apns_topic=topic, apns_push_type=push_type)

    assert (response.status_code, response.json()) == (
        400,
        {"reason": "TopicDisallowed"},
    )
    assert "x-harness-detail" in response.headers


def test_push_to_talk_goes_to_the_voip_ptt_topic(rig: Rig) -> None:
    response = rig.post(apns_topic=f"{BUNDLE}.voip-ptt", apns_push_type="pushtotalk")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("fault", "status"),
    [("InternalServerError", 500), ("ServiceUnavailable", 503), ("Shutdown", 503)],
)
def test_injected_fault_answers_before_any_check_then_service_resumes(
    rig: Rig, fault: str, status: int
) -> None:
    rig.services.apns.fail_next(fault, times=2)

    broken = rig.post("zz-not-hex", apns_topic="")
    verdict = rig.client().send(push(rig.token))
    healed = rig.client().send(push(rig.token))

    assert (broken.status_code, broken.json()) == (status, {"reason": fault})
    assert len(broken.headers["apns-id"]) == 36
    assert (verdict.status, verdict.reason, verdict.token_dead) == (
        status,
        fault,
        False,
    )
    assert retryable(verdict)
    assert healed.accepted
    assert len(rig.phone.received) == 1


def test_a_fault_apns_cannot_give_is_refused_naming_the_ones_it_can(
    rig: Rig,
) -> None:
    with pytest.raises(BadSetup) as caught:
        rig.services.apns.fail_next("Unregistered")

    message = str(caught.value)
    assert "'Unregistered'" in message
    assert "InternalServerError, ServiceUnavailable, Shutdown" in message


def test_sandbox_answers_carry_apns_unique_id_and_production_never(rig: Rig) -> None:
    sandbox_token = rig.services.apns.issue_token(BUNDLE, "sandbox", rig.phone)

    sandbox = rig.post(sandbox_token, host=SANDBOX)
    refused = rig.post(sandbox_token, host=SANDBOX, apns_topic="com.example.other")
    production = rig.post()

    assert sandbox.status_code == 200
    assert len(sandbox.headers["apns-unique-id"]) == 36
    assert sandbox.headers["apns-unique-id"] != sandbox.headers["apns-id"]
    assert "apns-unique-id" not in refused.headers
    assert "apns-unique-id" not in production.headers


def test_error_body_is_exactly_the_reason_and_the_detail_rides_a_header(
    rig: Rig,
) -> None:
    other = rig.services.apns.issue_token("com.example.other", "production", Phone())

    response = rig.post(other)

    assert response.content == b'{"reason": "DeviceTokenNotForTopic"}'
    assert response.headers["content-type"] == "application/json"
    detail = response.headers["x-harness-detail"]
    assert f"token {other} belongs to com.example.other" in detail


def test_topic_specific_key_not_allowed_for_the_topic_is_invalid(rig: Rig) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    team = rig.credentials.apns_team_id
    apns = rig.services.apns
    apns.register_key("TOPICKEY01", team, pem.decode(), topics=["com.example.other"])
    other = apns.issue_token("com.example.other", "production", Phone())
    claims = {"iss": team, "iat": rig.clock.timestamp()}
    signed = f"bearer {jwt.encode(claims, key, 'ES256', {'kid': 'TOPICKEY01'})}"

    refused = rig.post(authorization=signed)
    allowed = rig.post(other, apns_topic="com.example.other", authorization=signed)

    assert (refused.status_code, refused.json()) == (
        403,
        {"reason": "InvalidProviderToken"},
    )
    assert allowed.status_code == 200


def test_new_provider_token_within_20_minutes_is_429_in_process(rig: Rig) -> None:
    first = rig.post()
    rig.clock.advance(minutes=10)
    early = rig.post()
    rig.clock.advance(minutes=10)
    later = rig.post()

    assert (first.status_code, later.status_code) == (200, 200)
    assert (early.status_code, early.json()) == (
        429,
        {"reason": "TooManyProviderTokenUpdates"},
    )
    assert not retryable(rig.services.apns.verdicts[1])


def test_client_never_updates_its_token_too_often_over_hours(rig: Rig) -> None:
    client = rig.client()
    verdicts = []
    for _ in range(40):
        verdicts.append(client.send(push(rig.token)))
        rig.clock.advance(minutes=7)

    assert {(v.status, v.reason) for v in verdicts} == {(200, None)}


def test_client_signs_afresh_once_apns_calls_its_token_expired(rig: Rig) -> None:
    clock = Clock()  # the sender's own clock, which falls behind APNs's
    c = rig.credentials
    client = ApnsClient(
        rig.http,
        c.apns_key_id,
        c.apns_team_id,
        c.apns_private_key_pem,
        BUNDLE,
        "production",
        clock,
    )
    assert client.send(push(rig.token)).accepted
    rig.clock.advance(minutes=61)
    clock.advance(minutes=30)  # to the sender its token is half an hour old
    stale = client.send(push(rig.token))
    clock.advance(minutes=10)
    fresh = client.send(push(rig.token))

    assert (stale.status, stale.reason) == (403, "ExpiredProviderToken")
    assert fresh.accepted


@pytest.mark.parametrize(
    ("digits", "status"), [(2, 400), (62, 400), (64, 200), (200, 200), (202, 400)]
)
def test_a_foreign_token_must_have_a_device_tokens_length(
    rig: Rig, digits: int, status: int
) -> None:
    rig.services.apns.foreign_tokens = True

    response = rig.post("ab" * (digits // 2))

    assert response.status_code == status
    if status == 400:
        assert response.json()["reason"] == "BadDeviceToken"
