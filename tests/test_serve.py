"""The served emulator over real sockets and TLS, its live clock, and harness serve.

Servers bind 127.0.0.1 on free ports and stop at the end of each test; every
wait is bounded.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.campaigns import Campaign
from harness.cli import main
from harness.clock import Clock
from harness.emulator import Emulator
from harness.files import load_directory
from harness.ids import Ids
from harness.journal import Journal
from harness.serve import (
    BindError,
    ControlClient,
    ControlError,
    ServeError,
    ServeOptions,
    Server,
)
from harness.serve.app import create_app
from harness.serve.banner import banner

QUICK = Campaign.model_validate(
    {
        "name": "quick",
        "trigger": {"event": "ping"},
        "steps": [
            {"wait": "1s"},
            {"send": {"otherwise_email": {"subject": "pong", "body": "pong"}}},
        ],
    }
)
CART = {
    "type": "track",
    "userId": "u-1",
    "event": "added_to_cart",
    "properties": {"items": [{"name": "Socks", "sku": "S-1"}]},
}


@pytest.fixture(scope="module")
def campaigns(root: Path) -> tuple[Campaign, ...]:
    """The shipped campaigns and one that waits a single second."""
    shipped = load_directory(root / "fixtures" / "campaigns", Campaign).values()
    return (*shipped, QUICK)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state folder for the module, so the CA is made once."""
    return tmp_path_factory.mktemp("state")


@pytest.fixture
def serve(
    state: Path, campaigns: tuple[Campaign, ...]
) -> Iterator[Callable[..., Server]]:
    """Start servers on free loopback ports; each stops after the test."""
    started: list[Server] = []

    def start(**options: Any) -> Server:
        given = {"state": state, "campaigns": campaigns, **options}
        server = Server(ServeOptions(**given)).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., Server]) -> Server:
    """A started server with one workspace, "default"."""
    return serve()


def client(server: Server, *, plain: bool = False) -> httpx.Client:
    """Return a client for the HTTPS port (trusting the CA) or the HTTP port."""
    assert server.tls is not None and server.http_url is not None
    if plain:
        return httpx.Client(base_url=server.http_url, timeout=5)
    trust = ssl.create_default_context(cafile=str(server.tls.ca))
    return httpx.Client(base_url=server.https_url, verify=trust, timeout=5)


def write_key(server: Server, name: str = "default") -> str:
    assert server.emulator is not None
    return server.emulator.workspaces[name].keys.write_key


def batch(http: httpx.Client, key: str, *calls: dict[str, Any]) -> httpx.Response:
    return http.post("/v1/batch", auth=(key, ""), json={"batch": list(calls)})


# -- the live clock -------------------------------------------------------------------


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_live_clock_follows_the_wall_plus_what_advance_adds() -> None:
    wall = Wall()
    clock = Clock.live(wall)

    wall.now += timedelta(seconds=5)
    clock.advance(minutes=30)

    assert clock.now() == wall.now + timedelta(minutes=30)
    assert clock.offset == timedelta(minutes=30)
    assert clock.is_live


def test_live_clock_runs_timers_at_their_due_time_once_the_wall_passes_it() -> None:
    wall, seen = Wall(), []
    clock = Clock.live(wall)
    due = clock.now() + timedelta(seconds=2)
    clock.call_at(due, lambda: seen.append(clock.now()), "t")

    clock.run_due()
    assert seen == []
    wall.now += timedelta(seconds=3)
    clock.run_due()

    assert seen == [due]
    assert clock.now() == wall.now


def test_live_clock_advance_runs_waits_at_their_own_due_time() -> None:
    wall, seen = Wall(), []
    clock = Clock.live(wall)
    start = clock.now()
    clock.call_later(timedelta(minutes=30), lambda: seen.append(clock.now()), "wait")

    clock.advance(hours=1)

    assert seen == [start + timedelta(minutes=30)]
    assert clock.now() == start + timedelta(hours=1)


