"""The runner: the matrix text, and the pytest plugin driven through pytester."""

from __future__ import annotations

import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.runner.matrix import Cell, Outcome, render

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]
TWO = "--harness-profiles=ios-17-iphone,desktop-chrome"
ALL_PROFILES = sorted(path.stem for path in (REPO / "device-profiles").glob("*.yaml"))


def cell(scenario: str, profile: str, outcome: Outcome, reason: str = "") -> Cell:
    return Cell(
        f"scenarios/s.py::{scenario}[{profile}]", scenario, profile, outcome, reason
    )


def grid(*rows: tuple[str, str], profiles: list[str]) -> list[Cell]:
    """Build cells from rows of (scenario, outcome letters: p, F, s, -)."""
    kinds: dict[str, Outcome] = {"p": "pass", "F": "FAIL", "s": "skip"}
    return [
        cell(name, profile, kinds[letter], "why" if letter == "s" else "")
        for name, letters in rows
        for profile, letter in zip(profiles, letters, strict=True)
        if letter != "-"
    ]


# -- the matrix text ------------------------------------------------------------------


def test_matrix_heads_columns_with_profile_names_when_they_fit() -> None:
    cells = grid(("login", "pF"), ("logout", "ps"), profiles=["ios-17", "web"])

    assert render(cells, ["ios-17", "web"]) == textwrap.dedent("""\
        2 scenarios x 2 profiles: 2 pass, 1 FAIL, 1 skip

        scenario  ios-17  web
        login     pass    FAIL
        logout    pass    skip

        skipped (1 cell):
          - why
            on logout[web]

        failed (1 cell):
          scenarios/s.py::login[web]""")


def test_matrix_numbers_columns_when_seven_profiles_are_too_wide() -> None:
    cells = grid(("reinstall", "ppppsps"), profiles=ALL_PROFILES)

    text = render(cells, ALL_PROFILES)

    assert text.splitlines()[2:6] == [
        "scenario   1     2     3     4     5     6     7",
        "reinstall  pass  pass  pass  pass  skip  pass  skip",
        "",
        "columns: 1 android-12-samsung  2 android-13-xiaomi  3 android-14-pixel  "
        "4 desktop-chrome",
    ]
    assert all(name in text for name in ALL_PROFILES)
    assert max(map(len, text.splitlines())) <= 88


def test_matrix_puts_profiles_in_rows_when_scenario_names_are_long() -> None:
    name = "reinstall_before_the_send_reaches_the_new_install"
    cells = grid((name, "ppppppp"), ("short", "FFFFFFF"), profiles=ALL_PROFILES)

    lines = render(cells, ALL_PROFILES).splitlines()

    assert lines[2:5] == [
        "profile                 1     2",
        "android-12-samsung      pass  FAIL",
        "android-13-xiaomi       pass  FAIL",
    ]
    assert f"columns: 1 {name}  2 short" in lines
    assert max(map(len, lines)) <= 88


def test_matrix_splits_into_blocks_when_nothing_else_fits() -> None:
    profiles = [f"profile-{n:02}" for n in range(1, 21)]
    names = [f"a_scenario_whose_name_runs_on_and_on_{n}" for n in range(1, 21)]
    cells = [cell(name, p, "pass") for name in names for p in profiles]

    lines = render(cells, profiles).splitlines()

    assert max(map(len, lines)) <= 88
    heads = [line for line in lines if line.startswith("scenario ")]
    assert len(heads) == 3
    assert heads[1].split()[1] == "9"


def test_matrix_marks_cells_that_did_not_run() -> None:
    cells = grid(("login", "p-"), profiles=["ios", "web"])

    lines = render(cells, ["ios", "web"]).splitlines()

    assert lines[0] == "1 scenario x 2 profiles: 1 pass, 0 FAIL, 0 skip, 1 not run"
    assert lines[3] == "login     pass  -"


def test_matrix_names_a_shared_skip_reason_once_with_its_cells() -> None:
    why = "the appium driver cannot restore a backup"
    own = "login needs web_push; ios has native_app"
    cells = [
        cell("restore", "ios", "skip", why),
        cell("restore", "web", "skip", why),
        cell("login", "ios", "skip", own),
    ]

    text = render(cells, ["ios", "web"])

    assert text.split("\n\n")[2] == textwrap.dedent(f"""\
        skipped (3 cells):
          - {why}
            on restore[ios], restore[web]
          - {own}""")


def test_matrix_tells_same_named_scenarios_apart_by_node_id() -> None:
    cells = [
        Cell("scenarios/a.py::login[ios]", "login", "ios", "pass"),
        Cell("scenarios/b.py::login[ios]", "login", "ios", "FAIL"),
    ]

    lines = render(cells, ["ios"]).splitlines()

    assert lines[3:5] == [
        "scenarios/a.py::login  pass",
        "scenarios/b.py::login  FAIL",
    ]


# -- the plugin -----------------------------------------------------------------------

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


def test_matrix_lists_every_profile_column(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("-k", "browses")

    lines, count = matrix(result), len(ALL_PROFILES)
    assert lines[1] == f"1 scenario x {count} profiles: {count} pass, 0 FAIL, 0 skip"
    assert lines[4] == "browses   " + "  ".join(["pass"] * count)
    legend = " ".join(lines[6:])
    assert all(f"{n} {name}" in legend for n, name in enumerate(ALL_PROFILES, 1))
    assert max(map(len, lines)) <= 88


def test_missing_capability_is_skipped_with_reason(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(TWO, "-k", "installs", "-rs")

    result.assert_outcomes(passed=1, skipped=1)
    reason = "installs needs native_app; desktop-chrome has web_push"
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
    assert matrix(by_profile)[3:5] == [
        "scenario  ios-17-iphone  desktop-chrome",
        "browses   -              pass",
    ]
    by_platform.assert_outcomes(skipped=1, deselected=5)


def test_x_stops_at_the_first_failing_cell(project: pytest.Pytester) -> None:
    write(project, "scenarios/sample.py", FAILS)

    result = project.runpytest_inprocess(TWO, "-x")

    result.assert_outcomes(failed=1)
    assert "fails     FAIL           -" in matrix(result)


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


def test_failed_expectation_adds_the_other_shoppers_timelines(
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
            "timeline of buyer *",
            "timeline of gifter *",
        ]
    )


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
