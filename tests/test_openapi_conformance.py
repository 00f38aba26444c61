"""Every operation in Customer.io's OpenAPI documents answers as documented.

The test list is generated from the documents in ``tests/documents/``: each
operation sends the document's own example requests to its documented host
through ``Emulator.http``, with a fresh workspace's credentials, and must get a
documented success whose body matches the documented schema. Secured
operations must turn away missing or wrong credentials with the documented 401
and an error body of a documented shape; open ones must not ask for any. A
path the emulator does not serve fails here by its operationId.

Where the emulator departs from a document on purpose, the test still asserts
the document and is marked a strict expected failure naming the emulator's
policy, so the departure stays visible and a fix shows up as XPASS.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.clock import Clock
from harness.emulator import Emulator, Keys
from harness.ids import Ids
from harness.journal import Journal
from tests.openapi_documents import (
    NO_BODY,
    STATUS,
    Document,
    Operation,
    lenient,
    problems,
    strict,
)

DOCUMENTS = {name: Document.load(name) for name in ("track", "pipelines")}
OPERATIONS = [op for document in DOCUMENTS.values() for op in document.operations]
SHARED_ERROR = "#/components/responses/400/content/application~1json/schema"

PERMISSIVE_401 = (
    "the Pipelines document lists only 200 and says that without X-Strict-Mode "
    "validation failures answer 200; the emulator answers 401 to a missing or "
    "wrong write key in both modes, on purpose (harness/pipelines/routes.py)"
)
KNOWN: dict[str, str] = {
    **{
        f"track:submitForm-{credentials}": "the document lists 204 and 400 but no "
        "401 for submitForm, though it requires Tracking-API-Key; the emulator "
        "answers 401 as on every authenticated Track path (harness/track/routes.py)"
        for credentials in ("missing", "wrong")
    },
    **{
        f"track:pushMetrics-{case}": "the document's only example is {} and it "
        "lists only 200; the emulator answers 400 to a push metric without event "
        "and delivery_id, on purpose, including where the document lists no 400 "
        "(harness/track/routes.py)"
        for case in ("json sample", "missing", "wrong")
    },
    **{
        f"{op.id}-{credentials}": PERMISSIVE_401
        for op in DOCUMENTS["pipelines"].operations
        for credentials in ("missing", "wrong")
    },
}


def modes(op: Operation) -> list[tuple[str, dict[str, str]]]:
    """Return the header sets to try: none, and each status-changing header.

    An optional header parameter whose description names statuses (Pipelines'
    ``X-Strict-Mode``) is sent with its documented example as a second mode.
    """
    found: list[tuple[str, dict[str, str]]] = [("", {})]
    for _, parameter in op.parameters("header"):
        if "example" in parameter and STATUS.search(parameter.get("description", "")):
            name = parameter["name"]
            found.append((f"-{name.lower()}", {name: str(parameter["example"])}))
    return found


def params(items: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    """Make pytest params from ``(id, values)``, marking the known departures."""
    made = []
    for case_id, values in items:
        reason = KNOWN.get(case_id)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        made.append(pytest.param(*values, id=case_id, marks=marks))
    return made


EXAMPLES = params(
    [
        (f"{op.id}-{label}", (op, body))
        for op in OPERATIONS
        for label, body in op.examples()
    ]
)
CREDENTIALS = params(
    [
        (f"{op.id}-{credentials}{mode}", (op, credentials, headers))
        for op in OPERATIONS
        for credentials in ("missing", "wrong")
        for mode, headers in modes(op)
    ]
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator with one fresh workspace, ``default``."""
    emulator = Emulator(Clock(), Ids(0).child("emulator"), Journal())
    emulator.create_workspace("default")
    yield emulator
    emulator.close()


def auth(op: Operation, keys: Keys, credentials: str = "valid") -> dict[str, str]:
    """Return the Authorization header for ``credentials``: valid, wrong or missing."""
    if credentials == "missing":
        return {}
    pair = (keys.site_id, keys.api_key)
    if op.document.name == "pipelines":
        pair = (keys.write_key, "")
    if credentials == "wrong":
        pair = (pair[0], "wrong-key") if pair[1] else ("wrong-write-key", "")
    token = base64.b64encode(":".join(pair).encode()).decode()
    return {"Authorization": f"Basic {token}"}


