"""Read the bodies of phone commands: each field checked, every refusal named.

A body is an object of known fields; an unknown field is refused with the
fields the command takes, so a typo never passes silently. :func:`read_body`
is the one parser: before any field is read it refuses, naming the field, a
string anywhere in the body (a push payload's too) that holds a lone UTF-16
surrogate, which no UTF-8 answer could repeat, and a number that is NaN or
infinite, which JSON cannot carry back. :func:`schema` gives the fields' JSON
schema for the OpenAPI document.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .echo import quoted
from .endpoints import Refused, check_values, read_object

Body = dict[str, Any]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def read_body(raw: bytes, what: str) -> Body:
    """Return a command's body: a JSON object of valid text and finite numbers."""
    body = read_object(raw)
    check_values(body, what)
    return body


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


def url_field(body: Body, key: str, what: str) -> str:
    """Return a field holding an absolute URL with a scheme, as a deep link is."""
    url = string_field(body, key, what)
    assert url is not None
    try:
        scheme = urlsplit(url).scheme
    except ValueError as error:
        scheme, why = "", f"it does not parse ({error})"
    else:
        why = "it has no scheme"
    if not scheme:
        raise Refused(
            400,
            "invalid_request",
            f'{what}: "{key}" {quoted(url)} is not a URL the phone can open: '
            f"{why}; send an absolute URL such as shop://cart or "
            "https://shop.example.com/cart.",
        )
    return url


def email_field(body: Body, key: str, what: str) -> str:
    """Return a field holding an email address, trimmed of surrounding spaces."""
    email = string_field(body, key, what)
    assert email is not None
    if not _EMAIL.fullmatch(email.strip()):
        raise Refused(
            400,
            "invalid_request",
            f'{what}: "{key}" {quoted(email)} is not an email address, which is a '
            'name, an "@" and a domain; send one such as "ada@example.com".',
        )
    return email.strip()


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
    """Return how a refusal quotes a value it got, cut short."""
    return "nothing" if value is None else quoted(value)


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
