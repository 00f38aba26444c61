"""A bounded load generator: a fixed number of keep-alive HTTP/1.1 connections.

Each connection sends a request, reads the whole answer, and sends the next,
until the run's count is reached; no more than ``connections`` requests are
ever in flight, so a slow server shows as latency, not as an unbounded queue.
Requests are made by a function of their number, so every batch can carry
fresh message ids. Raw sockets keep the client's own cost per request to a few
microseconds, well under any server's measured here; it runs on uvloop when
installed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from .errors import BenchError
from .figures import median

__all__ = ["Load", "drive", "request_bytes"]

Make = Callable[[int], bytes]
"""Return the whole request (head and body) for request number ``n``."""


@dataclass
class Load:
    """What one run of the generator saw: counts, time, latencies, statuses."""

    requests: int
    seconds: float
    latencies: list[float] = field(repr=False)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        """Return requests per second."""
        return self.requests / max(self.seconds, 1e-9)

    def percentile(self, share: float) -> float:
        """Return the latency below which ``share`` of requests fell, in ms."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[index] * 1000

    @property
    def p50(self) -> float:
        """Return the median latency in ms."""
        return median(self.latencies) * 1000

    @property
    def p99(self) -> float:
        """Return the 99th percentile latency in ms."""
        return self.percentile(0.99)


def request_bytes(
    method: str,
    path: str,
    host: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> bytes:
    """Return an HTTP/1.1 keep-alive request as it goes on the wire."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


def drive(
    host: str,
    port: int,
    make: Make,
    total: int,
    *,
    connections: int = 8,
    warmup: int = 0,
    expect: int = 200,
) -> Load:
    """Send ``warmup`` then ``total`` requests over ``connections`` connections.

    Raises BenchError if an answer's status is not ``expect``: a benchmark of
    refused requests measures nothing.
    """
    if warmup:
        _run(_drive(host, port, make, warmup, connections, total))
    load = _run(_drive(host, port, make, total, connections, 0))
    wrong = {s: n for s, n in load.statuses.items() if s != expect}
    if wrong:
        raise BenchError(
            f"http://{host}:{port} answered {wrong} besides {expect}; the load "
            "was refused, so its rate means nothing. Check the request's keys."
        )
    return load


def _run(main: Coroutine[Any, Any, Load]) -> Load:
    try:
        import uvloop
    except ImportError:  # the plain loop is slower, not wrong
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def _drive(
    host: str, port: int, make: Make, total: int, connections: int, first: int
) -> Load:
    numbers = iter(range(first, first + total))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for number in numbers:
                request = make(number)
                started = time.perf_counter()
                writer.write(request)
                statuses[await _answer(reader)] += 1
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(min(connections, total))))
    return Load(total, time.perf_counter() - started, latencies, statuses)


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one whole answer; return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, rest = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        await _chunks(reader)
    elif length:
        await reader.readexactly(length)
    return status


async def _chunks(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return
