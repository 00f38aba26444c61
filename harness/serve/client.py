"""Drive a served emulator's control API from Python: users' tests and ours.

Every method is one request to ``/_harness/``; an error answer raises
:class:`ControlError` carrying the status, the stable code and the message::

    with ControlClient("https://127.0.0.1:8443", verify=".harness/ca.pem") as control:
        control.reset()
        control.advance(minutes=30)
        for line in control.timeline("u-1"):
            print(line["time"], line["layer"], line["text"])
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from .errors import ControlError

if TYPE_CHECKING:
    from .server import Server

Record = dict[str, Any]


class ControlClient:
    """Call the control API of the emulator served at ``base_url``.

    ``verify`` is the CA file to trust (the state folder's ``ca.pem``), or a
    bool as httpx takes it; ``token`` is needed when the server listens beyond
    loopback.
    """

    def __init__(
        self,
        base_url: str,
        *,
        verify: str | Path | bool = True,
        token: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        trust: ssl.SSLContext | bool = (
            verify
            if isinstance(verify, bool)
            else (ssl.create_default_context(cafile=str(verify)))
        )
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=f"{base_url.rstrip('/')}/_harness",
            verify=trust,
            headers=headers,
            timeout=timeout,
        )

    @classmethod
    def for_server(cls, server: Server) -> ControlClient:
        """Return a client for a :class:`Server` started in this process."""
        assert server.tls is not None, "start the server before making its client"
        return cls(server.https_url, verify=server.tls.ca, token=server.token)

    def reset(self) -> list[str]:
        """Empty every workspace, keeping its credentials; return their names."""
        names: list[str] = self._call("POST", "/reset")["workspaces"]
        return names

    def create_workspace(self, name: str, *, ios_topic: str | None = None) -> Record:
        """Create a workspace and return its credentials."""
        body: Record = {"name": name}
        if ios_topic is not None:
            body["ios_topic"] = ios_topic
        return self._call("POST", "/workspaces", body)

    def workspaces(self) -> list[Record]:
        """Return every workspace with its credentials."""
        listed: list[Record] = self._call("GET", "/workspaces")["workspaces"]
        return listed

    def advance(self, delta: timedelta | None = None, /, **units: float) -> Record:
        """Move the emulator's clock on (``minutes=30``); return the clock."""
        step = delta if delta is not None else timedelta(**units)
        return self._call("POST", "/clock/advance", {"seconds": step.total_seconds()})

    def clock(self) -> Record:
        """Return the emulator's time, offset and pending timers."""
        return self._call("GET", "/clock")

    def seed(
        self,
        workspace: str = "default",
        *,
        people: Sequence[Record] = (),
        devices: Sequence[Record] = (),
        events: Sequence[Record] = (),
    ) -> Record:
        """Add people, devices and events to ``workspace`` in one request.

        Returns the people, devices and events it left, as the listings show
        them. A seed with any problem applies nothing and raises ControlError
        listing every problem::

            control.seed(
                people=[{"id": "u-1", "email": "u1@example.com"}],
                devices=[{"person": "u-1", "token": "f0e1", "platform": "ios"}],
                events=[{"person": "u-1", "name": "viewed", "timestamp": 1772442000}],
            )
        """
        body = {
            "people": list(people),
            "devices": list(devices),
            "events": list(events),
        }
        path = f"/workspaces/{quote(workspace, safe='')}/seed"
        return self._call("POST", path, body)

    def people(self, workspace: str = "default") -> list[Record]:
        """Return the people of ``workspace``."""
        return self._list(workspace, "people")

    def devices(self, workspace: str = "default") -> list[Record]:
        """Return the devices of ``workspace``."""
        return self._list(workspace, "devices")

    def deliveries(self, workspace: str = "default") -> list[Record]:
        """Return the deliveries of ``workspace``."""
        return self._list(workspace, "deliveries")

    def timeline(self, identifier: str, workspace: str = "default") -> list[Record]:
        """Return a person's timeline entries: time, layer, kind and text."""
        path = (
            f"/workspaces/{quote(workspace, safe='')}/people/"
            f"{quote(identifier, safe='@')}/timeline"
        )
        response = self._send("GET", path)
        return [json.loads(line) for line in response.text.splitlines() if line]

    def snapshot(self) -> Record:
        """Return everything the emulator holds."""
        return self._call("GET", "/snapshot")

    # -- the phone rack --------------------------------------------------------

    def create_phone(
        self,
        profile: str,
        *,
        workspace: str = "default",
        name: str | None = None,
        answers_prompt: str | None = None,
    ) -> Record:
        """Put a new emulated phone of device profile ``profile`` on the rack.

        Returns its state, whose ``id`` names it in the other phone calls::

            phone = control.create_phone("android-14-pixel")
            control.phone_command(phone["id"], "install", app="reference")
            control.phone_command(phone["id"], "launch")
            control.phone_action(phone["id"], "log_in", email="ada@example.com")
        """
        body: Record = {"profile": profile, "workspace": workspace}
        if name is not None:
            body["name"] = name
        if answers_prompt is not None:
            body["answers_prompt"] = answers_prompt
        return self._call("POST", "/phones", body)

    def phones(self, workspace: str | None = None) -> list[Record]:
        """Return the state of every phone on the rack, or of ``workspace``'s.

        Phone ids are global; a client sharing the server with others should
        name its own workspace here.
        """
        query = "" if workspace is None else f"?workspace={quote(workspace, safe='')}"
        listed: list[Record] = self._call("GET", f"/phones{query}")["phones"]
        return listed

    def phone(self, phone_id: str) -> Record:
        """Return one phone's state: app, app_state, notifications, token, ..."""
        return self._call("GET", self._phone(phone_id))

    def remove_phone(self, phone_id: str) -> Record:
        """Take a phone off the rack; return its last state."""
        return self._call("DELETE", self._phone(phone_id))

    def phone_command(self, phone_id: str, command: str, **fields: Any) -> Record:
        """Give a phone a command (``install``, ``launch``, ``push``, ...).

        ``fields`` are the command's body, such as ``app="reference"`` for
        install; the answer is the phone's state after it.
        """
        path = f"{self._phone(phone_id)}/{quote(command, safe='')}"
        return self._call("POST", path, fields)

    def phone_action(self, phone_id: str, action: str, **fields: Any) -> Record:
        """Use one of the app's screens (``log_in``, ``add_to_cart``, ...)."""
        path = f"{self._phone(phone_id)}/actions/{quote(action, safe='')}"
        return self._call("POST", path, fields)

    def notifications(self, phone_id: str) -> list[Record]:
        """Return what a phone shows, newest first, as getNotifications lists it."""
        listed: list[Record] = self._call(
            "GET", f"{self._phone(phone_id)}/notifications"
        )["statusBarNotifications"]
        return listed

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _phone(self, phone_id: str) -> str:
        return f"/phones/{quote(phone_id, safe='')}"

    def _list(self, workspace: str, kind: str) -> list[Record]:
        listed: list[Record] = self._call(
            "GET", f"/workspaces/{quote(workspace, safe='')}/{kind}"
        )[kind]
        return listed

    def _call(self, method: str, path: str, body: Record | None = None) -> Record:
        document: Record = self._send(method, path, body).json()
        return document

    def _send(
        self, method: str, path: str, body: Record | None = None
    ) -> httpx.Response:
        response = self.http.request(method, path, json=body)
        if response.is_success:
            return response
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
            problems = [str(p) for p in error.get("problems", [])]
        except (ValueError, KeyError, TypeError):
            code, message, problems = "unexpected", response.text[:500], []
        raise ControlError(response.status_code, code, message, problems)
