"""A phone's whole life: updates, restores, clear data, reboots, upgrades, time.

Each test reads what a user would: the devices on the person's profile, the
events in the workspace, the provider's verdicts and what the phone showed.
The token-handing faults of the field reports are switched on to show each
makes a visible wrong outcome that the correct behaviour does not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from harness.apps import AppProfile, EventSpec
from harness.device.inbox import Outcome
from harness.device.phone import EmulatedPhone
from harness.errors import ScenarioError, Unsupported
from harness.faults import FaultName
from harness.profiles import DeviceProfile
from harness.world import World
from tests.phones import ready, ship

MakeWorld = Callable[..., World]
PHONES = ["ios-17-iphone", "android-14-pixel"]


def tokens_on_profile(world: World) -> list[str]:
    person = world.profile_of(world.shopper())
    assert person is not None
    return [d.token for d in world.workspace.devices.of(person)]


def attributes_of(world: World, token: str) -> dict[str, object]:
    [device] = [
        d for d in world.workspace.devices.by_token.values() if d.token == token
    ]
    return device.attributes


def new_phone(world: World, profile: DeviceProfile | None = None) -> EmulatedPhone:
    """Return another phone of the shopper's, of ``profile`` or the world's."""
    if profile is None:
        phone = world.device(world.shopper())
        assert isinstance(phone, EmulatedPhone)
        return phone
    return EmulatedPhone("shopper's other phone", profile, world.context)


def with_fault(app: AppProfile, fault: FaultName) -> AppProfile:
    return app.with_faults((fault,))


@pytest.fixture
def reference(apps: dict[str, AppProfile]) -> AppProfile:
    """The reference app profile, which integrates the SDK the documented way."""
    return apps["reference"]


def outcome_of(phone: EmulatedPhone, delivery_id: str) -> Outcome | None:
    found = [i.outcome for i in phone.inbox.items if i.delivery_id == delivery_id]
    return found[-1] if found else None


# -- update in place -----------------------------------------------------------


@pytest.mark.parametrize("profile", PHONES)
def test_update_in_place_keeps_the_sandbox_and_runs_the_new_build(
    make_world: MakeWorld, profile: str, reference: AppProfile
) -> None:
    world = make_world(profile)
    phone = ready(world)
    phone.launch()
    assert phone.app is not None
    anonymous_id, token = phone.app.sdk.anonymous_id, phone.token
    newer = reference.model_copy(update={"version": "2.5.0", "build": 250})

    phone.update_app(newer)

    assert phone.state == "not_running"
    assert phone.app.sdk.anonymous_id == anonymous_id
    assert phone.app.sdk.user_id == world.shopper().user_id
    phone.launch()
    world.advance(minutes=1)
    assert phone.token == token
    assert tokens_on_profile(world) == [token]
    assert token is not None
    assert attributes_of(world, token)["app_version"] == "2.5.0"


def test_update_without_a_profile_moves_one_build_on(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)

    app = phone.update_app()

    assert app.profile.build == world.app.build + 1
    assert app.profile.version == world.app.version


def test_a_downgrade_or_a_name_instead_of_a_profile_is_refused(
    make_world: MakeWorld, reference: AppProfile
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    older = reference.model_copy(update={"build": reference.build - 1})

    with pytest.raises(ScenarioError, match="INSTALL_FAILED_VERSION_DOWNGRADE"):
        phone.update_app(older)
    with pytest.raises(ScenarioError, match=r"world.app_profile\('reference'\)"):
        phone.update_app("reference")  # type: ignore[arg-type]
    assert (
        phone.update_app(
            world.app_profile("legacy-sdk").model_copy(
                update={"build": reference.build + 5}
            )
        ).profile.build
        == reference.build + 5
    )


def test_update_to_another_bundle_id_is_refused(
    make_world: MakeWorld, reference: AppProfile
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    other = reference.model_copy(
        update={"bundle_id": "com.example.other", "build": reference.build + 1}
    )

    with pytest.raises(ScenarioError, match="an update keeps the app's bundle id"):
        phone.update_app(other)


@pytest.mark.parametrize("profile", PHONES)
def test_update_to_a_new_push_stack_registers_the_new_token(
    make_world: MakeWorld, profile: str
) -> None:
    world = make_world(profile)
    phone = ready(world)
    old = phone.token

    phone.update_app(new_token=True)
    phone.launch()
    phone.background()

    assert phone.token not in (None, old)
    assert phone.token in tokens_on_profile(world)
    delivery = ship(world)
    assert outcome_of(phone, delivery) is Outcome.SHOWN


@pytest.mark.parametrize("profile", PHONES)
def test_fault_refresh_only_on_generation_keeps_the_dead_registration(
    make_world: MakeWorld, profile: str, reference: AppProfile
) -> None:
    world = make_world(
        profile, with_fault(reference, "token_refresh_only_on_generation")
    )
    phone = ready(world)
    old = phone.token

    phone.update_app(new_token=True)
    phone.launch()
    phone.background()

    assert tokens_on_profile(world) == [old]
    delivery = ship(world)
    assert outcome_of(phone, delivery) is Outcome.NEVER


# -- restore onto a new phone --------------------------------------------------


@pytest.mark.parametrize("profile", PHONES)
def test_restore_carries_the_app_data_and_gets_a_new_token(
    make_world: MakeWorld, profile: str
) -> None:
    world = make_world(profile)
    old = ready(world)
    assert old.app is not None
    phone = new_phone(world)

    app = phone.restore_from(old)

    assert app.sdk.anonymous_id == old.app.sdk.anonymous_id
    assert app.sdk.user_id == world.shopper().user_id
    assert app.sdk.token == old.token  # the cached token came with the data
    assert phone.token is None  # the push identity did not
    phone.launch()
    phone.background()
    assert phone.token not in (None, old.token)
    assert phone.token in tokens_on_profile(world)
    delivery = ship(world)
    assert outcome_of(phone, delivery) is Outcome.SHOWN


@pytest.mark.parametrize("profile", PHONES)
def test_fault_restore_keeps_cached_token_reports_the_old_phones_token(
    make_world: MakeWorld, profile: str, reference: AppProfile
) -> None:
    world = make_world(profile, with_fault(reference, "restore_keeps_cached_token"))
    old = ready(world)
    phone = new_phone(world)
    phone.restore_from(old)

    phone.launch()
    phone.background()

    assert tokens_on_profile(world) == [old.token]
    delivery = ship(world)
    assert outcome_of(phone, delivery) is None  # sent "fine", nothing arrives
    assert outcome_of(old, delivery) is Outcome.SHOWN


def opened(world: World) -> EmulatedPhone:
    """Return a new phone of the shopper's with the app installed and open."""
    phone = new_phone(world)
    phone.install(world.app)
    phone.launch()
    return phone


