"""Embedded figures: events ingested, scenario cells and fuzz steps per second.

Everything runs in this process on the in-process transport, as ``harness run``
and ``harness fuzz`` do. Timings are taken outside any world's ``with`` block:
an entered world freezes the process's clocks.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..clock import Clock
from ..emulator import Emulator
from ..errors import Unsupported
from ..fuzz.machine import Journeys
from ..fuzz.search import run_fuzz
from ..ids import Ids
from ..journal import Journal
from ..runner import is_scenario_file, select
from ..scripts import Scenario, collect
from ..world import World
from .errors import BenchError
from .events import Batches
from .figures import Figure, Section, Target, timed_rate
from .sizes import Sizes

__all__ = ["embedded_section", "fuzz_section"]

logger = logging.getLogger(__name__)

PIPELINES = "https://cdp.customer.io/v1/batch"


def embedded_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Measure SDK events and scenario cells per second, embedded."""
    section = Section("1. Embedded (in-process transport, one thread)")
    events = section.add(
        Figure(
            "SDK events ingested",
            "/s",
            target=Target(">= 100,000/s", least=100_000),
            note=f"batches of 20 iOS-shaped track calls, {sizes.batches} a run",
        )
    )
    for _ in range(sizes.runs):
        events.runs.append(sdk_events(sizes.batches))
    cells = section.add(Figure("scenario cells", "/s", digits=1))
    played = _cells(root)[: sizes.cells]
    cells.note = f"{len(played)} cells of scenarios/ that play (skips left out)"
    for _ in range(sizes.cell_runs):
        cells.runs.append(timed_rate(len(played), lambda: _play(root, played)))
    return section


def sdk_events(batches: int) -> float:
    """Post ``batches`` batches to a fresh workspace; return events per second."""
    emulator = Emulator(Clock(), Ids(0), Journal())
    keys = emulator.create_workspace("default").keys
    made = Batches(keys.write_key)
    headers = {"content-type": "application/json"}
    bodies = [made.body(n) for n in range(batches)]
    http = emulator.http
    started = time.perf_counter()
    for body in bodies:
        answer = http.post(PIPELINES, content=body, headers=headers)
        if answer.status_code != 200:
            raise BenchError(f"the Pipelines batch was refused: {answer.text}")
    seconds = time.perf_counter() - started
    stored = len(emulator.hosted("default").workspace.events)
    emulator.close()
    if stored != batches * made.per_batch:
        raise BenchError(
            f"{batches * made.per_batch} events were sent and {stored} stored; "
            "the workspace dropped some, so the rate would overstate it."
        )
    return stored / seconds


@dataclass(frozen=True)
class Cell:
    """A scenario on a profile, as one matrix cell."""

    scenario: Scenario
    profile: str


def _cells(root: Path) -> list[Cell]:
    selection = select(root)
    folder = selection.scenarios
    paths = sorted(p for p in folder.rglob("*.py") if is_scenario_file(p, folder))
    return [
        Cell(scenario, profile.name)
        for path in paths
        for scenario in collect(path)
        for profile in selection.profiles
        if scenario.skip_reason(profile) is None
    ]


def _play(root: Path, cells: list[Cell]) -> None:
    selection = select(root)
    profiles = {p.name: p for p in selection.profiles}
    # A skipped or failed cell still did its work: both are counted.
    tolerated = contextlib.suppress(Unsupported, AssertionError)
    for cell in cells:
        profile = profiles[cell.profile]
        with World(profile, selection.app, root=root) as world, tolerated:
            cell.scenario.func(world)


class _Counted(Journeys):
    """The fuzz machine, counting the steps it takes (rules and initialisers)."""

    counter: ClassVar[list[int]] = [0]

    def check_step(self) -> None:
        self.counter[0] += 1
        super().check_step()


def fuzz_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Run the fuzz machine on the reference app: steps per second, and passes.

    The examples are split into runs with seeds 0, 1, 2...; each run gives one
    steps-per-second figure, and the examples that passed add up.
    """
    section = Section("1. Embedded: the fuzz machine (reference app)")
    steps = section.add(
        Figure(
            "stateful-machine steps",
            "/s",
            target=Target(">= 1,000/s", least=1_000),
            note=f"harness fuzz, {sizes.fuzz_examples} examples a run, "
            f"{sizes.fuzz_steps} steps at most",
        )
    )
    passed = 0
    failures: list[str] = []
    for seed in range(sizes.runs):
        counter = [0]
        machine = type("Counted", (_Counted,), {"counter": counter})
        started = time.perf_counter()
        result = run_fuzz(
            root,
            sizes.fuzz_examples,
            seed,
            steps=sizes.fuzz_steps,
            database=None,
            machine=machine,
            shrink=False,
        )
        seconds = time.perf_counter() - started
        steps.runs.append(counter[0] / seconds)
        passed += result.examples - (1 if result.found else 0)
        if result.found:
            failures.append(f"seed {seed}: {result.rule}")
    total = sizes.fuzz_examples * sizes.runs
    examples = section.add(
        Figure(
            "fuzz examples passed",
            "",
            runs=[float(passed)],
            target=Target(f"{total:,} of {total:,}", least=total),
            note=f"{sizes.runs} runs of {sizes.fuzz_examples} examples, seeds "
            f"0-{sizes.runs - 1}, no example database",
        )
    )
    if failures:
        examples.note += "; failed: " + "; ".join(failures)
    return section
