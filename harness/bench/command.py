"""``harness bench``: how fast the harness runs, beside what users would pick.

The CLI hooks it up with two lines in ``harness/cli.py``'s ``_parser``::

    from .bench.command import add_bench_parser
    add_bench_parser(commands)

The handler prints one table (:mod:`.table`) and returns the exit status: 0
when every family was measured, 1 when one could not run (its rows say why).
A missed target is a row's verdict, not a failure of the command.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from .figures import Section
from .sizes import FULL, QUICK, Sizes

__all__ = ["FAMILIES", "add_bench_parser", "bench", "run_bench"]

logger = logging.getLogger(__name__)

Family = Callable[[Path, Sizes, Path], Section]
"""Measure one family of figures: project root, sizes, a scratch folder."""

# Each family's module and function, imported when run: the alternatives
# (moto, pywebpush) come with the test extra, and `harness` runs without them.
FAMILIES = {
    "embedded": ("embedded", "embedded_section"),
    "fuzz": ("embedded", "fuzz_section"),
    "served": ("served", "served_section"),
    "memory": ("memory", "memory_section"),
    "moto": ("mobile_push", "mobile_push_section"),
    "webpush": ("web_push", "web_push_section"),
    "matrix": ("scaling", "scaling_section"),
}
TITLES = {
    "embedded": "1. Embedded",
    "fuzz": "1. Embedded: the fuzz machine",
    "served": "2. Served",
    "memory": "2b. Memory of stored events",
    "moto": "3a. moto SNS vs harness",
    "webpush": "3b. web-push-testing vs harness",
    "matrix": "4. Matrix scaling",
}


def add_bench_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` subcommand to the CLI's subparsers; return it."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "bench",
        allow_abbrev=False,
        help="measure the harness beside moto and web-push-testing; print a table",
        description="Measure events, cells and fuzz steps per second embedded, "
        "the served APIs under load, memory per stored event, moto's SNS and "
        "web-push-testing side by side with the harness, and matrix scaling; "
        "print one table of medians with each target's verdict.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes: proves every benchmark runs, measures little",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these families (repeat, or commas): {', '.join(FAMILIES)}",
    )
    parser.set_defaults(handler=bench, project_optional=False)
    return parser


def bench(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    """Run ``harness bench`` with the parsed ``args`` in the project at ``root``."""
    names = [n.strip() for given in args.only for n in given.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAMILIES]
    if unknown or (args.only and not names):
        print(
            f"harness bench: --only {', '.join(unknown) or '(nothing)'} names no "
            f"benchmark; choose from {', '.join(FAMILIES)}",
            file=sys.stderr,
        )
        return 2
    chosen = list(dict.fromkeys(names)) or list(FAMILIES)
    sections, took = run_bench(root, QUICK if args.quick else FULL, chosen)
    size = "quick sizes" if args.quick else "full sizes"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"harness bench ({size}, {', '.join(chosen)}), {stamp}, took {took}"
    from .machine import machine, versions
    from .table import render

    print(render(sections, title, machine(), versions()))
    return 1 if any(s.failure is not None for s in sections) else 0


def run_bench(root: Path, sizes: Sizes, names: list[str]) -> tuple[list[Section], str]:
    """Run the named families in a scratch folder; return them and the time taken."""
    started = time.monotonic()
    sections = []
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as scratch:
        for name in names:
            print(f"harness bench: {name} ...", file=sys.stderr, flush=True)
            folder = Path(scratch) / name
            folder.mkdir()
            sections.append(_measure(name, root, sizes, folder))
    return sections, _duration(time.monotonic() - started)


def _measure(name: str, root: Path, sizes: Sizes, folder: Path) -> Section:
    module, function = FAMILIES[name]
    try:
        family: Family = getattr(import_module(f"{__package__}.{module}"), function)
        return family(root, sizes, folder)
    except ModuleNotFoundError as error:
        return Section(
            TITLES[name],
            failure=f"{error}; install the test extra: pip install -e '.[test]'",
        )
    except Exception as error:  # one family's failure must not lose the others
        logger.debug("benchmark %s failed", name, exc_info=True)
        reason = str(error).strip() or type(error).__name__
        return Section(TITLES[name], failure=f"{type(error).__name__}: {reason}")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
