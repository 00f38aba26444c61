"""Seeded ids: a run is reproducible from its seed, and streams do not interfere."""

from __future__ import annotations

import re
import uuid

from harness.ids import Ids

UUID4 = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def draw(ids: Ids) -> list[str]:
    return [ids.uuid4(), ids.hex(8), ids.b64url(12), ids.choice("abc", 5)]


def test_same_seed_gives_the_same_sequence() -> None:
    assert draw(Ids(7)) == draw(Ids(7))


def test_different_seeds_give_different_sequences() -> None:
    assert draw(Ids(7)) != draw(Ids(8))


def test_child_stream_is_independent_of_calls_on_the_parent() -> None:
    untouched, busy = Ids(3), Ids(3)
    busy.uuid4()
    busy.hex(32)

    assert draw(untouched.child("sdk")) == draw(busy.child("sdk"))


def test_children_of_different_names_differ() -> None:
    parent = Ids(3)

    assert draw(parent.child("sdk")) != draw(parent.child("push"))


def test_drawing_from_a_child_leaves_the_parent_stream_alone() -> None:
    plain, parent = Ids(5), Ids(5)
    child = parent.child("devices")
    draw(child)

    assert draw(plain) == draw(parent)


def test_uuid4_is_a_valid_lowercase_version_4_uuid() -> None:
    ids = Ids(0)
    for _ in range(50):
        value = ids.uuid4()
        assert UUID4.match(value), value
        parsed = uuid.UUID(value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_hex_and_b64url_have_the_asked_length() -> None:
    ids = Ids(0)

    assert re.fullmatch(r"[0-9a-f]{20}", ids.hex(10))
    assert re.fullmatch(r"[A-Za-z0-9_-]{28}", ids.b64url(21))
