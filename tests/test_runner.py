"""The pytest plugin, driven through pytester; the matrix text is in test_matrix."""

from __future__ import annotations

import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
TWO = "--harness-profiles=ios-17-iphone,desktop-chrome"
ALL_PROFILES = sorted(path.stem for path in (REPO / "device-profiles").glob("*.yaml"))

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = ignore:Module already imported:pytest.PytestAssertRewriteWarning
"""
SAMPLE = """
from harness import Unsupported, scenario


@scenario
def browses(world):
    world.shopper()


@scenario(needs=["native_app"])
def installs(world):
    assert world.profile.platform != "web"


@scenario
def restores(world):
    raise Unsupported("the emulated driver cannot restore from a backup yet")
"""

CRASHES = """
from harness import scenario

@scenario
def crashes(world):
    world.shopper()
    {}["missing"]
"""
EXPECTS = """
from harness import ExpectationFailed, scenario

@scenario
def expects(world):
    raise ExpectationFailed("the phone should have shown a push\\n"
                            "  saw: no push at all\\n\\ntimeline of shopper")
"""
TWO_SHOPPERS = """
from harness import ExpectationFailed, scenario

@scenario
def gifts(world):
    buyer = world.shopper("buyer")
    world.shopper("gifter")
    raise ExpectationFailed("the phone should have shown a push\\n\\n"
                            + world.timeline(buyer))
"""
TYPO = """
from harness import scenario

@scenario(needs=["web-push"])
def typo(world):
    pass
"""
SHRUNK = """
from harness import scenario

@scenario
def shrunk(world):
    pass
"""
FAILS = """from harness import scenario


@scenario
def fails(world):
    assert False
"""
BROKEN = """
from harness import scenario


@scenario
def crashes(world):
    {}["missing"]


@scenario
def fails(world):
    assert False
"""
NO_WORLD = """
from harness import scenario


@scenario
def s() -> None:
    pass
"""
BAD_UNIT = """
from harness import scenario


@scenario
def waits(world):
    world.advance(mins=3)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """Return a pytester project with the real profiles and fixtures."""
    shutil.copytree(REPO / "device-profiles", pytester.path / "device-profiles")
    shutil.copytree(REPO / "fixtures", pytester.path / "fixtures")
    write(pytester, "scenarios/sample.py", SAMPLE)
    # The outer run imported harness, so the inner one cannot rewrite it.
    pytester.makeini(INI)
    return pytester


