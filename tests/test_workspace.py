"""The workspace model: people, stitching and devices, driven by typed calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from harness.clock import DEFAULT_START, Clock
from harness.workspace import (
    Alias,
    Caller,
    Event,
    Identify,
    InvalidCall,
    Person,
    Track,
    Workspace,
)

TOKEN = "f" * 64


def caller(
    clock: Clock,
    *,
    user: str | None = None,
    anon: str | None = None,
    message_id: str | None = None,
    at: datetime | None = None,
    token: str | None = None,
    platform: str = "ios",
) -> Caller:
    context: dict[str, Any] = {}
    if token is not None:
        context["device"] = {"token": token, "type": platform}
    return Caller(user, anon, message_id, at or clock.now(), context)


def identify(ws: Workspace, user: str, anon: str | None = None, **traits: Any) -> None:
    ws.apply(Identify(caller(ws.clock, user=user, anon=anon), dict(traits)))


def track(
    ws: Workspace,
    name: str,
    *,
    user: str | None = None,
    anon: str | None = None,
    **options: Any,
) -> None:
    properties = options.pop("properties", {})
    ws.apply(Track(caller(ws.clock, user=user, anon=anon, **options), name, properties))


def register(
    ws: Workspace,
    token: str = TOKEN,
    *,
    user: str | None = None,
    anon: str | None = None,
    **properties: Any,
) -> None:
    ws.apply(
        Track(
            caller(ws.clock, user=user, anon=anon, token=token),
            "Device Created or Updated",
            dict(properties),
        )
    )


def delete(
    ws: Workspace,
    token: str = TOKEN,
    *,
    user: str | None = None,
    anon: str | None = None,
) -> None:
    ws.apply(
        Track(caller(ws.clock, user=user, anon=anon, token=token), "Device Deleted")
    )


def person(ws: Workspace, identifier: str) -> Person:
    found = ws.find(identifier)
    assert found is not None, f"no person for {identifier}"
    return found


def tokens_of(ws: Workspace, identifier: str) -> list[str]:
    return [d.token for d in ws.devices.of(person(ws, identifier))]


def names_on(ws: Workspace, identifier: str) -> list[str]:
    return [e.name for e in ws.events_of(person(ws, identifier))]


# -- people ------------------------------------------------------------------------


def test_identify_creates_a_person_with_a_cio_id(workspace: Workspace) -> None:
    identify(workspace, "u-1", first_name="Ann")

    ann = person(workspace, "u-1")
    assert ann.cio_id
    assert workspace.find(f"cio_{ann.cio_id}") is ann
    assert (ann.id, ann.email) == ("u-1", None)
    assert ann.attributes["first_name"] == "Ann"


def test_repeat_identify_of_the_same_id_keeps_one_person(workspace: Workspace) -> None:
    identify(workspace, "u-1")
    identify(workspace, "u-1", plan="gold")

    assert len(workspace.people) == 1
    assert person(workspace, "u-1").attributes["plan"] == "gold"


def test_email_shaped_user_id_identifies_by_email_case_insensitively(
    workspace: Workspace,
) -> None:
    identify(workspace, "Ann@Example.COM")
    identify(workspace, "ann@example.com")

    ann = person(workspace, "ANN@example.com")
    assert len(workspace.people) == 1
    assert (ann.id, ann.email) == (None, "ann@example.com")


def test_traits_email_on_an_id_person_finds_them_by_email(workspace: Workspace) -> None:
    identify(workspace, "u-1", email="Ann@Example.com")

    assert workspace.find("ann@example.com") is person(workspace, "u-1")


def test_user_id_starting_with_cio_is_found_by_id_and_kept_as_one_person(
    workspace: Workspace,
) -> None:
    for _ in range(3):
        identify(workspace, "cio_abc")

    assert len(workspace.people) == 1
    found = person(workspace, "cio_abc")
    assert found.id == "cio_abc"


def test_email_of_another_person_stays_with_them_and_the_failure_is_journaled(
    workspace: Workspace,
) -> None:
    identify(workspace, "u1", email="ann@example.com")

    identify(workspace, "u2", email="Ann@Example.com")

    u1, u2 = person(workspace, "u1"), person(workspace, "u2")
    assert workspace.find("ann@example.com") is u1
    assert (u1.email, u2.email) == ("ann@example.com", None)
    [entry] = [e for e in workspace.journal if "Attribute Update Failure" in e.text]
    assert entry.person == u2.cio_id
    assert "ann@example.com" in entry.text.lower()


# -- stitching ---------------------------------------------------------------------


def test_anonymous_events_are_stitched_on_identify(workspace: Workspace) -> None:
    track(workspace, "product_viewed", anon="anon-1")
    track(workspace, "added_to_cart", anon="anon-1")

    identify(workspace, "u-1", anon="anon-1")

    assert names_on(workspace, "u-1") == ["product_viewed", "added_to_cart"]
    assert workspace.anonymous_events("anon-1") == []
    assert workspace.owner_of_anonymous("anon-1") is person(workspace, "u-1")


def test_events_older_than_30_days_are_not_stitched(workspace: Workspace) -> None:
    now = workspace.clock.now()
    track(workspace, "old_visit", anon="anon-1", at=now - timedelta(days=31))
    track(workspace, "recent_visit", anon="anon-1", at=now - timedelta(days=29))

    identify(workspace, "u-1", anon="anon-1")

    assert names_on(workspace, "u-1") == ["recent_visit"]


def test_stitch_leaves_older_events_anonymous_and_says_how_many(
    workspace: Workspace,
) -> None:
    now = workspace.clock.now()
    for name, days in [("old_a", 40), ("old_b", 31), ("recent", 2)]:
        track(workspace, name, anon="anon-1", at=now - timedelta(days=days))

    identify(workspace, "u-1", anon="anon-1")

    assert names_on(workspace, "u-1") == ["recent"]
    left = [e.name for e in workspace.anonymous_events("anon-1")]
    assert left == ["old_a", "old_b"]
    [merge] = [e for e in workspace.journal if e.kind == "merge"]
    assert "1 event (recent)" in merge.text
    assert "2 older events left behind" in merge.text


def test_alias_stitches_the_previous_id(workspace: Workspace) -> None:
    track(workspace, "added_to_cart", anon="web-1")

    workspace.apply(Alias(caller(workspace.clock, user="u-1", anon="app-1"), "web-1"))

    assert names_on(workspace, "u-1") == ["added_to_cart"]
    assert "web-1" in person(workspace, "u-1").anonymous_ids


def test_stitched_anonymous_id_is_not_moved_to_a_second_person(
    workspace: Workspace,
) -> None:
    track(workspace, "added_to_cart", anon="anon-1")
    identify(workspace, "u-a", anon="anon-1")

    identify(workspace, "u-b", anon="anon-1")
    track(workspace, "later", anon="anon-1")

    assert workspace.owner_of_anonymous("anon-1") is person(workspace, "u-a")
    assert names_on(workspace, "u-a") == ["added_to_cart", "later"]
    assert person(workspace, "u-b").anonymous_ids == []
    assert names_on(workspace, "u-b") == []


def test_events_after_stitching_under_the_anonymous_id_go_to_the_person(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", anon="anon-1")

    track(workspace, "screen_seen", anon="anon-1")

    assert names_on(workspace, "u-1") == ["screen_seen"]


def test_repeated_message_id_is_ignored(workspace: Workspace) -> None:
    track(workspace, "added_to_cart", user="u-1", message_id="m-1")
    track(workspace, "added_to_cart", user="u-1", message_id="m-1")
    track(workspace, "added_to_cart", user="u-1", message_id="m-2")

    assert names_on(workspace, "u-1") == ["added_to_cart", "added_to_cart"]


def test_repeated_message_id_is_journaled_as_a_duplicate(
    workspace: Workspace,
) -> None:
    track(workspace, "added_to_cart", user="u-1", message_id="m-1")
    track(workspace, "added_to_cart", user="u-1", message_id="m-1")

    [entry] = [e for e in workspace.journal if e.kind == "duplicate"]
    assert "m-1" in entry.text
    assert entry.person == person(workspace, "u-1").cio_id


def test_refused_call_does_not_use_up_its_message_id(workspace: Workspace) -> None:
    no_token = Track(
        caller(workspace.clock, user="u-1", message_id="m-1"), "Device Deleted"
    )
    with pytest.raises(InvalidCall):
        workspace.apply(no_token)

    track(workspace, "added_to_cart", user="u-1", message_id="m-1")

    assert names_on(workspace, "u-1") == ["added_to_cart"]


@pytest.mark.parametrize(
    ("call", "rule"),
    [
        (Track(Caller(None, None, None, DEFAULT_START), "e"), "userId"),
        (Track(Caller("u-1", None, None, DEFAULT_START), ""), "event name"),
    ],
    ids=["no-identity", "no-event"],
)
def test_check_refuses_a_track_the_apply_would_refuse(
    workspace: Workspace, call: Track, rule: str
) -> None:
    with pytest.raises(InvalidCall, match=rule):
        workspace.check(call)

    assert workspace.people == {}


# -- devices -----------------------------------------------------------------------


def test_anonymous_device_is_adopted_on_identify(workspace: Workspace) -> None:
    register(workspace, anon="anon-1", push_enabled="true")
    assert workspace.devices.by_token[TOKEN].owner is None

    identify(workspace, "u-1", anon="anon-1")

    assert tokens_of(workspace, "u-1") == [TOKEN]
    assert workspace.devices.by_token[TOKEN].push_enabled


def test_token_registered_by_another_person_moves_to_them(workspace: Workspace) -> None:
    register(workspace, user="u-a")

    register(workspace, user="u-b")

    assert tokens_of(workspace, "u-a") == []
    assert tokens_of(workspace, "u-b") == [TOKEN]
    assert len(workspace.devices.by_token) == 1


def test_device_deleted_by_a_former_owner_is_ignored(workspace: Workspace) -> None:
    register(workspace, user="u-a")
    register(workspace, user="u-b")

    delete(workspace, user="u-a")

    assert tokens_of(workspace, "u-b") == [TOKEN]


def test_device_deleted_by_a_stranger_is_ignored(workspace: Workspace) -> None:
    register(workspace, user="u-a")

    delete(workspace, user="u-stranger")
    delete(workspace, anon="anon-stranger")

    assert tokens_of(workspace, "u-a") == [TOKEN]


def test_device_deleted_by_the_owner_removes_the_token(workspace: Workspace) -> None:
    register(workspace, user="u-a")

    delete(workspace, user="u-a")

    assert tokens_of(workspace, "u-a") == []
    assert TOKEN not in workspace.devices.by_token


def test_prune_keeps_a_token_registered_again_after_dead_since(
    workspace: Workspace,
) -> None:
    dead_since = workspace.clock.now()
    workspace.clock.advance(hours=1)
    register(workspace, user="u-a")

    assert not workspace.devices.prune(TOKEN, dead_since, "410 Unregistered")
    assert tokens_of(workspace, "u-a") == [TOKEN]


def test_prune_removes_a_token_registered_before_dead_since(
    workspace: Workspace,
) -> None:
    register(workspace, user="u-a")
    workspace.clock.advance(hours=1)

    assert workspace.devices.prune(TOKEN, workspace.clock.now(), "410 Unregistered")
    assert tokens_of(workspace, "u-a") == []


def test_report_delivery_event_records_the_metric_on_the_delivery(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1")
    delivery = workspace.new_delivery(person(workspace, "u-1"), "push", "c", "t", "b")
    workspace.clock.advance(minutes=3)

    track(
        workspace,
        "Report Delivery Event",
        anon=delivery.id,
        properties={
            "metric": "delivered",
            "deliveryId": delivery.id,
            "recipient": TOKEN,
        },
    )

    assert delivery.metrics == {"delivered": [workspace.clock.now()]}
    assert names_on(workspace, "u-1") == []


# -- listeners ---------------------------------------------------------------------


class Recorder:
    """A listener that keeps what the workspace told it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.stitches: list[tuple[str, list[str]]] = []

    def on_event(self, person: Person, event: Event) -> None:
        self.events.append((person.label, event.name))

    def on_stitch(self, person: Person, events: list[Event]) -> None:
        self.stitches.append((person.label, [e.name for e in events]))


