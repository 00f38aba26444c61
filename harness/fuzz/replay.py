"""Replay: each generated step as a line of public-API Python, and found scenarios.

The machine writes one line per step as it plays it, so a failed run's
(shrunk) sequence is already a scenario body. :func:`write_scenario` puts it
in a plain scenario file with one ``@scenario`` function that plays the steps
in order and ends with the check that failed; ``harness run --scenarios``
on its folder fails the same way on the same frozen clock.
"""

from __future__ import annotations

import hashlib
import logging
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["Script", "replay_command", "write_scenario"]

HELPERS = (
    "ORDER",
    "delivered_counts",
    "events_between",
    "events_fit_plan",
    "legacy_build",
    "no_cart_reminder",
    "no_first_launch_prompt",
    "notifications_on",
    "phone",
    "push_enabled_is",
    "reaches",
    "registered",
    "sdk_is_current",
    "token_not_on",
)


@dataclass
class Script:
    """The lines of one generated journey, in the order they were played."""

    roles: Sequence[str]
    lines: list[str] = field(default_factory=list)
    check: str | None = None
    imports: list[str] = field(default_factory=list)

    def uses(self, check: object) -> None:
        """Import ``check`` in the scenario, unless harness.fuzz exports it."""
        module = getattr(check, "__module__", "") or ""
        name = getattr(check, "__qualname__", "")
        if module.startswith("harness.fuzz") or not name.isidentifier():
            return
        if module in ("__main__", "builtins"):
            return
        self.imports.append(f"from {module} import {name}")

    def add(self, *lines: str) -> None:
        """Append step lines."""
        self.lines.extend(lines)

    def skipped(self, line: str, reason: str) -> None:
        """Append a step the device refused; the scenario tolerates the refusal."""
        note = re.sub(r"\s+", " ", reason)[:60]
        self.lines.append(
            f"with suppress(ScenarioError, Unsupported):  # a no-op: {note}"
        )
        self.lines.append(f"    {line}")

    def body(self) -> list[str]:
        """Return the scenario's body: the cast, the steps, the failed check."""
        cast = [f'{role} = world.shopper("{role}")' for role in self.roles]
        return cast + self.lines + ([self.check] if self.check else [])


def replay_command(
    folder: str,
    profiles: Sequence[str],
    app: str,
    faults: Sequence[str],
    name: str | None = None,
) -> str:
    """Return the ``harness run`` command that replays a found scenario.

    With ``name`` it plays that scenario alone (``-k``), not the folder's others.
    """
    fault = f" --fault {','.join(faults)}" if faults else ""
    only = f" -k {name}" if name else ""
    return (
        f"harness run --scenarios {folder} --profiles {','.join(profiles)} "
        f"--app {app}{fault}{only}"
    )


def write_scenario(
    folder: Path,
    script: Script,
    *,
    failure: str,
    profiles: Sequence[str],
    app: str,
    faults: Sequence[str],
    seed: int,
    shown: str,
) -> Path:
    """Write ``script`` as a scenario file in ``folder``; return its path.

    ``failure`` is the failed check's message (its first line names the
    invariant); ``shown`` is the folder as the replay command should name it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rule = _rule(failure)
    text = "\n".join(script.body())
    digest = hashlib.sha256(f"{text}{profiles}{app}{faults}".encode()).hexdigest()
    name = f"found_{_slug(rule)}_{digest[:8]}"
    command = replay_command(shown, profiles, app, faults, name)
    about = (
        f"A generated journey that breaks {rule}, shrunk to {len(script.lines)} "
        f"steps.\n\nFound by the harness fuzz machine (seed {seed}) with app "
        f"profile {app} (faults: {', '.join(faults) or 'none'}) on device "
        f"profiles {', '.join(profiles)}. The steps run on one frozen clock with "
        "the world's seed 0, so every run of this file plays them the same way."
    )
    source = _SOURCE.format(
        about="\n\n".join(
            textwrap.fill(part, 88, break_on_hyphens=False, break_long_words=False)
            for part in about.split("\n\n")
        ),
        first=_comment(failure.splitlines()[0]),
        command=" \\\n#     ".join(_wrapped(command)),
        name=name,
        imports="\n".join([_imports(text), *dict.fromkeys(script.imports)]),
        summary=_summary(rule),
        body=textwrap.indent(text, "    "),
    )
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    logger.info("wrote the found scenario %s", path)
    return path


def _wrapped(command: str, width: int = 70) -> list[str]:
    """Break a command into lines between arguments, never inside a flag's pair."""
    glued = re.sub(r"(--\S+) ", "\\1\0", command)
    lines = textwrap.wrap(glued, width, break_on_hyphens=False, break_long_words=False)
    return [line.replace("\0", " ") for line in lines]


def _imports(text: str) -> str:
    """Return the import lines the scenario's body needs, and no others."""
    used = [h for h in HELPERS if re.search(rf"\b{h}\b", text)]
    lines = ["from harness import World, scenario"]
    if "suppress(" in text:
        lines = [
            "from contextlib import suppress\n",
            "from harness import ScenarioError, Unsupported, World, scenario",
        ]
    if used:
        lines.append(f"from harness.fuzz import {', '.join(used)}")
    return "\n".join(lines)


def _rule(failure: str) -> str:
    first = failure.splitlines()[0] if failure else "error"
    match = re.match(r"(I\d+ [a-z ]+):", first)
    return match.group(1) if match else first.split(":")[0][:40] or "error"


def _slug(rule: str) -> str:
    match = re.match(r"I(\d+)", rule)
    return f"i{match.group(1)}" if match else "error"


def _summary(rule: str) -> str:
    return f"Found by harness fuzz: {rule} fails after these steps."


def _comment(text: str) -> str:
    return "\n".join(textwrap.wrap(text, 76)).replace("\n", "\n#   ")


_SOURCE = '''"""{about}
"""

# It failed with:
#   {first}
# Replay it:
#   {command}

{imports}


@scenario(needs=["native_app"])
def {name}(world: World) -> None:
    """{summary}"""
{body}
'''
