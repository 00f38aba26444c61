"""The ``harness`` command: run, profiles, validate, serve and inspect.

Bad input (an unknown name, a broken file, no project, an option no command
takes, an Appium that does not answer) ends in one message on stderr and exit
status 2; ``harness run`` otherwise exits with pytest's status, except that a
usage error pytest finds exits 2 as well.
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, get_args

import pytest

from .apps import load_apps
from .bench.command import add_bench_parser
from .campaigns import Campaign
from .campaigns.broadcast import load_broadcasts
from .checklist import SUITES
from .drivers.actions import check_action_maps
from .drivers.config import DEVICE_KINDS
from .drivers.config import ENV as APPIUM_ENV
from .emulator import DEFAULT_IOS_TOPIC
from .errors import ConfigError, Problem, UnknownName
from .faults import FAULTS
from .files import load_directory, shown
from .fuzz.command import add_fuzz_parser
from .people import load_catalog
from .profiles import Capability, DeviceProfile, load_profiles
from .runner import (
    DEFAULT_APP,
    explain,
    is_scenario_file,
    parse_seed,
    plural,
    select,
    split_names,
)
from .runner.preflight import CLI as APPIUM_FLAGS
from .runner.preflight import RunGuard, RunRefused, check_options, port
from .scripts import Scenario, collect
from .serve import ServeError, Server, project_options
from .serve.banner import banner, exports
from .serve.readback import read_back
from .tracking import load_plan
from .transactional import load_transactional

__all__ = ["main"]

logger = logging.getLogger(__name__)

WIDTH = 88
BAD_INPUT = 2
_FLAGS = {
    "device profile": "--profiles",
    "app profile": "--app",
    "field fault": "--fault",
}
_ALREADY_IMPORTED = "Module already imported so cannot be rewritten"
_PASSTHROUGH = """\
Other options, such as -k EXPR, -x or -n 2, go to pytest, and so does everything
after --; one pytest does not take either is refused, naming the nearest. Put -v
before run for the harness's own log, after it for pytest's.
"""


_SERVE_EPILOG = """\
Point clients at the printed URLs and trust the CA file: SSL_CERT_FILE or
REQUESTS_CA_BUNDLE for Python, NODE_EXTRA_CA_CERTS for Node, a user CA on an
Android emulator (network_security_config, then adb push and Settings), and
`xcrun simctl keychain booted add-root-cert ca.pem` on the iOS simulator.
--print-env writes these as shell exports. See README "Serving".

State lives in memory: a restart starts empty, with the same keys (from --seed)
and the same CA (in .harness/). --state DIR keeps every request that changes
state in DIR/state.sqlite (SQLite, WAL) and replays it on the next start with
--state DIR, so the run survives a restart and `harness inspect --state DIR`
reads it afterwards; the CA then lives in DIR too.
"""

_INSPECT_EPILOG = """\
Prints what the control API answers: JSON for people, devices and deliveries,
JSON lines (time, layer, kind, text) for a person's timeline, found by id,
email, cio_ id or an anonymous id. Run it from the project folder that served
the run, so its campaigns replay as they ran. Works while the server runs.
"""


class _BadInput(Exception):
    """Raised when the command line or the project's files cannot be used.

    ``command`` starts the message: ``harness``, or the subcommand that
    refused.
    """

    def __init__(self, message: str, command: str = "harness") -> None:
        super().__init__(message)
        self.command = command


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``harness`` command and return its exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    cut = words.index("--") if "--" in words else len(words)
    head, tail = words[:cut], words[cut + 1 :]
    parser = _parser()
    try:
        args, extra = parser.parse_known_args(head)
        if (extra or tail) and args.handler is not _run:
            _refuse_extra(_subparser(parser, args.command), extra + tail)
    except SystemExit as stop:  # --help, or argparse's own usage error
        return stop.code if isinstance(stop.code, int) else BAD_INPUT
    _configure_logging(args.verbose)
    command: Callable[[argparse.Namespace, Path, list[str]], int] = args.handler
    try:
        root = _root(args.root, required=not args.project_optional)
        return command(args, root, [*extra, *tail])
    except _BadInput as error:
        print(f"{error.command}: {error}", file=sys.stderr)
        return BAD_INPUT


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """Return the parser of subcommand ``name``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    return parser


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """Return every option string ``parser`` takes, such as ``--seed``."""
    return [name for action in parser._actions for name in action.option_strings]


