"""Wire tests of the emulated FCM HTTP v1 API, through the in-process transport.

The rig here is shared by the other ``test_push_fcm_*`` modules: each builds
its own fixture from :func:`make_rig`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Entry, Journal
from harness.push import (
    Credentials,
    FcmClient,
    OutboundPush,
    PushServices,
)
from harness.transport import InProcessTransport
from tests.endpoints import Receiver

PACKAGE = "com.example.shop"
FCM = "https://fcm.googleapis.com"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"
NOT_FOUND = "Requested entity was not found."


@dataclass
class Phone(Receiver):
    """A stand-in device that keeps what FCM hands it."""


@dataclass
class Rig:
    clock: Clock
    journal: Journal
    services: PushServices
    credentials: Credentials
    http: httpx.Client
    phone: Phone
    token: str

    @property
    def project(self) -> str:
        return self.credentials.fcm_project_id

    def client(self) -> FcmClient:
        c = self.credentials
        return FcmClient(self.http, c.fcm_project_id, c.fcm_access_token)

    def issue(self, platform: str = "android", package: str = PACKAGE) -> Phone:
        """Issue a token to a new stand-in device; it is kept on ``phone.token``."""
        phone = TokenPhone()
        fcm = self.services.fcm
        phone.token = fcm.issue_token(self.project, package, phone, platform=platform)
        return phone

    def post(
        self,
        message: dict[str, Any],
        project: str | None = None,
        access_token: str | None = "default",
        **document: Any,
    ) -> httpx.Response:
        body = json.dumps({"message": message, **document}).encode()
        return self.post_raw(body, project, access_token)

    def post_raw(
        self,
        body: bytes,
        project: str | None = None,
        access_token: str | None = "default",
    ) -> httpx.Response:
        if access_token == "default":
            access_token = self.credentials.fcm_access_token
        headers = {"authorization": f"Bearer {access_token}"} if access_token else {}
        url = f"{FCM}/v1/projects/{project or self.project}/messages:send"
        return self.http.post(url, headers=headers, content=body)

    def message(self, **fields: Any) -> dict[str, Any]:
        return {"token": self.token, "data": {"CIO-Delivery-ID": "dlv_9"}, **fields}

    def provider_entries(self) -> list[Entry]:
        return [e for e in self.journal if e.layer == "provider"]


@dataclass
class TokenPhone(Phone):
    """A stand-in device that also remembers the token it was issued."""

    token: str = ""


def make_rig() -> Rig:
    clock, ids, journal = Clock(), Ids(11), Journal()
    services = PushServices(clock, ids, journal)
    credentials = Credentials.generate(ids)
    services.provision(credentials)
    http = httpx.Client(transport=InProcessTransport(services.hosts()))
    phone = Phone()
    token = services.fcm.issue_token(credentials.fcm_project_id, PACKAGE, phone)
    return Rig(clock, journal, services, credentials, http, phone, token)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def push(token: str) -> OutboundPush:
    return OutboundPush(
        "dlv_1", token, "android", "Sale", "Half off", link="shop://sale",
        image_url="https://img.example/sale.png", custom_data={"k": "v"},
    )  # fmt: skip


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def fcm_error(
    status: int, google_status: str, message: str, code: str, *extra: Any
) -> dict[str, Any]:
    """Build the body FCM answers for an FcmError ``code``, with extra details."""
    details = [{"@type": FCM_ERROR, "errorCode": code}, *extra]
    error = {"code": status, "message": message, "status": google_status}
    return {"error": {**error, "details": details}}


def invalid(message: str, field: str | None = None) -> dict[str, Any]:
    """Build FCM's INVALID_ARGUMENT body for ``message``, naming ``field``."""
    if field is None:
        return fcm_error(400, "INVALID_ARGUMENT", message, "INVALID_ARGUMENT")
    violation = {"field": field, "description": message}
    bad = {"@type": BAD_REQUEST, "fieldViolations": [violation]}
    return fcm_error(400, "INVALID_ARGUMENT", message, "INVALID_ARGUMENT", bad)


def unmapped(*violations: tuple[str, str]) -> dict[str, Any]:
    """Build Google's front-end body for JSON it cannot map: no FcmError."""
    fields = [
        {"field": f, "description": d} if f else {"description": d}
        for f, d in violations
    ]
    return {
        "error": {
            "code": 400,
            "message": "\n".join(d for _, d in violations),
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": BAD_REQUEST, "fieldViolations": fields}],
        }
    }


def test_tokens_have_fcms_shape(rig: Rig) -> None:
    fid, _, rest = rig.token.partition(":")

    assert len(fid) == 22
    assert rest.startswith("APA91b") and len(rest) == 140


