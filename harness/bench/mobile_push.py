"""Mobile push, side by side: moto's SNS against the harness, on the same work.

One pair is what a test of a push feature does first: register a device, then
send it a push. On moto (SNS mobile push, boto3) that is
``create_platform_endpoint`` and ``publish``; on the harness it is the SDK's
identify with the device's token through Pipelines (``POST /v1/batch``) and
the shop backend's transactional push (App API ``POST /v1/send/push``), which
goes on to the emulated APNs. Each side is measured in process (moto's
``mock_aws``, the harness's embedded emulator) and served (``moto_server``,
``harness serve``), alternating run by run; the ratios are of each run's pair.

The fixed per-test cost is what a test pays before its first request: entering
``mock_aws`` and making a boto3 client, or making an emulator with its
workspace; served, resetting the server (``/moto-api/reset``,
``/_harness/reset``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from ..clock import Clock
from ..emulator import Emulator
from ..ids import Ids
from ..journal import Journal
from ..runner import select
from ..transactional import TransactionalMessage, load_transactional
from ..world import World
from .errors import BenchError
from .figures import Figure, Section, Target
from .servers import Served, harness_serve, moto_server
from .sizes import Sizes

__all__ = ["mobile_push_section"]

RATIO = 5.0  # the harness at least this many times moto's pairs per second
FIXED_MS = 5.0  # the most a test may pay before its first request, in ms
REGION = "us-east-1"
PROFILE = "ios-17-iphone"  # the World's device profile for its set-up cost
MESSAGE = "order-shipped"  # fixtures/transactional/order-shipped.yaml
DATA = {"order_number": "1042", "items": "Merino socks"}

EMBEDDED = ("https://cdp.customer.io", "https://api.customer.io")

Urls = tuple[str, str]
Messages = Sequence[TransactionalMessage]


def mobile_push_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Measure register-and-send pairs on moto and on the harness."""
    section = Section("3a. Register a device and send it a push: moto SNS vs harness")
    rows = {
        name: section.add(Figure(name, "pairs/s"))
        for name in (
            "moto in-process (mock_aws)",
            "harness embedded",
            "moto server mode",
            "harness serve",
        )
    }
    embedded = section.add(_ratio("  harness embedded / moto in-process"))
    served = section.add(_ratio("  harness serve / moto server mode"))
    fixed = {
        name: section.add(Figure(f"per-test set-up, {name}", "ms", digits=2))
        for name in ("mock_aws + boto3 client", "harness emulator", "harness World")
    }
    fixed.update(
        (name, section.add(Figure(f"per-test reset, {name}", "ms", digits=2)))
        for name in ("moto server", "harness serve")
    )
    fixed["harness World"].note = "what a scenario gets: the fixtures loaded too"
    for name in ("harness emulator", "harness World", "harness serve"):
        fixed[name].target = Target(f"<= {FIXED_MS:.0f} ms", most=FIXED_MS)
    messages = load_transactional(root / "fixtures" / "transactional")
    fixed["mock_aws + boto3 client"].runs += _fixed_moto(sizes)
    fixed["harness emulator"].runs += _fixed_emulator(sizes, messages)
    fixed["harness World"].runs += _fixed_world(root, sizes)
    with moto_server(folder) as moto, harness_serve(root, folder) as harness:
        for run in range(sizes.runs):
            first = run * sizes.pairs
            pairs = [
                _moto_in_process(sizes.pairs, first),
                _harness_embedded(messages, sizes.pairs, first),
                _moto_served(moto, sizes.pairs, first),
                _harness_served(harness, sizes.pairs, first),
            ]
            for figure, rate in zip(rows.values(), pairs, strict=True):
                figure.runs.append(rate)
            embedded.runs.append(pairs[1] / pairs[0])
            served.runs.append(pairs[3] / pairs[2])
        fixed["moto server"].runs += _resets(f"{moto.url}/moto-api/reset", sizes)
        fixed["harness serve"].runs += _resets(f"{harness.url}/_harness/reset", sizes)
    return section


def _ratio(label: str) -> Figure:
    return Figure(label, "x", target=Target(f">= {RATIO:.0f}x", least=RATIO), digits=1)


# -- moto ----------------------------------------------------------------------


