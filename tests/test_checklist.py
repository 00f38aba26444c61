"""The checklist suite: the reference app passes it everywhere; every mistake fails.

Each common-mistake app profile and each switchable field fault must fail the
checklist item named below, and only through a failed expectation (never an
error), with the shopper's timeline in the message. The tables here are the
ones docs/checklist.md prints.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.apps import AppProfile, load_apps
from harness.checklist import SUITES
from harness.errors import ExpectationFailed
from harness.faults import FAULTS
from harness.profiles import DeviceProfile
from harness.scripts import Scenario, collect
from harness.world import World
from tests.conftest import ROOT

ITEMS = {s.name: s for s in collect(SUITES["checklist"] / "items.py")}
APPS = load_apps(ROOT / "fixtures" / "apps")

# mistake app profile -> the item that must fail, on these profiles
MISTAKES = {
    "email-as-identifier": ("identify_on_login_with_a_stable_id", "any"),
    "no-anonymous-merge": ("anonymous_activity_merged", "any"),
    "prompt-on-first-launch": ("permission_prompt_not_on_first_launch", "any"),
    "cart-without-sku-price": ("core_events_follow_one_schema", "any"),
    "purchase-tracked-in-app": ("late_purchase_suppresses_the_cart_push", "any"),
    "never-identifies": ("identify_on_login_with_a_stable_id", "any"),
}

# field fault -> the item that must fail
CAUGHT_BY = {
    "token_before_identify_never_attached": "device_on_profile_after_token_capture",
    "token_passed_on_first_run_only": "rotated_token_replaces_the_old_one",
    "major_upgrade_sends_no_device_event": "update_in_place_keeps_one_current_device",
    "token_from_description": "device_on_profile_after_token_capture",
    "restore_keeps_cached_token": "restore_onto_a_new_phone_reaches_the_new_phone",
    "token_refresh_only_on_generation": "update_in_place_keeps_one_current_device",
    "rotation_deletes_new_device": "rotated_token_replaces_the_old_one",
    "logout_leaves_device_on_previous_person": "logout_takes_the_device_off_the_person",
    "anonymous_events_dropped": "anonymous_activity_merged",
    "identity_read_at_flush": "each_event_lands_on_the_person_who_did_it",
    "identify_applied_async": "each_event_lands_on_the_person_who_did_it",
    "upgrade_duplicates_device": "update_in_place_keeps_one_current_device",
    "grant_seen_only_on_relaunch": "opt_in_and_opt_out_tracked_and_respected",
    "settings_revoke_not_reported": "opt_in_and_opt_out_tracked_and_respected",
    "plain_push_metrics_missing": "push_metrics_counted_once",
    "offline_start_disables_upload": "events_captured_offline_arrive_once",
}

# One iPhone and one Android phone with a runtime prompt: every fault shows there.
PHONES = ("ios-17-iphone", "android-14-pixel")


def play(item: Scenario, profile: DeviceProfile, app: AppProfile) -> None:
    """Play one checklist item in a fresh world."""
    with World(profile, app, root=ROOT) as world:
        item.func(world)


def fails(item: Scenario, profile: DeviceProfile, app: AppProfile) -> str:
    """Play ``item`` and return the failed expectation's message."""
    with pytest.raises(ExpectationFailed) as failed:
        play(item, profile, app)
    return str(failed.value)


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_the_reference_app_passes_every_item_on_every_profile(
    name: str, profiles: dict[str, DeviceProfile]
) -> None:
    item, ran = ITEMS[name], 0
    for profile in profiles.values():
        if item.skip_reason(profile) is None:
            play(item, profile, APPS["reference"])
            ran += 1
    assert ran >= 12, f"{name} ran on {ran} profiles only"


def test_every_fault_is_caught_by_an_item() -> None:
    assert set(CAUGHT_BY) == set(FAULTS)
    assert set(CAUGHT_BY.values()) <= set(ITEMS)


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
@pytest.mark.parametrize("phone", PHONES)
def test_a_fault_fails_its_item_with_the_timeline(
    fault: str, phone: str, profiles: dict[str, DeviceProfile]
) -> None:
    profile = profiles[phone]
    if profile.platform not in FAULTS[fault].platforms:
        pytest.skip(f"{fault} exists on {', '.join(FAULTS[fault].platforms)} only")
    app = APPS["reference"].with_faults((fault,))  # type: ignore[arg-type]
    message = fails(ITEMS[CAUGHT_BY[fault]], profile, app)
    assert "timeline of " in message
    assert "with app reference" in message


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
@pytest.mark.parametrize("phone", PHONES)
def test_a_common_mistake_fails_its_item(
    mistake: str, phone: str, profiles: dict[str, DeviceProfile]
) -> None:
    item, _ = MISTAKES[mistake]
    message = fails(ITEMS[item], profiles[phone], APPS[mistake])
    assert f"with app {mistake}" in message


def test_an_app_that_never_asks_passes_on_android_12_and_fails_on_13(
    profiles: dict[str, DeviceProfile],
) -> None:
    item, app = ITEMS["push_deep_link_opens_the_right_screen"], APPS["never-asks"]
    play(item, profiles["android-12-samsung"], app)
    message = fails(item, profiles["android-13-xiaomi"], app)
    assert "falling back to email: no device with push enabled" in message


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run the harness command in the project, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    code = "import sys; from harness.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_suite_runs_from_the_command_line_and_names_the_failed_item() -> None:
    done = run(
        "run", "--suite", "checklist", "--app", "email-as-identifier",
        "--profiles", "ios-17-iphone", "--junit", "/dev/null", "-p", "no:cacheprovider",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "identify_on_login_with_a_stable_id[ios-17-iphone]" in done.stdout
    assert "should have the stable user id" in done.stdout
    assert "timeline of shopper" in done.stdout
    assert "what the checks saw:" in done.stdout


def test_a_fault_is_switched_on_from_the_command_line() -> None:
    done = run(
        "run", "--suite", "checklist", "--fault", "anonymous_events_dropped",
        "--profiles", "android-14-pixel", "-k", "anonymous", "--junit", "/dev/null",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "with fault anonymous_events_dropped" in done.stdout
    assert "[fault anonymous_events_dropped]" in done.stdout


def test_an_unknown_fault_is_refused_with_the_known_ones() -> None:
    done = run("run", "--suite", "checklist", "--fault", "no_such_fault")
    assert done.returncode == 2
    assert "--fault: unknown field fault 'no_such_fault'" in done.stderr
    assert "anonymous_events_dropped" in done.stderr


def test_a_token_sent_as_its_description_is_flagged_at_registration(
    profiles: dict[str, DeviceProfile],
) -> None:
    app = APPS["reference"].with_faults(("token_from_description",))
    item = ITEMS["device_on_profile_after_token_capture"]
    message = fails(item, profiles["ios-17-iphone"], app)
    assert "is not an APNs device token (64 to 200 hex digits)" in message


def test_a_fault_of_the_current_sdk_is_refused_on_a_legacy_app() -> None:
    done = run(
        "run", "--suite", "checklist", "--app", "legacy-sdk",
        "--fault", "identify_applied_async",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "harness: --fault: field fault 'identify_applied_async' does not apply: it "
        "is a behaviour of the current SDK, and this app runs the legacy one "
        "(sdk.generation), where it cannot happen; switch it on for an app on the "
        "current SDK (legacy-sdk)\n"
    )
