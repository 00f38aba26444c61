"""VAPID (RFC 8292) at each emulated push service: both schemes, each refusal."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid01

from harness.push.webpush import served
from harness.transport import InProcessTransport
from tests.test_push_webpush import (
    CHROME,
    FIREFOX,
    SAFARI,
    SUBJECT,
    Rig,
    make_rig,
    point,
)


@pytest.fixture
def rig() -> Rig:
    """Push services on a fixed clock, reachable in process, and a browser."""
    return make_rig()


def refused_as(response: httpx.Response, origin: str) -> tuple[int, object]:
    """Return the status and what identifies the refusal in ``origin``'s body."""
    if origin == CHROME:
        return response.status_code, response.headers["content-type"].split(";")[0]
    if origin == FIREFOX:
        return response.status_code, response.json()["errno"]
    return response.status_code, response.json()


MISSING = {
    CHROME: (401, "text/plain"),
    FIREFOX: (401, 109),
    SAFARI: (403, {"reason": "BadJwtToken"}),
}
INVALID = {
    CHROME: (403, "text/plain"),
    FIREFOX: (401, 109),
    SAFARI: (403, {"reason": "BadJwtToken"}),
}


@pytest.mark.parametrize("origin", [CHROME, FIREFOX, SAFARI])
@pytest.mark.parametrize("authorization", ["-", "key=AAAA-legacy-gcm-key"])
def test_a_restricted_subscription_without_vapid_is_refused_as_each_vendor_does(
    rig: Rig, origin: str, authorization: str
) -> None:
    endpoint = rig.subscribe(origin)["endpoint"]

    response = rig.post(endpoint, authorization=authorization)

    assert refused_as(response, origin) == MISSING[origin]
    assert rig.last_reason() == "MissingAuthorization"
    assert rig.browser.received == []


@pytest.mark.parametrize("origin", [CHROME, FIREFOX, SAFARI])
def test_a_wrong_audience_is_refused_as_each_vendor_does(rig: Rig, origin: str) -> None:
    endpoint = rig.subscribe(origin)["endpoint"]
    elsewhere = SAFARI if origin != SAFARI else CHROME

    response = rig.post(endpoint, authorization=rig.vapid(endpoint, aud=elsewhere))

    assert refused_as(response, origin) == INVALID[origin]
    assert rig.last_reason() == "BadJwtToken"


@pytest.mark.parametrize(
    ("exp", "named"),
    [
        (-1, "is not after"),
        (24 * 3600 + 1, "more than 24 hours"),
        ("tomorrow", "is not a Unix time"),
        (10**20, "more than 24 hours"),
        (-(10**20), "is not after"),
        (1e308, "more than 24 hours"),
    ],
)
def test_an_exp_past_beyond_24_hours_or_not_a_number_is_403_naming_it(
    rig: Rig, exp: int | float | str, named: str
) -> None:
    endpoint = rig.subscribe()["endpoint"]
    small = isinstance(exp, int) and abs(exp) < 10**6
    sent = rig.clock.timestamp() + exp if small else exp

    response = rig.post(endpoint, authorization=rig.vapid(endpoint, exp=sent))

    assert response.status_code == 403
    assert response.text.startswith(f"exp {sent!r} ")
    assert named in response.text


