"""Wire tests of the emulated Track API v1, over httpx in process."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.campaigns import Campaign, CampaignEngine, Rendered
from harness.files import load_model
from harness.track import create_app
from harness.track.wire import credentials
from harness.transport import InProcessTransport
from harness.workspace import Device, Person, Ref, Workspace

SITE, KEY = "site-1", "key-1"
BASE = "https://track.customer.io"
CAMPAIGNS = Path(__file__).resolve().parents[1] / "fixtures" / "campaigns"
CART = {"sku": "B-1", "items": [{"sku": "B-1", "name": "Trail Bundle"}]}


@pytest.fixture
def client(workspace: Workspace) -> Iterator[httpx.Client]:
    def directory(site_id: str, api_key: str) -> Workspace | None:
        return workspace if (site_id, api_key) == (SITE, KEY) else None

    def by_delivery(delivery_id: str) -> Workspace | None:
        return workspace if delivery_id in workspace.deliveries else None

    app = create_app(directory, by_delivery=by_delivery)
    transport = InProcessTransport({"track.customer.io": app})
    with httpx.Client(transport=transport, base_url=BASE, auth=(SITE, KEY)) as c:
        yield c


def person(ws: Workspace, path: str) -> Person:
    found = ws.lookup(Ref.from_path(path))
    assert found is not None, f"nobody is {path}"
    return found


def errors_of(response: httpx.Response) -> list[str]:
    body = response.json()
    assert set(body) == {"meta"} and set(body["meta"]) == {"errors"}
    errors: list[str] = body["meta"]["errors"]
    return errors


def ok(response: httpx.Response) -> None:
    assert (response.status_code, response.json()) == (200, {}), response.text


def delivery_of(ws: Workspace, channel: str = "push") -> str:
    return ws.new_delivery(person(ws, "u-1"), channel, "c", "t", "b").id


# -- credentials ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth", [(SITE, "wrong"), ("other", KEY)], ids=["wrong-key", "wrong-site"]
)
def test_wrong_credentials_are_401_in_the_v1_shape(
    client: httpx.Client, workspace: Workspace, auth: tuple[str, str]
) -> None:
    response = client.put("/api/v1/customers/u-1", json={}, auth=auth)

    assert response.status_code == 401
    assert "site_id:api_key" in errors_of(response)[0]
    assert response.headers["www-authenticate"].startswith("Basic")
    assert workspace.people == {}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer abc", "Basic !!!", b"Basic \xe9", "Basic Onk="],
    ids=["missing", "bearer", "bad-base64", "non-ascii", "empty-site"],
)
def test_missing_or_unreadable_credentials_are_401(
    client: httpx.Client, header: str | bytes | None
) -> None:
    headers = {} if header is None else {"Authorization": header}

    response = client.put("/api/v1/customers/u-1", json={}, headers=headers, auth=None)

    assert response.status_code == 401
    assert errors_of(response)


def test_region_answers_us_with_the_workspace_environment(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.get("/api/v1/accounts/region")

    assert response.json() == {
        "url": "https://track.customer.io",
        "region": "us",
        "environment_id": workspace.environment_id,
    }


def test_region_with_wrong_credentials_is_401(client: httpx.Client) -> None:
    response = client.get("/api/v1/accounts/region", auth=("x", "y"))

    assert response.status_code == 401


# -- people --------------------------------------------------------------------------


def test_identify_sets_attributes_and_answers_an_empty_object(
    client: httpx.Client, workspace: Workspace
) -> None:
    body = {"email": "Ann@Example.com", "created_at": 1361205308, "plan": "basic"}

    ok(client.put("/api/v1/customers/u-1", json=body))

    ann = person(workspace, "ann@example.com")
    assert (ann.id, ann.attributes) == ("u-1", {"plan": "basic"})
    assert int(ann.created_at.timestamp()) == 1361205308


def test_identify_by_email_path_url_encoded(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/ann%40example.com", json={"plan": "gold"}))

    assert person(workspace, "ann@example.com").attributes == {"plan": "gold"}


def test_identify_naming_two_people_is_200_with_an_attribute_update_failure(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={"email": "ann@example.com"}))
    ok(client.put("/api/v1/customers/u-2", json={}))

    ok(client.put("/api/v1/customers/u-2", json={"email": "ann@example.com"}))

    assert person(workspace, "ann@example.com").id == "u-1"
    assert workspace.attribute_failures[-1].identifier == "email ann@example.com"


def test_identify_of_an_unknown_cio_id_is_200_and_dropped(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/cio_abc123", json={"plan": "gold"}))

    assert workspace.people == {}
    assert workspace.rejections[-1].source == "PUT /api/v1/customers/cio_abc123"


def test_identify_with_cio_relationships_relates_the_person(
    client: httpx.Client, workspace: Workspace
) -> None:
    link = {"identifiers": {"object_type_id": "1", "object_id": "acme"}}
    body = {"cio_relationships": {"relationships": [link]}}

    ok(client.put("/api/v1/customers/u-1", json=body))

    assert list(person(workspace, "u-1").relationships) == ["1:acme"]


def test_identify_with_a_string_timestamp_is_400_naming_it(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.put("/api/v1/customers/u-1", json={"_timestamp": "now"})

    assert response.status_code == 400
    assert errors_of(response)[0].startswith("_timestamp is a JSON string")
    assert workspace.people == {}


def test_timestamp_in_milliseconds_is_400_saying_so(client: httpx.Client) -> None:
    response = client.put("/api/v1/customers/u-1", json={"created_at": 1361205308000})

    assert "looks like milliseconds" in errors_of(response)[0]


def test_anonymous_id_on_identify_merges_the_last_30_days_of_events(
    client: httpx.Client, workspace: Workspace
) -> None:
    now = int(workspace.clock.now().timestamp())
    for name, days in (("recent", 29), ("old", 31)):
        body = {"name": name, "anonymous_id": "a-1", "timestamp": now - days * 86400}
        ok(client.post("/api/v1/events", json=body))

    ok(client.put("/api/v1/customers/u-1", json={"anonymous_id": "a-1"}))

    ann = person(workspace, "u-1")
    assert [e.name for e in workspace.events_of(ann)] == ["recent"]
    assert [e.name for e in workspace.anonymous_events("a-1")] == ["old"]


def test_delete_removes_the_person(client: httpx.Client, workspace: Workspace) -> None:
    ok(client.put("/api/v1/customers/u-1", json={}))

    ok(client.delete("/api/v1/customers/u-1"))

    assert workspace.people == {}


def test_delete_of_an_unknown_person_is_200(client: httpx.Client) -> None:
    ok(client.delete("/api/v1/customers/u-404"))


def test_suppress_then_identify_drops_the_identify(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={"email": "ann@example.com"}))

    ok(client.post("/api/v1/customers/u-1/suppress"))
    ok(client.put("/api/v1/customers/ann@example.com", json={"plan": "gold"}))

    assert workspace.people == {}
    assert "is suppressed" in workspace.rejections[-1].problem


def test_unsuppress_lets_the_identifier_back_as_a_new_profile(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={"plan": "gold"}))
    ok(client.post("/api/v1/customers/u-1/suppress"))

    ok(client.post("/api/v1/customers/u-1/unsuppress"))
    ok(client.put("/api/v1/customers/u-1", json={}))

    assert person(workspace, "u-1").attributes == {}


# -- events --------------------------------------------------------------------------


def test_customer_event_is_stored_with_its_type_and_data(
    client: httpx.Client, workspace: Workspace
) -> None:
    body = {"name": "  /cart  ", "type": "page", "data": {"a": 1}, "id": "01HV"}

    ok(client.post("/api/v1/customers/u-1/events", json=body))

    stored = workspace.events_of(person(workspace, "u-1"))[0]
    assert (stored.name, stored.kind, stored.properties, stored.message_id) == (
        "/cart",
        "page",
        {"a": 1},
        "01HV",
    )


def test_customer_event_without_a_name_is_400_in_meta_errors(
    client: httpx.Client, workspace: Workspace
) -> None:
    response = client.post("/api/v1/customers/u-1/events", json={"data": {}})

    assert response.status_code == 400
    assert errors_of(response) == ["name is missing; send it as a non-empty string"]
    assert workspace.events == []


def test_anonymous_event_without_anonymous_id_is_an_invite(
    client: httpx.Client, workspace: Workspace
) -> None:
    body = {"name": "invited", "data": {"recipient": "friend@example.com"}}

    ok(client.post("/api/v1/events", json=body))

    assert workspace.events[-1].anonymous_id is None
    assert "invite event" in list(workspace.journal)[-1].text


class FakeMessenger:
    """Keep what campaigns would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []

    def push(
        self, person: Person, devices: list[Device], message: Rendered, campaign: str
    ) -> None:
        self.sent.append((person.label, [d.token for d in devices]))

    def email(self, person: Person, message: Rendered, campaign: str) -> None:
        self.sent.append((person.label, []))


