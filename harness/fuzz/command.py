"""``harness fuzz``: the command line of the fuzz machine.

The CLI hooks it up with two lines in ``harness/cli.py``'s ``_parser``::

    from .fuzz.command import add_fuzz_parser
    add_fuzz_parser(commands)

The handler has the CLI's handler signature and returns the exit status: 0
when nothing failed, 1 when a failure was found and written.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..errors import HarnessError
from .mutation import mutation_table, render_table
from .search import DATABASE, DEFAULT_PROFILES, run_fuzz

__all__ = ["add_fuzz_parser", "fuzz"]


def _positive(text: str) -> int:
    """Read a count of at least one, for --examples and --steps."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1; pass 1 or more")
    return value


def add_fuzz_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``fuzz`` subcommand to the CLI's subparsers; return it."""
    parser = commands.add_parser(
        "fuzz",
        allow_abbrev=False,
        help="generate orderings of what people do and check the invariants",
        description="Play generated journeys (install, log in, rotate, restore, "
        "offline, sends, taps) against the invariants; write the first failure, "
        "shrunk, as a scenario in scenarios/found/.",
    )
    parser.add_argument(
        "--examples",
        type=_positive,
        default=100,
        metavar="N",
        help="journeys to try (default: 100); Hypothesis may play a few more, "
        "as it replays and varies what it found",
    )
    parser.add_argument(
        "--steps",
        type=_positive,
        default=40,
        metavar="N",
        help="most steps per journey (default: 40)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="Hypothesis seed (default: 0)"
    )
    parser.add_argument(
        "--profiles",
        metavar="A,B",
        default=",".join(DEFAULT_PROFILES),
        help=f"phone profiles to mix (default: {','.join(DEFAULT_PROFILES)})",
    )
    parser.add_argument(
        "--app",
        metavar="NAME",
        help="app profile (default: reference)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="A,B",
        help="switch field faults on (repeat, or commas)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="found scenarios' folder (default: scenarios/found)",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=DATABASE,
        metavar="DIR",
        help=f"Hypothesis example database under the project (default: {DATABASE})",
    )
    parser.add_argument(
        "--mutations",
        action="store_true",
        help="run the mutation table instead: every fault and "
        "mistake app profile in turn, on the reference app (not with --app "
        "or --fault)",
    )
    parser.set_defaults(handler=fuzz)
    made: argparse.ArgumentParser = parser
    return made


def fuzz(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    """Run ``harness fuzz`` with the parsed ``args`` in the project at ``root``."""
    profiles = _names(args.profiles)
    faults = _names(",".join(args.fault))
    if not profiles:
        print(
            "harness fuzz: --profiles names no profile; pass one or more, like "
            "ios-17-iphone,android-14-pixel",
            file=sys.stderr,
        )
        return 2
    if args.fault and not faults:
        print("harness fuzz: --fault names no fault; see `harness faults`",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.mutations and (args.app is not None or args.fault):
        given = "--app" if args.app is not None else "--fault"
        print(
            f"harness fuzz: --mutations plays every fault and mistake app on the "
            f"reference app, so {given} has no place beside it; drop --app/--fault",
            file=sys.stderr,
        )
        return 2
    default = "reports/fuzz-found" if args.mutations else "scenarios/found"
    out = args.out if args.out is not None else root / default
    unwritable = _unwritable(out)
    if unwritable:
        shown = (
            f"--out {args.out}" if args.out is not None else f"the default {default}"
        )
        print(
            f"harness fuzz: {shown} cannot hold found scenarios ({unwritable}); "
            "pass --out a folder you can write to",
            file=sys.stderr,
        )
        return 2
    try:
        if args.mutations:
            rows = mutation_table(
                root, args.examples, args.seed, profiles, steps=args.steps, out=out
            )
            print(render_table(rows))
            return 0
        result = run_fuzz(
            root,
            args.examples,
            args.seed,
            profiles,
            args.app or "reference",
            faults,
            steps=args.steps,
            out=args.out,
            database=args.database,
        )
    except HarnessError as error:
        print(f"harness fuzz: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"harness fuzz: cannot write the found scenario ({error}); pass --out "
            "a folder you can write to",
            file=sys.stderr,
        )
        return 2
    journeys = f"{result.examples} journey" + ("" if result.examples == 1 else "s")
    if result.examples > args.examples:
        journeys += f" ({args.examples} asked; Hypothesis adds a few)"
    if not result.found:
        print(
            f"harness fuzz: {journeys}, every invariant held ({result.seconds:.1f} s)"
        )
        return 0
    print(result.failure)
    print(
        f"\nharness fuzz: found after {journeys}, shrunk to "
        f"{result.steps} steps; written to {result.path}\nreplay: "
        f"{result.command}"
    )
    return 1


def _unwritable(folder: Path) -> str:
    """Say why no file can be written in ``folder``; empty if one can.

    Probes by writing: permission bits say nothing to root or on /proc. A
    folder made for the probe is removed again, so a clean run leaves none.
    """
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"{error.filename or folder}: {error.strerror or error}"
    finally:
        for path in made:  # deepest first
            with contextlib.suppress(OSError):
                path.rmdir()
    return ""


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
