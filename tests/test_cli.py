"""The harness command: output and exit status, locked as snapshots."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness.cli import main
from harness.drivers.appium_server import free_port
from harness.serve import Server, project_options

IOS = """\
name: ios-17-iphone
title: iPhone 15 Pro, iOS 17.5
platform: ios
os_version: "17.5"
model: iPhone16,1
manufacturer: Apple
kind: phone
push: {service: apns, environment: production}
permission:
  model: ios_authorization
  initial: not_determined
  provisional: true
  prompt: in_app
token: {rotates_on: [reinstall, restore], invalidation_lag: 2w}
capabilities: [native_app, runtime_permission, provisional_auth, receives_push]
"""
CHROME = """\
name: desktop-chrome
title: Chrome on a Debian 12 desktop
platform: web
os_version: "12"
model: x86_64 desktop
manufacturer: generic
kind: desktop
push: {service: webpush, endpoint_origin: "https://fcm.googleapis.com"}
permission: {model: web_notification, initial: not_determined, prompt: in_app}
token: {rotates_on: [clear_data], invalidation_lag: 0s}
capabilities: [web_push, receives_push]
"""
APP = "name: reference\ntitle: Reference shop\nbundle_id: com.example.shop\n"
CATALOG = "products:\n  socks: {sku: SOCK-1, name: Socks, price: 9.5}\n"
SCENARIOS = """\
from harness import scenario


@scenario
def browses(world):
    world.shopper()


@scenario(needs=["native_app"])
def fails_on_phones(world):
    assert False, "phones fail here"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a small valid project, made the working directory."""
    files = {
        "device-profiles/ios-17-iphone.yaml": IOS,
        "device-profiles/desktop-chrome.yaml": CHROME,
        "fixtures/apps/reference.yaml": APP,
        "fixtures/catalog.yaml": CATALOG,
        "scenarios/shop.py": SCENARIOS,
    }
    for name, text in files.items():
        write(tmp_path / name, text)
    (tmp_path / "fixtures" / "campaigns").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def harness(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command in this process; return its status, stdout and stderr."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return f"exit {status}\n--- stdout\n{out}--- stderr\n{err}"


def snapshot(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_profiles_lists_name_platform_os_push_and_capabilities(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "profiles") == snapshot("""
        exit 0
        --- stdout
        name            platform  os    push     capabilities
        desktop-chrome  web       12    webpush  web_push, receives_push
        ios-17-iphone   ios       17.5  apns     native_app, runtime_permission,
                                                 provisional_auth, receives_push
        --- stderr
        """)


def test_profiles_with_a_broken_profile_exits_2_naming_file_and_key(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project / "device-profiles/desktop-chrome.yaml", CHROME.replace("0s", "soon"))

    assert harness(capsys, "profiles") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: 1 problem in the project's files; fix them and try again:
        device-profiles/desktop-chrome.yaml: token.invalidation_lag: 'soon' is not a duration; write a whole number and one unit of s, m, h, d or w, like 90m or 2d.
        """)  # noqa: E501


def test_validate_passes_a_clean_project(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "validate") == snapshot("""
        exit 0
        --- stdout
        ok: 2 device profiles, 1 app profile, 0 campaigns, 1 catalog product, 2 scenarios
        --- stderr
        """)  # noqa: E501


