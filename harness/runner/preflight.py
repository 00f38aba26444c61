"""Checks made before any cell plays, each refusal naming the flag the user typed.

``harness run`` and plain pytest spell the Appium options differently
(``--appium`` and ``--harness-appium``); :class:`Flags` holds the spelling of
the command in use. The checks: the Appium URL, options that need an Appium,
a fixed serve port with several xdist workers, and whether anything answers
at the URL (``GET {url}/status``) or the project's Appium is installed for
``local``. :class:`RunGuard` makes them, and catches option typos, while
pytest parses ``harness run``'s arguments, where an exception still reaches
the command instead of becoming pytest's own error report.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass

import httpx
import pytest

from ..drivers.appium_server import NodeMissing, find_appium
from ..drivers.config import ENV, LOCAL, DeviceKind, resolve_url
from ..errors import HarnessError, ScenarioError

__all__ = [
    "CLI",
    "PYTEST",
    "AppiumChoice",
    "Flags",
    "RunGuard",
    "RunRefused",
    "check_options",
    "check_reachable",
    "check_workers",
    "port",
]

logger = logging.getLogger(__name__)

STATUS_TIMEOUT = 3.0  # seconds; a server that is up answers /status at once


@dataclass(frozen=True)
class Flags:
    """How the command in use spells the run's Appium options."""

    appium: str
    device: str
    serve_port: str


PYTEST = Flags(
    "--harness-appium", "--harness-appium-device", "--harness-appium-serve-port"
)
CLI = Flags("--appium", "--appium-device", "--appium-serve-port")


class RunRefused(HarnessError):
    """Raised when a run's options cannot work; the message names the flag.

    ``command`` is who says so: ``harness`` for the run's own options,
    ``harness run`` for an argument pytest cannot take.
    """

    def __init__(self, message: str, command: str = "harness") -> None:
        super().__init__(message)
        self.command = command


@dataclass(frozen=True)
class AppiumChoice:
    """A run's Appium as its options chose it; ``url`` is "" for none."""

    url: str
    source: str
    device: DeviceKind = "real"
    serve_port: int | None = None


def port(text: str) -> int:
    """Read a port to serve on: 0 (a free one) to 65535, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"{value} is not a port; give 1 to 65535, or 0 for a free one"
        )
    return value


def check_options(
    given: str | None,
    device: DeviceKind,
    serve_port: int | None,
    flags: Flags,
    environ: Mapping[str, str] = os.environ,
) -> AppiumChoice:
    """Return the run's Appium, refusing options that need one when there is none.

    ``serve_port`` is None unless the user gave it.
    """
    try:
        url = resolve_url(given, environ, flag=flags.appium)
    except ScenarioError as error:
        raise RunRefused(str(error)) from None
    source = flags.appium if (given or "").strip() else f"${ENV}"
    needs = f"give {flags.appium} URL (or local), or set ${ENV}"
    if device != "real" and not url:
        raise RunRefused(f"{flags.device} {device} needs an Appium: {needs}.")
    if serve_port is not None and not url:
        raise RunRefused(
            f"{flags.serve_port} serves each scenario's emulator to phones "
            f"reached through Appium, and the run has no Appium: {needs}, or "
            f"drop {flags.serve_port}."
        )
    if url == LOCAL and device != "harnessfake":
        raise RunRefused(
            f"{flags.appium} local starts the project's own Appium, which has the "
            "harnessfake and Chromium drivers but not UiAutomator2 or XCUITest, so "
            f"it has no real phones: add {flags.device} harnessfake, or give "
            f"{flags.appium} the URL of an Appium that drives your devices."
        )
    return AppiumChoice(url, source, device, serve_port)


def check_workers(choice: AppiumChoice, workers: int, flags: Flags) -> None:
    """Refuse a fixed serve port when several xdist workers would each bind it."""
    if choice.url and choice.serve_port and workers > 1:
        raise RunRefused(
            f"{flags.serve_port} {choice.serve_port} with {workers} xdist workers: "
            "every worker would bind the same port; give "
            f"{flags.serve_port} 0 with -n, or run one worker."
        )


def check_reachable(
    choice: AppiumChoice, flags: Flags, timeout: float = STATUS_TIMEOUT
) -> None:
    """Refuse a run whose Appium cannot answer, before any cell tries it.

    For ``local``, the project's Appium must be installed; for a URL,
    ``GET {url}/status`` must get an HTTP answer of any kind.
    """
    if not choice.url:
        return
    if choice.url == LOCAL:
        try:
            find_appium()
        except NodeMissing as error:
            raise RunRefused(f"{flags.appium} local: {error}") from None
        return
    status = f"{choice.url}/status"
    try:
        answer = httpx.get(status, timeout=timeout)
    except httpx.HTTPError as error:
        hint = ""
        if choice.device == "harnessfake":
            hint = (
                f", or run with {flags.appium} local (the project's own Appium, "
                "which has the harnessfake driver)"
            )
        url = _redacted(choice.url)
        raise RunRefused(
            f"{choice.source} {url}: no Appium answers at {url}/status "
            f"({_reason(error)}); start Appium there or correct the URL{hint}."
        ) from None
    url = _redacted(choice.url)
    if answer.status_code in (404, 405) or not _webdriver_status(answer):
        said = f"answered {answer.status_code}" + (
            "" if answer.is_error else " without a WebDriver status"
        )
        raise RunRefused(
            f"{choice.source} {url}: {url}/status {said}, so this is not an Appium "
            "or Selenium Grid endpoint; check the path (Appium 2 and 3 serve at "
            "the root unless started with --base-path: drop /wd/hub) and the port."
        )
    if answer.is_error:
        logger.warning(
            "%s/status answered %s; sessions may fail if the URL needs credentials",
            url,
            answer.status_code,
        )


def _webdriver_status(answer: httpx.Response) -> bool:
    """Tell whether ``answer`` looks like WebDriver's status (or a refusal)."""
    if answer.status_code in (401, 403):
        return True  # a cloud may guard /status; its sessions will say more
    try:
        document = answer.json()
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("value"), dict)


