"""Transactional pushes: message templates declared as data, and the send rules.

A transactional message is a fixture file (``fixtures/transactional/*.yaml``)::

    id: 1
    name: order-shipped          # the trigger name; matched case-insensitively
    push:
      title: "Order {{ trigger.order_number }} has shipped"
      body: "Hi {{ customer.first_name | default: 'there' }}, it is on its way."
      link: "shop://orders/{{ trigger.order_number }}"
    languages:
      fr: {title: ..., body: ...}

Templates are Liquid, rendered with ``trigger`` (the request's ``message_data``, the
name Customer.io's transactional templates use), ``message_data`` (the same
object) and ``customer`` (the profile's attributes plus id, email and cio_id).
A request's own title, message and link override the template's and are Liquid
too. Sends go out through the workspace messenger's provider clients, so each
provider's verdict lands on the delivery and dead tokens are pruned.

Named policies, where the real App API's behaviour is UNCONFIRMED:

- ``to``: ``TO_ALL`` (the default) sends to every reachable device of the person,
  ``TO_LAST_USED`` to the reachable one used last, and any other value must be a
  token on the person's profile, which is sent to even with push disabled.
- ``UNREPORTED_PUSH_COUNTS``: a device that never reported ``push_enabled`` (one
  registered through ``custom_device`` rather than an SDK) counts as reachable.
- A person named by ``cio_id`` is never created (:class:`UnknownPerson`); one
  named by id or email is created when missing.
- ``send_to_unsubscribed`` defaults to true; when false, a person whose
  ``unsubscribed`` attribute is true gets a ``suppressed`` delivery.
- A person with nothing to send to still gets a delivery, ``undeliverable``,
  with the reason kept and journaled; ``queue_draft`` keeps a ``drafted`` one.
- ``send_at`` in the future schedules the send on the workspace clock; devices
  are chosen when it fires, the content when it was requested.
- A ``language`` with no translation falls back to the template's own text.
- ``custom_payload`` is laid over what the provider clients build, per
  platform (APNs JSON for ``ios``, an FCM ``message`` for ``android``); the
  token and the delivery keys always survive. ``sound`` is kept on the
  delivery but not sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from liquid.exceptions import LiquidError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .campaigns import Rendered
from .campaigns.spec import Template, render
from .delivery import Messenger
from .files import load_numbered
from .journal import Entry, short_token
from .workspace import (
    Caller,
    Delivery,
    Device,
    Identify,
    InvalidCall,
    Person,
    Track,
    UnknownPerson,
    WorkspaceError,
)
from .workspace.records import Verdict

logger = logging.getLogger(__name__)

TO_ALL = "all"
TO_LAST_USED = "last_used"
UNREPORTED_PUSH_COUNTS = True
IDENTIFIER_KINDS = ("id", "email", "cio_id")
PLATFORMS = ("ios", "android", "web")


# -- templates -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PushContent(_Strict):
    """A push's text: title, body and link are templates."""

    title: Template
    body: Template
    link: Template | None = None
    image_url: str | None = None
    sound: str | None = None


class TransactionalMessage(_Strict):
    """A transactional push template, found by its id or its trigger name."""

    id: int = Field(gt=0)
    name: str = Field(min_length=1)
    description: str = ""
    push: PushContent
    languages: dict[str, PushContent] = {}

    @field_validator("name")
    @classmethod
    def _name_is_not_a_number(cls, value: str) -> str:
        if value.strip().isdigit():
            raise ValueError(
                f"name {value!r} is all digits, which a request would read as an "
                "id; give the message a trigger name with letters"
            )
        return value


def load_transactional(directory: Path) -> list[TransactionalMessage]:
    """Load every message in ``directory``, ordered by id; ids and names are unique.

    Raises ConfigError listing every file problem and every clash at once.
    """
    return load_numbered(directory, TransactionalMessage, "transactional message")


# -- calls and records -----------------------------------------------------------


class UnknownMessage(WorkspaceError):
    """Raised when a send names a transactional message id or name not declared."""


class InvalidSend(InvalidCall):
    """Raised when a send breaks a rule of the App API (identifiers, to, content)."""


@dataclass(frozen=True)
class Identifier:
    """Who a send is for: ``kind`` is id, email or cio_id."""

    kind: str
    value: str


