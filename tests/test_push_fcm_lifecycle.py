"""FCM token lifecycle (270-day expiry, stale tokens), device quotas and faults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from harness.push.fcm import FAULTS, BadSetup, DeviceQuota, UnknownToken
from tests.test_push_fcm import (
    NOT_FOUND,
    QUOTA_FAILURE,
    Rig,
    error_of,
    fcm_error,
    make_rig,
)


@pytest.fixture
def rig() -> Rig:
    return make_rig()


def test_android_token_expires_after_270_days_without_the_app(rig: Rig) -> None:
    issued = rig.clock.now()
    rig.clock.advance(days=269, hours=23)
    alive = rig.post(rig.message())
    rig.clock.advance(hours=1)

    expired = rig.post(rig.message())

    assert alive.status_code == 200
    assert expired.json() == fcm_error(404, "NOT_FOUND", NOT_FOUND, "UNREGISTERED")
    verdict = rig.services.fcm.verdicts[-1]
    assert (verdict.token_dead, verdict.dead_since) == (
        True,
        issued + timedelta(days=270),
    )
    assert "after 270 days idle" in rig.provider_entries()[-1].data["detail"]


def test_app_launch_restarts_the_270_days(rig: Rig) -> None:
    rig.clock.advance(days=200)
    same = rig.services.fcm.app_active(rig.token)
    rig.clock.advance(days=200)

    response = rig.post(rig.message())

    assert same == rig.token
    assert response.status_code == 200


def test_expired_tokens_app_gets_a_new_token_when_active_again(rig: Rig) -> None:
    rig.clock.advance(days=300)

    fresh = rig.services.fcm.app_active(rig.token)
    again = rig.services.fcm.app_active(rig.token)

    assert fresh != rig.token and again == fresh
    assert rig.post(rig.message()).status_code == 404
    assert rig.post(rig.message(token=fresh)).status_code == 200
    assert [n.token for n in rig.phone.received] == [fresh]


def test_only_android_tokens_expire(rig: Rig) -> None:
    rig.services.fcm.configure(rig.project, apns_key=True)
    iphone = rig.issue("ios", "com.example.shop.ios")
    browser = rig.issue("web", "https://shop.example")
    rig.clock.advance(days=400)

    answers = [
        rig.post({"token": device.token, "notification": {"title": "T"}}).status_code
        for device in (iphone, browser)
    ]

    assert answers == [200, 200]


def test_stale_tokens_are_those_idle_for_a_month(rig: Rig) -> None:
    fcm = rig.services.fcm
    other = rig.issue()
    rig.clock.advance(days=29)
    fresh_so_far = fcm.stale_tokens()
    fcm.app_active(other.token)
    rig.clock.advance(days=1)

    assert fresh_so_far == []
    assert fcm.stale_tokens() == [rig.token]
    assert fcm.stale_tokens(rig.project) == [rig.token]
    assert fcm.stale_tokens("other-project") == []


def test_stale_tokens_leave_out_tokens_fcm_no_longer_serves(rig: Rig) -> None:
    gone = rig.issue()
    rig.services.fcm.unregister(gone.token)
    rig.clock.advance(days=271)

    assert rig.services.fcm.stale_tokens() == []


def test_app_active_needs_a_token_fcm_issued_and_an_installed_app(rig: Rig) -> None:
    rig.services.fcm.unregister(rig.token)

    with pytest.raises(UnknownToken, match="never issued registration token"):
        rig.services.fcm.app_active("nope")
    with pytest.raises(BadSetup, match="uninstalled or its data cleared"):
        rig.services.fcm.app_active(rig.token)


def test_241st_message_in_a_minute_to_one_device_is_quota_exceeded(
    rig: Rig,
) -> None:
    answers = [rig.post(rig.message()).status_code for _ in range(240)]

    refused = rig.post(rig.message())

    assert set(answers) == {200}
    assert refused.status_code == 429
    rule = "Device message rate: at most 240 messages a minute."
    violation = {"subject": f"token:{rig.token}", "description": rule}
    assert refused.json() == fcm_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Device message rate exceeded.",
        "QUOTA_EXCEEDED",
        {"@type": QUOTA_FAILURE, "violations": [violation]},
    )
    verdict = rig.services.fcm.verdicts[-1]
    assert (verdict.reason, verdict.token_dead) == ("QUOTA_EXCEEDED", False)
    assert len(rig.phone.received) == 240


def test_device_rate_frees_up_as_the_minute_slides(rig: Rig) -> None:
    rig.services.fcm.device_quota = DeviceQuota(per_minute=2, per_hour=100)
    rig.post(rig.message())
    rig.clock.advance(seconds=30)
    rig.post(rig.message())

    rig.clock.advance(seconds=29)
    still_full = rig.post(rig.message())
    rig.clock.advance(seconds=1)
    freed = rig.post(rig.message())

    assert (still_full.status_code, freed.status_code) == (429, 200)


def test_hourly_device_rate_is_counted_too(rig: Rig) -> None:
    rig.services.fcm.device_quota = DeviceQuota(per_minute=2, per_hour=3)
    for _ in range(3):
        rig.post(rig.message())
        rig.clock.advance(minutes=1)

    refused = rig.post(rig.message())
    rig.clock.advance(minutes=57)
    freed = rig.post(rig.message())

    violation = error_of(refused)["details"][1]["violations"][0]
    assert violation["description"] == (
        "Device message rate: at most 3 messages an hour."
    )
    assert freed.status_code == 200


def test_default_device_quota_is_fcms_documented_rate() -> None:
    assert DeviceQuota() == DeviceQuota(per_minute=240, per_hour=5000)


def test_device_rate_counts_neither_dry_runs_nor_other_devices(rig: Rig) -> None:
    rig.services.fcm.device_quota = DeviceQuota(per_minute=1, per_hour=10)
    other = rig.issue()

    dry = rig.post(rig.message(), validate_only=True)
    first = rig.post(rig.message())
    elsewhere = rig.post({"token": other.token, "data": {}})

    assert [r.status_code for r in (dry, first, elsewhere)] == [200, 200, 200]


def test_device_rate_applies_to_android_tokens_only(rig: Rig) -> None:
    rig.services.fcm.device_quota = DeviceQuota(per_minute=1, per_hour=10)
    rig.services.fcm.configure(rig.project, apns_key=True)
    iphone = rig.issue("ios", "com.example.shop.ios")

    answers = [
        rig.post({"token": iphone.token, "notification": {}}).status_code
        for _ in range(3)
    ]

    assert answers == [200, 200, 200]


@pytest.mark.parametrize(
    ("fault", "body"),
    [
        (
            "UNAVAILABLE",
            fcm_error(
                503,
                "UNAVAILABLE",
                "The service is currently unavailable.",
                "UNAVAILABLE",
            ),
        ),
        (
            "INTERNAL",
            fcm_error(500, "INTERNAL", "Internal error encountered.", "INTERNAL"),
        ),
    ],
)
def test_injected_fault_answers_fcms_body_then_service_recovers(
    rig: Rig, fault: str, body: dict[str, object]
) -> None:
    rig.services.fcm.fail_next(fault)

    failed = rig.post(rig.message())
    recovered = rig.post(rig.message())

    assert failed.json() == body
    assert recovered.status_code == 200
    assert rig.provider_entries()[0].data["detail"] == (
        f"{fault} injected by fail_next()"
    )
    assert len(rig.phone.received) == 1


def test_injected_quota_exceeded_names_the_project_quota(rig: Rig) -> None:
    rig.services.fcm.fail_next("QUOTA_EXCEEDED", times=2)
    number = rig.credentials.fcm_sender_id

    answers = [rig.post(rig.message()) for _ in range(3)]

    assert [a.status_code for a in answers] == [429, 429, 200]
    violation = {
        "subject": f"project_number:{number}",
        "description": "The project's send quota is spent.",
    }
    assert answers[0].json() == fcm_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests' and limit 'Send requests "
        "per minute' of service 'fcm.googleapis.com' for consumer "
        f"'project_number:{number}'.",
        "QUOTA_EXCEEDED",
        {"@type": QUOTA_FAILURE, "violations": [violation]},
    )


def test_fault_answers_before_the_body_is_read_but_after_credentials(
    rig: Rig,
) -> None:
    rig.services.fcm.fail_next("UNAVAILABLE")

    unauthenticated = rig.post(rig.message(), access_token=None)
    malformed = rig.post_raw(b"{not json")

    assert unauthenticated.status_code == 401
    assert malformed.status_code == 503


def test_unknown_fault_names_the_ones_fcm_can_give(rig: Rig) -> None:
    with pytest.raises(ValueError) as raised:
        rig.services.fcm.fail_next("Unregistered")

    assert str(raised.value) == (
        "FCM cannot be told to fail with 'Unregistered'; use one of INTERNAL, "
        "QUOTA_EXCEEDED, UNAVAILABLE."
    )
    assert FAULTS == ("INTERNAL", "QUOTA_EXCEEDED", "UNAVAILABLE")
