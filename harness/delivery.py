"""Send what campaigns decide: pushes through the providers, emails to the log.

This is the workspace's outbound side. It builds the provider requests through
real HTTP clients (in-process or over sockets, depending on the transport),
keeps each provider's verdict on the delivery, and prunes tokens a provider calls
dead, unless they were registered again after the provider's timestamp.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from .campaigns import Rendered
from .journal import Entry, short_token
from .push.clients import OutboundPush
from .push.notification import Verdict
from .workspace import Delivery, Device, Person, Workspace
from .workspace.records import Verdict as StoredVerdict

logger = logging.getLogger(__name__)


class Sender(Protocol):
    """A provider client: turns an outbound push into the provider's verdict."""

    def send(self, push: OutboundPush) -> Verdict:
        """Send one push."""


class Messenger:
    """Deliver pushes by platform and record emails, for one workspace."""

    def __init__(self, workspace: Workspace, senders: dict[str, Sender]) -> None:
        self.workspace, self.senders = workspace, senders

    def push(
        self, person: Person, devices: list[Device], message: Rendered, campaign: str
    ) -> Delivery:
        """Send one delivery's push to each device."""
        delivery = self.workspace.new_delivery(
            person,
            "push",
            campaign,
            message.title,
            message.body,
            {"link": message.link} if message.link else None,
        )
        for device in devices:
            self.deliver(delivery, device, message)
        return delivery

    def email(self, person: Person, message: Rendered, campaign: str) -> Delivery:
        """Record an email; the emulator keeps emails, it does not send them.

        A person without an email address gets the delivery marked undeliverable.
        """
        delivery = self.workspace.new_delivery(
            person, "email", campaign, message.title, message.body
        )
        if person.email is None:
            delivery.data["undeliverable"] = "no email address on the profile"
            self._journal(
                delivery,
                f"email {message.title!r} not sent: "
                f"{person.label} has no email address",
            )
        else:
            self._journal(delivery, f"email {message.title!r} to {person.email}")
        return delivery

    def deliver(
        self,
        delivery: Delivery,
        device: Device,
        message: Rendered,
        custom_data: dict[str, str] | None = None,
        custom_payload: dict[str, Any] | None = None,
    ) -> None:
        """Send ``delivery``'s push to one device and keep the provider's verdict.

        A token the provider calls dead is pruned, unless it was registered
        again after the moment the provider gives. ``custom_payload`` is
        Customer.io's ``{"ios": {...}, "android": {...}}``; the device's
        platform picks its part.
        """
        keys = None
        if device.platform == "web":
            keys = {
                "p256dh": str(device.attributes.get("web_push_p256dh", "")),
                "auth": str(device.attributes.get("web_push_auth", "")),
            }
        push = OutboundPush(
            delivery_id=delivery.id,
            token=device.token,
            platform=device.platform,
            title=message.title,
            body=message.body,
            link=message.link,
            image_url=message.image_url,
            custom_data=dict(custom_data or {}),
            web_keys=keys,
            custom_payload=dict((custom_payload or {}).get(device.platform) or {}),
        )
        sender = self.senders.get(device.platform)
        delivery.tokens.append(device.token)
        self._journal(
            delivery,
            f"push {message.title!r} sent to {device.platform} "
            f"token {short_token(device.token)}",
            token=device.token,
        )
        if sender is None:
            self._journal(
                delivery,
                f"no {device.platform} push credentials in this "
                "workspace; nothing sent",
                token=device.token,
            )
            return
        verdict = sender.send(push)
        delivery.verdicts.append(
            StoredVerdict(
                verdict.token,
                verdict.service,
                verdict.accepted,
                verdict.status,
                verdict.reason,
            )
        )
        if verdict.token_dead:
            reason = f"{verdict.service} {verdict.status} {verdict.reason}"
            self.workspace.devices.prune(verdict.token, verdict.dead_since, reason)

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
