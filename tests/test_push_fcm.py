"""Wire tests of the emulated FCM HTTP v1 API, through the in-process transport."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
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


@dataclass
class Phone(Receiver):
    """A stand-in Android device that keeps what FCM hands it."""


@dataclass
class Rig:
    clock: Clock
    journal: Journal
    services: PushServices
    credentials: Credentials
    http: httpx.Client
    phone: Phone
    token: str

    def client(self) -> FcmClient:
        c = self.credentials
        return FcmClient(self.http, c.fcm_project_id, c.fcm_access_token)

    def post(
        self,
        message: dict[str, Any],
        project: str | None = None,
        access_token: str | None = "default",
        **document: Any,
    ) -> httpx.Response:
        if access_token == "default":
            access_token = self.credentials.fcm_access_token
        headers = {"authorization": f"Bearer {access_token}"} if access_token else {}
        project = project or self.credentials.fcm_project_id
        url = f"{FCM}/v1/projects/{project}/messages:send"
        body = json.dumps({"message": message, **document}).encode()
        return self.http.post(url, headers=headers, content=body)

    def message(self, **fields: Any) -> dict[str, Any]:
        return {"token": self.token, "data": {"CIO-Delivery-ID": "dlv_9"}, **fields}


@pytest.fixture
def rig() -> Rig:
    clock, ids, journal = Clock(), Ids(11), Journal()
    services = PushServices(clock, ids, journal)
    credentials = Credentials.generate(ids)
    services.provision(credentials)
    http = httpx.Client(transport=InProcessTransport(services.hosts()))
    phone = Phone()
    token = services.fcm.issue_token(credentials.fcm_project_id, PACKAGE, phone)
    return Rig(clock, journal, services, credentials, http, phone, token)


def push(token: str) -> OutboundPush:
    return OutboundPush(
        "dlv_1", token, "android", "Sale", "Half off", link="shop://sale",
        image_url="https://img.example/sale.png", custom_data={"k": "v"},
    )  # fmt: skip


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_tokens_have_fcms_shape(rig: Rig) -> None:
    fid, _, rest = rig.token.partition(":")

    assert len(fid) == 22
    assert rest.startswith("APA91b") and len(rest) == 140


def test_data_message_reaches_the_device_as_customer_io_sends_it(rig: Rig) -> None:
    verdict = rig.client().send(push(rig.token))

    assert (verdict.accepted, verdict.status) == (True, 200)
    project = rig.credentials.fcm_project_id
    assert verdict.message_id and verdict.message_id.startswith(
        f"projects/{project}/messages/0:"
    )
    [got] = rig.phone.received
    assert (got.push_type, got.priority, got.title) == ("data", "high", None)
    assert got.data["title"] == "Sale" and got.data["body"] == "Half off"
    assert got.data["link"] == "shop://sale"
    assert got.data["image"] == "https://img.example/sale.png"
    assert got.data["CIO-Delivery-Token"] == rig.token
    assert (got.delivery_id, got.data["k"]) == ("dlv_1", "v")


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


def test_fcm_unregistered_after_uninstall_has_fcm_error_details(rig: Rig) -> None:
    rig.services.fcm.unregister(rig.token)

    response = rig.post(rig.message())
    verdict = rig.client().send(push(rig.token))

    assert response.status_code == 404
    error = error_of(response)
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    assert error["details"] == [{"@type": FCM_ERROR, "errorCode": "UNREGISTERED"}]
    assert (verdict.reason, verdict.token_dead) == ("UNREGISTERED", True)
    assert rig.phone.received == []


def test_unregister_with_lag_keeps_accepting_until_the_lag_passes(rig: Rig) -> None:
    rig.services.fcm.unregister(rig.token, lag=timedelta(hours=6))

    early = rig.client().send(push(rig.token))
    rig.clock.advance(hours=6)
    late = rig.client().send(push(rig.token))

    assert (early.status, late.status, late.reason) == (200, 404, "UNREGISTERED")
    assert rig.phone.received == []


def test_fcm_sender_id_mismatch(rig: Rig) -> None:
    rig.services.fcm.register_project("other-app", "999", "ya29.other")
    foreign = rig.services.fcm.issue_token("other-app", PACKAGE, Phone())

    response = rig.post(rig.message(token=foreign))

    assert response.status_code == 403
    error = error_of(response)
    assert error["status"] == "PERMISSION_DENIED"
    assert error["details"][0]["errorCode"] == "SENDER_ID_MISMATCH"


def test_fcm_data_values_must_be_strings(rig: Rig) -> None:
    response = rig.post(rig.message(data={"count": 3}))

    assert response.status_code == 400
    error = error_of(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0] == {"@type": FCM_ERROR, "errorCode": "INVALID_ARGUMENT"}
    violation = error["details"][1]["fieldViolations"][0]
    assert violation["field"] == "message.data[count]"
    assert "must be strings" in error["message"]


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"topic": "news"}, "message"),
        ({"token": "1a2b3c" * 10}, "message.token"),
        ({"data": {"google.sent": "x"}}, "message.data[google.sent]"),
        ({"android": {"priority": "URGENT"}}, "message.android.priority"),
        ({"android": {"ttl": "1h"}}, "message.android.ttl"),
        ({"android": {"ttl": "-1s"}}, "message.android.ttl"),
        ({"android": {"ttl": "\u0663s"}}, "message.android.ttl"),
        ({"android": {"ttl": 3600}}, "message.android.ttl"),
        (
            {"android": {"notification": {"colour": "red"}}},
            "message.android.notification",
        ),
        ({"android": {"notification": "red"}}, "message.android.notification"),
        ({"colour": "red"}, "message"),
        ({"data": {"pad": "x" * 4100}}, "message"),
    ],
)
def test_malformed_messages_are_invalid_argument(
    rig: Rig, fields: dict[str, Any], field_name: str
) -> None:
    response = rig.post(rig.message(**fields))

    assert response.status_code == 400
    error = error_of(response)
    assert error["details"][0]["errorCode"] == "INVALID_ARGUMENT"
    assert error["details"][1]["fieldViolations"][0]["field"] == field_name
    assert rig.phone.received == []


def test_body_that_is_not_json_is_invalid_argument(rig: Rig) -> None:
    url = f"{FCM}/v1/projects/{rig.credentials.fcm_project_id}/messages:send"
    headers = {"authorization": f"Bearer {rig.credentials.fcm_access_token}"}

    response = rig.http.post(url, headers=headers, content=b"{not json")

    assert error_of(response)["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("access_token", [None, "ya29.wrong"])
def test_missing_or_unknown_access_token_is_401(
    rig: Rig, access_token: str | None
) -> None:
    response = rig.post(rig.message(), access_token=access_token)

    assert response.status_code == 401
    assert error_of(response)["status"] == "UNAUTHENTICATED"
    assert "details" not in error_of(response)


def test_access_token_of_another_project_is_permission_denied(rig: Rig) -> None:
    rig.services.fcm.register_project("other-app", "999", "ya29.other")

    response = rig.post(rig.message(), project="other-app")

    assert response.status_code == 403
    assert error_of(response)["status"] == "PERMISSION_DENIED"


def test_project_may_be_named_by_its_number(rig: Rig) -> None:
    response = rig.post(rig.message(), project=rig.credentials.fcm_sender_id)

    assert response.status_code == 200


def test_validate_only_delivers_nothing(rig: Rig) -> None:
    response = rig.post(rig.message(), validate_only=True)

    assert response.status_code == 200
    assert response.json()["name"].endswith("/messages/fake_message_id")
    assert rig.phone.received == []


def test_topic_send_is_accepted_but_reaches_no_device(rig: Rig) -> None:
    response = rig.post({"topic": "news", "data": {"a": "b"}})

    assert response.status_code == 200
    assert rig.phone.received == []
    [entry] = [e for e in rig.journal if e.layer == "provider"]
    assert "reach no device" in entry.text


def test_every_verdict_is_journaled_with_the_delivery_id(rig: Rig) -> None:
    rig.post(rig.message())
    rig.post(rig.message(data={"CIO-Delivery-ID": "dlv_9", "n": 1}))

    entries = [e for e in rig.journal if e.layer == "provider"]
    assert [e.text for e in entries] == [
        f"FCM 200 accepted for token {rig.token[:12]}…",
        f"FCM 400 INVALID_ARGUMENT for token {rig.token[:12]}…",
    ]
    assert {e.delivery_id for e in entries} == {"dlv_9"}
    assert [v.reason for v in rig.services.fcm.verdicts] == [None, "INVALID_ARGUMENT"]


def test_unknown_path_names_nearest_routes(rig: Rig) -> None:
    project = rig.credentials.fcm_project_id

    response = rig.http.post(f"{FCM}/v1/projects/{project}/messages:sned")

    assert response.status_code == 404
    error = error_of(response)
    assert error["status"] == "NOT_FOUND"
    assert f"POST /v1/projects/{project}/messages:sned" in error["message"]
    assert "POST /v1/projects/{project}/messages:send" in error["message"]


def post_raw(rig: Rig, body: bytes) -> httpx.Response:
    url = f"{FCM}/v1/projects/{rig.credentials.fcm_project_id}/messages:send"
    headers = {"authorization": f"Bearer {rig.credentials.fcm_access_token}"}
    return rig.http.post(url, headers=headers, content=body)


def test_deeply_nested_body_is_invalid_argument(rig: Rig) -> None:
    body = b'{"message":{"data":' + b"[" * 1000 + b"]" * 1000 + b"}}"

    response = post_raw(rig, body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert "nests too deeply, past 100 levels" in error["message"]
    assert rig.phone.received == []


def test_nesting_within_the_limit_is_accepted(rig: Rig) -> None:
    deep: Any = "x"
    for _ in range(90):
        deep = [deep]

    response = rig.post(rig.message(apns={"payload": {"aps": deep}}))

    assert response.status_code == 200


def test_string_with_a_lone_surrogate_is_invalid_argument(rig: Rig) -> None:
    response = post_raw(rig, b'{"message":{"token":"t","data":{"k":"\\ud800"}}}')

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


def test_message_size_counts_utf8_bytes(rig: Rig) -> None:
    fits = rig.post(rig.message(data={"k": "é" * 1500}))
    too_big = rig.post(rig.message(data={"k": "é" * 2100}))

    assert fits.status_code == 200
    size = len('{"data":{"k":""}}') + 2 * 2100
    assert error_of(too_big)["message"] == (
        f"Message is too big: {size} bytes, limit 4096."
    )


@pytest.mark.parametrize("value", ["yes", 1, "true", {}])
def test_non_boolean_validate_only_is_invalid_argument_and_sends_nothing(
    rig: Rig, value: object
) -> None:
    response = rig.post(rig.message(), validate_only=value)

    assert response.status_code == 400
    violation = error_of(response)["details"][1]["fieldViolations"][0]
    assert violation["field"] == "validate_only"
    assert rig.phone.received == []


def test_known_android_notification_fields_in_either_spelling_are_accepted(
    rig: Rig,
) -> None:
    notification = {"channelId": "sales", "click_action": "OPEN", "title": "T"}

    response = rig.post(rig.message(android={"notification": notification}))

    assert response.status_code == 200
