"""Merging people on the model: what moves to the primary and what is deleted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.workspace import (
    AddDevice,
    AnonymousEvent,
    ChangeSegment,
    Event,
    Merge,
    Person,
    PersonEvent,
    Ref,
    UpdatePerson,
    Workspace,
)


def identify(ws: Workspace, path: str, **options: Any) -> None:
    attributes = options.pop("attributes", {})
    ws.perform(UpdatePerson(Ref.from_path(path), attributes, **options))


def person(ws: Workspace, path: str) -> Person:
    found = ws.lookup(Ref.from_path(path))
    assert found is not None, f"nobody is {path}"
    return found


def merge(ws: Workspace, primary: str = "u-1", secondary: str = "u-2") -> None:
    ws.perform(Merge(Ref.from_path(primary), Ref.from_path(secondary)))


def names(ws: Workspace, path: str) -> list[str]:
    return [e.name for e in ws.events_of(person(ws, path))]


def test_merge_moves_30_days_of_events_and_deletes_older_ones(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1")
    now = workspace.clock.now()
    for name, days in (("recent", 29), ("old", 31)):
        at = now - timedelta(days=days)
        workspace.perform(PersonEvent(Ref("id", "u-2"), name, timestamp=at))

    merge(workspace)

    assert names(workspace, "u-1") == ["recent"]
    assert [e.name for e in workspace.events] == ["recent"]
    assert workspace.lookup(Ref("id", "u-2")) is None


def test_merge_fills_only_attributes_the_primary_lacks_or_holds_empty(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", attributes={"plan": "gold", "city": ""})
    identify(workspace, "u-2", attributes={"plan": "free", "city": "Oslo", "x": 1})

    merge(workspace)

    assert person(workspace, "u-1").attributes == {
        "plan": "gold",
        "city": "Oslo",
        "x": 1,
    }


def test_merge_gives_the_primary_the_secondarys_email_when_it_has_none(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1")
    identify(workspace, "u-2", email="bob@example.com")

    merge(workspace)

    assert person(workspace, "bob@example.com") is person(workspace, "u-1")


def test_merge_moves_devices_by_default(workspace: Workspace) -> None:
    identify(workspace, "u-1")
    workspace.perform(AddDevice(Ref("id", "u-2"), "tok-2", "ios"))

    merge(workspace)

    assert [d.token for d in workspace.devices.of(person(workspace, "u-1"))] == [
        "tok-2"
    ]


def test_merge_with_the_delete_policy_deletes_the_secondarys_devices(
    clock: Clock,
) -> None:
    ws = Workspace("t", clock, Ids(0), Journal(), merge_devices="delete")
    identify(ws, "u-1")
    ws.perform(AddDevice(Ref("id", "u-2"), "tok-2", "ios"))

    merge(ws)

    assert (ws.devices.of(person(ws, "u-1")), ws.devices.by_token) == ([], {})
    assert "no devices (1 deleted, merge_devices='delete')" in list(ws.journal)[-1].text


def test_unknown_merge_device_policy_is_refused_naming_the_choices(
    clock: Clock,
) -> None:
    with pytest.raises(ValueError, match="move, delete"):
        Workspace("t", clock, Ids(0), Journal(), merge_devices="keep")


def test_merge_moves_deliveries_and_manual_segments(workspace: Workspace) -> None:
    identify(workspace, "u-1")
    identify(workspace, "u-2")
    delivery = workspace.new_delivery(person(workspace, "u-2"), "push", "c", "t", "b")
    workspace.perform(ChangeSegment("7", (Ref("id", "u-2"),)))

    merge(workspace)

    primary = person(workspace, "u-1")
    assert workspace.deliveries_of(primary) == [delivery]
    assert workspace.segments.of(primary) == ["7"]


def test_later_events_under_the_secondarys_anonymous_id_land_on_the_primary(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1")
    identify(workspace, "u-2", anonymous_id="anon-2")

    merge(workspace)
    workspace.perform(AnonymousEvent("anon-2", "viewed"))

    assert names(workspace, "u-1") == ["viewed"]
    assert person(workspace, "u-1").anonymous_ids == ["anon-2"]


def test_merged_events_trigger_no_campaign(workspace: Workspace) -> None:
    heard: list[str] = []

    class Listener:
        def on_event(self, who: Person, event: Event) -> None:
            heard.append(event.name)

        def on_stitch(self, who: Person, events: list[Event]) -> None:
            heard.extend(e.name for e in events)

    identify(workspace, "u-1")
    workspace.perform(PersonEvent(Ref("id", "u-2"), "added_to_cart"))
    workspace.listeners.append(Listener())

    merge(workspace)

    assert heard == []


def test_merge_calls_listeners_on_merge_hook(workspace: Workspace) -> None:
    seen: list[tuple[str, str]] = []

    class Listener:
        def on_event(self, who: Person, event: Event) -> None: ...

        def on_stitch(self, who: Person, events: list[Event]) -> None: ...

        def on_merge(self, primary: Person, secondary: Person) -> None:
            seen.append((primary.label, secondary.label))

    identify(workspace, "u-1")
    identify(workspace, "u-2")
    workspace.listeners.append(Listener())

    merge(workspace)

    assert seen == [("u-1", "u-2")]


def test_merge_without_the_primary_changes_nothing_and_is_kept(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-2")

    merge(workspace)

    assert person(workspace, "u-2").id == "u-2"
    assert "the primary u-1 does not exist" in workspace.rejections[-1].problem


def test_merge_of_a_person_into_themselves_is_ignored(workspace: Workspace) -> None:
    identify(workspace, "u-1", email="ann@example.com")

    merge(workspace, "u-1", "ann@example.com")

    assert len(workspace.people) == 1
    assert "both name the same person" in workspace.rejections[-1].problem


def test_merge_is_journaled_with_what_moved(workspace: Workspace) -> None:
    identify(workspace, "u-1")
    workspace.perform(PersonEvent(Ref("id", "u-2"), "viewed"))
    workspace.perform(AddDevice(Ref("id", "u-2"), "tok-2", "android"))
    primary, secondary = person(workspace, "u-1"), person(workspace, "u-2")

    merge(workspace)

    text = list(workspace.journal)[-1].text
    assert text.startswith(
        f"merged cio_{secondary.cio_id} into cio_{primary.cio_id} (u-1): "
        "moved 1 event, 1 device, 0 deliveries"
    )
