"""A served run kept in SQLite: what a restart replays, what it refuses, inspect.

Servers bind 127.0.0.1 on free ports and stop at the end of each test; every
wait is bounded. The project is a temporary folder with one campaign that
waits a second, so its send is a timer the replay has to run.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
import socket
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.clock import Clock
from harness.serve import (
    ControlClient,
    ControlError,
    ServeError,
    Server,
    StateError,
    project_options,
)
from harness.serve.app import MAX_BODY
from harness.serve.banner import banner
from harness.serve.readback import read_back
from harness.serve.replay import ServedWall, apply, drive, request_scope
from harness.serve.state import STATE_FILE, StateLog, journal_mode

QUICK = """\
name: quick
trigger: {event: ping}
steps:
  - wait: 1s
  - send:
      push: {title: pong, body: pong}
      otherwise_email: {subject: pong, body: pong}
"""
IDENTIFY = {"type": "identify", "userId": "u-1", "anonymousId": "a-1"}
DEVICE = {
    "type": "track",
    "userId": "u-1",
    "event": "Device Created or Updated",
    "context": {"device": {"token": "tok-ios-1", "type": "ios"}},
    "properties": {"push_enabled": "true"},
}
PING = {"type": "track", "userId": "u-1", "event": "ping"}
CA_FILES = [
    ".gitignore",
    "ca-key.pem",
    "ca.pem",
    "server-key.pem",
    "server.pem",
    "tls.lock",
]

Serve = Callable[..., Server]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder whose only campaign sends a second after a ping."""
    campaigns = tmp_path / "project" / "fixtures" / "campaigns"
    campaigns.mkdir(parents=True)
    (campaigns / "quick.yaml").write_text(QUICK)
    return campaigns.parents[1]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The state folder a run is kept in."""
    return tmp_path / "run"


@pytest.fixture
def serve(project: Path, folder: Path) -> Iterator[Serve]:
    """Start servers keeping their run in ``folder``; each stops after the test."""
    started: list[Server] = []

    def start(**given: Any) -> Server:
        options = {"port": 0, "state": folder, "persist": True, **given}
        server = Server(project_options(project, **options))
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


def post(server: Server, path: str, **given: Any) -> httpx.Response:
    """Send one request over HTTPS, trusting the server's CA."""
    assert server.tls is not None
    trust = ssl.create_default_context(cafile=str(server.tls.ca))
    with httpx.Client(base_url=server.https_url, verify=trust, timeout=5) as https:
        return https.post(path, **given)


def batch(server: Server, *calls: dict[str, Any]) -> httpx.Response:
    assert server.emulator is not None
    key = server.emulator.workspaces["default"].keys.write_key
    response = post(server, "/v1/batch", auth=(key, ""), json={"batch": list(calls)})
    assert response.status_code == 200, response.text
    return response


def control(server: Server, method: str, *args: Any, **given: Any) -> Any:
    """Call one ControlClient method, closing its connection (stops stay quick)."""
    with ControlClient.for_server(server) as client:
        return getattr(client, method)(*args, **given)


def held(server: Server) -> dict[str, Any]:
    """Return what workspace "default" holds, less its keys (new key pairs)."""
    snapshot = control(server, "snapshot")["workspaces"]["default"]
    del snapshot["keys"]
    return dict(snapshot)


def kept(folder: Path) -> int:
    log = StateLog.read(folder)
    try:
        return log.count()
    finally:
        log.close()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def played(server: Server) -> Server:
    """Identify u-1 with a phone and ping, then move the clock past the wait."""
    batch(server, IDENTIFY, DEVICE, PING)
    control(server, "advance", seconds=2)
    return server


# -- one request at a time, on a held clock -------------------------------------------


def test_a_request_reads_its_arrival_time_after_the_timers_due_before_it() -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    wall = ServedWall(held=start)
    clock, seen = Clock.live(wall), []
    clock.call_later(
        timedelta(seconds=1), lambda: seen.append(("timer", clock.now())), "t"
    )

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(("request", clock.now()))
        clock.advance(minutes=5)  # an advance inside the request moves it on
        seen.append(("advanced", clock.now()))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    answer = apply(app, wall, clock, start + timedelta(seconds=2), scope(), b"")

    assert answer.status == 204
    assert seen == [
        ("timer", start + timedelta(seconds=1)),
        ("request", start + timedelta(seconds=2)),
        ("advanced", start + timedelta(seconds=2, minutes=5)),
    ]


