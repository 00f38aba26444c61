"""Conformance of the served APNs over real sockets: HTTP/2 over TLS, as Apple's.

A ``harness serve`` server runs on 127.0.0.1 with a temporary state folder; an
HTTP/2 client that trusts the server's CA sends provider API requests, and
every answer is checked for the status, body and headers Apple documents in
"Handling notification responses from APNs". Tokens and keys are set up on the
server's emulator directly (the control API has no APNs routes); the clock
moves through the control API.

The client is httpx with ``http2=True``, not aioapns. aioapns 4.0 takes a
custom CA (``ssl_context``) but not another host or port: the host and port
are class attributes of its connection protocols (``APNS_SERVER``,
``APNS_PORT``), and its only public way elsewhere is an HTTP CONNECT proxy,
which would need a proxy here and a certificate for api.push.apple.com.
Changing those attributes is monkeypatching its internals. It could not send
most of these requests either: it always sends an ``apns-id``, serialises a
dict payload (never empty), takes push types from an enum, and reports the
status and reason but no response headers (no ``apns-unique-id``).
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from harness.push.apns import ApnsService
from harness.push.services import Credentials
from harness.serve import ControlClient, ServeOptions, Server
from tests.endpoints import Receiver

BUNDLE = "com.example.shop"
SANDBOX = "api.sandbox.push.apple.com"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ALERT = json.dumps({"aps": {"alert": {"title": "Hi", "body": "There"}}}).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One served emulator for the module, on free loopback ports."""
    state = tmp_path_factory.mktemp("apns-state")
    with Server(ServeOptions(state=state, ios_topic=BUNDLE)) as started:
        yield started


@pytest.fixture
def apns(server: Server) -> Iterator[Apns]:
    """A fresh HTTP/2 connection to the served APNs, closed after the test."""
    with Apns(server) as client:
        yield client


class Apns:
    """An APNs provider on one HTTP/2 connection, signing with a workspace's key."""

    def __init__(self, server: Server, workspace: str = "default") -> None:
        assert server.tls is not None and server.emulator is not None
        self.server = server
        hosted = server.emulator.workspaces[workspace]
        self.credentials: Credentials = hosted.push_credentials
        trust = ssl.create_default_context(cafile=str(server.tls.ca))
        self.http = httpx.Client(
            http1=False, http2=True, verify=trust, base_url=server.https_url, timeout=5
        )
        self._signed: str | None = None

    def __enter__(self) -> Apns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    @property
    def service(self) -> ApnsService:
        assert self.server.emulator is not None
        return self.server.emulator.push.apns

    def issue(self, environment: str = "production", bundle: str = BUNDLE) -> str:
        return str(self.service.issue_token(bundle, environment, Receiver()))

    def now(self) -> int:
        assert self.server.emulator is not None
        return self.server.emulator.clock.timestamp()

    def token(
        self, iat: int | None = None, credentials: Credentials | None = None
    ) -> str:
        c = credentials or self.credentials
        claims = {"iss": c.apns_team_id, "iat": self.now() if iat is None else iat}
        headers = {"kid": c.apns_key_id}
        return jwt.encode(claims, c.apns_private_key_pem, "ES256", headers=headers)

    def signed(self) -> str:
        """Return this connection's provider token, signed once as a provider does.

        Signing again for each push would change ``iat`` whenever the live
        clock crosses a second, which APNs answers TooManyProviderTokenUpdates.
        """
        if self._signed is None:
            self._signed = self.token()
        return self._signed

    def post(
        self,
        device: str,
        body: bytes = ALERT,
        *,
        provider_token: str | None = None,
        path: str | None = None,
        **headers: str,
    ) -> httpx.Response:
        """POST to ``/3/device/<device>``; a header given as "-" is left out."""
        sent = {
            "authorization": f"bearer {provider_token or self.signed()}",
            "apns-topic": BUNDLE,
            "apns-push-type": "alert",
        }
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        sent = {k: v for k, v in sent.items() if v != "-"}
        target = path or f"/3/device/{device}"
        response = self.http.post(target, headers=sent, content=body)
        assert response.http_version == "HTTP/2"
        return response


def refused(response: httpx.Response, status: int, reason: str) -> None:
    """Check an error answer is exactly what Apple documents."""
    assert response.status_code == status, response.text
    assert response.content == json.dumps({"reason": reason}).encode()
    assert response.json() == {"reason": reason}
    assert response.headers["content-type"] == "application/json"
    assert _is_uuid(response.headers["apns-id"])
    assert "apns-unique-id" not in response.headers


