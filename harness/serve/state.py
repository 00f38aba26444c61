"""The state file: every request that changed a served emulator, kept in SQLite.

``harness serve --state DIR`` appends each request that may change state (any
request but GET, HEAD and OPTIONS that reached an API, control mutations
included) to ``DIR/state.sqlite`` as it is answered; :mod:`.replay` rebuilds
the emulator from those rows on the next start and for ``harness inspect``.
The file is plain SQLite in WAL mode, so readers (``harness inspect``, the
``sqlite3`` shell) never block the server that writes it::

    sqlite3 .harness/run/state.sqlite \\
        "select seq, at, api, method, target, status from requests"

``requests`` holds one row a request: ``seq``; ``at``, the emulator's clock
when it arrived (ISO 8601, UTC); ``api``; ``method``; ``target``, the path and
query as sent; ``headers``, a JSON object of those the APIs read
(:data:`KEPT_HEADERS`); ``body``, the bytes as sent (gzip stays gzip); and
``status``, the answer, or 0 while the request is being applied. ``meta``
holds JSON values: ``format``, the options the ids follow from (``seed``,
``workspaces``, ``campaigns``, ``ios_topic``), ``origin`` (the clock when the
run began) and ``reached`` (how far the clock got, noted once a second and at
stop).

Each row is written ahead: committed on its own, with ``synchronous=NORMAL``,
before the request is applied, and its status filled in after. A request that
cannot be kept (disk full, file not writable) is answered 503 and not applied,
so nothing answered is lost to a crash of the process; a power cut may lose the
last rows. A row still at status 0 (the process died while applying it) is
replayed, and its answer is not compared. The file
holds what clients sent, workspace keys in Authorization headers included;
the state folder's ``.gitignore`` keeps it out of version control. Control
requests' Authorization (the token, random at each start) is not kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .errors import StateError

logger = logging.getLogger(__name__)

STATE_FILE = "state.sqlite"
LOCK_FILE = "state.lock"
FORMAT = 1
PENDING = 0  # the status of a row kept before its request was applied
# What the Track, Pipelines and App APIs read from a request's headers.
KEPT_HEADERS = (
    "authorization",
    "content-type",
    "content-encoding",
    "x-strict-mode",
)
_SCHEMA = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists requests (
    seq integer primary key,
    at text not null,
    api text not null,
    method text not null,
    target text not null,
    headers text not null,
    body blob not null,
    status integer not null
);
"""


@dataclass(frozen=True)
class Recorded:
    """One kept request: when it arrived, what was sent, what it answered."""

    seq: int
    at: datetime
    api: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    status: int

    def __str__(self) -> str:
        path = self.target.partition("?")[0]
        return f"request {self.seq} ({self.method} {path})"


@dataclass(frozen=True)
class Identity:
    """The serve options a run's ids follow from; a restart must repeat them."""

    seed: str
    workspaces: tuple[str, ...]
    campaigns: tuple[str, ...]
    ios_topic: str

    def differences(self, given: Identity) -> list[str]:
        """Say, option by option, how ``given`` differs from these."""
        flags = {
            "seed": "--seed",
            "workspaces": "--workspace",
            "campaigns": "campaigns (fixtures/campaigns/)",
            "ios_topic": "--ios-topic",
        }
        found = []
        for field, flag in flags.items():
            then, now = getattr(self, field), getattr(given, field)
            if then != now:
                found.append(f"{flag} {_shown(then)} then, {_shown(now)} now")
        return found

    def to_meta(self) -> dict[str, Any]:
        """Return the meta rows that keep these options."""
        return {
            "seed": self.seed,
            "workspaces": list(self.workspaces),
            "campaigns": list(self.campaigns),
            "ios_topic": self.ios_topic,
        }


