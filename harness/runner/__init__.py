"""The runner: plays every scenario on every device profile and reports the matrix.

:class:`Selection` holds the axes of one run (scenario folder, device profiles, app
profile, seed) and loads without pytest; the pytest plugin (``plugin.py``) and the
CLI both build one with :func:`select`, and ``matrix.py`` renders the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..apps import AppProfile, find_app, load_apps
from ..drivers.config import AppiumSetup
from ..errors import ConfigError, Problem, UnknownName
from ..files import shown
from ..profiles import DeviceProfile, find_profile, load_profiles

__all__ = [
    "DEFAULT_APP",
    "Selection",
    "explain",
    "is_scenario_file",
    "parse_seed",
    "plural",
    "select",
    "split_names",
]

DEFAULT_APP = "reference"


@dataclass(frozen=True)
class Selection:
    """The axes of one run: which scenarios, on which profiles, with which app."""

    root: Path
    scenarios: Path
    profiles: tuple[DeviceProfile, ...]
    app: AppProfile
    seed: int | str = 0
    appium: AppiumSetup | None = None

    @property
    def label(self) -> str:
        """Return the app and its switched-on faults, as run titles show them."""
        faults = self.app.faults
        label = f"app {self.app.name}" + (
            f" with fault{'s' if len(faults) > 1 else ''} {', '.join(faults)}"
            if faults
            else ""
        )
        if self.appium is not None:
            label += f", phones through Appium ({self.appium.device})"
        return label

    @property
    def profile_names(self) -> list[str]:
        """Return the profiles' names in the order the matrix shows them."""
        return [profile.name for profile in self.profiles]


def select(
    root: Path,
    *,
    scenarios: Path | None = None,
    profiles: Sequence[str] = (),
    app: str = DEFAULT_APP,
    seed: int | str = 0,
    faults: Sequence[str] = (),
) -> Selection:
    """Load and check a run's axes from the project at ``root``.

    No profile names means every profile in ``device-profiles/``; ``faults``
    switches field faults on in the app profile. Raises ConfigError for a bad
    file or a missing folder, UnknownName for a bad name.
    """
    folder = scenarios if scenarios is not None else root / "scenarios"
    if not folder.is_dir():
        message = "is not a directory; pass the folder that holds the scenario files."
        raise ConfigError([Problem(shown(folder), "(directory)", message)])
    known = load_profiles(root / "device-profiles")
    chosen = [find_profile(known, name) for name in profiles] or known.values()
    app_profile = find_app(load_apps(root / "fixtures" / "apps"), app)
    switched = app_profile.with_faults(faults)
    return Selection(root, folder.resolve(), tuple(chosen), switched, seed)


def explain(error: ConfigError | UnknownName, flags: Mapping[str, str]) -> str:
    """Return a message for a run that cannot start, naming the flag to change.

    ``flags`` maps the kind of a name (``device profile``, ``app profile``) to
    the command-line flag that set it.
    """
    if isinstance(error, UnknownName):
        flag = flags.get(error.kind)
        return f"{flag}: {error}" if flag else str(error)
    problems = plural(len(error.problems), "problem")
    return f"{problems} in the project's files; fix them and try again:\n{error}"


def is_scenario_file(path: Path, folder: Path) -> bool:
    """Tell whether ``path`` is a scenario file of ``folder`` or its subfolders.

    Files and folders whose names start with ``_`` hold helpers, not scenarios,
    and ``conftest.py`` belongs to pytest.
    """
    if path.suffix != ".py" or path.name == "conftest.py":
        return False
    if not path.is_relative_to(folder):
        return False
    return not any(part.startswith("_") for part in path.relative_to(folder).parts)


def split_names(text: str | None) -> list[str]:
    """Split a comma-separated list of names, dropping blanks and repeats."""
    names = (name.strip() for name in (text or "").split(","))
    return list(dict.fromkeys(name for name in names if name))


def parse_seed(text: str) -> int | str:
    """Read a seed: a whole number stays a number, any other text is a seed too."""
    return int(text) if text.isdigit() else text


def plural(number: int, noun: str) -> str:
    """Return ``number`` and ``noun``, adding an s unless the number is one."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
