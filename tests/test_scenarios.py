"""Every shipped scenario passes on every device profile that can play it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.apps import load_apps
from harness.errors import ExpectationFailed
from harness.profiles import load_profiles
from harness.scripts import Scenario, collect
from harness.world import World

ROOT = Path(__file__).resolve().parents[1]
OUTCOMES = ROOT / "scenarios" / "push_outcomes.py"
# Each outcome scenario, and the outcome the shopper's timeline must name.
OUTCOME_OF = {
    "push_is_shown_and_counted": "shown",
    "provisional_push_is_shown_quietly": "shown quietly",
    "notifications_turned_off_in_settings_drop_the_push": "dropped",
    "blocked_channel_drops_while_push_enabled_stays_true": "dropped",
    "force_stopped_app_gets_nothing_until_opened": "not delivered",
    "oem_battery_saver_delays_the_push": "delayed",
    "doze_holds_normal_priority_until_a_maintenance_window": "delayed",
    "offline_device_gets_what_its_provider_stored": "stored until online",
    "uninstalled_app_never_sees_the_push": "never",
}
SCENARIOS = [
    s
    # The scenarios this project ships; users' own scenario files are theirs to run.
    for path in [ROOT / "scenarios" / "cart_recovery.py", OUTCOMES]
    if not path.name.startswith("_")
    for s in collect(path)
]
PROFILES = load_profiles(ROOT / "device-profiles")
APPS = load_apps(ROOT / "fixtures" / "apps")
NATIVE = [name for name, p in PROFILES.items() if p.supports("native_app")]


def world(profile: str, app: str) -> World:
    """Return a world for one cell, to be entered as the runner enters it."""
    return World(PROFILES[profile], APPS[app], root=ROOT, seed=0)


def by_name(name: str) -> Scenario:
    [found] = [s for s in SCENARIOS if s.name == name]
    return found


def test_scenarios_are_found() -> None:
    assert SCENARIOS
    assert "anonymous_web_cart_reaches_the_app" in {s.name for s in SCENARIOS}


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_passes_with_the_reference_app(
    scenario: Scenario, profile: str
) -> None:
    reason = scenario.skip_reason(PROFILES[profile])
    if reason is not None:
        pytest.skip(reason)

    with world(profile, "reference") as cell:
        scenario.func(cell)


@pytest.mark.parametrize("profile", NATIVE)
def test_app_that_never_identifies_fails_naming_the_unstitched_cart(
    profile: str,
) -> None:
    play = by_name("anonymous_web_cart_reaches_the_app").func

    with (
        world(profile, "never-identifies") as cell,
        pytest.raises(ExpectationFailed) as caught,
    ):
        play(cell)

    text = str(caught.value)
    assert "never stitched" in text
    assert "added_to_cart" in text


def test_there_is_an_outcome_scenario_for_every_outcome() -> None:
    from harness.device.inbox import Outcome

    named = {s.name for s in collect(OUTCOMES)}
    assert set(OUTCOME_OF) <= named
    assert set(OUTCOME_OF.values()) == {o.value for o in Outcome}


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("name", sorted(OUTCOME_OF))
def test_the_timeline_names_the_outcome(name: str, profile: str) -> None:
    scenario = by_name(name)
    reason = scenario.skip_reason(PROFILES[profile])
    if reason is not None:
        pytest.skip(reason)

    with world(profile, "reference") as cell:
        scenario.func(cell)
        timeline = cell.timeline(cell.shopper())

    assert f"' {OUTCOME_OF[name]}: " in timeline
