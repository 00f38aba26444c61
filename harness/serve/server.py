"""Run the served emulator: HTTPS and plain HTTP ports in one process, one loop.

:class:`Server` binds its sockets before anything runs, so port 0 is resolved
and the URLs are known at once; it then serves every API on both ports from one
asyncio loop, where a background task runs the live clock's due timers. Run it
in the foreground (``harness serve``, stopped by SIGINT or SIGTERM) or in a
background thread (:meth:`Server.start`, for tests)::

    with Server(ServeOptions(state=tmp_path)) as server:
        control = ControlClient.for_server(server)   # trusts server.tls.ca
        control.advance(minutes=30)

Hypercorn serves both ports. The HTTPS port offers HTTP/2 by ALPN (``h2``,
then ``http/1.1``), so an APNs client connects as it would to
``api.push.apple.com``; the plain port speaks HTTP/1.1 and HTTP/2 without TLS
(prior knowledge or upgrade); :mod:`.app` answers APNs only over HTTP/2 with
TLS. Idle connections stay open for :data:`KEEP_ALIVE`, as APNs providers hold
theirs for hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import Framework

from ..campaigns import Campaign
from ..campaigns.broadcast import Broadcast, load_broadcasts
from ..emulator import DEFAULT_IOS_TOPIC, Emulator
from ..files import load_directory
from ..transactional import TransactionalMessage, load_transactional
from ..transport import ASGIApp, Message
from .app import create_app
from .control import check_name
from .errors import BindError, ServeError, TlsError
from .hosting import hosted, prepare_apart
from .phones import PhoneRack
from .replay import ServedWall, rebuild, recording, run_due
from .state import StateLog
from .tls import Tls, prepare

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
GRACE = 2
TLS_CLOSE = 0.3
MARK_EVERY = 1.0
BACKLOG = 128
KEEP_ALIVE = 3600.0  # seconds an idle connection stays open
ALPN = ["h2", "http/1.1"]
# HTTP/2 forbids connection-specific headers (RFC 9113, 8.2.2).
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"upgrade"}
HOP_BY_HOP |= {b"transfer-encoding"}


@dataclass(frozen=True)
class ServeOptions:
    """How to serve: ports, address, state folder, workspaces and seed.

    ``http_port`` None serves HTTPS only; port 0 takes a free port. ``listen``
    None binds 127.0.0.1 with an open control API; any address given, even
    127.0.0.1, puts the control API behind a bearer token (a random one unless
    ``token`` is given, which guards it on loopback too). ``project`` is the
    folder whose ``fixtures/transactional/`` and ``fixtures/broadcasts/`` the App
    API sends from.

    ``state`` always keeps the CA. With ``persist`` it also keeps the requests
    in ``state.sqlite`` (``harness serve --state DIR``), and a start replays
    them; ``fresh`` discards them first. ``seed``, ``workspaces``, the
    campaigns' names and ``ios_topic`` must then match the recorded run's.
    """

    port: int = 0
    http_port: int | None = 0
    listen: str | None = None
    state: Path = Path(".harness")
    workspaces: tuple[str, ...] = ("default",)
    seed: int | str = 0
    campaigns: tuple[Campaign, ...] = ()
    transactional: tuple[TransactionalMessage, ...] = ()
    broadcasts: tuple[Broadcast, ...] = ()
    ios_topic: str = DEFAULT_IOS_TOPIC
    cert_names: tuple[str, ...] = ()
    token: str | None = None
    project: Path | None = None
    persist: bool = False
    fresh: bool = False
    tick: float = field(default=0.05, repr=False)

    def problems(self) -> list[str]:
        """Return every reason these options cannot be served, or none."""
        found = [p for name in self.workspaces if (p := check_name(name))]
        if len(set(self.workspaces)) != len(self.workspaces):
            found.append("a workspace name is given twice; give each one once.")
        if not self.workspaces:
            found.append("no workspace to serve; give at least one name.")
        for flag, port in (("--port", self.port), ("--http-port", self.http_port)):
            if port is not None and not 0 <= port <= 65535:
                found.append(f"{flag} {port} is not a port; use 1-65535, or 0.")
        if self.http_port and self.http_port == self.port:
            found.append(
                f"--port and --http-port are both {self.port}; HTTPS and HTTP "
                "need a port each, or --no-http."
            )
        if self.listen is not None:
            try:
                ipaddress.ip_address(self.listen)
            except ValueError:
                found.append(
                    f"--listen {self.listen!r} is not an IP address; give one of "
                    "this host's addresses, such as 192.168.1.20, or 0.0.0.0 for all."
                )
        if self.fresh and not self.persist:
            found.append(
                "--fresh discards a recorded run, and without --state DIR nothing "
                "is recorded; give --state DIR too, or drop --fresh."
            )
        return found


def project_options(project: Path, **given: Any) -> ServeOptions:
    """Return options that serve ``project``'s campaigns, messages and broadcasts.

    Raises ConfigError, listing every problem, if a campaign file is wrong.
    """
    folder = project / "fixtures" / "campaigns"
    campaigns = load_directory(folder, Campaign) if folder.is_dir() else {}
    messages = project / "fixtures" / "transactional"
    transactional = load_transactional(messages) if messages.is_dir() else []
    broadcasts = project / "fixtures" / "broadcasts"
    return ServeOptions(
        campaigns=tuple(campaigns.values()),
        transactional=tuple(transactional),
        broadcasts=tuple(load_broadcasts(broadcasts) if broadcasts.is_dir() else ()),
        project=project,
        **given,
    )


class Server:
    """Serve one emulator over HTTPS (and HTTP) until stopped.

    A server serves once; start a new one to serve again (with the same state
    folder it keeps the CA, and with the same seed the workspace keys). With
    ``persist``, :attr:`state_file` is where requests are kept; once prepared,
    :attr:`resumed` tells whether it continued a recorded run, by replaying
    :attr:`replayed` requests of which :attr:`diverged` answered otherwise.
    :attr:`rack` holds the phones the control API drives (``/_harness/phones``).
    """

    def __init__(self, options: ServeOptions) -> None:
        problems = options.problems()
        if problems:
            raise ServeError(" ".join(problems))
        self.options = options
        self.token = options.token or (
            secrets.token_urlsafe(24) if options.listen is not None else None
        )
        self.bind = options.listen or LOOPBACK
        self.emulator: Emulator | None = None
        self.tls: Tls | None = None
        self.log: StateLog | None = None
        self.state_file: Path | None = None
        self.replayed = self.diverged = 0
        self.resumed = False
        self._wall = ServedWall()
        self.https_port = self.http_port = 0
        self._sockets: list[socket.socket] = []
        self._app: ASGIApp | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.rack: PhoneRack | None = None
        self._hosted = False

    @classmethod
    def hosting(
        cls, emulator: Emulator, rack: PhoneRack, options: ServeOptions
    ) -> Server:
        """Return a server for an existing emulator (a World's) and its ``rack``.

        It serves ``emulator`` as it is, on its own clock (a World's frozen
        one; no wall clock moves it), with nothing rebuilt or kept, and each
        request under ``rack``'s lock (see :mod:`.hosting`). ``options`` give
        the ports, the state folder for the CA, the token and the project;
        their workspaces, seed and campaigns are the emulator's, not read.
        Stopping it leaves the emulator open for its owner to close. While
        an entered World freezes datetime the certificate is issued in a
        separate Python process (see :func:`.hosting.prepare_apart`).
        """
        if options.persist:
            raise ServeError(
                "a hosted emulator is the caller's and is not recorded; serve it "
                "without persist (no --state recording)."
            )
        server = cls(options)
        server.emulator, server.rack, server._hosted = emulator, rack, True
        return server

    # -- what clients need ---------------------------------------------------------

    @property
    def host(self) -> str:
        """Return the address clients on this machine use to reach the server."""
        wildcard = ipaddress.ip_address(self.bind).is_unspecified
        return LOOPBACK if wildcard else self.bind

    @property
    def https_url(self) -> str:
        """Return the HTTPS base URL, such as ``https://127.0.0.1:8443``."""
        return f"https://{_shown(self.host)}:{self.https_port}"

    @property
    def http_url(self) -> str | None:
        """Return the plain HTTP base URL, or None when HTTP is off."""
        if self.options.http_port is None:
            return None
        return f"http://{_shown(self.host)}:{self.http_port}"

    @property
    def api_host(self) -> str:
        """Return the apiHost and cdnHost a mobile SDK is configured with."""
        return f"{_shown(self.host)}:{self.https_port}/v1"

    # -- lifecycle -----------------------------------------------------------------

    def prepare(self) -> None:
        """Make the TLS files, bind the ports, make or rebuild the emulator."""
        if self._app is not None:
            return
        options = self.options
        if options.persist:
            self.log = StateLog.open(options.state, fresh=options.fresh)
            self.state_file = self.log.path
        try:
            self._prepare(options)
        except BaseException:
            self._finish()
            for sock in self._sockets:
                sock.close()
            raise

    def _prepare(self, options: ServeOptions) -> None:
        try:
            self.tls = prepare(options.state, (self.bind, *options.cert_names))
        except (TypeError, TlsError):
            if not self._hosted:
                raise
            # freezegun's datetime (an entered World) meets trustme's and
            # cryptography's own: issue it where no clock is frozen
            given = (self.bind, *options.cert_names)
            self.tls = prepare_apart(options.state, given)
        self._sockets = [_bind(self.bind, options.port, "--port")]
        if options.http_port is not None:
            self._sockets.append(_bind(self.bind, options.http_port, "--http-port"))
        self.https_port = self._sockets[0].getsockname()[1]
        self.http_port = self._sockets[-1].getsockname()[1] if self.http_url else 0
        names = list(dict.fromkeys([self.host, *self.tls.names]))
        if self._hosted:
            self._host(names)
            return
        port = self.https_port
        rebuilt = rebuild(options, self.log, https_port=port, names=names)
        self.emulator, self._wall = rebuilt.emulator, rebuilt.wall
        self.replayed, self.diverged = rebuilt.replayed, rebuilt.diverged
        self.resumed = not rebuilt.new
        self.rack = rebuilt.rack
        self._wall.resume(rebuilt.reached, self.emulator.clock)
        app = create_app(
            self.emulator,
            https_port=self.https_port,
            token=self.token,
            names=names,
            project=options.project,
            rack=self.rack,
        )
        self._app = recording(app, self._wall, self.emulator.clock, self.log)

    def _host(self, names: list[str]) -> None:
        """Serve the host's emulator and rack as they are, nothing kept."""
        assert self.emulator is not None and self.rack is not None
        app = create_app(
            self.emulator,
            https_port=self.https_port,
            token=self.token,
            names=names,
            project=self.options.project,
            rack=self.rack,
        )
        self._app = hosted(app, self.rack)

    def run(self, ready: Callable[[Server], None] = lambda server: None) -> None:
        """Serve in this thread until SIGINT or SIGTERM; call ``ready`` once up."""
        self.prepare()

        async def main() -> None:
            self._begin()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop_soon)
            await self._main(lambda: ready(self))

        try:
            _run(main())
        finally:
            self._finish()

    def start(self, timeout: float = START_TIMEOUT) -> Server:
        """Serve from a background thread; return once both ports answer."""
        self.prepare()
        ready, failed = threading.Event(), []

        async def main() -> None:
            self._begin()
            await self._main(ready.set)

        def serve() -> None:
            try:
                _run(main())
            except BaseException as error:  # reported to the starting thread
                failed.append(error)
                ready.set()

        self._thread = threading.Thread(target=serve, name="harness-serve", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            self.stop()
            raise ServeError(
                f"the server did not start within {timeout:.0f} s; run harness "
                "serve -vv to see where it stops."
            )
        if failed:
            self.stop()  # releases the ports and the state folder
            raise ServeError(f"the server failed to start: {failed[0]}") from failed[0]
        return self

    def stop_soon(self) -> None:
        """Ask the server to stop; safe from any thread, and again once stopped."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopping.set)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop a server started with :meth:`start` and wait for it to end."""
        self.stop_soon()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("the server thread did not end within %.0f s", timeout)
        for sock in self._sockets:
            sock.close()
        self._finish()

    def _finish(self) -> None:
        """Note how far the clock got, close the state file and the emulator."""
        if self.log is not None:
            if self.emulator is not None:
                self._mark()
            self.log.close()
            self.log = None
        if self.emulator is not None and not self._hosted:
            self.emulator.close()

    def _mark(self) -> None:
        assert self.log is not None and self.emulator is not None
        try:
            self.log.mark(self.emulator.clock.now())
        except Exception as error:  # the file is gone or full; serving goes on
            path = self.log.path
            logger.warning("cannot note the clock in %s: %s", path, error)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside the loop -----------------------------------------------------------

    def _begin(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()

    async def _main(self, ready: Callable[[], None]) -> None:
        assert self._stopping is not None and self._app is not None
        up = asyncio.Event()
        # ASGI apps one way or another: Hypercorn's types are stricter than ours
        app = cast(Framework, _lifespan(_h2_safe(self._app), up))
        config = self._config()
        serving = asyncio.create_task(
            serve(app, config, shutdown_trigger=self._stopping.wait)
        )
        # a hosted emulator's clock is its owner's to move
        ticker = asyncio.create_task(self._tick() if not self._hosted else _idle())
        try:
            await self._started(serving, up)
            logger.info("listening on %s", " and ".join(u for u in self._urls() if u))
            ready()
            await asyncio.wait([serving])  # ends once stopping is set, or on error
        finally:
            ticker.cancel()
            await self._shutdown(serving)
        if not serving.cancelled() and serving.exception() is not None:
            raise ServeError(f"a listener failed: {serving.exception()}")
        logger.info("stopped")

    async def _started(self, serving: asyncio.Task[None], up: asyncio.Event) -> None:
        """Wait until Hypercorn has started; raise if it ended or took too long."""
        waiting = asyncio.create_task(up.wait())
        done, _ = await asyncio.wait(
            [serving, waiting],
            timeout=START_TIMEOUT,
            return_when=asyncio.FIRST_COMPLETED,
        )
        waiting.cancel()
        if serving in done:
            await serving  # raises the listener's own error
            raise ServeError("the listeners ended before they started")
        if not done:
            raise ServeError(f"the listeners did not start in {START_TIMEOUT} s")

    async def _shutdown(self, serving: asyncio.Task[None]) -> None:
        """Stop the listeners; open connections get :data:`GRACE`, not more.

        Handlers never await once a body is read, so a request being answered
        finishes within it; idle connections are closed at once.
        """
        assert self._stopping is not None
        self._stopping.set()
        _, pending = await asyncio.wait([serving], timeout=GRACE + 1)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1)

    async def _tick(self) -> None:
        """Run due timers a few times a second; note the clock once a second.

        The note lets a replay run the timers that fell due after the last
        request, as this server did, even if it is killed.
        """
        assert self.emulator is not None
        clock, loop = self.emulator.clock, asyncio.get_running_loop()
        noted = loop.time()
        while True:
            await asyncio.sleep(self.options.tick)
            run_due(clock)
            if self.log is not None and loop.time() - noted >= MARK_EVERY:
                self._mark()
                noted = loop.time()

    def _urls(self) -> tuple[str, str | None]:
        return self.https_url, self.http_url

    def _config(self) -> Config:
        """Return Hypercorn's settings: the bound sockets, this start's TLS."""
        assert self.tls is not None
        # the certificate this start issued, whatever the files hold now
        context = self.tls.server_context()
        context.set_alpn_protocols(ALPN)
        config = _Config(context)
        # Hypercorn takes over copies of the bound sockets and closes them.
        fds = [f"fd://{os.dup(sock.fileno())}" for sock in self._sockets]
        config.bind = fds[:1]
        config.insecure_bind = fds[1:]
        config.alpn_protocols = ALPN
        config.accesslog = None
        config.errorlog = _hypercorn_log
        config.include_server_header = False
        config.graceful_timeout = GRACE
        config.keep_alive_timeout = KEEP_ALIVE
        config.backlog = BACKLOG
        return config


class _Config(Config):
    """Hypercorn settings that serve TLS from a context made in memory."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context

    @property
    def ssl_enabled(self) -> bool:
        return True

    def create_ssl_context(self) -> ssl.SSLContext:
        return self._context


class _Demoted(logging.Logger):
    """A logger for Hypercorn's own lines, which repeat ours: INFO goes to DEBUG."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


_hypercorn_log = _Demoted(f"{__name__}.hypercorn")
_hypercorn_log.parent = logger


async def _idle() -> None:
    """Wait until cancelled: the ticker of a hosted emulator runs no timers."""
    await asyncio.Event().wait()


def _h2_safe(app: ASGIApp) -> ASGIApp:
    """Drop headers HTTP/2 forbids from answers sent over HTTP/2."""

    async def served(scope: Message, receive: Any, send: Any) -> None:
        if scope.get("http_version") != "2":
            await app(scope, receive, send)
            return

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
                message = {**message, "headers": kept}
            await send(message)

        await app(scope, receive, sent)

    return served


def _lifespan(app: ASGIApp, up: asyncio.Event) -> ASGIApp:
    """Answer the server's lifespan messages here; set ``up`` once it starts."""

    async def served(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            kind = (await receive())["type"].removeprefix("lifespan.")
            await send({"type": f"lifespan.{kind}.complete"})
            if kind != "startup":
                return
            up.set()

    return served


def _bind(host: str, port: int, flag: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise BindError(
            f"cannot listen on {_shown(host)}:{port} ({error.strerror}); pick "
            f"another {flag}, or {flag} 0 for a free one"
            + ("" if host == LOOPBACK else ", and check the address is this host's")
            + "."
        ) from None
    # Listening at once, a client that connects before the loop serves waits.
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _run(main: Coroutine[Any, Any, None]) -> None:
    with asyncio.Runner(loop_factory=_Loop) as runner:
        runner.get_loop().set_exception_handler(_on_loop_error)
        runner.run(main)


class _Loop(asyncio.SelectorEventLoop):
    """The server's loop: a TLS client gets :data:`TLS_CLOSE` to answer a close.

    asyncio waits 30 s by default, and a client idle in its pool never answers,
    so a stop would wait that long for each one.
    """

    # Hypercorn calls this through asyncio.start_server and sets no such timeout.
    async def create_server(self, *args: Any, **kwargs: Any) -> asyncio.Server:
        if kwargs.get("ssl") is not None:
            kwargs.setdefault("ssl_shutdown_timeout", TLS_CLOSE)
        return await super().create_server(*args, **kwargs)


def _on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Log a connection that ended uncleanly at DEBUG; anything else as asyncio does."""
    error = context.get("exception")
    if isinstance(error, TimeoutError | ConnectionError | ssl.SSLError):
        logger.debug("a connection ended uncleanly: %r", error)
        return
    loop.default_exception_handler(context)


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
