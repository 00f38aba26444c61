"""Device profiles load, and every kind of mistake in one is reported clearly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import ConfigError, UnknownName
from harness.profiles import (
    DeviceProfile,
    find_profile,
    format_duration,
    load_profile,
    load_profiles,
    parse_duration,
)

SHIPPED = Path(__file__).resolve().parents[1] / "device-profiles"
SHIPPED_NAMES = [
    "android-10-huawei",
    "android-10-oneplus",
    "android-12-samsung",
    "android-13-xiaomi",
    "android-14-pixel",
    "android-15-pixel",
    "android-8-samsung",
    "desktop-chrome",
    "desktop-firefox",
    "desktop-safari",
    "ios-12-iphone",
    "ios-15-iphone",
    "ios-16-4-safari-webapp",
    "ios-16-iphone",
    "ios-17-iphone",
    "ios-18-iphone",
    "ipados-17-ipad",
]


def shipped(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SHIPPED / f"{name}.yaml").read_text())
    return data


def write(directory: Path, name: str, content: dict[str, Any] | str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else yaml.safe_dump(content)
    path = directory / f"{name}.yaml"
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    return [str(problem) for problem in caught.value.problems]


@pytest.fixture
def profiles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems name files as ``device-profiles/x.yaml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "device-profiles"


def test_every_shipped_profile_loads() -> None:
    profiles = load_profiles(SHIPPED)
    assert list(profiles) == SHIPPED_NAMES


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_shipped_profile_dumps_back_to_an_equal_profile(name: str) -> None:
    profile = load_profiles(SHIPPED)[name]
    dumped = profile.model_dump(mode="json")
    assert DeviceProfile.model_validate(dumped) == profile


def test_android_13_and_later_start_with_notifications_off() -> None:
    profiles = load_profiles(SHIPPED)
    runtime = [p for p in profiles.values() if p.api_level and p.api_level >= 33]
    assert runtime
    for profile in runtime:
        assert profile.permission.model == "android_runtime"
        assert profile.permission.initial == "not_determined"


def test_android_12_samsung_has_no_runtime_prompt() -> None:
    samsung = find_profile(load_profiles(SHIPPED), "android-12-samsung")
    assert samsung.permission.initial == "granted"
    assert not samsung.has_runtime_prompt
    assert not samsung.supports("runtime_permission")


def test_ios_17_offers_provisional_authorization() -> None:
    iphone = find_profile(load_profiles(SHIPPED), "ios-17-iphone")
    assert iphone.major_version == 17
    assert iphone.permission.provisional
    assert iphone.supports("provisional_auth")


def test_supports_rejects_a_misspelt_capability() -> None:
    chrome = find_profile(load_profiles(SHIPPED), "desktop-chrome")
    with pytest.raises(ValueError, match="'web-push' is not a capability"):
        chrome.supports("web-push")


def test_malformed_profile_reports_every_problem_at_once(profiles_dir: Path) -> None:
    data = shipped("android-14-pixel")
    data["name"] = "bad"
    data["push"]["service"] = "apn"
    data["os_version"] = 14
    data["colour"] = "red"
    data["token"]["invalidation_lag"] = "two days"
    del data["kind"]
    path = write(profiles_dir, "bad", data)
    assert problems_of(path) == [
        "device-profiles/bad.yaml: os_version: expected text (in quotes), "
        "got the number 14.",
        "device-profiles/bad.yaml: kind: is required; add it.",
        "device-profiles/bad.yaml: push.service: 'apn' is not one of apns, fcm, "
        "webpush (did you mean apns?).",
        "device-profiles/bad.yaml: token.invalidation_lag: 'two days' is not a "
        "duration; write a whole number and one unit of s, m, h, d or w, "
        "like 90m or 2d.",
        "device-profiles/bad.yaml: colour: unknown key; allowed here: name, title, "
        "platform, os_version, api_level, model, manufacturer, kind, push, "
        "permission, token, background, quirks, capabilities, appium.",
    ]


def test_unknown_key_is_reported_with_a_guess(profiles_dir: Path) -> None:
    data = shipped("ios-17-iphone")
    data["push"]["enviroment"] = data["push"].pop("environment")
    path = write(profiles_dir, "ios-17-iphone", data)
    assert problems_of(path) == [
        "device-profiles/ios-17-iphone.yaml: push.enviroment: unknown key; did you "
        "mean environment? Allowed here: service, environment, endpoint_origin, "
        "play_services."
    ]


def test_unknown_key_in_a_list_item_is_reported_by_index(profiles_dir: Path) -> None:
    data = shipped("android-13-xiaomi")
    data["quirks"][1]["severity"] = "high"
    path = write(profiles_dir, "android-13-xiaomi", data)
    assert problems_of(path) == [
        "device-profiles/android-13-xiaomi.yaml: quirks.1.severity: unknown key; "
        "allowed here: name, note."
    ]


def test_bad_duration_is_reported(profiles_dir: Path) -> None:
    data = shipped("android-13-xiaomi")
    data["background"]["push_delay"] = 15
    path = write(profiles_dir, "android-13-xiaomi", data)
    [problem] = problems_of(path)
    assert problem == (
        "device-profiles/android-13-xiaomi.yaml: background.push_delay: expected "
        "a duration such as 90m or 2d, got the number 15; add a unit of s, m, h, "
        "d or w."
    )


def test_wrong_service_for_platform_is_reported(profiles_dir: Path) -> None:
    data = shipped("android-14-pixel")
    data["push"] = {"service": "apns", "environment": "production"}
    path = write(profiles_dir, "android-14-pixel", data)
    assert problems_of(path) == [
        "device-profiles/android-14-pixel.yaml: push.service: android devices "
        "receive push through fcm, not apns; set service to fcm.",
        "device-profiles/android-14-pixel.yaml: push.environment: only apns has "
        "environments and android uses fcm; remove it.",
    ]


def test_rules_between_fields_are_all_reported_together(profiles_dir: Path) -> None:
    data = shipped("ios-17-iphone")
    data.update(kind="desktop", api_level=17, capabilities=["native_app"])
    data["permission"].update(prompt="none", requires_home_screen=True)
    data["background"]["kills_background_after"] = "1h"
    path = write(profiles_dir, "ios-17-iphone", data)
    paths = [problem.split(": ")[1] for problem in problems_of(path)]
    assert paths == [
        "kind",
        "api_level",
        "permission.prompt",
        "permission.requires_home_screen",
        "capabilities",
        "capabilities",
        "capabilities",
        "background.kills_background_after",
    ]


def test_wrong_api_level_is_blamed_alone(profiles_dir: Path) -> None:
    data = shipped("android-14-pixel")
    data["api_level"] = 31
    path = write(profiles_dir, "android-14-pixel", data)
    assert problems_of(path) == [
        "device-profiles/android-14-pixel.yaml: api_level: Android 14 is API level "
        "34, not 31; fix api_level or os_version."
    ]


def test_android_12_must_use_the_default_on_model(profiles_dir: Path) -> None:
    data = shipped("android-12-samsung")
    data["permission"]["model"] = "android_runtime"
    path = write(profiles_dir, "android-12-samsung", data)
    assert problems_of(path) == [
        "device-profiles/android-12-samsung.yaml: permission.model: API level 31 "
        "predates POST_NOTIFICATIONS (API 33), so uses the android_default_on "
        "model, not android_runtime; set model to android_default_on."
    ]


def test_android_default_on_must_start_granted_without_prompt(
    profiles_dir: Path,
) -> None:
    data = shipped("android-12-samsung")
    data["permission"].update(initial="not_determined", prompt="in_app")
    path = write(profiles_dir, "android-12-samsung", data)
    assert [problem.split(": ")[1] for problem in problems_of(path)] == [
        "permission.initial",
        "permission.prompt",
    ]


def test_webpush_requires_an_endpoint_origin(profiles_dir: Path) -> None:
    data = shipped("desktop-chrome")
    del data["push"]["endpoint_origin"]
    path = write(profiles_dir, "desktop-chrome", data)
    [problem] = problems_of(path)
    assert problem.startswith(
        "device-profiles/desktop-chrome.yaml: push.endpoint_origin: webpush needs "
        "the origin of the browser's push service"
    )


def test_capabilities_must_match_what_the_profile_implies(profiles_dir: Path) -> None:
    data = shipped("ios-16-4-safari-webapp")
    data["capabilities"] = ["web_push", "native_app", "receives_push"]
    path = write(profiles_dir, "ios-16-4-safari-webapp", data)
    assert problems_of(path) == [
        "device-profiles/ios-16-4-safari-webapp.yaml: capabilities: lists "
        "native_app, yet web profiles run no native app; remove it.",
        "device-profiles/ios-16-4-safari-webapp.yaml: capabilities: lacks "
        "home_screen_install, yet permission.requires_home_screen is true; add it.",
    ]


def test_yaml_syntax_error_is_reported_with_its_line(profiles_dir: Path) -> None:
    text = "name: broken\nplatform: ios\npush:\n  service: [apns\n"
    path = write(profiles_dir, "broken", text)
    [problem] = problems_of(path)
    assert problem.startswith(
        "device-profiles/broken.yaml: (document): invalid YAML at line 5"
    )


def test_a_repeated_key_is_reported_instead_of_hiding_the_first(
    profiles_dir: Path,
) -> None:
    text = "name: dup\nplatform: ios\nplatform: android\n"
    path = write(profiles_dir, "dup", text)
    assert problems_of(path) == [
        "device-profiles/dup.yaml: (document): invalid YAML at line 3, column 1: "
        "key 'platform' appears again; keep one of them (key 'platform' first "
        "appears here at line 2); fix the syntax there."
    ]


def test_top_level_must_be_a_mapping(profiles_dir: Path) -> None:
    path = write(profiles_dir, "listed", "- ios-17-iphone\n")
    assert problems_of(path) == [
        "device-profiles/listed.yaml: (document): the file holds a list; a device "
        "profile is a mapping of keys such as name, title, platform."
    ]


def test_empty_file_is_reported(profiles_dir: Path) -> None:
    path = write(profiles_dir, "empty", "# nothing yet\n")
    [problem] = problems_of(path)
    assert problem.startswith(
        "device-profiles/empty.yaml: (document): the file is empty;"
    )


def test_name_must_equal_file_stem(profiles_dir: Path) -> None:
    path = write(profiles_dir, "iphone", shipped("ios-17-iphone"))
    assert problems_of(path) == [
        "device-profiles/iphone.yaml: name: 'ios-17-iphone' differs from the file "
        "name iphone.yaml; a profile's name must equal its file stem, so rename "
        "one of them."
    ]


def test_unknown_name_lists_known_names() -> None:
    profiles = load_profiles(SHIPPED)
    with pytest.raises(UnknownName) as caught:
        find_profile(profiles, "ios-19-iphone")
    assert str(caught.value) == (
        "unknown device profile 'ios-19-iphone'; known device profiles: "
        + ", ".join(SHIPPED_NAMES)
        + "."
    )


def test_two_bad_files_raise_one_error_with_problems_from_both(
    profiles_dir: Path,
) -> None:
    write(profiles_dir, "ios-17-iphone", shipped("ios-17-iphone"))
    bad_kind = shipped("desktop-chrome") | {"kind": "laptop"}
    write(profiles_dir, "desktop-chrome", bad_kind)
    write(profiles_dir, "broken", "name: [\n")
    with pytest.raises(ConfigError) as caught:
        load_profiles(profiles_dir)
    files = [problem.file for problem in caught.value.problems]
    assert files == [
        "device-profiles/broken.yaml",
        "device-profiles/desktop-chrome.yaml",
    ]
    assert "kind: 'laptop' is not one of phone, tablet, desktop." in str(caught.value)


def test_yml_file_is_reported_not_skipped(profiles_dir: Path) -> None:
    write(profiles_dir, "ios-17-iphone", shipped("ios-17-iphone"))
    (profiles_dir / "pixel.yml").write_text("name: pixel\n")
    with pytest.raises(
        ConfigError, match=r"pixel\.yml: \(document\): files here end in \.yaml"
    ):
        load_profiles(profiles_dir)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0s", timedelta(0)),
        ("90m", timedelta(minutes=90)),
        ("12h", timedelta(hours=12)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_parse_duration_reads_one_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "1.5h", "-1d", "2 days", "1h30m"])
def test_parse_duration_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_format_duration_uses_the_largest_whole_unit() -> None:
    assert format_duration(timedelta(minutes=90)) == "90m"
    assert format_duration(timedelta(days=14)) == "2w"
    assert format_duration(timedelta(0)) == "0s"


def test_profile_hashes_by_name_despite_its_appium_dict() -> None:
    profiles = load_profiles(SHIPPED)
    assert len(set(profiles.values())) == len(SHIPPED_NAMES)


def test_a_phone_without_play_services_receives_no_push() -> None:
    huawei = find_profile(load_profiles(SHIPPED), "android-10-huawei")
    assert huawei.push.service == "fcm"
    assert not huawei.play_services
    assert not huawei.supports("receives_push")


def test_every_other_shipped_profile_receives_push() -> None:
    profiles = load_profiles(SHIPPED)
    receiving = sorted(n for n, p in profiles.items() if p.supports("receives_push"))
    assert receiving == [n for n in SHIPPED_NAMES if n != "android-10-huawei"]


def test_play_services_belongs_to_android_only(profiles_dir: Path) -> None:
    data = shipped("ios-17-iphone")
    data["push"]["play_services"] = True
    path = write(profiles_dir, "ios-17-iphone", data)
    assert problems_of(path) == [
        "device-profiles/ios-17-iphone.yaml: push.play_services: only android "
        "phones have Google Play services and ios uses apns; remove play_services."
    ]


def test_receives_push_is_refused_without_play_services(profiles_dir: Path) -> None:
    data = shipped("android-10-huawei")
    data["capabilities"].append("receives_push")
    path = write(profiles_dir, "android-10-huawei", data)
    assert problems_of(path) == [
        "device-profiles/android-10-huawei.yaml: capabilities: lists receives_push, "
        "yet push.play_services is false, so FCM can issue no token; remove it."
    ]


def test_receives_push_is_required_of_a_phone_that_gets_a_token(
    profiles_dir: Path,
) -> None:
    data = shipped("android-14-pixel")
    data["capabilities"].remove("receives_push")
    path = write(profiles_dir, "android-14-pixel", data)
    assert problems_of(path) == [
        "device-profiles/android-14-pixel.yaml: capabilities: lacks receives_push, "
        "yet android profiles get an FCM token; add it."
    ]


def test_upgrade_to_android_13_brings_post_notifications() -> None:
    samsung = find_profile(load_profiles(SHIPPED), "android-12-samsung")

    upgraded = samsung.upgraded("13")

    assert (upgraded.os_version, upgraded.api_level) == ("13", 33)
    assert upgraded.permission.model == "android_runtime"
    assert upgraded.permission.initial == "not_determined"
    assert upgraded.has_runtime_prompt
    assert upgraded.supports("runtime_permission")
    assert upgraded.title == "Samsung Galaxy S21, One UI 4 on Android 13"
    assert upgraded.appium["appium:platformVersion"] == "13"
    assert (samsung.os_version, samsung.permission.model) == (
        "12",
        "android_default_on",
    )


def test_upgrade_of_an_iphone_keeps_its_rules_and_renames_the_version() -> None:
    iphone = find_profile(load_profiles(SHIPPED), "ios-17-iphone")

    upgraded = iphone.upgraded("18.0")

    assert upgraded.title == "iPhone 15 Pro, iOS 18.0"
    assert upgraded.capabilities == iphone.capabilities
    assert upgraded.permission == iphone.permission


@pytest.mark.parametrize(
    ("name", "version", "api_level", "problem"),
    [
        (
            "ios-17-iphone",
            "16.2",
            None,
            "ios-17-iphone upgraded to iOS 16.2: os_version: iOS 16.2 is not newer "
            "than the 17.5 the phone runs; an OS upgrade only moves forward, so "
            "pass a later version (or use another profile for an older OS).",
        ),
        (
            "ios-17-iphone",
            "18",
            34,
            "ios-17-iphone upgraded to iOS 18: api_level: api_level applies only "
            "to android, not ios; remove it.",
        ),
        (
            "android-10-oneplus",
            "12",
            None,
            "android-10-oneplus upgraded to Android 12: api_level: Android 12 has "
            "more than one API level; pass api_level to name the one the phone gets.",
        ),
        (
            "android-12-samsung",
            "13",
            31,
            "android-12-samsung upgraded to Android 13: api_level: Android 13 is API "
            "level 33, not 31; fix api_level or os_version.",
        ),
    ],
    ids=["older", "api-level-on-ios", "ambiguous-api-level", "wrong-api-level"],
)
def test_impossible_upgrade_is_refused_naming_the_rule(
    name: str, version: str, api_level: int | None, problem: str
) -> None:
    profile = find_profile(load_profiles(SHIPPED), name)

    with pytest.raises(ConfigError) as caught:
        profile.upgraded(version, api_level)

    assert [str(p) for p in caught.value.problems] == [problem]


# -- the appium: section ------------------------------------------------------


def appium_problems(profiles_dir: Path, **section: object) -> list[str]:
    """Load android-14-pixel with ``section`` added to its appium: keys."""
    data = shipped("android-14-pixel")
    data["appium"] |= section
    path = write(profiles_dir, "android-14-pixel", data)
    return problems_of(path)


def test_appium_options_cannot_smuggle_in_a_refused_key(profiles_dir: Path) -> None:
    found = appium_problems(
        profiles_dir,
        **{"appium:options": {"appPackage": "com.x", "autoAcceptAlerts": True}},
    )

    assert found == [
        "device-profiles/android-14-pixel.yaml: appium.appium:options.appPackage: "
        "'appium:appPackage' comes from the app profile's bundle_id at each "
        "session; remove it.",
        "device-profiles/android-14-pixel.yaml: appium.appium:options."
        "autoAcceptAlerts: 'appium:autoAcceptAlerts' answers the notification "
        "prompt for every scenario, so none could deny it; remove it "
        "(world.device(answers_prompt=...) answers it).",
    ]


def test_appium_options_must_be_a_mapping_of_appiums_own_keys(
    profiles_dir: Path,
) -> None:
    assert [p.split(": ", 2)[1] for p in appium_problems(
        profiles_dir, **{"appium:options": ["noReset"]}
    )] == ["appium.appium:options"]  # fmt: skip
    found = appium_problems(
        profiles_dir, **{"appium:options": {"platformName": "Android"}}
    )
    assert found == [
        "device-profiles/android-14-pixel.yaml: appium.appium:options.platformName: "
        "platformName is a W3C capability and Appium refuses it inside "
        "appium:options; put it beside appium:options."
    ]


@pytest.mark.parametrize(
    ("key", "says"),
    [
        (":weird", "':weird' is not a capability name; an extension capability "
         "is vendor:name with both parts"),
        ("appium:", "'appium:' is not a capability name"),
        ("appium:device Name", "'appium:device Name' has whitespace in it"),
        (" platformName", "' platformName' has whitespace in it"),
    ],
)  # fmt: skip
def test_a_key_that_is_no_capability_name_is_refused(
    profiles_dir: Path, key: str, says: str
) -> None:
    [found] = appium_problems(profiles_dir, **{key: "x"})

    assert found.startswith(
        f"device-profiles/android-14-pixel.yaml: appium.{key}: {says}"
    )


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("goog:chromeOptions", ["--headless"], "takes a mapping of keys, not a list"),
        ("appium:newCommandTimeout", "300", "takes a number, not the text '300'"),
        ("appium:noReset", "yes", "takes true or false, not the text 'yes'"),
        ("appium:platformVersion", 14, "takes text (in quotes), not the number 14"),
    ],
)
def test_a_value_of_the_wrong_type_for_appiums_schema_is_refused(
    profiles_dir: Path, key: str, value: object, says: str
) -> None:
    [found] = appium_problems(profiles_dir, **{key: value})

    assert found == (
        f"device-profiles/android-14-pixel.yaml: appium.{key}: {key!r} {says}."
    )


def test_a_farms_own_keys_of_any_type_pass(profiles_dir: Path) -> None:
    data = shipped("android-14-pixel")
    data["appium"] |= {"df:udids": ["a", "b"], "bstack:options": {"os": "x"}}

    profile = load_profile(write(profiles_dir, "android-14-pixel", data))

    assert profile.appium["df:udids"] == ["a", "b"]


def test_a_w3c_name_in_the_wrong_case_suggests_the_right_one(
    profiles_dir: Path,
) -> None:
    data = shipped("android-14-pixel")
    data["appium"]["platformname"] = data["appium"].pop("platformName")

    found = problems_of(write(profiles_dir, "android-14-pixel", data))

    assert found == [
        "device-profiles/android-14-pixel.yaml: appium.platformname: 'platformname' "
        "is not a W3C capability; names are case-sensitive, so write platformName "
        "(did you mean platformName?)."
    ]


def test_key_problems_and_the_phones_rules_are_reported_together(
    profiles_dir: Path,
) -> None:
    data = shipped("android-14-pixel")
    data["appium"] |= {
        "udid": "emulator-5554",
        "appium:app": "/shop.apk",
        "appium:automationName": "XCUITest",
        "appium:platformVersion": "13",
    }
    data["push"]["service"] = "apn"  # a broken field elsewhere hides nothing

    found = problems_of(write(profiles_dir, "android-14-pixel", data))

    assert sorted(line.split(": ")[1] for line in found) == [
        "appium.appium:app",
        "appium.appium:automationName",
        "appium.appium:platformVersion",
        "appium.udid",
        "push.service",
    ]


def test_the_phones_rules_read_appium_options_too(profiles_dir: Path) -> None:
    data = shipped("android-14-pixel")
    del data["appium"]["appium:platformVersion"]
    data["appium"]["appium:options"] = {"platformVersion": "13"}

    found = problems_of(write(profiles_dir, "android-14-pixel", data))

    assert found == [
        "device-profiles/android-14-pixel.yaml: appium.appium:options."
        "platformVersion: '13' differs from os_version '14'; a farm would hand out "
        "another OS than the profile models, so make them equal."
    ]


def test_upgrade_moves_the_platform_version_inside_appium_options(
    profiles_dir: Path,
) -> None:
    data = shipped("android-12-samsung")
    del data["appium"]["appium:platformVersion"]
    data["appium"]["appium:options"] = {"platformVersion": "12"}
    samsung = load_profile(write(profiles_dir, "android-12-samsung", data))

    upgraded = samsung.upgraded("13")

    assert upgraded.appium["appium:options"] == {"platformVersion": "13"}