def send(
    http: httpx.Client, op: Operation, server: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """Send ``op`` to ``server`` with its documented path values and ``body``."""
    path = op.path.format(**op.path_values())
    content = None
    if body is not NO_BODY:
        content = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **headers}
    url = server + path
    return http.request(op.method.upper(), url, content=content, headers=headers)


def shown(response: httpx.Response) -> str:
    """Describe an exchange for a failure message."""
    request = response.request
    return f"{request.method} {request.url} -> {response.status_code} {response.text}"


# -- the documents ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "paths", "operations"), [("track", 17, 18), ("pipelines", 7, 7)]
)
def test_every_documented_operation_is_in_the_test_list(
    name: str, paths: int, operations: int
) -> None:
    items = DOCUMENTS[name].raw["paths"].values()
    listed = [method for item in items for method in item if method != "parameters"]

    assert (len(items), len(listed)) == (paths, operations)
    assert len({op.id for op in DOCUMENTS[name].operations}) == operations


def test_a_strict_schema_requires_every_property_and_no_other() -> None:
    schema = {"type": "object", "properties": {"meta": {"properties": {"e": {}}}}}

    tightened = strict(schema)

    assert problems(tightened, {"meta": {"e": 1}}) == []
    assert problems(tightened, {}) == ["(root): 'meta' is a required property"]
    assert len(problems(tightened, {"meta": {"e": 1, "f": 2}})) == 1


@pytest.mark.parametrize(
    "op", [op for op in OPERATIONS if op.request_schema], ids=lambda op: op.id
)
def test_a_body_built_from_the_schema_is_valid_against_it(op: Operation) -> None:
    schema = op.request_schema
    assert schema is not None

    built = op.document.sample(schema)

    assert problems(lenient(op.document.inline(schema)), built) == []


# -- examples ------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "body"), EXAMPLES)
def test_the_documented_example_gets_a_documented_success(
    emulator: Emulator, op: Operation, body: Any
) -> None:
    keys = emulator.workspaces["default"].keys

    for server in op.servers:
        response = send(emulator.http, op, server, body, auth(op, keys))

        status = response.status_code
        assert status in op.statuses and 200 <= status < 300, shown(response)
        schema = op.response_schema(status)
        if schema is not None:
            assert response.headers["content-type"] == "application/json"
            assert op.document.errors(schema, response.json()) == [], shown(response)
        if status == 204:
            assert response.content == b"", shown(response)


# -- credentials -----------------------------------------------------------------------


@pytest.mark.parametrize(("op", "credentials", "headers"), CREDENTIALS)
def test_credentials_are_checked_as_documented(
    emulator: Emulator, op: Operation, credentials: str, headers: dict[str, str]
) -> None:
    keys = emulator.workspaces["default"].keys
    body = op.examples()[0][1]
    headers = {**headers, **auth(op, keys, credentials)}

    response = send(emulator.http, op, op.servers[0], body, headers)

    status, documented = response.status_code, op.documented(headers)
    if not op.secured:
        assert status in op.statuses and 200 <= status < 300, shown(response)
    elif 401 in documented:
        assert status == 401, shown(response)
        assert_challenge(op, response)
        assert_error_shape(op, response)
    else:
        assert status in documented, shown(response)


def assert_challenge(op: Operation, response: httpx.Response) -> None:
    """Insist a 401 challenges with the documented scheme, as RFC 9110 requires."""
    schemes = op.document.raw["components"]["securitySchemes"].values()
    wanted = {s["scheme"].lower() for s in schemes if s["type"] == "http"}
    challenge = response.headers.get("www-authenticate", "")
    assert challenge.split(" ")[0].lower() in wanted, shown(response)


def assert_error_shape(op: Operation, response: httpx.Response) -> None:
    """Insist the body has exactly the shape of a documented error body.

    The 401s document no body, so the candidates are the operation's own 400
    body and, off the v2 paths, the document's shared 400 body.
    """
    pointers = [op.response_schema(400)]
    if not op.path.startswith("/api/v2/"):
        pointers.append(SHARED_ERROR)
    found = []
    for pointer in dict.fromkeys(p for p in pointers if p):
        wrong = problems(strict(op.document.inline(pointer)), response.json())
        if not wrong:
            return
        found.append(f"{pointer}: {'; '.join(wrong)}")
    shapes = "\n".join(found)
    pytest.fail(f"{shown(response)}\nmatches no documented error shape:\n{shapes}")
