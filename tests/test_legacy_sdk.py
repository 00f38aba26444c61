"""The legacy SDK (iOS 2.x, Android 3.x) on the wire, and updates off it in place.

Wire tests read the requests as the Track API host received them; outcome tests
read what a user would: the people, events and devices in the workspace and
what the phone showed. The updates use ``EmulatedPhone.update_app``.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.apps import AppProfile
from harness.device.inbox import Outcome
from harness.device.legacy import LegacySdk
from harness.device.phone import EmulatedPhone
from harness.faults import FaultName
from harness.transport import ASGIApp, Message
from harness.workspace import Device
from harness.world import World
from tests.phones import ship

MakeWorld = Callable[..., World]
Answer = Callable[[str, str], int | None]

IOS, ANDROID = "ios-17-iphone", "android-14-pixel"
PHONES = [IOS, ANDROID]
TRACK, PIPELINES = "track.customer.io", "cdp.customer.io"
VERSIONS = {IOS: "2.14.2", ANDROID: "3.11.1"}
CURRENT = {IOS: "4.7.5", ANDROID: "4.19.0"}


@dataclass
class Seen:
    """One request as it reached a host."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    def body(self) -> Any:
        raw = self.raw
        if self.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        return json.loads(raw) if raw else None


@dataclass
class Wire:
    """Sit in front of a host's app: record requests, or answer some itself."""

    inner: ASGIApp
    answer: Answer = lambda method, path: None
    seen: list[Seen] = field(default_factory=list)

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        message: Message = await receive()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        self.seen.append(Seen(method, path, headers, message.get("body", b"")))
        status = self.answer(method, path)
        if status is not None:
            start = {"type": "http.response.start", "status": status, "headers": []}
            await send(start)
            await send({"type": "http.response.body", "body": b"{}"})
            return
        replayed = False

        async def again() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return message

        await self.inner(scope, again, send)

    def paths(self) -> list[str]:
        return [f"{s.method} {s.path}" for s in self.seen]

    def events(self) -> list[dict[str, Any]]:
        """Return the Data Pipelines events of every batch upload."""
        batches = [s for s in self.seen if s.path.endswith("/b")]
        return [e for s in batches for e in s.body()["batch"]]


@dataclass
class Rig:
    world: World
    phone: EmulatedPhone
    track: Wire
    pipelines: Wire

    @property
    def shopper_id(self) -> str:
        return self.world.shopper().user_id

    def devices(self) -> list[Device]:
        person = self.world.workspace.find(self.shopper_id)
        assert person is not None, "the shopper has no profile"
        return self.world.workspace.devices.of(person)

    def events(self) -> list[str]:
        person = self.world.workspace.find(self.shopper_id)
        if person is None:
            return []
        return [
            e.name for e in self.world.workspace.events if e.person == person.cio_id
        ]

    def update(self, app: AppProfile, **options: Any) -> None:
        self.phone.update_app(app, **options)


Launch = Callable[..., Rig]


@pytest.fixture
def legacy(apps: dict[str, AppProfile]) -> AppProfile:
    """The reference app on the legacy SDK generation."""
    return apps["legacy-sdk"]


@pytest.fixture
def reference(apps: dict[str, AppProfile]) -> AppProfile:
    """The reference app, the next build of the legacy one on the current SDK."""
    return apps["reference"]


@pytest.fixture
def launch(make_world: MakeWorld, legacy: AppProfile) -> Launch:
    """Install and launch an app (the legacy one by default), the wire recorded."""

    def start(profile: str, app: AppProfile | None = None) -> Rig:
        world = make_world(profile, app or legacy)
        transport = world.emulator.transport
        track = Wire(transport.apps[TRACK])
        pipelines = Wire(transport.apps[PIPELINES])
        transport.mount(TRACK, track)
        transport.mount(PIPELINES, pipelines)
        phone = world.device(world.shopper())
        assert isinstance(phone, EmulatedPhone)
        phone.install(app or legacy)
        phone.launch()
        return Rig(world, phone, track, pipelines)

    return start


def signed_in(rig: Rig) -> None:
    """Log in (the prompt is granted) and let the queue timer run."""
    rig.phone.log_in(rig.world.shopper())
    rig.world.advance(seconds=31)


def upgraded(app: AppProfile, reference: AppProfile) -> AppProfile:
    """Return ``reference`` as the next build of ``app``, with ``app``'s faults."""
    return reference.model_copy(update={"faults": app.faults})


