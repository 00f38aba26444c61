"""The in-process transport hands each request to the ASGI app of its host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from harness.transport import ASGIApp, InProcessTransport, Message


def echo(name: str) -> ASGIApp:
    """Return an app answering with its name and what it saw of the request."""

    async def app(scope: Message, receive: Any, send: Any) -> None:
        request = await receive()
        body = json.dumps(
            {
                "app": name,
                "method": scope["method"],
                "path": scope["path"],
                "query": scope["query_string"].decode(),
                "body": request["body"].decode(),
                "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    transport = InProcessTransport({"a.test": echo("a"), "b.test": echo("b")})
    with httpx.Client(transport=transport) as client:
        yield client


def test_request_goes_to_the_app_of_its_host(client: httpx.Client) -> None:
    assert client.get("https://a.test/x").json()["app"] == "a"
    assert client.get("https://b.test/x").json()["app"] == "b"


def test_app_sees_the_method_path_query_body_and_headers(client: httpx.Client) -> None:
    response = client.post(
        "https://b.test/v1/b?x=1", content=b"hello", headers={"X-Probe": "yes"}
    )

    seen = response.json()
    assert response.status_code == 201
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/v1/b", "x=1")
    assert seen["body"] == "hello"
    assert seen["headers"]["x-probe"] == "yes"


def test_mounted_app_serves_its_host() -> None:
    transport = InProcessTransport({})
    transport.mount("c.test", echo("c"))

    with httpx.Client(transport=transport) as client:
        assert client.get("https://c.test/").json()["app"] == "c"


def test_unknown_host_raises_connect_error_naming_host_and_known_hosts(
    client: httpx.Client,
) -> None:
    with pytest.raises(httpx.ConnectError) as caught:
        client.get("https://nowhere.test/v1/b")

    message = str(caught.value)
    assert "'nowhere.test'" in message
    assert "a.test, b.test" in message


async def _sleeps(scope: Message, receive: object, send: object) -> None:
    await asyncio.sleep(0.01)


class _Pending:
    """An awaitable that never resolves, like a future no one completes."""

    def __await__(self) -> Iterator[object]:
        yield self


async def _awaits_a_pending_future(
    scope: Message, receive: object, send: object
) -> None:
    await _Pending()


def test_app_awaiting_a_real_sleep_raises_saying_it_suspended() -> None:
    transport = InProcessTransport({"slow.test": _sleeps})
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(RuntimeError, match="suspended"),
    ):
        client.get("https://slow.test/wait")


def test_app_awaiting_an_unresolved_future_raises_saying_it_suspended() -> None:
    loop = asyncio.new_event_loop()
    future = loop.create_future()

    async def app(scope: Message, receive: object, send: object) -> None:
        await future

    transport = InProcessTransport({"slow.test": app})
    try:
        with (
            httpx.Client(transport=transport) as client,
            pytest.raises(RuntimeError, match="suspended while handling GET /wait"),
        ):
            client.get("https://slow.test/wait")
    finally:
        loop.close()


def test_app_awaiting_a_bare_pending_awaitable_raises_saying_it_suspended() -> None:
    transport = InProcessTransport({"slow.test": _awaits_a_pending_future})
    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(RuntimeError, match="suspended"),
    ):
        client.get("https://slow.test/wait")


def test_responses_are_timed_like_responses_over_a_socket() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = httpx.Client(transport=InProcessTransport({"h.test": app}))

    response = client.get("https://h.test/")

    assert response.elapsed >= timedelta(0)
