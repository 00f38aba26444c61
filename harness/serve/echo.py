"""How messages repeat what a client sent: short, whatever was sent.

A refusal names its culprit, but a 5000-character path or a 60 KB value
repeated whole buries the rule and the fix; :func:`cut` keeps the first
:data:`ECHO_LIMIT` characters and says how long the whole was, and
:func:`listing` names the first :data:`LIST_LIMIT` of a long list.
"""

from __future__ import annotations

ECHO_LIMIT = 200  # characters of a path or value a message repeats
LIST_LIMIT = 10  # names a message lists before it says how many more


def cut(text: str, limit: int = ECHO_LIMIT) -> str:
    """Return ``text`` as a message repeats it: at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def quoted(value: object) -> str:
    """Return how a message quotes a value it got: its repr, cut short."""
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        return f"{value[:ECHO_LIMIT]!r}... ({len(value)} characters)"
    return cut(repr(value))


def listing(names: list[str], limit: int = LIST_LIMIT) -> str:
    """Return ``names`` as a message lists them: the first ``limit``, and a count."""
    shown = ", ".join(names[:limit])
    more = len(names) - limit
    return f"{shown} and {more} more" if more > 0 else shown