def test_track_api_event_triggers_a_campaign_push_to_a_track_api_device(
    client: httpx.Client, workspace: Workspace
) -> None:
    campaign = load_model(CAMPAIGNS / "cart-recovery.yaml", Campaign)
    messenger = FakeMessenger()
    CampaignEngine(workspace, [campaign], messenger)
    device = {"id": "tok-1", "platform": "ios", "attributes": {"push_enabled": "true"}}
    ok(client.put("/api/v1/customers/u-1/devices", json={"device": device}))

    body = {"name": "added_to_cart", "data": CART}
    ok(client.post("/api/v1/customers/u-1/events", json=body))
    workspace.clock.advance(minutes=30)

    assert messenger.sent == [("u-1", ["tok-1"])]


# -- devices -------------------------------------------------------------------------


def test_add_device_takes_the_legacy_ios_platform_and_python_extras(
    client: httpx.Client, workspace: Workspace
) -> None:
    device = {
        "id": "tok-1",
        "platform": "iOS",
        "last_used": 1772013598,
        "app_version": "1.2",
        "attributes": {"push_enabled": "true"},
    }

    ok(client.put("/api/v1/customers/u-1/devices", json={"device": device}))

    (stored,) = workspace.devices.of(person(workspace, "u-1"))
    assert (stored.platform, stored.attributes) == (
        "ios",
        {"app_version": "1.2", "push_enabled": "true"},
    )
    assert int(stored.last_used.timestamp()) == 1772013598


