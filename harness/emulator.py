"""The emulator: workspaces, push services and the hosts that serve them.

Everything a run talks to is reached over HTTP through one ``httpx.Client``. In
embedded mode its transport hands each request to the in-process ASGI app for the
request's host, so the SDKs and the sender use the real hostnames
(``cdp.customer.io``, ``api.push.apple.com``, ``fcm.googleapis.com``) and the
real wire formats without opening a socket.

Served (``harness serve``), the same workspaces answer over sockets: the
lookups by credentials, :meth:`Emulator.pipelines` with the server's own
apiHost, :meth:`Emulator.reset` and the read-outs (people, devices, deliveries,
timelines, :meth:`Emulator.snapshot`) are what the control API stands on. The
read-outs are plain records; the wire layer above turns them into JSON.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .appapi import AppContext
from .appapi import create_app as app_api
from .campaigns import Campaign, CampaignEngine, Journey
from .campaigns.broadcast import Broadcast
from .campaigns.broadcaster import Broadcaster
from .clock import Clock
from .delivery import Messenger, Sender
from .errors import UnknownName
from .ids import Ids
from .journal import Entry, Journal, Subjects
from .pipelines import create_app as pipelines_app
from .push.clients import ApnsClient, FcmClient, WebPushClient
from .push.services import Credentials, PushServices
from .track import create_app as track_app
from .transactional import TransactionalMessage
from .transport import ASGIApp, InProcessTransport
from .workspace import Delivery, Device, Person, UnknownPerson, Workspace

logger = logging.getLogger(__name__)

PIPELINES_HOSTS = ("cdp.customer.io", "cdp-eu.customer.io")
TRACK_HOSTS = ("track.customer.io", "track-eu.customer.io")
APP_HOSTS = ("api.customer.io", "api-eu.customer.io")
DEFAULT_IOS_TOPIC = "com.example.shop"


@dataclass(frozen=True)
class Keys:
    """A workspace's credentials, as its settings pages would show them."""

    site_id: str
    api_key: str
    write_key: str
    app_api_key: str
    fcm_project: str
    vapid_public_key: str


@dataclass(frozen=True)
class Plan:
    """What a workspace is made with, kept so a reset can make it again."""

    campaigns: tuple[Campaign, ...]
    ios_topic: str
    apns_environment: str
    policies: dict[str, Any] = field(default_factory=dict)


@dataclass
class HostedWorkspace:
    """A workspace with its keys, campaign engine, broadcasts and messenger."""

    workspace: Workspace
    keys: Keys
    engine: CampaignEngine
    messenger: Messenger
    push_credentials: Credentials
    plan: Plan = field(repr=False)
    broadcaster: Broadcaster = field(repr=False)


