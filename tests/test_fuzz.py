"""The fuzz machine: the reference app holds every invariant; faults are found.

Runs are seeded and bounded (few journeys, short ones); found scenarios go to
a temporary folder and are replayed through ``harness run``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis.stateful import rule

import harness.fuzz
from harness.cli import main
from harness.fuzz import Journeys, run_fuzz
from harness.fuzz.replay import Script, write_scenario
from harness.fuzz.search import MachineCrashed
from tests.conftest import ROOT

PHONES = ("ios-17-iphone", "android-14-pixel")


def replay(folder: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``harness run --scenarios folder`` in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    code = "import sys; from harness.cli import main; sys.exit(main())"
    return subprocess.run(
        [
            *(sys.executable, "-c", code, "run", "--scenarios", str(folder)),
            *("--junit", str(folder / "junit.xml"), *argv),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_reference_app_holds_every_invariant(tmp_path: Path) -> None:
    result = run_fuzz(
        ROOT, 25, 0, PHONES, "reference", (), steps=20, out=tmp_path, database=None
    )

    assert not result.found, result.failure
    assert result.examples >= 25
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("fault", "rules"),
    [
        # The lost reset also loses the queued events with the Device Deleted
        # (I8). Its anonymous events also miss the stitch (I4).
        ("logout_leaves_device_on_previous_person", ("I2", "I3", "I4", "I8")),
        # Device events flushed under the next identity land on them (I2).
        ("identity_read_at_flush", ("I2", "I3")),
        ("plain_push_metrics_missing", ("I7",)),
    ],
)
def test_a_fault_is_found_and_its_scenario_fails_the_same_way(
    fault: str, rules: tuple[str, ...], tmp_path: Path
) -> None:
    result = run_fuzz(
        ROOT, 150, 0, PHONES, "reference", (fault,),
        steps=25, out=tmp_path, database=None, shrink=False,
    )  # fmt: skip

    assert result.found and result.path is not None
    assert result.rule is not None and result.rule.startswith(rules)
    rule = result.rule.split(":")[0]
    assert "timeline of " in (result.failure or "")
    source = result.path.read_text()
    assert f"--fault {fault}" in source and "@scenario" in source
    profiles = ",".join(PHONES)
    failed = replay(tmp_path, "--profiles", profiles, "--fault", fault)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert rule in failed.stdout
    passed = replay(tmp_path, "--profiles", profiles)
    assert passed.returncode == 0, passed.stdout + passed.stderr


@pytest.mark.parametrize(
    ("app", "fault", "rule"),
    [
        ("reference", "upgrade_duplicates_device", "I"),
        ("prompt-on-first-launch", None, "I9 prompt timing"),
    ],
)
def test_an_upgrade_fault_and_a_mistake_app_are_found_and_replayed(
    app: str, fault: str | None, rule: str, tmp_path: Path
) -> None:
    faults = (fault,) if fault else ()
    result = run_fuzz(
        ROOT, 40, 0, PHONES, app, faults,
        steps=20, out=tmp_path, database=None, shrink=False,
    )  # fmt: skip

    assert result.found and result.path is not None, "not found"
    assert result.rule is not None and result.rule.startswith(rule)
    found = result.rule.split(":")[0]
    argv = ["--profiles", ",".join(PHONES), "--app", app]
    failed = replay(tmp_path, *argv, *(["--fault", fault] if fault else []))
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert found in failed.stdout


def test_the_reference_app_passes_the_new_rules_and_checks(tmp_path: Path) -> None:
    result = run_fuzz(
        ROOT, 30, 0, PHONES, "reference", (), steps=25, out=tmp_path, database=None
    )

    assert not result.found, result.failure


def test_a_found_scenario_imports_only_what_it_uses(tmp_path: Path) -> None:
    script = Script(("alice",), ["alice_ios = phone(world, alice, 'ios-17-iphone')"])
    script.check = "registered(world, alice_ios, alice)"

    path = write_scenario(
        tmp_path, script, failure="I1 registration: x", profiles=PHONES,
        app="reference", faults=(), seed=0, shown="found",
    )  # fmt: skip

    source = path.read_text()
    assert "from harness.fuzz import phone, registered\n" in source
    assert "suppress" not in source
    assert "# Replay it:" in source and "--app reference" in source


def test_public_names_are_sorted_and_resolve() -> None:
    names = harness.fuzz.__all__

    assert names == sorted(names)
    assert [n for n in names if not hasattr(harness.fuzz, n)] == []


class _Crashing(Journeys):
    """A machine whose extra rule has a bug: it must not be called a finding."""

    @rule()
    def broken(self) -> None:
        self.act("world.nonexistent()", lambda: self.world.nonexistent())


def test_a_crash_in_a_rule_is_reported_not_written_as_a_finding(
    tmp_path: Path,
) -> None:
    with pytest.raises(MachineCrashed, match="bug in a rule, a check or harness"):
        run_fuzz(
            ROOT, 5, 0, PHONES, "reference", (),
            steps=5, out=tmp_path, database=None, machine=_Crashing, shrink=False,
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def never_twice(world: object) -> None:
    """A user's own check, written with a plain assert."""
    raise AssertionError("a user's check failed")


