"""The pytest plugin: every scenario file becomes a scenario x device matrix.

Installed as the ``harness`` entry point, so pytest loads it in every run; it
stays inert unless the run collects a project's scenario folder. Then each
``@scenario`` in ``scenarios/**/*.py`` becomes one item per device profile,
``<scenario>[<profile>]``, so ``-k``, ``-x``, ``--junitxml`` and ``-n`` work as
usual, and the terminal summary ends with the matrix.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..drivers.appium_server import AppiumServer
from ..drivers.config import DEVICE_KINDS, ENV, AppiumSetup
from ..errors import (
    ConfigError,
    ExpectationFailed,
    HarnessError,
    ScenarioError,
    UnknownName,
    Unsupported,
)
from ..files import shown
from ..profiles import DeviceProfile
from ..scripts import Scenario, collect
from . import (
    DEFAULT_APP,
    Selection,
    explain,
    is_scenario_file,
    parse_seed,
    plural,
    select,
    split_names,
)
from .appium import appium_setup, flags_of, save_screenshots, stop_local
from .matrix import Cell, Outcome, render
from .preflight import RunRefused, port

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, Traceback, TracebackStyle

    from ..world import World

__all__ = ["ScenarioFile", "ScenarioItem", "ScenarioRun"]

logger = logging.getLogger(__name__)

_OPTIONS = (
    "harness_scenarios",
    "harness_profiles",
    "harness_app",
    "harness_seed",
    "harness_faults",
    "harness_appium",
)
_FLAGS = {
    "device profile": "--harness-profiles",
    "app profile": "--harness-app",
    "field fault": "--harness-faults",
}
_PLUGIN = "harness-scenarios"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the options choosing the run's scenarios, profiles, app and seed."""
    group = parser.getgroup("harness", "scenario x device matrix")
    group.addoption(
        "--harness-scenarios",
        metavar="DIR",
        type=Path,
        help="folder of scenario files (default: <rootdir>/scenarios)",
    )
    group.addoption(
        "--harness-timelines",
        choices=("failures", "always"),
        default="failures",
        help="attach shoppers' timelines to failed cells only (default) or to "
        "every cell; see passing ones with -rP",
    )
    group.addoption(
        "--harness-profiles",
        metavar="NAMES",
        help="comma-separated device profiles (default: all in device-profiles/)",
    )
    group.addoption(
        "--harness-app",
        metavar="NAME",
        help="app profile from fixtures/apps/ (default: reference)",
    )
    group.addoption(
        "--harness-faults",
        metavar="NAMES",
        help="comma-separated field faults to switch on in the app profile "
        "(see harness/faults.py; default: none)",
    )
    group.addoption(
        "--harness-seed",
        metavar="N",
        type=parse_seed,
        help="seed for ids and generated people (default: 0)",
    )
    group.addoption(
        "--harness-appium",
        metavar="URL",
        help="drive phones through the Appium server at URL (a farm, a Grid 4 "
        "hub, a cloud), or `local` to start the project's own; default: "
        f"${ENV}, else phones are emulated in process",
    )
    group.addoption(
        "--harness-appium-device",
        choices=DEVICE_KINDS,
        default="real",
        help="with --harness-appium: real devices matching the profiles' appium: "
        "capabilities (default), or harnessfake: emulated phones of each "
        "World's served emulator, reached through Appium's harnessfake driver",
    )
    group.addoption(
        "--harness-appium-serve-port",
        metavar="N",
        type=port,
        help="with --harness-appium: the HTTPS port each World serves its "
        "emulator on, for a real app's debug build (default: a free one; a "
        "fixed one needs a single worker)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Load the run's profiles and app when the run collects scenario files."""
    explicit = any(config.getoption(dest) is not None for dest in _OPTIONS)
    root = config.rootpath
    scenarios = config.getoption("harness_scenarios") or root / "scenarios"
    scenarios = (config.invocation_params.dir / scenarios).resolve()
    in_project = (root / "device-profiles").is_dir() and scenarios.is_dir()
    if not (explicit or in_project) or not _collects(config, scenarios):
        return
    if config.getoption("help"):
        return  # a broken profile must not hide pytest --help
    try:
        selection = select(
            root,
            scenarios=scenarios,
            profiles=split_names(config.getoption("harness_profiles")),
            app=config.getoption("harness_app") or DEFAULT_APP,
            seed=config.getoption("harness_seed") or 0,
            faults=split_names(config.getoption("harness_faults")),
        )
    except (ConfigError, UnknownName) as error:
        raise pytest.UsageError(explain(error, _FLAGS)) from None
    run = ScenarioRun(selection)
    try:
        appium = run.start_appium(config)
    except RunRefused as error:
        raise pytest.UsageError(str(error)) from None
    except (HarnessError, ValueError) as error:
        flag = flags_of(config).appium
        raise pytest.UsageError(f"{flag}: {error}") from None
    run.selection = replace(selection, appium=appium)
    config.pluginmanager.register(run, _PLUGIN)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Drop the run's state with its config, stopping a local Appium."""
    run = config.pluginmanager.get_plugin(_PLUGIN)
    if run is not None:
        run.stop_appium()
        config.pluginmanager.unregister(run)


def _collects(config: pytest.Config, scenarios: Path) -> bool:
    here = config.invocation_params.dir
    for arg in config.args:
        path = (here / arg.split("::", 1)[0]).resolve()
        if path.is_relative_to(scenarios) or scenarios.is_relative_to(path):
            return True
    return False


class ScenarioRun:
    """Collect scenario files, keep each cell's outcome and print the matrix."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.cells: dict[str, Cell] = {}
        self.order: dict[str, int] = {}
        self.server: AppiumServer | None = None

    def start_appium(self, config: pytest.Config) -> AppiumSetup | None:
        """Resolve the run's Appium, starting the project's own for ``local``."""
        setup, self.server = appium_setup(config)
        return setup

    def stop_appium(self) -> None:
        """Stop the local Appium this run started, if any."""
        server, self.server = self.server, None
        stop_local(server)

    def pytest_report_header(self) -> str:
        """Name the run's app, seed and profiles above the results."""
        s = self.selection
        profiles = plural(len(s.profiles), "device profile")
        appium = f"\nharness: Appium at {s.appium.url}" if s.appium else ""
        return (
            f"harness: {s.label}, seed {s.seed}, {profiles}, "
            f"scenarios in {shown(s.scenarios)}{appium}"
        )

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> ScenarioFile | None:
        """Turn a file in the scenario folder into a scenario x profile collector."""
        if not is_scenario_file(file_path, self.selection.scenarios):
            return None
        return ScenarioFile.from_parent(
            parent, path=file_path, selection=self.selection
        )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember the collection order, which the matrix's rows follow."""
        self._remember(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(
        self, node: object, ids: Sequence[str]
    ) -> None:
        """Remember a worker's collection order; every worker collects the same."""
        if not self.order:
            self._remember(ids)

    def _remember(self, nodeids: Iterable[str]) -> None:
        self.order = {nodeid: index for index, nodeid in enumerate(nodeids)}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold a phase's report into its cell; a failure in any phase wins."""
        cell = _cell(report)
        if cell is None:
            return
        old = self.cells.get(cell.nodeid)
        if old is None or old.outcome not in ("FAIL", "ERROR"):
            self.cells[cell.nodeid] = cell

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> None:
        """Print the scenario x device matrix after the usual summary."""
        if not self.cells:
            return
        last = len(self.order)
        cells = sorted(
            self.cells.values(), key=lambda c: self.order.get(c.nodeid, last)
        )
        s = self.selection
        title = f"scenario x device matrix ({s.label}, seed {s.seed})"
        terminalreporter.write_sep("=", title)
        for line in render(cells, s.profile_names).splitlines():
            terminalreporter.write_line(line)


def _cell(report: pytest.TestReport) -> Cell | None:
    properties = {str(key): str(value) for key, value in report.user_properties}
    if "scenario" not in properties or "profile" not in properties:
        return None
    outcome: Outcome
    reason = ""
    if report.failed:
        outcome = "ERROR" if "error" in properties else "FAIL"
    elif report.skipped:
        outcome, reason = "skip", _skip_reason(report.longrepr)
    elif report.when == "call":
        outcome = "pass"
    else:
        return None
    scenario, profile = properties["scenario"], properties["profile"]
    saw = tuple(str(v) for k, v in report.user_properties if k == "saw")
    return Cell(report.nodeid, scenario, profile, outcome, reason, saw)


def _skip_reason(longrepr: object) -> str:
    # A skip's longrepr is (path, line, "Skipped: why"); xdist sends it as a list.
    if isinstance(longrepr, tuple | list) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


class ScenarioFile(pytest.File):
    """A scenario file: one item per scenario and device profile."""

    def __init__(self, *, selection: Selection, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.selection = selection

    def collect(self) -> Iterator[ScenarioItem]:
        """Yield ``<scenario>[<profile>]`` for each scenario, then each profile."""
        try:
            scenarios = collect(self.path)
        except ConfigError as error:
            raise self.CollectError(str(error)) from None
        except ScenarioError as error:
            raise self.CollectError(f"{shown(self.path)}: {error}") from None
        for scenario in scenarios:
            for profile in self.selection.profiles:
                yield self._item(scenario, profile)

    def _item(self, scenario: Scenario, profile: DeviceProfile) -> ScenarioItem:
        try:
            reason = scenario.skip_reason(profile)
        except ValueError as error:
            where = f"{shown(self.path)}: {scenario.name}.needs"
            raise self.CollectError(f"{where}: {error}") from None
        item = ScenarioItem.from_parent(
            self,
            name=f"{scenario.name}[{profile.name}]",
            scenario=scenario,
            profile=profile,
            selection=self.selection,
        )
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))
        return item


class ScenarioItem(pytest.Item):
    """One cell of the matrix: a scenario played in a fresh world on one profile."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        profile: DeviceProfile,
        selection: Selection,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scenario, self.profile, self.selection = scenario, profile, selection
        self.user_properties += [
            ("scenario", scenario.name),
            ("profile", profile.name),
            ("app", selection.app.name),
            *(("fault", fault) for fault in selection.app.faults),
            ("seed", str(selection.seed)),
        ]
        # -k android, -k web_push: select cells by platform or capability too.
        self.extra_keyword_matches.update({profile.platform, *profile.capabilities})

    def runtest(self) -> None:
        """Play the scenario in a new world; a step the device lacks skips the cell."""
        from ..world import World  # the world pulls in the emulator: load it late

        s = self.selection
        logger.info("scenario %s: start", self.name)
        try:
            with World(
                self.profile, s.app, root=s.root, seed=s.seed, appium=s.appium
            ) as world:
                try:
                    self._play(world)
                finally:
                    self._observed(world)
        except Unsupported as error:
            logger.info("scenario %s: skipped, %s", self.name, error)
            raise pytest.skip.Exception(str(error), _use_item_location=True) from None
        except Exception as error:
            if not isinstance(error, AssertionError) and not any(
                key == "error" for key, _ in self.user_properties
            ):
                # Raised while the world was made or closed: not an expectation.
                self.user_properties.append(("error", type(error).__name__))
            raise
        logger.info("scenario %s: end", self.name)

    def _play(self, world: World) -> None:
        try:
            self.scenario.func(world)
        except Unsupported:
            raise
        except (Exception, pytest.fail.Exception) as error:
            if not isinstance(error, AssertionError | pytest.fail.Exception):
                # Not a failed expectation: the scenario or the harness is broken.
                self.user_properties.append(("error", type(error).__name__))
            # A failed expectation's message already holds its shopper's
            # timeline; add the other shoppers' only.
            timeline = _timeline(world, shown=str(error))
            if timeline:
                self.add_report_section("call", "timeline", timeline)
            self._screenshots(world)
            raise
        if self.config.getoption("harness_timelines") == "always":
            self.add_report_section("call", "timeline", _timeline(world))

    def _screenshots(self, world: World) -> None:
        listed = save_screenshots(self.selection.appium, world, self.nodeid)
        if listed:
            self.add_report_section("call", "screenshots", listed)

    def _observed(self, world: World) -> None:
        self.user_properties += [("saw", text) for text in world.observations]

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        """Show a failed expectation as its message; other errors briefly."""
        if isinstance(excinfo.value, ExpectationFailed):
            style = "value"
        elif style is None and self.config.getoption("tbstyle", "auto") == "auto":
            style = "short"
        return super().repr_failure(excinfo, style)

    def _traceback_filter(
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> Traceback:
        # Start the traceback at the scenario, not in the runner that called it.
        traceback = excinfo.traceback
        return traceback.cut(path=self.scenario.path).filter(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Point reports at the scenario function."""
        line = inspect.getsourcelines(self.scenario.func)[1] - 1
        return self.scenario.path, line, self.name


def _timeline(world: World, shown: str = "") -> str:
    """Return the shoppers' timelines, leaving out any whose header ``shown`` has."""
    try:
        return world.report(leaving_out=shown)
    except Exception as error:  # the failure matters more than its timeline
        logger.debug("the timeline could not be rendered", exc_info=True)
        return f"the timeline could not be rendered: {error!r}"


@pytest.fixture
def harness_world(pytestconfig: pytest.Config) -> Iterator[Any]:
    """Make worlds for your own tests, each on a fresh embedded emulator.

    Call it with a device profile name and, optionally, an app profile and a
    seed; profiles and apps load from the project at pytest's rootdir::

        def test_my_journey(harness_world):
            world = harness_world("ios-17-iphone", app="reference")
            shopper = world.shopper()
            ...

    Each world's clock is frozen while the test runs and released afterwards.
    """
    from ..apps import find_app, load_apps
    from ..profiles import find_profile, load_profiles
    from ..world import World

    root = Path(pytestconfig.rootpath)
    opened: list[World] = []

    def make(profile: str, app: str = DEFAULT_APP, seed: int | str = 0) -> World:
        device = find_profile(load_profiles(root / "device-profiles"), profile)
        app_profile = find_app(load_apps(root / "fixtures" / "apps"), app)
        world = World(device, app_profile, root=root, seed=seed).__enter__()
        opened.append(world)
        return world

    yield make
    for world in reversed(opened):
        world.__exit__(None, None, None)
