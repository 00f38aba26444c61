"""What an emulated device needs from the run around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from ..apps import AppProfile
from ..backend import ShopBackend
from ..clock import Clock
from ..ids import Ids
from ..journal import Journal
from ..profiles import DeviceProfile
from ..push.notification import PushEndpoint
from ..push.services import PushServices

if TYPE_CHECKING:
    from ..emulator import Emulator


@dataclass
class Context:
    """The clock, ids, journal, HTTP client and push services devices share.

    ``track_auth`` is the workspace's Track API site id and API key, which the
    legacy SDKs (iOS 2.x, Android 3.x) send as Basic auth.
    """

    clock: Clock
    ids: Ids
    journal: Journal
    http: httpx.Client
    write_key: str
    push: PushServices
    fcm_project: str
    backend: ShopBackend
    track_auth: tuple[str, str]

    @classmethod
    def for_workspace(
        cls,
        emulator: Emulator,
        name: str,
        ids: Ids,
        journal: Journal | None = None,
    ) -> Context:
        """Return what devices of workspace ``name`` share, on ``emulator``.

        The devices and the shop's backend reach the workspace over
        ``emulator.http`` with its keys; they draw ids from ``ids`` and write
        to ``journal``, by default the workspace's own. Raises UnknownName if
        no workspace has that name.
        """
        hosted = emulator.hosted(name)
        keys = hosted.keys
        journal = journal if journal is not None else hosted.workspace.journal
        backend = ShopBackend(
            emulator.http,
            emulator.clock,
            ids.child("backend"),
            journal,
            write_key=keys.write_key,
            app_api_key=keys.app_api_key,
            site_id=keys.site_id,
            api_key=keys.api_key,
        )
        return cls(
            emulator.clock,
            ids.child("devices"),
            journal,
            emulator.http,
            keys.write_key,
            emulator.push,
            keys.fcm_project,
            backend,
            (keys.site_id, keys.api_key),
        )

    def issue_token(
        self, profile: DeviceProfile, app: AppProfile, endpoint: PushEndpoint
    ) -> str:
        """Ask the phone's push service for a token for this install."""
        if profile.push.service == "apns":
            environment = profile.push.environment or "production"
            return self.push.apns.issue_token(app.bundle_id, environment, endpoint)
        return self.push.fcm.issue_token(
            self.fcm_project, app.bundle_id, endpoint, platform=profile.platform
        )

    def app_active(self, profile: DeviceProfile, token: str) -> str:
        """Tell the push service the app connected; return its token, maybe new.

        An FCM token idle for 270 days has expired, so the app gets a new one.
        """
        if profile.push.service == "fcm":
            return self.push.fcm.app_active(token)
        return token

    def reconnect(self, profile: DeviceProfile, token: str) -> int:
        """Tell the phone's push service it is online; return how many pushes came."""
        if profile.push.service == "apns":
            return self.push.apns.reconnect(token)
        return self.push.fcm.reconnect(token)

    def unregister_token(self, profile: DeviceProfile, token: str) -> None:
        """Tell the push service the install behind ``token`` is gone."""
        lag = profile.token.invalidation_lag
        if profile.push.service == "apns":
            self.push.apns.unregister(token, lag)
        else:
            self.push.fcm.unregister(token, lag)
