"""Matrix scaling: ``harness run`` on one xdist worker, then on two.

The matrix is the project's scenarios copied a few times into a scratch
folder (each copy's cells are distinct items), so each worker has seconds of
work. Cells per second count the cells that played (skips left out) over the
span from the first cell's start to the last cell's end, as
:mod:`.stamps` notes them; the start of the workers and collection fall
outside it and are shown apart, as the whole command's wall time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import BenchError
from .figures import Figure, Section, Target
from .processes import python_command
from .sizes import Sizes
from .stamps import ENV

__all__ = ["scaling_section"]

SPEED_UP = 1.8  # two workers at least this many times one worker's cells/s
TIMEOUT = 600.0


@dataclass(frozen=True)
class Ran:
    """One ``harness run``: cells played, their span, and the command's wall."""

    played: int
    span: float
    wall: float

    @property
    def rate(self) -> float:
        """Return cells played per second of the span."""
        return self.played / max(self.span, 1e-9)


def scaling_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Run the matrix on one and on two workers, ``sizes.matrix_runs`` times."""
    section = Section("4. Matrix scaling (harness run -n 1, -n 2)")
    scenarios = _copies(root, folder, sizes.matrix_copies)
    one = section.add(Figure("cells, 1 worker", "/s", digits=1))
    two = section.add(Figure("cells, 2 workers", "/s", digits=1))
    speed_up = section.add(
        Figure(
            "  speed-up, 1 to 2 workers",
            "x",
            target=Target(f">= {SPEED_UP}x", least=SPEED_UP),
            digits=2,
        )
    )
    walls = section.add(Figure("  the same, whole command's wall time", "x", digits=2))
    played = 0
    for _ in range(sizes.matrix_runs):
        single = _run(root, scenarios, folder, 1, sizes.matrix_profiles)
        double = _run(root, scenarios, folder, 2, sizes.matrix_profiles)
        played = single.played
        one.runs.append(single.rate)
        two.runs.append(double.rate)
        speed_up.runs.append(double.rate / single.rate)
        walls.runs.append(single.wall / double.wall)
    copies = sizes.matrix_copies
    one.note = f"{played} cells: scenarios/ {copies} time{'s' * (copies > 1)}"
    walls.note = "worker start and collection included"
    return section


def _copies(root: Path, folder: Path, copies: int) -> Path:
    matrix = folder / "matrix"
    shutil.rmtree(matrix, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__")
    for number in range(copies):
        shutil.copytree(root / "scenarios", matrix / f"copy{number}", ignore=ignore)
    return matrix


def _run(
    root: Path, scenarios: Path, folder: Path, workers: int, profiles: Sequence[str]
) -> Ran:
    stamps = folder / f"stamps-{workers}.json"
    stamps.unlink(missing_ok=True)
    command = python_command(
        "-c",
        "import sys; from harness.cli import main; sys.exit(main())",
        "--root",
        str(root),
        "run",
        "--scenarios",
        str(scenarios),
        *(["--profiles", ",".join(profiles)] if profiles else []),
        "--junit",
        str(folder / "junit.xml"),
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "harness.bench.stamps",
        "-n",
        str(workers),
    )
    env = {**os.environ, ENV: str(stamps)}
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, timeout=TIMEOUT
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1) or not stamps.exists():
        tail = done.stdout.decode(errors="replace").strip().splitlines()[-5:]
        raise BenchError(
            f"harness run -n {workers} exited {done.returncode} without playing "
            f"the matrix: {' | '.join(tail)}"
        )
    seen = json.loads(stamps.read_text(encoding="utf-8"))
    if not seen["played"] or seen["start"] is None or seen["stop"] is None:
        raise BenchError(f"harness run -n {workers} played no cell")
    return Ran(seen["played"], seen["stop"] - seen["start"], wall)
