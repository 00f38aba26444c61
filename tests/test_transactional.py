"""Transactional push rules: templates, people, devices, targets and states."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.campaigns import Rendered
from harness.clock import Clock
from harness.delivery import Messenger
from harness.errors import ConfigError
from harness.push.clients import OutboundPush
from harness.push.notification import Verdict
from harness.transactional import (
    CustomDevice,
    Identifier,
    InvalidSend,
    SendPush,
    State,
    Transactional,
    TransactionalMessage,
    UnknownMessage,
    load_transactional,
    record_of,
    state_of,
)
from harness.workspace import Caller, Identify, Track, UnknownPerson, Workspace

ROOT = Path(__file__).resolve().parents[1]
USER = "u-1"


class Provider:
    """A push provider that answers every push with one status and keeps them."""

    def __init__(self, service: str = "apns", status: int = 200) -> None:
        self.service, self.status = service, status
        self.pushes: list[OutboundPush] = []

    def send(self, push: OutboundPush) -> Verdict:
        self.pushes.append(push)
        accepted = self.status < 300
        reason = None if accepted else "Unregistered"
        dead = self.status == 410
        return Verdict(
            self.service, push.token, accepted, self.status, reason, dead, None, None
        )


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def messages() -> list[TransactionalMessage]:
    return load_transactional(ROOT / "fixtures" / "transactional")


@pytest.fixture
def sender(
    workspace: Workspace, provider: Provider, messages: list[TransactionalMessage]
) -> Transactional:
    messenger = Messenger(workspace, {"ios": provider, "android": provider})
    return Transactional(messenger, messages)


def person(workspace: Workspace, user_id: str = USER, **traits: Any) -> None:
    caller = Caller(user_id, None, None, workspace.clock.now())
    workspace.apply(Identify(caller, traits))


def device(
    workspace: Workspace,
    token: str,
    *,
    user_id: str = USER,
    platform: str = "ios",
    enabled: object = "true",
) -> None:
    context = {"device": {"token": token, "type": platform}}
    caller = Caller(user_id, None, None, workspace.clock.now(), context)
    attributes = {} if enabled is None else {"push_enabled": enabled}
    workspace.apply(Track(caller, "Device Created or Updated", attributes))


def send(**fields: Any) -> SendPush:
    fields.setdefault("identifier", Identifier("id", USER))
    return SendPush(**fields)


ORDER = {"order_number": "A-7", "items": "Trail boots"}


# -- templates -------------------------------------------------------------------


def test_shipped_fixtures_declare_their_messages_by_id_and_name(
    messages: list[TransactionalMessage],
) -> None:
    assert [(m.id, m.name) for m in messages] == [
        (1, "order-shipped"),
        (2, "account-notice"),
    ]


def test_clashing_ids_and_names_are_reported_together(tmp_path: Path) -> None:
    body = "push: {title: t, body: b}\n"
    (tmp_path / "a.yaml").write_text("id: 1\nname: Welcome\n" + body)
    (tmp_path / "b.yaml").write_text("id: 1\nname: welcome\n" + body)

    with pytest.raises(ConfigError) as caught:
        load_transactional(tmp_path)

    assert [(p.path, p.message[:20]) for p in caught.value.problems] == [
        ("id", "1 is also the id of "),
        ("name", "'welcome' is also th"),
    ]


def test_all_digit_name_is_refused_because_it_reads_as_an_id(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: 2\nname: '12'\npush: {title: t, body: b}\n")

    with pytest.raises(ConfigError, match="all digits"):
        load_transactional(tmp_path)


@pytest.mark.parametrize("reference", [1, "1", "order-shipped", "ORDER-Shipped"])
def test_message_is_found_by_id_or_trigger_name_in_any_case(
    sender: Transactional, reference: int | str
) -> None:
    assert sender.find(reference).name == "order-shipped"


def test_unknown_message_names_the_declared_ones(sender: Transactional) -> None:
    with pytest.raises(UnknownMessage, match=r"declared: 1 \(order-shipped\)"):
        sender.find("order-lost")


# -- content ---------------------------------------------------------------------


def test_template_renders_message_data_as_trigger_and_customer_attributes(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace, first_name="Ada")
    device(workspace, "tok-1")

    delivery = sender.send(send(message=1, message_data=ORDER))

    pushed = provider.pushes[0]
    assert (pushed.title, pushed.body, pushed.link) == (
        "Order A-7 has shipped",
        "Hi Ada, Trail boots is on its way.",
        "shop://orders/A-7",
    )
    assert (delivery.subject, pushed.delivery_id) == (pushed.title, delivery.id)


def test_request_title_and_message_override_the_template_but_not_its_link(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    title = "{{ trigger.order_number }} left"

    sender.send(send(message=1, title=title, body="Soon", message_data=ORDER))

    pushed = provider.pushes[0]
    assert (pushed.title, pushed.body, pushed.link) == (
        "A-7 left",
        "Soon",
        "shop://orders/A-7",
    )


def test_language_picks_the_translation_in_any_case(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    delivery = sender.send(send(message=1, message_data=ORDER, language="FR"))

    assert provider.pushes[0].title == "La commande A-7 est partie"
    assert record_of(delivery) is not None
    assert record_of(delivery).language == "FR"  # type: ignore[union-attr]


def test_language_without_translation_falls_back_to_the_template(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    sender.send(send(message=1, message_data=ORDER, language="de"))

    assert provider.pushes[0].title == "Order A-7 has shipped"


def test_push_without_template_needs_title_and_message(
    sender: Transactional, workspace: Workspace
) -> None:
    with pytest.raises(InvalidSend, match="needs both title and message"):
        sender.send(send(title="Hello"))

    assert workspace.people == {}


def test_broken_liquid_in_the_request_is_refused_before_anything_changes(
    sender: Transactional, workspace: Workspace
) -> None:
    with pytest.raises(InvalidSend, match="failed to render"):
        sender.send(send(title="{{ unclosed", body="b"))

    assert (workspace.people, workspace.deliveries) == ({}, {})


def test_custom_data_rides_on_the_outbound_push(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    sender.send(send(title="t", body="b", custom_data={"order": "A-7"}))

    assert provider.pushes[0].custom_data == {"order": "A-7"}


# -- people ----------------------------------------------------------------------


def test_send_by_id_creates_the_missing_person(
    sender: Transactional, workspace: Workspace
) -> None:
    delivery = sender.send(send(title="t", body="b"))

    created = workspace.find(USER)
    assert created is not None and delivery.person == created.cio_id


def test_send_by_email_creates_the_person_with_that_email(
    sender: Transactional, workspace: Workspace
) -> None:
    sender.send(
        send(identifier=Identifier("email", "Ada@Shop.Example"), title="t", body="b")
    )

    created = workspace.find("ada@shop.example")
    assert created is not None and (created.id, created.email) == (
        None,
        "ada@shop.example",
    )


def test_send_by_unknown_cio_id_creates_nobody(
    sender: Transactional, workspace: Workspace
) -> None:
    with pytest.raises(UnknownPerson, match="never creates one by cio_id"):
        sender.send(send(identifier=Identifier("cio_id", "abc"), title="t", body="b"))

    assert workspace.people == {}


def test_send_by_cio_id_reaches_the_existing_person(
    sender: Transactional, workspace: Workspace
) -> None:
    person(workspace)
    cio_id = workspace.find(USER).cio_id  # type: ignore[union-attr]

    delivery = sender.send(
        send(identifier=Identifier("cio_id", cio_id), title="t", body="b")
    )

    assert delivery.person == cio_id


def test_email_identifier_without_an_at_sign_is_refused(sender: Transactional) -> None:
    with pytest.raises(InvalidSend, match="not an email address"):
        sender.send(send(identifier=Identifier("email", "ada"), title="t", body="b"))


# -- devices and targets ---------------------------------------------------------


def test_to_all_sends_to_every_device_with_push_enabled(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-on")
    device(workspace, "tok-off", enabled="false")
    device(workspace, "tok-droid", platform="android", enabled=True)

    sender.send(send(title="t", body="b"))

    assert sorted(p.token for p in provider.pushes) == ["tok-droid", "tok-on"]


def test_to_last_used_sends_only_to_the_device_used_last(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-old")
    workspace.clock.advance(minutes=5)
    device(workspace, "tok-new")

    sender.send(send(title="t", body="b", to="last_used"))

    assert [p.token for p in provider.pushes] == ["tok-new"]


def test_to_a_token_sends_to_it_even_with_push_disabled(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-on")
    device(workspace, "tok-off", enabled="false")

    sender.send(send(title="t", body="b", to="tok-off"))

    assert [p.token for p in provider.pushes] == ["tok-off"]


def test_to_a_token_of_someone_else_is_refused(
    sender: Transactional, workspace: Workspace
) -> None:
    person(workspace)
    person(workspace, "u-2")
    device(workspace, "tok-theirs", user_id="u-2")

    with pytest.raises(InvalidSend, match="not a token on u-1's profile"):
        sender.send(send(title="t", body="b", to="tok-theirs"))

    assert workspace.deliveries == {}


def test_custom_device_is_registered_before_sending_and_reached(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    when = workspace.clock.now() - timedelta(days=1)
    custom = CustomDevice("tok-api", "android", when, {"app_version": "2.4.0"})

    sender.send(send(title="t", body="b", custom_device=custom))

    stored = workspace.devices.by_token["tok-api"]
    assert (stored.owner, stored.platform, stored.last_used) == (
        workspace.find(USER).cio_id,  # type: ignore[union-attr]
        "android",
        when,
    )
    assert stored.attributes == {"app_version": "2.4.0"}
    assert [p.token for p in provider.pushes] == ["tok-api"]


def test_custom_device_with_an_unknown_platform_changes_nothing(
    sender: Transactional, workspace: Workspace
) -> None:
    custom = CustomDevice("tok-api", "windows")

    with pytest.raises(InvalidSend, match="platform of ios, android, web"):
        sender.send(send(title="t", body="b", custom_device=custom))

    assert (workspace.people, workspace.devices.by_token) == ({}, {})


# -- states ----------------------------------------------------------------------


def test_person_without_devices_gets_an_undeliverable_delivery_with_the_reason(
    sender: Transactional, workspace: Workspace
) -> None:
    delivery = sender.send(send(title="t", body="b"))

    assert state_of(delivery) == (
        State.UNDELIVERABLE,
        "u-1 has no devices on their profile",
    )
    assert any("undeliverable" in e.text for e in workspace.journal)


def test_devices_all_disabled_say_so_in_the_reason(
    sender: Transactional, workspace: Workspace
) -> None:
    person(workspace)
    device(workspace, "tok-off", enabled="false")

    delivery = sender.send(send(title="t", body="b"))

    assert state_of(delivery)[1] == "none of u-1's 1 device(s) has push enabled"


def test_provider_refusal_fails_the_delivery_and_prunes_the_dead_token(
    workspace: Workspace, messages: list[TransactionalMessage]
) -> None:
    gone = Provider(status=410)
    sender = Transactional(Messenger(workspace, {"ios": gone}), messages)
    person(workspace)
    device(workspace, "tok-gone")

    delivery = sender.send(send(title="t", body="b"))

    assert state_of(delivery) == (
        State.FAILED,
        "apns answered 410 Unregistered for tok-gone",
    )
    assert "tok-gone" not in workspace.devices.by_token


def test_send_at_in_the_future_waits_for_the_clock(
    sender: Transactional, workspace: Workspace, provider: Provider, clock: Clock
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    later = clock.now() + timedelta(hours=2)

    delivery = sender.send(send(title="t", body="b", send_at=later))
    scheduled = state_of(delivery)[0]
    clock.advance(hours=2)

    assert (scheduled, state_of(delivery)[0]) == (State.SCHEDULED, State.SENT)
    assert [p.delivery_id for p in provider.pushes] == [delivery.id]
    assert record_of(delivery).sent_at == later  # type: ignore[union-attr]


def test_send_at_in_the_past_sends_at_once(
    sender: Transactional, workspace: Workspace, provider: Provider, clock: Clock
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    sender.send(send(title="t", body="b", send_at=clock.now() - timedelta(hours=1)))

    assert len(provider.pushes) == 1


def test_queue_draft_keeps_a_draft_and_sends_nothing(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")

    delivery = sender.send(send(title="t", body="b", queue_draft=True))

    assert (state_of(delivery)[0], provider.pushes) == (State.DRAFTED, [])


def test_unsubscribed_person_is_suppressed_when_send_to_unsubscribed_is_false(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace, unsubscribed=True)
    device(workspace, "tok-1")

    delivery = sender.send(send(title="t", body="b", send_to_unsubscribed=False))

    assert (state_of(delivery)[0], provider.pushes) == (State.SUPPRESSED, [])


def test_unsubscribed_person_still_gets_transactional_pushes_by_default(
    sender: Transactional, workspace: Workspace, provider: Provider
) -> None:
    person(workspace, unsubscribed="true")
    device(workspace, "tok-1")

    sender.send(send(title="t", body="b"))

    assert len(provider.pushes) == 1


def test_campaign_delivery_state_follows_its_verdicts(
    workspace: Workspace, provider: Provider
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    target = workspace.find(USER)
    assert target is not None
    messenger = Messenger(workspace, {"ios": provider})

    delivery = messenger.push(
        target, workspace.devices.of(target), Rendered("t", "b"), "cart"
    )

    assert state_of(delivery) == (State.SENT, None)


def test_scheduled_send_whose_person_is_gone_is_undeliverable(
    sender: Transactional, workspace: Workspace, provider: Provider, clock: Clock
) -> None:
    person(workspace)
    device(workspace, "tok-1")
    later = clock.now() + timedelta(hours=1)
    delivery = sender.send(send(title="t", body="b", send_at=later))

    del workspace.people[delivery.person]
    clock.advance(hours=1)

    assert state_of(delivery) == (
        State.UNDELIVERABLE,
        f"cio_{delivery.person} is no longer in the workspace",
    )
    assert provider.pushes == []