def write(pytester: pytest.Pytester, name: str, source: str) -> Path:
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def matrix(result: pytest.RunResult) -> list[str]:
    """Return the matrix section of a run's output, title line first."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "device matrix" in line)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("=")), len(rest))
    return lines[start : start + 1 + end]


def test_each_scenario_runs_once_per_profile(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(TWO, "--collect-only", "-q")

    assert result.outlines[:6] == [
        "scenarios/sample.py::browses[ios-17-iphone]",
        "scenarios/sample.py::browses[desktop-chrome]",
        "scenarios/sample.py::installs[ios-17-iphone]",
        "scenarios/sample.py::installs[desktop-chrome]",
        "scenarios/sample.py::restores[ios-17-iphone]",
        "scenarios/sample.py::restores[desktop-chrome]",
    ]


def test_matrix_lists_every_profile_as_a_row(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("-k", "browses")

    lines, count = matrix(result), len(ALL_PROFILES)
    first = max(map(len, ALL_PROFILES))
    assert lines[1] == f"1 scenario x {count} profiles: {count} pass, 0 FAIL, 0 skip"
    assert lines[3:] == [
        "profile".ljust(first) + "  1",
        *(f"{name.ljust(first)}  pass" for name in ALL_PROFILES),
        "",
        "columns: 1 browses",
    ]
    assert max(map(len, lines)) <= 88


def test_missing_capability_is_skipped_with_reason(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(TWO, "-k", "installs", "-rs")

    result.assert_outcomes(passed=1, skipped=1)
    reason = "needs native_app: web profiles run no native app"
    result.stdout.fnmatch_lines([f"SKIPPED [[]1[]] scenarios/sample.py: {reason}"])
    assert f"  - {reason}" in matrix(result)


def test_unsupported_step_skips_the_cell_with_its_message(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest_inprocess(TWO, "-k", "restores", "-rs")

    result.assert_outcomes(skipped=2)
    why = "the emulated driver cannot restore from a backup yet"
    result.stdout.fnmatch_lines([f"SKIPPED [[]2[]] scenarios/sample.py:15: {why}"])
    assert matrix(result)[-3:] == [
        "skipped (2 cells):",
        f"  - {why}",
        "    on restores[ios-17-iphone], restores[desktop-chrome]",
    ]


def test_k_selects_cells(project: pytest.Pytester) -> None:
    by_profile = project.runpytest_inprocess(TWO, "-k", "browses and desktop-chrome")
    by_platform = project.runpytest_inprocess(TWO, "-k", "installs and web")

    by_profile.assert_outcomes(passed=1, deselected=5)
    assert matrix(by_profile)[3:] == [
        "profile         1",
        "ios-17-iphone   -",
        "desktop-chrome  pass",
        "",
        "columns: 1 browses",
    ]
    by_platform.assert_outcomes(skipped=1, deselected=5)


def test_x_stops_at_the_first_failing_cell(project: pytest.Pytester) -> None:
    write(project, "scenarios/sample.py", FAILS)

    result = project.runpytest_inprocess(TWO, "-x")

    result.assert_outcomes(failed=1)
    assert matrix(result)[3:6] == [
        "profile         1",
        "ios-17-iphone   FAIL",
        "desktop-chrome  -",
    ]


def test_junit_has_scenario_and_profile_properties(project: pytest.Pytester) -> None:
    project.runpytest_inprocess(TWO, "-k", "installs", "--junitxml=junit.xml")

    cases = ET.parse(project.path / "junit.xml").iter("testcase")
    properties = [
        {p.get("name"): p.get("value") for p in case.iter("property")} for case in cases
    ]
    assert properties == [
        {"scenario": "installs", "profile": profile, "app": "reference", "seed": "0"}
        for profile in ("ios-17-iphone", "desktop-chrome")
    ]


def test_failure_prints_timeline(project: pytest.Pytester) -> None:
    write(project, "scenarios/sample.py", CRASHES)

    result = project.runpytest_inprocess("--harness-profiles=ios-17-iphone")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "scenarios/sample.py:7: in crashes",
            "E   KeyError: 'missing'",
            "*- Captured timeline call -*",
            "timeline of shopper (user id u-*) on ios-17-iphone with app reference:",
        ]
    )
    assert "runtest" not in result.stdout.str()


def test_raising_anything_but_an_assertion_error_shows_error_not_fail(
    project: pytest.Pytester,
) -> None:
    write(project, "scenarios/sample.py", BROKEN)

    result = project.runpytest_inprocess("--harness-profiles=ios-17-iphone")

    result.assert_outcomes(failed=2)
    assert matrix(result)[1:] == [
        "2 scenarios x 1 profile: 0 pass, 1 FAIL, 1 ERROR, 0 skip",
        "",
        "profile        1      2",
        "ios-17-iphone  ERROR  FAIL",
        "",
        "columns: 1 crashes  2 fails",
        "",
        "failed (2 cells):",
        "  scenarios/sample.py::crashes[ios-17-iphone]  (ERROR: the scenario raised)",
        "  scenarios/sample.py::fails[ios-17-iphone]",
    ]


def test_advance_by_an_unknown_unit_is_an_error_naming_the_units(
    project: pytest.Pytester,
) -> None:
    write(project, "scenarios/sample.py", BAD_UNIT)

    result = project.runpytest_inprocess("--harness-profiles=ios-17-iphone")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   *ScenarioError: world.advance(mins=...) is not a unit of time; use "
            "days, hours, microseconds, milliseconds, minutes, seconds, weeks, "
            "e.g. world.advance(minutes=30)"
        ]
    )
    assert matrix(result)[4] == "ios-17-iphone  ERROR"


def test_timelines_always_attaches_the_timeline_to_passing_cells(
    project: pytest.Pytester,
) -> None:
    args = ("--harness-profiles=ios-17-iphone", "-k", "browses", "-rP")
    default = project.runpytest_inprocess(*args)
    always = project.runpytest_inprocess(*args, "--harness-timelines=always")

    always.assert_outcomes(passed=1)
    always.stdout.fnmatch_lines(
        [
            "*= PASSES =*",
            "*_ browses[[]ios-17-iphone[]] _*",
            "*- Captured timeline call -*",
            "timeline of shopper (user id u-*) on ios-17-iphone with app reference:",
        ]
    )
    default.assert_outcomes(passed=1)
    assert "timeline of" not in default.stdout.str()


def test_failed_expectation_shows_its_message_not_a_traceback(
    project: pytest.Pytester,
) -> None:
    write(project, "scenarios/sample.py", EXPECTS)

    result = project.runpytest_inprocess("--harness-profiles=ios-17-iphone")

    result.assert_outcomes(failed=1)
    failure = result.stdout.str().split("_ expects[ios-17-iphone] _")[1]
    assert failure.splitlines()[1:5] == [
        "the phone should have shown a push",
        "  saw: no push at all",
        "",
        "timeline of shopper",
    ]
    assert "raise ExpectationFailed" not in failure
    assert "Captured timeline" not in failure


def test_failed_expectation_adds_only_the_other_shoppers_timelines(
    project: pytest.Pytester,
) -> None:
    write(project, "scenarios/sample.py", TWO_SHOPPERS)

    result = project.runpytest_inprocess("--harness-profiles=ios-17-iphone")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "the phone should have shown a push",
            "timeline of buyer *",
            "*- Captured timeline call -*",
            "timeline of gifter *",
        ]
    )
    section = result.stdout.str().split("Captured timeline call", 1)[1]
    assert "timeline of buyer" not in section.split("short test summary", 1)[0]


def test_unknown_profile_is_a_usage_error_without_traceback(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest_inprocess("--harness-profiles=ios-17-iphone,nope")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines[0] == (
        "ERROR: --harness-profiles: unknown device profile 'nope'; known device "
        f"profiles: {', '.join(ALL_PROFILES)}."
    )
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_broken_profile_is_a_usage_error_naming_file_and_key(
    project: pytest.Pytester,
) -> None:
    source = project.path / "device-profiles" / "ios-17-iphone.yaml"
    text = source.read_text().replace("service: apns", "service: fcm")
    source.write_text(text)

    result = project.runpytest_inprocess()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines[:2] == [
        "ERROR: 1 problem in the project's files; fix them and try again:",
        "device-profiles/ios-17-iphone.yaml: push.service: ios devices receive push "
        "through apns, not fcm; set service to apns.",
    ]


def test_capability_typo_is_a_collection_error_naming_the_scenario(
    project: pytest.Pytester,
) -> None:
    write(project, "scenarios/typo.py", TYPO)

    result = project.runpytest_inprocess(TWO)

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["scenarios/typo.py: typo.needs: 'web-push' is not a capability; use one of *"]
    )
    assert "Traceback" not in result.stdout.str()


def test_scenario_not_taking_the_world_is_a_one_line_collection_error(
    project: pytest.Pytester,
) -> None:
    write(project, "scenarios/no_world.py", NO_WORLD)

    result = project.runpytest_inprocess(TWO)

    assert result.ret == pytest.ExitCode.INTERRUPTED
    lines = result.outlines
    head = next(i for i, line in enumerate(lines) if "collecting scenarios/no" in line)
    assert lines[head + 1 : head + 3] == [
        "scenarios/no_world.py: scenario s must take exactly one argument, the "
        "world: def s(world: World) -> None",
        "=========================== short test summary info "
        "============================",
    ]
    assert "harness/scripts.py" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_helpers_are_skipped_and_subfolders_collected(project: pytest.Pytester) -> None:
    write(project, "scenarios/_helpers.py", "raise RuntimeError('not a scenario')\n")
    write(project, "scenarios/found/shrunk.py", SHRUNK)

    result = project.runpytest_inprocess(TWO, "--collect-only", "-q", "-k", "shrunk")

    assert result.outlines[:2] == [
        "scenarios/found/shrunk.py::shrunk[ios-17-iphone]",
        "scenarios/found/shrunk.py::shrunk[desktop-chrome]",
    ]


def test_plugin_stays_inert_outside_a_harness_project(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    write(pytester, "scenarios/not_ours.py", "raise RuntimeError('not collected')\n")

    result = pytester.runpytest_inprocess()

    result.assert_outcomes(passed=1)
    assert "device matrix" not in result.stdout.str()


def test_xdist_workers_report_the_same_matrix(project: pytest.Pytester) -> None:
    serial = project.runpytest_inprocess(TWO)
    sharded = project.runpytest_inprocess(TWO, "-n", "2")

    sharded.assert_outcomes(passed=3, skipped=3)
    assert matrix(sharded) == matrix(serial)


def test_real_cart_recovery_scenarios_pass_or_skip(project: pytest.Pytester) -> None:
    (project.path / "scenarios" / "sample.py").unlink()
    shutil.copy(REPO / "scenarios" / "cart_recovery.py", project.path / "scenarios")

    result = project.runpytest_inprocess(TWO, "--junitxml=junit.xml")

    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, "\n".join(matrix(result))
    assert outcomes["passed"] + outcomes.get("skipped", 0) == 8
