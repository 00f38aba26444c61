"""The one ASGI app the server serves: every API on one port, told apart by path.

=====================================  =========================================
``/_harness/``                         the control API (:mod:`.control`)
``/api/``, ``/push/events``,           Track API (``harness.track``)
``/unsubscribe/``
``/v1/send/``, ``/v1/customers``,      App API (``harness.appapi``)
``/v1/messages``
any other ``/v1/``                     Pipelines API, as the SDKs call it
=====================================  =========================================

The Track and App APIs are mounted when their packages provide ``create_app``;
until then their paths answer 404 saying so. The Pipelines settings tell the SDKs
to upload to the name they fetched the settings from, on the HTTPS port, as long
as the server's certificate covers that name.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..emulator import Emulator
from ..transport import ASGIApp, Message
from . import control

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mount:
    """A family of paths and the API that answers them."""

    api: str
    prefixes: tuple[str, ...]
    module: str | None = None

    def matches(self, path: str) -> bool:
        """Tell whether ``path`` starts with one of the prefixes, segment-wise."""
        return any(_under(path, prefix) for prefix in self.prefixes)


CONTROL = Mount("control API", ("/_harness",))
TRACK = Mount("Track API", ("/api/", "/push/events", "/unsubscribe/"), "harness.track")
APP = Mount("App API", ("/v1/send/", "/v1/customers", "/v1/messages"), "harness.appapi")
PIPELINES = Mount("Pipelines API", ("/v1/",))
MOUNTS = (CONTROL, TRACK, APP, PIPELINES)


def create_app(
    emulator: Emulator,
    *,
    https_port: int,
    token: str | None = None,
    names: Sequence[str] = ("127.0.0.1",),
    optional: dict[Mount, ASGIApp | str] | None = None,
) -> ASGIApp:
    """Build the served app over ``emulator``.

    ``names`` are the host names the TLS certificate covers; the first is the
    apiHost handed to SDKs that asked under any other name. ``optional`` is what
    :func:`optional_apis` gave, if the caller already asked.
    """
    apps: dict[Mount, ASGIApp | str] = {
        CONTROL: control.create_app(emulator, token),
        **(optional_apis(emulator) if optional is None else optional),
    }

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await _not_http(scope, receive, send)
            return
        path: str = scope["path"]
        mount = next((m for m in MOUNTS if m.matches(path)), None)
        logger.debug("%s %s (%s)", scope["method"], path, mount and mount.api)
        if mount is PIPELINES:
            api_host = _api_host(scope, https_port, names)
            await emulator.pipelines(api_host)(scope, receive, send)
            return
        served = apps.get(mount) if mount else None
        if mount is None:
            await _answer(send, 404, "no_route", _unmatched(scope))
        elif isinstance(served, str) or served is None:
            await _answer(send, 404, "not_built", _not_built(scope, mount, served))
        else:
            await served(scope, receive, send)

    return app


def optional_apis(
    emulator: Emulator, project: Path | None = None
) -> dict[Mount, ASGIApp | str]:
    """Build the Track and App APIs where their packages offer ``create_app``.

    Where one does not (yet), its entry says why instead. The App API sends the
    transactional messages of ``project``'s ``fixtures/transactional/``.
    """
    return {
        TRACK: _build(TRACK, lambda m: _track_api(m, emulator)),
        APP: _build(APP, lambda m: _app_api(m, emulator, project)),
    }


def _build(mount: Mount, build: Callable[[Any], ASGIApp]) -> ASGIApp | str:
    assert mount.module is not None
    try:
        module = importlib.import_module(mount.module)
    except ModuleNotFoundError as error:
        if error.name != mount.module:
            raise
        return f"{mount.module} does not exist"
    if not hasattr(module, "create_app"):
        return f"{mount.module} has no create_app"
    return build(module)


def _track_api(module: Any, emulator: Emulator) -> ASGIApp:
    """Build the Track API over workspaces found by site id and API key.

    Metric and unsubscribe paths carry no credentials, only a delivery id, so
    the app gets a lookup by delivery when it takes one.
    """
    extra: dict[str, Any] = {}
    if "by_delivery" in inspect.signature(module.create_app).parameters:
        extra["by_delivery"] = emulator.workspace_for_delivery
    return cast(ASGIApp, module.create_app(emulator.workspace_for_site, **extra))


def _app_api(module: Any, emulator: Emulator, project: Path | None) -> ASGIApp:
    """Build the App API over what an App API key opens: workspace and messenger."""
    context = getattr(module, "AppContext", None)
    if context is None:
        return cast(ASGIApp, module.create_app(emulator.workspace_for_app_key))
    messages = _transactional(project)

    def directory(key: str) -> Any:
        hosted = emulator.hosted_for_app_key(key)
        if hosted is None:
            return None
        return context(hosted.workspace, hosted.messenger, messages)

    return cast(ASGIApp, module.create_app(directory))


def _transactional(project: Path | None) -> tuple[Any, ...]:
    folder = project / "fixtures" / "transactional" if project else None
    if folder is None or not folder.is_dir():
        return ()
    module = importlib.import_module("harness.transactional")
    return tuple(module.load_transactional(folder))


def _under(path: str, prefix: str) -> bool:
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(f"{prefix}/")


def _api_host(scope: Message, port: int, names: Sequence[str]) -> str:
    """Return the apiHost for SDKs that reached the server under the Host header."""
    host = ""
    for key, value in scope.get("headers", []):
        if key == b"host":
            host = value.decode("latin-1")
    name = host[1:].partition("]")[0] if host.startswith("[") else host.split(":")[0]
    if name not in names:
        name = names[0]
    shown = f"[{name}]" if ":" in name else name
    return f"{shown}:{port}/v1"


def _unmatched(scope: Message) -> str:
    served = "; ".join(f"{', '.join(m.prefixes)} ({m.api})" for m in MOUNTS)
    return (
        f"{scope['method']} {scope['path']} matches no API this emulator serves; "
        f"paths start with {served}. Send the request under one of these."
    )


def _not_built(scope: Message, mount: Mount, why: str | None) -> str:
    return (
        f"{scope['method']} {scope['path']} belongs to the {mount.api}, which this "
        f"emulator does not serve yet ({why}); use the Pipelines API under /v1/ "
        "meanwhile."
    )


async def _answer(send: Any, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _not_http(scope: Message, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].replace("lifespan.", "")
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
