"""Rules for what the phone itself does: force stop, Doze, reboot, OS updates.

:class:`SystemSteps` is mixed into :class:`~harness.fuzz.machine.Journeys`.
None of these changes who the app is logged in as, so the model only hears
of a token the OS took away; the invariants then check that the SDK catches
up at the next launch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis.stateful import precondition, rule

from ..device.phone import EmulatedPhone
from . import states
from .model import Model, PhoneState
from .strategies import picks

__all__ = ["SystemSteps", "next_os"]

# The release each OS updates to next, as (version, Android API level).
NEXT_ANDROID = {"12": ("13", 33), "13": ("14", 34), "14": ("15", 35)}
NEXT_IOS = {"15": "16", "16": "17", "17": "18"}


def next_os(phone: EmulatedPhone) -> tuple[str, int | None] | None:
    """Return the OS release ``phone`` can update to, or None at the newest."""
    profile = phone.profile
    major = profile.os_version.split(".")[0]
    if profile.platform == "android":
        return NEXT_ANDROID.get(major)
    following = NEXT_IOS.get(major)
    return (f"{following}.0", None) if following else None


def updatable(state: PhoneState) -> bool:
    return state.installed and next_os(state.phone) is not None


class SystemSteps:
    """The phone's own steps; expects the machine's model, act and pick."""

    model: Model
    act: Callable[[str, Callable[[], Any]], tuple[bool, Any]]
    _any: Callable[[Callable[[PhoneState], bool]], bool]
    _pick: Callable[[Callable[[PhoneState], bool], int], PhoneState]

    @precondition(lambda self: self._any(states.android))
    @rule(pick=picks)
    def force_stop(self, pick: int) -> None:
        """Force-stop the app in Android's Settings: no pushes until it opens."""
        state = self._pick(states.android, pick)
        self.act(f"{state.var}.force_stop()", state.phone.force_stop)

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks)
    def doze(self, pick: int) -> None:
        """Leave the phone idle until Doze holds normal-priority pushes."""
        state = self._pick(states.installed, pick)
        self.act(f"{state.var}.doze()", state.phone.doze)

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks)
    def wake(self, pick: int) -> None:
        """Pick the phone up: Doze ends."""
        state = self._pick(states.installed, pick)
        self.act(f"{state.var}.wake()", state.phone.wake)

    @precondition(lambda self: self._any(states.installed))
    @rule(pick=picks)
    def reboot(self, pick: int) -> None:
        """Restart the phone: the app's process ends, its token stays."""
        state = self._pick(states.installed, pick)
        self.act(f"{state.var}.reboot()", state.phone.reboot)

    @precondition(lambda self: self._any(updatable))
    @rule(pick=picks)
    def upgrade_os(self, pick: int) -> None:
        """Install the next OS release; the profile says if the token survives."""
        state = self._pick(updatable, pick)
        target = next_os(state.phone)
        assert target is not None  # the precondition picked an updatable phone
        version, api_level = target
        level = f", {api_level}" if api_level is not None else ""
        ran, _ = self.act(
            f'{state.var}.upgrade_os("{version}"{level})',
            lambda: state.phone.upgrade_os(version, api_level),
        )
        if ran and state.phone.permission == "not_determined":
            # Android 13 starts an app that never showed a push with them off:
            # the user has not been asked on this OS yet.
            state.asked = False