class _WithOwnCheck(Journeys):
    def check_at_rest(self) -> None:
        self.check("never_twice(world)", never_twice)


def test_a_users_own_check_ends_the_scenario_and_is_imported_there(
    tmp_path: Path,
) -> None:
    result = run_fuzz(
        ROOT, 3, 0, PHONES, "reference", (),
        steps=3, out=tmp_path, database=None, machine=_WithOwnCheck, shrink=False,
    )  # fmt: skip

    assert result.found and result.path is not None
    source = result.path.read_text()
    assert f"from {never_twice.__module__} import never_twice" in source
    assert source.rstrip().endswith("never_twice(world)")
    assert f"-k {result.path.stem}" in (result.command or "")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--profiles", ","], "--profiles names no profile"),
        (["--fault", ","], "--fault names no fault"),
        (
            ["--fault", "token_from_description", "--profiles", "android-14-pixel"],
            "exists on ios only and --profiles chose android phones",
        ),
        (["--examples", "0"], "0 is below 1; pass 1 or more"),
    ],
)
def test_bad_fuzz_input_is_refused_with_what_to_pass(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--root", str(ROOT), "fuzz", *argv])

    assert status == 2
    assert said in capsys.readouterr().err


def test_an_unwritable_out_is_refused_before_the_search(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    searched: list[object] = []
    monkeypatch.setattr("harness.fuzz.command.run_fuzz", searched.append)

    status = main(["--root", str(ROOT), "fuzz", "--out", "/proc/nope"])

    assert (status, searched) == (2, [])
    assert capsys.readouterr().err == (
        "harness fuzz: --out /proc/nope cannot hold found scenarios (/proc/nope: "
        "No such file or directory); pass --out a folder you can write to\n"
    )


def test_a_writable_out_made_for_the_check_is_removed_again(tmp_path: Path) -> None:
    out = tmp_path / "new" / "found"

    status = main(
        ["--root", str(ROOT), "fuzz", "--examples", "2", "--steps", "3",
         "--out", str(out), "--database", str(tmp_path / "db")]
    )  # fmt: skip

    assert status == 0
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("argv", "given"),
    [
        (["--app", "reference"], "--app"),
        (["--fault", "identity_read_at_flush"], "--fault"),
    ],
)
def test_mutations_refuse_an_app_or_a_fault(
    argv: list[str], given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--root", str(ROOT), "fuzz", "--mutations", *argv])

    assert status == 2
    assert capsys.readouterr().err == (
        "harness fuzz: --mutations plays every fault and mistake app on the "
        f"reference app, so {given} has no place beside it; drop --app/--fault\n"
    )


def test_the_summary_says_hypothesis_played_more_than_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["--root", str(ROOT), "fuzz", "--examples", "20", "--steps", "5",
         "--out", str(tmp_path), "--database", str(tmp_path / "db")]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert status == 0
    assert re.match(
        r"harness fuzz: 2\d journeys \(20 asked; Hypothesis adds a few\), every "
        r"invariant held",
        out,
    ), out


def test_a_typo_in_a_fuzz_option_prints_fuzzs_usage_and_a_guess(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--root", str(ROOT), "fuzz", "--exampels", "5"])

    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("usage: harness fuzz [-h] [--examples N]")
    assert err.endswith(
        "harness fuzz: error: unrecognized arguments: --exampels 5; did you mean "
        "--examples?\n"
    )
