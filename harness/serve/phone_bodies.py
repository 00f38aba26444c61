"""Read the bodies of phone commands: each field checked, every refusal named.

A body is an object of known fields; an unknown field is refused with the
fields the command takes, so a typo never passes silently. :func:`schema`
gives the same fields' JSON schema for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from .endpoints import Refused

Body = dict[str, Any]


def check_fields(body: Body, allowed: dict[str, str], what: str) -> None:
    """Refuse a field ``what`` does not take, listing those it takes."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        takes = ", ".join(f'"{k}" ({v})' for k, v in allowed.items()) or "no fields"
        raise Refused(
            400,
            "invalid_request",
            f"{what} takes {takes}; {', '.join(map(repr, unknown))} is not one of "
            "them.",
        )


def string_field(
    body: Body, key: str, what: str, *, required: bool = True
) -> str | None:
    """Return a non-empty string field; None for an optional one left out."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise Refused(
            400,
            "invalid_request",
            f'{what} needs "{key}", a non-empty string; got {shown(value)}.',
        )
    return value


def choice_field(body: Body, key: str, choices: tuple[str, ...], what: str) -> str:
    """Return a field that must be one of ``choices``."""
    value = body.get(key)
    if value not in choices:
        raise Refused(
            400,
            "invalid_request",
            f'{what} needs "{key}", one of {", ".join(map(repr, choices))}; got '
            f"{shown(value)}.",
        )
    return str(value)


def bool_field(body: Body, key: str, what: str, default: bool | None = None) -> bool:
    """Return a true-or-false field, ``default`` when left out (None: required)."""
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise Refused(
            400,
            "invalid_request",
            f'{what} needs "{key}", true or false; got {shown(value)}.',
        )
    return value


def count_field(body: Body, key: str, what: str) -> int | None:
    """Return an optional whole number from 1 to 99 (a quantity)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 99:
        raise Refused(
            400,
            "invalid_request",
            f'{what}: "{key}" is a whole number from 1 to 99; got {shown(value)}.',
        )
    return value


def shown(value: object) -> str:
    """Return how a refusal quotes a value it got."""
    return "nothing" if value is None else repr(value)


SCHEMAS: dict[str, dict[str, Any]] = {
    "profile": {"type": "string", "minLength": 1},
    "workspace": {"type": "string", "minLength": 1},
    "name": {"type": "string", "minLength": 1},
    "answers_prompt": {"enum": ["allow", "deny", "dismiss"]},
    "app": {"type": "string", "minLength": 1},
    "grant_permissions": {"type": "boolean"},
    "bundle_id": {"type": "string", "minLength": 1},
    "seconds": {"type": "number"},
    "notifications": {"enum": ["grant", "revoke"]},
    "action": {"enum": ["accept", "dismiss"]},
    "payload": {"type": "object"},
    "online": {"type": "boolean"},
    "url": {"type": "string", "minLength": 1},
    "notification": {"type": ["string", "integer"]},
    "email": {"type": "string", "minLength": 1},
    "password": {"type": "string"},
    "sku": {"type": "string", "minLength": 1},
    "qty": {"type": "integer", "minimum": 1, "maximum": 99},
}


def schema(taken: dict[str, str], required: list[str]) -> dict[str, Any]:
    """Return the JSON schema of a body of ``taken`` fields, ``required`` among them."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": {
            name: {**SCHEMAS[name], "description": about}
            for name, about in taken.items()
        },
    }
