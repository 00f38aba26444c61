"""Web Push, side by side: web-push-testing against the harness's emulator.

The sender is pywebpush on both sides, one call per message over a
keep-alive ``requests`` session: VAPID-signed, ``aes128gcm``-encrypted, one
thread. web-push-testing (npm) runs on loopback; so does the harness, as a
served emulator in a child process (:mod:`.webpush_host`), and embedded, where
the session's transport hands the request to the in-process emulator. Both
receivers decrypt what they accept, as a browser would.

Subscribing differs by nature: web-push-testing takes an HTTP request; the
harness's browsers subscribe in process (key pair, auth secret, the push
service's subscription), as a browser's link to its push service is not HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid  # type: ignore[import-untyped]
from pywebpush import webpush  # type: ignore[import-untyped]
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from ..clock import Clock
from ..emulator import Emulator
from ..ids import Ids
from ..journal import Journal
from .errors import BenchError
from .figures import Figure, Section, Target
from .processes import Child, python_command
from .servers import Served, web_push_testing
from .sizes import Sizes
from .webpush_host import browsers

__all__ = ["web_push_section"]

RATIO = 2.0  # the harness at least this many times web-push-testing's notifies
CLAIMS = {"sub": "mailto:ops@shop.example"}
PAYLOAD = json.dumps({"title": "Your order shipped", "body": "Merino socks"})
# pywebpush names no type; web-push-testing (Express) reads only this one.
HEADERS = {"Content-Type": "application/octet-stream"}


def web_push_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Measure notify (and subscribe) on web-push-testing and on the harness."""
    section = Section("3b. Web Push with pywebpush: web-push-testing vs harness")
    wpt_notify = section.add(Figure("web-push-testing notify", "/s"))
    served_notify = section.add(
        Figure("harness serve notify", "/s", note="child process, plain HTTP")
    )
    embedded_notify = section.add(Figure("harness embedded notify", "/s"))
    served_ratio = section.add(
        Figure(
            "  harness serve / web-push-testing",
            "x",
            target=Target(f">= {RATIO:.0f}x", least=RATIO),
            digits=1,
        )
    )
    embedded_ratio = section.add(
        Figure("  harness embedded / web-push-testing", "x", digits=1)
    )
    wpt_subscribe = section.add(Figure("web-push-testing subscribe", "/s"))
    harness_subscribe = section.add(
        Figure("harness subscribe (in process)", "/s", note="a browser's key pair too")
    )
    vapid = Vapid()
    vapid.generate_keys()
    key = _point(vapid)
    with web_push_testing(folder) as wpt, _harness_host(folder, key) as served:
        for _ in range(sizes.runs):
            with _session() as session:
                ours = _subscribe_wpt(session, wpt, key)
                theirs = _notify(session, ours, vapid, sizes.notifies)
                mine = _notify(session, served, vapid, sizes.notifies)
                embedded, subscribed = _embedded(vapid, key, sizes)
                wpt_notify.runs.append(theirs)
                served_notify.runs.append(mine)
                embedded_notify.runs.append(embedded)
                served_ratio.runs.append(mine / theirs)
                embedded_ratio.runs.append(embedded / theirs)
                wpt_subscribe.runs.append(_subscribes(session, wpt, key, sizes))
                harness_subscribe.runs.append(subscribed)
    return section


@contextmanager
def _session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # no proxy may route the loopback requests
        yield session


def _point(vapid: Vapid) -> str:
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return _b64(raw)


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _subscribe_wpt(session: requests.Session, wpt: Served, key: str) -> dict[str, Any]:
    options = {"userVisibleOnly": "true", "applicationServerKey": key}
    answer = session.post(f"{wpt.url}/subscribe", json=options, timeout=10)
    if answer.status_code != 200:
        raise BenchError(f"web-push-testing refused to subscribe: {answer.text}")
    data: dict[str, Any] = answer.json()["data"]
    return data


def _subscribes(
    session: requests.Session, wpt: Served, key: str, sizes: Sizes
) -> float:
    started = time.perf_counter()
    for _ in range(sizes.subscribes):
        _subscribe_wpt(session, wpt, key)
    return sizes.subscribes / (time.perf_counter() - started)


def _notify(
    session: requests.Session,
    subscription: dict[str, Any],
    vapid: Vapid,
    count: int,
) -> float:
    """Send ``count`` messages to ``subscription``; return messages per second."""
    started = time.perf_counter()
    for _ in range(count):
        answer = webpush(
            subscription,
            PAYLOAD,
            vapid_private_key=vapid,
            vapid_claims=dict(CLAIMS),
            headers=dict(HEADERS),
            requests_session=session,
            timeout=10,
        )
        status = getattr(answer, "status_code", 0)
        if status not in (200, 201):
            raise BenchError(f"{subscription['endpoint']} answered {status}")
    return count / (time.perf_counter() - started)


def _embedded(vapid: Vapid, key: str, sizes: Sizes) -> tuple[float, float]:
    """Return notifies and subscribes per second on the embedded emulator."""
    # Started at the wall's time: pywebpush dates its VAPID claims by it.
    emulator = Emulator(Clock(datetime.now(UTC)), Ids(0), Journal())
    emulator.create_workspace("default")
    emulator.push.webpush.rate_limit = 10**9
    started = time.perf_counter()
    opened = browsers(emulator, key, sizes.subscribes)
    subscribed = sizes.subscribes / (time.perf_counter() - started)
    subscription = opened[0].subscription
    assert subscription is not None
    with requests.Session() as session:
        session.mount("https://", _InProcess(emulator.http))
        notified = _notify(session, subscription, vapid, sizes.notifies)
    emulator.close()
    return notified, subscribed


@contextmanager
def _harness_host(folder: Path, key: str) -> Iterator[dict[str, Any]]:
    """Run :mod:`.webpush_host`; yield its first browser's subscription."""
    written = folder / "subscriptions.json"
    written.unlink(missing_ok=True)
    command = python_command("-m", "harness.bench.webpush_host", str(folder), key, "1")
    log = folder / "webpush-host.log"
    with Child("harness Web Push host", command, log, written.exists):
        subscriptions = json.loads(written.read_text(encoding="utf-8"))
        yield subscriptions[0]


class _InProcess(BaseAdapter):
    """A ``requests`` transport that hands each request to the emulator's client."""

    def __init__(self, http: httpx.Client) -> None:
        super().__init__()
        self.http = http

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        headers = {
            name: value if isinstance(value, str) else value.decode("latin-1")
            for name, value in request.headers.items()
        }
        body = request.body if isinstance(request.body, bytes | str) else None
        answer = self.http.request(
            request.method or "POST", request.url or "", headers=headers, content=body
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url, response.request = request.url or "", request
        response.reason = answer.reason_phrase
        return response

    def close(self) -> None:
        """Leave the emulator's client open; its owner closes it."""
