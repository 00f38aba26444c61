"""Model tests of APNs provider tokens: keys, JWT checks and each connection's rules."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.clock import Clock
from harness.push.apns.auth import MAX_CONNECTIONS, Authenticator
from harness.push.apns.errors import BadSetup, Rejected

BUNDLE = "com.example.shop"


@dataclass
class Signer:
    """A signing key of one team, registered with the authenticator."""

    key_id: str
    team_id: str
    key: ec.EllipticCurvePrivateKey

    def token(self, iat: int) -> str:
        claims = {"iss": self.team_id, "iat": iat}
        return jwt.encode(claims, self.key, "ES256", {"kid": self.key_id})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(clock: Clock) -> Authenticator:
    return Authenticator(clock)


def signer(
    auth: Authenticator, key_id: str, team_id: str = "TEAM000001", **options: object
) -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    auth.register(key_id, team_id, pem.decode(), **options)  # type: ignore[arg-type]
    return Signer(key_id, team_id, key)


def reason(auth: Authenticator, token: str, connection: str = "c1") -> str | None:
    """Return the reason APNs refuses ``token`` with, or None if it passes."""
    try:
        auth.check(token, "production", BUNDLE, connection)
    except Rejected as error:
        return error.reason
    return None


def test_first_push_binds_the_team_and_another_teams_token_is_invalid(
    auth: Authenticator, clock: Clock
) -> None:
    ours, theirs = signer(auth, "KEY0000001"), signer(auth, "KEY0000002", "TEAM000002")
    now = clock.timestamp()

    assert reason(auth, ours.token(now)) is None
    assert reason(auth, theirs.token(now)) == "InvalidProviderToken"
    assert reason(auth, theirs.token(now), connection="c2") is None


def test_a_new_token_within_20_minutes_is_too_many_updates(
    auth: Authenticator, clock: Clock
) -> None:
    ours = signer(auth, "KEY0000001")
    first = clock.timestamp()
    assert reason(auth, ours.token(first)) is None

    clock.advance(minutes=19, seconds=59)
    early = reason(auth, ours.token(clock.timestamp()))
    clock.advance(seconds=1)
    on_time = reason(auth, ours.token(clock.timestamp()))

    assert (early, on_time) == ("TooManyProviderTokenUpdates", None)


def test_signing_the_same_claims_again_is_the_same_token(
    auth: Authenticator, clock: Clock
) -> None:
    ours = signer(auth, "KEY0000001")
    now = clock.timestamp()
    first, again = ours.token(now), ours.token(now)

    assert first != again  # ES256 signatures differ each time
    assert [reason(auth, first), reason(auth, again)] == [None, None]


def test_a_refused_token_binds_nothing(auth: Authenticator, clock: Clock) -> None:
    ours, theirs = signer(auth, "KEY0000001"), signer(auth, "KEY0000002", "TEAM000002")
    stale = ours.token(clock.timestamp() - 3601)

    assert reason(auth, stale) == "ExpiredProviderToken"
    assert reason(auth, theirs.token(clock.timestamp())) is None


def test_each_connection_counts_its_own_updates(
    auth: Authenticator, clock: Clock
) -> None:
    ours = signer(auth, "KEY0000001")
    reason(auth, ours.token(clock.timestamp()), "c1")
    clock.advance(minutes=5)

    assert reason(auth, ours.token(clock.timestamp()), "c2") is None
    assert reason(auth, ours.token(clock.timestamp()), "c1") == (
        "TooManyProviderTokenUpdates"
    )


def test_in_process_each_team_holds_one_connection_per_environment(
    auth: Authenticator, clock: Clock
) -> None:
    ours = signer(auth, "KEY0000001")
    now = clock.timestamp()
    auth.check(ours.token(now), "production", BUNDLE, None)

    with pytest.raises(Rejected) as caught:
        auth.check(ours.token(now - 60), "production", BUNDLE, None)
    auth.check(ours.token(now - 60), "sandbox", BUNDLE, None)

    assert caught.value.reason == "TooManyProviderTokenUpdates"
    assert "in-process production TEAM000001" in caught.value.detail


def test_topic_specific_key_signs_only_for_its_bundles_with_any_suffix(
    auth: Authenticator, clock: Clock
) -> None:
    topical = signer(auth, "KEY0000001", topics=[BUNDLE])
    token = topical.token(clock.timestamp())

    assert reason(auth, token) is None
    with pytest.raises(Rejected) as caught:
        auth.check(token, "production", "com.example.other", "c2")

    assert caught.value.reason == "InvalidProviderToken"
    assert "may sign only for ['com.example.shop']" in caught.value.detail


@pytest.mark.parametrize(
    ("first", "then"), [("topic", "team"), ("team", "topic"), ("topic", "topic")]
)
def test_mixing_a_topic_key_with_another_key_is_unrelated_key(
    auth: Authenticator, clock: Clock, first: str, then: str
) -> None:
    def key(kind: str, key_id: str) -> Signer:
        topics = [BUNDLE] if kind == "topic" else None
        return signer(auth, key_id, topics=topics)

    one, two = key(first, "KEY0000001"), key(then, "KEY0000002")
    assert reason(auth, one.token(clock.timestamp())) is None
    clock.advance(minutes=20)  # not a rate problem

    assert reason(auth, two.token(clock.timestamp())) == "UnrelatedKeyIdInToken"


def test_two_team_scoped_keys_share_a_connection(
    auth: Authenticator, clock: Clock
) -> None:
    one, two = signer(auth, "KEY0000001"), signer(auth, "KEY0000002")
    assert reason(auth, one.token(clock.timestamp())) is None
    clock.advance(minutes=20)

    assert reason(auth, two.token(clock.timestamp())) is None


def test_oldest_connections_are_forgotten_past_the_cap(
    auth: Authenticator, clock: Clock
) -> None:
    ours = signer(auth, "KEY0000001")
    now = clock.timestamp()
    for index in range(MAX_CONNECTIONS + 1):
        reason(auth, ours.token(now), f"c{index}")

    assert reason(auth, ours.token(now - 60), "c0") is None
    assert reason(auth, ours.token(now - 60), f"c{MAX_CONNECTIONS}") == (
        "TooManyProviderTokenUpdates"
    )


def test_a_key_listing_no_topics_is_refused_naming_the_fix(
    auth: Authenticator,
) -> None:
    with pytest.raises(BadSetup, match="topics=None for a team-scoped key"):
        signer(auth, "KEY0000001", topics=[])