def scope() -> dict[str, Any]:
    return request_scope("POST", "/v1/batch", {})


def test_an_app_that_raises_or_suspends_is_answered_500_with_its_error() -> None:
    async def raises(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("bug")

    async def suspends(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(0)

    failed, waited = drive(raises, scope(), b""), drive(suspends, scope(), b"")

    assert (failed.status, repr(failed.error)) == (500, "ValueError('bug')")
    assert waited.status == 500
    assert "POST /v1/batch suspended while being handled" in str(waited.error)


# -- restarts ------------------------------------------------------------------------


def test_a_served_run_survives_a_restart_with_the_same_ids(serve: Serve) -> None:
    first = played(serve())
    before = held(first)
    first.stop()

    after = held(serve())

    assert after == before
    assert [p["id"] for p in after["people"]] == ["u-1"]
    assert [d["token"] for d in after["devices"]] == ["tok-ios-1"]
    assert [e["name"] for e in after["events"]] == ["ping"]
    assert [d["subject"] for d in after["deliveries"]] == ["pong"]
    cio_ids = [p["cio_id"] for p in before["people"]]
    assert [p["cio_id"] for p in after["people"]] == cio_ids
    assert [d["id"] for d in after["deliveries"]] == [
        d["id"] for d in before["deliveries"]
    ]


def test_the_clock_after_a_restart_is_not_earlier_than_before(serve: Serve) -> None:
    first = played(serve())
    before = control(first, "clock")
    first.stop()

    after = control(serve(), "clock")

    assert instant(after["now"]) >= instant(before["now"])
    assert after["offset_seconds"] == before["offset_seconds"] == 2
    assert after["live"] is True


def test_replayed_requests_are_not_kept_again(serve: Serve, folder: Path) -> None:
    played(serve()).stop()
    counts = [kept(folder)]

    for _ in range(2):
        restarted = serve()
        control(restarted, "people")  # a read is not kept either
        restarted.stop()
        counts.append(kept(folder))

    assert counts == [2, 2, 2]


def test_a_restart_with_another_seed_is_refused_naming_seed_and_fresh(
    serve: Serve,
) -> None:
    serve().stop()

    with pytest.raises(StateError) as caught:
        serve(seed=7)

    message = str(caught.value)
    assert "--seed 0 then, 7 now" in message
    assert "add --fresh to discard it" in message


def test_a_restart_with_other_workspaces_is_refused_naming_them(serve: Serve) -> None:
    serve().stop()

    with pytest.raises(StateError, match="--workspace default then, a, b now"):
        serve(workspaces=("a", "b"))


def test_fresh_starts_empty_and_keeps_the_ca(serve: Serve, folder: Path) -> None:
    first = played(serve())
    assert first.tls is not None
    trusted = first.tls.ca.read_bytes()
    first.stop()

    second = serve(fresh=True, seed=7)

    assert second.tls is not None and second.tls.ca.read_bytes() == trusted
    assert (held(second)["people"], kept(folder)) == ([], 0)
    assert not second.resumed


def test_fresh_without_state_is_refused_naming_state(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="give --state DIR too, or drop --fresh"):
        Server(project_options(tmp_path, state=tmp_path, fresh=True))


def test_the_state_file_is_sqlite_in_wal_mode(serve: Serve, folder: Path) -> None:
    server = played(serve())

    assert server.state_file == folder / STATE_FILE
    assert journal_mode(folder / STATE_FILE) == "wal"


def test_without_state_nothing_is_written_but_the_ca(
    serve: Serve, tmp_path: Path
) -> None:
    memory = tmp_path / "ca-only"

    server = played(serve(state=memory, persist=False))
    server.stop()

    assert sorted(p.name for p in memory.iterdir()) == CA_FILES
    assert server.state_file is None


def test_a_second_server_on_one_state_folder_is_refused(serve: Serve) -> None:
    serve()

    with pytest.raises(StateError, match="another harness serve records into"):
        serve()


def test_a_file_that_is_not_a_state_file_is_refused_naming_fresh(
    serve: Serve, folder: Path
) -> None:
    folder.mkdir()
    (folder / STATE_FILE).write_bytes(b"not sqlite at all " * 100)

    with pytest.raises(StateError, match="is not a harness state file.*--fresh"):
        serve()


def test_requests_the_token_refused_are_not_kept_and_replay_without_it(
    serve: Serve, folder: Path
) -> None:
    guarded = serve(listen="127.0.0.1", token="first")
    refused = post(guarded, "/_harness/workspaces", json={"name": "sneaky"})
    allowed = post(
        guarded,
        "/_harness/workspaces",
        json={"name": "w2"},
        headers={"authorization": "Bearer first"},
    )
    guarded.stop()

    again = serve(listen="127.0.0.1", token="second")

    assert (refused.status_code, allowed.status_code) == (401, 201)
    assert kept(folder) == 1
    assert again.emulator is not None
    assert sorted(again.emulator.workspaces) == ["default", "w2"]
    assert again.diverged == 0


def test_a_row_that_answers_otherwise_on_replay_is_counted_and_logged(
    serve: Serve, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    played(serve()).stop()
    with sqlite3.connect(folder / STATE_FILE) as db:
        db.execute("update requests set status = 299 where seq = 1")
    db.close()

    with caplog.at_level(logging.WARNING, logger="harness.serve.replay"):
        server = serve()

    assert (server.replayed, server.diverged) == (2, 1)
    assert "request 1 (POST /v1/batch) answered 200 on replay and 299" in caplog.text


def test_gzip_bodies_and_encoded_paths_replay_as_sent(serve: Serve) -> None:
    first = serve()
    assert first.emulator is not None
    keys = first.emulator.workspaces["default"].keys
    body = gzip.compress(json.dumps({"batch": [IDENTIFY]}).encode())
    zipped = post(
        first,
        "/v1/batch",
        content=body,
        auth=(keys.write_key, ""),
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )
    track = post(
        first,
        "/api/v1/customers/jo%40shop.example/events",
        auth=(keys.site_id, keys.api_key),
        json={"name": "viewed"},
    )
    before = held(first)
    first.stop()

    after = held(serve())

    assert (zipped.status_code, track.status_code) == (200, 200)
    assert sorted(p["id"] or p["email"] for p in after["people"]) == [
        "jo@shop.example",
        "u-1",
    ]
    assert after == before


def test_the_banner_says_where_the_state_lives(serve: Serve, tmp_path: Path) -> None:
    memory = serve(state=tmp_path / "ca-only", persist=False)
    first = played(serve())
    new = banner(first)
    first.stop()

    resumed = banner(serve())

    assert "  state         in memory (a restart starts empty" in banner(memory)
    assert "run/state.sqlite (a new run)" in new
    assert "run/state.sqlite (replayed 2 requests)" in resumed


# -- timers and inspect --------------------------------------------------------------


def wait_for_deliveries(server: Server) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    with ControlClient.for_server(server) as client:
        while not client.deliveries() and time.monotonic() < deadline:
            time.sleep(0.05)
        return client.deliveries()


def test_inspect_shows_what_timers_did_after_the_last_request(
    serve: Serve, project: Path, folder: Path
) -> None:
    server = serve()
    batch(server, IDENTIFY, PING)
    sent = wait_for_deliveries(server)  # the server's own timer, a second later
    server.stop()

    found = read_back(folder, project, "deliveries")

    assert found.answer.status == 200
    deliveries = json.loads(found.answer.body)["deliveries"]
    assert [d["id"] for d in deliveries] == [d["id"] for d in sent] != []
    assert "1 request replayed" in found.summary


def test_inspect_reads_a_persons_timeline_after_the_server_stopped(
    serve: Serve, project: Path, folder: Path
) -> None:
    played(serve()).stop()

    found = read_back(folder, project, "timeline", identifier="u-1")

    texts = [json.loads(line)["text"] for line in found.answer.body.splitlines()]
    assert "identify u-1" in texts
    assert any(t.startswith("token tok-ios-1") for t in texts)
    assert any("pong" in t for t in texts)


def test_inspect_refuses_a_project_with_other_campaigns(
    serve: Serve, folder: Path, tmp_path: Path
) -> None:
    serve().stop()

    with pytest.raises(StateError, match="campaigns .* quick then, none now"):
        read_back(folder, tmp_path, "people")


def test_inspect_of_a_folder_without_a_run_names_serve(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="serve with harness serve --state"):
        read_back(tmp_path, tmp_path, "people")


# -- seeding over the socket ----------------------------------------------------------


def test_seeded_data_survives_a_restart(serve: Serve) -> None:
    first = serve()
    answer = control(
        first,
        "seed",
        people=[{"id": "u-2", "email": "u2@shop.example", "anonymous_ids": ["b-1"]}],
        devices=[
            {"person": "u2@shop.example", "token": "fcm-2", "platform": "android"}
        ],
        events=[{"person": "u-2", "name": "viewed", "timestamp": 1772442000}],
    )
    before = held(first)
    first.stop()

    after = held(serve())

    assert after == before
    assert [p["cio_id"] for p in after["people"]] == [
        p["cio_id"] for p in answer["people"]
    ]
    assert after["events"][0]["timestamp"] == "2026-03-02T09:00:00Z"


def test_the_control_client_raises_every_seed_problem(serve: Serve) -> None:
    server = serve()

    with pytest.raises(ControlError) as caught:
        control(
            server,
            "seed",
            people=[{"name": "no id"}],
            devices=[{"person": "nobody", "token": "t", "platform": "windows"}],
        )

    assert (caught.value.status, caught.value.code) == (400, "invalid_request")
    assert len(caught.value.problems) == 4
    assert control(server, "people") == []


# -- write-ahead and replay fidelity --------------------------------------------------


class FullDisk:
    """A connection stub whose every statement fails as on a full disk."""

    def execute(self, *args: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")


def test_a_request_that_cannot_be_kept_is_answered_503_and_not_applied(
    serve: Serve, folder: Path
) -> None:
    server = serve()
    assert server.emulator is not None and server.log is not None
    key = server.emulator.workspaces["default"].keys.write_key
    real, server.log._db = server.log._db, FullDisk()  # type: ignore[assignment]
    try:
        refused = post(server, "/v1/batch", auth=(key, ""), json={"batch": [IDENTIFY]})
        made = post(server, "/_harness/workspaces", json={"name": "w2"})
    finally:
        server.log._db = real
    people = held(server)["people"]
    server.stop()

    assert (refused.status_code, made.status_code) == (503, 503)
    message = refused.json()["meta"]["errors"][0]
    assert str(folder / STATE_FILE) in message
    assert "database or disk is full" in message
    assert "the request was not applied" in message
    assert made.json()["error"]["code"] == "state_unwritable"
    assert people == []
    assert sorted(server.emulator.workspaces) == ["default"]
    assert kept(folder) == 0


def test_a_read_only_state_file_refuses_writes_without_applying_them(
    serve: Serve, folder: Path
) -> None:
    server = serve()
    assert server.emulator is not None and server.log is not None
    key = server.emulator.workspaces["default"].keys.write_key
    real = server.log._db
    server.log._db = sqlite3.connect(
        f"{(folder / STATE_FILE).resolve().as_uri()}?mode=ro",
        uri=True,
        check_same_thread=False,
    )
    try:
        refused = post(server, "/v1/batch", auth=(key, ""), json={"batch": [IDENTIFY]})
    finally:
        server.log._db.close()
        server.log._db = real
    accepted = post(server, "/v1/batch", auth=(key, ""), json={"batch": [PING]})
    server.stop()

    assert (refused.status_code, accepted.status_code) == (503, 200)
    assert "readonly database" in refused.json()["meta"]["errors"][0]
    assert kept(folder) == 1


def test_a_row_kept_but_never_answered_is_replayed_without_comparing(
    serve: Serve, folder: Path
) -> None:
    played(serve()).stop()
    with sqlite3.connect(folder / STATE_FILE) as db:
        db.execute("update requests set status = 0 where seq = 1")
    db.close()

    server = serve()

    assert (server.replayed, server.diverged) == (2, 0)


def test_the_first_of_repeated_headers_is_kept_as_the_live_request_read_it(
    serve: Serve,
) -> None:
    first = serve()
    assert first.emulator is not None
    good = first.emulator.workspaces["default"].keys.write_key
    good_auth = "Basic " + base64.b64encode(f"{good}:".encode()).decode()
    bad_auth = "Basic " + base64.b64encode(b"nope:").decode()
    plain = json.dumps({"batch": [IDENTIFY]}).encode()
    zipped = gzip.compress(json.dumps({"batch": [PING]}).encode())
    json_type = ("content-type", "application/json")
    sent = [
        (plain, [("authorization", good_auth), ("authorization", bad_auth)]),
        (plain, [("authorization", bad_auth), ("authorization", good_auth)]),
        (zipped, [("content-encoding", "gzip"), ("content-encoding", "identity")]),
        (plain, [("content-encoding", "identity"), ("content-encoding", "gzip")]),
    ]
    statuses = []
    for body, headers in sent:
        if "authorization" not in dict(headers):
            headers = [*headers, ("authorization", good_auth)]
        response = post(first, "/v1/batch", content=body, headers=[*headers, json_type])
        statuses.append(response.status_code)
    before = held(first)
    first.stop()

    again = serve()

    assert statuses[0] == statuses[2] == 200
    assert statuses[1] == 401
    assert (again.replayed, again.diverged) == (4, 0)
    assert held(again) == before


# -- damaged state files --------------------------------------------------------------


def damage(folder: Path) -> None:
    """Overwrite pages in the middle of the state file, past its first two."""
    path = folder / STATE_FILE
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page, len(data)
    middle = len(data) // page // 2 * page
    data[middle : middle + 2 * page] = b"\xa5" * (2 * page)
    path.write_bytes(bytes(data))


def test_a_state_file_damaged_mid_way_is_refused_naming_it_and_fresh(
    serve: Serve, folder: Path
) -> None:
    server = serve()
    assert server.emulator is not None
    key = server.emulator.workspaces["default"].keys.write_key
    for index in range(40):
        call = {**IDENTIFY, "traits": {"note": "x" * 900}, "userId": f"u-{index}"}
        post(server, "/v1/batch", auth=(key, ""), json={"batch": [call]})
    server.stop()
    damage(folder)

    with pytest.raises(StateError) as raised:
        serve()

    message = str(raised.value)
    assert str(folder / STATE_FILE) in message
    assert "--fresh" in message
    with pytest.raises(StateError, match="--fresh"):
        StateLog.read(folder).count()


def test_a_state_file_that_is_a_directory_is_refused_even_with_fresh(
    serve: Serve, folder: Path
) -> None:
    (folder / STATE_FILE).mkdir(parents=True)

    for fresh in (False, True):
        with pytest.raises(StateError, match="is a directory.*remove it by hand"):
            serve(fresh=fresh)


# -- the body cap ---------------------------------------------------------------------


def raw_post(server: Server, head: str, chunks: list[bytes]) -> bytes:
    """Send one request over plain HTTP, byte for byte; return what came back."""
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=5) as sock:
        try:
            sock.sendall(head.encode("latin-1"))
            for chunk in chunks:
                sock.sendall(chunk)
        except OSError:  # the server may answer, and close, before the end
            pass
        answer = b""
        while got := sock.recv(65536):  # the server closes after a 413
            answer += got
    return answer


def test_a_body_declared_over_the_cap_is_413_naming_it_and_not_kept(
    serve: Serve, folder: Path
) -> None:
    server = serve()
    head = (
        "POST /v1/batch HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        f"content-type: application/json\r\ncontent-length: {MAX_BODY + 1}\r\n\r\n"
    )

    answer = raw_post(server, head, [])
    server.stop()

    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413")
    assert f"over {MAX_BODY} bytes (8 MiB)" in json.loads(body)["meta"]["errors"][0]
    assert kept(folder) == 0


def test_a_chunked_body_over_the_cap_is_413_and_not_kept(
    serve: Serve, folder: Path
) -> None:
    server = serve()
    head = (
        "POST /_harness/workspaces HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        "content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    piece = b"x" * (1024 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

    answer = raw_post(server, head, [chunk] * 9 + [b"0\r\n\r\n"])
    server.stop()

    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"]["code"] == "too_large"
    assert kept(folder) == 0
