"""Placeholders in action maps: plain ``{name}`` fields, checked, then filled.

A step's text or locator value, and the map's ``push_link``, may hold
placeholders such as ``{email}`` or ``{sku}``, filled from the call at run
time. Only a plain name from the action's own set is taken. A conversion
(``{email!r}``), a format spec (``{qty:d}``), a nested field (``{sku:{email}}``)
or a lookup (``{email.upper}``) is refused: ``str.format`` would run it, and
a spec such as ``{payload:>99999999}`` pads the text to a hundred megabytes.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterator, Mapping

__all__ = [
    "PLACEHOLDERS",
    "fields",
    "placeholder_problems",
    "render",
    "scan_action_map",
]

_SHOPPER = ("email", "password", "user_id", "first_name", "last_name")
_PRODUCT = ("sku", "qty")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "log_in": _SHOPPER,
    "create_account": _SHOPPER,
    "open_order_tracking": _SHOPPER,
    "log_out": (),
    "request_permission": (),
    "view": ("sku",),
    "add_to_cart": _PRODUCT,
    "start_checkout": _PRODUCT,
    "complete_order": _PRODUCT,
}
_TEXT_KEYS = ("value", "text")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _parsed(text: str) -> Iterator[tuple[str, str | None, str, str | None]]:
    """Yield (literal, name, spec, conversion); a malformed text raises ValueError."""
    for literal, name, spec, conversion in string.Formatter().parse(text):
        yield literal, name, spec or "", conversion


def fields(text: str) -> list[str]:
    """Return the placeholder names in ``text``; a malformed one raises ValueError."""
    return [name for _, name, _, _ in _parsed(text) if name is not None]


def placeholder_problems(text: str, allowed: tuple[str, ...], owner: str) -> list[str]:
    """Say what is wrong with each placeholder of ``text``; empty if nothing is.

    ``allowed`` is the names ``owner`` (an action, or push_link) fills in.
    """
    try:
        parsed = list(_parsed(text))
    except ValueError as error:
        return [
            f"{text!r} is malformed ({error}); write a placeholder as {{email}} "
            "and a brace as {{ or }}"
        ]
    problems = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        base = re.split(r"[.\[]", name, maxsplit=1)[0].strip()
        shown = "{" + name + (f"!{conversion}" if conversion else "")
        shown += (f":{spec}" if spec else "") + "}"
        if base not in allowed or not _NAME.fullmatch(base):
            problems.append(_unknown(shown, base, allowed, owner))
        elif shown != f"{{{base}}}":
            problems.append(
                f"{shown} is not a plain placeholder; write {{{base}}}; conversions, "
                "format specs and lookups are not supported"
            )
    return problems


def _unknown(shown: str, name: str, allowed: tuple[str, ...], owner: str) -> str:
    if not allowed:
        return f"{shown} is not a placeholder; {owner} takes none"
    close = difflib.get_close_matches(name, allowed, n=1)
    guess = f" (did you mean {{{close[0]}}}?)" if close else ""
    listed = ", ".join(f"{{{n}}}" for n in allowed)
    return f"{shown} is not a placeholder of {owner}; use {listed}{guess}"


def render(text: str, values: Mapping[str, str]) -> str:
    """Return ``text`` with its plain placeholders replaced by ``values``.

    Raises ValueError for anything but a plain name it has a value for; the
    loaders refuse those, so only a map built by hand can get here.
    """
    out = []
    for literal, name, spec, conversion in _parsed(text):
        out.append(literal)
        if name is None:
            continue
        if spec or conversion or name not in values:
            raise ValueError(
                f"{text!r}: {{{name}}} cannot be filled; placeholders are plain "
                f"names of {', '.join(values) or 'nothing here'}"
            )
        out.append(values[name])
    return "".join(out)


def scan_action_map(data: object) -> list[tuple[str, str]]:
    """Return (key.path, message) for each bad placeholder in a raw action map.

    Reads the YAML document as it is, so placeholder problems are reported
    beside a file's other problems even where a step fails to parse.
    """
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, dict):
        return []
    found: list[tuple[str, str]] = []
    for action, platforms in actions.items():
        if action not in PLACEHOLDERS or not isinstance(platforms, dict):
            continue
        for platform, steps in platforms.items():
            if not isinstance(steps, list):
                continue
            for index, step in enumerate(steps):
                where = f"actions.{action}.{platform}.{index}"
                found += _step_problems(action, step, where)
    return found


def _step_problems(action: str, step: object, where: str) -> list[tuple[str, str]]:
    if not isinstance(step, dict) or len(step) != 1:
        return []
    [(kind, body)] = step.items()
    if not isinstance(body, dict):
        return []
    return [
        (f"{where}.{kind}.{key}", message)
        for key in _TEXT_KEYS
        if isinstance(body.get(key), str)
        for message in placeholder_problems(body[key], PLACEHOLDERS[action], action)
    ]