class Emulator:
    """Hold workspaces and push services, reachable through :attr:`http`.

    ``campaigns`` and ``ios_topic`` are what :meth:`create_workspace` gives a
    workspace when the call names none; every workspace sends the
    ``transactional`` messages and can trigger the ``broadcasts``. With
    ``journal_per_workspace`` each workspace writes its own journal, so two
    workspaces that happen to use the same anonymous id or token never show up
    in each other's timelines; the push services keep writing :attr:`journal`.
    """

    def __init__(
        self,
        clock: Clock,
        ids: Ids,
        journal: Journal,
        *,
        campaigns: Iterable[Campaign] = (),
        ios_topic: str = DEFAULT_IOS_TOPIC,
        journal_per_workspace: bool = False,
        transactional: Iterable[TransactionalMessage] = (),
        broadcasts: Iterable[Broadcast] = (),
        foreign_tokens: bool = False,
    ) -> None:
        self.clock, self.ids, self.journal = clock, ids, journal
        self.transactional = tuple(transactional)
        self.broadcasts = tuple(broadcasts)
        self.campaigns = tuple(campaigns)
        self.ios_topic = ios_topic
        self.journal_per_workspace = journal_per_workspace
        self.foreign_tokens = foreign_tokens
        self.push = PushServices(
            clock, ids.child("push"), journal, foreign_tokens=foreign_tokens
        )
        self.workspaces: dict[str, HostedWorkspace] = {}
        self._served_pipelines: dict[str, ASGIApp] = {}
        self.transport = InProcessTransport(self.push.hosts())
        for host in PIPELINES_HOSTS:
            app = pipelines_app(self.workspace_for_write_key, api_host=f"{host}/v1")
            self.transport.mount(host, app)
        self.track_api = track_app(
            self.workspace_for_site, by_delivery=self.workspace_for_delivery
        )
        self.app_api = app_api(self._app_context)
        for host in TRACK_HOSTS:
            self.transport.mount(host, self.track_api)
        for host in APP_HOSTS:
            self.transport.mount(host, self.app_api)
        self.http = httpx.Client(transport=self.transport, timeout=10)

    def _app_context(self, app_api_key: str) -> AppContext | None:
        hosted = self.hosted_for_app_key(app_api_key)
        if hosted is None:
            return None
        return AppContext(
            hosted.workspace, hosted.messenger, self.transactional, hosted.broadcaster
        )

    def create_workspace(
        self,
        name: str,
        campaigns: Iterable[Campaign] | None = None,
        *,
        ios_topic: str | None = None,
        apns_environment: str = "production",
        single_owner: bool = True,
        merge_devices: str = "move",
        create_segments: bool = True,
    ) -> HostedWorkspace:
        """Create a workspace with fresh credentials and its campaigns running.

        Credentials come from the seeded id stream and the name, so a restarted
        emulator with the same seed hands out the same keys. The last three
        keywords are the workspace's named policies (see docs/named-policies.md).
        """
        if name in self.workspaces:
            raise ValueError(
                f"workspace {name!r} exists already; give the new one another name "
                "or call reset() to empty the existing one."
            )
        plan = Plan(
            tuple(self.campaigns if campaigns is None else campaigns),
            ios_topic or self.ios_topic,
            apns_environment,
            {
                "single_owner": single_owner,
                "merge_devices": merge_devices,
                "create_segments": create_segments,
            },
        )
        ids = self.ids.child(f"workspace/{name}")
        credentials = Credentials.generate(ids.child("push"))
        keys = Keys(
            site_id=ids.hex(10),
            api_key=ids.hex(10),
            write_key=ids.b64url(24),
            app_api_key=ids.hex(20),
            fcm_project=credentials.fcm_project_id,
            vapid_public_key=credentials.vapid_public_key,
        )
        hosted = self._host(name, keys, credentials, plan)
        logger.info("workspace %s created (write key %s)", name, keys.write_key)
        return hosted

    def _host(
        self, name: str, keys: Keys, credentials: Credentials, plan: Plan
    ) -> HostedWorkspace:
        ids = self.ids.child(f"workspace/{name}")
        journal = Journal() if self.journal_per_workspace else self.journal
        workspace = Workspace(
            name, self.clock, ids.child("model"), journal, **plan.policies
        )
        self.push.provision(credentials)
        messenger = Messenger(workspace, self._senders(credentials, plan))
        engine = CampaignEngine(workspace, list(plan.campaigns), messenger)
        broadcaster = Broadcaster(workspace, messenger, self.broadcasts)
        hosted = HostedWorkspace(
            workspace, keys, engine, messenger, credentials, plan, broadcaster
        )
        self.workspaces[name] = hosted
        return hosted

    def _senders(self, credentials: Credentials, plan: Plan) -> dict[str, Sender]:
        return {
            "ios": ApnsClient(
                self.http,
                credentials.apns_key_id,
                credentials.apns_team_id,
                credentials.apns_private_key_pem,
                plan.ios_topic,
                plan.apns_environment,
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

    # -- lookups by credentials --------------------------------------------------

    def workspace_for_write_key(self, write_key: str) -> Workspace | None:
        """Return the workspace whose Pipelines write key this is, if any."""
        for hosted in self.workspaces.values():
            if _same(hosted.keys.write_key, write_key):
                return hosted.workspace
        return None

    def workspace_for_site(self, site_id: str, api_key: str) -> Workspace | None:
        """Return the workspace a Track API site id and API key open, if any."""
        for hosted in self.workspaces.values():
            keys = hosted.keys
            if _same(keys.site_id, site_id) and _same(keys.api_key, api_key):
                return hosted.workspace
        return None

    def workspace_for_app_key(self, app_api_key: str) -> Workspace | None:
        """Return the workspace an App API key opens, if any."""
        hosted = self.hosted_for_app_key(app_api_key)
        return hosted.workspace if hosted else None

    def hosted_for_app_key(self, app_api_key: str) -> HostedWorkspace | None:
        """Return the hosted workspace, messenger included, for an App API key."""
        for hosted in self.workspaces.values():
            if _same(hosted.keys.app_api_key, app_api_key):
                return hosted
        return None

    def workspace_for_delivery(self, delivery_id: str) -> Workspace | None:
        """Return the workspace that made a delivery (metrics carry only its id)."""
        for hosted in self.workspaces.values():
            if delivery_id in hosted.workspace.deliveries:
                return hosted.workspace
        return None

    def hosted(self, name: str) -> HostedWorkspace:
        """Return the workspace called ``name``; raise UnknownName if none is."""
        if name not in self.workspaces:
            raise UnknownName("workspace", name, self.workspaces)
        return self.workspaces[name]

    # -- serving -----------------------------------------------------------------

    def pipelines(self, api_host: str) -> ASGIApp:
        """Return a Pipelines app whose settings point the SDKs at ``api_host``.

        ``api_host`` is what the SDKs put after ``https://``, such as
        ``127.0.0.1:8443/v1``; apps are kept per host, so each is built once.
        """
        app = self._served_pipelines.get(api_host)
        if app is None:
            app = pipelines_app(self.workspace_for_write_key, api_host=api_host)
            self._served_pipelines[api_host] = app
        return app

    def reset(self) -> None:
        """Empty every workspace, keeping its name, credentials and campaigns.

        Pending timers are cancelled and the journals start afresh; the clock
        keeps its time, since time only moves forward.
        """
        self.clock.clear()
        self.journal = Journal()
        served_at = self.push.webpush.served_at
        self.push = PushServices(
            self.clock,
            self.ids.child("push"),
            self.journal,
            foreign_tokens=self.foreign_tokens,
        )
        self.push.webpush.served_at = served_at
        for host, app in self.push.hosts().items():
            self.transport.mount(host, app)
        hosted = list(self.workspaces.values())
        self.workspaces.clear()
        for old in hosted:
            self._host(old.workspace.name, old.keys, old.push_credentials, old.plan)
        logger.info("emulator reset: %d workspace(s) emptied", len(hosted))

    # -- read-outs ---------------------------------------------------------------

    def people(self, name: str) -> list[Person]:
        """Return the people of workspace ``name``, oldest profile first."""
        people = self.hosted(name).workspace.people.values()
        return sorted(people, key=lambda p: p.created_at)

    def devices(self, name: str) -> list[Device]:
        """Return the devices of workspace ``name``, by registration time."""
        devices = self.hosted(name).workspace.devices.by_token.values()
        return sorted(devices, key=lambda d: d.registered_at)

    def deliveries(self, name: str) -> list[Delivery]:
        """Return the deliveries of workspace ``name``, oldest first."""
        deliveries = self.hosted(name).workspace.deliveries.values()
        return sorted(deliveries, key=lambda d: d.created_at)

    def timeline(self, name: str, identifier: str) -> list[Entry]:
        """Return the journal entries touching one person, in time order.

        ``identifier`` is an id, an email, a ``cio_`` id, or an anonymous id that
        was never identified. The workspace's own entries come with the
        providers' verdicts and outcomes for that person's deliveries.
        """
        workspace = self.hosted(name).workspace
        subjects = self._subjects(workspace, identifier)
        entries = workspace.journal.about(subjects)
        if workspace.journal is not self.journal:
            providers = [
                e for e in self.journal if e.delivery_id in subjects.deliveries
            ]
            entries = sorted(entries + providers, key=lambda e: e.at)
        return entries

    def _subjects(self, workspace: Workspace, identifier: str) -> Subjects:
        person = workspace.find(identifier)
        if person is None:
            subjects = Subjects(anonymous_ids={identifier})
            if any(subjects.touches(e) for e in workspace.journal):
                return subjects
            raise UnknownPerson(
                f"workspace {workspace.name!r} holds no person or anonymous id "
                f"{identifier!r}; look them up by id, email, cio_ id or anonymous "
                "id, as the people listing shows them."
            )
        deliveries = workspace.deliveries_of(person)
        tokens = {d.token for d in workspace.devices.of(person)}
        return Subjects(
            people={person.cio_id},
            anonymous_ids=set(person.anonymous_ids),
            tokens=tokens | {t for d in deliveries for t in d.tokens},
            deliveries={d.id for d in deliveries},
        )

    def snapshot(self) -> dict[str, Any]:
        """Return everything the emulator holds, as plain records."""
        workspaces: dict[str, Any] = {}
        for name, hosted in self.workspaces.items():
            workspace = hosted.workspace
            workspaces[name] = {
                "keys": hosted.keys,
                "people": self.people(name),
                "devices": self.devices(name),
                "events": list(workspace.events),
                "deliveries": self.deliveries(name),
                "rejections": list(workspace.rejections),
                "journeys": [_journey(j) for j in hosted.engine.journeys],
                "journal": list(workspace.journal)
                if self.journal_per_workspace
                else [],
            }
        return {
            "clock": {
                "now": self.clock.now(),
                "live": self.clock.is_live,
                "offset": self.clock.offset,
                "pending": [(t.when, t.label) for t in self.clock.pending()],
            },
            "workspaces": workspaces,
            "journal": list(self.journal),
        }

    def close(self) -> None:
        """Release the HTTP client."""
        self.http.close()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _journey(journey: Journey) -> dict[str, Any]:
    return {
        "campaign": journey.campaign.name,
        "person": journey.person.cio_id,
        "step": journey.step,
        "done": journey.done,
        "log": list(journey.log),
    }
