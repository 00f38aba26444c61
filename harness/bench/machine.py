"""What the figures were taken on: the machine and the versions of every piece."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .servers import web_push_testing_version

__all__ = ["machine", "versions"]

PACKAGES = (
    "harness",
    "moto",
    "boto3",
    "pywebpush",
    "hypercorn",
    "uvicorn",
    "httpx",
    "starlette",
    "hypothesis",
)


def machine() -> str:
    """Return the CPU count and model, the Python and the OS, on one line."""
    cpus = os.cpu_count() or 0
    python = f"{platform.python_implementation()} {platform.python_version()}"
    system = f"{platform.system()} {platform.release()} {platform.machine()}"
    return f"{cpus} CPUs, {_cpu_model()}; {python}; {system}"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return " ".join(value.split())
    return platform.processor() or "unknown CPU"


def versions() -> str:
    """Return the versions of the harness, the alternatives and the stack."""
    found = [f"{name} {_version(name)}" for name in PACKAGES]
    found.append(f"web-push-testing {web_push_testing_version()}")
    found.append(f"node {_node()}")
    return ", ".join(found)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _node() -> str:
    try:
        done = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return done.stdout.strip().removeprefix("v") or "unknown"
