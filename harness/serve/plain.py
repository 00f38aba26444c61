"""Turn the emulator's records into values JSON can hold."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any


def plain(value: Any) -> Any:
    """Return ``value`` as dicts, lists, strings, numbers, booleans and None.

    Records become dicts of their fields, instants ISO 8601 strings in UTC with a
    ``Z``, durations seconds; anything else unknown becomes its ``str``.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return str(value)
