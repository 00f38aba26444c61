"""The embedded emulator: workspaces, push services and the hosts that serve them.

Everything a run talks to is reached over HTTP through one ``httpx.Client``. In
embedded mode its transport hands each request to the in-process ASGI app for the
request's host, so the SDKs and the sender use the real hostnames
(``cdp.customer.io``, ``api.push.apple.com``, ``fcm.googleapis.com``) and the
real wire formats without opening a socket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from .campaigns import Campaign, CampaignEngine
from .clock import Clock
from .delivery import Messenger, Sender
from .ids import Ids
from .journal import Journal
from .pipelines import create_app as pipelines_app
from .push.clients import ApnsClient, FcmClient, WebPushClient
from .push.services import Credentials, PushServices
from .transport import InProcessTransport
from .workspace import Workspace

logger = logging.getLogger(__name__)

PIPELINES_HOSTS = ("cdp.customer.io", "cdp-eu.customer.io")


@dataclass(frozen=True)
class Keys:
    """A workspace's credentials, as its settings pages would show them."""

    site_id: str
    api_key: str
    write_key: str
    app_api_key: str
    fcm_project: str
    vapid_public_key: str


@dataclass
class HostedWorkspace:
    """A workspace with its keys, campaign engine and outbound messenger."""

    workspace: Workspace
    keys: Keys
    engine: CampaignEngine
    messenger: Messenger
    push_credentials: Credentials


class Emulator:
    """Hold workspaces and push services, reachable through :attr:`http`."""

    def __init__(self, clock: Clock, ids: Ids, journal: Journal) -> None:
        self.clock, self.ids, self.journal = clock, ids, journal
        self.push = PushServices(clock, ids.child("push"), journal)
        self.workspaces: dict[str, HostedWorkspace] = {}
        self._by_write_key: dict[str, Workspace] = {}
        self.transport = InProcessTransport(self.push.hosts())
        for host in PIPELINES_HOSTS:
            app = pipelines_app(self._by_write_key.get, api_host=f"{host}/v1")
            self.transport.mount(host, app)
        self.http = httpx.Client(transport=self.transport, timeout=10)

    def create_workspace(
        self,
        name: str,
        campaigns: list[Campaign],
        *,
        ios_topic: str,
        apns_environment: str = "production",
    ) -> HostedWorkspace:
        """Create a workspace with fresh credentials and its campaigns running."""
        ids = self.ids.child(f"workspace/{name}")
        workspace = Workspace(name, self.clock, ids.child("model"), self.journal)
        credentials = Credentials.generate(ids.child("push"))
        self.push.provision(credentials)
        keys = Keys(
            site_id=ids.hex(10),
            api_key=ids.hex(10),
            write_key=ids.b64url(24),
            app_api_key=ids.hex(20),
            fcm_project=credentials.fcm_project_id,
            vapid_public_key=credentials.vapid_public_key,
        )
        senders: dict[str, Sender] = {
            "ios": ApnsClient(
                self.http,
                credentials.apns_key_id,
                credentials.apns_team_id,
                credentials.apns_private_key_pem,
                ios_topic,
                apns_environment,
                self.clock,
            ),
            "android": FcmClient(
                self.http, credentials.fcm_project_id, credentials.fcm_access_token
            ),
            "web": WebPushClient(
                self.http,
                credentials.vapid_private_key_pem,
                "mailto:push@shop.example",
                self.clock,
            ),
        }
        messenger = Messenger(workspace, senders)
        engine = CampaignEngine(workspace, campaigns, messenger)
        hosted = HostedWorkspace(workspace, keys, engine, messenger, credentials)
        self.workspaces[name] = hosted
        self._by_write_key[keys.write_key] = workspace
        logger.info("workspace %s created (write key %s)", name, keys.write_key)
        return hosted

    def close(self) -> None:
        """Release the HTTP client."""
        self.http.close()
