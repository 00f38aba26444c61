"""Scenario scripts: plain functions on the public API, marked with @scenario.

A scenario says what people do; the runner plays it once per device profile. A
scenario names the capabilities it needs (``native_app``, ``web_push``, ...);
profiles without them show the cell as skipped, with the reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, overload

from .errors import ConfigError, Problem, ScenarioError

if TYPE_CHECKING:
    from .profiles import DeviceProfile
    from .world import World

__all__ = ["Scenario", "collect", "scenario"]

MARK = "__harness_scenario__"


@dataclass(frozen=True)
class Scenario:
    """A scenario function and what it needs from a device profile."""

    name: str
    func: Callable[[World], None]
    needs: frozenset[str]
    summary: str
    path: Path

    def skip_reason(self, profile: DeviceProfile) -> str | None:
        """Return why this scenario cannot run on ``profile``, or None."""
        missing = sorted(n for n in self.needs if not profile.supports(n))
        if not missing:
            return None
        why = "; ".join(profile.lacks(n) for n in missing)
        return f"needs {', '.join(missing)}: {why}"


Play = Callable[["World"], None]


@overload
def scenario(func: Play, /) -> Play: ...


@overload
def scenario(
    *, needs: Iterable[str] = (), name: str | None = None
) -> Callable[[Play], Play]: ...


def scenario(
    func: Play | None = None,
    *,
    needs: Iterable[str] = (),
    name: str | None = None,
) -> Play | Callable[[Play], Play]:
    """Mark a function as a scenario; usable bare or with ``needs=[...]``."""

    def mark(target: Play) -> Play:
        _check_signature(target)
        doc = inspect.getdoc(target) or ""
        setattr(
            target,
            MARK,
            {
                "needs": frozenset(needs),
                "name": name or target.__name__,
                "summary": doc.split("\n", 1)[0],
            },
        )
        return target

    return mark(func) if func is not None else mark


def collect(path: Path) -> list[Scenario]:
    """Import a scenario file and return its scenarios in file order."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
    module_name = f"harness_scenarios.{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError([Problem(str(path), "(document)", "not a Python file")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    found = []
    for value in vars(module).values():
        meta = getattr(value, MARK, None)
        if meta is not None and callable(value):
            found.append(
                Scenario(meta["name"], value, meta["needs"], meta["summary"], path)
            )
    found.sort(key=lambda s: inspect.getsourcelines(s.func)[1])
    return found


def _check_signature(target: Callable[..., None]) -> None:
    """Refuse a scenario that cannot take the world as its one argument."""
    try:
        inspect.signature(target).bind(object())
    except TypeError:
        raise ScenarioError(
            f"scenario {target.__qualname__} must take exactly one argument, the "
            f"world: def {target.__name__}(world: World) -> None"
        ) from None