def test_validate_lists_every_problem_of_every_file_and_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project / "device-profiles/ios-17-iphone.yaml", IOS.replace("apns", "fcm"))
    write(
        project / "fixtures/apps/reference.yaml",
        APP.replace("bundle_id: com.example.shop\n", ""),
    )
    write(project / "fixtures/campaigns/welcome.yaml", "name: welcome\nsteps: []\n")
    write(project / "fixtures/catalog.yaml", "products: {socks: {sku: S}}\n")
    write(project / "scenarios/typo.py", SCENARIOS.replace("native_app", "native"))

    assert harness(capsys, "validate") == snapshot("""
        exit 2
        --- stdout
        device-profiles/ios-17-iphone.yaml: push.service: ios devices receive push through apns, not fcm; set service to apns.
        fixtures/apps/reference.yaml: bundle_id: is required; add it.
        fixtures/campaigns/welcome.yaml: trigger: is required; add it.
        fixtures/catalog.yaml: products.socks.name: is required; add it.
        fixtures/catalog.yaml: products.socks.price: is required; add it.
        scenarios/typo.py: fails_on_phones.needs: 'native' is not a capability; use one of native_app, web_push, home_screen_install, provisional_auth, runtime_permission, force_stop, doze, notification_channels, delays_push, receives_push.

        6 problems in 5 files; fix them and run harness validate again.
        --- stderr
        """)  # noqa: E501


def test_validate_lists_each_appium_key_problem_on_its_own_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    section = (
        'appium:\n  platformName: iOS\n  "appium:automationName": UiAutomator2\n'
        '  "appium:platformVersion": "17.4"\n  ":weird": 1\n'
        '  "appium:options": {bundleId: com.x}\n'
    )
    write(project / "device-profiles/ios-17-iphone.yaml", IOS + section)

    assert harness(capsys, "validate") == snapshot("""
        exit 2
        --- stdout
        device-profiles/ios-17-iphone.yaml: appium.:weird: ':weird' is not a capability name; an extension capability is vendor:name with both parts, like appium:udid or df:udids
        device-profiles/ios-17-iphone.yaml: appium.appium:options.bundleId: 'appium:bundleId' comes from the app profile's bundle_id at each session; remove it.
        device-profiles/ios-17-iphone.yaml: appium.appium:automationName: ios phones are driven by XCUITest, not 'UiAutomator2'; set appium:automationName to XCUITest.
        device-profiles/ios-17-iphone.yaml: appium.appium:platformVersion: '17.4' differs from os_version '17.5'; a farm would hand out another OS than the profile models, so make them equal.

        4 problems in 1 file; fix them and run harness validate again.
        --- stderr
        """)  # noqa: E501


def test_run_with_an_unknown_profile_exits_2_naming_the_known_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "run", "--profiles", "ios-17-iphone,nope") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: --profiles: unknown device profile 'nope'; known device profiles: desktop-chrome, ios-17-iphone.
        """)  # noqa: E501


def test_run_with_an_unknown_app_exits_2_naming_the_known_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "run", "--app", "shop") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: --app: unknown app profile 'shop'; known app profiles: reference.
        """)


def test_outside_a_project_exits_2_saying_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)

    output = harness(capsys, "profiles").replace(str(tmp_path), "TMP")

    assert output == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: no project here: neither TMP nor any folder above it holds device-profiles/; run harness inside a project or pass --root DIR.
        """)  # noqa: E501


def test_unknown_arguments_outside_run_exit_2_with_the_commands_usage(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "validate", "-k", "x") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        usage: harness validate [-h]
        harness validate: error: unrecognized arguments: -k x
        """)


def test_a_typo_in_a_subcommands_option_suggests_the_option(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "serve", "--prot", "0") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        usage: harness serve [-h] [--port N] [--http-port N | --no-http]
                             [--listen ADDRESS] [--state DIR] [--fresh]
                             [--workspace NAME] [--seed N] [--cert-name NAME]
                             [--ios-topic BUNDLE] [--print-env] [--env-file PATH]
        harness serve: error: unrecognized arguments: --prot 0; did you mean --port?
        """)


# -- harness run's Appium options, refused before pytest starts ------------------------


@pytest.fixture
def no_appium_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as if no Appium URL were set in the environment."""
    monkeypatch.delenv("HARNESS_APPIUM_URL", raising=False)


