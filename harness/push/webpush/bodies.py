"""How each vendor's push service words a refusal: status, headers and body.

Part of the wire layer. One reason (``Rejected.reason``) stands for one rule on
every vendor; the status and body follow the vendor:

- Chrome (fcm.googleapis.com) answers in plain text, one line.
- Firefox (autopush) answers JSON ``{code, errno, error, message, more_info}``
  with autopush's errno (:data:`ERRNO`), ``Cache-Control: max-age=86400`` on a
  410, and 401 (errno 109) for every VAPID problem, where the RFC says 403.
- Safari (web.push.apple.com) answers JSON ``{"reason": ...}`` and 403
  ``BadJwtToken`` for a missing VAPID too. Apple documents only
  ``BadJwtToken``; the emulator uses APNs' names where APNs has the case
  (:data:`APPLE_REASON`) and the rule's own name otherwise: a named policy.

``TooManyRequests`` and ``ServiceUnavailable`` carry ``Retry-After``. With
``expired_as_not_found`` a dead subscription is 404, as RFC 8030 section 7.3
has it, instead of the vendors' 410. The message texts are the emulator's own:
each names the culprit, the rule and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from harness.push.webpush.errors import Rejected
from harness.push.webpush.model import CHROME, FIREFOX, SAFARI
from harness.wire.asgi import Reply, unmatched_text

STATUS = {
    "BadTtl": 400,
    "BadUrgency": 400,
    "BadTopic": 400,
    "BadContentEncoding": 400,
    "BadEncryptionHeaders": 400,
    "MissingAuthorization": 401,
    "BadJwtToken": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "Unsubscribed": 410,
    "PayloadTooLarge": 413,
    "TooManyRequests": 429,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
}
ERRNO = {
    "NotFound": 102,
    "PayloadTooLarge": 104,
    "Unsubscribed": 106,
    "MissingAuthorization": 109,
    "BadJwtToken": 109,
    "BadContentEncoding": 110,
    "BadEncryptionHeaders": 110,
    "BadTtl": 111,
    "BadTopic": 113,
}
APPLE_REASON = {
    "MissingAuthorization": "BadJwtToken",
    "Unsubscribed": "Unregistered",
}
PHRASES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
MORE_INFO = "http://autopush.readthedocs.io/en/latest/http.html#error-codes"

Unmatched = Callable[[str, str, int, list[str]], Reply]


def status(origin: str, reason: str, expired_as_not_found: bool = False) -> int:
    """Return the status ``origin``'s service answers for ``reason``."""
    if reason == "Unsubscribed" and expired_as_not_found:
        return 404
    if origin == FIREFOX and reason == "BadJwtToken":
        return 401
    if origin == SAFARI and reason == "MissingAuthorization":
        return 403
    return STATUS[reason]


def refusal(origin: str, error: Rejected, expired_as_not_found: bool) -> Reply:
    """Return ``origin``'s answer to a message refused for ``error.reason``."""
    code = status(origin, error.reason, expired_as_not_found)
    headers = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(error.retry_after)
    return _worded(origin, code, error.reason, error.detail, headers)


def unmatched(
    origin: str, method: str, path: str, code: int, nearest: list[str]
) -> Reply:
    """Answer ``method path``, which no route of ``origin``'s service serves."""
    reason = "MethodNotAllowed" if code == 405 else "NotFound"
    message = unmatched_text(method, path, "web push", nearest)
    reply = _worded(origin, code, reason, message, {})
    if origin != SAFARI:
        return reply
    # Real Safari bodies hold only the reason; an unmatched path also says why.
    body = json.dumps({"reason": reason, "message": message}).encode()
    return Reply(code, reply.headers, body)


def unmatched_for(origin: str) -> Unmatched:
    """Return the unmatched-request answer of ``origin``'s service."""

    def answer(method: str, path: str, code: int, nearest: list[str]) -> Reply:
        return unmatched(origin, method, path, code, nearest)

    return answer


def _worded(
    origin: str, code: int, reason: str, detail: str, headers: dict[str, str]
) -> Reply:
    if origin == CHROME:
        headers["content-type"] = "text/plain; charset=utf-8"
        return Reply(code, headers, f"{detail}\n".encode())
    headers["content-type"] = "application/json"
    if origin == FIREFOX:
        if code == 410:
            headers["cache-control"] = "max-age=86400"
        document: dict[str, object] = {
            "code": code,
            "errno": ERRNO.get(reason),
            "error": PHRASES[code],
            "message": detail,
            "more_info": MORE_INFO,
        }
    else:
        document = {"reason": APPLE_REASON.get(reason, reason)}
    return Reply(code, headers, json.dumps(document).encode())
