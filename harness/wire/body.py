"""Request bodies read as JSON so that no body, however hostile, crashes a service.

Every emulated API reads its JSON bodies here. Named policy: a body may nest at
most :data:`MAX_DEPTH` arrays and objects. No real payload needs more, and the
limit keeps every later walk of the
document (``json.dumps``, ``repr``) far from Python's recursion limit, which
the parser itself hits near depth 1000.
"""

from __future__ import annotations

import json
import re
import zlib
from itertools import accumulate
from typing import NoReturn

from harness.errors import HarnessError

MAX_DEPTH = 100


class NotJson(HarnessError, ValueError):
    """Raised when a request body is not UTF-8 JSON an emulated API reads.

    The message says why: a syntax error, bytes that are not UTF-8, nesting
    deeper than the limit, or a string no UTF-8 text can carry.
    """


_SURROGATE = re.compile("[\ud800-\udfff]")
# A \\u escape of a surrogate code point, the only way one reaches the text.
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def load_json(body: bytes) -> object:
    """Parse ``body`` as UTF-8 JSON, or raise :class:`NotJson` saying why.

    Beyond syntax errors this refuses what Python's parser takes but JSON does
    not (``NaN``, ``Infinity``, byte order marks, UTF-16 bodies) and strings
    holding an unpaired surrogate escape such as ``"\\ud800"``.
    """
    try:
        text = body.decode("utf-8")
        document = json.loads(text, parse_constant=_constant)
    except RecursionError:
        raise NotJson(f"it nests too deeply, past {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise NotJson(str(error)) from None
    # Strict UTF-8 never decodes a surrogate, so only an escape can make one;
    # fewer brackets than the limit cannot nest past it. Most bodies skip both.
    if _ESCAPE.search(text):
        _check_strings(document)
    if text.count("{") + text.count("[") > MAX_DEPTH and _deepest(text) > MAX_DEPTH:
        raise NotJson(f"it nests too deeply, past {MAX_DEPTH} levels")
    return document


def _constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON value")


def _check_strings(document: object) -> None:
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and _SURROGATE.search(value):
            raise NotJson(
                f"the string {value[:24]!r} holds an unpaired UTF-16 surrogate, "
                "which UTF-8 text cannot carry"
            )
        if isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _deepest(text: str) -> int:
    """Return how deep the brackets of valid JSON ``text`` nest, at C speed.

    Strings go first (they may hold brackets), then everything but brackets;
    a running sum of +1 and -1 over what is left peaks at the depth.
    """
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class NotGzip(HarnessError, ValueError):
    """Raised when a body sent as gzip does not inflate; says zlib's reason."""


class InflatesPast(HarnessError, ValueError):
    """Raised when a gzip body would inflate past the caller's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the gzip body inflates past {limit} bytes, the limit here")
        self.limit = limit


def gunzip(raw: bytes, limit: int) -> bytes:
    """Inflate a gzip body, never past ``limit`` bytes, so a bomb stays small."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        plain = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise NotGzip(str(error)) from None
    if len(plain) > limit or inflater.unconsumed_tail:
        raise InflatesPast(limit)
    return plain


def json_type(value: object) -> str:
    """Name a decoded JSON value's type the way JSON does (object, array, ...)."""
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    names = {str: "string", int: "number", float: "number", list: "array"}
    return names.get(type(value), "object")