def devices_of(world: World, role: str) -> list[str]:
    person = world.profile_of(world.shopper(role))
    assert person is not None
    return [d.token for d in world.workspace.devices.of(person)]


@pytest.mark.parametrize("profile", PHONES)
def test_a_restored_twin_logging_in_as_another_takes_the_cached_token_along(
    make_world: MakeWorld, profile: str
) -> None:
    # The real SDKs send the stored token on identify; after a restore it is
    # the backed-up phone's, so that phone's pushes go to the other person
    # until its next launch registers it again (docs/fuzz.md, Restored twins).
    world = make_world(profile)
    old = opened(world)
    old.background()
    twin = new_phone(world)
    twin.restore_from(old)
    old.launch()
    old.log_in(world.shopper())
    old.background()
    world.shopper("bob")
    twin.go_offline()
    twin.launch()
    twin.log_in(world.shopper("bob"))

    twin.go_online()
    world.advance(minutes=1)

    assert old.token not in devices_of(world, "shopper")
    assert old.token not in devices_of(world, "bob")  # deleted by the twin
    assert twin.token in devices_of(world, "bob")
    old.swipe_away()
    old.launch()  # each launch registers the token again
    world.advance(minutes=1)
    assert old.token in devices_of(world, "shopper")


@pytest.mark.parametrize("profile", PHONES)
def test_a_logout_while_anonymous_takes_the_device_off_the_anonymous_profile(
    make_world: MakeWorld, profile: str
) -> None:
    world = make_world(profile)
    phone = opened(world)
    world.advance(minutes=1)
    assert phone.token in world.workspace.devices.by_token

    phone.log_out()
    world.advance(minutes=1)

    assert phone.token not in world.workspace.devices.by_token


