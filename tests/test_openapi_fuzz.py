"""Schemathesis requests from the APIs' own documents never get a server error.

Customer.io's Track and Pipelines documents (``tests/documents/``) and the
control API's document, as ``/_harness/openapi.json`` serves it, drive
schemathesis: for each operation, a seeded and bounded run of requests that fit
the document and requests that break it, sent to the real host names through
``Emulator.http`` with a workspace's credentials. Every answer must pass
schemathesis' ``not_a_server_error``; an exception raised inside an app fails
the test on its own.

The operations come from each schema's ``as_strategy`` rather than from
schemathesis' pytest plugin: under pytest 9.2 the plugin gives every operation
of a schema the same node id, so a failure would not name its operation.

Both Customer.io documents offer ``oneOf`` choices whose branches overlap (an
``id`` and an ``email`` are both any string), which no value satisfies exactly
once, so they are read with ``oneOf`` as ``anyOf``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from harness.clock import Clock
from harness.emulator import Emulator
from harness.ids import Ids
from harness.journal import Journal
from harness.serve.app import create_app
from tests.openapi_documents import Document, lenient

TRACK_URL = "https://track.customer.io"
PIPELINES_URL = "https://cdp.customer.io/v1"
CONTROL_URL = "https://harness.test"
BOUNDED = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def make_emulator() -> Emulator:
    """Return an emulator with a ``default`` workspace and the served control app."""
    emulator = Emulator(Clock(), Ids(0).child("emulator"), Journal())
    emulator.create_workspace("default")
    emulator.transport.mount("harness.test", create_app(emulator, https_port=8443))
    return emulator


def control_document() -> dict[str, object]:
    """Fetch the control API's document the way a client would."""
    emulator = make_emulator()
    try:
        response = emulator.http.get(f"{CONTROL_URL}/_harness/openapi.json")
        response.raise_for_status()
        document: dict[str, object] = response.json()
        return document
    finally:
        emulator.close()


def operations(document: dict[str, object]) -> list[schemathesis.APIOperation]:
    """Return every operation schemathesis reads in ``document``, failing on none."""
    schema = schemathesis.openapi.from_dict(document)
    found = [result.ok() for result in schema.get_all_operations()]
    assert found, "schemathesis read no operations from the document"
    return found


TRACK = operations(lenient(Document.load("track").raw))
PIPELINES = operations(lenient(Document.load("pipelines").raw))
CONTROL = operations(control_document())


def label(operation: schemathesis.APIOperation) -> str:
    return str(operation.label)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator for each operation's run of generated requests."""
    emulator = make_emulator()
    yield emulator
    emulator.close()


def basic(user: str, password: str) -> dict[str, str]:
    """Return a Basic Authorization header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def fuzz(
    http: httpx.Client,
    operation: schemathesis.APIOperation,
    base_url: str,
    headers: dict[str, str],
    known: dict[str, str] | None = None,
) -> None:
    """Send requests that fit ``operation`` and that break it; none may get a 5xx.

    ``headers`` replace generated ones of the same name, so requests carry
    real credentials. ``known`` path values (a workspace that exists) are used
    in some of the requests, so those reach past the lookup.
    """
    fixed = {k: v for k, v in (known or {}).items() if f"{{{k}}}" in operation.path}
    strategies = [operation.as_strategy(path_parameters=fixed)] if fixed else []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
    cases = st.one_of(strategies)

    @BOUNDED
    @given(case=cases)
    def answers_without_a_server_error(case: schemathesis.Case) -> None:
        sent = case.as_transport_kwargs(base_url=base_url, headers=headers)
        response = http.request(
            sent["method"],
            sent["url"],
            params=sent.get("params"),
            headers=sent["headers"],
            cookies=sent.get("cookies") or None,
            content=sent.get("data"),
            json=sent.get("json"),
        )
        case.validate_response(response, checks=[not_a_server_error])

    answers_without_a_server_error()


@pytest.mark.parametrize("operation", TRACK, ids=label)
def test_track_api_never_answers_a_server_error(
    emulator: Emulator, operation: schemathesis.APIOperation
) -> None:
    keys = emulator.workspaces["default"].keys

    fuzz(emulator.http, operation, TRACK_URL, basic(keys.site_id, keys.api_key))


@pytest.mark.parametrize("operation", PIPELINES, ids=label)
def test_pipelines_api_never_answers_a_server_error(
    emulator: Emulator, operation: schemathesis.APIOperation
) -> None:
    write_key = emulator.workspaces["default"].keys.write_key

    fuzz(emulator.http, operation, PIPELINES_URL, basic(write_key, ""))


@pytest.mark.parametrize("operation", CONTROL, ids=label)
def test_control_api_never_answers_a_server_error(
    emulator: Emulator, operation: schemathesis.APIOperation
) -> None:
    fuzz(emulator.http, operation, CONTROL_URL, {}, known={"name": "default"})


def test_a_server_error_fails_the_run(emulator: Emulator) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        start = {"type": "http.response.start", "status": 500, "headers": []}
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    emulator.transport.mount("broken.test", broken)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "broken", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }

    with pytest.raises(BaseExceptionGroup, match="Server error") as raised:
        fuzz(emulator.http, operations(document)[0], "https://broken.test", {})
    assert "curl -X GET" in str(raised.value)
    assert "https://broken.test/x" in str(raised.value)
