"""The FCM v1 message shape on the wire: fields, types, targets and FCM's checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.test_push_fcm import (
    BAD_REQUEST,
    PACKAGE,
    Phone,
    Rig,
    invalid,
    make_rig,
    unmapped,
)

BAD_TOKEN = "The registration token is not a valid FCM registration token"
PRIORITY = "type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority"
DURATION = "type.googleapis.com/google.protobuf.Duration"


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_data_value_that_is_not_a_string_answers_the_documented_body(
    rig: Rig,
) -> None:
    response = rig.post({"token": rig.token, "data": {"count": 12}})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": 400,
            "message": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": BAD_REQUEST,
                    "fieldViolations": [
                        {
                            "field": "message.data[0].value",
                            "description": "Invalid value at "
                            "'message.data[0].value' (TYPE_STRING), 12",
                        }
                    ],
                }
            ],
        }
    }


@pytest.mark.parametrize(
    ("fields", "name", "where"),
    [
        ({"colour": "red"}, "colour", "message"),
        (
            {"android": {"notification": {"colour": "red"}}},
            "colour",
            "message.android.notification",
        ),
        ({"apns": {"header": {}}}, "header", "message.apns"),
        (
            {"webpush": {"fcm_options": {"url": "x"}}},
            "url",
            "message.webpush.fcm_options",
        ),
        (
            {"android": {"fcmOptions": {"label": "x"}}},
            "label",
            "message.android.fcm_options",
        ),
    ],
)
def test_unknown_field_is_refused_before_fcm_reads_the_message(
    rig: Rig, fields: dict[str, Any], name: str, where: str
) -> None:
    response = rig.post(rig.message(**fields))

    text = (
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': "
        "Cannot find field."
    )
    assert response.json() == unmapped((where, text))
    assert rig.phone.received == []


def test_unknown_name_at_the_top_names_no_field(rig: Rig) -> None:
    response = rig.post(rig.message(), dry_run=True)

    assert response.json() == unmapped(
        (
            "",
            'Invalid JSON payload received. Unknown name "dry_run": Cannot find field.',
        )
    )


def test_every_unmappable_field_is_reported_at_once(rig: Rig) -> None:
    response = rig.post(rig.message(colour="red", android={"priority": "URGENT"}))

    assert response.json() == unmapped(
        (
            "message",
            "Invalid JSON payload received. Unknown name \"colour\" at 'message': "
            "Cannot find field.",
        ),
        (
            "message.android.priority",
            f"Invalid value at 'message.android.priority' ({PRIORITY}), \"URGENT\"",
        ),
    )


@pytest.mark.parametrize(
    ("ttl", "text"),
    [
        ("1h", "Field 'ttl', Illegal duration format"),
        ("-1.5h", "Field 'ttl', Illegal duration format"),
        ("\u0663s", "Field 'ttl', Illegal duration format"),
        (3600, "3600"),
    ],
)
def test_ttl_that_is_not_a_duration_answers_googles_wording(
    rig: Rig, ttl: object, text: str
) -> None:
    response = rig.post(rig.message(android={"ttl": ttl}))

    where = "message.android.ttl"
    assert response.json() == unmapped(
        (where, f"Invalid value at '{where}' ({DURATION}), {text}")
    )


def test_negative_ttl_is_refused_by_fcm(rig: Rig) -> None:
    response = rig.post(rig.message(android={"ttl": "-1s"}))

    assert response.json() == invalid(
        "Invalid value at 'message.android.ttl': the TTL is negative; give "
        'seconds from "0s" (now or never) to "2419200s" (four weeks).',
        "message.android.ttl",
    )


def test_object_given_a_string_names_the_message_type(rig: Rig) -> None:
    response = rig.post(rig.message(android={"notification": "red"}))

    where = "message.android.notification"
    kind = "type.googleapis.com/google.firebase.fcm.v1.AndroidNotification"
    assert response.json() == unmapped(
        (where, f"Invalid value at '{where}' ({kind}), \"red\"")
    )


def test_list_in_a_field_that_does_not_repeat(rig: Rig) -> None:
    response = rig.post(rig.message(notification=[{"title": "T"}]))

    assert response.json() == unmapped(
        (
            "message",
            'Invalid JSON payload received. Unknown name "notification" at '
            "'message': Proto field is not repeating, cannot start list.",
        )
    )


def test_second_target_is_refused_as_a_oneof(rig: Rig) -> None:
    response = rig.post(rig.message(topic="news"))

    assert response.json() == unmapped(
        (
            "message",
            "Invalid JSON payload received. Oneof field 'target' is already set. "
            "Cannot set 'topic'",
        )
    )


def test_message_without_a_target_answers_recipient_not_set(rig: Rig) -> None:
    response = rig.post({"data": {"a": "b"}})

    assert response.json() == invalid("Recipient of the message is not set.", "message")


@pytest.mark.parametrize("token", ["1a2b3c" * 10, "", "APA91b-short"])
def test_malformed_token_answers_the_documented_text(rig: Rig, token: str) -> None:
    response = rig.post(rig.message(token=token))

    assert response.json() == invalid(BAD_TOKEN, "message.token")


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ("data", "from"),
        ("data", "message_type"),
        ("data", "google.sent_time"),
        ("data", "gcm.notification.title"),
        ("data", "gcm.n.e"),
        ("android", "from"),
    ],
)
def test_reserved_data_keys_are_refused(rig: Rig, where: str, key: str) -> None:
    data = {key: "x"}
    fields = {"data": data} if where == "data" else {"android": {"data": data}}

    response = rig.post(rig.message(**fields))

    field = "message.data" if where == "data" else "message.android.data"
    assert response.json() == invalid(f"Invalid data payload key: {key}", field)


def test_keys_that_only_resemble_reserved_ones_are_accepted(rig: Rig) -> None:
    data = {"fromage": "brie", "google": "x", "gcm": "y", "message_types": "z"}

    response = rig.post({"token": rig.token, "data": data})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        (
            {"fcm_options": {"analytics_label": "spring sale!"}},
            "message.fcm_options.analytics_label",
            "Analytics label 'spring sale!' must be 1 to 50 characters of letters, "
            "digits and -_.~%.",
        ),
        (
            {"android": {"fcm_options": {"analytics_label": "x" * 51}}},
            "message.android.fcm_options.analytics_label",
            f"Analytics label {'x' * 51!r} must be 1 to 50 characters of letters, "
            "digits and -_.~%.",
        ),
        (
            {"android": {"notification": {"color": "red"}}},
            "message.android.notification.color",
            "Color 'red' must be in the form #rrggbb.",
        ),
        (
            {"webpush": {"fcm_options": {"link": "http://shop.example/sale"}}},
            "message.webpush.fcm_options.link",
            "Link 'http://shop.example/sale' must be an https URL.",
        ),
    ],
)
def test_option_values_fcm_checks(
    rig: Rig, fields: dict[str, Any], field: str, text: str
) -> None:
    response = rig.post(rig.message(**fields))

    assert response.json() == invalid(text, field)


def test_full_android_message_in_both_spellings_reaches_the_device(rig: Rig) -> None:
    message = {
        "token": rig.token,
        "notification": {"title": "Sale", "body": "Half off", "image": "https://i"},
        "data": {"CIO-Delivery-ID": "dlv_1"},
        "android": {
            "collapseKey": "sale",
            "priority": "high",
            "ttl": "120.5s",
            "restricted_package_name": PACKAGE,
            "data": {"CIO-Delivery-ID": "dlv_2", "link": "shop://sale"},
            "notification": {
                "title": "Android sale",
                "channelId": "promotions",
                "icon": "ic_sale",
                "color": "#ff0000",
                "sound": "default",
                "tag": "sale",
                "clickAction": "OPEN",
                "bodyLocArgs": ["a"],
                "eventTime": "2026-03-01T10:00:00Z",
                "notificationPriority": "PRIORITY_HIGH",
                "visibility": 2,
                "notificationCount": "3",
                "vibrateTimings": ["0.5s", "1s"],
                "lightSettings": {
                    "color": {"red": 1, "green": 0.5, "blue": 0},
                    "lightOnDuration": "1s",
                    "lightOffDuration": "2s",
                },
                "proxy": "deny",
            },
            "fcm_options": {"analytics_label": "spring"},
            "directBootOk": True,
        },
        "apns": {"headers": {"apns-priority": "10"}, "payload": {"aps": {}}},
        "webpush": {
            "headers": {"Urgency": "high"},
            "fcmOptions": {"link": "https://x"},
        },
        "fcmOptions": {"analyticsLabel": "spring"},
    }

    response = rig.post(message)

    assert response.status_code == 200
    [got] = rig.phone.received
    assert (got.title, got.body) == ("Android sale", "Half off")
    assert (got.push_type, got.priority, got.channel_id) == (
        "notification",
        "high",
        "promotions",
    )
    assert got.data == {"CIO-Delivery-ID": "dlv_2", "link": "shop://sale"}
    assert got.delivery_id == "dlv_2"
    assert got.collapse_id == "sale"
    assert got.expires_at == rig.clock.now() + timedelta(seconds=120.5)


@pytest.mark.parametrize(("value", "priority"), [("NORMAL", "normal"), (1, "high")])
def test_priority_is_read_by_name_in_any_case_or_by_number(
    rig: Rig, value: object, priority: str
) -> None:
    response = rig.post(rig.message(android={"priority": value}))

    assert response.status_code == 200
    assert rig.phone.received[0].priority == priority


def test_null_fields_count_as_unset(rig: Rig) -> None:
    message = rig.message(notification=None, android={"ttl": None, "data": None})

    response = rig.post(message, validate_only=None)

    assert response.status_code == 200
    assert rig.phone.received[0].push_type == "data"


def test_android_notification_alone_makes_a_notification_message(rig: Rig) -> None:
    rig.post(rig.message(android={"notification": {"channel_id": "orders"}}))

    [got] = rig.phone.received
    assert (got.push_type, got.channel_id, got.priority) == (
        "notification",
        "orders",
        "high",
    )


def test_ttl_zero_is_now_or_never_for_an_offline_device(rig: Rig) -> None:
    rig.phone.online = False

    rig.post(rig.message(android={"ttl": "0s"}))

    [(_, why)] = rig.phone.discarded_notes
    assert "does not store this push" in why
    assert rig.services.fcm.waiting(rig.token) == []


def test_offline_device_gets_the_message_when_it_reconnects(rig: Rig) -> None:
    rig.phone.online = False
    rig.post(rig.message(android={"ttl": "3600s"}))

    rig.phone.online = True
    delivered = rig.services.fcm.reconnect(rig.token)

    assert delivered == 1 and len(rig.phone.received) == 1


def test_topic_messages_have_half_the_size_limit(rig: Rig) -> None:
    rig.services.fcm.subscribe(rig.token, "news")
    data = {"k": "x" * 2100}

    to_token = rig.post({"token": rig.token, "data": data})
    to_topic = rig.post({"topic": "news", "data": data})

    assert to_token.status_code == 200
    assert to_topic.json() == invalid("Request contains an invalid argument.")
    size = len('{"data":{"k":""}}') + 2100
    assert rig.provider_entries()[-1].data["detail"] == (
        f"Message is too big: the topic message is {size} bytes, FCM takes at "
        "most 2048. Send less data."
    )


def test_foreign_token_of_a_served_emulator_is_accepted(rig: Rig) -> None:
    rig.services.fcm.foreign_tokens = True
    stranger = "c" * 22 + ":APA91b" + "x" * 134

    response = rig.post({"token": stranger, "data": {"a": "b"}})

    assert response.status_code == 200
    assert "not issued by the emulator" in rig.provider_entries()[0].text
    assert rig.phone.received == [] and isinstance(rig.phone, Phone)
