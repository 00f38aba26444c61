"""The embedded emulator: every API on its real host name, in one transport."""

from __future__ import annotations

import base64

from tests.conftest import MakeWorld


def basic(user: str, password: str = "") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_track_api_answers_on_its_real_host_in_process(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    keys = world.env.keys

    response = world.emulator.http.put(
        "https://track.customer.io/api/v1/customers/u-42",
        json={"email": "Ada@Example.com", "plan": "gold"},
        headers=basic(keys.site_id, keys.api_key),
    )

    assert (response.status_code, response.json()) == (200, {})
    person = world.workspace.find("ada@example.com")
    assert person is not None and person.id == "u-42"


def test_app_api_reads_what_pipelines_wrote(make_world: MakeWorld) -> None:
    world = make_world("ios-17-iphone")
    keys = world.env.keys
    world.emulator.http.post(
        "https://cdp.customer.io/v1/identify",
        json={"userId": "u-7", "traits": {"email": "u7@example.com"}},
        headers=basic(keys.write_key),
    )

    response = world.emulator.http.get(
        "https://api.customer.io/v1/customers/u-7/attributes",
        headers={"Authorization": f"Bearer {keys.app_api_key}"},
    )

    assert response.status_code == 200
    assert response.json()["customer"]["attributes"]["email"] == "u7@example.com"


def test_transactional_fixtures_reach_the_embedded_app_api(
    make_world: MakeWorld,
) -> None:
    world = make_world("android-14-pixel")
    shopper = world.shopper()
    phone = world.device(shopper)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)

    response = world.emulator.http.post(
        "https://api.customer.io/v1/send/push",
        json={
            "transactional_message_id": "order-shipped",
            "identifiers": {"id": shopper.user_id},
            "message_data": {"order_id": "A-1", "carrier": "UPS"},
        },
        headers={"Authorization": f"Bearer {world.env.keys.app_api_key}"},
    )

    assert response.status_code == 200, response.text
    [item] = phone.inbox.shown()
    assert item.delivery_id == response.json()["delivery_id"]


def test_workspace_policies_are_chosen_when_the_workspace_is_made() -> None:
    from harness.clock import Clock
    from harness.emulator import Emulator
    from harness.ids import Ids
    from harness.journal import Journal

    emulator = Emulator(Clock(), Ids(0), Journal())
    hosted = emulator.create_workspace("w", merge_devices="delete", single_owner=False)

    assert hosted.workspace.merge_devices == "delete"
    assert hosted.workspace.single_owner is False
    emulator.reset()
    assert emulator.workspaces["w"].workspace.merge_devices == "delete"
