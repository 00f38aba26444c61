"""The served side of the Web Push comparison: a harness server with browsers.

``python -m harness.bench.webpush_host FOLDER VAPID_KEY COUNT`` serves the
emulator on 127.0.0.1 (free ports), opens COUNT emulated browsers subscribed
with the sender's VAPID public key, writes their subscriptions to
``FOLDER/subscriptions.json`` and serves until SIGTERM. A browser's link to its
push service is not HTTP, so no client could subscribe one from outside.

Endpoints are handed out on the server's plain HTTP port, the transport the
npm package web-push-testing serves, and the per-subscription rate limit is
lifted: the benchmark sends thousands of messages a minute to one browser.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ..backend import ShopBackend
from ..device.browser import EmulatedBrowser
from ..device.context import Context
from ..emulator import Emulator
from ..serve import ServeOptions, Server

__all__ = ["browsers", "main"]

UNLIMITED = 10**9


def browsers(emulator: Emulator, vapid_key: str, count: int) -> list[EmulatedBrowser]:
    """Open ``count`` browsers on ``emulator``, each subscribed with ``vapid_key``."""
    keys = emulator.hosted("default").keys
    ids = emulator.ids.child("bench")
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
        clock=emulator.clock,
        ids=ids,
        journal=emulator.journal,
        http=emulator.http,
        write_key=keys.write_key,
        push=emulator.push,
        fcm_project=keys.fcm_project,
        backend=backend,
        track_auth=(keys.site_id, keys.api_key),
    )
    opened = []
    for number in range(count):
        browser = EmulatedBrowser(
            f"Chrome #{number}", context, vapid_public_key=vapid_key
        )
        browser.enable_push()
        opened.append(browser)
    return opened


def main(argv: list[str]) -> int:
    """Serve, subscribe, write the subscriptions, and wait for SIGTERM."""
    folder, vapid_key, count = Path(argv[0]), argv[1], int(argv[2])
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server = Server(ServeOptions(state=folder / "state", port=0, http_port=0))
    server.start()
    try:
        emulator = server.emulator
        assert emulator is not None
        service = emulator.push.webpush
        service.served_at, service.rate_limit = server.http_url, UNLIMITED
        opened = browsers(emulator, vapid_key, count)
        subscriptions: list[dict[str, Any]] = [b.subscription or {} for b in opened]
        partial = folder / "subscriptions.json.partial"
        partial.write_text(json.dumps(subscriptions), encoding="utf-8")
        partial.replace(folder / "subscriptions.json")
        stopping.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
