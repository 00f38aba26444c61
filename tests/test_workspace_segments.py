"""Manual segments and objects driven by Track API commands."""

from __future__ import annotations

import pytest

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.workspace import (
    ChangeObject,
    ChangeSegment,
    DeletePerson,
    InvalidCall,
    Person,
    Ref,
    Relate,
    Relationship,
    UpdatePerson,
    Workspace,
)

ACME = Relationship("1", "acme", {"role": "admin"})


def known(ws: Workspace, *ids: str) -> list[Person]:
    for value in ids:
        ws.perform(UpdatePerson(Ref("id", value)))
    return [p for p in (ws.lookup(Ref("id", v)) for v in ids) if p is not None]


def refs(*ids: str) -> tuple[Ref, ...]:
    return tuple(Ref("id", v) for v in ids)


# -- segments ------------------------------------------------------------------------


def test_adding_to_a_new_segment_creates_it_and_adds_the_people(
    workspace: Workspace,
) -> None:
    ann, bob = known(workspace, "u-1", "u-2")

    workspace.perform(ChangeSegment("7", refs("u-1", "u-2")))

    assert workspace.segments.people_in("7") == sorted(
        [ann, bob], key=lambda p: p.cio_id
    )
    assert "created on first use" in list(workspace.journal)[-3].text


def test_unknown_people_are_skipped_and_kept(workspace: Workspace) -> None:
    known(workspace, "u-1")

    workspace.perform(ChangeSegment("7", refs("u-1", "u-9"), ignored=("bad",)))

    assert [p.id for p in workspace.segments.people_in("7")] == ["u-1"]
    assert "skipped bad, u-9" in workspace.rejections[-1].problem


def test_removing_takes_people_out_of_the_segment(workspace: Workspace) -> None:
    known(workspace, "u-1")
    workspace.perform(ChangeSegment("7", refs("u-1")))

    workspace.perform(ChangeSegment("7", refs("u-1"), add=False))

    assert workspace.segments.people_in("7") == []


def test_unknown_segment_is_refused_without_create_segments(clock: Clock) -> None:
    ws = Workspace("t", clock, Ids(0), Journal(), create_segments=False)

    with pytest.raises(InvalidCall, match="segment 7 does not exist") as caught:
        ws.perform(ChangeSegment("7", refs("u-1")))

    assert caught.value.field == "segment_id"


def test_deleted_person_leaves_every_segment(workspace: Workspace) -> None:
    (ann,) = known(workspace, "u-1")
    workspace.perform(ChangeSegment("7", refs("u-1")))

    workspace.perform(DeletePerson(Ref("id", "u-1")))

    assert workspace.segments.of(ann) == []


# -- objects -------------------------------------------------------------------------


def test_relationships_are_added_and_deleted(workspace: Workspace) -> None:
    (ann,) = known(workspace, "u-1")

    workspace.perform(Relate(Ref("id", "u-1"), (ACME,)))
    assert ann.relationships == {"1:acme": {"role": "admin"}}

    workspace.perform(Relate(Ref("id", "u-1"), (ACME,), add=False))
    assert ann.relationships == {}


def test_object_identify_relates_people_and_delete_unrelates_them(
    workspace: Workspace,
) -> None:
    (ann,) = known(workspace, "u-1")
    target = Relationship("1", "acme")

    workspace.perform(
        ChangeObject(target, "identify", {"name": "Acme"}, people=refs("u-1"))
    )
    assert (workspace.objects.attributes, list(ann.relationships)) == (
        {"1:acme": {"name": "Acme"}},
        ["1:acme"],
    )

    workspace.perform(ChangeObject(target, "delete"))
    assert (workspace.objects.attributes, ann.relationships) == ({}, {})


def test_update_by_unknown_cio_object_id_is_dropped(workspace: Workspace) -> None:
    workspace.perform(ChangeObject(Relationship(None, "x1"), "identify", {"a": 1}))

    assert workspace.objects.attributes == {}
    assert "cio_object_id only updates" in workspace.rejections[-1].problem
