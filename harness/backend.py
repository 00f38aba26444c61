"""The shop's own server: what it tells Customer.io, over the real APIs.

A shop's backend does what an app should not be trusted with: it tracks the
purchase the moment payment clears (Data Pipelines ``POST /v1/track`` with the
write key, as Customer.io's server libraries do) and sends transactional pushes
(App API ``POST /v1/send/push``). Devices reach it through their
:class:`~harness.device.context.Context`; scenarios through ``world.send_push``.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from .clock import Clock
from .errors import ScenarioError
from .ids import Ids
from .journal import Entry, Journal

__all__ = ["ShopBackend"]

logger = logging.getLogger(__name__)

PIPELINES = "cdp.customer.io/v1"
APP_API = "api.customer.io"


class ShopBackend:
    """One shop's server, holding its workspace's write key and App API key."""

    def __init__(
        self,
        http: httpx.Client,
        clock: Clock,
        ids: Ids,
        journal: Journal,
        *,
        write_key: str,
        app_api_key: str,
    ) -> None:
        self.http, self.clock, self.ids, self.journal = http, clock, ids, journal
        self.write_key, self.app_api_key = write_key, app_api_key

    def track(self, user_id: str, event: str, properties: dict[str, Any]) -> None:
        """Track ``event`` for ``user_id`` now, as a server library would."""
        body = {
            "type": "track",
            "userId": user_id,
            "event": event,
            "properties": properties,
            "messageId": self.ids.uuid4(),
            "timestamp": self.clock.now().isoformat().replace("+00:00", "Z"),
        }
        response = self.http.post(
            f"https://{PIPELINES}/track", json=body, auth=(self.write_key, "")
        )
        self.journal.record(
            Entry(
                self.clock.now(),
                "backend",
                "track",
                f"shop backend tracked {event!r} for {user_id}: {response.status_code}",
            )
        )
        if response.status_code >= 300:
            raise ScenarioError(
                f"Data Pipelines refused the backend's {event!r} for {user_id}: "
                f"{response.status_code} {response.text}"
            )

    def send_push(
        self,
        user_id: str,
        message: str,
        *,
        data: dict[str, Any] | None = None,
        custom_payload: dict[str, Any] | None = None,
        to: str | None = None,
    ) -> str:
        """Send a transactional push through the App API; return its delivery id."""
        body: dict[str, Any] = {
            "transactional_message_id": message,
            "identifiers": {"id": user_id},
            "message_data": data or {},
        }
        if custom_payload is not None:
            body["custom_payload"] = custom_payload
        if to is not None:
            body["to"] = to
        response = self.http.post(
            f"https://{APP_API}/v1/send/push",
            json=body,
            headers={"authorization": f"Bearer {self.app_api_key}"},
        )
        if response.status_code != 200:
            raise ScenarioError(
                f"the App API refused the transactional push to {user_id}: "
                f"{response.status_code} {_api_error(response)}"
            )
        delivery_id: str = response.json()["delivery_id"]
        return delivery_id


def _api_error(response: httpx.Response) -> str:
    """Return the App API's error text, as written (``{"meta": {"error": ...}}``)."""
    try:
        meta = response.json().get("meta")
    except ValueError:
        return response.text
    error = meta.get("error") if isinstance(meta, dict) else None
    return error if isinstance(error, str) else response.text
