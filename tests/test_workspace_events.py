"""Track API events and delivery metrics on the model."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from harness.workspace import (
    AnonymousEvent,
    Event,
    Person,
    PersonEvent,
    Ref,
    ReportMetric,
    Unsubscribe,
    UpdatePerson,
    Workspace,
)


class Heard:
    """A listener that keeps the events the workspace announced."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def on_event(self, person: Person, event: Event) -> None:
        self.events.append((person.label, event.name))

    def on_stitch(self, person: Person, events: list[Event]) -> None:
        self.events.extend((person.label, f"stitched {e.name}") for e in events)


def listen(ws: Workspace) -> Heard:
    heard = Heard()
    ws.listeners.append(heard)
    return heard


def event(ws: Workspace, path: str, name: str, **options: Any) -> None:
    ws.perform(PersonEvent(Ref.from_path(path), name, **options))


# -- events --------------------------------------------------------------------------


def test_event_for_a_new_id_creates_the_person_and_triggers(
    workspace: Workspace,
) -> None:
    heard = listen(workspace)

    event(workspace, "u-1", "added_to_cart", data={"sku": "B-1"})

    ann = workspace.lookup(Ref("id", "u-1"))
    assert ann is not None
    stored = workspace.events_of(ann)[0]
    assert (stored.kind, stored.properties) == ("track", {"sku": "B-1"})
    assert heard.events == [("u-1", "added_to_cart")]


def test_event_with_a_repeated_id_is_ignored_as_a_duplicate(
    workspace: Workspace,
) -> None:
    event(workspace, "u-1", "bought", event_id="01HV0000000000000000000000")
    event(workspace, "u-1", "bought", event_id="01HV0000000000000000000000")

    assert len(workspace.events) == 1
    assert list(workspace.journal)[-1].kind == "duplicate"


def test_event_older_than_72_hours_is_stored_but_triggers_nothing(
    workspace: Workspace,
) -> None:
    heard = listen(workspace)
    at = workspace.clock.now() - timedelta(hours=73)

    event(workspace, "u-1", "added_to_cart", timestamp=at)

    assert (len(workspace.events), heard.events) == (1, [])
    assert "past the 72-hour window" in list(workspace.journal)[-1].text


def test_event_for_an_unknown_cio_id_is_dropped(workspace: Workspace) -> None:
    event(workspace, "cio_nobody", "viewed")

    assert (workspace.events, workspace.people) == ([], {})
    assert workspace.rejections[-1].problem.startswith("event 'viewed' for cio_nobody")


def test_anonymous_event_waits_until_an_identify_stitches_it(
    workspace: Workspace,
) -> None:
    heard = listen(workspace)
    workspace.perform(AnonymousEvent("anon-1", "added_to_cart"))

    assert heard.events == []
    workspace.perform(UpdatePerson(Ref("id", "u-1"), anonymous_id="anon-1"))

    assert heard.events == [("u-1", "stitched added_to_cart")]
    assert workspace.anonymous_events("anon-1") == []


def test_anonymous_event_after_stitching_goes_straight_to_the_person(
    workspace: Workspace,
) -> None:
    workspace.perform(UpdatePerson(Ref("id", "u-1"), anonymous_id="anon-1"))
    heard = listen(workspace)

    workspace.perform(AnonymousEvent("anon-1", "viewed", kind="screen"))

    assert heard.events == [("u-1", "viewed")]
    assert workspace.events[-1].kind == "screen"


def test_event_without_anonymous_id_but_a_recipient_is_an_invite(
    workspace: Workspace,
) -> None:
    data = {"recipient": "friend@example.com"}

    workspace.perform(AnonymousEvent(None, "invited", data=data))

    stored = workspace.events[-1]
    assert (stored.person, stored.anonymous_id) == (None, None)
    assert "invite event 'invited' for friend@example.com" in (
        list(workspace.journal)[-1].text
    )


# -- metrics -------------------------------------------------------------------------


def delivery_for(ws: Workspace, channel: str = "push") -> str:
    ws.perform(UpdatePerson(Ref("id", "u-1")))
    ann = ws.lookup(Ref("id", "u-1"))
    assert ann is not None
    return ws.new_delivery(ann, channel, "c", "t", "b").id


def test_metric_lands_on_its_delivery_at_the_reported_time(
    workspace: Workspace,
) -> None:
    delivery_id = delivery_for(workspace)
    at = workspace.clock.now() - timedelta(minutes=5)

    workspace.perform(ReportMetric(delivery_id, "opened", at, recipient="tok"))

    assert workspace.deliveries[delivery_id].metrics == {"opened": [at]}
    assert list(workspace.journal)[-1].token == "tok"


def test_metric_for_an_unknown_delivery_is_dropped_and_kept(
    workspace: Workspace,
) -> None:
    workspace.perform(ReportMetric("nope", "opened"))

    assert "this workspace sent no such delivery" in workspace.rejections[-1].problem


def test_email_metric_on_a_push_delivery_is_dropped(workspace: Workspace) -> None:
    delivery_id = delivery_for(workspace)

    workspace.perform(ReportMetric(delivery_id, "bounced"))

    assert workspace.deliveries[delivery_id].metrics == {}
    assert "push deliveries take" in workspace.rejections[-1].problem


def test_unsubscribe_sets_the_attribute_and_credits_the_delivery(
    workspace: Workspace,
) -> None:
    delivery_id = delivery_for(workspace, "email")

    workspace.perform(Unsubscribe(delivery_id))

    ann = workspace.lookup(Ref("id", "u-1"))
    assert ann is not None and ann.attributes["unsubscribed"] is True
    assert list(workspace.deliveries[delivery_id].metrics) == ["unsubscribed"]


def test_unsubscribe_false_changes_nothing(workspace: Workspace) -> None:
    delivery_id = delivery_for(workspace, "email")

    workspace.perform(Unsubscribe(delivery_id, unsubscribe=False))

    ann = workspace.lookup(Ref("id", "u-1"))
    assert ann is not None and "unsubscribed" not in ann.attributes