def test_live_clock_never_goes_back_when_the_wall_does() -> None:
    wall = Wall()
    clock = Clock.live(wall)
    before = clock.now()

    wall.now -= timedelta(minutes=1)

    assert clock.now() == before


def test_live_clock_refuses_to_freeze_the_process() -> None:
    with pytest.raises(RuntimeError, match="frozen Clock"):
        Clock.live().__enter__()


def test_clear_cancels_every_pending_timer() -> None:
    clock, seen = Clock(), []
    clock.call_later(timedelta(minutes=1), lambda: seen.append(1), "t")

    clock.clear()
    clock.advance(minutes=5)

    assert (seen, clock.pending()) == ([], [])


# -- the served app, in process ------------------------------------------------------


@pytest.fixture
def dispatch() -> Iterator[httpx.Client]:
    """The served app on an embedded emulator."""
    emulator = Emulator(Clock(), Ids(0).child("emulator"), Journal())
    emulator.create_workspace("default")
    app = create_app(
        emulator,
        https_port=8443,
        names=["127.0.0.1", "localhost", "10.0.2.2"],
    )
    emulator.transport.mount("127.0.0.1", app)
    emulator.transport.mount("10.0.2.2", app)
    emulator.transport.mount("elsewhere.test", app)
    yield emulator.http
    emulator.close()


def test_an_unmatched_path_is_404_listing_every_served_prefix(
    dispatch: httpx.Client,
) -> None:
    response = dispatch.get("https://127.0.0.1/nowhere")

    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (404, "no_route")
    assert "GET /nowhere matches no API" in error["message"]
    for prefix in ["/_harness", "/api/", "/v1/send/", "/v1/ (Pipelines API)"]:
        assert prefix in error["message"]


@pytest.mark.parametrize(
    ("host", "api_host"),
    [
        ("127.0.0.1", "127.0.0.1:8443/v1"),
        ("10.0.2.2", "10.0.2.2:8443/v1"),
        ("elsewhere.test", "127.0.0.1:8443/v1"),
    ],
)
def test_settings_point_sdks_at_the_name_they_asked_if_the_cert_covers_it(
    dispatch: httpx.Client, host: str, api_host: str
) -> None:
    key = written(dispatch)

    response = dispatch.get(f"https://{host}/v1/projects/{key}/settings")

    destination = response.json()["integrations"]["Customer.io Data Pipelines"]
    assert destination["apiHost"] == api_host


def written(http: httpx.Client) -> str:
    """Return the write key of "default", read through the control API."""
    response = http.get("https://127.0.0.1/_harness/workspaces")
    key: str = response.json()["workspaces"][0]["write_key"]
    return key


# -- over sockets ---------------------------------------------------------------------


def test_https_and_http_both_answer_a_pipelines_batch(server: Server) -> None:
    identify = {"type": "identify", "userId": "u-1"}
    with client(server) as https, client(server, plain=True) as http:
        secure = batch(https, write_key(server), identify)
        plain = batch(http, write_key(server), {**identify, "userId": "u-2"})

    assert (secure.status_code, plain.status_code) == (200, 200)
    assert secure.url.scheme == "https" and plain.url.scheme == "http"
    people = ControlClient.for_server(server).people()
    assert sorted(p["id"] for p in people) == ["u-1", "u-2"]