def _refuse_extra(parser: argparse.ArgumentParser, extra: list[str]) -> None:
    """Exit through ``parser``'s usage error, guessing what each typo meant."""
    known, guesses = _options(parser), {}
    for word in extra:
        flag = word.split("=", 1)[0]
        close = difflib.get_close_matches(flag, known, n=1) if flag[:1] == "-" else []
        if close:
            guesses[flag] = close[0]
    if len(guesses) == 1:
        guess = f"; did you mean {next(iter(guesses.values()))}?"
    else:
        guess = "".join(f"; did you mean {b} for {a}?" for a, b in guesses.items())
    parser.error(f"unrecognized arguments: {' '.join(extra)}{guess}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        allow_abbrev=False,
        description="Play scenarios on device profiles against the emulator.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log the harness's lifecycle (-v) or every request (-vv)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="project folder (default: nearest one up from here with device-profiles/)",
    )
    parser.set_defaults(project_optional=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run",
        allow_abbrev=False,
        epilog=_PASSTHROUGH,
        help="run every scenario on every device profile and print the matrix",
        description="Run every scenario on every device profile and print the "
        "scenario x device matrix; exits with pytest's status.",
    )
    run.add_argument(
        "--app",
        default=DEFAULT_APP,
        metavar="NAME",
        help="app profile from fixtures/apps/ (default: reference)",
    )
    run.add_argument(
        "--profiles",
        metavar="A,B",
        help="comma-separated device profiles (default: all)",
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--scenarios",
        type=Path,
        metavar="DIR",
        help="folder of scenario files (default: <root>/scenarios)",
    )
    where.add_argument(
        "--suite",
        choices=sorted(SUITES),
        help="a suite built into harness instead of the project's scenarios: "
        "checklist, the push implementation checklist",
    )
    run.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="A,B",
        help="switch field faults on in the app profile (see `harness faults`); "
        "repeat it or separate names with commas",
    )
    run.add_argument(
        "--seed",
        type=parse_seed,
        default=0,
        metavar="N",
        help="seed for ids and generated people (default: 0)",
    )
    run.add_argument(
        "--timelines",
        choices=("failures", "always"),
        default="failures",
        help="print shoppers' timelines for failed cells (default) or for every cell",
    )
    run.add_argument(
        "--junit",
        type=Path,
        metavar="PATH",
        help="JUnit XML report (default: <root>/reports/junit.xml)",
    )
    run.add_argument(
        "--appium",
        metavar="URL",
        help="drive the phones through the Appium server at URL (Appium, its "
        "device-farm plugin, a Selenium Grid 4 hub or a cloud), or `local` to "
        f"start the project's own (default: ${APPIUM_ENV}; unset: emulated "
        "phones in process)",
    )
    run.add_argument(
        "--appium-device",
        choices=DEVICE_KINDS,
        default="real",
        help="with --appium: real devices matching each profile's appium: "
        "capabilities (default), or harnessfake: emulated phones reached "
        "through Appium's harnessfake driver (CI's way, no device needed)",
    )
    run.add_argument(
        "--appium-serve-port",
        type=port,
        metavar="N",
        help="with --appium: serve each scenario's emulator on this HTTPS port, "
        "where a real app's debug build sends (default: a free one; a fixed "
        "one needs a single worker, so not with -n 2)",
    )
    run.set_defaults(handler=_run, run_options=_options(run))
    commands.add_parser(
        "profiles",
        help="list the device profiles after validating them",
        description="List the device profiles after validating them.",
    ).set_defaults(handler=_profiles)
    commands.add_parser(
        "faults",
        help="list the switchable field faults and the reports they reproduce",
        description="List the switchable field faults (--fault NAME, or faults: "
        "in an app profile) and the field reports they reproduce.",
    ).set_defaults(handler=_faults, project_optional=True)
    commands.add_parser(
        "validate",
        help="check device and app profiles, campaigns, catalog, scenarios",
        description="Check every device profile, app profile, campaign, the "
        "catalog and the scenario files; exits 2 on any problem.",
    ).set_defaults(handler=_validate)
    _serve_parser(commands)
    _inspect_parser(commands)
    add_fuzz_parser(commands)
    add_bench_parser(commands)
    return parser


