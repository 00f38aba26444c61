"""Switchable field faults: the SDK and app bugs of shared/field-reports.md.

Each fault is named after what goes wrong and reproduces one field report when
switched on, in an app profile's ``faults:`` list or with ``harness run
--fault NAME``. Every default is the correct behaviour; a fault only ever makes
the emulated SDK or app do the wrong thing the report describes, so the
checklist suite and the invariants can show they catch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["FAULTS", "Fault", "FaultName"]

FaultName = Literal[
    "token_before_identify_never_attached",
    "token_passed_on_first_run_only",
    "major_upgrade_sends_no_device_event",
    "token_from_description",
    "restore_keeps_cached_token",
    "token_refresh_only_on_generation",
    "rotation_deletes_new_device",
    "logout_leaves_device_on_previous_person",
    "anonymous_events_dropped",
    "identity_read_at_flush",
    "identify_applied_async",
    "upgrade_duplicates_device",
    "grant_seen_only_on_relaunch",
    "settings_revoke_not_reported",
    "plain_push_metrics_missing",
    "offline_start_disables_upload",
]


@dataclass(frozen=True)
class Fault:
    """One switchable fault: the report it reproduces and what it does."""

    name: FaultName
    report: str
    does: str
    platforms: tuple[str, ...] = ("ios", "android")
    generations: tuple[str, ...] = ("current",)

    def misfit(self, generation: str) -> str | None:
        """Say why the fault cannot happen on an SDK ``generation``, or None."""
        if generation in self.generations:
            return None
        return (
            f"it is a behaviour of the {' or '.join(self.generations)} SDK, and "
            f"this app runs the {generation} one (sdk.generation), where it "
            "cannot happen; switch it on for an app on the current SDK"
        )


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault(
            "token_before_identify_never_attached",
            "FR-01",
            "the SDK ignores a token that arrives while no one is identified, "
            "and the OS hands it over once per install",
        ),
        Fault(
            "token_passed_on_first_run_only",
            "FR-02",
            "a cross-platform wrapper hands the OS token to the SDK on the first "
            "run after install only; a token that changes later never reaches it",
            generations=("current", "legacy"),
        ),
        Fault(
            "major_upgrade_sends_no_device_event",
            "FR-03",
            "after an update in place to a new major SDK, identify never sends "
            "Device Created or Updated",
        ),
        Fault(
            "token_from_description",
            "FR-04",
            "the app turns the APNs token bytes into text with description "
            "instead of hex, so the stored token is malformed",
            platforms=("ios",),
            generations=("current", "legacy"),
        ),
        Fault(
            "restore_keeps_cached_token",
            "FR-05",
            "after a restore onto a new phone the app reports the token cached "
            "in its backed-up data instead of the new phone's",
            generations=("current", "legacy"),
        ),
        Fault(
            "token_refresh_only_on_generation",
            "FR-06",
            "the app hands the SDK a token only when one is generated, not on "
            "each launch, so an update in place keeps a dead registration",
            generations=("current", "legacy"),
        ),
        Fault(
            "rotation_deletes_new_device",
            "FR-07",
            "Device Deleted for a rotated token is filled in with the token "
            "current at upload, so the new device is deleted",
        ),
        Fault(
            "logout_leaves_device_on_previous_person",
            "FR-08",
            "clearIdentify resets the queue with the Device Deleted still in it, "
            "so the device stays on the person who logged out",
        ),
        Fault(
            "anonymous_events_dropped",
            "FR-10",
            "the SDK ignores track calls while no one is identified",
        ),
        Fault(
            "identity_read_at_flush",
            "FR-11",
            "events take the identity current when the queue is uploaded, not "
            "when they were captured",
        ),
        Fault(
            "identify_applied_async",
            "FR-12",
            "identify takes effect after the next event, so an event tracked "
            "right after it carries the previous identity",
        ),
        Fault(
            "upgrade_duplicates_device",
            "FR-13",
            "the upgraded SDK registers the install again under a second device "
            "record next to the old SDK's",
        ),
        Fault(
            "grant_seen_only_on_relaunch",
            "FR-16",
            "the SDK reads the notification permission once per launch, so a "
            "grant in the in-app prompt shows only after a relaunch",
        ),
        Fault(
            "settings_revoke_not_reported",
            "FR-17",
            "device attributes are re-sent only on a token change, so turning "
            "notifications off in Settings is never reported",
        ),
        Fault(
            "plain_push_metrics_missing",
            "FR-21",
            "the push handler reports metrics only for pushes that carry "
            "custom data, so a title-and-body push is never counted",
            generations=("current", "legacy"),
        ),
        Fault(
            "offline_start_disables_upload",
            "FR-22",
            "a settings fetch that fails on an offline cold start leaves the "
            "upload destination disabled until the next launch",
        ),
    )
}

if set(FAULTS) != set(get_args(FaultName)):  # pragma: no cover - a typo above
    raise RuntimeError("FAULTS and FaultName disagree; name every fault once")