def test_restore_keeps_the_notification_permission(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    old = ready(world)
    phone = new_phone(world)

    phone.restore_from(old)

    assert (old.permission, phone.permission) == ("granted", "granted")


def test_restore_across_platforms_is_unsupported(
    make_world: MakeWorld, profiles: dict[str, DeviceProfile]
) -> None:
    world = make_world("ios-17-iphone")
    old = ready(world)
    phone = new_phone(world, profiles["android-14-pixel"])

    with pytest.raises(Unsupported, match="only between phones of one platform"):
        phone.restore_from(old)


def test_restore_onto_a_phone_with_the_app_is_refused(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    old = ready(world)
    phone = new_phone(world)
    phone.install(world.app)

    with pytest.raises(ScenarioError, match="uninstall"):
        phone.restore_from(old)


def test_restore_from_a_phone_without_the_app_is_refused(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    old, phone = new_phone(world), new_phone(world)

    with pytest.raises(ScenarioError, match="backup holds no app data"):
        phone.restore_from(old)


# -- clear data ----------------------------------------------------------------


def test_clear_data_wipes_the_sandbox_and_deletes_the_fcm_token(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    assert phone.app is not None
    old_anonymous, old_token = phone.app.sdk.anonymous_id, phone.token
    phone.launch()
    phone.add_to_cart(world.catalog["bundle"])

    phone.clear_data()

    assert phone.state == "not_running"
    assert (phone.app.sdk.pending(), phone.app.sdk.user_id) == ([], None)
    assert phone.permission == "not_determined"  # Android resets it with the data
    phone.launch()
    phone.log_in(world.shopper())
    phone.background()
    assert phone.token != old_token
    assert phone.app.sdk.anonymous_id != old_anonymous
    assert phone.token in tokens_on_profile(world)
    world.advance(world.profile.token.invalidation_lag)
    ship(world)
    assert tokens_on_profile(world) == [phone.token]


def test_clear_data_on_ios_is_unsupported_naming_the_closest_step(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)

    with pytest.raises(Unsupported, match=r"uninstall\(\) then install\(\)"):
        phone.clear_data()


# -- reboot --------------------------------------------------------------------


def test_reboot_ends_the_process_and_a_stopped_app_still_gets_pushes(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)

    phone.reboot()

    assert phone.state == "not_running"
    assert outcome_of(phone, ship(world)) is Outcome.SHOWN


def test_reboot_leaves_a_force_stopped_app_stopped_until_opened(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.force_stop()

    phone.reboot()

    assert outcome_of(phone, ship(world)) is Outcome.NOT_DELIVERED
    phone.launch()
    phone.background()
    assert outcome_of(phone, ship(world)) is Outcome.SHOWN


def test_reboot_ends_doze_and_releases_what_it_held(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)
    phone.doze()
    normal = {"android": {"message": {"android": {"priority": "normal"}}}}
    held = ship(world, custom_payload=normal)
    assert outcome_of(phone, held) is Outcome.DELAYED

    phone.reboot()

    assert not phone.tray.dozing
    assert outcome_of(phone, held) is Outcome.SHOWN


# -- OS upgrade ----------------------------------------------------------------


def test_upgrade_to_android_13_pre_grants_an_app_that_showed_notifications(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-12-samsung")
    phone = ready(world)
    assert outcome_of(phone, ship(world)) is Outcome.SHOWN

    phone.upgrade_os("13")

    assert (phone.profile.api_level, phone.state) == (33, "not_running")
    assert phone.permission == "granted"
    phone.launch()
    phone.background()
    assert attributes_of(world, str(phone.token))["device_os"] == 33
    assert outcome_of(phone, ship(world)) is Outcome.SHOWN


def test_upgrade_to_android_13_turns_off_an_app_that_never_showed_one(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-12-samsung")
    phone = ready(world)

    phone.upgrade_os("13")
    phone.launch()
    world.advance(minutes=1)

    assert phone.permission == "not_determined"
    assert "POST_NOTIFICATIONS" in phone.why_off()
    assert attributes_of(world, str(phone.token))["push_enabled"] is False


def test_upgrade_keeps_notifications_the_user_turned_off(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-12-samsung")
    phone = ready(world)
    ship(world)
    phone.set_notifications(False)

    phone.upgrade_os("13")

    assert phone.permission == "denied"


def test_ios_upgrade_reaches_the_profile_at_the_next_launch(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)
    token = str(phone.token)

    phone.upgrade_os("18.0")
    assert attributes_of(world, token)["device_os"] == "17.5"
    phone.launch()
    world.advance(minutes=1)

    assert phone.token == token
    assert attributes_of(world, token)["device_os"] == "18.0"


def test_upgrade_rotates_the_token_where_the_profile_says_so(
    make_world: MakeWorld, profiles: dict[str, DeviceProfile]
) -> None:
    pixel = profiles["android-14-pixel"]
    rotating = pixel.model_copy(
        update={"token": pixel.token.model_copy(update={"rotates_on": ("os_upgrade",)})}
    )
    world = make_world(rotating)
    phone = ready(world)
    old = phone.token

    phone.upgrade_os("15")
    phone.launch()

    assert phone.token not in (None, old)


def test_impossible_upgrade_is_refused_naming_the_rule(make_world: MakeWorld) -> None:
    world = make_world("android-14-pixel")
    phone = ready(world)

    with pytest.raises(ScenarioError, match="API level 35, not 34"):
        phone.upgrade_os("15", api_level=34)
    with pytest.raises(ScenarioError, match="not newer than the 14"):
        phone.upgrade_os("13")
    assert phone.profile.os_version == "14"


# -- clock and time zone -------------------------------------------------------


@pytest.mark.parametrize("profile", PHONES)
def test_events_from_a_fast_phone_are_stamped_at_the_true_time(
    make_world: MakeWorld, profile: str
) -> None:
    world = make_world(profile)
    phone = ready(world)
    phone.set_clock(timedelta(hours=2))
    phone.launch()
    carted = world.clock.now()

    phone.add_to_cart(world.catalog["bundle"])
    world.advance(minutes=5)
    phone.background()

    [event] = [e for e in world.workspace.events if e.name == "added_to_cart"]
    assert event.timestamp == carted


@pytest.mark.parametrize("profile", PHONES)
def test_a_phone_two_hours_fast_keeps_the_cart_recovery_wait_right(
    make_world: MakeWorld, profile: str, reference: AppProfile
) -> None:
    events = reference.events.model_copy(
        update={"order_completed": EventSpec(name="order_completed", sent_by="backend")}
    )
    world = make_world(profile, reference.model_copy(update={"events": events}))
    phone = ready(world)
    phone.set_clock(timedelta(hours=2))
    bundle = world.catalog["bundle"]
    phone.launch()
    phone.add_to_cart(bundle)
    phone.background()

    world.advance(minutes=10)
    phone.launch()
    phone.complete_order(bundle)  # the shop's server tracks it, on true time
    phone.background()
    world.advance(minutes=60)

    world.expect.campaign_exited(world.shopper(), "cart-recovery", on="order_completed")
    world.expect.nothing_sent(world.shopper())


def test_timezone_change_reaches_the_ios_profile_at_the_next_cold_start(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)
    token = str(phone.token)

    phone.set_timezone("Europe/Berlin")
    phone.swipe_away()
    phone.launch()
    world.advance(minutes=1)

    assert attributes_of(world, token)["timezone"] == "Europe/Berlin"


def test_unknown_timezone_is_refused(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)

    with pytest.raises(ScenarioError, match="not an IANA time zone"):
        phone.set_timezone("Mars/Olympus_Mons")
    assert phone.timezone == "America/New_York"


# -- cold start offline --------------------------------------------------------


@pytest.mark.parametrize("profile", PHONES)
def test_a_cold_start_offline_gets_its_token_once_online(
    make_world: MakeWorld, profile: str
) -> None:
    world = make_world(profile)
    phone = new_phone(world)
    phone.install(world.app)
    phone.go_offline()

    phone.launch()
    phone.log_in(world.shopper())
    assert phone.token is None
    assert phone.app is not None and phone.app.sdk.token is None

    phone.go_online()
    world.advance(minutes=1)

    assert phone.token is not None
    assert phone.app.sdk.token == phone.token
    assert tokens_on_profile(world) == [phone.token]


def test_a_relaunch_offline_hands_over_the_token_it_holds(
    make_world: MakeWorld,
) -> None:
    world = make_world("ios-17-iphone")
    phone = ready(world)
    token = phone.token
    phone.swipe_away()
    phone.go_offline()

    phone.launch()

    assert phone.token == token
    assert phone.tokens_seen == [token]


# -- a phone without Google Play services --------------------------------------


def test_a_phone_without_play_services_never_gets_a_token(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-10-huawei")
    phone = ready(world)
    phone.launch()
    world.advance(minutes=1)

    assert phone.token is None
    assert phone.app is not None and phone.app.sdk.token is None
    assert tokens_on_profile(world) == []
    assert "SERVICE_NOT_AVAILABLE" in world.timeline(world.shopper())


def test_cart_recovery_without_play_services_falls_back_to_email(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-10-huawei")
    phone = ready(world)
    phone.launch()
    phone.add_to_cart(world.catalog["bundle"])
    phone.background()

    world.advance(minutes=45)

    world.expect.email_sent(world.shopper())
    world.expect.no_push_sent(world.shopper())


def test_rotating_a_token_without_play_services_is_unsupported(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-10-huawei")
    phone = ready(world)

    with pytest.raises(Unsupported, match="no Google Play services"):
        phone.rotate_token()


# -- token-handing faults ------------------------------------------------------


@pytest.mark.parametrize("faulty", [False, True], ids=["correct", "faulty"])
def test_fault_token_passed_on_first_run_only_loses_a_later_token(
    make_world: MakeWorld, faulty: bool, reference: AppProfile
) -> None:
    app = reference
    if faulty:
        app = with_fault(app, "token_passed_on_first_run_only")
    world = make_world("android-14-pixel", app)
    phone = ready(world)
    first = phone.token
    phone.swipe_away()
    second = phone.rotate_token()  # while the app is not running

    phone.launch()
    phone.background()

    assert tokens_on_profile(world) == ([first] if faulty else [first, second])


@pytest.mark.parametrize("faulty", [False, True], ids=["correct", "faulty"])
def test_fault_token_from_description_registers_a_malformed_token(
    make_world: MakeWorld, faulty: bool, reference: AppProfile
) -> None:
    app = reference
    if faulty:
        app = with_fault(app, "token_from_description")
    world = make_world("ios-17-iphone", app)
    phone = ready(world)
    token = str(phone.token)

    [registered] = tokens_on_profile(world)
    delivery = ship(world)

    if not faulty:
        assert registered == token
        assert outcome_of(phone, delivery) is Outcome.SHOWN
        return
    assert registered == (
        f"{{length = 32, bytes = 0x{token[:8]} {token[8:16]} {token[16:24]} "
        f"{token[24:32]} ... {token[48:56]} {token[56:]} }}"
    )
    assert outcome_of(phone, delivery) is None
    [sent] = [d for d in world.workspace.deliveries.values() if d.id == delivery]
    assert [v.reason for v in sent.verdicts] == ["BadDeviceToken"]


def test_fault_token_from_description_leaves_android_alone(
    make_world: MakeWorld, reference: AppProfile
) -> None:
    world = make_world(
        "android-14-pixel", with_fault(reference, "token_from_description")
    )
    phone = ready(world)

    assert tokens_on_profile(world) == [phone.token]
