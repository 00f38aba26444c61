"""The emulated mobile SDK: what it queues and what it puts on the wire."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.device.phone import EmulatedPhone
from harness.device.sdk import MobileSdk
from harness.transport import ASGIApp, Message
from harness.world import World

MakeWorld = Callable[..., World]

HOST = "cdp.customer.io"
IOS, ANDROID = "ios-17-iphone", "android-14-pixel"


@dataclass
class Seen:
    """One request as it reached the Pipelines host."""

    method: str
    url: str
    headers: dict[str, str]
    raw: bytes

    def body(self) -> dict[str, Any]:
        raw = self.raw
        if self.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        document: dict[str, Any] = json.loads(raw)
        return document


@dataclass
class Wire:
    """Sit in front of the Pipelines app: record requests, or answer with a status."""

    inner: ASGIApp
    seen: list[Seen] = field(default_factory=list)
    status: int | None = None

    async def __call__(self, scope: Message, receive: Any, send: Any) -> None:
        message = await receive()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        url = f"{scope['scheme']}://{scope['server'][0]}{scope['path']}"
        self.seen.append(Seen(scope["method"], url, headers, message["body"]))
        if self.status is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
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

    def batches(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST" and s.url.endswith("/b")]

    def events(self) -> list[dict[str, Any]]:
        return [event for s in self.batches() for event in s.body()["batch"]]


@dataclass
class Rig:
    world: World
    wire: Wire
    phone: EmulatedPhone

    @property
    def sdk(self) -> MobileSdk:
        assert self.phone.app is not None
        return self.phone.app.sdk

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.wire.events() if e.get("event") == name]


Launch = Callable[..., Rig]


@pytest.fixture
def launch(make_world: MakeWorld) -> Launch:
    """Install and launch the reference app on a profile, with the wire recorded."""

    def start(profile: str, **answers: str) -> Rig:
        world = make_world(profile)
        transport = world.emulator.transport
        wire = Wire(transport.apps[HOST])
        transport.mount(HOST, wire)
        phone = world.device(world.shopper(), **answers)
        assert isinstance(phone, EmulatedPhone)
        phone.install(world.app)
        phone.launch()
        return Rig(world, wire, phone)

    return start


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e.get("event") or e["type"] for e in events]


def test_batches_go_to_the_b_path_with_the_write_key_in_the_body(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    rig.sdk.flush()

    [batch] = rig.wire.batches()
    assert batch.url == "https://cdp.customer.io/v1/b"
    assert "authorization" not in batch.headers
    body = batch.body()
    assert body["writeKey"] == rig.world.env.keys.write_key
    assert set(body) == {"batch", "sentAt", "writeKey"}


def test_ios_batches_are_plain_json(launch: Launch) -> None:
    rig = launch(IOS)
    rig.sdk.flush()

    [batch] = rig.wire.batches()
    assert batch.headers["content-type"] == "application/json"
    assert "content-encoding" not in batch.headers


def test_android_batches_are_gzipped_text_plain(launch: Launch) -> None:
    rig = launch(ANDROID)
    rig.sdk.flush()

    [batch] = rig.wire.batches()
    assert batch.headers["content-type"] == "text/plain"
    assert batch.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(batch.raw))["batch"]


def test_ios_push_enabled_is_the_string_true_or_false(launch: Launch) -> None:
    rig = launch(IOS)
    rig.phone.log_in(rig.world.shopper())

    values = [
        e["properties"]["push_enabled"] for e in rig.named("Device Created or Updated")
    ]
    assert values[0] == "false"
    assert values[-1] == "true"
    assert all(isinstance(v, str) for v in values)


def test_android_push_enabled_is_a_boolean(launch: Launch) -> None:
    rig = launch(ANDROID)
    rig.phone.log_in(rig.world.shopper())

    values = [
        e["properties"]["push_enabled"] for e in rig.named("Device Created or Updated")
    ]
    assert values[0] is False
    assert values[-1] is True


def test_identify_of_another_user_deletes_the_device_as_the_old_user_first(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    rig.sdk.identify("u-a")
    token = rig.sdk.token
    rig.sdk.flush()
    before = len(rig.wire.events())

    rig.sdk.identify("u-b")
    rig.sdk.flush()

    after = rig.wire.events()[before:]
    assert kinds(after) == ["Device Deleted", "identify", "Device Created or Updated"]
    assert after[0]["userId"] == "u-a"
    assert after[0]["context"]["device"]["token"] == token
    assert [e["userId"] for e in after[1:]] == ["u-b", "u-b"]


def test_clear_identify_deletes_the_device_as_the_old_user_then_resets(
    launch: Launch,
) -> None:
    rig = launch(ANDROID)
    rig.sdk.identify("u-a")
    old_anonymous = rig.sdk.anonymous_id
    rig.sdk.flush()
    before = len(rig.wire.events())

    rig.sdk.clear_identify()
    rig.sdk.track("browsed")
    rig.sdk.flush()

    deleted, browsed = rig.wire.events()[before:]
    assert deleted["event"] == "Device Deleted"
    assert (deleted["userId"], deleted["anonymousId"]) == ("u-a", old_anonymous)
    assert "userId" not in browsed
    assert browsed["anonymousId"] not in (old_anonymous, None)
    assert rig.sdk.user_id is None


def test_token_change_within_the_process_deletes_the_old_token_first(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    rig.sdk.identify("u-a")
    old = rig.sdk.token
    rig.sdk.flush()
    before = len(rig.wire.events())

    rig.sdk.register_device_token("b" * 64)
    rig.sdk.flush()

    deleted, created = rig.wire.events()[before:]
    assert deleted["event"] == "Device Deleted"
    assert deleted["context"]["device"]["token"] == old
    assert created["event"] == "Device Created or Updated"
    assert created["context"]["device"]["token"] == "b" * 64


def test_token_change_leaves_only_the_new_token_on_the_person(launch: Launch) -> None:
    rig = launch(IOS)
    rig.sdk.identify("u-a")
    rig.sdk.register_device_token("b" * 64)
    rig.sdk.flush()

    person = rig.world.workspace.find("u-a")
    assert person is not None
    assert [d.token for d in rig.world.workspace.devices.of(person)] == ["b" * 64]


def test_each_event_carries_the_identity_current_when_captured(launch: Launch) -> None:
    rig = launch(ANDROID)
    first_anonymous = rig.sdk.anonymous_id
    rig.sdk.track("before_login")
    rig.sdk.identify("u-a")
    rig.sdk.track("as_a")
    rig.sdk.identify("u-b")
    rig.sdk.track("as_b")
    rig.sdk.clear_identify()
    rig.sdk.track("after_logout")
    rig.sdk.flush()

    seen = {e["event"]: e for e in rig.wire.events() if e.get("event")}
    assert "userId" not in seen["before_login"]
    assert seen["before_login"]["anonymousId"] == first_anonymous
    assert seen["as_a"]["userId"] == "u-a"
    assert seen["as_b"]["userId"] == "u-b"
    assert "userId" not in seen["after_logout"]
    assert seen["after_logout"]["anonymousId"] != first_anonymous


def test_queue_flushes_at_20_events(launch: Launch) -> None:
    rig = launch(IOS)
    rig.sdk.flush()
    uploads = len(rig.wire.batches())

    for n in range(19):
        rig.sdk.track(f"e{n}")
    assert len(rig.wire.batches()) == uploads
    assert len(rig.sdk.pending()) == 19

    rig.sdk.track("e19")
    assert len(rig.wire.batches()) == uploads + 1
    assert len(rig.wire.batches()[-1].body()["batch"]) == 20
    assert rig.sdk.pending() == []


def test_queue_flushes_on_the_interval(launch: Launch) -> None:
    rig = launch(IOS)

    rig.world.advance(seconds=30)

    assert rig.wire.batches()
    assert rig.sdk.pending() == []


def test_a_400_drops_the_batch(launch: Launch) -> None:
    rig = launch(IOS)
    rig.wire.status = 400

    rig.sdk.flush()
    assert rig.sdk.pending() == []

    rig.wire.status = None
    rig.sdk.track("after_the_400")
    rig.world.advance(minutes=5)
    assert [e.name for e in rig.world.workspace.events] == ["after_the_400"]


def test_a_500_keeps_the_batch_for_the_next_flush(launch: Launch) -> None:
    rig = launch(IOS)
    queued = rig.sdk.pending()
    rig.wire.status = 500

    rig.sdk.flush()
    assert rig.sdk.pending() == queued

    rig.wire.status = None
    rig.world.advance(seconds=30)
    assert rig.sdk.pending() == []
    assert [e["messageId"] for e in rig.wire.batches()[-1].body()["batch"]] == [
        e["messageId"] for e in queued
    ]


def test_offline_keeps_events_and_online_delivers_them_exactly_once(
    launch: Launch,
) -> None:
    rig = launch(ANDROID)
    rig.sdk.flush()
    rig.phone.go_offline()
    for name in ("offline_1", "offline_2", "offline_3"):
        rig.sdk.track(name)
    rig.world.advance(minutes=5)
    assert [e["event"] for e in rig.sdk.pending()] == [
        "offline_1",
        "offline_2",
        "offline_3",
    ]

    rig.phone.go_online()
    rig.world.advance(minutes=5)

    stored = [
        e.name for e in rig.world.workspace.events if e.name.startswith("offline_")
    ]
    assert stored == ["offline_1", "offline_2", "offline_3"]
    ids = [e["messageId"] for e in rig.wire.events()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("profile", "kept"), [(IOS, True), (ANDROID, False)])
def test_a_401_is_kept_on_ios_and_dropped_on_android(
    launch: Launch, profile: str, kept: bool
) -> None:
    rig = launch(profile)
    queued = rig.sdk.pending()
    rig.wire.status = 401

    rig.sdk.flush()

    assert rig.sdk.pending() == (queued if kept else [])


def test_a_429_keeps_the_batch(launch: Launch) -> None:
    rig = launch(ANDROID)
    queued = rig.sdk.pending()
    rig.wire.status = 429

    rig.sdk.flush()

    assert rig.sdk.pending() == queued


def test_token_rotation_across_a_restart_sends_no_device_deleted(
    launch: Launch,
) -> None:
    rig = launch(IOS)
    rig.phone.log_in(rig.world.shopper())
    old = rig.phone.token
    rig.phone.swipe_away()
    rig.phone.token = None  # the OS hands the next process a new token

    rig.phone.launch()
    rig.sdk.flush()

    assert rig.phone.token != old
    assert rig.named("Device Deleted") == []
    person = rig.world.workspace.find(rig.world.shopper().user_id)
    assert person is not None
    tokens = {d.token for d in rig.world.workspace.devices.of(person)}
    assert tokens == {old, rig.phone.token}


def test_events_captured_in_an_offline_cold_start_arrive_once_back_online(
    make_world: MakeWorld,
) -> None:
    world = make_world(ANDROID)
    phone = world.device(world.shopper())
    assert isinstance(phone, EmulatedPhone)
    phone.go_offline()
    phone.install(world.app)
    phone.launch()
    assert phone.app is not None
    phone.app.sdk.track("captured_offline")
    world.advance(minutes=2)
    assert world.workspace.events == []

    phone.go_online()
    world.advance(minutes=2)

    names = [e.name for e in world.workspace.events]
    assert names.count("captured_offline") == 1
    assert names.count("Application Opened") == 1


def test_events_queued_before_uninstall_never_reach_the_workspace(
    launch: Launch,
) -> None:
    rig = launch(ANDROID)
    rig.phone.add_to_cart(rig.world.catalog["bundle"])
    old_anonymous = rig.sdk.anonymous_id
    assert rig.sdk.pending()

    rig.phone.uninstall()
    rig.phone.install(rig.world.app)
    rig.phone.launch()
    rig.world.advance(minutes=5)

    events = rig.world.workspace.events
    assert [e for e in events if e.anonymous_id == old_anonymous] == []
    assert "added_to_cart" not in kinds(rig.wire.events())
    assert "Application Opened" in [e.name for e in events]


def test_uninstall_stops_the_old_installs_flush_timer(launch: Launch) -> None:
    rig = launch(IOS)
    label = f"SDK flush on {rig.phone.name}"
    assert [t.label for t in rig.world.clock.pending()].count(label) == 1

    rig.phone.uninstall()

    assert label not in [t.label for t in rig.world.clock.pending()]


def test_rotated_token_deletes_the_old_then_registers_the_new(launch: Launch) -> None:
    rig = launch(IOS)
    rig.phone.log_in(rig.world.shopper())
    old = rig.phone.token
    sent = len(rig.wire.events())

    new = rig.phone.rotate_token()
    rig.sdk.flush()

    after = rig.wire.events()[sent:]
    devices = [
        (e["event"], e["context"]["device"]["token"])
        for e in after
        if e.get("event") in ("Device Deleted", "Device Created or Updated")
    ]
    assert devices == [("Device Deleted", old), ("Device Created or Updated", new)]
    person = rig.world.workspace.find(rig.world.shopper().user_id)
    assert person is not None
    assert [d.token for d in rig.world.workspace.devices.of(person)] == [new]
