"""What a phone in a generated journey is in: installed, open, closed, allowed...

The state machine's preconditions and picks read these; each takes the model's
:class:`~harness.fuzz.model.PhoneState` and looks at the phone behind it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..device.phone import EmulatedPhone
from .model import PhoneState

__all__ = [
    "allowed_and_in", "android", "closed", "closed_or_back", "installed",
    "is_open", "open_as_someone", "queued", "running", "tappable", "variables",
    "would_allow",
]  # fmt: skip


def installed(state: PhoneState) -> bool:
    return state.installed


def android(state: PhoneState) -> bool:
    return state.installed and state.phone.profile.platform == "android"


def running(state: PhoneState) -> bool:
    return state.installed and state.phone.is_running()


def is_open(state: PhoneState) -> bool:
    return state.installed and state.phone.state == "foreground"


def closed(state: PhoneState) -> bool:
    return state.installed and not state.phone.is_running()


def open_as_someone(state: PhoneState) -> bool:
    return is_open(state) and state.identity is not None


def allowed_and_in(state: PhoneState) -> bool:
    return (
        state.installed
        and state.identity is not None
        and state.phone.permission == "granted"
    )


def would_allow(state: PhoneState) -> bool:
    """Tell whether a correct app has notifications on: asked, allowed, kept on."""
    return (
        state.installed
        and state.identity is not None
        and state.asked
        and not state.settings_off
        and state.phone.answers_prompt == "allow"
    )


def closed_or_back(state: PhoneState) -> bool:
    return state.installed and state.phone.state != "foreground"


def tappable(state: PhoneState) -> list[int]:
    phone = state.phone
    if phone.app is None:
        return []
    return [
        i
        for i, item in enumerate(phone.inbox.items)
        if item.outcome.visible
        and item.tapped_at is None
        and item.notification.token == phone.token
    ]


def queued(phone: EmulatedPhone) -> Counter[str]:
    """Return the events (by name) and opens still queued in the phone's app."""
    if phone.app is None:
        return Counter()
    names: Counter[str] = Counter()
    for envelope in phone.app.sdk.pending():
        name = str(envelope.get("event") or envelope.get("name") or "")
        name = name or str(envelope.get("type", ""))  # an identify names none
        metric = (envelope.get("properties") or {}).get("metric")
        names["opened" if metric == "opened" else name] += 1
    return names


def variables(states: Sequence[PhoneState]) -> str:
    return ", ".join(s.var for s in states)
