"""Render the scenario x device matrix of a run as plain text.

Pure functions over :class:`Cell` outcomes, so the pytest plugin and tests build
the same text. The grid has one layout, so runs compare line by line: a row per
profile, a numbered column per scenario with a legend below; only when that is
wider than the page is it split into blocks of columns.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from . import plural

__all__ = ["NOT_RUN", "Cell", "Outcome", "render"]

Outcome = Literal["pass", "FAIL", "ERROR", "skip"]
NOT_RUN = "-"
WIDTH = 88
_GAP = "  "
_CELL = 5  # the widest outcome: ERROR

Table = list[list[str]]


@dataclass(frozen=True)
class Cell:
    """One scenario played on one profile, and how it ended."""

    nodeid: str
    scenario: str
    profile: str
    outcome: Outcome
    reason: str = ""
    saw: tuple[str, ...] = ()

    @property
    def row(self) -> str:
        """Return the scenario's node id without the profile part."""
        return self.nodeid.removesuffix(f"[{self.profile}]")


def render(cells: Sequence[Cell], profiles: Sequence[str], width: int = WIDTH) -> str:
    """Return totals, the grid, skip reasons and failed cells for ``cells``.

    Rows follow the order of ``cells``; columns follow ``profiles``, and a cell
    that did not run shows ``-``.
    """
    labels = _labels(cells)
    outcomes = {(cell.row, cell.profile): cell.outcome for cell in cells}
    table = [[outcomes.get((row, p), NOT_RUN) for p in profiles] for row in labels]
    parts = [
        _totals(cells, len(labels), len(profiles)),
        _grid(list(labels.values()), list(profiles), table, width),
        _skips(cells, width),
        _observations(cells, labels, width),
        _failures(cells),
    ]
    return "\n\n".join(part for part in parts if part)


def _labels(cells: Sequence[Cell]) -> dict[str, str]:
    rows = dict.fromkeys(cell.row for cell in cells)
    names = {cell.row: cell.scenario for cell in cells}
    clashes = Counter(names.values())
    # Two files may hold scenarios of one name; then the node id tells them apart.
    return {row: names[row] if clashes[names[row]] == 1 else row for row in rows}


def _totals(cells: Sequence[Cell], rows: int, columns: int) -> str:
    counts: Counter[str] = Counter(cell.outcome for cell in cells)
    shown = ["pass", "FAIL", *(["ERROR"] if counts["ERROR"] else []), "skip"]
    outcomes = ", ".join(f"{counts[o]} {o}" for o in shown)
    not_run = rows * columns - len(cells)
    rest = f", {not_run} not run" if not_run else ""
    return (
        f"{plural(rows, 'scenario')} x {plural(columns, 'profile')}: {outcomes}{rest}"
    )


def _grid(labels: list[str], profiles: list[str], table: Table, width: int) -> str:
    transposed = [list(column) for column in zip(*table, strict=True)] or [
        [] for _ in profiles
    ]
    lines = _numbered("profile", profiles, labels, transposed, width)
    if all(len(line) <= width for line in lines):
        return "\n".join(lines)
    return "\n".join(_blocks(profiles, labels, transposed, width))


def _table(corner: str, labels: list[str], heads: list[str], table: Table) -> list[str]:
    first = max([len(corner), *map(len, labels)])
    widths = [max(len(head), _CELL) for head in heads]

    def line(label: str, values: list[str]) -> str:
        padded = (value.ljust(w) for value, w in zip(values, widths, strict=True))
        return _GAP.join([label.ljust(first), *padded]).rstrip()

    return [line(corner, heads), *map(line, labels, table)]


def _numbered(
    corner: str, labels: list[str], heads: list[str], table: Table, width: int
) -> list[str]:
    numbers = [str(n) for n in range(1, len(heads) + 1)]
    legend = [f"{n} {head}" for n, head in zip(numbers, heads, strict=True)]
    return [
        *_table(corner, labels, numbers, table),
        "",
        *_wrap("columns:", legend, width),
    ]