@pytest.mark.parametrize(
    ("device", "field"),
    [
        ({"platform": "ios"}, "device.id"),
        ({"id": "tok-1", "platform": "web"}, "device.platform"),
        ({"id": "tok-1"}, "device.platform"),
    ],
)
def test_add_device_missing_or_bad_fields_are_400_naming_them(
    client: httpx.Client, workspace: Workspace, device: dict[str, Any], field: str
) -> None:
    response = client.put("/api/v1/customers/u-1/devices", json={"device": device})

    assert response.status_code == 400
    assert errors_of(response)[0].startswith(field)
    assert workspace.devices.by_token == {}


def test_delete_device_removes_it(client: httpx.Client, workspace: Workspace) -> None:
    device = {"id": "tok-1", "platform": "android"}
    ok(client.put("/api/v1/customers/u-1/devices", json={"device": device}))

    ok(client.delete("/api/v1/customers/u-1/devices/tok-1"))

    assert workspace.devices.by_token == {}


# -- merge ---------------------------------------------------------------------------


def test_merge_customers_moves_the_secondary_into_the_primary(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={}))
    ok(client.post("/api/v1/customers/u-2/events", json={"name": "viewed"}))
    cio_2 = person(workspace, "u-2").cio_id

    body = {"primary": {"id": "u-1"}, "secondary": {"cio_id": cio_2}}
    ok(client.post("/api/v1/merge_customers", json=body))

    assert [e.name for e in workspace.events_of(person(workspace, "u-1"))] == ["viewed"]
    assert workspace.lookup(Ref("id", "u-2")) is None


@pytest.mark.parametrize(
    "body",
    [
        {"primary": {"id": "u-1", "email": "a@b.co"}, "secondary": {"id": "u-2"}},
        {"primary": {"id": "u-1"}, "secondary": {}},
        {"primary": {"phone": "+1"}, "secondary": {"id": "u-2"}},
        {"primary": {"id": "u-1"}},
    ],
    ids=["two-keys", "no-keys", "phone", "no-secondary"],
)
def test_merge_with_a_bad_side_is_400_with_meta_error(
    client: httpx.Client, body: dict[str, Any]
) -> None:
    response = client.post("/api/v1/merge_customers", json=body)

    assert response.status_code == 400
    assert set(response.json()["meta"]) == {"error"}