def test_data_message_reaches_the_device_as_customer_io_sends_it(rig: Rig) -> None:
    verdict = rig.client().send(push(rig.token))

    assert (verdict.accepted, verdict.status) == (True, 200)
    assert verdict.message_id and verdict.message_id.startswith(
        f"projects/{rig.project}/messages/0:"
    )
    [got] = rig.phone.received
    assert (got.push_type, got.priority, got.title) == ("data", "high", None)
    assert got.data["title"] == "Sale" and got.data["body"] == "Half off"
    assert got.data["link"] == "shop://sale"
    assert got.data["image"] == "https://img.example/sale.png"
    assert got.data["CIO-Delivery-Token"] == rig.token
    assert (got.delivery_id, got.data["k"]) == ("dlv_1", "v")


def test_success_body_is_only_the_message_name(rig: Rig) -> None:
    response = rig.post(rig.message())

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert list(response.json()) == ["name"]


def test_notification_message_defaults_to_high_priority_and_takes_ttl(
    rig: Rig,
) -> None:
    message = rig.message(
        notification={"title": "T", "body": "B"},
        android={"ttl": "3600s", "collapseKey": "sale"},
    )

    response = rig.post(message)

    assert response.status_code == 200
    [got] = rig.phone.received
    assert (got.push_type, got.priority, got.title, got.body) == (
        "notification",
        "high",
        "T",
        "B",
    )
    assert got.collapse_id == "sale"
    assert got.expires_at == rig.clock.now() + timedelta(hours=1)


def test_data_message_defaults_to_normal_priority_and_four_weeks(rig: Rig) -> None:
    rig.post(rig.message())

    [got] = rig.phone.received
    assert (got.push_type, got.priority) == ("data", "normal")
    assert got.expires_at == rig.clock.now() + timedelta(weeks=4)


def test_unregistered_after_uninstall_answers_fcms_exact_body(rig: Rig) -> None:
    uninstalled_at = rig.clock.now()
    rig.services.fcm.unregister(rig.token)

    response = rig.post(rig.message())
    verdict = rig.client().send(push(rig.token))

    assert response.status_code == 404
    assert response.json() == fcm_error(404, "NOT_FOUND", NOT_FOUND, "UNREGISTERED")
    assert (verdict.reason, verdict.token_dead) == ("UNREGISTERED", True)
    assert rig.services.fcm.verdicts[0].dead_since == uninstalled_at
    assert "uninstalled or its data cleared" in rig.provider_entries()[0].data["detail"]
    assert rig.phone.received == []


def test_unregister_with_lag_keeps_accepting_until_the_lag_passes(rig: Rig) -> None:
    rig.services.fcm.unregister(rig.token, lag=timedelta(hours=6))

    early = rig.client().send(push(rig.token))
    rig.clock.advance(hours=6)
    late = rig.client().send(push(rig.token))

    assert (early.status, late.status, late.reason) == (200, 404, "UNREGISTERED")
    # The phone gets the early one and judges it: the install is gone.
    assert [n.token for n in rig.phone.received] == [rig.token]


def test_sender_id_mismatch_answers_fcms_exact_body(rig: Rig) -> None:
    rig.services.fcm.register_project("other-app", "999", "ya29.other")
    foreign = rig.services.fcm.issue_token("other-app", PACKAGE, Phone())

    response = rig.post(rig.message(token=foreign))

    assert response.status_code == 403
    assert response.json() == fcm_error(
        403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"
    )


@pytest.mark.parametrize(
    ("access_token", "text"),
    [
        (None, "Request is missing required authentication credential."),
        ("ya29.wrong", "Request had invalid authentication credentials."),
    ],
)
def test_missing_or_unknown_access_token_is_googles_401(
    rig: Rig, access_token: str | None, text: str
) -> None:
    response = rig.post(rig.message(), access_token=access_token)

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": 401,
            "message": f"{text} Expected OAuth 2 access token, login cookie or "
            "other valid authentication credential.",
            "status": "UNAUTHENTICATED",
        }
    }


def test_access_token_of_another_project_is_permission_denied(rig: Rig) -> None:
    rig.services.fcm.register_project("other-app", "999", "ya29.other")

    response = rig.post(rig.message(), project="other-app")

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": 403,
            "message": "Permission 'cloudmessaging.messages.create' denied on "
            "resource '//cloudresourcemanager.googleapis.com/projects/other-app' "
            "(or it may not exist).",
            "status": "PERMISSION_DENIED",
        }
    }


