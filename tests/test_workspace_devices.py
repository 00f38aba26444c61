"""Devices added and deleted by Track API commands (v1 and v2 devices)."""

from __future__ import annotations

import pytest

from harness.clock import Clock
from harness.ids import Ids
from harness.journal import Journal
from harness.workspace import (
    AddDevice,
    DeleteDevice,
    InvalidCall,
    Person,
    Ref,
    UpdatePerson,
    Workspace,
)


def known(ws: Workspace, *ids: str) -> list[Person]:
    for value in ids:
        ws.perform(UpdatePerson(Ref("id", value)))
    return [p for p in (ws.lookup(Ref("id", v)) for v in ids) if p is not None]


def test_add_device_creates_the_person_and_the_device(workspace: Workspace) -> None:
    attributes = {"push_enabled": "true"}

    workspace.perform(AddDevice(Ref("id", "u-1"), "tok-1", "ios", None, attributes))

    ann = workspace.lookup(Ref("id", "u-1"))
    assert ann is not None
    (device,) = workspace.devices.of(ann)
    assert (device.token, device.platform, device.push_enabled) == (
        "tok-1",
        "ios",
        True,
    )


def test_add_device_moves_a_token_from_its_previous_owner(
    workspace: Workspace,
) -> None:
    ann, bob = known(workspace, "u-1", "u-2")
    workspace.perform(AddDevice(Ref("id", "u-1"), "tok-1", "ios"))

    workspace.perform(AddDevice(Ref("id", "u-2"), "tok-1", "ios"))

    assert (workspace.devices.of(ann), len(workspace.devices.of(bob))) == ([], 1)
    assert "moved from u-1" in list(workspace.journal)[-1].text


def test_add_device_of_anothers_token_is_refused_without_single_owner(
    clock: Clock,
) -> None:
    ws = Workspace("t", clock, Ids(0), Journal(), single_owner=False)
    ws.perform(AddDevice(Ref("id", "u-1"), "tok-1", "ios"))

    with pytest.raises(InvalidCall, match="already belongs to another person"):
        ws.perform(AddDevice(Ref("id", "u-2"), "tok-1", "ios"))

    assert ws.lookup(Ref("id", "u-2")) is None


def test_add_device_with_a_web_platform_is_refused(workspace: Workspace) -> None:
    with pytest.raises(InvalidCall) as caught:
        workspace.perform(AddDevice(Ref("id", "u-1"), "tok-1", "web"))

    assert caught.value.field == "device.platform"


def test_delete_device_of_someone_else_changes_nothing(workspace: Workspace) -> None:
    known(workspace, "u-1", "u-2")
    workspace.perform(AddDevice(Ref("id", "u-1"), "tok-1", "ios"))

    workspace.perform(DeleteDevice(Ref("id", "u-2"), "tok-1"))

    assert list(workspace.devices.by_token) == ["tok-1"]
    assert "someone else's profile" in list(workspace.journal)[-1].text


def test_delete_device_by_its_owner_removes_it(workspace: Workspace) -> None:
    workspace.perform(AddDevice(Ref("id", "u-1"), "tok-1", "ios"))

    workspace.perform(DeleteDevice(Ref("id", "u-1"), "tok-1"))

    assert workspace.devices.by_token == {}