def test_merge_without_the_primary_is_200_and_changes_nothing(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-2", json={}))

    body = {"primary": {"id": "u-1"}, "secondary": {"id": "u-2"}}
    ok(client.post("/api/v1/merge_customers", json=body))

    assert person(workspace, "u-2").id == "u-2"


# -- deliveries ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/push/events", "/push/events"])
def test_push_events_need_no_credentials_and_land_on_the_delivery(
    client: httpx.Client, workspace: Workspace, path: str
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={}))
    delivery_id = delivery_of(workspace)
    body = {"delivery_id": delivery_id, "event": "opened", "device_id": "tok-1"}

    response = client.post(path, json=body | {"timestamp": 1772013598}, auth=None)

    ok(response)
    assert "authorization" not in response.request.headers
    (at,) = workspace.deliveries[delivery_id].metrics["opened"]
    assert int(at.timestamp()) == 1772013598


def test_push_event_with_an_unknown_event_is_400(client: httpx.Client) -> None:
    body = {"delivery_id": "abc", "event": "clicked"}

    response = client.post("/api/v1/push/events", json=body, auth=None)

    assert "is not one of opened, converted, delivered" in errors_of(response)[0]


def test_push_event_for_a_delivery_nobody_sent_is_200(client: httpx.Client) -> None:
    body = {"delivery_id": "nobody-sent-this", "event": "opened"}

    ok(client.post("/api/v1/push/events", json=body, auth=None))


def test_metrics_record_clicks_with_their_link(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={}))
    delivery_id = delivery_of(workspace, "email")
    body = {"delivery_id": delivery_id, "metric": "clicked", "href": "https://x.co"}

    ok(client.post("/api/v1/metrics", json=body, auth=None))

    assert list(workspace.deliveries[delivery_id].metrics) == ["clicked"]
    assert "href https://x.co" in list(workspace.journal)[-1].text


def test_unsubscribe_sets_the_persons_unsubscribed_attribute(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={}))
    delivery_id = delivery_of(workspace, "email")

    ok(client.post(f"/unsubscribe/{delivery_id}", json={"unsubscribe": True}))

    assert person(workspace, "u-1").attributes["unsubscribed"] is True


def test_unsubscribe_without_a_json_content_type_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/unsubscribe/abc",
        content=b'{"unsubscribe": true}',
        headers={"Content-Type": "text/plain"},
    )

    assert "Content-Type: application/json" in errors_of(response)[0]


def test_unsubscribe_with_a_malformed_delivery_id_is_400(client: httpx.Client) -> None:
    response = client.post("/unsubscribe/not%20an%20id", json={"unsubscribe": True})

    assert "is not a delivery id" in errors_of(response)[0]


# -- segments and forms --------------------------------------------------------------


def test_add_and_remove_customers_change_a_manual_segment(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/u-1", json={}))
    path = "/api/v1/segments/7"

    ok(client.post(f"{path}/add_customers", json={"ids": ["u-1"]}))
    assert workspace.segments.of(person(workspace, "u-1")) == ["7"]

    ok(client.post(f"{path}/remove_customers", json={"ids": ["u-1"]}))
    assert workspace.segments.of(person(workspace, "u-1")) == []


def test_segment_id_type_email_ignores_values_that_are_not_emails(
    client: httpx.Client, workspace: Workspace
) -> None:
    ok(client.put("/api/v1/customers/ann@example.com", json={}))
    body = {"ids": ["ANN@example.com", "u-1"]}

    ok(client.post("/api/v1/segments/7/add_customers?id_type=email", json=body))

    assert [p.email for p in workspace.segments.people_in("7")] == ["ann@example.com"]
    assert "skipped u-1" in workspace.rejections[-1].problem


@pytest.mark.parametrize("ids", [[], ["u"] * 1001, "u-1"], ids=["none", "1001", "str"])
def test_segment_ids_outside_1_to_1000_are_400(client: httpx.Client, ids: Any) -> None:
    response = client.post("/api/v1/segments/7/add_customers", json={"ids": ids})

    assert "ids must be a list of 1 to 1000" in errors_of(response)[0]


def test_form_submission_is_204_and_identifies_the_sender(
    client: httpx.Client, workspace: Workspace
) -> None:
    data = {"email": "ann@example.com", "first_name": "Ann", "form_name": "x"}

    response = client.post("/api/v1/forms/contact/submit", json={"data": data})

    assert (response.status_code, response.content) == (204, b"")
    assert person(workspace, "ann@example.com").attributes == {"first_name": "Ann"}
    assert workspace.forms[-1].form_id == "contact"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "a@b.co", "id": "u-1"}, "exactly one of email or id"),
        ({"first_name": "Ann"}, "exactly one of email or id"),
        ({"email": "a@b.co", "age": 30}, "data.age is a JSON number"),
    ],
)
def test_form_without_one_identifier_or_with_non_string_values_is_400(
    client: httpx.Client, data: dict[str, Any], message: str
) -> None:
    response = client.post("/api/v1/forms/contact/submit", json={"data": data})

    assert response.status_code == 400
    assert message in errors_of(response)[0]


