"""Run the machine: search for a failing ordering and write it as a scenario.

:func:`run_fuzz` is what ``harness fuzz`` calls. It loads the run's axes the
way ``harness run`` does, plays the machine under Hypothesis with the seed,
and, when an invariant fails, writes the shrunk sequence to a scenario file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as seeded
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from ..apps import find_app, load_apps
from ..errors import HarnessError, NotApplicable, ScenarioError
from ..faults import FAULTS
from ..profiles import find_profile, load_profiles
from .machine import FuzzConfig, Journeys, machine_for
from .replay import replay_command, write_scenario

logger = logging.getLogger(__name__)

__all__ = ["DATABASE", "DEFAULT_PROFILES", "FuzzResult", "run_fuzz"]

DEFAULT_PROFILES = ("ios-17-iphone", "android-14-pixel")
DATABASE = Path(".hypothesis-harness")  # under the project root


@dataclass(frozen=True)
class FuzzResult:
    """What a fuzz run found.

    ``examples`` is how many examples ran until the first failure (all of
    them if none failed); ``steps`` the found scenario's steps after
    shrinking; ``failure`` the failed check's message, timeline included.
    """

    found: bool
    examples: int
    steps: int
    seconds: float
    path: Path | None
    failure: str | None
    command: str | None

    @property
    def rule(self) -> str | None:
        """Return the failure's first line: the invariant and its claim."""
        return self.failure.split("\n", 1)[0] if self.failure else None


def run_fuzz(
    root: Path,
    examples: int = 100,
    seed: int = 0,
    profiles: Sequence[str] = DEFAULT_PROFILES,
    app: str = "reference",
    faults: Sequence[str] = (),
    *,
    steps: int = 40,
    people: int = 2,
    out: Path | None = None,
    database: Path | None = DATABASE,
    machine: type[Journeys] = Journeys,
    shrink: bool = True,
) -> FuzzResult:
    """Play ``examples`` generated journeys; write the first failure, shrunk.

    ``out`` is the folder for found scenarios (default ``scenarios/found``);
    ``database`` the Hypothesis example database, relative to ``root``
    (None keeps none, so every run starts from the seed alone); ``shrink``
    False writes the first failure as found, which is quicker. Raises
    UnknownName for a bad profile, app or fault name.
    """
    config = _config(root, profiles, app, faults, people)
    bound = seeded(seed)(machine_for(config, machine))
    chosen = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=_database(root, database),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        phases=[Phase.reuse, Phase.generate] + [Phase.shrink] * shrink,
    )
    started = time.perf_counter()
    failure: BaseException | None = None
    try:
        run_state_machine_as_test(bound, settings=chosen)
    except Flaky as error:
        failure = error
        logger.warning("the found ordering did not fail again when replayed")
    except Exception as error:  # noqa: BLE001 - any failure is a finding
        failure = error
    seconds = time.perf_counter() - started
    tally = bound.tally
    if failure is None or tally.last is None:
        return FuzzResult(False, tally.runs, 0, seconds, None, None, None)
    return _found(root, config, faults, seed, out, tally.last, failure, seconds)


class MachineCrashed(HarnessError):
    """Raised when a generated journey raises something other than a failed check."""


def _found(
    root: Path,
    config: FuzzConfig,
    faults: Sequence[str],
    seed: int,
    out: Path | None,
    last: Journeys,
    failure: BaseException,
    seconds: float,
) -> FuzzResult:
    folder = out if out is not None else root / "scenarios" / "found"
    shown = _shown(folder, root)
    names = [p.name for p in config.profiles]
    message = str(failure) or type(failure).__name__
    if not isinstance(failure, AssertionError):
        steps = "\n".join(f"    {line}" for line in last.script.lines[-12:])
        raise MachineCrashed(
            f"the journey crashed with {type(failure).__name__}: {message}; that "
            "is a bug in a rule, a check or harness itself, not an invariant the "
            "app broke, so no scenario was written. The last steps:\n" + steps
        ) from failure
    path = write_scenario(
        folder,
        last.script,
        failure=message,
        profiles=names,
        app=config.app.name,
        faults=faults,
        seed=seed,
        shown=shown,
    )
    tally = last.tally
    return FuzzResult(
        True,
        tally.found_at or tally.runs,
        len(last.script.lines),
        seconds,
        path,
        message,
        replay_command(shown, names, config.app.name, faults, path.stem),
    )


def _config(
    root: Path,
    profiles: Sequence[str],
    app: str,
    faults: Sequence[str],
    people: int,
) -> FuzzConfig:
    known = load_profiles(root / "device-profiles")
    chosen = tuple(find_profile(known, name) for name in profiles or DEFAULT_PROFILES)
    browsers = [p.name for p in chosen if p.platform not in ("ios", "android")]
    if browsers:
        raise ScenarioError(
            f"{', '.join(browsers)} are browser profiles; the fuzz machine plays "
            "phones, so pass ios or android profiles to --profiles"
        )
    if not 2 <= people <= 3:
        raise ScenarioError(f"people={people}; the machine plays 2 or 3 people")
    the_app = find_app(load_apps(root / "fixtures" / "apps"), app)
    platforms = {p.platform for p in chosen}
    switched = the_app.with_faults(faults)
    for fault in faults:
        if not platforms & set(FAULTS[fault].platforms):
            raise NotApplicable(
                "field fault",
                fault,
                f"it exists on {', '.join(FAULTS[fault].platforms)} only and "
                f"--profiles chose {', '.join(sorted(platforms))} phones; add one",
            )
    return FuzzConfig(root, chosen, switched, people=people)


def _database(
    root: Path, database: Path | None
) -> DirectoryBasedExampleDatabase | None:
    if database is None:
        return None
    return DirectoryBasedExampleDatabase(str(root / database))


def _shown(folder: Path, root: Path) -> str:
    try:
        return str(folder.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(folder)
