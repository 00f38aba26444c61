"""The Track API's wire format: bodies, credentials and answers.

Bodies are JSON objects, optionally gzipped (``Content-Encoding: gzip``,
inflated only up to the read limit). v1 documents no request size, so the
emulator reads at most 1 MiB; a bodiless request (a DELETE, a suppress) reads
as ``{}``. JSON that is invalid, nested too deeply, or uses NaN or Infinity is
refused, never raised. Credentials come from Basic auth as ``site_id:api_key``.
The parsers live in :mod:`.v1` and :mod:`.entity`. Nothing here holds state.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..wire.body import InflatesPast, NotGzip, NotJson, gunzip, json_type, load_json
from ..workspace import Command
from .errors import TooLarge, TrackError, Unreadable

V1_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Incoming:
    """One request in wire terms: path parameters, query, body, content type."""

    path: dict[str, str]
    body: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)
    content_type: str = ""


Parser = Callable[[Incoming], Command]


def decode(
    raw: bytes, content_encoding: str | None, limit: int, *, empty: bool = True
) -> dict[str, Any]:
    """Return the body as a JSON object; ``{}`` for no body when ``empty``."""
    encoding = (content_encoding or "").strip().lower()
    if encoding == "gzip":
        try:
            raw = gunzip(raw, limit)
        except NotGzip as error:
            raise Unreadable(
                f"the body is not valid gzip ({error}); send gzip bytes or drop "
                "the Content-Encoding header"
            ) from None
        except InflatesPast as error:
            raise TooLarge(str(error)) from None
    elif encoding not in ("", "identity"):
        raise Unreadable(
            f"Content-Encoding {encoding!r} is not supported; send gzip or a plain body"
        )
    if len(raw) > limit:
        raise TooLarge(f"the body is {len(raw)} bytes; the limit here is {limit}")
    if not raw.strip():
        if empty:
            return {}
        raise Unreadable("the body is empty; send one JSON object")
    try:
        body = load_json(raw)
    except NotJson as error:
        raise Unreadable(
            f"the body is not valid JSON ({error}); send one JSON object"
        ) from None
    if not isinstance(body, dict):
        raise Unreadable(f"the body is a JSON {json_type(body)}; send one JSON object")
    return body


def credentials(authorization: str | None) -> tuple[str, str] | None:
    """Return ``(site_id, api_key)`` from a Basic authorization header."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True)
        site_id, _, api_key = decoded.decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        return None
    return (site_id, api_key) if site_id else None


# -- answers ---------------------------------------------------------------------


def meta_errors(messages: list[str]) -> dict[str, Any]:
    """Return the v1 error shape ``{"meta": {"errors": [...]}}``."""
    return {"meta": {"errors": messages}}


def meta_error(message: str) -> dict[str, Any]:
    """Return the v1 error shape of merge_customers, ``{"meta": {"error": ...}}``."""
    return {"meta": {"error": message}}


def v2_errors(found: list[tuple[int | None, TrackError]]) -> dict[str, Any]:
    """Return the v2 shape; items with an index carry ``batch_index``."""
    errors = []
    for index, error in found:
        item: dict[str, Any] = {} if index is None else {"batch_index": index}
        item |= {"reason": error.reason, "field": error.field, "message": str(error)}
        errors.append(item)
    return {"errors": errors}


def region_body(environment_id: int) -> dict[str, Any]:
    """Return the account region answer: always the US host, as emulated."""
    return {
        "url": "https://track.customer.io",
        "region": "us",
        "environment_id": environment_id,
    }
