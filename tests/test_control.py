"""The control API under /_harness/, in process, and the emulator methods under it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from harness.campaigns import Campaign
from harness.clock import DEFAULT_START, Clock
from harness.emulator import Emulator
from harness.files import load_directory
from harness.ids import Ids
from harness.journal import Journal
from harness.serve import control

BASE = "https://harness.test/_harness"
PIPELINES = "https://cdp.customer.io/v1"
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def campaigns(root: Path) -> list[Campaign]:
    """The shipped campaigns, cart-recovery among them."""
    return list(load_directory(root / "fixtures" / "campaigns", Campaign).values())


@pytest.fixture
def emulator(campaigns: list[Campaign]) -> Iterator[Emulator]:
    """An emulator as served: a journal per workspace, one workspace, control on."""
    emulator = Emulator(
        Clock(),
        Ids(0).child("emulator"),
        Journal(),
        campaigns=campaigns,
        journal_per_workspace=True,
    )
    emulator.create_workspace("default")
    emulator.transport.mount("harness.test", control.create_app(emulator))
    yield emulator
    emulator.close()


@pytest.fixture
def http(emulator: Emulator) -> httpx.Client:
    """The emulator's own client: reaches Pipelines and the control API."""
    return emulator.http


def send(http: httpx.Client, write_key: str, *calls: dict[str, Any]) -> None:
    """Post ``calls`` as one Pipelines batch and insist it was taken."""
    response = http.post(
        f"{PIPELINES}/batch", auth=(write_key, ""), json={"batch": list(calls)}
    )
    assert response.status_code == 200, response.text


def key(emulator: Emulator, name: str = "default") -> str:
    return emulator.workspaces[name].keys.write_key


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


CART = {
    "type": "track",
    "userId": "u-1",
    "event": "added_to_cart",
    "properties": {"items": [{"name": "Socks", "sku": "S-1"}]},
}


# -- workspaces ---------------------------------------------------------------------


def test_creating_a_workspace_answers_201_with_its_credentials(
    http: httpx.Client, emulator: Emulator
) -> None:
    response = http.post(f"{BASE}/workspaces", json={"name": "worker-1"})

    assert response.status_code == 201
    body = response.json()
    keys = emulator.workspaces["worker-1"].keys
    assert body["name"] == "worker-1"
    assert (body["site_id"], body["track_api_key"]) == (keys.site_id, keys.api_key)
    assert (body["write_key"], body["app_api_key"]) == (
        keys.write_key,
        keys.app_api_key,
    )


def test_listing_workspaces_shows_each_with_its_own_keys(http: httpx.Client) -> None:
    http.post(f"{BASE}/workspaces", json={"name": "worker-1"})

    listed = http.get(f"{BASE}/workspaces").json()["workspaces"]

    assert [w["name"] for w in listed] == ["default", "worker-1"]
    assert listed[0]["write_key"] != listed[1]["write_key"]


def test_a_taken_workspace_name_is_409_and_changes_nothing(
    http: httpx.Client, emulator: Emulator
) -> None:
    before = emulator.workspaces["default"]

    response = http.post(f"{BASE}/workspaces", json={"name": "default"})

    status, code, message = error_of(response)
    assert (status, code) == (409, "workspace_exists")
    assert "pick another name" in message
    assert emulator.workspaces["default"] is before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, '"name"'),
        ({"name": 7}, '"name"'),
        ({"name": "has space"}, "naming rule"),
        ({"name": "-dash-first"}, "naming rule"),
        ({"name": "ok", "ios_topic": 3}, "bundle id"),
    ],
)
def test_a_bad_workspace_request_is_400_saying_what_to_send(
    http: httpx.Client, body: dict[str, Any], says: str
) -> None:
    status, code, message = error_of(http.post(f"{BASE}/workspaces", json=body))

    assert (status, code) == (400, "invalid_request")
    assert says in message


