"""Track API people rules on the model: identify, attributes, delete, suppress."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from harness.workspace import (
    AnonymousEvent,
    DeletePerson,
    Identify,
    InvalidCall,
    Person,
    Ref,
    SubmitForm,
    Suppress,
    Unsuppress,
    UpdatePerson,
    Workspace,
)
from harness.workspace.calls import Caller


def identify(ws: Workspace, path: str, **options: Any) -> None:
    attributes = options.pop("attributes", {})
    ws.perform(UpdatePerson(Ref.from_path(path), attributes, **options))


def person(ws: Workspace, path: str) -> Person:
    found = ws.lookup(Ref.from_path(path))
    assert found is not None, f"nobody is {path}"
    return found


def cio(ws: Workspace, path: str) -> str:
    return f"cio_{person(ws, path).cio_id}"


def texts(ws: Workspace) -> list[str]:
    return [e.text for e in ws.journal]


# -- identifiers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind", "value"),
    [
        ("cio_03000001", "cio_id", "03000001"),
        ("Ann@Example.com", "email", "ann@example.com"),
        ("+14155552671", "id", "+14155552671"),
        ("u-1", "id", "u-1"),
    ],
)
def test_path_identifier_is_typed_by_its_shape(
    path: str, kind: str, value: str
) -> None:
    assert Ref.from_path(path) == Ref(kind, value)


def test_identify_by_a_new_id_creates_the_person(workspace: Workspace) -> None:
    identify(workspace, "u-1", attributes={"plan": "gold"})

    ann = person(workspace, "u-1")
    assert (ann.id, ann.email, ann.attributes) == ("u-1", None, {"plan": "gold"})


def test_email_path_finds_the_person_whatever_the_case(workspace: Workspace) -> None:
    identify(workspace, "Ann@Example.com")
    identify(workspace, "ann@EXAMPLE.com", attributes={"plan": "gold"})

    assert len(workspace.people) == 1
    assert person(workspace, "ann@example.com").attributes == {"plan": "gold"}


def test_cio_path_may_change_the_persons_id_and_email(workspace: Workspace) -> None:
    identify(workspace, "u-1", email="old@example.com")

    identify(workspace, cio(workspace, "u-1"), id="u-2", email="new@example.com")

    moved = person(workspace, "u-2")
    assert (moved.id, moved.email) == ("u-2", "new@example.com")
    assert workspace.lookup(Ref("id", "u-1")) is None
    assert workspace.lookup(Ref("email", "old@example.com")) is None


def test_unknown_cio_id_is_dropped_and_kept(workspace: Workspace) -> None:
    identify(workspace, "cio_nobody", attributes={"plan": "gold"})

    assert workspace.people == {}
    assert "cio_id names no person" in workspace.rejections[-1].problem


def test_deleted_cio_id_is_dropped_saying_the_person_was_deleted(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1")
    gone = cio(workspace, "u-1")
    workspace.perform(DeletePerson(Ref("id", "u-1")))

    identify(workspace, gone, attributes={"plan": "gold"})

    assert workspace.people == {}
    assert "belongs to a deleted person" in workspace.rejections[-1].problem


def test_new_path_id_with_a_known_email_gives_that_person_the_id(
    workspace: Workspace,
) -> None:
    identify(workspace, "ann@example.com")

    identify(workspace, "u-1", email="ann@example.com", attributes={"plan": "gold"})

    ann = person(workspace, "u-1")
    assert len(workspace.people) == 1
    assert (ann.email, ann.attributes) == ("ann@example.com", {"plan": "gold"})


def test_new_ids_with_the_same_email_keep_updating_one_person(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", email="ann@example.com")

    identify(workspace, "u-2", email="ann@example.com")

    assert len(workspace.people) == 1
    assert person(workspace, "ann@example.com").id == "u-2"
    assert "id set to u-2 (was u-1)" in texts(workspace)


def test_body_email_of_another_person_is_an_attribute_update_failure(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", email="ann@example.com")
    identify(workspace, "u-2")

    identify(workspace, "u-2", email="ann@example.com", attributes={"plan": "gold"})

    bob = person(workspace, "u-2")
    assert (bob.email, bob.attributes) == (None, {"plan": "gold"})
    assert person(workspace, "ann@example.com").id == "u-1"
    failure = workspace.attribute_failures[-1]
    assert (failure.person, failure.identifier) == (bob.cio_id, "email ann@example.com")
    assert "belongs to u-1" in failure.reason


def test_changing_an_email_through_an_id_path_is_refused_naming_the_cio_form(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", email="old@example.com")

    identify(workspace, "u-1", email="new@example.com")

    assert person(workspace, "u-1").email == "old@example.com"
    assert cio(workspace, "u-1") in workspace.attribute_failures[-1].reason


def test_update_only_never_creates_a_person(workspace: Workspace) -> None:
    identify(workspace, "u-1", update_only=True, attributes={"plan": "gold"})

    assert workspace.people == {}
    assert "Failed Attribute Change" in workspace.attribute_failures[-1].reason


def test_update_only_updates_an_existing_person(workspace: Workspace) -> None:
    identify(workspace, "u-1")

    identify(workspace, "u-1", update_only=True, attributes={"plan": "gold"})

    assert person(workspace, "u-1").attributes == {"plan": "gold"}


def test_phone_identifier_is_refused_naming_the_field(workspace: Workspace) -> None:
    with pytest.raises(InvalidCall, match="phone") as caught:
        workspace.perform(UpdatePerson(Ref("phone", "+14155552671")))

    assert caught.value.field == "identifiers.phone"


# -- attributes --------------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, ""])
def test_null_or_empty_attribute_removes_it(workspace: Workspace, empty: Any) -> None:
    identify(workspace, "u-1", attributes={"plan": "gold", "tier": 2})

    identify(workspace, "u-1", attributes={"plan": empty})

    assert person(workspace, "u-1").attributes == {"tier": 2}


def test_update_older_than_the_last_leaves_the_attribute_alone(
    workspace: Workspace,
) -> None:
    now = workspace.clock.now()
    identify(workspace, "u-1", attributes={"plan": "gold"}, timestamp=now)

    earlier = now - timedelta(minutes=1)
    identify(workspace, "u-1", attributes={"plan": "free", "x": 1}, timestamp=earlier)

    assert person(workspace, "u-1").attributes == {"plan": "gold", "x": 1}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TRUE", True),
        ("tRUe", True),
        (1, True),
        ("1", True),
        ("yes", False),
        (0, False),
    ],
)
def test_unsubscribed_reads_true_one_and_quoted_one_as_true(
    workspace: Workspace, value: Any, expected: bool
) -> None:
    identify(workspace, "u-1", attributes={"unsubscribed": value})

    assert person(workspace, "u-1").attributes["unsubscribed"] is expected


def test_preference_dot_key_updates_one_topic_and_keeps_the_others(
    workspace: Workspace,
) -> None:
    topics = {"topic_1": True, "topic_2": True}
    prefs = {"cio_subscription_preferences": {"topics": topics}}
    identify(workspace, "u-1", attributes=prefs)

    key = "cio_subscription_preferences.topics.topic_2"
    identify(workspace, "u-1", attributes={key: False})

    stored = person(workspace, "u-1").attributes["cio_subscription_preferences"]
    assert stored == {"topics": {"topic_1": True, "topic_2": False}}


def test_profile_holds_300_attributes_and_refuses_the_next_new_one(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", attributes={f"a{i}": i for i in range(300)})

    identify(workspace, "u-1", attributes={"a0": "changed", "extra": 1})

    attributes = person(workspace, "u-1").attributes
    assert (len(attributes), attributes["a0"], "extra" in attributes) == (
        300,
        "changed",
        False,
    )
    assert workspace.attribute_failures[-1].identifier == "attributes extra"


def test_created_at_sets_when_the_profile_was_created(workspace: Workspace) -> None:
    then = workspace.clock.now() - timedelta(days=400)

    identify(workspace, "u-1", created_at=then)

    assert person(workspace, "u-1").created_at == then


def test_anonymous_id_attribute_stitches_the_last_30_days_of_events(
    workspace: Workspace,
) -> None:
    now = workspace.clock.now()
    for name, days in (("recent", 29), ("old", 31)):
        at = now - timedelta(days=days)
        workspace.perform(AnonymousEvent("anon-1", name, timestamp=at))

    identify(workspace, "u-1", anonymous_id="anon-1")

    ann = person(workspace, "u-1")
    assert [e.name for e in workspace.events_of(ann)] == ["recent"]
    assert [e.name for e in workspace.anonymous_events("anon-1")] == ["old"]
    assert ann.anonymous_ids == ["anon-1"]


# -- delete and suppress -------------------------------------------------------------


def test_delete_removes_the_profile_and_frees_its_identifiers(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", email="ann@example.com")

    workspace.perform(DeletePerson(Ref("email", "ann@example.com")))

    assert workspace.people == {}
    identify(workspace, "u-1")
    assert person(workspace, "u-1").email is None


def test_delete_of_nobody_changes_nothing_and_is_not_a_rejection(
    workspace: Workspace,
) -> None:
    workspace.perform(DeletePerson(Ref("id", "u-9")))

    assert (workspace.people, workspace.rejections) == ({}, [])
    assert "no such person" in texts(workspace)[-1]


def test_suppress_deletes_the_person_and_blocks_id_and_email(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", email="ann@example.com")

    workspace.perform(Suppress(Ref("id", "u-1")))
    identify(workspace, "ann@example.com", attributes={"plan": "gold"})
    identify(workspace, "u-1")

    assert workspace.people == {}
    assert [r.problem.split(":")[0] for r in workspace.rejections] == [
        "identify for ann@example.com ignored",
        "identify for u-1 ignored",
    ]


def test_suppress_is_journaled_as_deleted_and_blocked(workspace: Workspace) -> None:
    identify(workspace, "u-1")

    workspace.perform(Suppress(Ref("id", "u-1")), source="test")

    assert (
        "suppressed u-1 (test): profile deleted, identifiers blocked"
        in (texts(workspace)[-1])
    )


def test_suppressed_id_drops_pipelines_identify_too(workspace: Workspace) -> None:
    workspace.perform(Suppress(Ref("id", "u-1")))
    caller = Caller("u-1", None, None, workspace.clock.now())

    workspace.apply(Identify(caller, {"plan": "gold"}))

    assert workspace.people == {}
    assert workspace.rejections[-1].source == "pipelines"


def test_unsuppress_frees_both_identifiers_for_a_new_profile(
    workspace: Workspace,
) -> None:
    identify(workspace, "u-1", email="ann@example.com", attributes={"plan": "gold"})
    old = person(workspace, "u-1").cio_id
    workspace.perform(Suppress(Ref("id", "u-1")))

    workspace.perform(Unsuppress(Ref("email", "ann@example.com")))
    identify(workspace, "u-1")

    fresh = person(workspace, "u-1")
    assert (fresh.cio_id != old, fresh.attributes) == (True, {})
    assert workspace.suppressed == {}


def test_suppressing_an_unknown_id_blocks_that_id(workspace: Workspace) -> None:
    workspace.perform(Suppress(Ref("id", "u-7")))

    identify(workspace, "u-7")

    assert workspace.people == {}


# -- forms ---------------------------------------------------------------------------


def test_form_is_recorded_and_identifies_its_sender_without_reserved_keys(
    workspace: Workspace,
) -> None:
    fields = {"email": "ann@example.com", "first_name": "Ann", "form_url": "x"}

    workspace.perform(SubmitForm("contact", Ref("email", "ann@example.com"), fields))

    ann = person(workspace, "ann@example.com")
    assert ann.attributes == {"first_name": "Ann"}
    submission = workspace.forms[-1]
    assert (submission.form_id, submission.person) == ("contact", ann.cio_id)
    assert "form_url" not in submission.fields
