"""pywebpush and py-vapid against ``harness serve``, over real sockets and TLS.

A sender's own code, unchanged, sends to an emulated browser's subscription;
the served emulator hands endpoints out under its own address, so nothing
leaves 127.0.0.1. The server starts once for the module; each test subscribes
a browser of its own.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from harness.backend import ShopBackend
from harness.device.browser import EmulatedBrowser
from harness.device.context import Context
from harness.device.inbox import Outcome
from harness.push.webpush import WebPushService
from harness.serve import ServeOptions, Server
from tests.test_push_webpush import point

CHROME = "https://fcm.googleapis.com"
SAFARI = "https://web.push.apple.com"
FIREFOX = "https://updates.push.services.mozilla.com"
CLAIMS = {"sub": "mailto:ops@example.com"}
MOST = 3993  # plaintext bytes that fit in 4096 as one aes128gcm record
_BROWSERS = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``harness serve`` on a free loopback port, HTTPS only."""
    state = tmp_path_factory.mktemp("webpush-state")
    served = Server(ServeOptions(state=state, http_port=None)).start()
    assert served.emulator is not None
    local = served.emulator.push.webpush.served_at is not None
    if not local:
        served.stop()
        pytest.xfail(
            "harness serve does not serve web push yet: it sets no "
            "WebPushService.served_at and mounts no /webpush/"
        )
    yield served
    served.stop()


@pytest.fixture
def service(server: Server) -> Iterator[WebPushService]:
    """The served web push services, with their rate limit restored after."""
    assert server.emulator is not None
    webpush = server.emulator.push.webpush
    yield webpush
    webpush.rate_limit, webpush.expired_as_not_found = 100, False


@pytest.fixture
def session(server: Server) -> Iterator[requests.Session]:
    """A requests session trusting the server's CA, for pywebpush to send with.

    It ignores the environment: REQUESTS_CA_BUNDLE would otherwise win over
    ``verify``, and a proxy setting could route the loopback requests.
    """
    assert server.tls is not None
    with requests.Session() as made:
        made.trust_env = False
        made.verify = str(server.tls.ca)
        yield made


@pytest.fixture
def vapid() -> Vapid:
    """The sender's VAPID key pair."""
    made = Vapid()
    made.generate_keys()
    return made


def browser(server: Server, vapid: Vapid, origin: str = CHROME) -> EmulatedBrowser:
    """Open a browser on the served emulator and subscribe it with ``vapid``."""
    emulator = server.emulator
    assert emulator is not None
    keys = emulator.workspaces["default"].keys
    ids = emulator.ids.child(f"conformance/{next(_BROWSERS)}")
    backend = ShopBackend(
        emulator.http,
        emulator.clock,
        ids.child("backend"),
        emulator.journal,
        write_key=keys.write_key,
        app_api_key=keys.app_api_key,
        site_id=keys.site_id,
        api_key=keys.api_key,
    )
    context = Context(
        emulator.clock,
        ids,
        emulator.journal,
        emulator.http,
        keys.write_key,
        emulator.push,
        keys.fcm_project,
        backend,
        (keys.site_id, keys.api_key),
    )
    public = point(vapid.public_key)
    made = EmulatedBrowser("Chrome", context, origin=origin, vapid_public_key=public)
    made.enable_push()
    assert made.subscription is not None
    return made


def send(
    subscription: dict[str, Any],
    session: requests.Session,
    vapid: Vapid | None,
    data: str = "",
    **options: Any,
) -> requests.Response:
    """Send with pywebpush's one call, signing with ``vapid`` unless it is None."""
    claims = dict(CLAIMS) if vapid is not None else None
    response: requests.Response = webpush(
        subscription,
        data or None,
        vapid_private_key=vapid,
        vapid_claims=claims,
        requests_session=session,
        timeout=5,
        **options,
    )
    return response


def refused(*args: Any, **options: Any) -> requests.Response:
    with pytest.raises(WebPushException) as caught:
        send(*args, **options)
    response: requests.Response = caught.value.response
    return response


def titled(title: str) -> str:
    return json.dumps({"title": title, "body": "From the sender", "data": {}})