def test_a_body_that_is_not_json_is_400_bad_json(http: httpx.Client) -> None:
    response = http.post(f"{BASE}/workspaces", content=b"{name: x")

    assert error_of(response)[:2] == (400, "bad_json")


def test_an_unknown_workspace_is_404_listing_the_known_ones(http: httpx.Client) -> None:
    status, code, message = error_of(http.get(f"{BASE}/workspaces/nope/people"))

    assert (status, code) == (404, "unknown_workspace")
    assert "'nope'" in message and "default" in message


def test_workspaces_never_see_each_others_people(
    http: httpx.Client, emulator: Emulator
) -> None:
    emulator.create_workspace("other")
    send(http, key(emulator), {"type": "identify", "userId": "alice"})
    send(http, key(emulator, "other"), {"type": "identify", "userId": "bob"})

    default = http.get(f"{BASE}/workspaces/default/people").json()["people"]
    other = http.get(f"{BASE}/workspaces/other/people").json()["people"]

    assert [p["id"] for p in default] == ["alice"]
    assert [p["id"] for p in other] == ["bob"]


def test_one_anonymous_id_in_two_workspaces_keeps_two_timelines(
    http: httpx.Client, emulator: Emulator
) -> None:
    emulator.create_workspace("other")
    for name, event in [("default", "viewed_socks"), ("other", "viewed_hats")]:
        call = {"type": "track", "anonymousId": "anon-1", "event": event}
        send(http, key(emulator, name), call)

    texts = [
        e["text"]
        for e in timeline(http, "anon-1", workspace="default")
        if e["layer"] == "workspace"
    ]

    assert texts == ["track 'viewed_socks' as anonymous anon-1"]


# -- lookups by credentials ----------------------------------------------------------


def test_credentials_find_their_workspace_and_nothing_else(emulator: Emulator) -> None:
    other = emulator.create_workspace("other")
    keys = emulator.workspaces["default"].keys

    assert emulator.workspace_for_write_key(keys.write_key) is (
        emulator.workspaces["default"].workspace
    )
    assert emulator.workspace_for_site(keys.site_id, keys.api_key) is not None
    assert emulator.workspace_for_site(keys.site_id, other.keys.api_key) is None
    assert emulator.workspace_for_app_key(other.keys.app_api_key) is other.workspace
    assert emulator.workspace_for_write_key("") is None


def test_same_seed_and_name_give_the_same_keys() -> None:
    emulators = [Emulator(Clock(), Ids(7).child("e"), Journal()) for _ in range(2)]

    made = [e.create_workspace("w").keys for e in emulators]

    assert (made[0].site_id, made[0].write_key) == (made[1].site_id, made[1].write_key)
    for emulator in emulators:
        emulator.close()


# -- reset ----------------------------------------------------------------------------


def test_reset_empties_workspaces_but_keeps_their_credentials(
    http: httpx.Client, emulator: Emulator
) -> None:
    keys = emulator.workspaces["default"].keys
    send(http, keys.write_key, {"type": "identify", "userId": "u-1"}, CART)

    response = http.post(f"{BASE}/reset")

    assert response.json() == {"workspaces": ["default"]}
    assert http.get(f"{BASE}/workspaces/default/people").json() == {"people": []}
    assert emulator.clock.pending() == []
    assert emulator.workspaces["default"].keys == keys
    send(http, keys.write_key, {"type": "identify", "userId": "u-2"})
    assert [p.id for p in emulator.people("default")] == ["u-2"]


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b'{"workspace": "w3"}', "invalid_request", "takes no fields, so 'workspace'"),
        (b"[1]", "bad_json", "not an object"),
        (b'"default"', "bad_json", "not an object"),
    ],
)
def test_a_reset_with_a_body_it_does_not_take_is_refused_and_resets_nothing(
    http: httpx.Client, emulator: Emulator, body: bytes, code: str, says: str
) -> None:
    send(http, key(emulator), {"type": "identify", "userId": "u-1"})

    status, answered, message = error_of(http.post(f"{BASE}/reset", content=body))

    assert (status, answered) == (400, code)
    assert says in message
    assert [p.id for p in emulator.people("default")] == ["u-1"]


