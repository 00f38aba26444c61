"""harness: a test harness and emulator for push notifications and identity.

The public API scenarios and users' own tests build on; everything else lives in
modules a user need not import.
"""

from .apps import AppProfile
from .clock import Clock
from .errors import (
    ConfigError,
    ExpectationFailed,
    HarnessError,
    ScenarioError,
    UnknownName,
    Unsupported,
)
from .profiles import DeviceProfile
from .scenario import Scenario, scenario
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
