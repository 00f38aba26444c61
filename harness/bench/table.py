"""The report ``harness bench`` prints: one table, the machine and versions above.

Each row is a figure's median with its unit, how many runs it is the median
of and their range, the target and the verdict; a figure's note follows on
its own line. A family that could not run shows why in place of its rows.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from .figures import Figure, Section

__all__ = ["render"]

WIDTH = 88
COLUMNS = (44, 16, 22, 14)  # figure, median, runs (range), target; then verdict


def render(sections: Sequence[Section], title: str, machine: str, versions: str) -> str:
    """Return the whole report as text."""
    lines = [title]
    lines += _labelled("machine", machine)
    lines += _labelled("versions", versions)
    lines.append("every figure is the median of its runs; targets from issue 8")
    lines.append("")
    lines.append(_row("figure", "median", "runs (range)", "target", "verdict"))
    for section in sections:
        lines.append(section.title)
        if section.failure is not None:
            lines += textwrap.wrap(
                f"not measured: {section.failure}",
                WIDTH,
                initial_indent="  ",
                subsequent_indent="    ",
            )
        lines += [line for figure in section.figures for line in _figure(figure)]
    return "\n".join(line.rstrip() for line in lines)


def _labelled(label: str, text: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=f"{label:<10}", subsequent_indent=" " * 10
    )


def _figure(figure: Figure) -> list[str]:
    label = f"  {figure.label}"
    value = figure.value
    if value is None:
        shown = [_row(label, "-", "-", _target(figure), figure.verdict)]
    else:
        median = f"{number(value, figure.digits)} {figure.unit}".rstrip()
        shown = [_row(label, median, _runs(figure), _target(figure), figure.verdict)]
    if figure.note:
        shown += textwrap.wrap(
            figure.note, WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    return shown


def _row(*cells: str) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, COLUMNS, strict=False)]
    return " ".join(padded + list(cells[len(COLUMNS) :]))


def _runs(figure: Figure) -> str:
    runs = figure.runs
    if len(runs) == 1:
        return "1"
    low, high = min(runs), max(runs)
    return f"{len(runs)} ({number(low, figure.digits)}-{number(high, figure.digits)})"


def _target(figure: Figure) -> str:
    return figure.target.text if figure.target else ""


def number(value: float, digits: int = 0) -> str:
    """Return ``value`` with thousands separated and ``digits`` decimals."""
    return f"{value:,.{digits}f}"
