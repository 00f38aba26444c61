"""Action maps: every problem in a file is reported at once, by key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.apps import load_apps
from harness.cli import main
from harness.drivers.actions import (
    Back,
    Call,
    Tap,
    TypeText,
    WaitFor,
    check_action_maps,
    fill,
    load_action_map,
    password_of,
)
from harness.errors import ConfigError
from harness.people import Shopper
from tests.conftest import ROOT

HEAD = "app: shop\nactions:\n"
SHOPPER = Shopper("shopper", "u-1a2b3c", "ada.lee.1a2b@example.com", "Ada", "Lee")


@pytest.fixture
def apps_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems name files as ``apps/shop.appium.yaml``."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "apps"
    directory.mkdir()
    return directory


def problems(apps_dir: Path, body: str, head: str = HEAD) -> list[str]:
    path = apps_dir / "shop.appium.yaml"
    path.write_text(head + body)
    with pytest.raises(ConfigError) as caught:
        load_action_map(path)
    return str(caught.value).splitlines()


def copy_project(tmp_path: Path) -> Path:
    """Copy the repository's profiles, fixtures and scenarios; return the copy."""
    project = tmp_path / "project"
    for folder in ("device-profiles", "fixtures", "scenarios"):
        source = ROOT / folder
        (project / folder).mkdir(parents=True)
        for path in source.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                target = project / folder / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    return project


def test_the_reference_map_has_fake_steps_for_every_action() -> None:
    actions = load_action_map(ROOT / "fixtures/apps/reference.appium.yaml")

    missing = [
        name
        for name in type(actions.actions).model_fields
        if not actions.steps(name, "fake")
    ]

    assert missing == []


def test_steps_parse_into_their_kinds(apps_dir: Path) -> None:
    path = apps_dir / "shop.appium.yaml"
    path.write_text(
        HEAD + "  log_in:\n    android:\n"
        "      - type: {by: id, value: email, text: '{email}'}\n"
        "      - tap: {by: accessibility_id, value: Sign In}\n"
        "      - wait_for: {by: xpath, value: //x, timeout: 30s}\n"
        "      - back\n"
    )

    steps = load_action_map(path).steps("log_in", "android")

    assert steps is not None
    assert [type(step) for step in steps] == [TypeText, Tap, WaitFor, Back]
    assert steps[1].strategy == "accessibility id"  # type: ignore[union-attr]
    assert steps[2].timeout.total_seconds() == 30  # type: ignore[union-attr]


def test_unknown_step_kind_suggests_the_nearest(apps_dir: Path) -> None:
    found = problems(
        apps_dir, "  log_in:\n    fake:\n      - tapp: {by: id, value: x}\n"
    )

    assert found == [
        "apps/shop.appium.yaml: actions.log_in.fake.0: 'tapp' is not a step; use "
        "one of tap, type, wait_for, back (did you mean tap?)"
    ]


def test_unknown_locator_strategy_is_a_key_path_problem(apps_dir: Path) -> None:
    found = problems(
        apps_dir, "  log_out:\n    ios:\n      - tap: {by: accesibility_id, value: x}\n"
    )

    assert len(found) == 1
    assert found[0].startswith(
        "apps/shop.appium.yaml: actions.log_out.ios.0.tap.by: 'accesibility_id' is "
        "not one of id, accessibility_id, xpath"
    )
    assert found[0].endswith("(did you mean accessibility_id?).")


def test_unknown_placeholder_names_the_ones_the_action_takes(apps_dir: Path) -> None:
    found = problems(
        apps_dir,
        "  log_in:\n    fake:\n      - type: {by: id, value: e, text: '{emial}'}\n",
    )

    assert found == [
        "apps/shop.appium.yaml: actions.log_in.fake.0.type.text: {emial} is not a "
        "placeholder of log_in; use {email}, {password}, {user_id}, {first_name}, "
        "{last_name} (did you mean {email}?)"
    ]