def test_https_is_refused_by_a_client_that_does_not_trust_the_ca(
    server: Server,
) -> None:
    with (
        httpx.Client(base_url=server.https_url, timeout=5) as stranger,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        stranger.get("/_harness/clock")


def test_a_wrong_write_key_is_401_over_the_socket(server: Server) -> None:
    with client(server) as https:
        response = batch(https, "not-a-key", {"type": "identify", "userId": "u"})

    assert response.status_code == 401


def test_settings_fetched_over_http_still_point_at_the_https_port(
    server: Server,
) -> None:
    with client(server, plain=True) as http:
        response = http.get(f"/v1/projects/{write_key(server)}/settings")

    settings = response.json()["integrations"]["Customer.io Data Pipelines"]
    assert settings["apiHost"] == f"127.0.0.1:{server.https_port}/v1"
    assert server.api_host == settings["apiHost"]


def test_the_ca_is_reused_across_restarts_of_one_state_folder(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    first = serve(state=tmp_path)
    assert first.tls is not None
    trusted = first.tls.ca.read_bytes()
    first.stop()

    second = serve(state=tmp_path)

    assert second.tls is not None and not second.tls.ca_created
    assert second.tls.ca.read_bytes() == trusted
    trust = ssl.create_default_context(cadata=trusted.decode())
    with httpx.Client(verify=trust, timeout=5) as old_trust:
        assert old_trust.get(f"{second.https_url}/_harness/clock").status_code == 200


def test_loopback_by_default_leaves_the_control_api_open(server: Server) -> None:
    with client(server) as https:
        response = https.get("/_harness/workspaces")

    assert server.token is None
    assert server.bind == "127.0.0.1"
    assert response.status_code == 200


def test_listen_puts_the_control_api_behind_the_printed_token(
    serve: Callable[..., Server],
) -> None:
    server = serve(listen="127.0.0.1")
    assert server.token

    with client(server) as https:
        refused = https.get("/_harness/workspaces")
        allowed = https.get(
            "/_harness/workspaces", headers={"authorization": f"Bearer {server.token}"}
        )
        data = batch(https, write_key(server), {"type": "identify", "userId": "u"})

    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert data.status_code == 200


def test_the_banner_of_a_loopback_listen_shows_the_token_not_beyond_loopback(
    serve: Callable[..., Server],
) -> None:
    text = banner(serve(listen="127.0.0.1"))

    assert "control token" in text
    assert "beyond loopback" not in text


def test_the_python_control_client_raises_control_error_without_the_token(
    serve: Callable[..., Server],
) -> None:
    server = serve(listen="127.0.0.1", token="fixed-token")
    assert server.tls is not None
    stranger = ControlClient(server.https_url, verify=server.tls.ca)

    with pytest.raises(ControlError) as caught:
        stranger.workspaces()

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert ControlClient.for_server(server).workspaces()[0]["name"] == "default"


def test_parallel_workspaces_never_see_each_others_people(
    serve: Callable[..., Server],
) -> None:
    server = serve(workspaces=("worker-1", "worker-2"))
    control = ControlClient.for_server(server)
    added = control.create_workspace("worker-3")
    keys = [write_key(server, "worker-1"), write_key(server, "worker-2")]

    def identify(key: str, user: str) -> None:
        with client(server) as https:
            for index in range(5):
                call = {"type": "identify", "userId": f"{user}-{index}"}
                assert batch(https, key, call).status_code == 200

    workers = [
        threading.Thread(target=identify, args=(keys[0], "a")),
        threading.Thread(target=identify, args=(keys[1], "b")),
        threading.Thread(target=identify, args=(added["write_key"], "c")),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)

    for name, prefix in [("worker-1", "a"), ("worker-2", "b"), ("worker-3", "c")]:
        ids = {p["id"] for p in control.people(name)}
        assert ids == {f"{prefix}-{i}" for i in range(5)}, name


def test_advancing_the_clock_runs_a_campaign_wait(server: Server) -> None:
    control = ControlClient.for_server(server)
    with client(server) as https:
        batch(https, write_key(server), {"type": "identify", "userId": "u-1"}, CART)

    clock = control.advance(minutes=31)

    assert clock["live"] is True and clock["offset_seconds"] == 31 * 60
    assert [d["subject"] for d in control.deliveries()] == [
        "You left Socks in your cart"
    ]


def test_the_server_runs_timers_as_wall_time_reaches_them(server: Server) -> None:
    control = ControlClient.for_server(server)
    ping = {"type": "track", "userId": "u-1", "event": "ping"}
    with client(server) as https:
        batch(https, write_key(server), ping)

    deadline = time.monotonic() + 5
    while not control.deliveries() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert [d["subject"] for d in control.deliveries()] == ["pong"]


def test_timeline_and_snapshot_read_back_what_a_client_sent(server: Server) -> None:
    control = ControlClient.for_server(server)
    with client(server) as https:
        batch(
            https,
            write_key(server),
            {"type": "track", "anonymousId": "anon-9", "event": "viewed"},
            {"type": "identify", "userId": "u-9", "anonymousId": "anon-9"},
        )

    texts = [e["text"] for e in control.timeline("u-9")]
    snapshot = control.snapshot()

    assert texts[0] == "track 'viewed' as anonymous anon-9"
    assert any("anon-9 merged into u-9" in t for t in texts)
    assert snapshot["clock"]["live"] is True
    assert [p["id"] for p in snapshot["workspaces"]["default"]["people"]] == ["u-9"]


def test_reset_over_the_socket_keeps_the_credentials_clients_hold(
    server: Server,
) -> None:
    control = ControlClient.for_server(server)
    with client(server) as https:
        batch(https, write_key(server), {"type": "identify", "userId": "u-1"})
        control.reset()
        again = batch(https, write_key(server), {"type": "identify", "userId": "u-2"})

    assert again.status_code == 200
    assert [p["id"] for p in control.people()] == ["u-2"]


def test_a_taken_port_raises_bind_error_naming_the_flag(state: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(BindError) as caught:
            Server(ServeOptions(state=state, port=port)).start()

    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "another --port, or --port 0" in str(caught.value)


def test_bad_options_are_all_reported_at_once(state: Path) -> None:
    options = ServeOptions(
        state=state, port=70000, listen="my laptop", workspaces=("a b", "ok", "ok")
    )

    with pytest.raises(ServeError) as caught:
        Server(options)

    message = str(caught.value)
    for part in ["'a b'", "given twice", "--port 70000", "--listen 'my laptop'"]:
        assert part in message


def test_the_serve_package_names_its_public_api_sorted_and_whole() -> None:
    import harness.serve as package

    assert package.__all__ == sorted(package.__all__)
    assert [n for n in package.__all__ if not hasattr(package, n)] == []


def test_no_http_serves_https_only(serve: Callable[..., Server]) -> None:
    server = serve(http_port=None)

    assert server.http_url is None
    assert ControlClient.for_server(server).clock()["live"] is True


# -- harness serve ---------------------------------------------------------------------


class Served:
    """A ``harness serve`` process whose output is read line by line, with a bound."""

    def __init__(self, cwd: Path, *argv: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        code = "import sys; from harness.cli import main; sys.exit(main())"
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", *argv],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def until(self, last: str, timeout: float = 20) -> str:
        """Return stdout up to and including the first line starting with ``last``."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while not (seen and seen[-1].startswith(last)):
            left = deadline - time.monotonic()
            try:
                seen.append(self.lines.get(timeout=max(left, 0.01)))
            except queue.Empty:
                self.process.kill()
                self.process.wait(10)
                raise AssertionError(
                    f"no {last!r} within {timeout} s: {seen}"
                ) from None
        return "".join(seen)

    def interrupt(self) -> tuple[int, str, str]:
        """Send SIGINT; return the exit status, the rest of stdout, and stderr."""
        self.process.send_signal(signal.SIGINT)
        try:
            status = self.process.wait(15)
        finally:
            self.process.kill()
        self.reader.join(5)
        rest: list[str] = []
        while not self.lines.empty():
            rest.append(self.lines.get_nowait())
        assert self.process.stderr is not None
        return status, "".join(rest), self.process.stderr.read()


def masked(text: str, cwd: Path) -> str:
    """Hide what changes between runs: ports, paths, the token, missing APIs."""
    text = text.replace(str(cwd), "<cwd>")
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"(HARNESS_(?:HTTP_)?PORT)=\d+", r"\1=PORT", text)
    text = re.sub(r"control token \S+", "control token TOKEN", text)
    text = re.sub(r"CONTROL_TOKEN=\S+", "CONTROL_TOKEN=TOKEN", text)
    return re.sub(r"   \(not served yet: [^)]*\)", "", text)


def test_harness_serve_prints_where_everything_is_and_stops_on_sigint(
    tmp_path: Path,
) -> None:
    served = Served(tmp_path, "--port", "0", "--state", "st")
    banner = served.until("Stop with Ctrl+C.")
    status, rest, err = served.interrupt()

    assert f"exit {status}\n{masked(banner + rest, tmp_path)}" == textwrap.dedent("""\
        exit 0
        harness serve: listening on https://127.0.0.1:PORT and http://127.0.0.1:PORT
          CA certificate  st/ca.pem  (made now; trust it: export SSL_CERT_FILE=<cwd>/st/ca.pem; see README "Serving")
          workspace default: site id e894f384a20a1fbb5850, track api key f6ac30c0e2dcecc9590d
                             write key ECiu9tLenJG3mJRBEo-tEJIkg23okZ2U, app api key 0cdf8d82011ecdc9b1a3425f9da34b3c29b971d2
          Track API     https://127.0.0.1:PORT/api/v1
          Pipelines     https://127.0.0.1:PORT/v1   (SDK apiHost/cdnHost: 127.0.0.1:PORT/v1)
          App API       https://127.0.0.1:PORT/v1
          control       https://127.0.0.1:PORT/_harness/  (openapi.json; phones: /_harness/phones)
          storefront    http://127.0.0.1:PORT/shop/?workspace=<name>  (Customer.io's browser SDK)
          APNs          https://127.0.0.1:PORT/3/device/<token>  (HTTP/2; Host api.sandbox.push.apple.com for the sandbox)
          Web Push      https://127.0.0.1:PORT/webpush/<vendor host>/...  (browsers' endpoints)
          campaigns     none (no fixtures/campaigns/ in the project)
          state         st/state.sqlite (a new run)
          plain HTTP    every API also answers on http://127.0.0.1:PORT
        Stop with Ctrl+C.
        harness serve: stopped
        """)  # noqa: E501
    assert err == ""


def test_harness_serve_print_env_writes_shell_exports_with_the_token(
    tmp_path: Path,
) -> None:
    served = Served(
        tmp_path, "--port", "0", "--state", "st", "--listen", "127.0.0.1",
        "--workspace", "a", "--workspace", "b", "--print-env",
    )  # fmt: skip
    exports = served.until("export HARNESS_B_APP_API_KEY=")
    status, rest, err = served.interrupt()

    names = re.findall(r"^export (\w+)=", exports, re.MULTILINE)
    assert status == 0
    assert names[:11] == [
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
        "HARNESS_CA",
        "HARNESS_URL",
        "HARNESS_HTTP_URL",
        "HARNESS_API_HOST",
        "HARNESS_HOST",
        "HARNESS_PORT",
        "HARNESS_PID",
        "HARNESS_CONTROL_TOKEN",
    ]
    assert {"CIO_SITE_ID", "CIO_WRITE_KEY", "HARNESS_A_SITE_ID"} <= set(names)
    assert f"export SSL_CERT_FILE={tmp_path}/st/ca.pem" in exports
    assert "control token" in err and "harness serve: stopped" in err


def test_harness_serve_with_a_bad_address_exits_2_naming_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["serve", "--listen", "my-laptop", "--state", str(tmp_path)])

    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith("harness: --listen 'my-laptop' is not an IP address")


# -- the Track and App APIs, where built ---------------------------------------------


def needs(mount_module: str) -> None:
    """Skip unless the API package offers create_app (it is built elsewhere)."""
    module = pytest.importorskip(mount_module)
    if not hasattr(module, "create_app"):
        pytest.skip(f"{mount_module} has no create_app yet")


def test_track_api_is_served_with_the_workspace_site_id_and_key(
    server: Server,
) -> None:
    needs("harness.track")
    assert server.emulator is not None
    keys = server.emulator.workspaces["default"].keys
    with client(server) as https:
        response = https.put(
            "/api/v1/customers/u-7",
            auth=(keys.site_id, keys.api_key),
            json={"email": "u7@example.com"},
        )
        wrong = https.put("/api/v1/customers/u-8", auth=(keys.site_id, "x"), json={})

    assert (response.status_code, wrong.status_code) == (200, 401)
    with ControlClient.for_server(server) as control:
        assert [p["id"] for p in control.people()] == ["u-7"]


def test_app_api_is_served_with_the_workspace_app_key(server: Server) -> None:
    needs("harness.appapi")
    assert server.emulator is not None
    key = server.emulator.workspaces["default"].keys.app_api_key
    body = {"identifiers": {"id": "u-1"}, "title": "Hi", "message": "There"}
    with client(server) as https:
        sent = https.post("/v1/send/push", json=body, headers=bearer(key))
        refused = https.post("/v1/send/push", json=body, headers=bearer("nope"))

    assert sent.status_code == 200, sent.text
    assert "delivery_id" in sent.json()
    assert refused.status_code == 401
    with ControlClient.for_server(server) as control:
        assert [d["id"] for d in control.deliveries()] == [sent.json()["delivery_id"]]


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_a_push_to_a_real_devices_token_is_accepted_and_marked_foreign(
    server: Server,
) -> None:
    assert server.emulator is not None
    hosted = server.emulator.workspaces["default"]
    http = client(server)
    batch(
        http,
        hosted.keys.write_key,
        {"type": "identify", "userId": "u-real"},
        {
            "type": "track",
            "userId": "u-real",
            "event": "Device Created or Updated",
            "context": {"device": {"token": "a1" * 32, "type": "ios"}},
            "properties": {"push_enabled": "true"},
        },
    )

    answer = http.post(
        "/v1/send/push",
        headers={"Authorization": f"Bearer {hosted.keys.app_api_key}"},
        json={"identifiers": {"id": "u-real"}, "title": "Hi", "message": "there"},
    )

    delivery = hosted.workspace.deliveries[answer.json()["delivery_id"]]
    assert [(v.status, v.accepted) for v in delivery.verdicts] == [(200, True)]
    texts = [e.text for e in server.emulator.journal]  # the providers' journal
    assert any("not issued by the emulator" in t for t in texts), texts


def test_servers_starting_at_once_on_one_state_folder_all_serve_tls(
    tmp_path: Path, campaigns: tuple[Campaign, ...]
) -> None:
    shared = tmp_path / "shared"
    servers = [Server(ServeOptions(state=shared, campaigns=campaigns)) for _ in "abcd"]
    errors: list[BaseException] = []

    def start(server: Server) -> None:
        try:
            server.start()
        except BaseException as error:  # reported below, with every other
            errors.append(error)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        statuses = []
        for server in servers:
            with client(server) as https:
                statuses.append(https.get("/_harness/workspaces").status_code)
    finally:
        for server in servers:
            server.stop()

    assert statuses == [200] * 4


def test_the_web_sdk_gets_cors_answers_from_pipelines(dispatch: httpx.Client) -> None:
    origin = {"Origin": "https://shop.example"}

    preflight = dispatch.options(
        "https://127.0.0.1/v1/t",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    settings = dispatch.get(
        "https://127.0.0.1/v1/projects/nope/settings", headers=origin
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert settings.headers["access-control-allow-origin"] == "*"
