"""The mutation table: does the machine catch each fault and each mistake?

Each switchable field fault (harness/faults.py) and each common-mistake app
profile is turned on in turn; the machine runs until it finds a failure or
runs out of examples. The table says which were found, after how many
examples, in how many steps after shrinking, and how long it took.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..faults import FAULTS
from .search import DEFAULT_PROFILES, FuzzResult, run_fuzz

logger = logging.getLogger(__name__)

__all__ = ["MISTAKES", "Mutation", "mutation_table", "render_table"]

MISTAKES = (
    "email-as-identifier",
    "no-anonymous-merge",
    "prompt-on-first-launch",
    "cart-without-sku-price",
    "purchase-tracked-in-app",
    "never-identifies",
    "never-asks",
)


@dataclass(frozen=True)
class Mutation:
    """One row: a fault or a mistake app profile, and what the machine made of it."""

    name: str
    kind: str  # "fault" or "app"
    result: FuzzResult


def mutation_table(
    root: Path,
    examples: int = 60,
    seed: int = 0,
    profiles: Sequence[str] = DEFAULT_PROFILES,
    *,
    steps: int = 40,
    faults: Sequence[str] | None = None,
    apps: Sequence[str] | None = None,
    out: Path,
) -> list[Mutation]:
    """Run the machine once per fault and per mistake app profile; return the rows.

    ``faults`` and ``apps`` narrow the table (default: all of each); found
    scenarios go to ``out``. No example database is used, so the counts
    depend on the seed alone.
    """
    rows: list[Mutation] = []
    for fault in FAULTS if faults is None else faults:
        logger.info("mutation: fault %s", fault)
        result = run_fuzz(
            root, examples, seed, profiles, "reference", (fault,),
            steps=steps, out=out, database=None,
        )  # fmt: skip
        rows.append(Mutation(fault, "fault", result))
    for app in MISTAKES if apps is None else apps:
        logger.info("mutation: app %s", app)
        result = run_fuzz(
            root, examples, seed, profiles, app, (),
            steps=steps, out=out, database=None,
        )  # fmt: skip
        rows.append(Mutation(app, "app", result))
    return rows


def render_table(rows: Sequence[Mutation]) -> str:
    """Return the rows as a Markdown table."""
    lines = [
        "| mutation | kind | found | examples | steps | seconds | invariant |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r = row.result
        rule = (r.rule or "").split(":")[0] if r.found else ""
        lines.append(
            f"| `{row.name}` | {row.kind} | {'yes' if r.found else 'no'} | "
            f"{r.examples} | {r.steps if r.found else ''} | {r.seconds:.1f} | "
            f"{rule} |"
        )
    return "\n".join(lines)
