"""FCM tokens of Android, iOS and web apps: credentials, APNs rules, package names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.push.fcm import BadSetup
from tests.test_push_fcm import (
    PACKAGE,
    Rig,
    fcm_error,
    invalid,
    make_rig,
)

BUNDLE = "com.example.shop.ios"
DATA_ONLY_AT_10 = (
    "A data-only message to an iOS app must have apns-priority 5; priority 10 "
    "is for messages with a notification."
)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_ios_token_of_a_project_without_an_apns_key_is_third_party_auth_error(
    rig: Rig,
) -> None:
    iphone = rig.issue("ios", BUNDLE)

    response = rig.post({"token": iphone.token, "notification": {"title": "T"}})

    assert response.status_code == 401
    assert response.json() == fcm_error(
        401,
        "UNAUTHENTICATED",
        "Auth error from APNS or Web Push Service",
        "THIRD_PARTY_AUTH_ERROR",
    )
    [verdict] = rig.services.fcm.verdicts
    assert (verdict.reason, verdict.token_dead) == ("THIRD_PARTY_AUTH_ERROR", False)
    assert rig.provider_entries()[0].data["detail"] == (
        f"Project {rig.project} has no APNs key for its iOS app; call "
        f"FcmService.configure({rig.project!r}, apns_key=True)."
    )
    assert iphone.received == []


def test_uploading_an_apns_key_lets_ios_tokens_receive_alerts(rig: Rig) -> None:
    iphone = rig.issue("ios", BUNDLE)
    rig.services.fcm.configure(rig.project, apns_key=True)
    message = {"token": iphone.token, "notification": {"title": "T", "body": "B"}}

    response = rig.post({**message, "data": {"CIO-Delivery-ID": "dlv_3"}})

    assert response.status_code == 200
    [got] = iphone.received
    assert (got.push_type, got.priority, got.title, got.body) == (
        "alert",
        "high",
        "T",
        "B",
    )
    assert (got.token, got.delivery_id) == (iphone.token, "dlv_3")


def test_data_only_message_to_ios_at_priority_10_is_invalid_argument(
    rig: Rig,
) -> None:
    iphone = rig.issue("ios", BUNDLE)
    rig.services.fcm.configure(rig.project, apns_key=True)
    apns = {"headers": {"apns-priority": "10"}}

    response = rig.post({"token": iphone.token, "data": {"a": "b"}, "apns": apns})

    assert response.json() == invalid(DATA_ONLY_AT_10, "message.apns.headers")
    assert iphone.received == []


def test_the_same_data_only_message_to_android_is_accepted(rig: Rig) -> None:
    apns = {"headers": {"apns-priority": "10"}}

    response = rig.post({"token": rig.token, "data": {"a": "b"}, "apns": apns})

    assert response.status_code == 200


def test_data_only_message_to_ios_is_a_background_push_at_priority_5(
    rig: Rig,
) -> None:
    iphone = rig.issue("ios", BUNDLE)
    rig.services.fcm.configure(rig.project, apns_key=True)
    payload = {"aps": {"content-available": 1}, "CIO-Delivery-ID": "dlv_4"}

    response = rig.post(
        {"token": iphone.token, "data": {"a": "b"}, "apns": {"payload": payload}}
    )

    assert response.status_code == 200
    [got] = iphone.received
    assert (got.push_type, got.priority, got.delivery_id) == (
        "background",
        "normal",
        "dlv_4",
    )
    assert got.data == {"CIO-Delivery-ID": "dlv_4", "a": "b"}


def test_aps_alert_counts_as_a_notification_and_takes_apns_headers(
    rig: Rig,
) -> None:
    iphone = rig.issue("ios", BUNDLE)
    rig.services.fcm.configure(rig.project, apns_key=True)
    apns = {
        "headers": {
            "apns-priority": "10",
            "APNs-Collapse-Id": "sale",
            "apns-expiration": "1900000000",
        },
        "payload": {"aps": {"alert": {"title": "iOS title", "body": "iOS body"}}},
    }

    response = rig.post({"token": iphone.token, "apns": apns})

    assert response.status_code == 200
    [got] = iphone.received
    assert (got.push_type, got.title, got.body, got.collapse_id) == (
        "alert",
        "iOS title",
        "iOS body",
        "sale",
    )
    assert got.expires_at == datetime.fromtimestamp(1_900_000_000, UTC)


def test_validate_only_to_ios_does_not_reach_apns(rig: Rig) -> None:
    iphone = rig.issue("ios", BUNDLE)

    response = rig.post({"token": iphone.token, "data": {}}, validate_only=True)

    assert response.status_code == 200


def test_web_token_needs_the_projects_web_credentials(rig: Rig) -> None:
    browser = rig.issue("web", "https://shop.example")
    rig.services.fcm.configure(rig.project, web_credentials=False)

    refused = rig.post({"token": browser.token, "data": {"a": "b"}})
    rig.services.fcm.configure(rig.project, web_credentials=True)
    accepted = rig.post({"token": browser.token, "data": {"a": "b"}})

    assert error_code(refused.json()) == "THIRD_PARTY_AUTH_ERROR"
    assert accepted.status_code == 200


def test_web_token_receives_the_webpush_view_of_the_message(rig: Rig) -> None:
    browser = rig.issue("web", "https://shop.example")
    webpush = {
        "headers": {"Urgency": "high", "TTL": "60", "Topic": "sale"},
        "data": {"CIO-Delivery-ID": "dlv_5"},
        "notification": {"title": "Web title", "requireInteraction": True},
    }
    message = {"notification": {"title": "T", "body": "B"}, "webpush": webpush}

    response = rig.post({"token": browser.token, **message})

    assert response.status_code == 200
    [got] = browser.received
    assert (got.push_type, got.title, got.body, got.priority) == (
        "notification",
        "Web title",
        "B",
        "high",
    )
    assert (got.collapse_id, got.delivery_id) == ("sale", "dlv_5")
    assert got.expires_at == rig.clock.now() + timedelta(seconds=60)


def test_restricted_package_name_must_be_the_tokens_app(rig: Rig) -> None:
    android = {"restricted_package_name": "com.example.other"}

    refused = rig.post(rig.message(android=android))
    accepted = rig.post(rig.message(android={"restricted_package_name": PACKAGE}))

    assert refused.json() == invalid(
        "The restricted_package_name does not match the package name of the app "
        "the registration token belongs to.",
        "message.android.restricted_package_name",
    )
    assert accepted.status_code == 200
    assert rig.provider_entries()[0].data["detail"] == (
        f"restricted_package_name 'com.example.other' is not {PACKAGE!r}, the "
        "token's app; send the token's package name or leave it out."
    )


def test_restricted_package_name_is_not_compared_for_ios(rig: Rig) -> None:
    iphone = rig.issue("ios", BUNDLE)
    rig.services.fcm.configure(rig.project, apns_key=True)
    android = {"restricted_package_name": "com.example.other"}

    response = rig.post({"token": iphone.token, "android": android, "data": {}})

    assert response.status_code == 200


def test_android_callers_keep_the_old_issue_token_signature(rig: Rig) -> None:
    token = rig.services.fcm.issue_token(rig.project, PACKAGE, rig.phone)

    response = rig.post({"token": token, "data": {}})

    assert response.status_code == 200


def test_unknown_platform_names_the_known_ones(rig: Rig) -> None:
    with pytest.raises(BadSetup, match="android, ios, web apps, not to 'tvos'"):
        rig.services.fcm.issue_token(rig.project, PACKAGE, rig.phone, platform="tvos")


def error_code(body: dict[str, object]) -> object:
    error = body["error"]
    assert isinstance(error, dict)
    return error["details"][0]["errorCode"]