@pytest.mark.parametrize("body", [b"", b"{}"])
def test_a_reset_with_no_body_or_an_empty_object_resets_everything(
    http: httpx.Client, emulator: Emulator, body: bytes
) -> None:
    send(http, key(emulator), {"type": "identify", "userId": "u-1"})

    response = http.post(f"{BASE}/reset", content=body)

    assert response.status_code == 200
    assert emulator.people("default") == []


def test_the_documented_reset_body_agrees_with_the_route(http: httpx.Client) -> None:
    schema = jsonschema.Draft202012Validator(body_schema(http, "/reset"))

    assert schema.is_valid({}) and not schema.is_valid({"workspace": "w3"})


def test_a_workspace_with_an_unknown_field_is_refused_and_not_made(
    http: httpx.Client, emulator: Emulator
) -> None:
    response = http.post(f"{BASE}/workspaces", json={"name": "w9", "extra": 1})

    status, code, message = error_of(response)
    assert (status, code) == (400, "invalid_request")
    assert "'extra' is not one of them" in message and '"ios_topic"' in message
    assert "w9" not in emulator.workspaces


def test_a_workspace_topic_that_is_not_unicode_text_is_refused(
    http: httpx.Client, emulator: Emulator
) -> None:
    body = b'{"name": "w9", "ios_topic": "com.\\ud800"}'

    status, code, message = error_of(http.post(f"{BASE}/workspaces", content=body))

    assert (status, code) == (400, "invalid_request")
    assert '"ios_topic" is not valid Unicode text' in message
    assert "w9" not in emulator.workspaces


def test_reset_keeps_campaigns_running_for_new_triggers(
    http: httpx.Client, emulator: Emulator
) -> None:
    http.post(f"{BASE}/reset")
    send(http, key(emulator), {"type": "identify", "userId": "u-1"}, CART)

    http.post(f"{BASE}/clock/advance", json={"seconds": 31 * 60})

    assert [d.channel for d in emulator.deliveries("default")] == ["email"]


# -- clock ----------------------------------------------------------------------------


