"""Wire tests of the emulated Track API v2: /api/v2/entity and /api/v2/batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.track import create_app
from harness.transport import InProcessTransport
from harness.workspace import Person, Ref, Workspace

SITE, KEY = "site-1", "key-1"


@pytest.fixture
def client(workspace: Workspace) -> Iterator[httpx.Client]:
    def directory(site_id: str, api_key: str) -> Workspace | None:
        return workspace if (site_id, api_key) == (SITE, KEY) else None

    transport = InProcessTransport({"track.customer.io": create_app(directory)})
    base = "https://track.customer.io/api/v2"
    with httpx.Client(transport=transport, base_url=base, auth=(SITE, KEY)) as c:
        yield c


def person(ws: Workspace, kind: str, value: str) -> Person:
    found = ws.lookup(Ref(kind, value))
    assert found is not None, f"nobody has {kind} {value}"
    return found


def op(action: str, who: str = "u-1", **extra: Any) -> dict[str, Any]:
    return {"type": "person", "identifiers": {"id": who}, "action": action} | extra


def ok(response: httpx.Response) -> None:
    assert (response.status_code, response.json()) == (200, {}), response.text


def errors(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert set(body) == {"errors"}
    found: list[dict[str, Any]] = body["errors"]
    return found


# -- entity --------------------------------------------------------------------------


def test_entity_identify_sets_attributes_and_email(
    client: httpx.Client, workspace: Workspace
) -> None:
    attributes = {"email": "ann@example.com", "plan": "gold"}

    ok(client.post("/entity", json=op("identify", attributes=attributes)))

    ann = person(workspace, "email", "ann@example.com")
    assert (ann.id, ann.attributes) == ("u-1", {"plan": "gold"})


def test_entity_event_page_and_screen_are_stored_as_track_page_and_screen(
    client: httpx.Client, workspace: Workspace
) -> None:
    for action in ("event", "page", "screen"):
        body = op(action, name=f"{action}-name", attributes={"a": 1})
        ok(client.post("/entity", json=body))

    stored = [(e.name, e.kind) for e in workspace.events]
    assert stored == [
        ("event-name", "track"),
        ("page-name", "page"),
        ("screen-name", "screen"),
    ]


def test_entity_add_device_reads_device_token_not_id(
    client: httpx.Client, workspace: Workspace
) -> None:
    device = {"token": "tok-1", "platform": "android", "attributes": {"a": "1"}}

    ok(client.post("/entity", json=op("add_device", device=device)))

    (stored,) = workspace.devices.of(person(workspace, "id", "u-1"))
    assert (stored.token, stored.platform) == ("tok-1", "android")


def test_entity_add_device_with_a_v1_device_id_is_400_naming_the_token(
    client: httpx.Client,
) -> None:
    device = {"id": "tok-1", "platform": "ios"}

    response = client.post("/entity", json=op("add_device", device=device))

    assert response.status_code == 400
    (error,) = errors(response)
    assert (error["field"], error["reason"]) == ("device.token", "required")


def test_entity_delete_device_suppress_and_delete(
    client: httpx.Client, workspace: Workspace
) -> None:
    device = {"token": "tok-1", "platform": "ios"}
    ok(client.post("/entity", json=op("add_device", device=device)))
    ok(client.post("/entity", json=op("delete_device", device={"token": "tok-1"})))
    assert workspace.devices.by_token == {}

    ok(client.post("/entity", json=op("suppress")))
    ok(client.post("/entity", json=op("identify")))
    assert workspace.people == {}

    ok(client.post("/entity", json=op("unsuppress")))
    ok(client.post("/entity", json=op("identify")))
    ok(client.post("/entity", json=op("delete")))
    assert workspace.people == {}


def test_entity_merge_names_primary_and_secondary(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.post("/entity", json=op("identify", "u-1")))
    ok(client.post("/entity", json=op("event", "u-2", name="viewed")))
    body = {
        "type": "person",
        "action": "merge",
        "primary": {"id": "u-1"},
        "secondary": {"id": "u-2"},
    }

    ok(client.post("/entity", json=body))

    ann = person(workspace, "id", "u-1")
    assert [e.name for e in workspace.events_of(ann)] == ["viewed"]


def test_entity_relationships_are_added(
    client: httpx.Client, workspace: Workspace
) -> None:
    links = [{"identifiers": {"object_type_id": "1", "object_id": "acme"}}]

    ok(client.post("/entity", json=op("add_relationships", cio_relationships=links)))

    assert list(person(workspace, "id", "u-1").relationships) == ["1:acme"]


def test_entity_object_identify_relates_its_people(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.post("/entity", json=op("identify")))
    body = {
        "type": "object",
        "identifiers": {"object_type_id": "1", "object_id": "acme"},
        "action": "identify",
        "attributes": {"name": "Acme"},
        "cio_relationships": [{"identifiers": {"id": "u-1"}}],
    }

    ok(client.post("/entity", json=body))

    assert workspace.objects.attributes == {"1:acme": {"name": "Acme"}}
    assert list(person(workspace, "id", "u-1").relationships) == ["1:acme"]


def test_entity_delivery_event_records_the_metric(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.post("/entity", json=op("identify")))
    ann = person(workspace, "id", "u-1")
    delivery = workspace.new_delivery(ann, "push", "c", "t", "b")
    body = {
        "type": "delivery",
        "action": "event",
        "identifiers": {"id": delivery.id},
        "name": "opened",
        "attributes": {"device_token": "tok-1"},
    }

    ok(client.post("/entity", json=body))

    assert list(delivery.metrics) == ["opened"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "thing", "action": "identify"}, "type"),
        (op("explode"), "action"),
        ({"type": "person", "action": "identify"}, "identifiers"),
        (
            op("identify") | {"identifiers": {"id": "u-1", "email": "a@b"}},
            "identifiers",
        ),
        (
            op("identify") | {"identifiers": {"phone": "+14155552671"}},
            "identifiers.phone",
        ),
        (op("event"), "name"),
        (op("identify", timestamp="yesterday"), "timestamp"),
    ],
    ids=["type", "action", "no-ids", "two-ids", "phone", "no-name", "timestamp"],
)
def test_entity_that_cannot_be_applied_is_400_naming_the_field(
    client: httpx.Client, workspace: Workspace, body: dict[str, Any], field: str
) -> None:
    response = client.post("/entity", json=body)

    assert response.status_code == 400
    (error,) = errors(response)
    assert set(error) == {"reason", "field", "message"}
    assert error["field"] == field
    assert workspace.people == {}


def test_entity_with_an_empty_body_is_400(client: httpx.Client) -> None:
    response = client.post("/entity", content=b"")

    assert errors(response)[0]["reason"] == "malformed"


def test_entity_with_wrong_credentials_is_401_in_the_v2_shape(
    client: httpx.Client,
) -> None:
    response = client.post("/entity", json=op("identify"), auth=("x", "y"))

    assert response.status_code == 401
    (error,) = errors(response)
    assert (error["reason"], error["field"]) == ("unauthorized", "authorization")


def test_unknown_v2_path_is_404_in_the_v2_shape_naming_the_routes(
    client: httpx.Client,
) -> None:
    response = client.post("/entities", json={})

    assert response.status_code == 404
    (error,) = errors(response)
    assert "POST /api/v2/entity" in error["message"]


# -- batch ---------------------------------------------------------------------------


def test_batch_applies_every_operation(
    client: httpx.Client, workspace: Workspace
) -> None:
    batch = [op("identify", attributes={"plan": "gold"}), op("event", name="viewed")]

    ok(client.post("/batch", json={"batch": batch}))

    ann = person(workspace, "id", "u-1")
    assert ann.attributes == {"plan": "gold"}
    assert [e.name for e in workspace.events_of(ann)] == ["viewed"]


def test_batch_partial_failure_is_207_and_applies_the_good_items(
    client: httpx.Client, workspace: Workspace
) -> None:
    batch = [
        op("identify", "u-1"),
        op("event", "u-1"),
        "not an object",
        op("identify", "u-2", attributes={"plan": "gold"}),
        op("identify", "+1", identifiers={"phone": "+14155552671"}),
    ]

    response = client.post("/batch", json={"batch": batch})

    assert response.status_code == 207
    found = [(e["batch_index"], e["field"]) for e in errors(response)]
    assert found == [(1, "name"), (2, ""), (4, "identifiers.phone")]
    assert all(
        set(e) == {"batch_index", "reason", "field", "message"}
        for e in errors(response)
    )
    assert person(workspace, "id", "u-2").attributes == {"plan": "gold"}
    assert person(workspace, "id", "u-1").id == "u-1"
    assert [r.source for r in workspace.rejections] == [
        "POST /api/v2/batch batch[1]",
        "POST /api/v2/batch batch[2]",
        "POST /api/v2/batch batch[4]",
    ]


@pytest.mark.parametrize(
    "body", [{}, {"batch": {"a": 1}}, {"batch": "ops"}], ids=["none", "object", "str"]
)
def test_batch_without_a_list_is_400_naming_batch(
    client: httpx.Client, body: dict[str, Any]
) -> None:
    response = client.post("/batch", json=body)

    assert response.status_code == 400
    assert errors(response)[0]["field"] == "batch"


def test_empty_batch_is_200(client: httpx.Client) -> None:
    ok(client.post("/batch", json={"batch": []}))