def test_listeners_get_on_event_for_identified_events(workspace: Workspace) -> None:
    recorder = Recorder()
    workspace.listeners.append(recorder)

    track(workspace, "added_to_cart", user="u-1")
    track(workspace, "product_viewed", anon="anon-9")

    assert recorder.events == [("u-1", "added_to_cart")]


def test_listeners_get_on_stitch_with_the_moved_events(workspace: Workspace) -> None:
    recorder = Recorder()
    workspace.listeners.append(recorder)
    track(workspace, "added_to_cart", anon="anon-1")

    identify(workspace, "u-1", anon="anon-1")

    assert recorder.stitches == [("u-1", ["added_to_cart"])]


# -- semantic user events from the Pipelines API ------------------------------


def test_user_deleted_event_deletes_the_profile(workspace: Workspace) -> None:
    identify(workspace, "u-1", email="x@y.z")

    track(workspace, "User Deleted", user="u-1")

    assert workspace.find("u-1") is None


def test_user_suppressed_then_unsuppressed_round_trips(workspace: Workspace) -> None:
    identify(workspace, "u-1", email="x@y.z")

    track(workspace, "User Suppressed", user="u-1")
    assert workspace.find("u-1") is None
    identify(workspace, "u-1")
    assert workspace.find("u-1") is None  # a suppressed id cannot come back

    track(workspace, "User Unsuppressed", user="u-1")
    identify(workspace, "u-1")
    assert workspace.find("u-1") is not None


def test_user_event_without_a_user_id_is_refused(workspace: Workspace) -> None:
    with pytest.raises(InvalidCall, match="User Deleted needs a userId"):
        track(workspace, "User Deleted", anon="anon-1")