def _serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        allow_abbrev=False,
        epilog=_SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="serve the emulator over HTTPS and HTTP for real apps and clients",
        description="Serve the Track, Pipelines and App APIs and the control API\n"
        "on 127.0.0.1, over HTTPS with a local CA and over plain HTTP, until\n"
        "Ctrl+C or SIGTERM.",
    )
    serve.add_argument(
        "--port",
        type=int,
        default=8443,
        metavar="N",
        help="HTTPS port (default: 8443; 0 for a free one)",
    )
    http = serve.add_mutually_exclusive_group()
    http.add_argument(
        "--http-port",
        type=int,
        default=0,
        metavar="N",
        help="plain HTTP port (default: a free one)",
    )
    http.add_argument("--no-http", action="store_true", help="serve HTTPS only")
    serve.add_argument(
        "--listen",
        metavar="ADDRESS",
        help="listen on ADDRESS instead of 127.0.0.1 (0.0.0.0 for every "
        "address); the control API then wants the printed token",
    )
    serve.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="keep the run in DIR/state.sqlite and replay it on the next start; "
        "the CA lives in DIR too (default: state in memory, CA in .harness)",
    )
    serve.add_argument(
        "--fresh",
        action="store_true",
        help="discard the run kept in --state DIR and start empty (the CA stays)",
    )
    serve.add_argument(
        "--workspace",
        action="append",
        metavar="NAME",
        help="serve a workspace called NAME; repeat for more (default: default)",
    )
    serve.add_argument(
        "--seed",
        type=parse_seed,
        default=0,
        metavar="N",
        help="seed for credentials and ids (default: 0, the same keys every run)",
    )
    serve.add_argument(
        "--cert-name",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name or address for the server certificate "
        "(127.0.0.1, localhost, ::1 and 10.0.2.2 are always in)",
    )
    serve.add_argument(
        "--ios-topic",
        default=DEFAULT_IOS_TOPIC,
        metavar="BUNDLE",
        help=f"APNs topic of campaign pushes (default: {DEFAULT_IOS_TOPIC})",
    )
    serve.add_argument(
        "--print-env",
        action="store_true",
        help="print shell exports (CA, URLs, keys) on stdout, the banner on stderr",
    )
    serve.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="write the same exports to PATH once serving (an old PATH is removed "
        "at start, the new one appears whole), for scripts that start the server "
        "in the background",
    )
    serve.set_defaults(handler=_serve, project_optional=True)


def _inspect_parser(commands: Any) -> None:
    inspect = commands.add_parser(
        "inspect",
        allow_abbrev=False,
        epilog=_INSPECT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="read a run kept by harness serve --state DIR, served or stopped",
        description="Rebuild the run kept in DIR/state.sqlite in memory and print\n"
        "its people, devices, deliveries, or one person's timeline.",
    )
    inspect.add_argument(
        "--state",
        type=Path,
        required=True,
        metavar="DIR",
        help="the folder harness serve --state kept the run in",
    )
    inspect.add_argument(
        "--workspace",
        metavar="NAME",
        help="the workspace to read (default: the run's first)",
    )
    inspect.add_argument(
        "read",
        metavar="{people,devices,deliveries,person}",
        nargs="?",
        default="people",
        choices=("people", "devices", "deliveries", "person"),
        help="what to print (default: people)",
    )
    inspect.add_argument(
        "identifier",
        nargs="?",
        help="with person: the id, email, cio_ id or anonymous id to follow",
    )
    inspect.set_defaults(handler=_inspect, project_optional=True)


