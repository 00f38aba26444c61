"""App profile files: SDK settings are checked when the file loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.apps import AppProfile, load_app
from harness.errors import ConfigError
from harness.profiles import load_profiles
from harness.world import World
from tests.conftest import ROOT

HEAD = "name: shop\ntitle: Shop\nbundle_id: com.example.shop\n"


@pytest.fixture
def apps_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems name files as ``apps/shop.yaml``."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "apps"
    directory.mkdir()
    return directory


def load_with_sdk(apps_dir: Path, sdk: str) -> ConfigError:
    path = apps_dir / "shop.yaml"
    path.write_text(f"{HEAD}sdk: {sdk}\n")
    with pytest.raises(ConfigError) as caught:
        load_app(path)
    return caught.value


@pytest.mark.parametrize("flush_at", [0, -5])
def test_flush_at_below_one_is_a_file_key_path_problem(
    apps_dir: Path, flush_at: int
) -> None:
    error = load_with_sdk(apps_dir, f"{{flush_at: {flush_at}}}")

    [line] = str(error).splitlines()
    assert line.startswith("apps/shop.yaml: sdk.flush_at: ")
    assert "equal to 1" in line
    assert f"the number {flush_at}" in line


def test_zero_flush_interval_is_a_file_key_path_problem(apps_dir: Path) -> None:
    error = load_with_sdk(apps_dir, "{flush_interval: 0s}")

    [line] = str(error).splitlines()
    assert line.startswith("apps/shop.yaml: sdk.flush_interval: ")
    assert "longer than 0s" in line


def test_positive_flush_settings_load(apps_dir: Path) -> None:
    path = apps_dir / "shop.yaml"
    path.write_text(f"{HEAD}sdk: {{flush_at: 1, flush_interval: 1s}}\n")

    assert load_app(path).sdk.flush_at == 1


# -- what the profile's choices do on a phone ------------------------------------


def _world(app: AppProfile, profile: str = "android-14-pixel") -> World:
    profiles = load_profiles(ROOT / "device-profiles")
    return World(profiles[profile], app, root=ROOT)


def test_an_app_identifying_at_order_tracking_does_so_there_and_not_at_login() -> None:
    reference = load_app(ROOT / "fixtures" / "apps" / "reference.yaml")
    rule = reference.identify.model_copy(update={"when": ["order_tracking"]})
    app = reference.model_copy(update={"identify": rule})
    with _world(app) as world:
        shopper = world.shopper()
        phone = world.device(shopper)
        phone.install(app)
        phone.launch()
        phone.log_in(shopper)
        assert world.profile_of(shopper) is None
        phone.open_order_tracking(shopper)
        world.advance(minutes=1)
        assert world.expect.identified_by_user_id(shopper).id == shopper.user_id


def test_an_app_asking_after_the_order_asks_then_and_not_before() -> None:
    reference = load_app(ROOT / "fixtures" / "apps" / "reference.yaml")
    app = reference.model_copy(update={"permission_prompt": "after_order"})
    with _world(app, "ios-17-iphone") as world:
        shopper = world.shopper()
        phone = world.device(shopper)
        phone.install(app)
        phone.launch()
        phone.log_in(shopper)
        assert phone.app.prompts == [] and phone.permission == "not_determined"
        phone.complete_order(world.catalog["bundle"])
        assert phone.app.prompts == ["after the order"]
        assert phone.permission == "granted"


def test_an_event_sent_by_the_backend_reaches_the_profile_without_the_app() -> None:
    app = load_app(ROOT / "fixtures" / "apps" / "reference.yaml")
    assert app.events.order_completed.sent_by == "backend"
    with _world(app) as world:
        shopper = world.shopper()
        phone = world.device(shopper)
        phone.install(app)
        phone.launch()
        phone.log_in(shopper)
        phone.go_offline()
        phone.complete_order(world.catalog["bundle"])
        world.expect.event_count(shopper, "order_completed", 1)
        assert not any(
            e.get("event") == "order_completed" for e in phone.app.sdk.pending()
        )


def test_a_fault_the_apps_sdk_cannot_have_is_a_file_problem(apps_dir: Path) -> None:
    path = apps_dir / "old.yaml"
    path.write_text(
        "name: old\ntitle: Old\nbundle_id: com.example.shop\n"
        "sdk: {generation: legacy}\nfaults: [anonymous_events_dropped]\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_app(path)
    assert "fault anonymous_events_dropped does not apply" in str(raised.value)


def test_event_names_properties_and_deep_links_are_checked(apps_dir: Path) -> None:
    path = apps_dir / "odd.yaml"
    path.write_text(
        "name: odd\ntitle: Odd\nbundle_id: com.example.shop\n"
        "events:\n  checkout_started: {name: c, properties: [sku, sku]}\n"
        "deep_links: {cart: ''}\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_app(path)
    assert [p.message for p in raised.value.problems] == [
        "sku listed twice; list each once",
        "'' is not a deep link; write the route the app handles as a URL with its "
        "scheme, like shop://cart",
    ]


def test_two_actions_may_not_send_one_event_name(apps_dir: Path) -> None:
    path = apps_dir / "same.yaml"
    path.write_text(
        "name: same\ntitle: Same\nbundle_id: com.example.shop\n"
        "events: {product_viewed: viewed, add_to_cart: viewed}\n"
    )
    with pytest.raises(ConfigError, match="add_to_cart and product_viewed both send"):
        load_app(path)
