"""The shop's own server: what it tells Customer.io, over the real APIs.

A shop's backend does what an app should not be trusted with: it tracks the
purchase the moment payment clears (Data Pipelines ``POST /v1/track`` with the
write key, as Customer.io's server libraries do), sends transactional pushes
(App API ``POST /v1/send/push``), keeps manual segments (Track API ``POST
/api/v1/segments/{id}/add_customers`` with the site id and API key) and
triggers broadcasts (App API ``POST /v1/campaigns/{id}/triggers``). Devices
reach it through their
:class:`~harness.device.context.Context`; scenarios through ``world.send_push``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

import httpx

from .clock import Clock
from .errors import ScenarioError
from .ids import Ids
from .journal import Entry, Journal

__all__ = ["ShopBackend"]

logger = logging.getLogger(__name__)

PIPELINES = "cdp.customer.io/v1"
APP_API = "api.customer.io"
TRACK_API = "track.customer.io"


class ShopBackend:
    """One shop's server, holding its workspace's keys: Pipelines, App and Track."""

    def __init__(
        self,
        http: httpx.Client,
        clock: Clock,
        ids: Ids,
        journal: Journal,
        *,
        write_key: str,
        app_api_key: str,
        site_id: str,
        api_key: str,
    ) -> None:
        self.http, self.clock, self.ids, self.journal = http, clock, ids, journal
        self.write_key, self.app_api_key = write_key, app_api_key
        self.site_id, self.api_key = site_id, api_key

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
        response = self._app_api(
            "POST",
            "/v1/send/push",
            f"the transactional push to {user_id}",
            body,
        )
        delivery_id: str = response.json()["delivery_id"]
        return delivery_id

    def add_to_segment(self, segment_id: str, user_ids: Iterable[str]) -> None:
        """Add people, by user id, to a manual segment through the Track API."""
        ids = list(user_ids)
        segment = quote(segment_id, safe="")
        response = self.http.post(
            f"https://{TRACK_API}/api/v1/segments/{segment}/add_customers",
            json={"ids": ids},
            auth=(self.site_id, self.api_key),
        )
        self._note(
            "segment",
            f"shop backend added {', '.join(ids)} to manual segment {segment_id}: "
            f"{response.status_code}",
        )
        if response.status_code != 200:
            raise ScenarioError(
                f"the Track API refused to add {', '.join(ids)} to manual segment "
                f"{segment_id}: {response.status_code} {response.text}"
            )

    def trigger_broadcast(
        self,
        broadcast: int | str,
        data: dict[str, Any] | None = None,
        ids: Iterable[str] | None = None,
        *,
        emails: Iterable[str] | None = None,
        per_user_data: list[dict[str, Any]] | None = None,
        recipients: dict[str, Any] | None = None,
        id_ignore_missing: bool = False,
        email_ignore_missing: bool = False,
        email_add_duplicates: bool = False,
    ) -> int:
        """Trigger an API-triggered broadcast through the App API; return its id.

        ``broadcast`` is its number, or its name, which is looked up first with
        ``GET /v1/broadcasts``. Without ``ids``, ``emails``, ``per_user_data``
        or ``recipients`` it reaches the broadcast's own audience; ``data`` is
        ``trigger`` in its templates. A broadcast takes one trigger every 10
        seconds: advance the clock between two.
        """
        broadcast = self._broadcast_id(broadcast)
        body: dict[str, Any] = {"data": data or {}}
        listed = {"ids": ids, "emails": emails}
        body.update({k: list(v) for k, v in listed.items() if v is not None})
        named = {"per_user_data": per_user_data, "recipients": recipients}
        body.update({k: v for k, v in named.items() if v is not None})
        flags = {
            "id_ignore_missing": id_ignore_missing,
            "email_ignore_missing": email_ignore_missing,
            "email_add_duplicates": email_add_duplicates,
        }
        body.update({k: True for k, v in flags.items() if v})
        response = self._app_api(
            "POST",
            f"/v1/campaigns/{broadcast}/triggers",
            f"to trigger broadcast {broadcast}",
            body,
            note=("broadcast", f"shop backend triggered broadcast {broadcast}"),
        )
        trigger_id: int = response.json()["id"]
        return trigger_id

    def _broadcast_id(self, broadcast: int | str) -> int:
        if isinstance(broadcast, int) or broadcast.isdigit():
            return int(broadcast)
        response = self._app_api(
            "GET", "/v1/broadcasts", f"to list broadcasts, to find {broadcast!r}"
        )
        listed = response.json()["broadcasts"]
        for found in listed:
            if str(found["name"]).lower() == broadcast.lower():
                return int(found["id"])
        names = ", ".join(f"{b['id']} ({b['name']})" for b in listed) or "none"
        raise ScenarioError(
            f"no broadcast is named {broadcast!r}; the workspace declares {names}. "
            "Trigger one of these, or add it under fixtures/broadcasts/."
        )

    def _app_api(
        self,
        method: str,
        path: str,
        what: str,
        body: dict[str, Any] | None = None,
        *,
        note: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Call the App API with the key; raise ScenarioError quoting a refusal.

        ``what`` names the call in the refusal ("to trigger broadcast 1");
        ``note`` is a journal kind and text, journalled with the status.
        """
        response = self.http.request(
            method,
            f"https://{APP_API}{path}",
            json=body,
            headers={"authorization": f"Bearer {self.app_api_key}"},
        )
        if note is not None:
            kind, text = note
            self._note(kind, f"{text}: {response.status_code}")
        if response.status_code != 200:
            raise ScenarioError(
                f"the App API refused {what}: {response.status_code} "
                f"{_refusal(response)}"
            )
        return response

    def _note(self, kind: str, text: str) -> None:
        self.journal.record(Entry(self.clock.now(), "backend", kind, text))


def _refusal(response: httpx.Response) -> str:
    """Return the App API's error text as written, in either of its shapes.

    The send and lookup routes answer ``{"meta": {"error": ...}}``; the
    broadcast routes ``{"errors": [{"detail": ...}]}``.
    """
    try:
        document = response.json()
    except ValueError:
        return response.text
    meta = document.get("meta") if isinstance(document, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("error"), str):
        return str(meta["error"])
    errors = document.get("errors") if isinstance(document, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    detail = first.get("detail") if isinstance(first, dict) else None
    return detail if isinstance(detail, str) else response.text
