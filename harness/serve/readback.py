"""Read a recorded run back without serving it (``harness inspect``).

The run in a state folder is rebuilt in memory by the same replay a restart
does, its clock held where the run got (the timers due by then have run), and
one control API read is answered from it, so the output is what the control
API would have answered while the server ran. The state file is opened
read-only; a server may be writing it meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..journal import plural
from .app import create_app
from .errors import StateError
from .plain import plain
from .replay import Answer, drive, rebuild, request_scope
from .server import project_options
from .state import StateLog

READS = ("people", "devices", "deliveries", "timeline")
READ_FIX = (
    "Inspect from the project folder that served the run (or pass --root), so "
    "its campaigns replay as they ran."
)


@dataclass(frozen=True)
class Readback:
    """One control API answer from a rebuilt run, and a line on the run itself."""

    answer: Answer
    summary: str


def read_back(
    state: Path,
    project: Path,
    read: str,
    *,
    workspace: str | None = None,
    identifier: str = "",
) -> Readback:
    """Rebuild the run kept in ``state`` and answer one of :data:`READS`.

    ``workspace`` defaults to the run's first; ``identifier`` names the person
    whose timeline to read. Campaigns and transactional messages come from
    ``project``, as ``harness serve`` found them there. Raises StateError if
    there is no run or it cannot be rebuilt from this project.
    """
    log = StateLog.read(state)
    try:
        identity = log.identity
        if identity is None:
            raise StateError(f"{log.path} holds no run yet; serve with --state first.")
        options = project_options(
            project,
            state=state,
            persist=True,
            seed=identity.seed,
            workspaces=identity.workspaces,
            ios_topic=identity.ios_topic,
        )
        rebuilt = rebuild(options, log, fix=READ_FIX)
    finally:
        log.close()
    emulator, name = rebuilt.emulator, workspace or identity.workspaces[0]
    path = f"/_harness/workspaces/{quote(name, safe='')}"
    if read == "timeline":
        path += f"/people/{quote(identifier, safe='@')}/timeline"
    else:
        path += f"/{read}"
    app = create_app(emulator, https_port=0)
    try:
        answer = drive(app, request_scope("GET", path, {}), b"")
        now = plain(emulator.clock.now())
    finally:
        emulator.close()
    replayed = plural(rebuilt.replayed, "request")
    return Readback(answer, f"{log.path}: {replayed} replayed; clock at {now}")