def _redacted(url: str) -> str:
    """Return ``url`` with a password in it starred out, for messages and logs."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url, count=1)


def _reason(error: httpx.HTTPError) -> str:
    said, name = str(error) or "no answer", type(error).__name__
    return f"{name}: {said}" if len(said) < 120 else name


class RunGuard:
    """Check ``harness run``'s arguments as pytest parses them.

    Registered by ``harness run`` as a pytest plugin. An unknown option
    becomes "unknown option --apium; did you mean --appium?" naming the
    closest of ``harness run``'s own options and pytest's; any other usage
    error pytest finds while parsing says so under ``harness run``. Once
    parsed, the run's Appium is checked against its xdist workers and for
    an answer. Each refusal is a :class:`RunRefused` raised out of
    ``pytest.main``.
    """

    def __init__(self, own: Sequence[str], appium: AppiumChoice) -> None:
        self.own, self.appium = list(own), appium

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_parse(
        self, pluginmanager: pytest.PytestPluginManager, args: list[str]
    ) -> Generator[None, pytest.Config, pytest.Config]:
        """Turn parse errors into harness's refusals; then check the Appium."""
        try:
            config = yield
        except pytest.UsageError as error:
            parsed = pluginmanager.get_plugin("pytestconfig")
            raise self._refusal(parsed, args, error) from None
        check_workers(self.appium, _workers(config.option), CLI)
        check_reachable(self.appium, CLI)
        return config

    def _refusal(
        self, config: pytest.Config | None, args: list[str], error: Exception
    ) -> RunRefused:
        parser = getattr(config, "_parser", None)
        if parser is not None:
            try:
                _, unknown = parser.parse_known_and_unknown_args(args)
            except pytest.UsageError:
                unknown = []  # a value pytest cannot read: its own words say so
            if unknown:
                known = list(getattr(parser, "_opt2dest", {}))
                lines = [self._unknown(word.split("=")[0], known) for word in unknown]
                return RunRefused("\nharness run: ".join(lines), "harness run")
        said = re.search(r": error: (.*?)(?:\n  |\Z)", str(error), re.DOTALL)
        return RunRefused(
            f"pytest cannot take these arguments: {said[1] if said else error}",
            "harness run",
        )

    def _unknown(self, word: str, pytest_options: list[str]) -> str:
        # The closest of all; on a tie harness run's own option wins.
        close = difflib.get_close_matches(word, [*self.own, *pytest_options], n=5)
        if close:
            best = max(close, key=lambda o: (_likeness(word, o), o in self.own))
            return f"unknown option {word}; did you mean {best}?"
        return (
            f"unknown option {word}; see harness run --help for its own options "
            "and pytest --help for the ones it passes on"
        )


def _likeness(word: str, option: str) -> float:
    return difflib.SequenceMatcher(None, word, option).ratio()


def _workers(option: object) -> int:
    """Return how many xdist workers the parsed options ask for (0: none)."""
    asked = getattr(option, "numprocesses", None)
    if asked in ("auto", "logical"):
        asked = os.cpu_count() or 1
    tx = getattr(option, "tx", None) or []
    return max(asked if isinstance(asked, int) else 0, len(tx))