class StateLog:
    """Append requests to one state file and read them back in order.

    Open it with :meth:`open` to serve (one server a folder, held by a lock on
    ``state.lock``) or :meth:`read` to inspect (read-only, beside a server).
    """

    def __init__(
        self, path: Path, db: sqlite3.Connection, lock: IO[bytes] | None = None
    ) -> None:
        self.path, self._db, self._lock = path, db, lock

    @classmethod
    def open(cls, folder: Path, *, fresh: bool = False) -> StateLog:
        """Open or make ``folder``'s state file to serve; ``fresh`` empties it."""
        folder.mkdir(parents=True, exist_ok=True)
        lock = _lock(folder)
        path = folder / STATE_FILE
        if path.is_dir():
            lock.close()
            raise StateError(
                f"{path} is a directory, not a state file, and harness does not "
                "delete folders; remove it by hand, then start again."
            )
        if fresh:
            try:
                for suffix in ("", "-wal", "-shm"):
                    path.with_name(path.name + suffix).unlink(missing_ok=True)
            except OSError as error:
                lock.close()
                raise StateError(
                    f"--fresh cannot discard {error.filename} ({error.strerror}); "
                    "remove it by hand, then start again."
                ) from None
            logger.info("state file %s discarded (--fresh)", path)
        try:
            # One thread writes at a time: the server's loop, then stop().
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            path.chmod(0o600)  # it holds the keys of the requests' Authorization
            db.execute("pragma journal_mode=wal")
            db.execute("pragma synchronous=normal")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            lock.close()
            raise _unreadable(path, error) from None
        log = cls(path, db, lock)
        log._check_format()
        return log

    @classmethod
    def read(cls, folder: Path) -> StateLog:
        """Open ``folder``'s state file read-only; raise StateError if none."""
        path = folder / STATE_FILE
        if not path.is_file():
            raise StateError(
                f"no recorded run in {folder}: {path} does not exist; serve with "
                f"harness serve --state {folder} first."
            )
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            log = cls(path, db)
            log._check_format()
        except sqlite3.DatabaseError as error:
            raise _unreadable(path, error) from None
        return log

    def _check_format(self) -> None:
        try:
            found = self.meta().get("format", FORMAT)
        except sqlite3.DatabaseError as error:
            self.close()
            raise _unreadable(self.path, error) from None
        if found != FORMAT:
            self.close()
            raise StateError(
                f"{self.path} was written in state format {found}, and this "
                f"harness reads format {FORMAT}; add --fresh to start over."
            )

    # -- meta ------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        """Return every meta value, decoded."""
        rows = self._db.execute("select key, value from meta").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def begin(self, identity: Identity, origin: datetime) -> None:
        """Note the options and the clock a new run begins with."""
        values = {"format": FORMAT, **identity.to_meta(), "origin": origin}
        values["reached"] = origin
        for key, value in values.items():
            self._put(key, value)

    @property
    def identity(self) -> Identity | None:
        """Return the options the run was recorded with; None for a new file."""
        meta = self.meta()
        if "seed" not in meta:
            return None
        return Identity(
            meta["seed"],
            tuple(meta["workspaces"]),
            tuple(meta["campaigns"]),
            meta["ios_topic"],
        )

    @property
    def origin(self) -> datetime | None:
        """Return the clock when the run began, or None for a new file."""
        return _instant(self.meta().get("origin"))

    @property
    def reached(self) -> datetime | None:
        """Return how far the run's clock got, as last noted."""
        return _instant(self.meta().get("reached"))

    def mark(self, reached: datetime) -> None:
        """Note that the clock got to ``reached`` (its timers up to there ran)."""
        self._put("reached", reached)

    def _put(self, key: str, value: object) -> None:
        if isinstance(value, datetime):
            value = value.isoformat()
        text = json.dumps(value)
        self._db.execute(
            "insert into meta (key, value) values (?, ?) "
            "on conflict (key) do update set value = excluded.value",
            (key, text),
        )

    # -- requests --------------------------------------------------------------------

    def append(
        self,
        at: datetime,
        api: str,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        status: int,
    ) -> int:
        """Keep one request; return its sequence number."""
        row = (at.isoformat(), api, method, target, json.dumps(headers), body, status)
        cursor = self._db.execute(
            "insert into requests (at, api, method, target, headers, body, status)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def intend(
        self,
        at: datetime,
        api: str,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> int:
        """Keep one request before it is applied, at status 0; return its number."""
        return self.append(at, api, method, target, headers, body, PENDING)

    def settle(self, seq: int, status: int) -> None:
        """Fill in the answer of the request kept as ``seq``."""
        self._db.execute("update requests set status = ? where seq = ?", (status, seq))

    def withdraw(self, seq: int) -> None:
        """Forget the request kept as ``seq``: it changed nothing."""
        self._db.execute("delete from requests where seq = ?", (seq,))

    def rows(self) -> Iterator[Recorded]:
        """Yield every kept request, in the order it was answered.

        Raises StateError, naming the file and ``--fresh``, if it is damaged.
        """
        try:
            yield from self._rows()
        except sqlite3.DatabaseError as error:
            raise _damaged(self.path, error) from None

    def _rows(self) -> Iterator[Recorded]:
        cursor = self._db.execute(
            "select seq, at, api, method, target, headers, body, status "
            "from requests order by seq"
        )
        for seq, at, api, method, target, headers, body, status in cursor:
            yield Recorded(
                seq,
                datetime.fromisoformat(at),
                api,
                method,
                target,
                json.loads(headers),
                bytes(body),
                status,
            )

    def count(self) -> int:
        """Return how many requests are kept."""
        try:
            (count,) = self._db.execute("select count(*) from requests").fetchone()
        except sqlite3.DatabaseError as error:
            raise _damaged(self.path, error) from None
        return int(count)

    def close(self) -> None:
        """Close the file and let another server open the folder."""
        self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def journal_mode(path: Path) -> str:
    """Return the journal mode of the SQLite file at ``path`` (ours: ``wal``)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        (mode,) = db.execute("pragma journal_mode").fetchone()
    return str(mode)


def _lock(folder: Path) -> IO[bytes]:
    handle = (folder / LOCK_FILE).open("a+b")
    try:
        import fcntl
    except ImportError:  # Windows has no flock: one server a folder, by hand
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StateError(
            f"another harness serve records into {folder}; stop it first, or give "
            "this one another --state folder."
        ) from None
    return handle


def _unreadable(path: Path, error: sqlite3.DatabaseError) -> StateError:
    return StateError(
        f"{path} is not a harness state file ({error}); move it away, or add "
        "--fresh to start over in its place."
    )


def _damaged(path: Path, error: sqlite3.DatabaseError) -> StateError:
    return StateError(
        f"{path} is damaged and its run cannot be read back ({error}); move it "
        "away to keep it, or serve with --fresh to start over in its place."
    )


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    return str(value)
