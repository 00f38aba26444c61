"""The Track API's documented limits, at the boundary, counted in UTF-8 bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.track import create_app
from harness.transport import InProcessTransport
from harness.workspace import Ref, Workspace

SITE, KEY = "site-1", "key-1"


@pytest.fixture
def client(workspace: Workspace) -> Iterator[httpx.Client]:
    def directory(site_id: str, api_key: str) -> Workspace | None:
        return workspace if (site_id, api_key) == (SITE, KEY) else None

    transport = InProcessTransport({"track.customer.io": create_app(directory)})
    base = "https://track.customer.io"
    with httpx.Client(transport=transport, base_url=base, auth=(SITE, KEY)) as c:
        yield c


def bytes_long(count: int) -> str:
    """Return text of exactly ``count`` UTF-8 bytes, mostly two-byte letters."""
    return "é" * (count // 2) + "a" * (count % 2)


def status(response: httpx.Response) -> int:
    return response.status_code


def first_error(response: httpx.Response) -> str:
    message: str = response.json()["meta"]["errors"][0]
    return message


@pytest.mark.parametrize(("size", "expected"), [(150, 200), (151, 400)])
def test_path_id_of_150_bytes_is_accepted_and_151_refused(
    client: httpx.Client, size: int, expected: int
) -> None:
    response = client.put(f"/api/v1/customers/{bytes_long(size)}", json={})

    assert status(response) == expected


def test_refused_id_names_its_size_and_the_limit(client: httpx.Client) -> None:
    response = client.put(f"/api/v1/customers/{bytes_long(151)}", json={})

    assert first_error(response) == (
        "identifier is 151 bytes; an id may be at most 150 bytes of UTF-8. "
        "Use a shorter id"
    )


@pytest.mark.parametrize(("size", "expected"), [(150, 200), (151, 400)])
def test_body_id_is_limited_to_150_bytes(
    client: httpx.Client, size: int, expected: int
) -> None:
    response = client.put("/api/v1/customers/a@b.co", json={"id": bytes_long(size)})

    assert status(response) == expected


@pytest.mark.parametrize(("size", "expected"), [(150, 200), (151, 400)])
def test_attribute_name_is_limited_to_150_bytes(
    client: httpx.Client, size: int, expected: int
) -> None:
    response = client.put("/api/v1/customers/u-1", json={bytes_long(size): 1})

    assert status(response) == expected


@pytest.mark.parametrize(("size", "expected"), [(1000, 200), (1001, 400)])
def test_attribute_value_is_limited_to_1000_bytes(
    client: httpx.Client, workspace: Workspace, size: int, expected: int
) -> None:
    response = client.put("/api/v1/customers/u-1", json={"bio": bytes_long(size)})

    assert status(response) == expected
    assert (workspace.people != {}) is (expected == 200)


def test_non_string_value_is_measured_as_compact_json(client: httpx.Client) -> None:
    fits = {"list": ["x" * 994]}  # ["xxx..."] is 998 bytes
    over = {"list": ["x" * 997]}

    assert status(client.put("/api/v1/customers/u-1", json=fits)) == 200
    assert "is 1001 bytes" in first_error(
        client.put("/api/v1/customers/u-1", json=over)
    )


@pytest.mark.parametrize(("count", "expected"), [(300, 200), (301, 400)])
def test_a_call_sets_at_most_300_attributes(
    client: httpx.Client, count: int, expected: int
) -> None:
    body: dict[str, Any] = {f"a{i}": i for i in range(count)}
    body |= {"_update": False, "_timestamp": 1772013598}

    response = client.put("/api/v1/customers/u-1", json=body)

    assert status(response) == expected


@pytest.mark.parametrize(("size", "expected"), [(100, 200), (101, 400)])
def test_event_name_is_limited_to_100_bytes(
    client: httpx.Client, size: int, expected: int
) -> None:
    body = {"name": bytes_long(size)}

    response = client.post("/api/v1/customers/u-1/events", json=body)

    assert status(response) == expected


@pytest.mark.parametrize(("size", "expected"), [(100_000, 200), (100_001, 400)])
def test_event_data_is_limited_to_100000_bytes(
    client: httpx.Client, size: int, expected: int
) -> None:
    padding = size - len('{"k":""}')
    body = {"name": "e", "data": {"k": bytes_long(padding)}}

    response = client.post("/api/v1/events", json=body)

    assert status(response) == expected


def entity_body(size: int) -> bytes:
    """Return a v2 identify of exactly ``size`` bytes, in ASCII."""
    base = {"type": "person", "identifiers": {"id": "u-1"}, "action": "identify"}
    attributes: dict[str, str] = {}

    def encoded() -> bytes:
        body = base | {"attributes": attributes}
        return json.dumps(body, separators=(",", ":")).encode()

    while len(encoded()) + 1000 < size:
        attributes[f"a{len(attributes)}"] = "x" * 900
    attributes["z"] = ""
    attributes["z"] = "x" * (size - len(encoded()))
    raw = encoded()
    assert len(raw) == size, len(raw)
    return raw


@pytest.mark.parametrize(("size", "expected"), [(32 * 1024, 200), (32 * 1024 + 1, 400)])
def test_v2_entity_body_is_limited_to_32_kb(
    client: httpx.Client, size: int, expected: int
) -> None:
    response = client.post("/api/v2/entity", content=entity_body(size))

    assert status(response) == expected


def batch_of(item_size: int, count: int) -> dict[str, Any]:
    items = [json.loads(entity_body(item_size)) for _ in range(count)]
    return {"batch": items}


@pytest.mark.parametrize(("size", "expected"), [(32 * 1024, 200), (32 * 1024 + 1, 207)])
def test_v2_batch_item_is_limited_to_32_kb(
    client: httpx.Client, workspace: Workspace, size: int, expected: int
) -> None:
    item = json.loads(entity_body(size))
    other = {"type": "person", "identifiers": {"id": "u-2"}, "action": "identify"}

    response = client.post("/api/v2/batch", json={"batch": [item, other]})

    assert status(response) == expected
    assert workspace.lookup(Ref("id", "u-2")) is not None
    if expected == 207:
        (error,) = response.json()["errors"]
        assert (error["batch_index"], error["reason"]) == (0, "too_large")


def test_v2_batch_body_is_limited_to_500_kb(client: httpx.Client) -> None:
    raw = json.dumps(batch_of(30 * 1024, 17), ensure_ascii=False).encode()
    assert len(raw) > 500 * 1024

    response = client.post("/api/v2/batch", content=raw)

    assert status(response) == 400
    (error,) = response.json()["errors"]
    assert error["reason"] == "too_large"


def test_v2_batch_body_of_500_kb_is_accepted(client: httpx.Client) -> None:
    raw = json.dumps(batch_of(30 * 1024, 16), ensure_ascii=False).encode()
    assert len(raw) <= 500 * 1024

    assert status(client.post("/api/v2/batch", content=raw)) == 200