def test_project_may_be_named_by_its_number(rig: Rig) -> None:
    response = rig.post(rig.message(), project=rig.credentials.fcm_sender_id)

    assert response.status_code == 200


def test_validate_only_delivers_nothing(rig: Rig) -> None:
    response = rig.post(rig.message(), validate_only=True)

    assert response.json() == {
        "name": f"projects/{rig.project}/messages/fake_message_id"
    }
    assert rig.phone.received == []


def test_validate_only_still_tells_a_dead_token(rig: Rig) -> None:
    rig.services.fcm.unregister(rig.token)

    response = rig.post(rig.message(), validate_only=True)

    assert response.status_code == 404
    assert error_of(response)["details"][0]["errorCode"] == "UNREGISTERED"


def test_every_verdict_is_journaled_with_the_delivery_id(rig: Rig) -> None:
    rig.post(rig.message())
    rig.post(rig.message(data={"CIO-Delivery-ID": "dlv_9", "n": 1}))

    entries = rig.provider_entries()
    assert [e.text for e in entries] == [
        f"FCM 200 accepted for token {rig.token[:12]}…",
        f"FCM 400 INVALID_ARGUMENT for token {rig.token[:12]}…",
    ]
    assert {e.delivery_id for e in entries} == {"dlv_9"}
    assert [v.reason for v in rig.services.fcm.verdicts] == [None, "INVALID_ARGUMENT"]


def test_unknown_path_names_nearest_routes(rig: Rig) -> None:
    response = rig.http.post(f"{FCM}/v1/projects/{rig.project}/messages:sned")

    assert response.status_code == 404
    error = error_of(response)
    assert error["status"] == "NOT_FOUND"
    assert f"POST /v1/projects/{rig.project}/messages:sned" in error["message"]
    assert "POST /v1/projects/{project}/messages:send" in error["message"]


def test_deeply_nested_body_is_json_google_cannot_read(rig: Rig) -> None:
    body = b'{"message":{"data":' + b"[" * 1000 + b"]" * 1000 + b"}}"

    response = rig.post_raw(body)

    assert response.json() == unmapped(
        (
            "",
            "Invalid JSON payload received. The body is not JSON: it nests too "
            "deeply, past 100 levels.",
        )
    )
    assert rig.phone.received == []


def test_nesting_within_the_limit_is_accepted(rig: Rig) -> None:
    deep: Any = "x"
    for _ in range(90):
        deep = [deep]

    response = rig.post(rig.message(apns={"payload": {"aps": deep}}))

    assert response.status_code == 200


def test_string_with_a_lone_surrogate_is_invalid_argument(rig: Rig) -> None:
    response = rig.post_raw(b'{"message":{"token":"t","data":{"k":"\\ud800"}}}')

    assert error_of(response)["status"] == "INVALID_ARGUMENT"
    assert "surrogate" in error_of(response)["message"]


@pytest.mark.parametrize("ttl", ["100000000000000s", "9" * 30 + "s", "2419201s"])
def test_ttl_beyond_four_weeks_of_any_length_is_cut_to_four_weeks(
    rig: Rig, ttl: str
) -> None:
    response = rig.post(rig.message(android={"ttl": ttl}))

    assert response.status_code == 200
    [got] = rig.phone.received
    assert got.expires_at == rig.clock.now() + timedelta(weeks=4)


def test_message_over_4096_utf8_bytes_answers_fcms_too_big_body(rig: Rig) -> None:
    fits = rig.post(rig.message(data={"k": "é" * 1500}))
    too_big = rig.post(rig.message(data={"k": "é" * 2100}))

    assert fits.status_code == 200
    assert too_big.json() == invalid("Request contains an invalid argument.")
    size = len('{"data":{"k":""}}') + 2 * 2100
    assert rig.provider_entries()[-1].data["detail"] == (
        f"Message is too big: the message is {size} bytes, FCM takes at most "
        "4096. Send less data."
    )


def test_message_of_exactly_4096_bytes_is_accepted(rig: Rig) -> None:
    padding = 4096 - len('{"data":{"k":""}}')

    response = rig.post({"token": rig.token, "data": {"k": "x" * padding}})

    assert response.status_code == 200


@pytest.mark.parametrize("value", ["yes", 1, "true", {}])
def test_non_boolean_validate_only_is_refused_and_sends_nothing(
    rig: Rig, value: object
) -> None:
    response = rig.post(rig.message(), validate_only=value)

    shown = json.dumps(value)
    assert response.json() == unmapped(
        ("validate_only", f"Invalid value at 'validate_only' (TYPE_BOOL), {shown}")
    )
    assert rig.phone.received == []
