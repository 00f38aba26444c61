"""Customer.io's official Python clients against `harness serve`, over real TLS.

If a client gets anything but what Customer.io would answer, the emulator is
wrong. Each test drives the PyPI packages ``customerio`` (Track and App clients)
and ``customerio-cdp-analytics`` (the Pipelines client) through the served
emulator on loopback, trusting its generated CA the way users do, and then
asserts what the emulator holds, not only the status codes.

Both packages ship ``customerio/__init__.py``; installed together, the second
one's empty file wins, so the clients are imported from their modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import customerio.api
import pytest
from customerio.analytics.client import Client as PipelinesClient
from customerio.api import APIClient, SendEmailRequest, SendPushRequest
from customerio.client_base import CustomerIOException
from customerio.track import CustomerIO

from harness.serve import Server, project_options
from harness.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A served emulator with the project's campaigns and transactional messages."""
    state = tmp_path_factory.mktemp("state")
    options = project_options(ROOT, state=state, port=0, http_port=None)
    server = Server(options).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def trust_the_ca(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point requests (which every official Python client uses) at the CA."""
    assert server.tls is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.tls.ca))


@pytest.fixture
def workspace(server: Server) -> Iterator[Workspace]:
    """The served default workspace, emptied after each test."""
    assert server.emulator is not None
    yield server.emulator.workspaces["default"].workspace
    server.emulator.reset()


def keys(server: Server) -> Any:
    assert server.emulator is not None
    return server.emulator.workspaces["default"].keys


def track_client(server: Server, **options: Any) -> CustomerIO:
    k = keys(server)
    return CustomerIO(
        k.site_id, k.api_key, host="127.0.0.1", port=server.https_port, **options
    )


def names(workspace: Workspace, identifier: str) -> list[str]:
    person = workspace.find(identifier)
    assert person is not None, f"no profile for {identifier}"
    return [e.name for e in workspace.events_of(person)]


# -- Track API client --------------------------------------------------------------


def test_track_client_identify_and_events_land_on_the_profile(
    server: Server, workspace: Workspace
) -> None:
    cio = track_client(server)

    cio.identify("u-1", email="Ada@Example.com", first_name="Ada")
    cio.track("u-1", "added_to_cart", data={"sku": "S-1"})
    cio.pageview("u-1", "https://shop.example/cart", referer="home")
    cio.backfill("u-1", "order_completed", 1772441000, total=10)

    person = workspace.find("ada@example.com")
    assert person is not None and person.id == "u-1"
    assert person.attributes["first_name"] == "Ada"
    assert sorted(names(workspace, "u-1")) == sorted(
        ["added_to_cart", "https://shop.example/cart", "order_completed"]
    )


def test_track_client_anonymous_event_is_stitched_by_identify(
    server: Server, workspace: Workspace
) -> None:
    cio = track_client(server)

    cio.track_anonymous("anon-9", "added_to_cart", data={"sku": "S-1"})
    cio.identify("u-2", anonymous_id="anon-9")

    assert names(workspace, "u-2") == ["added_to_cart"]


def test_track_client_devices_are_added_and_deleted(
    server: Server, workspace: Workspace
) -> None:
    cio = track_client(server)
    cio.identify("u-3", email="u3@example.com")

    cio.add_device("u-3", "a" * 64, "ios", push_enabled="true")
    person = workspace.find("u-3")
    assert person is not None
    assert [d.token for d in workspace.devices.of(person)] == ["a" * 64]

    cio.delete_device("u-3", "a" * 64)
    assert workspace.devices.of(person) == []


def test_track_client_suppress_delete_and_unsuppress(
    server: Server, workspace: Workspace
) -> None:
    cio = track_client(server)
    cio.identify("u-4", email="u4@example.com")
    cio.identify("u-5", email="u5@example.com")

    cio.suppress("u-4")
    cio.delete("u-5")

    assert workspace.find("u-4") is None and workspace.find("u-5") is None
    cio.unsuppress("u-4")
    cio.identify("u-4", email="u4@example.com")
    assert workspace.find("u-4") is not None


def test_track_client_merge_keeps_the_primary(
    server: Server, workspace: Workspace
) -> None:
    cio = track_client(server)
    cio.identify("u-6", email="u6@example.com")
    cio.identify("u-7", email="u7@example.com", plan="gold")
    cio.track("u-7", "viewed")

    cio.merge_customers("id", "u-6", "id", "u-7")

    assert workspace.find("u-7") is None
    primary = workspace.find("u-6")
    assert primary is not None and primary.attributes["plan"] == "gold"
    assert names(workspace, "u-6") == ["viewed"]


def test_track_client_v2_batch_applies_every_operation(
    server: Server, workspace: Workspace
) -> None:
    cio = track_client(server)

    cio.batch(
        [
            {
                "type": "person",
                "identifiers": {"id": "u-8"},
                "action": "identify",
                "attributes": {"email": "u8@example.com"},
            },
            {
                "type": "person",
                "identifiers": {"id": "u-8"},
                "action": "event",
                "name": "added_to_cart",
            },
        ]
    )

    assert names(workspace, "u-8") == ["added_to_cart"]


def test_track_client_gets_an_error_for_a_bad_key(server: Server) -> None:
    k = keys(server)
    cio = CustomerIO(k.site_id, "wrong", host="127.0.0.1", port=server.https_port)

    with pytest.raises(CustomerIOException, match="401"):
        cio.identify("u-9", email="u9@example.com")


# -- App API client ----------------------------------------------------------------


def test_app_client_send_push_returns_a_delivery_on_the_person(
    server: Server, workspace: Workspace
) -> None:
    track_client(server).identify("u-10", email="u10@example.com")
    api = APIClient(keys(server).app_api_key, url=server.https_url)

    answer = api.send_push(
        SendPushRequest(
            transactional_message_id="order-shipped",
            identifiers={"id": "u-10"},
            message_data={"order_number": "A-1", "items": "socks"},
            device={"token": "b" * 64, "platform": "ios"},
        )
    )

    delivery = workspace.deliveries[answer["delivery_id"]]
    assert isinstance(answer["queued_at"], int)
    assert delivery.channel == "push" and delivery.tokens == ["b" * 64]
    assert "A-1" in delivery.subject


def test_app_client_send_email_is_recorded(
    server: Server, workspace: Workspace
) -> None:
    api = APIClient(keys(server).app_api_key, url=server.https_url)

    answer = api.send_email(
        SendEmailRequest(
            identifiers={"id": "u-11"},
            to="u11@example.com",
            _from="shop@example.com",
            subject="Your receipt",
            body="Thanks",
        )
    )

    delivery = workspace.deliveries[answer["delivery_id"]]
    assert (delivery.channel, delivery.subject) == ("email", "Your receipt")


@pytest.mark.parametrize(
    ("method", "request_class", "channel"),
    [
        ("send_sms", "SendSMSRequest", "sms"),
        ("send_whatsapp", "SendWhatsAppRequest", "whatsapp"),
        ("send_inbox_message", "SendInboxMessageRequest", "inbox_message"),
        ("send_in_app", "SendInAppRequest", "in_app"),
    ],
)
def test_app_client_other_channels_are_recorded(
    server: Server, workspace: Workspace, method: str, request_class: str, channel: str
) -> None:
    api = APIClient(keys(server).app_api_key, url=server.https_url)
    request = getattr(customerio.api, request_class)(
        transactional_message_id=3, identifiers={"email": "u13@example.com"}
    )

    answer = getattr(api, method)(request)

    delivery = workspace.deliveries[answer["delivery_id"]]
    assert delivery.channel == channel
    assert workspace.find("u13@example.com") is not None


def test_app_client_gets_401_for_a_bad_key(server: Server) -> None:
    api = APIClient("wrong", url=server.https_url)

    with pytest.raises(CustomerIOException, match="401"):
        api.send_push(SendPushRequest(identifiers={"id": "u-1"}, title="t"))


# -- Pipelines client (customerio-cdp-analytics) -------------------------------------


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
def test_pipelines_client_every_call_type_lands(
    server: Server, workspace: Workspace, gzip: bool
) -> None:
    errors: list[Exception] = []
    client = PipelinesClient(
        keys(server).write_key,
        host=server.https_url,
        gzip=gzip,
        sync_mode=True,
        on_error=lambda error, _batch: errors.append(error),
    )

    client.track(user_id=None, anonymous_id="anon-1", event="added_to_cart")
    client.identify(user_id="u-12", traits={"email": "u12@example.com"})
    client.alias(previous_id="anon-1", user_id="u-12")
    client.page(user_id="u-12", name="Cart")
    client.screen(user_id="u-12", name="Checkout")
    client.group(user_id="u-12", group_id="team-1")
    client.flush()

    assert errors == []
    person = workspace.find("u-12")
    assert person is not None and person.email == "u12@example.com"
    assert "anon-1" in person.anonymous_ids
    events = workspace.events_of(person)
    assert [(e.kind, e.name) for e in events] == [
        ("track", "added_to_cart"),
        ("page", "Cart"),
        ("screen", "Checkout"),
    ]
    assert workspace.rejections == []
