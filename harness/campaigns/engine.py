"""Run campaign journeys on the workspace's clock.

A journey starts when a person's trigger event arrives, or when an anonymous
trigger event is stitched to a person within the trigger's anonymous window (72
hours by default, as Customer.io documents). A person is in a campaign at most
once at a time. Sending goes through a :class:`Messenger`, so the model never
touches HTTP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from liquid.exceptions import LiquidError

from ..files import format_duration
from ..journal import Entry
from ..workspace import Device, Event, Person, Workspace
from .spec import Campaign, EmailMessage, PushMessage, Send, Step, render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """A message with its templates filled in."""

    title: str
    body: str
    link: str | None = None
    image_url: str | None = None


class Messenger(Protocol):
    """Delivers what journeys decide to send."""

    def push(
        self, person: Person, devices: list[Device], message: Rendered, campaign: str
    ) -> object:
        """Send a push to each of ``devices``."""

    def email(self, person: Person, message: Rendered, campaign: str) -> object:
        """Send an email."""


@dataclass
class Journey:
    """One person's way through one campaign."""

    campaign: Campaign
    person: Person
    trigger: Event
    step: int = 0
    done: bool = False
    log: list[str] = field(default_factory=list)


class CampaignEngine:
    """Listen to a workspace and move journeys through their steps."""

    def __init__(
        self, workspace: Workspace, campaigns: list[Campaign], messenger: Messenger
    ) -> None:
        self.workspace, self.campaigns, self.messenger = workspace, campaigns, messenger
        self.journeys: list[Journey] = []
        workspace.listeners.append(self)

    def on_event(self, person: Person, event: Event) -> None:
        """Start journeys this event triggers."""
        for campaign in self.campaigns:
            if campaign.trigger.event == event.name:
                self._enter(campaign, person, event)

    def on_stitch(self, person: Person, events: list[Event]) -> None:
        """Start journeys for stitched anonymous triggers inside their window."""
        now = self.workspace.clock.now()
        for event in sorted(events, key=lambda e: e.timestamp):
            for campaign in self.campaigns:
                window = campaign.trigger.anonymous_window
                if campaign.trigger.event != event.name:
                    continue
                if now - event.timestamp <= window:
                    self._enter(campaign, person, event)
                else:
                    self._note_person(
                        person,
                        f"{campaign.name!r} not entered: the "
                        f"stitched {event.name!r} is older than the "
                        f"{format_duration(window)} window for anonymous triggers",
                    )

    def on_merge(self, primary: Person, secondary: Person) -> None:
        """Move the secondary's journeys to the primary, as a merge does."""
        for journey in self._active(secondary):
            if self._active(primary, journey.campaign):
                journey.done = True
                self._note(
                    journey,
                    f"left {journey.campaign.name!r}: merged into "
                    f"{primary.label}, who is already in it",
                )
                continue
            journey.person = primary
            self._note(journey, f"journey moved to {primary.label} by a merge")

    def on_delete(self, person: Person) -> None:
        """End a deleted person's journeys; nothing more is sent to them."""
        for journey in self._active(person):
            journey.done = True
            self._note(
                journey, f"left {journey.campaign.name!r}: the profile was deleted"
            )

    def _active(
        self, person: Person, campaign: Campaign | None = None
    ) -> list[Journey]:
        return [
            j
            for j in self.journeys
            if j.person is person
            and not j.done
            and (campaign is None or j.campaign is campaign)
        ]

    def _enter(self, campaign: Campaign, person: Person, event: Event) -> None:
        if self._active(person, campaign):
            return
        journey = Journey(campaign, person, event)
        self.journeys.append(journey)
        self._note(journey, f"entered campaign {campaign.name!r} on {event.name!r}")
        self._run(journey)

    def _run(self, journey: Journey) -> None:
        steps = journey.campaign.steps
        while journey.step < len(steps) and not journey.done:
            step = steps[journey.step]
            journey.step += 1
            if step.wait is not None:
                self.workspace.clock.call_later(
                    step.wait,
                    lambda: self._run(journey),
                    f"{journey.campaign.name} wait for {journey.person.label}",
                )
                self._note(journey, f"waiting {step.wait}")
                return
            self._do(journey, step)
        if not journey.done:
            journey.done = True
            self._note(journey, f"finished campaign {journey.campaign.name!r}")

    def _do(self, journey: Journey, step: Step) -> None:
        if step.exit_if is not None:
            name = step.exit_if.event
            since = journey.trigger.timestamp
            events = self.workspace.events_of(journey.person)
            if any(e.name == name and e.timestamp >= since for e in events):
                journey.done = True
                self._note(
                    journey,
                    f"exited campaign {journey.campaign.name!r}: "
                    f"{name!r} arrived after the trigger",
                )
        elif step.send is not None:
            self._send(journey, step.send)

    def _send(self, journey: Journey, send: Send) -> None:
        person, name = journey.person, journey.campaign.name
        devices = [d for d in self.workspace.devices.of(person) if d.push_enabled]
        context = self._context(journey)
        try:
            push = _push(send.push, context) if send.push else None
            email = (
                _email(send.otherwise_email, context) if send.otherwise_email else None
            )
        except LiquidError as error:
            journey.done = True
            first = str(error).splitlines()[0]
            self._note(
                journey,
                f"message failed to render ({first}); nothing sent. "
                "Fix the template in the campaign file.",
            )
            return
        if push is not None and devices:
            self.messenger.push(person, devices, push, name)
            return
        reason = "no device with push enabled" if send.push else "email step"
        if email is None:
            self._note(journey, f"nothing sent: {reason} and no email fallback")
            return
        self._note(journey, f"falling back to email: {reason}")
        self.messenger.email(person, email, name)

    def _context(self, journey: Journey) -> dict[str, Any]:
        person = journey.person
        customer = {**person.attributes, "id": person.id, "email": person.email}
        return {"event": journey.trigger.properties, "customer": customer}

    def _note_person(self, person: Person, text: str) -> None:
        self.workspace.journal.record(
            Entry(
                self.workspace.clock.now(),
                "campaign",
                "journey",
                text,
                person=person.cio_id,
            )
        )

    def _note(self, journey: Journey, text: str) -> None:
        journey.log.append(text)
        self.workspace.journal.record(
            Entry(
                self.workspace.clock.now(),
                "campaign",
                "journey",
                text,
                person=journey.person.cio_id,
            )
        )


def _push(message: PushMessage, context: dict[str, Any]) -> Rendered:
    link = render(message.link, **context) if message.link else None
    return Rendered(
        render(message.title, **context),
        render(message.body, **context),
        link,
        message.image_url,
    )


def _email(message: EmailMessage, context: dict[str, Any]) -> Rendered:
    return Rendered(render(message.subject, **context), render(message.body, **context))