# -- bodies and routes ---------------------------------------------------------------


def test_gzipped_identify_is_applied(
    client: httpx.Client, workspace: Workspace
) -> None:
    raw = gzip.compress(json.dumps({"plan": "gold"}).encode())

    ok(
        client.put(
            "/api/v1/customers/u-1",
            content=raw,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    )

    assert person(workspace, "u-1").attributes == {"plan": "gold"}


@pytest.mark.parametrize(
    ("raw", "headers", "message"),
    [
        (b"{not json", {}, "the body is not valid JSON"),
        (b"[1, 2]", {}, "the body is a JSON array"),
        (b'{"a": NaN}', {}, "the body is not valid JSON"),
        (b"\x1f\x8bnope", {"Content-Encoding": "gzip"}, "not valid gzip"),
        (b"{}", {"Content-Encoding": "br"}, "Content-Encoding 'br'"),
        (
            ('{"a":' * 100_000 + "1" + "}" * 100_000).encode(),
            {},
            "nests too deeply",
        ),
    ],
    ids=["broken", "array", "nan", "gzip", "brotli", "deep"],
)
def test_unreadable_bodies_are_400_and_kept_as_rejections(
    client: httpx.Client,
    workspace: Workspace,
    raw: bytes,
    headers: dict[str, str],
    message: str,
) -> None:
    response = client.put("/api/v1/customers/u-1", content=raw, headers=headers)

    assert response.status_code == 400
    assert message in errors_of(response)[0]
    assert workspace.people == {}
    assert message in workspace.rejections[-1].problem


def test_gzip_bomb_is_refused_without_inflating_it(client: httpx.Client) -> None:
    raw = gzip.compress(b" " * (20 * 1024 * 1024))

    response = client.put(
        "/api/v1/customers/u-1", content=raw, headers={"Content-Encoding": "gzip"}
    )

    assert "inflates past 1048576 bytes" in errors_of(response)[0]


def test_unknown_path_is_404_listing_the_nearest_routes(client: httpx.Client) -> None:
    response = client.post("/api/v1/customer/u-1/events", json={"name": "x"})

    assert response.status_code == 404
    (message,) = errors_of(response)
    assert message.startswith("POST /api/v1/customer/u-1/events matches no Track API")
    assert "POST /api/v1/customers/{identifier}/events" in message


def test_wrong_method_is_405_listing_the_routes(client: httpx.Client) -> None:
    response = client.get("/api/v1/customers/u-1")

    assert response.status_code == 405
    assert "PUT /api/v1/customers/{identifier}" in errors_of(response)[0]


def test_basic_auth_header_is_read_as_site_id_and_api_key() -> None:
    token = base64.b64encode(b"site:key:with:colons").decode()

    assert credentials(f"Basic {token}") == ("site", "key:with:colons")
    assert credentials("Basic") is None


def test_event_stamped_four_days_ago_is_kept_but_triggers_nothing(
    client: httpx.Client, workspace: Workspace
) -> None:
    then = int((workspace.clock.now() - timedelta(days=4)).timestamp())
    body = {"name": "added_to_cart", "timestamp": then}

    ok(client.post("/api/v1/customers/u-1/events", json=body))

    assert "triggers no campaign" in list(workspace.journal)[-1].text
