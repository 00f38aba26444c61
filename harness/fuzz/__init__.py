"""Generated orderings: a state machine over shoppers and phones, and replay.

``run_fuzz`` plays :class:`Journeys` (a Hypothesis rule-based state machine)
against a reference model and the invariants of shared/field-reports.md, and
writes the first failure, shrunk, as a plain scenario under
``scenarios/found/``. The checks and the ``phone`` helper below are what
found scenarios import; subclass :class:`Journeys` to add rules and checks
(see docs/fuzz.md).
"""

from __future__ import annotations

from .cast import ORDER, legacy_build, phone
from .habits import (
    events_fit_plan,
    no_cart_reminder,
    no_first_launch_prompt,
    notifications_on,
    sdk_is_current,
)
from .invariants import (
    delivered_counts,
    events_between,
    push_enabled_is,
    reaches,
    registered,
    token_not_on,
)
from .machine import FuzzConfig, Journeys, machine_for
from .model import Model
from .mutation import Mutation, mutation_table, render_table
from .search import DEFAULT_PROFILES, FuzzResult, run_fuzz
from .strategies import messages, minutes, picks, switches, tracked

__all__ = [
    "DEFAULT_PROFILES",
    "FuzzConfig",
    "FuzzResult",
    "Journeys",
    "Model",
    "Mutation",
    "ORDER",
    "delivered_counts",
    "events_between",
    "events_fit_plan",
    "legacy_build",
    "machine_for",
    "messages",
    "minutes",
    "mutation_table",
    "no_cart_reminder",
    "no_first_launch_prompt",
    "notifications_on",
    "phone",
    "picks",
    "push_enabled_is",
    "reaches",
    "registered",
    "render_table",
    "run_fuzz",
    "sdk_is_current",
    "switches",
    "token_not_on",
    "tracked",
]
