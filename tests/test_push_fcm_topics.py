"""FCM topic and condition sends reach the devices subscribed to their topics."""

from __future__ import annotations

import re

import pytest

from harness.push.fcm import BadCondition, BadSetup, UnknownToken
from harness.push.fcm.topics import parse
from tests.test_push_fcm import Rig, TokenPhone, invalid, make_rig


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def following(rig: Rig, *topics: str) -> TokenPhone:
    phone = rig.issue()
    for topic in topics:
        rig.services.fcm.subscribe(phone.token, topic)
    return phone


def test_topic_send_reaches_every_subscribed_device(rig: Rig) -> None:
    ann, bob, cy = following(rig, "news"), following(rig, "news"), following(rig)
    message = {"topic": "news", "data": {"CIO-Delivery-ID": "dlv_7"}}

    response = rig.post(message)

    name = response.json()["name"]
    assert re.fullmatch(rf"projects/{rig.project}/messages/[1-9][0-9]{{18}}", name)
    assert [n.token for n in ann.received + bob.received] == [ann.token, bob.token]
    assert cy.received == [] and rig.phone.received == []
    assert ann.received[0].delivery_id == "dlv_7"
    [entry] = rig.provider_entries()
    assert entry.text.endswith("(topic 'news' reached 2 subscribed devices)")


def test_topic_without_subscribers_is_accepted_and_reaches_no_device(
    rig: Rig,
) -> None:
    response = rig.post({"topic": "news", "data": {"a": "b"}})

    assert response.status_code == 200
    assert rig.phone.received == []
    [entry] = rig.provider_entries()
    assert entry.text.endswith("(topic 'news' reached 0 subscribed devices)")


def test_unsubscribed_device_no_longer_receives(rig: Rig) -> None:
    ann = following(rig, "news")
    rig.services.fcm.unsubscribe(ann.token, "news")

    rig.post({"topic": "news", "data": {}})

    assert ann.received == []


def test_condition_needs_both_topics(rig: Rig) -> None:
    both, one = following(rig, "sale", "shoes"), following(rig, "sale")

    response = rig.post(
        {"condition": "'sale' in topics && 'shoes' in topics", "data": {}}
    )

    assert response.status_code == 200
    assert (len(both.received), len(one.received)) == (1, 0)


def test_condition_reads_left_to_right_after_parentheses(rig: Rig) -> None:
    a_only, c_only = following(rig, "a"), following(rig, "c")
    left_to_right = "'a' in topics || 'b' in topics && 'c' in topics"

    rig.post({"condition": left_to_right, "data": {}})
    rig.post({"condition": "'a' in topics || ('b' in topics && 'c' in topics)"})

    assert (len(a_only.received), len(c_only.received)) == (1, 0)


def test_condition_may_negate_a_term(rig: Rig) -> None:
    sale, both = following(rig, "sale"), following(rig, "sale", "optout")

    rig.post({"condition": "'sale' in topics && !('optout' in topics)", "data": {}})

    assert (len(sale.received), len(both.received)) == (1, 0)


def test_condition_of_six_topics_is_invalid_argument(rig: Rig) -> None:
    condition = " || ".join(f"'t{n}' in topics" for n in range(6))

    response = rig.post({"condition": condition, "data": {}})

    assert response.json() == invalid(
        "Invalid condition expression: the condition names 6 topics; FCM allows "
        "at most 5. Split the send into several conditions.",
        "message.condition",
    )


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ("'a' in topics &&", "the condition has the end where a quoted topic"),
        ("'a' on topics", "write 'a' in topics, with 'in'."),
        ("('a' in topics", "where a closing parenthesis belongs"),
        ("'a' in topics 'b' in topics", "where it should end"),
        ("a in topics", "where a quoted topic name belongs"),
        ("'a b' in topics", "'a b' is not a valid topic name."),
        ("'a' in topics ; drop", "cannot be read at '; drop'"),
        ("(" * 5000 + "'a' in topics", "past 50 levels"),
        ("!" * 5000 + "'a' in topics", "past 50 levels"),
    ],
)
def test_malformed_condition_says_what_is_wrong(
    rig: Rig, condition: str, why: str
) -> None:
    response = rig.post({"condition": condition, "data": {}})

    error = response.json()["error"]
    assert error["details"][0]["errorCode"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Invalid condition expression: ")
    assert why in error["message"]


def test_topic_name_with_the_legacy_prefix_is_invalid(rig: Rig) -> None:
    response = rig.post({"topic": "/topics/news", "data": {}})

    assert response.json() == invalid(
        "Invalid topic name '/topics/news': use letters, digits and -_.~% only, "
        "without the /topics/ prefix.",
        "message.topic",
    )


def test_topic_send_skips_devices_fcm_no_longer_serves(rig: Rig) -> None:
    gone, idle, iphone = (
        following(rig, "news"),
        following(rig, "news"),
        rig.issue("ios", "com.example.shop.ios"),
    )
    rig.services.fcm.subscribe(iphone.token, "news")
    rig.services.fcm.unregister(gone.token)
    rig.clock.advance(days=270)
    fresh = following(rig, "news")

    rig.post({"topic": "news", "notification": {"title": "T"}})

    assert [len(p.received) for p in (gone, idle, iphone, fresh)] == [0, 0, 0, 1]


def test_offline_subscriber_gets_the_topic_message_stored(rig: Rig) -> None:
    ann = following(rig, "news")
    ann.online = False

    rig.post({"topic": "news", "data": {}, "android": {"ttl": "60s"}})
    ann.online = True
    delivered = rig.services.fcm.reconnect(ann.token)

    assert delivered == 1 and ann.received[0].token == ann.token


def test_topic_send_with_validate_only_reaches_nobody(rig: Rig) -> None:
    ann = following(rig, "news")

    response = rig.post({"topic": "news", "data": {}}, validate_only=True)

    assert response.json()["name"].endswith("/messages/fake_message_id")
    assert ann.received == []


def test_subscribe_checks_the_topic_and_the_token(rig: Rig) -> None:
    with pytest.raises(BadSetup, match="'/topics/news' is not an FCM topic name"):
        rig.services.fcm.subscribe(rig.token, "/topics/news")
    with pytest.raises(UnknownToken):
        rig.services.fcm.subscribe("nope", "news")


def test_parsed_condition_lists_its_topics_once() -> None:
    condition = parse("\"a\" in topics && ('b' in topics || 'a' in topics)")

    assert condition.topics == ("a", "b")
    assert condition.matches({"a"}) and not condition.matches({"b"})
    with pytest.raises(BadCondition):
        parse("")
