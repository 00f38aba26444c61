"""What ``harness serve`` prints once it listens: for people, or as shell exports."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from pathlib import Path

from ..journal import plural
from .server import Server

TRUST = 'trust it: export SSL_CERT_FILE={ca}; see README "Serving"'


def banner(server: Server) -> str:
    """Return the lines that tell a person where everything is served."""
    assert server.tls is not None and server.emulator is not None
    https, http = server.https_url, server.http_url
    lines = [f"harness serve: listening on {_listening(server)}"]
    made = "made now" if server.tls.ca_created else "reused"
    trust = TRUST.format(ca=shlex.quote(str(server.tls.ca.resolve())))
    lines.append(f"  CA certificate  {_shown(server.tls.ca)}  ({made}; {trust})")
    for name, hosted in server.emulator.workspaces.items():
        keys, pad = hosted.keys, " " * (len(name) + 14)
        lines.append(
            f"  workspace {name}: site id {keys.site_id}, track api key {keys.api_key}"
        )
        lines.append(f"{pad}write key {keys.write_key}, app api key {keys.app_api_key}")
    lines += [
        f"  Track API     {https}/api/v1",
        f"  Pipelines     {https}/v1   (SDK apiHost/cdnHost: {server.api_host})",
        f"  App API       {https}/v1",
        f"  control       {https}/_harness/  (openapi.json; phones: /_harness/phones)",
        f"  storefront    {http or https}/shop/?workspace=<name>  (Customer.io's "
        "browser SDK)",
        f"  APNs          {https}/3/device/<token>  (HTTP/2; Host "
        "api.sandbox.push.apple.com for the sandbox)",
        f"  Web Push      {https}/webpush/<vendor host>/...  (browsers' endpoints)",
        f"  campaigns     {_campaigns(server)}",
        f"  state         {_state(server)}",
    ]
    if server.token:
        lines.append(
            f"  control token {server.token}  (send 'Authorization: Bearer <token>' "
            "to /_harness/)"
        )
        if not _loopback(server.bind):
            lines.append(
                "  beyond loopback: whoever reaches this host can use the keys "
                "above; the control API wants the token."
            )
    if http:
        lines.append(f"  plain HTTP    every API also answers on {http}")
    lines.append("Stop with Ctrl+C.")
    return "\n".join(lines)


def exports(server: Server) -> str:
    """Return shell lines exporting what clients need: CA, URLs, credentials."""
    assert server.tls is not None and server.emulator is not None
    ca = str(server.tls.ca.resolve())
    values = {
        "SSL_CERT_FILE": ca,
        "REQUESTS_CA_BUNDLE": ca,
        "NODE_EXTRA_CA_CERTS": ca,
        "HARNESS_CA": ca,
        "HARNESS_URL": server.https_url,
        "HARNESS_HTTP_URL": server.http_url or "",
        "HARNESS_API_HOST": server.api_host,
        "HARNESS_HOST": server.host,
        "HARNESS_PORT": str(server.https_port),
        "HARNESS_PID": str(os.getpid()),
    }
    if server.token:
        values["HARNESS_CONTROL_TOKEN"] = server.token
    workspaces = list(server.emulator.workspaces.items())
    for index, (name, hosted) in enumerate(workspaces):
        keys = hosted.keys
        credentials = {
            "SITE_ID": keys.site_id,
            "API_KEY": keys.api_key,
            "WRITE_KEY": keys.write_key,
            "APP_API_KEY": keys.app_api_key,
        }
        if index == 0:
            values.update({f"CIO_{k}": v for k, v in credentials.items()})
        if len(workspaces) > 1:
            tag = re.sub(r"[^A-Z0-9]", "_", name.upper())
            values.update({f"HARNESS_{tag}_{k}": v for k, v in credentials.items()})
    lines = [
        f"# harness serve on {server.https_url}; stop it with Ctrl+C, or with "
        'kill "$HARNESS_PID" when it runs in the background'
    ]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in values.items()]
    return "\n".join(lines)


def _campaigns(server: Server) -> str:
    names = [campaign.name for campaign in server.options.campaigns]
    return ", ".join(names) or "none (no fixtures/campaigns/ in the project)"


def _state(server: Server) -> str:
    if server.state_file is None:
        return "in memory (a restart starts empty; --state DIR keeps it)"
    if not server.resumed:
        return f"{_shown(server.state_file)} (a new run)"
    replayed = f"replayed {plural(server.replayed, 'request')}"
    if server.diverged:
        replayed += f"; {server.diverged} answered otherwise, see the log"
    return f"{_shown(server.state_file)} ({replayed})"


def _listening(server: Server) -> str:
    urls = [u for u in (server.https_url, server.http_url) if u]
    if not ipaddress.ip_address(server.bind).is_unspecified:
        return " and ".join(urls)
    ports = f"port {server.https_port}" + (
        f" (https) and {server.http_port} (http)" if server.http_url else ""
    )
    return f"every address of this host ({server.bind}), {ports}; here: {urls[0]}"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _loopback(host: str) -> bool:
    """Tell whether ``host`` is reachable from this machine only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