@dataclass(frozen=True)
class CustomDevice:
    """A device to add to or update on the person before sending."""

    token: str
    platform: str
    last_used: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendPush:
    """One ``POST /v1/send/push``, parsed; ``message`` is a template id or name."""

    identifier: Identifier
    message: int | str | None = None
    to: str = TO_ALL
    title: str | None = None
    body: str | None = None
    link: str | None = None
    image_url: str | None = None
    sound: str | None = None
    custom_data: dict[str, str] = field(default_factory=dict)
    custom_payload: dict[str, Any] = field(default_factory=dict)
    custom_device: CustomDevice | None = None
    message_data: dict[str, Any] = field(default_factory=dict)
    send_at: datetime | None = None
    language: str | None = None
    queue_draft: bool = False
    retain: bool = True
    send_to_unsubscribed: bool = True


class State(StrEnum):
    """Where a delivery stands; anything but ``sent`` means nothing was shown."""

    SCHEDULED = "scheduled"
    DRAFTED = "drafted"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"
    SUPPRESSED = "suppressed"


@dataclass
class Record:
    """What a transactional send asked for, kept on its delivery."""

    call: SendPush
    message: TransactionalMessage | None
    language: str | None
    state: State = State.SCHEDULED
    reason: str | None = None
    sent_at: datetime | None = None


def record_of(delivery: Delivery) -> Record | None:
    """Return the transactional record on ``delivery``, if it came from a send."""
    record = delivery.data.get("transactional")
    return record if isinstance(record, Record) else None


def state_of(delivery: Delivery) -> tuple[State, str | None]:
    """Return a delivery's state and, when nothing reached anyone, the reason.

    Campaign deliveries carry no record; their state follows the verdicts.
    """
    record = record_of(delivery)
    if record is not None and record.state is not State.SENT:
        return record.state, record.reason
    return _outcome(delivery)


def _outcome(delivery: Delivery) -> tuple[State, str | None]:
    if delivery.channel != "push" or any(v.accepted for v in delivery.verdicts):
        return State.SENT, None
    if not delivery.verdicts:
        return State.FAILED, "no provider could be reached for these devices"
    return State.FAILED, "; ".join(_refusal(v) for v in delivery.verdicts)


def _refusal(verdict: Verdict) -> str:
    reason = f" {verdict.reason}" if verdict.reason else ""
    token = short_token(verdict.token)
    return f"{verdict.service} answered {verdict.status}{reason} for {token}"


# -- sending ---------------------------------------------------------------------


