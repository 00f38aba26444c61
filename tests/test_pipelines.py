"""Wire tests of the emulated Data Pipelines API, over httpx in process."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.pipelines import create_app
from harness.transport import InProcessTransport
from harness.workspace import Workspace

KEY = "wk_test_1234"
BASE = "https://cdp.customer.io/v1"
API_HOST = "cdp.customer.io/v1"


@pytest.fixture
def client(workspace: Workspace) -> Iterator[httpx.Client]:
    app = create_app({KEY: workspace}.get, api_host=API_HOST)
    transport = InProcessTransport({"cdp.customer.io": app})
    with httpx.Client(transport=transport, base_url=BASE) as client:
        yield client


def track(event: str | None = "added_to_cart", **extra: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "type": "track",
        "userId": "u-1",
        "properties": {"sku": "B1"},
    }
    if event is not None:
        call["event"] = event
    return call | extra


def names_on(workspace: Workspace, user: str) -> list[str]:
    person = workspace.find(user)
    return [e.name for e in workspace.events_of(person)] if person else []


def errors_of(response: httpx.Response) -> list[str]:
    body = response.json()
    assert set(body) == {"meta"}
    errors: list[str] = body["meta"]["errors"]
    return errors


def test_batch_with_basic_auth_is_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/batch",
        auth=(KEY, ""),
        json={
            "batch": [
                {
                    "type": "identify",
                    "userId": "u-1",
                    "traits": {"email": "a@b.example"},
                },
                track(),
            ]
        },
    )

    assert (response.status_code, response.json()) == (200, {})
    assert names_on(workspace, "u-1") == ["added_to_cart"]
    assert workspace.find("a@b.example") is workspace.find("u-1")


def test_short_batch_path_takes_the_write_key_from_the_body_without_auth(
    client: httpx.Client, workspace: Workspace
) -> None:
    body = {"batch": [track()], "writeKey": KEY, "sentAt": "2026-03-02T09:00:00Z"}

    response = client.post("/b", json=body)

    assert "authorization" not in response.request.headers
    assert response.status_code == 200
    assert names_on(workspace, "u-1") == ["added_to_cart"]


def test_gzipped_text_plain_batch_is_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    raw = gzip.compress(json.dumps({"batch": [track()], "writeKey": KEY}).encode())

    response = client.post(
        "/b",
        content=raw,
        headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"},
    )

    assert response.status_code == 200
    assert names_on(workspace, "u-1") == ["added_to_cart"]


def test_browser_track_as_text_plain_on_the_short_path_is_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    raw = json.dumps(track(writeKey=KEY))

    response = client.post("/t", content=raw, headers={"Content-Type": "text/plain"})

    assert response.status_code == 200
    assert names_on(workspace, "u-1") == ["added_to_cart"]


@pytest.mark.parametrize("auth", [("wrong", ""), None], ids=["wrong", "missing"])
def test_wrong_or_missing_write_key_is_401_with_meta_errors_and_a_challenge(
    client: httpx.Client, workspace: Workspace, auth: tuple[str, str] | None
) -> None:
    response = client.post("/track", auth=auth, json=track())

    assert response.status_code == 401
    assert "write key" in errors_of(response)[0]
    assert response.headers["www-authenticate"].startswith("Basic ")
    assert workspace.people == {}


def test_wrong_write_key_in_the_body_is_401(client: httpx.Client) -> None:
    response = client.post("/b", json={"batch": [track()], "writeKey": "nope"})

    assert response.status_code == 401
    assert errors_of(response)


def test_malformed_json_is_400_naming_the_problem(client: httpx.Client) -> None:
    response = client.post(
        "/track",
        auth=(KEY, ""),
        content=b'{"type": "track",',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert "not valid JSON" in errors_of(response)[0]


def test_bad_gzip_is_400_naming_the_problem(client: httpx.Client) -> None:
    response = client.post(
        "/b", content=b"not gzip", headers={"Content-Encoding": "gzip"}
    )

    assert response.status_code == 400
    assert "not valid gzip" in errors_of(response)[0]


def test_strict_track_without_event_is_400_and_nothing_is_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/batch",
        auth=(KEY, ""),
        headers={"X-Strict-Mode": "1"},
        json={"batch": [track("first"), track(None)]},
    )

    assert response.status_code == 400
    errors = errors_of(response)
    assert len(errors) == 1
    assert "batch[1]" in errors[0]
    assert '"event"' in errors[0]
    assert workspace.people == {}
    assert workspace.events == []


def test_strict_call_the_model_refuses_is_400_and_nothing_is_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    no_delivery = track("Report Delivery Event", properties={"metric": "opened"})

    response = client.post(
        "/batch",
        auth=(KEY, ""),
        headers={"X-Strict-Mode": "1"},
        json={"batch": [track("first"), no_delivery]},
    )

    assert response.status_code == 400
    assert "deliveryId" in errors_of(response)[0]
    assert workspace.events == []


def test_strict_call_refused_only_when_applied_still_applies_nothing(
    workspace: Workspace,
) -> None:
    workspace.single_owner = False
    app = create_app({KEY: workspace}.get, api_host=API_HOST)
    device = {"device": {"token": "tok-1", "type": "ios"}}
    register = track("Device Created or Updated", context=device)
    with httpx.Client(
        transport=InProcessTransport({"cdp.customer.io": app}), base_url=BASE
    ) as client:
        client.post("/track", auth=(KEY, ""), json=register)
        events_before = len(workspace.events)

        response = client.post(
            "/batch",
            auth=(KEY, ""),
            headers={"X-Strict-Mode": "1"},
            json={
                "batch": [
                    track("first", userId="u-2"),
                    register | {"userId": "u-2"},
                ]
            },
        )

    assert response.status_code == 400
    assert "another person" in errors_of(response)[0]
    assert len(workspace.events) == events_before
    assert workspace.find("u-2") is None


def test_lenient_track_without_event_is_200_and_the_rejection_kept(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/batch", auth=(KEY, ""), json={"batch": [track("first"), track(None)]}
    )

    assert (response.status_code, response.json()) == (200, {})
    assert names_on(workspace, "u-1") == ["first"]
    [rejection] = workspace.rejections
    assert rejection.source == "/batch"
    assert "batch[1]" in rejection.problem and '"event"' in rejection.problem


def test_request_over_32kb_is_200_but_not_applied_and_recorded(
    client: httpx.Client, workspace: Workspace
) -> None:
    big = track(properties={"blob": "x" * (33 * 1024)})

    response = client.post("/track", auth=(KEY, ""), json=big)

    assert response.status_code == 200
    assert workspace.events == []
    [rejection] = workspace.rejections
    assert "limit" in rejection.problem


def test_request_over_32kb_in_strict_mode_is_400(client: httpx.Client) -> None:
    big = track(properties={"blob": "x" * (33 * 1024)})

    response = client.post(
        "/track", auth=(KEY, ""), json=big, headers={"X-Strict-Mode": "1"}
    )

    assert response.status_code == 400
    assert "limit" in errors_of(response)[0]


def test_unknown_call_type_is_404_naming_the_routes(client: httpx.Client) -> None:
    response = client.post("/trak", auth=(KEY, ""), json=track())

    assert response.status_code == 404
    message = errors_of(response)[0]
    assert "POST /v1/trak" in message
    assert "/track" in message


def test_unknown_path_is_404_naming_the_nearest_routes(client: httpx.Client) -> None:
    response = client.post("https://cdp.customer.io/v2/track", json=track())

    assert response.status_code == 404
    message = errors_of(response)[0]
    assert "POST /v2/track" in message
    assert "nearest routes" in message
    assert "POST /v1/track" in message


def test_settings_point_the_data_pipelines_destination_at_the_api_host(
    client: httpx.Client,
) -> None:
    response = client.get(f"/projects/{KEY}/settings")

    assert response.status_code == 200
    destination = response.json()["integrations"]["Customer.io Data Pipelines"]
    assert destination == {"apiKey": KEY, "apiHost": API_HOST}


def test_settings_for_an_unknown_write_key_is_404(client: httpx.Client) -> None:
    response = client.get("/projects/nope/settings")

    assert response.status_code == 404
    assert "'nope'" in errors_of(response)[0]


# -- unreadable requests -------------------------------------------------------------


def big_batch() -> bytes:
    """Return a gzipped batch of small calls that inflates past the 500 KB limit."""
    calls = [track(f"e{i}", properties={"pad": "x" * 30_000}) for i in range(20)]
    return gzip.compress(json.dumps({"batch": calls}).encode())


def zeros_bomb() -> bytes:
    """Return 16 MB of zeros gzipped to a few kilobytes."""
    return gzip.compress(bytes(16 * 1024 * 1024), compresslevel=9)


def test_json_nested_1000_deep_is_400_naming_the_nesting(
    client: httpx.Client, workspace: Workspace
) -> None:
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    raw = f'{{"type":"track","userId":"u-1","event":"e","properties":{deep}}}'

    response = client.post("/track", auth=(KEY, ""), content=raw.encode())

    assert response.status_code == 400
    assert "nests too deeply" in errors_of(response)[0]
    assert workspace.events == []


def test_basic_auth_with_non_ascii_bytes_is_401(client: httpx.Client) -> None:
    response = client.post(
        "/track", json=track(), headers={"Authorization": b"Basic \xe9"}
    )

    assert response.status_code == 401
    assert "write key" in errors_of(response)[0]


def test_empty_body_is_400_saying_the_body_is_empty(client: httpx.Client) -> None:
    response = client.post("/track", auth=(KEY, ""), content=b"")

    assert response.status_code == 400
    assert "body is empty" in errors_of(response)[0]


def test_unreadable_body_with_a_valid_key_is_kept_as_a_rejection(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post("/track", auth=(KEY, ""), content=b'{"type": "track",')

    assert response.status_code == 400
    [rejection] = workspace.rejections
    assert rejection.source == "/track"
    assert "not valid JSON" in rejection.problem


def test_strict_gzip_inflating_past_500kb_is_400_and_nothing_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/batch",
        auth=(KEY, ""),
        content=big_batch(),
        headers={"Content-Encoding": "gzip", "X-Strict-Mode": "1"},
    )

    assert response.status_code == 400
    assert "limit" in errors_of(response)[0]
    assert workspace.events == []


def test_lenient_gzip_inflating_past_500kb_is_200_not_applied_and_recorded(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/batch",
        auth=(KEY, ""),
        content=big_batch(),
        headers={"Content-Encoding": "gzip"},
    )

    assert (response.status_code, response.json()) == (200, {})
    assert workspace.events == []
    [rejection] = workspace.rejections
    assert "inflates past" in rejection.problem


def test_gzip_bomb_is_refused_without_inflating_it(client: httpx.Client) -> None:
    bomb = zeros_bomb()
    tracemalloc.start()
    try:
        response = client.post(
            "/batch",
            auth=(KEY, ""),
            content=bomb,
            headers={"Content-Encoding": "gzip", "X-Strict-Mode": "1"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 400
    assert peak < 4 * 1024 * 1024, f"inflating the bomb held {peak} bytes"


# -- calls ---------------------------------------------------------------------------


def test_call_limit_counts_utf8_bytes_so_20kb_of_emoji_is_accepted(
    client: httpx.Client, workspace: Workspace
) -> None:
    call = track(properties={"note": "\U0001f600" * 5000})
    raw = json.dumps(call, ensure_ascii=False).encode()
    assert 20_000 <= len(raw) < 32 * 1024

    response = client.post(
        "/track", auth=(KEY, ""), content=raw, headers={"X-Strict-Mode": "1"}
    )

    assert response.status_code == 200
    assert names_on(workspace, "u-1") == ["added_to_cart"]


def test_page_without_a_name_is_stored_as_a_page(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/page", auth=(KEY, ""), json={"type": "page", "userId": "u-1"}
    )

    assert (response.status_code, response.json()) == (200, {})
    assert workspace.rejections == []
    [event] = workspace.events
    assert (event.kind, event.name) == ("page", "")


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "track", "event": "second", "properties": {}},
        {"type": "track", "userId": "u-1", "properties": {}},
    ],
    ids=["no-identity", "no-event"],
)
def test_strict_batch_with_a_bad_later_call_applies_nothing(
    client: httpx.Client, workspace: Workspace, bad: dict[str, Any]
) -> None:
    response = client.post(
        "/batch",
        auth=(KEY, ""),
        headers={"X-Strict-Mode": "1"},
        json={"batch": [track("first"), bad]},
    )

    assert response.status_code == 400
    assert "batch[1]" in errors_of(response)[0]
    assert workspace.people == {}
    assert workspace.events == []


def test_refused_call_keeps_its_message_id_for_a_corrected_retry(
    client: httpx.Client, workspace: Workspace
) -> None:
    register = track("Device Created or Updated", messageId="m-1")
    fixed = register | {"context": {"device": {"token": "tok-1", "type": "ios"}}}

    refused = client.post("/track", auth=(KEY, ""), json=register)
    retried = client.post("/track", auth=(KEY, ""), json=fixed)

    assert (refused.status_code, retried.status_code) == (200, 200)
    [rejection] = workspace.rejections
    assert "context.device.token" in rejection.problem
    assert [d.token for d in workspace.devices.of(workspace.find("u-1"))] == ["tok-1"]


def test_a_key_sent_as_a_bearer_token_is_accepted(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post(
        "/track", json=track(), headers={"Authorization": f"Bearer {KEY}"}
    )

    assert (response.status_code, response.json()) == (200, {})
    assert names_on(workspace, "u-1") == ["added_to_cart"]


def test_a_lone_surrogate_is_400_not_a_crash(client: httpx.Client) -> None:
    body = b'{"type":"identify","userId":"u-1","traits":{"first_name":"\\ud800"}}'

    response = client.post(
        "/identify", content=body, auth=(KEY, ""), headers={"X-Strict-Mode": "1"}
    )

    assert response.status_code == 400
    assert "surrogate" in errors_of(response)[0]


def test_a_trailing_slash_gets_the_nearest_routes_not_a_redirect(
    client: httpx.Client,
) -> None:
    response = client.post("/track/", json=track(), auth=(KEY, ""))

    assert response.status_code == 404
    assert "nearest routes" in errors_of(response)[0]
    assert "location" not in response.headers