def _configure_logging(verbosity: int) -> None:
    if verbosity:
        level = logging.DEBUG if verbosity > 1 else logging.INFO
        logging.basicConfig(
            level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
        )


def _root(given: Path | None, *, required: bool = True) -> Path:
    if given is not None:
        if not given.is_dir():
            raise _BadInput(
                f"--root {given} is not a directory; pass the project folder, the "
                "one holding device-profiles/."
            )
        return given.resolve()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "device-profiles").is_dir():
            return folder
    if not required:
        return here
    raise _BadInput(
        f"no project here: neither {here} nor any folder above it holds "
        "device-profiles/; run harness inside a project or pass --root DIR."
    )


def _fault_names(given: list[str]) -> list[str]:
    names = split_names(",".join(given))
    if given and not names:
        raise _BadInput("--fault: no fault named; see `harness faults` for the names")
    return names


def _faults(args: argparse.Namespace, root: Path | None, extra: list[str]) -> int:
    for fault in FAULTS.values():
        platforms = "" if len(fault.platforms) > 1 else f" ({fault.platforms[0]})"
        print(f"{fault.name}  [{fault.report}]{platforms}")
        print(textwrap.fill(fault.does, WIDTH, initial_indent="    ",
                            subsequent_indent="    "))  # fmt: skip
    return 0