def test_serve_port_without_appium_exits_2_naming_both_flags(
    project: Path, capsys: pytest.CaptureFixture[str], no_appium_env: None
) -> None:
    assert harness(capsys, "run", "--appium-serve-port", "8443") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: --appium-serve-port serves each scenario's emulator to phones reached through Appium, and the run has no Appium: give --appium URL (or local), or set $HARNESS_APPIUM_URL, or drop --appium-serve-port.
        """)  # noqa: E501


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("-5", "-5 is not a port; give 1 to 65535, or 0 for a free one"),
        ("70000", "70000 is not a port; give 1 to 65535, or 0 for a free one"),
        ("http", "'http' is not a port number"),
    ],
)
def test_serve_port_out_of_range_exits_2_naming_the_flag(
    project: Path, capsys: pytest.CaptureFixture[str], given: str, says: str
) -> None:
    output = harness(capsys, "run", "--appium", "local", "--appium-serve-port", given)

    assert output.startswith("exit 2\n--- stdout\n--- stderr\nusage: harness run ")
    assert output.endswith(
        f"harness run: error: argument --appium-serve-port: {says}\n"
    )


def test_appium_url_with_an_impossible_port_exits_2_before_pytest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = harness(capsys, "run", "--appium", "http://127.0.0.1:99999")

    assert output.startswith(
        "exit 2\n--- stdout\n--- stderr\nharness: --appium "
        "'http://127.0.0.1:99999' is not an Appium URL ('99999' is not a port"
    )


# -- harness inspect and the state flags of harness serve ------------------------------


def served_run(project: Path, *calls: dict[str, object]) -> None:
    """Serve ``project`` keeping its run in ``run/``, send ``calls``, then stop."""
    options = project_options(project, port=0, state=Path("run"), persist=True)
    with Server(options) as server:
        assert server.emulator is not None and server.tls is not None
        key = server.emulator.workspaces["default"].keys.write_key
        trust = ssl.create_default_context(cafile=str(server.tls.ca))
        with httpx.Client(base_url=server.https_url, verify=trust) as https:
            body = {"batch": list(calls)}
            assert https.post("/v1/batch", auth=(key, ""), json=body).is_success


def untimed(text: str) -> str:
    text = re.sub(r'"time": "[^"]+"', '"time": "T"', text)
    return re.sub(r"clock at \S+", "clock at T", text)


def test_inspect_prints_a_persons_timeline_after_the_server_stopped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served_run(
        project,
        {"type": "track", "anonymousId": "a-1", "event": "viewed"},
        {"type": "identify", "userId": "u-1", "anonymousId": "a-1"},
    )

    assert untimed(harness(capsys, "inspect", "--state", "run", "person", "u-1")) == (
        snapshot("""
        exit 0
        --- stdout
        {"time": "T", "layer": "workspace", "kind": "event", "text": "track 'viewed' as anonymous a-1"}
        {"time": "T", "layer": "workspace", "kind": "person", "text": "profile created for u-1 (cio_0a9dc839c41d3bda37d1)"}
        {"time": "T", "layer": "workspace", "kind": "identify", "text": "identify u-1"}
        {"time": "T", "layer": "workspace", "kind": "merge", "text": "anonymous a-1 merged into u-1 by identify: 1 event (viewed)"}
        --- stderr
        harness inspect: run/state.sqlite: 1 request replayed; clock at T
        """)  # noqa: E501
    )


def test_inspect_lists_people_as_the_control_api_does(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served_run(project, {"type": "identify", "userId": "u-1"})

    status = main(["inspect", "--state", "run"])

    out = capsys.readouterr().out
    assert status == 0
    assert [p["id"] for p in json.loads(out)["people"]] == ["u-1"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["person"], "inspect person needs the person's id, email, cio_ id or"),
        (["people", "u-1"], "the other reads take none"),
        (["person", "nobody"], "holds no person or anonymous id 'nobody'"),
        (["--workspace", "nope", "people"], "unknown workspace 'nope'"),
    ],
)
def test_inspect_with_a_bad_read_exits_2_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    served_run(project, {"type": "identify", "userId": "u-1"})

    status = main(["inspect", "--state", "run", *argv])

    assert status == 2
    assert says in capsys.readouterr().err


def test_inspect_without_a_run_exits_2_saying_how_to_keep_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "inspect", "--state", "nothing") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: no recorded run in nothing: nothing/state.sqlite does not exist; serve with harness serve --state nothing first.
        """)  # noqa: E501


