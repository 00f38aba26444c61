"""harness: a test harness and emulator for push notifications and identity.

The public API scenarios and users' own tests build on. Names are imported on
first use, so loading the pytest plugin does not pull in the whole emulator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    ConfigError,
    ExpectationFailed,
    HarnessError,
    ScenarioError,
    UnknownName,
    Unsupported,
)

if TYPE_CHECKING:
    from .apps import AppProfile
    from .clock import Clock
    from .profiles import DeviceProfile
    from .scripts import Scenario, scenario
    from .world import World

__all__ = [
    "AppProfile",
    "Clock",
    "ConfigError",
    "DeviceProfile",
    "ExpectationFailed",
    "HarnessError",
    "Scenario",
    "ScenarioError",
    "UnknownName",
    "Unsupported",
    "World",
    "scenario",
]

_LAZY = {
    "AppProfile": "apps",
    "Clock": "clock",
    "DeviceProfile": "profiles",
    "Scenario": "scripts",
    "World": "world",
    "scenario": "scripts",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
