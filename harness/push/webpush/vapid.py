"""VAPID (RFC 8292) as each push service checks it: the token, the key, the claims.

Both schemes are read: ``Authorization: vapid t=<JWT>, k=<key>`` (RFC 8292) and
the draft ``Authorization: WebPush <JWT>`` with the key in ``Crypto-Key:
p256ecdsa=<key>`` (py-vapid's ``Vapid01``). Every subscription here is
restricted to the ``applicationServerKey`` it was made with, so a message
without VAPID is refused, and so is one whose key is another.

The RFC only asks for a ``sub`` claim; each subscription says how strictly its
service checks it (:data:`SUBJECT_RULES`): Chrome does not, Mozilla's autopush
needs one of some kind, Apple needs a ``mailto:`` or ``https:`` contact and
refuses ``mailto:`` addresses at ``localhost`` (reported by senders, not
documented by Apple: a named policy).

Time claims are checked against the harness clock, never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import jwt

from harness.push import _b64, _numbers
from harness.push.webpush.errors import Rejected

MAX_LIFETIME = timedelta(hours=24)
SCHEMES = ("vapid", "webpush")
SUBJECT_RULES = ("unchecked", "required", "contact")
# Where each scheme carries the token and the key.
_PLACES = {
    "vapid": ("t=<JWT>", "k=<public key>"),
    "webpush": ("the JWT after the scheme", "Crypto-Key: p256ecdsa=<public key>"),
}
_UNTIMED: jwt.types.Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "require": ["exp"],
}


@dataclass(frozen=True)
class VapidAuth:
    """The VAPID a request carries: its scheme, token and public key.

    ``key`` comes from ``k=`` in the ``vapid`` scheme, or from ``Crypto-Key:
    p256ecdsa=`` in the draft ``WebPush`` scheme.
    """

    scheme: str
    token: str | None
    key: str | None


@dataclass(frozen=True)
class Restriction:
    """What a subscription holds a sender to.

    ``audience`` is the origin of its endpoint, ``server_key`` the raw
    ``applicationServerKey``, ``subject`` one of :data:`SUBJECT_RULES`.
    """

    audience: str
    server_key: bytes
    subject: str


def check(auth: VapidAuth | None, restriction: Restriction, now: datetime) -> None:
    """Raise :class:`Rejected` unless ``auth`` may send to the subscription."""
    if auth is None or auth.scheme not in SCHEMES:
        shown = "no Authorization" if auth is None else f"scheme {auth.scheme!r}"
        raise Rejected(
            "MissingAuthorization",
            f"the subscription is restricted to a VAPID key and the request has "
            f"{shown}; send 'Authorization: vapid t=<JWT>, k=<public key>'.",
        )
    if not auth.token or not auth.key:
        token, key = _PLACES[auth.scheme]
        missing = token if not auth.token else key
        _refuse(
            f"the {auth.scheme} authorization lacks {missing}; send {token} and {key}."
        )
    claims = _verified(auth.token, auth.key)
    if _b64.decode(auth.key) != restriction.server_key:
        _refuse(
            "the key is not the applicationServerKey the subscription was made with."
        )
    _check_claims(claims, restriction, now)


def _verified(token: str, key: str) -> dict[str, object]:
    try:
        public = _b64.load_point(key)
        claims: dict[str, object] = jwt.decode(
            token, public, algorithms=["ES256"], options=_UNTIMED
        )
    except (ValueError, jwt.PyJWTError) as error:
        _refuse(f"the VAPID token does not verify with its key ({error}).")
    return claims


def _check_claims(
    claims: dict[str, object], restriction: Restriction, now: datetime
) -> None:
    aud = claims.get("aud")
    if aud != restriction.audience:
        _refuse(
            f"aud {aud!r} is not the origin of the push endpoint, "
            f"{restriction.audience}; sign the endpoint's scheme, host and port."
        )
    _check_expiry(claims["exp"], now)
    _check_subject(claims.get("sub"), restriction.subject)


def _check_expiry(exp: object, now: datetime) -> None:
    expires = _numbers.seconds(exp)
    if expires is None:
        _refuse(f"exp {exp!r} is not a Unix time in seconds.")
    if expires <= now.timestamp():
        _refuse(f"exp {exp!r} is not after {now}; sign a token that is still valid.")
    if expires > (now + MAX_LIFETIME).timestamp():
        _refuse(
            f"exp {exp!r} is more than 24 hours after {now}; RFC 8292 allows at "
            "most 24 hours."
        )


def _check_subject(sub: object, rule: str) -> None:
    if rule == "required" and not isinstance(sub, str):
        _refuse("the token has no sub claim; add a mailto: or https: contact.")
    if rule != "contact":
        return
    text = sub if isinstance(sub, str) else ""
    if not text.startswith(("mailto:", "https:")):
        _refuse(f"sub {sub!r} is not a mailto: or https: contact.")
    if text.startswith("mailto:") and text.lower().endswith("@localhost"):
        _refuse(f"sub {sub!r} is an address at localhost; give a reachable contact.")


def _refuse(detail: str) -> NoReturn:
    raise Rejected("BadJwtToken", detail)