def test_serve_with_another_seed_than_the_run_exits_2_naming_the_fix(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served_run(project)

    output = harness(capsys, "serve", "--port", "0", "--state", "run", "--seed", "7")

    assert output == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: run/state.sqlite holds a run recorded with other options: --seed 0 then, 7 now. A replay with these would not rebuild the same people, ids and deliveries. Start with the recorded options to continue that run, or add --fresh to discard it and start empty.
        """)  # noqa: E501


def test_serve_fresh_without_state_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert harness(capsys, "serve", "--port", "0", "--fresh") == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: --fresh discards a recorded run, and without --state DIR nothing is recorded; give --state DIR too, or drop --fresh.
        """)  # noqa: E501


# -- harness run, in a fresh process so pytest starts clean ----------------------------


def run(
    project: Path, *argv: str, env: dict[str, str] | None = None, module: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``harness`` (or ``python`` with ``module``) in ``project``, freshly."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST_") and k != "HARNESS_APPIUM_URL"
    } | (env or {})
    code = "import sys; from harness.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, *([] if module else ["-c", code]), *argv],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def section(stdout: str, title: str) -> str:
    """Return the section of a run's output whose title line holds ``title``."""
    lines = stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if title in line)
    rest = lines[first + 1 :]
    # The next section, or pytest's note of the junit file, which holds a tmp path.
    ends = (
        i
        for i, line in enumerate(rest)
        if line.startswith("=") or "generated xml file" in line
    )
    return "\n".join(lines[first : first + 1 + next(ends, len(rest))]) + "\n"


def matrix(stdout: str) -> str:
    """Return the matrix section of a run's output, title line first."""
    return section(stdout, "device matrix")


def test_run_exits_with_pytests_status_and_prints_the_matrix(project: Path) -> None:
    result = run(project, "run")

    assert f"exit {result.returncode}\n{matrix(result.stdout)}" == snapshot("""
        exit 1
        =============== scenario x device matrix (app reference, seed 0) ===============
        2 scenarios x 2 profiles: 2 pass, 1 FAIL, 1 skip

        profile         1      2
        desktop-chrome  pass   skip
        ios-17-iphone   pass   FAIL

        columns: 1 browses  2 fails_on_phones

        skipped (1 cell):
          - needs native_app: web profiles run no native app
            on fails_on_phones[desktop-chrome]

        failed (1 cell):
          scenarios/shop.py::fails_on_phones[ios-17-iphone]
        """)
    assert (project / "reports" / "junit.xml").is_file()


def test_run_passes_pytest_arguments_through(project: Path) -> None:
    result = run(project, "run", "--junit", "out.xml", "-k", "browses", "-x")

    assert result.returncode == 0, result.stdout
    assert "2 passed, 2 deselected" in result.stdout
    assert (project / "out.xml").is_file()


def test_run_with_timelines_always_prints_passing_cells_timelines(
    project: Path,
) -> None:
    result = run(project, "run", "--timelines", "always", "-k", "browses")

    output = f"exit {result.returncode}\n{section(result.stdout, ' PASSES ')}"
    # The shopper's name and id come from Faker; the rest is locked.
    assert re.sub(r"\(user id [^)]*\)", "(user id ...)", output) == snapshot("""
        exit 0
        ==================================== PASSES ====================================
        ___________________________ browses[desktop-chrome] ____________________________
        ---------------------------- Captured timeline call ----------------------------
        timeline of shopper (user id ...) on desktop-chrome with app reference:
          no profile exists for them: the workspace never learned who they are
        ____________________________ browses[ios-17-iphone] ____________________________
        ---------------------------- Captured timeline call ----------------------------
        timeline of shopper (user id ...) on ios-17-iphone with app reference:
          no profile exists for them: the workspace never learned who they are
        """)