def _is_uuid(text: str) -> bool:
    return re.fullmatch(UUID, text) is not None


# -- the connection ------------------------------------------------------------------


def test_the_https_port_negotiates_h2_and_falls_back_to_http_1_1(
    server: Server,
) -> None:
    assert server.tls is not None
    trust = ssl.create_default_context(cafile=str(server.tls.ca))
    with (
        httpx.Client(http2=True, verify=trust, base_url=server.https_url) as h2,
        httpx.Client(verify=trust, base_url=server.https_url) as h11,
    ):
        both = [h2.get("/_harness/clock"), h11.get("/_harness/clock")]

    assert [(r.http_version, r.status_code) for r in both] == [
        ("HTTP/2", 200),
        ("HTTP/1.1", 200),
    ]


def test_the_plain_port_speaks_http_2_with_prior_knowledge(server: Server) -> None:
    assert server.http_url is not None
    with httpx.Client(http1=False, http2=True, base_url=server.http_url) as h2c:
        response = h2c.get("/_harness/clock")

    assert (response.http_version, response.status_code) == ("HTTP/2", 200)


def test_apns_over_http_1_1_or_plain_http_2_is_refused_naming_http_2(
    server: Server,
) -> None:
    assert server.tls is not None and server.http_url is not None
    trust = ssl.create_default_context(cafile=str(server.tls.ca))
    path = "/3/device/" + "ab" * 32
    with (
        httpx.Client(verify=trust, base_url=server.https_url) as h11,
        httpx.Client(http1=False, http2=True, base_url=server.http_url) as h2c,
    ):
        answers = [h11.post(path, content=b"{}"), h2c.post(path, content=b"{}")]

    assert [r.status_code for r in answers] == [505, 505]
    assert all("HTTP/2 over TLS only" in r.text for r in answers)


# -- accepted ------------------------------------------------------------------------


def test_accepted_push_echoes_the_apns_id_with_an_empty_body(apns: Apns) -> None:
    apns_id = "123e4567-e89b-12d3-a456-4266554400a0"

    response = apns.post(apns.issue(), apns_id=apns_id)

    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["apns-id"] == apns_id
    assert "apns-unique-id" not in response.headers


def test_accepted_push_without_apns_id_gets_a_fresh_one(apns: Apns) -> None:
    first = apns.post(apns.issue())
    second = apns.post(apns.issue())

    assert (first.status_code, second.status_code) == (200, 200)
    ids = [first.headers["apns-id"], second.headers["apns-id"]]
    assert all(_is_uuid(i) for i in ids) and ids[0] != ids[1]


def test_sandbox_host_answers_with_apns_unique_id(apns: Apns) -> None:
    response = apns.post(apns.issue("sandbox"), host=SANDBOX)

    assert (response.status_code, response.content) == (200, b"")
    assert _is_uuid(response.headers["apns-unique-id"])


# -- 400 -----------------------------------------------------------------------------


def test_token_of_the_other_environment_is_bad_device_token(apns: Apns) -> None:
    sandbox_token = apns.issue("sandbox")

    refused(apns.post(sandbox_token), 400, "BadDeviceToken")


def test_token_of_another_app_is_device_token_not_for_topic(apns: Apns) -> None:
    other = apns.issue(bundle="com.example.other")

    refused(apns.post(other), 400, "DeviceTokenNotForTopic")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"apns_topic": "-"}, "MissingTopic"),
        ({"apns_priority": "7"}, "BadPriority"),
        ({"apns_push_type": "banner"}, "InvalidPushType"),
        ({"apns_collapse_id": "c" * 65}, "BadCollapseId"),
        ({"apns_id": "not-a-uuid"}, "BadMessageId"),
    ],
)
def test_bad_headers_are_400_with_apples_reason(
    apns: Apns, headers: dict[str, str], reason: str
) -> None:
    refused(apns.post(apns.issue(), **headers), 400, reason)


def test_empty_payload_is_payload_empty(apns: Apns) -> None:
    refused(apns.post(apns.issue(), b""), 400, "PayloadEmpty")


# -- 413 -----------------------------------------------------------------------------


def padded(size: int) -> bytes:
    body = b'{"aps":{},"pad":"' + b"x" * (size - 19) + b'"}'
    assert len(body) == size
    return body


def test_payload_over_4096_bytes_is_413(apns: Apns) -> None:
    device = apns.issue()

    assert apns.post(device, padded(4096)).status_code == 200
    refused(apns.post(device, padded(4097)), 413, "PayloadTooLarge")