def test_placeholder_of_another_action_is_refused(apps_dir: Path) -> None:
    found = problems(
        apps_dir, "  log_out:\n    fake:\n      - tap: {by: id, value: '{sku}'}\n"
    )

    assert found == [
        "apps/shop.appium.yaml: actions.log_out.fake.0.tap.value: {sku} is not a "
        "placeholder; log_out takes none"
    ]


def test_every_problem_of_a_file_is_reported_at_once(apps_dir: Path) -> None:
    found = problems(
        apps_dir,
        "  log_inn: {}\n"
        "  view:\n    windows: []\n"
        "    fake:\n      - type: {by: id, value: x, txt: '{sku}'}\n"
        "  add_to_cart:\n    fake:\n      - tap: {by: id, value: '{sku'}\n",
    )

    paths = [line.split(": ")[1] for line in found]
    assert sorted(paths) == [
        "actions.add_to_cart.fake.0.tap.value",
        "actions.log_inn",
        "actions.view.fake.0",
        "actions.view.windows",
    ]
    assert "did you mean text?" in found[paths.index("actions.view.fake.0")]
    assert "did you mean log_in?" in found[paths.index("actions.log_inn")]


def test_map_named_apart_from_its_app_is_refused(apps_dir: Path) -> None:
    found = problems(apps_dir, "  log_out: {}\n", head="app: store\nactions:\n")

    assert found == [
        "apps/shop.appium.yaml: app: app 'store' differs from the file name "
        "shop.appium.yaml; an action map is named after its app profile: "
        "store.appium.yaml"
    ]


def test_push_link_must_carry_the_payload_only(apps_dir: Path) -> None:
    found = problems(
        apps_dir,
        "  log_out: {}\n",
        head=f"{HEAD[:10]}push_link: x://{{sku}}\nactions:\n",
    )

    assert found == [
        "apps/shop.appium.yaml: push_link: 'x://{sku}' must hold {payload} once and "
        "no other placeholder; the push's data is put there, URL-encoded"
    ]


@pytest.mark.parametrize(
    ("action", "text", "plain"),
    [
        ("log_in", "{email!z}", "{email}"),
        ("add_to_cart", "{qty:d}", "{qty}"),
        ("add_to_cart", "{sku:{email}}", "{sku}"),
        ("log_in", "{password!s:>99999999}", "{password}"),
        ("log_in", "{email.upper}", "{email}"),
    ],
)
def test_placeholder_with_a_conversion_or_format_spec_is_refused(
    apps_dir: Path, action: str, text: str, plain: str
) -> None:
    found = problems(
        apps_dir, f"  {action}:\n    fake:\n      - type: {{by: id, value: e, "
        f"text: '{text}'}}\n",
    )  # fmt: skip

    assert found == [
        f"apps/shop.appium.yaml: actions.{action}.fake.0.type.text: {text} is not a "
        f"plain placeholder; write {plain}; conversions, format specs and lookups "
        "are not supported"
    ]


def test_push_link_with_a_format_spec_is_refused(apps_dir: Path) -> None:
    found = problems(
        apps_dir,
        "  log_out: {}\n",
        head=f"{HEAD[:10]}push_link: 'x://{{payload!s:>99999999}}'\nactions:\n",
    )

    assert found == [
        "apps/shop.appium.yaml: push_link: {payload!s:>99999999} is not a plain "
        "placeholder; write {payload}; conversions, format specs and lookups are "
        "not supported"
    ]


def test_fill_takes_plain_placeholders_only() -> None:
    call = Call.of(SHOPPER)

    with pytest.raises(ValueError, match="cannot be filled"):
        fill("{email:>99999999}", call)
    assert fill("{{literal}} {email}", call) == "{literal} " + SHOPPER.email


def test_an_empty_step_list_is_a_problem(apps_dir: Path) -> None:
    found = problems(apps_dir, "  log_out:\n    fake: []\n")

    assert found == [
        "apps/shop.appium.yaml: actions.log_out.fake: an action needs at least one "
        "step; leave the platform out if the app has no such screen"
    ]