def test_run_with_nothing_matched_says_so_and_exits_5(project: Path) -> None:
    result = run(project, "run", "--profiles", "desktop-chrome", "--", "-k", "nope")

    assert f"exit {result.returncode}\n{result.stderr}" == snapshot("""
        exit 5
        harness: no scenarios matched: pytest collected nothing from scenarios on 1 device profile with -k nope; check -k, and that the scenario files hold @scenario functions.
        """)  # noqa: E501


def test_run_with_a_typo_names_the_option_it_meant_and_exits_2(project: Path) -> None:
    result = run(project, "run", "--apium", "http://127.0.0.1:4723")

    assert f"exit {result.returncode}\n{result.stdout}{result.stderr}" == snapshot("""
        exit 2
        harness run: unknown option --apium; did you mean --appium?
        """)


def test_run_with_a_pytest_option_typo_suggests_pytests_option(project: Path) -> None:
    result = run(project, "run", "--maxfial", "1", "--nope-at-all")

    assert f"exit {result.returncode}\n{result.stdout}{result.stderr}" == snapshot("""
        exit 2
        harness run: unknown option --maxfial; did you mean --maxfail?
        harness run: unknown option --nope-at-all; see harness run --help for its own options and pytest --help for the ones it passes on
        """)  # noqa: E501


def test_run_with_a_value_pytest_cannot_read_exits_2(project: Path) -> None:
    result = run(project, "run", "-n", "many")

    assert f"exit {result.returncode}\n{result.stdout}{result.stderr}" == snapshot("""
        exit 2
        harness run: pytest cannot take these arguments: argument -n/--numprocesses: invalid parse_numprocesses value: 'many'
        """)  # noqa: E501


def test_a_usage_error_pytest_finds_later_exits_2_too(project: Path) -> None:
    result = run(project, "run", "-k", "(")

    assert result.returncode == 2
    assert result.stderr.startswith("ERROR: Wrong expression passed to '-k': (")


def test_run_passes_xdist_last_failed_and_plugin_options_through(
    project: Path,
) -> None:
    argv = ("-x", "--lf", "-n", "2", "-p", "no:warnings", "-k", "browses")

    result = run(project, "run", *argv)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "created: 2/2 workers" in result.stdout
    assert "== 2 passed in " in result.stdout  # the two browses cells only


def test_fixed_serve_port_with_several_workers_is_refused(project: Path) -> None:
    result = run(
        project, "run", "--appium", "http://127.0.0.1:9",
        "--appium-serve-port", "8443", "-n", "2",
    )  # fmt: skip

    assert f"exit {result.returncode}\n{result.stdout}{result.stderr}" == snapshot("""
        exit 2
        harness: --appium-serve-port 8443 with 2 xdist workers: every worker would bind the same port; give --appium-serve-port 0 with -n, or run one worker.
        """)  # noqa: E501


