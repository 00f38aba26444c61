"""Render a person's timeline: what every layer did, in order, in plain words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .journal import Entry


def render(entries: Iterable[Entry], start: datetime, header: list[str]) -> str:
    """Return the header, then one line per entry stamped relative to ``start``."""
    lines = list(header)
    for entry in entries:
        lines.append(f"  {offset(entry.at, start)}  {entry.layer:<9} {entry.text}")
    return "\n".join(lines)


def offset(at: datetime, start: datetime) -> str:
    """Return ``at`` as ``+HH:MM:SS`` since ``start``."""
    seconds = int((at - start).total_seconds())
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{secs:02d}"