def test_voip_payload_may_reach_5120_bytes(apns: Apns) -> None:
    device, voip = apns.issue(), {"apns_topic": f"{BUNDLE}.voip"}

    fits = apns.post(device, padded(5120), apns_push_type="voip", **voip)
    over = apns.post(device, padded(5121), apns_push_type="voip", **voip)

    assert fits.status_code == 200
    refused(over, 413, "PayloadTooLarge")


# -- 403 and 429: provider tokens ----------------------------------------------------


def test_no_authorization_is_missing_provider_token(apns: Apns) -> None:
    refused(apns.post(apns.issue(), authorization="-"), 403, "MissingProviderToken")


def test_token_signed_by_an_unknown_key_is_invalid(apns: Apns) -> None:
    forged = jwt.encode(
        {"iss": apns.credentials.apns_team_id, "iat": apns.now()},
        apns.credentials.apns_private_key_pem,
        "ES256",
        headers={"kid": "NOSUCHKEY0"},
    )

    refused(apns.post(apns.issue(), provider_token=forged), 403, "InvalidProviderToken")


def test_another_teams_token_on_a_bound_connection_is_invalid(
    server: Server, apns: Apns
) -> None:
    assert server.emulator is not None
    if "other" not in server.emulator.workspaces:
        ControlClient.for_server(server).create_workspace("other")
    theirs = server.emulator.workspaces["other"].push_credentials
    device = apns.issue()

    assert apns.post(device).status_code == 200
    foreign = apns.token(credentials=theirs)
    refused(apns.post(device, provider_token=foreign), 403, "InvalidProviderToken")
    with Apns(server, "other") as own_connection:
        assert own_connection.post(device, provider_token=foreign).status_code == 200


def test_token_over_an_hour_old_is_expired(server: Server, apns: Apns) -> None:
    device, token = apns.issue(), apns.token()
    assert apns.post(device, provider_token=token).status_code == 200

    ControlClient.for_server(server).advance(minutes=61)

    refused(apns.post(device, provider_token=token), 403, "ExpiredProviderToken")


def test_new_token_within_20_minutes_on_one_connection_is_429(
    server: Server, apns: Apns
) -> None:
    device, now = apns.issue(), apns.now()
    assert apns.post(device, provider_token=apns.token(now)).status_code == 200

    newer = apns.token(now - 60)
    refused(apns.post(device, provider_token=newer), 429, "TooManyProviderTokenUpdates")
    with Apns(server) as another_connection:
        assert another_connection.post(device, provider_token=newer).status_code == 200


# -- 410 -----------------------------------------------------------------------------


def test_uninstalled_app_is_accepted_until_the_lag_then_410_with_timestamp(
    server: Server, apns: Apns
) -> None:
    assert server.emulator is not None
    clock, device = server.emulator.clock, apns.issue()
    before = clock.now()
    apns.service.unregister(device, lag=timedelta(days=3))
    after = clock.now()
    control = ControlClient.for_server(server)

    control.advance(days=2)
    early = apns.post(device)
    control.advance(days=1)
    late = apns.post(device)

    assert (early.status_code, early.content) == (200, b"")
    assert late.status_code == 410
    assert late.headers["content-type"] == "application/json"
    assert _is_uuid(late.headers["apns-id"])
    body = late.json()
    assert set(body) == {"reason", "timestamp"} and body["reason"] == "Unregistered"
    millisecond = timedelta(milliseconds=1)
    gone = datetime.fromtimestamp(body["timestamp"] / 1000, UTC)
    assert before - millisecond <= gone <= after


# -- 404 and 405 ---------------------------------------------------------------------


def test_unknown_path_is_404_bad_path(apns: Apns) -> None:
    response = apns.post("x", path=f"/3/devices/{apns.issue()}")

    refused(response, 404, "BadPath")


def test_get_is_405_method_not_allowed(apns: Apns) -> None:
    response = apns.http.get(f"/3/device/{apns.issue()}")

    assert response.http_version == "HTTP/2"
    refused(response, 405, "MethodNotAllowed")


def test_served_apns_requests_are_not_kept_in_the_state_file(
    tmp_path: Path,
) -> None:
    options = ServeOptions(state=tmp_path, persist=True, ios_topic=BUNDLE)
    with Server(options) as server, Apns(server) as apns:
        assert apns.post(apns.issue()).status_code == 200
        assert server.log is not None
        kept = list(server.log.rows())

    assert kept == []
