"""Pipelines wire: a sender's clock skew is taken out of each call's timestamp.

Segment's rule, which Customer.io's Pipelines examples follow:
``timestamp = receivedAt - (sentAt - timestamp)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from harness.clock import Clock
from harness.pipelines import create_app
from harness.transport import InProcessTransport
from harness.workspace import Workspace

KEY = "wk_test_1234"
TRUE_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def client(workspace: Workspace) -> Iterator[httpx.Client]:
    app = create_app({KEY: workspace}.get, api_host="cdp.customer.io/v1")
    transport = InProcessTransport({"cdp.customer.io": app})
    with httpx.Client(transport=transport, base_url="https://cdp.customer.io/v1") as c:
        yield c


@pytest.fixture
def clock() -> Clock:
    """The workspace's clock, at the true time the tests name."""
    return Clock(TRUE_NOW)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def track(name: str, at: datetime) -> dict[str, Any]:
    return {"type": "track", "userId": "u-1", "event": name, "timestamp": iso(at)}


def stamped(workspace: Workspace, name: str) -> datetime:
    [event] = [e for e in workspace.events if e.name == name]
    return event.timestamp


def test_a_batch_from_a_fast_clock_is_stamped_at_the_true_time(
    client: httpx.Client, workspace: Workspace
) -> None:
    fast = timedelta(hours=2)
    five_minutes_ago = TRUE_NOW - timedelta(minutes=5)
    body = {
        "batch": [track("added_to_cart", five_minutes_ago + fast)],
        "sentAt": iso(TRUE_NOW + fast),
        "writeKey": KEY,
    }

    assert client.post("/b", json=body).status_code == 200

    assert stamped(workspace, "added_to_cart") == five_minutes_ago


def test_a_calls_own_sent_at_wins_over_the_batchs(
    client: httpx.Client, workspace: Workspace
) -> None:
    slow = timedelta(hours=-3)
    call = track("viewed", TRUE_NOW + slow) | {"sentAt": iso(TRUE_NOW + slow)}
    body = {"batch": [call], "sentAt": iso(TRUE_NOW), "writeKey": KEY}

    client.post("/b", json=body)

    assert stamped(workspace, "viewed") == TRUE_NOW


def test_a_single_call_is_corrected_by_its_sent_at(
    client: httpx.Client, workspace: Workspace
) -> None:
    fast = timedelta(minutes=90)
    call = track("viewed", TRUE_NOW + fast) | {"sentAt": iso(TRUE_NOW + fast)}

    client.post("/track", json=call, auth=(KEY, ""))

    assert stamped(workspace, "viewed") == TRUE_NOW


def test_a_call_without_sent_at_keeps_its_timestamp(
    client: httpx.Client, workspace: Workspace
) -> None:
    last_week = TRUE_NOW - timedelta(weeks=1)

    client.post("/track", json=track("backfilled", last_week), auth=(KEY, ""))

    assert stamped(workspace, "backfilled") == last_week


@pytest.mark.parametrize(
    "sent_at", ["yesterday", 1796416000, [1], "9999-12-31T00:00:00Z"]
)
def test_a_broken_sent_at_keeps_the_call_as_stamped(
    client: httpx.Client, workspace: Workspace, sent_at: object
) -> None:
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    body = {"batch": [track("viewed", at)], "sentAt": sent_at, "writeKey": KEY}

    response = client.post("/b", json=body, headers={"X-Strict-Mode": "1"})

    assert response.status_code == 200
    assert stamped(workspace, "viewed") == at


def test_a_timestamp_past_the_utc_calendar_is_refused_naming_the_field(
    client: httpx.Client, workspace: Workspace
) -> None:
    call = track("viewed", TRUE_NOW) | {"timestamp": "0001-01-01T00:00:00+14:00"}
    body = {"batch": [call], "writeKey": KEY}

    response = client.post("/b", json=body, headers={"X-Strict-Mode": "1"})

    assert response.status_code == 400
    [problem] = response.json()["meta"]["errors"]
    assert "falls outside years 1 to 9999 in UTC" in problem
    assert workspace.events == []