def _run(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    try:
        selection = select(
            root,
            scenarios=SUITES[args.suite] if args.suite else args.scenarios,
            profiles=split_names(args.profiles),
            app=args.app,
            seed=args.seed,
            faults=_fault_names(args.fault),
        )
    except (ConfigError, UnknownName) as error:
        raise _BadInput(explain(error, _FLAGS)) from None
    names = ",".join(selection.profile_names)
    junit = args.junit or root / "reports" / "junit.xml"
    try:
        appium = check_options(
            args.appium, args.appium_device, args.appium_serve_port, APPIUM_FLAGS
        )
    except RunRefused as error:
        raise _BadInput(str(error)) from None
    if appium.url:
        try:  # every cell reads them: a broken map is one message, not N errors
            check_action_maps(root / "fixtures" / "apps")
        except ConfigError as error:
            raise _BadInput(explain(error, _FLAGS)) from None
    plugin = ["-p", "harness.runner.plugin"]
    port_given = args.appium_serve_port is not None
    pytest_args = [
        *(plugin if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else []),
        str(selection.scenarios),
        f"--rootdir={root}",
        f"--harness-scenarios={selection.scenarios}",
        f"--harness-profiles={names}",
        f"--harness-app={selection.app.name}",
        f"--harness-seed={selection.seed}",
        *([f"--harness-faults={','.join(selection.app.faults)}"] if args.fault else []),
        f"--junitxml={junit}",
        f"--harness-timelines={args.timelines}",
        *([f"--harness-appium={appium.url}"] if appium.url else []),
        f"--harness-appium-device={args.appium_device}",
        *([f"--harness-appium-serve-port={args.appium_serve_port}"] * port_given),
        # harness is imported before pytest starts, and with it faker and anyio,
        # whose pytest plugins then cannot be rewritten; nothing is lost.
        "-W",
        f"ignore:{_ALREADY_IMPORTED}:pytest.PytestAssertRewriteWarning",
        *extra,
        # After the user's own -r, so the passing cells' timelines still print.
        *(["-rP"] if args.timelines == "always" else []),
    ]
    logger.info("running pytest %s", " ".join(pytest_args))
    guard = RunGuard(args.run_options, appium)
    try:
        status = int(pytest.main(pytest_args, plugins=[guard]))
    except RunRefused as error:
        raise _BadInput(str(error), error.command) from None
    if status == pytest.ExitCode.USAGE_ERROR:
        return BAD_INPUT  # pytest said why; harness's bad input exits 2
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:
        sys.stdout.flush()
        given = f" with {' '.join(extra)}" if extra else ""
        print(
            f"harness: no scenarios matched: pytest collected nothing from "
            f"{shown(selection.scenarios)} on "
            f"{plural(len(selection.profiles), 'device profile')}{given}; check -k, "
            "and that the scenario files hold @scenario functions.",
            file=sys.stderr,
        )
    return status


def _serve(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    try:
        options = project_options(
            root,
            port=args.port,
            http_port=None if args.no_http else args.http_port,
            listen=args.listen,
            state=args.state or Path(".harness"),
            persist=args.state is not None,
            fresh=args.fresh,
            workspaces=tuple(args.workspace or ["default"]),
            seed=args.seed,
            ios_topic=args.ios_topic,
            cert_names=tuple(args.cert_name),
        )
        server = Server(options)
        try:
            server.prepare()
        except OSError as error:
            raise _BadInput(_state_problem(args.state, error)) from None
        if args.env_file is not None:
            args.env_file.unlink(missing_ok=True)
        server.run(partial(_served, print_env=args.print_env, env=args.env_file))
    except ConfigError as error:
        raise _BadInput(explain(error, _FLAGS)) from None
    except ServeError as error:
        raise _BadInput(str(error)) from None
    except KeyboardInterrupt:  # before the server's own handler was in place
        pass
    print("harness serve: stopped", file=sys.stderr if args.print_env else sys.stdout)
    return 0


def _inspect(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    if (args.read == "person") != (args.identifier is not None):
        raise _BadInput(
            "inspect person needs the person's id, email, cio_ id or anonymous "
            "id, as in: harness inspect --state DIR person u-1; the other reads "
            "take none."
        )
    read = "timeline" if args.read == "person" else args.read
    try:
        found = read_back(
            args.state,
            root,
            read,
            workspace=args.workspace,
            identifier=args.identifier or "",
        )
    except ConfigError as error:
        raise _BadInput(explain(error, _FLAGS)) from None
    except ServeError as error:
        raise _BadInput(str(error)) from None
    except OSError as error:
        raise _BadInput(_state_problem(args.state, error)) from None
    answer = found.answer
    print(f"harness inspect: {found.summary}", file=sys.stderr)
    if answer.status != 200:
        raise _BadInput(_message(answer.body))
    text = answer.body.decode()
    if read != "timeline":
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    sys.stdout.write(text)
    return 0


def _state_problem(state: Path | None, error: OSError) -> str:
    """Say why the state folder cannot be used, naming --state and the fix."""
    shown = (
        f"--state {state}"
        if state is not None
        else "the default state folder .harness (in the current directory)"
    )
    culprit = error.filename or "it"
    if isinstance(error, PermissionError):
        fix = "give --state a folder you may write to, or fix its permissions"
    elif isinstance(error, FileExistsError | NotADirectoryError):
        fix = f"{culprit} or a folder above it is a file; give --state a folder path"
    elif isinstance(error, FileNotFoundError):
        fix = "give --state a folder whose parent exists and is writable"
    else:
        fix = "give --state another folder"
    return f"{shown} cannot be used: {culprit}: {error.strerror or error}; {fix}."


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode(errors="replace")


def _served(server: Server, *, print_env: bool, env: Path | None) -> None:
    if env is not None:
        env.parent.mkdir(parents=True, exist_ok=True)
        partial_file = env.with_name(env.name + ".partial")
        partial_file.write_text(exports(server) + "\n", encoding="utf-8")
        partial_file.replace(env)  # appears whole, never half written
    if print_env:
        print(exports(server), flush=True)
        print(banner(server), file=sys.stderr, flush=True)
    else:
        print(banner(server), flush=True)


def _profiles(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    try:
        profiles = load_profiles(root / "device-profiles")
    except ConfigError as error:
        raise _BadInput(explain(error, _FLAGS)) from None
    rows = [("name", "platform", "os", "push", "capabilities")]
    rows += [_profile_row(profile) for profile in profiles.values()]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    indent = sum(widths) + 2 * len(widths)
    for row in rows:
        start = "  ".join(value.ljust(w) for value, w in zip(row, widths, strict=False))
        lines = textwrap.wrap(row[4], max(WIDTH - indent, 20)) or [""]
        print(f"{start}  {lines[0]}".rstrip())
        for line in lines[1:]:
            print(" " * indent + line)
    return 0


def _profile_row(profile: DeviceProfile) -> tuple[str, str, str, str, str]:
    capabilities = ", ".join(profile.capabilities)
    return (
        profile.name,
        profile.platform,
        profile.os_version,
        profile.push.service,
        capabilities,
    )


def _validate(args: argparse.Namespace, root: Path, extra: list[str]) -> int:
    fixtures = root / "fixtures"
    # A check answering None found nothing to check: a project needs no plan.
    checks: list[tuple[str, Callable[[], Sequence[object] | None]]] = [
        ("device profile", lambda: list(load_profiles(root / "device-profiles"))),
        ("app profile", lambda: list(load_apps(fixtures / "apps"))),
        ("action map", lambda: list(check_action_maps(fixtures / "apps")) or None),
        ("campaign", lambda: list(load_directory(fixtures / "campaigns", Campaign))),
        (
            "transactional message",
            lambda: _optional(fixtures / "transactional", load_transactional),
        ),
        ("broadcast", lambda: _optional(fixtures / "broadcasts", load_broadcasts)),
        (
            "catalog product",
            lambda: list(load_catalog(fixtures / "catalog.yaml").products),
        ),
        (
            "planned event",
            lambda: None if (plan := load_plan(root)) is None else list(plan.events),
        ),
        ("scenario", lambda: _scenarios(root / "scenarios")),
    ]
    found, problems = [], []
    for noun, check in checks:
        try:
            items = check()
        except ConfigError as error:
            problems += error.problems
            continue
        if items is not None:
            found.append(plural(len(items), noun))
    if not problems:
        print(f"ok: {', '.join(found)}")
        return 0
    for problem in problems:
        print(problem)
    files = len({problem.file for problem in problems})
    print(
        f"\n{plural(len(problems), 'problem')} in {plural(files, 'file')}; fix "
        "them and run harness validate again."
    )
    return BAD_INPUT


def _optional(
    folder: Path, load: Callable[[Path], Sequence[object]]
) -> Sequence[object] | None:
    """Load a fixture folder a project may leave out; None when it has none."""
    return load(folder) if folder.is_dir() else None


def _scenarios(folder: Path) -> list[Scenario]:
    paths = sorted(p for p in folder.rglob("*.py") if is_scenario_file(p, folder))
    found: list[Scenario] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            scenarios = collect(path)
        except Exception as error:  # any import error is the file's problem
            message = (
                f"cannot be imported ({type(error).__name__}: {error}); fix the "
                "file, or run python on it to see the traceback."
            )
            problems.append(Problem(shown(path), "(document)", message))
            continue
        found += scenarios
        problems += [
            _need_problem(s, need)
            for s in scenarios
            for need in sorted(s.needs)
            if need not in get_args(Capability)
        ]
    if problems:
        raise ConfigError(problems)
    return found


def _need_problem(scenario: Scenario, need: str) -> Problem:
    capabilities = ", ".join(get_args(Capability))
    message = f"{need!r} is not a capability; use one of {capabilities}."
    return Problem(shown(scenario.path), f"{scenario.name}.needs", message)