@pytest.mark.parametrize(
    ("device", "hint"),
    [
        ("harnessfake", ", or run with --appium local (the project's own Appium, "
         "which has the harnessfake driver)"),
        ("real", ""),
    ],
)  # fmt: skip
def test_unreachable_appium_stops_the_run_with_one_message(
    project: Path, device: str, hint: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = run(project, "run", "--appium", url, "--appium-device", device)

    assert f"exit {result.returncode}\n{result.stdout}{result.stderr}" == (
        f"exit 2\nharness: --appium {url}: no Appium answers at {url}/status "
        "(ConnectError: [Errno 111] Connection refused); start Appium there or "
        f"correct the URL{hint}.\n"
    )


def test_an_unreachable_appiums_password_is_not_printed(project: Path) -> None:
    url = f"http://farm:s3cret@127.0.0.1:{free_port()}/wd/hub"

    result = run(project, "run", "--appium", url)

    assert result.returncode == 2
    assert "s3cret" not in result.stderr
    assert "--appium http://farm:***@127.0.0.1:" in result.stderr


def test_an_ipv6_appium_url_is_taken(project: Path) -> None:
    url = f"http://[::1]:{free_port()}"

    result = run(project, "run", "--appium", url)

    assert result.returncode == 2
    assert result.stderr.startswith(
        f"harness: --appium {url}: no Appium answers at {url}/status"
    )


def test_appium_not_installed_names_the_flag_of_the_command_in_use(
    project: Path, tmp_path: Path
) -> None:
    env = {"HARNESS_NODE": str(tmp_path / "no-node")}

    fake = ("--appium-device", "harnessfake")
    harness_run = run(project, "run", "--appium", "local", *fake, env=env)
    pytest_run = run(
        project, "-m", "pytest", "scenarios", "--harness-appium", "local",
        "--harness-appium-device", "harnessfake", "-p", "no:cacheprovider",
        env=env, module=True,
    )  # fmt: skip

    assert harness_run.returncode == 2
    assert harness_run.stderr == (
        f"harness: --appium local: Appium is not installed in {tmp_path}/no-node: "
        "it holds no package-lock.json: point HARNESS_NODE at the project's node/ "
        "folder, or unset it; HARNESS_NODE names a folder where `npm ci` ran.\n"
    )
    assert pytest_run.returncode == 4  # pytest's own status for a usage error
    assert "ERROR: --harness-appium local: Appium is not installed" in (
        pytest_run.stderr
    )


def test_env_file_appears_whole_once_serving_and_names_the_pid(tmp_path: Path) -> None:
    env = tmp_path / "env.sh"
    env.write_text("export HARNESS_PORT=1\n")  # a stale file from an earlier run
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("harness")),
            "serve",
            "--port",
            "0",
            "--no-http",
            "--state",
            str(tmp_path / "st"),
            "--env-file",
            str(env),
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while "HARNESS_PID" not in (env.read_text() if env.exists() else ""):
            assert process.poll() is None, "harness serve exited early"
            assert time.monotonic() < deadline, "no env file within 20 s"
            time.sleep(0.05)
        text = env.read_text()
        assert f"export HARNESS_PID={process.pid}" in text
        assert "export HARNESS_PORT=1\n" not in text
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("file", "state.txt or a folder above it is a file; give --state a folder"),
        ("file/run", "or a folder above it is a file; give --state a folder path"),
        ("/proc/harness-x", "give --state a folder whose parent exists"),
    ],
)
def test_serve_with_an_unusable_state_path_exits_2_naming_state(
    project: Path, capsys: pytest.CaptureFixture[str], where: str, says: str
) -> None:
    (project / "state.txt").write_text("a file")
    state = where.replace("file", "state.txt")

    output = harness(capsys, "serve", "--port", "0", "--state", state)

    assert output.startswith("exit 2\n--- stdout\n--- stderr\nharness: --state ")
    assert says in output
    assert output.count("\n") == 4  # one line, no traceback


def test_serve_in_an_unwritable_folder_exits_2_naming_the_default_state(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(state: Path, names: tuple[str, ...] = ()) -> None:
        raise PermissionError(13, "Permission denied", str(state))

    monkeypatch.setattr("harness.serve.server.prepare", refuse)

    output = harness(capsys, "serve", "--port", "0")

    assert output == snapshot("""
        exit 2
        --- stdout
        --- stderr
        harness: the default state folder .harness (in the current directory) cannot be used: .harness: Permission denied; give --state a folder you may write to, or fix its permissions.
        """)  # noqa: E501


@pytest.mark.parametrize("name", ["", "bad name!"])
def test_serve_with_a_bad_cert_name_exits_2_naming_cert_name(
    project: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    output = harness(capsys, "serve", "--port", "0", "--cert-name", name)

    head = f"exit 2\n--- stdout\n--- stderr\nharness: --cert-name {name!r}"
    assert output.startswith(head)
    assert "give a name such as shop.test" in output
    assert output.count("\n") == 4