@pytest.mark.parametrize(
    ("origin", "encoding"),
    [
        (CHROME, "aes128gcm"),
        (CHROME, "aesgcm"),
        (FIREFOX, "aes128gcm"),
        (SAFARI, "aesgcm"),
    ],
)
def test_a_pywebpush_message_is_created_and_the_browser_reads_it(
    server: Server,
    session: requests.Session,
    vapid: Vapid,
    origin: str,
    encoding: str,
) -> None:
    reader = browser(server, vapid, origin)
    assert reader.subscription is not None

    response = send(
        reader.subscription,
        session,
        vapid,
        titled("Hello"),
        ttl=60,
        content_encoding=encoding,
    )

    assert reader.subscription["endpoint"].startswith(f"{server.https_url}/webpush/")
    assert (response.status_code, response.headers["ttl"]) == (201, "60")
    assert response.headers["location"].startswith(f"{server.https_url}/webpush/")
    [item] = reader.inbox.items
    assert (item.outcome, item.title) == (Outcome.SHOWN, "Hello")


def test_ttl_0_to_an_offline_browser_is_not_stored(
    server: Server, service: WebPushService, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid)
    assert reader.subscription is not None
    reader.go_offline()

    response = send(reader.subscription, session, vapid, titled("Now"), ttl=0)
    waiting = service.waiting(reader.subscription["endpoint"])
    reader.go_online()

    assert (response.status_code, waiting) == (201, [])
    [item] = reader.inbox.items
    assert (item.outcome, item.title) == (Outcome.NEVER, "Now")


def test_a_newer_message_of_one_topic_replaces_the_stored_one(
    server: Server, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid)
    assert reader.subscription is not None
    reader.go_offline()

    for title in ("Old price", "New price"):
        send(
            reader.subscription,
            session,
            vapid,
            titled(title),
            ttl=600,
            headers={"Topic": "price"},
        )
    reader.go_online()

    outcomes = {i.title: i.outcome for i in reader.inbox.items}
    assert outcomes == {"Old price": Outcome.NEVER, "New price": Outcome.SHOWN}


def test_a_revoked_subscription_is_410(
    server: Server, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid)
    subscription = reader.subscription
    assert subscription is not None

    reader.set_notifications(False)
    response = refused(subscription, session, vapid, titled("Late"), ttl=60)

    assert response.status_code == 410
    assert response.text.startswith("the subscription was unsubscribed at")


def test_a_body_over_4096_bytes_is_413_and_one_at_4096_is_taken(
    server: Server, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid)
    subscription = reader.subscription
    assert subscription is not None

    taken = send(subscription, session, vapid, "x" * MOST, ttl=60)
    response = refused(subscription, session, vapid, "x" * (MOST + 1), ttl=60)

    assert (taken.status_code, response.status_code) == (201, 413)


@pytest.mark.parametrize(
    ("origin", "status"), [(CHROME, 401), (FIREFOX, 401), (SAFARI, 403)]
)
def test_a_message_without_vapid_is_refused(
    server: Server,
    session: requests.Session,
    vapid: Vapid,
    origin: str,
    status: int,
) -> None:
    reader = browser(server, vapid, origin)
    assert reader.subscription is not None

    response = refused(reader.subscription, session, None, titled("Anon"), ttl=60)

    assert response.status_code == status
    assert reader.inbox.items == []


def test_a_message_signed_with_another_key_is_403(
    server: Server, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid)
    assert reader.subscription is not None
    other = Vapid()
    other.generate_keys()

    response = refused(reader.subscription, session, other, titled("X"), ttl=60)

    assert response.status_code == 403
    assert "applicationServerKey" in response.text


def test_a_token_for_the_vendors_origin_is_403_at_the_served_endpoint(
    server: Server, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid, SAFARI)
    assert reader.subscription is not None

    with pytest.raises(WebPushException) as caught:
        webpush(
            reader.subscription,
            titled("X"),
            vapid_private_key=vapid,
            vapid_claims={**CLAIMS, "aud": SAFARI},
            requests_session=session,
            ttl=60,
            timeout=5,
        )

    assert caught.value.response.status_code == 403
    assert caught.value.response.json() == {"reason": "BadJwtToken"}


def test_too_many_messages_to_one_subscription_is_429_with_retry_after(
    server: Server, service: WebPushService, session: requests.Session, vapid: Vapid
) -> None:
    reader = browser(server, vapid, FIREFOX)
    subscription = reader.subscription
    assert subscription is not None
    service.rate_limit = 2

    for _ in range(2):
        send(subscription, session, vapid, titled("Again"), ttl=60)
    response = refused(subscription, session, vapid, titled("Again"), ttl=60)

    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert response.json()["error"] == "Too Many Requests"


def test_the_served_service_hands_out_local_endpoints_only(
    server: Server, vapid: Vapid
) -> None:
    reader = browser(server, vapid, SAFARI)
    assert reader.subscription is not None

    assert reader.subscription["endpoint"].startswith("https://127.0.0.1:")
