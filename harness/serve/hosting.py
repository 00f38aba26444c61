"""Serve an emulator that belongs to someone else: a World's, on its frozen clock.

:meth:`.server.Server.hosting` serves an existing :class:`~harness.emulator.
Emulator` with a :class:`~.phones.PhoneRack` the host built, so Appium's
harnessfake driver (and a real browser) reach the World's own workspace. Unlike
``harness serve`` nothing is rebuilt or kept, and no wall clock moves the
emulator's clock: it stands where the World left it, and only the World moves
it (``world.advance``, under ``rack.locked()``).

Each request is read whole, then handled in one go under the rack's lock
(:func:`hosted`), so it never interleaves with another request or with the
host's own thread while that holds the lock.

An entered World freezes ``datetime`` (freezegun), under which trustme and
cryptography may refuse to sign, so :func:`prepare_apart` issues the
certificate in a separate Python process when that happens here.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..transport import ASGIApp, Message
from .app import MAX_BODY, body_too_large
from .errors import ServeError
from .phones import PhoneRack
from .replay import Answer, drive
from .tls import Tls

logger = logging.getLogger(__name__)

ISSUE_TIMEOUT = 60.0  # seconds for a fresh Python to import trustme and sign
ISSUE = """
import json, sys
from pathlib import Path
from harness.serve.tls import prepare
tls = prepare(Path(sys.argv[1]), tuple(sys.argv[2:]))
print(json.dumps({
    "ca": str(tls.ca), "cert": str(tls.cert), "key": str(tls.key),
    "names": list(tls.names), "created": tls.ca_created,
    "chain": tls.chain_pem.decode(), "private": tls.key_pem.decode(),
}))
"""


def hosted(app: ASGIApp, rack: PhoneRack) -> ASGIApp:
    """Wrap the served ``app``: each request in one go, under ``rack``'s lock."""

    async def served(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        body = await _body(receive)
        if body is None:
            return  # the client left before sending its body
        if len(body) > MAX_BODY:
            await _send(send, _too_large(scope))
            return
        with rack.locked():
            answer = drive(app, scope, body)
        if answer.error is not None:
            method, path = scope["method"], scope["path"]
            logger.error("%s %s failed: %r", method, path, answer.error)
            logger.debug("request failure", exc_info=answer.error)
        await _send(send, answer)

    return served


async def _body(receive: Any) -> bytes | None:
    """Read the body, keeping at most one byte over :data:`MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if size <= MAX_BODY:
            chunks.append(chunk[: MAX_BODY + 1 - size])
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(scope: Message) -> Answer:
    message = body_too_large(scope["method"], scope["path"])
    document = {"error": {"code": "too_large", "message": message}}
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    return Answer(413, headers, json.dumps(document).encode())


async def _send(send: Any, answer: Answer) -> None:
    start = {"status": answer.status, "headers": answer.headers}
    await send({"type": "http.response.start", **start})
    await send({"type": "http.response.body", "body": answer.body})


def prepare_apart(state: Path, names: tuple[str, ...]) -> Tls:
    """Make the CA and the server's certificate in a separate Python process.

    Under an entered World's freezegun, cryptography may refuse every date
    in this process (it learns the ``datetime`` type at its first use), so
    the certificate is issued where no clock is frozen and loaded from PEM.
    """
    logger.info("issuing the certificate in %s from a separate process", state)
    try:
        ran = subprocess.run(
            [sys.executable, "-c", ISSUE, str(state), *names],
            check=True,
            capture_output=True,
            timeout=ISSUE_TIMEOUT,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        told = (getattr(error, "stderr", b"") or b"").decode(errors="replace")
        raise ServeError(
            f"cannot issue the server's certificate in {state}: a frozen clock "
            f"stops it in this process and a separate Python failed too ({error}; "
            f"{told[-300:]}). Start the hosted server before entering the World."
        ) from None
    made = json.loads(ran.stdout)
    return Tls(
        Path(made["ca"]),
        Path(made["cert"]),
        Path(made["key"]),
        tuple(made["names"]),
        made["created"],
        made["chain"].encode(),
        made["private"].encode(),
    )
