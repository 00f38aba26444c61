"""Wire tests of the emulated App API, over httpx in process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.appapi import AppContext, create_app
from harness.apps import AppProfile
from harness.delivery import Messenger
from harness.profiles import DeviceProfile
from harness.push.clients import OutboundPush
from harness.push.notification import Verdict
from harness.transactional import load_transactional
from harness.transport import InProcessTransport
from harness.workspace import Caller, Identify, Track, Workspace
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]
KEY = "app-api-key-1"
BASE = "https://api.customer.io"
AUTH = {"authorization": f"Bearer {KEY}"}
USER = "u-1"
ORDER = {"order_number": "A-7", "items": "Trail boots"}


class Provider:
    """A push provider that accepts every push and keeps it."""

    def __init__(self) -> None:
        self.pushes: list[OutboundPush] = []

    def send(self, push: OutboundPush) -> Verdict:
        self.pushes.append(push)
        return Verdict("apns", push.token, True, 200, None, False, None, "apns-1")


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def context(workspace: Workspace, provider: Provider) -> AppContext:
    messenger = Messenger(workspace, {"ios": provider, "android": provider})
    messages = load_transactional(ROOT / "fixtures" / "transactional")
    return AppContext(workspace, messenger, tuple(messages))


@pytest.fixture
def client(context: AppContext) -> Iterator[httpx.Client]:
    transport = InProcessTransport({"api.customer.io": create_app({KEY: context}.get)})
    with httpx.Client(transport=transport, base_url=BASE, headers=AUTH) as client:
        yield client


def person(workspace: Workspace, user_id: str = USER, **traits: Any) -> str:
    caller = Caller(user_id, None, None, workspace.clock.now())
    workspace.apply(Identify(caller, traits))
    found = workspace.find(user_id)
    assert found is not None
    return found.cio_id


def device(workspace: Workspace, token: str, user_id: str = USER) -> None:
    context = {"device": {"token": token, "type": "ios"}}
    caller = Caller(user_id, None, None, workspace.clock.now(), context)
    track = Track(caller, "Device Created or Updated", {"push_enabled": "true"})
    workspace.apply(track)


def event(workspace: Workspace, name: str, user_id: str = USER) -> None:
    caller = Caller(user_id, None, None, workspace.clock.now())
    workspace.apply(Track(caller, name, {"sku": "B1"}))


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"meta"} and set(body["meta"]) == {"error"}
    message: str = body["meta"]["error"]
    return message


def push(client: httpx.Client, **fields: Any) -> httpx.Response:
    fields.setdefault("identifiers", {"id": USER})
    return client.post("/v1/send/push", json=fields)


# -- auth and routing ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {KEY}"}],
    ids=["missing", "unknown key", "basic scheme"],
)
def test_request_without_the_app_api_bearer_key_is_401(
    client: httpx.Client, workspace: Workspace, headers: dict[str, str]
) -> None:
    client.headers.pop("authorization")

    response = client.post("/v1/send/push", json={}, headers=headers)

    assert response.status_code == 401
    assert "Authorization: Bearer" in error_of(response)
    assert workspace.people == {}


def test_lookup_without_a_key_is_401_too(client: httpx.Client) -> None:
    client.headers.pop("authorization")

    assert client.get("/v1/customers", params={"email": "a@b.c"}).status_code == 401


def test_unmatched_path_names_the_nearest_routes(client: httpx.Client) -> None:
    response = client.get("/v1/customer/u-1/attributes")

    assert response.status_code == 404
    assert "GET /v1/customer/u-1/attributes matches no App API route" in error_of(
        response
    )
    assert "/v1/customers/{identifier}/attributes" in error_of(response)


def test_wrong_method_is_405_with_the_nearest_routes(client: httpx.Client) -> None:
    response = client.get("/v1/send/push")

    assert response.status_code == 405
    assert "POST /v1/send/push" in error_of(response)


# -- POST /v1/send/push ----------------------------------------------------------


def test_send_by_message_id_answers_delivery_id_and_queued_at(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    response = push(client, transactional_message_id=1, message_data=ORDER)

    body = response.json()
    assert (response.status_code, set(body)) == (200, {"delivery_id", "queued_at"})
    assert body["queued_at"] == workspace.clock.timestamp()
    assert [p.delivery_id for p in provider.pushes] == [body["delivery_id"]]
    assert provider.pushes[0].title == "Order A-7 has shipped"


def test_send_by_trigger_name_matches_in_any_case(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    response = push(
        client, transactional_message_id="Order-SHIPPED", message_data=ORDER
    )

    assert response.status_code == 200
    assert provider.pushes[0].link == "shop://orders/A-7"


def test_send_naming_no_declared_message_is_404(client: httpx.Client) -> None:
    response = push(client, transactional_message_id=99)

    assert response.status_code == 404
    assert "declared: 1 (order-shipped)" in error_of(response)


def test_send_without_template_uses_title_and_message(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    response = push(client, title="Hi", message="There", custom_data={"k": "v"})

    assert response.status_code == 200
    pushed = provider.pushes[0]
    assert (pushed.title, pushed.body, pushed.custom_data) == (
        "Hi",
        "There",
        {"k": "v"},
    )


def test_send_creates_a_missing_person_by_email(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = push(
        client, identifiers={"email": "new@shop.example"}, title="t", message="b"
    )

    assert response.status_code == 200
    assert workspace.find("new@shop.example") is not None


def test_send_to_an_unknown_cio_id_is_404_and_creates_nobody(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = push(client, identifiers={"cio_id": "f00"}, title="t", message="b")

    assert response.status_code == 404
    assert "never creates one by cio_id" in error_of(response)
    assert workspace.people == {}


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"identifiers": {"id": "1", "email": "a@b.c"}}, "exactly one of id"),
        ({"identifiers": {"phone": "1"}}, "exactly one of id"),
        ({"identifier": {"id": "1"}}, "did you mean identifiers?"),
        ({"custom_data": {"n": 1}}, "custom_data.n is a number"),
        ({"send_at": "tomorrow"}, "send_at must be a Unix time"),
        ({"queue_draft": "yes"}, "queue_draft must be true or false"),
        ({"custom_device": {"token": "t"}}, "custom_device needs token and platform"),
        ({"custom_device": {"token": "t", "platform": "tv"}}, "platform of ios"),
        ({"to": "tok-unknown"}, "is not a token on u-1's profile"),
        ({"transactional_message_id": True}, "must be a message's number"),
        ({"message": None}, "needs both title and message"),
    ],
)
def test_malformed_send_is_400_naming_the_field(
    client: httpx.Client, workspace: Workspace, fields: dict[str, Any], fragment: str
) -> None:
    body = {"identifiers": {"id": USER}, "title": "t", "message": "b"} | fields

    response = client.post("/v1/send/push", json=body)

    assert response.status_code == 400
    assert fragment in error_of(response)
    assert workspace.deliveries == {}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"{", "not valid JSON"), (b"[]", "one JSON object"), (b"", "one JSON object")],
)
def test_unreadable_body_is_400(
    client: httpx.Client, content: bytes, fragment: str
) -> None:
    response = client.post("/v1/send/push", content=content)

    assert (response.status_code, fragment in error_of(response)) == (400, True)


def test_body_over_one_megabyte_is_413(client: httpx.Client) -> None:
    filler = {"blob": "x" * (1024 * 1024)}

    response = push(client, title="t", message="b", message_data=filler)

    assert response.status_code == 413


def test_custom_device_registers_the_token_on_the_person(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    custom = {
        "token": "tok-api",
        "platform": "android",
        "last_used": workspace.clock.timestamp() - 60,
        "attributes": {"app_version": "2.4.0"},
    }

    push(client, title="t", message="b", custom_device=custom)
    devices = client.get(f"/v1/customers/{USER}/attributes").json()["customer"][
        "devices"
    ]

    assert devices == [
        {
            "id": "tok-api",
            "platform": "android",
            "last_used": custom["last_used"],
            "attributes": {"app_version": "2.4.0"},
        }
    ]
    assert [p.token for p in provider.pushes] == ["tok-api"]


def test_person_without_devices_gets_200_and_an_undeliverable_message(
    client: httpx.Client,
) -> None:
    delivery_id = push(client, title="t", message="b").json()["delivery_id"]

    message = client.get(f"/v1/messages/{delivery_id}").json()["message"]

    assert message["state"] == "undeliverable"
    assert message["failure_message"] == "u-1 has no devices on their profile"
    assert set(message["metrics"]) == {"undeliverable"}


def test_disable_message_retention_forgets_the_content(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    delivery_id = push(
        client, title="Secret", message="b", disable_message_retention=True
    ).json()["delivery_id"]
    message = client.get(f"/v1/messages/{delivery_id}").json()["message"]

    assert (message["forgotten"], message["subject"], message["body"]) == (
        True,
        None,
        None,
    )
    assert provider.pushes[0].title == "Secret"


def test_send_at_answers_now_and_lists_the_message_as_scheduled(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    at = workspace.clock.timestamp() + 3600

    body = push(client, title="t", message="b", send_at=at).json()
    message = client.get(f"/v1/messages/{body['delivery_id']}").json()["message"]

    assert body["queued_at"] == workspace.clock.timestamp()
    assert (message["state"], message["send_at"], provider.pushes) == (
        "scheduled",
        at,
        [],
    )


# -- people lookups --------------------------------------------------------------


def test_customers_by_email_lists_the_match_in_any_case(
    client: httpx.Client, workspace: Workspace
) -> None:
    cio_id = person(workspace, email="ada@shop.example")

    response = client.get("/v1/customers", params={"email": "ADA@shop.example"})

    assert response.json() == {
        "results": [{"cio_id": cio_id, "id": USER, "email": "ada@shop.example"}]
    }


def test_customers_by_unknown_email_is_an_empty_list(client: httpx.Client) -> None:
    response = client.get("/v1/customers", params={"email": "nobody@shop.example"})

    assert (response.status_code, response.json()) == (200, {"results": []})


def test_customers_without_email_is_400(client: httpx.Client) -> None:
    response = client.get("/v1/customers")

    assert (response.status_code, "needs ?email=" in error_of(response)) == (400, True)


def test_attributes_show_identifiers_text_attributes_and_timestamps(
    client: httpx.Client, workspace: Workspace
) -> None:
    cio_id = person(workspace, email="ada@shop.example", vip=True, orders=3)
    created = workspace.clock.timestamp()

    customer = client.get(f"/v1/customers/{USER}/attributes").json()["customer"]

    assert customer == {
        "id": USER,
        "identifiers": {"id": USER, "email": "ada@shop.example", "cio_id": cio_id},
        "attributes": {
            "vip": "true",
            "orders": "3",
            "id": USER,
            "email": "ada@shop.example",
            "cio_id": cio_id,
            "_created_in_customerio_at": str(created),
        },
        "timestamps": {
            name: created
            for name in ("vip", "orders", "id", "email", "cio_id")
            + ("_created_in_customerio_at",)
        },
        "unsubscribed": False,
        "devices": [],
    }


@pytest.mark.parametrize("id_type", ["email", "cio_id"])
def test_attributes_find_the_person_by_another_id_type(
    client: httpx.Client, workspace: Workspace, id_type: str
) -> None:
    cio_id = person(workspace, email="ada@shop.example")
    identifier = {"email": "ada@shop.example", "cio_id": cio_id}[id_type]

    response = client.get(
        f"/v1/customers/{identifier}/attributes", params={"id_type": id_type}
    )

    assert response.json()["customer"]["identifiers"]["cio_id"] == cio_id


def test_attributes_of_a_missing_person_is_404(client: httpx.Client) -> None:
    response = client.get("/v1/customers/ghost/attributes")

    assert response.status_code == 404
    assert "no person has id 'ghost'" in error_of(response)


def test_attributes_with_an_unknown_id_type_is_400(client: httpx.Client) -> None:
    response = client.get("/v1/customers/u-1/attributes", params={"id_type": "mail"})

    assert response.status_code == 400
    assert "did you mean email?" in error_of(response)


def test_attributes_of_many_skip_the_missing_and_include_devices(
    client: httpx.Client, workspace: Workspace
) -> None:
    person(workspace)
    person(workspace, "u-2")
    device(workspace, "tok-2", user_id="u-2")

    response = client.post("/v1/customers/attributes", json={"ids": ["u-2", "x", USER]})

    customers = response.json()["customers"]
    assert [c["id"] for c in customers] == ["u-2", USER]
    assert [d["id"] for d in customers[0]["devices"]] == ["tok-2"]


def test_attributes_of_more_than_100_ids_is_400(client: httpx.Client) -> None:
    ids = [f"u-{n}" for n in range(101)]

    response = client.post("/v1/customers/attributes", json={"ids": ids})

    assert (response.status_code, "at most 100" in error_of(response)) == (400, True)


# -- activities and messages -----------------------------------------------------


def test_activities_list_events_and_sends_newest_first(
    client: httpx.Client, workspace: Workspace
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    event(workspace, "viewed")
    workspace.clock.advance(minutes=1)
    delivery_id = push(client, title="t", message="b").json()["delivery_id"]

    body = client.get(f"/v1/customers/{USER}/activities").json()

    assert [(a["type"], a["name"]) for a in body["activities"]] == [
        ("sent_push", ""),
        ("event", "viewed"),
    ]
    assert body["activities"][0]["delivery_id"] == delivery_id
    assert body["activities"][1]["data"] == {"sku": "B1"}
    assert body["next"] == ""


def test_activities_page_through_with_limit_and_start(
    client: httpx.Client, workspace: Workspace
) -> None:
    person(workspace)
    for name in ("a", "b", "c"):
        event(workspace, name)
        workspace.clock.advance(seconds=1)

    first = client.get(f"/v1/customers/{USER}/activities", params={"limit": 2}).json()
    second = client.get(
        f"/v1/customers/{USER}/activities", params={"limit": 2, "start": first["next"]}
    ).json()

    assert [a["name"] for a in first["activities"]] == ["c", "b"]
    assert ([a["name"] for a in second["activities"]], second["next"]) == (["a"], "")


def test_activities_filter_by_type(client: httpx.Client, workspace: Workspace) -> None:
    person(workspace)
    event(workspace, "viewed")
    push(client, title="t", message="b")

    body = client.get(
        f"/v1/customers/{USER}/activities", params={"type": "undeliverable_push"}
    ).json()

    assert [a["type"] for a in body["activities"]] == ["undeliverable_push"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [({"limit": "101"}, "from 1 to 100"), ({"start": "nope"}, "no cursor")],
)
def test_activities_with_a_bad_limit_or_cursor_is_400(
    client: httpx.Client, workspace: Workspace, params: dict[str, str], fragment: str
) -> None:
    person(workspace)

    response = client.get(f"/v1/customers/{USER}/activities", params=params)

    assert (response.status_code, fragment in error_of(response)) == (400, True)


def test_messages_list_the_persons_deliveries_with_metrics(
    client: httpx.Client, workspace: Workspace
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    sent = push(client, transactional_message_id=1, message_data=ORDER).json()

    messages = client.get(f"/v1/customers/{USER}/messages").json()["messages"]

    assert [
        (m["id"], m["type"], m["recipient"], m["subject"], m["state"]) for m in messages
    ] == [(sent["delivery_id"], "push", "tok-1", "Order A-7 has shipped", "sent")]
    assert messages[0]["metrics"] == {"sent": sent["queued_at"]}
    assert messages[0]["transactional_message_id"] == 1


def test_message_by_id_carries_the_provider_verdicts(
    client: httpx.Client, workspace: Workspace
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    delivery_id = push(client, title="t", message="b").json()["delivery_id"]

    message = client.get(f"/v1/messages/{delivery_id}").json()["message"]

    assert message["verdicts"] == [
        {
            "token": "tok-1",
            "service": "apns",
            "accepted": True,
            "status": 200,
            "reason": None,
        }
    ]


def test_message_with_an_unknown_id_is_404(client: httpx.Client) -> None:
    response = client.get("/v1/messages/nope")

    assert (response.status_code, "no delivery has id" in error_of(response)) == (
        404,
        True,
    )


# -- end to end, through a world -------------------------------------------------


@pytest.fixture
def world(
    profiles: dict[str, DeviceProfile], apps: dict[str, AppProfile]
) -> Iterator[World]:
    world = World(profiles["ios-17-iphone"], apps["reference"], root=ROOT)
    env = world.env
    messages = load_transactional(ROOT / "fixtures" / "transactional")
    context = AppContext(world.workspace, env.messenger, tuple(messages))
    app = create_app({env.keys.app_api_key: context}.get)
    world.emulator.transport.mount("api.customer.io", app)
    yield world
    world.emulator.close()


def bearer(world: World) -> dict[str, str]:
    return {"authorization": f"Bearer {world.env.keys.app_api_key}"}


def test_send_reaches_the_logged_in_shoppers_phone(world: World) -> None:
    shopper = world.shopper()
    phone = world.device(shopper)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    phone.background()

    response = world.emulator.http.post(
        f"{BASE}/v1/send/push",
        json={
            "transactional_message_id": "order-shipped",
            "identifiers": {"id": shopper.user_id},
            "message_data": ORDER,
        },
        headers=bearer(world),
    )

    shown = [(i.title, i.delivery_id) for i in phone.inbox.shown()]
    assert shown == [("Order A-7 has shipped", response.json()["delivery_id"])]


def test_scheduled_send_reaches_the_phone_when_the_world_advances(
    world: World,
) -> None:
    shopper = world.shopper()
    phone = world.device(shopper)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    at = world.clock.timestamp() + 600
    body = {
        "identifiers": {"email": shopper.email},
        "title": "Flash sale",
        "message": "Starts now",
        "send_at": at,
    }

    sent = world.emulator.http.post(
        f"{BASE}/v1/send/push", json=body, headers=bearer(world)
    )
    delivery_id = sent.json()["delivery_id"]
    before = len(phone.inbox)
    world.advance(minutes=10)

    assert before == 0
    assert [i.delivery_id for i in phone.inbox.shown()] == [delivery_id]
    assert world.workspace.deliveries[delivery_id].verdicts[0].accepted


def test_lookups_reflect_what_the_pipelines_api_received(world: World) -> None:
    http, key = world.emulator.http, world.env.keys.write_key
    calls = [
        {"type": "identify", "userId": "u-9", "traits": {"email": "z@shop.example"}},
        {"type": "track", "userId": "u-9", "event": "added_to_cart"},
    ]
    pipelines = http.post(
        "https://cdp.customer.io/v1/batch",
        content=json.dumps({"batch": calls, "writeKey": key}),
    )

    found = http.get(
        f"{BASE}/v1/customers",
        params={"email": "z@shop.example"},
        headers=bearer(world),
    )
    activities = http.get(
        f"{BASE}/v1/customers/u-9/activities", headers=bearer(world)
    ).json()

    assert pipelines.status_code == 200
    assert [r["id"] for r in found.json()["results"]] == ["u-9"]
    assert [a["name"] for a in activities["activities"]] == ["added_to_cart"]
