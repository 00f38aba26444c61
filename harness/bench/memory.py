"""Memory per stored event: what a workspace holds after 100k and 1M events.

Each run is a fresh child process (``python -m harness.bench.memory N...``)
that posts SDK-shaped batches of 100 through the Pipelines app of an emulator,
as the served emulator stores them, and prints the growth of its resident
memory at each count, after a full garbage collection. Memory a process once
took is seldom given back, so each count is measured on the way up, never
after a larger one.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from ..clock import Clock
from ..emulator import Emulator
from ..ids import Ids
from ..journal import Journal
from .errors import BenchError
from .events import Batches
from .figures import Figure, Section, Target
from .processes import python_command
from .sizes import Sizes

__all__ = ["grow", "memory_section"]

PER_BATCH = 100
MB = 1024 * 1024
MOST_PER_MILLION = 1024.0  # MB: at most 1 GB for a million stored events
TIMEOUT = 600.0
NOTE = "resident growth; batches of 100 through the Pipelines app, embedded"


def memory_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Measure resident memory per stored event in child processes."""
    section = Section("2b. Memory of stored events (a child process each run)")
    counts = sorted(sizes.memory_events)
    figures = {}
    for count in counts:
        scale = 1_000_000 if count >= 1_000_000 else 100_000
        label = f"memory at {count:,} events, per {scale:,}"
        figure = section.add(Figure(label, "MB", digits=1, note=NOTE))
        if scale == 1_000_000:
            figure.target = Target(f"<= {MOST_PER_MILLION:,.0f} MB", most=1024.0)
        figures[count] = (figure, scale)
    for _ in range(sizes.memory_runs):
        grown = _child(counts, folder)
        for count, (figure, scale) in figures.items():
            figure.runs.append(grown[count] / MB * scale / count)
    return section


def _child(counts: list[int], folder: Path) -> dict[int, int]:
    command = python_command("-m", "harness.bench.memory", *map(str, counts))
    done = subprocess.run(command, cwd=folder, capture_output=True, timeout=TIMEOUT)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BenchError(f"the memory child failed: {' | '.join(tail)}")
    grown: dict[str, int] = json.loads(done.stdout)
    return {int(count): size for count, size in grown.items()}


def grow(counts: list[int]) -> dict[int, int]:
    """Store events up to each count; return the resident growth at each, in bytes."""
    emulator = Emulator(Clock(), Ids(0), Journal())
    keys = emulator.create_workspace("default").keys
    workspace = emulator.hosted("default").workspace
    batches = Batches(keys.write_key, per_batch=PER_BATCH)
    headers = {"content-type": "application/json"}
    url = "https://cdp.customer.io/v1/batch"
    emulator.http.post(url, content=batches.body(0), headers=headers)
    gc.collect()
    base, number, grown = _resident(), 1, {}
    for count in sorted(counts):
        while len(workspace.events) < count:
            answer = emulator.http.post(
                url, content=batches.body(number), headers=headers
            )
            if answer.status_code != 200:
                raise BenchError(f"the batch was refused: {answer.text[:200]}")
            number += 1
        gc.collect()
        grown[count] = _resident() - base
    return grown


def _resident() -> int:
    """Return this process's resident memory in bytes."""
    try:
        pages = Path("/proc/self/statm").read_text().split()[1]
    except OSError:  # not Linux: the peak is the nearest figure
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return int(pages) * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    json.dump(grow([int(a) for a in sys.argv[1:]]), sys.stdout)