def test_advancing_the_clock_runs_a_campaign_wait(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(http, key(emulator), {"type": "identify", "userId": "u-1"}, CART)
    assert http.get(f"{BASE}/clock").json()["pending_timers"] == 1

    clock = http.post(f"{BASE}/clock/advance", json={"seconds": 1800}).json()

    deliveries = http.get(f"{BASE}/workspaces/default/deliveries").json()
    assert clock["now"] == "2026-03-02T09:30:00Z"
    assert clock["pending_timers"] == 0
    assert [d["channel"] for d in deliveries["deliveries"]] == ["email"]
    assert deliveries["deliveries"][0]["subject"] == "You left Socks in your cart"


def test_the_clock_reads_frozen_with_no_offset(http: httpx.Client) -> None:
    clock = http.get(f"{BASE}/clock").json()

    assert clock == {
        "now": "2026-03-02T09:00:00Z",
        "live": False,
        "offset_seconds": 0.0,
        "pending_timers": 0,
        "next_timer": None,
    }


@pytest.mark.parametrize("seconds", [-1, "60", True, None, 1e12, float("inf")])
def test_a_bad_advance_is_400_and_leaves_the_clock(
    http: httpx.Client, emulator: Emulator, seconds: Any
) -> None:
    body = json.dumps({"seconds": seconds}, allow_nan=True)

    response = http.post(f"{BASE}/clock/advance", content=body)

    status, code, message = error_of(response)
    assert (status, code) == (400, "invalid_request")
    assert '{"minutes": 30}' in message
    assert emulator.clock.now() == DEFAULT_START


# -- read-outs -------------------------------------------------------------------------


def timeline(
    http: httpx.Client, identifier: str, workspace: str = "default"
) -> list[dict[str, Any]]:
    path = f"{BASE}/workspaces/{workspace}/people/{identifier}/timeline"
    response = http.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_a_timeline_is_json_lines_of_time_layer_kind_and_text(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(
        http,
        key(emulator),
        {"type": "track", "anonymousId": "anon-1", "event": "viewed"},
        {"type": "identify", "userId": "u-1", "anonymousId": "anon-1"},
    )

    entries = timeline(http, "u-1")

    assert all(set(e) == {"time", "layer", "kind", "text"} for e in entries)
    assert entries[0]["text"] == "track 'viewed' as anonymous anon-1"
    assert any("merged into u-1" in e["text"] for e in entries)
    assert entries[0]["time"] == "2026-03-02T09:00:00Z"


def test_a_timeline_shows_the_campaign_and_its_send(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(http, key(emulator), {"type": "identify", "userId": "u-1"}, CART)
    http.post(f"{BASE}/clock/advance", json={"seconds": 1800})

    texts = [e["text"] for e in timeline(http, "u-1")]

    assert "entered campaign 'cart-recovery' on 'added_to_cart'" in texts
    assert any(t.startswith("email 'You left Socks") for t in texts)


def test_a_timeline_is_found_by_email_and_cio_id(
    http: httpx.Client, emulator: Emulator
) -> None:
    identify = {"type": "identify", "userId": "u-1", "traits": {"email": "A@x.io"}}
    send(http, key(emulator), identify)
    cio_id = emulator.people("default")[0].cio_id

    by_email, by_cio = timeline(http, "a@x.io"), timeline(http, f"cio_{cio_id}")

    assert by_email == by_cio != []


def test_a_timeline_of_no_one_is_404_naming_the_ways_to_look_up(
    http: httpx.Client,
) -> None:
    response = http.get(f"{BASE}/workspaces/default/people/ghost/timeline")

    status, code, message = error_of(response)
    assert (status, code) == (404, "unknown_person")
    assert "'ghost'" in message and "anonymous id" in message


def test_people_and_devices_list_what_the_sdk_registered(
    http: httpx.Client, emulator: Emulator
) -> None:
    device = {
        "type": "track",
        "userId": "u-1",
        "event": "Device Created or Updated",
        "context": {"device": {"token": "tok-1", "type": "ios"}},
        "properties": {"push_enabled": "true"},
    }
    send(http, key(emulator), {"type": "identify", "userId": "u-1"}, device)

    people = http.get(f"{BASE}/workspaces/default/people").json()["people"]
    devices = http.get(f"{BASE}/workspaces/default/devices").json()["devices"]

    assert people[0]["id"] == "u-1" and people[0]["created_at"].endswith("Z")
    assert [(d["token"], d["owner"]) for d in devices] == [
        ("tok-1", people[0]["cio_id"])
    ]


def test_snapshot_exports_clock_workspaces_and_journals(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(http, key(emulator), {"type": "identify", "userId": "u-1"}, CART)

    snapshot = http.get(f"{BASE}/snapshot").json()

    held = snapshot["workspaces"]["default"]
    assert snapshot["clock"]["pending"][0][1] == "cart-recovery wait for u-1"
    assert held["keys"]["write_key"] == key(emulator)
    assert [p["id"] for p in held["people"]] == ["u-1"]
    assert [e["name"] for e in held["events"]] == ["added_to_cart"]
    assert held["journeys"][0]["campaign"] == "cart-recovery"
    assert any(e["kind"] == "identify" for e in held["journal"])


# -- seed -----------------------------------------------------------------------------

SEED = f"{BASE}/workspaces/default/seed"


def test_a_seed_creates_people_devices_and_events(
    http: httpx.Client, emulator: Emulator
) -> None:
    body = {
        "people": [
            {"id": "u-1", "email": "U1@shop.example", "attributes": {"plan": "pro"}},
            {"email": "u2@shop.example"},
        ],
        "devices": [
            {"person": "u-1", "token": "apns-1", "platform": "ios"},
            {
                "person": "u2@shop.example",
                "token": "https://fcm.googleapis.com/wp/abc",
                "platform": "web",
                "attributes": {"push_enabled": True},
            },
        ],
        "events": [
            {"person": "u-1", "name": "viewed", "properties": {"sku": "S-1"}},
            {"anonymous_id": "anon-7", "name": "browsed", "timestamp": 1772400000},
        ],
    }

    response = http.post(SEED, json=body)

    assert response.status_code == 200, response.text
    answer = response.json()
    people = {p.id or p.email: p for p in emulator.people("default")}
    assert [p["cio_id"] for p in answer["people"]] == [
        people["u-1"].cio_id,
        people["u2@shop.example"].cio_id,
    ]
    assert people["u-1"].email == "u1@shop.example"
    assert people["u-1"].attributes == {"plan": "pro"}
    devices = {d.token: d for d in emulator.devices("default")}
    assert devices["apns-1"].owner == people["u-1"].cio_id
    assert devices["https://fcm.googleapis.com/wp/abc"].platform == "web"
    assert devices["https://fcm.googleapis.com/wp/abc"].push_enabled
    assert [(e["name"], e["timestamp"]) for e in answer["events"]] == [
        ("viewed", "2026-03-02T09:00:00Z"),
        ("browsed", "2026-03-01T21:20:00Z"),
    ]


def test_a_seed_stitches_anonymous_ids_and_their_events(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(http, key(emulator), {"type": "track", "anonymousId": "a-1", "event": "seen"})

    response = http.post(
        SEED, json={"people": [{"id": "u-1", "anonymous_ids": ["a-1", "a-2"]}]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["people"][0]["anonymous_ids"] == ["a-1", "a-2"]
    workspace = emulator.workspaces["default"].workspace
    person = workspace.find("u-1")
    assert person is not None
    assert [e.name for e in workspace.events_of(person)] == ["seen"]


def test_seeded_events_trigger_campaigns(
    http: httpx.Client, emulator: Emulator
) -> None:
    cart = {"person": "u-1", "name": "added_to_cart", "properties": CART["properties"]}
    http.post(SEED, json={"people": [{"id": "u-1"}], "events": [cart]})

    http.post(f"{BASE}/clock/advance", json={"seconds": 1800})

    assert [d.campaign for d in emulator.deliveries("default")] == ["cart-recovery"]


def test_a_seed_with_problems_lists_every_one_and_applies_nothing(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(http, key(emulator), {"type": "identify", "userId": "u-9", "anonymousId": "x"})
    body = {
        "people": [
            {"id": "u-1"},
            {"attributes": {"plan": "pro"}},
            {"id": "u-2", "anonymous_ids": ["x"], "name": "Jo"},
            {"id": "u-1"},
        ],
        "devices": [{"person": "nobody", "token": "t", "platform": "windows"}],
        "events": [
            {"name": "viewed"},
            {"person": "u-1", "name": "User Deleted"},
            {"person": "u-1", "name": "viewed", "timestamp": "yesterday"},
        ],
        "segments": [],
    }

    response = http.post(SEED, json=body)

    status, code, message = error_of(response)
    problems = response.json()["error"]["problems"]
    assert (status, code) == (400, "invalid_request")
    assert message.startswith("the seed has 10 problems, so nothing was applied: ")
    assert problems == [
        "segments: is not a part of a seed; send people, devices, events",
        "people[2].name: is not known; use id, email, attributes, anonymous_ids",
        'people[1]: needs "id" or "email" to name the person',
        "people[2].anonymous_ids[0]: 'x' belongs to u-9 already",
        "people[3]: 'u-1' is seeded twice; give each person once",
        "devices[0].person: 'nobody' is no one in workspace 'default' nor in this "
        "seed's people; seed the person too, or name one by id, email or cio_ id",
        "devices[0].platform: 'windows' is not one of ios, android, web",
        'events[0]: needs "person" or "anonymous_id" to say whose it is',
        "events[1].name: 'User Deleted' is a semantic event, not one to seed; seed "
        'devices under "devices", and delete or suppress people through the '
        "Track API",
        "events[2].timestamp: must be Unix seconds, such as 1772442000, not "
        "'yesterday'",
    ]
    assert [p.id for p in emulator.people("default")] == ["u-9"]


def test_a_seed_that_would_be_partly_dropped_is_refused_whole(
    http: httpx.Client, emulator: Emulator
) -> None:
    send(
        http,
        key(emulator),
        {"type": "identify", "userId": "u-8", "traits": {"email": "e8@shop.example"}},
        {"type": "identify", "userId": "u-9", "traits": {"email": "e9@shop.example"}},
        {"type": "identify", "userId": "gone"},
        {"type": "track", "userId": "gone", "event": "User Suppressed"},
    )
    body = {
        "people": [
            {"id": "gone"},
            {"id": "u-1", "email": "e9@shop.example"},
            {"id": "u-8", "email": "other@shop.example"},
            {"id": "u-8", "email": "E8@shop.example"},
        ]
    }

    response = http.post(SEED, json=body)

    assert error_of(response)[:2] == (400, "invalid_request")
    problems = response.json()["error"]["problems"]
    assert [p.partition(":")[0] for p in problems] == [
        "people[0].id",
        "people[1].email",
        "people[2].email",
        "people[3]",
    ]
    assert "'gone' is suppressed" in problems[0]
    assert "belongs to u-9 already" in problems[1]
    assert "has the email 'e8@shop.example' already" in problems[2]
    assert sorted(str(p.id) for p in emulator.people("default")) == ["u-8", "u-9"]


def test_a_seed_over_the_track_api_limits_names_each_limit(
    http: httpx.Client, emulator: Emulator
) -> None:
    body = {
        "people": [
            {"id": "u" * 151},
            {"id": "u-1", "attributes": {"n" * 151: 1, "long": "v" * 1001}},
            {"id": "u-2", "attributes": {f"a{i}": i for i in range(301)}},
        ],
        "events": [{"person": "u-1", "name": "e" * 101}],
    }

    response = http.post(SEED, json=body)

    assert error_of(response)[:2] == (400, "invalid_request")
    problems = response.json()["error"]["problems"]
    assert problems[0].startswith("people[0].id is 151 bytes; an id may be at most")
    assert problems[1].startswith("people[1].attributes.")
    assert "names may be at most 150 bytes" in problems[1]
    assert "at most 300" in problems[2]
    assert problems[3].startswith("events[0].name is 101 bytes")
    assert emulator.people("default") == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"people": {}}, "people: must be a list, not an object"),
        ({"people": [3]}, "people[0]: must be an object, not a number"),
        ({"people": [{"id": ""}]}, "people[0].id: must be a non-empty string, not an"),
        ({"people": [{"id": "a@b.c"}]}, "looks like an email; give it as email"),
        ({"people": [{"email": "nobody"}]}, "has no @; give an email address"),
        (
            {"people": [{"id": "u", "attributes": {"email": "e@x.y"}}]},
            "people[0].attributes.email: give it as people[0].email",
        ),
        ({"devices": [{"person": "u"}]}, "devices[0].token: must be a non-empty"),
    ],
)
def test_a_bad_seed_names_the_culprit(
    http: httpx.Client, body: dict[str, Any], says: str
) -> None:
    status, code, message = error_of(http.post(SEED, json=body))

    assert (status, code) == (400, "invalid_request")
    assert says in message


def test_a_seed_of_an_unknown_workspace_is_404(http: httpx.Client) -> None:
    response = http.post(f"{BASE}/workspaces/nope/seed", json={})

    assert error_of(response)[:2] == (404, "unknown_workspace")


def test_the_openapi_document_describes_the_seed_body(http: httpx.Client) -> None:
    document = http.get(f"{BASE}/openapi.json").json()

    operation = document["paths"]["/_harness/workspaces/{name}/seed"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert sorted(schema["properties"]) == ["devices", "events", "people"]
    device = schema["properties"]["devices"]["items"]
    assert device["properties"]["platform"] == {"enum": ["ios", "android", "web"]}
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert "problems" in error["properties"]


def body_schema(http: httpx.Client, path: str) -> dict[str, Any]:
    document = http.get(f"{BASE}/openapi.json").json()
    operation = document["paths"][f"/_harness{path}"]["post"]
    return dict(operation["requestBody"]["content"]["application/json"]["schema"])


@pytest.mark.parametrize("name", ["ok", "bad name!", "x/y", "a" * 65, "-a"])
def test_the_documented_workspace_name_pattern_matches_the_rule_whole(
    http: httpx.Client, name: str
) -> None:
    pattern = body_schema(http, "/workspaces")["properties"]["name"]["pattern"]

    documented = jsonschema.Draft202012Validator({"pattern": pattern}).is_valid(name)

    assert documented == (control.check_name(name) is None)


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({"minutes": 30}, True),
        ({"hours": 2, "days": 1}, True),
        ({"days": 3650}, True),
        ({"days": 3651}, False),
        ({"seconds": 315360001}, False),
        ({}, False),
        ({"weeks": 1}, False),
    ],
)
def test_the_documented_advance_body_agrees_with_the_route(
    http: httpx.Client, body: dict[str, Any], accepted: bool
) -> None:
    schema = body_schema(http, "/clock/advance")

    documented = jsonschema.Draft202012Validator(schema).is_valid(body)
    answered = http.post(f"{BASE}/clock/advance", json=body).status_code

    assert (documented, answered == 200) == (accepted, accepted)


@pytest.mark.parametrize(
    ("timestamp", "accepted"), [(0, True), (99_999_999_999, True), (1e11, False)]
)
def test_the_documented_seed_timestamp_agrees_with_the_route(
    http: httpx.Client, timestamp: float, accepted: bool
) -> None:
    schema = body_schema(http, "/workspaces/{name}/seed")
    body = {"events": [{"anonymous_id": "a", "name": "seen", "timestamp": timestamp}]}

    documented = jsonschema.Draft202012Validator(schema).is_valid(body)
    answered = http.post(SEED, json=body).status_code

    assert (documented, answered == 200) == (accepted, accepted)


# -- the routes themselves ----------------------------------------------------------


def test_openapi_document_lists_every_control_route(http: httpx.Client) -> None:
    document = http.get(f"{BASE}/openapi.json").json()

    operations = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
    ]
    expected = [(e.method, f"/_harness{e.path}") for e in control.ENDPOINTS]
    ids = [
        op["operationId"] for item in document["paths"].values() for op in item.values()
    ]
    assert document["openapi"].startswith("3.1")
    assert sorted(operations) == sorted(expected)
    assert len(ids) == len(set(ids))


def test_an_unknown_control_path_is_404_naming_the_nearest_routes(
    http: httpx.Client,
) -> None:
    status, code, message = error_of(http.get(f"{BASE}/peoples"))

    assert (status, code) == (404, "no_route")
    assert "GET /_harness/peoples matches no control route" in message
    assert "nearest routes:" in message


def test_a_wrong_method_is_405_naming_the_methods_the_route_takes(
    http: httpx.Client,
) -> None:
    response = http.get(f"{BASE}/reset")

    status, code, message = error_of(response)
    assert (status, code) == (405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    assert "the route /_harness/reset exists but takes POST, not GET" in message
    assert "matches no control route" not in message


def test_a_route_with_two_methods_allows_both(http: httpx.Client) -> None:
    response = http.delete(f"{BASE}/workspaces")

    assert response.headers["allow"] == "GET, POST"
    assert "takes GET or POST" in error_of(response)[2]


def test_a_long_path_is_cut_short_in_the_answer(http: httpx.Client) -> None:
    status, code, message = error_of(http.get(f"{BASE}/{'p' * 5000}"))

    assert (status, code) == (404, "no_route")
    assert "(5010 characters)" in message and len(message) < 800


def test_with_a_token_every_route_wants_it_as_bearer(emulator: Emulator) -> None:
    emulator.transport.mount("guarded.test", control.create_app(emulator, TOKEN))
    url = "https://guarded.test/_harness/workspaces"

    missing = emulator.http.get(url)
    wrong = emulator.http.get(url, headers={"authorization": "Bearer nope"})
    right = emulator.http.get(url, headers={"authorization": f"Bearer {TOKEN}"})

    assert error_of(missing)[:2] == (401, "unauthorized")
    assert "came with no control token" in error_of(missing)[2]
    assert "came with a wrong control token" in error_of(wrong)[2]
    assert missing.headers["www-authenticate"] == 'Bearer realm="harness"'
    assert right.status_code == 200


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_the_bearer_scheme_is_accepted_in_any_case(
    emulator: Emulator, scheme: str
) -> None:
    emulator.transport.mount("guarded.test", control.create_app(emulator, TOKEN))
    url = "https://guarded.test/_harness/workspaces"

    right = emulator.http.get(url, headers={"authorization": f"{scheme} {TOKEN}"})
    basic = emulator.http.get(url, headers={"authorization": f"Basic {TOKEN}"})

    assert (right.status_code, basic.status_code) == (200, 401)


def test_a_refused_token_says_listen_put_it_there_not_beyond_loopback(
    emulator: Emulator,
) -> None:
    emulator.transport.mount("guarded.test", control.create_app(emulator, TOKEN))

    missing = emulator.http.get("https://guarded.test/_harness/workspaces")

    message = error_of(missing)[2]
    assert "behind a token because this server was started with --listen" in message
    assert "beyond loopback" not in message


@pytest.mark.parametrize(
    ("name", "problem"),
    [("default", None), ("w.1_a-b", None), ("", "naming rule"), ("a/b", "naming")],
)
def test_workspace_names_follow_one_rule(name: str, problem: str | None) -> None:
    found = control.check_name(name)

    assert (found is None) if problem is None else (problem in str(found))


def test_a_timer_failing_during_advance_is_500_timer_failed(
    http: httpx.Client, emulator: Emulator
) -> None:
    def fail() -> None:
        raise RuntimeError("boom")

    emulator.clock.call_later(timedelta(minutes=1), fail, "failing")

    response = http.post(f"{BASE}/clock/advance", json={"seconds": 120})

    status, code, message = error_of(response)
    assert (status, code) == (500, "timer_failed")
    assert "RuntimeError: boom" in message


def test_advance_takes_minutes_hours_and_days_together(http: httpx.Client) -> None:
    before = datetime.fromisoformat(http.get(f"{BASE}/clock").json()["now"])

    http.post(f"{BASE}/clock/advance", json={"minutes": 30, "hours": 1})

    after = datetime.fromisoformat(http.get(f"{BASE}/clock").json()["now"])
    assert after - before == timedelta(minutes=90)


def test_advance_names_a_key_that_is_not_a_unit(http: httpx.Client) -> None:
    response = http.post(f"{BASE}/clock/advance", json={"mins": 30})

    assert response.status_code == 400
    assert "'mins' is not a unit" in response.json()["error"]["message"]


def test_the_control_root_lists_its_routes(http: httpx.Client) -> None:
    response = http.get(f"{BASE}/")

    assert response.status_code == 200
    routes = {(r["method"], r["path"]) for r in response.json()["routes"]}
    assert ("POST", "/_harness/clock/advance") in routes


def test_advance_past_the_year_9000_is_400_and_the_clock_stays(
    http: httpx.Client,
) -> None:
    before = http.get(f"{BASE}/clock").json()["now"]

    for _ in range(800):
        response = http.post(f"{BASE}/clock/advance", json={"days": 3650})
        if response.status_code != 200:
            break

    assert response.status_code == 400
    assert "past 9000" in response.json()["error"]["message"]
    assert http.get(f"{BASE}/clock").json()["now"] > before
    assert http.get(f"{BASE}/clock").status_code == 200
