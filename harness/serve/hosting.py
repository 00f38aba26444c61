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
from .errors import ServeError
from .phones import PhoneRack
from .replay import drive, read_whole, reply
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
        body = await read_whole(scope, receive, send)
        if body is None:
            return
        with rack.locked():
            answer = drive(app, scope, body)
        await reply(scope, send, answer)

    return served


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
