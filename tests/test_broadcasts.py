"""API-triggered broadcasts: the trigger routes, the audience rules and the sends.

Wire tests drive the App API in process; the end-to-end tests have the shop's
backend fill a manual segment over the Track API and trigger the broadcast
over the App API, then read the phones.

Customer.io's Python client (``customerio`` 3.2) has no ``trigger_broadcast``,
so there is no conformance test with a real client here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.appapi import AppContext, create_app
from harness.appapi.routes import NO_KEY
from harness.campaigns.broadcast import Audience, Broadcast, load_broadcasts
from harness.campaigns.broadcaster import Broadcaster
from harness.campaigns.spec import PushMessage
from harness.clock import Clock
from harness.delivery import Messenger
from harness.device.phone import EmulatedPhone
from harness.emulator import Emulator
from harness.errors import ConfigError, ScenarioError
from harness.ids import Ids
from harness.journal import Journal
from harness.push.clients import OutboundPush
from harness.push.notification import Verdict
from harness.serve import project_options
from harness.serve.app import create_app as served_app
from harness.transport import InProcessTransport
from harness.workspace import (
    Caller,
    ChangeSegment,
    Identify,
    Ref,
    Track,
    Workspace,
)
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]
KEY = "app-api-key-1"
BASE = "https://api.customer.io"
AUTH = {"authorization": f"Bearer {KEY}"}
TRIGGERS = "/v1/campaigns/1/triggers"
SALE = Broadcast(
    id=2,
    name="sale",
    audience=Audience(segment="vip"),
    push=PushMessage(
        title="{{ trigger.percent }}% off",
        body="{{ customer.first_name | default: 'friend' }}: {{ trigger.note }}",
        link="shop://sale/{{ trigger.code }}?u={{ customer.id }}",
    ),
)
SPLIT = Broadcast(
    id=3,
    name="split",
    audience=Audience(segment="vip"),
    push=PushMessage(title="{{ 10 | divided_by: customer.parts }}", body="x"),
)
PUSH_ONLY = Broadcast(
    id=4,
    name="push-only",
    audience=Audience(segment="vip"),
    push=PushMessage(title="t", body="b"),
)

MakeWorld = Callable[..., World]


class Provider:
    """A push provider that accepts every push and keeps it."""

    def __init__(self) -> None:
        self.pushes: list[OutboundPush] = []

    def send(self, push: OutboundPush) -> Verdict:
        self.pushes.append(push)
        return Verdict("apns", push.token, True, 200, None, False, None, "apns-1")

    def tokens(self) -> list[str]:
        return [p.token for p in self.pushes]


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def messenger(workspace: Workspace, provider: Provider) -> Messenger:
    return Messenger(workspace, {"ios": provider, "android": provider})


@pytest.fixture
def broadcaster(workspace: Workspace, messenger: Messenger) -> Broadcaster:
    shipped = load_broadcasts(ROOT / "fixtures" / "broadcasts")
    return Broadcaster(workspace, messenger, [*shipped, SALE, SPLIT, PUSH_ONLY])


@pytest.fixture
def client(
    workspace: Workspace, messenger: Messenger, broadcaster: Broadcaster
) -> Iterator[httpx.Client]:
    context = AppContext(workspace, messenger, (), broadcaster)
    transport = InProcessTransport({"api.customer.io": create_app({KEY: context}.get)})
    with httpx.Client(transport=transport, base_url=BASE, headers=AUTH) as client:
        yield client


def person(workspace: Workspace, user_id: str, **traits: Any) -> None:
    caller = Caller(user_id, None, None, workspace.clock.now())
    workspace.apply(Identify(caller, traits))


def phone(workspace: Workspace, user_id: str, push: str = "true", **traits: Any) -> str:
    """Make a person with one iOS device; return its token."""
    person(workspace, user_id, **traits)
    token = f"token-of-{user_id}"
    context = {"device": {"token": token, "type": "ios"}}
    caller = Caller(user_id, None, None, workspace.clock.now(), context)
    workspace.apply(Track(caller, "Device Created or Updated", {"push_enabled": push}))
    return token


def join(workspace: Workspace, segment: str, *user_ids: str) -> None:
    refs = tuple(Ref("id", u) for u in user_ids)
    workspace.perform(ChangeSegment(segment, refs))


def unix(clock: Clock) -> int:
    return int(clock.now().timestamp())


def errors(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"detail": detail, "status": str(status)}]}


# -- the trigger route ---------------------------------------------------------------


def test_a_trigger_answers_200_with_its_id(client: httpx.Client) -> None:
    first = client.post(TRIGGERS, json={"data": {"headline": "Hi"}})
    second = client.post("/v1/campaigns/2/triggers", json={})

    assert (first.status_code, first.json()) == (200, {"id": 1})
    assert (second.status_code, second.json()) == (200, {"id": 2})


def test_an_empty_body_is_a_trigger_without_data(client: httpx.Client) -> None:
    response = client.post(TRIGGERS, content=b"")

    assert (response.status_code, response.json()) == (200, {"id": 1})


def test_an_undeclared_broadcast_is_404_in_the_errors_shape(
    client: httpx.Client,
) -> None:
    response = client.post("/v1/campaigns/9/triggers", json={})

    assert response.status_code == 404
    assert response.json() == errors(
        404,
        "broadcast 9 is not declared in workspace test; declared: 1 "
        "(internal-test), 2 (sale), 3 (split), 4 (push-only). Trigger one of "
        "these, or add the broadcast under fixtures/broadcasts/.",
    )


@pytest.mark.parametrize("raw", ["abc", "0", "-1"])
def test_a_broadcast_id_that_is_not_a_number_is_400(
    client: httpx.Client, raw: str
) -> None:
    response = client.post(f"/v1/campaigns/{raw}/triggers", json={})

    assert response.status_code == 400
    assert response.json() == errors(
        400,
        f"broadcast_id {raw!r} is not a number; broadcasts and their triggers are "
        "addressed by their numeric ids, such as /v1/campaigns/1/triggers",
    )


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661"])
def test_a_broadcast_id_in_other_scripts_digits_is_400_not_a_crash(
    client: httpx.Client, raw: str
) -> None:
    response = client.post(f"/v1/campaigns/{raw}/triggers", json={})

    assert response.status_code == 400
    assert response.json()["errors"][0]["status"] == "400"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/campaigns/1/triggers"),
        ("DELETE", "/v1/broadcasts/1"),
        ("GET", "/v1/broadcasts/1/metrics"),
    ],
)
def test_an_unmatched_broadcast_path_answers_in_the_errors_shape(
    client: httpx.Client, method: str, path: str
) -> None:
    response = client.request(method, path)

    [error] = response.json()["errors"]
    assert error["status"] == str(response.status_code)
    assert response.status_code in (404, 405)
    assert "App API" in error["detail"]


def test_the_older_trigger_path_points_at_the_current_one(client: httpx.Client) -> None:
    response = client.post("/v1/api/campaigns/1/triggers", json={})

    [error] = response.json()["errors"]
    assert response.status_code == 404
    assert "send POST /v1/campaigns/{id}/triggers instead" in error["detail"]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {KEY}"])
def test_without_the_app_api_key_a_trigger_is_401(
    client: httpx.Client, provider: Provider, authorization: str | None
) -> None:
    headers = {"authorization": authorization or ""}

    response = client.post(TRIGGERS, json={}, headers=headers)

    assert response.status_code == 401
    assert response.json() == errors(401, NO_KEY)


def test_a_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    response = client.post(TRIGGERS, content=b"{nope")

    assert response.status_code == 400
    assert response.json() == errors(
        400,
        "body is not valid JSON (Expecting property name enclosed in double quotes:"
        " line 1 column 2 (char 1)); send one object",
    )


def test_two_ways_of_naming_recipients_are_422(client: httpx.Client) -> None:
    response = client.post(TRIGGERS, json={"ids": ["u-1"], "emails": ["a@b.c"]})

    assert response.status_code == 422
    assert response.json() == errors(
        422,
        "the trigger names its recipients with ids and emails; send one of ids, "
        "emails, per_user_data, recipients, data_file_url, or none for the "
        "broadcast's own audience",
    )


def test_a_mistyped_key_is_422_naming_the_nearest(client: httpx.Client) -> None:
    response = client.post(TRIGGERS, json={"idz": ["u-1"]})

    assert response.status_code == 422
    assert response.json() == errors(
        422,
        "key 'idz' is not one the App API takes; did you mean ids? Known: data, "
        "ids, emails, per_user_data, recipients, data_file_url, id_ignore_missing, "
        "email_ignore_missing, email_add_duplicates",
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"data": ["x"]}, "data must be an object, not a list"),
        (
            {"ids": []},
            "ids must be a list naming at least one person, not an empty list",
        ),
        ({"ids": [True]}, "ids[0] must be an id as text, not a boolean"),
        ({"emails": ["nope"]}, "emails[0] 'nope' is not an email address"),
        (
            {"per_user_data": [{"id": "1", "email": "a@b.c"}]},
            "per_user_data[0] needs exactly one of id or email",
        ),
        ({"per_user_data": [{"id": "1", "dta": {}}]}, "did you mean data?"),
        ({"recipients": {"segment": {}}}, 'recipients.segment must be {"id"'),
        ({"recipients": {"sgement": {"id": 1}}}, "did you mean segment?"),
        (
            {"recipients": {"attribute": {"field": "a", "operator": "gt"}}},
            "operator must be one of eq, exists, not 'gt'",
        ),
        ({"recipients": {"and": []}}, "recipients.and must be a non-empty list"),
        ({"id_ignore_missing": "yes"}, "id_ignore_missing must be true or false"),
        ({"data_file_url": "https://x"}, "data_file_url is not emulated"),
    ],
)
def test_a_wrong_value_is_422_saying_what_is_wrong(
    client: httpx.Client, provider: Provider, body: dict[str, Any], fragment: str
) -> None:
    response = client.post(TRIGGERS, json=body)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["status"] == "422"
    assert fragment in error["detail"]


# -- the rate limit ------------------------------------------------------------------


def test_a_second_trigger_inside_ten_seconds_is_429_and_one_after_is_taken(
    client: httpx.Client, clock: Clock
) -> None:
    client.post(TRIGGERS, json={})
    clock.advance(seconds=9)

    early = client.post(TRIGGERS, json={})
    clock.advance(seconds=1)
    later = client.post(TRIGGERS, json={})

    assert early.status_code == 429
    assert early.json() == errors(
        429,
        "broadcast 1 was triggered 9s ago and takes one trigger every 10s; wait 1s "
        "more, or send to one person with a transactional message instead",
    )
    assert (later.status_code, later.json()) == (200, {"id": 2})


def test_the_rate_limit_is_per_broadcast(client: httpx.Client) -> None:
    first = client.post(TRIGGERS, json={})
    other = client.post("/v1/campaigns/2/triggers", json={})

    assert (first.status_code, other.status_code) == (200, 200)


def test_a_request_refused_before_it_makes_a_trigger_does_not_start_the_window(
    client: httpx.Client,
) -> None:
    refused = client.post(TRIGGERS, json={"ids": []})
    taken = client.post(TRIGGERS, json={})

    assert (refused.status_code, taken.status_code) == (422, 200)


def test_a_trigger_that_fails_for_its_recipients_starts_the_window(
    client: httpx.Client,
) -> None:
    failed = client.post(TRIGGERS, json={"ids": ["ghost"]})
    again = client.post(TRIGGERS, json={})

    assert (failed.status_code, again.status_code) == (422, 429)


# -- status, errors and listings -----------------------------------------------------


def test_a_triggers_status_shows_when_it_was_made_and_processed(
    client: httpx.Client, clock: Clock
) -> None:
    client.post(TRIGGERS, json={})
    made = unix(clock)
    clock.advance(minutes=1)

    response = client.get(f"{TRIGGERS}/1")

    assert response.status_code == 200
    assert response.json() == {
        "id": 1,
        "broadcast_id": 1,
        "created_at": made,
        "processed_at": made,
    }


@pytest.mark.parametrize("path", [f"{TRIGGERS}/7", "/v1/campaigns/2/triggers/1"])
def test_a_trigger_the_broadcast_never_had_is_404(
    client: httpx.Client, path: str
) -> None:
    client.post(TRIGGERS, json={})

    response = client.get(path)

    broadcast, trigger = path.split("/")[3], path.split("/")[-1]
    assert response.status_code == 404
    assert response.json() == errors(
        404,
        f"broadcast {broadcast} has no trigger {trigger}; use the id a trigger "
        f"answered with, or list GET /v1/broadcasts/{broadcast}/triggers",
    )


def test_a_broadcasts_triggers_are_listed_oldest_first(
    client: httpx.Client, clock: Clock
) -> None:
    client.post(TRIGGERS, json={})
    client.post("/v1/campaigns/2/triggers", json={})
    clock.advance(seconds=10)
    client.post(TRIGGERS, json={})

    listed = client.get("/v1/broadcasts/1/triggers").json()["triggers"]

    assert [(t["id"], t["broadcast_id"]) for t in listed] == [(1, 1), (3, 1)]


def test_the_declared_broadcasts_are_listed_and_found_by_id(
    client: httpx.Client,
) -> None:
    listed = client.get("/v1/broadcasts").json()["broadcasts"]
    one = client.get("/v1/broadcasts/1")
    missing = client.get("/v1/broadcasts/9")

    assert [(b["id"], b["name"]) for b in listed] == [
        (1, "internal-test"),
        (2, "sale"),
        (3, "split"),
        (4, "push-only"),
    ]
    assert one.json() == {
        "broadcast": {
            "id": 1,
            "name": "internal-test",
            "type": "triggered_broadcast",
            "active": True,
            "state": "running",
        }
    }
    assert missing.status_code == 404


def test_ids_that_name_nobody_fail_the_trigger_with_its_errors_listed(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "u-1")

    response = client.post(TRIGGERS, json={"ids": ["u-1", "ghost", "nobody"]})
    page = client.get(f"{TRIGGERS}/1/errors")

    assert response.status_code == 422
    assert response.json() == errors(
        422,
        "trigger 1 of broadcast 1 failed and sent nothing: line 2: ids names id "
        "'ghost', nobody in workspace test; a broadcast never creates people, so "
        "add them first or send id_ignore_missing: true to skip them (1 more "
        "problem); GET /v1/campaigns/1/triggers/1/errors lists every problem",
    )
    assert provider.pushes == []
    assert page.json() == {
        "errors": [
            "line 2: ids names id 'ghost', nobody in workspace test; a broadcast "
            "never creates people, so add them first or send id_ignore_missing: "
            "true to skip them",
            "line 3: ids names id 'nobody', nobody in workspace test; a broadcast "
            "never creates people, so add them first or send id_ignore_missing: "
            "true to skip them",
        ],
        "next": 0,
    }


def test_a_triggers_errors_come_in_pages(client: httpx.Client) -> None:
    client.post(TRIGGERS, json={"ids": ["a", "b", "c"]})

    first = client.get(f"{TRIGGERS}/1/errors", params={"limit": 2}).json()
    last = client.get(f"{TRIGGERS}/1/errors", params={"start": 2}).json()

    assert [e.split(":")[0] for e in first["errors"]] == ["line 1", "line 2"]
    assert first["next"] == 2
    assert ([e.split(":")[0] for e in last["errors"]], last["next"]) == (
        ["line 3"],
        0,
    )


# -- who gets it ---------------------------------------------------------------------


def test_without_recipients_only_the_segments_members_get_it(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    tester, other = phone(workspace, "tester"), phone(workspace, "shopper")
    join(workspace, "internal-testers", "tester")

    client.post(TRIGGERS, json={"data": {"headline": "Ping"}})

    assert provider.tokens() == [tester]
    assert other not in provider.tokens()


def test_an_empty_segment_sends_nothing_and_the_journal_says_why(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "shopper")

    response = client.post(TRIGGERS, json={})

    assert (response.status_code, provider.pushes) == (200, [])
    assert any(
        "manual segment internal-testers has nobody in it" in e.text
        for e in workspace.journal
    )


def test_ids_replace_the_audience(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "tester")
    shopper = phone(workspace, "shopper")
    join(workspace, "internal-testers", "tester")

    client.post(TRIGGERS, json={"ids": ["shopper"]})

    assert provider.tokens() == [shopper]


def test_id_ignore_missing_skips_who_is_missing_and_sends_to_the_rest(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    shopper = phone(workspace, "shopper")

    response = client.post(
        TRIGGERS, json={"ids": ["ghost", "shopper"], "id_ignore_missing": True}
    )

    assert (response.status_code, provider.tokens()) == (200, [shopper])


def test_emails_name_people_in_any_case_and_missing_ones_fail(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    shopper = phone(workspace, "shopper", email="ann@example.com")
    emails = ["ANN@example.com", "ghost@example.com"]

    failed = client.post(TRIGGERS, json={"emails": emails})
    client.post("/v1/campaigns/2/triggers", json={"emails": emails})
    ignored = client.post(
        "/v1/campaigns/4/triggers",
        json={"emails": emails, "email_ignore_missing": True},
    )

    assert failed.status_code == 422
    assert "email_ignore_missing: true" in failed.json()["errors"][0]["detail"]
    assert (ignored.status_code, provider.tokens()) == (200, [shopper])


def test_a_person_named_twice_gets_one_push(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    shopper = phone(workspace, "shopper", email="ann@example.com")

    client.post(TRIGGERS, json={"ids": ["shopper", "shopper"]})
    client.post("/v1/campaigns/2/triggers", json={"emails": ["ann@example.com"] * 2})

    assert provider.tokens() == [shopper, shopper]


def test_per_user_data_is_laid_over_the_trigger_data(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "ann", email="ann@example.com")
    phone(workspace, "bob")
    body = {
        "data": {"percent": 10, "note": "for all", "code": "ALL"},
        "per_user_data": [
            {"email": "ann@example.com", "data": {"percent": 30}},
            {"id": "bob"},
        ],
    }

    client.post("/v1/campaigns/2/triggers", json=body)

    titles = {p.token: (p.title, p.body) for p in provider.pushes}
    assert titles == {
        "token-of-ann": ("30% off", "friend: for all"),
        "token-of-bob": ("10% off", "friend: for all"),
    }


@pytest.mark.parametrize(
    ("recipients", "reached"),
    [
        ({"segment": {"id": "vip"}}, ["ann", "bob"]),
        ({"attribute": {"field": "plan", "operator": "eq", "value": "gold"}}, ["ann"]),
        ({"attribute": {"field": "plan", "operator": "exists"}}, ["ann", "cat"]),
        ({"attribute": {"field": "beta", "operator": "eq", "value": True}}, ["cat"]),
        (
            {
                "and": [
                    {"segment": {"id": "vip"}},
                    {"not": {"attribute": {"field": "plan", "operator": "exists"}}},
                ]
            },
            ["bob"],
        ),
        (
            {
                "or": [
                    {"attribute": {"field": "plan", "operator": "eq", "value": "free"}},
                    {"segment": {"id": 7}},
                ]
            },
            ["bob", "cat"],
        ),
    ],
)
def test_a_recipients_filter_replaces_the_audience(
    client: httpx.Client,
    workspace: Workspace,
    provider: Provider,
    recipients: dict[str, Any],
    reached: list[str],
) -> None:
    phone(workspace, "ann", plan="gold")
    phone(workspace, "bob")
    phone(workspace, "cat", plan="free", beta="true")
    join(workspace, "vip", "ann", "bob")
    join(workspace, "7", "bob")
    join(workspace, "internal-testers", "ann", "bob", "cat")

    client.post(TRIGGERS, json={"recipients": recipients})

    assert sorted(provider.tokens()) == [f"token-of-{u}" for u in reached]


# -- what they get -------------------------------------------------------------------


def test_the_push_renders_trigger_data_and_customer_attributes(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "ann", first_name="Ann")
    join(workspace, "vip", "ann")

    client.post(
        "/v1/campaigns/2/triggers",
        json={"data": {"percent": 20, "note": "today only", "code": "S20"}},
    )

    [push] = provider.pushes
    assert (push.title, push.body, push.link) == (
        "20% off",
        "Ann: today only",
        "shop://sale/S20?u=ann",
    )


def test_deliveries_name_the_broadcast_in_the_message_lookup(
    client: httpx.Client, workspace: Workspace
) -> None:
    phone(workspace, "tester")
    join(workspace, "internal-testers", "tester")
    client.post(TRIGGERS, json={"data": {"headline": "Ping"}})
    [delivery] = workspace.deliveries.values()

    message = client.get(f"/v1/messages/{delivery.id}").json()["message"]

    assert delivery.data["broadcast"] == {"broadcast_id": 1, "trigger_id": 1}
    assert (message["broadcast_id"], message["campaign"], message["state"]) == (
        1,
        "internal-test",
        "sent",
    )
    assert message["subject"] == "Ping"


def test_someone_without_push_gets_the_email_fallback(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "tester", push="false", email="t@example.com")
    join(workspace, "internal-testers", "tester")

    client.post(TRIGGERS, json={"data": {"headline": "Ping"}})

    [delivery] = workspace.deliveries.values()
    assert provider.pushes == []
    assert (delivery.channel, delivery.subject) == (
        "email",
        "Ping (no push reached you)",
    )


def test_without_push_or_an_email_fallback_nothing_is_sent_and_the_timeline_says_so(
    client: httpx.Client, workspace: Workspace
) -> None:
    phone(workspace, "ann", push="false")
    join(workspace, "vip", "ann")

    client.post("/v1/campaigns/4/triggers", json={})

    assert list(workspace.deliveries.values()) == []
    assert any(
        "sent nothing: no device with push enabled and no email fallback" in e.text
        for e in workspace.journal
    )


def test_an_unsubscribed_member_is_skipped(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "ann", unsubscribed=True)
    bob = phone(workspace, "bob")
    join(workspace, "vip", "ann", "bob")

    client.post("/v1/campaigns/4/triggers", json={})

    assert provider.tokens() == [bob]


def test_a_template_failing_for_one_person_skips_them_and_is_kept_as_an_error(
    client: httpx.Client, workspace: Workspace, provider: Provider
) -> None:
    phone(workspace, "ann", parts=0)
    bob = phone(workspace, "bob", parts=5)
    join(workspace, "vip", "ann", "bob")

    response = client.post("/v1/campaigns/3/triggers", json={})
    page = client.get("/v1/campaigns/3/triggers/1/errors").json()

    assert response.status_code == 200
    assert provider.tokens() == [bob]
    assert [p.title for p in provider.pushes] == ["2"]
    [problem] = page["errors"]
    assert problem.startswith("ann: the message failed to render (divided_by")


# -- the shop's backend, end to end --------------------------------------------------


def ready(world: World, role: str) -> EmulatedPhone:
    """Install, launch, log ``role`` in (granting the prompt) and background."""
    owner = world.shopper(role)
    device = world.device(owner)
    assert isinstance(device, EmulatedPhone)
    device.install(world.app)
    device.launch()
    device.log_in(owner)
    device.background()
    return device


@pytest.mark.parametrize("profile", ["ios-17-iphone", "android-14-pixel"])
def test_a_push_to_the_internal_segment_reaches_testers_and_no_one_else(
    make_world: MakeWorld, profile: str
) -> None:
    world = make_world(profile)
    tester, shopper = ready(world, "tester"), ready(world, "shopper")

    world.backend.add_to_segment("internal-testers", [world.shopper("tester").user_id])
    trigger = world.backend.trigger_broadcast(1, data={"headline": "Ping"})

    [item] = tester.inbox.items
    assert trigger == 1
    assert (item.outcome.value, item.notification.title) == ("shown", "Ping")
    assert shopper.inbox.items == []
    assert "broadcast 'internal-test' trigger 1" in world.timeline(
        world.shopper("tester")
    )


def test_the_backend_finds_a_broadcast_by_its_name(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    tester = ready(world, "tester")
    world.backend.add_to_segment("internal-testers", [world.shopper("tester").user_id])

    world.backend.trigger_broadcast("Internal-Test")

    assert [i.notification.title for i in tester.inbox.items] == ["Internal test"]


def test_the_backend_names_what_it_can_trigger_when_a_name_is_unknown(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")

    with pytest.raises(ScenarioError) as raised:
        world.backend.trigger_broadcast("launch")

    assert str(raised.value) == (
        "no broadcast is named 'launch'; the workspace declares 1 (internal-test). "
        "Trigger one of these, or add it under fixtures/broadcasts/."
    )


def test_the_backend_must_wait_ten_seconds_between_two_triggers(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    world.backend.trigger_broadcast(1)

    with pytest.raises(ScenarioError) as raised:
        world.backend.trigger_broadcast(1)
    world.advance(seconds=10)

    assert "refused to trigger broadcast 1: 429 broadcast 1 was" in str(raised.value)
    assert world.backend.trigger_broadcast(1) == 2


def test_the_backend_adds_people_to_the_segment_over_the_track_api(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    ready(world, "tester")
    tester = world.profile_of(world.shopper("tester"))

    world.backend.add_to_segment("internal-testers", [world.shopper("tester").user_id])

    assert tester is not None
    assert world.workspace.segments.of(tester) == ["internal-testers"]
    with pytest.raises(ScenarioError, match="refused to add  to manual segment x: 400"):
        world.backend.add_to_segment("x", [])


# -- served, and the fixture files ---------------------------------------------------


def test_the_served_app_sends_broadcast_paths_to_the_app_api() -> None:
    broadcasts = load_broadcasts(ROOT / "fixtures" / "broadcasts")
    emulator = Emulator(
        Clock(), Ids(0).child("emulator"), Journal(), broadcasts=broadcasts
    )
    keys = emulator.create_workspace("default").keys
    emulator.transport.mount("127.0.0.1", served_app(emulator, https_port=8443))
    auth = {"authorization": f"Bearer {keys.app_api_key}"}

    made = emulator.http.post(
        "https://127.0.0.1/v1/campaigns/1/triggers", json={}, headers=auth
    )
    listed = emulator.http.get("https://127.0.0.1/v1/broadcasts", headers=auth)
    emulator.close()

    assert (made.status_code, made.json()) == (200, {"id": 1})
    assert listed.json()["broadcasts"][0]["name"] == "internal-test"


def test_served_options_carry_the_projects_broadcasts() -> None:
    options = project_options(ROOT)

    assert [b.name for b in options.broadcasts] == ["internal-test"]


def test_the_shipped_broadcast_targets_the_internal_testers() -> None:
    [broadcast] = load_broadcasts(ROOT / "fixtures" / "broadcasts")

    assert (broadcast.id, broadcast.name, broadcast.audience.segment) == (
        1,
        "internal-test",
        "internal-testers",
    )
    assert broadcast.otherwise_email is not None


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


GOOD = """
id: {id}
name: {name}
audience: {{segment: {segment}}}
push: {{title: "Hi", body: "There"}}
"""


def test_every_broadcast_file_problem_is_reported_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a", GOOD.format(id=1, name="news", segment="testers"))
    write(
        tmp_path,
        "c",
        'id: "3"\nname: c\npussh: {title: x, body: y}\n'
        "push: {title: '{{ x | nope }}', body: y}\n",
    )
    write(tmp_path, "d", GOOD.format(id=0, name="d", segment="''"))

    with pytest.raises(ConfigError) as raised:
        load_broadcasts(tmp_path)

    assert [str(p) for p in raised.value.problems] == [
        "c.yaml: id: expected a whole number, got the text '3'.",
        "c.yaml: audience: is required; add it.",
        "c.yaml: push.title: unknown Liquid filter 'nope'",
        "c.yaml: pussh: unknown key; did you mean push? Allowed here: id, name, "
        "description, audience, push, otherwise_email.",
        "d.yaml: id: Input should be greater than 0; got the number 0.",
        "d.yaml: audience.segment: is empty; name the manual segment the broadcast "
        "goes to.",
    ]


def test_clashing_ids_and_names_are_reported_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a", GOOD.format(id=1, name="news", segment="testers"))
    write(tmp_path, "b", GOOD.format(id=1, name="NEWS", segment="testers"))

    with pytest.raises(ConfigError) as raised:
        load_broadcasts(tmp_path)

    assert [str(p) for p in raised.value.problems] == [
        "b.yaml: id: 1 is also the id of a.yaml; the App API finds a broadcast by "
        "its id, so give each its own.",
        "b.yaml: name: 'NEWS' is also the name of a.yaml (names match in any case); "
        "rename one.",
    ]


def test_a_numeric_segment_id_is_read_as_text(tmp_path: Path) -> None:
    write(tmp_path, "a", GOOD.format(id=5, name="vip", segment=7))

    [broadcast] = load_broadcasts(tmp_path)

    assert broadcast.audience.segment == "7"


def test_an_email_fallback_is_checked_like_the_push(tmp_path: Path) -> None:
    text = GOOD.format(id=5, name="v", segment="s") + "otherwise_email: {subject: x}\n"
    write(tmp_path, "a", text)

    with pytest.raises(ConfigError, match=r"otherwise_email\.body: is required"):
        load_broadcasts(tmp_path)
