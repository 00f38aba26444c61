"""Provider tokens of the emulated APNs: signing keys, JWT checks, connections.

Apple's "Establishing a token-based connection to APNs" sets the rules:
a token older than an hour is ``ExpiredProviderToken``; the first push binds a
team and its key to the connection; a new token more often than every 20
minutes on one connection is ``429 TooManyProviderTokenUpdates``. A key is
team-scoped (any topic of its team) or topic-specific (the bundle ids it
lists, with every push-type suffix).

A connection is what the request arrived on: the served emulator names it by
the client's address and port (one per TCP connection; HTTP/2 streams share
it). The in-process transport has no connections, so there each team holds
one connection per environment, as a provider keeps a pool per team.

Named policies where Apple gives no reason or number:

- a token whose ``iat`` lies more than :data:`PROVIDER_TOKEN_SKEW` ahead of the
  clock is ``InvalidProviderToken``; Pushy's mock checks only the past;
- another team's token on a connection bound to a team is
  ``InvalidProviderToken``, as Pushy's mock answers;
- a key that may not sign on the connection (a topic-specific key after
  another key, or any other key after a topic-specific one) is
  ``UnrelatedKeyIdInToken``, Apple's reason for a key unrelated to the
  first push's key; related topic keys are not modelled;
- a key not allowed for the topic is ``InvalidProviderToken``, as Pushy answers;
- a token is new when its key id, team or ``iat`` differs: signing the same
  claims again (ES256 signatures differ each time) is the same token;
- the served emulator remembers the last :data:`MAX_CONNECTIONS` connections;
  an older one is treated as new, as is a closed connection's port reused.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from harness.clock import Clock
from harness.push import _numbers
from harness.push.apns.errors import BadSetup, Rejected

ENVIRONMENTS = ("sandbox", "production")
PROVIDER_TOKEN_LIFETIME = timedelta(hours=1)
PROVIDER_TOKEN_SKEW = timedelta(minutes=5)
TOKEN_UPDATE_INTERVAL = timedelta(minutes=20)
MAX_CONNECTIONS = 1024
VERIFIED_KEPT = 256  # verified tokens remembered, so a repeat skips ES256
# Time claims are checked against the harness clock, never the wall clock.
_UNTIMED: jwt.types.Options = {
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "require": ["iat"],
}


@dataclass(frozen=True)
class Key:
    """A signing key APNs trusts; ``topics`` is None for a team-scoped key."""

    key_id: str
    team_id: str
    public_key: ec.EllipticCurvePublicKey
    environment: str
    topics: frozenset[str] | None = None

    def allows(self, bundle_id: str) -> bool:
        """Tell whether this key may sign pushes for ``bundle_id``."""
        return self.topics is None or bundle_id in self.topics


@dataclass
class _Connection:
    team_id: str
    first: Key
    token: tuple[str, str, object]
    since: datetime


class Authenticator:
    """Check provider tokens against the keys and each connection's history."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._keys: dict[str, Key] = {}
        # Tokens already verified, with the key they verified against: a client
        # signs one token an hour and sends it with every push.
        self._verified: dict[str, tuple[Key, dict[str, Any]]] = {}
        self._connections: OrderedDict[str, _Connection] = OrderedDict()

    def register(
        self,
        key_id: str,
        team_id: str,
        public_key_pem: str,
        environment: str = "both",
        topics: Iterable[str] | None = None,
    ) -> None:
        """Trust a key for sandbox, production or both; ``topics`` makes it specific."""
        if environment not in (*ENVIRONMENTS, "both"):
            raise BadSetup(
                f"APNs key {key_id} has environment {environment!r}; use "
                "'sandbox', 'production' or 'both'."
            )
        public_key = load_pem_public_key(public_key_pem.encode())
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise BadSetup(
                f"APNs key {key_id} is not an elliptic-curve key; APNs signing "
                "keys are P-256 keys used with ES256."
            )
        listed = None if topics is None else frozenset(topics)
        if listed is not None and not listed:
            raise BadSetup(
                f"APNs key {key_id} lists no topics; give the bundle ids it may "
                "sign for, or topics=None for a team-scoped key."
            )
        self._keys[key_id] = Key(key_id, team_id, public_key, environment, listed)

    def check(
        self,
        authorization: str | None,
        environment: str,
        bundle_id: str,
        connection: str | None,
    ) -> Key:
        """Return the key that signed ``authorization``, or raise :class:`Rejected`.

        ``bundle_id`` is the topic without its push-type suffix; ``connection``
        names the client connection, None in process.
        """
        if authorization is None:
            raise Rejected(
                "MissingProviderToken",
                "no 'authorization: bearer <JWT>' header; sign a provider token "
                "with the team's APNs key.",
            )
        key, iat = self._verify(authorization)
        if key.environment not in (environment, "both"):
            raise Rejected(
                "BadEnvironmentKeyInToken",
                f"key {key.key_id} is restricted to {key.environment}; it cannot "
                f"sign for {environment}.",
            )
        if not key.allows(bundle_id):
            raise Rejected(
                "InvalidProviderToken",
                f"key {key.key_id} may sign only for {sorted(key.topics or ())}, "
                f"not for {bundle_id}; sign with a key for that topic.",
            )
        name = connection or f"in-process {environment} {key.team_id}"
        self._bind(name, key, (key.key_id, key.team_id, iat))
        return key

    def forget_connections(self) -> None:
        """Forget every connection, as if each client had reconnected."""
        self._connections.clear()

    def _verify(self, token: str) -> tuple[Key, object]:
        cached = self._verified.get(token)
        if cached is not None and self._keys.get(cached[0].key_id) is cached[0]:
            key, claims = cached  # the same bytes against the same key verify again
        else:
            key, claims = self._verify_signature(token)
        self._check_issued(claims["iat"])
        return key, claims["iat"]

    def _verify_signature(self, token: str) -> tuple[Key, dict[str, Any]]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys[str(kid)]
            claims = jwt.decode(
                token, key.public_key, algorithms=["ES256"], options=_UNTIMED
            )
        except (jwt.PyJWTError, KeyError) as error:
            raise Rejected(
                "InvalidProviderToken",
                f"the provider token does not verify ({type(error).__name__}: "
                f"{error}); sign ES256 with a registered key id in 'kid'.",
            ) from error
        if claims.get("iss") != key.team_id:
            raise Rejected(
                "InvalidProviderToken",
                f"the token's iss {claims.get('iss')!r} is not team {key.team_id} "
                f"that owns key {key.key_id}.",
            )
        if len(self._verified) >= VERIFIED_KEPT:
            self._verified.clear()
        self._verified[token] = (key, claims)
        return key, claims

    def _check_issued(self, iat: object) -> None:
        issued = _numbers.seconds(iat)
        now = self._clock.now()
        if issued is None:
            raise Rejected(
                "InvalidProviderToken",
                f"the token's iat {iat!r} is not a Unix time in seconds; sign "
                "with the current time.",
            )
        if issued > (now + PROVIDER_TOKEN_SKEW).timestamp():
            raise Rejected(
                "InvalidProviderToken",
                f"the token's iat {iat!r} lies more than {PROVIDER_TOKEN_SKEW} "
                f"ahead of {now}; sign with the current time.",
            )
        if issued < (now - PROVIDER_TOKEN_LIFETIME).timestamp():
            raise Rejected(
                "ExpiredProviderToken",
                f"the token's iat {iat!r} is over an hour before {now}; sign a "
                "new provider token at least every hour.",
            )

    def _bind(self, name: str, key: Key, token: tuple[str, str, object]) -> None:
        now = self._clock.now()
        bound = self._connections.get(name)
        if bound is None:
            self._connections[name] = _Connection(key.team_id, key, token, now)
            while len(self._connections) > MAX_CONNECTIONS:
                self._connections.popitem(last=False)
            return
        self._connections.move_to_end(name)
        _check_same_team(name, bound, key)
        _check_related(name, bound, key)
        if token == bound.token:
            return
        if now - bound.since < TOKEN_UPDATE_INTERVAL:
            raise Rejected(
                "TooManyProviderTokenUpdates",
                f"connection {name} got a new provider token {now - bound.since} "
                f"after the last; keep each token for at least "
                f"{TOKEN_UPDATE_INTERVAL} (and at most an hour).",
            )
        bound.token, bound.since = token, now


def _check_same_team(name: str, bound: _Connection, key: Key) -> None:
    if key.team_id != bound.team_id:
        raise Rejected(
            "InvalidProviderToken",
            f"connection {name} belongs to team {bound.team_id}; a token of team "
            f"{key.team_id} needs a connection of its own.",
        )


def _check_related(name: str, bound: _Connection, key: Key) -> None:
    first = bound.first
    if key.key_id == first.key_id:
        return
    if first.topics is None and key.topics is None:
        return
    kind = "topic-specific" if first.topics is not None else "team-scoped"
    raise Rejected(
        "UnrelatedKeyIdInToken",
        f"connection {name} began with {kind} key {first.key_id}; key "
        f"{key.key_id} may not sign on it. Open a new connection for that key.",
    )