class Transactional:
    """Send transactional pushes for the messenger's workspace."""

    def __init__(
        self, messenger: Messenger, messages: Iterable[TransactionalMessage] = ()
    ) -> None:
        self.messenger, self.workspace = messenger, messenger.workspace
        self.messages = list(messages)

    def find(self, reference: int | str) -> TransactionalMessage:
        """Return the message with this id, or this trigger name in any case."""
        text = str(reference).strip()
        for message in self.messages:
            if str(message.id) == text or message.name.lower() == text.lower():
                return message
        known = ", ".join(f"{m.id} ({m.name})" for m in self.messages) or "none"
        raise UnknownMessage(
            f"transactional_message_id {reference!r} names no transactional message "
            f"in workspace {self.workspace.name}; declared: {known}. Use one of these "
            "or add the message under fixtures/transactional/."
        )

    def send(self, call: SendPush) -> Delivery:
        """Check ``call``, then send, schedule or draft it; return its delivery.

        Nothing changes when the call is refused: every check runs before the
        person is created or the custom device registered.
        """
        message = None if call.message is None else self.find(call.message)
        person = self._existing(call.identifier)
        device = self._device_call(call, person)
        self._check_to(call, person)
        language, content = self._content(call, message, person)
        person = person or self._create(call.identifier)
        if device is not None and call.custom_device is not None:
            self._register(device, call.custom_device)
        delivery = self.workspace.new_delivery(
            person, "push", None, content.title, content.body, _links(content)
        )
        record = Record(call, message, language)
        delivery.data["transactional"] = record
        logger.debug("transactional push %s for %s", delivery.id, person.label)
        now = self.workspace.clock.now()
        if call.queue_draft:
            self._settle(delivery, State.DRAFTED, "queue_draft: kept as a draft")
        elif call.send_at is not None and call.send_at > now:
            when = f"{call.send_at:%Y-%m-%d %H:%M:%S}"
            self._journal(delivery, f"push {content.title!r} scheduled for {when}")
            self.workspace.clock.call_at(
                call.send_at,
                lambda: self._deliver(delivery, content),
                f"transactional push {delivery.id} for {person.label}",
            )
        else:
            self._deliver(delivery, content)
        return delivery

    def record(
        self, identifier: Identifier, channel: str, subject: str, body: str
    ) -> Delivery:
        """Keep a message of a channel the emulator does not deliver (email, SMS).

        The person is found or created as for a push; the delivery is kept with
        its content so lookups and timelines show it, and nothing is sent.
        """
        person = self._existing(identifier) or self._create(identifier)
        delivery = self.workspace.new_delivery(person, channel, None, subject, body)
        delivery.data["transactional"] = Record(
            SendPush(identifier=identifier, message=None), None, None
        )
        self._settle(
            delivery,
            State.SENT,
            f"{channel} kept, not delivered: the emulator "
            "records messages of channels other than push",
        )
        return delivery

    # -- checks ------------------------------------------------------------------

    def _existing(self, identifier: Identifier) -> Person | None:
        kind, value = identifier.kind, identifier.value
        if kind not in IDENTIFIER_KINDS or not value:
            raise InvalidSend(
                f"identifiers.{kind} is not a way to name a person; send exactly "
                "one of identifiers.id, identifiers.email or identifiers.cio_id"
            )
        if kind == "email" and "@" not in value:
            raise InvalidSend(
                f"identifiers.email {value!r} is not an email address; send the "
                "address, or the person's id as identifiers.id"
            )
        if kind != "cio_id":
            return self.workspace.find(value)
        person = self.workspace.find(f"cio_{value.removeprefix('cio_')}")
        if person is None:
            raise UnknownPerson(
                f"identifiers.cio_id {value!r} names no person in workspace "
                f"{self.workspace.name}, and a send never creates one by cio_id; "
                "send identifiers.id or identifiers.email to create the person"
            )
        return person

    def _device_call(self, call: SendPush, person: Person | None) -> Track | None:
        device = call.custom_device
        if device is None:
            return None
        if device.platform not in PLATFORMS or not device.token:
            raise InvalidSend(
                f"custom_device needs a token and a platform of "
                f"{', '.join(PLATFORMS)}; got platform {device.platform!r}"
            )
        user = (person.id or person.email) if person else call.identifier.value
        context = {"device": {"token": device.token, "type": device.platform}}
        now = self.workspace.clock.now()
        caller = Caller(user, None, None, now, context)
        track = Track(caller, "Device Created or Updated", dict(device.attributes))
        self.workspace.check(track)
        return track

    def _check_to(self, call: SendPush, person: Person | None) -> None:
        if call.to in (TO_ALL, TO_LAST_USED):
            return
        mine = self.workspace.devices.of(person) if person else []
        tokens = {d.token for d in mine}
        if call.custom_device is not None:
            tokens.add(call.custom_device.token)
        if call.to not in tokens:
            who = person.label if person else call.identifier.value
            raise InvalidSend(
                f"to {short_token(call.to)!r} is not a token on {who}'s profile; "
                f"send to {TO_ALL!r}, {TO_LAST_USED!r} or one of their tokens, or "
                "register the token with custom_device"
            )

    def _content(
        self, call: SendPush, message: TransactionalMessage | None, who: Person | None
    ) -> tuple[str | None, Rendered]:
        language, base = None, message.push if message else None
        if message is not None and call.language:
            translated = {k.lower(): v for k, v in message.languages.items()}
            if call.language.lower() in translated:
                language, base = call.language, translated[call.language.lower()]
        title = _pick(call.title, base.title if base else None)
        body = _pick(call.body, base.body if base else None)
        if title is None or body is None:
            raise InvalidSend(
                "a push without transactional_message_id needs both title and "
                "message; add them, or name a transactional message"
            )
        link = _pick(call.link, base.link if base else None)
        image = _pick(call.image_url, base.image_url if base else None)
        context = {
            "trigger": call.message_data,
            "message_data": call.message_data,
            "customer": _customer(who, call.identifier),
        }
        try:
            rendered = Rendered(
                render(title, **context),
                render(body, **context),
                render(link, **context) if link else None,
                image,
            )
        except LiquidError as error:
            where = f"message {message.name!r}" if message else "the request"
            raise InvalidSend(
                f"the push in {where} failed to render "
                f"({str(error).splitlines()[0]}); fix its Liquid"
            ) from None
        return language, rendered

    # -- effects -----------------------------------------------------------------

    def _create(self, identifier: Identifier) -> Person:
        now = self.workspace.clock.now()
        self.workspace.apply(Identify(Caller(identifier.value, None, None, now)))
        person = self.workspace.find(identifier.value)
        if person is None:
            raise InvalidSend(
                f"identifiers.{identifier.kind} {identifier.value!r} could not be "
                "created: the workspace dropped the identify (see its rejections, "
                "e.g. a suppressed person); send to a person it holds"
            )
        return person

    def _register(self, track: Track, device: CustomDevice) -> None:
        self.workspace.apply(track)
        stored = self.workspace.devices.by_token.get(device.token)
        if stored is not None and device.last_used is not None:
            # The device book stamps last_used with now; the request says when.
            stored.last_used = device.last_used

    def _deliver(self, delivery: Delivery, content: Rendered) -> None:
        record = record_of(delivery)
        assert record is not None
        call, person = record.call, self.workspace.people.get(delivery.person)
        if person is None:
            # A scheduled send can outlive its person (deleted or merged away).
            gone = f"cio_{delivery.person} is no longer in the workspace"
            self._settle(delivery, State.UNDELIVERABLE, gone)
            return
        if unsubscribed(person) and not call.send_to_unsubscribed:
            why = f"{person.label} is unsubscribed and send_to_unsubscribed is false"
            self._settle(delivery, State.SUPPRESSED, why)
            return
        devices, why = self._targets(person, call.to)
        if not devices:
            self._settle(delivery, State.UNDELIVERABLE, why)
            return
        for device in devices:
            self.messenger.deliver(
                delivery, device, content, call.custom_data, call.custom_payload
            )
        record.sent_at = self.workspace.clock.now()
        state, reason = _outcome(delivery)
        self._settle(delivery, state, reason, quiet=state is State.SENT)

    def _targets(self, person: Person, to: str) -> tuple[list[Device], str]:
        devices = self.workspace.devices.of(person)
        if not devices:
            return [], f"{person.label} has no devices on their profile"
        if to not in (TO_ALL, TO_LAST_USED):
            chosen = [d for d in devices if d.token == to]
            gone = f"token {short_token(to)} is no longer on {person.label}'s profile"
            return chosen, gone
        reachable = [d for d in devices if _reachable(d)]
        if to == TO_LAST_USED and reachable:
            reachable = [max(reachable, key=lambda d: d.last_used)]
        off = f"none of {person.label}'s {len(devices)} device(s) has push enabled"
        return reachable, off

    def _settle(
        self,
        delivery: Delivery,
        state: State,
        reason: str | None,
        *,
        quiet: bool = False,
    ) -> None:
        record = record_of(delivery)
        assert record is not None
        record.state, record.reason = state, reason
        if not quiet:
            self._journal(delivery, f"transactional push {state.value}: {reason}")

    def _journal(self, delivery: Delivery, text: str, token: str | None = None) -> None:
        self.workspace.journal.record(
            Entry(
                self.workspace.clock.now(),
                "delivery",
                "send",
                text,
                person=delivery.person,
                delivery_id=delivery.id,
                token=token,
            )
        )


def _pick(asked: str | None, declared: str | None) -> str | None:
    return asked if asked is not None else declared


def _customer(person: Person | None, identifier: Identifier) -> dict[str, Any]:
    if person is None:
        email = identifier.value.lower() if "@" in identifier.value else None
        return {"id": None if email else identifier.value, "email": email}
    ids = {"id": person.id, "email": person.email, "cio_id": person.cio_id}
    return {**person.attributes, **ids}


def _links(content: Rendered) -> dict[str, Any]:
    links = {"link": content.link, "image_url": content.image_url}
    return {k: v for k, v in links.items() if v is not None}


def _reachable(device: Device) -> bool:
    if "push_enabled" not in device.attributes:
        return UNREPORTED_PUSH_COUNTS
    return device.push_enabled


def unsubscribed(person: Person) -> bool:
    """Tell whether the person's ``unsubscribed`` attribute is true (or "true")."""
    value = person.attributes.get("unsubscribed")
    return value is True or (isinstance(value, str) and value.lower() == "true")
