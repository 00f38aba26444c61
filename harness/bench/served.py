"""Served figures: ``harness serve`` under a bounded load, beside bare uvicorn.

Each run drives the bare uvicorn GET, then a 20-event Pipelines batch, then a
Track identify, through the same load generator over plain HTTP/1.1 on
loopback; the batch's rate is also shown as a share of the GET's from the same
run. Server and generator are separate processes on the same two cores.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from .events import PER_BATCH, Batches
from .figures import Figure, Section, Target
from .loadgen import Load, drive, request_bytes
from .servers import Served, bare_uvicorn, harness_serve
from .sizes import Sizes

__all__ = ["served_section"]

GET_SHARE = 0.35  # the batch's rate as a share of the bare GET's, at least
P99_MS = 20.0


def served_section(root: Path, sizes: Sizes, folder: Path) -> Section:
    """Measure the served Pipelines batch and Track identify against bare GETs."""
    section = Section(
        f"2. Served (plain HTTP/1.1 on loopback, {sizes.connections} keep-alive "
        "connections)"
    )
    bare = section.add(Figure("bare uvicorn GET", "req/s", note="the baseline"))
    batch = section.add(
        Figure(
            f"Pipelines batch of {PER_BATCH}",
            "req/s",
            note=f"POST /v1/batch, {sizes.load_requests:,} a run",
        )
    )
    share = section.add(
        Figure(
            "  batch rate / bare GET rate",
            "",
            target=Target(f">= {GET_SHARE:.2f}", least=GET_SHARE),
            digits=2,
        )
    )
    batch_p50 = section.add(Figure("  batch p50 latency", "ms", digits=2))
    batch_p99 = section.add(
        Figure(
            "  batch p99 latency",
            "ms",
            target=Target(f"< {P99_MS:.0f} ms", most=P99_MS),
            digits=2,
        )
    )
    identify = section.add(
        Figure("Track identify", "req/s", note="PUT /api/v1/customers/{id}")
    )
    identify_p50 = section.add(Figure("  identify p50 latency", "ms", digits=2))
    identify_p99 = section.add(Figure("  identify p99 latency", "ms", digits=2))
    with bare_uvicorn(folder) as baseline, harness_serve(root, folder) as served:
        for run in range(sizes.runs):
            got = _bare(baseline, sizes)
            posted = _batches(served, sizes, run)
            bare.runs.append(got.rate)
            batch.runs.append(posted.rate)
            share.runs.append(posted.rate / got.rate)
            batch_p50.runs.append(posted.p50)
            batch_p99.runs.append(posted.p99)
            identified = _identifies(served, sizes, run)
            identify.runs.append(identified.rate)
            identify_p50.runs.append(identified.p50)
            identify_p99.runs.append(identified.p99)
    return section


def _bare(served: Served, sizes: Sizes) -> Load:
    request = request_bytes("GET", "/", f"127.0.0.1:{served.port}")
    total = sizes.load_requests * 4  # a GET is quick: give it a steady stretch
    return drive(
        "127.0.0.1",
        served.port,
        lambda n: request,
        total,
        connections=sizes.connections,
        warmup=total // 10,
    )


def _batches(served: Served, sizes: Sizes, run: int) -> Load:
    write_key = served.env["CIO_WRITE_KEY"]
    batches = Batches(write_key)
    headers = {
        "Content-Type": "application/json",
        "Authorization": _basic(write_key, ""),
    }
    host = f"127.0.0.1:{served.port}"
    first = run * sizes.load_requests * 2  # fresh message ids in every run

    def make(n: int) -> bytes:
        body = batches.body(first + n)
        return request_bytes("POST", "/v1/batch", host, body, headers)

    return drive(
        "127.0.0.1",
        served.port,
        make,
        sizes.load_requests,
        connections=sizes.connections,
        warmup=sizes.load_requests // 10,
    )


def _identifies(served: Served, sizes: Sizes, run: int) -> Load:
    auth = _basic(served.env["CIO_SITE_ID"], served.env["CIO_API_KEY"])
    headers = {"Content-Type": "application/json", "Authorization": auth}
    host = f"127.0.0.1:{served.port}"

    def make(n: int) -> bytes:
        person = f"bench-{run}-{n}"
        body = json.dumps({"email": f"{person}@example.com", "plan": "gold"})
        path = f"/api/v1/customers/{person}"
        return request_bytes("PUT", path, host, body.encode(), headers)

    return drive(
        "127.0.0.1",
        served.port,
        make,
        sizes.load_requests,
        connections=sizes.connections,
        warmup=sizes.load_requests // 10,
    )


def _basic(user: str, password: str) -> str:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {pair}"
