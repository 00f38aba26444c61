"""Numbers read from headers and JWT claims strictly, so no value crashes a service.

Python's ``int()`` takes signs, underscores, surrounding spaces and non-ASCII
digits (``int("1_0")``, ``int("٣")``); ``datetime.fromtimestamp`` overflows past
year 9999. A push service's headers take ASCII digits only, and its claims are
compared as numbers, never turned into datetimes first.
"""

from __future__ import annotations

import math
import re

_DIGITS = re.compile(r"[0-9]+")


def digits(text: str, cap: int) -> int | None:
    """Read ASCII decimal digits as a number no greater than ``cap``.

    Return None when ``text`` holds anything but digits (spaces and tabs around
    them aside). A longer number than ``cap`` is read as ``cap`` without
    converting it, so a value of thousands of digits costs nothing.
    """
    text = text.strip(" \t")
    if not _DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(cap)):
        return cap
    return min(int(significant), cap)


def seconds(value: object) -> int | float | None:
    """Return a JWT time claim (Unix seconds), or None if it is not a finite number.

    The result may be far outside any datetime; compare it, do no arithmetic on it.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
