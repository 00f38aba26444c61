"""Handle each request in one go, keep it, and rebuild an emulator from the kept.

Every served request is handled the same way, live or replayed: the clock is
held at the instant the request arrived, the timers due by then run (each at
its own due time), and the app runs to its end without yielding, so nothing
else touches the emulator meanwhile. Requests that may change state are kept
in the state file (:mod:`.state`) before they are applied, in that order; one
that cannot be kept is answered 503 and not applied.

On a start with a state file, :func:`rebuild` makes the emulator from the same
options and replays every kept row in order through the same app, with the
clock held at each row's time. The emulator's ids come from the seeded
streams, so people's cio_ids, delivery ids and workspace keys come out as
they were. The clock then follows the wall again, from where the run got or
from the wall's time, whichever is later; timers that fell due while the
server was down run at once, each at its own due time. Replayed requests are
not kept again, and answer without the control token, which is drawn afresh
at each start.

Phone commands (``/_harness/phones``, :mod:`.phones`) are control requests,
kept and replayed like the rest: the rebuilt rack makes the same phones,
since each draws its ids from the seed in the order phones joined, and their
SDKs' traffic, which stays in process, happens again as it did.

Provider key pairs are not seeded (``cryptography`` draws them from the
system), so each start makes new APNs and VAPID key pairs: the
``vapid_public_key`` the control API lists changes, and replayed sends are
signed with the new keys and checked by the emulated providers as before.
Real phones and browsers never receive the emulator's pushes, which go to its
emulated APNs, FCM and Web Push, so nothing a real device shows depends on
the keys.

Only the options ids follow from are compared (:class:`.state.Identity`);
campaigns' steps and the transactional messages are read afresh from the
project. A row that answers otherwise on replay than it did live, because
one of those changed, is logged as a warning and counted in
:attr:`Rebuilt.diverged`; the replay goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ..clock import Clock, system_wall
from ..emulator import Emulator
from ..ids import Ids
from ..journal import Journal
from ..transport import ASGIApp, Message, run_to_end
from .app import (
    APP,
    CONTROL,
    MAX_BODY,
    MOUNTS,
    TRACK,
    Mount,
    body_too_large,
    create_app,
)
from .errors import StateError
from .phones import PhoneRack
from .state import KEPT_HEADERS, PENDING, Identity, Recorded, StateLog

if TYPE_CHECKING:
    from .server import ServeOptions

logger = logging.getLogger(__name__)

UNCHANGING = ("GET", "HEAD", "OPTIONS")
SERVE_FIX = (
    "Start with the recorded options to continue that run, or add --fresh to "
    "discard it and start empty."
)


class ServedWall:
    """The wall a served emulator's live clock follows.

    Unheld, it is the system's wall moved on by :attr:`shift`, so that a
    restarted run never reads earlier than the recorded one got. Held, it
    stands at one instant (less the clock's offset, which ``advance`` grows),
    so a request reads the same time live and on replay.
    """

    def __init__(self, held: datetime | None = None) -> None:
        self._held = held
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        if self._held is not None:
            return self._held
        return system_wall() + self.shift

    def hold(self, at: datetime, clock: Clock) -> None:
        """Hold ``clock`` at ``at`` until :meth:`release`."""
        self._held = at - clock.offset

    def release(self) -> None:
        """Follow the system's wall again."""
        self._held = None

    def resume(self, reached: datetime, clock: Clock) -> None:
        """Follow the system's wall again, never earlier than ``reached``."""
        self._held = None
        self.shift = max(timedelta(0), reached - clock.offset - system_wall())


@dataclass(frozen=True)
class Answer:
    """What an app answered one request, and the error it raised, if any."""

    status: int
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    error: BaseException | None = None


@dataclass
class Rebuilt:
    """An emulator made from options and a state file, and how the replay went."""

    emulator: Emulator
    wall: ServedWall
    reached: datetime
    new: bool = True
    replayed: int = 0
    diverged: int = 0
    rack: PhoneRack | None = None


def run_due(clock: Clock) -> None:
    """Run the timers due by now; one that fails is dropped, not raised."""
    try:
        clock.run_due()
    except Exception as error:  # one bad timer must not stop the clock
        logger.warning("a timer failed and was dropped: %s", error)
        logger.debug("timer failure", exc_info=True)


def apply(
    app: ASGIApp,
    wall: ServedWall,
    clock: Clock,
    at: datetime,
    scope: Message,
    body: bytes,
) -> Answer:
    """Hold the clock at ``at``, run the timers due, then run one request."""
    wall.hold(at, clock)
    run_due(clock)
    return drive(app, scope, body)


def drive(app: ASGIApp, scope: Message, body: bytes) -> Answer:
    """Run ``app`` on one request to its end without yielding to anything else.

    The served APIs never await once the body is read; one that would suspend
    answers 500 with the error, rather than let other requests in meanwhile.
    """
    ran = run_to_end(app, scope, body)
    error: BaseException | None = ran.error
    if ran.suspended:
        error = RuntimeError(
            f"{scope['method']} {scope['path']} suspended while being handled; "
            "served endpoints must not await once the body is read."
        )
    if ran.status is None:
        error = error or RuntimeError(f"{scope['path']} sent no answer")
        plain = [(b"content-type", b"text/plain")]
        return Answer(500, plain, b"Internal Server Error", error)
    return Answer(ran.status, ran.headers, ran.body, error)


def recording(
    app: ASGIApp, wall: ServedWall, clock: Clock, log: StateLog | None
) -> ASGIApp:
    """Wrap the served ``app``: handle each request in one go, keep it in ``log``."""

    async def recorder(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        mount = next((m for m in MOUNTS if m.matches(scope["path"])), None)
        body = await read_whole(scope, receive, send)
        if body is None:
            return
        at = clock.now()
        seq: int | None = None
        if log is not None and mount is not None and scope["method"] not in UNCHANGING:
            try:
                seq = _keep(log, at, mount, scope, body)
            except Exception as error:  # not kept, so not applied: nothing is lost
                answer = _unkept(log, mount, scope, error)
                await _send(send, answer)
                return
        try:
            answer = apply(app, wall, clock, at, scope, body)
        finally:
            wall.release()
        if log is not None and mount is not None and seq is not None:
            _settle(log, seq, mount, scope, answer)
        await reply(scope, send, answer)

    return recorder


async def read_whole(scope: Message, receive: Any, send: Any) -> bytes | None:
    """Read a request's whole body; None once the request needs nothing more.

    A body over :data:`MAX_BODY` is answered 413 here, in the error shape of
    the API it was sent to; a client that leaves gets nothing.
    """
    body = await _body(receive, _declared(scope))
    if body is TOO_LARGE:
        mount = next((m for m in MOUNTS if m.matches(scope["path"])), None)
        await _send(send, _too_large(mount, scope))
        return None
    return body


async def reply(scope: Message, send: Any, answer: Answer) -> None:
    """Send ``answer``, logging the error behind it if the app raised one."""
    if answer.error is not None:
        method, path = scope["method"], scope["path"]
        logger.error("%s %s failed: %r", method, path, answer.error)
        logger.debug("request failure", exc_info=answer.error)
    await _send(send, answer)


def rebuild(
    options: ServeOptions,
    log: StateLog | None,
    *,
    https_port: int = 0,
    names: Sequence[str] = ("127.0.0.1",),
    fix: str = SERVE_FIX,
) -> Rebuilt:
    """Make the emulator ``options`` describe, replaying ``log`` into it.

    The clock is left held where the run got; call ``wall.resume`` to let it
    follow the wall. Raises StateError, naming each option and ``fix``, if
    the log was recorded with other options.
    """
    identity = identity_of(options)
    origin, new = system_wall(), log is None or log.identity is None
    if log is not None:
        origin = _check(log, identity, origin, fix)
    wall = ServedWall(held=origin)
    emulator = emulator_for(options, Clock.live(wall))
    rack = PhoneRack.serving(emulator, options.project)
    rebuilt = Rebuilt(emulator, wall, origin, new, rack=rack)
    if log is None:
        return rebuilt
    began = time.monotonic()
    app = create_app(emulator, https_port=https_port, names=names, rack=rack)
    for row in log.rows():
        _replay(rebuilt, app, row)
    reached = max(rebuilt.reached, log.reached or origin, emulator.clock.now())
    wall.hold(reached, emulator.clock)
    run_due(emulator.clock)
    rebuilt.reached = reached
    logger.info(
        "replayed %d requests from %s in %.2f s; the clock got to %s",
        rebuilt.replayed,
        log.path,
        time.monotonic() - began,
        reached.isoformat(),
    )
    return rebuilt


def identity_of(options: ServeOptions) -> Identity:
    """Return the options the ids of a run served with ``options`` follow from."""
    return Identity(
        str(options.seed),
        options.workspaces,
        tuple(campaign.name for campaign in options.campaigns),
        options.ios_topic,
    )


def emulator_for(options: ServeOptions, clock: Clock) -> Emulator:
    """Make the emulator ``options`` describe, on ``clock``, with its workspaces."""
    emulator = Emulator(
        clock,
        Ids(options.seed).child("emulator"),
        Journal(),
        campaigns=options.campaigns,
        ios_topic=options.ios_topic,
        journal_per_workspace=True,
        transactional=options.transactional,
        broadcasts=options.broadcasts,
        foreign_tokens=True,
    )
    for name in options.workspaces:
        emulator.create_workspace(name)
    return emulator


def _check(log: StateLog, identity: Identity, now: datetime, fix: str) -> datetime:
    recorded = log.identity
    if recorded is None:
        log.begin(identity, now)
        return now
    differences = recorded.differences(identity)
    if differences:
        raise StateError(
            f"{log.path} holds a run recorded with other options: "
            f"{'; '.join(differences)}. A replay with these would not rebuild the "
            f"same people, ids and deliveries. {fix}"
        )
    return log.origin or now


def _replay(rebuilt: Rebuilt, app: ASGIApp, row: Recorded) -> None:
    clock = rebuilt.emulator.clock
    scope = request_scope(row.method, row.target, row.headers)
    answer = apply(app, rebuilt.wall, clock, row.at, scope, row.body)
    rebuilt.replayed += 1
    rebuilt.reached = max(rebuilt.reached, row.at)
    if row.status != PENDING and answer.status != row.status:
        rebuilt.diverged += 1
        logger.warning(
            "%s answered %d on replay and %d when recorded; the rebuilt state may "
            "differ from the run's from there",
            row,
            answer.status,
            row.status,
        )
    logger.debug("replayed %s: %d", row, answer.status)


def request_scope(method: str, target: str, headers: dict[str, str]) -> Message:
    """Return the ASGI scope of a request for ``target``, its path and query."""
    raw_path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [(k.encode(), v.encode("latin-1")) for k, v in headers.items()],
        "server": ("127.0.0.1", 0),
        "client": ("127.0.0.1", 0),
        "state": {},
    }


TOO_LARGE = b"<over MAX_BODY>"  # told apart by identity, never by value


async def _body(receive: Any, declared: int | None) -> bytes | None:
    """Read the whole body, or return :data:`TOO_LARGE` if it is over the cap.

    A declared length over the cap is refused unread; a chunked body is read
    on, kept nowhere, up to twice the cap, so the client gets the 413.
    """
    if declared is not None and declared > MAX_BODY:
        return TOO_LARGE
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        last = not message.get("more_body", False)
        if size > MAX_BODY:
            # read on, keeping nothing, so the client is told rather than cut off
            if last or size > 2 * MAX_BODY:
                return TOO_LARGE
            chunks.clear()
            continue
        chunks.append(chunk)
        if last:
            return b"".join(chunks)


def _declared(scope: Message) -> int | None:
    """Return the first Content-Length header as a number, if it is one."""
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            return int(value) if value.strip().isdigit() else None
    return None


def _too_large(mount: Mount | None, scope: Message) -> Answer:
    message = body_too_large(scope["method"], scope["path"])
    logger.warning("%s", message)
    document = error_document(mount or CONTROL, scope["path"], "too_large", message)
    body = json.dumps(document).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return Answer(413, headers, body)


def _keep(
    log: StateLog, at: datetime, mount: Mount, scope: Message, body: bytes
) -> int:
    """Keep a request that may change state before it is applied; return its row."""
    raw_path = scope.get("raw_path") or quote(scope["path"]).encode()
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1")
    if query:
        target += f"?{query.decode('latin-1')}"
    headers = kept_headers(scope.get("headers", []), control=mount is CONTROL)
    return log.intend(at, mount.api, scope["method"], target, headers, body)


def kept_headers(
    raw: Sequence[tuple[bytes, bytes]], *, control: bool = False
) -> dict[str, str]:
    """Return the headers the APIs read, each as its first occurrence gave it.

    The APIs read a repeated header's first value, so the kept one is that,
    and a replay answers as the live request did.
    """
    kept: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        if name in KEPT_HEADERS and name not in kept:
            kept[name] = value.decode("latin-1")
    if control:
        kept.pop("authorization", None)  # the token is drawn afresh each start
    return kept


def _settle(
    log: StateLog, seq: int, mount: Mount, scope: Message, answer: Answer
) -> None:
    """Fill in the kept row's answer, or forget it if the token guard refused it.

    A refused control request changed nothing, and a replay, which answers
    without the guard, would otherwise apply it.
    """
    try:
        if mount is CONTROL and answer.status == 401:
            log.withdraw(seq)
        else:
            log.settle(seq, answer.status)
    except Exception as error:  # kept and applied; only the answer is missing
        logger.warning(
            "%s %s was kept in %s as request %d but its answer %d was not noted "
            "(%s); a restart replays it without comparing the answer",
            scope["method"],
            scope["path"],
            log.path,
            seq,
            answer.status,
            error,
        )


def _unkept(log: StateLog, mount: Mount, scope: Message, error: Exception) -> Answer:
    """Answer 503, in ``mount``'s error shape, a request that could not be kept."""
    message = (
        f"{scope['method']} {scope['path']} could not be kept in the state file "
        f"{log.path} ({error}), so the request was not applied. Free disk space "
        "or make the file writable, then send it again."
    )
    logger.error("%s", message)
    document = error_document(mount, scope["path"], "state_unwritable", message)
    headers = [(b"content-type", b"application/json")]
    return Answer(503, headers, json.dumps(document).encode())


def error_document(mount: Mount, path: str, code: str, message: str) -> Any:
    """Return ``message`` in the error shape the API at ``mount`` answers with."""
    if mount is CONTROL:
        return {"error": {"code": code, "message": message}}
    if mount is TRACK and path.startswith("/api/v2/"):
        return {"errors": [{"reason": code, "message": message}]}
    if mount is APP:
        return {"meta": {"error": message}}
    return {"meta": {"errors": [message]}}


async def _send(send: Any, answer: Answer) -> None:
    start = {"status": answer.status, "headers": answer.headers}
    await send({"type": "http.response.start", **start})
    await send({"type": "http.response.body", "body": answer.body})