def faulty(app: AppProfile, fault: FaultName) -> AppProfile:
    return app.with_faults((fault,))


def sdk_of(rig: Rig) -> LegacySdk:
    assert rig.phone.app is not None
    sdk = rig.phone.app.sdk
    assert isinstance(sdk, LegacySdk)
    return sdk


# -- the wire ---------------------------------------------------------------------


def test_ios_identify_is_a_put_with_basic_auth_and_the_2x_user_agent(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    signed_in(rig)

    [identify] = [
        s for s in rig.track.seen if s.method == "PUT" and "devices" not in s.path
    ]
    assert identify.path == f"/api/v1/customers/{rig.shopper_id}"
    keys = rig.world.env.keys
    expected = base64.b64encode(f"{keys.site_id}:{keys.api_key}".encode()).decode()
    assert identify.headers["authorization"] == f"Basic {expected}"
    info = rig.phone.info()
    assert identify.headers["user-agent"] == (
        f"Customer.io iOS Client/2.14.2 ({info['model']}; iOS {info['os_version']}) "
        f"com.example.shop/{info['app_version']}"
    )
    assert identify.headers["content-type"] == "application/json; charset=utf-8"
    shopper = rig.world.shopper()
    assert identify.body() == {"email": shopper.email, "first_name": shopper.first_name}


def test_android_user_agent_names_maker_model_and_api_level(launch: Launch) -> None:
    rig = launch(ANDROID)
    signed_in(rig)

    info = rig.phone.info()
    agents = {s.headers["user-agent"] for s in rig.track.seen}
    assert agents == {
        f"Customer.io Android Client/3.11.1 ({info['manufacturer']} {info['model']}; "
        f"{info['api_level']}) com.example.shop/{info['app_version']}"
    }


def test_ios_registers_the_device_with_platform_iOS_and_string_push_enabled(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    signed_in(rig)

    # Once at login, again when the prompt after login was granted.
    first, put = [s for s in rig.track.seen if s.path.endswith("/devices")]
    assert first.body()["device"]["attributes"]["push_enabled"] == "false"
    device = put.body()["device"]
    info = rig.phone.info()
    assert put.path == f"/api/v1/customers/{rig.shopper_id}/devices"
    assert (device["id"], device["platform"]) == (rig.phone.token, "iOS")
    assert device["last_used"] == int(rig.world.clock.now().timestamp()) - 31
    assert device["attributes"] == {
        "app_version": info["app_version"],
        "cio_sdk_version": "2.14.2",
        "device_locale": "en-US",
        "device_manufacturer": "Apple",
        "device_model": info["model"],
        "device_os": info["os_version"],
        "push_enabled": "true",
    }
    [stored] = rig.devices()
    assert (stored.platform, stored.attributes["push_enabled"]) == ("ios", "true")


def test_android_registers_the_device_with_a_boolean_and_the_api_level(
    launch: Launch,
) -> None:
    rig = launch(ANDROID)
    signed_in(rig)

    put = [s for s in rig.track.seen if s.path.endswith("/devices")][-1]
    device = put.body()["device"]
    assert device["platform"] == "android"
    assert device["attributes"]["push_enabled"] is True
    assert device["attributes"]["device_os"] == rig.phone.info()["api_level"]
    assert device["attributes"]["cio_sdk_version"] == "3.11.1"
    assert [d.token for d in rig.devices()] == [rig.phone.token]


@pytest.mark.parametrize("profile", PHONES)
def test_events_carry_type_name_data_and_the_phones_own_clock(
    launch: Launch, profile: str
) -> None:
    rig = launch(profile)
    rig.phone.clock_skew = timedelta(hours=-3)
    rig.phone.log_in(rig.world.shopper())
    rig.phone.view(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)

    [post] = [s for s in rig.track.seen if s.path.endswith("/events")]
    body = post.body()
    assert post.path == f"/api/v1/customers/{rig.shopper_id}/events"
    assert (body["type"], body["name"]) == ("event", "product_viewed")
    assert body["data"]["sku"] == rig.world.catalog["bundle"].sku
    skewed = rig.world.clock.now() - timedelta(hours=3, seconds=31)
    assert body["timestamp"] == int(skewed.timestamp())
    assert "product_viewed" in rig.events()


@pytest.mark.parametrize("profile", PHONES)
def test_the_track_api_accepts_everything_the_legacy_sdk_sends(
    launch: Launch, profile: str
) -> None:
    rig = launch(profile)
    signed_in(rig)
    rig.phone.view(rig.world.catalog["bundle"])
    rig.phone.background()
    ship(rig.world)
    rig.phone.tap(rig.phone.inbox.items[0])
    rig.phone.log_out()
    rig.world.advance(seconds=31)

    assert rig.world.workspace.rejections == []
    assert {s.path.split("/")[1] for s in rig.track.seen} == {"api", "push"}
    assert rig.pipelines.seen == []


def test_clear_identify_deletes_the_device_from_the_person(launch: Launch) -> None:
    rig = launch(IOS)
    signed_in(rig)

    rig.phone.log_out()
    rig.world.advance(seconds=31)

    assert rig.track.paths()[-1] == (
        f"DELETE /api/v1/customers/{rig.shopper_id}/devices/{rig.phone.token}"
    )
    assert rig.devices() == []


def test_identifying_another_person_moves_the_device_to_them(launch: Launch) -> None:
    rig = launch(ANDROID)
    signed_in(rig)
    bob = rig.world.shopper("bob")

    sdk_of(rig).identify(bob.user_id)
    rig.world.advance(seconds=31)

    assert rig.track.paths()[-3:] == [
        f"DELETE /api/v1/customers/{rig.shopper_id}/devices/{rig.phone.token}",
        f"PUT /api/v1/customers/{bob.user_id}",
        f"PUT /api/v1/customers/{bob.user_id}/devices",
    ]
    assert rig.devices() == []
    person = rig.world.workspace.find(bob.user_id)
    assert person is not None
    assert [d.token for d in rig.world.workspace.devices.of(person)] == [
        rig.phone.token
    ]


def test_ios_reports_delivered_from_the_extension_at_once(launch: Launch) -> None:
    rig = launch(IOS)
    signed_in(rig)
    rig.phone.background()

    delivery = ship(rig.world)

    [metric] = [s for s in rig.track.seen if s.path == "/push/events"]
    assert metric.body() == {
        "delivery_id": delivery,
        "event": "delivered",
        "device_id": rig.phone.token,
        "timestamp": int(rig.world.clock.now().timestamp()),
    }
    assert rig.world.workspace.deliveries[delivery].metrics.get("delivered")


def test_android_queues_delivered_and_opened_for_the_queue_run(
    launch: Launch,
) -> None:
    rig = launch(ANDROID)
    signed_in(rig)
    rig.phone.background()
    delivery = ship(rig.world)
    rig.phone.tap(rig.phone.inbox.items[0])
    assert [s for s in rig.track.seen if s.path == "/push/events"] == []

    rig.world.advance(seconds=31)

    sent = [s.body()["event"] for s in rig.track.seen if s.path == "/push/events"]
    assert sent == ["delivered", "opened"]
    metrics = rig.world.workspace.deliveries[delivery].metrics
    assert (len(metrics["delivered"]), len(metrics["opened"])) == (1, 1)


@pytest.mark.parametrize(("profile", "puts"), [(IOS, 2), (ANDROID, 1)])
def test_a_cold_start_registers_the_token_once_more_on_ios(
    launch: Launch, profile: str, puts: int
) -> None:
    rig = launch(profile)
    signed_in(rig)
    rig.phone.swipe_away()
    before = len(rig.track.seen)

    rig.phone.launch()
    rig.world.advance(seconds=31)

    # iOS 2.14.2 registers the stored token at initialisation, then the app
    # delegate hands it over; Android's push module hands it over once.
    sent = [s for s in rig.track.seen[before:] if s.path.endswith("/devices")]
    assert len(sent) == puts


# -- the legacy SDK's limits ------------------------------------------------------


@pytest.mark.parametrize("profile", PHONES)
def test_tracking_while_no_one_is_identified_is_ignored(
    launch: Launch, profile: str
) -> None:
    rig = launch(profile)
    rig.phone.view(rig.world.catalog["bundle"])
    assert sdk_of(rig).pending() == []

    signed_in(rig)

    assert "product_viewed" not in rig.events()
    assert not [s for s in rig.track.seen if s.path.endswith("/events")]


@pytest.mark.parametrize("profile", PHONES)
def test_the_token_is_registered_only_once_someone_is_identified(
    launch: Launch, profile: str
) -> None:
    rig = launch(profile)
    rig.world.advance(minutes=5)
    assert sdk_of(rig).token == rig.phone.token
    assert rig.track.seen == []

    signed_in(rig)

    assert [d.token for d in rig.devices()] == [rig.phone.token]


# -- the background queue ---------------------------------------------------------


def test_a_task_refused_with_400_is_deleted_and_the_rest_go_on(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    signed_in(rig)
    rig.track.answer = lambda m, p: 400 if p.endswith("/events") else None

    rig.phone.view(rig.world.catalog["bundle"])
    sdk_of(rig).identify(rig.shopper_id, {"plan": "gold"})
    rig.world.advance(seconds=31)

    assert sdk_of(rig).pending() == []
    assert rig.track.paths()[-2:] == [
        f"POST /api/v1/customers/{rig.shopper_id}/events",
        f"PUT /api/v1/customers/{rig.shopper_id}",
    ]
    rig.track.answer = lambda m, p: None
    rig.world.advance(minutes=5)
    assert len([s for s in rig.track.seen if s.path.endswith("/events")]) == 1


def test_a_429_is_kept_and_sent_again_at_the_next_run(launch: Launch) -> None:
    rig = launch(IOS)
    signed_in(rig)
    rig.track.answer = lambda m, p: 429

    rig.phone.view(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)
    [task] = sdk_of(rig).pending()
    assert task["runs"] == 1
    assert "product_viewed" not in rig.events()

    rig.track.answer = lambda m, p: None
    rig.phone.add_to_cart(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)

    assert sdk_of(rig).pending() == []
    assert rig.events().count("product_viewed") == 1


def test_a_500_pauses_requests_for_five_minutes(launch: Launch) -> None:
    rig = launch(ANDROID)
    signed_in(rig)
    rig.track.answer = lambda m, p: 500
    rig.phone.view(rig.world.catalog["bundle"])
    rig.phone.add_to_cart(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)
    assert len(sdk_of(rig).pending()) == 2
    tried = len(rig.track.seen)
    rig.track.answer = lambda m, p: None

    rig.phone.complete_order(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)
    assert len(rig.track.seen) == tried  # still paused
    rig.world.advance(minutes=5)
    rig.phone.view(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)

    assert sdk_of(rig).pending() == []
    assert rig.events().count("product_viewed") == 2


def test_an_identify_that_failed_holds_back_the_persons_events_on_android(
    launch: Launch,
) -> None:
    rig = launch(ANDROID)
    rig.track.answer = lambda m, p: 403 if p.endswith(rig.shopper_id) else None
    rig.phone.log_in(rig.world.shopper())
    rig.phone.view(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)

    assert rig.track.paths() == [f"PUT /api/v1/customers/{rig.shopper_id}"]
    assert {t["type"] for t in sdk_of(rig).pending()} == {
        "identifyProfile",
        "registerPushToken",
        "trackEvent",
    }


def test_ten_tasks_run_the_queue_without_waiting(launch: Launch) -> None:
    rig = launch(IOS)
    signed_in(rig)
    bundle = rig.world.catalog["bundle"]

    for _ in range(9):
        rig.phone.view(bundle)
    assert len(sdk_of(rig).pending()) == 9
    rig.phone.view(bundle)

    assert sdk_of(rig).pending() == []
    assert rig.events().count("product_viewed") == 10


def test_the_queue_survives_a_restart(launch: Launch) -> None:
    rig = launch(IOS)
    signed_in(rig)
    rig.phone.view(rig.world.catalog["bundle"])
    rig.phone.swipe_away()
    rig.world.advance(minutes=10)
    assert "product_viewed" not in rig.events()

    rig.phone.launch()  # iOS 2.x registers the stored token, a new task
    rig.world.advance(seconds=31)

    assert rig.events().count("product_viewed") == 1


def test_the_queue_is_lost_with_an_uninstall(launch: Launch) -> None:
    rig = launch(ANDROID)
    signed_in(rig)
    rig.phone.view(rig.world.catalog["bundle"])

    rig.phone.uninstall()
    rig.world.advance(minutes=10)

    assert "product_viewed" not in rig.events()


def test_offline_the_run_stops_and_keeps_every_task(launch: Launch) -> None:
    rig = launch(IOS)
    signed_in(rig)
    rig.phone.go_offline()
    rig.phone.view(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)
    assert len(sdk_of(rig).pending()) == 1

    rig.phone.go_online()
    rig.phone.add_to_cart(rig.world.catalog["bundle"])
    rig.world.advance(seconds=31)

    assert rig.events()[-2:] == ["product_viewed", "added_to_cart"]


def test_tasks_older_than_three_days_are_deleted_at_start(launch: Launch) -> None:
    rig = launch(ANDROID)
    signed_in(rig)
    rig.phone.go_offline()
    rig.phone.view(rig.world.catalog["bundle"])
    rig.phone.swipe_away()
    rig.world.advance(days=3, minutes=1)
    rig.phone.go_online()

    rig.phone.launch()
    rig.world.advance(seconds=31)

    assert "product_viewed" not in rig.events()


# -- updating in place to the current SDK ----------------------------------------


@pytest.mark.parametrize("profile", PHONES)
def test_an_update_to_the_current_sdk_keeps_one_device_with_its_version(
    launch: Launch, legacy: AppProfile, reference: AppProfile, profile: str
) -> None:
    rig = launch(profile)
    signed_in(rig)
    assert [d.attributes["cio_sdk_version"] for d in rig.devices()] == [
        VERSIONS[profile]
    ]

    rig.update(upgraded(legacy, reference))
    rig.phone.launch()
    rig.world.advance(seconds=31)

    [device] = rig.devices()
    assert device.token == rig.phone.token
    assert device.attributes["cio_sdk_version"] == CURRENT[profile]
    assert device.attributes["app_version"] == reference.version
    rig.phone.background()
    ship(rig.world)
    assert rig.phone.inbox.outcomes() == [Outcome.SHOWN]


def test_ios_migration_identifies_the_stored_person_then_sends_the_device(
    launch: Launch, legacy: AppProfile, reference: AppProfile
) -> None:
    rig = launch(IOS)
    signed_in(rig)

    rig.update(upgraded(legacy, reference))
    rig.phone.launch()
    rig.world.advance(seconds=31)

    mine = [e for e in rig.pipelines.events() if e.get("userId") == rig.shopper_id]
    assert [e.get("event") or e["type"] for e in mine][:2] == [
        "identify",
        "Device Created or Updated",
    ]
    assert mine[1]["context"]["device"]["token"] == rig.phone.token


def test_android_migration_registers_the_old_token_then_identifies(
    launch: Launch, legacy: AppProfile, reference: AppProfile
) -> None:
    rig = launch(ANDROID)
    signed_in(rig)

    rig.update(upgraded(legacy, reference))
    rig.phone.launch()
    rig.world.advance(seconds=31)

    names = [
        (e.get("event") or e["type"], e.get("userId"))
        for e in rig.pipelines.events()
        if e["type"] == "identify" or "Device" in e.get("event", "")
    ]
    assert names[:3] == [
        ("Device Created or Updated", None),
        ("identify", rig.shopper_id),
        ("Device Created or Updated", rig.shopper_id),
    ]


@pytest.mark.parametrize("profile", PHONES)
def test_unsent_legacy_tasks_are_replayed_under_their_person_and_time(
    launch: Launch, legacy: AppProfile, reference: AppProfile, profile: str
) -> None:
    rig = launch(profile)
    signed_in(rig)
    rig.phone.view(rig.world.catalog["bundle"])
    viewed_at = rig.world.clock.now()
    rig.phone.background()
    rig.world.advance(seconds=10)  # the update comes before the queue timer

    rig.update(upgraded(legacy, reference))
    rig.world.advance(minutes=5)
    rig.phone.launch()
    rig.world.advance(seconds=31)

    [viewed] = [e for e in rig.pipelines.events() if e.get("event") == "product_viewed"]
    assert viewed["userId"] == rig.shopper_id
    stamp = datetime.fromisoformat(viewed["timestamp"].replace("Z", "+00:00"))
    assert stamp == viewed_at.replace(microsecond=0).astimezone(UTC)
    assert rig.events().count("product_viewed") == 1
    assert not [s for s in rig.track.seen if s.path.endswith("/events")]


@pytest.mark.parametrize("profile", PHONES)
def test_an_update_with_a_new_token_deletes_the_migrated_one(
    launch: Launch, legacy: AppProfile, reference: AppProfile, profile: str
) -> None:
    rig = launch(profile)
    signed_in(rig)
    old = rig.phone.token

    rig.update(upgraded(legacy, reference), new_token=True)
    rig.phone.launch()
    rig.world.advance(seconds=31)

    assert rig.phone.token != old
    assert [d.token for d in rig.devices()] == [rig.phone.token]


# -- the upgrade faults -----------------------------------------------------------


@pytest.mark.parametrize("profile", PHONES)
@pytest.mark.parametrize("fault", [False, True])
def test_fault_major_upgrade_sends_no_device_event(
    launch: Launch,
    legacy: AppProfile,
    reference: AppProfile,
    profile: str,
    fault: bool,
) -> None:
    fault_name: FaultName = "major_upgrade_sends_no_device_event"
    new = faulty(reference, fault_name) if fault else reference
    rig = launch(profile, legacy)
    signed_in(rig)

    rig.update(new)
    rig.phone.launch()
    rig.phone.log_in(rig.world.shopper())
    rig.world.advance(seconds=31)

    events = rig.pipelines.events()
    assert ("identify" in [e["type"] for e in events]) is True
    sent = [e for e in events if e.get("event") == "Device Created or Updated"]
    [device] = rig.devices()
    if fault:
        assert sent == []
        assert device.attributes["cio_sdk_version"] == VERSIONS[profile]
        assert device.attributes["app_version"] == legacy.version
    else:
        assert sent
        assert device.attributes["cio_sdk_version"] == CURRENT[profile]
        assert device.attributes["app_version"] == reference.version


@pytest.mark.parametrize("fault", [False, True])
def test_fault_upgrade_duplicates_device_shows_a_push_twice_on_ios(
    launch: Launch, legacy: AppProfile, reference: AppProfile, fault: bool
) -> None:
    new = faulty(reference, "upgrade_duplicates_device") if fault else reference
    rig = launch(IOS, legacy)
    signed_in(rig)

    rig.update(new)
    rig.phone.launch()
    rig.phone.log_in(rig.world.shopper())
    rig.world.advance(seconds=31)
    rig.phone.background()
    ship(rig.world)

    tokens = sorted(d.token for d in rig.devices())
    versions = sorted(d.attributes["cio_sdk_version"] for d in rig.devices())
    shown = rig.phone.inbox.outcomes()
    if fault:
        assert tokens == sorted(
            [rig.phone.token or "", (rig.phone.token or "").upper()]
        )
        assert versions == ["2.14.2", "4.7.5"]
        assert shown == [Outcome.SHOWN, Outcome.SHOWN]
    else:
        assert tokens == [rig.phone.token]
        assert versions == ["4.7.5"]
        assert shown == [Outcome.SHOWN]


@pytest.mark.parametrize("fault", [False, True])
def test_fault_upgrade_duplicates_device_flips_the_version_on_android(
    launch: Launch, legacy: AppProfile, reference: AppProfile, fault: bool
) -> None:
    new = faulty(reference, "upgrade_duplicates_device") if fault else reference
    rig = launch(ANDROID, legacy)
    signed_in(rig)
    before = len(rig.track.seen)

    rig.update(new)
    rig.phone.launch()
    rig.phone.log_in(rig.world.shopper())
    rig.world.advance(seconds=31)

    [device] = rig.devices()
    puts = [s for s in rig.track.seen[before:] if s.path.endswith("/devices")]
    if fault:
        # The new SDK wrote 4.19.0 at login; the old one's queue ran after it.
        assert device.attributes["cio_sdk_version"] == "3.11.1"
        assert device.attributes["app_version"] == reference.version
        assert puts
    else:
        assert device.attributes["cio_sdk_version"] == "4.19.0"
        assert puts == []


def test_fault_upgrade_duplicates_device_doubles_a_new_token_too(
    launch: Launch, legacy: AppProfile, reference: AppProfile
) -> None:
    new = faulty(reference, "upgrade_duplicates_device")
    rig = launch(IOS, legacy)
    signed_in(rig)

    rig.update(new, new_token=True)
    rig.phone.launch()
    rig.phone.log_in(rig.world.shopper())
    rig.world.advance(seconds=31)

    token = rig.phone.token or ""
    spellings = [d.token for d in rig.devices() if d.token.lower() == token]
    assert sorted(spellings) == sorted([token, token.upper()])
    assert rig.phone.app is not None
    assert rig.phone.app.sdk.pending() == []  # both SDKs' queues ran