def _sns(endpoint: str | None = None) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client(
        "sns",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _application(sns: Any) -> str:
    made = sns.create_platform_application(
        Name="shop-ios",
        Platform="APNS",
        Attributes={"PlatformCredential": "key", "PlatformPrincipal": "cert"},
    )
    return str(made["PlatformApplicationArn"])


def _moto_pairs(sns: Any, count: int, first: int) -> float:
    application = _application(sns)
    started = time.perf_counter()
    for n in range(first, first + count):
        endpoint = sns.create_platform_endpoint(
            PlatformApplicationArn=application, Token=_token(n)
        )
        sns.publish(TargetArn=endpoint["EndpointArn"], Message="Your order shipped")
    return count / (time.perf_counter() - started)


def _moto_in_process(count: int, first: int) -> float:
    from moto import mock_aws

    with mock_aws():
        return _moto_pairs(_sns(), count, first)


def _moto_served(moto: Served, count: int, first: int) -> float:
    httpx.post(f"{moto.url}/moto-api/reset", timeout=10)
    return _moto_pairs(_sns(moto.url), count, first)


def _fixed_moto(sizes: Sizes) -> list[float]:
    from moto import mock_aws

    _sns()  # boto3 loads its service models once per process, not per test
    times = []
    for _ in range(sizes.fixed_runs):
        started = time.perf_counter()
        with mock_aws():
            _sns()
            times.append((time.perf_counter() - started) * 1000)
    return times


# -- harness -------------------------------------------------------------------


def _harness_pairs(
    http: httpx.Client, keys: dict[str, str], count: int, first: int, urls: Urls
) -> float:
    """Play pairs: Pipelines at ``urls[0]``, the App API at ``urls[1]``."""
    pipelines, app_api = urls
    write = (keys["write_key"], "")
    bearer = {"authorization": f"Bearer {keys['app_api_key']}"}
    started = time.perf_counter()
    for n in range(first, first + count):
        user = f"shopper-{n}"
        registered = http.post(
            f"{pipelines}/v1/batch", auth=write, json=_register(user, n)
        )
        sent = http.post(f"{app_api}/v1/send/push", headers=bearer, json=_send(user))
        if registered.status_code != 200 or sent.status_code != 200:
            raise BenchError(
                f"the harness refused a pair: batch {registered.status_code} "
                f"{registered.text[:200]}, send {sent.status_code} {sent.text[:200]}"
            )
    return count / (time.perf_counter() - started)


def _emulator(messages: Messages) -> Emulator:
    emulator = Emulator(
        Clock(), Ids(0), Journal(), transactional=messages, foreign_tokens=True
    )
    emulator.create_workspace("default")
    return emulator


def _harness_embedded(messages: Messages, count: int, first: int) -> float:
    emulator = _emulator(messages)
    keys = emulator.hosted("default").keys
    given = {"write_key": keys.write_key, "app_api_key": keys.app_api_key}
    try:
        return _harness_pairs(emulator.http, given, count, first, EMBEDDED)
    finally:
        emulator.close()


def _harness_served(harness: Served, count: int, first: int) -> float:
    keys = {
        "write_key": harness.env["CIO_WRITE_KEY"],
        "app_api_key": harness.env["CIO_APP_API_KEY"],
    }
    with httpx.Client(trust_env=False, timeout=10) as http:
        http.post(f"{harness.url}/_harness/reset")
        return _harness_pairs(http, keys, count, first, (harness.url, harness.url))


def _fixed_emulator(sizes: Sizes, messages: Messages) -> list[float]:
    _emulator(messages).close()
    times = []
    for _ in range(sizes.fixed_runs):
        started = time.perf_counter()
        _emulator(messages).close()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _fixed_world(root: Path, sizes: Sizes) -> list[float]:
    selection = select(root, profiles=[PROFILE])
    profile, app = selection.profiles[0], selection.app
    times = []
    for _ in range(sizes.fixed_runs + 1):
        started = time.perf_counter()
        World(profile, app, root=root).emulator.close()
        times.append((time.perf_counter() - started) * 1000)
    return times[1:]  # the first pays for imports no later test pays again


def _resets(url: str, sizes: Sizes) -> list[float]:
    times = []
    with httpx.Client(trust_env=False, timeout=10) as http:
        for _ in range(sizes.fixed_runs):
            started = time.perf_counter()
            answer = http.post(url)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code >= 300:
                raise BenchError(f"POST {url} answered {answer.status_code}")
    return times


def _register(user: str, n: int) -> dict[str, Any]:
    device = {"token": _token(n), "type": "ios"}
    return {
        "batch": [
            {
                "type": "identify",
                "userId": user,
                "traits": {"email": f"{user}@example.com"},
                "messageId": f"identify-{n}",
            },
            {
                "type": "track",
                "userId": user,
                "event": "Device Created or Updated",
                "properties": {"push_enabled": "true"},
                "context": {"device": device},
                "messageId": f"device-{n}",
            },
        ]
    }


def _send(user: str) -> dict[str, Any]:
    return {
        "transactional_message_id": MESSAGE,
        "identifiers": {"id": user},
        "message_data": DATA,
    }


def _token(n: int) -> str:
    return f"{n:064x}"