@pytest.mark.parametrize(("timeout", "ok"), [("2m", True), ("121s", False)])
def test_a_wait_is_at_most_two_minutes(apps_dir: Path, timeout: str, ok: bool) -> None:
    wait = f"{{by: id, value: x, timeout: {timeout}}}"
    body = f"  log_out:\n    fake:\n      - wait_for: {wait}\n"
    path = apps_dir / "shop.appium.yaml"
    path.write_text(HEAD + body)

    if ok:
        assert load_action_map(path).steps("log_out", "fake")
        return
    assert problems(apps_dir, body) == [
        "apps/shop.appium.yaml: actions.log_out.fake.0.wait_for.timeout: a wait is "
        "at most 2m of real time, not 121s; the cell stands still while it waits, "
        "so give 2m or less"
    ]


def test_step_and_placeholder_problems_are_reported_together(apps_dir: Path) -> None:
    found = problems(
        apps_dir,
        "  log_in:\n    fake:\n"
        "      - tapp: {by: id, value: x}\n"
        "      - type: {by: id, value: e, text: '{email!r}'}\n"
        "  view:\n    fake:\n      - tap: {by: id, value: '{qty}'}\n",
    )

    assert sorted(line.split(": ")[1] for line in found) == [
        "actions.log_in.fake.0",
        "actions.log_in.fake.1.type.text",
        "actions.view.fake.0.tap.value",
    ]


def test_a_map_without_its_app_profile_is_reported_beside_its_other_problems(
    apps_dir: Path,
) -> None:
    (apps_dir / "shop.appium.yaml").write_text(HEAD + "  log_out:\n    fake: []\n")

    with pytest.raises(ConfigError) as caught:
        check_action_maps(apps_dir)

    assert [(p.path, p.message[:22]) for p in caught.value.problems] == [
        ("actions.log_out.fake", "an action needs at lea"),
        ("app", "'shop' has no app prof"),
    ]


def test_a_map_without_its_app_profile_is_a_validation_problem(apps_dir: Path) -> None:
    (apps_dir / "shop.appium.yaml").write_text(HEAD + "  log_out: {}\n")

    with pytest.raises(ConfigError) as caught:
        check_action_maps(apps_dir)

    assert str(caught.value).startswith(
        "apps/shop.appium.yaml: app: 'shop' has no app profile shop.yaml beside it"
    )


def test_app_profiles_skip_the_action_maps_beside_them() -> None:
    apps = load_apps(ROOT / "fixtures" / "apps")

    assert "reference" in apps
    assert not any("appium" in name for name in apps)


def test_fill_takes_the_shopper_and_product_of_the_call() -> None:
    call = Call.of(SHOPPER)

    assert fill("{email}/{password}", call) == f"{SHOPPER.email}/Pw-u-1a2b3c"
    assert password_of(SHOPPER) == "Pw-u-1a2b3c"


def test_harness_validate_reports_a_broken_action_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    broken = project / "fixtures/apps/reference.appium.yaml"
    broken.write_text(
        broken.read_text().replace(
            "tap: {by: id, value: sign_in}", "tapp: {by: id, value: sign_in}"
        )
    )

    status = main(["--root", str(project), "validate"])

    out = capsys.readouterr().out
    assert status == 2
    assert "reference.appium.yaml: actions.log_in.fake.2: 'tapp' is not a step" in out


def test_harness_validate_reports_each_action_map_problem_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    apps = project / "fixtures/apps"
    (apps / "gone.appium.yaml").write_text(
        "app: gone\nactions:\n  log_in:\n    fake:\n"
        "      - tapp: {by: id, value: x}\n"
        "      - type: {by: id, value: e, text: '{email:>9}'}\n"
        "    android: []\n"
    )

    status = main(["--root", str(project), "validate"])

    lines = sorted(
        line.split(": ")[1]
        for line in capsys.readouterr().out.splitlines()
        if line.split(": ")[0].endswith("fixtures/apps/gone.appium.yaml")
    )
    assert status == 2
    assert lines == [
        "actions.log_in.android",
        "actions.log_in.fake.0",
        "actions.log_in.fake.1.type.text",
        "app",
    ]
