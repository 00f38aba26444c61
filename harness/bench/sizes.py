"""How much work each benchmark does: the full run and the quick one.

The full sizes keep ``harness bench`` under ten minutes on a 2-CPU machine;
:data:`QUICK` (``--quick``) only proves every benchmark still runs, and is what
the test suite plays.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Sizes"]


@dataclass(frozen=True)
class Sizes:
    """Work per run of each benchmark; ``runs`` runs of each give the median."""

    runs: int = 5  # runs of most figures
    batches: int = 1_000  # Pipelines batches of 20 per embedded run
    cell_runs: int = 3  # plays of the scenario matrix
    cells: int | None = None  # its first cells only; None plays every cell
    fuzz_examples: int = 400  # fuzz examples per run (runs x this in all)
    fuzz_steps: int = 40
    load_requests: int = 5_000  # requests per served run
    connections: int = 8  # the load generator's connections
    memory_events: tuple[int, ...] = (100_000, 1_000_000)
    memory_runs: int = 2
    pairs: int = 1_000  # register-and-send pairs per run, against moto
    fixed_runs: int = 20  # per-test set-ups timed for the fixed cost
    notifies: int = 1_000  # Web Push notifications per run
    subscribes: int = 500  # Web Push subscriptions per run
    matrix_copies: int = 3  # copies of scenarios/ in the scaling matrix
    matrix_profiles: tuple[str, ...] = ()  # its device profiles; () for all
    matrix_runs: int = 3


FULL = Sizes()
QUICK = Sizes(
    runs=2,
    batches=20,
    cell_runs=1,
    cells=6,
    fuzz_examples=3,
    fuzz_steps=10,
    load_requests=200,
    connections=4,
    memory_events=(2_000, 10_000),
    memory_runs=1,
    pairs=20,
    fixed_runs=3,
    notifies=20,
    subscribes=10,
    matrix_copies=1,
    matrix_profiles=("ios-17-iphone", "android-14-pixel"),
    matrix_runs=1,
)