def test_an_exp_just_inside_24_hours_is_accepted(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    exp = rig.clock.timestamp() + 24 * 3600

    assert rig.post(endpoint, authorization=rig.vapid(endpoint, exp=exp)).is_success


def test_a_key_other_than_the_subscriptions_is_403(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    other = ec.generate_private_key(ec.SECP256R1())
    claims = {"aud": CHROME, "exp": rig.clock.timestamp() + 60, "sub": SUBJECT}
    token = jwt.encode(claims, other, "ES256")

    response = rig.post(
        endpoint, authorization=f"vapid t={token}, k={point(other.public_key())}"
    )

    assert response.status_code == 403
    assert "applicationServerKey" in response.text


def test_a_token_signed_by_another_key_than_k_is_403(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    other = ec.generate_private_key(ec.SECP256R1())
    claims = {"aud": CHROME, "exp": rig.clock.timestamp() + 60, "sub": SUBJECT}
    token = jwt.encode(claims, other, "ES256")
    key = rig.credentials.vapid_public_key

    response = rig.post(endpoint, authorization=f"vapid t={token}, k={key}")

    assert response.status_code == 403
    assert "does not verify" in response.text


@pytest.mark.parametrize("drop", ["t", "k"])
def test_a_vapid_header_without_t_or_k_is_403(rig: Rig, drop: str) -> None:
    endpoint = rig.subscribe()["endpoint"]
    parts = dict(p.split("=", 1) for p in rig.vapid(endpoint)[6:].split(", "))
    del parts[drop]
    header = "vapid " + ", ".join(f"{k}={v}" for k, v in parts.items())

    response = rig.post(endpoint, authorization=header)

    assert response.status_code == 403
    assert "lacks" in response.text


@pytest.mark.parametrize(
    ("origin", "sub", "status"),
    [
        (SAFARI, "ops", 403),
        (SAFARI, "mailto:ops@localhost", 403),
        (SAFARI, "https://shop.example", 201),
        (SAFARI, None, 403),
        (FIREFOX, None, 401),
        (FIREFOX, "ops", 201),
        (CHROME, None, 201),
    ],
)
def test_each_vendor_reads_the_sub_claim_as_strictly_as_it_does(
    rig: Rig, origin: str, sub: str | None, status: int
) -> None:
    endpoint = rig.subscribe(origin)["endpoint"]
    token = rig.vapid(endpoint, sub=sub) if sub else unsubjected(rig, endpoint)

    response = rig.post(endpoint, authorization=token)

    assert response.status_code == status


def unsubjected(rig: Rig, endpoint: str) -> str:
    claims = {"aud": endpoint.split("/")[0] + "//" + endpoint.split("/")[2]}
    claims["exp"] = rig.clock.timestamp() + 60
    token = jwt.encode(claims, rig.credentials.vapid_private_key_pem, "ES256")
    return f"vapid t={token}, k={rig.credentials.vapid_public_key}"


def legacy(rig: Rig, endpoint: str, **claims: Any) -> dict[str, str]:
    """Sign with py-vapid's draft scheme: WebPush <JWT> and Crypto-Key p256ecdsa."""
    vapid = Vapid01.from_pem(rig.credentials.vapid_private_key_pem.encode())
    signed = {"aud": endpoint.split("/wp/")[0], "sub": SUBJECT, **claims}
    with rig.clock:
        headers: dict[str, str] = vapid.sign(signed)
    return {
        "authorization": headers["Authorization"],
        "crypto_key": headers["Crypto-Key"],
    }


def test_the_draft_webpush_scheme_with_crypto_key_is_accepted(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    headers = legacy(rig, endpoint)

    response = rig.post(endpoint, **headers)

    assert headers["authorization"].startswith("WebPush ey")
    assert response.status_code == 201


def test_the_draft_webpush_scheme_without_its_key_is_403(rig: Rig) -> None:
    endpoint = rig.subscribe()["endpoint"]
    headers = legacy(rig, endpoint)

    response = rig.post(endpoint, authorization=headers["authorization"])

    assert response.status_code == 403
    assert "Crypto-Key: p256ecdsa=" in response.text


def test_draft_vapid_and_aesgcm_share_one_crypto_key_header(rig: Rig) -> None:
    subscription = rig.subscribe()
    endpoint = subscription["endpoint"]
    body, encryption = rig.encrypted(subscription, b"both drafts", "aesgcm")
    headers = legacy(rig, endpoint)
    # As pywebpush joins them: the VAPID key first, then the sender's dh key.
    headers["crypto_key"] += ";" + encryption.pop("crypto-key")

    response = rig.post(endpoint, body, **headers, **encryption)

    assert response.status_code == 201
    assert rig.browser.plaintexts == [b"both drafts"]


def test_served_endpoints_want_the_served_origin_as_audience(rig: Rig) -> None:
    service = rig.services.webpush
    service.served_at = "https://harness.test:8443"
    apps = {"harness.test": served(lambda: service)}
    rig.http = httpx.Client(transport=InProcessTransport(apps))
    endpoint = rig.subscribe(SAFARI)["endpoint"]

    vendor = rig.post(endpoint, authorization=rig.vapid(endpoint, aud=SAFARI))
    own = rig.post(endpoint)

    assert (vendor.status_code, own.status_code) == (403, 201)