def _blocks(labels: list[str], heads: list[str], table: Table, width: int) -> list[str]:
    first = max([len("profile"), *map(len, labels)])
    per_block = max(1, (width - first) // (len(_GAP) + _CELL))
    numbers = [str(n) for n in range(1, len(heads) + 1)]
    lines: list[str] = []
    for start in range(0, len(heads), per_block):
        end = start + per_block
        block = [values[start:end] for values in table]
        lines += [*_table("profile", labels, numbers[start:end], block), ""]
    legend = [f"{n} {head}" for n, head in zip(numbers, heads, strict=True)]
    return [*lines, *_wrap("columns:", legend, width)]


def _wrap(prefix: str, items: list[str], width: int) -> list[str]:
    # textwrap would break "3 android-14-pixel" between number and name.
    indent = " " * (len(prefix) + 1)
    lines, line = [], prefix
    for item in items:
        if line.strip() and len(line) + len(_GAP) + len(item) > width:
            lines.append(line)
            line = indent + item
        else:
            line += (" " if line == prefix else _GAP) + item
    return [*lines, line]


def _skips(cells: Sequence[Cell], width: int) -> str:
    groups: dict[str, list[Cell]] = {}
    for cell in cells:
        if cell.outcome == "skip":
            groups.setdefault(cell.reason or "no reason given", []).append(cell)
    if not groups:
        return ""
    count = sum(len(group) for group in groups.values())
    rows = len({cell.row for cell in cells})
    lines = [f"skipped ({plural(count, 'cell')}):"]
    for reason, group in groups.items():
        lines += _fill(reason, width, "  - ", "    ")
        one = group[0]
        if len(group) > 1 or one.scenario not in reason or one.profile not in reason:
            lines += _fill(f"on {_where(group, rows)}", width, "    ", "      ")
    return "\n".join(lines)


def _where(group: list[Cell], rows: int) -> str:
    """Name a skip group's cells; a profile that skipped every row, by name only."""
    by_profile: dict[str, list[Cell]] = {}
    for cell in group:
        by_profile.setdefault(cell.profile, []).append(cell)
    whole = [p for p, skipped in by_profile.items() if len(skipped) == rows > 1]
    if whole and len(whole) == len(by_profile):
        return f"every scenario of {', '.join(whole)}"
    if len(by_profile) == 1 and len(group) > 1:
        return f"{group[0].profile}: {', '.join(c.scenario for c in group)}"
    return ", ".join(f"{c.scenario}[{c.profile}]" for c in group)


def _fill(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _observations(cells: Sequence[Cell], labels: dict[str, str], width: int) -> str:
    """Say what each check saw, once per distinct text, with where it saw it."""
    seen: dict[str, dict[str, list[str]]] = {}
    ran: Counter[str] = Counter()
    for cell in cells:
        if cell.outcome != "skip":
            ran[cell.row] += 1
        for text in cell.saw:
            seen.setdefault(cell.row, {}).setdefault(text, []).append(cell.profile)
    if not seen:
        return ""
    lines = ["what the checks saw:"]
    for row, texts in seen.items():
        lines.append(f"  {labels.get(row, row)}")
        for text, profiles in texts.items():
            lines += _fill(text, width, "    - ", "      ")
            where = (
                f"on all {len(profiles)} profiles that ran it"
                if len(profiles) == ran[row] and len(profiles) > 1
                else f"on {', '.join(profiles)}"
            )
            lines += _fill(where, width, "      ", "        ")
    return "\n".join(lines)


def _failures(cells: Sequence[Cell]) -> str:
    failed = [c for c in cells if c.outcome in ("FAIL", "ERROR")]
    if not failed:
        return ""
    lines = [f"failed ({plural(len(failed), 'cell')}):"]
    for cell in failed:
        note = "  (ERROR: the scenario raised)"
        lines.append(f"  {cell.nodeid}" + (note if cell.outcome == "ERROR" else ""))
    return "\n".join(lines)
